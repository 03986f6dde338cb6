"""Kueue-C protocol extensions between real binaries and peers that behave
like the original (schema/protocol.yaml, docs/protocol.md, "Changing the protocol"):
the level negotiation, and that an original peer sees exactly the
original's bytes and behaviour."""

import os
import shutil
import signal
import socket
import tempfile
import threading
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2W, W2S, FakeServer, FakeWorker, Server, Worker, free_port, issue, \
    new_job, pids_of, request, sleep_marker, wait_pids, wait_until
from test_client_harness import Client

LEVEL = kp.EXTENSION_LEVEL
JS = kp.JobStatus
S2C = kp.ServerToClientMessage


def assert_original(test, raw):
    """raw is a message an original peer could have been sent by the
    original: no extension variant (it decodes at level 0) and no
    extension field (re-encoding what level 0 sees gives the same bytes)."""
    test.assertEqual(kp.encode(kp.decode(S2W, raw, level=0), level=0), raw)
    return kp.decode(S2W, raw, level=0)


class ServerAndOriginalWorker(unittest.TestCase):
    def test_original_worker_gets_the_original_bytes(self):
        srv = Server(self)
        w = FakeWorker(srv.port, "old", test=self)  # announces nothing, as the original
        self.assertEqual(w.challenge_raw, b'{"AuthChallenge":{"salt":"%s"}}' % w.salt.encode())
        c = srv.client(auth=True)
        job = issue(c, cmd=["true"])
        offer = assert_original(self, w.recv_raw())
        self.assertEqual(offer.value.job_id, job)
        w.send(W2S.AcceptJobOffer(offer.value))
        confirm = assert_original(self, w.recv_raw())
        self.assertIsInstance(confirm, S2W.ConfirmJobOffer)
        w.finish(confirm.value)
        self.assertTrue(w.nothing_for(1.0))
        srv.process.wait_for("speaks the original protocol")


class ServerAndKueueCWorker(unittest.TestCase):
    def test_levels_are_negotiated(self):
        srv = Server(self)
        w = FakeWorker(srv.port, "new", level=1, test=self)
        self.assertEqual(w.challenge.extension_level, LEVEL)
        self.assertEqual(w.conn.level, 1)
        # A worker of a later release speaks the server's level.
        later = FakeWorker(srv.port, "later", level=LEVEL + 5, test=self)
        self.assertEqual(later.challenge.extension_level, LEVEL)
        self.assertEqual(later.conn.level, LEVEL)
        srv.process.wait_for('Worker "later" speaks Kueue-C extension level %d' % LEVEL)

    def test_state_id(self):
        srv = Server(self)
        w = FakeWorker(srv.port, "new", level=1, test=self)
        self.assertEqual(w.challenge.state_id, state_id(srv))
        # Kept with the file.
        srv.restart()
        self.assertEqual(FakeWorker(srv.port, "new", level=1, test=self).challenge.state_id,
                         state_id(srv))
        # A server in memory only has none.
        mem = Server(self, extra_args=["--no-state"])
        self.assertIsNone(FakeWorker(mem.port, "new", level=1, test=self).challenge.state_id)


class ServerAcknowledgesReports(unittest.TestCase):
    """ReportStored, to workers of level 1 and up (issue 12.2)."""

    def setUp(self):
        self.srv = Server(self)
        self.c = self.srv.client(auth=True)

    def show(self, job):
        return request(self.c, C2S.ShowJob(job_id=job))

    def test_report_acknowledged_and_stored_once(self):
        job = issue(self.c)
        w = FakeWorker(self.srv.port, "vm", level=1, test=self)
        running = w.start_next()
        w.finish(running, stdout="out\n")
        self.assertEqual(w.recv(), S2W.ReportStored(job_id=job))
        # The same report again, as after a reconnect that lost the
        # acknowledgement: acknowledged again, changes nothing.
        w.conn.sock.close()
        again = FakeWorker(self.srv.port, "vm", level=1, test=self)
        again.send(W2S.UpdateJobStatus(running))
        again.send(W2S.UpdateJobResults(job_id=job, stdout_text="out\n", stderr_text=None))
        self.assertEqual(again.recv(), S2W.ReportStored(job_id=job))
        shown = self.show(job)
        self.assertEqual((shown.job_info.status, shown.stdout_text), (running.status, "out\n"))
        counts = request(self.c, C2S.ListJobs(num_jobs=10))
        self.assertEqual((counts.jobs_succeeded, counts.jobs_running), (1, 0))

    def test_report_of_an_unknown_job_is_acknowledged(self):
        w = FakeWorker(self.srv.port, "vm", level=1, test=self)
        job = kp.JobInfo(job_id=77, cmd=["true"], cwd="/", worker_resources=kp.Resources(1, 1, 1),
                         status=kp.JobStatus.Finished(
                             issued=kp.Timestamp.now(), started=kp.Timestamp.now(),
                             finished=kp.Timestamp.now(), return_code=0, worker="vm",
                             run_time_seconds=0, comment=""))
        w.send(W2S.UpdateJobStatus(job))
        w.send(W2S.UpdateJobResults(job_id=77, stdout_text=None, stderr_text=None))
        self.assertEqual(w.recv(), S2W.ReportStored(job_id=77))  # nothing to keep it for

    def test_results_sent_again_after_a_restart_are_stored(self):
        # The status was stored, the results were not (the server stopped
        # in between): the report sent again completes the job.
        job = issue(self.c)
        w = FakeWorker(self.srv.port, "vm", level=1, test=self)
        running = w.start_next()
        st = running.status
        running.status = kp.JobStatus.Finished(issued=st.issued, started=st.started,
                                               finished=kp.Timestamp.now(), return_code=0,
                                               worker="vm", run_time_seconds=0, comment="ok")
        w.send(W2S.UpdateJobStatus(running))
        wait_until(lambda: self.show(job).job_info.status, lambda s: isinstance(s, kp.JobStatus.Finished),
                   what="the status stored")
        w.conn.sock.close()
        self.srv.restart()
        self.c = self.srv.client(auth=True)
        again = FakeWorker(self.srv.port, "vm", level=1, test=self)
        again.send(W2S.UpdateJobStatus(running))
        again.send(W2S.UpdateJobResults(job_id=job, stdout_text="late\n", stderr_text=None))
        self.assertEqual(again.recv(), S2W.ReportStored(job_id=job))
        self.assertEqual(self.show(job).stdout_text, "late\n")


class ServerRequeues(unittest.TestCase):
    """RequeueJob: a job a worker gave up at shutdown goes back to the
    queue, with a note (issue 12.7)."""

    def setUp(self):
        self.srv = Server(self)
        self.c = self.srv.client(auth=True)

    def show(self, job):
        return request(self.c, C2S.ShowJob(job_id=job))

    def give_back(self, w, job):
        w.send(W2S.RequeueJob(job_id=job, reason='worker "%s" shut down (SIGTERM)' % w.name))
        self.assertEqual(w.recv(), S2W.ReportStored(job_id=job))

    def test_job_goes_back_with_a_note(self):
        job = issue(self.c)
        w = FakeWorker(self.srv.port, "vm", level=1, test=self)
        w.start_next()
        self.give_back(w, job)
        info = self.show(job).job_info
        self.assertIsInstance(info.status, JS.Pending)
        self.assertRegex(info.note, r'^Requeued \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: '
                                    r'worker "vm" shut down \(SIGTERM\)$')
        self.srv.process.wait_for('Job %d goes back to the queue: worker "vm" shut down' % job)
        # Given back twice (the acknowledgement lost): queued once.
        self.give_back(w, job)
        self.assertEqual(request(self.c, C2S.ListJobs(num_jobs=5)).jobs_pending, 1)
        # An original worker is offered it without the note: the original's bytes.
        old = FakeWorker(self.srv.port, "old", test=self)
        offer = assert_original(self, old.recv_raw())
        self.assertEqual(offer.value.job_id, job)
        # The note is kept with the job, across a restart.
        self.srv.restart()
        self.c = self.srv.client(auth=True)
        self.assertEqual(self.show(job).job_info.note, info.note)

    def test_canceled_job_stays_canceled(self):
        job = issue(self.c)
        w = FakeWorker(self.srv.port, "vm", level=1, test=self)
        w.start_next()
        request(self.c, C2S.RemoveJob(job_id=job, kill=True))
        self.assertIsInstance(w.recv(), S2W.KillJob)
        self.give_back(w, job)
        info = self.show(job).job_info
        self.assertIsInstance(info.status, JS.Canceled)
        self.assertIsNone(info.note)

    def test_clients_do_not_write_notes(self):
        spec = new_job()
        spec.note = "forged"
        accepted = request(self.c, C2S.IssueJob(spec))
        self.assertIsNone(accepted.value.note)


class WorkerShutsDown(unittest.TestCase):
    """Real worker and server: on_shutdown (issue 12.7)."""

    def setUp(self):
        self.srv = Server(self)
        self.cli = Client(self, self.srv)
        self.dir = tempfile.mkdtemp(prefix="kq-shutdown-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def worker(self, name, **settings):
        return Worker(self, self.srv.port, directory=self.dir, worker_name=name,
                      dynamic_check_free_resources=False, **settings)

    def status(self, job):
        return self.cli.json("show-job", str(job)).job_info

    def test_requeue_runs_the_job_elsewhere(self):
        mark, ran = sleep_marker(self), os.path.join(self.dir, "ran")
        # The first run sleeps, the next one ends at once.
        job = self.cli.submit("cmd", "-c", "1", "-r", "10", "sh", "-c",
                              "if [ -e %s ]; then echo again; else : > %s; sleep %s; fi"
                              % (ran, ran, mark))
        first = self.worker("first")
        wait_pids(mark)
        self.assertEqual(first.stop(), 0)  # SIGTERM
        first.check_clean()
        info = self.status(job)
        self.assertIsInstance(info.status, JS.Pending)
        self.srv.process.wait_for('Job %d goes back to the queue: worker "first" shut down '
                                  r'\(SIGTERM\)' % job)
        self.assertIn('   note: Requeued ', self.cli.ok("show-job", str(job)))
        self.assertIn('worker "first" shut down (SIGTERM)\n', self.cli.ok("show-job", str(job)))
        self.assertEqual(pids_of(mark), [])
        self.worker("second")
        done = wait_until(lambda: self.status(job), lambda j: isinstance(j.status, JS.Finished),
                          what="job %d finished" % job)
        self.assertEqual((done.status.worker, done.status.return_code), ("second", 0))
        self.assertEqual(self.cli.json("show-job", str(job)).stdout_text, "again\n")
        self.assertIn("Requeued", done.note)

    def test_fail(self):
        mark = sleep_marker(self)
        job = self.cli.submit("cmd", "-c", "1", "-r", "10", "sleep", mark)
        first = self.worker("first", on_shutdown="fail")
        wait_pids(mark)
        self.assertEqual(first.stop(), 0)
        first.check_clean()
        info = self.status(job)
        self.assertEqual((type(info.status), info.status.return_code, info.note),
                         (JS.Finished, -46, None))


class Drain(unittest.TestCase):
    """kueue drain / undrain (issue 12.7)."""

    def setUp(self):
        self.srv = Server(self)
        self.cli = Client(self, self.srv)
        self.c = self.srv.client(auth=True)

    def workers(self):
        return {w.worker_name: w for w in self.cli.json("list-workers").value}

    def test_drain_stops_offers_until_undrain(self):
        w = FakeWorker(self.srv.port, "node1", resources=(2, 8, 8000), test=self)
        issue(self.c)
        running = w.start_next()
        self.assertEqual(self.cli.ok("drain", "node1"),
                         'Worker "node1" drained: it gets no new jobs; its 1 running job(s) finish\n')
        self.srv.process.wait_for('Worker "node1" drained on request of')
        waiting = issue(self.c)
        self.assertTrue(w.nothing_for(1.0))
        # Listed as drained; the running job finishes as usual.
        self.assertTrue(self.workers()["node1"].drained)
        self.assertRegex(self.cli.ok("list-workers"), r"\| node1 \(drained\) +\|")
        self.assertIn("drained: no new jobs", self.cli.ok("show-worker", "0"))
        w.finish(running)
        w.resources(2, 8, 8000)
        self.assertTrue(w.nothing_for(1.0))
        # Across a reconnect (a new record, id 1): still drained.
        w.conn.sock.close()
        w = FakeWorker(self.srv.port, "node1", resources=(2, 8, 8000), test=self)
        self.assertTrue(w.nothing_for(1.0))
        self.assertTrue(self.workers()["node1"].drained)
        # Undrained by id: offers again.
        self.assertEqual(self.cli.ok("undrain", "1"), 'Worker "node1" undrained: it gets jobs again\n')
        self.assertEqual(w.recv().value.job_id, waiting)
        self.assertIsNone(self.workers()["node1"].drained)

    def restart(self, sig=signal.SIGTERM):
        """Restarts the server on the same state file; a new client for
        its new port."""
        self.srv.restart(sig)
        self.cli = Client(self, self.srv)
        self.c = self.srv.client(auth=True)

    def test_drain_outlasts_a_restart_of_the_server(self):
        w = FakeWorker(self.srv.port, "node1", test=self)
        self.cli.ok("drain", "node1")
        # Killed: the drain comes back from the journal.
        self.restart(signal.SIGKILL)
        self.srv.process.wait_for(r"1 drained worker\(s\) in the state file")
        w = FakeWorker(self.srv.port, "node1", test=self)
        job = issue(self.c)
        self.assertTrue(w.nothing_for(1.0))
        self.assertTrue(self.workers()["node1"].drained)
        self.assertRegex(self.cli.ok("list-workers"), r"\| node1 \(drained\) +\|")
        self.cli.ok("undrain", "node1")
        self.assertEqual(w.recv().value.job_id, job)
        # Undrained, stopped cleanly: offers after the restart too.
        self.restart()
        self.assertNotIn("drained worker", self.srv.log())
        w = FakeWorker(self.srv.port, "node1", test=self)
        self.assertEqual(w.recv().value.job_id, job)
        self.assertIsNone(self.workers()["node1"].drained)

    def test_drain_without_state_file_ends_with_the_server(self):
        self.srv.stop()
        self.srv = Server(self, extra_args=["--no-state"])
        self.cli = Client(self, self.srv)
        FakeWorker(self.srv.port, "node1", test=self)
        self.cli.ok("drain", "node1")
        self.restart()
        w = FakeWorker(self.srv.port, "node1", test=self)
        job = issue(self.c)
        self.assertEqual(w.recv().value.job_id, job)
        self.assertIsNone(self.workers()["node1"].drained)

    def test_drain_withdraws_open_offers(self):
        job = issue(self.c)
        w = FakeWorker(self.srv.port, "node1", test=self)
        self.assertIsInstance(w.recv(), S2W.OfferJob)
        self.cli.ok("drain", "node1")
        withdrawn = w.recv()
        self.assertIsInstance(withdrawn, S2W.WithdrawJobOffer)
        self.assertEqual(withdrawn.value.job_id, job)
        status = request(self.c, C2S.ShowJob(job_id=job)).job_info.status
        self.assertIsInstance(status, JS.Pending)

    def test_refusals(self):
        FakeWorker(self.srv.port, "node1", test=self)
        r = self.cli.run("drain", "node2")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", 'Error: No worker with the id or name "node2"\n'))
        reply = kp.decode(S2C, self.cli.run("drain", "--json", "7").stdout)
        self.assertFalse(reply.success)
        # Without authentication the server refuses, as for remove-job.
        wrong = Client(self, self.srv, secret="wrong")
        self.assertIn("Authentication failed", wrong.fails(1, "drain", "node1"))

    def test_real_worker_finishes_its_jobs(self):
        tmp = tempfile.mkdtemp(prefix="kq-drain-")
        self.addCleanup(shutil.rmtree, tmp, True)
        go = os.path.join(tmp, "go")
        worker = Worker(self, self.srv.port, directory=tmp, worker_name="real",
                        dynamic_check_free_resources=False)
        job = self.cli.submit("cmd", "-c", "1", "-r", "10", "sh", "-c",
                              "while [ ! -e %s ]; do sleep 0.05; done" % go)
        wait_until(lambda: self.workers().get("real"), lambda w: w and w.jobs_running,
                   what="the job running")
        self.cli.ok("drain", "real")
        later = int(self.cli.ok("cmd", "-c", "1", "-r", "10", "true"))
        open(go, "w").close()
        self.assertEqual(self.cli.run("wait-job", str(job)).returncode, 0)
        self.srv.process.wait_for("Job %d ended" % job)
        self.assertIsInstance(self.cli.json("show-job", str(later)).job_info.status, JS.Pending)
        self.cli.ok("undrain", "real")
        self.assertEqual(self.cli.run("wait-job", str(later)).returncode, 0)
        worker.wait_for("Job %d ended" % later)

    def test_original_server_refuses(self):
        port = original_client_server(self)
        cli = Client(self, port=port)
        r = cli.run("drain", "node1")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "Error: this server does not support drain (an original "
                                 "Kueue server?)\n"))


def original_client_server(test):
    """A server that answers one client as the original does, and closes
    the connection on a message it cannot decode (an extension).  Returns
    its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    test.addCleanup(listener.close)

    def serve():
        sock, _ = listener.accept()
        conn = kp.Connection.__new__(kp.Connection)
        conn.sock, conn.framer, conn.pending, conn.level = sock, kp.Framer(), [], 0
        try:
            conn.recv(kp.HelloMessage)
            conn.send(S2C.WelcomeClient())
            while True:
                m = conn.recv(C2S)
                if isinstance(m, C2S.AuthRequest):
                    conn.send(S2C.AuthChallenge(salt="s" * 64))
                elif isinstance(m, C2S.AuthResponse):
                    conn.send(S2C.AuthAccepted(True))
        except (kp.DecodeError, kp.ProtocolError, OSError):
            pass
        sock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    test.addCleanup(thread.join, 10)
    return listener.getsockname()[1]


def state_id(srv):
    """The state id the server's log names."""
    return srv.process.wait_for(r"state id ([0-9a-f]{16})").group(1)


class ServersOfOtherStates(unittest.TestCase):
    """Issue 12.7: a worker reconnecting to a server that is not the one
    that started its jobs (another state file, or none) keeps them running
    and reports them to their server when it is back."""

    def test_jobs_wait_for_their_server(self):
        tmp = tempfile.mkdtemp(prefix="kq-states-")
        self.addCleanup(shutil.rmtree, tmp, True)
        runs, go = os.path.join(tmp, "runs"), os.path.join(tmp, "go")
        port = free_port()
        settings = {"worker_timeout_seconds": 3, "maintenance_interval_seconds": 1}
        a = Server(self, common_settings={"server_port": port}, server_settings=settings)
        a_id = state_id(a)
        worker = Worker(self, port, worker_name="vm", reconnect_max_seconds=1,
                        system_update_interval_seconds=1, dynamic_check_free_resources=False)
        c = a.client(auth=True)
        job = issue(c, cmd=["sh", "-c", "while [ ! -e %s ]; do sleep 0.05; done; echo run >> %s"
                            % (go, runs)], cwd=tmp)
        wait_until(lambda: request(c, C2S.ShowJob(job_id=job)).job_info.status,
                   lambda st: isinstance(st, JS.Running), what="job %d running" % job)
        a.stop()
        # By mistake, a server on another state file.
        b = Server(self, common_settings={"server_port": port}, server_settings=settings)
        worker.wait_for("Job %d was started by the server of state %s, and this server has state "
                        "%s: it keeps running here" % (job, a_id, state_id(b)))
        open(go, "w").close()
        worker.wait_for("Job %d ended: return code 0" % job)
        worker.wait_for("Job %d was started by the server of state %s, and this server has state "
                        "%s: its report waits here" % (job, a_id, state_id(b)))
        b.stop()
        # Then one in memory only.
        m = Server(self, common_settings={"server_port": port}, extra_args=["--no-state"])
        worker.wait_for("this server has no stored state: its report waits here")
        m.stop()
        for other in (b, m):
            self.assertNotIn("not its own", other.log())
        # Its own server is back: the job ended once, there.
        a.start_again()
        a.process.wait_for('Worker "vm" took back job %d' % job)
        shown = request(a.client(), C2S.ShowJob(job_id=job))
        self.assertEqual((type(shown.job_info.status), shown.job_info.status.return_code),
                         (JS.Finished, 0))
        # Past the worker timeout: nothing goes back to the queue.
        a.process.wait_for('Forgetting the record of worker "vm"')
        with open(runs) as fh:
            self.assertEqual(fh.read(), "run\n")
        self.assertNotIn("did not come back", a.log())


class WorkerAndServers(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-worker-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def connect(self, level):
        srv = FakeServer(self, level=level)
        worker = Worker(self, srv.port, directory=self.dir, worker_name="w1")
        conn = srv.accept()
        self.assertIsInstance(conn.recv(W2S), W2S.UpdateSystemInfo)
        return worker, conn

    def test_worker_with_original_server(self):
        worker, conn = self.connect(level=0)
        # It announces its level; the original ignores the field and says none.
        self.assertEqual(conn.hello.extension_level, LEVEL)
        worker.wait_for("The server speaks the original protocol: no Kueue-C extensions")

    def test_worker_with_kueue_c_server(self):
        worker, conn = self.connect(level=LEVEL)
        worker.wait_for(r"The server speaks Kueue-C extension level %d \(Kueue-C %s\)"
                        % (LEVEL, kp.EXTENSIONS[LEVEL].replace(".", r"\.")))

    def test_worker_with_a_later_server(self):
        worker, conn = self.connect(level=LEVEL + 3)
        self.assertEqual(conn.level, LEVEL)
        worker.wait_for("The server speaks Kueue-C extension level %d " % LEVEL)


if __name__ == "__main__":
    unittest.main(verbosity=2)
