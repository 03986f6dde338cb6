"""tools/kq-deps.sh, which the set-up scripts source: it needs neither root
nor sudo when every package is installed, and says what to do when it
cannot install what is missing.  sudo, apt-get and id are stand-ins that
record their calls; dpkg-query is the real one."""

import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
DEPS = os.path.join(ROOT, "tools", "kq-deps.sh")
MISSING = "kq-no-such-package"


class Deps(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kq-deps-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin)
        self.log = os.path.join(self.dir, "calls")
        open(self.log, "w").close()
        # Only what the script may use: nothing else can be found on PATH.
        for tool in ("dpkg-query", "grep"):
            os.symlink(shutil.which(tool), os.path.join(self.bin, tool))

    def stub(self, name, code=0, output=""):
        path = os.path.join(self.bin, name)
        with open(path, "w") as fh:
            fh.write('#!/bin/sh\necho "%s $*" >>%s\n%sexit %d\n'
                     % (name, self.log, 'echo "%s"\n' % output if output else "", code))
        os.chmod(path, 0o755)

    def need(self, *packages):
        r = subprocess.run(["/bin/bash", "-c", '. "$1"; shift; kq_need_packages "$@"', "-",
                            DEPS] + list(packages),
                           env={"PATH": self.bin}, capture_output=True, text=True, timeout=60)
        with open(self.log) as fh:
            return r, fh.read().splitlines()

    def build_packages(self):
        r = subprocess.run(["/bin/bash", "-c", '. "$1"; echo "${KQ_BUILD_PACKAGES[@]}"', "-",
                            DEPS], capture_output=True, text=True, check=True)
        return r.stdout.split()

    def test_nothing_missing_needs_no_root(self):
        self.stub("id", output="1000")
        self.stub("sudo", code=1)
        self.stub("apt-get", code=1)
        r, calls = self.need(*self.build_packages())
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(calls, [])

    def test_missing_as_a_user_with_sudo(self):
        self.stub("id", output="1000")
        self.stub("sudo")
        r, calls = self.need("bash", MISSING)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r)
        self.assertEqual(calls, ["id -u", "sudo -n apt-get update -q",
                                 "sudo -n apt-get install -y -q --no-install-recommends "
                                 + MISSING])

    def test_missing_without_sudo_says_what_to_do(self):
        self.stub("id", output="1000")
        r, calls = self.need(MISSING)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "kueue-c: cannot install the missing packages: %s\n"
                                   "kueue-c: have them installed (as root: apt-get install "
                                   "%s), then run this again; nothing else needs root\n"
                                   % (MISSING, MISSING))
        self.assertEqual(calls, ["id -u"])

    def test_sudo_that_needs_a_password(self):
        self.stub("id", output="1000")
        self.stub("sudo", code=1)
        r, calls = self.need(MISSING)
        self.assertEqual(r.returncode, 1)
        self.assertIn("have them installed (as root: apt-get install %s)" % MISSING, r.stderr)
        self.assertEqual(calls, ["id -u", "sudo -n apt-get update -q"])

    def test_root_installs_directly(self):
        self.stub("id", output="0")
        self.stub("apt-get")
        r, calls = self.need(MISSING)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(calls, ["id -u", "apt-get update -q",
                                 "apt-get install -y -q --no-install-recommends " + MISSING])


if __name__ == "__main__":
    unittest.main()
