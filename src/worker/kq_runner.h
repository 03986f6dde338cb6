/*
 * kq_runner.h - running jobs: spawning, draining their output, killing
 * them and turning the outcome into a result (reference 4.7-4.9).
 *
 * A job runs by direct exec of its cmd (no shell; a name without '/' is
 * looked up in the PATH of the job's own environment, so a program of the
 * submitter's virtualenv is found; a relative path resolved against the
 * job's cwd, where the child goes first), with stdin from /dev/null, its
 * environment (kq_jobenv: the submitter's or the worker's, PWD, the
 * marks), SIGPIPE at its default, an empty signal mask, and in a process
 * group of its own, so that a kill reaches every process it started
 * (those that left the group through the marks).  stdout and stderr are
 * captured through non-blocking pipes drained by the loop, or go straight
 * to the file named by stdout_path/stderr_path, whose placeholders
 * (kq_outname) are filled in first.  A job that cannot start says
 * why and where: "Failed to start job on vm: mytool: not found in
 * PATH=/usr/bin:/bin".
 *
 * Owns: the child processes until they are reaped, the pipes, the output
 * buffers and the timers of every run; SIGCHLD on the loop (children are
 * reaped with waitpid(-1, WNOHANG), and the worker is made a child
 * subreaper so that orphaned grandchildren are reaped here too).  Never
 * blocks: reads are non-blocking and bounded per readiness event.  Never
 * waits for a daemonised grandchild: after the direct child exits, the
 * pipes get KQ_RUNNER_EOF_GRACE_MS to reach EOF, then are closed.
 */
#ifndef KQ_RUNNER_H
#define KQ_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_compiler.h"
#include "kq_loop.h"
#include "kq_protocol.h"

/* Result codes of reference 4.8 beside the exit status. */
#define KQ_RC_START_FAILED (-43)
#define KQ_RC_SIGNALED (-44)
#define KQ_RC_WAIT_ERROR (-45)
#define KQ_RC_KILLED (-46)

/* How long pipes may stay open after the direct child exited. */
#define KQ_RUNNER_EOF_GRACE_MS 2000

/* Bound on the JSON-escaped size of one captured text, so that a results
 * message (both texts) stays below the 16 MiB a server accepts. */
#define KQ_RUNNER_WIRE_MAX (7u << 20)

typedef struct kq_runner kq_runner;
typedef struct kq_run kq_run;

/* The outcome of a run; the receiver owns every string. */
typedef struct kq_run_result {
    int32_t return_code;
    char *comment;          /* never NULL */
    kq_str stdout_text;     /* NULL ptr: nothing (reported as null) */
    kq_str stderr_text;
    int64_t run_time_seconds;
    kq_time finished;       /* worker clock */
    bool killed;            /* ended by kq_runner_kill */
} kq_run_result;

/* Called once per started run, from a loop callback, after which the run
 * handle is gone.  res is moved to the callee (free it with
 * kq_run_result_free). */
typedef void kq_run_done_cb(void *arg, kq_run_result *res);

typedef struct kq_runner_opts {
    const char *worker_name; /* for start failures and {worker}; kept, not
                                copied */
    size_t output_limit;    /* bytes kept per captured stream */
    uint64_t kill_grace_ms; /* SIGTERM to SIGKILL */
    uint64_t eof_grace_ms;  /* 0: KQ_RUNNER_EOF_GRACE_MS */
} kq_runner_opts;

/* A runner on loop: handles SIGCHLD there.  0 or -errno. */
KQ_NODISCARD int kq_runner_new(kq_loop *loop, const kq_runner_opts *opts,
                               kq_runner **out);

/* Frees the runner.  Runs still going are killed with SIGKILL (their whole
 * process groups and their marked processes) and forgotten without
 * callbacks; the signals still queued for marked processes are sent. */
void kq_runner_free(kq_runner *r);

/*
 * Starts job (job_id, cmd, cwd, stdout_path, stderr_path, environment are
 * used; job is not kept).  0: running, *out is its handle and done(arg,
 * ...) follows later.  Negative: it did not start; *failure holds the -43
 * result ("Failed to start job on <worker>: <reason>") and nothing else
 * happens.
 */
KQ_NODISCARD int kq_runner_start(kq_runner *r, const kq_job_info *job,
                                 kq_run_done_cb *done, void *arg, kq_run **out,
                                 kq_run_result *failure);

/*
 * Ends run's process group: SIGTERM now, SIGKILL after the kill grace (at
 * once if now).  Its processes that left the group get the same signals
 * when the loop turn's kills are done (one scan of /proc for all of them),
 * and SIGKILL once the group is gone.  Its output is no longer read; the
 * result is -46 with comment (copied).  Repeating it with now=true
 * escalates at once.
 */
void kq_runner_kill(kq_runner *r, kq_run *run, const char *comment, bool now);

/* Number of runs not yet done. */
size_t kq_runner_active(const kq_runner *r);

/* Scans of /proc for marked processes so far: one per loop turn with
 * kills, however many jobs they kill. */
uint64_t kq_runner_scans(const kq_runner *r);

void kq_run_result_free(kq_run_result *res);

/* True if a redirect path means "discard": "null" in any case, with
 * surrounding whitespace. */
bool kq_runner_is_null_path(const char *path);

/* Appends dir joined with path as Rust's Path::join does: path itself if
 * absolute, else dir, one '/' and path. */
void kq_runner_join_path(kq_buf *out, const char *dir, const char *path);

/*
 * The text reported for captured bytes raw[0..len): invalid UTF-8 repaired
 * (U+FFFD); when cut is set (the stream went past limit bytes) the text
 * ends at a UTF-8 boundary followed by
 * "\n[kueue: output truncated after <limit> bytes]\n".  The escaped JSON
 * stays within KQ_RUNNER_WIRE_MAX and the text within KQ_LIMIT_TEXT (cut
 * further, with the note, if needed).  Empty gives ptr NULL.  0 or -ENOMEM.
 */
KQ_NODISCARD int kq_runner_text(const char *raw, size_t len, bool cut,
                                size_t limit, kq_str *out);

/* "Job killed by signal 9 (SIGKILL)." style name of a signal: "SIGKILL",
 * or "signal N" if unknown.  Returns buf. */
const char *kq_runner_signal_name(int signo, char *buf, size_t n);

#endif
