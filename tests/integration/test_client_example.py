"""tools/kueue_client_example.py, the Python client built on the generated
module, against a real kueue_server with a FakeWorker running the jobs."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import kqtest
from test_client_harness import Client, finished, spawn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
EXAMPLE = os.path.join(ROOT, "tools", "kueue_client_example.py")


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


class Installed(unittest.TestCase):
    def test_installed_example_finds_its_module(self):
        """`cmake --install` puts the example in bin/kueue-py and the module
        in share/kueue/python; run from there (through a symbolic link too,
        and without PYTHONPATH) it works against a real server."""
        build = os.path.dirname(os.path.realpath(os.environ["KQ_CLIENT"]))
        while not os.path.exists(os.path.join(build, "CMakeCache.txt")):
            parent = os.path.dirname(build)
            self.assertNotEqual(parent, build, "no build directory")
            build = parent
        prefix = tempfile.mkdtemp(prefix="kq-install-")
        self.addCleanup(shutil.rmtree, prefix, True)
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        program = os.path.join(prefix, "bin", "kueue-py")
        self.assertTrue(os.access(program, os.X_OK))
        with open(program) as fh:
            self.assertEqual(fh.readline(), "#!/usr/bin/env python3\n")
        with open(os.path.join(prefix, "share", "kueue", "python", "kueue_protocol.py")) as a, \
                open(os.path.join(ROOT, "generated", "python", "kueue_protocol.py")) as b:
            self.assertEqual(a.read(), b.read())
        link = os.path.join(prefix, "elsewhere", "kp")
        os.mkdir(os.path.dirname(link))
        os.symlink(program, link)

        srv = kqtest.Server(self)
        cli = Client(self, srv)
        worker = kqtest.FakeWorker(srv.port, "node1", srv.secret, test=self)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        proc = spawn(self, [program, "-c", cli.config, "run", "--", "sh", "-c", "exit 3"],
                     cwd=prefix, env=env)
        worker.run_next(3)
        self.assertEqual(finished(self, proc),
                         (3, "job 0 issued\njob 0 finished with code 3\n", ""))
        proc = spawn(self, [link, "-c", cli.config, "list"], cwd=prefix, env=env)
        self.assertEqual(finished(self, proc), (0, "0\tfailed(3)\tsh -c exit 3\n", ""))


if __name__ == "__main__":
    unittest.main()
