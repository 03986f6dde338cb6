"""A job never runs twice after the server could not write its state
(issue 12.2): on a real full disk (a small tmpfs holding the state file),
a real worker finishes a job whose report the server cannot store; the
server stops (cleanly, or killed), the disk is freed, the server starts
again: the job is Finished once and ran once.  Before the worker kept
reports until the server acknowledged them (ReportStored), it forgot this
one a second after TCP acknowledged it, the job was Running again after
the restart, the server said the worker "did not come back", and the job
ran a second time.  Needs root to mount the tmpfs (CI runs as root)."""

import errno
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2W, FakeWorker, Server, Worker, free_port, issue, request, wait_until

JS = kp.JobStatus


def fill(path):
    """Writes path until the file system is full, to the last byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)


@unittest.skipUnless(os.geteuid() == 0,
                     "needs root to mount a small tmpfs as a full disk (CI runs as root)")
class FullDisk(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-full-disk-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.disk = os.path.join(self.dir, "disk")
        os.mkdir(self.disk)
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs",
                                self.disk], capture_output=True, text=True)
        if mount.returncode != 0:
            self.skipTest("cannot mount a tmpfs: %s" % mount.stderr.strip())
        # Cleanups run last first: the processes stop before this.
        self.addCleanup(subprocess.run, ["umount", "-l", self.disk], check=False)
        self.srv = Server(self, common_settings={"server_port": free_port()},
                          server_settings={"state_file": os.path.join(self.disk, "state.sqlite3"),
                                           "worker_timeout_seconds": 3,
                                           "maintenance_interval_seconds": 1})
        self.runs = os.path.join(self.dir, "runs")  # outside the tmpfs
        self.go = os.path.join(self.dir, "go")

    def show(self, job):
        return request(self.srv.client(), C2S.ShowJob(job_id=job))

    def run_case(self, stop_signal):
        self.worker = Worker(self, self.srv.port, worker_name="vm", reconnect_max_seconds=1,
                             system_update_interval_seconds=1,
                             dynamic_check_free_resources=False)
        c = self.srv.client(auth=True)
        # 64 KiB of output: a report that needs new pages of the journal
        # (a write into a page the file already has succeeds on a full tmpfs).
        job = issue(c, cmd=["sh", "-c", "while [ ! -e %s ]; do sleep 0.05; done; echo run >> %s; "
                            "head -c 65536 /dev/zero | tr '\\0' x" % (self.go, self.runs)],
                    cwd=self.dir)
        wait_until(lambda: self.show(job).job_info.status, lambda s: isinstance(s, JS.Running),
                   what="job %d running" % job)
        filler = os.path.join(self.disk, "filler")
        fill(filler)
        open(self.go, "w").close()
        self.worker.wait_for("Job %d ended: return code 0" % job)
        self.srv.process.wait_for("Cannot store the state")
        # An original server's TCP acknowledged the report at once: past
        # this second the worker used to forget it.
        time.sleep(1.5)
        self.srv.stop(stop_signal)
        self.worker.wait_for("Lost connection to server")
        os.unlink(filler)
        self.srv.start_again()
        wait_until(lambda: self.show(job).job_info.status, lambda s: isinstance(s, JS.Finished),
                   timeout=15, what=lambda: "job %d finished\n%s" % (job, self.srv.log()))
        self.check_ran_once(job)
        self.srv.process.wait_for('Worker "vm" took back job %d' % job)
        # The record the restart made of the worker is forgotten past the
        # worker timeout (3 s): had the worker not claimed the job, it
        # would have gone back to the queue then.
        self.srv.process.wait_for(r'Forgetting the record of worker "vm" \(id 0\)')
        self.check_ran_once(job)
        self.assertNotIn("did not come back", self.srv.log())

    def check_ran_once(self, job):
        status = self.show(job).job_info.status
        with open(self.runs) as fh:
            self.assertEqual(fh.read(), "run\n")  # once
        self.assertIsInstance(status, JS.Finished)
        self.assertEqual(status.return_code, 0)

    def test_acknowledgement_waits_for_the_disk(self):
        # ReportStored leaves only after the turn's commit: not while the
        # state cannot be written, at once when it can again.
        c = self.srv.client(auth=True)
        job = issue(c)
        w = FakeWorker(self.srv.port, "fake", level=1, test=self)
        running = w.start_next()
        filler = os.path.join(self.disk, "filler")
        fill(filler)
        w.finish(running, stdout="x" * 65536)
        self.srv.process.wait_for("Cannot store the state")
        self.assertTrue(w.nothing_for(1.5))
        os.unlink(filler)
        self.assertEqual(w.recv(), S2W.ReportStored(job_id=job))
        self.assertEqual(self.show(job).stdout_text, "x" * 65536)

    def test_clean_stop_with_a_full_disk(self):
        self.run_case(signal.SIGTERM)

    def test_kill_with_a_full_disk(self):
        self.run_case(signal.SIGKILL)


if __name__ == "__main__":
    unittest.main(verbosity=2)
