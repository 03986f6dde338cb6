"""A one-node Slurm cluster of this machine for tests and benchmarks
(test_slurm.py, tools/bench_worker.py --allocation): Debian's munged (as
the munge user), slurmctld and slurmd, with their state, sockets and logs
in a temporary folder and ephemeral ports, run as root.  Every process of
the cluster carries KQ_SLURM_TEST=<its folder> in its environment (the
daemons, slurmstepd, the jobs), so that stopping it leaves nothing behind,
and a cluster whose folder is gone (its run was killed) is cleaned up by
the next one (kill_orphans)."""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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

    def __init__(self, add_cleanup):
        """add_cleanup(fn): how the caller runs fn when done, in all
        cases; registered before anything starts."""
        self.dir = tempfile.mkdtemp(prefix="kq-slurm-")
        os.chmod(self.dir, 0o755)  # munged's socket must be reachable
        self.procs = []
        self.env = dict(os.environ, KQ_SLURM_TEST=self.dir,
                        SLURM_CONF=os.path.join(self.dir, "slurm.conf"))
        self.mark = b"KQ_SLURM_TEST=" + self.dir.encode()
        add_cleanup(self.stop)
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
