"""tools/kueue_client_example.py, the Python client built on the generated
module, against a real kueue_server with a FakeWorker running the jobs."""

import os
import subprocess
import sys
import unittest

import kqtest
from test_client_harness import Client, finished, spawn

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                       "tools", "kueue_client_example.py")


class Example(unittest.TestCase):
    def setUp(self):
        self.srv = kqtest.Server(self)
        self.cli = Client(self, self.srv)  # writes a kueue config for the server

    def example(self, *args):
        return spawn(self, [sys.executable, EXAMPLE, "-c", self.cli.config] + list(args),
                     cwd=self.cli.dir)

    def finished(self, proc):
        return finished(self, proc)

    def test_run_submit_wait_list(self):
        worker = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)
        proc = self.example("run", "--", "sh", "-c", "exit 4")
        worker.run_next(4)
        self.assertEqual(self.finished(proc),
                         (4, "job 0 issued\njob 0 finished with code 4\n", ""))

        self.assertEqual(self.finished(self.example("submit", "--cpus", "1", "true")),
                         (0, "job 1 issued\n", ""))
        proc = self.example("wait", "1")
        worker.run_next(0)
        self.assertEqual(self.finished(proc), (0, "job 1 finished with code 0\n", ""))

        self.assertEqual(self.finished(self.example("list")),
                         (0, "0\tfailed(4)\tsh -c exit 4\n1\tsucceeded\ttrue\n", ""))
        # What the example issued is what kueue itself would have issued.
        job = self.cli.json("show-job", "1").job_info
        self.assertEqual((job.cwd, job.worker_resources.cpus, job.worker_resources.ram_mb),
                         (os.path.realpath(self.cli.dir), 1, 100))

    def test_wrong_secret(self):
        bad = Client(self, self.srv, secret="wrong")
        proc = subprocess.run([sys.executable, EXAMPLE, "-c", bad.config, "submit", "true"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual((proc.returncode, proc.stderr), (1, "Error: authentication failed\n"))


if __name__ == "__main__":
    unittest.main()
