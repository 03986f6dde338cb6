#!/usr/bin/env python3
"""A Kueue client in Python, built only on the generated protocol module
(generated/python/kueue_protocol.py): connect, authenticate, issue a job,
wait for it, list jobs.  It works against Kueue-C and the original Rust
server alike, and is meant to be copied and adapted.

    tools/kueue_client_example.py run -- sh -c 'echo hello; exit 3'
    tools/kueue_client_example.py submit --cpus 2 -- make -j2
    tools/kueue_client_example.py wait 7
    tools/kueue_client_example.py list

Server address and shared secret come from the kueue configuration file
(-c/--config, default ~/.config/kueue/config.toml), as for `kueue`.
`run` and `wait` exit with the job's return code (1 if it was canceled or
its code is outside 0-255), like `kueue cmd --wait`.
"""

import argparse
import os
import sys
import tomllib

# The module lives in generated/python of the source tree; an installed
# copy on PYTHONPATH works as well.
sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             os.pardir, "generated", "python"))
import kueue_protocol as kp  # noqa: E402

C2S = kp.ClientToServerMessage
S2C = kp.ServerToClientMessage


def load_settings(path):
    """(host, port, secret, default cpus, default RAM, encryption) from the
    config file."""
    with open(path, "rb") as fh:
        conf = tomllib.load(fh)
    common = conf.get("common_settings", {})
    client = conf.get("client_settings", {})
    return (common.get("server_name", "localhost"), int(common.get("server_port", 11236)),
            common["shared_secret"], int(client.get("job_default_cpus", 8)),
            int(client.get("job_default_ram_mb", 8192)), common.get("encryption", "auto"))


def issue(conn, secret, cmd, cpus, ram_mb):
    """Authenticates and issues cmd in the current directory; returns the
    job as the server accepted it."""
    conn.authenticate(secret)
    job = kp.JobInfo(job_id=0, cmd=cmd, cwd=os.path.realpath(os.getcwd()),
                     worker_resources=kp.Resources(job_slots=1, cpus=cpus, ram_mb=ram_mb),
                     global_resources=None,
                     status=kp.JobStatus.Pending(issued=kp.Timestamp.now()))
    conn.send(C2S.IssueJob(job))
    reply = conn.recv(S2C)
    if isinstance(reply, S2C.RejectJob):
        sys.exit("Error: Job rejected by server: " + reply.reason)
    if not isinstance(reply, S2C.AcceptJob):
        sys.exit("Error: Expected AcceptJob, received: %r" % (reply,))
    return reply.value


def wait(conn, job_id):
    """Observes the job until it has ended; returns the exit status."""
    conn.send(C2S.ObserveJob(job_id=job_id))
    while True:
        reply = conn.recv(S2C)
        if not isinstance(reply, S2C.JobUpdated):
            sys.exit("Error: %s" % getattr(reply, "text", reply))
        status = reply.value.status
        if isinstance(status, kp.JobStatus.Finished):
            print("job %d finished with code %d" % (job_id, status.return_code))
            return status.return_code if 0 <= status.return_code <= 255 else 1
        if isinstance(status, kp.JobStatus.Canceled):
            print("job %d was canceled" % job_id)
            return 1


def status_word(status):
    if isinstance(status, kp.JobStatus.Finished):
        return "succeeded" if status.return_code == 0 else \
            "failed(%d)" % status.return_code
    return type(status)._kq_variant.lower()


def list_jobs(conn, num_jobs):
    conn.send(C2S.ListJobs(num_jobs=num_jobs))
    reply = conn.recv(S2C)
    for job in reply.job_infos:
        print("%d\t%s\t%s" % (job.job_id, status_word(job.status), " ".join(job.cmd)))


def main():
    default_config = os.path.join(os.environ.get("XDG_CONFIG_HOME")
                                  or os.path.expanduser("~/.config"), "kueue", "config.toml")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", default=default_config)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "submit"):
        p = sub.add_parser(name)
        p.add_argument("--cpus", type=int)
        p.add_argument("--ram-mb", type=int)
        p.add_argument("cmd", nargs="+")
    sub.add_parser("wait").add_argument("job_id", type=int)
    sub.add_parser("list").add_argument("-n", "--num-jobs", type=int, default=100)
    args = parser.parse_args()

    host, port, secret, cpus, ram_mb, encryption = load_settings(args.config)
    # The module speaks plain text only ("required" raises ProtocolError).
    with kp.Connection(host, port, timeout=None, encryption=encryption) as conn:  # sends Bye on exit
        conn.hello_client()
        if args.command in ("run", "submit"):
            job = issue(conn, secret, args.cmd, args.cpus or cpus, args.ram_mb or ram_mb)
            print("job %d issued" % job.job_id, flush=True)
            return wait(conn, job.job_id) if args.command == "run" else 0
        if args.command == "wait":
            return wait(conn, args.job_id)
        list_jobs(conn, args.num_jobs)
        return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (kp.ProtocolError, OSError) as e:
        sys.exit("Error: %s" % e)
