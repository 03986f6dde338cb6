"""kueue against a real kueue_server: every subcommand's output (plain text
and --json, decoded with the generated Python module), exit codes, usage
errors, configuration handling and unexpected answers."""

import os
import re
import shutil
import socket
import tempfile
import threading
import unittest

import kqtest
import kueue_protocol as kp
from kqtest import free_port, wait_until
from test_client_harness import (DATE, KUEUE, S2C, SUBCOMMANDS, Client, cells,
                                 client_env, match_lines, run_kueue)

C2S = kp.ClientToServerMessage
RESOURCES = {"genus": 3, "lic": 4}


class Usage(unittest.TestCase):
    """Command-line handling: nothing here reads a config or connects."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-usage-")
        self.config = os.path.join(self.dir, "never.toml")

    def tearDown(self):
        self.assertFalse(os.path.exists(self.config), "a config was written")
        os.rmdir(self.dir)

    def kueue(self, *args):
        return run_kueue(self, ["-c", self.config] + list(args))

    def test_version_and_help(self):
        r = self.kueue("-V")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "kueue 0.20.0\n", ""))
        r = self.kueue("--help")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIn("Usage: kueue [OPTIONS] <COMMAND>", r.stdout)
        for name in SUBCOMMANDS:
            self.assertRegex(r.stdout, r"\n  %s +\S" % name)
        r = self.kueue("help", "remove-job")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: kueue remove-job [OPTIONS] [JOB_ID]", r.stdout)
        self.assertIn("-k, --kill", r.stdout)
        # What it does: cancels; kills only with -k.
        self.assertIn("Cancel a job; with --kill also a running one\n",
                      r.stdout)
        self.assertIn("Also cancel the job if it is already running, by killing it", r.stdout)
        self.assertEqual(self.kueue("cmd", "--help").stdout,
                         self.kueue("help", "cmd").stdout)

    def usage_error(self, args, message, usage):
        r = self.kueue(*args)
        self.assertEqual((r.returncode, r.stdout), (2, ""), r)
        self.assertEqual(r.stderr, "error: %s\n\nUsage: %s\n\nFor more information, "
                                   "try '--help'.\n" % (message, usage))

    def test_usage_errors(self):
        r = self.kueue()
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertIn("Usage: kueue [OPTIONS] <COMMAND>", r.stderr)
        self.usage_error(["bogus"], "unrecognized subcommand 'bogus'",
                         "kueue [OPTIONS] <COMMAND>")
        # Mistyped names get the closest one, as clap suggests it.
        for typed, meant in (("lst-jobs", "list-jobs"), ("lsit-jobs", "list-jobs"),
                             ("wait", "wait-job"), ("cdm", "cmd"), ("clean", "clean-jobs")):
            self.usage_error([typed], "unrecognized subcommand '%s'\n\n  tip: a similar "
                             "subcommand exists: '%s'" % (typed, meant),
                             "kueue [OPTIONS] <COMMAND>")
        self.usage_error(["show"], "unrecognized subcommand 'show'",  # show-job or -worker?
                         "kueue [OPTIONS] <COMMAND>")
        self.usage_error(["help", "lst-jobs"], "unrecognized subcommand 'lst-jobs'\n\n  tip: "
                         "a similar subcommand exists: 'list-jobs'", "kueue help [COMMAND]")
        self.usage_error(["remove-job", "--kil", "3"], "unexpected argument '--kil' found\n\n"
                         "  tip: a similar argument exists: '--kill'",
                         "kueue remove-job [OPTIONS] [JOB_ID]")  # or --array ID
        self.usage_error(["cmd", "--cpu=2", "true"], "unexpected argument '--cpu=2' found\n\n"
                         "  tip: a similar argument exists: '--cpus'",
                         "kueue cmd [OPTIONS] <COMMAND> [ARGS]...")
        self.usage_error(["--confg", "x", "list-jobs"], "unexpected argument '--confg' found"
                         "\n\n  tip: a similar argument exists: '--config'",
                         "kueue [OPTIONS] <COMMAND>")
        cmd_usage = "kueue cmd [OPTIONS] <COMMAND> [ARGS]..."
        self.usage_error(["cmd"], "the following required arguments were not "
                         "provided:\n  <COMMAND> [ARGS]...", cmd_usage)
        self.usage_error(["cmd", "-w", "-j"], "a value is required for "
                         "'--job-slots <N>' but none was supplied", cmd_usage)
        self.usage_error(["cmd", "--cpus=x", "true"], "invalid value 'x' for "
                         "'--cpus <N>': invalid digit found in string", cmd_usage)
        self.usage_error(["cmd", "-c", "99999999999999999999", "true"],
                         "invalid value '99999999999999999999' for '--cpus <N>': "
                         "number too large to fit in target type", cmd_usage)
        self.usage_error(["cmd", "-c", "1", "-c", "2", "true"], "the argument "
                         "'--cpus <N>' cannot be used multiple times", cmd_usage)
        self.usage_error(["cmd", "--wait=yes", "true"], "unexpected value 'yes' for "
                         "'--wait' found; no more were expected", cmd_usage)
        self.usage_error(["show-job"], "the following required arguments were not "
                         "provided:\n  <JOB_ID>", "kueue show-job [OPTIONS] <JOB_ID>")
        self.usage_error(["show-job", "-1"], "unexpected argument '-1' found",
                         "kueue show-job [OPTIONS] <JOB_ID>")
        self.usage_error(["show-job", "1", "2"], "unexpected argument '2' found",
                         "kueue show-job [OPTIONS] <JOB_ID>")
        self.usage_error(["list-jobs", "--wait"], "unexpected argument '--wait' "
                         "found", "kueue list-jobs [OPTIONS]")
        self.usage_error(["list-workers", "-x"], "unexpected argument '-x' found",
                         "kueue list-workers [OPTIONS]")
        self.usage_error(["complete", "tcsh"], "invalid value 'tcsh' for '<SHELL>'\n"
                         "  [possible values: bash, zsh, fish]", "kueue complete <SHELL>")
        self.usage_error(["help", "nope"], "unrecognized subcommand 'nope'",
                         "kueue help [COMMAND]")
        # -c/--config belongs before the subcommand only.
        self.usage_error(["list-workers", "--config", "x"], "unexpected argument "
                         "'--config' found", "kueue list-workers [OPTIONS]")


class Config(unittest.TestCase):
    def test_template_written_once_with_mode_0600(self):
        d = tempfile.mkdtemp(prefix="kq-config-")
        self.addCleanup(shutil.rmtree, d, True)
        env = client_env(XDG_CONFIG_HOME=os.path.join(d, "sub"))
        path = os.path.join(d, "sub", "kueue", "config.toml")
        # Nothing listens on the port of a fresh template here, or if
        # something does, it is not this test's business: only the file counts.
        r = run_kueue(self, ["list-workers"], env=env)
        self.assertIn("Wrote a new configuration", r.stderr)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as fh:
            text = fh.read()
        self.assertRegex(text, r'shared_secret = "[A-Za-z0-9]{64}"')
        self.assertIn("[client_settings]", text)
        run_kueue(self, ["list-workers"], env=env)
        with open(path) as fh:
            self.assertEqual(fh.read(), text)

    def test_bad_config_and_log_level(self):
        d = tempfile.mkdtemp(prefix="kq-config-")
        path = os.path.join(d, "config.toml")
        self.addCleanup(lambda: os.remove(path) or os.rmdir(d))
        kqtest.write_config(path, {"common_settings": {"server_port": "many"}})
        r = run_kueue(self, ["-c", path, "list-jobs"])
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("Error: Failed to load config: "), r.stderr)
        kqtest.write_config(path, {"common_settings": {"log_level": "loud"}})
        r = run_kueue(self, ["-c", path, "list-jobs"])
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, "^Error: .*trace, debug, info, warn, error")

    def test_connection_refused(self):
        port = free_port()
        cli = Client(self, port=port)
        self.assertEqual(cli.fails(1, "list-jobs"),
                         "Error: connect 127.0.0.1:%d: Connection refused: is kueue_server "
                         "running on 127.0.0.1:%d? (server_name/server_port in %s)\n"
                         % (port, port, cli.config))


    def test_server_by_name(self):
        # kueue is linked statically: its glibc looks names up by itself
        # (/etc/hosts here; "localhost" may also give ::1, tried in turn).
        srv = kqtest.Server(self)
        cli = Client(self, srv, server_name="localhost")
        self.assertEqual(cli.queued("cmd", "true").strip(), "0")
        bad = Client(self, srv, server_name="no..such.host")
        self.assertEqual(bad.fails(1, "list-jobs"),
                         "Error: resolve no..such.host:%d: Name or service not known: is "
                         "kueue_server running on no..such.host:%d? (server_name/server_port "
                         "in %s)\n" % (srv.port, srv.port, bad.config))


class Commands(unittest.TestCase):
    def setUp(self):
        self.srv = kqtest.Server(self, global_resources=RESOURCES)
        self.cli = Client(self, self.srv, cpus=2, ram=300)

    def test_cmd_builds_the_job_of_the_reference(self):
        # The working directory is sent resolved: through a symlink.
        real = os.path.join(self.cli.dir, "real dir")
        os.mkdir(real)
        link = os.path.join(self.cli.dir, "link")
        os.symlink(real, link)
        out = self.cli.queued("cmd", "-j", "2", "-c3", "--ram-mb=400", "--resource", "genus",
                          "--resource", "lic=2", "--resource", "genus=2", "-o", "out.txt",
                          "-e", "null", "./script.sh", "--flag", "-x", "a b", cwd=link)
        self.assertEqual(out, "0\n")
        info = self.cli.json("show-job", "0")
        self.assertIsInstance(info, S2C.JobInfo)
        job = info.job_info
        self.assertEqual(job.cmd, ["./script.sh", "--flag", "-x", "a b"])
        self.assertEqual(job.cwd, os.path.realpath(real))
        self.assertEqual((job.worker_resources.job_slots, job.worker_resources.cpus,
                          job.worker_resources.ram_mb), (2, 3, 400))
        self.assertEqual(job.global_resources, {"genus": 2, "lic": 2})
        self.assertEqual((job.stdout_path, job.stderr_path), ("out.txt", "null"))
        self.assertIsInstance(job.status, kp.JobStatus.Pending)
        self.assertEqual((info.stdout_text, info.stderr_text), (None, None))

        match_lines(self, self.cli.ok("show-job", "0"), [
            "=== job information ===",
            "job id: 0",
            "command: ./script.sh --flag -x a b",
            "working directory: " + re.escape(os.path.realpath(real)),
            "required job slots: 2",
            "required CPU cores: 3",
            "required RAM: 400 megabytes",
            "",
            "additional resources:",
            "   2x genus",
            "   2x lic",
            "",
            "job status: pending",
            "   issued on: " + DATE,
            "   waiting: no worker connected"])

    def test_cmd_defaults_and_verbatim_command(self):
        # Inside cmd, -c is --cpus; after the command starts, words are its own.
        self.assertEqual(self.cli.queued("cmd", "sh", "-c", "exit 3", "-w"), "0\n")
        self.assertEqual(self.cli.queued("cmd", "--", "-w", first=1), "1\n")
        accepted = kp.decode(S2C, self.cli.queued("cmd", "--json", "echo", "--json", first=2))
        self.assertIsInstance(accepted, S2C.AcceptJob)
        self.assertEqual(accepted.value.job_id, 2)
        self.assertEqual(accepted.value.cmd, ["echo", "--json"])
        jobs = self.cli.jobs()
        self.assertEqual([j.cmd for j in jobs], [["sh", "-c", "exit 3", "-w"], ["-w"],
                                                 ["echo", "--json"]])
        for j in jobs:
            self.assertEqual((j.worker_resources.job_slots, j.worker_resources.cpus,
                              j.worker_resources.ram_mb), (1, 2, 300))
            self.assertIsNone(j.global_resources)
            self.assertEqual((j.stdout_path, j.stderr_path), (None, None))

    def test_cmd_errors(self):
        self.assertEqual(self.cli.fails(1, "cmd", "--resource", "a=b=c", "true"),
                         "Error: Failed to parse resource: a=b=c\n")
        self.assertEqual(self.cli.fails(1, "cmd", "--resource", "genus=x", "true"),
                         "Error: Failed to parse resource: 'genus=x', invalid digit "
                         "found in string\n")
        self.assertEqual(self.cli.fails(1, "cmd", "--resource", "nope", "true"),
                         "Error: Job rejected by server: Required resource not "
                         "configured on server: nope\n")
        self.assertEqual(self.cli.fails(1, "cmd", "-j", "101", "true"),
                         "Error: Job rejected by server: Job requires more slots than "
                         "the server will allow at once! See global_max_parallel_jobs "
                         "setting in config.\n")
        r = self.cli.run("cmd", "--json", "--resource", "genus=4", "true")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "Error: Job rejected by server: Required resource "
                                   "exceeds limits configured on the server: max. genus=3\n")
        self.assertIsInstance(kp.decode(S2C, r.stdout), S2C.RejectJob)
        self.assertEqual(self.cli.jobs(), [])

    def test_authentication_failure(self):
        bad = Client(self, self.srv, secret="not the secret")
        self.assertEqual(bad.fails(1, "cmd", "true"),
                         "Error: Authentication failed! The shared_secret in %s must "
                         "be the server's.\n" % bad.config)
        self.assertEqual(bad.fails(1, "remove-job", "0"),
                         "Error: Authentication failed! The shared_secret in %s must "
                         "be the server's.\n" % bad.config)
        # Queries need no authentication.
        self.assertIsInstance(bad.json("list-workers"), S2C.WorkerList)

    def test_list_jobs_table_filters_and_json(self):
        w = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)
        for cmd in (["true"], ["false"], ["sleep", "100"]):
            self.cli.ok("cmd", *cmd)
        w.run_next(0)
        w.run_next(3)
        w.start_next()  # job 2 runs
        self.cli.ok("cmd", "ls", "-l")         # 3 stays pending (the worker is busy)
        self.cli.ok("cmd", "--resource", "genus=2", "echo", "x")  # 4
        self.assertEqual(self.cli.ok("remove-job", "4"), "Canceled job ID=4!\n")
        cwd = os.path.realpath(self.cli.dir)

        out = self.cli.ok("list-jobs")
        lines = out.split("\n")
        self.assertEqual(lines[-1], "")
        table, summary = lines[:-3], lines[-3:-1]
        self.assertEqual(len(table), 6)
        # Piped, the columns keep their padding, as the reference's (README).
        width = len(table[0])
        for line in table:
            self.assertEqual(len(line), width, out)
        self.assertEqual(cells(table[0]), ["id", "working directory", "command", "cpus",
                                           "memory", "other", "worker", "status"])
        rows = [cells(line) for line in table[1:]]
        self.assertEqual([r[:7] for r in rows], [
            ["0", cwd, "true", "2 x", "300 MB", "---", "node1"],
            ["1", cwd, "false", "2 x", "300 MB", "---", "node1"],
            ["2", cwd, "sleep 100", "2 x", "300 MB", "---", "node1"],
            ["3", cwd, "ls -l", "2 x", "300 MB", "---", "---"],
            ["4", cwd, "echo x", "2 x", "300 MB", "2x genus", "---"]])
        self.assertEqual(rows[0][7], "finished after 0h:00m:00s")
        self.assertEqual(rows[1][7], "failed with code 3")
        self.assertRegex(rows[2][7], r"^running for 0h:00m:0\ds$")
        self.assertRegex(rows[3][7], "^pending since " + DATE + r" \(workers busy\)$")
        self.assertRegex(rows[4][7], "^canceled on " + DATE + "$")
        self.assertRegex(summary[0], r"^--- job status summary --- +average job runtime: "
                                     r"0h:00m:00s$")
        self.assertRegex(summary[1], r"^pending: 1, running: 1, succeeded: 1, failed: 1, "
                                     r"canceled: 1 +remaining jobs ETA: \dh:\d\dm:\d\ds$")
        self.assertEqual(len(summary[0]), width)
        self.assertEqual(len(summary[1]), width)

        every = self.cli.json("list-jobs")
        self.assertIsInstance(every, S2C.JobList)
        self.assertEqual([j.job_id for j in every.job_infos], [0, 1, 2, 3, 4])
        self.assertEqual((every.jobs_pending, every.jobs_offered, every.jobs_running,
                          every.jobs_succeeded, every.jobs_failed, every.jobs_canceled),
                         (1, 0, 1, 1, 1, 1))
        self.assertEqual([j.job_id for j in self.cli.jobs(2)], [3, 4])
        self.assertEqual([j.job_id for j in self.cli.json("list-jobs", "-f").job_infos], [1])
        self.assertEqual([j.job_id for j in self.cli.json("list-jobs", "-pr").job_infos],
                         [2, 3])
        self.assertEqual([j.job_id for j in self.cli.json("list-jobs", "--succeeded",
                                                          "-c").job_infos], [0, 4])
        self.assertEqual(self.cli.json("list-jobs", "-o").job_infos, [])

        # Filtering happens on the server; the table shows what came back.
        out = self.cli.ok("list-jobs", "-f")
        self.assertEqual(cells(out.split("\n")[1])[:3], ["1", cwd, "false"])

    def test_empty_list_has_no_padding(self):
        # Reference bug 34: off a terminal the footer was padded to 1,000,000
        # columns; now one space separates the halves.
        self.assertEqual(self.cli.ok("list-jobs"),
                         "--- job status summary --- average job runtime: 0h:00m:00s\n"
                         "pending: 0 remaining jobs ETA: 0h:00m:00s\n")

    def test_show_job_output_and_not_found(self):
        w = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)
        self.cli.ok("cmd", "echo", "hello")
        w.run_next(0, stdout="hello\n")
        info = self.cli.json("show-job", "0")
        self.assertIsInstance(info.job_info.status, kp.JobStatus.Finished)
        self.assertEqual(info.stdout_text, "hello\n")
        match_lines(self, self.cli.ok("show-job", "0"), [
            "=== job information ===", "job id: 0", "command: echo hello",
            "working directory: " + re.escape(os.path.realpath(self.cli.dir)),
            "required job slots: 1", "required CPU cores: 2", "required RAM: 300 megabytes",
            "", "job status: finished", "   issued on: " + DATE, "   started on: " + DATE,
            "   finished on: " + DATE, "   return code: 0", "   executed on: node1",
            "   runtime: 0h:00m:00s", "   comment: Job finished orderly.", "",
            "=== stdout ===", "hello", ""])
        self.assertEqual(self.cli.fails(1, "show-job", "7"), "Error: Job not found!\n")
        r = self.cli.run("show-job", "7", "--json")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: Job not found!\n"))
        self.assertEqual(kp.decode(S2C, r.stdout),
                         S2C.RequestResponse(success=False, text="Job not found!"))

    def test_remove_and_clean(self):
        w = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)
        for cmd in ("true", "false", "sleep", "ls"):
            self.cli.ok("cmd", cmd)
        w.run_next(0)
        w.run_next(1)
        w.start_next()  # job 2 runs
        self.assertEqual(self.cli.ok("remove-job", "3"), "Canceled job ID=3!\n")
        self.assertEqual(self.cli.fails(1, "remove-job", "3"),
                         "Error: Job ID=3 is already canceled!\n")
        self.assertEqual(self.cli.fails(1, "remove-job", "0"),
                         "Error: Job ID=0 has already finished! Finished jobs leave the list "
                         "with kueue clean-jobs (-a: failed ones too).\n")
        self.assertEqual(self.cli.fails(1, "remove-job", "99"),
                         "Error: Job with ID=99 not found!\n")
        # A running job: the reference's refusal, and what to do instead.
        started = ("Error: Job ID=2 has already started! To stop it, kill it: kueue "
                   "remove-job -k 2\n")
        self.assertEqual(self.cli.fails(1, "remove-job", "2"), started)
        r = self.cli.run("remove-job", "2", "--json")
        self.assertEqual((r.returncode, r.stderr), (1, started))
        self.assertEqual(kp.decode(S2C, r.stdout), S2C.RequestResponse(
            success=False, text="Job ID=2 has already started!"))
        msg = self.cli.json("remove-job", "--kill", "2")
        self.assertEqual(msg, S2C.RequestResponse(success=True, text="Canceled job ID=2!"))
        kill = w.recv()
        self.assertIsInstance(kill, kqtest.S2W.KillJob)
        self.assertEqual(kill.value.job_id, 2)
        # As a worker does: report the killed job canceled.
        w.send(kqtest.W2S.UpdateJobStatus(kill.value))
        w.send(kqtest.W2S.UpdateJobResults(job_id=2, stdout_text=None, stderr_text=None))
        wait_until(lambda: isinstance(self.cli.json("show-job", "2").job_info.status,
                                      kp.JobStatus.Canceled), what="job 2 canceled")

        self.assertEqual(self.cli.ok("clean-jobs"), "Removed finished and canceled jobs!\n")
        self.assertEqual([j.job_id for j in self.cli.jobs()], [1])
        msg = self.cli.json("clean-jobs", "-a")
        self.assertEqual(msg, S2C.RequestResponse(success=True,
                                                  text="Removed finished and canceled jobs!"))
        self.assertEqual(self.cli.jobs(), [])

    def test_workers(self):
        self.assertEqual(self.cli.ok("list-workers"), "No workers registered on server!\n")
        self.assertEqual(self.cli.json("list-workers"), S2C.WorkerList([]))
        w = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)
        w.keepalive()
        workers = wait_until(lambda: [x for x in self.cli.json("list-workers").value
                                      if x.system_info.total_ram_mb == 16000],
                             what="the worker's system info")
        self.assertEqual([x.worker_name for x in workers], ["node1"])
        out = self.cli.ok("list-workers")
        lines = out.split("\n")
        self.assertEqual(len(lines), 3, out)
        self.assertEqual(cells(lines[0]), ["id", "name", "operating system", "cpus",
                                           "avg freq", "memory", "jobs", "busy",
                                           "load 1/5/15m", "uptime"])
        row = cells(lines[1])
        self.assertEqual(row[:3], ["0", "node1", "Linux 12 Debian GNU/Linux"])
        self.assertEqual(row[3:7], ["8 x", "2000 MHz", "16000 MB", "---"])
        self.assertEqual(row[8:], ["0.0 0.0 0.0", "0d 00h"])
        info = self.cli.json("show-worker", "0")
        self.assertIsInstance(info, S2C.WorkerInfo)
        self.assertEqual(info.value.worker_name, "node1")
        self.assertEqual(info.value.system_info.total_ram_mb, 16000)
        match_lines(self, self.cli.ok("show-worker", "0"), [
            "=== worker information ===", "worker id: 0", "name: node1",
            "connected since: " + DATE, "", "system information",
            "   kernel: 6.1.0", "   distribution: Linux 12 Debian GNU/Linux",
            "   cpu cores: 8", "   cpu frequency: 2000 megahertz",
            "   total memory: 16000 megabytes", "last updated: " + DATE, "",
            "system load and resources", "   load: 0.0 / 0.0 / 0.0",
            "   jobs offered: ---", "   jobs running: ---", "   free jobs slots: 1",
            "   free cpus: 8 / 8", "   free ram: 8000 / 16000 megabytes",
            r"total occupation: \d+\.\d\d %"])
        self.assertEqual(self.cli.fails(1, "show-worker", "5"), "Error: Worker not found!\n")

    def test_resources(self):
        w = kqtest.FakeWorker(self.srv.port, "node1", self.srv.secret, test=self)
        self.cli.ok("cmd", "--resource", "genus=2", "true")
        w.start_next()
        self.assertEqual(self.cli.ok("list-resources"),
                         "| resource | used | total |\n"
                         "| genus    |    2 |     3 |\n"
                         "| lic      |    0 |     4 |\n")
        self.assertEqual(self.cli.json("list-resources"),
                         S2C.ResourceList(used_resources={"genus": 2},
                                          total_resources=RESOURCES))

    def test_colours_only_when_asked_and_never_with_no_color(self):
        args = ["-c", self.cli.config, "list-resources"]
        plain = run_kueue(self, args, env=client_env(TERM="xterm"))
        self.assertNotIn("\x1b[", plain.stdout)  # not a terminal
        forced = run_kueue(self, args, env=client_env(CLICOLOR_FORCE="1"))
        self.assertNotIn("\x1b[", forced.stdout)  # client_env sets NO_COLOR
        env = client_env(CLICOLOR_FORCE="1")
        del env["NO_COLOR"]
        forced = run_kueue(self, args, env=env)
        self.assertEqual(forced.returncode, 0)
        self.assertIn("| \x1b[1m\x1b[4mresource\x1b[0m |", forced.stdout)
        self.assertIn("\x1b[32m   0\x1b[0m", forced.stdout)

    def test_no_resources_configured(self):
        srv = kqtest.Server(self)
        cli = Client(self, srv)
        self.assertEqual(cli.ok("list-resources"), "No resources configured on the server.\n")
        self.assertEqual(cli.json("list-resources"),
                         S2C.ResourceList(used_resources=None, total_resources=None))


class FakeServer(threading.Thread):
    """Answers the first request after the handshake with fixed bytes."""

    def __init__(self, test, answer):
        super().__init__(daemon=True)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.answer = answer
        test.addCleanup(self.listener.close)
        self.start()

    def run(self):
        sock, _ = self.listener.accept()
        with sock:
            framer = kp.Framer()
            got = []
            welcomed = False
            while len(got) < 2:
                got += framer.feed(sock.recv(65536))
                # The client may send its request along with the hello.
                if got and not welcomed:
                    sock.sendall(b'"WelcomeClient"')
                    welcomed = True
            sock.sendall(self.answer)
            sock.recv(65536)


class Unexpected(unittest.TestCase):
    def test_unexpected_answer(self):
        srv = FakeServer(self, b'{"WorkerList":[]}')
        cli = Client(self, port=srv.port)
        self.assertEqual(cli.fails(1, "list-jobs"),
                         'Error: Expected JobList, received: {"WorkerList":[]}\n')

    def test_invalid_answer(self):
        srv = FakeServer(self, b'{"JobList":{"job_infos":[]}}')
        cli = Client(self, port=srv.port)
        err = cli.fails(1, "list-jobs")
        self.assertTrue(err.startswith("Error: invalid message from the server: "), err)

    def test_server_bye(self):
        srv = FakeServer(self, b'"Bye"')
        cli = Client(self, port=srv.port)
        self.assertEqual(cli.fails(1, "show-worker", "1"),
                         "Error: the server is shutting down (it said Bye)\n")


if __name__ == "__main__":
    assert KUEUE, "KQ_CLIENT is not set"
    unittest.main()
