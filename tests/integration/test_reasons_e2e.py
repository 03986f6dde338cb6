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


if __name__ == "__main__":
    unittest.main(verbosity=2)
