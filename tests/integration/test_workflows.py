"""Workflows (issue 14): dependencies, priorities, time limits, retries,
arrays, names and restart, between the real client, server and workers,
and against peers that behave as the original (which must neither lose an
extension silently nor see one)."""

import os
import signal
import socket
import sqlite3
import threading
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2W, W2S, FakeWorker, Server, Worker, new_job, request, \
    sleep_marker, wait_gone, wait_pids, wait_until
from test_client_harness import Client, finished

JS = kp.JobStatus
S2C = kp.ServerToClientMessage


def original_server(test):
    """A server that answers clients as the original Kueue does, for the
    requests the tests use: IssueJob, ListJobs, ShowJob, ObserveJob; a
    message it cannot decode (a Kueue-C extension) closes the connection
    without an answer, as the original's does.  Returns (port, jobs): the
    jobs it accepted, as it stored them (without the fields it does not
    know)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    test.addCleanup(listener.close)
    jobs = []

    def serve(sock):
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
                elif isinstance(m, C2S.IssueJob):
                    job = m.value
                    job.job_id = len(jobs)
                    jobs.append(job)
                    conn.send(S2C.AcceptJob(job))
                elif isinstance(m, C2S.ListJobs):
                    conn.send(S2C.JobList(list(jobs), len(jobs), 0, 0, 0, 0, 0, 0, 0))
                elif isinstance(m, (C2S.ShowJob, C2S.ObserveJob)):
                    if m.job_id >= len(jobs):
                        conn.send(S2C.RequestResponse(False, "Job not found!"))
                    elif isinstance(m, C2S.ShowJob):
                        conn.send(S2C.JobInfo(jobs[m.job_id], None, None))
                    else:
                        conn.send(S2C.JobUpdated(jobs[m.job_id]))
                elif isinstance(m, C2S.Bye):
                    break
        except (kp.DecodeError, kp.ProtocolError, OSError):
            pass
        sock.close()

    def accept_loop():
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(sock,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return listener.getsockname()[1], jobs


def cluster(test, slots=1, **server_settings):
    """A server, a client for it and a fake worker with `slots` free slots
    (8 cpus, 8000 MB), which the tests drive by hand."""
    srv = Server(test, server_settings=server_settings) if server_settings else Server(test)
    cli = Client(test, srv)
    w = FakeWorker(srv.port, "node1", resources=(slots, 8, 8000), test=test)
    return srv, cli, w


def submit(cli, *args):
    """kueue cmd ARGS; returns the new job's id."""
    return cli.submit("cmd", *args)


def job(cli, job_id):
    return cli.json("show-job", str(job_id)).job_info


class Dependencies(unittest.TestCase):
    """--after and --after-any."""

    def test_chain_waits_then_runs(self):
        srv, cli, w = cluster(self)
        a = submit(cli, "true")
        b = submit(cli, "--after", str(a), "--", "echo", "b")
        running = w.start_next()
        self.assertEqual(running.job_id, a)
        # b is Pending on the wire, waits for a, and is not offered.
        info = job(cli, b)
        self.assertIsInstance(info.status, JS.Pending)
        self.assertEqual((info.workflow.after, info.workflow.waiting), ([a], 1))
        self.assertEqual(info.wait_reason, "waiting for 1 of the jobs it depends on: %d" % a)
        self.assertRegex(cli.ok("list-jobs"), r"\| +%d \|.*\| waiting for %d +\|" % (b, a))
        self.assertIn("after: %d (each must finish with return code 0)\n" % a,
                      cli.ok("show-job", str(b)))
        self.assertIn("waiting for: 1 of them\n", cli.ok("show-job", str(b)))
        self.assertTrue(w.nothing_for(0.3))
        w.finish(running, 0)
        offer = w.recv()
        self.assertEqual(offer.value.job_id, b)
        self.assertIsNone(job(cli, b).workflow.waiting)
        w.finish(w.accept(offer), 0)
        self.assertEqual(cli.run("wait-job", str(b)).returncode, 0)

    def test_failure_cancels_the_chain_with_notes(self):
        srv, cli, w = cluster(self)
        a = submit(cli, "false")
        b = submit(cli, "--after", str(a), "true")
        c = submit(cli, "--after", "%d,%d" % (a, b), "true")
        anyway = submit(cli, "--after-any", str(b), "true")
        waiter = cli.popen("wait-job", str(c))
        w.finish(w.start_next(), 1)
        for j in (b, c):
            self.assertIsInstance(job(cli, j).status, JS.Canceled)
        self.assertRegex(job(cli, b).note, r"^Canceled \S+Z: job %d, which it waited for "
                                           r"\(--after\), failed with return code 1$" % a)
        # c names the job it waited for that ended first: a.
        self.assertIn("job %d, which it waited for (--after), failed" % a, job(cli, c).note)
        # --after-any runs whatever the end: b was canceled.
        offer = w.recv()
        self.assertEqual(offer.value.job_id, anyway)
        code, out, err = finished(self, waiter)
        # The wait may have said what the job waited for before its end.
        said = [line for line in err.splitlines()
                if line != "Job %d waits: waiting for 2 of the jobs it depends on: %d, %d"
                % (c, a, b)]
        self.assertEqual((code, said), (1, ["Error: Job %d was canceled" % c]))
        self.assertIn("note: Canceled", cli.ok("show-job", str(c)))

    def test_removing_a_dependency_cancels_its_dependents(self):
        srv, cli, w = cluster(self)
        blocker = submit(cli, "--queue-anyway", "-j", "2", "true")  # fits no worker: stays pending
        d = submit(cli, "--after", str(blocker), "true")
        cli.ok("remove-job", str(blocker))
        self.assertIsInstance(job(cli, d).status, JS.Canceled)
        self.assertIn("job %d, which it waited for (--after), was canceled" % blocker,
                      job(cli, d).note)

    def test_a_dependency_that_failed_already(self):
        srv, cli, w = cluster(self)
        a = submit(cli, "false")
        w.finish(w.start_next(), 2)
        wait_until(lambda: isinstance(job(cli, a).status, JS.Finished))
        # Accepted and canceled at once, as if it had failed later.
        b = submit(cli, "--after", str(a), "true")
        self.assertIsInstance(job(cli, b).status, JS.Canceled)
        self.assertIn("failed with return code 2", job(cli, b).note)
        # Waiting for any end: runs.
        c = submit(cli, "--after-any", str(a), "true")
        self.assertEqual(w.recv().value.job_id, c)

    def test_bad_ids_are_refused_and_nothing_is_queued(self):
        srv, cli, w = cluster(self)
        a = submit(cli, "--queue-anyway", "-j", "2", "true")
        for ids, message in [
                ("99", "--after 99: there is no job 99 yet (a job can only wait for jobs "
                       "submitted before it)"),
                # Its own id, the next one: the same.
                (str(a + 1), "--after %d: there is no job %d yet" % (a + 1, a + 1))]:
            with self.subTest(ids=ids):
                err = cli.fails(1, "cmd", "--after", ids, "true")
                self.assertIn("Error: Job rejected by server: " + message, err)
        cli.ok("remove-job", str(a))
        cli.ok("clean-jobs")
        err = cli.fails(1, "cmd", "--after-any", str(a), "true")
        self.assertIn("--after-any %d: job %d does not exist (any more)" % (a, a), err)
        self.assertEqual(cli.jobs(), [])
        b = submit(cli, "--queue-anyway", "-j", "2", "true")
        self.assertEqual(b, a + 1)  # no id was used up
        err = cli.fails(1, "cmd", "--after", str(b), "--after-any", str(b), "true")
        self.assertIn("job %d is in both --after and --after-any" % b, err)
        self.assertEqual([j.job_id for j in cli.jobs()], [b])

    def test_usage_errors(self):
        srv, cli, w = cluster(self)
        for value, why in [("x", "expected job ids separated by commas, or ranges like 20-29"),
                           ("", "expected job ids, like 12,15 or 20-29"),
                           ("3,", "expected job ids separated by commas, or ranges like 20-29"),
                           ("5-3", "a range must not go down (write 20-29, not 29-20)"),
                           ("0-100000", "more than 100000 jobs"),
                           ("-1", "expected job ids separated by commas, or ranges like 20-29")]:
            with self.subTest(value=value):
                err = cli.fails(2, "cmd", "--after=" + value, "true")
                self.assertIn("error: invalid value '%s' for '--after <IDS>': %s" % (value, why),
                              err)
        self.assertEqual(cli.jobs(), [])

    def test_ranges_and_duplicates(self):
        srv, cli, w = cluster(self)
        ids = [submit(cli, "--queue-anyway", "-j", "2", "true") for _ in range(4)]
        d = submit(cli, "--after", "%d-%d,%d,%d" % (ids[0], ids[2], ids[1], ids[3]), "true")
        self.assertEqual(job(cli, d).workflow.after, ids)
        self.assertEqual(job(cli, d).workflow.waiting, 4)
        self.assertRegex(cli.ok("list-jobs"),
                         r"waiting for %s +\|" % ", ".join(str(i) for i in ids))

    def test_batch_with_dependencies(self):
        srv, cli, w = cluster(self, slots=4)
        a = submit(cli, "--queue-anyway", "-j", "5", "true")  # never runs
        out = cli.ok("batch", "--after", str(a), input="echo 1\necho 2\n")
        jobs = [int(x) for x in out.split()]
        self.assertEqual(len(jobs), 2)
        for j in jobs:
            self.assertEqual(job(cli, j).workflow.waiting, 1)
        self.assertTrue(w.nothing_for(0.3))

    def test_clean_jobs_keeps_what_pending_jobs_need(self):
        srv, cli, w = cluster(self)
        a = submit(cli, "true")
        blocker = submit(cli, "--queue-anyway", "-j", "2", "true")
        d = submit(cli, "--after", "%d,%d" % (a, blocker), "true")
        w.finish(w.start_next(), 0)
        wait_until(lambda: isinstance(job(cli, a).status, JS.Finished))
        self.assertEqual(cli.ok("clean-jobs"),
                         "Removed finished and canceled jobs! Kept 1 that jobs still to run "
                         "depend on.\n")
        self.assertEqual(job(cli, a).job_id, a)
        cli.ok("remove-job", str(blocker))  # d is canceled: a is free to go
        cli.ok("clean-jobs")
        self.assertEqual([j.job_id for j in cli.jobs()], [])
        self.assertIn("Job not found!", cli.fails(1, "show-job", str(d)))

    def test_waiting_survives_kill_9(self):
        srv, cli, w = cluster(self)
        a = submit(cli, "--queue-anyway", "-j", "2", "true")
        d = submit(cli, "--after", str(a), "true")
        e = submit(cli, "--after", str(d), "true")
        srv.restart(signal.SIGKILL)
        cli = Client(self, srv)
        self.assertEqual(job(cli, d).workflow.waiting, 1)
        self.assertEqual(job(cli, e).workflow.waiting, 1)
        w = FakeWorker(srv.port, "node1", resources=(2, 8, 8000), test=self)
        w.finish(w.start_next(), 0)  # a
        w.finish(w.start_next(), 0)  # d, released by a
        self.assertEqual(w.recv().value.job_id, e)

    def test_dependency_gone_after_a_restart_cancels(self):
        srv, cli, w = cluster(self)
        a = submit(cli, "--queue-anyway", "-j", "2", "true")
        d = submit(cli, "--after", str(a), "true")
        self.assertEqual(srv.stop(), 0)
        db = sqlite3.connect(srv.state)
        db.execute("DELETE FROM jobs WHERE id = ?", (a,))
        db.commit()
        db.close()
        srv.start_again()
        cli = Client(self, srv)
        info = job(cli, d)
        self.assertIsInstance(info.status, JS.Canceled)
        self.assertIn("job %d, which it waited for, no longer exists" % a, info.note)
        # The cancellation is stored like any change.
        srv.restart(signal.SIGKILL)
        self.assertIsInstance(job(Client(self, srv), d).status, JS.Canceled)

    def test_original_server_refuses(self):
        port, jobs = original_server(self)
        cli = Client(self, port=port)
        for args, option in [(["--after", "0"], "--after"), (["--after-any", "0"], "--after-any")]:
            with self.subTest(option=option):
                r = cli.run("cmd", *args, "true")
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (1, "", "Error: this server does not support %s (an original "
                                         "Kueue server?)\n" % option))
                r = cli.run("batch", *args, input="true\ntrue\n")
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (1, "", "Error: this server does not support %s (an original "
                                         "Kueue server?)\n" % option))
        self.assertEqual(jobs, [])
        # Plain jobs as before.
        self.assertEqual(cli.ok("cmd", "true"), "0\n")
        self.assertEqual(cli.ok("batch", input="true\n"), "1\n")

    def test_an_original_worker_runs_a_dependent(self):
        srv = Server(self)
        cli = Client(self, srv)
        old = FakeWorker(srv.port, "old", test=self)  # speaks level 0
        a = submit(cli, "true")
        b = submit(cli, "--after", str(a), "true")
        old.finish(old.start_next(), 0)
        raw = old.recv_raw()
        # The offer has the original's bytes: no workflow field.
        self.assertEqual(kp.encode(kp.decode(S2W, raw, level=0), level=0), raw)
        self.assertNotIn(b"workflow", raw)
        offer = kp.decode(S2W, raw, level=0)
        self.assertEqual(offer.value.job_id, b)
        old.finish(old.accept(offer), 0)
        self.assertEqual(cli.run("wait-job", str(b)).returncode, 0)


class Priorities(unittest.TestCase):
    """--priority N and kueue set-priority."""

    def run_order(self, w, n):
        """Runs n jobs one at a time on w; their ids in the order offered."""
        order = []
        w.resources(1, 8, 8000)
        for _ in range(n):
            running = w.start_next()
            order.append(running.job_id)
            w.finish(running, 0)
        return order

    def test_higher_first_fifo_within(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", resources=(0, 8, 8000), test=self)
        low = submit(cli, "--queue-anyway", "--priority", "-1", "true")
        a = submit(cli, "--queue-anyway", "true")
        hi1 = submit(cli, "--queue-anyway", "--priority", "5", "true")
        b = submit(cli, "--queue-anyway", "true")
        hi2 = submit(cli, "--queue-anyway", "--priority=5", "true")
        top = submit(cli, "--queue-anyway", "--priority", "2147483647", "true")
        self.assertEqual(job(cli, hi1).workflow.priority, 5)
        self.assertIsNone(job(cli, a).workflow)  # a plain job stays plain
        self.assertRegex(cli.ok("list-jobs"), r"pending since \S+ \S+( \([^)]*\))?, priority 5 +\|")
        self.assertIn("   priority: -1\n", cli.ok("show-job", str(low)))
        self.assertEqual(self.run_order(w, 6), [top, hi1, hi2, a, b, low])

    def test_set_priority(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", resources=(0, 8, 8000), test=self)
        a, b, c = (submit(cli, "--queue-anyway", "true") for _ in range(3))
        self.assertEqual(cli.ok("set-priority", str(c), "3"),
                         "Job ID=%d has priority 3 (was 0)\n" % c)
        self.assertEqual(cli.ok("set-priority", str(a), "-7"),
                         "Job ID=%d has priority -7 (was 0)\n" % a)
        reply = cli.json("set-priority", str(b), "-2")
        self.assertTrue(reply.success)
        srv.process.wait_for("Job %d has priority -2 \\(was 0\\) on request of" % b)
        # Kept across kill -9, with the order.
        srv.restart(signal.SIGKILL)
        cli = Client(self, srv)
        self.assertEqual(job(cli, a).workflow.priority, -7)
        w = FakeWorker(srv.port, "node1", resources=(0, 8, 8000), test=self)
        self.assertEqual(self.run_order(w, 3), [c, b, a])
        self.assertIn("Error: Job ID=%d is no longer pending: its priority cannot change (it is "
                      "ended)\n" % a, cli.fails(1, "set-priority", str(a), "1"))
        self.assertIn("Error: Job with ID=99 not found!\n", cli.fails(1, "set-priority", "99", "1"))

    def test_a_waiting_job_keeps_its_priority_until_released(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", resources=(0, 8, 8000), test=self)
        first = submit(cli, "--queue-anyway", "true")
        plain = submit(cli, "--queue-anyway", "true")
        later = submit(cli, "--queue-anyway", "--after", str(first), "--priority", "1", "true")
        cli.ok("set-priority", str(later), "9")
        self.assertEqual(job(cli, later).workflow.waiting, 1)
        # first runs, releases later, which overtakes plain.
        self.assertEqual(self.run_order(w, 3), [first, later, plain])

    def test_usage_errors(self):
        srv = Server(self)
        cli = Client(self, srv)
        for value, why in [("2147483648", "out of range: from -2147483648 to 2147483647"),
                           ("-2147483649", "out of range: from -2147483648 to 2147483647"),
                           ("high", "expected an integer"), ("1.5", "expected an integer")]:
            with self.subTest(value=value):
                err = cli.fails(2, "cmd", "--priority=" + value, "true")
                self.assertIn("error: invalid value '%s' for '--priority <N>': %s" % (value, why),
                              err)
                err = cli.fails(2, "set-priority", "0", value)
                self.assertIn("error: invalid value '%s' for '<PRIORITY>': %s" % (value, why), err)
        self.assertIn("required arguments were not provided", cli.fails(2, "set-priority", "1"))
        self.assertEqual(cli.jobs(), [])

    def test_original_server_refuses(self):
        port, jobs = original_server(self)
        cli = Client(self, port=port)
        for args, feature in [(["cmd", "--priority", "3", "true"], "--priority"),
                              (["set-priority", "0", "-3"], "set-priority")]:
            with self.subTest(feature=feature):
                r = cli.run(*args)
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (1, "", "Error: this server does not support %s (an original "
                                         "Kueue server?)\n" % feature))
        self.assertEqual(jobs, [])



def report_killed(w, killed):
    """What a worker sends after a KillJob: the job as the kill said
    (Canceled), no output, its free resources."""
    w.send(W2S.UpdateJobStatus(killed))
    w.send(W2S.UpdateJobResults(job_id=killed.job_id, stdout_text=None, stderr_text=None))
    w.send(W2S.UpdateResources(w.free))


class TimeLimits(unittest.TestCase):
    """--time-limit DURATION, enforced by the server."""

    def test_an_original_worker_is_sent_the_kill(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "old", test=self)  # level 0, as the original
        j = submit(cli, "--time-limit", "1s", "sleep", "60")
        running = w.start_next()
        waiter = cli.popen("wait-job", str(j))
        raw = w.recv_raw(timeout=10)
        # The original's KillJob: its bytes, the job as canceled.
        self.assertEqual(kp.encode(kp.decode(S2W, raw, level=0), level=0), raw)
        kill = kp.decode(S2W, raw, level=0)
        self.assertIsInstance(kill, S2W.KillJob)
        self.assertEqual(kill.value.job_id, j)
        self.assertIsInstance(kill.value.status, JS.Canceled)
        # Until the worker reports the end, the job runs.
        self.assertIsInstance(job(cli, j).status, JS.Running)
        report_killed(w, kill.value)
        st = wait_until(lambda: job(cli, j).status, lambda s: isinstance(s, JS.Finished))
        self.assertEqual((st.return_code, st.comment, st.worker),
                         (-47, "killed: time limit 1s exceeded", "old"))
        self.assertGreaterEqual(st.run_time_seconds, 1)
        self.assertEqual(st.started, running.status.started)
        code, out, err = finished(self, waiter)
        self.assertEqual((code, out, err),
                         (1, "", "Error: Job %d failed with code -47: killed: time limit 1s "
                                 "exceeded\n" % j))
        text = cli.ok("show-job", str(j))
        self.assertIn("   time limit: 1s\n", text)
        self.assertIn("   return code: -47\n", text)
        self.assertIn("   comment: killed: time limit 1s exceeded\n", text)
        srv.process.wait_for("Job %d ran past its time limit of 1s: killing it" % j)

    def test_a_real_worker_kills_the_tree(self):
        srv = Server(self)
        cli = Client(self, srv)
        Worker(self, srv.port, worker_name="real", dynamic_check_free_resources=False,
               kill_grace_seconds=1)
        mark = sleep_marker(self)
        j = submit(cli, "--time-limit", "2s", "sh", "-c", "sleep %s & sleep %s; true" % (mark, mark))
        wait_pids(mark, 2)
        self.assertEqual(cli.run("wait-job", str(j)).returncode, 1)
        self.assertEqual(wait_gone(mark), [])
        st = job(cli, j).status
        self.assertEqual((st.return_code, st.comment), (-47, "killed: time limit 2s exceeded"))

    def test_a_job_that_ends_in_time_keeps_its_result(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--time-limit", "1h", "true")
        w.finish(w.start_next(), 3)
        st = wait_until(lambda: job(cli, j).status, lambda s: isinstance(s, JS.Finished))
        self.assertEqual(st.return_code, 3)
        # Ended on its own while the kill was on its way: its own result.
        k = submit(cli, "--time-limit", "1s", "true")
        running = w.start_next()
        self.assertIsInstance(w.recv(), S2W.KillJob)
        w.finish(running, 0)
        st = wait_until(lambda: job(cli, k).status, lambda s: isinstance(s, JS.Finished))
        self.assertEqual((st.return_code, st.comment), (0, "Job finished orderly."))

    def test_canceled_while_being_killed_stays_canceled(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--time-limit", "1s", "sleep", "60")
        w.start_next()
        kill = w.recv()
        self.assertIsInstance(kill, S2W.KillJob)
        cli.ok("remove-job", "-k", str(j))
        report_killed(w, w.recv().value)
        srv.process.wait_for("Job %d ended on worker \"node1\" after it was canceled" % j)
        self.assertIsInstance(job(cli, j).status, JS.Canceled)

    def test_a_worker_away_at_the_deadline_is_sent_the_kill_when_back(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--time-limit", "1s", "sleep", "60")
        running = w.start_next()
        w.conn.sock.close()
        srv.process.wait_for("Job %d ran past its time limit of 1s: killing it" % j)
        # Back, with the job still running: killed now.
        w = FakeWorker(srv.port, "node1", resources=None, test=self)
        w.send(W2S.UpdateJobStatus(running))
        kill = w.recv()
        self.assertIsInstance(kill, S2W.KillJob)
        report_killed(w, kill.value)
        st = wait_until(lambda: job(cli, j).status, lambda s: isinstance(s, JS.Finished))
        self.assertEqual(st.return_code, -47)

    def test_a_worker_that_never_comes_back(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 2,
                                            "maintenance_interval_seconds": 1})
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--time-limit", "1s", "sleep", "60")
        w.start_next()
        w.conn.sock.close()
        # Ended at its limit, not queued again.
        st = wait_until(lambda: job(cli, j).status, lambda s: isinstance(s, JS.Finished),
                        timeout=15)
        self.assertEqual((st.return_code, st.comment), (-47, "killed: time limit 1s exceeded"))
        srv.process.wait_for("Job %d ended at its time limit: its worker did not come back" % j)

    def test_the_limit_outlasts_kill_9(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 60})
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--time-limit", "2s", "sleep", "60")
        running = w.start_next()
        srv.restart(signal.SIGKILL)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", resources=None, test=self)
        w.send(W2S.UpdateJobStatus(running))
        kill = w.recv(timeout=15)
        self.assertIsInstance(kill, S2W.KillJob)
        self.assertEqual(kill.value.job_id, j)
        report_killed(w, kill.value)
        st = wait_until(lambda: job(cli, j).status, lambda s: isinstance(s, JS.Finished))
        self.assertEqual(st.return_code, -47)

    def test_usage_errors(self):
        srv = Server(self)
        cli = Client(self, srv)
        usage = ("expected a duration like 90s, 45m, 2h30m or 1d (numbers with d, h, m or s, "
                 "largest first)")
        for value, why in [("0s", "a time limit must be at least 1s"),
                           ("0", usage), ("90", usage), ("-5m", "a time limit cannot be negative"),
                           ("2h30", usage), ("soon", usage), ("", usage),
                           ("99999d", "too long: at most 31 years")]:
            with self.subTest(value=value):
                err = cli.fails(2, "cmd", "--time-limit=" + value, "true")
                self.assertIn("error: invalid value '%s' for '--time-limit <DURATION>': %s"
                              % (value, why), err)
        self.assertEqual(cli.jobs(), [])
        # A client that sends 0 anyway is refused.
        c = srv.client(auth=True)
        bad = new_job()
        bad.workflow = kp.Workflow(priority=0, time_limit_seconds=0)
        reply = request(c, C2S.SubmitJob(bad, None))
        self.assertIsInstance(reply, S2C.RejectJob)
        self.assertEqual(reply.reason, "--time-limit must be at least 1 second.")

    def test_original_server_refuses(self):
        port, jobs = original_server(self)
        r = Client(self, port=port).run("cmd", "--time-limit", "1h", "true")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "Error: this server does not support --time-limit (an original "
                                 "Kueue server?)\n"))
        self.assertEqual(jobs, [])



class Retries(unittest.TestCase):
    """--retries N."""

    def test_failed_runs_are_tried_again_then_it_fails(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--retries", "2", "false")
        waiter = cli.popen("wait-job", str(j))
        codes = [1, -43, 7]
        for n, code in enumerate(codes):
            running = w.start_next()
            self.assertEqual(running.job_id, j)
            if n == 1:
                self.assertRegex(cli.ok("list-jobs"), r"running for \S+, attempt 2 of 3 +\|")
            w.finish(running, code, stdout="run %d" % n)
        st = wait_until(lambda: job(cli, j).status, lambda s: isinstance(s, JS.Finished))
        self.assertEqual(st.return_code, 7)
        info = job(cli, j)
        self.assertEqual([(a.return_code, a.worker) for a in info.workflow.attempts],
                         [(1, "node1"), (-43, "node1")])
        text = cli.ok("show-job", str(j))
        self.assertIn("   retries: 2 (attempt 3 of 3)\n", text)
        self.assertRegex(text, r"   attempt 1: return code 1 on node1, ended \S+ \S+\n"
                               r"   attempt 2: return code -43 on node1, ended ")
        # The last run's output is kept.
        self.assertIn("=== stdout ===\nrun 2\n", text)
        code, out, err = finished(self, waiter)
        self.assertEqual(code, 7)
        srv.process.wait_for("Job %d failed with return code 1 on worker \"node1\" \\(attempt 1 "
                             "of 3\\): queued again" % j)

    def test_success_ends_it_and_releases_dependents(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--retries", "5", "flaky")
        d = submit(cli, "--after", str(j), "next")
        w.finish(w.start_next(), 1)
        # Failed once: its dependent still waits.
        self.assertEqual(job(cli, d).workflow.waiting, 1)
        w.finish(w.start_next(), 0)
        self.assertEqual(w.recv().value.job_id, d)
        self.assertEqual(len(job(cli, j).workflow.attempts), 1)
        self.assertEqual(job(cli, j).status.return_code, 0)

    def test_not_retried(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        # Stopped at its time limit: not tried again.
        j = submit(cli, "--retries", "3", "--time-limit", "1s", "sleep", "60")
        w.start_next()
        report_killed(w, w.recv().value)
        st = wait_until(lambda: job(cli, j).status, lambda s: isinstance(s, JS.Finished))
        self.assertEqual(st.return_code, -47)
        self.assertIsNone(job(cli, j).workflow.attempts)
        # Canceled while running: stays canceled.
        k = submit(cli, "--retries", "3", "sleep", "60")
        w.start_next()
        cli.ok("remove-job", "-k", str(k))
        report_killed(w, w.recv().value)
        srv.process.wait_for("Job %d ended on worker \"node1\" after it was canceled" % k)
        self.assertIsInstance(job(cli, k).status, JS.Canceled)

    def test_a_report_sent_again_counts_once(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", level=1, test=self)
        j = submit(cli, "--retries", "3", "false")
        running = w.start_next()
        w.finish(running, 1)
        self.assertIsInstance(w.recv(), S2W.ReportStored)
        offer = w.recv()  # the second run
        self.assertEqual(offer.value.job_id, j)
        # The acknowledgement was lost: a new connection sends it again.
        w.conn.sock.close()
        again = FakeWorker(srv.port, "node1", level=1, resources=None, test=self)
        again.send(W2S.UpdateJobStatus(running))
        again.send(W2S.UpdateJobResults(job_id=j, stdout_text=None, stderr_text=None))
        self.assertIsInstance(again.recv(), S2W.ReportStored)
        srv.process.wait_for("reported a run of job %d that failed and was retried already" % j)
        self.assertEqual(len(job(cli, j).workflow.attempts), 1)
        self.assertIsInstance(job(cli, j).status, JS.Pending)

    def test_a_real_flaky_job_and_kill_9(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        j = submit(cli, "--retries", "2", "false")
        w.finish(w.start_next(), 3)
        wait_until(lambda: job(cli, j).workflow.attempts)  # stored once seen
        srv.restart(signal.SIGKILL)
        cli = Client(self, srv)
        self.assertEqual([a.return_code for a in job(cli, j).workflow.attempts], [3])
        Worker(self, srv.port, worker_name="real", dynamic_check_free_resources=False)
        flag = os.path.join(cli.dir, "flag")
        k = submit(cli, "--retries", "1", "sh", "-c",
                   "if [ -e %s ]; then echo second; else touch %s; echo first; exit 4; fi"
                   % (flag, flag))
        self.assertEqual(cli.run("wait-job", str(k)).returncode, 0)
        info = cli.json("show-job", str(k))
        self.assertEqual([a.return_code for a in info.job_info.workflow.attempts], [4])
        self.assertEqual(info.stdout_text, "second\n")
        # j: two more runs of `false`, then failed.
        self.assertEqual(cli.run("wait-job", str(j)).returncode, 1)
        self.assertEqual(len(job(cli, j).workflow.attempts), 2)

    def test_bad_values(self):
        srv = Server(self)
        cli = Client(self, srv)
        for value, why in [("101", "at most 100"), ("x", "invalid digit found in string"),
                           ("-1", "invalid digit found in string")]:
            with self.subTest(value=value):
                err = cli.fails(2, "cmd", "--retries=" + value, "true")
                self.assertIn("error: invalid value '%s' for '--retries <N>': %s" % (value, why),
                              err)
        self.assertEqual(cli.jobs(), [])
        bad = new_job()
        bad.workflow = kp.Workflow(priority=0, retries=101)
        reply = request(srv.client(auth=True), C2S.SubmitJob(bad, None))
        self.assertEqual(reply.reason, "--retries 101: at most 100.")

    def test_original_server_refuses(self):
        port, jobs = original_server(self)
        r = Client(self, port=port).run("cmd", "--retries", "3", "true")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "Error: this server does not support --retries (an original "
                                 "Kueue server?)\n"))
        self.assertEqual(jobs, [])



class Arrays(unittest.TestCase):
    """--array RANGE, and list-jobs, wait-job, remove-job --array ID."""

    def test_expansion(self):
        srv = Server(self)
        cli = Client(self, srv)
        first = submit(cli, "--queue-anyway", "-j", "2", "true")  # ids do not start at 0
        a = submit(cli, "--array", "0-3", "--name", "s-{index}", "-o", "out-{index}.log", "--",
                   "echo", "{index}", "x{index}y{index}", "plain")
        self.assertEqual(a, first + 1)
        jobs = cli.json("list-jobs", "--array", str(a)).job_infos
        self.assertEqual([j.job_id for j in jobs], [a, a + 1, a + 2, a + 3])
        for k, j in enumerate(jobs):
            self.assertEqual(j.cmd, ["echo", str(k), "x%dy%d" % (k, k), "plain"])
            self.assertEqual(j.stdout_path, "out-%d.log" % k)
            self.assertEqual((j.workflow.name, j.workflow.array_id, j.workflow.array_index),
                             ("s-%d" % k, a, k))
        self.assertIn("   array: %d, index 2\n" % a, cli.ok("show-job", str(a + 2)))
        # A step, and a range of one.
        b = submit(cli, "--array", "1-1000:10", "true")
        jobs = cli.json("list-jobs", "--array", str(b)).job_infos
        self.assertEqual([j.workflow.array_index for j in jobs], list(range(1, 1000, 10)))
        self.assertEqual([j.job_id for j in jobs], list(range(b, b + 100)))
        c = submit(cli, "--array", "7", "echo", "{index}")
        self.assertEqual(job(cli, c).cmd, ["echo", "7"])
        # The listing's counters cover the array.
        reply = cli.json("list-jobs", "--array", str(a), "-n", "1")
        self.assertEqual(([j.job_id for j in reply.job_infos], reply.jobs_pending), ([a + 3], 4))
        self.assertEqual(cli.json("list-jobs", "--array", str(first)).job_infos, [])

    def test_wait_and_remove(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        a = submit(cli, "--array", "0-2", "sh", "-c", "exit {index}")
        waiter = cli.popen("wait-job", "--array", str(a))
        w.finish(w.start_next(), 0)
        w.finish(w.start_next(), 1)
        running = w.start_next()
        self.assertIn("Error: Array with ID=%d not found!" % (a + 1),
                      cli.fails(1, "wait-job", "--array", str(a + 1)))
        # The running one is not canceled without --kill.
        self.assertEqual(cli.fails(1, "remove-job", "--array", str(a)),
                         "Error: Canceled 0 jobs of array %d; 1 have already started (--kill "
                         "kills them)!\n" % a)
        self.assertEqual(cli.ok("remove-job", "--array", str(a), "--kill"),
                         "Canceled 1 jobs of array %d!\n" % a)
        kill = w.recv()
        self.assertIsInstance(kill, S2W.KillJob)
        report_killed(w, kill.value)
        code, out, err = finished(self, waiter)
        self.assertEqual((code, out, err),
                         (1, "", "Error: 2 of 3 jobs of array %d failed or were canceled\n" % a))
        self.assertIn("Error: All 3 jobs of array %d have ended already!" % a,
                      cli.fails(1, "remove-job", "--array", str(a)))
        self.assertIn("Error: Array with ID=99 not found!",
                      cli.fails(1, "remove-job", "--array", "99"))

    def test_cmd_wait_and_json(self):
        srv = Server(self)
        cli = Client(self, srv)
        Worker(self, srv.port, worker_name="real", dynamic_check_free_resources=False)
        r = cli.run("cmd", "--wait", "--array", "0-4", "sh", "-c", "exit 0")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "0\n", ""))
        reply = cli.json("wait-job", "--array", "0")
        self.assertEqual([j.status.return_code for j in reply.job_infos], [0] * 5)
        r = cli.run("cmd", "--wait", "--array", "1-3", "sh", "-c", "exit $(( {index} % 2 ))")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "5\n", "Error: 2 of 3 jobs of array 5 failed or were canceled\n"))
        reply = kp.decode(S2C, cli.run("cmd", "--json", "--array", "0-1", "true").stdout)
        self.assertIsInstance(reply, S2C.AcceptJob)
        self.assertEqual((reply.value.job_id, reply.value.workflow.array_id), (8, 8))

    def test_with_dependencies_and_kill_9(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", resources=(4, 8, 8000), test=self)
        setup = submit(cli, "--queue-anyway", "-j", "5", "true")  # never runs
        a = submit(cli, "--array", "0-2", "--after", str(setup), "echo", "{index}")
        gather = submit(cli, "--after", "%d-%d" % (a, a + 2), "true")
        self.assertEqual([j.workflow.waiting for j in cli.json("list-jobs", "--array",
                                                                str(a)).job_infos], [1, 1, 1])
        srv.restart(signal.SIGKILL)
        cli = Client(self, srv)
        jobs = cli.json("list-jobs", "--array", str(a)).job_infos
        self.assertEqual([(j.cmd, j.workflow.array_index) for j in jobs],
                         [(["echo", str(k)], k) for k in range(3)])
        cli.ok("remove-job", str(setup))
        for j in [a, a + 1, a + 2, gather]:
            self.assertIsInstance(job(cli, j).status, JS.Canceled)

    def test_usage_errors(self):
        srv = Server(self)
        cli = Client(self, srv)
        for value, why in [
                ("0-100000", "more than 100000 jobs"), ("5-1", "the range is empty (the last "
                                                               "index is below the first)"),
                ("1-5:0", "the step must be at least 1"),
                ("x", "expected FIRST-LAST or FIRST-LAST:STEP, like 0-99 or 1-1000:10")]:
            with self.subTest(value=value):
                err = cli.fails(2, "cmd", "--array=" + value, "true")
                self.assertIn("error: invalid value '%s' for '--array <RANGE>': %s" % (value, why),
                              err)
        for args in (["echo", "{index}"], ["-o", "{index}.log", "true"],
                     ["--name", "n{index}", "true"]):
            with self.subTest(args=args):
                self.assertIn("error: {index} is replaced only in the jobs of an array: add "
                              "'--array <RANGE>'", cli.fails(2, "cmd", *args))
        for cmd in ("wait-job", "remove-job"):
            self.assertIn("<JOB_ID> (or '--array <ID>')", cli.fails(2, cmd))
            self.assertIn("the argument '--array <ID>' cannot be used with '<JOB_ID>'",
                          cli.fails(2, cmd, "1", "--array", "1"))
        self.assertEqual(cli.jobs(), [])
        # A client that sends a bad array anyway is refused.
        c = srv.client(auth=True)
        for arr, reason in [(kp.JobArray(0, 100000, 1), "--array: more than 100000 jobs."),
                            (kp.JobArray(5, 1, 1), "--array: the range is empty (the last "
                                                   "index is below the first)."),
                            (kp.JobArray(1, 5, 0), "--array: the step must be at least 1.")]:
            reply = request(c, C2S.SubmitJob(new_job(), arr))
            self.assertEqual(reply.reason, reason)
        self.assertEqual(cli.jobs(), [])

    def test_original_server_refuses(self):
        port, jobs = original_server(self)
        cli = Client(self, port=port)
        for args in (["cmd", "--array", "0-9", "true"], ["list-jobs", "--array", "0"],
                     ["wait-job", "--array", "0"], ["remove-job", "--array", "0"]):
            with self.subTest(args=args):
                r = cli.run(*args)
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (1, "", "Error: this server does not support --array (an "
                                         "original Kueue server?)\n"))
        self.assertEqual(jobs, [])


class Names(unittest.TestCase):
    """--name, and list-jobs --name PATTERN."""

    def test_names_listed_and_filtered(self):
        srv = Server(self)
        cli = Client(self, srv)
        plain = submit(cli, "true")
        a = submit(cli, "--name", "train-lr0.1", "true")
        b = submit(cli, "--name", "train-lr0.01", "true")
        c = submit(cli, "--name", "eval", "true")
        out = cli.ok("list-jobs")
        self.assertRegex(out.split("\n")[0], r"^\| id \| name +\| working directory +\|")
        self.assertRegex(out, r"\| +%d \| --- +\|" % plain)
        self.assertRegex(out, r"\| +%d \| train-lr0\.1 +\|" % a)
        self.assertEqual([j.job_id for j in cli.json("list-jobs", "--name", "train-*").job_infos],
                         [a, b])
        self.assertEqual([j.job_id for j in cli.json("list-jobs", "--name", "*lr0.?").job_infos],
                         [a])
        self.assertEqual([j.job_id for j in cli.json("list-jobs", "--name", "[de]val").job_infos],
                         [c])
        reply = cli.json("list-jobs", "--name", "nothing")
        self.assertEqual((reply.job_infos, reply.jobs_pending), ([], 0))
        self.assertIn("   name: eval\n", cli.ok("show-job", str(c)))
        # Not unique; batch names every job.
        out = cli.queued("batch", "--name", "eval", input="true\ntrue\n", first=c + 1)
        self.assertEqual(len(cli.json("list-jobs", "--name", "eval").job_infos), 3)
        # A table of jobs without names has the reference's columns.
        self.assertNotIn("name", cli.ok("list-jobs", "--name", "nothing"))
        self.assertIsNotNone(out)

    def test_bad_names(self):
        srv = Server(self)
        cli = Client(self, srv)
        for value in ("", "x" * 257):
            self.assertIn("error: invalid value '%s' for '--name <NAME>': a name is 1 to 256 "
                          "bytes of UTF-8 text" % value, cli.fails(2, "cmd", "--name=" + value, "true"))
        self.assertEqual(cli.jobs(), [])

    def test_original_server_refuses(self):
        port, jobs = original_server(self)
        cli = Client(self, port=port)
        for args in (["cmd", "--name", "x", "true"], ["list-jobs", "--name", "x*"]):
            with self.subTest(args=args):
                r = cli.run(*args)
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (1, "", "Error: this server does not support --name (an "
                                         "original Kueue server?)\n"))
        self.assertEqual(jobs, [])



class OriginalClient(unittest.TestCase):
    """An original client against a Kueue-C server whose jobs use every
    extension: it decodes what it is sent (ignoring the fields it does not
    know) and its plain requests are answered as the original answers."""

    def test_lists_and_shows_jobs_with_every_extension(self):
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        x = submit(cli, "--queue-anyway", "-j", "2", "true")  # never runs
        a = submit(cli, "--retries", "1", "--time-limit", "1h", "--priority", "3", "--name", "a",
                   "false")
        w.finish(w.start_next(), 1)  # a retried: attempts
        b = submit(cli, "--after", str(a), "--after-any", "%d-%d" % (x, x), "--name", "b", "true")
        arr = submit(cli, "--array", "0-2", "--name", "s{index}", "echo", "{index}")
        cli.ok("remove-job", str(arr + 2))
        wait_until(lambda: job(cli, a).workflow.attempts)
        c = kp.Connection("127.0.0.1", srv.port, timeout=10, level=0)
        self.addCleanup(c.sock.close)
        c.hello_client()
        c.send(C2S.ListJobs(100, False, False, False, False, False, False))
        raw = c.recv_raw()
        # The Kueue-C fields are there, and an original decoder reads past them.
        self.assertIn(b'"workflow":{"priority":3,"name":"a"', raw)
        self.assertIn(b'"attempts":[{"return_code":1', raw)
        listed = kp.decode(S2C, raw, level=0)
        self.assertEqual([j.job_id for j in listed.job_infos], [x, a, b, arr, arr + 1, arr + 2])
        states = [type(j.status) for j in listed.job_infos]
        self.assertIn(states.pop(1), (JS.Pending, JS.Offered))  # a, queued again
        self.assertEqual(states, [JS.Pending, JS.Pending, JS.Pending, JS.Pending, JS.Canceled])
        self.assertTrue(all(j.workflow is None for j in listed.job_infos))
        for j in (a, b, arr, arr + 2):
            c.send(C2S.ShowJob(j))
            shown = kp.decode(S2C, c.recv_raw(), level=0)
            self.assertEqual(shown.job_info.job_id, j)
        # What the original's own bytes would be: the same without the fields.
        again = kp.encode(listed, level=0)
        self.assertEqual(kp.encode(kp.decode(S2C, again, level=0), level=0), again)
        c.close()



class Restart(unittest.TestCase):
    """kueue restart ID."""

    def test_a_new_job_like_the_old(self):
        srv = Server(self, global_resources={"lic": 2})
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        a = submit(cli, "-c", "3", "-r", "700", "--resource", "lic", "-o", "out.log",
                   "--name", "train", "--priority", "4", "--time-limit", "2h", "--retries", "1",
                   "sh", "-c", "exit 2")
        w.finish(w.start_next(), 2)
        w.finish(w.start_next(), 2)
        wait_until(lambda: isinstance(job(cli, a).status, JS.Finished))
        b = int(cli.ok("restart", str(a)))
        self.assertEqual(b, a + 1)
        old, new = job(cli, a), job(cli, b)
        for field in ("cmd", "cwd", "worker_resources", "global_resources", "stdout_path",
                      "stderr_path"):
            self.assertEqual(getattr(new, field), getattr(old, field), field)
        self.assertEqual(new.workflow, kp.Workflow(priority=4, name="train", time_limit_seconds=7200,
                                                   retries=1))
        self.assertEqual(w.recv().value.job_id, b)

    def test_plain_canceled_and_array_jobs(self):
        srv = Server(self)
        cli = Client(self, srv)
        a = submit(cli, "--queue-anyway", "-j", "2", "echo", "hi")
        self.assertIn("Error: Job ID=%d has not ended (it is pending): restart takes a finished, "
                      "failed or canceled job" % a, cli.fails(1, "restart", str(a)))
        cli.ok("remove-job", str(a))
        d = submit(cli, "--after", str(a), "true")  # canceled at once: a was canceled
        b = int(cli.ok("restart", str(a)))
        self.assertEqual((job(cli, b).cmd, job(cli, b).workflow), (["echo", "hi"], None))
        # A dependent restarted with new dependencies.
        e = int(cli.ok("restart", str(d), "--after", str(b)))
        self.assertEqual((job(cli, e).workflow.after, job(cli, e).workflow.waiting), ([b], 1))
        self.assertIsNone(job(cli, int(cli.ok("restart", str(d)))).workflow)
        arr = submit(cli, "--array", "3-4", "echo", "{index}")
        cli.ok("remove-job", "--array", str(arr))
        r = cli.json("restart", str(arr + 1))
        self.assertEqual((r.value.cmd, r.value.workflow), (["echo", "4"], None))
        self.assertIn("Error: Job not found!", cli.fails(1, "restart", "99"))

    def test_an_original_server_restarts_plain_jobs(self):
        port, jobs = original_server(self)
        cli = Client(self, port=port)
        cli.ok("cmd", "echo", "hi")
        jobs[0].status = JS.Canceled(jobs[0].status.issued, kp.Timestamp.now())
        self.assertEqual(cli.ok("restart", "0"), "1\n")
        self.assertEqual((jobs[1].cmd, jobs[1].workflow), (["echo", "hi"], None))
        r = cli.run("restart", "0", "--after", "1")
        self.assertEqual((r.returncode, r.stderr),
                         (1, "Error: this server does not support --after (an original Kueue "
                             "server?)\n"))
        self.assertEqual(len(jobs), 2)



class Notes(unittest.TestCase):
    def test_a_job_given_back_twice_keeps_the_latest_note(self):
        """Regression: the second RequeueJob's note replaced the first one
        without freeing it (a leak that LeakSanitizer reports when the
        server stops)."""
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", level=1, test=self)
        j = submit(cli, "true")
        for reason in ("first", "second"):
            w.start_next()
            w.send(W2S.RequeueJob(job_id=j, reason=reason))
            self.assertIsInstance(w.recv(), S2W.ReportStored)
            w.resources(1, 8, 8000)
        self.assertRegex(job(cli, j).note, r"^Requeued \S+: second$")
        self.assertEqual(srv.stop(), 0)
        srv.process.check_clean()



class OriginalFacts(unittest.TestCase):
    """The Kueue-C side of each fact of original-unknown-fields.md (how the
    original treats what it does not know), for the workflow fields."""

    def test_issue_job_with_workflow_fields_is_taken_as_the_original_takes_it(self):
        # The original drops unknown fields of an IssueJob; so does a
        # Kueue-C server with the workflow: the job runs at once.
        srv = Server(self)
        cli = Client(self, srv)
        w = FakeWorker(srv.port, "node1", test=self)
        blocker = submit(cli, "--queue-anyway", "-j", "2", "true")
        c = srv.client(auth=True)
        j = new_job()
        j.workflow = kp.Workflow(priority=9, after=[blocker], name="x")
        reply = request(c, C2S.IssueJob(j))
        self.assertIsInstance(reply, S2C.AcceptJob)
        self.assertIsNone(reply.value.workflow)
        self.assertEqual(w.recv().value.job_id, reply.value.job_id)
        # Raw, with fields no version knows: accepted too.
        raw = kp.encode(C2S.IssueJob(new_job())).replace(
            b'"stderr_path":null', b'"stderr_path":null,"priority":5,"after":[1,2]')
        c.sock.sendall(raw)
        self.assertIsInstance(c.recv(S2C), S2C.AcceptJob)

    def test_list_jobs_with_an_unknown_filter_field_lists_everything(self):
        # As the original: the field is ignored (so the client never sends
        # its filters there).
        srv = Server(self)
        cli = Client(self, srv)
        a = submit(cli, "--name", "a", "true")
        b = submit(cli, "true")
        c = srv.client()
        raw = kp.encode(C2S.ListJobs(10, False, False, False, False, False, False))
        c.sock.sendall(raw.replace(b'"canceled":false', b'"canceled":false,"name":"x*"'))
        self.assertEqual([j.job_id for j in c.recv(S2C).job_infos], [a, b])

    def test_the_client_reads_fields_it_does_not_know(self):
        port, jobs = original_server(self)
        cli = Client(self, port=port)
        cli.ok("cmd", "true")
        # A later server's job: fields this client does not know.
        listed = original_job_list_with(jobs, b',"future":{"x":[1,2]}')
        self.assertRegex(listed(cli), r"\|  0 \| ")

    def test_the_server_keeps_what_an_original_worker_drops(self):
        # The original worker echoes a job without the fields it does not
        # know: the server relies on its own copy.
        srv = Server(self)
        cli = Client(self, srv)
        old = FakeWorker(srv.port, "old", test=self)
        a = submit(cli, "--retries", "1", "--name", "n", "--priority", "2", "false")
        offer = old.recv()
        self.assertIsNone(offer.value.workflow)
        old.send(W2S.AcceptJobOffer(offer.value))
        running = old.recv().value
        self.assertIsNone(running.workflow)
        old.finish(running, 1)
        info = wait_until(lambda: job(cli, a), lambda j: j.workflow.attempts)
        self.assertEqual((info.workflow.name, info.workflow.priority, info.workflow.retries),
                         ("n", 2, 1))


def original_job_list_with(jobs, extra):
    """A client run of list-jobs against the original-like server whose
    JobInfos carry extra (bytes) after their last field."""
    def listed(cli):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def serve():
            sock, _ = listener.accept()
            conn = kp.Connection.__new__(kp.Connection)
            conn.sock, conn.framer, conn.pending, conn.level = sock, kp.Framer(), [], 0
            conn.recv(kp.HelloMessage)
            conn.send(S2C.WelcomeClient())
            conn.recv(C2S)
            raw = kp.encode(S2C.JobList(list(jobs), len(jobs), 0, 0, 0, 0, 0, 0, 0), level=0)
            sock.sendall(raw.replace(b'"stderr_path":null}', b'"stderr_path":null' + extra + b'}'))
            try:
                conn.recv(C2S)
            except (kp.ProtocolError, OSError):
                pass
            sock.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        other = Client(cli.test, port=listener.getsockname()[1])
        out = other.ok("list-jobs")
        thread.join(10)
        listener.close()
        return out
    return listed


if __name__ == "__main__":
    unittest.main()
