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
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import Server, check_sanitizers, free_port, wait_until
from test_client_harness import Client

JS = kp.JobStatus
NEEDED = {"slurmctld": "slurmctld", "slurmd": "slurmd", "sbatch": "slurm-client",
          "munged": "munge", "setpriv": "util-linux"}


def proc_environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as fh:
            return fh.read().split(b"\0")
    except OSError:
        return []


def marked_pids(mark):
    """The processes carrying the environment variable mark (bytes
    NAME=VALUE): the daemons, slurmstepd and the jobs of one cluster."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid() and mark in proc_environ(int(name)):
            pids.append(int(name))
    return pids


def kill_orphans():
    """Processes of clusters whose folder is gone (a run killed before its
    cleanup): killed, so that nothing leaks from one run into the next."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        for var in proc_environ(int(name)):
            if var.startswith(b"KQ_SLURM_TEST=") and not os.path.isdir(var[14:]):
                try:
                    os.kill(int(name), signal.SIGKILL)
                except ProcessLookupError:
                    pass


class Cluster:
    """munged, slurmctld and slurmd on this machine."""

    def __init__(self, test):
        self.dir = tempfile.mkdtemp(prefix="kq-slurm-")
        os.chmod(self.dir, 0o755)  # munged's socket must be reachable
        self.procs = []
        self.env = dict(os.environ, KQ_SLURM_TEST=self.dir,
                        SLURM_CONF=os.path.join(self.dir, "slurm.conf"))
        self.mark = b"KQ_SLURM_TEST=" + self.dir.encode()
        test.addClassCleanup(self.stop)
        self.host = socket.gethostname().split(".")[0]
        munge = pwd.getpwnam("munge")
        for sub, owner, mode in (("munge", munge, 0o700), ("run", munge, 0o755),
                                 ("state", None, 0o700), ("spool", None, 0o700),
                                 ("log", None, 0o755)):
            path = os.path.join(self.dir, sub)
            os.mkdir(path, mode)
            if owner:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        key = os.path.join(self.dir, "munge", "munge.key")
        with open(key, "wb") as fh:
            fh.write(os.urandom(128))
        os.chmod(key, 0o600)
        os.chown(key, munge.pw_uid, munge.pw_gid)
        self.socket = os.path.join(self.dir, "run", "munge.sock")
        self.start("munged", ["setpriv", "--reuid=munge", "--regid=munge", "--init-groups",
                              "munged", "-F", "--socket=" + self.socket,
                              "--key-file=" + key, "--log-file=/dev/null",
                              "--pid-file=" + os.path.join(self.dir, "run", "munged.pid"),
                              "--seed-file=" + os.path.join(self.dir, "munge", "seed")])
        self.wait(lambda: os.path.exists(self.socket), "munged's socket")
        with open(self.env["SLURM_CONF"], "w") as fh:
            fh.write(self.conf())
        self.start("slurmctld", ["slurmctld", "-D", "-i"])
        self.start("slurmd", ["slurmd", "-D"])
        self.wait(lambda: self.run(["sinfo", "-h", "-o", "%t"], check=False).strip() == "idle",
                  "the node to be idle")

    def conf(self):
        d = self.dir
        return "\n".join([
            "ClusterName=kqtest",
            "SlurmctldHost=%s(127.0.0.1)" % self.host,
            "SlurmctldPort=%d" % free_port(),
            "SlurmdPort=%d" % free_port(),
            "SlurmUser=root", "SlurmdUser=root",
            "AuthType=auth/munge", "CredType=cred/munge",
            "AuthInfo=socket=" + self.socket,
            "StateSaveLocation=%s/state" % d, "SlurmdSpoolDir=%s/spool" % d,
            "SlurmctldPidFile=%s/run/slurmctld.pid" % d, "SlurmdPidFile=%s/run/slurmd.pid" % d,
            "SlurmctldLogFile=%s/log/slurmctld.log" % d, "SlurmdLogFile=%s/log/slurmd.log" % d,
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core",
            "SchedulerParameters=batch_sched_delay=0", "MpiDefault=none",
            "SlurmdParameters=config_overrides", "ReturnToService=2",
            "NodeName=%s NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN" % self.host,
            "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""])

    def start(self, name, argv):
        log = open(os.path.join(self.dir, "log", name + ".out"), "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=self.env, start_new_session=True)
        log.close()
        self.procs.append((name, proc))

    def logs(self):
        text = []
        for path in sorted(glob.glob(os.path.join(self.dir, "log", "*"))):
            with open(path, "rb") as fh:
                text.append("==> %s <==\n%s" % (path, fh.read().decode("utf-8", "replace")
                                                [-4000:]))
        return "\n".join(text)

    def wait(self, cond, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not cond():
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise AssertionError("%s exited (%s) while waiting for %s:\n%s"
                                         % (name, proc.returncode, what, self.logs()))
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for %s:\n%s" % (what, self.logs()))
            time.sleep(0.1)

    def run(self, argv, check=True):
        r = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("%s: %s%s" % (" ".join(argv), r.stdout, r.stderr))
        return r.stdout

    def jobs(self):
        """Slurm's jobs not ended: {id: (name, state)}."""
        out = self.run(["squeue", "-h", "-o", "%i|%j|%T"])
        return {int(i): (n, s) for i, n, s in (line.split("|") for line in out.split())}

    def cancel_all(self):
        """Cancels every job and waits until none is left."""
        self.run(["scancel", "--user", "root"], check=False)
        self.wait(lambda: not self.jobs(), "every Slurm job to end")

    def stop(self):
        try:
            if all(proc.poll() is None for _, proc in self.procs[1:]):
                self.cancel_all()
        except AssertionError:
            pass
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    pass
        # Whatever is left of the cluster (slurmstepd, jobs) goes too.
        for pid in marked_pids(self.mark):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for _, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        deadline = time.monotonic() + 10
        while marked_pids(self.mark) and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(self.dir, True)


def missing_packages():
    return sorted({pkg for prog, pkg in NEEDED.items() if not shutil.which(prog)})


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
        cls.cluster = Cluster(cls)

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
