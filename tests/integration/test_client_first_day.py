"""A new user's first day (issue 13): a fresh install on one machine, with
the configuration the programs write themselves, runs the first job."""

import errno
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import kqtest
import kueue_protocol as kp
from kqtest import free_port
from test_client_harness import KUEUE, S2C, Client, check_clean

SERVER = os.environ.get("KQ_SERVER")
WORKER = os.environ.get("KQ_WORKER")


class FreshHome:
    """A home directory of its own: the programs run without -c, so they
    read (and write) ~/.config/kueue/config.toml there."""

    def __init__(self, test):
        self.test = test
        self.home = tempfile.mkdtemp(prefix="kq-home-")
        test.addCleanup(shutil.rmtree, self.home, True)
        self.config = os.path.join(self.home, ".config", "kueue", "config.toml")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("XDG_") and k not in ("CLICOLOR_FORCE", "CLICOLOR")}
        self.env.update(HOME=self.home, NO_COLOR="1")

    def run(self, argv, timeout=60):
        r = subprocess.run(argv, cwd=self.home, env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        check_clean(self.test, r)
        return r

    def kueue(self, *args, timeout=60):
        return self.run([KUEUE] + list(args), timeout)

    def ok(self, *args, timeout=60):
        r = self.kueue(*args, timeout=timeout)
        self.test.assertEqual((r.returncode, r.stderr), (0, ""), r)
        return r.stdout

    def text(self):
        with open(self.config) as fh:
            return fh.read()

    def edit(self, **keys):
        """Sets keys of the file (each must be there once) to new values."""
        text = self.text()
        for key, value in keys.items():
            text, n = re.subn(r"(?m)^%s = .*$" % key,
                              "%s = %s" % (key, kqtest.toml_value(value)), text)
            self.test.assertEqual(n, 1, key)
        with open(self.config, "w") as fh:
            fh.write(text)

    def start(self, argv, name):
        proc = kqtest.Process(self.test, argv, os.path.join(self.home, name + ".log"),
                              env=self.env)
        self.test.addCleanup(proc.finish)
        return proc


class FirstJob(unittest.TestCase):
    def test_first_job_runs_with_the_templates_defaults(self):
        """The README's steps on a laptop: `kueue_server --init` writes the
        configuration, the same file serves server, worker and client, and
        `kueue cmd echo hello` runs at once on this machine's one worker.
        With the original's 8 cores and 8 GiB per job it waited for ever on
        any machine with fewer cores."""
        home = FreshHome(self)
        r = home.run([SERVER, "--init"])
        self.assertEqual((r.returncode, r.stderr), (0, ""), r)
        text = home.text()
        self.assertIn("\njob_default_cpus = 1\n", text)
        self.assertIn("\njob_default_ram_mb = 1024\n", text)
        # Only what a test on a shared machine needs: its own port, state
        # and loopback.  The load of other tests' processes must not count
        # against the worker (the 2-core CI machine is often fully loaded).
        home.edit(server_name="127.0.0.1", server_port=free_port(),
                  bind_addresses="127.0.0.1",
                  state_file=os.path.join(home.home, "state.sqlite3"),
                  dynamic_check_free_resources=False)
        server = home.start([SERVER], "server")
        server.wait_for(r"Started listening on 127\.0\.0\.1:\d+")
        home.start([WORKER], "worker")
        kqtest.wait_until(lambda: kp.decode(S2C, home.ok("list-workers", "--json")).value,
                          what="the worker")

        job_id = int(home.ok("cmd", "echo", "hello"))
        self.assertEqual(home.ok("wait-job", str(job_id), timeout=60), "")
        info = kp.decode(S2C, home.ok("show-job", "--json", str(job_id)))
        self.assertEqual(info.stdout_text, "hello\n")
        res = info.job_info.worker_resources
        self.assertEqual((res.job_slots, res.cpus, res.ram_mb), (1, 1, 1024))
        self.assertEqual(info.job_info.status.return_code, 0)

    def test_a_file_keeps_its_values(self):
        """A file that sets the keys keeps them (the original's template
        says 8 and 8192); without them a file means the original's
        defaults, to the original and to Kueue-C alike."""
        home = FreshHome(self)
        srv = kqtest.Server(self)
        os.makedirs(os.path.dirname(home.config))
        for section, expect in (({"job_default_cpus": 8, "job_default_ram_mb": 8192}, (8, 8192)),
                                ({"job_default_cpus": 3}, (3, 8192)),
                                ({}, (8, 8192))):
            sections = {"common_settings": {"shared_secret": srv.secret,
                                            "server_name": "127.0.0.1",
                                            "server_port": srv.port}}
            if section:
                sections["client_settings"] = section
            kqtest.write_config(home.config, sections)
            r = home.kueue("cmd", "--json", "true")
            self.assertEqual(r.returncode, 0, r)  # stderr: no worker is connected
            job = kp.decode(S2C, r.stdout).value
            self.assertEqual((job.worker_resources.cpus, job.worker_resources.ram_mb), expect)


class ConfigFile(unittest.TestCase):
    """Where the programs look for their configuration, and --init."""

    def programs(self):
        return [("kueue", [KUEUE], ["list-jobs"]), ("kueue_server", [SERVER], []),
                ("kueue_worker", [WORKER], [])]

    def test_a_path_that_names_no_file_is_an_error(self):
        """-c with a mistyped path used to start with a fresh secret that
        nobody else had (and wrote it there); now it says what to do."""
        home = FreshHome(self)
        missing = os.path.join(home.home, "confg.toml")
        for name, argv, args in self.programs():
            r = home.run(argv + ["-c", missing] + args)
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (1, "", "Error: Failed to load config: no configuration at %s "
                                     "(copy the server's there, or write a new one with: "
                                     "kueue --init -c %s)\n" % (missing, missing)), name)
        self.assertEqual(os.listdir(home.home), [])

    def test_init_writes_once_and_starts_nothing(self):
        for name, argv, _ in self.programs():
            home = FreshHome(self)
            r = home.run(argv + ["--init"])
            self.assertEqual((r.returncode, r.stderr), (0, ""), (name, r))
            self.assertEqual(r.stdout.splitlines()[0], "Wrote a new configuration with a "
                             "fresh shared secret to %s" % home.config, name)
            self.assertIn("set server_name there", r.stdout)
            self.assertEqual(os.stat(home.config).st_mode & 0o777, 0o600)
            text = home.text()
            self.assertRegex(text, r'\nshared_secret = "[A-Za-z0-9]{64}"\n')
            self.assertIn("\njob_default_cpus = 1\n", text)
            self.assertIn("\n# [global_resources]\n# matlab = 4\n", text)
            # Only the file: no state, no log, no process left.
            self.assertEqual(os.listdir(home.home), [".config"])
            r = home.run(argv + ["--init"])
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (1, "", "Error: %s exists already and was left as it is (move "
                                     "it away first to write a new one)\n" % home.config),
                             name)
            self.assertEqual(home.text(), text)
            # -c names where a new file goes.
            other = os.path.join(home.home, "lab", "kueue.toml")
            r = home.run(argv + ["-c", other, "--init"])
            self.assertEqual(r.returncode, 0, r)
            self.assertIn(other, r.stdout)
            with open(other) as fh:
                self.assertNotEqual(fh.read(), text)

    def test_unquoted_string(self):
        """The likeliest edit of a new file: an address without quotes."""
        home = FreshHome(self)
        self.assertEqual(home.run([SERVER, "--init"]).returncode, 0)
        text = home.text().replace('server_name = "localhost"', "server_name = 127.0.0.1")
        with open(home.config, "w") as fh:
            fh.write(text)
        line = text[:text.index("server_name = 127")].count("\n") + 1
        for argv in ([KUEUE, "list-jobs"], [SERVER], [WORKER]):
            r = home.run(argv)
            self.assertEqual((r.returncode, r.stderr),
                             (1, 'Error: Failed to load config: %s:%d: invalid value for key '
                                 '"server_name": 127.0.0.1 (strings need quotes: server_name = '
                                 '"127.0.0.1")\n' % (home.config, line)), argv)

    def test_init_takes_no_subcommand(self):
        home = FreshHome(self)
        r = home.kueue("--init", "list-jobs")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertTrue(r.stderr.startswith("error: the argument '--init' cannot be used "
                                            "with a subcommand ('list-jobs')\n"), r.stderr)
        self.assertFalse(os.path.exists(home.config))
        self.assertIn("--init", home.ok("--help"))


class Unreachable(unittest.TestCase):
    """A server that does not answer: every client and the worker name the
    address, the file it came from and what to check."""

    def test_client_worker_and_python_module(self):
        home = FreshHome(self)
        self.assertEqual(home.run([SERVER, "--init"]).returncode, 0)
        port = free_port()
        home.edit(server_name="127.0.0.1", server_port=port)
        hint = ("connect 127.0.0.1:%d: Connection refused: is kueue_server running on "
                "127.0.0.1:%d?" % (port, port))
        where = " (server_name/server_port in ~/.config/kueue/config.toml)"
        r = home.kueue("list-jobs")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", "Error: %s%s\n"
                                                                     % (hint, where)))
        r = home.run([WORKER], timeout=30)
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stderr, "Error: Failed to start worker: %s%s\n" % (hint, where))
        with self.assertRaises(kp.ServerUnreachable) as caught:
            kp.Connection("127.0.0.1", port, timeout=10)
        self.assertEqual(str(caught.exception), hint)
        self.assertEqual(caught.exception.errno, errno.ECONNREFUSED)
        self.assertIsInstance(caught.exception, OSError)
        with self.assertRaises(kp.ServerUnreachable) as caught:
            kp.Connection("127.0.0.1", port, timeout=10, config="lab.toml")
        self.assertEqual(str(caught.exception),
                         hint + " (server_name/server_port in lab.toml)")

    def test_worker_log_while_reconnecting(self):
        srv = kqtest.Server(self)
        w = kqtest.Worker(self, srv.port, reconnect_max_seconds=1)
        w.wait_for("Established connection to server")
        self.assertEqual(srv.stop(), 0)
        w.wait_for(re.escape("Failed to reconnect to server: connect 127.0.0.1:%d: Connection "
                             "refused: is kueue_server running on 127.0.0.1:%d? "
                             "(server_name/server_port in %s); next attempt in "
                             % (srv.port, srv.port, w.config)))

    def test_worker_with_the_wrong_secret(self):
        srv = kqtest.Server(self)
        w = kqtest.Worker(self, srv.port, secret="not the server's")
        self.assertEqual(w.proc.wait(30), 1)
        self.assertIn("Error: Failed to start worker: Authentication failed! The shared_secret "
                      "in %s must be the server's.\n" % w.config, w.text())


class Security(unittest.TestCase):
    def test_queries_need_no_secret(self):
        """What the README's Security section says: as in the original, only
        requests that change something need the shared secret."""
        srv = kqtest.Server(self)
        good = Client(self, srv)
        job = str(good.submit("cmd", "echo", "secret output"))
        worker = kqtest.FakeWorker(srv.port, "node1", srv.secret, test=self)
        worker.run_next(0, stdout="secret output\n")
        bad = Client(self, srv, secret="wrong")
        self.assertIn("echo secret output", bad.ok("list-jobs"))
        self.assertIn("secret output\n", bad.ok("show-job", job))
        self.assertEqual(bad.ok("wait-job", job), "")
        self.assertIn("node1", bad.ok("list-workers"))
        for args in (["cmd", "true"], ["remove-job", job], ["clean-jobs"]):
            self.assertIn("Authentication failed!", bad.fails(1, *args))


if __name__ == "__main__":
    unittest.main()
