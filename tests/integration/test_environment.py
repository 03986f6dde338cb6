"""Jobs run in the submitter's world (issue 13), with the real kueue_server,
kueue_worker and kueue: the submitter's environment (a virtualenv's
program runs), --no-env and --env, the variables never passed, a program
that is not found says where it was looked for, output file names with
placeholders, and each environment stored once."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

import kueue_protocol as kp
from kqtest import C2S, Server, Worker, free_port, request, wait_until
from test_client_harness import Client, client_env, run_kueue

S2C = kp.ServerToClientMessage
WORKER_PATH = "/usr/local/bin:/usr/bin:/bin"


class SubmittersWorld(unittest.TestCase):
    def setUp(self):
        # A port of its own, to restart on.
        self.srv = Server(self, common_settings={"server_port": free_port()})
        self.dir = tempfile.mkdtemp(prefix="kq-world-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        # The worker runs in an environment of its own, as on another
        # machine or under systemd.
        self.worker = Worker(self, self.srv.port, worker_name="lab1",
                             dynamic_check_free_resources=False,
                             env={"PATH": WORKER_PATH, "HOME": self.dir, "WORKER_ONLY": "w",
                                  "KQ_SHARED": "worker's"})
        c = self.srv.client()
        wait_until(lambda: request(c, C2S.ListWorkers()).value, what="the worker")
        self.cli = Client(self, self.srv)

    def kueue(self, *args, env=None, code=0, input=None):
        """Runs kueue in self.dir with the test's environment plus env."""
        r = run_kueue(self, ["-c", self.cli.config] + list(args), cwd=self.dir, input=input,
                      env=client_env(**(env or {})))
        self.assertEqual(r.returncode, code, r)
        return r

    def output(self, job):
        return self.cli.json("show-job", str(job)).stdout_text

    def run_job(self, *args, env=None):
        """cmd --wait ARGS; returns the job's stdout."""
        self.kueue("cmd", "-w", *args, env=env)
        return self.output(self.cli.json("list-jobs").job_infos[-1].job_id)

    def test_a_virtualenv_program_runs(self):
        venv = os.path.join(self.dir, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True,
                       timeout=120)
        # What `source venv/bin/activate` does to the environment.
        active = {"PATH": os.path.join(venv, "bin") + ":" + os.environ["PATH"],
                  "VIRTUAL_ENV": venv}
        script = "import os, sys; print(sys.prefix); print(os.environ.get('VIRTUAL_ENV'))"
        self.assertEqual(self.run_job("python3", "-c", script, env=active),
                         "%s\n%s\n" % (venv, venv))
        # --no-env: the worker's own python, and no VIRTUAL_ENV.
        out = self.run_job("--no-env", "python3", "-c", script, env=active)
        self.assertNotIn(venv, out)
        self.assertTrue(out.endswith("\nNone\n"), out)

    def test_what_the_job_gets(self):
        env = {"DISPLAY": ":0", "SSH_AUTH_SOCK": "/tmp/agent", "KUEUE_JOB_ID": "99",
               "KQ_FROM_CLIENT": "c", "KQ_SHARED": "client's", "TERM": "xterm"}
        script = ("echo \"$KQ_FROM_CLIENT|$KQ_SHARED|$WORKER_ONLY|$DISPLAY|$SSH_AUTH_SOCK|"
                  "$TERM|$PWD|$KQ_SET\"; test \"$KUEUE_JOB_ID\" != 99")
        real = os.path.realpath(self.dir)
        self.assertEqual(self.run_job("sh", "-c", script, env=env),
                         "c|client's|||||%s|\n" % real)
        # --env adds to the submitter's, and to the worker's with --no-env.
        self.assertEqual(self.run_job("--env", "KQ_SET=x=y", "sh", "-c", script, env=env),
                         "c|client's|||||%s|x=y\n" % real)
        self.assertEqual(self.run_job("--no-env", "--env", "KQ_SET=1", "--env", "KQ_SHARED=mine",
                                      "sh", "-c", script, env=env),
                         "|mine|w||||%s|1\n" % real)
        # client_settings.capture_environment = false is --no-env.
        with open(self.cli.config, "a") as fh:
            fh.write("capture_environment = false\n")
        self.assertEqual(self.run_job("sh", "-c", script, env=env),
                         "|worker's|w||||%s|\n" % real)
        err = self.kueue("cmd", "--env", "NOEQUALS", "true", code=1).stderr
        self.assertEqual(err, 'Error: --env takes NAME=VALUE, not "NOEQUALS"\n')

    def test_a_program_not_found_says_where(self):
        path = "/kq-nowhere:/usr/bin:/bin"
        r = self.kueue("cmd", "-w", "kq-mytool", "--flag", env={"PATH": path}, code=1)
        job = self.cli.json("list-jobs").job_infos[-1].job_id
        self.assertEqual(r.stderr, "Error: Job %d failed with code -43: Failed to start job on "
                                   "lab1: kq-mytool: not found in PATH=%s\n" % (job, path))

    def test_output_file_placeholders(self):
        r = self.kueue("batch", "-w", "-o", "log-{id}.txt", input="echo a\necho b\necho c\n")
        ids = [int(x) for x in r.stdout.split()]
        for job, word in zip(ids, "abc"):
            with open(os.path.join(self.dir, "log-%d.txt" % job)) as fh:
                self.assertEqual(fh.read(), word + "\n")
            self.assertEqual(self.output(job),
                             "Redirected to %s/log-%d.txt" % (os.path.realpath(self.dir), job))
        self.kueue("cmd", "-w", "-o", "{worker}-{id}.out", "-e", "{{literal}}.err", "sh", "-c",
                   "echo out; echo err >&2")
        job = self.cli.json("list-jobs").job_infos[-1].job_id
        with open(os.path.join(self.dir, "lab1-%d.out" % job)) as fh:
            self.assertEqual(fh.read(), "out\n")
        with open(os.path.join(self.dir, "{literal}.err")) as fh:
            self.assertEqual(fh.read(), "err\n")
        # A typo is refused before anything is sent.
        err = self.kueue("cmd", "-o", "log-{job}.txt", "true", code=1).stderr
        self.assertEqual(err, "Error: --stdout: output file log-{job}.txt: unknown placeholder "
                              "{job} (known: {id}, {worker}, {index}; {{ and }} for braces)\n")
        # {index} is for arrays of jobs: this one is not part of one.
        r = self.kueue("cmd", "-w", "-o", "part-{index}.txt", "true", code=2)
        self.assertIn("error: {index} is replaced only in the jobs of an array", r.stderr)

    def test_each_environment_stored_once(self):
        env = {"KQ_BIG": "x" * 3000}
        for _ in range(3):
            self.kueue("cmd", "--queue-anyway", "-c", "1000", "true", env=env)
        self.kueue("cmd", "--queue-anyway", "-c", "1000", "true", env={"KQ_OTHER": "1"})
        self.kueue("cmd", "--queue-anyway", "-c", "1000", "--no-env", "true")
        shown = self.cli.json("show-job", "0").job_info
        self.assertEqual(shown.environment.variables.count("KQ_BIG=" + "x" * 3000), 1)
        self.assertFalse(shown.environment.add_to_worker)
        # Lists and notifications go without it.
        self.assertIsNone(self.cli.json("list-jobs").job_infos[0].environment)
        self.worker.finish()
        self.assertEqual(self.srv.stop(), 0)
        db = sqlite3.connect(self.srv.state)
        envs = db.execute("SELECT id, vars FROM environments ORDER BY id").fetchall()
        jobs = db.execute("SELECT id, env, info FROM jobs ORDER BY id").fetchall()
        db.close()
        self.assertEqual(len(envs), 2)
        self.assertIn(b"KQ_BIG=" + b"x" * 3000 + b"\0", envs[0][1])
        self.assertEqual([j[1] for j in jobs], [envs[0][0]] * 3 + [envs[1][0], None])
        for j in jobs:
            self.assertNotIn("KQ_BIG", j[2])
            self.assertNotIn("environment", json.loads(j[2]))
        # Back after a restart, under the same ids; new jobs share them.
        self.srv.start_again()
        self.assertEqual(self.cli.json("show-job", "2").job_info.environment, shown.environment)
        self.kueue("cmd", "--queue-anyway", "true", env=env)
        self.assertEqual(self.srv.stop(), 0)
        db = sqlite3.connect(self.srv.state)
        self.assertEqual(db.execute("SELECT count(*) FROM environments").fetchone()[0], 2)
        self.assertEqual(db.execute("SELECT env FROM jobs WHERE id = 5").fetchone()[0], envs[0][0])
        db.close()
        self.srv.start_again()
        # The last job of an environment goes, and so does its row.
        self.kueue("remove-job", "3")
        self.kueue("clean-jobs")
        self.assertEqual(self.srv.stop(), 0)
        db = sqlite3.connect(self.srv.state)
        self.assertEqual(db.execute("SELECT count(*) FROM environments").fetchone()[0], 1)
        db.close()

    def test_refused_environments(self):
        c = self.srv.client(auth=True)
        job = kp.JobInfo(job_id=0, cmd=["true"], cwd="/tmp",
                         worker_resources=kp.Resources(1, 1, 10),
                         status=kp.JobStatus.Pending(kp.Timestamp.now()),
                         environment=kp.JobEnvironment(["A=1", "B=2", "A=3"], False))
        reply = request(c, C2S.IssueJob(job))
        self.assertIsInstance(reply, S2C.RejectJob)
        self.assertEqual(reply.reason, "Environment variable A is given twice.")
        job.environment = kp.JobEnvironment(["NOVALUE"], False)
        self.assertEqual(request(c, C2S.IssueJob(job)).reason,
                         'Environment variable 1 is not NAME=VALUE: "NOVALUE".')
        # Too large for the messages it travels in: refused as any job.
        job.environment = kp.JobEnvironment(["A%d=%s" % (i, "v" * 100000) for i in range(170)],
                                            False)
        self.assertIn("The job is too large", request(c, C2S.IssueJob(job)).reason)


if __name__ == "__main__":
    unittest.main(verbosity=2)
