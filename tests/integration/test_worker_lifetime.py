"""kueue_worker with an end (issue 18): --lifetime, Slurm's end (its
variable, or squeue) and what it granted, offers checked against what is
left, the lifetime and the allocation told to the server, the idle exit,
and a signal that reaches a job and the worker at once (Slurm's scancel)
giving the job back."""

import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import S2W, W2S, FakeServer, Worker, sleep_marker, wait_pids

JS = kp.JobStatus
PERIODIC = (W2S.UpdateSystemInfo, W2S.UpdateResources)
SETTINGS = {"worker_name": "w1", "worker_max_parallel_jobs": 4,
            "dynamic_check_free_resources": False, "system_update_interval_seconds": 60,
            "kill_grace_seconds": 0.5, "reconnect_max_seconds": 1}


class LifetimeTest(unittest.TestCase):
    """A worker started with args and environment variables env, connected
    to a Kueue-C-like FakeServer."""

    def start(self, args=(), env=None, level=1):
        self.dir = tempfile.mkdtemp(prefix="kq-worker-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.srv = FakeServer(self, level=level, state_id="3f9c0e1d2b4a5968")
        self.worker = Worker(self, self.srv.port, directory=self.dir, args=args,
                             env=dict(os.environ, **(env or {})), **SETTINGS)
        self.conn = self.srv.accept()
        self.info = self.recv()
        self.assertIsInstance(self.info, W2S.UpdateSystemInfo)
        self.resources = self.recv()
        self.assertIsInstance(self.resources, W2S.UpdateResources)
        self.next_id = 1

    def recv(self, timeout=10, skip_periodic=False):
        self.conn.sock.settimeout(timeout)
        while True:
            m = self.conn.recv(W2S)
            if not (skip_periodic and isinstance(m, PERIODIC)):
                return m

    def job(self, cmd=("true",), limit=None):
        now = kp.Timestamp.now()
        job = kp.JobInfo(job_id=self.next_id, cmd=list(cmd), cwd=self.dir,
                         worker_resources=kp.Resources(1, 0, 10), global_resources=None,
                         status=JS.Offered(issued=now, offered=now, worker="w1"),
                         stdout_path=None, stderr_path=None,
                         workflow=kp.Workflow(priority=0, time_limit_seconds=limit)
                         if limit else None)
        self.next_id += 1
        return job

    def offer(self, job):
        self.conn.send(S2W.OfferJob(job))
        return self.recv(skip_periodic=True)

    def start_job(self, job):
        self.assertIsInstance(self.offer(job), W2S.AcceptJobOffer)
        job.status = JS.Running(issued=job.status.issued, started=kp.Timestamp.now(),
                                worker="w1")
        self.conn.send(S2W.ConfirmJobOffer(job))
        return job


class Lifetime(LifetimeTest):
    def test_reported_and_offers_checked(self):
        self.start(["--lifetime", "10m", "--margin", "9m"],
                   env={"KUEUE_ALLOCATION": "kq1.2-3f9c0e1d"})
        self.assertEqual(self.conn.hello.allocation, "kq1.2-3f9c0e1d")
        self.assertEqual(self.conn.worker_name, "w1")
        life = self.info.value.lifetime
        # 10m less the kill grace (rounded up) and 10 s for the report.
        self.assertIn(life.seconds_left, (588, 589))
        self.assertEqual(life.no_limit_seconds_left, life.seconds_left - 540)
        self.worker.wait_for(r"Lifetime: ends [-0-9: ]+ \(--lifetime\), takes jobs that end by "
                             r"then less 11s, jobs without a time limit while more than 9m is "
                             r"left; allocation kq1.2-3f9c0e1d")
        answer = self.offer(self.job(limit=3600))
        self.assertIsInstance(answer, W2S.RejectJobOffer)
        self.worker.wait_for(r"Rejecting job 1: its time limit 1h does not fit in the 9m4[89]s "
                             r"this worker has left")
        self.assertIsInstance(self.offer(self.job(limit=300)), W2S.AcceptJobOffer)
        self.assertIsInstance(self.offer(self.job()), W2S.AcceptJobOffer)
        self.assertEqual(self.worker.stop(), 0)

    def test_no_margin_left_for_jobs_without_a_limit(self):
        self.start(["--lifetime", "2m"])
        # A quarter of 2m: jobs without a limit while more than 30s is left.
        self.assertEqual(self.info.value.lifetime.no_limit_seconds_left,
                         self.info.value.lifetime.seconds_left - 30)
        self.assertIsInstance(self.offer(self.job()), W2S.AcceptJobOffer)
        self.assertEqual(self.worker.stop(), 0)
        self.start(["--lifetime", "40s", "--margin", "30s"])
        self.assertEqual(self.info.value.lifetime.no_limit_seconds_left, 0)
        self.assertIsInstance(self.offer(self.job()), W2S.RejectJobOffer)
        self.assertIsInstance(self.offer(self.job(limit=20)), W2S.AcceptJobOffer)
        self.assertIsInstance(self.offer(self.job(limit=40)), W2S.RejectJobOffer)
        self.assertEqual(self.worker.stop(), 0)

    def test_original_server_hears_nothing_new(self):
        # Level 0: the reports have the original's fields only (the hello's
        # extension fields, as its level, are ignored by the original);
        # its offers have no time limit, and are still checked.
        self.start(["--lifetime", "1m", "--margin", "1m"],
                   env={"KUEUE_ALLOCATION": "kq1.1-3f9c0e1d"}, level=0)
        self.assertIsNone(self.info.value.lifetime)
        self.assertIsInstance(self.offer(self.job()), W2S.RejectJobOffer)
        self.assertEqual(self.worker.stop(), 0)

    def test_bad_options(self):
        for args, why in ((["--lifetime", "0s"], "invalid value '0s' for '--lifetime "
                                                 "<DURATION>': "),
                          (["--idle-exit", "soon"], "invalid value 'soon' for '--idle-exit "
                                                    "<DURATION>'")):
            r = subprocess.run([os.environ["KQ_WORKER"]] + args, capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, r)
            self.assertIn("error: " + why, r.stderr)


class InsideSlurm(LifetimeTest):
    def test_granted_resources_and_end(self):
        end = int(time.time()) + 3600
        self.start(env={"SLURM_JOB_ID": "4711", "SLURM_CPUS_ON_NODE": "3",
                        "SLURM_MEM_PER_NODE": "1500", "SLURM_JOB_END_TIME": str(end),
                        "KUEUE_ALLOCATION": "kq1.7-3f9c0e1d"})
        res = self.resources.value
        self.assertEqual((res.cpus, res.ram_mb), (3, 1500))
        # In an allocation, workers are named for their host and job.
        self.assertEqual(self.conn.worker_name, "%s-4711" % socket.gethostname().split(".")[0])
        self.assertLessEqual(abs(self.info.value.lifetime.seconds_left - (3600 - 11)), 2)
        self.worker.wait_for(r"\(SLURM_JOB_END_TIME\).*Slurm job 4711 granted 3 CPUs 1500 MiB")
        self.assertEqual(self.worker.stop(), 0)

    def test_end_from_squeue(self):
        # Slurm 22.05 sets no SLURM_JOB_END_TIME: squeue says it, in epoch
        # seconds when asked with SLURM_TIME_FORMAT=%s.
        bindir = tempfile.mkdtemp(prefix="kq-squeue-")
        self.addCleanup(shutil.rmtree, bindir, True)
        end = int(time.time()) + 1800
        with open(os.path.join(bindir, "squeue"), "w") as fh:
            fh.write('#!/bin/sh\n[ "$SLURM_TIME_FORMAT" = %%s ] && [ "$*" = "-h -j 4711 -o %%e" ] '
                     '&& echo %d && exit 0\necho "$SLURM_TIME_FORMAT $*" >&2; exit 1\n' % end)
        os.chmod(os.path.join(bindir, "squeue"), stat.S_IRWXU)
        self.start(["--lifetime", "2h", "--name", "n1"],
                   env={"SLURM_JOB_ID": "4711", "SLURM_TIME_FORMAT": "standard",
                        "PATH": bindir + ":" + os.environ["PATH"]})
        self.assertEqual(self.conn.worker_name, "n1")
        self.assertLessEqual(abs(self.info.value.lifetime.seconds_left - (1800 - 11)), 2)
        self.worker.wait_for(r"\(squeue\)")
        self.assertEqual(self.worker.stop(), 0)
        # squeue failing: --lifetime it is, with a warning.
        os.unlink(os.path.join(bindir, "squeue"))
        self.start(["--lifetime", "2h"], env={"SLURM_JOB_ID": "4712", "PATH": bindir})
        self.worker.wait_for(r"Cannot learn when Slurm job 4712 ends \(cannot run squeue: No "
                             r"such file or directory\); going by --lifetime")
        self.assertLessEqual(abs(self.info.value.lifetime.seconds_left - (7200 - 11)), 2)
        self.assertEqual(self.worker.stop(), 0)


class IdleExit(LifetimeTest):
    def test_exits_once_idle(self):
        self.start(["--idle-exit", "2s"])
        job = self.start_job(self.job(["sleep", "3"]))
        time.sleep(2.5)
        self.assertIsNone(self.worker.proc.poll())  # busy
        status = self.recv(timeout=10, skip_periodic=True)
        self.assertIsInstance(status, W2S.UpdateJobStatus)
        self.assertEqual(status.value.job_id, job.job_id)
        self.worker.wait_for(r"Exiting: no job for 2s", timeout=10)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.worker.check_clean()


class SignalToAll(LifetimeTest):
    """Slurm's scancel (or a system shutdown) signals every process of the
    job's tree: the job may die before the worker hears its own SIGTERM."""

    def test_job_killed_first_is_given_back(self):
        self.start()
        mark = sleep_marker(self)
        job = self.start_job(self.job(["sleep", mark]))
        (pid,) = wait_pids(mark)
        os.kill(pid, signal.SIGTERM)
        # The worker reaped it and would have reported it failed (-44) by
        # now; it hears of its own SIGTERM after that.
        time.sleep(0.15)
        self.worker.proc.send_signal(signal.SIGTERM)
        back = self.recv(skip_periodic=True)
        self.assertEqual(back, W2S.RequeueJob(job_id=job.job_id,
                                              reason='worker "w1" shut down (SIGTERM)'))
        self.conn.send(S2W.ReportStored(job_id=job.job_id))
        self.assertEqual(self.worker.proc.wait(10), 0)

    def test_job_killed_alone_fails(self):
        self.start()
        mark = sleep_marker(self)
        job = self.start_job(self.job(["sleep", mark]))
        (pid,) = wait_pids(mark)
        os.kill(pid, signal.SIGTERM)
        status = self.recv(skip_periodic=True)
        self.assertIsInstance(status, W2S.UpdateJobStatus)
        self.assertEqual((status.value.job_id, status.value.status.return_code,
                          status.value.status.comment),
                         (job.job_id, -44, "Job killed by signal 15 (SIGTERM)."))
        self.assertEqual(self.worker.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
