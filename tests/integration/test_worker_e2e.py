"""kueue_worker with the real kueue_server (KQ_SERVER): jobs issued by a
client run on the worker and their results reach the client; a job
removed with kill ends with its whole process group."""

import os
import shutil
import tempfile
import unittest

import kueue_protocol as kp
from kqtest import (C2S, S2C, Server, Worker, free_port, issue, request, sleep_marker,
                    wait_gone, wait_pids, wait_until)

JS = kp.JobStatus


class EndToEnd(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)
        self.dir = tempfile.mkdtemp(prefix="kq-e2e-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.worker = Worker(self, self.srv.port, directory=self.dir, worker_name="e2e",
                             worker_max_parallel_jobs=2, dynamic_check_free_resources=False,
                             kill_grace_seconds=0.5)
        self.worker.wait_for("Established connection")
        self.c = self.srv.client(auth=True)

    def show(self, job_id):
        reply = request(self.c, C2S.ShowJob(job_id=job_id))
        self.assertIsInstance(reply, S2C.JobInfo, reply)
        return reply

    def wait_for(self, job_id, kinds, timeout=15):
        """ShowJob until the status is one of kinds and, once the job has
        ended, its results arrived."""
        return wait_until(lambda: self.show(job_id),
                          lambda reply: isinstance(reply.job_info.status, kinds), timeout,
                          lambda: "job %d to be %r\n%s" % (job_id, kinds, self.worker.text()),
                          0.05)

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
                         (-43, "Failed to start job on e2e: kq-no-such-program: not found in "
                               "PATH=" + os.environ["PATH"]))
        self.wait_for(to_file, JS.Finished)
        path = os.path.join(self.dir, "pwd.txt")
        self.assertEqual(self.show(to_file).stdout_text, "Redirected to " + path)
        with open(path) as fh:
            self.assertEqual(fh.read().strip(), os.path.realpath(self.dir))
        for job in many:
            self.assertEqual(self.wait_for(job, JS.Finished).job_info.status.return_code, 0)
        # Every slot is free again.
        workers = wait_until(lambda: request(self.c, C2S.ListWorkers()).value,
                             lambda ws: ws and ws[0].free_resources.job_slots == 2,
                             what="both slots to be free")
        self.assertEqual([w.worker_name for w in workers], ["e2e"])
        self.assertEqual(list(workers[0].jobs_running), [])

    def test_remove_with_kill(self):
        mark = sleep_marker(self)
        job = issue(self.c, cmd=["sh", "-c", "sleep %s & sleep %s; true" % (mark, mark)],
                    cwd=self.dir, cpus=0)
        self.wait_for(job, JS.Running)
        wait_pids(mark, 3)  # the shell and both sleeps
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=job, kill=True)),
                         S2C.RequestResponse(True, "Canceled job ID=%d!" % job))
        self.worker.wait_for("Job %d ended: return code -46" % job)
        self.assertIsInstance(self.show(job).job_info.status, JS.Canceled)
        self.assertEqual(wait_gone(mark), [])


class ServerRestart(unittest.TestCase):
    def test_job_survives_a_server_restart(self):
        # A port of its own in the config: the restarted server is found
        # where the worker expects it.
        port = free_port()
        srv = Server(self, common_settings={"server_port": port})
        self.dir = srv.dir
        worker = Worker(self, port, directory=self.dir, worker_name="e2e",
                        dynamic_check_free_resources=False, reconnect_max_seconds=1)
        worker.wait_for("Established connection")
        c = srv.client(auth=True)
        mark = sleep_marker(self, 3)
        job = issue(c, cmd=["sh", "-c", "sleep %s; echo survived" % mark], cwd=self.dir, cpus=0)
        worker.wait_for("Started job %d" % job)
        c.sock.close()
        self.assertEqual(srv.restart(), 0)
        worker.wait_for("Job %d is still running here" % job)
        c = srv.client()
        reply = wait_until(lambda: request(c, C2S.ShowJob(job_id=job)),
                           lambda r: isinstance(r.job_info.status, JS.Finished)
                           and r.stdout_text, what="the job's results", interval=0.05)
        self.assertEqual(reply.job_info.status.return_code, 0)
        self.assertEqual(reply.stdout_text, "survived\n")
        self.assertEqual(worker.text().count("Started job %d" % job), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
