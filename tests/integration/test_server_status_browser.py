"""The status page in a real browser: a kueue_server with a real
kueue_worker and jobs in every state, the page opened in headless
Chromium: the DOM it built (counts, the worker's row, the charts, the
escaped command), no Content-Security-Policy violation (the page's own
style and script are allowed by their hashes), and a screenshot saved in
the build folder ($KQ_ARTIFACTS/status-page.png)."""

import os
import shutil
import signal
import subprocess
import tempfile
import unittest

from kqtest import C2S, Server, Worker, issue, request, sleep_marker, wait_until

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]


def chromium():
    """Chromium's path; CI installs it, elsewhere the test is skipped."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        raise AssertionError("chromium is missing (tools/kq-test.sh installs it)")
    raise unittest.SkipTest("chromium is not installed")


def run_chromium(test, args):
    """Runs Chromium with a fresh profile; (stdout, stderr).  Its helper
    processes share its process group, which is killed afterwards."""
    profile = tempfile.mkdtemp(prefix="kq-chromium-")
    test.addCleanup(shutil.rmtree, profile, True)
    proc = subprocess.Popen([chromium()] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    test.assertEqual(proc.returncode, 0, err.decode(errors="replace")[-3000:])
    return out.decode(), err.decode(errors="replace")


class Browser(unittest.TestCase):
    def test_page_in_chromium(self):
        chromium()
        srv = Server(self, global_resources={"licence": 1})
        c = srv.client(auth=True)
        Worker(self, srv.port, worker_name='lab "one"', worker_max_parallel_jobs=4,
               dynamic_check_free_resources=False)
        wait_until(lambda: request(c, C2S.ListWorkers()).value, what="the worker")
        issue(c, cmd=("true",), cpus=1)
        issue(c, cmd=("sh", "-c", "exit 3"), cpus=1)
        wait_until(lambda: request(c, C2S.ListJobs(num_jobs=10, succeeded=True,
                                                   failed=True)).job_infos,
                   lambda jobs: len(jobs) == 2, what="two jobs ended")
        mark = sleep_marker(self)
        issue(c, cmd=("sleep", mark), cpus=1, resources={"licence": 1})
        for _ in range(3):  # more CPUs than any machine here has
            issue(c, cmd=("sh", "-c", "echo '<script>alert(1)</script>'"), cpus=100000, queue_anyway=True)
        wait_until(lambda: request(c, C2S.ListJobs(num_jobs=10)).jobs_running == 1,
                   what="a running job")

        url = "http://127.0.0.1:%d/" % srv.status_port
        dom, log = run_chromium(self, ["--dump-dom", url])
        self.assertIn('id="count-running">1<', dom)
        self.assertIn('id="count-pending">3<', dom)
        self.assertIn('id="count-succeeded">1<', dom)
        self.assertIn('id="count-failed">1<', dom)
        self.assertIn('id="count-workers">1<', dom)
        self.assertIn('<tr class="worker" data-name="lab &quot;one&quot;">', dom)
        self.assertIn('<svg class="chart" id="chart-jobs"', dom)
        self.assertIn('<svg class="chart" id="chart-finished"', dom)
        self.assertIn("<polyline", dom)
        self.assertIn("echo '&lt;script&gt;alert(1)&lt;/script&gt;'", dom)
        self.assertEqual(dom.count("<script"), 1, "only the page's own script")
        self.assertIn("sleep " + mark, dom)
        self.assertIn(">licence<", dom)
        self.assertNotIn("Content Security Policy", log)
        self.assertNotIn("Content-Security-Policy", log)

        folder = os.environ.get("KQ_ARTIFACTS") or tempfile.mkdtemp(prefix="kq-artifacts-")
        os.makedirs(folder, exist_ok=True)
        shot = os.path.join(folder, "status-page.png")
        if os.path.exists(shot):
            os.unlink(shot)
        run_chromium(self, ["--screenshot=" + shot, "--window-size=1280,900",
                            "--hide-scrollbars", url])
        with open(shot, "rb") as fh:
            png = fh.read()
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertGreater(len(png), 20000, "a page, not a blank")
        print("screenshot: %s" % shot)


if __name__ == "__main__":
    unittest.main()
