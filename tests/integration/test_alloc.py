"""Allocation queues (issue 18) against a stand-in Slurm (fake_slurm.py),
which needs neither root nor daemons: the requests, the batch script,
when the autoscaler submits and how many, how it follows allocations,
failures that stop a queue, allocations canceled when no worker comes,
the queues and their workers across a restart, the scheduler and workers
with an end, the command line's bad input, and an original server.  The
real Slurm is test_slurm.py's."""

import fcntl
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import unittest

import kueue_protocol as kp
from kqtest import C2S, S2W, W2S, FakeWorker, Server, free_port, new_job, request, \
    wait_until
from test_client_harness import Client, client_env, run_kueue
from test_workflows import original_server

S2C = kp.ServerToClientMessage
HERE = os.path.dirname(os.path.abspath(__file__))


class FakeSlurm:
    """sbatch, squeue and scancel in a directory of their own, first on the
    PATH of .env; the test reads and moves their jobs."""

    def __init__(self, test):
        self.dir = tempfile.mkdtemp(prefix="kq-fake-slurm-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.state = os.path.join(self.dir, "state.json")
        bindir = os.path.join(self.dir, "bin")
        os.mkdir(bindir)
        for prog in ("sbatch", "squeue", "scancel"):
            path = os.path.join(bindir, prog)
            with open(path, "w") as fh:
                fh.write("#!/bin/sh\nFAKE_SLURM_PROG=%s exec %s %s \"$@\"\n"
                         % (prog, sys.executable, os.path.join(HERE, "fake_slurm.py")))
            os.chmod(path, stat.S_IRWXU)
        self.env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"],
                        FAKE_SLURM_STATE=self.state)

    def _locked(self, change):
        with open(self.state + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(self.state) as fh:
                    state = json.load(fh)
            except FileNotFoundError:
                state = {"next": 100, "jobs": [], "calls": []}
            result = change(state)
            with open(self.state + ".tmp", "w") as fh:
                json.dump(state, fh)
            os.rename(self.state + ".tmp", self.state)
            return result

    def jobs(self):
        return self._locked(lambda s: s["jobs"])

    def calls(self, prog):
        return self._locked(lambda s: [c[1:] for c in s["calls"] if c[0] == prog])

    def set(self, job_id, state, reason="None", nodes="node7"):
        def change(s):
            for job in s["jobs"]:
                if job["id"] == job_id:
                    job.update(state=state, reason=reason, nodes=nodes)
        self._locked(change)

    def forget(self, job_id):
        self._locked(lambda s: s.update(jobs=[j for j in s["jobs"] if j["id"] != job_id]))

    def _flag(self, suffix, on):
        """The stand-in's switch FAKE_SLURM_STATE + suffix (a file)."""
        path = self.state + suffix
        if on:
            open(path, "w").close()
        elif os.path.exists(path):
            os.unlink(path)

    def hang(self, is_hanging):
        """sbatch waits while is_hanging."""
        self._flag(".hang", is_hanging)

    def down(self, is_down):
        self._flag(".down", is_down)


def cluster(test, **server_settings):
    """A fake Slurm, a server that runs it (on a port of its own: it keeps
    it across restarts), and a client."""
    slurm = FakeSlurm(test)
    srv = Server(test, env=slurm.env, server_settings=server_settings,
                 common_settings={"server_port": free_port()})
    return slurm, srv, Client(test, srv)


def add_queue(cli, *options, backend_args=()):
    out = cli.ok("alloc", "add", "slurm", "--worker-program", "/opt/kq/kueue_worker",
                 *options, "--", *backend_args)
    return int(out)


def events(cli, queue=1):
    return cli.ok("alloc", "events", str(queue))


def wait_event(cli, pattern, queue=1, timeout=15):
    return wait_until(lambda: re.search(pattern, events(cli, queue)), timeout=timeout,
                      what=lambda: "event %r in:\n%s" % (pattern, events(cli, queue)),
                      interval=0.2)


def token_of(job):
    return re.search(r"^export KUEUE_ALLOCATION=(\S+)$", job["script"], re.M).group(1)


class Requests(unittest.TestCase):
    def test_add_list_dry_run_events_remove(self):
        slurm, srv, cli = cluster(self)
        self.assertEqual(add_queue(cli, "--max-workers", "2", "--time-limit", "1h",
                                   backend_args=["--partition=short", "--account=lab 42"]), 1)
        text = cli.ok("alloc", "list")
        self.assertIn("Allocation queue 1: slurm, at most 2 workers, 1 per allocation, time "
                      "limit 1h, idle exit 5m\n  sbatch --partition=short --account=lab 42\n"
                      "  workers: /opt/kq/kueue_worker -c %s, connecting to 127.0.0.1:%d\n"
                      "  no allocations\n" % (os.path.realpath(cli.config), srv.port), text)
        script = cli.ok("alloc", "dry-run", "1")
        self.assertTrue(script.startswith(
            "sbatch --parsable --partition=short '--account=lab 42' <<'EOF'\n#!/bin/sh\n"
            "#SBATCH --job-name=kq1.1-"), script)
        self.assertIn("#SBATCH --time=0-01:00:00\n#SBATCH --nodes=1\n", script)
        self.assertIn("\nexec /opt/kq/kueue_worker -c %s --server 127.0.0.1:%d \\\n"
                      "    --lifetime 1h --idle-exit 5m\nEOF\n"
                      % (os.path.realpath(cli.config), srv.port), script)
        self.assertNotIn(srv.secret, script)
        add_queue(cli, "--time-limit", "2h", "--margin", "20m")
        self.assertIn("--lifetime 2h --idle-exit 5m --margin 20m\nEOF\n",
                      cli.ok("alloc", "dry-run", "2"))
        cli.ok("alloc", "remove", "2")
        reply = cli.json("alloc", "list")
        self.assertIsInstance(reply, S2C.AllocQueueList)
        self.assertEqual(reply.queues[0].backend_args, ["--partition=short", "--account=lab 42"])
        self.assertIsNone(reply.queues[0].events)
        self.assertRegex(events(cli), r"^(today|yesterday) \d\d:\d\d:\d\d  queue  added: backend "
                                      r"slurm, at most 2 workers, 1 per allocation\n$")
        # Nothing waits: nothing is submitted.
        time.sleep(1.5)
        self.assertEqual(slurm.calls("sbatch"), [])
        self.assertEqual(cli.ok("alloc", "remove", "1"),
                         "Allocation queue 1 removed: 0 allocation(s) canceled\n")
        self.assertEqual(cli.ok("alloc", "list"),
                         "No allocation queues (kueue alloc add slurm ... adds one).\n")
        for action in ("remove", "events", "dry-run"):
            self.assertEqual(cli.fails(1, "alloc", action, "7"),
                             "Error: There is no allocation queue 7\n")

    def test_default_configuration_is_the_workers(self):
        # Without -c, the workers read the default file, by its full path.
        slurm, srv, cli = cluster(self)
        home = tempfile.mkdtemp(prefix="kq-home-")
        self.addCleanup(shutil.rmtree, home, True)
        os.makedirs(os.path.join(home, ".config", "kueue"))
        shutil.copy(cli.config, os.path.join(home, ".config", "kueue", "config.toml"))
        env = dict(client_env(), HOME=home)
        env.pop("XDG_CONFIG_HOME", None)
        r = run_kueue(self, ["alloc", "add", "slurm", "--time-limit", "1h"], cwd=home, env=env)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "1\n", ""))
        r = run_kueue(self, ["alloc", "dry-run", "1"], cwd=home, env=env)
        self.assertIn(" -c %s --server 127.0.0.1:%d " % (
            os.path.join(os.path.realpath(home), ".config", "kueue", "config.toml"), srv.port),
            r.stdout)

    def test_server_refuses_bad_queues(self):
        slurm, srv, cli = cluster(self)
        c = srv.client(auth=True)
        q = kp.AllocQueue(queue_id=9, backend="pbs", max_workers=1, workers_per_alloc=1,
                          time_limit_seconds=3600, idle_exit_seconds=60, max_failures=1,
                          connect_timeout_seconds=60, server_address="h:1",
                          worker_program="w", worker_config="/c", backend_args=[],
                          failures=0, allocations=[])
        reply = request(c, C2S.AddAllocQueue(queue=q))
        self.assertEqual(reply, S2C.RequestResponse(
            False, "Allocation queue refused: unknown backend 'pbs' (known: slurm)"))
        for change, why in ((dict(max_workers=0), "max-workers must be at least 1"),
                            (dict(workers_per_alloc=2), "workers-per-alloc (2) is more than "
                                                         "max-workers (1)"),
                            (dict(time_limit_seconds=59), "time-limit must be 1m at least "
                                                          "(Slurm counts minutes)"),
                            (dict(server_address="h"), "server 'h' is not HOST:PORT"),
                            (dict(worker_config="c"), "worker-config must be an absolute "
                                                      "path")):
            bad = kp.AllocQueue(**{**q.__dict__, "backend": "slurm", **change})
            reply = request(c, C2S.AddAllocQueue(queue=bad))
            self.assertEqual(reply, S2C.RequestResponse(False, "Allocation queue refused: " + why))
        # A server that cannot run sbatch.
        nowhere = Server(self, env=dict(os.environ, PATH="/nonexistent"))
        reply = request(nowhere.client(auth=True),
                        C2S.AddAllocQueue(queue=kp.AllocQueue(**{**q.__dict__,
                                                                 "backend": "slurm"})))
        self.assertEqual(reply, S2C.RequestResponse(
            False, "Allocation queue refused: sbatch is not on the PATH of kueue_server (it "
                   "must run where Slurm's commands work, e.g. on a login node)"))
        # What the server sets, it sets.
        q = kp.AllocQueue(**{**q.__dict__, "backend": "slurm", "failures": 5,
                             "stopped": "no", "allocations": [
                                 kp.Allocation(1, "running", kp.Timestamp.now(), 1, 1)]})
        reply = request(c, C2S.AddAllocQueue(queue=q))
        self.assertEqual((reply.queues[0].queue_id, reply.queues[0].failures,
                          reply.queues[0].stopped, reply.queues[0].allocations), (1, 0, None, []))
        # Without the secret, nothing.
        anon = srv.client()
        self.assertEqual(request(anon, C2S.ListAllocQueues(queue_id=None, events=False,
                                                           script=False)),
                         S2C.RequestResponse(False, "Not authenticated!"))


class Autoscaling(unittest.TestCase):
    def test_submits_for_waiting_jobs_up_to_max_and_follows_them(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--max-workers", "2", "--time-limit", "1h")
        ids = [int(cli.ok("cmd", "true")) for _ in range(5)]
        wait_until(lambda: len(slurm.calls("sbatch")) == 2, timeout=15, what="two sbatch")
        time.sleep(3)
        self.assertEqual(len(slurm.calls("sbatch")), 2)  # max-workers
        a, b = slurm.jobs()
        self.assertEqual((a["id"], b["id"]), (100, 101))
        self.assertEqual(a["args"], ["--parsable"])
        wait_until(lambda: "(Priority)" in cli.ok("alloc", "list"), what="Slurm's reason",
                   interval=0.2)
        self.assertRegex(cli.ok("alloc", "list"),
                         r"allocation 1: queued, Slurm job 100 \(Priority\), 0 workers, "
                         r"submitted today \d\d:\d\d:\d\d\n")
        wait_event(cli, r"allocation 2  submitted: Slurm job 101\n")
        # Why the jobs wait.
        self.assertRegex(cli.jobs()[-1].wait_reason,
                         r"^waiting for a worker of allocation queue 1: allocation 1 is queued "
                         r"in Slurm \(Slurm job 100: Priority\)$")
        # It starts; its worker says hello with its token.
        slurm.set(100, "RUNNING", nodes="node7")
        wait_event(cli, r"allocation 1  started: Slurm job 100 on node7\n")
        w = FakeWorker(srv.port, "node7-100", srv.secret, test=self, level=1,
                       allocation=token_of(a))
        wait_event(cli, r"allocation 1  connected: worker \"node7-100\" \(id 0\)\n")
        self.assertEqual(cli.json("list-workers").value[0].allocation,
                         "queue 1, allocation 1 (Slurm job 100)")
        self.assertIn("allocation: queue 1, allocation 1 (Slurm job 100)\n",
                      cli.ok("show-worker", "0"))
        for _ in ids:
            offer = w.recv()
            while isinstance(offer, S2W.ReportStored):
                offer = w.recv()
            w.finish(w.accept(offer))
        wait_until(lambda: all(isinstance(j.status, kp.JobStatus.Finished) for j in cli.jobs()),
                   what="every job finished")
        w.send(W2S.Bye())
        w.conn.sock.close()
        slurm.set(100, "COMPLETED")
        wait_event(cli, r"allocation 1  ended: Slurm job 100 COMPLETED\n")
        # Nothing waits any more: no more submissions, and the allocation
        # still queued is canceled once none waited a while (not a failure).
        time.sleep(2)
        self.assertEqual(len(slurm.calls("sbatch")), 2)
        wait_event(cli, r"allocation 2  canceled: Slurm job 101: no job waits for it any "
                        r"more\n", timeout=30)
        wait_until(lambda: ["101"] in slurm.calls("scancel"), what="scancel 101")
        wait_event(cli, r"allocation 2  ended: Slurm job 101 CANCELLED\n")
        self.assertNotIn("failure", cli.ok("alloc", "list"))

    def test_remove_cancels_what_is_queued(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--max-workers", "2", "--time-limit", "1h")
        add_queue(cli, "--max-workers", "1", "--time-limit", "1h")
        for _ in range(3):
            cli.ok("cmd", "true")
        wait_until(lambda: len(slurm.jobs()) == 3, what="three submissions")
        by_queue = {}
        for job in slurm.jobs():
            by_queue.setdefault(token_of(job)[2], []).append(job)
        running, queued = by_queue["1"]
        slurm.set(running["id"], "RUNNING")
        FakeWorker(srv.port, "n1", srv.secret, test=self, level=1,
                   allocation=token_of(running))
        wait_event(cli, r"allocation 1  connected")
        # Queue 1: the queued allocation goes, the running one is left to
        # its worker.
        self.assertEqual(cli.ok("alloc", "remove", "1"),
                         "Allocation queue 1 removed: 1 allocation(s) canceled; the workers of "
                         "the running ones exit once idle (--cancel cancels them)\n")
        wait_until(lambda: [str(queued["id"])] in slurm.calls("scancel"), what="scancel")
        self.assertNotIn([str(running["id"])], slurm.calls("scancel"))
        # Its worker is a plain worker now.
        self.assertIsNone(cli.json("list-workers").value[0].allocation)
        # Queue 2, with --cancel: everything goes.
        (other,) = by_queue["2"]
        slurm.set(other["id"], "RUNNING")
        wait_event(cli, r"allocation 1  started", queue=2)
        self.assertEqual(cli.ok("alloc", "remove", "--cancel", "2"),
                         "Allocation queue 2 removed: 1 allocation(s) canceled\n")
        wait_until(lambda: [str(other["id"])] in slurm.calls("scancel"), what="scancel")
        self.assertEqual(cli.ok("alloc", "list"),
                         "No allocation queues (kueue alloc add slurm ... adds one).\n")

    def test_jobs_that_fit_no_allocation_ask_for_none(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--max-workers", "4", "--time-limit", "1h")
        # Longer than an allocation (less its end margin): nothing will
        # run it, and the client says so.
        r = cli.run("cmd", "--time-limit", "59m30s", "true")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Warning: no worker is connected", r.stderr)
        too_long = int(r.stdout)
        time.sleep(2.5)
        self.assertEqual(slurm.calls("sbatch"), [])
        cli.ok("cmd", "--time-limit", "58m", "true")
        wait_until(lambda: slurm.calls("sbatch"), what="a submission")
        cli.ok("remove-job", str(too_long))
        # Once a worker of the queue said what it has, jobs bigger do not
        # ask for more.
        slurm.set(100, "RUNNING")
        w = FakeWorker(srv.port, "n1", srv.secret, resources=None, test=self, level=1,
                       allocation=token_of(slurm.jobs()[0]))
        w.resources(1, 2, 4000)
        w.accept(w.recv())
        # Neither a connected worker nor the queue's could run it: refused
        # unless queued anyway.
        self.assertIn("No connected worker could ever run this job",
                      cli.fails(1, "cmd", "-c", "4", "true"))
        cli.ok("cmd", "-c", "4", "--queue-anyway", "true")
        time.sleep(2.5)
        self.assertEqual(len(slurm.calls("sbatch")), 1)
        cli.ok("cmd", "-c", "2", "true")
        wait_until(lambda: len(slurm.calls("sbatch")) == 2, what="a second submission")

    def test_stopped_while_sbatch_runs(self):
        # The server stops with a submission under way: sbatch is killed,
        # and what the server kept for its answer is freed (it leaked:
        # LeakSanitizer at the server's exit, which the harness checks).
        slurm, srv, cli = cluster(self)
        slurm.hang(True)
        self.addCleanup(slurm.hang, False)
        add_queue(cli, "--max-workers", "1", "--time-limit", "1h")
        cli.submit("cmd", "true")
        srv.process.wait_for(r"Allocation queue 1: submitting allocation 1 ")
        self.assertEqual(srv.stop(), 0)
        srv.process.check_clean()

    def test_failures_stop_the_queue(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--time-limit", "1h", "--max-failures", "2",
                  backend_args=["--partition=bad"])
        cli.ok("cmd", "true")
        wait_event(cli, r"queue  stopped: ")
        why = ("sbatch failed: sbatch: error: invalid partition specified: bad (exit status 1)")
        self.assertEqual(len(re.findall(r"allocation \d  submit-failed: " + re.escape(why),
                                        events(cli))), 2)
        self.assertIn("  STOPPED: stopped submitting after 2 failures in a row (the last: "
                      "sbatch: error: invalid partition specified: bad (exit status 1)); "
                      "remove the queue and add it again once the cause is fixed\n",
                      cli.ok("alloc", "list"))
        time.sleep(2.5)
        self.assertEqual(len(slurm.calls("sbatch")), 2)

    def test_allocations_without_workers_are_canceled(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--time-limit", "1h", "--connect-timeout", "2s", "--max-failures", "5")
        cli.ok("cmd", "true")
        wait_until(lambda: slurm.jobs(), what="a submission")
        slurm.set(100, "RUNNING")
        wait_event(cli, r"allocation 1  canceled: Slurm job 100: no worker connected within "
                        r"2s of its start\n")
        wait_until(lambda: ["100"] in slurm.calls("scancel"), what="scancel 100")
        wait_event(cli, r"allocation 1  ended: Slurm job 100 CANCELLED\n")
        self.assertIn("1 failure in a row (it stops at 5)", cli.ok("alloc", "list"))

    def test_failed_and_vanished_allocations(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--time-limit", "1h", "--max-failures", "5")
        cli.ok("cmd", "true")
        wait_until(lambda: slurm.jobs(), what="a submission")
        slurm.set(100, "FAILED", reason="NonZeroExitCode")
        wait_event(cli, r"allocation 1  failed: Slurm job 100 FAILED \(NonZeroExitCode\)\n")
        # One canceled in Slurm by someone else while queued: not a failure.
        wait_until(lambda: len(slurm.jobs()) == 2, what="a second submission")
        slurm.set(101, "CANCELLED")
        wait_event(cli, r"allocation 2  ended: Slurm job 101 CANCELLED\n")
        self.assertIn("1 failure in a row", cli.ok("alloc", "list"))
        # One that ran, and Slurm forgot (purged) before a worker came.
        wait_until(lambda: len(slurm.jobs()) == 3, what="a third submission")
        slurm.set(102, "RUNNING")
        wait_event(cli, r"allocation 3  started: Slurm job 102")
        slurm.forget(102)
        wait_event(cli, r"allocation 3  failed: Slurm job 102 gone \(no longer listed by "
                        r"squeue\), and no worker of it connected\n")
        self.assertIn("2 failures in a row", cli.ok("alloc", "list"))
        # squeue failing is not an allocation's failure.
        slurm.down(True)
        wait_until(lambda: "squeue failed" in srv.log(), what="the log")
        self.assertIn("Unable to contact slurm controller", srv.log())
        slurm.down(False)
        # A worker connecting resets the count.
        wait_until(lambda: len(slurm.calls("sbatch")) == 4, what="a fourth submission")
        FakeWorker(srv.port, "n", srv.secret, test=self, level=1,
                   allocation=token_of(slurm.jobs()[-1]))
        wait_until(lambda: "failure" not in cli.ok("alloc", "list"), what="no failures",
                   interval=0.2)

    def test_restart_keeps_queues_and_recognises_workers(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--max-workers", "2", "--time-limit", "1h")
        cli.ok("cmd", "true")
        wait_until(lambda: slurm.jobs(), what="a submission")
        slurm.set(100, "RUNNING")
        wait_event(cli, r"started: Slurm job 100")
        self.assertEqual(srv.restart(), 0)
        self.assertIn("1 allocation queue(s) in the state file", srv.log())
        self.assertRegex(cli.ok("alloc", "list"), r"allocation 1: running, Slurm job 100, "
                                                  r"0 workers, submitted")
        self.assertIn("started: Slurm job 100", events(cli))
        w = FakeWorker(srv.port, "n7", srv.secret, resources=None, test=self, level=1,
                       allocation=token_of(slurm.jobs()[0]))
        w.resources(1, 8, 8000)
        w.start_next()
        wait_event(cli, r"allocation 1  connected: worker \"n7\"")
        # More work: the next allocation is number 2, never 1 again.
        cli.ok("cmd", "true")
        wait_until(lambda: len(slurm.jobs()) == 2, what="a second submission")
        self.assertRegex(token_of(slurm.jobs()[1]), r"^kq1\.2-[0-9a-f]{8}$")
        self.assertEqual(token_of(slurm.jobs()[1]).split("-")[1],
                         token_of(slurm.jobs()[0]).split("-")[1])

    def test_strangers_are_plain_workers(self):
        slurm, srv, cli = cluster(self)
        add_queue(cli, "--time-limit", "1h")
        FakeWorker(srv.port, "x", srv.secret, test=self, level=1, allocation="kq1.9-00000000")
        wait_until(lambda: "not one of this server's" in srv.log(), what="the log")
        self.assertIsNone(cli.json("list-workers").value[0].allocation)


class Lifetimes(unittest.TestCase):
    def test_offers_fit_the_workers_horizon(self):
        srv = Server(self)
        c = srv.client(auth=True)

        def submit(limit):
            job = new_job()
            if limit:
                job.workflow = kp.Workflow(priority=0, time_limit_seconds=limit)
            reply = request(c, C2S.SubmitJob(job_info=job, array=None))
            return reply.value.job_id
        long_job, short_job, open_job = submit(3600), submit(300), submit(None)
        w = FakeWorker(srv.port, "alloc", srv.secret, resources=None, test=self, level=1)
        w.keepalive(lifetime=kp.WorkerLifetime(seconds_left=600, no_limit_seconds_left=0))
        w.resources(4, 8, 8000)
        offer = w.recv()
        self.assertEqual(offer.value.job_id, short_job)
        self.assertTrue(w.nothing_for(1.0))
        # Why the others wait.
        reasons = {j.job_id: j.wait_reason for j in request(c, C2S.ListJobs(
            num_jobs=10, pending=True, offered=False, running=False, succeeded=False,
            failed=False, canceled=False)).job_infos}
        self.assertEqual(reasons[long_job], "its time limit does not fit in what the idle "
                                            "workers have left (their allocations end sooner)")
        self.assertEqual(reasons[open_job], "it has no time limit, and the idle workers take "
                                            "only jobs with one now (their allocations end "
                                            "soon)")
        # More time (a longer allocation): the job without a limit too.
        w.keepalive(lifetime=kp.WorkerLifetime(seconds_left=1800, no_limit_seconds_left=60))
        w.resources(3, 8, 8000)
        self.assertEqual(w.recv().value.job_id, open_job)
        self.assertTrue(w.nothing_for(0.5))
        # A worker without an end takes the rest.
        plain = FakeWorker(srv.port, "plain", srv.secret, test=self, level=1)
        self.assertEqual(plain.recv().value.job_id, long_job)
        info = request(c, C2S.ShowWorker(worker_id=0)).value
        self.assertEqual(info.system_info.lifetime.seconds_left, 1800)


class CommandLine(unittest.TestCase):
    def test_bad_input(self):
        slurm, srv, cli = cluster(self)
        add = ["alloc", "add", "slurm", "--time-limit", "1h"]
        for args, message in (
                (["alloc"], "the following required arguments were not provided:\n  <ACTION>"),
                (["alloc", "frob"], "invalid value 'frob' for '<ACTION>'\n  [possible values: "
                                    "add, list, remove, events, dry-run]"),
                (["alloc", "add", "pbs", "--time-limit", "1h"],
                 "invalid value 'pbs' for '<BACKEND>': unknown backend\n  [possible values: "
                 "slurm]"),
                (["alloc", "add"], "the following required arguments were not provided:\n  "
                                   "<BACKEND> (slurm)"),
                (["alloc", "add", "slurm"], "the following required arguments were not "
                                            "provided:\n  --time-limit <DURATION>"),
                (["alloc", "add", "slurm", "--time-limit", "30s"],
                 "invalid value '30s' for '--time-limit <DURATION>': an allocation's time limit "
                 "must be at least 1m (Slurm counts minutes)"),
                (["alloc", "add", "slurm", "--time-limit", "2x"],
                 "invalid value '2x' for '--time-limit <DURATION>'"),
                (add + ["--max-workers", "0"], "invalid value '0' for '--max-workers <N>': at "
                                               "least 1"),
                (add + ["--max-failures", "0"], "invalid value '0' for '--max-failures <N>': "
                                                "at least 1"),
                (add + ["--idle-exit", "0s"], "invalid value '0s' for '--idle-exit "
                                              "<DURATION>'"),
                (add + ["--margin", "x"], "invalid value 'x' for '--margin <DURATION>'"),
                (["alloc", "list", "--margin", "1m"], "the argument '--margin <DURATION>' is "
                                                      "for 'alloc add' only"),
                (add + ["--connect-timeout", "-1m"], "invalid value '-1m' for "
                                                     "'--connect-timeout <DURATION>'"),
                (add + ["--workers-per-alloc", "3", "--max-workers", "2"],
                 "'--workers-per-alloc <N>' (3) is more than '--max-workers <N>' (2)"),
                (add + ["--server", "login1"], "invalid value 'login1' for '--server "
                                               "<HOST:PORT>': a host, ':' and a port"),
                (add + ["--partition=short"], "unexpected argument '--partition=short' found\n"
                                              "\n  tip: arguments for <BACKEND_ARGS> go after "
                                              "'--'"),
                (add + ["short"], "unexpected argument 'short' found\n\n  tip: arguments for "
                                  "<BACKEND_ARGS> go after '--'"),
                (["alloc", "list", "--max-workers", "2"], "the argument '--max-workers <N>' is "
                                                          "for 'alloc add' only"),
                (["alloc", "events", "1", "--", "-x"], "arguments after '--' (<BACKEND_ARGS>) "
                                                       "are for 'alloc add' only"),
                (["alloc", "list", "3"], "unexpected argument '3' found"),
                (["alloc", "events", "--cancel", "1"], "the argument '--cancel' is for 'alloc "
                                                       "remove' only"),
                (["alloc", "remove"], "the following required arguments were not provided:\n"
                                      "  <ID>"),
                (["alloc", "dry-run", "x"], "invalid value 'x' for '<ID>'")):
            with self.subTest(args=args):
                err = cli.fails(2, *args)
                self.assertIn("error: " + message, err)
        self.assertEqual(slurm.calls("sbatch"), [])
        self.assertEqual(cli.ok("alloc", "list"),
                         "No allocation queues (kueue alloc add slurm ... adds one).\n")

    def test_original_server_says_not_supported(self):
        port, jobs = original_server(self)
        cli = Client(self, port=port)
        for args in (["list"], ["add", "slurm", "--time-limit", "1h"], ["remove", "1"]):
            r = cli.run("alloc", *args)
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (1, "", "Error: this server does not support alloc (an original "
                                     "Kueue server?)\n"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
