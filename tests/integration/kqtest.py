"""Shared harness of the integration tests: real binaries on 127.0.0.1.

Every test process starts what it needs on ephemeral ports and stops all
of it, also when a test fails.  Binaries come from the environment
(KQ_SERVER, KQ_WORKER, KQ_CLIENT), set by CTest.

    srv = Server(self, server_settings={"job_offer_timeout_seconds": 5})
    c = srv.client(auth=True)        # a kueue_protocol.Connection
    w = FakeWorker(srv.port, "node1", srv.secret)
    job = w.start_next()             # accepted and confirmed: Running
    real = Worker(self, srv.port, worker_name="node2")
    wait_until(lambda: request(c, C2S.ListWorkers()).value, what="the workers")
"""

import itertools
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import kueue_protocol as kp

SECRET = "kueue-c test secret"
C2S = kp.ClientToServerMessage
S2C = kp.ServerToClientMessage
W2S = kp.WorkerToServerMessage
S2W = kp.ServerToWorkerMessage


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return '"%s"' % str(v).replace("\\", "\\\\").replace('"', '\\"')


def check_sanitizers(text, where):
    """Fails if text holds a sanitizer report (leaks and UBSan included)."""
    if "Sanitizer" in text or "runtime error:" in text:
        raise AssertionError("sanitizer report from %s:\n%s" % (where, text[-6000:]))


def wait_until(get, until=bool, timeout=10.0, what="condition", interval=0.02):
    """Calls get() until until(value) holds and returns that value (by
    default: until get() returns something true); fails after timeout
    seconds.  what names the condition, or is a function giving the text
    (called only on failure, e.g. to add a log)."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s; last value: %r"
                                 % (timeout, what() if callable(what) else what, value))
        time.sleep(interval)


def free_port():
    """A TCP port of 127.0.0.1 that was free a moment ago: for a server
    that must come back on the same port, or a client that must find
    nobody listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_command_line(test, argv, usage, mentions=(), env=None):
    """What every binary shares: -V prints the version, --help the usage
    (with each of mentions) on stdout, an unknown option exits 2 with the
    usage on stderr.  argv: the binary and leading options.  Returns the
    --help text."""
    def run(option):
        r = subprocess.run(list(argv) + [option], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, env=env, timeout=30)
        check_sanitizers(r.stderr, "%s %s" % (argv[0], option))
        return r
    r = run("-V")
    test.assertEqual((r.returncode, r.stdout, r.stderr), (0, "kueue 0.20.0\n", ""))
    r = run("--help")
    test.assertEqual((r.returncode, r.stderr), (0, ""), r)
    test.assertIn("Usage: " + usage, r.stdout)
    for text in mentions:
        test.assertIn(text, r.stdout)
    help_text = r.stdout
    r = run("--kq-no-such-option")
    test.assertEqual((r.returncode, r.stdout), (2, ""), r)
    test.assertIn("Usage: " + usage, r.stderr)
    return help_text


_marks = itertools.count()


def sleep_marker(test, seconds=None):
    """An argument for `sleep` that no other process uses, so pids_of()
    finds the sleeps a test started: about 15 minutes by default, else
    seconds plus a fraction.  Jobs run in process groups of their own, so
    a failed test would leave them behind: every process with the mark is
    killed on cleanup."""
    if seconds is None:
        seconds = 900 + os.getpid() % 90
    usec = (int(time.time() * 1e6) + os.getpid() * 7919 + next(_marks)) % 1000000
    mark = "%d.%06d" % (seconds, usec)
    test.addCleanup(lambda: kill_pids(pids_of(mark)))
    return mark


def pids_of(mark):
    """The processes whose command line has `sleep <mark>`."""
    out = subprocess.run(["pgrep", "-f", "sleep " + mark], capture_output=True, text=True)
    assert out.returncode in (0, 1), out  # 1: none
    return [int(p) for p in out.stdout.split()]


def wait_pids(mark, count=1, timeout=5.0):
    """Waits until at least count processes have the mark; returns them."""
    return wait_until(lambda: pids_of(mark), lambda pids: len(pids) >= count, timeout,
                      "%d processes with `sleep %s`" % (count, mark), 0.05)


def wait_gone(mark, timeout=3.0):
    """Waits until no process has the mark; returns those left (none, if
    all went away in time)."""
    deadline = time.monotonic() + timeout
    while pids_of(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pids_of(mark)


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def write_config(path, sections):
    """sections: {"server_settings": {"key": value}, ...}"""
    with open(path, "w") as fh:
        for name, keys in sections.items():
            fh.write("[%s]\n" % name)
            for key, value in keys.items():
                fh.write("%s = %s\n" % (key, toml_value(value)))
            fh.write("\n")
    os.chmod(path, 0o600)


class Process:
    """A child process whose output goes to a log file; stopped on cleanup."""

    def __init__(self, test, argv, log_path, env=None, popen=subprocess.Popen):
        """popen: what starts the process (subprocess.Popen's signature),
        e.g. to add a preexec_fn."""
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        test.addCleanup(self.kill)

    def text(self):
        with open(self.log_path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    def wait_for(self, pattern, timeout=10.0):
        """Waits until the log matches pattern; returns the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                raise AssertionError("process exited (%s) before %r:\n%s"
                                     % (self.proc.returncode, pattern, self.text()))
            time.sleep(0.02)
        raise AssertionError("timed out waiting for %r:\n%s" % (pattern, self.text()))

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals the process and returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def check_clean(self):
        """Fails if a sanitizer reported anything (leaks included)."""
        check_sanitizers(self.text(), self.log_path)

    def finish(self):
        """Stops the process politely and checks it ended cleanly."""
        if self.proc.poll() is None:
            code = self.stop()
            if code != 0:
                raise AssertionError("exit code %s:\n%s" % (code, self.text()[-3000:]))
        self.check_clean()

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.log.close()


class Server:
    """A kueue_server on 127.0.0.1 with an ephemeral port (unless the
    config names one), its status page on another (status_port; None when
    server_settings turn it off), and its own config and state file.  env:
    its environment at every start (None: the test's)."""

    def __init__(self, test, secret=SECRET, extra_args=(), popen=subprocess.Popen, env=None,
                 **sections):
        self.dir = tempfile.mkdtemp(prefix="kq-server-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.secret = secret
        conf = {"common_settings": {"shared_secret": secret, "server_port": 0,
                                    "log_level": "debug"},
                "server_settings": {"bind_addresses": "127.0.0.1",
                                    "status_address": "127.0.0.1:0",
                                    "state_file": os.path.join(self.dir, "state.sqlite3")}}
        for name, keys in sections.items():
            conf.setdefault(name, {}).update(keys)
        self.config = os.path.join(self.dir, "config.toml")
        self.status_address = conf["server_settings"]["status_address"]
        write_config(self.config, conf)
        self.argv = [os.environ["KQ_SERVER"], "-c", self.config] + list(extra_args)
        self.env = env
        self.test = test
        self.starts = 0
        self._start(popen)

    def _start(self, popen=subprocess.Popen):
        self.starts += 1
        log = "server.log" if self.starts == 1 else "server%d.log" % self.starts
        self.process = Process(self.test, self.argv, os.path.join(self.dir, log), env=self.env,
                               popen=popen)
        self.test.addCleanup(self.process.finish)
        m = self.process.wait_for(r"Started listening on 127\.0\.0\.1:(\d+)")
        self.port = int(m.group(1))
        self.status_port = None
        if self.status_address:
            m = self.process.wait_for(r"Status page on http://[^ ]*:(\d+)/")
            self.status_port = int(m.group(1))

    def restart(self, sig=signal.SIGTERM):
        """Stops the server with sig and starts it again on the same config
        and state file (so on the same port only if the config names one);
        returns the exit code of the stopped one."""
        code = self.process.stop(sig)
        self._start()
        return code

    def start_again(self):
        """Starts the stopped server again on the same config and state
        file."""
        self._start()

    @property
    def state(self):
        return os.path.join(self.dir, "state.sqlite3")

    def client(self, auth=False):
        c = kp.Connection("127.0.0.1", self.port, timeout=10)
        self.test.addCleanup(c.sock.close)
        c.hello_client()
        if auth:
            c.authenticate(self.secret)
        return c

    def log(self):
        return self.process.text()

    def stop(self, sig=signal.SIGTERM):
        return self.process.stop(sig)


def request(conn, message):
    """Sends a client request and returns the answer."""
    conn.send(message)
    return conn.recv(S2C)


def new_job(cmd=("true",), cwd="/tmp", slots=1, cpus=1, ram=100, resources=None,
            stdout=None, stderr=None, queue_anyway=None):
    """queue_anyway: True for a job no connected worker could ever run,
    which a Kueue-C server refuses otherwise."""
    return kp.JobInfo(job_id=0, cmd=list(cmd), cwd=cwd,
                      worker_resources=kp.Resources(slots, cpus, ram),
                      global_resources=resources,
                      status=kp.JobStatus.Pending(kp.Timestamp.now()),
                      stdout_path=stdout, stderr_path=stderr, queue_anyway=queue_anyway)


def issue(conn, **kw):
    """Issues a job and returns its id (asserts it was accepted)."""
    reply = request(conn, C2S.IssueJob(new_job(**kw)))
    assert isinstance(reply, S2C.AcceptJob), reply
    return reply.value.job_id


class Worker(Process):
    """A real kueue_worker with a config of its own, connecting to
    server_name (127.0.0.1 unless given):port.  Stopped on cleanup, and then checked to have exited 0
    (if it was still running) without sanitizer reports."""

    def __init__(self, test, port, secret=SECRET, directory=None, log_level="debug",
                 server_name="127.0.0.1", args=(), cwd=None, env=None, encryption=None,
                 **worker_settings):
        """worker_settings: the [worker_settings] section (none if empty).
        directory: where the config and log go (a new temporary one if
        None); several workers may share one.  args: more options (e.g.
        --lifetime); cwd and env: the worker process's (the test's by
        default).  encryption: common_settings.encryption (None: the
        default, auto)."""
        if directory is None:
            directory = tempfile.mkdtemp(prefix="kq-worker-")
            test.addCleanup(shutil.rmtree, directory, True)
        n = 1
        while os.path.exists(os.path.join(directory, self._name(n, "toml"))):
            n += 1
        self.config = os.path.join(directory, self._name(n, "toml"))
        sections = {"common_settings": {"shared_secret": secret, "server_name": server_name,
                                        "server_port": port, "log_level": log_level}}
        if encryption is not None:
            sections["common_settings"]["encryption"] = encryption
        if worker_settings:
            sections["worker_settings"] = worker_settings
        write_config(self.config, sections)
        super().__init__(test, [os.environ["KQ_WORKER"], "-c", self.config] + list(args),
                         os.path.join(directory, self._name(n, "log")), env=env,
                         popen=lambda *a, **kw: subprocess.Popen(*a, cwd=cwd, **kw))
        test.addCleanup(self.finish)

    @staticmethod
    def _name(n, ext):
        return "worker.%s" % ext if n == 1 else "worker%d.%s" % (n, ext)


class FakeWorker:
    """Speaks the worker side of the protocol by hand.  With level 0 (the
    default) it behaves as the original worker: it announces no extension
    level, and a message it could not decode (an extension variant) fails
    the test; with level >= 1 it announces that level, as kueue_worker
    does, and .server_level is what the server answered.  allocation: the
    token a worker in an allocation sends in its hello."""

    def __init__(self, port, name="node1", secret=SECRET, resources=(1, 8, 8000),
                 authenticate=True, test=None, level=0, output_limit=None, allocation=None):
        """output_limit: the output_limit_bytes a Kueue-C worker announces
        (level >= 1 only)."""
        self.conn = kp.Connection("127.0.0.1", port, timeout=10, level=level)
        if test is not None:
            test.addCleanup(self.conn.sock.close)
        self.name = name
        self.free = kp.Resources(0, 0, 0)
        self.watched = []  # WatchOutput messages received (recv skips them)
        self.conn.send(kp.HelloMessage.HelloFromWorker(name, extension_level=level or None,
                                                       output_limit=output_limit,
                                                       allocation=allocation))
        assert isinstance(self.recv(), S2W.WelcomeWorker)
        self.challenge_raw = self.recv_raw()
        self.challenge = kp.decode(S2W, self.challenge_raw, level)
        self.salt = self.challenge.salt
        self.server_level = getattr(self.challenge, "extension_level", None)
        # A server that did not answer a level speaks the original protocol.
        self.conn.level = min(level, self.server_level or 0)
        if authenticate:
            self.send(W2S.AuthResponse(kp.auth_response(secret, self.salt)))
            reply = self.recv()
            assert isinstance(reply, S2W.AuthAccepted) and reply.value, reply
            if resources is not None:
                self.resources(*resources)

    def send(self, message):
        self.conn.send(message)

    def recv(self, timeout=10):
        """The next message, WatchOutput aside (noted in .watched as
        (job_id, watched))."""
        self.conn.sock.settimeout(timeout)
        while True:
            m = self.conn.recv(S2W)
            if not isinstance(m, S2W.WatchOutput):
                return m
            self.watched.append((m.job_id, m.watched))

    def recv_raw(self, timeout=10):
        """The next message's bytes, as they came."""
        self.conn.sock.settimeout(timeout)
        return self.conn.recv_raw()

    def resources(self, slots, cpus, ram):
        self.free = kp.Resources(slots, cpus, ram)
        self.send(W2S.UpdateResources(self.free))

    def keepalive(self, lifetime=None):
        """UpdateSystemInfo; lifetime: a kp.WorkerLifetime to report."""
        self.send(W2S.UpdateSystemInfo(kp.SystemInfo("6.1.0", "Linux 12 Debian GNU/Linux", 8,
                                                     2000, 16000, kp.LoadInfo(0.0, 0.0, 0.0),
                                                     lifetime=lifetime)))

    def nothing_for(self, seconds):
        """True if the server sends nothing for that long."""
        if self.conn.pending:
            return False
        r, _, _ = select.select([self.conn.sock], [], [], seconds)
        return not r

    def finish(self, job, code=0, stdout=None, stderr=None):
        st = job.status
        job.status = kp.JobStatus.Finished(issued=st.issued, started=st.started,
                                           finished=kp.Timestamp.now(), return_code=code,
                                           worker=self.name, run_time_seconds=0,
                                           comment="Job finished orderly.")
        self.send(W2S.UpdateJobStatus(job))
        self.send(W2S.UpdateJobResults(job_id=job.job_id, stdout_text=stdout,
                                       stderr_text=stderr))
        # As a real worker does: free resources after every job.
        self.send(W2S.UpdateResources(self.free))

    def output(self, job_id, stdout=None, stderr=None):
        """Sends an OutputChunk (level >= 1): stdout and stderr are
        (offset, text) pairs or None."""
        piece = lambda p: kp.StreamText(*p) if p is not None else None
        self.send(W2S.OutputChunk(job_id=job_id, stdout_chunk=piece(stdout),
                                  stderr_chunk=piece(stderr)))

    def accept(self, offer):
        """Accepts offer (an OfferJob received); returns the job as the
        server confirmed it."""
        assert isinstance(offer, S2W.OfferJob), offer
        self.send(W2S.AcceptJobOffer(offer.value))
        confirm = self.recv()
        assert isinstance(confirm, S2W.ConfirmJobOffer), confirm
        assert confirm.value.job_id == offer.value.job_id, (offer, confirm)
        return confirm.value

    def start_next(self):
        """Accepts the next offer; returns the job as confirmed (Running)."""
        return self.accept(self.recv())

    def run_next(self, code=0, stdout=None):
        """Accepts the next offer and reports it finished; returns its id."""
        job = self.start_next()
        self.finish(job, code, stdout)
        return job.job_id


class FakeServer:
    """Speaks the server side to one worker, for worker tests.  With level 0
    (the default) it behaves as the original server: it ignores the
    hello's extension level, answers none, and a worker message it could
    not decode (an extension variant) fails the test.  With level >= 1 it
    answers a worker that announced a level as a Kueue-C server does, with
    state_id as the id of its stored state (None: in memory only)."""

    def __init__(self, test, secret=SECRET, port=0, level=0, state_id=None, output_keep=None):
        self.secret = secret
        self.level = level
        self.state_id = state_id
        self.output_keep = output_keep
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        test.addCleanup(self.listener.close)
        self.test = test
        self.refused_tls = 0

    def accept(self, timeout=10, authenticate=True):
        """Waits for the worker, does the handshake; returns a Connection
        with .worker_name set.  A connection that does not start with JSON
        (a Kueue-C worker's TLS ClientHello) is closed without a word, as
        the original does, and counted in .refused_tls."""
        self.listener.settimeout(timeout)
        while True:
            sock, _ = self.listener.accept()
            sock.settimeout(timeout)
            conn = kp.Connection.__new__(kp.Connection)
            conn.sock, conn.framer, conn.pending = sock, kp.Framer(), []
            conn.level = kp.EXTENSION_LEVEL
            self.test.addCleanup(sock.close)
            first = sock.recv(1, socket.MSG_PEEK)
            if first != b"\x16":
                break
            sock.recv(65536)
            sock.close()
            self.refused_tls += 1
        hello = conn.recv(kp.HelloMessage)
        assert isinstance(hello, kp.HelloMessage.HelloFromWorker), hello
        conn.worker_name = hello.worker_name
        conn.hello = hello
        conn.level = min(self.level, hello.extension_level or 0)
        conn.send(S2W.WelcomeWorker())
        salt = "s" * 64
        conn.send(S2W.AuthChallenge(salt=salt, extension_level=self.level or None,
                                    state_id=self.state_id, output_keep=self.output_keep))
        answer = conn.recv(W2S)
        ok = isinstance(answer, W2S.AuthResponse) and \
            answer.value == kp.auth_response(self.secret, salt) and authenticate
        conn.send(S2W.AuthAccepted(ok))
        return conn
