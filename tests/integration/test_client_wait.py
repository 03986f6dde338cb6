"""Waiting for jobs: `cmd --wait` and `wait-job` follow the job through the
server (a FakeWorker runs it) and exit with its return code; canceled and
killed jobs exit 1 with a message; codes outside 0..255 exit 1."""

import unittest

import kqtest
import kueue_protocol as kp
from kqtest import wait_until
from test_client_harness import KUEUE, S2C, Client, finished


class Wait(unittest.TestCase):
    def setUp(self):
        self.srv = kqtest.Server(self)
        self.cli = Client(self, self.srv)
        self.worker = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)

    def finished(self, proc):
        return finished(self, proc)

    def test_cmd_wait_exits_with_the_return_code(self):
        for code in (0, 3, 255):
            proc = self.cli.popen("cmd", "--wait", "sh", "-c", "exit %d" % code)
            job_id = self.worker.run_next(code)
            self.assertEqual(self.finished(proc), (code, "%d\n" % code, ""))
            job = self.cli.json("show-job", str(job_id)).job_info
            self.assertEqual(job.cmd, ["sh", "-c", "exit %d" % code])

    def test_negative_codes_exit_1_with_the_reason(self):
        proc = self.cli.popen("cmd", "-w", "./missing")
        job_id = self.worker.run_next(-44)
        self.assertEqual(self.finished(proc),
                         (1, "-44\n", "Error: Job %d failed with code -44: Job finished "
                                      "orderly.\n" % job_id))

    def test_cmd_wait_json(self):
        proc = self.cli.popen("cmd", "--json", "--wait", "false")
        self.worker.run_next(1)
        code, out, err = self.finished(proc)
        self.assertEqual((code, err), (1, ""))
        msg = kp.decode(S2C, out)
        self.assertIsInstance(msg, S2C.JobUpdated)
        self.assertIsInstance(msg.value.status, kp.JobStatus.Finished)
        self.assertEqual(msg.value.status.return_code, 1)
        self.assertEqual(msg.value.cmd, ["false"])

    def test_cancel_while_waiting_exits_1(self):
        self.worker.resources(0, 0, 0)  # nothing fits: the job stays pending
        proc = self.cli.popen("cmd", "--wait", "sleep", "1000")
        wait_until(lambda: self.cli.jobs(), what="the job")
        self.assertEqual(self.cli.ok("remove-job", "0"), "Canceled job ID=0!\n")
        # Why it waits, on stderr (the worker reported no free CPUs while
        # running nothing).
        self.assertEqual(self.finished(proc), (1, "", "Job 0 waits: worker node1: CPUs taken "
                                                      "by other load\nError: Job 0 was canceled\n"))

    def test_kill_while_waiting_exits_1(self):
        proc = self.cli.popen("cmd", "--wait", "sleep", "1000")
        self.worker.start_next()  # a fake worker: nothing really runs
        self.assertEqual(self.cli.ok("remove-job", "-k", "0"), "Canceled job ID=0!\n")
        kill = self.worker.recv()
        self.assertIsInstance(kill, kqtest.S2W.KillJob)
        self.worker.send(kqtest.W2S.UpdateJobStatus(kill.value))
        self.worker.send(kqtest.W2S.UpdateJobResults(job_id=0, stdout_text=None,
                                                     stderr_text=None))
        self.assertEqual(self.finished(proc), (1, "", "Error: Job 0 was canceled\n"))

    def test_wait_job(self):
        self.assertEqual(self.cli.ok("cmd", "true"), "0\n")
        proc = self.cli.popen("wait-job", "0")
        self.worker.run_next(7)
        self.assertEqual(self.finished(proc), (7, "", ""))
        # A job that has already ended: answered at once.
        self.assertEqual(self.cli.fails(7, "wait-job", "0"), "")
        msg = kp.decode(S2C, self.cli.run("wait-job", "--json", "0").stdout)
        self.assertEqual(msg.value.status.return_code, 7)
        self.assertEqual(self.cli.fails(1, "wait-job", "9"), "Error: Job not found!\n")


class RealWorker(unittest.TestCase):
    """The same with the real kueue_worker running the jobs."""

    def setUp(self):
        self.srv = kqtest.Server(self)
        self.cli = Client(self, self.srv)
        self.worker = kqtest.Worker(self, self.srv.port, worker_name="real",
                                    dynamic_check_free_resources=False,
                                    system_update_interval_seconds=1)
        wait_until(lambda: self.cli.json("list-workers").value, what="the worker")

    def test_cmd_wait_and_batch(self):
        r = self.cli.run("cmd", "--wait", "sh", "-c", "echo out; exit 3", timeout=60)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (3, "3\n", ""))
        self.assertEqual(self.cli.json("show-job", "0").stdout_text, "out\n")
        r = self.cli.run("batch", "--wait", input="true\nexit 4\ntrue\n", timeout=60)
        self.assertEqual((r.returncode, r.stdout), (1, "1\n2\n3\n"))
        self.assertEqual(r.stderr, "Job 2 (line 2) failed with code 4\nError: 1 of 3 jobs "
                                   "were rejected, failed or were canceled\n")


if __name__ == "__main__":
    assert KUEUE, "KQ_CLIENT is not set"
    unittest.main()
