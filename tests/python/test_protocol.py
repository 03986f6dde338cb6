"""The generated Python module against the reference's test vectors.

Same vectors and error messages as the C test (tests/unit/test_protocol.c),
so both languages validate alike.  usage: test_protocol.py DATA_DIR
"""
import json
import os
import sys
import unittest

import kueue_protocol as kp

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data")


def rows(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as fh:
        for n, line in enumerate(fh.read().split("\n"), 1):
            if line:
                yield n, line.split("\t")


RES = '{"job_slots":1,"cpus":%s,"ram_mb":1}'
PENDING = '{"Pending":{"issued":"2025-11-24T16:00:00Z"}}'
JOB = ('{"job_id":0,"cmd":["true"],"cwd":"/tmp","worker_resources":%s,'
       '"global_resources":null,"status":%s,"stdout_path":null,"stderr_path":null}')


class Vectors(unittest.TestCase):
    def test_golden_roundtrip(self):
        count = 0
        for n, (name, text) in rows("golden.tsv"):
            cls = getattr(kp, name.split(".")[0])
            with self.subTest(line=n, name=name):
                self.assertEqual(kp.encode(kp.decode(cls, text)).decode("utf-8"), text)
                self.assertEqual(kp.encode(kp.decode(cls, text.encode("utf-8"))), text.encode("utf-8"))
            count += 1
        self.assertGreaterEqual(count, 57)

    def test_decode_cases(self):
        for n, cols in rows("decode-cases.tsv"):
            cls = getattr(kp, cols[0])
            with self.subTest(line=n, input=cols[1]):
                if cols[2] == "reject":
                    self.assertRaises(kp.DecodeError, kp.decode, cls, cols[1])
                else:
                    self.assertEqual(kp.encode(kp.decode(cls, cols[1])).decode("utf-8"), cols[3])


class Errors(unittest.TestCase):
    def expect(self, cls, text, message):
        with self.assertRaises(kp.DecodeError) as ctx:
            kp.decode(cls, text)
        self.assertEqual(str(ctx.exception), message)

    def test_paths_match_the_c_decoder(self):
        c2s = kp.ClientToServerMessage
        self.expect(c2s, '{"IssueJob":%s}' % (JOB % (RES % "-1", PENDING)),
                    "IssueJob.worker_resources.cpus: expected an unsigned integer, got -1")
        self.expect(c2s, '{"IssueJob":%s}' % (JOB % (RES % "1.0", PENDING)),
                    "IssueJob.worker_resources.cpus: expected an unsigned integer, got 1.0")
        self.expect(c2s, '{"IssueJob":%s}' % (JOB % (RES % '"8"', PENDING)),
                    'IssueJob.worker_resources.cpus: expected an unsigned integer, got the string "8"')
        self.expect(c2s, '{"IssueJob":%s}' % (JOB % ('{"job_slots":1,"ram_mb":1}', PENDING)),
                    'IssueJob.worker_resources: missing field "cpus"')
        self.expect(c2s, '{"IssueJob":%s}' % (JOB % (RES % "1", '{"Pending":{"issued":"2025-02-30T16:00:00Z"}}')),
                    'IssueJob.status.Pending.issued: invalid timestamp (invalid day), '
                    'got the string "2025-02-30T16:00:00Z"')
        self.expect(c2s, '{"ShowJob":{"job_id":1,"job_id":2}}', 'ShowJob: duplicate field "job_id"')
        self.expect(c2s, '"Hello"', 'unknown variant "Hello" of ClientToServerMessage')
        self.expect(c2s, '"ShowJob"', 'ShowJob: expected {"ShowJob": value}, got a bare string')
        self.expect(c2s, '{"Bye":{}}', "Bye: expected no value (unit variant), got an object")
        self.expect(c2s, "[]", "expected ClientToServerMessage (a string or an object with one key), got an array")
        self.expect(kp.HelloMessage, '{"HelloFromWorker":{"worker_name":"%s"}}' % ("w" * 257),
                    "HelloFromWorker.worker_name: string longer than 256 bytes")

    def test_strictness(self):
        for text in ['{"ShowJob":{"job_id":01}}', '{"ShowJob":{"job_id":NaN}}', '"\\ud800"',
                     b'"\xff"', '"a\x01"', "[" * 65 + "]" * 65, '{"ShowJob":{"job_id":1}} x']:
            with self.subTest(text=text):
                self.assertRaises(kp.DecodeError, kp.decode, kp.ClientToServerMessage, text)


class Values(unittest.TestCase):
    def test_exact_integers_and_nul(self):
        m = kp.decode(kp.ClientToServerMessage, '{"ShowJob":{"job_id":18446744073709551615}}')
        self.assertEqual(m.job_id, 2**64 - 1)
        r = kp.decode(kp.WorkerToServerMessage,
                      '{"UpdateJobResults":{"job_id":1,"stdout_text":"a\\u0000b","stderr_text":null}}')
        self.assertEqual(r.stdout_text, "a\0b")
        self.assertEqual(kp.encode(r), b'{"UpdateJobResults":{"job_id":1,"stdout_text":"a\\u0000b","stderr_text":null}}')

    def test_building_messages(self):
        job = kp.JobInfo(job_id=0, cmd=["sleep", "1"], cwd="/tmp",
                         worker_resources=kp.Resources(1, 8, 8192),
                         status=kp.JobStatus.Pending(issued=kp.Timestamp.parse("2024-01-30T12:34:56.123456789Z")))
        self.assertEqual(
            kp.encode(kp.ClientToServerMessage.IssueJob(job)),
            b'{"IssueJob":{"job_id":0,"cmd":["sleep","1"],"cwd":"/tmp","worker_resources":'
            b'{"job_slots":1,"cpus":8,"ram_mb":8192},"global_resources":null,"status":{"Pending":'
            b'{"issued":"2024-01-30T12:34:56.123456789Z"}},"stdout_path":null,"stderr_path":null}}')
        self.assertEqual(kp.encode(kp.ClientToServerMessage.Bye()), b'"Bye"')

    def test_timestamps(self):
        for text, canon in [("2025-11-24T16:00:00+02:00", "2025-11-24T14:00:00Z"),
                            ("2025-11-24 16:00:00Z", "2025-11-24T16:00:00Z"),
                            ("2025-11-24T16:00:00.1Z", "2025-11-24T16:00:00.100Z"),
                            ("2025-11-24T16:00:00.1234567891Z", "2025-11-24T16:00:00.123456789Z"),
                            ("2025-11-24T16:00:60Z", "2025-11-24T16:00:60Z"),
                            ("1960-01-01T00:00:00Z", "1960-01-01T00:00:00Z"),
                            ("2024-01-30T13:00:00.000250Z", "2024-01-30T13:00:00.000250Z")]:
            self.assertEqual(kp.Timestamp.parse(text).format(), canon)
        for bad in ["2025-02-30T16:00:00Z", "2025-11-24t16:00:00z", "2025-11-24T16:00:00"]:
            self.assertRaises(ValueError, kp.Timestamp.parse, bad)

    def test_floats(self):
        for x, text in [(0.0, "0.0"), (1.0, "1.0"), (0.5, "0.5"), (1e-5, "0.00001"), (1e-6, "1e-6"),
                        (1e15, "1000000000000000.0"), (1e16, "1e16"), (2.25, "2.25"), (1.5e-7, "1.5e-7"),
                        (-0.0, "-0.0"), (1.2345e20, "1.2345e20")]:
            self.assertEqual(kp._fmt_f64(x), text)

    def test_auth_vectors(self):
        self.assertEqual(kp.auth_response("keep private!",
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab"),
                         "t32XpQPto3ceuNGGh1XVXi4pbLHOMk4ewBb5WsM0WCI")
        self.assertEqual(kp.auth_response("", ""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")


HELLO = kp.HelloMessage.HelloFromWorker


def variant_name(text):
    """The variant an enum's encoding holds: "Bye" or {"IssueJob": ...}."""
    value = json.loads(text)
    return value if isinstance(value, str) else next(iter(value))


class Extensions(unittest.TestCase):
    """Kueue-C extensions: optional fields left out when unset, variants
    refused for a peer below their level (see schema/protocol.yaml)."""

    def test_unset_extension_field_is_left_out(self):
        # The original's options are written as null; an extension field is not written.
        self.assertEqual(kp.encode(HELLO("w")), b'{"HelloFromWorker":{"worker_name":"w"}}')

    def test_set_extension_field_round_trips(self):
        text = b'{"HelloFromWorker":{"worker_name":"w","extension_level":1}}'
        self.assertEqual(kp.decode(kp.HelloMessage, text).extension_level, 1)
        self.assertEqual(kp.encode(kp.decode(kp.HelloMessage, text)), text)

    def test_decode_without_or_with_null(self):
        for text in ['{"HelloFromWorker":{"worker_name":"w"}}',
                     '{"HelloFromWorker":{"worker_name":"w","extension_level":null}}',
                     '{"HelloFromWorker":{"extension_level":null,"worker_name":"w"}}']:
            self.assertIsNone(kp.decode(kp.HelloMessage, text).extension_level)
        # Serde's array form: the original's fields, or all of them.
        self.assertEqual(kp.decode(kp.HelloMessage, '{"HelloFromWorker":["w"]}'), HELLO("w"))
        self.assertEqual(kp.decode(kp.HelloMessage, '{"HelloFromWorker":["w",2]}'), HELLO("w", 2))
        with self.assertRaises(kp.DecodeError) as ctx:
            kp.decode(kp.HelloMessage, '{"HelloFromWorker":[]}')
        self.assertEqual(str(ctx.exception),
                         "HelloFromWorker: expected HelloFromWorker as an array of 1 to 4 fields, got 0")

    def test_peer_levels(self):
        text = b'{"HelloFromWorker":{"worker_name":"w","extension_level":1}}'
        # For an original peer: left out when encoding, ignored when decoding.
        self.assertEqual(kp.encode(HELLO("w", 1), level=0), b'{"HelloFromWorker":{"worker_name":"w"}}')
        self.assertIsNone(kp.decode(kp.HelloMessage, text, level=0).extension_level)
        self.assertEqual(kp.EXTENSIONS[1], "0.20.0")
        self.assertGreaterEqual(kp.EXTENSION_LEVEL, 1)

    def test_extension_variant_only_for_a_peer_that_speaks_it(self):
        m = kp.ServerToWorkerMessage.ReportStored(job_id=5)
        self.assertEqual(m._kq_extension, 1)
        self.assertEqual(kp.ServerToWorkerMessage.Bye._kq_extension, 0)
        self.assertEqual(kp.encode(m, level=1), b'{"ReportStored":{"job_id":5}}')
        with self.assertRaises(ValueError):
            kp.encode(m, level=0)
        self.assertEqual(kp.decode(kp.ServerToWorkerMessage, b'{"ReportStored":{"job_id":5}}'), m)
        # An original peer does not know it (and closes the connection).
        with self.assertRaises(kp.DecodeError) as ctx:
            kp.decode(kp.ServerToWorkerMessage, b'{"ReportStored":{"job_id":5}}', level=0)
        self.assertEqual(str(ctx.exception), 'unknown variant "ReportStored" of ServerToWorkerMessage')

    def test_extension_vectors(self):
        """tests/data/extensions.tsv, as in the C test: each line
        round-trips; at level 0 it gives the third column or is refused."""
        count = 0
        for n, (name, text, original) in rows("extensions.tsv"):
            cls = getattr(kp, name.split(".")[0])
            with self.subTest(line=n, name=name):
                value = kp.decode(cls, text)
                self.assertEqual(kp.encode(value).decode("utf-8"), text)
                if original == "refused":
                    self.assertRaises(ValueError, kp.encode, value, 0)
                    self.assertRaises(kp.DecodeError, kp.decode, cls, text, 0)
                else:
                    self.assertEqual(kp.encode(value, level=0).decode("utf-8"), original)
                    # What an original peer reads of it: the same.
                    self.assertEqual(kp.encode(kp.decode(cls, text, level=0), level=0).decode("utf-8"),
                                     original)
            count += 1
        self.assertGreaterEqual(count, 9)

    def test_workflow_limits_and_absence(self):
        """JobInfo.workflow (issue 14): left out when unset, its sets sorted
        and bounded, and ignored by a level-0 peer."""
        job = kp.JobInfo(job_id=1, cmd=["true"], cwd="/tmp",
                         worker_resources=kp.Resources(1, 1, 1),
                         status=kp.JobStatus.Pending(issued=kp.Timestamp.parse("2025-11-24T16:00:00Z")))
        plain = kp.encode(job)
        self.assertNotIn(b"workflow", plain)
        job.workflow = kp.Workflow(priority=1, after=[3, 2, 3])
        text = kp.encode(job)
        self.assertIn(b'"workflow":{"priority":1,"after":[2,3]}}', text)
        self.assertEqual(kp.encode(job, level=0), plain)
        self.assertIsNone(kp.decode(kp.JobInfo, text, level=0).workflow)
        many = text.replace(b'"after":[2,3]', b'"after":[%s]' % b",".join(b"%d" % i for i in range(100001)))
        with self.assertRaises(kp.DecodeError) as ctx:
            kp.decode(kp.JobInfo, many)
        self.assertEqual(str(ctx.exception), "workflow.after: more than 100000 items")
        with self.assertRaises(kp.DecodeError) as ctx:
            kp.decode(kp.JobInfo, text.replace(b'"priority":1', b'"priority":2147483648'))
        self.assertIn("workflow.priority", str(ctx.exception))

    def test_every_original_variant_and_field_is_in_the_golden_vectors(self):
        """What is not marked as an extension must be the original's: it
        has a golden line (the original's own encoding) holding each of
        its fields.  An unmarked addition fails here."""
        golden = {}
        for _, (name, text) in rows("golden.tsv"):
            golden.setdefault(name.split(".")[0], []).append((name, text))
        for type_name, lines in golden.items():
            cls = getattr(kp, type_name)
            if issubclass(cls, kp._Enum):
                for vname, variant in cls._kq_variants.items():
                    if variant._kq_extension:
                        continue
                    texts = [t for _, t in lines if variant_name(t) == vname]
                    with self.subTest(variant="%s.%s" % (type_name, vname)):
                        self.assertTrue(texts, "no golden line")
                        if variant._kq_form == "struct":
                            self.check_fields(variant, texts)
            else:
                self.check_fields(cls, [t for _, t in lines])

    def check_fields(self, cls, texts):
        for name, _, ext in cls._kq_fields:
            if not ext:
                with self.subTest(field="%s.%s" % (cls.__qualname__, name)):
                    self.assertTrue(any('"%s":' % name in t for t in texts))


class Framing(unittest.TestCase):
    def test_split_everywhere(self):
        msgs = [text.encode("utf-8") for _, (_, text) in rows("golden.tsv")]
        for i, cur in enumerate(msgs):
            prev, nxt = msgs[i - 1], msgs[(i + 1) % len(msgs)]
            for sep in (b"", b" \n"):
                for k in range(len(cur) + 1):
                    f = kp.Framer()
                    got = f.feed(prev + sep + cur[:k]) + f.feed(cur[k:] + sep + nxt)
                    self.assertEqual(got, [prev, cur, nxt], (i, k))

    def test_limits(self):
        f = kp.Framer(max_message=100)
        self.assertRaises(kp.DecodeError, f.feed, b'{"a":"' + b"x" * 200)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=1)
