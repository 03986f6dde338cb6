"""kueue_worker against a scripted server (kqtest.FakeServer): offers, job
execution and reports (reference 4.5-4.9), with the fixes of the issue:
whole process groups killed, bounded and repaired output, no hang on a
daemonised grandchild.  WorkerTest is the harness test_worker_session.py
shares."""

import os
import shutil
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import S2W, W2S, FakeServer, Worker, pids_of, sleep_marker, wait_gone, wait_pids, \
    wait_until

JS = kp.JobStatus
PERIODIC = (W2S.UpdateSystemInfo, W2S.UpdateResources)


class WorkerTest(unittest.TestCase):
    """One worker connected to a FakeServer (of extension level
    server_level: 0 behaves as the original); helpers to drive it."""

    settings = {}
    server_level = 0

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-worker-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.srv = FakeServer(self, level=self.server_level)
        self.worker = self.start_worker(self.srv.port, **self.settings)
        self.conn = self.srv.accept()
        first = self.recv()
        self.assertIsInstance(first, W2S.UpdateSystemInfo)
        res = self.recv()
        self.assertIsInstance(res, W2S.UpdateResources)
        self.initial = res.value
        self.next_id = 1

    def start_worker(self, port, **worker_settings):
        ws = {"worker_name": "w1", "worker_max_parallel_jobs": 4,
              "dynamic_check_free_resources": False,
              "system_update_interval_seconds": 60, "kill_grace_seconds": 0.5,
              "reconnect_max_seconds": 1, "output_limit_bytes": 1048576}
        ws.update(worker_settings)
        return Worker(self, port, directory=self.dir, **ws)

    def ready_file(self, name="ready"):
        """A path in the job directory that a job creates once it is set
        up (e.g. after installing a trap); wait_ready() waits for it."""
        return os.path.join(self.dir, name)

    def wait_ready(self, path):
        wait_until(lambda: os.path.exists(path), timeout=10,
                   what=lambda: "%s\n%s" % (path, self.worker.text()))

    def recv(self, timeout=10, conn=None, skip_periodic=False):
        conn = conn or self.conn
        conn.sock.settimeout(timeout)
        while True:
            m = conn.recv(W2S)
            if not (skip_periodic and isinstance(m, PERIODIC)):
                return m

    def send(self, message, conn=None):
        (conn or self.conn).send(message)

    def job(self, cmd, cwd=None, cpus=0, ram=10, slots=1, stdout=None, stderr=None):
        now = kp.Timestamp.now()
        job = kp.JobInfo(job_id=self.next_id, cmd=list(cmd), cwd=cwd or self.dir,
                         worker_resources=kp.Resources(slots, cpus, ram),
                         global_resources=None,
                         status=JS.Offered(issued=now, offered=now, worker="w1"),
                         stdout_path=stdout, stderr_path=stderr)
        self.next_id += 1
        return job

    def offer(self, job, conn=None):
        """Offers job; returns the answer."""
        self.send(S2W.OfferJob(job), conn)
        return self.recv(conn=conn)

    def confirm(self, job, conn=None):
        """Confirms an accepted job (status Running as the server sends it);
        returns the job as confirmed."""
        job.status = JS.Running(issued=job.status.issued, started=kp.Timestamp.now(),
                                worker="w1")
        self.send(S2W.ConfirmJobOffer(job), conn)
        return job

    def start(self, job, conn=None):
        """Offer, accept, confirm; returns the job once it was spawned or
        failed to start."""
        self.assertIsInstance(self.offer(job, conn), W2S.AcceptJobOffer)
        return self.confirm(job, conn)

    def report(self, job_id, timeout=10, conn=None):
        """The three messages that end a job: (status, results, resources)."""
        while True:
            m = self.recv(timeout, conn, skip_periodic=True)
            self.assertIsInstance(m, W2S.UpdateJobStatus, m)
            if not isinstance(m.value.status, JS.Running):
                break
        self.assertEqual(m.value.job_id, job_id)
        results = self.recv(timeout, conn)
        self.assertIsInstance(results, W2S.UpdateJobResults)
        self.assertEqual(results.job_id, job_id)
        resources = self.recv(timeout, conn)
        self.assertIsInstance(resources, W2S.UpdateResources)
        return m.value.status, results, resources.value

    def run_job(self, cmd, **kw):
        job = self.start(self.job(cmd, **kw))
        return self.report(job.job_id)

    def stop_worker(self):
        self.assertEqual(self.worker.stop(), 0, self.worker.text())
        self.worker.check_clean()


class Offers(WorkerTest):
    def test_first_messages(self):
        self.assertEqual(self.conn.worker_name, "w1")
        self.assertEqual(self.initial.job_slots, 4)
        self.assertEqual(self.initial.cpus, os.cpu_count())
        self.stop_worker()

    def test_decisions(self):
        answer = self.offer(self.job(["true"], cwd=os.path.join(self.dir, "missing")))
        self.assertIsInstance(answer, W2S.RejectJobOffer)
        self.assertEqual(answer.value.job_id, 1)
        # A symlink to a directory is a directory.
        os.symlink(self.dir, os.path.join(self.dir, "link"))
        link_job = self.job(["true"], cwd=os.path.join(self.dir, "link"), cpus=0, slots=0)
        answer = self.offer(link_job)
        self.assertIsInstance(answer, W2S.AcceptJobOffer)
        self.assertEqual(answer.value, link_job)  # echoed as received
        self.send(S2W.WithdrawJobOffer(link_job))
        self.assertIsInstance(self.offer(self.job(["true"], cpus=10000)), W2S.DeferJobOffer)
        # Three slots reserved, then a two-slot job does not fit...
        big = self.job(["true"], slots=3, cpus=0)
        self.assertIsInstance(self.offer(big), W2S.AcceptJobOffer)
        two = self.job(["true"], slots=2, cpus=0)
        self.assertIsInstance(self.offer(two), W2S.DeferJobOffer)
        # ...until the reservation is withdrawn.
        self.send(S2W.WithdrawJobOffer(big))
        self.assertIsInstance(self.offer(two), W2S.AcceptJobOffer)
        # A confirm for a job never accepted is ignored.
        stray = self.job(["true"])
        self.confirm(stray)
        self.worker.wait_for(r"Job %d was confirmed but is not an accepted offer" % stray.job_id)
        self.assertIsInstance(self.offer(self.job(["true"], slots=3, cpus=0)),
                              W2S.DeferJobOffer)
        self.stop_worker()

    def test_oversized_offer_rejected_connection_kept(self):
        # Issue 12.1: an offer over the 16 MiB a worker takes is skipped and
        # rejected by its id, instead of ending the connection (the server
        # then offered it again for ever).
        huge = self.job(["true"] + ["a" * 131072] * 130)
        self.assertGreater(len(kp.encode(S2W.OfferJob(huge))), 16 << 20)
        answer = self.offer(huge)
        self.assertIsInstance(answer, W2S.RejectJobOffer)
        self.assertEqual(answer.value.job_id, huge.job_id)
        self.worker.wait_for(r"Rejecting job %d: its offer has \d+ bytes, more than the "
                             r"16777216 a message may have" % huge.job_id)
        # Any other message too long is skipped with a log line.
        self.send(S2W.KillJob(huge))
        self.worker.wait_for(r"Skipped a message of \d+ bytes from the server, more than the "
                             r"16777216 a message may have: \{\"KillJob\":\{\"job_id\":%d"
                             % huge.job_id)
        # The same connection goes on.
        st, results, _ = self.run_job(["sh", "-c", "echo still here"])
        self.assertEqual((st.return_code, results.stdout_text), (0, "still here\n"))
        self.assertEqual(self.worker.text().count("Established connection"), 1)
        self.stop_worker()

    def test_resources_after_spawn(self):
        job = self.start(self.job(["sleep", "0.5"], cpus=1, ram=10))
        res = self.recv()
        self.assertIsInstance(res, W2S.UpdateResources)
        self.assertEqual(res.value.job_slots, 3)
        self.assertEqual(res.value.cpus, os.cpu_count() - 1)
        _, _, after = self.report(job.job_id)
        self.assertEqual(after.job_slots, 4)
        self.stop_worker()


class Results(WorkerTest):
    def test_exit_codes_and_report(self):
        job = self.start(self.job(["sh", "-c", "echo out; echo err >&2; exit 3"]))
        st, results, _ = self.report(job.job_id)
        self.assertIsInstance(st, JS.Finished)
        self.assertEqual((st.issued, st.started), (job.status.issued, job.status.started))
        self.assertEqual((st.return_code, st.worker, st.comment),
                         (3, "w1", "Job finished orderly."))
        self.assertEqual(st.run_time_seconds, 0)
        self.assertEqual((results.stdout_text, results.stderr_text), ("out\n", "err\n"))
        st, results, _ = self.run_job(["true"])
        self.assertEqual(st.return_code, 0)
        self.assertEqual((results.stdout_text, results.stderr_text), (None, None))
        st, _, _ = self.run_job(["kq-no-such-program"])
        self.assertEqual((st.return_code, st.comment),
                         (-43, "Failed to start job on w1: kq-no-such-program: not found in "
                               "PATH=" + os.environ["PATH"]))
        st, _, _ = self.run_job([])
        self.assertEqual((st.return_code, st.comment), (-43, "Failed to start job on w1: Empty command!"))
        st, _, _ = self.run_job(["sh", "-c", "kill -9 $$"])
        self.assertEqual((st.return_code, st.comment), (-44, "Job killed by signal 9 (SIGKILL)."))
        st, _, _ = self.run_job(["sh", "-c", "sleep 1.2"])
        self.assertEqual(st.run_time_seconds, 1)
        self.stop_worker()

    def test_program_lookup(self):
        script = os.path.join(self.dir, "run.sh")
        with open(script, "w") as fh:
            fh.write("#!/bin/sh\npwd\necho \"$1\"\n")
        os.chmod(script, 0o755)
        # Relative to the job's cwd, not the worker's; arguments unsplit.
        st, results, _ = self.run_job(["./run.sh", "a b"])
        self.assertEqual(results.stdout_text, "%s\na b\n" % os.path.realpath(self.dir))
        # No shell: metacharacters are plain arguments; stdin is empty.
        st, results, _ = self.run_job(["echo", "$HOME", "*", ";"])
        self.assertEqual(results.stdout_text, "$HOME * ;\n")
        st, results, _ = self.run_job(["cat"])
        self.assertEqual((st.return_code, results.stdout_text), (0, None))
        # Each job leads its own process group.
        st, results, _ = self.run_job(["sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"])
        pid, pgid = results.stdout_text.split()
        self.assertEqual(pgid, pid)
        self.stop_worker()

    def test_invalid_utf8_repaired(self):
        st, results, _ = self.run_job(["printf", "ok\\377\\376 caf\\303\\251\\n"])
        self.assertEqual(results.stdout_text, "ok\ufffd\ufffd caf\u00e9\n")
        self.stop_worker()

    def test_command_logged_on_one_line(self):
        # Issue 12.6: a job argument cannot forge worker log lines.
        forged = "2024-01-30T12:34:56.123Z ERROR [kueue_worker] forged"
        st, results, _ = self.run_job(["echo", "a\n" + forged, "\x1b[2J"])
        self.assertEqual(results.stdout_text, "a\n%s \x1b[2J\n" % forged)
        self.stop_worker()
        log = self.worker.text()
        self.assertIn("Started job %d: echo a\\n%s \\x1b[2J\n" % (self.next_id - 1, forged), log)
        self.assertNotIn("\n" + forged, log)
        self.assertNotIn("\x1b", log)

    def test_redirection(self):
        st, results, _ = self.run_job(["sh", "-c", "echo to-file; echo e >&2"], stdout="out.txt")
        path = os.path.join(self.dir, "out.txt")
        self.assertEqual(results.stdout_text, "Redirected to " + path)
        self.assertEqual(results.stderr_text, "e\n")
        with open(path) as fh:
            self.assertEqual(fh.read(), "to-file\n")
        for null in ("null", " NULL ", "Null\n"):
            st, results, _ = self.run_job(["sh", "-c", "echo gone; echo gone >&2"],
                                          stdout=null, stderr=null)
            self.assertEqual((st.return_code, results.stdout_text, results.stderr_text),
                             (0, None, None))
            self.assertFalse(os.path.exists(os.path.join(self.dir, null)))
        # One file for both streams: opened once, nothing overwritten.
        both = os.path.join(self.dir, "both.log")
        st, results, _ = self.run_job(["sh", "-c", "echo 1; echo 2 >&2; echo 3"],
                                      stdout="both.log", stderr=both)
        with open(both) as fh:
            self.assertEqual(fh.read(), "1\n2\n3\n")
        self.assertEqual(results.stderr_text, "Redirected to " + both)
        st, _, _ = self.run_job(["true"], stdout="no-dir/out.txt")
        self.assertEqual((st.return_code, st.comment),
                         (-43, "Failed to start job on w1: Failed to create file %s/no-dir/out.txt: "
                               "No such file or directory (os error 2)" % self.dir))
        self.stop_worker()


class Capped(WorkerTest):
    settings = {"output_limit_bytes": 4096}

    def test_output_cap(self):
        # 3 MiB on stdout: the job is not blocked, the text is cut and says so.
        st, results, _ = self.run_job(
            ["sh", "-c", "head -c 3145728 /dev/zero | tr '\\0' x; echo done >&2"])
        self.assertEqual(st.return_code, 0)
        note = "\n[kueue: output truncated after 4096 bytes]\n"
        self.assertEqual(results.stdout_text, "x" * 4096 + note)
        self.assertEqual(results.stderr_text, "done\n")
        # A cut inside a character drops the partial character.
        st, results, _ = self.run_job(
            ["sh", "-c", "printf abc; yes \u00a9 | head -n 3000 | tr -d '\\n'"])
        self.assertTrue(results.stdout_text.endswith(note))
        body = results.stdout_text[:-len(note)]
        self.assertEqual(body, "abc" + "\u00a9" * 2046)
        self.stop_worker()


class Processes(WorkerTest):
    def test_kill_job_kills_process_group(self):
        mark = sleep_marker(self)
        ready = self.ready_file()
        # A background sleep, and a shell that ignores SIGTERM (so SIGKILL
        # has to follow) and says when its trap is in place.
        script = ("sleep %s & sh -c 'trap \"\" TERM; : > %s; sleep %s' & wait"
                  % (mark, ready, mark))
        job = self.start(self.job(["sh", "-c", script]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        self.wait_ready(ready)
        wait_pids(mark, 3)
        job.status = JS.Canceled(issued=job.status.issued, canceled=kp.Timestamp.now())
        self.send(S2W.KillJob(job))
        st, results, res = self.report(job.job_id)
        self.assertEqual(st, job.status)  # left Canceled
        self.assertEqual((results.stdout_text, results.stderr_text), (None, None))
        self.assertEqual(res.job_slots, 4)
        self.assertEqual(wait_gone(mark), [])
        self.worker.wait_for("Job %d ended: return code -46 \\(Job killed!\\)" % job.job_id)
        self.stop_worker()

    def test_kill_many_jobs_at_once(self):
        # Four jobs, each with a process that left its group (setsid) and
        # ignores SIGTERM, killed by four KillJob in one burst: every tree
        # dies (the kills share one scan of /proc for such processes).
        mark = sleep_marker(self)
        jobs, readies = [], []
        for k in range(4):
            ready = self.ready_file("ready%d" % k)
            script = ("setsid sh -c 'trap \"\" TERM; : > %s; exec sleep %s' & sleep %s & wait"
                      % (ready, mark, mark))
            jobs.append(self.start(self.job(["sh", "-c", script])))
            self.assertIsInstance(self.recv(), W2S.UpdateResources)
            readies.append(ready)
        for ready in readies:
            self.wait_ready(ready)
        wait_pids(mark, 8)
        for job in jobs:
            job.status = JS.Canceled(issued=job.status.issued, canceled=kp.Timestamp.now())
        self.conn.sock.sendall(b"".join(kp.encode(S2W.KillJob(job)) for job in jobs))
        ended = set()
        while len(ended) < len(jobs):
            m = self.recv(skip_periodic=True)
            if isinstance(m, W2S.UpdateJobStatus):
                self.assertEqual(m.value.status, jobs[m.value.job_id - jobs[0].job_id].status)
                ended.add(m.value.job_id)
        self.assertEqual(wait_gone(mark), [])
        for job in jobs:
            self.worker.wait_for("Job %d ended: return code -46" % job.job_id)
        self.stop_worker()

    def test_daemonised_grandchild(self):
        mark = sleep_marker(self)
        t0 = time.time()
        st, results, _ = self.run_job(["sh", "-c", "(sleep %s &); echo parent done" % mark])
        elapsed = time.time() - t0
        self.assertEqual(len(pids_of(mark)), 1)  # it really held stdout open
        self.assertLess(elapsed, 5)
        self.assertEqual((st.return_code, results.stdout_text), (0, "parent done\n"))
        self.stop_worker()

    def test_parallel_output_does_not_block(self):
        # A job writing a lot while another one finishes quickly.
        noisy = self.start(self.job(["sh", "-c", "head -c 20000000 /dev/zero"]))
        self.assertIsInstance(self.recv(), W2S.UpdateResources)
        quick = self.start(self.job(["echo", "quick"]))
        seen = {}
        while len(seen) < 2:
            m = self.recv(skip_periodic=True)
            if isinstance(m, W2S.UpdateJobStatus):
                seen[m.value.job_id] = len(seen)
        self.assertEqual(set(seen), {noisy.job_id, quick.job_id})
        self.stop_worker()


if __name__ == "__main__":
    unittest.main(verbosity=2)
