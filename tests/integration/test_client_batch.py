"""`kueue batch`: one job per line over one pipelined connection."""

import os
import time
import unittest

import kqtest
from test_client_harness import KUEUE, Client, finished


class Batch(unittest.TestCase):
    def setUp(self):
        self.srv = kqtest.Server(self, global_resources={"genus": 3})
        self.cli = Client(self, self.srv)

    def write(self, text, name="jobs.txt", mode="w"):
        path = os.path.join(self.cli.dir, name)
        with open(path, mode) as fh:
            fh.write(text)
        return path

    def test_thousand_lines_fast(self):
        lines = ["echo %d" % i for i in range(1000)]
        path = self.write("# a comment\n\n" + "\n".join(lines[:500]) + "\n   \n"
                          + "\n".join(lines[500:]) + "\n")
        start = time.monotonic()
        out = self.cli.queued("batch", path)
        elapsed = time.monotonic() - start
        print("batch of 1000 jobs: %.3f s" % elapsed)
        self.assertEqual(out, "".join("%d\n" % i for i in range(1000)))
        # Well under a second on loopback; generous for sanitizer builds.
        self.assertLess(elapsed, 5.0)
        jobs = self.cli.jobs()
        self.assertEqual([j.job_id for j in jobs], list(range(1000)))
        self.assertEqual([j.cmd for j in jobs], [["sh", "-c", line] for line in lines])
        self.assertEqual({j.cwd for j in jobs}, {os.path.realpath(self.cli.dir)})

    def test_stdin_options_and_crlf(self):
        out = self.cli.queued("batch", "-c", "2", "-r", "50", "--resource", "genus",
                          "-o", "out.log", input="ls -l | wc -l\r\ntrue\n")
        self.assertEqual(out, "0\n1\n")
        self.assertEqual(self.cli.queued("batch", "-", input="false", first=2), "2\n")
        jobs = self.cli.jobs()
        self.assertEqual([j.cmd for j in jobs], [["sh", "-c", "ls -l | wc -l"],
                                                 ["sh", "-c", "true"], ["sh", "-c", "false"]])
        for j in jobs[:2]:
            self.assertEqual((j.worker_resources.job_slots, j.worker_resources.cpus,
                              j.worker_resources.ram_mb), (1, 2, 50))
            self.assertEqual(j.global_resources, {"genus": 1})
            self.assertEqual(j.stdout_path, "out.log")
        self.assertEqual((jobs[2].worker_resources.cpus, jobs[2].global_resources), (1, None))
        self.assertEqual(self.cli.ok("batch", input="\n# nothing\n"), "")

    def test_wait_for_all(self):
        worker = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)
        proc = self.cli.popen("batch", "--wait", self.write("true\nexit 2\ntrue\n"))
        codes = {0: 0, 1: 2, 2: 0}
        for _ in range(3):
            job = worker.start_next()
            worker.finish(job, codes[job.job_id])
        code, out, err = finished(self, proc)
        self.assertEqual((code, out), (1, "0\n1\n2\n"))
        self.assertEqual(err, "Job 1 (line 2) failed with code 2\nError: 1 of 3 jobs were "
                              "rejected, failed or were canceled\n")

        proc = self.cli.popen("batch", "-w", self.write("true\ntrue\n"))
        worker.run_next(0)
        worker.run_next(0)
        self.assertEqual(finished(self, proc), (0, "3\n4\n", ""))

    def test_errors(self):
        r = self.cli.run("batch", "-j", "1000", self.write("true\nfalse\n"))
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        reason = ("Job rejected by server: Job requires more slots than the server will "
                  "allow at once! See global_max_parallel_jobs setting in config.")
        self.assertEqual(r.stderr, "Error: line 1: %s\nError: line 2: %s\nError: 2 of 2 "
                                   "jobs were rejected, failed or were canceled\n"
                                   % (reason, reason))
        missing = os.path.join(self.cli.dir, "missing.txt")
        self.assertEqual(self.cli.fails(1, "batch", missing),
                         "Error: cannot open %s: No such file or directory\n" % missing)
        bad = self.write(b"true\n\xff\n", name="bad.txt", mode="wb")
        self.assertEqual(self.cli.fails(1, "batch", bad),
                         "Error: line 2 of %s is not valid UTF-8 text\n" % bad)
        self.assertEqual(self.cli.fails(1, "batch", "--resource", "a=b=c", "-",
                                        input="true\n"),
                         "Error: Failed to parse resource: a=b=c\n")
        self.assertEqual(self.cli.jobs(), [])


if __name__ == "__main__":
    assert KUEUE, "KQ_CLIENT is not set"
    unittest.main()
