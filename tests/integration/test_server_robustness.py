"""kueue_server under awkward and hostile peers: split and glued messages,
garbage, oversized messages, silent connections, peers that stop reading,
descriptor exhaustion and shutdown.  A bad peer only ever hurts itself."""

import json
import resource
import signal
import socket
import subprocess
import time
import unittest

import kqtest
import kueue_protocol as kp
from kqtest import C2S, S2C, SECRET, FakeWorker, Server, issue, request, wait_until


def raw(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def read_until_closed(s, limit=1 << 20):
    data = b""
    while len(data) < limit:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class Framing(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)

    def test_messages_split_at_every_byte_and_glued(self):
        s = raw(self.srv.port)
        self.addCleanup(s.close)
        stream = b'"HelloFromClient"' + b' \n"ListWorkers"' + b'{"ShowJob":{"job_id":7}}' + b'"ListResources"'
        for i in range(len(stream)):
            s.sendall(stream[i:i + 1])
            time.sleep(0.001)
        f = kp.Framer()
        got = []
        while len(got) < 4:
            got += f.feed(s.recv(4096))
        self.assertEqual(got, [b'"WelcomeClient"', b'{"WorkerList":[]}',
                               b'{"RequestResponse":{"success":false,"text":"Job not found!"}}',
                               b'{"ResourceList":{"used_resources":null,"total_resources":null}}'])

    def test_many_requests_in_one_write(self):
        s = raw(self.srv.port)
        self.addCleanup(s.close)
        s.sendall(b'"HelloFromClient"' + b'"ListWorkers"' * 500 + b'"Bye"')
        data = read_until_closed(s)
        self.assertEqual(data, b'"WelcomeClient"' + b'{"WorkerList":[]}' * 500)


class HostilePeers(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)

    def assert_still_serving(self):
        c = self.srv.client()
        self.assertEqual(request(c, C2S.ListWorkers()), S2C.WorkerList([]))

    def test_garbage_closes_only_that_connection(self):
        good = self.srv.client()
        for junk in (b"\x00\xff\xfe garbage", b'"HelloFromClient"{"ShowJob":{"job_id":-1}}',
                     b'"HelloFromClient"{"ShowJob":{"job_id":1', b'"HelloFromClient"{"Bye":{}}',
                     b"}", b'"HelloFromClient"[1,2'):
            s = raw(self.srv.port)
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            read_until_closed(s)
            s.close()
        self.assertEqual(request(good, C2S.ListWorkers()), S2C.WorkerList([]))
        for text in ("ShowJob.job_id: expected an unsigned integer, got -1",
                     r"invalid JSON at byte 0 \(0x00\)",
                     "connection closed in the middle of a message",
                     "not a message: a value starting with '\\['"):
            self.srv.process.wait_for(text)

    def test_bare_number_refused_at_once(self):
        # Regression (issue 11.2): no message is a number, but the server
        # waited for the number to end, so the connection stayed open until
        # the hello timeout (30 s); the original closes it at once.
        for first in (b"42", b"-"):
            s = raw(self.srv.port)
            self.addCleanup(s.close)
            s.settimeout(10)
            s.sendall(first)
            self.assertEqual(read_until_closed(s), b"")
        self.srv.process.wait_for("not a message: a value starting with '4'")
        self.assert_still_serving()

    def test_answers_what_came_before_bad_bytes_then_closes(self):
        # Regression (issue 11.3): a request and garbage in one packet; the
        # answer was dropped with the connection.  Also a decode error, a
        # non-message, and a stream that ends (shut down, mid-message or not).
        welcome, workers = b'"WelcomeClient"', b'{"WorkerList":[]}'
        resources = b'{"ResourceList":{"used_resources":null,"total_resources":null}}'
        cases = [
            (b'"HelloFromClient""ListResources"}{', welcome + resources,
             r"invalid JSON at byte 0 \('}'\)"),
            (b'"HelloFromClient""ListWorkers"{"ShowJob":{"job_id":-1}}', welcome + workers,
             "ShowJob.job_id: expected an unsigned integer"),
            (b'"HelloFromClient""ListWorkers"7', welcome + workers,
             "a value starting with '7'"),
            (b'"HelloFromClient""ListWorkers"{"ShowJob":', welcome + workers,
             "connection closed in the middle of a message"),
            (b'"HelloFromClient""ListWorkers""ListResources"', welcome + workers + resources,
             "ended: connection closed$"),
        ]
        for stream, answers, why in cases:
            s = raw(self.srv.port)
            self.addCleanup(s.close)
            s.sendall(stream)
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(read_until_closed(s), answers, stream)
            self.srv.process.wait_for("(?m)" + why)
        s = raw(self.srv.port)
        self.addCleanup(s.close)
        s.sendall(b'{"HelloFromWorker":{"worker_name":"w"}}' + b'}')
        self.assertTrue(read_until_closed(s).startswith(b'"WelcomeWorker"{"AuthChallenge":'))
        self.assert_still_serving()

    def test_oversized_message_refused_early(self):
        # Not an IssueJob: an oversized one is read, dropped and refused
        # with RejectJob (test_job_size).
        c = self.srv.client(auth=True)
        c.sock.sendall(b'{"ShowJob":{"pad":"')
        sent = 0
        try:
            while sent < 64 << 20:
                c.sock.sendall(b"x" * 65536)
                sent += 65536
        except OSError:
            pass
        # Closed soon after the 16 MiB limit (plus what socket buffers hold).
        self.assertLessEqual(sent, 48 << 20)
        self.srv.process.wait_for("message larger than 16777216 bytes")
        self.assert_still_serving()

    def test_bug27_silent_connection_neither_blocks_nor_survives_shutdown(self):
        silent = raw(self.srv.port)
        self.addCleanup(silent.close)
        worker = FakeWorker(self.srv.port, test=self)
        client = self.srv.client()
        self.assertEqual(len(request(client, C2S.ListWorkers()).value), 1)
        self.assertEqual(self.srv.stop(signal.SIGINT), 0)
        self.assertEqual(worker.conn.sock.recv(100), b'"Bye"')
        self.assertEqual(client.sock.recv(100), b'"Bye"')
        self.assertEqual(silent.recv(100), b"")

    def test_sigterm_says_bye_and_exits_0(self):
        client = self.srv.client()
        self.assertEqual(self.srv.stop(signal.SIGTERM), 0)
        self.assertEqual(read_until_closed(client.sock), b'"Bye"')

    def test_peer_that_stops_reading_only_stalls_itself(self):
        c = self.srv.client(auth=True)
        for _ in range(300):
            issue(c, cmd=["x" * 1000])
        hog = raw(self.srv.port)
        self.addCleanup(hog.close)
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request_bytes = kp.encode(C2S.ListJobs(num_jobs=1000))
        hog.sendall(b'"HelloFromClient"')
        try:
            hog.settimeout(2)
            for _ in range(20000):  # asks for ~6 GB of answers, reads none
                hog.sendall(request_bytes)
        except (socket.timeout, OSError):
            pass
        # Everyone else is served at once ...
        t0 = time.time()
        self.assertEqual(len(request(c, C2S.ListJobs(num_jobs=5)).job_infos), 5)
        self.assertLess(time.time() - t0, 2)
        # ... and the server's memory stays bounded.
        with open("/proc/%d/status" % self.srv.process.proc.pid) as fh:
            rss_kb = int([l for l in fh if l.startswith("VmRSS")][0].split()[1])
        self.assertLess(rss_kb, 200 * 1024)


class LogForging(unittest.TestCase):
    """Issue 12.6: strings from peers (no authentication needed) reach the
    log escaped, one line per event, so they cannot forge lines."""

    FORGED = "2024-01-30T12:34:56.123Z ERROR [kueue_server] forged"

    def setUp(self):
        self.srv = Server(self)

    def log_lines(self):
        return self.srv.log().split("\n")

    def assert_not_forged(self):
        for line in self.log_lines():
            self.assertNotIn("\x1b", line)
            self.assertFalse(line.startswith(self.FORGED[:24] + " ERROR") and "forged" in line,
                             self.srv.log())

    def test_worker_name(self):
        name = "x\n" + self.FORGED
        FakeWorker(self.srv.port, name, test=self)
        line = self.srv.process.wait_for(r".*Worker \"x\\n.*connected from.*").group(0)
        self.assertIn('Worker "x\\n%s" (id ' % self.FORGED, line)
        self.assert_not_forged()

    def test_resource_key(self):
        s = raw(self.srv.port)
        self.addCleanup(s.close)
        s.sendall(b'"HelloFromClient"')
        self.assertEqual(s.recv(100), b'"WelcomeClient"')
        job = kp.encode(C2S.IssueJob(kp.JobInfo(
            cmd=["true"], cwd="/tmp", worker_resources=kp.Resources(1, 1, 1),
            status=kp.JobStatus.Pending(kp.Timestamp.now())))).decode()
        # Not a number: the decoder's error names the key in its path.
        key = "lic\x1b[2J\n" + self.FORGED
        job = job.replace('"global_resources":null',
                          '"global_resources":{%s:"x"}' % json.dumps(key))
        s.sendall(job.encode())
        read_until_closed(s)
        line = self.srv.process.wait_for(r".*global_resources\.lic.*").group(0)
        self.assertIn("global_resources.lic\\x1b[2J\\n" + self.FORGED + ": expected", line)
        self.assert_not_forged()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as fh:
        return int([l for l in fh if l.startswith("VmRSS")][0].split()[1])


def send_until_closed(s, data, limit):
    """Sends data repeatedly until the peer closes or limit bytes went."""
    sent = 0
    try:
        while sent < limit:
            s.sendall(data)
            sent += len(data)
    except OSError:
        pass


def is_closed(s, timeout=10):
    """Whether the server closed s (reading what it sent before)."""
    s.settimeout(timeout)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


class Unauthenticated(unittest.TestCase):
    """Issue 12.3: what a peer without the secret can make the server hold
    is bounded."""

    def test_message_bound_before_authentication(self):
        srv = Server(self)
        base = rss_kb(srv.process.proc.pid)
        # Before: each of these held its 2 MiB (up to 16 MiB) for good.
        hogs = []
        for i in range(40):
            s = raw(srv.port)
            self.addCleanup(s.close)
            hello = b'"HelloFromClient"' if i % 2 else b'{"HelloFromWorker":{"worker_name":"w"}}'
            s.sendall(hello + b'{"AuthResponse":"')
            send_until_closed(s, b"x" * 65536, 2 << 20)
            hogs.append(s)
        for s in hogs:
            self.assertTrue(is_closed(s))
        srv.process.wait_for("message larger than 65536 bytes")
        self.assertLess(rss_kb(srv.process.proc.pid) - base, 16 * 1024)
        # Once authenticated, a peer may send big messages.
        c = srv.client(auth=True)
        reply = request(c, C2S.IssueJob(kqtest.new_job(cmd=["x" * 60000] * 20)))
        self.assertIsInstance(reply, S2C.AcceptJob)
        w = FakeWorker(srv.port, test=self)
        job = w.start_next()
        w.finish(job, stdout="y" * (1 << 20))
        wait_until(lambda: request(c, C2S.ShowJob(job.job_id)).stdout_text,
                   what="the job's output")
        # Read-only requests need no authentication.
        self.assertEqual(request(srv.client(), C2S.ListWorkers()).value[0].worker_name, "node1")

    def test_message_that_never_completes(self):
        srv = Server(self, server_settings={"message_timeout_seconds": 1})
        for start in (b'"HelloFromClient"{"ShowJob":', b'{"HelloFrom'):
            s = raw(srv.port)
            self.addCleanup(s.close)
            s.sendall(start)
            # Before: open until the hello timeout, or for good after it.
            self.assertTrue(is_closed(s))
        srv.process.wait_for("no whole message within 1 s")
        # A message sent slowly but whole within the time is fine.
        c = srv.client()
        for b in kp.encode(C2S.ListWorkers()):
            c.sock.sendall(bytes([b]))
        self.assertEqual(c.recv(S2C), S2C.WorkerList([]))

    def test_peer_that_reads_nothing_is_dropped(self):
        srv = Server(self, server_settings={"unread_output_timeout_seconds": 1})
        c = srv.client(auth=True)
        for _ in range(100):
            issue(c, cmd=["x" * 1000])
        hog = socket.socket()
        self.addCleanup(hog.close)
        hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.connect(("127.0.0.1", srv.port))
        hog.sendall(b'"HelloFromClient"' + kp.encode(C2S.ListJobs(num_jobs=100)) * 50)
        # Before: the answers (5 MB) stayed queued for as long as it lived.
        srv.process.wait_for("read none of its messages for 1 s")
        self.assertTrue(is_closed(hog))
        # A client that reads slowly is not dropped.
        self.assertEqual(len(request(c, C2S.ListJobs(num_jobs=100)).job_infos), 100)

    def test_memory_of_all_connections_is_bounded(self):
        srv = Server(self, server_settings={"connection_memory_max_mb": 24})
        c = srv.client(auth=True)
        for _ in range(300):
            issue(c, cmd=["x" * 1000])
        ask = kp.encode(C2S.ListJobs(num_jobs=300)) * 40  # 15 MB of answers each

        def hog(auth):
            s = socket.socket()
            self.addCleanup(s.close)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", srv.port))
            if auth:
                conn = kp.Connection.__new__(kp.Connection)
                conn.sock, conn.framer, conn.pending = s, kp.Framer(), []
                conn.level = kp.EXTENSION_LEVEL
                conn.hello_client()
                conn.authenticate(srv.secret)
            else:
                s.sendall(b'"HelloFromClient"')
            s.sendall(ask)
            return s
        trusted = hog(True)
        hogs = [hog(False) for _ in range(6)]
        # Before: all of them held their answers (100 MB) as long as they
        # lived.  Now the unauthenticated ones are closed first.
        wait_until(lambda: srv.log().count("unauthenticated, its buffers hold") >= 3,
                   what=lambda: "unauthenticated hogs to be closed:\n" + srv.log()[-3000:])
        self.assertLess(rss_kb(srv.process.proc.pid), 200 * 1024)
        self.assertNotIn("Closing connection to %s:%d" % trusted.getsockname(), srv.log())
        self.assertIn("over connection_memory_max_mb = 24", srv.log())
        for s in hogs:
            s.close()
        # Everyone else is still served.
        self.assertEqual(len(request(c, C2S.ListJobs(num_jobs=5)).job_infos), 5)


class Limits(unittest.TestCase):
    def test_descriptor_exhaustion_refuses_cleanly_and_recovers(self):
        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))

        def popen(*a, **kw):
            return subprocess.Popen(*a, preexec_fn=low_limit, **kw)
        srv = Server(self, popen=popen)
        conns = []
        for _ in range(60):
            s = raw(srv.port)
            self.addCleanup(s.close)
            s.sendall(b'"HelloFromClient"')
            conns.append(s)
        served = 0
        for s in conns:
            try:
                s.settimeout(2)
                if s.recv(100) == b'"WelcomeClient"':
                    served += 1
            except OSError:
                pass
        self.assertGreater(served, 20)
        self.assertLess(served, 60)
        self.assertIn("Too many open files: refusing new connections", srv.log())
        for s in conns:
            s.close()
        # Once the descriptors are free again, new clients are served.
        wait_until(lambda: self.try_list_workers(srv), what="a client to be served again")

    @staticmethod
    def try_list_workers(srv):
        try:
            c = kp.Connection("127.0.0.1", srv.port, timeout=2)
        except OSError:
            return False
        try:
            c.hello_client()
            return request(c, C2S.ListWorkers()) == S2C.WorkerList([])
        except (OSError, kp.ProtocolError):
            return False
        finally:
            c.sock.close()

    def test_secret_never_logged(self):
        srv = Server(self, common_settings={"log_level": "trace"})
        c = srv.client(auth=True)
        issue(c)
        FakeWorker(srv.port, test=self).run_next()
        bad = srv.client()
        request(bad, C2S.AuthResponse("nope"))
        srv.stop()
        self.assertNotIn(SECRET, srv.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
