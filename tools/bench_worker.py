#!/usr/bin/env python3
"""bench_worker.py - job throughput of kueue_worker, measured from outside.

Starts a real kueue_server and kueue_worker on 127.0.0.1 with throw-away
configurations (worker_max_parallel_jobs 2, static resources), issues N
jobs of `true` pipelined over one client connection and measures the time
until the server counts all of them succeeded.  In the same run it measures
the raw rate of `sh -c true` two at a time (xargs -P 2) on this machine, and
optionally one `kueue cmd true` process per job against Task Spooler
(`tsp -n true`, 2 slots), also N jobs each.  With --allocation (as root:
it starts a one-node Slurm cluster, tests/integration/slurm_cluster.py),
also the same jobs through a worker in a Slurm allocation that the
server's allocation queue asks for once they wait: the time until it
connected, and the CPU per job of that worker, the server and its Slurm
commands.  Prints the median of --runs.

    tools/bench_worker.py --server build/src/server/kueue_server \\
        --worker build/src/worker/kueue_worker [--client build/src/client/kueue] \\
        [--jobs 1000] [--runs 3] [--allocation]
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "generated", "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import kueue_protocol as kp  # noqa: E402
from slurm_cluster import Cluster, kill_orphans, marked_pids  # noqa: E402

SECRET = "bench worker secret"
C2S = kp.ClientToServerMessage
S2C = kp.ServerToClientMessage


def write_config(path, sections):
    with open(path, "w") as fh:
        for name, keys in sections.items():
            fh.write("[%s]\n" % name)
            for key, value in keys.items():
                if isinstance(value, bool):
                    value = "true" if value else "false"
                elif isinstance(value, str):
                    value = '"%s"' % value
                fh.write("%s = %s\n" % (key, value))
    os.chmod(path, 0o600)


def wait_log(path, pattern, proc, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path) as fh:
            m = re.search(pattern, fh.read())
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    with open(path) as fh:
        sys.exit("%s: no %r:\n%s" % (path, pattern, fh.read()[-2000:]))


class Setup:
    """A server and a worker in a temporary directory (only the server
    without with_worker; env: the server's environment)."""

    def __init__(self, args, with_worker=True, env=None):
        self.dir = tempfile.mkdtemp(prefix="kq-bench-worker-")
        self.procs = []
        self.env = env
        srv_cfg = os.path.join(self.dir, "server.toml")
        write_config(srv_cfg, {
            "common_settings": {"shared_secret": SECRET, "server_port": 0,
                                "log_level": "info"},
            "server_settings": {"bind_addresses": "127.0.0.1",
                                "state_file": os.path.join(self.dir, "state.sqlite3")}})
        log = os.path.join(self.dir, "server.log")
        srv = self.spawn([args.server, "-c", srv_cfg], log)
        self.port = int(wait_log(log, r"Started listening on 127\.0\.0\.1:(\d+)", srv).group(1))
        self.config = os.path.join(self.dir, "worker.toml")
        write_config(self.config, {
            "common_settings": {"shared_secret": SECRET, "server_name": "127.0.0.1",
                                "server_port": self.port, "log_level": args.worker_log},
            "worker_settings": {"worker_max_parallel_jobs": 2,
                                "dynamic_check_free_resources": False,
                                "worker_name": "bench"},
            "client_settings": {"job_default_cpus": 0, "job_default_ram_mb": 0}})
        if not with_worker:
            self.server_pid = srv.pid
            return
        wlog = os.path.join(self.dir, "worker.log")
        worker = self.spawn([args.worker, "-c", self.config], wlog)
        self.server_pid, self.worker_pid = srv.pid, worker.pid
        deadline = time.time() + 10
        while time.time() < deadline and not self.worker_connected():
            if worker.poll() is not None:
                sys.exit("worker exited:\n" + open(wlog).read())
            time.sleep(0.01)

    def spawn(self, argv, log):
        fh = open(log, "w")
        p = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True, env=self.env)
        fh.close()
        self.procs.append(p)
        return p

    def client(self):
        c = kp.Connection("127.0.0.1", self.port, timeout=60)
        c.hello_client()
        c.authenticate(SECRET)
        return c

    def worker_connected(self):
        c = self.client()
        c.send(C2S.ListWorkers())
        workers = c.recv(S2C).value
        c.close()
        return any(w.free_resources.job_slots == 2 for w in workers)

    def cpu_seconds(self, pid, children=False):
        """User plus system CPU time of pid so far (children: of the
        children it reaped)."""
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        at = 13 if children else 11
        return (int(fields[at]) + int(fields[at + 1])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        shutil.rmtree(self.dir, True)


def wait_all_done(c, n, t0, timeout=600):
    """Polls the statistics until n jobs ended; returns the elapsed time."""
    while True:
        c.send(C2S.ListJobs(num_jobs=0, pending=False, offered=False, running=False,
                            succeeded=False, failed=False, canceled=False))
        st = c.recv(S2C)
        done = st.jobs_succeeded + st.jobs_failed + st.jobs_canceled
        if done >= n:
            if st.jobs_failed or st.jobs_canceled:
                sys.exit("%d jobs failed" % (st.jobs_failed + st.jobs_canceled))
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            sys.exit("timed out with %d of %d jobs done" % (done, n))
        time.sleep(0.02)


def issue_all(c, n):
    """Issues n jobs of `true` pipelined; returns when all are accepted."""
    now = kp.Timestamp.now()
    batch = b"".join(kp.encode(C2S.IssueJob(kp.JobInfo(
        job_id=0, cmd=["true"], cwd="/tmp", worker_resources=kp.Resources(1, 0, 0),
        global_resources=None, status=kp.JobStatus.Pending(now),
        stdout_path=None, stderr_path=None))) for _ in range(n))
    c.sock.sendall(batch)
    for _ in range(n):
        reply = c.recv(S2C)
        assert isinstance(reply, S2C.AcceptJob), reply


def bench_pipelined(args):
    s = Setup(args)
    try:
        c = s.client()
        t0 = time.monotonic()
        issue_all(c, args.jobs)
        elapsed = wait_all_done(c, args.jobs, t0)
        c.close()
        cpu["worker"].append(s.cpu_seconds(s.worker_pid) / args.jobs)
        cpu["server"].append(s.cpu_seconds(s.server_pid) / args.jobs)
        return elapsed
    finally:
        s.close()


cpu = {"worker": [], "server": []}
alloc = {"connected": [], "worker": [], "server": [], "commands": []}


def bench_allocation(args, cluster):
    """The jobs through the worker of a Slurm allocation (2 CPUs, the same
    worker configuration) that an allocation queue asks for once they
    wait; the elapsed time includes the allocation's start."""
    s = Setup(args, with_worker=False, env=cluster.env)
    try:
        c = s.client()
        c.send(C2S.AddAllocQueue(queue=kp.AllocQueue(
            queue_id=0, backend="slurm", max_workers=1, workers_per_alloc=1,
            time_limit_seconds=600, idle_exit_seconds=120, max_failures=1,
            connect_timeout_seconds=120, server_address="127.0.0.1:%d" % s.port,
            worker_program=args.worker, worker_config=s.config,
            backend_args=["--cpus-per-task=2"], failures=0, allocations=[])))
        assert isinstance(c.recv(S2C), S2C.AllocQueueList)
        t0, t0_wall = time.monotonic(), time.time()
        issue_all(c, args.jobs)
        elapsed = wait_all_done(c, args.jobs, t0)
        c.send(C2S.ListWorkers())
        (worker,) = c.recv(S2C).value
        alloc["connected"].append(worker.connected_since.sec + worker.connected_since.nsec / 1e9
                                  - t0_wall)
        pids = [p for p in marked_pids(cluster.mark)
                if open("/proc/%d/comm" % p).read().strip() == "kueue_worker"]
        alloc["worker"].append(s.cpu_seconds(pids[0]) / args.jobs)
        alloc["server"].append(s.cpu_seconds(s.server_pid) / args.jobs)
        alloc["commands"].append(s.cpu_seconds(s.server_pid, children=True) / args.jobs)
        c.send(C2S.RemoveAllocQueue(queue_id=1, cancel=True))
        c.recv(S2C)
        c.close()
        cluster.cancel_all()
        return elapsed
    finally:
        s.close()


def bench_raw(n):
    t0 = time.monotonic()
    subprocess.run("seq %d | xargs -P 2 -n 1 sh -c true" % n, shell=True, check=True)
    return time.monotonic() - t0


def bench_cli(args):
    s = Setup(args)
    try:
        c = s.client()
        t0 = time.monotonic()
        for _ in range(args.jobs):
            subprocess.run([args.client, "--config", s.config, "cmd", "true"], check=True,
                           stdout=subprocess.DEVNULL, cwd="/tmp")
        elapsed = wait_all_done(c, args.jobs, t0)
        c.close()
        return elapsed
    finally:
        s.close()


def bench_tsp(n):
    d = tempfile.mkdtemp(prefix="kq-bench-tsp-")
    env = dict(os.environ, TS_SOCKET=os.path.join(d, "socket"), TMPDIR=d,
               TS_MAXFINISHED=str(n + 10))
    try:
        subprocess.run(["tsp", "-S", "2"], env=env, check=True)
        t0 = time.monotonic()
        for _ in range(n):
            subprocess.run(["tsp", "-n", "true"], env=env, check=True, stdout=subprocess.DEVNULL)
        while True:
            out = subprocess.run(["tsp", "-l"], env=env, capture_output=True, text=True).stdout
            if " running " not in out and " queued " not in out:
                break
            time.sleep(0.002)
        return time.monotonic() - t0
    finally:
        subprocess.run(["tsp", "-K"], env=env, capture_output=True)
        shutil.rmtree(d, True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--worker", required=True)
    ap.add_argument("--client", help="kueue client: adds one-process-per-job figures")
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--worker-log", default="info")
    ap.add_argument("--allocation", action="store_true",
                    help="also through a worker in a Slurm allocation (root: starts a "
                         "one-node cluster)")
    args = ap.parse_args()
    for name in ("server", "worker", "client"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    rows = {"worker, pipelined over one connection": [], "raw sh -c true, 2 at a time": []}
    if args.client:
        rows["kueue cmd true, one process per job"] = []
    if shutil.which("tsp"):
        rows["tsp -n true, 2 slots"] = []
    cleanups, cluster = [], None
    if args.allocation:
        rows["worker in a Slurm allocation, pipelined"] = []
        kill_orphans()
        cluster = Cluster(cleanups.append)
    try:
        run_all(args, rows, cluster)
    finally:
        for fn in reversed(cleanups):
            fn()
    report(args, rows)


def run_all(args, rows, cluster):
    n = args.jobs
    for _ in range(args.runs):
        rows["worker, pipelined over one connection"].append(bench_pipelined(args))
        if cluster:
            rows["worker in a Slurm allocation, pipelined"].append(
                bench_allocation(args, cluster))
        rows["raw sh -c true, 2 at a time"].append(bench_raw(n))
        if args.client:
            rows["kueue cmd true, one process per job"].append(bench_cli(args))
        if "tsp -n true, 2 slots" in rows:
            rows["tsp -n true, 2 slots"].append(bench_tsp(n))


def report(args, rows):
    n = args.jobs
    print("%d jobs of `true`, 2 in parallel, median of %d runs:" % (n, args.runs))
    for name, times in rows.items():
        med = statistics.median(times)
        print("  %-42s %8.0f jobs/s  (%.2f s)" % (name, n / med, med))
    worker = n / statistics.median(rows["worker, pipelined over one connection"])
    raw = n / statistics.median(rows["raw sh -c true, 2 at a time"])
    print("  worker / raw: %.0f %%" % (100 * worker / raw))
    cli, tsp = (rows.get("kueue cmd true, one process per job"),
                rows.get("tsp -n true, 2 slots"))
    if cli and tsp:
        print("  kueue cmd / tsp: %.0f %%" % (100 * statistics.median(tsp) / statistics.median(cli)))
    print("  CPU per job: worker %.0f us, server %.0f us (whole run, medians)"
          % (1e6 * statistics.median(cpu["worker"]), 1e6 * statistics.median(cpu["server"])))
    if alloc["worker"]:
        through = n / statistics.median(rows["worker in a Slurm allocation, pipelined"])
        after = n / statistics.median(
            [t - c for t, c in zip(rows["worker in a Slurm allocation, pipelined"],
                                   alloc["connected"])])
        print("  allocation / plain worker: %.0f %% of the jobs/s, its start (submission "
              "to the worker's connection) %.2f s; once connected %.0f jobs/s (%.0f %%)"
              % (100 * through / worker, statistics.median(alloc["connected"]), after,
                 100 * after / worker))
        print("  CPU per job in the allocation: worker %.0f us, server %.0f us, its Slurm "
              "commands (sbatch, squeue) %.0f us"
              % tuple(1e6 * statistics.median(alloc[k]) for k in ("worker", "server",
                                                                   "commands")))


if __name__ == "__main__":
    main()
