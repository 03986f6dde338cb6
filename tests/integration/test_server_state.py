"""kueue_server's durable state: jobs, outputs and ids survive a clean stop,
a crash (kill -9) and a restart; a bad state file is refused and never
touched."""

import hashlib
import os
import signal
import sqlite3
import stat
import unittest

import kueue_protocol as kp
from kqtest import (C2S, W2S, FakeWorker, Process, Server, Worker, free_port, issue, request,
                    wait_until)

JS = kp.JobStatus


def all_jobs(c, n=100000):
    return {j.job_id: j for j in request(c, C2S.ListJobs(num_jobs=n)).job_infos}


class Durability(unittest.TestCase):
    def crash_with_queue_and_running_jobs(self, sig):
        srv = Server(self, server_settings={"worker_timeout_seconds": 30})
        c = srv.client(auth=True)
        ids = [issue(c, cmd=["job", str(i)]) for i in range(1000)]
        # Two run on a worker, one finished with output.
        w = FakeWorker(srv.port, "node1", resources=(3, 8, 8000), test=self)
        offers = [w.recv() for _ in range(3)]
        running = [w.accept(o) for o in offers]
        w.finish(running[2], code=0, stdout="output of job 2\n\x00binary\n")
        wait_until(lambda: request(c, C2S.ShowJob(job_id=2)).stdout_text,
                   what="the output of job 2")
        before = all_jobs(c)
        self.assertEqual(len(before), 1000)
        c.sock.close()
        w.conn.sock.close()
        code = srv.restart(sig)
        if sig == signal.SIGTERM:
            self.assertEqual(code, 0)
        c = srv.client(auth=True)
        after = all_jobs(c)
        self.assertEqual(sorted(after), ids)  # every job, once
        for jid in ids[3:]:
            self.assertIsInstance(after[jid].status, JS.Pending)
            self.assertEqual(after[jid].cmd, ["job", str(jid)])
        self.assertIsInstance(after[0].status, JS.Running)
        self.assertIsInstance(after[1].status, JS.Running)
        self.assertIsInstance(after[2].status, JS.Finished)
        shown = request(c, C2S.ShowJob(job_id=2))
        self.assertEqual(shown.stdout_text, "output of job 2\n\x00binary\n")
        # Ids keep rising.
        self.assertEqual(issue(c), 1000)
        # The worker comes back and claims its two running jobs; another
        # worker gets queued jobs, never those two.
        other = FakeWorker(srv.port, "other", resources=(5, 8, 8000), test=self)
        got = sorted(other.recv().value.job_id for _ in range(5))
        self.assertEqual(got, [3, 4, 5, 6, 7])
        back = FakeWorker(srv.port, "node1", resources=(1, 8, 8000), test=self)
        for job in running[:2]:
            back.send(W2S.UpdateJobStatus(job))
        wait_until(lambda: {w.worker_name: w.jobs_running
                            for w in request(c, C2S.ListWorkers()).value}.get("node1") == [0, 1],
                   what="node1 to run jobs 0 and 1 again")
        for job in running[:2]:
            back.finish(job, code=0, stdout="done %d\n" % job.job_id)
        for jid in (0, 1):
            shown = wait_until(lambda: request(c, C2S.ShowJob(job_id=jid)),
                               lambda r: r.stdout_text is not None, what="the results")
            self.assertIsInstance(shown.job_info.status, JS.Finished)
            self.assertEqual(shown.stdout_text, "done %d\n" % jid)
        worker_ids = sorted(w.worker_id for w in request(c, C2S.ListWorkers()).value)
        self.assertEqual(len(worker_ids), 2, worker_ids)
        self.assertTrue(all(i >= 1 for i in worker_ids), worker_ids)  # 0 never reused

    def test_kill_9_loses_nothing(self):
        self.crash_with_queue_and_running_jobs(signal.SIGKILL)

    def test_clean_stop_loses_nothing(self):
        self.crash_with_queue_and_running_jobs(signal.SIGTERM)

    def test_unclaimed_running_jobs_queued_again_after_timeout(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 1,
                                                "maintenance_interval_seconds": 1})
        c = srv.client(auth=True)
        issue(c)
        w = FakeWorker(srv.port, "gone", test=self)
        w.start_next()
        c.sock.close()
        w.conn.sock.close()
        srv.restart(signal.SIGKILL)
        other = FakeWorker(srv.port, "other", test=self)
        for _ in range(60):
            other.keepalive()
            if not other.nothing_for(0.1):
                break
        self.assertEqual(other.recv().value.job_id, 0)

    def test_cleaned_jobs_leave_the_file(self):
        srv = Server(self)
        c = srv.client(auth=True)
        for _ in range(50):
            issue(c)
        for i in range(50):
            request(c, C2S.RemoveJob(job_id=i, kill=False))
        request(c, C2S.CleanJobs(all=True))
        c.sock.close()
        self.assertEqual(srv.process.stop(), 0)
        db = sqlite3.connect(srv.state)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0], 0)
        db.close()
        srv.restart()
        self.assertEqual(issue(srv.client(auth=True)), 50)

    def table_sizes(self, srv):
        """(log rows, jobs rows) of the stopped server's file."""
        db = sqlite3.connect(srv.state)
        try:
            return tuple(db.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0]
                         for t in ("log", "jobs"))
        finally:
            db.close()

    def test_log_replayed_after_a_crash_and_folded_at_a_clean_stop(self):
        srv = Server(self)
        c = srv.client(auth=True)
        ids = [issue(c) for _ in range(20)]
        c.sock.close()
        srv.stop(signal.SIGKILL)  # well within the idle second before folding
        log_rows, job_rows = self.table_sizes(srv)
        self.assertGreater(log_rows, 0)
        self.assertLess(job_rows, 20)
        srv.start_again()
        c = srv.client(auth=True)
        self.assertEqual(sorted(all_jobs(c)), ids)
        self.assertEqual(issue(c), 20)
        c.sock.close()
        self.assertEqual(srv.stop(), 0)
        self.assertEqual(self.table_sizes(srv), (0, 21))

    def test_log_folded_and_checkpointed_when_idle(self):
        srv = Server(self)
        c = srv.client(auth=True)
        for _ in range(20):
            issue(c)
        self.assertGreater(os.path.getsize(srv.state + "-wal"), 0)
        srv.process.wait_for("Folded the state log into the tables", timeout=10)
        srv.process.wait_for("Checkpointed the state file", timeout=10)
        self.assertEqual(os.path.getsize(srv.state + "-wal"), 0)
        c.sock.close()
        srv.stop(signal.SIGKILL)
        self.assertEqual(self.table_sizes(srv), (0, 20))

    def test_version_1_file_upgraded(self):
        srv = Server(self)
        issue(srv.client(auth=True))
        self.assertEqual(srv.stop(), 0)
        db = sqlite3.connect(srv.state)
        db.execute("DROP TABLE log")
        db.execute("UPDATE kueue_meta SET value = 1 WHERE key = 'schema_version'")
        db.commit()
        db.close()
        srv.start_again()
        self.assertIn("Upgraded %s to schema version 2" % srv.state, srv.log())
        c = srv.client(auth=True)
        self.assertEqual(sorted(all_jobs(c)), [0])
        self.assertEqual(issue(c), 1)

    def test_new_file_is_not_reported_as_upgraded(self):
        # Regression: creating a file ran migrations 1 and 2 and said
        # "Upgraded ... to schema version 2".
        srv = Server(self)
        self.assertIn("State in %s: 0 jobs" % srv.state, srv.log())
        self.assertNotIn("Upgraded", srv.log())

    def test_file_is_private(self):
        srv = Server(self)
        self.assertEqual(stat.S_IMODE(os.stat(srv.state).st_mode), 0o600)

    def test_no_state_keeps_nothing(self):
        srv = Server(self, extra_args=["--no-state"])
        issue(srv.client(auth=True))
        self.assertFalse(os.path.exists(os.path.join(srv.dir, "state.sqlite3")))


class RealWorker(unittest.TestCase):
    def test_kill_9_with_a_real_worker_runs_every_job_once(self):
        port = free_port()
        srv = Server(self, common_settings={"server_port": port},
                     server_settings={"worker_timeout_seconds": 60})
        work = os.path.join(srv.dir, "work")
        os.mkdir(work)
        worker = Worker(self, port, directory=srv.dir, worker_name="real",
                        worker_max_parallel_jobs=2, dynamic_check_free_resources=False,
                        reconnect_max_seconds=1)
        worker.wait_for("Established connection")
        c = srv.client(auth=True)
        # Two long jobs hold both slots; each notes every start in a file.
        long = [issue(c, cwd=work, cpus=0, ram=1,
                      cmd=["sh", "-c", "echo start >> runs.$0; sleep 3; echo done", str(i)])
                for i in range(2)]
        for jid in long:
            worker.wait_for("Started job %d" % jid)
        queued = [issue(c, cwd=work, cpus=0, ram=1, cmd=["true"]) for _ in range(1000)]
        c.sock.close()
        srv.restart(signal.SIGKILL)
        worker.wait_for("Job %d is still running here" % long[0], timeout=20)
        c = srv.client(auth=True)
        jobs = wait_until(lambda: all_jobs(c),
                          lambda jobs: all(isinstance(j.status, JS.Finished)
                                           for j in jobs.values()),
                          timeout=60, what="every job to finish", interval=0.2)
        self.assertEqual(sorted(jobs), long + queued)  # every job, once
        for i, jid in enumerate(long):
            self.assertEqual(jobs[jid].status.return_code, 0)
            self.assertEqual(request(c, C2S.ShowJob(job_id=jid)).stdout_text, "done\n")
            with open(os.path.join(work, "runs.%d" % i)) as fh:
                self.assertEqual(fh.read(), "start\n")  # ran once
        self.assertEqual(issue(c), 1002)


class BadFiles(unittest.TestCase):
    def refused(self, content_writer, message):
        srv = Server(self)
        srv.process.stop()
        content_writer(srv.state)
        with open(srv.state, "rb") as fh:
            before = hashlib.sha256(fh.read()).hexdigest()
        with self.assertRaises(AssertionError):
            srv.restart()
        srv.process.proc.wait(10)
        self.assertEqual(srv.process.proc.returncode, 1)
        self.assertIn(message, srv.process.text())
        with open(srv.state, "rb") as fh:
            self.assertEqual(hashlib.sha256(fh.read()).hexdigest(), before)

    def test_corrupt_file_refused(self):
        def corrupt(path):
            with open(path, "r+b") as fh:
                fh.seek(0)
                fh.write(b"this is not an sqlite file at all" * 10)
            for suffix in ("-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.unlink(path + suffix)
        self.refused(corrupt, "is not a valid SQLite database (corrupt?); refusing to touch it")

    def test_newer_schema_refused(self):
        def newer(path):
            db = sqlite3.connect(path)
            db.execute("UPDATE kueue_meta SET value = 99 WHERE key = 'schema_version'")
            db.commit()
            db.close()
        self.refused(newer, "was written by a newer Kueue-C (schema version 99")

    def test_malformed_log_refused(self):
        def malformed(path):
            db = sqlite3.connect(path)
            db.execute("INSERT INTO log (data) VALUES (x'07')")
            db.commit()
            db.close()
        self.refused(malformed, "log row 1 is malformed; refusing to touch the file")

    def test_foreign_database_refused(self):
        def foreign(path):
            os.unlink(path)
            db = sqlite3.connect(path)
            db.execute("CREATE TABLE something (x)")
            db.commit()
            db.close()
        self.refused(foreign, "is an SQLite database but not a Kueue-C state file")

    def test_second_server_on_the_same_file_refused(self):
        srv = Server(self)
        second = Process(self, srv.argv, os.path.join(srv.dir, "second.log"))
        second.proc.wait(10)
        self.assertEqual(second.proc.returncode, 1)
        self.assertIn("is in use by another kueue_server", second.text())
        issue(srv.client(auth=True))


if __name__ == "__main__":
    unittest.main(verbosity=2)
