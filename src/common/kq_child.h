/*
 * kq_child.h - short-lived helper programs run from an event loop
 * (sbatch, squeue, scancel for the server's allocation queues), without
 * ever blocking it.
 *
 * A child is started with posix_spawnp (no fork of a big server's memory),
 * its stdin fed from a copy of the caller's bytes, its stdout and stderr
 * read through non-blocking pipes watched by the loop (up to a bound each;
 * more is read and dropped), and it is reaped on SIGCHLD, which the
 * children set handles on its loop (waitpid of each of its own children,
 * WNOHANG: other children of the program are left alone, but no other
 * module of the program may handle SIGCHLD on the same loop).  A child
 * that outlives its time limit is killed (SIGKILL).  The callback comes
 * once the child was reaped and both pipes reached their end (or were
 * given up, KQ_CHILD_EOF_GRACE_MS after the exit).
 *
 * Owns the children's pipes, buffers and bookkeeping; never waits for a
 * child except in kq_children_free, which kills and reaps those left.
 */
#ifndef KQ_CHILD_H
#define KQ_CHILD_H

#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_loop.h"

/* Bytes of stdout and of stderr kept per child; the rest is dropped. */
#define KQ_CHILD_OUTPUT_MAX (1u << 20)
/* After the exit, how long pipes held open by a grandchild are waited
 * for. */
#define KQ_CHILD_EOF_GRACE_MS 1000

typedef struct kq_children kq_children;

/* How a child ended, with what it wrote (NUL-terminated, valid during the
 * call only).  status is waitpid's, or -errno when it could not start
 * (then out and err are empty and why says what failed).  timed_out: it
 * was killed at its time limit. */
typedef struct kq_child_result {
    int status;
    int timed_out;
    const char *out, *err;
    size_t out_len, err_len;
    const char *why;
} kq_child_result;

typedef void kq_child_done_cb(void *arg, const kq_child_result *res);

/* A set of children on loop, which handles SIGCHLD for them.  0 or
 * -errno. */
KQ_NODISCARD int kq_children_new(kq_loop *loop, kq_children **out);

/* Kills (SIGKILL) and reaps the children still running, without their
 * callbacks, and frees the set.  NULL is a no-op. */
void kq_children_free(kq_children *cs);

/*
 * Starts argv (argv[0] looked up in PATH, environment inherited, signals
 * at their defaults) with in[0..in_len) on its stdin, killed after
 * timeout_ms.  done(arg, result) follows from a later loop callback, also
 * when it could not start.  Returns the child's id (never 0), or 0 when
 * out of memory (then done is never called).
 */
uint64_t kq_child_run(kq_children *cs, char *const argv[], const char *in, size_t in_len,
                      uint64_t timeout_ms, kq_child_done_cb *done, void *arg);

/* Forgets a child: its callback never comes; it is killed (SIGKILL) and
 * reaped later.  Unknown or finished ids are ignored. */
void kq_child_forget(kq_children *cs, uint64_t id);

/* Children not yet reported. */
size_t kq_children_running(const kq_children *cs);

/* "exit status 1", "killed by signal 9 (SIGKILL)", or the start failure,
 * for messages, into buf (n bytes).  Returns buf. */
const char *kq_child_describe(const kq_child_result *res, char *buf, size_t n);

#endif
