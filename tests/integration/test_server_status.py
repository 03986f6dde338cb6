"""kueue_server's status page over HTTP: every endpoint (status codes,
content types, the JSON against the protocol's own bytes, filters),
escaping, methods, limits, slow clients, the token, and the configuration
errors."""

import http.client
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import unittest

import kueue_protocol as kp
from kqtest import (C2S, S2C, W2S, FakeWorker, Process, Server, issue, request, wait_until,
                    write_config)

TOKEN = "t0ken-for-the-status-page"


def fetch(port, path, method="GET", headers=None, body=None, timeout=10):
    """(status, headers as a dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def raw_answer(conn, message):
    """The server's answer to a request, as the bytes it sent."""
    conn.send(message)
    while not conn.pending:
        data = conn.sock.recv(65536)
        assert data, "connection closed"
        conn.pending.extend(conn.framer.feed(data))
    return conn.pending.pop(0)


def payload(message_bytes, tag):
    """The payload of {"Tag":PAYLOAD}."""
    prefix = b'{"%s":' % tag.encode()
    assert message_bytes.startswith(prefix) and message_bytes.endswith(b"}"), message_bytes
    return message_bytes[len(prefix):-1]


def promtool():
    """promtool's path ($KQ_PROMTOOL, set by tools/kq-test.sh, or on PATH);
    None outside CI when there is none (the check is then left out)."""
    path = os.environ.get("KQ_PROMTOOL") or shutil.which("promtool")
    if not path and os.environ.get("CI"):
        raise AssertionError("promtool is missing (tools/kq-test.sh provides it)")
    return path


WORKER = 'node "7" <b>'
SCRIPT = "<script>alert('x')</script>"


class Endpoints(unittest.TestCase):
    """One server with jobs in every state but running (so the list's
    statistics hold still between two requests) and a worker."""

    @classmethod
    def setUpClass(cls):
        cls.case = unittest.TestCase()
        cls.case.addCleanup = cls.addClassCleanup
        cls.srv = Server(cls.case, global_resources={"licence": 3})
        cls.port = cls.srv.status_port
        cls.client = cls.srv.client(auth=True)
        w = FakeWorker(cls.srv.port, WORKER, test=cls.case, resources=(4, 8, 8000))
        w.keepalive()
        ok = issue(cls.client, cmd=("sh", "-c", SCRIPT), cwd="/tmp/<dir>")
        bad = issue(cls.client, cmd=("false",))
        offers = [w.recv(), w.recv()]
        for offer in offers:
            w.send(W2S.AcceptJobOffer(offer.value))
        for code in (0, 1):
            job = w.recv().value  # confirmed, in order
            assert job.job_id == (ok, bad)[code], job
            w.finish(job, code, stdout="secret <output> %d" % job.job_id)
        # Pending: more than the worker can take.
        cls.pending = [issue(cls.client, cmd=("sleep", "1"), cpus=64, queue_anyway=True) for _ in range(3)]
        cls.canceled = issue(cls.client, cpus=64, queue_anyway=True)
        assert request(cls.client, C2S.RemoveJob(job_id=cls.canceled, kill=False)).success
        cls.ok, cls.bad = ok, bad
        cls.worker = w
        wait_until(lambda: request(cls.client, C2S.ListJobs(num_jobs=10)).jobs_succeeded == 1,
                   what="the finished jobs")

    def test_page(self):
        status, headers, body = fetch(self.port, "/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertIn("default-src 'none'", headers["content-security-policy"])
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        page = body.decode()
        self.assertEqual(page.count("<script"), 1, "only the page's own script")
        self.assertIn("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", page)
        self.assertIn("/tmp/&lt;dir&gt;", page)
        self.assertIn('data-name="node &quot;7&quot; &lt;b&gt;"', page)
        self.assertIn('id="count-pending">3<', page)
        # Each pending job says why it waits, as list-jobs does.
        self.assertEqual(page.count('<td class="why">no worker has 64 CPUs (largest connected: '
                                    '8)</td>'), 3)
        self.assertIn('id="count-succeeded">1<', page)
        self.assertIn('id="count-failed">1<', page)
        self.assertIn('id="count-canceled">1<', page)
        self.assertIn('<svg class="chart" id="chart-jobs"', page)
        self.assertNotIn("secret", page, "no output unless status_show_output")

    def test_head_is_get_without_body(self):
        status, headers, body = fetch(self.port, "/metrics", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertGreater(int(headers["content-length"]), 100)

    def test_metrics(self):
        status, headers, body = fetch(self.port, "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode()
        for line in ('kueue_jobs{state="pending"} 3', 'kueue_jobs{state="canceled"} 1',
                     'kueue_jobs_finished_total{result="succeeded"} 1',
                     'kueue_jobs_finished_total{result="failed"} 1',
                     'kueue_jobs_finished_total{result="canceled"} 1',
                     "kueue_offers_total 2", "kueue_workers 1",
                     'kueue_scheduling_latency_seconds_bucket{le="+Inf"} 2',
                     "kueue_scheduling_latency_seconds_count 2",
                     'kueue_worker_free_cpus{worker="node \\"7\\" <b>",worker_id="0"} 8',
                     'kueue_global_resource_used{name="licence"} 0',
                     'kueue_global_resource_limit{name="licence"} 3'):
            self.assertIn(line + "\n", text)
        self.assertRegex(text, r"\nkueue_store_journal_bytes \d+\n")
        tool = promtool()
        if tool:
            r = subprocess.run([tool, "check", "metrics"], input=body, capture_output=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_api_is_the_protocol_payload(self):
        status, headers, body = fetch(self.port, "/api/jobs")
        self.assertEqual((status, headers["content-type"]), (200, "application/json"))
        answer = raw_answer(self.client, C2S.ListJobs(num_jobs=100))
        self.assertEqual(body, payload(answer, "JobList"))
        status, _, body = fetch(self.port, "/api/workers")
        self.assertEqual(body, payload(raw_answer(self.client, C2S.ListWorkers()), "WorkerList"))
        self.assertEqual(json.loads(body)[0]["worker_name"], WORKER)
        status, _, body = fetch(self.port, "/api/resources")
        self.assertEqual(body, payload(raw_answer(self.client, C2S.ListResources()),
                                       "ResourceList"))

    def test_api_filters(self):
        def ids(query):
            status, _, body = fetch(self.port, "/api/jobs" + query)
            self.assertEqual(status, 200, body)
            return [j["job_id"] for j in json.loads(body)["job_infos"]]
        self.assertEqual(ids("?failed"), [self.bad])
        self.assertEqual(ids("?succeeded=1&failed=true"), [self.ok, self.bad])
        self.assertEqual(ids("?pending&num_jobs=2"), self.pending[1:])
        self.assertEqual(ids("?canceled&pending=0"), [self.canceled])
        self.assertEqual(ids("?num_jobs=0"), [])
        same = payload(raw_answer(self.client, C2S.ListJobs(num_jobs=2, pending=True,
                                                            canceled=True)), "JobList")
        self.assertEqual(fetch(self.port, "/api/jobs?num_jobs=2&pending&canceled")[2], same)
        for query, what in (("?num_jobs=x", b"num_jobs"), ("?num_jobs=-1", b"num_jobs"),
                            ("?num_jobs=10001", b"num_jobs"), ("?running=yes", b"running")):
            status, headers, body = fetch(self.port, "/api/jobs" + query)
            self.assertEqual(status, 400, query)
            self.assertTrue(body.startswith(what), body)

    def test_api_job(self):
        status, _, body = fetch(self.port, "/api/jobs/%d" % self.ok)
        self.assertEqual(status, 200)
        info = json.loads(body)
        self.assertEqual(info["job_info"]["cmd"], ["sh", "-c", SCRIPT])
        self.assertIsNone(info["stdout_text"], "no output unless status_show_output")
        shown = kp.decode(S2C, raw_answer(self.client, C2S.ShowJob(job_id=self.ok)))
        self.assertEqual(kp.decode(kp.JobInfo, json.dumps(info["job_info"])), shown.job_info)
        for path in ("/api/jobs/999", "/api/jobs/x", "/api/jobs/1/", "/api/jobs/-1"):
            self.assertEqual(fetch(self.port, path)[0], 404, path)

    def test_unknown_paths_and_methods(self):
        for path in ("/nope", "/api", "/api/", "/metrics/", "/index.html"):
            status, headers, body = fetch(self.port, path)
            self.assertEqual(status, 404, path)
            self.assertIn(b"/metrics", body)
        # The decoded path goes to the (debug) log without its line feed.
        self.assertEqual(fetch(self.port, "/x%0AINJECTED")[0], 404)
        self.srv.process.wait_for(r"GET /x\?INJECTED: 404")
        self.assertNotIn("\nINJECTED", self.srv.log())
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
            status, headers, _ = fetch(self.port, "/", method=method, body=b"x" * 100)
            self.assertEqual(status, 405, method)
            self.assertEqual(headers["allow"], "GET, HEAD")

    def test_huge_headers_refused(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(1024):  # 1 MiB
                sock.sendall(b"X-Filler: " + b"a" * 1012 + b"\r\n")
            sock.sendall(b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end
        answer = b""
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
        self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer[:100])
        self.assertEqual(fetch(self.port, "/metrics")[0], 200)

    def test_keep_alive(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        self.addCleanup(conn.close)
        for path in ("/", "/metrics", "/api/jobs"):
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
            self.assertNotEqual(r.getheader("Connection"), "close")


class Output(unittest.TestCase):
    def test_shown_only_when_configured(self):
        srv = Server(self, server_settings={"status_show_output": True})
        c = srv.client(auth=True)
        w = FakeWorker(srv.port, "node1", test=self)
        job_id = issue(c, cmd=("echo",))
        w.finish(w.start_next(), 0, stdout="out <b>put</b>")
        wait_until(lambda: request(c, C2S.ShowJob(job_id=job_id)).stdout_text, what="output")
        info = json.loads(fetch(srv.status_port, "/api/jobs/%d" % job_id)[2])
        self.assertEqual(info["stdout_text"], "out <b>put</b>")
        page = fetch(srv.status_port, "/")[2].decode()
        self.assertIn("<pre>out &lt;b&gt;put&lt;/b&gt;</pre>", page)


class Token(unittest.TestCase):
    def test_required_when_set(self):
        srv = Server(self, server_settings={"status_token": TOKEN})
        self.assertIn("(token required)", srv.log())
        port = srv.status_port
        for headers in ({}, {"Authorization": "Bearer wrong"},
                        {"Authorization": "Bearer " + TOKEN[:-1]},
                        {"Authorization": "Basic " + TOKEN}):
            status, h, body = fetch(port, "/metrics", headers=headers)
            self.assertEqual(status, 401, headers)
            self.assertEqual(h["www-authenticate"], 'Bearer realm="kueue"')
            self.assertIn(b"status_token", body)
        self.assertEqual(fetch(port, "/metrics?token=nope")[0], 401)
        self.assertEqual(fetch(port, "/metrics",
                              headers={"Authorization": "Bearer " + TOKEN})[0], 200)
        self.assertEqual(fetch(port, "/api/jobs",
                              headers={"Authorization": "bearer " + TOKEN})[0], 200)
        status, _, body = fetch(port, "/?token=" + TOKEN)
        self.assertEqual(status, 200)
        self.assertIn('href="/metrics?token=%s"' % TOKEN, body.decode())
        self.assertEqual(fetch(port, "/api/jobs?failed&token=" + TOKEN)[0], 200)
        self.assertIn("without the right token", srv.log())
        self.assertNotIn(TOKEN, srv.log())


class Settings(unittest.TestCase):
    def start(self, **server_settings):
        d = tempfile.mkdtemp(prefix="kq-status-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "config.toml")
        write_config(path, {"common_settings": {"server_port": 0, "shared_secret": "s"},
                            "server_settings": dict(bind_addresses="127.0.0.1",
                                                    **server_settings)})
        return subprocess.run([os.environ["KQ_SERVER"], "-c", path, "--no-state"],
                              capture_output=True, text=True, timeout=30)

    def test_not_loopback_without_token_is_an_error(self):
        for address in ("0.0.0.0:0", "[::]:0"):
            r = self.start(status_address=address)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn('server_settings.status_address = "%s" is not a loopback address'
                          % address, r.stderr)
            self.assertIn("set server_settings.status_token", r.stderr)

    def test_not_an_address(self):
        r = self.start(status_address="[::1")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn('status_address = "[::1": not an address', r.stderr)

    def test_not_loopback_with_token_serves(self):
        srv = Server(self, server_settings={"status_address": "0.0.0.0:0",
                                            "status_token": TOKEN})
        self.assertEqual(fetch(srv.status_port, "/")[0], 401)
        self.assertEqual(fetch(srv.status_port, "/", headers={
            "Authorization": "Bearer " + TOKEN})[0], 200)

    def test_empty_address_serves_nothing(self):
        srv = Server(self, server_settings={"status_address": ""})
        self.assertIsNone(srv.status_port)
        c = srv.client()
        self.assertIsInstance(request(c, C2S.ListWorkers()), S2C.WorkerList)
        self.assertNotIn("Status page", srv.log())

    def test_address_in_use_is_logged_and_the_server_goes_on(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        self.addCleanup(blocker.close)
        port = blocker.getsockname()[1]
        d = tempfile.mkdtemp(prefix="kq-status-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "config.toml")
        write_config(path, {"common_settings": {"server_port": 0, "shared_secret": "s"},
                            "server_settings": {"bind_addresses": "127.0.0.1",
                                                "status_address": "127.0.0.1:%d" % port}})
        p = Process(self, [os.environ["KQ_SERVER"], "-c", path, "--no-state"],
                    os.path.join(d, "server.log"))
        m = p.wait_for(r"Started listening on 127\.0\.0\.1:(\d+)")
        p.wait_for("Status page not served: bind 127.0.0.1:%d: Address already in use" % port)
        c = kp.Connection("127.0.0.1", int(m.group(1)), timeout=10)
        self.addCleanup(c.sock.close)
        c.hello_client()
        self.assertIsInstance(request(c, C2S.ListWorkers()), S2C.WorkerList)
        p.finish()


class SlowClients(unittest.TestCase):
    def test_slow_clients_do_not_stall_scheduling(self):
        srv = Server(self)
        c = srv.client(auth=True)
        w = FakeWorker(srv.port, "node1", test=self)
        slow = []
        for i in range(200):
            s = socket.create_connection(("127.0.0.1", srv.status_port), timeout=10)
            self.addCleanup(s.close)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: slow%d\r\nX-Wait: " % i)
            slow.append(s)
        # Jobs still run while they hold every connection the page allows.
        for n in range(20):
            job_id = issue(c)
            self.assertEqual(w.run_next(), job_id)
        wait_until(lambda: request(c, C2S.ListJobs(num_jobs=1)).jobs_succeeded == 20,
                   what="20 jobs done")
        # Once they give up, the page serves again at once.  (Reset, not
        # closed: libmicrohttpd 0.9.75 takes the short read of a request's
        # last bytes as the end of its edge, so a FIN that came with them
        # is seen only at the connection's timeout, 10 s per 64 of them.)
        # The server stopped meanwhile, so that it sees them all go in one
        # turn: the case where libmicrohttpd, at its limit, must be run
        # once more to listen again.
        os.kill(srv.process.proc.pid, signal.SIGSTOP)
        try:
            for s in slow:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        finally:
            os.kill(srv.process.proc.pid, signal.SIGCONT)
        # Well within the connections' 10-s timeout, whose timer would
        # otherwise be the first to run libmicrohttpd again after it left
        # its connection limit.
        self.assertEqual(fetch(srv.status_port, "/metrics", timeout=5)[0], 200)


if __name__ == "__main__":
    unittest.main()
