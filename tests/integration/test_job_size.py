"""Issue 12.1: the size limits of a job are consistent.  A job is accepted
only if every message it will travel in fits the 16 MiB a server or worker
takes (the offer, the worker's answers and its Finished report, which
holds more than the IssueJob did); a larger one is refused with a
RejectJob whose reason the client prints, also when the IssueJob itself is
over the limit or invalid.  A job the server accepts runs on a real worker
and the queue behind it keeps moving.  Before, a job of 16,777,166 bytes
was accepted and its offer dropped the worker's connection for ever."""

import os
import shutil
import tempfile
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2C, Server, Worker, new_job, request, wait_until
from test_client_harness import NO_WORKER, Client

LIMIT = 16 << 20
ARGUMENT_MAX = 131072  # limits.argument


def job_of_size(total):
    """A job whose IssueJob is exactly total bytes: `true` and arguments
    of up to ARGUMENT_MAX bytes."""
    job = new_job(cmd=["true"])
    need = total - len(kp.encode(C2S.IssueJob(job)))
    count = -(-need // (ARGUMENT_MAX + 3))  # each adds ,"..." around it
    chars = need - 3 * count
    job.cmd += ["a" * (chars // count + (i < chars % count)) for i in range(count)]
    assert len(kp.encode(C2S.IssueJob(job))) == total
    return job


class JobSize(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)
        self.dir = tempfile.mkdtemp(prefix="kq-size-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.c = self.srv.client(auth=True)
        # Answers echo the job: up to the client's limit, not the server's.
        self.c.framer = kp.Framer(max_message=1 << 30)

    def issue(self, job):
        self.c.send(C2S.IssueJob(job))
        return self.c.recv(S2C)

    def start_worker(self):
        worker = Worker(self, self.srv.port, directory=self.dir, worker_name="w1",
                        worker_max_parallel_jobs=1, dynamic_check_free_resources=False)
        worker.wait_for("Established connection")
        return worker

    def wait_finished(self, job_id, worker):
        def status():
            reply = request(self.c, C2S.ShowJob(job_id=job_id))
            return reply.job_info.status
        return wait_until(status, lambda st: isinstance(st, kp.JobStatus.Finished), 60,
                          lambda: "job %d to finish\n%s" % (job_id, worker.text()), 0.1)

    def test_sizes_from_the_issue_are_refused(self):
        worker = self.start_worker()
        for total in (16777166, 16777016):
            with self.subTest(total=total):
                reply = self.issue(job_of_size(total))
                self.assertIsInstance(reply, S2C.RejectJob)
                self.assertRegex(reply.reason,
                                 r"^The job is too large: a message carrying it to or from a "
                                 r"worker could take \d+ bytes, more than the 16777216 bytes "
                                 r"a message may have\.$")
        # The queue keeps moving.
        reply = self.issue(new_job(cmd=["true"], cwd=self.dir))
        self.assertIsInstance(reply, S2C.AcceptJob)
        st = self.wait_finished(reply.value.job_id, worker)
        self.assertEqual(st.return_code, 0)
        self.assertNotIn("message larger", worker.text())

    def test_large_job_runs_and_the_queue_moves(self):
        worker = self.start_worker()
        big = job_of_size(16000000)
        big.cwd = self.dir
        reply = self.issue(big)
        self.assertIsInstance(reply, S2C.AcceptJob)
        big_id = reply.value.job_id
        reply = self.issue(new_job(cmd=["sh", "-c", "echo small"], cwd=self.dir))
        small_id = reply.value.job_id
        # Offered, accepted, reported: it cannot start (its arguments are
        # beyond what exec takes), and that result arrives.
        st = self.wait_finished(big_id, worker)
        self.assertEqual((st.return_code, st.worker), (-43, "w1"))
        self.assertIn("Argument list too long", st.comment)
        st = self.wait_finished(small_id, worker)
        self.assertEqual(st.return_code, 0)
        shown = request(self.c, C2S.ShowJob(job_id=small_id))
        self.assertEqual(shown.stdout_text, "small\n")
        self.assertEqual(worker.text().count("Established connection"), 1, worker.text())

    def test_issue_job_over_the_limit_or_invalid_is_refused(self):
        reply = self.issue(job_of_size(LIMIT + 1000))
        self.assertIsInstance(reply, S2C.RejectJob)
        self.assertEqual(reply.reason, "The job is too large: its IssueJob has %d bytes, "
                                       "more than the 16777216 bytes a message may have."
                         % (LIMIT + 1000))
        reply = self.issue(new_job(cmd=["x" * (ARGUMENT_MAX + 1)]))
        self.assertIsInstance(reply, S2C.RejectJob)
        self.assertRegex(reply.reason, r"^Invalid job: IssueJob\.cmd\[0\]: .*131072")
        # The session goes on.
        self.assertIsInstance(self.issue(new_job()), S2C.AcceptJob)

    def test_client_prints_the_reasons(self):
        # The client cannot build a valid job too large (exec takes 6 MiB of
        # arguments at most), but it can send an IssueJob over the limit or
        # with an argument over its own: batch makes one argument a line.
        path = os.path.join(self.dir, "jobs.txt")
        with open(path, "w") as fh:
            fh.write("echo " + "a" * (LIMIT + 1000) + "\n")
            fh.write("echo " + "b" * ARGUMENT_MAX + "\n")
            fh.write("true\n")
        cli = Client(self, self.srv)
        r = cli.run("batch", path, timeout=120)
        self.assertEqual(r.returncode, 1, r.stderr[-500:])
        lines = r.stderr.split("\n")
        self.assertRegex(lines[0], r"^Error: line 1: Job rejected by server: The job is too "
                                   r"large: its IssueJob has \d+ bytes, more than the 16777216 "
                                   r"bytes a message may have\.$")
        self.assertRegex(lines[1], r"^Error: line 2: Job rejected by server: Invalid job: "
                                   r"IssueJob\.cmd\[2\]: .*131072")
        # The one job accepted waits for a worker.
        self.assertEqual(lines[2] + "\n", NO_WORKER % int(r.stdout))
        self.assertEqual(lines[3], "Error: 2 of 3 jobs were rejected, failed or were canceled")
        self.assertEqual(len(r.stdout.split()), 1)

if __name__ == "__main__":
    unittest.main()
