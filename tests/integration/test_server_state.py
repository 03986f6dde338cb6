"""kueue_server's durable state: jobs, outputs and ids survive a clean stop,
a crash (kill -9) and a restart; a bad state file is refused and never
touched."""

import hashlib
import json
import os
import re
import resource
import signal
import sqlite3
import stat
import struct
import subprocess
import time
import unittest

import kueue_protocol as kp
from kqtest import (C2S, S2C, W2S, FakeWorker, Process, Server, Worker, free_port, issue,
                    new_job, request, wait_until, write_config)

JS = kp.JobStatus


def all_jobs(c, n=100000):
    return {j.job_id: j for j in request(c, C2S.ListJobs(num_jobs=n)).job_infos}


HEADER = 32  # bytes of the journal's header (src/server/kq_journal.h)
M64 = (1 << 64) - 1


def journal(srv):
    return srv.state + "-changes"


def checksum(seed, data):
    """The journal's checksum (kq_journal.c), to write frames that pass."""
    a, b = seed ^ 0x9e3779b97f4a7c15, (seed + len(data)) & M64
    padded = data + b"\0" * (-len(data) % 8)
    for (w,) in struct.iter_unpack("<Q", padded):
        a = (a + w) & M64
        b = (b + a) & M64
    b ^= b >> 31
    b = (b * 0xbf58476d1ce4e5b9) & M64
    return a ^ b ^ (b >> 29)


def header_generation(data):
    return struct.unpack_from("<Q", data, 16)[0]


def frame(journal_bytes, payload):
    """A frame that passes its check in the journal whose bytes are given."""
    owner, gen = struct.unpack_from("<QQ", journal_bytes, 8)
    s = checksum(((gen * 0x94d049bb133111eb) & M64) ^ owner ^ len(payload), payload)
    return struct.pack("<II", len(payload), (s ^ (s >> 32)) & 0xffffffff) + payload


def frame_ends(data):
    """The offset after each frame of a journal's bytes."""
    ends, off = [], HEADER
    while off < len(data):
        off += 8 + struct.unpack_from("<I", data, off)[0]
        ends.append(off)
    return ends


def header(owner, gen):
    head = b"KQJOURN1" + struct.pack("<QQ", owner, gen)
    return head + struct.pack("<Q", checksum(0, head))


def log_row_with_job(state, job_id, word):
    """A version 2 log row (records as in kq_store.c) holding job_id as a
    copy of job 0 with cmd [word]."""
    db = sqlite3.connect(state)
    info = json.loads(db.execute("SELECT info FROM jobs WHERE id = 0").fetchone()[0])
    db.close()
    info["job_id"] = job_id
    info["cmd"] = [word]
    text = json.dumps(info, separators=(",", ":")).encode()
    return b"\x01" + struct.pack("<QQ", job_id, len(text)) + text


def drop_version_4(db):
    """Takes out what schema version 4 added (environments)."""
    db.execute("DROP TABLE environments")
    db.execute("ALTER TABLE jobs DROP COLUMN env")


def make_version_2(state, journal_path, log_rows):
    """Turns a cleanly stopped store into a version 2 one with log_rows."""
    db = sqlite3.connect(state)
    drop_version_4(db)
    db.execute("DELETE FROM kueue_meta WHERE key IN "
               "('store_id', 'journal_generation', 'journal_offset')")
    db.execute("UPDATE kueue_meta SET value = 2 WHERE key = 'schema_version'")
    db.execute("DROP TABLE alloc_queues")
    db.execute("DROP TABLE drained_workers")
    db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    for row in log_rows:
        db.execute("INSERT INTO log (data) VALUES (?)", (row,))
    db.commit()
    db.close()
    os.unlink(journal_path)


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

    def sizes(self, srv):
        """(journal bytes past its header, jobs rows) of the stopped
        server's files."""
        db = sqlite3.connect(srv.state)
        try:
            rows = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        finally:
            db.close()
        return os.path.getsize(journal(srv)) - HEADER, rows

    def test_journal_replayed_after_a_crash_and_folded_at_a_clean_stop(self):
        srv = Server(self)
        c = srv.client(auth=True)
        ids = [issue(c) for _ in range(20)]
        c.sock.close()
        srv.stop(signal.SIGKILL)  # well within the idle second before folding
        journal_bytes, job_rows = self.sizes(srv)
        self.assertGreater(journal_bytes, 0)
        self.assertLess(job_rows, 20)
        srv.start_again()
        c = srv.client(auth=True)
        self.assertEqual(sorted(all_jobs(c)), ids)
        self.assertEqual(issue(c), 20)
        c.sock.close()
        self.assertEqual(srv.stop(), 0)
        self.assertEqual(self.sizes(srv), (0, 21))
        # Folded once: a start after the clean stop finds the same jobs.
        srv.start_again()
        self.assertEqual(sorted(all_jobs(srv.client(auth=True))), list(range(21)))

    def test_journal_folded_while_busy_past_its_limit(self):
        # Jobs stream in without a pause for the idle second: the folder
        # folds and empties the journal each time it passes its limit.
        srv = Server(self, server_settings={"state_journal_max_mb": 1})
        c = srv.client(auth=True)
        cmd = ["x" * 200]
        written, largest, issued = 0, 0, 0
        deadline = time.monotonic() + 20
        while written < 6 << 20 and time.monotonic() < deadline:
            for _ in range(100):
                c.send(C2S.IssueJob(new_job(cmd=cmd)))
            for _ in range(100):
                self.assertIsInstance(c.recv(S2C), S2C.AcceptJob)
            issued += 100
            written = issued * 380  # about a job's record in the journal
            largest = max(largest, os.path.getsize(journal(srv)))
        self.assertGreaterEqual(written, 6 << 20)
        self.assertLess(largest, 3 << 20)
        self.assertIn("Checkpointed the state file", srv.log())
        c.sock.close()
        srv.stop(signal.SIGKILL)
        srv.start_again()
        jobs = request(srv.client(auth=True), C2S.ListJobs(num_jobs=1))
        self.assertEqual(jobs.jobs_pending, issued)

    def test_frames_below_the_folded_offset_are_not_applied_again(self):
        srv = Server(self)
        c = srv.client(auth=True)
        for _ in range(3):
            issue(c)  # a turn, so a frame, each
        c.sock.close()
        srv.stop(signal.SIGKILL)
        with open(journal(srv), "rb") as fh:
            kept = fh.read()
        ends = frame_ends(kept)
        self.assertEqual(len(ends), 3)
        srv.start_again()  # folds all three, then empties the journal
        srv.stop(signal.SIGKILL)

        def replay(offset):
            # As if the server had died after folding up to offset: the
            # journal is back, and the rows of jobs 0 and 2 are gone, so
            # that applying a frame twice would show.
            db = sqlite3.connect(srv.state)
            db.execute("DELETE FROM jobs WHERE id IN (0, 2)")
            db.execute("UPDATE kueue_meta SET value = ? WHERE key = 'journal_generation'",
                       (header_generation(kept),))
            db.execute("UPDATE kueue_meta SET value = ? WHERE key = 'journal_offset'",
                       (offset,))
            db.commit()
            db.close()
            with open(journal(srv), "wb") as fh:
                fh.write(kept)
            srv.start_again()
            jobs = sorted(all_jobs(srv.client(auth=True)))
            srv.stop(signal.SIGKILL)
            return jobs

        self.assertEqual(replay(ends[0]), [1, 2])  # frames 2 and 3 applied
        self.assertEqual(replay(ends[2]), [1])     # all folded already
        # A journal shorter than what was folded (an unsynced tail lost in
        # a power loss) holds nothing new.
        self.assertEqual(replay(ends[2] + 1000), [1])
        with open(journal(srv), "rb") as fh:
            self.assertEqual(len(fh.read()), HEADER)  # emptied at start

    def test_failed_write_holds_the_answer_until_it_is_stored(self):
        # The journal cannot grow (a file size limit, as a full disk
        # would): the job is not accepted until it is stored, and then it
        # is, once; the server neither dies (SIGXFSZ) nor loses it.
        srv = Server(self)
        c = srv.client(auth=True)
        # Big jobs: the limit stops the journal, not the (smaller) log.
        big = "x" * 100000
        self.assertEqual(issue(c, cmd=["first", big]), 0)
        pid = srv.process.proc.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE,
                         (os.path.getsize(journal(srv)) + 1000, hard))
        c.send(C2S.IssueJob(new_job(cmd=["second", big])))
        srv.process.wait_for(r"Cannot store the state, holding all answers until it works: "
                             r"write \S+-changes: File too large")
        c.sock.settimeout(1.5)
        with self.assertRaises(TimeoutError):
            c.recv(S2C)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))
        c.sock.settimeout(10)
        reply = c.recv(S2C)
        self.assertIsInstance(reply, S2C.AcceptJob)
        self.assertEqual(reply.value.job_id, 1)
        c.sock.close()
        srv.stop(signal.SIGKILL)
        srv.start_again()
        jobs = all_jobs(srv.client(auth=True))
        self.assertEqual(sorted(jobs), [0, 1])
        self.assertEqual(jobs[1].cmd, ["second", big])

    def test_turn_with_only_an_offer_still_answers(self):
        # Regression: an offer changes a job but writes no record, and the
        # empty frame was refused, holding every answer from then on.
        srv = Server(self)
        c = srv.client(auth=True)
        issue(c)
        w = FakeWorker(srv.port, "node1", test=self)
        self.assertEqual(w.recv().value.job_id, 0)
        self.assertEqual(sorted(all_jobs(c)), [0])
        self.assertNotIn("Cannot store the state", srv.log())

    def test_torn_frame_dropped_and_overwritten(self):
        srv = Server(self)
        c = srv.client(auth=True)
        issue(c)
        c.sock.close()
        srv.stop(signal.SIGKILL)
        with open(journal(srv), "ab") as fh:
            fh.write(struct.pack("<II", 500, 12345) + b"cut short")
        srv.start_again()
        self.assertIn("dropping 17 bytes at its end, a write cut short by a crash", srv.log())
        c = srv.client(auth=True)
        self.assertEqual(issue(c), 1)
        c.sock.close()
        srv.stop(signal.SIGKILL)
        srv.start_again()
        self.assertEqual(sorted(all_jobs(srv.client(auth=True))), [0, 1])

    def test_missing_journal_warned(self):
        srv = Server(self)
        issue(srv.client(auth=True))
        self.assertEqual(srv.stop(), 0)
        os.unlink(journal(srv))
        srv.start_again()
        self.assertIn("-changes was missing: started a new one", srv.log())
        self.assertEqual(sorted(all_jobs(srv.client(auth=True))), [0])

    def test_journal_folded_and_checkpointed_when_idle(self):
        srv = Server(self)
        c = srv.client(auth=True)
        for _ in range(20):
            issue(c)
        self.assertGreater(os.path.getsize(journal(srv)), HEADER)
        srv.process.wait_for("Folded the state journal into the tables", timeout=10)
        srv.process.wait_for("Checkpointed the state file", timeout=10)
        self.assertEqual(os.path.getsize(srv.state + "-wal"), 0)
        self.assertEqual(os.path.getsize(journal(srv)), HEADER)
        c.sock.close()
        srv.stop(signal.SIGKILL)
        self.assertEqual(self.sizes(srv), (0, 20))

    def test_version_1_file_upgraded(self):
        srv = Server(self)
        issue(srv.client(auth=True))
        self.assertEqual(srv.stop(), 0)
        db = sqlite3.connect(srv.state)
        drop_version_4(db)
        db.execute("DELETE FROM kueue_meta WHERE key IN "
                   "('store_id', 'journal_generation', 'journal_offset')")
        db.execute("UPDATE kueue_meta SET value = 1 WHERE key = 'schema_version'")
        db.execute("DROP TABLE alloc_queues")
        db.execute("DROP TABLE drained_workers")
        db.commit()
        db.close()
        os.unlink(journal(srv))
        srv.start_again()
        self.assertIn("Upgraded %s to schema version 2" % srv.state, srv.log())
        self.assertIn("Upgraded %s to schema version 3" % srv.state, srv.log())
        self.assertIn("Upgraded %s to schema version 4" % srv.state, srv.log())
        self.assertIn("Upgraded %s to schema version 5" % srv.state, srv.log())
        self.assertIn("Upgraded %s to schema version 6" % srv.state, srv.log())
        self.assertNotIn("was missing", srv.log())
        c = srv.client(auth=True)
        self.assertEqual(sorted(all_jobs(c)), [0])
        self.assertEqual(issue(c), 1)

    def test_version_2_log_applied_on_upgrade(self):
        # A version 2 server killed with job 1 only in its log table.
        srv = Server(self)
        issue(srv.client(auth=True), cmd=["first"])
        self.assertEqual(srv.stop(), 0)
        make_version_2(srv.state, journal(srv), [log_row_with_job(srv.state, 1, "second")])
        srv.start_again()
        self.assertIn("Upgraded %s to schema version 3" % srv.state, srv.log())
        c = srv.client(auth=True)
        jobs = all_jobs(c)
        self.assertEqual(sorted(jobs), [0, 1])
        self.assertEqual(jobs[1].cmd, ["second"])
        self.assertEqual(issue(c), 2)

    def test_new_file_is_not_reported_as_upgraded(self):
        # Regression: creating a file ran migrations 1 and 2 and said
        # "Upgraded ... to schema version 2".
        srv = Server(self)
        self.assertIn("State in %s: 0 jobs" % srv.state, srv.log())
        self.assertNotIn("Upgraded", srv.log())

    def test_files_are_private(self):
        srv = Server(self)
        self.assertEqual(stat.S_IMODE(os.stat(srv.state).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(journal(srv)).st_mode), 0o600)

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


def appending_frame(payload):
    """A content writer for BadFiles.refused: appends a frame that passes
    its check, holding payload."""
    def append(srv):
        with open(journal(srv), "rb") as fh:
            data = fh.read()
        with open(journal(srv), "ab") as fh:
            fh.write(frame(data, payload))
    return append


def digest(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


class BadFiles(unittest.TestCase):
    def refused(self, content_writer, message, jobs=0):
        """content_writer(srv) spoils the files of a server stopped by
        kill -9 after jobs jobs; the next start must fail with message and
        leave both files as they were."""
        srv = Server(self)
        c = srv.client(auth=True)
        for i in range(jobs):
            issue(c)
        c.sock.close()
        srv.process.stop(signal.SIGKILL)
        content_writer(srv)
        before = digest(srv.state), digest(journal(srv))
        with self.assertRaises(AssertionError):
            srv.start_again()
        srv.process.proc.wait(10)
        self.assertEqual(srv.process.proc.returncode, 1)
        self.assertIn(message, srv.process.text())
        self.assertEqual((digest(srv.state), digest(journal(srv))), before)

    def test_corrupt_file_refused(self):
        def corrupt(srv):
            with open(srv.state, "r+b") as fh:
                fh.seek(0)
                fh.write(b"this is not an sqlite file at all" * 10)
            for suffix in ("-wal", "-shm"):
                if os.path.exists(srv.state + suffix):
                    os.unlink(srv.state + suffix)
        self.refused(corrupt, "is not a valid SQLite database (corrupt?); refusing to touch it")

    def test_newer_schema_refused(self):
        def newer(srv):
            db = sqlite3.connect(srv.state)
            db.execute("UPDATE kueue_meta SET value = 99 WHERE key = 'schema_version'")
            db.commit()
            db.close()
        self.refused(newer, "was written by a newer Kueue-C (schema version 99")

    def test_malformed_version_2_log_refused(self):
        self.refused(lambda srv: make_version_2(srv.state, journal(srv), [b"\x07"]),
                     "log row 1 is malformed; refusing to touch the file")

    def test_version_2_log_row_with_a_null_status_refused(self):
        # The upgrade checks log rows as a fold checks frames.
        row = b"\x02" + struct.pack("<QQQQQ", 0, M64, M64, M64, M64)
        self.refused(lambda srv: make_version_2(srv.state, journal(srv), [row]),
                     "log row 1 is malformed; refusing to touch the file")

    def test_malformed_frame_refused(self):
        self.refused(appending_frame(b"\x07" + bytes(8)),
                     "-changes: the frame at byte 32 is malformed; refusing to touch the files")

    def test_frame_with_a_null_status_refused(self):
        # Regression (found by fuzz_store): a state record without its
        # status JSON failed SQLite's NOT NULL as an I/O error.
        self.refused(appending_frame(b"\x02" + struct.pack("<QQQQQ", 0, M64, M64, M64, M64)),
                     "-changes: the frame at byte 32 is malformed")

    def test_frame_with_unreadable_json_refused(self):
        # Regression: a job record whose JSON does not decode (in a frame
        # that passes its check) was folded into the tables before loading
        # refused them.
        text = b'{"job_id":5}'
        self.refused(appending_frame(b"\x01" + struct.pack("<QQ", 5, len(text)) + text),
                     "-changes: the frame at byte 32 is malformed (missing field \"cmd\"); "
                     "refusing to touch the files")

    def test_damaged_frame_refused(self):
        def damaged(srv):
            with open(journal(srv), "r+b") as fh:
                fh.seek(HEADER + 20)
                c = fh.read(1)
                fh.seek(HEADER + 20)
                fh.write(bytes([c[0] ^ 1]))
        self.refused(damaged, "-changes: the frame at byte 32 is damaged and more follows; "
                              "refusing to touch it", jobs=3)

    def test_journal_of_another_store_refused(self):
        def foreign(srv):
            with open(journal(srv), "r+b") as fh:
                gen = header_generation(fh.read())
                fh.seek(0)
                fh.write(header(12345, gen))
        self.refused(foreign, "-changes belongs to another state file than", jobs=1)

    def test_journal_of_another_generation_refused(self):
        def older(srv):
            with open(journal(srv), "r+b") as fh:
                data = fh.read()
                owner = struct.unpack_from("<Q", data, 8)[0]
                fh.seek(0)
                fh.write(header(owner, header_generation(data) + 5))
        self.refused(older, "(one of them restored from an older copy?); refusing to "
                            "touch either", jobs=1)

    def test_not_a_journal_refused(self):
        def text(srv):
            with open(journal(srv), "wb") as fh:
                fh.write(b"some notes the user kept here\n" * 3)
        self.refused(text, "-changes is not a Kueue-C journal; refusing to touch it")

    def test_foreign_database_refused(self):
        def foreign(srv):
            os.unlink(srv.state)
            db = sqlite3.connect(srv.state)
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


class DamageWhileRunning(unittest.TestCase):
    def issue_unfolded(self, srv, c):
        """Issues a job and stops the server (SIGSTOP) while its frame is
        in the journal, not folded yet (the folder waits for an idle
        second; tried again if that passed); returns the job's id and the
        frame's offset."""
        for _ in range(5):
            wait_until(lambda: os.path.getsize(journal(srv)) == HEADER,
                       what="the journal folded and emptied")
            job = issue(c, cmd=["the", "damaged", "one"])
            os.kill(srv.process.proc.pid, signal.SIGSTOP)
            if os.path.getsize(journal(srv)) > HEADER:
                return job, HEADER
            os.kill(srv.process.proc.pid, signal.SIGCONT)
        self.fail("every job was folded before the server could be stopped")

    def test_damaged_frame_refuses_new_jobs_and_salvage_recovers(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 30})
        c = srv.client(auth=True)
        kept = issue(c, cmd=["kept"])
        w = FakeWorker(srv.port, "node1", resources=(1, 8, 8000), test=self)
        running = w.accept(w.recv())
        # A frame written, then damaged on disk under the running server.
        damaged_job, at = self.issue_unfolded(srv, c)
        with open(journal(srv), "r+b") as fh:
            fh.seek(at + 8 + 20)
            byte = fh.read(1)[0]
            fh.seek(at + 8 + 20)
            fh.write(bytes([byte ^ 0x20]))
        os.kill(srv.process.proc.pid, signal.SIGCONT)
        srv.process.wait_for("The state journal is damaged, so no new jobs are accepted")
        self.assertIn("the frame at byte %d is damaged" % at, srv.log())
        # New jobs are refused with the reason (the client prints it) ...
        reply = request(c, C2S.IssueJob(new_job()))
        self.assertIsInstance(reply, S2C.RejectJob)
        self.assertIn("state journal is damaged: no new jobs until it is restarted with "
                      "--salvage", reply.reason)
        conf = os.path.join(srv.dir, "client.toml")
        write_config(conf, {"common_settings": {"shared_secret": srv.secret,
                                                "server_name": "127.0.0.1",
                                                "server_port": srv.port}})
        r = subprocess.run([os.environ["KQ_CLIENT"], "-c", conf, "cmd", "true"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Error: Job rejected by server: The server's state journal is damaged",
                      r.stderr)
        # ... the rest is served, and what can be stored is stored after it.
        self.assertEqual(sorted(all_jobs(c)), [kept, damaged_job])
        w.finish(running, code=0, stdout="finished after the damage\n")
        wait_until(lambda: request(c, C2S.ShowJob(job_id=kept)).stdout_text,
                   what="the results stored after the damage")
        c.sock.close()
        w.conn.sock.close()
        self.assertEqual(srv.stop(), 0)
        self.assertIn("start with --salvage to recover", srv.log())
        # The next start refuses the journal, naming the frame ...
        with self.assertRaises(AssertionError):
            srv.start_again()
        self.assertEqual(srv.process.proc.wait(10), 1)
        self.assertIn("-changes: the frame at byte %d is damaged and more follows; refusing "
                      "to touch it (kueue_server --salvage starts without the changes it "
                      "holds)" % at, srv.process.text())
        # ... and --salvage starts without the damaged frame, keeping what
        # followed it and the damaged journal.
        srv.argv.append("--salvage")
        srv.start_again()
        self.assertRegex(srv.log(), r"Salvaged %s; skipped 1 damaged frame \(\d+ bytes, the "
                         r"first at byte %d\)\.  The changes they held are lost"
                         % (re.escape(journal(srv)), at))
        aside = [f for f in os.listdir(srv.dir) if ".sqlite3-changes.damaged-" in f]
        self.assertEqual(len(aside), 1, os.listdir(srv.dir))
        c = srv.client(auth=True)
        jobs = all_jobs(c)
        self.assertEqual(sorted(jobs), [kept])
        self.assertIsInstance(jobs[kept].status, JS.Finished)
        self.assertEqual(request(c, C2S.ShowJob(job_id=kept)).stdout_text,
                         "finished after the damage\n")
        # Jobs are accepted again, and the lost job's id is not given again.
        self.assertEqual(issue(c), damaged_job + 1)
        c.sock.close()
        self.assertEqual(srv.restart(), 0)
        self.assertIn("holds no damage", srv.log())
        self.assertEqual(sorted(all_jobs(srv.client(auth=True))), [kept, damaged_job + 1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
