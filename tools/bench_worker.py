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
With --tls, the worker and the client runs are made twice, interleaved:
in plain text (encryption = "off") and over TLS (the default), with the
CPU time per job of each side (the client's from its processes' rusage).

    tools/bench_worker.py --server build/src/server/kueue_server \\
        --worker build/src/worker/kueue_worker [--client build/src/client/kueue] \\
        [--jobs 1000] [--runs 3] [--allocation] [--tls]

--follow (needs --client) measures live output end to end instead (issue
15): --follow-jobs jobs (50) each print --mib-s MiB/s (1) of numbered
100-byte lines for --seconds (20), --followers `kueue follow` processes
(10) read them, and `true` jobs run pipelined all along (at most --in-flight, 1,000; 0
for none).  Against the same run whose jobs print nothing, interleaved
--runs times: the `true` jobs per second, the server's largest VmRSS, the
lines the followers saw, skipped (each skip was told on stderr) or wrong,
and how long a line took from the job to a follower (each line carries
the time it was printed).  Then the latency alone: one job printing a
line every 100 ms for 10 s, one follower.
"""

import argparse
import json
import multiprocessing
import os
import queue
import re
import resource
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

    def __init__(self, args, slots=2, encryption="off", with_worker=True, env=None,
                 relay=True, **worker_settings):
        """encryption: of the worker and the client (their config);
        relay: whether the client's TLS calls use a relay."""
        self.dir = tempfile.mkdtemp(prefix="kq-bench-worker-")
        self.procs = []
        self.slots = slots
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
                                "server_port": self.port, "log_level": args.worker_log,
                                "encryption": encryption},
            "worker_settings": dict({"worker_max_parallel_jobs": slots,
                                     "dynamic_check_free_resources": False,
                                     "worker_name": "bench"}, **worker_settings),
            "client_settings": {"job_default_cpus": 0, "job_default_ram_mb": 0,
                                "relay_idle_seconds": 300 if relay else 0}})
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
        return any(w.free_resources.job_slots == self.slots for w in workers)

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


def bench_pipelined(args, encryption="off"):
    s = Setup(args, encryption=encryption)
    try:
        c = s.client()
        t0 = time.monotonic()
        issue_all(c, args.jobs)
        elapsed = wait_all_done(c, args.jobs, t0)
        c.close()
        cpu.setdefault("worker " + encryption, []).append(s.cpu_seconds(s.worker_pid) / args.jobs)
        cpu.setdefault("server " + encryption, []).append(s.cpu_seconds(s.server_pid) / args.jobs)
        return elapsed
    finally:
        s.close()


cpu = {}
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


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def relay_pid(config):
    """The pid of the relay a client with config started, or None."""
    out = subprocess.run(["pgrep", "-f", "--", "--config %s relay" % config],
                         capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def bench_cli(args, mode="off"):
    """mode: "off" (plain text), "auto" (TLS; calls through the relay the
    first one starts), "auto-norelay" (TLS, a handshake per call)."""
    s = Setup(args, encryption=mode.split("-")[0], relay=mode == "auto")
    encryption = mode
    try:
        c = s.client()
        server0 = s.cpu_seconds(s.server_pid)
        client0 = children_cpu()
        t0 = time.monotonic()
        for _ in range(args.jobs):
            subprocess.run([args.client, "--config", s.config, "cmd", "true"], check=True,
                           stdout=subprocess.DEVNULL, cwd="/tmp")
        elapsed = wait_all_done(c, args.jobs, t0)
        cpu.setdefault("cli client " + encryption, []).append((children_cpu() - client0) / args.jobs)
        cpu.setdefault("cli server " + encryption, []).append(
            (s.cpu_seconds(s.server_pid) - server0) / args.jobs)
        pid = relay_pid(s.config)
        if mode == "auto":
            if not pid:
                sys.exit("no relay runs for " + s.config)
            cpu.setdefault("cli relay " + encryption, []).append(
                s.cpu_seconds(pid) / args.jobs)
            subprocess.run([args.client, "--config", s.config, "relay", "--stop"],
                           check=True, stdout=subprocess.DEVNULL)
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


# A job printing rate MiB/s of 100-byte lines for seconds: line n starts
# with n and the time it was printed (for the latency), in bursts every
# 50 ms; or sleeping as long when rate is 0.
PRINTER = r"""
import sys, time
rate, seconds = float(sys.argv[1]), float(sys.argv[2])
out, n, t0 = sys.stdout.buffer, 0, time.time()
per = int(rate * 1048576 * 0.05) // 100
pad = b"x" * 100
while time.time() - t0 < seconds:
    if per:
        lines = []
        for _ in range(per):
            head = b"%012d %17.6f " % (n, time.time())
            lines.append(head + pad[:99 - len(head)] + b"\n")
            n += 1
        out.write(b"".join(lines))
        out.flush()
    time.sleep(0.05)
"""


def job_info(cmd):
    return kp.JobInfo(job_id=0, cmd=cmd, cwd="/tmp", worker_resources=kp.Resources(1, 0, 0),
                      global_resources=None, status=kp.JobStatus.Pending(kp.Timestamp.now()),
                      stdout_path=None, stderr_path=None)


# Reads a follower's stdout (in a process of its own, so that ten of them
# keep up): blocks of lines checked by their first and last numbers (in
# order, none missing, unless a skip cut one), the latency taken from each
# line of a short block, else from its first and last; prints the tally as
# JSON at the end.
READER = r"""
import json, os, sys, time
lines = bad = gaps = 0
lat, expect, rest = [], None, b""
while True:
    data = os.read(0, 1 << 20)
    if not data:
        break
    now = time.time()
    block = (rest + data).split(b"\n")
    rest = block.pop()
    if not block:
        continue
    try:
        first, last = int(block[0][:12]), int(block[-1][:12])
        sample = block if len(block) <= 16 else (block[0], block[-1])
        times = [float(x[13:30]) for x in sample]
    except ValueError:
        bad += 1
        continue
    gaps += (expect is not None and first != expect) + (last - first + 1 != len(block))
    expect = last + 1
    lines += len(block)
    lat.extend(now - t for t in times)
print(json.dumps({"lines": lines, "bad": bad, "gaps": gaps, "latencies": lat}))
"""


class Follower:
    """A `kueue follow ID` process and the reader of its stdout."""

    def __init__(self, client, config, job):
        self.proc = subprocess.Popen([client, "-c", config, "follow", str(job)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self.reader = subprocess.Popen([sys.executable, "-c", READER], stdin=self.proc.stdout,
                                       stdout=subprocess.PIPE)
        self.proc.stdout.close()

    def finish(self):
        err = self.proc.stderr.read().decode()
        self.proc.wait(60)
        tally = json.loads(self.reader.communicate(timeout=60)[0])
        self.lines, self.bad, self.gaps = tally["lines"], tally["bad"], tally["gaps"]
        self.latencies = tally["latencies"]
        self.told = err.count("skipped here")
        return err


def sched_load(port, stop, done, in_flight):
    """`true` jobs pipelined, at most in_flight of them, until stop is set;
    done gets the succeeded counter (polled) over time, as (time, count).
    Runs in a process of its own: decoding thousands of answers a second
    would otherwise starve the threads that read the followers."""
    c = kp.Connection("127.0.0.1", port, timeout=60)
    c.hello_client()
    c.authenticate(SECRET)
    issued = 0
    job = kp.encode(C2S.IssueJob(job_info(["true"])))
    while not stop.is_set():
        c.send(C2S.ListJobs(num_jobs=0, pending=False, offered=False, running=False,
                            succeeded=False, failed=False, canceled=False))
        st = c.recv(S2C)
        while not isinstance(st, S2C.JobList):
            st = c.recv(S2C)
        done.put((time.monotonic(), st.jobs_succeeded))
        room = in_flight - (issued - st.jobs_succeeded - st.jobs_running)
        if room > 0:
            c.sock.sendall(job * room)
            for _ in range(room):
                assert isinstance(c.recv(S2C), S2C.AcceptJob)
            issued += room
        time.sleep(0.05)
    c.close()


def bench_follow_once(args, printing):
    s = Setup(args, slots=args.follow_jobs + 1010, output_limit_bytes=64 << 20)
    try:
        c = s.client()
        rate = args.mib_s if printing else 0
        jobs = []
        for _ in range(args.follow_jobs):
            c.send(C2S.IssueJob(job_info(["python3", "-c", PRINTER, str(rate),
                                          str(args.seconds)])))
            jobs.append(c.recv(S2C).value.job_id)
        followers = [Follower(args.client, s.config, jobs[i % len(jobs)])
                     for i in range(args.followers)]
        stop, done = multiprocessing.Event(), multiprocessing.Queue()
        load = multiprocessing.Process(target=sched_load, args=(s.port, stop, done, args.in_flight),
                                       daemon=True)
        load.start()
        rss, t_end = 0, time.monotonic() + args.seconds
        while time.monotonic() < t_end:
            with open("/proc/%d/status" % s.server_pid) as fh:
                rss = max([rss] + [int(l.split()[1]) for l in fh if l.startswith("VmRSS:")])
            time.sleep(0.2)
        stop.set()
        samples = []
        while load.is_alive() or not done.empty():
            try:
                samples.append(done.get(timeout=0.5))
            except queue.Empty:
                pass
        load.join(60)
        # The steady part: from 2 s in to the end.
        window = [(t, n) for t, n in samples if t >= samples[0][0] + 2]
        sched = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0]) \
            if len(window) > 1 and window[-1][0] > window[0][0] else 0.0
        for f in followers:
            f.finish()
        c.close()
        return {"sched": sched, "rss": rss / 1024.0,
                "lines": sum(f.lines for f in followers), "bad": sum(f.bad for f in followers),
                "gaps": sum(f.gaps for f in followers), "told": sum(f.told for f in followers),
                "latencies": [x for f in followers for x in f.latencies],
                "expected": args.followers * int(args.mib_s * 1048576 * 0.05) // 100 *
                int(args.seconds / 0.05)}
    finally:
        s.close()


def bench_latency(args):
    """One job printing a line every 100 ms for 10 s, one follower."""
    s = Setup(args)
    try:
        c = s.client()
        script = ("import time\n"
                  "for n in range(100):\n"
                  "    print('%012d %17.6f x' % (n, time.time()), flush=True)\n"
                  "    time.sleep(0.1)\n")
        c.send(C2S.IssueJob(job_info(["python3", "-c", script])))
        job = c.recv(S2C).value.job_id
        f = Follower(args.client, s.config, job)
        f.finish()
        c.close()
        return f.latencies
    finally:
        s.close()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


def main_follow(args):
    rows = {False: [], True: []}
    for _ in range(args.runs):
        for printing in (False, True):
            rows[printing].append(bench_follow_once(args, printing))
    quiet = statistics.median(r["sched"] for r in rows[False]) or 1.0
    print("follow: %d jobs printing %.1f MiB/s each for %d s, %d followers (`kueue follow`), "
          "`true` jobs pipelined alongside; median of %d interleaved runs"
          % (args.follow_jobs, args.mib_s, args.seconds, args.followers, args.runs))
    for printing in (False, True):
        r = rows[printing]
        sched = statistics.median(x["sched"] for x in r)
        print("  %-26s %7.0f true jobs/s (%3.0f %%)  server VmRSS max %5.1f MiB"
              % ("jobs printing, followed" if printing else "jobs printing nothing", sched,
                 100 * sched / quiet, statistics.median(x["rss"] for x in r)))
    for k, r in enumerate(rows[True]):
        lat = r["latencies"]
        print("  run %d: followers saw %d of about %d lines (%d jumps, %d skips told, %d lines "
              "cut by a skip); latency median %.0f ms, 90th percentile %.0f ms"
              % (k + 1, r["lines"], r["expected"], r["gaps"], r["told"], r["bad"],
                 1000 * pct(lat, 0.5), 1000 * pct(lat, 0.9)))
    lat = bench_latency(args)
    print("latency alone: a line every 100 ms, one follower: median %.0f ms, 90th percentile "
          "%.0f ms, most %.0f ms (%d lines)" % (1000 * pct(lat, 0.5), 1000 * pct(lat, 0.9),
                                                1000 * max(lat), len(lat)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--worker", required=True)
    ap.add_argument("--client", help="kueue client: adds one-process-per-job figures")
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--worker-log", default="info")
    ap.add_argument("--follow", action="store_true", help="live output instead (issue 15)")
    ap.add_argument("--follow-jobs", type=int, default=50)
    ap.add_argument("--mib-s", type=float, default=1.0)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--followers", type=int, default=10)
    ap.add_argument("--in-flight", type=int, default=1000,
                    help="--follow: `true` jobs in flight (0: none)")
    ap.add_argument("--tls", action="store_true",
                    help="worker and client runs in plain text and over TLS, interleaved")
    ap.add_argument("--allocation", action="store_true",
                    help="also through a worker in a Slurm allocation (root: starts a "
                         "one-node cluster)")
    args = ap.parse_args()
    for name in ("server", "worker", "client"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    if args.follow:
        if not args.client:
            sys.exit("--follow needs --client")
        main_follow(args)
        return
    args.modes = ["off", "auto"] if args.tls else ["off"]
    args.cli_modes = ["off", "auto", "auto-norelay"] if args.tls else ["off"]
    args.label = {"off": "", "auto": " (TLS)", "auto-norelay": " (TLS, no relay)"}
    args.pipelined = {m: "worker, pipelined over one connection" + args.label[m]
                      for m in args.modes}
    args.cli = {m: "kueue cmd true, one process per job" + args.label[m]
                for m in args.cli_modes}
    rows = {args.pipelined[m]: [] for m in args.modes}
    rows["raw sh -c true, 2 at a time"] = []
    if args.client:
        rows.update({args.cli[m]: [] for m in args.cli_modes})
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
        for m in args.modes:
            rows[args.pipelined[m]].append(bench_pipelined(args, m))
        if cluster:
            rows["worker in a Slurm allocation, pipelined"].append(
                bench_allocation(args, cluster))
        rows["raw sh -c true, 2 at a time"].append(bench_raw(n))
        if args.client:
            for m in args.cli_modes:
                rows[args.cli[m]].append(bench_cli(args, m))
        if "tsp -n true, 2 slots" in rows:
            rows["tsp -n true, 2 slots"].append(bench_tsp(n))


def report(args, rows):
    n = args.jobs
    print("%d jobs of `true`, 2 in parallel, median of %d runs:" % (n, args.runs))
    for name, times in rows.items():
        med = statistics.median(times)
        print("  %-42s %8.0f jobs/s  (%.2f s)" % (name, n / med, med))
    med = {name: statistics.median(times) for name, times in rows.items()}
    raw = med["raw sh -c true, 2 at a time"]
    tsp = med.get("tsp -n true, 2 slots")
    for m in args.modes:
        print("  worker%s / raw: %.0f %%" % (args.label[m], 100 * raw / med[args.pipelined[m]]))
    for m in args.cli_modes if args.client and tsp else []:
        print("  kueue cmd%s / tsp: %.0f %%" % (args.label[m], 100 * tsp / med[args.cli[m]]))
    if args.tls:
        print("  TLS / plain text: pipelined %.0f %%" % (100 * med[args.pipelined["off"]]
                                                       / med[args.pipelined["auto"]]), end="")
        if args.client:
            print(", kueue cmd %.0f %% (no relay: %.0f %%)"
                  % (100 * med[args.cli["off"]] / med[args.cli["auto"]],
                     100 * med[args.cli["off"]] / med[args.cli["auto-norelay"]]), end="")
        print()
    for m in args.modes:
        print("  CPU per job%s: pipelined: worker %.0f us, server %.0f us (whole run)"
              % (args.label[m], 1e6 * statistics.median(cpu["worker " + m]),
                 1e6 * statistics.median(cpu["server " + m])), end="")
        print(" (medians)")
    for m in args.cli_modes if args.client else []:
        print("  CPU per kueue cmd%s: client %.0f us, server %.0f us"
              % (args.label[m], 1e6 * statistics.median(cpu["cli client " + m]),
                 1e6 * statistics.median(cpu["cli server " + m])), end="")
        if "cli relay " + m in cpu:
            print(", relay %.0f us" % (1e6 * statistics.median(cpu["cli relay " + m])), end="")
        print(" (medians)")
    worker = n / med[args.pipelined["off"]]
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
