#!/usr/bin/env python3
"""A stand-in for Slurm's sbatch, squeue and scancel (by the name it is
called as), for the allocation tests that do not need a real Slurm: its
jobs never run; the test moves them through Slurm's states by editing the
state file (FakeSlurm in test_alloc.py).  Its name comes from
$FAKE_SLURM_PROG, else from how it was called.

State: the JSON file $FAKE_SLURM_STATE, {"next": N, "jobs": [...],
"calls": [[program, args...], ...]}, each job {"id", "name", "state",
"reason", "nodes", "script", "args"}, under a lock ($FAKE_SLURM_STATE.lock).
Behaviours the tests ask for: an argument --partition=bad makes sbatch
fail as Slurm does; the file $FAKE_SLURM_STATE.down makes squeue fail as
with a controller that does not answer; the file $FAKE_SLURM_STATE.hang
makes sbatch wait until it is gone (a slow controller)."""

import fcntl
import json
import os
import re
import sys
import time


def locked(path, change):
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path) as fh:
                state = json.load(fh)
        except FileNotFoundError:
            state = {"next": 100, "jobs": [], "calls": []}
        result = change(state)
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(state, fh)
        os.rename(tmp, path)
        return result


def sbatch(state, args):
    script = sys.stdin.read()
    if "--partition=bad" in args:
        sys.stderr.write("sbatch: error: invalid partition specified: bad\n"
                         "sbatch: error: Batch job submission failed: Invalid partition "
                         "name specified\n")
        return 1
    m = re.search(r"^#SBATCH --job-name=(\S+)$", script, re.M)
    job = {"id": state["next"], "name": m.group(1) if m else "sbatch", "state": "PENDING",
           "reason": "Priority", "nodes": "", "script": script, "args": args}
    state["next"] += 1
    state["jobs"].append(job)
    print("%d" % job["id"] if "--parsable" in args else "Submitted batch job %d" % job["id"])
    return 0


def squeue(state, args):
    if os.path.exists(os.environ["FAKE_SLURM_STATE"] + ".down"):
        sys.stderr.write("slurm_load_jobs error: Unable to contact slurm controller "
                         "(connect failure)\n")
        return 1
    names = None
    for a in args:
        if a.startswith("--name="):
            names = a[len("--name="):].split(",")
    fmt = args[args.index("-o") + 1]
    for job in state["jobs"]:
        if names is not None and job["name"] not in names:
            continue
        line = fmt
        for code, key in (("%i", "id"), ("%j", "name"), ("%T", "state"), ("%r", "reason"),
                          ("%N", "nodes")):
            line = line.replace(code, str(job[key]))
        print(line)
    return 0


def scancel(state, args):
    for a in args:
        for job in state["jobs"]:
            if str(job["id"]) == a and job["state"] in ("PENDING", "RUNNING"):
                job["state"], job["reason"] = "CANCELLED", "None"
    return 0


def main():
    prog = os.environ.get("FAKE_SLURM_PROG") or os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    if prog == "sbatch":
        while os.path.exists(os.environ["FAKE_SLURM_STATE"] + ".hang"):
            time.sleep(0.05)

    def run(state):
        state["calls"].append([prog] + args)
        return {"sbatch": sbatch, "squeue": squeue, "scancel": scancel}[prog](state, args)
    sys.exit(locked(os.environ["FAKE_SLURM_STATE"], run))


if __name__ == "__main__":
    main()
