"""kueue_worker's live output (issue 15) against a hand-written server:
chunks while the job runs, never a split character, at most one per
200 ms for a job clients follow (WatchOutput), once a second and only the
last bytes the server keeps for one nobody follows, the output limit,
redirected streams, and nothing at all for an original server."""

import os
import time
import unittest

import kueue_protocol as kp
from kqtest import S2W, W2S
from test_worker import WorkerTest

JS = kp.JobStatus


class LiveTest(WorkerTest):
    """Jobs started here are followed (the server says WatchOutput) unless
    watched is false."""

    server_level = kp.EXTENSION_LEVEL
    watched = True

    def start(self, job, conn=None):
        job = super().start(job, conn)
        if self.watched:
            self.send(S2W.WatchOutput(job_id=job.job_id, watched=True), conn)
        return job

    steps = 0

    def wait(self, n):
        """Shell code that waits until go() was called n times."""
        return "until [ -e %s ]; do sleep 0.01; done" % os.path.join(self.dir, "go%d" % n)

    def go(self):
        self.steps += 1
        open(os.path.join(self.dir, "go%d" % self.steps), "w").close()

    def chunk(self, timeout=10):
        """The next OutputChunk (resources between are skipped)."""
        while True:
            m = self.recv(timeout, skip_periodic=True)
            if isinstance(m, W2S.OutputChunk):
                return m
            raise AssertionError("expected OutputChunk, got %r" % (m,))

    def until_report(self, job_id):
        """(chunks, status, results) until the job's report."""
        chunks = []
        while True:
            m = self.recv(skip_periodic=True)
            if isinstance(m, W2S.OutputChunk):
                self.assertEqual(m.job_id, job_id)
                chunks.append(m)
                continue
            self.assertIsInstance(m, W2S.UpdateJobStatus, m)
            if isinstance(m.value.status, JS.Running):
                continue
            results = self.recv()
            self.assertIsInstance(results, W2S.UpdateJobResults)
            return chunks, m.value.status, results

    def joined(self, chunks, stream="stdout_chunk"):
        """The pieces of a stream joined, checked to follow each other."""
        text = ""
        for c in chunks:
            piece = getattr(c, stream)
            if piece is None:
                continue
            self.assertEqual(piece.offset, len(text.encode()), chunks)
            text += piece.text
        return text


class Live(LiveTest):
    def test_hello_announces_the_limit(self):
        self.assertEqual((self.conn.hello.extension_level, self.conn.hello.output_limit),
                         (kp.EXTENSION_LEVEL, 1048576))
        self.stop_worker()

    def test_output_while_running(self):
        job = self.start(self.job(["sh", "-c", "echo one; %s; echo two" % self.wait(1)]))
        first = self.chunk()
        self.assertEqual((first.job_id, first.stdout_chunk.offset, first.stdout_chunk.text,
                          first.stderr_chunk), (job.job_id, 0, "one\n", None))
        self.go()
        chunks, st, results = self.until_report(job.job_id)
        self.assertEqual(st.return_code, 0)
        self.assertTrue(results.stdout_text.startswith(self.joined([first] + chunks)))
        self.assertEqual(results.stdout_text, "one\ntwo\n")
        self.stop_worker()

    def test_characters_are_never_split(self):
        # The job writes half of "é", waits, writes the rest and an invalid byte.
        job = self.start(self.job(["sh", "-c", "printf 'a\\303'; %s; printf '\\251\\377\\n'; %s"
                                   % (self.wait(1), self.wait(2))]))
        self.assertEqual(self.chunk().stdout_chunk.text, "a")
        self.go()
        second = self.chunk()
        self.assertEqual((second.stdout_chunk.offset, second.stdout_chunk.text),
                         (1, "\u00e9\ufffd\n"))
        self.go()
        chunks, _, results = self.until_report(job.job_id)
        self.assertEqual(chunks, [])
        self.assertEqual(results.stdout_text, "a\u00e9\ufffd\n")
        self.stop_worker()

    def test_at_most_every_200_ms(self):
        job = self.start(self.job(["sh", "-c", "i=0; while [ $i -lt 100 ]; do echo line $i; "
                                               "sleep 0.02; i=$((i+1)); done"]))
        t0 = time.monotonic()
        chunks, _, results = self.until_report(job.job_id)
        elapsed = time.monotonic() - t0
        # Every line came, in order, in pieces at least 200 ms apart.
        self.assertGreaterEqual(len(chunks), 3)
        self.assertLessEqual(len(chunks), elapsed / 0.2 + 2)
        self.assertTrue(results.stdout_text.startswith(self.joined(chunks)))
        self.stop_worker()

    def test_redirected_stream(self):
        job = self.start(self.job(["sh", "-c", "echo to-file; echo to-stderr >&2; %s"
                                   % self.wait(1)], stdout="out.txt"))
        c = self.chunk()
        self.assertEqual((c.stdout_chunk, c.stderr_chunk.text), (None, "to-stderr\n"))
        self.go()
        chunks, _, results = self.until_report(job.job_id)
        self.assertTrue(all(c.stdout_chunk is None for c in chunks))
        self.assertEqual(results.stdout_text, "Redirected to %s/out.txt" % self.dir)
        self.stop_worker()


class Limit(LiveTest):
    settings = {"output_limit_bytes": 1024}

    def test_live_output_ends_as_the_final_text(self):
        job = self.start(self.job(["sh", "-c", "for i in 1 2 3; do printf '%0499d\\n' $i; "
                                               "until [ -e go$i ]; do sleep 0.01; done; done"]))
        self.assertEqual(self.chunk().stdout_chunk.text, "%0499d\n" % 1)
        self.go()
        self.assertEqual(self.chunk().stdout_chunk.text, "%0499d\n" % 2)
        self.go()
        # The third line goes past the limit: its first 24 bytes, the note.
        note = "\n[kueue: output truncated after 1024 bytes]\n"
        last = self.chunk()
        self.assertEqual((last.stdout_chunk.offset, last.stdout_chunk.text),
                         (1000, "0" * 24 + note))
        self.go()
        chunks, _, results = self.until_report(job.job_id)
        self.assertEqual(chunks, [])
        self.assertEqual(results.stdout_text, "%0499d\n%0499d\n" % (1, 2) + "0" * 24 + note)
        self.stop_worker()


class Unwatched(LiveTest):
    """Nobody follows: a chunk at most once a second, with only the last
    bytes the server keeps (output_keep, 64 KiB by default)."""

    watched = False

    def test_tail_once_a_second(self):
        # A line, 200,000 bytes, then a line every 50 ms for 4 s.
        job = self.start(self.job(["sh", "-c", "echo start; sleep 0.3; "
                                               "head -c 200000 /dev/zero | tr '\\0' x; "
                                               "for i in $(seq 1 80); do echo; sleep 0.05; done; "
                                               "%s" % self.wait(1)]))
        first = self.chunk()
        t0 = time.monotonic()
        self.assertEqual((first.stdout_chunk.offset, first.stdout_chunk.text), (0, "start\n"))
        # A second later: only the last 64 KiB (offsets count all).
        second = self.chunk()
        self.assertGreaterEqual(time.monotonic() - t0, 0.8)
        self.assertGreaterEqual(second.stdout_chunk.offset, 6 + 200000 - 65536)
        self.assertLessEqual(len(second.stdout_chunk.text), 65536)
        third = self.chunk(timeout=5).stdout_chunk
        self.assertGreaterEqual(time.monotonic() - t0, 1.6)
        # Once followed: all that came since the last chunk, at once.
        self.send(S2W.WatchOutput(job_id=job.job_id, watched=True))
        self.assertEqual(self.chunk().stdout_chunk.offset, third.offset + len(third.text))
        self.go()
        chunks, _, results = self.until_report(job.job_id)
        self.assertEqual(len(results.stdout_text), 6 + 200000 + 80)
        self.stop_worker()


class OriginalServer(WorkerTest):
    """An original server gets no chunk: it would close the connection on
    one (the fake one fails to decode it)."""

    def test_no_live_output(self):
        st, results, _ = self.run_job(["sh", "-c", "echo a; sleep 0.5; echo b; sleep 0.3"])
        self.assertEqual((st.return_code, results.stdout_text), (0, "a\nb\n"))
        self.stop_worker()


if __name__ == "__main__":
    unittest.main(verbosity=2)
