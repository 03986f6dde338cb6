"""kueue_server: the job life cycle and offers (reference 3.5-3.8, 3.10), with
every server bug of reference section 6 fixed; test names cite the bug."""

import unittest

import kueue_protocol as kp
from kqtest import C2S, S2C, S2W, W2S, FakeWorker, Server, issue, request, wait_until

JS = kp.JobStatus


def updates(conn, count):
    """The next count JobUpdated statuses an observer receives."""
    out = []
    for _ in range(count):
        m = conn.recv(S2C)
        assert isinstance(m, S2C.JobUpdated), m
        out.append(m.value.status)
    return out


class LifeCycle(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)
        self.c = self.srv.client(auth=True)

    def test_observed_life_of_a_job(self):
        job = issue(self.c)
        obs = self.srv.client()
        self.assertIsInstance(request(obs, C2S.ObserveJob(job_id=job)).value.status, JS.Pending)
        w = FakeWorker(self.srv.port, "node1", test=self)
        offer = w.recv()
        self.assertIsInstance(offer, S2W.OfferJob)
        st = offer.value.status
        self.assertIsInstance(st, JS.Offered)
        self.assertEqual(st.worker, "node1")
        running = w.accept(offer)
        self.assertIsInstance(running.status, JS.Running)
        w.finish(running, code=3, stdout="out\n")
        seen = updates(obs, 3)
        self.assertEqual([type(s) for s in seen], [JS.Offered, JS.Running, JS.Finished])
        self.assertEqual(seen[2].return_code, 3)
        # The results follow the status on the worker's connection.
        shown = wait_until(lambda: request(self.c, C2S.ShowJob(job_id=job)),
                           lambda r: r.stdout_text is not None, what="the results")
        self.assertEqual((shown.stdout_text, shown.stderr_text), ("out\n", None))

    def test_fifo_with_backfilling(self):
        big = issue(self.c, cpus=16)
        small = [issue(self.c, cpus=2) for _ in range(3)]
        w = FakeWorker(self.srv.port, "node1", resources=(1, 8, 8000), test=self)
        self.assertEqual(w.run_next(), small[0])
        self.assertEqual(w.run_next(), small[1])
        big_worker = FakeWorker(self.srv.port, "big", resources=(1, 32, 64000), test=self)
        offer = big_worker.recv()
        self.assertEqual(offer.value.job_id, big)

    def test_bug09_offers_as_many_jobs_as_fit(self):
        for _ in range(5):
            issue(self.c, cpus=2)
        w = FakeWorker(self.srv.port, resources=(3, 8, 8000), test=self)
        offers = [w.recv() for _ in range(3)]
        self.assertEqual([o.value.job_id for o in offers], [0, 1, 2])
        self.assertTrue(w.nothing_for(0.3))  # three slots, three offers
        w.accept(offers[0])
        # Its report counts the accepted job; the open offers are subtracted.
        w.resources(2, 6, 7900)
        self.assertTrue(w.nothing_for(0.3))
        w.resources(3, 8, 8000)
        self.assertEqual(w.recv().value.job_id, 3)
        # A deferred offer is capacity again, and goes to the next job.
        w.send(W2S.DeferJobOffer(offers[1].value))
        self.assertEqual(w.recv().value.job_id, 4)

    def test_one_offer_at_a_time_for_a_one_slot_worker(self):
        for _ in range(3):
            issue(self.c)
        w = FakeWorker(self.srv.port, resources=(1, 8, 8000), test=self)
        offer = w.recv()
        self.assertEqual(offer.value.job_id, 0)
        self.assertTrue(w.nothing_for(0.3))
        w.accept(offer)
        self.assertTrue(w.nothing_for(0.3))  # busy until it reports
        w.resources(1, 8, 8000)
        self.assertEqual(w.recv().value.job_id, 1)

    def test_bug03_deferred_job_requeued_and_next_offered_at_once(self):
        issue(self.c)
        issue(self.c)
        w1 = FakeWorker(self.srv.port, "w1", test=self)
        offer = w1.recv()
        self.assertEqual(offer.value.job_id, 0)
        w2 = FakeWorker(self.srv.port, "w2", test=self)
        self.assertEqual(w2.recv().value.job_id, 1)
        w1.send(W2S.DeferJobOffer(offer.value))
        # Not offered again to w1 until it reports resources ...
        self.assertTrue(w1.nothing_for(0.3))
        # ... but at once to another worker.
        w3 = FakeWorker(self.srv.port, "w3", test=self)
        self.assertEqual(w3.recv().value.job_id, 0)

    def test_bug03_rejected_job_never_back_to_that_worker(self):
        issue(self.c)
        issue(self.c)
        w = FakeWorker(self.srv.port, test=self)
        offer = w.recv()
        w.send(W2S.RejectJobOffer(offer.value))
        self.assertEqual(w.recv().value.job_id, 1)  # the next one, at once
        w.send(W2S.RejectJobOffer(kp.JobInfo(job_id=1, cmd=[], cwd="",
                                             worker_resources=kp.Resources(1, 1, 1),
                                             status=JS.Pending(kp.Timestamp.now()))))
        w.resources(10, 8, 8000)
        self.assertTrue(w.nothing_for(0.3))
        self.assertEqual(request(self.c, C2S.ListJobs(num_jobs=5)).jobs_pending, 2)

    def test_bug04_offer_timeout_withdraws_and_unblocks(self):
        srv = Server(self, server_settings={"job_offer_timeout_seconds": 1,
                                            "maintenance_interval_seconds": 1})
        c = srv.client(auth=True)
        issue(c)
        issue(c)
        w = FakeWorker(srv.port, test=self)
        first = w.recv()
        self.assertEqual(first.value.job_id, 0)
        withdraw = w.recv(timeout=5)
        self.assertIsInstance(withdraw, S2W.WithdrawJobOffer)
        self.assertEqual(withdraw.value.job_id, 0)
        # Not blocked: the next job comes, and a late answer is ignored.
        self.assertEqual(w.recv(timeout=5).value.job_id, 1)
        w.send(W2S.AcceptJobOffer(first.value))
        self.assertTrue(w.nothing_for(0.3))
        self.assertEqual(request(c, C2S.ListWorkers()).value[0].jobs_offered, [1])

    def idle_workers(self, *free):
        """FakeWorkers node0, node1, ... with these free resources, once
        the server has their reports."""
        workers = [FakeWorker(self.srv.port, "node%d" % i, resources=r, test=self)
                   for i, r in enumerate(free)]
        wait_until(lambda: request(self.c, C2S.ListWorkers()).value,
                   lambda ws: [(w.free_resources.job_slots, w.free_resources.cpus)
                               for w in ws] == [r[:2] for r in free],
                   what="the workers' reports")
        return workers

    def offered_ids(self, worker):
        ids = []
        while not worker.nothing_for(0.3):
            ids.append(worker.recv().value.job_id)
        return ids

    def test_jobs_spread_over_idle_workers(self):
        # Each job goes to the worker with the most copies of it free (the
        # first idle worker used to take all 8).
        a, b = self.idle_workers((16, 16, 64000), (16, 16, 64000))
        for _ in range(8):
            issue(self.c, cpus=1)
        self.assertEqual(self.offered_ids(a), [0, 2, 4, 6])
        self.assertEqual(self.offered_ids(b), [1, 3, 5, 7])

    def test_busier_worker_gets_fewer_jobs(self):
        # node1 reports 8 cpus free (others' load): node0 takes jobs until
        # it has as many left, then ties go to the lower id.
        a, b = self.idle_workers((16, 16, 64000), (16, 8, 64000))
        for _ in range(12):
            issue(self.c, cpus=1)
        self.assertEqual(self.offered_ids(a), [0, 1, 2, 3, 4, 5, 6, 7, 8, 10])
        self.assertEqual(self.offered_ids(b), [9, 11])
        # Its own free resources count as it takes jobs.
        b.resources(16, 16, 64000)
        issue(self.c, cpus=1)
        self.assertEqual(b.recv().value.job_id, 12)

    def test_bug05_global_max_parallel_jobs_counts_offered_and_running(self):
        srv = Server(self, server_settings={"global_max_parallel_jobs": 2})
        c = srv.client(auth=True)
        for _ in range(4):
            issue(c)
        workers = [FakeWorker(srv.port, "w%d" % i, test=self) for i in range(3)]
        offers = [workers[0].recv(), workers[1].recv()]
        self.assertEqual(sorted(o.value.job_id for o in offers), [0, 1])
        self.assertTrue(workers[2].nothing_for(0.3))
        workers[0].finish(workers[0].accept(offers[0]))
        got = [w for w in workers if not w.nothing_for(0.5)]
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].recv().value.job_id, 2)

    def test_bug08_killed_job_holds_resources_until_the_worker_reports(self):
        srv = Server(self, global_resources={"lic": 1})
        c = srv.client(auth=True)
        issue(c, resources={"lic": 1})
        issue(c, resources={"lic": 1})
        w = FakeWorker(srv.port, test=self)
        running = w.start_next()
        w.resources(10, 8, 8000)
        request(c, C2S.RemoveJob(job_id=0, kill=True))
        kill = w.recv()
        self.assertIsInstance(kill, S2W.KillJob)
        self.assertEqual(request(c, C2S.ListResources()).used_resources, {"lic": 1})
        self.assertTrue(w.nothing_for(0.3))
        running.status = kill.value.status
        w.send(W2S.UpdateJobStatus(running))
        w.send(W2S.UpdateResources(w.free))
        self.assertEqual(w.recv().value.job_id, 1)

    def test_bug16_cancel_while_offered_withdraws(self):
        issue(self.c)
        w = FakeWorker(self.srv.port, test=self)
        offer = w.recv()
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=0, kill=False)),
                         S2C.RequestResponse(True, "Canceled job ID=0!"))
        withdraw = w.recv()
        self.assertIsInstance(withdraw, S2W.WithdrawJobOffer)
        # A late accept is ignored: nothing is confirmed, the connection stays.
        w.send(W2S.AcceptJobOffer(offer.value))
        self.assertTrue(w.nothing_for(0.3))
        self.assertIsInstance(request(self.c, C2S.ShowJob(job_id=0)).job_info.status, JS.Canceled)

    def test_bug17_defer_of_canceled_offer_keeps_connection(self):
        issue(self.c)
        issue(self.c)
        w = FakeWorker(self.srv.port, test=self)
        offer = w.recv()
        request(self.c, C2S.RemoveJob(job_id=0, kill=False))
        self.assertIsInstance(w.recv(), S2W.WithdrawJobOffer)
        second = w.recv()
        self.assertEqual(second.value.job_id, 1)
        w.send(W2S.DeferJobOffer(offer.value))
        # Still connected, and served: its next answer is heard and new
        # work reaches it.
        w.finish(w.accept(second))
        third = issue(self.c)
        offer = w.recv()
        self.assertIsInstance(offer, S2W.OfferJob)
        self.assertEqual(offer.value.job_id, third)
        self.assertEqual(len(request(self.c, C2S.ListWorkers()).value), 1)

    def test_bug18_removing_a_job_notifies_observers(self):
        issue(self.c)
        obs = self.srv.client()
        request(obs, C2S.ObserveJob(job_id=0))
        request(self.c, C2S.RemoveJob(job_id=0, kill=False))
        self.assertIsInstance(updates(obs, 1)[0], JS.Canceled)

    def test_bug19_kill_with_unreachable_worker_reported_honestly(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 60})
        c = srv.client(auth=True)
        issue(c)
        w = FakeWorker(srv.port, "node1", test=self)
        w.start_next()
        w.conn.sock.close()
        srv.process.wait_for('Worker "node1" disconnected; its 1 running job')
        reply = request(c, C2S.RemoveJob(job_id=0, kill=True))
        self.assertEqual(reply, S2C.RequestResponse(
            False, "Job with ID=0 was running but worker could not be acquired!"))
        self.assertIsInstance(request(c, C2S.ShowJob(job_id=0)).job_info.status, JS.Running)

    def test_bug20_finished_report_after_kill_keeps_canceled(self):
        issue(self.c)
        w = FakeWorker(self.srv.port, "node1", test=self)
        running = w.start_next()
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=0, kill=True)),
                         S2C.RequestResponse(True, "Canceled job ID=0!"))
        w.finish(running, code=0)  # it finished before the kill arrived
        self.srv.process.wait_for('Job 0 ended on worker "node1" after it was canceled')
        self.assertIsInstance(request(self.c, C2S.ShowJob(job_id=0)).job_info.status, JS.Canceled)

    def test_bug22_observers_dropped_when_client_leaves(self):
        issue(self.c)
        obs = self.srv.client()
        request(obs, C2S.ObserveJob(job_id=0))
        port = obs.sock.getsockname()[1]
        obs.sock.close()
        self.srv.process.wait_for(r"Connection to 127\.0\.0\.1:%d ended" % port)
        w = FakeWorker(self.srv.port, test=self)
        w.run_next()
        request(self.c, C2S.CleanJobs(all=True))
        self.assertEqual(len(request(self.c, C2S.ListWorkers()).value), 1)
        self.assertNotIn("ERROR", self.srv.log())

    def test_bug01_ids_never_reused(self):
        self.assertEqual([issue(self.c) for _ in range(3)], [0, 1, 2])
        request(self.c, C2S.RemoveJob(job_id=2, kill=False))
        request(self.c, C2S.CleanJobs(all=True))
        self.assertEqual(issue(self.c), 3)
        w1 = FakeWorker(self.srv.port, "a", resources=None, test=self)
        self.assertEqual(len(request(self.c, C2S.ListWorkers()).value), 1)
        w1.conn.sock.close()
        wait_until(lambda: request(self.c, C2S.ListWorkers()) == S2C.WorkerList([]),
                   what="worker a to be gone")
        FakeWorker(self.srv.port, "b", resources=None, test=self)
        self.assertEqual([w.worker_id for w in request(self.c, C2S.ListWorkers()).value], [1])

    def test_bug11_bug13_unauthenticated_worker_not_listed_nor_offered(self):
        issue(self.c, slots=0, cpus=0, ram=0)
        w = FakeWorker(self.srv.port, authenticate=False, test=self)
        w.send(W2S.UpdateSystemInfo(kp.SystemInfo("k", "d", 1, 1, 1, kp.LoadInfo(0, 0, 0))))
        self.assertTrue(w.nothing_for(0.3))
        self.assertEqual(request(self.c, C2S.ListWorkers()), S2C.WorkerList([]))
        # Anything else before authenticating closes the connection.
        w.resources(1, 1, 1)
        self.assertEqual(w.conn.sock.recv(10), b"")

    def test_bug12_answers_matched_by_worker_id_not_name(self):
        issue(self.c)
        a = FakeWorker(self.srv.port, "same", test=self)
        offer = a.recv()
        b = FakeWorker(self.srv.port, "same", test=self)
        b.send(W2S.AcceptJobOffer(offer.value))  # not b's offer
        self.assertTrue(b.nothing_for(0.3))
        self.assertIsInstance(request(self.c, C2S.ShowJob(job_id=0)).job_info.status, JS.Offered)
        a.accept(offer)

    def test_bug25_reconnecting_worker_keeps_its_running_job(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 30})
        c = srv.client(auth=True)
        issue(c)
        issue(c)
        w = FakeWorker(srv.port, "node1", test=self)
        running = w.start_next()
        w.conn.sock.close()
        srv.process.wait_for('Worker "node1" disconnected; its 1 running job')
        # Another worker must not get the running job, only the other one.
        other = FakeWorker(srv.port, "other", test=self)
        self.assertEqual(other.recv().value.job_id, 1)
        self.assertTrue(other.nothing_for(0.3))
        back = FakeWorker(srv.port, "node1", test=self)
        back.send(W2S.UpdateJobStatus(running))
        wait_until(lambda: {w.worker_name: w.jobs_running
                            for w in request(c, C2S.ListWorkers()).value}.get("node1") == [0],
                   what="node1 to run job 0 again")
        back.finish(running, code=0, stdout="done\n")
        shown = wait_until(lambda: request(c, C2S.ShowJob(job_id=0)),
                           lambda r: r.stdout_text is not None, what="the results")
        self.assertIsInstance(shown.job_info.status, JS.Finished)
        self.assertEqual(shown.stdout_text, "done\n")

    def test_lost_worker_jobs_requeued_after_timeout(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 1,
                                            "maintenance_interval_seconds": 1})
        c = srv.client(auth=True)
        issue(c)
        w = FakeWorker(srv.port, "node1", test=self)
        w.start_next()
        w.conn.sock.close()
        other = FakeWorker(srv.port, "other", test=self)
        for _ in range(60):  # keeps itself alive while waiting
            other.keepalive()
            if not other.nothing_for(0.1):
                break
        self.assertEqual(other.recv().value.job_id, 0)

    def test_silent_worker_times_out(self):
        srv = Server(self, server_settings={"worker_timeout_seconds": 1,
                                            "maintenance_interval_seconds": 1})
        c = srv.client(auth=True)
        w = FakeWorker(srv.port, test=self)
        w.conn.sock.settimeout(6)
        self.assertEqual(w.conn.sock.recv(10), b"")
        self.assertEqual(request(c, C2S.ListWorkers()), S2C.WorkerList([]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
