"""Shared helpers of the kueue client tests (not a test itself).

    srv = kqtest.Server(self, global_resources={"genus": 3})
    cli = Client(self, srv)                 # its own config pointing at srv
    r = cli.run("cmd", "true")              # a CompletedProcess (text)
    msg = cli.json("list-jobs")             # stdout decoded as a server message
    fake = RecordingServer(self, answer)    # a scripted server; answer(request, state)
    Client(self, port=fake.port).run("list-jobs")   # gives the replies

The client runs with NO_COLOR set and stdin/stdout not terminals, so its
output is the plain text of the reference.  Every run is checked for
sanitizer reports (the ASan build runs the same tests).
"""

import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading

import kqtest
import kueue_protocol as kp

C2S = kp.ClientToServerMessage
S2C = kp.ServerToClientMessage
KUEUE = os.environ.get("KQ_CLIENT")
SUBCOMMANDS = ["cmd", "batch", "list-jobs", "show-job", "wait-job", "remove-job",
               "clean-jobs", "list-workers", "show-worker", "list-resources",
               "drain", "undrain", "set-priority", "restart", "follow", "log", "alloc", "relay",
               "complete", "help"]


def client_env(**extra):
    env = dict(os.environ)
    for key in ("CLICOLOR_FORCE", "CLICOLOR", "XDG_CONFIG_HOME"):
        env.pop(key, None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def check_clean(test, result):
    """Fails on sanitizer reports in a run's stderr."""
    kqtest.check_sanitizers(result.stderr, " ".join(result.args[:3]))


def spawn(test, argv, **kw):
    """Popen with stdout and stderr as text pipes and no stdin; the process
    is killed on cleanup if it is still running.  Finish with finished()."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)
    test.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
    return proc


def finished(test, proc, timeout=30):
    """(exit code, stdout, stderr) of a spawned process, once it ended;
    fails on sanitizer reports."""
    out, err = proc.communicate(timeout=timeout)
    kqtest.check_sanitizers(err, " ".join(proc.args[:3]))
    return proc.returncode, out, err


def run_kueue(test, args, cwd=None, input=None, env=None, timeout=60):
    result = subprocess.run([KUEUE] + list(args), cwd=cwd, input=input,
                            stdin=None if input is not None else subprocess.DEVNULL,
                            capture_output=True, text=True, env=env or client_env(),
                            timeout=timeout)
    check_clean(test, result)
    return result


class Client:
    """The kueue binary with a config file of its own for one server."""

    def __init__(self, test, server=None, secret=None, port=None, cpus=1, ram=100,
                 log_level="info", server_name="127.0.0.1", encryption=None, relay=True):
        """encryption: common_settings.encryption; by default "off" for a
        fake server (port without server: they speak plain text only, as
        the original) and the default (auto) for a real one.  relay:
        whether TLS calls start and use a relay (the default; false for
        tests that look at each call's own connection)."""
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="kq-client-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.config = os.path.join(self.dir, "client.toml")
        kqtest.write_config(self.config, {
            "common_settings": {
                "shared_secret": secret or (server.secret if server else kqtest.SECRET),
                "server_name": server_name,
                "server_port": port if port is not None else server.port,
                "log_level": log_level,
                "encryption": encryption or ("off" if server is None else "auto")},
            "client_settings": dict({"job_default_cpus": cpus, "job_default_ram_mb": ram},
                                    **({} if relay else {"relay_idle_seconds": 0}))})

    def run(self, *args, cwd=None, input=None, timeout=60):
        return run_kueue(self.test, ["-c", self.config] + list(args),
                         cwd=cwd or self.dir, input=input, timeout=timeout)

    def popen(self, *args, cwd=None):
        """Starts kueue in the background; finish with finished()."""
        return spawn(self.test, [KUEUE, "-c", self.config] + list(args),
                     cwd=cwd or self.dir, env=client_env())

    def ok(self, *args, **kw):
        """Runs and asserts exit status 0 and an empty stderr; returns stdout."""
        r = self.run(*args, **kw)
        self.test.assertEqual((r.returncode, r.stderr), (0, ""), r)
        return r.stdout

    def queued(self, *args, first=0, count=1, **kw):
        """Runs a cmd or batch that no worker is connected for: asserts exit
        status 0 and, on stderr, the warning about job first (the only
        one, even for a batch); returns stdout."""
        r = self.run(*args, **kw)
        self.test.assertEqual((r.returncode, r.stderr), (0, NO_WORKER % first), r)
        return r.stdout

    def submit(self, *args, **kw):
        """Runs a cmd that prints its job's id, whether a worker is
        connected yet or not (then the warning is on stderr); returns the
        id."""
        r = self.run(*args, **kw)
        self.test.assertEqual(r.returncode, 0, r)
        job = int(r.stdout)
        self.test.assertIn(r.stderr, ("", NO_WORKER % job), r)
        return job

    def fails(self, code, *args, **kw):
        """Runs and asserts exit status code; returns stderr."""
        r = self.run(*args, **kw)
        self.test.assertEqual(r.returncode, code, r)
        return r.stderr

    def json(self, subcommand, *args, **kw):
        """Runs with --json, asserts one line of output, decodes it."""
        out = self.ok(subcommand, "--json", *args, **kw)
        self.test.assertEqual(out.count("\n"), 1, out)
        self.test.assertTrue(out.endswith("\n"))
        msg = kp.decode(S2C, out)
        # The client prints the message exactly as the generated encoder does.
        self.test.assertEqual(kp.encode(msg).decode() + "\n", out)
        return msg

    def jobs(self, n=100000):
        return self.json("list-jobs", "-n", str(n)).job_infos


DATE = r"(?:today|yesterday) \d\d:\d\d:\d\d"
# What cmd and batch say when a Kueue-C server accepts a job while no
# worker is connected.
NO_WORKER = "Warning: no worker is connected; job %d waits until one connects (kueue list-workers)\n"


def match_lines(test, text, patterns):
    """Asserts text has exactly one line per pattern, each matching fully."""
    lines = text.split("\n")
    test.assertEqual(lines[-1], "", text)
    test.assertEqual(len(lines) - 1, len(patterns), text)
    for line, pattern in zip(lines, patterns):
        test.assertRegex(line, "^" + pattern + "$")


def cells(line):
    """The cells of a table row '| a | b |', stripped."""
    assert line.startswith("| ") and line.endswith(" |"), line
    return [c.strip() for c in line[2:-2].split(" | ")]


class RecordingServer(threading.Thread):
    """A fake server: serves one client connection after another, accepting
    any authentication (unless accept_auth is false) and answering each
    request with the list of messages answer(request, state) returns (state:
    a dict per connection).  For each connection it puts the list of
    messages the client sent into self.sessions once the client closed it."""

    def __init__(self, test, answer, accept_auth=True):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.answer = answer
        self.accept_auth = accept_auth
        self.sessions = queue.Queue()
        test.addCleanup(self.listener.close)
        self.start()

    def run(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            with sock:
                self.sessions.put(self.serve(sock))

    def serve(self, sock):
        framer = kp.Framer()
        got, state = [], {}
        sock.settimeout(30)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return got
                for raw in framer.feed(data):
                    if not got:
                        got.append(kp.decode(kp.HelloMessage, raw))
                        sock.sendall(kp.encode(S2C.WelcomeClient()))
                        continue
                    msg = kp.decode(C2S, raw)
                    got.append(msg)
                    if isinstance(msg, C2S.AuthRequest):
                        out = [S2C.AuthChallenge(salt="s" * 64)]
                    elif isinstance(msg, C2S.AuthResponse):
                        out = [S2C.AuthAccepted(self.accept_auth)]
                    elif isinstance(msg, C2S.Bye):
                        out = []
                    else:
                        out = self.answer(msg, state)
                    try:
                        for reply in out:
                            sock.sendall(kp.encode(reply))
                    except OSError:
                        pass  # a client gone after an error: read what it sent
        except ConnectionResetError as e:
            # Closing with answers unread (a request sent along with a
            # failed authentication) resets the connection; after Bye that
            # is fine: servers stop reading there.
            return got if got and isinstance(got[-1], C2S.Bye) else got + [e]
        except Exception as e:  # the test fails on it, not the thread
            return got + [e]
