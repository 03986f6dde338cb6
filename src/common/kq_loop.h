/*
 * kq_loop.h - a small select()-based event loop.
 *
 * One thread, one loop: file descriptors with read/write interest, one-shot
 * timers, signals delivered through a self-pipe, and a hook run before each
 * sleep (where batched work such as a group commit belongs).  The fd sets
 * are allocated to the highest watched descriptor, as libevent's select
 * backend does, so descriptors above FD_SETSIZE work.  A turn's own work is
 * the ready descriptors and the due timers; with idle polling, quiet
 * descriptors are left out of most select() calls, so thousands of idle
 * connections cost a busy loop little.  Callbacks must never block: the
 * loop serves everyone from this one thread.
 */
#ifndef KQ_LOOP_H
#define KQ_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_compiler.h"

#define KQ_READABLE 1
#define KQ_WRITABLE 2
/* With idle polling (kq_loop_idle_polling): never treated as quiet. */
#define KQ_ALWAYS_POLL 4

typedef struct kq_loop kq_loop;

typedef void kq_io_cb(kq_loop *loop, int fd, int events, void *arg);
typedef void kq_timer_cb(kq_loop *loop, void *arg);
typedef void kq_signal_cb(kq_loop *loop, int signo, void *arg);
typedef void kq_hook_cb(kq_loop *loop, void *arg);

/* A new loop: 0 or -errno.  The caller frees it with kq_loop_free. */
KQ_NODISCARD int kq_loop_new(kq_loop **out);
/* Frees the loop and restores the signals it handled; does not close the
 * watched descriptors (their owners do). */
void kq_loop_free(kq_loop *loop);

/* Sets the interest of fd (KQ_READABLE | KQ_WRITABLE, and KQ_ALWAYS_POLL;
 * 0 stops watching) and its callback.  0 or -ENOMEM / -EBADF. */
KQ_NODISCARD int kq_loop_watch(kq_loop *loop, int fd, int events,
                               kq_io_cb *cb, void *arg);
/* Changes only the interest of an fd already watched. */
void kq_loop_set_events(kq_loop *loop, int fd, int events);
void kq_loop_unwatch(kq_loop *loop, int fd);

/*
 * Idle polling, for loops with many descriptors that are mostly silent
 * (select() costs the kernel every descriptor it is given): a descriptor
 * with no event, no touch and no wish to write for quiet_ms is selected
 * only in a full turn: every poll_ms while the others keep the loop busy,
 * or ten times as long as polling all descriptors takes if that is more
 * (it then costs a busy loop at most a tenth of its time), and at once
 * when the others leave it nothing to do for that long.  Its events come
 * that much late.  Off by default; once on it stays on.  0, -EINVAL (a
 * zero argument) or -ENOMEM.
 */
KQ_NODISCARD int kq_loop_idle_polling(kq_loop *loop, uint64_t quiet_ms,
                                      uint64_t poll_ms);
/* fd is in use (e.g. a request was just sent on it): selected in every
 * turn for quiet_ms from now.  No effect without idle polling. */
void kq_loop_touch(kq_loop *loop, int fd);

/* A one-shot timer after ms milliseconds; returns its id (never 0), or 0
 * when out of memory. */
uint64_t kq_loop_timer(kq_loop *loop, uint64_t ms, kq_timer_cb *cb, void *arg);
/* Cancels a pending timer; unknown or fired ids are ignored. */
void kq_loop_timer_cancel(kq_loop *loop, uint64_t id);

/* Handles signo inside the loop (after the handler has returned).  0 or
 * -errno. */
KQ_NODISCARD int kq_loop_signal(kq_loop *loop, int signo, kq_signal_cb *cb,
                                void *arg);

/* Runs cb once per turn, after the events of that turn, before sleeping. */
void kq_loop_before_sleep(kq_loop *loop, kq_hook_cb *cb, void *arg);

/* Runs until kq_loop_stop.  0, or -errno if select itself failed. */
int kq_loop_run(kq_loop *loop);

/* Runs one turn, sleeping at most timeout_ms (-1: until an event or a
 * timer).  For programs that drive the loop themselves.  0 or -errno. */
int kq_loop_turn(kq_loop *loop, int timeout_ms);
void kq_loop_stop(kq_loop *loop);

/* Monotonic milliseconds, read once per turn. */
uint64_t kq_loop_now(const kq_loop *loop);

#endif
