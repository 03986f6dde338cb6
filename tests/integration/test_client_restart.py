"""kueue_restart_workers with a fake `ssh` first on PATH.

The fake logs its arguments and plays the remote host: "down*" hosts are
unreachable (exit 255 as ssh does); for the others it runs the script the
tool sends, locally, with a fake `pgrep` (a worker "runs" on the hosts
listed in a file) and a fake `kueue_worker` that records where it was
started ("bare*" hosts have none in PATH)."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

import kqtest
from kqtest import wait_until
from test_client_harness import spawn

TOOL = os.environ.get("KQ_RESTART_WORKERS")

FAKE_SSH = r'''#!/usr/bin/env python3
import json, os, subprocess, sys
with open(os.environ["FAKE_SSH_LOG"], "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\n")
target, remote = sys.argv[-2], sys.argv[-1]
host = target.split("@")[-1]
if host.startswith("down"):
    sys.stderr.write("ssh: connect to host %s port 22: Connection refused\n" % host)
    sys.exit(255)
# The tool wraps its script in a login shell; run the script itself so the
# machine's /etc/profile cannot replace the fake PATH.
prefix = "sh -lc '"
assert remote.startswith(prefix) and remote.endswith("'"), remote
fake = os.environ["FAKE_BIN"]
path = [fake] + ([] if host.startswith("bare") else [os.path.join(fake, "worker")])
env = dict(os.environ, FAKE_HOST=host, PATH=os.pathsep.join(path + ["/usr/bin", "/bin"]))
sys.exit(subprocess.call(["sh", "-c", remote[len(prefix):-1]], env=env))
'''

FAKE_PGREP = '''#!/bin/sh
echo "$*" >> "$FAKE_PGREP_LOG"
grep -qx "$FAKE_HOST" "$FAKE_RUNNING"
'''

FAKE_WORKER = '''#!/bin/sh
echo "$FAKE_HOST" >> "$FAKE_STARTED"
'''


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def write_exe(path, text):
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o755)


class RestartWorkers(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-restart-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.bin = os.path.join(self.dir, "bin")
        os.makedirs(os.path.join(self.bin, "worker"))
        write_exe(os.path.join(self.bin, "ssh"), FAKE_SSH)
        write_exe(os.path.join(self.bin, "pgrep"), FAKE_PGREP)
        write_exe(os.path.join(self.bin, "worker", "kueue_worker"), FAKE_WORKER)
        self.files = {name: os.path.join(self.dir, name)
                      for name in ("ssh.log", "pgrep.log", "running", "started")}
        with open(self.files["running"], "w") as fh:
            fh.write("up1\n")
        self.env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"],
                        FAKE_BIN=self.bin, FAKE_SSH_LOG=self.files["ssh.log"],
                        FAKE_PGREP_LOG=self.files["pgrep.log"],
                        FAKE_RUNNING=self.files["running"], FAKE_STARTED=self.files["started"])
        self.config = os.path.join(self.dir, "config.toml")

    def configure(self, hosts, sleep=60.0):
        kqtest.write_config(self.config, {
            "common_settings": {"shared_secret": "x"},
            "restart_workers": {"ssh_user": "alice", "hostnames": hosts,
                                "sleep_minutes_before_recheck": sleep}})

    def run_tool(self, *args):
        r = subprocess.run([TOOL, "-c", self.config] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertNotIn("Sanitizer", r.stderr)
        return r

    def lines(self, name):
        if not os.path.exists(self.files[name]):
            return []
        with open(self.files[name]) as fh:
            return fh.read().splitlines()

    def test_one_round(self):
        self.configure("up1 idle\t down1  bare")
        r = self.run_tool("--once")
        self.assertEqual(r.stdout, "up1: running\n"
                                   "idle: started\n"
                                   "down1: unreachable: ssh: connect to host down1 port 22: "
                                   "Connection refused\n"
                                   "bare: failed: kueue_worker is not in PATH there\n")
        self.assertEqual((r.returncode, r.stderr), (1, ""))
        calls = [json.loads(line) for line in self.lines("ssh.log")]
        self.assertEqual([c[:5] for c in calls],
                         [["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "alice@" + h]
                          for h in ("up1", "idle", "down1", "bare")])
        self.assertEqual(len({c[5] for c in calls}), 1)
        self.assertEqual(self.lines("pgrep.log")[0].split()[-2:], ["-x", "kueue_worker"])
        # The worker is started detached: it may still be on its way.
        wait_until(lambda: self.lines("started") == ["idle"], what="the started worker")

    def test_all_fine_exits_0(self):
        self.configure("up1 idle")
        r = self.run_tool("--once")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, "up1: running\nidle: started\n", ""))

    def test_dry_run_runs_nothing(self):
        self.configure("up1 down1")
        r = self.run_tool("--dry-run")
        self.assertEqual(r.returncode, 0)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2)
        for host, line in zip(("up1", "down1"), lines):
            self.assertTrue(line.startswith("%s: would run: ssh -o BatchMode=yes -o "
                                            "ConnectTimeout=10 alice@%s 'sh -lc '" %
                                            (host, host)), line)
            self.assertIn("pgrep", line)
            self.assertIn("nohup kueue_worker", line)
        self.assertEqual(self.lines("ssh.log"), [])

    def test_rounds_repeat(self):
        self.configure("up1", sleep=0.001)
        # In a group of its own: its ssh of the round under way (and the
        # fake's pgrep) would outlive it, write into self.dir while the
        # cleanup removes it, and leave it behind.
        proc = spawn(self, [TOOL, "-c", self.config], env=self.env, start_new_session=True)
        try:
            wait_until(lambda: len(self.lines("ssh.log")) >= 3, what="three rounds")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
            wait_until(lambda: not group_alive(proc.pid), what="the round under way to end")
        self.assertGreaterEqual(out.count("up1: running\n"), 2)
        self.assertEqual(set(out.splitlines()), {"up1: running"})

    def test_missing_section(self):
        kqtest.write_config(self.config, {"common_settings": {"shared_secret": "x"}})
        r = self.run_tool("--once")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "Error: [restart_workers] missing in %s\n" % self.config))
        # A path that names no file is a mistake, not a configuration.
        missing = os.path.join(self.dir, "none.toml")
        r = subprocess.run([TOOL, "-c", missing], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr),
                         (1, "Error: Failed to load config: no configuration at %s (copy "
                             "the server's there, or write a new one with: kueue --init "
                             "-c %s)\n" % (missing, missing)))
        self.assertFalse(os.path.exists(missing))

    def test_command_line(self):
        kqtest.check_command_line(self, [TOOL], "kueue_restart_workers [OPTIONS]",
                                  ["--config <PATH>", "--once", "--dry-run"])


if __name__ == "__main__":
    assert TOOL, "KQ_RESTART_WORKERS is not set"
    unittest.main()
