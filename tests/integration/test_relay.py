"""The TLS relay (issue 16), against real binaries.

A kueue call over TLS that finds no relay for its server starts one; the
next calls go through it, already authenticated, and skip the handshake.
The relay exits when the server goes away, after relay_idle_seconds
without a call, and on `kueue relay --stop`; it serves only its own user,
from a private directory; with relay_idle_seconds = 0 or encryption off
there is none.  Each test points XDG_RUNTIME_DIR at a directory of its
own and stops every relay it started."""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import kqtest
import kueue_protocol as kp
from kqtest import C2S, Server, Worker, request, wait_until
from test_client_harness import KUEUE, Client, client_env, run_kueue
from test_tls import Proxy, job_count


def edit(path, old, new):
    with open(path) as fh:
        text = fh.read()
    assert old in text, (path, old)
    with open(path, "w") as fh:
        fh.write(text.replace(old, new))


class RelayCase(unittest.TestCase):
    def setUp(self):
        self.runtime = tempfile.mkdtemp(prefix="kq-relay-")
        self.configs = []
        self.addCleanup(shutil.rmtree, self.runtime, True)
        self.addCleanup(self.kill_relays)

    def use_runtime(self):
        """This test's XDG_RUNTIME_DIR in our own environment too (for the
        Python module), until the test ends."""
        old = os.environ.get("XDG_RUNTIME_DIR")
        os.environ["XDG_RUNTIME_DIR"] = self.runtime
        self.addCleanup(lambda: os.environ.pop("XDG_RUNTIME_DIR") if old is None
                        else os.environ.update(XDG_RUNTIME_DIR=old))

    def env(self):
        return client_env(XDG_RUNTIME_DIR=self.runtime)

    def client(self, server=None, port=None, **client_settings):
        c = Client(self, server, port=port)
        self.configs.append(c.config)
        if port is not None:
            # A real server behind a proxy: TLS, as for the server itself.
            edit(c.config, 'encryption = "off"', 'encryption = "auto"')
        if client_settings:
            with open(c.config, "a") as fh:
                for k, v in client_settings.items():
                    fh.write("%s = %s\n" % (k, kqtest.toml_value(v)))
        return c

    def run_client(self, c, *args, **kw):
        return run_kueue(self, ["-c", c.config] + list(args), cwd=c.dir, env=self.env(), **kw)

    def ok(self, c, *args):
        r = self.run_client(c, *args)
        self.assertEqual(r.returncode, 0, r)
        return r

    def sockets(self):
        return glob.glob(os.path.join(self.runtime, "kueue", "relay-*.sock"))

    def relay_pids(self):
        """The relays of this test's clients (by their configuration)."""
        pids = []
        for config in self.configs:
            out = subprocess.run(["pgrep", "-f", "--", "%s relay$" % config],
                                 capture_output=True, text=True).stdout.split()
            pids += [int(p) for p in out]
        return pids

    def kill_relays(self):
        kqtest.kill_pids(self.relay_pids())

    def wait_relay(self, c):
        """Waits for c's relay to listen; returns its pid."""
        wait_until(self.sockets, what="the relay's socket")
        return wait_until(lambda: self.relay_pids(), what="the relay process")[0]

    def wait_no_relay(self, timeout=10):
        wait_until(lambda: not self.relay_pids() and not self.sockets(), timeout=timeout,
                   what="the relay to exit and remove its socket")


class Relay(RelayCase):
    def setUp(self):
        super().setUp()
        self.srv = Server(self)

    def test_calls_go_through_the_relay_the_first_call_starts(self):
        """Behind a proxy that counts connections: the first call makes its
        own, the relay two; calls that leave the session as it was reuse
        them, one that does not (an extension request) ends its own, which
        the relay replaces.  Once the proxy takes no new connection, calls
        still get through, on the relay's; when the server stops, the
        relay exits and a call fails as a direct one does."""
        proxy = Proxy(self, self.srv.port)
        c = self.client(port=proxy.port)
        self.assertEqual(self.ok(c, "cmd", "true").stdout, "0\n")
        self.wait_relay(c)
        wait_until(lambda: len(proxy.sessions) >= 3, what="the relay's connections")
        for i in range(1, 11):
            self.assertEqual(self.ok(c, "cmd", "true").stdout, "%d\n" % i)
        self.ok(c, "show-job", "3")
        self.assertEqual(len(proxy.sessions), 3)
        self.ok(c, "set-priority", "5", "7")
        wait_until(lambda: len(proxy.sessions), lambda n: n == 4, what="a new connection")
        # Every session of the proxy is TLS: nothing in plain text.
        wait_until(lambda: all(s["up"] for s in proxy.sessions), what="the ClientHello")
        for s in proxy.sessions:
            self.assertEqual(s["up"][:1], b"\x16")
        proxy.stop()
        time.sleep(0.2)
        self.assertEqual(self.ok(c, "cmd", "true").stdout, "11\n")
        self.assertEqual(job_count(self.srv), 12)
        self.srv.stop()
        self.wait_no_relay()
        r = self.run_client(c, "cmd", "true")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("is kueue_server running", r.stderr)

    def test_many_calls_at_once_and_waits(self):
        Worker(self, self.srv.port, dynamic_check_free_resources=False)
        conn = self.srv.client()
        wait_until(lambda: request(conn, C2S.ListWorkers()).value, what="the worker")
        conn.close()
        c = self.client(self.srv)
        self.ok(c, "cmd", "true")
        pid = self.wait_relay(c)
        results = []

        def call(i):
            try:
                results.append(self.run_client(c, "cmd", "--wait", "sh", "-c",
                                               "exit %d" % (i % 3)))
            except Exception as e:  # reported by the assertion below
                results.append(e)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r for r in results if isinstance(r, Exception)], [])
        self.assertEqual(sorted(getattr(r, "returncode", -1) for r in results),
                         sorted(i % 3 for i in range(20)), results)
        self.assertEqual(job_count(self.srv), 21)
        # A long answer and a batch through the relay.
        lines = "".join("echo %d\n" % i for i in range(3000))
        r = self.run_client(c, "batch", "--no-env", "-", input=lines)
        self.assertEqual(r.returncode, 0, r)
        r = self.ok(c, "list-jobs", "--json", "-n", "5000")
        self.assertGreater(r.stdout.count('"job_id"'), 3000)
        self.assertEqual(self.relay_pids(), [pid])

    def foreground(self, c):
        """`kueue relay` for c, its output in a log (checked for sanitizer
        reports by the tests)."""
        fg = kqtest.Process(self, [KUEUE, "-c", c.config, "relay"],
                            os.path.join(c.dir, "relay.log"), env=self.env())
        self.assertEqual(self.wait_relay(c), fg.proc.pid)
        return fg

    def test_relay_exits_with_the_server(self):
        c = self.client(self.srv)
        fg = self.foreground(c)
        self.ok(c, "cmd", "true")
        self.srv.stop()
        self.assertEqual(fg.proc.wait(10), 1)
        self.assertRegex(fg.text(), r"Error: server 127\.0\.0\.1:%d: " % self.srv.port)
        fg.check_clean()
        self.wait_no_relay()
        r = self.run_client(c, "list-jobs")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("is kueue_server running", r.stderr)

    def test_idle_exit(self):
        c = self.client(self.srv, relay_idle_seconds=1)
        fg = self.foreground(c)
        self.ok(c, "list-jobs")
        self.assertEqual(fg.proc.wait(10), 0)
        self.assertIn("kueue relay: stopped: no call for 1 s", fg.text())
        fg.check_clean()
        self.wait_no_relay()
        # Started by a call, it goes the same way.
        self.ok(c, "cmd", "true")
        self.wait_relay(c)
        self.wait_no_relay(timeout=6)

    def test_a_relay_killed_is_replaced(self):
        """kill -9 leaves its socket behind: the next call connects by
        itself and starts a new relay, which takes the place over."""
        c = self.client(self.srv)
        self.ok(c, "cmd", "true")
        pid = self.wait_relay(c)
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: pid not in self.relay_pids(), what="the relay to die")
        self.assertEqual(len(self.sockets()), 1)
        self.assertEqual(self.ok(c, "cmd", "true").stdout, "1\n")
        new = wait_until(lambda: [p for p in self.relay_pids() if p != pid], what="a new relay")
        self.assertEqual(self.ok(c, "cmd", "true").stdout, "2\n")
        self.assertEqual(self.relay_pids(), new)

    def test_runtime_directory_missing(self):
        """An XDG_RUNTIME_DIR that does not exist is passed over: /tmp."""
        c = self.client(self.srv)
        env = client_env(XDG_RUNTIME_DIR=os.path.join(self.runtime, "gone"))
        r = run_kueue(self, ["-c", c.config, "cmd", "true"], cwd=c.dir, env=env)
        self.assertEqual((r.returncode, r.stdout), (0, "0\n"), r)
        self.assertNotIn("Warning: no TLS relay", r.stderr)
        tmp = "/tmp/kueue-%d" % os.geteuid()
        wait_until(lambda: self.relay_pids(), what="the relay")
        self.assertEqual(os.stat(tmp).st_mode & 0o777, 0o700)
        self.assertEqual(self.ok(c, "relay", "--stop").stdout,
                         "No relay runs for this server.\n")
        r = run_kueue(self, ["-c", c.config, "relay", "--stop"], cwd=c.dir, env=env)
        self.assertRegex(r.stdout, r"^Stopped the relay \(pid \d+\)\.\n$")

    def test_no_relay_when_off(self):
        for settings, encryption in (({"relay_idle_seconds": 0}, "auto"), ({}, "off")):
            c = self.client(self.srv, **settings)
            if encryption == "off":
                edit(c.config, 'encryption = "auto"', 'encryption = "off"')
            self.ok(c, "cmd", "true")
            self.ok(c, "list-jobs")
            time.sleep(0.3)
            self.assertEqual((self.sockets(), self.relay_pids()), ([], []))

    def test_foreground_relay_and_stop(self):
        c = self.client(self.srv)
        fg = self.foreground(c)
        pid = fg.proc.pid
        self.assertEqual(self.ok(c, "cmd", "true").stdout, "0\n")
        r = self.run_client(c, "relay")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("a relay for 127.0.0.1:%d already runs (pid %d)" % (self.srv.port, pid),
                      r.stderr)
        self.assertEqual(self.ok(c, "relay", "--stop").stdout,
                         "Stopped the relay (pid %d).\n" % pid)
        self.assertEqual(fg.proc.wait(5), 0)
        self.assertIn("kueue relay: stopped: signal 15", fg.text())
        fg.check_clean()
        self.assertEqual(self.sockets(), [])
        self.assertEqual(self.ok(c, "relay", "--stop").stdout, "No relay runs for this server.\n")

    def test_directory_not_private(self):
        os.mkdir(os.path.join(self.runtime, "kueue"), 0o755)
        os.chmod(os.path.join(self.runtime, "kueue"), 0o755)
        c = self.client(self.srv)
        r = self.ok(c, "list-jobs")
        self.assertIn("Warning: no TLS relay (each call makes its own TLS connection): %s/kueue "
                      "is not a private directory of yours" % self.runtime, r.stderr)
        self.assertEqual((self.sockets(), self.relay_pids()), ([], []))

    def test_a_relay_that_passes_nothing_on(self):
        """A call sends its requests with its hello; a relay that closes,
        or answers anything but ready, passed none of them on: the call
        sends them to the server itself, and the job is queued once."""
        c = self.client(self.srv)
        os.mkdir(os.path.join(self.runtime, "kueue"), 0o700)
        self.use_runtime()
        # Where the C client looks, as the Python module computes it.
        path = kp.relay_socket("127.0.0.1", self.srv.port, self.srv.secret)
        for answer in (b"", b'{"KueueRelay":"busy"}'):
            got = []
            listener = socket.socket(socket.AF_UNIX)
            listener.bind(path)
            listener.listen(4)

            def fake():
                conn, _ = listener.accept()
                got.append(conn.recv(65536))
                conn.sendall(answer)
                conn.close()

            t = threading.Thread(target=fake)
            t.start()
            before = job_count(self.srv)
            r = self.ok(c, "cmd", "true")
            self.assertEqual(int(r.stdout), before, r)
            t.join(10)
            listener.close()
            os.unlink(path)
            self.assertTrue(got[0].startswith(b'{"KueueRelay":1}'), got)
            self.assertEqual(job_count(self.srv), before + 1)

    def test_the_python_module_goes_through_the_relay(self):
        """Given the secret, the Python module (which has no TLS of its own)
        uses a relay that runs: "required" then works, and the server sees
        no plain-text connection."""
        c = self.client(self.srv)
        self.foreground(c)
        self.use_runtime()
        for _ in range(2):
            conn = kp.Connection("127.0.0.1", self.srv.port, timeout=10,
                                 encryption="required", secret=self.srv.secret)
            self.assertTrue(conn.relayed)
            conn.hello_client()
            conn.authenticate(self.srv.secret)
            before = job_count(self.srv)
            self.assertEqual(request(conn, C2S.IssueJob(kqtest.new_job())).value.job_id,
                             before)
            conn.close()
        self.assertEqual(job_count(self.srv), 2)
        # The jobs came over the relay's TLS connections.
        log = self.srv.log()
        peers = re.findall(r"Accepted job \d+ from (\S+)", log)
        self.assertEqual(len(peers), 2, log)
        for peer in peers:
            self.assertIn("Client connected from %s over TLS" % peer, log)
        # The example client (kueue-py) too.
        example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "tools", "kueue_client_example.py")
        edit(c.config, 'encryption = "auto"', 'encryption = "required"')
        r = subprocess.run(["python3", example, "-c", c.config, "submit", "true"],
                           capture_output=True, text=True, timeout=60,
                           env=dict(self.env(), PYTHONPATH=os.path.dirname(kp.__file__)))
        self.assertEqual((r.returncode, r.stdout), (0, "job 2 issued\n"), r)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to act as another user")
    def test_other_users_get_nothing(self):
        """Even with the directory and socket opened up, the relay hands
        no session to a process of another user."""
        c = self.client(self.srv)
        self.ok(c, "cmd", "true")
        self.wait_relay(c)
        sock = self.sockets()[0]
        os.chmod(self.runtime, 0o755)
        os.chmod(os.path.dirname(sock), 0o755)
        os.chmod(sock, 0o777)
        probe = ("import os, socket\n"
                 "os.setgid(65534); os.setuid(65534)\n"
                 "s = socket.socket(socket.AF_UNIX); s.connect(%r)\n"
                 "try:\n"
                 "    s.sendall(b'{\"KueueRelay\":1}'); s.settimeout(5)\n"
                 "    print(repr(s.recv(100)))\n"
                 "except (BrokenPipeError, ConnectionResetError):\n"
                 "    print(repr(b''))\n" % sock)
        r = subprocess.run(["python3", "-c", probe], capture_output=True, text=True, timeout=30)
        self.assertEqual((r.returncode, r.stdout), (0, "b''\n"), r)


if __name__ == "__main__":
    unittest.main()
