"""kueue_server: why a pending job waits (JobInfo.wait_reason), and the
refusal at submission of a job that no connected worker could ever run
(issue 13).  The server speaks to workers and clients written by hand here,
so that every figure is known; test_reasons_e2e.py drives the real worker
and client."""

import unittest

import kueue_protocol as kp
from kqtest import C2S, S2C, S2W, W2S, FakeWorker, Server, issue, new_job, request, wait_until

JS = kp.JobStatus


def system_info(cores, ram, load=0.0):
    return kp.SystemInfo("6.1.0", "Linux 12 Debian GNU/Linux", cores, 2000, ram,
                         kp.LoadInfo(load, load, load))


def reason_of(c, job_id):
    """The reason ShowJob gives, checked against ListJobs' and returned
    ("changing" if the job changed between the two)."""
    shown = request(c, C2S.ShowJob(job_id=job_id)).job_info
    listed = [j for j in request(c, C2S.ListJobs(num_jobs=100)).job_infos if j.job_id == job_id]
    if listed[0].status != shown.status:
        return "changing"
    assert listed[0].wait_reason == shown.wait_reason, (listed[0], shown)
    return shown.wait_reason


class Reasons(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self, global_resources={"matlab": 1},
                          server_settings={"global_max_parallel_jobs": 5})
        self.c = self.srv.client(auth=True)

    def worker(self, name, slots, cpus, ram, cores=None, total=None, load=0.0, level=0):
        w = FakeWorker(self.srv.port, name, resources=None, test=self, level=level)
        w.send(W2S.UpdateSystemInfo(system_info(cores or cpus, total or ram, load)))
        w.resources(slots, cpus, ram)
        wait_until(lambda: any(x.worker_name == name and x.free_resources.job_slots == slots
                               for x in request(self.c, C2S.ListWorkers()).value),
                   what="worker %s listed" % name)
        return w

    def test_no_worker_then_one_too_small(self):
        reply = request(self.c, C2S.IssueJob(new_job(cpus=8, ram=8192)))
        self.assertIsInstance(reply, S2C.AcceptJob)
        self.assertEqual(reply.value.wait_reason, "no worker connected")
        job = reply.value.job_id
        self.assertEqual(reason_of(self.c, job), "no worker connected")
        self.worker("laptop", 10, 2, 7900)
        self.assertEqual(reason_of(self.c, job),
                         "no worker has 8 CPUs or 8192 MB of RAM "
                         "(largest connected: 2 CPUs, 7900 MB of RAM)")
        # Only the short list's head is cut in a table; the full text is here.
        big = request(self.c, C2S.IssueJob(new_job(cpus=1, ram=100, slots=50)))
        self.assertIsInstance(big, S2C.RejectJob)

    def test_refused_with_numbers_unless_queue_anyway(self):
        self.worker("laptop", 2, 2, 7900)
        reply = request(self.c, C2S.IssueJob(new_job(cpus=1000, ram=100)))
        self.assertIsInstance(reply, S2C.RejectJob)
        self.assertEqual(reply.reason,
                         "No connected worker could ever run this job: it needs 1000 CPUs, "
                         "and the connected workers have at most 2 CPUs.  Ask for less "
                         "(-c/--cpus, -r/--ram-mb, -j/--job-slots), or queue it anyway "
                         "(--queue-anyway) for a worker that is not connected now.")
        reply = request(self.c, C2S.IssueJob(new_job(cpus=1, ram=99999999, slots=4)))
        self.assertIn("it needs 99999999 MB of RAM and 4 job slots, and the connected "
                      "workers have at most 7900 MB of RAM and 2 job slots.",
                      reply.reason)
        job = new_job(cpus=1000, ram=100)
        job.queue_anyway = True
        reply = request(self.c, C2S.IssueJob(job))
        self.assertIsInstance(reply, S2C.AcceptJob)
        # Said at submission, not kept.
        self.assertIsNone(reply.value.queue_anyway)
        self.assertEqual(reply.value.wait_reason,
                         "no worker has 1000 CPUs (largest connected: 2)")

    def test_no_single_worker(self):
        self.worker("cpus", 10, 16, 1000)
        self.worker("ram", 10, 1, 64000)
        reply = request(self.c, C2S.IssueJob(new_job(cpus=8, ram=32000)))
        self.assertIn("none has 8 CPUs, 32000 MB of RAM and 1 job slot at once",
                      reply.reason)
        job = new_job(cpus=8, ram=32000)
        job.queue_anyway = True
        reply = request(self.c, C2S.IssueJob(job))
        self.assertEqual(reply.value.wait_reason,
                         "no single worker has 8 CPUs, 32000 MB of RAM and 1 job slot at once")

    def test_capacity_counts_running_jobs_and_total_memory(self):
        """A busy worker's capacity is what it reports free plus what its
        jobs hold, or its machine's cores and memory: a job that fits an
        idle one is not refused because the worker is busy now."""
        w = self.worker("node1", 2, 4, 8000)
        first = issue(self.c, cpus=4, ram=8000, slots=2)
        running = w.start_next()
        w.resources(0, 0, 0)
        second = request(self.c, C2S.IssueJob(new_job(cpus=4, ram=8000, slots=2)))
        self.assertIsInstance(second, S2C.AcceptJob)
        self.assertEqual(second.value.wait_reason, "workers busy")
        self.assertEqual(running.job_id, first)

    def test_global_resource_and_job_slots(self):
        w = self.worker("node1", 10, 8, 8000)
        issue(self.c, resources={"matlab": 1})
        w.start_next()
        w.resources(9, 7, 7900)
        reply = request(self.c, C2S.IssueJob(new_job(resources={"matlab": 1})))
        self.assertEqual(reply.value.wait_reason, "waiting for a global resource: matlab 1/1 in use")
        reply = request(self.c, C2S.IssueJob(new_job(slots=5)))
        self.assertEqual(reply.value.wait_reason,
                         "waiting for a job slot: global_max_parallel_jobs 1/5 in use")

    def test_about_to_be_offered_then_busy(self):
        w = self.worker("node1", 1, 8, 8000)
        reply = request(self.c, C2S.IssueJob(new_job()))
        self.assertEqual(reply.value.wait_reason, "about to be offered to a worker")
        w.start_next()
        w.resources(0, 7, 7900)
        second = issue(self.c)
        self.assertEqual(reason_of(self.c, second), "workers busy")
        # Deferred: the worker said no until its next report.
        w.resources(1, 7, 7900)
        offer = w.recv()
        self.assertIsInstance(offer, S2W.OfferJob)
        w.send(W2S.DeferJobOffer(offer.value))
        wait_until(lambda: reason_of(self.c, second),
                   lambda r: r == "deferred by a worker until its next report",
                   what="the deferral as the reason")

    def test_jobs_listed_in_a_row_keep_their_own_reasons(self):
        # Jobs of one shape in a row share one reason in a list, unless
        # one waits for others.
        w = self.worker("node1", 1, 8, 8000)
        first = issue(self.c)
        w.start_next()
        w.resources(0, 7, 7900)
        busy = issue(self.c)
        job = new_job()
        job.workflow = kp.Workflow(priority=0, after=[first])
        dependent = request(self.c, C2S.SubmitJob(job_info=job, array=None)).value.job_id
        self.assertEqual(reason_of(self.c, busy), "workers busy")
        self.assertEqual(reason_of(self.c, dependent),
                         "waiting for 1 of the jobs it depends on: %d" % first)

    def test_other_load(self):
        """Two cores with a load of 1.3 from other programs: a two-CPU job
        fits the machine but not what its load leaves."""
        self.worker("vm", 4, 0, 3000, cores=2, total=4000, load=1.3)
        job = issue(self.c, cpus=2, ram=1000)
        self.assertEqual(reason_of(self.c, job), "worker vm: CPUs taken by other load (load 1.3)")
        job = issue(self.c, cpus=0, ram=3500)
        self.assertEqual(reason_of(self.c, job),
                         "worker vm: RAM taken by other programs (3000 MB free)")

    def test_drained(self):
        self.worker("node1", 1, 8, 8000)
        reply = request(self.c, C2S.DrainWorker(worker="node1", drain=True))
        self.assertTrue(reply.success, reply)
        job = issue(self.c)
        self.assertEqual(reason_of(self.c, job), "every connected worker is drained")

    def test_only_pending_jobs_have_reasons_and_none_is_stored(self):
        w = self.worker("node1", 1, 8, 8000, level=1)
        job = issue(self.c)
        offer = w.recv()
        self.assertIsNone(offer.value.wait_reason)
        w.accept(offer)
        self.assertIsNone(reason_of(self.c, job))
        self.srv.restart()
        c = self.srv.client()
        pending = issue(self.srv.client(auth=True), cpus=1000)
        self.assertEqual(reason_of(c, pending), "no worker connected")
        # The row keeps no reason: the restarted server knew the job as
        # running, with none.
        self.assertIsNone(reason_of(c, job))

    def test_observers_hear_when_the_reason_changes(self):
        job = issue(self.c, cpus=4)
        obs = self.srv.client()
        first = request(obs, C2S.ObserveJob(job_id=job))
        self.assertEqual(first.value.wait_reason, "no worker connected")
        self.worker("small", 10, 2, 8000)
        # (A turn may have seen the worker before its first report.)
        update = wait_until(lambda: obs.recv(S2C),
                            lambda u: u.value.wait_reason != "waiting for the workers' first report",
                            what="a JobUpdated with the new reason")
        self.assertIsInstance(update, S2C.JobUpdated)
        self.assertEqual(update.value.wait_reason, "no worker has 4 CPUs (largest connected: 2)")
        self.assertIsInstance(update.value.status, JS.Pending)
        # Nothing new: nothing more is sent.
        obs.sock.settimeout(2.5)
        self.assertRaises(OSError, obs.recv, S2C)


class Rejections(unittest.TestCase):
    """A worker that rejects a job (its directory is missing there) is
    offered it again after a back-off (rejected_retry_seconds, doubling),
    at its next report, across reconnects; others get it at once."""

    def test_back_off(self):
        srv = Server(self, server_settings={"rejected_retry_seconds": 1})
        c = srv.client(auth=True)
        a = FakeWorker(srv.port, "nodeA", test=self)
        job = issue(c, cwd="/tmp/kq-exp")
        offer = a.recv()
        a.send(W2S.RejectJobOffer(offer.value))
        srv.process.wait_for(r'Worker "nodeA" rejected job %d \(/tmp/kq-exp is not a directory '
                             r'there\); it is offered to it again after 1 s' % job)
        self.assertEqual(reason_of(c, job), "rejected by nodeA: /tmp/kq-exp is not a directory there")
        # A report within the back-off brings no offer; one after it does.
        a.resources(1, 8, 8000)
        self.assertTrue(a.nothing_for(0.3))
        wait_until(lambda: (a.resources(1, 8, 8000), a.nothing_for(0.2))[1], lambda quiet: not quiet,
                   what="the offer after the back-off")
        offer = a.recv()
        self.assertEqual(offer.value.job_id, job)
        a.send(W2S.RejectJobOffer(offer.value))
        srv.process.wait_for(r"rejected job %d .* again after 2 s" % job)
        # Another worker gets it at once; a reconnected nodeA waits its turn.
        a.conn.sock.close()
        again = FakeWorker(srv.port, "nodeA", test=self)
        self.assertTrue(again.nothing_for(0.3))
        b = FakeWorker(srv.port, "nodeB", test=self)
        self.assertEqual(b.start_next().job_id, job)
        self.assertIsNone(reason_of(c, job))


if __name__ == "__main__":
    unittest.main(verbosity=2)
