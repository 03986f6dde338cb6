#!/usr/bin/env python3
"""bench_worker.py - job throughput of kueue_worker, measured from outside.

Starts a real kueue_server and kueue_worker on 127.0.0.1 with throw-away
configurations (worker_max_parallel_jobs 2, static resources), issues N
jobs of `true` pipelined over one client connection and measures the time
until the server counts all of them succeeded.  In the same run it measures
the raw rate of `sh -c true` two at a time (xargs -P 2) on this machine, and
optionally one `kueue cmd true` process per job against Task Spooler
(`tsp -n true`, 2 slots), also N jobs each.  Prints the median of --runs.
With --tls, the worker and the client runs are made twice, interleaved:
in plain text (encryption = "off") and over TLS (the default), with the
CPU time per job of each side (the client's from its processes' rusage).

    tools/bench_worker.py --server build/src/server/kueue_server \\
        --worker build/src/worker/kueue_worker [--client build/src/client/kueue] \\
        [--jobs 1000] [--runs 3] [--tls]
"""

import argparse
import os
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
import kueue_protocol as kp  # noqa: E402

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
    """A server and a worker in a temporary directory."""

    def __init__(self, args, encryption="off"):
        """encryption: of the worker and the client (their config)."""
        self.dir = tempfile.mkdtemp(prefix="kq-bench-worker-")
        self.procs = []
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
            "worker_settings": {"worker_max_parallel_jobs": 2,
                                "dynamic_check_free_resources": False,
                                "worker_name": "bench"},
            "client_settings": {"job_default_cpus": 0, "job_default_ram_mb": 0}})
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
                             stdin=subprocess.DEVNULL, start_new_session=True)
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

    def cpu_seconds(self, pid):
        """User plus system CPU time of pid so far."""
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


def bench_pipelined(args, encryption="off"):
    s = Setup(args, encryption)
    try:
        c = s.client()
        now = kp.Timestamp.now()
        batch = b"".join(kp.encode(C2S.IssueJob(kp.JobInfo(
            job_id=0, cmd=["true"], cwd="/tmp", worker_resources=kp.Resources(1, 0, 0),
            global_resources=None, status=kp.JobStatus.Pending(now),
            stdout_path=None, stderr_path=None))) for _ in range(args.jobs))
        t0 = time.monotonic()
        c.sock.sendall(batch)
        for _ in range(args.jobs):
            reply = c.recv(S2C)
            assert isinstance(reply, S2C.AcceptJob), reply
        elapsed = wait_all_done(c, args.jobs, t0)
        c.close()
        cpu.setdefault("worker " + encryption, []).append(s.cpu_seconds(s.worker_pid) / args.jobs)
        cpu.setdefault("server " + encryption, []).append(s.cpu_seconds(s.server_pid) / args.jobs)
        return elapsed
    finally:
        s.close()


cpu = {}


def bench_raw(n):
    t0 = time.monotonic()
    subprocess.run("seq %d | xargs -P 2 -n 1 sh -c true" % n, shell=True, check=True)
    return time.monotonic() - t0


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_cli(args, encryption="off"):
    s = Setup(args, encryption)
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
    ap.add_argument("--tls", action="store_true",
                    help="worker and client runs in plain text and over TLS, interleaved")
    args = ap.parse_args()
    for name in ("server", "worker", "client"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    n = args.jobs
    modes = ["off", "auto"] if args.tls else ["off"]
    label = {"off": "", "auto": " (TLS)"}
    pipelined = {m: "worker, pipelined over one connection" + label[m] for m in modes}
    cli = {m: "kueue cmd true, one process per job" + label[m] for m in modes}
    rows = {pipelined[m]: [] for m in modes}
    rows["raw sh -c true, 2 at a time"] = []
    if args.client:
        rows.update({cli[m]: [] for m in modes})
    if shutil.which("tsp"):
        rows["tsp -n true, 2 slots"] = []
    for _ in range(args.runs):
        for m in modes:
            rows[pipelined[m]].append(bench_pipelined(args, m))
        rows["raw sh -c true, 2 at a time"].append(bench_raw(n))
        if args.client:
            for m in modes:
                rows[cli[m]].append(bench_cli(args, m))
        if "tsp -n true, 2 slots" in rows:
            rows["tsp -n true, 2 slots"].append(bench_tsp(n))
    print("%d jobs of `true`, 2 in parallel, median of %d runs:" % (n, args.runs))
    for name, times in rows.items():
        med = statistics.median(times)
        print("  %-42s %8.0f jobs/s  (%.2f s)" % (name, n / med, med))
    med = {name: statistics.median(times) for name, times in rows.items()}
    raw = med["raw sh -c true, 2 at a time"]
    tsp = med.get("tsp -n true, 2 slots")
    for m in modes:
        print("  worker%s / raw: %.0f %%" % (label[m], 100 * raw / med[pipelined[m]]))
        if args.client and tsp:
            print("  kueue cmd%s / tsp: %.0f %%" % (label[m], 100 * tsp / med[cli[m]]))
    if args.tls:
        print("  TLS / plain text: pipelined %.0f %%" % (100 * med[pipelined["off"]]
                                                       / med[pipelined["auto"]]), end="")
        if args.client:
            print(", kueue cmd %.0f %%" % (100 * med[cli["off"]] / med[cli["auto"]]), end="")
        print()
    for m in modes:
        print("  CPU per job%s: pipelined: worker %.0f us, server %.0f us (whole run)"
              % (label[m], 1e6 * statistics.median(cpu["worker " + m]),
                 1e6 * statistics.median(cpu["server " + m])), end="")
        if args.client:
            print("; kueue cmd: client %.0f us, server %.0f us"
                  % (1e6 * statistics.median(cpu["cli client " + m]),
                     1e6 * statistics.median(cpu["cli server " + m])), end="")
        print(" (medians)")


if __name__ == "__main__":
    main()
