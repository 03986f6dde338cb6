"""kueue_server: what a fresh server keeps in memory.

The bound is on the server's own pages (its binary, heap, stacks and other
anonymous memory, from /proc/PID/smaps), not on VmRSS, which also counts
the shared libraries' pages and so depends on the distribution.  Sanitizer
builds keep shadow memory and are not measured."""

import os
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2C, Server, new_job, request

# A fresh server used 3.2 MB of its own once a client had authenticated
# (OpenSSL's random generator drew the salt); about 0.55 MB since.
OWN_LIMIT_KB = 1536


def own_rss_kb(pid, binary):
    """Resident kB of pid's mappings that are anonymous or of binary."""
    total, counted = 0, False
    binary = os.path.realpath(binary)
    with open("/proc/%d/smaps" % pid) as fh:
        for line in fh:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                path = fields[5] if len(fields) > 5 else ""
                counted = not path.startswith("/") or path == binary
            elif fields[0] == "Rss:" and counted:
                total += int(fields[1])
    return total


@unittest.skipIf(os.environ.get("KQ_SANITIZED"), "sanitizers keep shadow memory")
class FreshServer(unittest.TestCase):
    def check_fresh(self, extra_args=()):
        srv = Server(self, extra_args=extra_args)
        c = srv.client(auth=True)
        self.assertIsInstance(request(c, C2S.ListJobs(num_jobs=20)), S2C.JobList)
        own = own_rss_kb(srv.process.proc.pid, os.environ["KQ_SERVER"])
        self.assertLess(own, OWN_LIMIT_KB, "the server's own memory (kB)")

    def test_with_state(self):
        self.check_fresh()

    def test_without_state(self):
        self.check_fresh(["--no-state"])


@unittest.skipIf(os.environ.get("KQ_SANITIZED"), "sanitizers keep shadow memory")
class Environments(unittest.TestCase):
    def test_kept_once(self):
        """3,000 jobs carrying one submitter's 3 KB environment cost about
        what jobs without one cost (bench_server issue --env: 563 against
        561 bytes a job), not 3 KB more each."""
        srv = Server(self, extra_args=["--no-state"])
        c = srv.client(auth=True)
        env = kp.JobEnvironment(["VAR_%02d=%s" % (i, "v" * 90) for i in range(32)], False)
        job = new_job(cpus=1000)
        job.queue_anyway = True
        job.environment = env
        self.assertIsInstance(request(c, C2S.IssueJob(job)), S2C.AcceptJob)
        before = own_rss_kb(srv.process.proc.pid, os.environ["KQ_SERVER"])
        for _ in range(3000):
            c.send(C2S.IssueJob(job))
        for _ in range(3000):
            self.assertIsInstance(c.recv(S2C), S2C.AcceptJob)
        grown = own_rss_kb(srv.process.proc.pid, os.environ["KQ_SERVER"]) - before
        self.assertLess(grown * 1024 / 3000, 1500, "bytes per job")


if __name__ == "__main__":
    unittest.main(verbosity=2)
