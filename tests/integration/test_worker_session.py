"""kueue_worker's server session: start-up and the first connection
(reference 4.1-4.3), reconnecting after the server went away with running
jobs kept and reported, shutdown on SIGTERM/SIGINT, the update interval."""

import os
import shutil
import signal
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import (S2W, W2S, SECRET, FakeServer, Worker, check_command_line, free_port, pids_of,
                    sleep_marker, wait_gone, wait_pids)
from test_worker import WorkerTest

JS = kp.JobStatus


class Lifecycle(WorkerTest):
    def test_shutdown_kills_and_reports(self):
        mark = sleep_marker(self)
        job = self.start(self.job(["sh", "-c", "sleep %s; true" % mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        wait_pids(mark, 2)  # the shell and its sleep
        self.worker.proc.send_signal(signal.SIGTERM)
        st, results, _ = self.report(job.job_id)
        self.assertIsInstance(st, JS.Finished)
        self.assertEqual((st.return_code, st.comment), (-46, "Job killed: the worker shut down."))
        self.assertIsInstance(self.recv(), W2S.Bye)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.worker.check_clean()
        self.assertEqual(wait_gone(mark), [])
        # The default, on_shutdown = requeue, needs a Kueue-C server.
        self.assertIn("on_shutdown = requeue, but the server speaks the original protocol, "
                      "which cannot queue them again", self.worker.text())
        self.assertIn("Job %d fails (-46) instead of going back to the queue" % job.job_id,
                      self.worker.text())

    def test_offers_deferred_while_stopping(self):
        mark = sleep_marker(self)
        ready = self.ready_file()
        job = self.start(self.job(["sh", "-c", "trap '' TERM; : > %s; sleep %s" % (ready, mark)]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        self.wait_ready(ready)  # the trap is in place: only SIGKILL ends it
        self.worker.proc.send_signal(signal.SIGINT)
        self.worker.wait_for("shutting down")
        self.assertIsInstance(self.offer(self.job(["true"])), W2S.DeferJobOffer)
        st, _, _ = self.report(job.job_id)  # after the kill grace: SIGKILL
        self.assertEqual(st.return_code, -46)
        self.assertIsInstance(self.recv(), W2S.Bye)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.worker.check_clean()
        self.assertEqual(wait_gone(mark), [])

    def test_server_bye_then_reconnect(self):
        self.send(S2W.Bye())
        self.conn.sock.close()
        conn = self.srv.accept()
        self.assertIsInstance(self.recv(conn=conn), W2S.UpdateSystemInfo)
        self.assertIsInstance(self.recv(conn=conn), W2S.UpdateResources)
        self.conn = conn
        self.stop_worker()


class Periodic(WorkerTest):
    settings = {"system_update_interval_seconds": 1}

    def test_update_interval(self):
        counts = {W2S.UpdateSystemInfo: 0, W2S.UpdateResources: 0}
        end = time.time() + 2.5
        while time.time() < end:
            try:
                m = self.recv(timeout=max(0.01, end - time.time()))
            except (TimeoutError, OSError):
                break
            counts[type(m)] += 1
        # One pair per second (not a busy loop), system info first.
        self.assertIn(counts[W2S.UpdateSystemInfo], (2, 3))
        self.assertEqual(counts[W2S.UpdateResources], counts[W2S.UpdateSystemInfo])
        self.stop_worker()


class Reconnect(WorkerTest):
    def test_server_goes_away_and_comes_back(self):
        late = sleep_marker(self, 6)
        running = self.start(self.job(["sh", "-c", "sleep %s; echo late" % late]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        early = sleep_marker(self, 1)
        short = self.start(self.job(["sh", "-c", "sleep %s; echo early" % early]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        pending = self.job(["true"])
        self.assertIsInstance(self.offer(pending), W2S.AcceptJobOffer)
        # The server disappears: the listener too, so attempts are refused.
        port = self.srv.port
        self.conn.sock.close()
        self.srv.listener.close()
        # It notices, the short job ends meanwhile, and attempts are refused.
        self.worker.wait_for("Lost connection to server 127\\.0\\.0\\.1:%d" % port)
        self.worker.wait_for("Job %d ended: return code 0" % short.job_id)
        self.worker.wait_for(r"Failed to reconnect to server: connect 127\.0\.0\.1:%d: "
                             "Connection refused" % port)
        self.srv = FakeServer(self, port=port)
        conn = self.srv.accept(timeout=10)
        self.assertIsInstance(self.recv(conn=conn), W2S.UpdateSystemInfo)
        still = self.recv(conn=conn)
        self.assertIsInstance(still, W2S.UpdateJobStatus)
        self.assertEqual(still.value.job_id, running.job_id)
        self.assertEqual(still.value.status, running.status)  # Running, as confirmed
        # The job that ended meanwhile is reported now, in full.
        st, results, _ = self.report(short.job_id, conn=conn)
        self.assertEqual((st.return_code, results.stdout_text), (0, "early\n"))
        res = self.recv(conn=conn)
        self.assertIsInstance(res, W2S.UpdateResources)
        self.assertEqual(res.value.job_slots, 3)  # the unconfirmed offer is forgotten
        self.confirm(pending, conn)
        self.worker.wait_for("Job %d was confirmed but is not an accepted offer" % pending.job_id)
        st, results, _ = self.report(running.job_id, conn=conn)
        self.assertEqual((st.return_code, results.stdout_text), (0, "late\n"))
        self.conn = conn
        self.stop_worker()


class Delivery(WorkerTest):
    def reconnect(self):
        self.conn.sock.close()
        conn = self.srv.accept(timeout=10)
        self.assertIsInstance(self.recv(conn=conn), W2S.UpdateSystemInfo)
        return conn

    def test_report_the_server_may_not_have_stored_is_sent_again(self):
        # Regression: a report written to the socket counted as delivered,
        # so a server that crashed before storing it lost the job's end.
        job = self.start(self.job(["sh", "-c", "echo done"]))
        st, results, _ = self.report(job.job_id)
        self.assertEqual((st.return_code, results.stdout_text), (0, "done\n"))
        conn = self.reconnect()  # at once: within KQ_WORKER_REPORT_GRACE_MS
        st, results, _ = self.report(job.job_id, conn=conn)
        self.assertEqual((st.return_code, results.stdout_text), (0, "done\n"))
        self.conn = conn
        self.stop_worker()

    def test_acknowledged_report_is_forgotten(self):
        job = self.start(self.job(["true"]))
        self.report(job.job_id)
        # Acknowledged by this machine's TCP at once; gone once the grace
        # (1 s) is over and the worker looked again (every 0.25 s).
        time.sleep(1.5)
        conn = self.reconnect()
        self.assertIsInstance(self.recv(conn=conn), W2S.UpdateResources)
        self.conn = conn
        self.stop_worker()


class Acknowledged(WorkerTest):
    """With a Kueue-C server a report is kept until ReportStored says it is
    stored, however long TCP acknowledged it (issue 12.2)."""

    server_level = kp.EXTENSION_LEVEL
    settings = {"on_shutdown": "fail"}

    def reconnect(self):
        self.conn.sock.close()
        conn = self.srv.accept(timeout=10)
        self.assertIsInstance(self.recv(conn=conn), W2S.UpdateSystemInfo)
        return conn

    def test_report_kept_until_stored(self):
        job = self.start(self.job(["sh", "-c", "echo done"]))
        self.report(job.job_id)
        # Long past the second after TCP acknowledged it that an original
        # server gets (Delivery above): still kept, sent again.
        time.sleep(1.5)
        conn = self.reconnect()
        st, results, _ = self.report(job.job_id, conn=conn)
        self.assertEqual((st.return_code, results.stdout_text), (0, "done\n"))
        self.send(S2W.ReportStored(job_id=job.job_id), conn)
        self.worker.wait_for("The server stored the report of job %d" % job.job_id)
        self.conn = conn
        conn = self.reconnect()
        self.assertIsInstance(self.recv(conn=conn), W2S.UpdateResources)  # nothing left
        self.conn = conn
        self.stop_worker()

    def test_shutdown_waits_for_the_acknowledgement(self):
        mark = sleep_marker(self)
        job = self.start(self.job(["sleep", mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        wait_pids(mark)
        self.worker.proc.send_signal(signal.SIGTERM)
        st, _, _ = self.report(job.job_id)
        self.assertEqual(st.return_code, -46)
        self.assertTrue(self.nothing_for(0.5))  # no Bye before the report is stored
        self.send(S2W.ReportStored(job_id=job.job_id))
        self.assertIsInstance(self.recv(skip_periodic=True), W2S.Bye)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.worker.check_clean()

    def test_shutdown_gives_up_on_a_server_that_does_not_store(self):
        job = self.start(self.job(["true"]))
        self.report(job.job_id)
        self.worker.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.assertIn("The server did not confirm that it stored the result of job %d"
                      % job.job_id, self.worker.text())
        self.worker.check_clean()

    def nothing_for(self, seconds):
        self.conn.sock.settimeout(seconds)
        try:
            m = self.recv(timeout=seconds, skip_periodic=True)
        except (TimeoutError, OSError):
            return True
        raise AssertionError("unexpected %r" % (m,))


class Requeue(WorkerTest):
    """on_shutdown = requeue (the default) with a Kueue-C server: the jobs a
    shutdown kills are given back (issue 12.7)."""

    server_level = kp.EXTENSION_LEVEL

    def test_shutdown_gives_jobs_back(self):
        mark = sleep_marker(self)
        job = self.start(self.job(["sleep", mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        done = self.start(self.job(["true"]))
        self.report(done.job_id)
        self.send(S2W.ReportStored(job_id=done.job_id))
        wait_pids(mark)
        self.worker.proc.send_signal(signal.SIGTERM)
        back = self.recv(skip_periodic=True)
        self.assertEqual(back, W2S.RequeueJob(job_id=job.job_id,
                                              reason='worker "w1" shut down (SIGTERM)'))
        self.assertTrue(self.nothing_for(0.5))  # waits for the acknowledgement
        self.send(S2W.ReportStored(job_id=job.job_id))
        self.assertIsInstance(self.recv(skip_periodic=True), W2S.Bye)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.worker.check_clean()
        self.assertEqual(wait_gone(mark), [])
        self.assertIn("given back to the server, which queues them again", self.worker.text())

    def test_fail(self):
        self.worker.stop()
        self.worker = self.start_worker(self.srv.port, on_shutdown="fail")
        self.conn = self.srv.accept()
        self.assertIsInstance(self.recv(), W2S.UpdateSystemInfo)
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        mark = sleep_marker(self)
        job = self.start(self.job(["sleep", mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        wait_pids(mark)
        self.worker.proc.send_signal(signal.SIGTERM)
        st, _, _ = self.report(job.job_id)
        self.assertEqual(st.return_code, -46)
        self.send(S2W.ReportStored(job_id=job.job_id))
        self.assertIsInstance(self.recv(skip_periodic=True), W2S.Bye)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.assertIn("killed and fail (-46): on_shutdown = fail", self.worker.text())

    nothing_for = Acknowledged.nothing_for


class States(WorkerTest):
    """A job is reported only to a server of the stored state that started
    it (issue 12.7): another server's is not told of it, so it does not
    kill it."""

    server_level = kp.EXTENSION_LEVEL

    def setUp(self):
        self.srv = None
        super().setUp()

    def serve(self, state_id, level=kp.EXTENSION_LEVEL):
        """The server goes, one of state_id comes on its port."""
        port = self.srv.port
        self.conn.sock.close()
        self.srv.listener.close()
        self.srv = FakeServer(self, port=port, level=level, state_id=state_id)
        self.conn = self.srv.accept(timeout=10)
        self.assertIsInstance(self.recv(), W2S.UpdateSystemInfo)

    def test_jobs_of_another_state_wait_for_their_server(self):
        self.serve("aaaa")
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        mark = sleep_marker(self)
        running = self.start(self.job(["sleep", mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        ended = self.start(self.job(["sh", "-c", "read x < %s; echo out" % self.fifo()]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        # Another server: neither job is reported there, and it gets its
        # own jobs as usual.
        self.serve("bbbb")
        res = self.recv()
        self.assertIsInstance(res, W2S.UpdateResources)
        self.assertEqual(res.value.job_slots, 2)  # both still hold their slot
        self.worker.wait_for("Job %d was started by the server of state aaaa, and this server "
                             "has state bbbb: it keeps running here" % running.job_id)
        with open(self.fifo(), "w") as fh:
            fh.write("go\n")
        self.worker.wait_for("Job %d ended: return code 0" % ended.job_id)
        self.worker.wait_for("Job %d was started by the server of state aaaa, and this server "
                             "has state bbbb: its report waits here" % ended.job_id)
        self.assertTrue(self.nothing_for_but_resources(0.5))
        self.assertEqual(len(pids_of(mark)), 1)
        # A server in memory only is not that server either, nor an original one.
        self.serve(None)
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        self.serve(None, level=0)
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        # Its own server is back: the running job, then the report.
        self.serve("aaaa")
        still = self.recv()
        self.assertEqual((type(still), still.value.job_id), (W2S.UpdateJobStatus, running.job_id))
        st, results, _ = self.report(ended.job_id)
        self.assertEqual((st.return_code, results.stdout_text), (0, "out\n"))
        self.send(S2W.ReportStored(job_id=ended.job_id))
        self.stop_worker()

    def test_jobs_of_a_server_without_state_go_to_any(self):
        self.serve(None)
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        mark = sleep_marker(self)
        running = self.start(self.job(["sleep", mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        self.serve("cccc")
        still = self.recv()
        self.assertEqual((type(still), still.value.job_id), (W2S.UpdateJobStatus, running.job_id))
        self.stop_worker()

    def fifo(self):
        path = os.path.join(self.dir, "fifo")
        if not os.path.exists(path):
            os.mkfifo(path)
        return path

    def nothing_for_but_resources(self, seconds):
        """Nothing but resources for that long (live output of a job is
        something)."""
        try:
            m = self.recv(timeout=seconds, skip_periodic=True)
        except (TimeoutError, OSError):
            return True
        raise AssertionError("unexpected %r" % (m,))


class Startup(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-worker-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def worker(self, port, secret=SECRET, server_name="127.0.0.1"):
        return Worker(self, port, secret=secret, directory=self.dir, server_name=server_name)

    def test_version_help_and_usage_error(self):
        check_command_line(self, [os.environ["KQ_WORKER"]], "kueue_worker [OPTIONS]",
                           ["--config <PATH>"])

    def test_no_server_is_fatal_at_first(self):
        port = free_port()
        w = self.worker(port)
        self.assertEqual(w.proc.wait(10), 1)
        self.assertIn("Error: Failed to start worker: connect 127.0.0.1:%d: Connection refused"
                      % port, w.text())
        w.check_clean()

    def test_server_by_name(self):
        # Looked up off the loop (not a numeric address), every address
        # tried in turn: "localhost" may give ::1 first, where nothing
        # listens.
        srv = FakeServer(self)
        w = self.worker(srv.port, server_name="localhost")
        srv.accept()
        w.wait_for("Established connection to server localhost:%d" % srv.port)
        self.assertEqual(w.stop(), 0)
        w.check_clean()

    def test_unknown_server_name_is_fatal_at_first(self):
        port = free_port()
        w = self.worker(port, server_name="no..such.host")  # fails without DNS
        self.assertEqual(w.proc.wait(10), 1)
        self.assertIn("Error: Failed to start worker: resolve no..such.host:%d: " % port,
                      w.text())
        w.check_clean()

    def test_wrong_secret_is_fatal(self):
        srv = FakeServer(self)
        w = self.worker(srv.port, secret="wrong")
        srv.accept()
        self.assertEqual(w.proc.wait(10), 1)
        self.assertIn("Error: Failed to start worker: Authentication failed!", w.text())
        w.check_clean()

    def test_host_name(self):
        srv = FakeServer(self)
        w = self.worker(srv.port)
        conn = srv.accept()
        self.assertEqual(conn.worker_name, os.uname().nodename.split(".")[0])
        self.assertEqual(w.stop(), 0)
        w.check_clean()


if __name__ == "__main__":
    unittest.main(verbosity=2)
