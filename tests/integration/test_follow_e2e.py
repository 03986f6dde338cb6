"""kueue follow / kueue log (issue 15) on the real stack: kueue_server,
kueue_worker and kueue on loopback.  A job's output reaches the follower
while the job runs, from the first line to the end, byte for byte as its
final output; each case of the issue: an unknown id, a pending job, a
finished job, a job killed while followed, a server that goes away, an
original worker (no live output: the output at the end), an original
server, a redirected stream; --lines, --stderr, --both, log without -f,
and show-job of a running job."""

import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import (C2S, S2C, FakeWorker, Server, Worker, check_sanitizers, request,
                    wait_until)
from test_client_harness import KUEUE, Client, client_env
from test_extensions import original_client_server

JS = kp.JobStatus


class Follower:
    """A `kueue follow ...` (or log) process whose stdout is read as it
    comes, as bytes."""

    def __init__(self, test, cli, *args):
        self.proc = subprocess.Popen([KUEUE, "-c", cli.config] + list(args),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=client_env(), cwd=cli.dir)
        test.addCleanup(lambda: self.proc.poll() is None and (self.proc.kill(), self.proc.wait()))
        self.out = b""

    def read(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if r:
            data = os.read(self.proc.stdout.fileno(), 65536)
            self.out += data
            return bool(data)
        return False

    def wait_out(self, text, timeout=10):
        """Waits until stdout holds text (bytes)."""
        deadline = time.monotonic() + timeout
        while text not in self.out:
            if time.monotonic() > deadline or (not self.read(0.1) and self.proc.poll() is not None
                                               and text not in self.out):
                raise AssertionError("no %r in %r" % (text, self.out))
        return self.out

    def finish(self, timeout=30):
        """(exit code, all of stdout, stderr as text) once it ended."""
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out
        err = err.decode("utf-8", "replace")
        check_sanitizers(err, "kueue follow")
        return self.proc.returncode, self.out, err


class FollowE2E(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-follow-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.srv = Server(self)
        self.worker = Worker(self, self.srv.port, directory=self.dir, worker_name="wk",
                             dynamic_check_free_resources=False, worker_max_parallel_jobs=1)
        self.cli = Client(self, self.srv, cpus=0, ram=10)
        wait_until(lambda: self.cli.json("list-workers").value, what="the worker")
        self.steps = 0

    def wait(self, n):
        """Shell code that waits until go() was called n times."""
        return "until [ -e %s ]; do sleep 0.01; done" % os.path.join(self.dir, "go%d" % n)

    def go(self):
        self.steps += 1
        open(os.path.join(self.dir, "go%d" % self.steps), "w").close()

    def submit(self, script, *opts):
        return int(self.cli.ok("cmd", *opts, "sh", "-c", script))

    def shown(self, job):
        return self.cli.json("show-job", str(job))

    def test_first_line_to_the_end(self):
        # Lines while the job waits, a character cut in two by a pause, an
        # invalid byte: the follower has each line before the job goes on,
        # and in the end exactly the job's final output.
        job = self.submit("echo line 1; %s; echo line 2; printf 'caf\\303'; %s; "
                          "printf '\\251 \\377 end\\n'; exit 7" % (self.wait(1), self.wait(2)))
        f = Follower(self, self.cli, "follow", str(job))
        f.wait_out(b"line 1\n")
        self.go()
        f.wait_out(b"line 2\ncaf")
        self.assertNotIn(b"\xc3", f.out)  # the half character waits for the rest
        self.go()
        code, out, err = f.finish()
        self.assertEqual(code, 7, err)
        self.assertEqual(out, "line 1\nline 2\ncaf\u00e9 \ufffd end\n".encode())
        self.assertEqual(out.decode(), self.shown(job).stdout_text)
        self.assertEqual(err, "")

    def test_lines_stderr_both(self):
        job = self.submit("for i in $(seq 1 30); do echo out $i; echo err $i >&2; done; %s"
                          % self.wait(1))
        wait_until(lambda: self.shown(job).stdout_text, lambda t: t and "out 30\n" in t,
                   what="the output so far")
        # show-job of a running job: its output so far.
        self.assertIn("out 30\n", self.cli.ok("show-job", str(job)))
        # log without -f: the last lines, now, and the job goes on.
        r = self.cli.run("log", "-n", "3", str(job))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "out 28\nout 29\nout 30\n", ""))
        r = self.cli.run("log", "--stderr", "-n", "2", str(job))
        self.assertEqual(r.stdout, "err 29\nerr 30\n")
        self.assertEqual(self.cli.run("log", "-n", "0", str(job)).stdout, "")
        self.assertEqual(self.cli.run("log", str(job)).stdout,
                         "".join("out %d\n" % i for i in range(11, 31)))
        both = Follower(self, self.cli, "log", "-f", "--both", "--lines", "1", str(job))
        both.wait_out(b"[stdout] out 30\n")
        both.wait_out(b"[stderr] err 30\n")
        self.go()
        code, out, err = both.finish()
        self.assertEqual((code, sorted(out.decode().splitlines()), err),
                         (0, ["[stderr] err 30", "[stdout] out 30"], ""))

    def test_unknown_job(self):
        r = self.cli.run("follow", "99")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", "Error: Job not found!\n"))
        self.assertEqual(self.cli.run("log", "99").returncode, 1)

    def test_pending_job_is_waited_for(self):
        blocker = self.submit(self.wait(1))
        job = self.submit("echo started; exit 0")
        f = Follower(self, self.cli, "follow", str(job))
        # The worker has one slot: the job waits for the blocker.
        self.assertFalse(f.read(0.5))
        self.go()
        code, out, err = f.finish()
        self.assertEqual((code, out), (0, b"started\n"))
        self.assertEqual(err, "kueue: job %d is waiting to start\nkueue: job %d started on wk\n"
                         % (job, job))
        self.assertEqual(self.cli.run("wait-job", str(blocker)).returncode, 0)

    def test_finished_job(self):
        job = self.submit("seq 1 100; exit 4")
        self.assertEqual(self.cli.run("wait-job", str(job)).returncode, 4)
        code, out, err = Follower(self, self.cli, "follow", "-n", "2", str(job)).finish()
        self.assertEqual((code, out, err), (4, b"99\n100\n", ""))

    def test_killed_while_followed(self):
        job = self.submit("echo working; %s" % self.wait(1))
        f = Follower(self, self.cli, "follow", str(job))
        f.wait_out(b"working\n")
        self.cli.ok("remove-job", "-k", str(job))
        code, out, err = f.finish()
        self.assertEqual((code, out), (1, b"working\n"))
        self.assertEqual(err, "kueue: job %d was canceled while it ran: its worker kills it\n"
                              "Error: Job %d was canceled\n" % (job, job))

    def test_server_goes_away(self):
        job = self.submit("echo working; %s" % self.wait(1))
        f = Follower(self, self.cli, "follow", str(job))
        f.wait_out(b"working\n")
        self.srv.stop()
        code, out, err = f.finish()
        self.assertEqual(code, 1)
        self.assertRegex(err, r"^Error: following job %d: the server (is shutting down \(it said "
                              r"Bye\)|closed the connection)\n$" % job)
        self.go()

    def test_redirected_stdout(self):
        job = self.submit("echo to-file; echo to-stderr >&2", "-o", "out.log")
        self.assertEqual(self.cli.run("wait-job", str(job)).returncode, 0)
        code, out, err = Follower(self, self.cli, "follow", "--both", str(job)).finish()
        self.assertEqual((code, out), (0, b"[stderr] to-stderr\n"))
        self.assertEqual(err, "kueue: job %d writes its stdout to the file %s/out.log on wk "
                              "(not captured: follow that file there)\n" % (job, self.cli.dir))


class OriginalPeers(unittest.TestCase):
    def test_original_worker(self):
        """An original worker sends no live output: follow says so once,
        waits, and prints the output when the job ends."""
        srv = Server(self)
        cli = Client(self, srv)
        c = srv.client(auth=True)
        w = FakeWorker(srv.port, "old", test=self)  # level 0: the original
        job = int(cli.ok("cmd", "-c", "1", "-r", "100", "true"))
        running = w.start_next()
        f = Follower(self, cli, "follow", str(job))
        self.assertFalse(f.read(0.5))
        w.finish(running, 0, stdout="".join("line %d\n" % i for i in range(30)))
        code, out, err = f.finish()
        # All of it: it was all written after the follow began.
        self.assertEqual((code, out.decode()), (0, request(c, C2S.ShowJob(job_id=job)).stdout_text))
        self.assertEqual(err, "kueue: live output needs a Kueue-C worker: old does not send it "
                              "(an original worker?); the output comes when job %d ends\n" % job)

    def test_original_server(self):
        cli = Client(self, port=original_client_server(self))
        r = cli.run("follow", "1")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "Error: this server does not support follow (an original "
                                 "Kueue server?)\n"))


if __name__ == "__main__":
    unittest.main()
