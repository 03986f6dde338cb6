"""kueue_worker with the real kueue_server (KQ_SERVER): jobs issued by a
client run on the worker and their results reach the client; a job
removed with kill ends with its whole process group."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2C, Process, Server, issue, request, write_config

JS = kp.JobStatus


class EndToEnd(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)
        self.dir = tempfile.mkdtemp(prefix="kq-e2e-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        config = os.path.join(self.dir, "worker.toml")
        write_config(config, {
            "common_settings": {"shared_secret": self.srv.secret,
                                "server_name": "127.0.0.1",
                                "server_port": self.srv.port, "log_level": "debug"},
            "worker_settings": {"worker_name": "e2e", "worker_max_parallel_jobs": 2,
                                "dynamic_check_free_resources": False,
                                "kill_grace_seconds": 0.5}})
        self.worker = Process(self, [os.environ["KQ_WORKER"], "-c", config],
                              os.path.join(self.dir, "worker.log"))
        self.addCleanup(self.worker.finish)
        self.worker.wait_for("Established connection")
        self.c = self.srv.client(auth=True)

    def show(self, job_id):
        reply = request(self.c, C2S.ShowJob(job_id=job_id))
        self.assertIsInstance(reply, S2C.JobInfo, reply)
        return reply

    def wait_for(self, job_id, kinds, timeout=15):
        """ShowJob until the status is one of kinds and, once the job has
        ended, its results arrived."""
        deadline = time.time() + timeout
        while True:
            reply = self.show(job_id)
            st = reply.job_info.status
            if isinstance(st, kinds):
                return reply
            if time.time() > deadline:
                self.fail("job %d is still %r\n%s" % (job_id, st, self.worker.text()))
            time.sleep(0.05)

    def test_jobs_run_on_the_worker(self):
        hello = issue(self.c, cmd=["sh", "-c", "echo hello; echo oops >&2"], cwd=self.dir, cpus=0)
        failing = issue(self.c, cmd=["sh", "-c", "exit 3"], cwd=self.dir, cpus=0)
        missing = issue(self.c, cmd=["kq-no-such-program"], cwd=self.dir, cpus=0)
        to_file = issue(self.c, cmd=["pwd"], cwd=self.dir, cpus=0, stdout="pwd.txt")
        many = [issue(self.c, cmd=["true"], cwd=self.dir, cpus=0) for _ in range(20)]
        reply = self.wait_for(hello, JS.Finished)
        st = reply.job_info.status
        self.assertEqual((st.return_code, st.worker, st.comment), (0, "e2e", "Job finished orderly."))
        # Results follow the status on the same connection.
        reply = self.show(hello)
        self.assertEqual((reply.stdout_text, reply.stderr_text), ("hello\n", "oops\n"))
        self.assertEqual(self.wait_for(failing, JS.Finished).job_info.status.return_code, 3)
        st = self.wait_for(missing, JS.Finished).job_info.status
        self.assertEqual((st.return_code, st.comment),
                         (-43, "Failed to start job: No such file or directory (os error 2)"))
        self.wait_for(to_file, JS.Finished)
        path = os.path.join(self.dir, "pwd.txt")
        self.assertEqual(self.show(to_file).stdout_text, "Redirected to " + path)
        with open(path) as fh:
            self.assertEqual(fh.read().strip(), os.path.realpath(self.dir))
        for job in many:
            self.assertEqual(self.wait_for(job, JS.Finished).job_info.status.return_code, 0)
        # Every slot is free again.
        deadline = time.time() + 5
        while True:
            workers = request(self.c, C2S.ListWorkers()).value
            self.assertEqual([w.worker_name for w in workers], ["e2e"])
            if workers[0].free_resources.job_slots == 2 or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(workers[0].free_resources.job_slots, 2)
        self.assertEqual(list(workers[0].jobs_running), [])

    def test_remove_with_kill(self):
        mark = "%d.%06d" % (800 + os.getpid() % 90, int(time.time() * 1e6) % 1000000)
        job = issue(self.c, cmd=["sh", "-c", "sleep %s & sleep %s; true" % (mark, mark)],
                    cwd=self.dir, cpus=0)
        self.wait_for(job, JS.Running)
        deadline = time.time() + 5
        pgrep = ["pgrep", "-f", "sleep " + mark]
        while subprocess.run(pgrep, capture_output=True).returncode != 0 and time.time() < deadline:
            time.sleep(0.05)
        request(self.c, C2S.RemoveJob(job_id=job, kill=True))
        self.worker.wait_for("Job %d ended: return code -46" % job)
        self.assertIsInstance(self.show(job).job_info.status, JS.Canceled)
        deadline = time.time() + 3
        while True:
            left = [int(p) for p in subprocess.run(pgrep, capture_output=True,
                                                   text=True).stdout.split()]
            if not left or time.time() > deadline:
                break
            time.sleep(0.05)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        self.assertEqual(left, [])


class ServerRestart(unittest.TestCase):
    def test_job_survives_a_server_restart(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        self.dir = tempfile.mkdtemp(prefix="kq-e2e-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        state = os.path.join(self.dir, "state.sqlite3")
        sections = {"common_settings": {"server_port": port},
                    "server_settings": {"state_file": state}}
        srv = Server(self, **sections)
        config = os.path.join(self.dir, "worker.toml")
        write_config(config, {
            "common_settings": {"shared_secret": srv.secret, "server_name": "127.0.0.1",
                                "server_port": port, "log_level": "debug"},
            "worker_settings": {"worker_name": "e2e", "dynamic_check_free_resources": False,
                                "reconnect_max_seconds": 1}})
        worker = Process(self, [os.environ["KQ_WORKER"], "-c", config],
                         os.path.join(self.dir, "worker.log"))
        self.addCleanup(worker.finish)
        worker.wait_for("Established connection")
        c = srv.client(auth=True)
        job = issue(c, cmd=["sh", "-c", "sleep 3; echo survived"], cwd=self.dir, cpus=0)
        worker.wait_for("Started job %d" % job)
        c.sock.close()
        self.assertEqual(srv.stop(), 0)
        srv = Server(self, **sections)
        worker.wait_for("Job %d is still running here" % job)
        c = srv.client()
        deadline = time.time() + 10
        while True:
            reply = request(c, C2S.ShowJob(job_id=job))
            if isinstance(reply.job_info.status, JS.Finished) and reply.stdout_text:
                break
            self.assertLess(time.time(), deadline, reply)
            time.sleep(0.05)
        self.assertEqual(reply.job_info.status.return_code, 0)
        self.assertEqual(reply.stdout_text, "survived\n")
        self.assertEqual(worker.text().count("Started job %d" % job), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
