#!/usr/bin/env python3
"""A Kueue client in Python, built only on the generated protocol module
(generated/python/kueue_protocol.py): connect, authenticate, issue a job,
wait for it, list jobs.  It works against Kueue-C and the original Rust
server alike, and is meant to be copied and adapted.

    tools/kueue_client_example.py run -- sh -c 'echo hello; exit 3'
    tools/kueue_client_example.py submit --cpus 2 -- make -j2
    tools/kueue_client_example.py wait 7
    tools/kueue_client_example.py list

`cmake --install` installs it as bin/kueue-py, and the module beside it in
share/kueue/python.

Server address and shared secret come from the kueue configuration file
(-c/--config, default ~/.config/kueue/config.toml), as for `kueue`.
`run` and `wait` exit with the job's return code (1 if it was canceled or
its code is outside 0-255), like `kueue cmd --wait`.
"""

import argparse
import os
import sys
import tomllib

# The module: generated/python of the source tree, or share/kueue/python of
# the prefix this script is installed in (bin/kueue-py), also when called
# through a symbolic link; else a copy on PYTHONPATH.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[1:1] = [os.path.join(_HERE, os.pardir, "generated", "python"),
                 os.path.join(_HERE, os.pardir, "share", "kueue", "python")]
import kueue_protocol as kp  # noqa: E402

C2S = kp.ClientToServerMessage
S2C = kp.ServerToClientMessage


def shown(path):
    """path as kueue names it in messages: the home directory as ~."""
    home = os.path.expanduser("~").rstrip("/")
    return "~" + path[len(home):] if home and path.startswith(home + "/") else path


def load_settings(path):
    """(host, port, secret, default cpus, default RAM, encryption) from the
    config file."""
    try:
        with open(path, "rb") as fh:
            conf = tomllib.load(fh)
    except FileNotFoundError:
        sys.exit("Error: no configuration at %s (copy the server's there, or write a new "
                 "one with: kueue --init -c %s)" % (path, path))
    except tomllib.TOMLDecodeError as e:
        sys.exit("Error: %s: %s" % (path, e))
    common = conf.get("common_settings", {})
    client = conf.get("client_settings", {})
    return (common.get("server_name", "localhost"), int(common.get("server_port", 11236)),
            common["shared_secret"], int(client.get("job_default_cpus", 8)),
            int(client.get("job_default_ram_mb", 8192)), common.get("encryption", "auto"))


def authenticate(conn, secret, config):
    try:
        conn.authenticate(secret)
    except kp.ProtocolError:
        sys.exit("Error: Authentication failed! The shared_secret in %s must be the "
                 "server's." % shown(config))


def issue(conn, secret, config, cmd, cpus, ram_mb):
    """Authenticates and issues cmd in the current directory; returns the
    job as the server accepted it."""
    authenticate(conn, secret, config)
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
    """Observes the job until it has ended; returns the exit status.  Says
    why it waits (a Kueue-C server's reason) whenever that changes."""
    conn.send(C2S.ObserveJob(job_id=job_id))
    told = None
    while True:
        reply = conn.recv(S2C)
        if not isinstance(reply, S2C.JobUpdated):
            sys.exit("Error: %s" % getattr(reply, "text", reply))
        status = reply.value.status
        reason = reply.value.wait_reason
        if reason and reason != told and reason != "about to be offered to a worker":
            print("job %d waits: %s" % (job_id, reason), file=sys.stderr, flush=True)
            told = reason
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
    # Sends Bye on exit; names the file when nobody answers (ServerUnreachable).
    # TLS only through this user's kueue relay, when one runs ("required"
    # without one raises ProtocolError); else plain text.
    with kp.Connection(host, port, timeout=None, config=shown(args.config),
                       encryption=encryption, secret=secret) as conn:
        conn.hello_client()
        if args.command in ("run", "submit"):
            job = issue(conn, secret, args.config, args.cmd, args.cpus or cpus,
                        args.ram_mb or ram_mb)
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
