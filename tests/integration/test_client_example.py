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

    def run_example(self, config, *args):
        return subprocess.run([sys.executable, EXAMPLE, "-c", config] + list(args),
                              capture_output=True, text=True, timeout=30)

    def test_wrong_secret(self):
        bad = Client(self, self.srv, secret="wrong")
        proc = self.run_example(bad.config, "submit", "true")
        self.assertEqual((proc.returncode, proc.stderr),
                         (1, "Error: Authentication failed! The shared_secret in %s must be "
                             "the server's.\n" % bad.config))

    def test_errors_say_what_to_check(self):
        """The same messages as kueue's: the address, the file, the fix."""
        port = kqtest.free_port()
        nobody = Client(self, port=port)
        proc = self.run_example(nobody.config, "list")
        message = ("Error: connect 127.0.0.1:%d: Connection refused: is kueue_server running "
                   "on 127.0.0.1:%d? (server_name/server_port in %s)\n"
                   % (port, port, nobody.config))
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (1, "", message))
        self.assertEqual(nobody.fails(1, "list-jobs"), message)
        missing = os.path.join(nobody.dir, "none.toml")
        proc = self.run_example(missing, "list")
        self.assertEqual((proc.returncode, proc.stderr),
                         (1, "Error: no configuration at %s (copy the server's there, or "
                             "write a new one with: kueue --init -c %s)\n" % (missing, missing)))


if __name__ == "__main__":
    unittest.main()
