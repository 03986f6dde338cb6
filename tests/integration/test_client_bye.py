"""Every kueue subcommand that talks to the server ends its session with
"Bye", whatever the answer: found, refused (not found, rejected, failed
authentication) or unexpected.  An original server logs an error for a
session that just closes (issue 11.1: show-job and show-worker did).

A recording fake server answers each request as a scenario says and keeps
what the client sent on each connection until the client closed it."""

import os
import tempfile
import unittest

import kqtest
import kueue_protocol as kp
from test_client_harness import KUEUE, Client, RecordingServer

C2S = kp.ClientToServerMessage
S2C = kp.ServerToClientMessage


def finished_job(job_id):
    job = kqtest.new_job()
    job.job_id = job_id
    now = kp.Timestamp.now()
    job.status = kp.JobStatus.Finished(issued=now, started=now, finished=now, return_code=0,
                                       worker="node1", run_time_seconds=0,
                                       comment="Job finished orderly.")
    return job


def worker_info():
    now = kp.Timestamp.now()
    return kp.WorkerInfo(worker_id=1, worker_name="node1", connected_since=now,
                         system_info=kp.SystemInfo("6.1.0", "Debian", 8, 2000, 16000,
                                                   kp.LoadInfo(0.0, 0.0, 0.0)),
                         last_updated=now, free_resources=kp.Resources(1, 8, 8000))


def answer_found(msg, state):
    """The answers of a server that has everything asked for."""
    if isinstance(msg, C2S.IssueJob):
        state["next_id"] = state.get("next_id", 0) + 1
        msg.value.job_id = state["next_id"]
        return [S2C.AcceptJob(msg.value)]
    if isinstance(msg, C2S.ObserveJob):
        return [S2C.JobUpdated(finished_job(msg.job_id))]
    if isinstance(msg, C2S.ListJobs):
        return [S2C.JobList(job_infos=[finished_job(1)], jobs_succeeded=1)]
    if isinstance(msg, C2S.ShowJob):
        return [S2C.JobInfo(job_info=finished_job(msg.job_id), stdout_text="hi\n")]
    if isinstance(msg, (C2S.RemoveJob, C2S.CleanJobs)):
        return [S2C.RequestResponse(success=True, text="Done.")]
    if isinstance(msg, C2S.ListWorkers):
        return [S2C.WorkerList([worker_info()])]
    if isinstance(msg, C2S.ShowWorker):
        return [S2C.WorkerInfo(worker_info())]
    if isinstance(msg, C2S.ListResources):
        return [S2C.ResourceList(used_resources={"x": 1}, total_resources={"x": 2})]
    raise AssertionError("no answer for %r" % (msg,))


def answer_refused(msg, state):
    """The answers of a server that has nothing asked for."""
    if isinstance(msg, C2S.IssueJob):
        return [S2C.RejectJob(job_info=msg.value, reason="not today")]
    return [S2C.RequestResponse(success=False, text="Job not found!")]


def answer_unexpected(msg, state):
    """Answers of the wrong type."""
    if isinstance(msg, C2S.ListResources):
        return [S2C.WorkerList([])]
    return [S2C.ResourceList()]


class Bye(unittest.TestCase):
    def setUp(self):
        fd, self.batch = tempfile.mkstemp(prefix="kq-jobs-")
        self.addCleanup(os.unlink, self.batch)
        with os.fdopen(fd, "w") as fh:
            fh.write("true\nfalse\n")

    def commands(self):
        return [["cmd", "true"], ["cmd", "-w", "true"], ["cmd", "--json", "true"],
                ["batch", self.batch], ["batch", "-w", self.batch],
                ["list-jobs"], ["list-jobs", "--json"], ["show-job", "1"],
                ["show-job", "--json", "1"], ["wait-job", "1"], ["remove-job", "1"],
                ["remove-job", "-k", "1"], ["clean-jobs"], ["list-workers"],
                ["show-worker", "1"], ["show-worker", "--json", "1"], ["list-resources"]]

    def check(self, answer, expect_code, accept_auth=True, commands=None):
        srv = RecordingServer(self, answer, accept_auth)
        cli = Client(self, port=srv.port)
        for args in commands or self.commands():
            with self.subTest(args=args):
                r = cli.run(*args)
                self.assertEqual(r.returncode, expect_code, r)
                sent = srv.sessions.get(timeout=30)
                self.assertGreater(len(sent), 1, sent)
                self.assertIsInstance(sent[-1], C2S.Bye, (r, sent))
                self.assertEqual(sum(isinstance(m, C2S.Bye) for m in sent), 1, sent)

    def test_bye_after_answers(self):
        self.check(answer_found, 0)

    def test_bye_after_refusals(self):
        self.check(answer_refused, 1)

    def test_bye_after_unexpected_answers(self):
        self.check(answer_unexpected, 1)

    def test_bye_after_failed_authentication(self):
        self.check(answer_found, 1, accept_auth=False,
                   commands=[["cmd", "true"], ["batch", self.batch],
                             ["remove-job", "1"], ["clean-jobs"]])


if __name__ == "__main__":
    assert KUEUE, "KQ_CLIENT is not set"
    unittest.main()
