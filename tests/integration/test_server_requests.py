"""kueue_server: command line, handshake, authentication and every client
request with its exact answer (reference sections 2, 3.2, 3.3, 3.9, 3.12)."""

import os
import socket
import subprocess
import unittest

import kueue_protocol as kp
from kqtest import (C2S, S2C, S2W, W2S, SECRET, FakeWorker, Server, check_command_line, issue,
                    new_job, request, wait_until, write_config)


def response(success, text):
    return S2C.RequestResponse(success=success, text=text)


class CommandLine(unittest.TestCase):
    def run_server(self, *args):
        return subprocess.run([os.environ["KQ_SERVER"], *args], capture_output=True,
                              text=True, timeout=10)

    def test_version_help_and_usage_error(self):
        check_command_line(self, [os.environ["KQ_SERVER"]], "kueue_server [OPTIONS]",
                           ["--config <PATH>"])

    def test_bind_errors_name_the_address(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        self.addCleanup(blocker.close)
        port = blocker.getsockname()[1]
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kq-bind-%d.toml" % os.getpid())
        # A name with an empty label fails to resolve without any DNS query
        # leaving the machine (unlike a name under .invalid).
        write_config(path, {"common_settings": {"server_port": port},
                            "server_settings": {"bind_addresses": "127.0.0.1 [::1 no..such.host"}})
        self.addCleanup(os.unlink, path)
        r = self.run_server("-c", path, "--no-state")
        self.assertEqual(r.returncode, 1)
        self.assertIn("Failed to bind: bind 127.0.0.1:%d: Address already in use" % port, r.stdout)
        self.assertIn("Failed to bind [::1: not an address", r.stdout)
        self.assertIn("Failed to bind: resolve no..such.host:%d:" % port, r.stdout)
        self.assertIn("Error: Failed to start server: Failed to bind any address!", r.stderr)

    def test_config_error_exits_1(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kq-bad-%d.toml" % os.getpid())
        with open(path, "w") as fh:
            fh.write("[server_settings]\nworker_timeout_seconds = \"300\"\n")
        self.addCleanup(os.unlink, path)
        r = self.run_server("-c", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:2: server_settings.worker_timeout_seconds: expected an integer" % path,
                      r.stderr)

    def test_worker_timeout_not_longer_than_update_interval(self):
        # Issue 12.8: server and workers read the same file format; each
        # checks the two keys in the file it reads.
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "kq-timeout-%d.toml" % os.getpid())
        self.addCleanup(os.unlink, path)
        write_config(path, {"common_settings": {"server_port": 1},
                            "server_settings": {"worker_timeout_seconds": 30},
                            "worker_settings": {"system_update_interval_seconds": 60}})
        for binary in ("KQ_SERVER", "KQ_WORKER"):
            r = subprocess.run([os.environ[binary], "-c", path], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn("%s:5: server_settings.worker_timeout_seconds = 30 must be longer "
                          "than worker_settings.system_update_interval_seconds = 60 (line 8)"
                          % path, r.stderr)
        # Only one of them in the file: a warning naming both.
        srv = Server(self, server_settings={"worker_timeout_seconds": 45})
        self.assertIn("Warning: server_settings.worker_timeout_seconds = 45 is not longer than "
                      "worker_settings.system_update_interval_seconds = 60 (the default)",
                      srv.log())


class Handshake(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)

    def test_client_welcome_and_bye(self):
        c = self.srv.client()
        c.send(C2S.Bye())
        self.assertEqual(c.sock.recv(10), b"")

    def test_exact_bytes_on_the_wire(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port))
        self.addCleanup(s.close)
        s.sendall(b'"HelloFromClient"')
        self.assertEqual(s.recv(100), b'"WelcomeClient"')
        s.sendall(b'"AuthRequest"')
        reply = s.recv(200)
        self.assertRegex(reply, rb'^\{"AuthChallenge":\{"salt":"[A-Za-z0-9]{64}"\}\}$')

    def test_worker_gets_challenge_unprompted(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port))
        self.addCleanup(s.close)
        s.sendall(b'{"HelloFromWorker":{"worker_name":"n1"}}')
        data = b""
        while data.count(b"}") < 2:
            chunk = s.recv(200)
            self.assertTrue(chunk)
            data += chunk
        self.assertRegex(data, rb'^"WelcomeWorker"\{"AuthChallenge":\{"salt":"[A-Za-z0-9]{64}"\}\}$')

    def test_invalid_hello_closes(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port))
        self.addCleanup(s.close)
        s.sendall(b'"HelloFromServer"')
        self.assertEqual(s.recv(10), b"")
        self.assertIn('unknown variant "HelloFromServer" of HelloMessage', self.srv.log())


class Authentication(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self)

    def challenge(self, c):
        reply = request(c, C2S.AuthRequest())
        self.assertIsInstance(reply, S2C.AuthChallenge)
        return reply.salt

    def test_same_salt_until_failure(self):
        c = self.srv.client()
        salt = self.challenge(c)
        self.assertEqual(self.challenge(c), salt)
        self.assertEqual(request(c, C2S.AuthResponse("wrong")), S2C.AuthAccepted(False))
        new_salt = self.challenge(c)
        self.assertNotEqual(new_salt, salt)
        self.assertEqual(request(c, C2S.AuthResponse(kp.auth_response(SECRET, new_salt))),
                         S2C.AuthAccepted(True))

    def test_padded_response_rejected(self):
        c = self.srv.client()
        salt = self.challenge(c)
        self.assertEqual(request(c, C2S.AuthResponse(kp.auth_response(SECRET, salt) + "=")),
                         S2C.AuthAccepted(False))

    def test_bug14_wrong_answer_revokes_and_failures_close(self):
        c = self.srv.client(auth=True)
        self.assertEqual(request(c, C2S.AuthResponse("wrong")), S2C.AuthAccepted(False))
        # Revoked: a request needing authentication is refused.
        self.assertEqual(request(c, C2S.CleanJobs(all=False)), response(False, "Not authenticated!"))
        self.assertEqual(c.sock.recv(10), b"")
        c = self.srv.client()
        for _ in range(5):
            self.assertEqual(request(c, C2S.AuthResponse("wrong")), S2C.AuthAccepted(False))
        self.assertEqual(c.sock.recv(10), b"")

    def test_not_authenticated_requests_close(self):
        for msg in (C2S.IssueJob(new_job()), C2S.RemoveJob(job_id=0, kill=False),
                    C2S.CleanJobs(all=True)):
            c = self.srv.client()
            self.assertEqual(request(c, msg), response(False, "Not authenticated!"))
            self.assertEqual(c.sock.recv(10), b"")

    def test_worker_wrong_secret_closed(self):
        w = FakeWorker(self.srv.port, "n1", secret="wrong", authenticate=False)
        w.send(W2S.AuthResponse(kp.auth_response("wrong", w.salt)))
        self.assertEqual(w.recv(), S2W.AuthAccepted(False))
        self.assertEqual(w.conn.sock.recv(10), b"")


class Requests(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self, global_resources={"genus": 3, "primelib": 31},
                          server_settings={"global_max_parallel_jobs": 4})
        self.c = self.srv.client(auth=True)

    def test_issue_accept_and_show(self):
        job = new_job(cmd=["./run.sh", "a b"], cwd="/home/u", resources={"genus": 1},
                      stdout="out.log")
        job.job_id = 77
        reply = request(self.c, C2S.IssueJob(job))
        self.assertIsInstance(reply, S2C.AcceptJob)
        got = reply.value
        self.assertEqual(got.job_id, 0)
        self.assertEqual((got.cmd, got.cwd, got.stdout_path, got.global_resources),
                         (["./run.sh", "a b"], "/home/u", "out.log", {"genus": 1}))
        self.assertIsInstance(got.status, kp.JobStatus.Pending)
        self.assertNotEqual(got.status.issued, job.status.issued)
        shown = request(self.c, C2S.ShowJob(job_id=0))
        self.assertEqual(shown, S2C.JobInfo(job_info=got, stdout_text=None, stderr_text=None))
        self.assertEqual(request(self.c, C2S.ShowJob(job_id=5)), response(False, "Job not found!"))
        self.assertEqual(request(self.c, C2S.ObserveJob(job_id=5)), response(False, "Job not found!"))
        self.assertEqual(request(self.c, C2S.ObserveJob(job_id=0)), S2C.JobUpdated(got))

    def test_reject_reasons(self):
        def reject(job):
            reply = request(self.c, C2S.IssueJob(job))
            self.assertIsInstance(reply, S2C.RejectJob)
            self.assertEqual(reply.job_info, job)
            return reply.reason
        self.assertEqual(reject(new_job(slots=5)),
                         "Job requires more slots than the server will allow at once! "
                         "See global_max_parallel_jobs setting in config.")
        self.assertEqual(reject(new_job(resources={"x": 1})),
                         "Required resource not configured on server: x")
        self.assertEqual(reject(new_job(resources={"genus": 4})),
                         "Required resource exceeds limits configured on the server: max. genus=3")
        # Issue 12.8: no worker could run these; they were queued forever.
        self.assertEqual(reject(new_job(cwd="home/u")),
                         'The working directory must be an absolute path, not "home/u".')
        self.assertEqual(reject(new_job(cwd="")),
                         'The working directory must be an absolute path, not "".')
        self.assertEqual(reject(new_job(cwd="/tmp\0/x")),
                         "The working directory contains a NUL character.")
        self.assertEqual(request(self.c, C2S.ListJobs(num_jobs=10)).job_infos, [])

    def test_no_resources_configured(self):
        srv = Server(self)
        c = srv.client(auth=True)
        reply = request(c, C2S.IssueJob(new_job(resources={"genus": 1, "a": 2})))
        self.assertEqual(reply.reason, 'No global resources configured on the server! '
                                       'Requested resources: {"a": 2, "genus": 1}')
        # Fixed (6.7): an empty map means none, and is stored as null.
        reply = request(c, C2S.IssueJob(new_job(resources={})))
        self.assertIsInstance(reply, S2C.AcceptJob)
        self.assertIsNone(reply.value.global_resources)
        self.assertEqual(request(c, C2S.ListResources()),
                         S2C.ResourceList(used_resources=None, total_resources=None))

    def test_remove_texts(self):
        issue(self.c)
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=0, kill=False)),
                         response(True, "Canceled job ID=0!"))
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=0, kill=False)),
                         response(False, "Job ID=0 is already canceled!"))
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=9, kill=True)),
                         response(False, "Job with ID=9 not found!"))
        w = FakeWorker(self.srv.port, test=self)
        issue(self.c)
        w.run_next(code=0)
        issue(self.c)
        w.start_next()
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=1, kill=True)),
                         response(False, "Job ID=1 has already finished!"))
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=2, kill=False)),
                         response(False, "Job ID=2 has already started!"))
        self.assertEqual(request(self.c, C2S.RemoveJob(job_id=2, kill=True)),
                         response(True, "Canceled job ID=2!"))
        kill = w.recv()
        self.assertIsInstance(kill, S2W.KillJob)
        self.assertIsInstance(kill.value.status, kp.JobStatus.Canceled)

    def test_clean_jobs(self):
        w = FakeWorker(self.srv.port, test=self)
        for code in (0, 1):
            issue(self.c)
            w.run_next(code=code)
        issue(self.c)
        request(self.c, C2S.RemoveJob(job_id=2, kill=False))
        issue(self.c)
        self.assertEqual(request(self.c, C2S.CleanJobs(all=False)),
                         response(True, "Removed finished and canceled jobs!"))
        ids = [j.job_id for j in request(self.c, C2S.ListJobs(num_jobs=10)).job_infos]
        self.assertEqual(ids, [1, 3])
        request(self.c, C2S.CleanJobs(all=True))
        ids = [j.job_id for j in request(self.c, C2S.ListJobs(num_jobs=10)).job_infos]
        self.assertEqual(ids, [3])

    def test_list_jobs_filters_and_trimming(self):
        w = FakeWorker(self.srv.port, test=self, resources=None)
        for _ in range(6):
            issue(self.c)
        request(self.c, C2S.RemoveJob(job_id=1, kill=False))
        w.resources(1, 8, 8000)
        w.run_next(0)   # job 0 succeeded
        w.run_next(3)   # job 2 failed
        offer = w.recv()  # job 3 offered
        self.assertEqual(offer.value.job_id, 3)
        listing = request(self.c, C2S.ListJobs(num_jobs=100))
        self.assertEqual([j.job_id for j in listing.job_infos], [0, 1, 2, 3, 4, 5])
        self.assertEqual((listing.jobs_pending, listing.jobs_offered, listing.jobs_succeeded,
                          listing.jobs_failed, listing.jobs_canceled, listing.jobs_running),
                         (2, 1, 1, 1, 1, 0))
        pick = lambda **f: [j.job_id for j in request(self.c, C2S.ListJobs(num_jobs=100, **f)).job_infos]
        self.assertEqual(pick(pending=True), [4, 5])
        self.assertEqual(pick(failed=True, canceled=True), [1, 2])
        self.assertEqual(pick(offered=True), [3])
        self.assertEqual([j.job_id for j in request(self.c, C2S.ListJobs(num_jobs=2)).job_infos], [4, 5])
        self.assertEqual(request(self.c, C2S.ListJobs(num_jobs=0)).job_infos, [])

    def test_workers_and_resources(self):
        self.assertEqual(request(self.c, C2S.ListWorkers()), S2C.WorkerList([]))
        w = FakeWorker(self.srv.port, "node7", test=self)
        si = kp.SystemInfo(kernel="6.1", distribution="Linux 12 Debian", cpu_cores=4,
                           cpu_frequency=2000, total_ram_mb=8000,
                           load_info=kp.LoadInfo(0.5, 1.0, 2.25))
        w.send(W2S.UpdateSystemInfo(si))
        issue(self.c, resources={"genus": 2})
        offer = w.recv()
        workers = request(self.c, C2S.ListWorkers()).value
        self.assertEqual(len(workers), 1)
        info = workers[0]
        self.assertEqual((info.worker_id, info.worker_name, info.system_info, info.jobs_offered,
                          info.free_resources),
                         (0, "node7", si, [0], kp.Resources(1, 8, 8000)))
        self.assertEqual(request(self.c, C2S.ShowWorker(worker_id=0)), S2C.WorkerInfo(info))
        self.assertEqual(request(self.c, C2S.ShowWorker(worker_id=3)), response(False, "Worker not found!"))
        self.assertEqual(request(self.c, C2S.ListResources()),
                         S2C.ResourceList(used_resources={"genus": 2},
                                          total_resources={"genus": 3, "primelib": 31}))
        w.finish(w.accept(offer))
        wait_until(lambda: request(self.c, C2S.ListResources()).used_resources is None,
                   what="the resources to be released")

    def test_bye_closes(self):
        self.c.send(C2S.Bye())
        self.assertEqual(self.c.sock.recv(10), b"")


if __name__ == "__main__":
    unittest.main(verbosity=2)
