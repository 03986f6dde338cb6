"""TLS between Kueue-C peers (issue 16), against real binaries.

The all-C stack is encrypted by default; a different secret fails the
handshake on both sides with no fallback to plain text; plain text is
refused when allow_plaintext is false; a man in the middle who flips one
byte in either direction breaks the connection before anything runs; a
recorded session replayed to the server queues nothing again; garbage
after a TLS record type, half a handshake and a thousand handshakes at
once cost the server only those connections; clients and workers fall
back to plain text, with a warning, to a server that speaks no TLS (as
the original, which closes on a record it cannot parse), unless
encryption is "required".

A Proxy sits between a real client and the server on loopback: it records
both directions and can change TLS records on their way.  Clients behind
it use no relay: what is examined is each call's own connection (the
relay has test_relay.py)."""

import os
import resource
import select
import socket
import threading
import time
import unittest

import kqtest
import kueue_protocol as kp
from kqtest import C2S, S2C, Server, request, wait_until
from test_client_harness import KUEUE, Client, RecordingServer

HANDSHAKE, CCS, APPDATA = 0x16, 0x14, 0x17


class Proxy(threading.Thread):
    """Forwards each connection to target_port, recording what passes in
    each direction (.sessions: one dict per connection, "up" the client's
    bytes, "down" the server's).  mangle(direction, kind, index, record),
    when given, sees every whole TLS record (index counts the records of
    that kind and direction on the connection) and returns the bytes to
    pass on."""

    def __init__(self, test, target_port, mangle=None):
        super().__init__(daemon=True)
        self.target = target_port
        self.mangle = mangle
        self.sessions = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.stopped = False
        test.addCleanup(self.stop)
        self.start()

    def stop(self):
        self.stopped = True
        self.listener.close()

    def run(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            session = {"up": bytearray(), "down": bytearray()}
            self.sessions.append(session)
            threading.Thread(target=self.relay, args=(client, server, session),
                             daemon=True).start()

    def relay(self, client, server, session):
        pending = {"up": bytearray(), "down": bytearray()}
        counts = {}
        peers = {client: (server, "up"), server: (client, "down")}
        try:
            while True:
                ready, _, _ = select.select(list(peers), [], [], 60)
                if not ready:
                    return
                for sock in ready:
                    other, direction = peers[sock]
                    data = sock.recv(65536)
                    if not data:
                        return
                    session[direction] += data
                    if not self.mangle:
                        other.sendall(data)
                        continue
                    buf = pending[direction]
                    buf += data
                    while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
                        size = 5 + int.from_bytes(buf[3:5], "big")
                        record, buf[:] = bytes(buf[:size]), buf[size:]
                        key = (direction, record[0])
                        counts[key] = counts.get(key, 0) + 1
                        other.sendall(self.mangle(direction, record[0], counts[key], record))
        except OSError:
            return
        finally:
            client.close()
            server.close()


def flip_last_byte(record):
    return record[:-1] + bytes([record[-1] ^ 0x01])


def read_to_end(sock, timeout=10):
    """Everything the peer sends until it closes (or resets)."""
    sock.settimeout(timeout)
    got = bytearray()
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return bytes(got)
        if not data:
            return bytes(got)
        got += data


def job_count(srv):
    c = srv.client(auth=True)
    n = len(request(c, C2S.ListJobs(num_jobs=1000)).job_infos)
    c.close()
    return n


class TlsByDefault(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)

    def test_the_all_c_stack_is_encrypted(self):
        # Static resources: a machine loaded by the tests before must not
        # hold the job back until the next report.
        w = kqtest.Worker(self, self.srv.port, worker_name="node1",
                          dynamic_check_free_resources=False)
        w.wait_for(r"The connection is encrypted: TLS 1\.3, TLS_AES_128_GCM_SHA256, x25519")
        self.srv.process.wait_for(r'Worker "node1" \(id \d+\) connected from .* over TLS')
        proxy = Proxy(self, self.srv.port)
        cli = Client(self, secret=self.srv.secret, port=proxy.port, encryption="auto", relay=False)
        out = cli.ok("cmd", "-w", "echo", "marker-4711")
        self.assertEqual(out.strip().splitlines()[-1], "0")
        self.srv.process.wait_for(r"Client connected from .* over TLS")
        # Nothing of the protocol or the job is readable on the wire.
        session = proxy.sessions[0]
        self.assertEqual(session["up"][0], HANDSHAKE)
        for direction in ("up", "down"):
            for text in (b"IssueJob", b"marker-4711", b"echo", b"AuthChallenge", b"Hello"):
                self.assertNotIn(text, session[direction], direction)

    def test_a_different_secret_fails_both_sides_without_fallback(self):
        for encryption in ("auto", "required"):
            proxy = Proxy(self, self.srv.port)
            bad = Client(self, secret="not the secret", port=proxy.port, encryption=encryption,
                         relay=False)
            err = bad.fails(1, "list-jobs")
            self.assertEqual(err, "Error: Authentication failed! The shared_secret in %s must "
                                  "be the server's (the TLS handshake with 127.0.0.1:%d failed: "
                                  "the keys differ).\n" % (bad.config, proxy.port))
            # One connection, TLS from its first byte: no plain-text retry.
            self.assertEqual(len(proxy.sessions), 1)
            self.assertEqual(proxy.sessions[0]["up"][0], HANDSHAKE)
        self.srv.process.wait_for(r"WARN .*Connection from 127\.0\.0\.1:\d+ refused: TLS "
                                  r"handshake: the peer's key is not ours: its shared_secret "
                                  r"differs")
        # A worker: its first connection fails, with the reason.
        w = kqtest.Worker(self, self.srv.port, secret="not the secret")
        self.assertEqual(w.proc.wait(30), 1)
        self.assertIn("Authentication failed! The shared_secret in %s must be the server's (the "
                      "TLS handshake with 127.0.0.1:%d failed: the keys differ)"
                      % (w.config, self.srv.port), w.text())

    def test_a_flipped_byte_breaks_the_connection_before_anything_runs(self):
        # Client to server: the record that carries AuthResponse and
        # IssueJob (the client's third encrypted record, after its
        # Finished and its hello with AuthRequest).
        def up(direction, kind, index, record):
            if direction == "up" and kind == APPDATA and index == 3:
                return flip_last_byte(record)
            return record
        proxy = Proxy(self, self.srv.port, up)
        cli = Client(self, secret=self.srv.secret, port=proxy.port, encryption="auto", relay=False)
        r = cli.run("cmd", "true")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("the peer could not decrypt our record: the stream was tampered with",
                      r.stderr)
        self.srv.process.wait_for(r"refused: TLS: a record does not decrypt: the stream was "
                                  r"tampered with")
        self.assertEqual(job_count(self.srv), 0)

        # Server to client: the record that carries WelcomeClient and the
        # AuthChallenge (the first encrypted one after the client's hello).
        seen = {"up": 0}

        def down(direction, kind, index, record):
            if direction == "up" and kind == APPDATA:
                seen["up"] = index
            if direction == "down" and kind == APPDATA and seen["up"] >= 2:
                seen["up"] = -100  # once
                return flip_last_byte(record)
            return record
        proxy = Proxy(self, self.srv.port, down)
        cli = Client(self, secret=self.srv.secret, port=proxy.port, encryption="auto", relay=False)
        r = cli.run("cmd", "true")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("a record does not decrypt: the stream was tampered with", r.stderr)
        self.assertEqual(job_count(self.srv), 0)
        # Untouched, the same path works.
        Client(self, secret=self.srv.secret, port=Proxy(self, self.srv.port).port,
               encryption="auto", relay=False).submit("cmd", "true")
        self.assertEqual(job_count(self.srv), 1)

    def test_a_replayed_session_queues_nothing_again(self):
        proxy = Proxy(self, self.srv.port)
        cli = Client(self, secret=self.srv.secret, port=proxy.port, encryption="auto", relay=False)
        cli.submit("cmd", "true")
        self.assertEqual(job_count(self.srv), 1)
        recording = bytes(proxy.sessions[0]["up"])
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=10) as sock:
            sock.sendall(recording)
            answer = read_to_end(sock)
        # The server answered the genuine ClientHello with fresh keys, then
        # the recorded Finished did not verify.
        self.assertEqual(answer[0], HANDSHAKE)
        self.srv.process.wait_for(r"refused: TLS handshake: ")
        self.assertEqual(job_count(self.srv), 1)

    def test_garbage_half_handshakes_and_a_thousand_at_once(self):
        # A real ClientHello, the first record of a client's session.
        proxy = Proxy(self, self.srv.port)
        Client(self, secret=self.srv.secret, port=proxy.port, encryption="auto",
               relay=False).ok("list-jobs")
        up = bytes(proxy.sessions[0]["up"])
        hello = up[:5 + int.from_bytes(up[3:5], "big")]
        self.assertEqual(hello[0], HANDSHAKE)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1100 <= hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        # Garbage after the record type: that connection is closed.
        with socket.create_connection(("127.0.0.1", self.srv.port), timeout=10) as sock:
            sock.sendall(b"\x16\x03\x01\x00\x20" + b"garbage " * 4 + b"\x00" * 100)
            read_to_end(sock)
        self.srv.process.wait_for(r"refused: TLS handshake: ")
        # Half a ClientHello, then silence; and a thousand whole ones whose
        # client never finishes: the server answers each, serves others
        # meanwhile, and closes them all at the hello timeout.
        half = socket.create_connection(("127.0.0.1", self.srv.port))
        self.addCleanup(half.close)
        half.sendall(hello[:len(hello) // 2])
        crowd = []
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", self.srv.port))
            self.addCleanup(s.close)
            s.sendall(hello)
            crowd.append(s)
        started = time.monotonic()
        cli = Client(self, self.srv)
        cli.submit("cmd", "true")
        cli.ok("list-jobs")
        answered = 0
        for s in crowd:
            s.settimeout(30)
            if s.recv(5)[:1] == bytes([HANDSHAKE]):
                answered += 1
        self.assertEqual(answered, 1000)
        wait_until(lambda: self.srv.log().count("no TLS handshake within 30 seconds"),
                   lambda n: n == 1001, timeout=60,
                   what="the stalled handshakes closed")
        self.assertGreaterEqual(time.monotonic() - started, 25)
        # Every one was closed by the server (what it sent, then the end).
        for s in crowd + [half]:
            read_to_end(s)
        cli.ok("list-jobs")
        self.assertEqual(job_count(self.srv), 1)


class PlainText(unittest.TestCase):
    def test_refused_when_not_allowed(self):
        srv = Server(self, server_settings={"allow_plaintext": False})
        srv.process.wait_for(r"Plain-text connections are refused")
        # The original's protocol (the Python module): closed unread, and
        # the log names the peer.
        c = kp.Connection("127.0.0.1", srv.port, timeout=10)
        self.addCleanup(c.sock.close)
        port = c.sock.getsockname()[1]
        with self.assertRaises((kp.ProtocolError, OSError)):
            c.hello_client()
        srv.process.wait_for(r"WARN .*Connection from 127\.0\.0\.1:%d refused: a connection in "
                             r"plain text, refused: server_settings\.allow_plaintext is false"
                             % port)
        # Read-only requests are out of reach too.
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(kp.encode(kp.HelloMessage.HelloFromClient()) +
                         kp.encode(C2S.ListJobs(num_jobs=10)))
            self.assertEqual(read_to_end(sock), b"")
        with self.assertRaises((kp.ProtocolError, AssertionError, OSError)):
            kqtest.FakeWorker(srv.port, "old", srv.secret, test=self)
        # Kueue-C peers over TLS are served.
        off = Client(self, srv, encryption="off")
        self.assertEqual(off.fails(1, "list-jobs"),
                         "Error: the server closed the connection (a server with "
                         "allow_plaintext = false refuses plain text: set "
                         "common_settings.encryption to \"auto\")\n")
        w = kqtest.Worker(self, srv.port, worker_name="node1",
                          dynamic_check_free_resources=False)
        w.wait_for(r"The connection is encrypted")
        self.assertEqual(Client(self, srv).ok("cmd", "-w", "true").strip(), "0")

    def test_the_python_module_speaks_plain_text_without_a_relay(self):
        srv = Server(self)
        with self.assertRaisesRegex(kp.ProtocolError, "no kueue relay runs for 127.0.0.1:%d"
                                    % srv.port):
            kp.Connection("127.0.0.1", srv.port, encryption="required", secret=srv.secret)
        for encryption in ("auto", "off"):
            c = kp.Connection("127.0.0.1", srv.port, timeout=10, encryption=encryption)
            self.addCleanup(c.sock.close)
            c.hello_client()
            c.authenticate(srv.secret)
            self.assertIsInstance(request(c, C2S.ListJobs(num_jobs=1)), S2C.JobList)
        srv.process.wait_for(r"Client connected from .* in plain text")


class OriginalLikeServer(RecordingServer):
    """A fake server that, as the original, closes a connection whose
    first bytes are no JSON (a TLS ClientHello) without a word, and speaks
    plain text otherwise; .tls_attempts counts the closed ones."""

    tls_attempts = 0

    def serve(self, sock):
        sock.settimeout(30)
        if sock.recv(1, socket.MSG_PEEK) == bytes([HANDSHAKE]):
            sock.recv(65536)
            self.tls_attempts += 1
            return "closed"
        return super().serve(sock)


def answer_empty(msg, state):
    return [S2C.JobList(job_infos=[])]


class Fallback(unittest.TestCase):
    def test_client_falls_back_only_with_auto(self):
        fake = OriginalLikeServer(self, answer_empty)
        r = Client(self, port=fake.port, encryption="auto").run("list-jobs")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "Warning: the server does not speak TLS (an original "
                                   "Kueue?): talking in plain text; set "
                                   "common_settings.encryption = \"off\" for this server, or "
                                   "\"required\" to refuse plain text\n")
        self.assertEqual(fake.sessions.get(timeout=10), "closed")
        self.assertIsInstance(fake.sessions.get(timeout=10)[1], C2S.ListJobs)
        r = Client(self, port=fake.port, encryption="required").run("list-jobs")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("the peer closed the connection without answering (it does not speak "
                      "TLS?); encryption = \"required\" does not fall back to plain text",
                      r.stderr)
        self.assertEqual(fake.sessions.get(timeout=10), "closed")
        self.assertEqual(fake.tls_attempts, 2)
        # off: straight to plain text, no warning.
        r = Client(self, port=fake.port, encryption="off").run("list-jobs")
        self.assertEqual((r.returncode, r.stderr), (0, ""), r)

    def test_worker_falls_back_once_and_stays(self):
        fake = kqtest.FakeServer(self)
        w = kqtest.Worker(self, fake.port, worker_name="node1")
        conn = fake.accept()
        self.assertEqual(fake.refused_tls, 1)
        self.assertEqual(conn.worker_name, "node1")
        w.wait_for(r"The connection is in plain text")
        # A lost connection is made again in plain text, without a warning.
        conn.sock.close()
        fake.accept()
        self.assertEqual(fake.refused_tls, 1)
        self.assertEqual(w.text().count("closed the TLS handshake without answering"), 1)
        strict = kqtest.Worker(self, fake.port, worker_name="node2", encryption="required")
        fake.listener.settimeout(10)
        sock, _ = fake.listener.accept()
        self.addCleanup(sock.close)
        self.assertEqual(sock.recv(1), bytes([HANDSHAKE]))
        sock.close()
        self.assertEqual(strict.proc.wait(30), 1)
        self.assertIn('encryption = "required" does not fall back to plain text', strict.text())


if __name__ == "__main__":
    assert KUEUE, "KQ_CLIENT is not set"
    unittest.main(verbosity=2)
