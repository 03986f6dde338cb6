"""A new user's first day (issue 13) with the real kueue_server,
kueue_worker and kueue: jobs that wait say why, a job no worker fits is
refused with the numbers, a job whose directory one worker lacks runs on
another."""

import os
import shutil
import tempfile
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2C, Server, Worker, issue, request, wait_until
from test_client_harness import DATE, NO_WORKER, Client, RecordingServer, finished

JS = kp.JobStatus


def show(c, job_id):
    reply = request(c, C2S.ShowJob(job_id=job_id))
    assert isinstance(reply, S2C.JobInfo), reply
    return reply.job_info


class TwoViews(unittest.TestCase):
    """Two real workers on one machine that see different directories: the
    job's directory is /proc/self/cwd/exp, which is the worker's own
    working directory's exp, so it exists for the worker started in a
    folder that has one and not for the other.  (No root, mounts or
    namespaces needed.)"""

    def setUp(self):
        self.srv = Server(self, server_settings={"rejected_retry_seconds": 1})
        self.c = self.srv.client(auth=True)
        self.base = tempfile.mkdtemp(prefix="kq-views-")
        self.addCleanup(shutil.rmtree, self.base, True)
        self.with_exp = os.path.join(self.base, "with")
        self.without = os.path.join(self.base, "without")
        os.makedirs(os.path.join(self.with_exp, "exp"))
        os.makedirs(self.without)

    def worker(self, name, cwd):
        w = Worker(self, self.srv.port, cwd=cwd, worker_name=name,
                   system_update_interval_seconds=1, dynamic_check_free_resources=False)
        wait_until(lambda: any(x.worker_name == name for x in request(self.c, C2S.ListWorkers()).value),
                   what="worker %s" % name)
        return w

    def test_missing_on_one_runs_on_the_other(self):
        # The first worker (lowest id) wins ties, so it is offered the job first.
        lacking = self.worker("lacking", self.without)
        having = self.worker("having", self.with_exp)
        job = issue(self.c, cmd=["sh", "-c", "pwd -P"], cwd="/proc/self/cwd/exp", cpus=1, ram=10)
        info = wait_until(lambda: show(self.c, job), lambda j: isinstance(j.status, JS.Finished),
                          what="the job to finish")
        self.assertEqual((info.status.worker, info.status.return_code), ("having", 0))
        lacking.wait_for("Rejecting job %d: /proc/self/cwd/exp is not a directory here" % job)
        reply = request(self.c, C2S.ShowJob(job_id=job))
        self.assertEqual(reply.stdout_text, os.path.realpath(os.path.join(self.with_exp, "exp")) + "\n")
        self.srv.process.wait_for(r'Worker "lacking" rejected job %d' % job)
        having.finish()

    def test_rejected_then_run_once_the_directory_is_there(self):
        lacking = self.worker("lacking", self.without)
        job = issue(self.c, cmd=["true"], cwd="/proc/self/cwd/exp", cpus=1, ram=10)
        wait_until(lambda: show(self.c, job).wait_reason,
                   lambda r: r == "rejected by lacking: /proc/self/cwd/exp is not a directory there",
                   what="the rejection as the reason")
        os.makedirs(os.path.join(self.without, "exp"))
        # Offered again after the back-off, at a report of the worker.
        info = wait_until(lambda: show(self.c, job), lambda j: isinstance(j.status, JS.Finished),
                          timeout=20, what="the job to run after the back-off")
        self.assertEqual((info.status.worker, info.status.return_code), ("lacking", 0))
        lacking.finish()


class FirstJob(unittest.TestCase):
    """The client's side: refusals with numbers, --queue-anyway, reasons in
    list-jobs, show-job and --json, and a wait that says why it waits."""

    def setUp(self):
        self.srv = Server(self)
        # The reference's defaults: 8 CPUs and 8192 MB per job.
        self.cli = Client(self, self.srv, cpus=8, ram=8192)

    def start_worker(self):
        # Not counting the machine's load, which other tests make.
        w = Worker(self, self.srv.port, worker_name="laptop", dynamic_check_free_resources=False)
        c = self.srv.client()
        wait_until(lambda: request(c, C2S.ListWorkers()).value, what="the worker")
        return w

    def test_refused_with_numbers(self):
        self.start_worker()
        cores = r"\d+"
        err = self.cli.fails(1, "cmd", "-c", "1000", "true")
        self.assertRegex(err, r"^Error: Job rejected by server: No connected worker could ever "
                              r"run this job: it needs 1000 CPUs, and the connected workers "
                              r"have at most %s CPUs\.  Ask for less \(-c/--cpus, -r/--ram-mb, "
                              r"-j/--job-slots\), or queue it anyway \(--queue-anyway\) for a "
                              r"worker that is not connected now\.\n$" % cores)
        err = self.cli.fails(1, "cmd", "-c", "1", "-r", "99999999", "true")
        self.assertRegex(err, r"it needs 99999999 MB of RAM, and the connected workers have "
                              r"at most \d+ MB of RAM\.")
        err = self.cli.fails(1, "cmd", "-c", "1", "-r", "10", "-j", "50", "true")
        self.assertIn("it needs 50 job slots, and the connected workers have at most "
                      "10 job slots.", err)
        err = self.cli.fails(1, "batch", "-c", "1000", input="true\n")
        self.assertIn("Error: line 1: Job rejected by server: No connected worker", err)

    def test_queue_anyway_and_the_reason_everywhere(self):
        self.start_worker()
        job = int(self.cli.ok("cmd", "-c", "1000", "--queue-anyway", "true"))
        reason = self.cli.json("show-job", str(job)).job_info.wait_reason
        self.assertRegex(reason, r"^no worker has 1000 CPUs \(largest connected: \d+\)$")
        self.assertEqual(self.cli.json("list-jobs").job_infos[0].wait_reason, reason)
        table = self.cli.ok("list-jobs")
        self.assertRegex(table, r"\| pending since %s \(no worker has 1000 CPUs\) +\|" % DATE)
        self.assertIn("\n   waiting: %s\n" % reason, self.cli.ok("show-job", str(job)))

    def test_wait_says_why(self):
        job = int(self.cli.queued("cmd", "-c", "1", "-r", "10", "true"))
        waiting = self.cli.popen("wait-job", str(job))
        proc = self.cli.popen("cmd", "-w", "-c", "1", "-r", "10", "sh", "-c", "exit 3")
        # Both say why once they know, on stderr; then the worker comes.
        self.assertEqual(waiting.stderr.readline(), "Job 0 waits: no worker connected\n")
        self.assertEqual(proc.stderr.readline(), "Job 1 waits: no worker connected\n")
        self.start_worker()
        self.assertEqual(finished(self, proc), (3, "3\n", ""))
        self.assertEqual(finished(self, waiting), (0, "", ""))

    def test_wait_tells_each_new_reason(self):
        worker = self.start_worker()
        job = int(self.cli.ok("cmd", "-c", "1000", "--queue-anyway", "true"))
        proc = self.cli.popen("wait-job", str(job))
        self.assertRegex(proc.stderr.readline(), r"^Job %d waits: no worker has 1000 CPUs "
                                                 r"\(largest connected: \d+\)\n$" % job)
        # The worker leaves: the reason changes, and the wait says so.
        worker.finish()
        self.assertEqual(proc.stderr.readline(), "Job %d waits: no worker connected\n" % job)
        self.cli.ok("remove-job", str(job))
        self.assertEqual(finished(self, proc), (1, "", "Error: Job %d was canceled\n" % job))


class OriginalServer(unittest.TestCase):
    """A server that gives no reasons (the original): the client asks for
    its workers and works out what it can, in text output only."""

    def setUp(self):
        now = kp.Timestamp.now()
        self.job = kp.JobInfo(job_id=7, cmd=["true"], cwd="/tmp",
                              worker_resources=kp.Resources(1, 8, 8192),
                              status=kp.JobStatus.Pending(now))
        small = kp.WorkerInfo(worker_id=0, worker_name="laptop", connected_since=now,
                              system_info=kp.SystemInfo("6.1.0", "Debian", 2, 2000, 7900,
                                                        kp.LoadInfo(0.5, 0.5, 0.5)),
                              last_updated=now, free_resources=kp.Resources(10, 1, 6000))

        done = kp.JobInfo(job_id=7, cmd=["true"], cwd="/tmp",
                          worker_resources=kp.Resources(1, 8, 8192),
                          status=kp.JobStatus.Finished(now, now, now, 5, "laptop", 0, "done"))

        def answer(msg, state):
            if isinstance(msg, C2S.ListWorkers):
                # A wait then hears that the job ended.
                return [S2C.WorkerList([small])] + ([S2C.JobUpdated(done)]
                                                    if state.get("observed") else [])
            if isinstance(msg, C2S.ObserveJob):
                state["observed"] = True
                return [S2C.JobUpdated(self.job)]
            if isinstance(msg, C2S.ShowJob):
                return [S2C.JobInfo(job_info=self.job)]
            return [S2C.JobList(job_infos=[self.job], jobs_pending=1)]
        self.fake = RecordingServer(self, answer)
        self.cli = Client(self, port=self.fake.port)

    def test_reasons_worked_out(self):
        want = "no worker has 8 CPUs or 8192 MB of RAM (largest connected: 2 CPUs, 7900 MB of RAM)"
        self.assertRegex(self.cli.ok("list-jobs"),
                         r"\| pending since %s \(no worker has 8 CPUs or 8192 MB of RAM\) \|"
                         % DATE)
        self.assertIn("\n   waiting: %s\n" % want, self.cli.ok("show-job", "7"))
        # --json prints the server's answer as it came, and asks nothing more.
        self.assertIsNone(self.cli.json("list-jobs").job_infos[0].wait_reason)
        kinds = [[type(m).__name__ for m in self.fake.sessions.get(timeout=10)[1:]]
                 for _ in range(3)]
        self.assertEqual(kinds, [["_ClientToServerMessage_ListJobs",
                                  "_ClientToServerMessage_ListWorkers", "_ClientToServerMessage_Bye"],
                                 ["_ClientToServerMessage_ShowJob",
                                  "_ClientToServerMessage_ListWorkers", "_ClientToServerMessage_Bye"],
                                 ["_ClientToServerMessage_ListJobs", "_ClientToServerMessage_Bye"]])


    def test_wait_works_out_the_reason(self):
        self.assertEqual(self.cli.fails(5, "wait-job", "7"),
                         "Job 7 waits: no worker has 8 CPUs or 8192 MB of RAM (largest connected: "
                         "2 CPUs, 7900 MB of RAM)\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
