"""`kueue list-jobs` on terminals of several widths against an independent
implementation of the reference's layout (Kueue 0.19, src/client/print:
col_widths, dots_front, dots_back, job_list; reference section 5.3).

The client runs on a pseudo-terminal of the given size (it asks the
terminal for its width, as the reference does) against a fake server that
answers ListJobs with jobs whose directories, commands, global resources,
worker names and statuses are all long, so every elastic column is under
pressure.  The data are ASCII, so the output must be byte-identical.
Issue 11.4: the "other" column is sized like the others but never cut."""

import fcntl
import os
import pty
import struct
import subprocess
import termios
import time
import unittest

import kueue_protocol as kp
from test_client_harness import KUEUE, C2S, S2C, Client, RecordingServer, client_env

JS = kp.JobStatus


# ---- the reference's layout, written from its source ------------------

def col_widths(min_w, max_w, term_width):
    max_w = [max(a, b) for a, b in zip(max_w, min_w)]
    available = term_width - (3 * len(min_w) + 1)
    if sum(max_w) <= available:
        return max_w
    if available <= sum(min_w):
        return list(min_w)
    widths = list(min_w)
    remaining = available - sum(widths)
    while remaining > 0:
        # A stable sort by width: ties go to the lowest index.
        for i in sorted(range(len(widths)), key=lambda i: widths[i]):
            if widths[i] < max_w[i]:
                widths[i] += 1
                remaining -= 1
                break
        else:
            raise AssertionError("unreachable in the reference")
    return widths


def dots_front(text, n):
    return text if len(text) <= n else "..." + text[len(text) - (n - 3):]


def dots_back(text, n):
    return text if len(text) <= n else text[:n - 3] + "..."


def tdiv(a, b):
    """Rust's integer division: truncated toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def tmod(a, b):
    return a - b * tdiv(a, b)


def elapsed(seconds):
    return "%dh:%02dm:%02ds" % (tdiv(seconds, 3600), tdiv(tmod(seconds, 3600), 60),
                                tmod(seconds, 60))


def date(ts, now):
    lt, today = time.localtime(ts.sec), time.localtime(now)
    if (lt.tm_year, lt.tm_mon) == (today.tm_year, today.tm_mon):
        if lt.tm_mday == today.tm_mday:
            return time.strftime("today %H:%M:%S", lt)
        if today.tm_mday == lt.tm_mday + 1:
            return time.strftime("yesterday %H:%M:%S", lt)
    return time.strftime("%Y-%m-%d %H:%M:%S", lt)


def status_text(st, now):
    if isinstance(st, JS.Pending):
        return "pending since " + date(st.issued, now)
    if isinstance(st, JS.Offered):
        return "offered on " + date(st.offered, now)
    if isinstance(st, JS.Running):
        return "running for " + elapsed(now - st.started.sec)
    if isinstance(st, JS.Finished):
        if st.return_code == 0:
            return "finished after " + elapsed(st.run_time_seconds)
        return "failed with code %d" % st.return_code
    return "canceled on " + date(st.canceled, now)


def worker_text(st):
    return st.worker if isinstance(st, (JS.Offered, JS.Running, JS.Finished)) else "---"


def resources_text(res):
    if res is None:
        return "---"
    return ", ".join("%dx %s" % (amount, name) for name, amount in sorted(res.items()))


def reference_job_list(reply, term_width, now):
    """The reference's plain output of job_list for a JobList."""
    jobs = reply.job_infos
    out = []
    footer_width = term_width
    if jobs:
        rows = [(str(j.job_id), j.cwd, " ".join(j.cmd), "%d x" % j.worker_resources.cpus,
                 "%d MB" % j.worker_resources.ram_mb, resources_text(j.global_resources),
                 worker_text(j.status), status_text(j.status, now)) for j in jobs]

        def widest(i):
            return max(len(r[i]) for r in rows)
        min_w = [max(2, len(str(jobs[-1].job_id))), 17, 7, max(4, widest(3)),
                 max(6, widest(4)), 5, 6, 6]
        max_w = [0, widest(1), widest(2), 0, 0, widest(5), widest(6), widest(7)]
        w = col_widths(min_w, max_w, term_width)
        footer_width = sum(w) + 3 * len(w) + 1
        heads = ["id", "working directory", "command", "cpus", "memory", "other", "worker",
                 "status"]
        out.append("| " + " | ".join(h.ljust(n) for h, n in zip(heads, w)) + " |")
        for r in rows:
            cells = [r[0].rjust(w[0]), dots_front(r[1], w[1]).ljust(w[1]),
                     dots_back(r[2], w[2]).ljust(w[2]), r[3].rjust(w[3]), r[4].rjust(w[4]),
                     r[5].ljust(w[5]), dots_back(r[6], w[6]).ljust(w[6]),
                     dots_back(r[7], w[7]).ljust(w[7])]
            out.append("| " + " | ".join(cells) + " |")

    def right(used, text):
        if footer_width > used + len(text):
            return " " * (footer_width - used - len(text)) + text
        return " " + text
    heading = "--- job status summary ---"
    out.append(heading + right(len(heading), "average job runtime: "
                               + elapsed(reply.job_avg_run_time_seconds)))
    counts = "pending: %d" % reply.jobs_pending
    for label, n in (("offered", reply.jobs_offered), ("running", reply.jobs_running),
                     ("succeeded", reply.jobs_succeeded), ("failed", reply.jobs_failed),
                     ("canceled", reply.jobs_canceled)):
        if n > 0:
            counts += ", %s: %d" % (label, n)
    out.append(counts + right(len(counts), "remaining jobs ETA: "
                              + elapsed(reply.remaining_jobs_eta_seconds)))
    return "\n".join(out) + "\n"


# ---- the test ----------------------------------------------------------

def ts(text):
    return kp.Timestamp.parse(text)


def roomy_worker():
    """An idle worker that fits every job of job_list()."""
    now = kp.Timestamp.now()
    return kp.WorkerInfo(worker_id=1, worker_name="big", connected_since=now,
                         system_info=kp.SystemInfo("6.1.0", "Linux", 1024, 2000, 10 ** 9,
                                                   kp.LoadInfo(0.0, 0.0, 0.0)),
                         last_updated=now, jobs_offered=[], jobs_running=[],
                         free_resources=kp.Resources(1000, 1024, 10 ** 9))


def job_list():
    issued = ts("2020-01-05T10:00:00Z")
    started = ts("2020-01-05T11:00:00Z")
    ended = ts("2020-01-05T12:34:56Z")
    base = "/home/researcher/projects/protein-folding-simulations/"

    def job(job_id, cwd, cmd, status, resources=None, cpus=8, ram=8192):
        return kp.JobInfo(job_id=job_id, cmd=cmd, cwd=base + cwd,
                          worker_resources=kp.Resources(1, cpus, ram),
                          global_resources=resources, status=status)
    jobs = [
        job(7, "run-2020-01-05/alpha", ["sleep", "10"], JS.Pending(issued)),
        job(42, "batch/beta", ["python3", "train.py", "--epochs", "100", "--learning-rate",
                               "0.001", "--output", "results/beta"],
            JS.Offered(issued=issued, offered=started,
                       worker="compute-node-042.cluster.example.org"),
            {"matlab-license": 2, "gpu-a100": 1, "primelib": 4}, cpus=16, ram=65536),
        job(99, "gamma", ["make", "-j16", "all"],
            JS.Running(issued=issued, started=started, worker="gpu-box-7")),
        job(100, "delta/with/a/rather/deep/directory/structure", ["./run.sh", "--fast"],
            JS.Finished(issued=issued, started=started, finished=ended, return_code=0,
                        worker="workstation-of-someone-in-the-lab", run_time_seconds=5696,
                        comment="Job finished orderly."),
            {"genus": 1}),
        job(1234, "eps", ["false"],
            JS.Finished(issued=issued, started=started, finished=ended, return_code=137,
                        worker="n1", run_time_seconds=3, comment="Job finished orderly."),
            {"a-very-long-global-resource-name-for-licences": 12}),
        job(1235, "zeta/canceled", ["ls", "-la"], JS.Canceled(issued=issued, canceled=ended)),
    ]
    return S2C.JobList(job_infos=jobs, jobs_pending=1, jobs_offered=1, jobs_running=1,
                       jobs_succeeded=1, jobs_failed=1, jobs_canceled=1,
                       job_avg_run_time_seconds=2849, remaining_jobs_eta_seconds=95)


def run_on_terminal(argv, columns, rows=50):
    """Runs argv with stdout on a pseudo-terminal of that size (output
    processing off, so lines end in \\n as written); returns (exit code,
    stdout, stderr)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    err_r, err_w = os.pipe()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=err_w,
                            env=client_env())
    os.close(slave)
    os.close(err_w)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    with os.fdopen(err_r, "rb") as fh:
        err = fh.read().decode()
    code = proc.wait(timeout=30)
    return code, out.decode(), err


class Table(unittest.TestCase):
    def setUp(self):
        self.reply = job_list()
        # An original server, which gives no reasons: the client asks for
        # the workers, and a roomy idle one tells none either, so the
        # table is the reference's.
        self.srv = RecordingServer(self, lambda msg, state: [
            S2C.WorkerList([roomy_worker()]) if isinstance(msg, C2S.ListWorkers) else self.reply])
        self.cli = Client(self, port=self.srv.port)

    def list_jobs(self, columns):
        """The client's output and the reference's for the second it ran
        in (a running job's status counts seconds)."""
        before = int(time.time())
        code, out, err = run_on_terminal(
            [KUEUE, "-c", self.cli.config, "list-jobs", "-n", "50"], columns)
        after = int(time.time())
        self.assertEqual((code, err), (0, ""), out)
        sent = self.srv.sessions.get(timeout=30)
        self.assertEqual(sent[1], C2S.ListJobs(num_jobs=50))
        expected = [reference_job_list(self.reply, columns, now)
                    for now in range(before, after + 1)]
        return out, expected

    def test_widths_match_the_reference(self):
        for columns in (300, 160, 120, 100, 90, 80):
            with self.subTest(columns=columns):
                out, expected = self.list_jobs(columns)
                self.assertIn(out, expected, "\n" + out + "\nexpected:\n" + expected[-1])

    def test_other_is_never_cut(self):
        out, _ = self.list_jobs(90)
        self.assertIn("| 1x gpu-a100, 2x matlab-license, 4x primelib |", out)
        self.assertIn("| 12x a-very-long-global-resource-name-for-licences |", out)
        # ... while the other columns are.
        self.assertIn("...", out.split("\n")[1])


if __name__ == "__main__":
    assert KUEUE, "KQ_CLIENT is not set"
    unittest.main()
