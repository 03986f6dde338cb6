"""kueue_worker's server session: start-up and the first connection
(reference 4.1-4.3), reconnecting after the server went away with running
jobs kept and reported, shutdown on SIGTERM/SIGINT, the update interval."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import S2W, W2S, SECRET, FakeServer, Process, write_config
from test_worker import WorkerTest, kill_pids, marker, pids_of, wait_gone

JS = kp.JobStatus


class Lifecycle(WorkerTest):
    def test_shutdown_kills_and_reports(self):
        mark = marker()
        job = self.start(self.job(["sh", "-c", "sleep %s; true" % mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        deadline = time.time() + 5
        while not pids_of(mark) and time.time() < deadline:
            time.sleep(0.05)
        self.worker.proc.send_signal(signal.SIGTERM)
        st, results, _ = self.report(job.job_id)
        self.assertIsInstance(st, JS.Finished)
        self.assertEqual((st.return_code, st.comment), (-46, "Job killed: the worker shut down."))
        self.assertIsInstance(self.recv(), W2S.Bye)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.worker.check_clean()
        left = wait_gone(mark)
        kill_pids(left)
        self.assertEqual(left, [])

    def test_offers_deferred_while_stopping(self):
        mark = marker()
        job = self.start(self.job(["sh", "-c", "trap '' TERM; sleep %s" % mark]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        time.sleep(0.2)
        self.worker.proc.send_signal(signal.SIGINT)
        self.worker.wait_for("shutting down")
        self.assertIsInstance(self.offer(self.job(["true"])), W2S.DeferJobOffer)
        st, _, _ = self.report(job.job_id)  # after the kill grace: SIGKILL
        self.assertEqual(st.return_code, -46)
        self.assertIsInstance(self.recv(), W2S.Bye)
        self.assertEqual(self.worker.proc.wait(10), 0)
        self.worker.check_clean()
        kill_pids(wait_gone(mark))

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
        running = self.start(self.job(["sh", "-c", "sleep 6; echo late"]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        short = self.start(self.job(["sh", "-c", "sleep 0.5; echo early"]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        pending = self.job(["true"])
        self.assertIsInstance(self.offer(pending), W2S.AcceptJobOffer)
        # The server disappears: the listener too, so attempts are refused.
        port = self.srv.port
        self.conn.sock.close()
        self.srv.listener.close()
        time.sleep(1.2)
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


class Startup(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-worker-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def worker(self, port, secret=SECRET):
        config = os.path.join(self.dir, "config.toml")
        write_config(config, {"common_settings": {"shared_secret": secret,
                                                  "server_name": "127.0.0.1",
                                                  "server_port": port}})
        return Process(self, [os.environ["KQ_WORKER"], "-c", config],
                       os.path.join(self.dir, "worker.log"))

    def test_version_and_help(self):
        out = subprocess.run([os.environ["KQ_WORKER"], "-V"], capture_output=True, text=True)
        self.assertEqual((out.returncode, out.stdout), (0, "kueue 0.19.0\n"))
        out = subprocess.run([os.environ["KQ_WORKER"], "--help"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertIn("--config", out.stdout)
        out = subprocess.run([os.environ["KQ_WORKER"], "--bogus"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)

    def test_no_server_is_fatal_at_first(self):
        srv = FakeServer(self)
        port = srv.port
        srv.listener.close()
        w = self.worker(port)
        self.assertEqual(w.proc.wait(10), 1)
        self.assertIn("Error: Failed to start worker: connect 127.0.0.1:%d: Connection refused"
                      % port, w.text())
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
        config = os.path.join(self.dir, "config.toml")
        write_config(config, {"common_settings": {"shared_secret": SECRET,
                                                  "server_name": "127.0.0.1",
                                                  "server_port": srv.port}})
        w = Process(self, [os.environ["KQ_WORKER"], "-c", config],
                    os.path.join(self.dir, "worker.log"))
        conn = srv.accept()
        self.assertEqual(conn.worker_name, os.uname().nodename.split(".")[0])
        self.assertEqual(w.stop(), 0)
        w.check_clean()


if __name__ == "__main__":
    unittest.main(verbosity=2)
