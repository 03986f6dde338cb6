"""Allocation queues with a real Slurm (issue 18): Debian's slurmctld,
slurmd and munge, started here as a one-node cluster (this machine, 2
CPUs) whose state is in a temporary folder, and stopped in all cases with
every process they started.  Needs root (the daemons run as root, munged
as the munge user); skipped otherwise.  When a daemon cannot start, the
test fails with its log.

  * 50 short jobs through a queue of at most 2 workers: Slurm jobs run
    kueue_worker, every job finishes, the workers exit when idle and the
    Slurm jobs end;
  * a job longer than what is left of an allocation is not given to its
    worker;
  * scancel of an allocation mid-job gives its job back, and it runs again;
  * sbatch failing (a partition that does not exist) is reported and stops
    the queue after --max-failures;
  * a server restarted mid-way keeps its queues and knows its workers.
"""

import glob
import os
import re
import time
import unittest

import kueue_protocol as kp
from kqtest import Server, check_sanitizers, free_port, wait_until
from slurm_cluster import Cluster, kill_orphans, missing_packages
from test_client_harness import Client

JS = kp.JobStatus


class Slurm(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: it starts munged (as the munge user), "
                                    "slurmctld and slurmd on this machine")
        missing = missing_packages()
        if missing:
            raise AssertionError("Slurm is not installed: apt-get install %s (tools/kq-test.sh "
                                 "installs it)" % " ".join(missing))
        kill_orphans()
        cls.cluster = Cluster(cls.addClassCleanup)

    def setUp(self):
        self.addCleanup(self.cluster.cancel_all)

    def server(self):
        """A server that submits to the cluster, and a client (whose
        configuration the workers read)."""
        srv = Server(self, env=self.cluster.env,
                     common_settings={"server_port": free_port(), "log_level": "debug"})
        cli = Client(self, srv)
        # Cleanups run last first: the allocations end (their workers write
        # the last of their logs), the logs are checked, then the server
        # stops.
        self.addCleanup(self.check_worker_logs, srv)
        self.addCleanup(self.cluster.cancel_all)
        return srv, cli

    def check_worker_logs(self, srv):
        for path in glob.glob(os.path.join(srv.dir, "alloc-logs", "*.out")):
            with open(path, "rb") as fh:
                check_sanitizers(fh.read().decode("utf-8", "replace"), path)

    def add_queue(self, cli, *options, sbatch=()):
        return int(cli.ok("alloc", "add", "slurm", "--worker-program", os.environ["KQ_WORKER"],
                          *options, "--", *sbatch))

    def events(self, cli, queue=1):
        return cli.ok("alloc", "events", str(queue))

    def wait_event(self, cli, pattern, timeout=60, queue=1):
        return wait_until(lambda: re.search(pattern, self.events(cli, queue)), timeout=timeout,
                          interval=0.25,
                          what=lambda: "%r in the events:\n%s\n%s" % (
                              pattern, self.events(cli, queue), self.cluster.logs()))

    def job(self, cli, job_id):
        return cli.json("show-job", str(job_id)).job_info

    def test_fifty_jobs_through_two_workers(self):
        srv, cli = self.server()
        self.add_queue(cli, "--max-workers", "2", "--time-limit", "5m", "--idle-exit", "3s",
                       sbatch=["--mem=400"])
        lines = "".join("sh -c 'echo %d'\n" % i for i in range(50))
        ids = [int(x) for x in cli.ok("batch", input=lines).split()]
        seen = set()

        def all_done():
            self.assertLessEqual(len(self.cluster.jobs()), 2)  # never more than the max
            seen.update(self.cluster.jobs())
            return all(isinstance(j.status, JS.Finished) for j in cli.jobs())
        wait_until(all_done, timeout=120, interval=0.25, what="every job to finish")
        jobs = cli.jobs()
        self.assertEqual(sorted(j.job_id for j in jobs), ids)
        self.assertTrue(all(j.status.return_code == 0 for j in jobs))
        # They ran on the allocations' workers (named HOST-SLURMJOBID).
        workers = {j.status.worker for j in jobs}
        self.assertTrue(workers <= {"%s-%d" % (self.cluster.host, i) for i in seen}, workers)
        self.assertIn("started: Slurm job", self.events(cli))
        # Idle, the workers exit and their Slurm jobs end.
        wait_until(lambda: not self.cluster.jobs(), timeout=60, what="the Slurm jobs to end")
        self.wait_event(cli, r"ended: Slurm job \d+ COMPLETED")
        wait_until(lambda: "no allocations" in cli.ok("alloc", "list"), timeout=30,
                   what="no allocations")
        self.assertNotIn("failed", self.events(cli))

    def test_job_longer_than_what_is_left_is_not_given(self):
        srv, cli = self.server()
        self.add_queue(cli, "--time-limit", "3m", "--idle-exit", "30s")
        first = int(cli.ok("cmd", "sleep", "1"))
        wait_until(lambda: isinstance(self.job(cli, first).status, JS.Finished), timeout=60,
                   what="the first job")
        worker = self.job(cli, first).status.worker
        # The worker has less than 2m50s left (3m, less what it ran and its
        # end margin); no new allocation could take such a job either.
        long_job = int(cli.ok("cmd", "--time-limit", "2m50s", "true"))
        short_job = int(cli.ok("cmd", "--time-limit", "30s", "true"))
        wait_until(lambda: isinstance(self.job(cli, short_job).status, JS.Finished),
                   timeout=30, what="the short job")
        self.assertEqual(self.job(cli, short_job).status.worker, worker)
        time.sleep(3)
        self.assertIsInstance(self.job(cli, long_job).status, JS.Pending)
        self.assertEqual(len(re.findall("submitted: Slurm job", self.events(cli))), 1)
        self.assertIn("takes jobs for: ", cli.ok("show-worker", "0"))
        cli.ok("remove-job", str(long_job))

    def test_scancel_mid_job_gives_the_job_back(self):
        srv, cli = self.server()
        self.add_queue(cli, "--time-limit", "5m", "--idle-exit", "5s")
        job_id = int(cli.ok("cmd", "--retries", "1", "sleep", "6"))
        running = wait_until(lambda: self.job(cli, job_id), timeout=60, interval=0.1,
                             until=lambda j: isinstance(j.status, JS.Running),
                             what="the job to run")
        first = running.status.worker
        slurm_id = first.rsplit("-", 1)[1]
        self.cluster.run(["scancel", slurm_id])
        again = wait_until(lambda: self.job(cli, job_id), timeout=90, interval=0.25,
                           until=lambda j: isinstance(j.status, JS.Finished),
                           what="the job to run again and finish")
        self.assertEqual(again.status.return_code, 0)
        self.assertNotEqual(again.status.worker, first)
        self.assertRegex(again.note, r'^Requeued .*: worker "%s" shut down \(SIGTERM\)$'
                         % re.escape(first))
        self.assertIsNone(again.workflow.attempts)  # given back, not a failed attempt
        self.wait_event(cli, r"allocation 1  ended: Slurm job %s CANCELLED" % slurm_id)

    def test_failing_sbatch_stops_the_queue(self):
        srv, cli = self.server()
        self.add_queue(cli, "--time-limit", "5m", "--max-failures", "2",
                       sbatch=["--partition=nosuch"])
        cli.ok("cmd", "true")
        self.wait_event(cli, r"queue  stopped: stopped submitting after 2 failures in a row")
        self.assertEqual(len(re.findall(r"submit-failed: sbatch failed: sbatch: error: invalid "
                                        r"partition specified: nosuch \(exit status 1\)",
                                        self.events(cli))), 2)
        self.assertIn("STOPPED", cli.ok("alloc", "list"))
        self.assertEqual(self.cluster.jobs(), {})

    def test_server_restarted_keeps_queues_and_knows_its_workers(self):
        srv, cli = self.server()
        self.add_queue(cli, "--max-workers", "2", "--time-limit", "5m", "--idle-exit", "5s",
                       sbatch=["--mem=400"])
        ids = [int(cli.ok("cmd", "sleep", "4")) for _ in range(6)]
        wait_until(lambda: sum(isinstance(j.status, JS.Running) for j in cli.jobs()) == 2,
                   timeout=60, interval=0.25, what="two jobs running")
        self.assertEqual(srv.restart(), 0)
        self.assertIn("1 allocation queue(s) in the state file", srv.log())
        # The workers come back and are known as the allocations'.
        workers = wait_until(lambda: cli.json("list-workers").value, timeout=30,
                             until=lambda ws: len(ws) == 2 and all(w.allocation for w in ws),
                             what="both workers back")
        self.assertTrue(all(re.match(r"queue 1, allocation \d \(Slurm job \d+\)$", w.allocation)
                            for w in workers))
        wait_until(lambda: all(isinstance(j.status, JS.Finished) for j in cli.jobs()),
                   timeout=120, interval=0.25, what="every job to finish")
        self.assertEqual(sorted(j.job_id for j in cli.jobs()), ids)
        wait_until(lambda: not self.cluster.jobs(), timeout=60, what="the Slurm jobs to end")
        self.wait_event(cli, r"ended: Slurm job \d+ COMPLETED")


if __name__ == "__main__":
    unittest.main(verbosity=2)
