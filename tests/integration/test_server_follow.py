"""Live output on the server (issue 15), with hand-written workers and
clients: what the server keeps of a running job's output (OutputChunk),
what followers get (FollowJob: JobUpdated, JobOutput) from the first line
to the end, what it ignores, slow followers, and what original peers see
(an original worker sends nothing and its output comes at the end; an
original client never gets a JobOutput)."""

import socket
import time
import unittest

from kqtest import (C2S, S2C, S2W, W2S, FakeWorker, Server, issue, request, wait_until)
import kueue_protocol as kp

JS = kp.JobStatus
LIMIT = 1 << 20


def follow(srv, job, out=True, err=False):
    c = srv.client()
    c.send(C2S.FollowJob(job_id=job, want_stdout=out, want_stderr=err))
    return c


def recv(c, timeout=10):
    c.sock.settimeout(timeout)
    return c.recv(S2C)


def output(c, timeout=10):
    m = recv(c, timeout)
    assert isinstance(m, S2C.JobOutput), m
    return m


def status(c, kind, timeout=10):
    """The next message: a JobUpdated whose status is kind."""
    m = recv(c, timeout)
    assert isinstance(m, S2C.JobUpdated) and isinstance(m.value.status, kind), m
    return m.value


def piece(chunk):
    return None if chunk is None else (chunk.offset, chunk.text)


def watch_messages(w, n):
    """Waits until the fake worker has had n WatchOutput messages; returns
    them as (job_id, watched)."""
    while len(w.watched) < n:
        w.conn.sock.settimeout(10)
        m = w.conn.recv(S2W)
        assert isinstance(m, S2W.WatchOutput), m
        w.watched.append((m.job_id, m.watched))
    return w.watched


class Follow(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)
        self.c = self.srv.client(auth=True)

    def worker(self, name="node1", level=1, **kw):
        return FakeWorker(self.srv.port, name, test=self, level=level,
                          output_limit=LIMIT if level else None, **kw)

    def test_unknown_job(self):
        f = follow(self.srv, 99)
        reply = recv(f)
        self.assertEqual((reply.success, reply.text), (False, "Job not found!"))
        # The session goes on.
        self.assertIsInstance(request(f, C2S.ListWorkers()), S2C.WorkerList)

    def test_from_pending_to_the_end(self):
        job = issue(self.c)
        f = follow(self.srv, job, out=True, err=True)
        status(f, JS.Pending)
        first = output(f)
        self.assertEqual((first.stdout_chunk, first.stderr_chunk, first.live, first.done),
                         (None, None, False, False))
        w = self.worker()
        running = w.start_next()
        status(f, JS.Offered)
        status(f, JS.Running)
        self.assertEqual((output(f).live), True)
        w.output(job, stdout=(0, "line 1\n"))
        m = output(f)
        self.assertEqual((piece(m.stdout_chunk), m.stderr_chunk, m.live, m.done),
                         ((0, "line 1\n"), None, True, False))
        w.output(job, stdout=(7, "line 2\n"), stderr=(0, "warn\n"))
        m = output(f)
        self.assertEqual((piece(m.stdout_chunk), piece(m.stderr_chunk)),
                         ((7, "line 2\n"), (0, "warn\n")))
        # The final output: the followers get what they did not have.
        w.finish(running, 0, stdout="line 1\nline 2\nline 3\n", stderr="warn\n")
        status(f, JS.Finished)
        m = output(f)
        self.assertEqual((piece(m.stdout_chunk), m.stderr_chunk, m.done),
                         ((14, "line 3\n"), None, True))
        self.assertTrue(self.nothing_for(f, 0.5))

    def nothing_for(self, conn, seconds):
        conn.sock.settimeout(seconds)
        try:
            conn.recv(S2C)
        except socket.timeout:
            return True
        return False

    def test_held_output_and_show_job(self):
        job = issue(self.c)
        w = self.worker()
        w.start_next()
        w.output(job, stdout=(0, "a\nb\n"), stderr=(0, "e1\n"))
        w.output(job, stdout=(4, "c\n"))
        # show-job of a running job: the output so far.
        shown = wait_until(lambda: request(self.c, C2S.ShowJob(job_id=job)),
                           lambda r: r.stdout_text == "a\nb\nc\n", what="the output so far")
        self.assertEqual(shown.stderr_text, "e1\n")
        f = follow(self.srv, job)
        status(f, JS.Running)
        m = output(f)
        self.assertEqual((piece(m.stdout_chunk), m.stderr_chunk, m.live), ((0, "a\nb\nc\n"), None, True))
        # Pieces that repeat or skip: only what is new goes on, a gap as it is.
        w.output(job, stdout=(0, "a\nb\nc\nd\n"))
        self.assertEqual(piece(output(f).stdout_chunk), (6, "d\n"))
        w.output(job, stdout=(100, "z\n"))
        self.assertEqual(piece(output(f).stdout_chunk), (100, "z\n"))

    def test_finished_job(self):
        job = issue(self.c)
        w = self.worker()
        w.finish(w.start_next(), 3, stdout="out\n", stderr="err\n")
        wait_until(lambda: request(self.c, C2S.ShowJob(job_id=job)).stdout_text, what="the results")
        f = follow(self.srv, job, out=True, err=True)
        self.assertEqual(status(f, JS.Finished).status.return_code, 3)
        m = output(f)
        self.assertEqual((piece(m.stdout_chunk), piece(m.stderr_chunk), m.done),
                         ((0, "out\n"), (0, "err\n"), True))

    def test_original_worker(self):
        job = issue(self.c)
        f = follow(self.srv, job)
        status(f, JS.Pending)
        output(f)
        w = self.worker(level=0)
        running = w.start_next()
        status(f, JS.Offered)
        status(f, JS.Running)
        self.assertFalse(output(f).live)
        w.finish(running, 0, stdout="all of it\n")
        status(f, JS.Finished)
        m = output(f)
        self.assertEqual((piece(m.stdout_chunk), m.done), ((0, "all of it\n"), True))

    def test_canceled_while_followed(self):
        job = issue(self.c)
        w = self.worker()
        running = w.start_next()
        w.output(job, stdout=(0, "working\n"))
        f = follow(self.srv, job)
        status(f, JS.Running)
        output(f)
        r = request(self.c, C2S.RemoveJob(job_id=job, kill=True))
        self.assertTrue(r.success, r)
        status(f, JS.Canceled)
        m = output(f)
        self.assertEqual((m.stdout_chunk, m.done), (None, True))
        self.assertIsInstance(w.recv(), S2W.KillJob)
        # Output on its way while the kill travels: quietly dropped.
        w.output(job, stdout=(8, "more\n"))
        w.finish(running, -46)
        self.assertIsInstance(w.recv(), S2W.ReportStored)
        self.assertTrue(self.nothing_for(f, 0.3))
        self.assertNotIn("sent output of job %d" % job, self.srv.log())

    def test_ignored_chunks_keep_the_connection(self):
        job = issue(self.c)
        w = self.worker("node1")
        running = w.start_next()
        other = self.worker("node2")
        f = follow(self.srv, job)
        status(f, JS.Running)
        output(f)
        other.output(job, stdout=(0, "not mine\n"))
        other.output(12345, stdout=(0, "nobody's\n"))
        self.srv.process.wait_for(r'Worker "node2" sent output of job %d, which does not run '
                                  r'there; ignored' % job)
        # Past the limit: 3 bytes of text per byte (repaired) and the note.
        w.output(job, stdout=(3 * LIMIT, "x" * 200))
        self.srv.process.wait_for(r'Worker "node1" sent output of job %d, past its output '
                                  r'limit; ignored' % job)
        self.assertTrue(self.nothing_for(f, 0.3))
        # Both connections go on.
        w.output(job, stdout=(0, "mine\n"))
        self.assertEqual(piece(output(f).stdout_chunk), (0, "mine\n"))
        w.finish(running, stdout="mine\n")
        status(f, JS.Finished)
        self.assertTrue(output(f).done)
        other.keepalive()
        workers = request(self.c, C2S.ListWorkers()).value
        self.assertEqual(sorted(x.worker_name for x in workers), ["node1", "node2"])

    def test_new_run_starts_over(self):
        job = issue(self.c)
        w = self.worker("node1")
        w.start_next()
        w.output(job, stdout=(0, "first run\n"))
        f = follow(self.srv, job)
        status(f, JS.Running)
        self.assertEqual(piece(output(f).stdout_chunk), (0, "first run\n"))
        w.send(W2S.RequeueJob(job_id=job, reason="worker \"node1\" shut down (SIGTERM)"))
        status(f, JS.Pending)
        w.conn.sock.close()
        w2 = self.worker("node2")
        w2.start_next()
        status(f, JS.Offered)
        second = status(f, JS.Running)
        self.assertEqual(second.status.worker, "node2")
        self.assertTrue(output(f).live)
        w2.output(job, stdout=(0, "second run\n"))
        self.assertEqual(piece(output(f).stdout_chunk), (0, "second run\n"))

    def test_worker_told_who_follows(self):
        # Followed, then not: the worker is told (it sends a job nobody
        # follows less often, and only what the server keeps).
        job = issue(self.c)
        w = self.worker()
        w.start_next()
        self.assertEqual(w.watched, [])
        f = follow(self.srv, job)
        second = follow(self.srv, job)
        self.assertEqual(watch_messages(w, 1), [(job, True)])
        for c in (f, second):
            status(c, JS.Running)
            output(c)
        f.sock.close()
        self.assertTrue(w.nothing_for(0.3))
        second.sock.close()
        self.assertEqual(watch_messages(w, 2), [(job, True), (job, False)])
        # A job followed while it waits: told as it starts.
        waiting = issue(self.c)
        f = follow(self.srv, waiting)
        w.resources(1, 8, 8000)
        w.start_next()
        self.assertEqual(w.watched[2:], [(waiting, True)])
        # The original worker is never told (it would close the connection).
        old = self.worker("old", level=0)
        third = issue(self.c)
        follow(self.srv, third)
        old.start_next()
        self.assertTrue(old.nothing_for(0.3))

    def test_an_original_client_never_sees_output(self):
        job = issue(self.c)
        w = self.worker()
        running = w.start_next()
        observer = kp.Connection("127.0.0.1", self.srv.port, timeout=10, level=0)
        self.addCleanup(observer.sock.close)
        observer.hello_client()
        self.assertIsInstance(request(observer, C2S.ObserveJob(job_id=job)), S2C.JobUpdated)
        w.output(job, stdout=(0, "x\n"))
        w.finish(running, stdout="x\n")
        # Decoded as the original does: a JobOutput would fail here.
        self.assertIsInstance(observer.recv(S2C).value.status, JS.Finished)
        self.assertEqual(request(observer, C2S.ShowJob(job_id=job)).stdout_text, "x\n")


class SlowFollower(unittest.TestCase):
    def test_final_output_whole_however_slow(self):
        # The final output is all there: a follower gets all of it, in
        # pieces as it reads, whatever its speed.
        srv = Server(self)
        c = srv.client(auth=True)
        job = issue(c)
        f = follow(srv, job)
        status(f, JS.Pending)
        output(f)
        w = FakeWorker(srv.port, "node1", test=self, level=1, output_limit=8 << 20)
        running = w.start_next()
        final = "".join("%07d %s\n" % (i, "\u00e9" * 30) for i in range(50000))
        w.finish(running, 0, stdout=final)
        self.assertIsInstance(w.recv(), S2W.ReportStored)
        time.sleep(0.5)  # unread meanwhile
        got, pieces = "", 0
        status(f, JS.Offered)
        status(f, JS.Running)
        self.assertTrue(output(f).live)
        status(f, JS.Finished)
        while True:
            m = output(f)
            if m.stdout_chunk:
                self.assertEqual(m.stdout_chunk.offset, len(got.encode()))
                got += m.stdout_chunk.text
                pieces += 1
            if m.done:
                break
        self.assertEqual(got, final)
        self.assertGreater(pieces, 4)


    def test_slow_follower_holds_up_nobody(self):
        srv = Server(self)
        c = srv.client(auth=True)
        job = issue(c)
        w = FakeWorker(srv.port, "node1", test=self, level=1, output_limit=64 << 20)
        running = w.start_next()
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", srv.port))
        self.addCleanup(slow.close)
        slow.sendall(kp.encode(kp.HelloMessage.HelloFromClient()) +
                     kp.encode(C2S.FollowJob(job_id=job, want_stdout=True, want_stderr=False)))
        conn = kp.Connection.__new__(kp.Connection)
        conn.sock, conn.framer, conn.pending, conn.level = slow, kp.Framer(), [], kp.EXTENSION_LEVEL
        self.assertIsInstance(recv(conn), S2C.WelcomeClient)
        status(conn, JS.Running)
        self.assertEqual(output(conn).stdout_chunk, None)
        # 16 MiB of lines, none of them read by the follower meanwhile.
        line = "%07d " + "x" * 56 + "\n"
        offset, n = 0, 0
        for k in range(256):
            text = "".join(line % (n + i) for i in range(1024))
            n += 1024
            w.output(job, stdout=(offset, text))
            offset += len(text)
        # The server went on serving everyone else meanwhile.
        self.assertIsInstance(request(c, C2S.ListJobs(num_jobs=5, pending=False, offered=False,
                                                      running=True, succeeded=False, failed=False,
                                                      canceled=False)), S2C.JobList)
        w.output(job, stdout=(offset, "last line\n"))
        offset += len("last line\n")
        # Now the follower reads: positions only grow, and once it caught
        # up with its queue it gets what the server still holds, the rest
        # skipped (a gap), up to the last line.
        pos, got, gaps = 0, 0, 0
        while pos < offset:
            m = output(conn)
            self.assertGreaterEqual(m.stdout_chunk.offset, pos)
            gaps += m.stdout_chunk.offset > pos
            pos = m.stdout_chunk.offset + len(m.stdout_chunk.text.encode())
            got += len(m.stdout_chunk.text)
        self.assertEqual(pos, offset)
        self.assertGreater(gaps, 0)
        self.assertLess(got, offset // 2)
        w.finish(running, stdout="the final output\n")
        self.assertIsInstance(w.recv(), S2W.ReportStored)
        status(conn, JS.Finished)
        self.assertTrue(output(conn).done)
        self.assertNotIn("Closing connection", srv.log())


if __name__ == "__main__":
    unittest.main()
