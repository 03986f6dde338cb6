/*
 * kq_loop.c - the select() event loop (see kq_loop.h).
 *
 * Owns: the per-fd table, the fd-set memory, the timer heap and the signal
 * self-pipe.  Timers are a binary min-heap by deadline; a cancelled timer
 * stays in the heap with no callback and is dropped when it reaches the
 * top, so cancelling needs no memory and cannot fail.
 */
#include "kq_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

/* The kernel reads fd sets as arrays of unsigned long; using an unsigned
 * type keeps the bit shifts defined for descriptor 63 of each word. */
typedef unsigned long kq_word;
#define WORD_BITS ((int)(8 * sizeof(kq_word)))

typedef struct io_entry {
    int events;
    kq_io_cb *cb;
    void *arg;
} io_entry;

typedef struct timer {
    uint64_t deadline;
    uint64_t id;
    kq_timer_cb *cb;  /* NULL once cancelled */
    void *arg;
} timer;

typedef struct signal_entry {
    int signo;
    kq_signal_cb *cb;
    void *arg;
    struct sigaction old;
} signal_entry;

struct kq_loop {
    io_entry *io;     /* indexed by fd */
    int io_cap;
    int max_fd;       /* highest watched fd, -1 if none */
    kq_word *sets[4]; /* read, write (wanted), read, write (ready) */
    size_t set_words;
    timer *timers;
    size_t ntimers, timers_cap;
    uint64_t next_timer_id;
    signal_entry signals[8];
    int nsignals;
    int sig_pipe[2];
    kq_hook_cb *hook;
    void *hook_arg;
    uint64_t now;
    bool stop;
};

/* The signal handler can only reach the loop through this descriptor. */
static volatile int sig_write_fd = -1;

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int kq_loop_new(kq_loop **out)
{
    kq_loop *loop = calloc(1, sizeof *loop);

    if (!loop)
        return -ENOMEM;
    loop->max_fd = -1;
    loop->sig_pipe[0] = loop->sig_pipe[1] = -1;
    loop->next_timer_id = 1;
    loop->now = monotonic_ms();
    *out = loop;
    return 0;
}

void kq_loop_free(kq_loop *loop)
{
    if (!loop)
        return;
    for (int i = 0; i < loop->nsignals; i++)
        sigaction(loop->signals[i].signo, &loop->signals[i].old, NULL);
    if (loop->sig_pipe[0] >= 0) {
        sig_write_fd = -1;
        close(loop->sig_pipe[0]);
        close(loop->sig_pipe[1]);
    }
    for (int i = 0; i < 4; i++)
        free(loop->sets[i]);
    free(loop->io);
    free(loop->timers);
    free(loop);
}

static void set_bit(kq_word *set, int fd, bool on)
{
    kq_word bit = (kq_word)1 << (fd % WORD_BITS);

    if (on)
        set[fd / WORD_BITS] |= bit;
    else
        set[fd / WORD_BITS] &= ~bit;
}

static bool get_bit(const kq_word *set, int fd)
{
    return (set[fd / WORD_BITS] >> (fd % WORD_BITS)) & 1;
}

/* Grows the per-fd table and the fd sets to hold fd. */
static int grow_for(kq_loop *loop, int fd)
{
    size_t words = (size_t)fd / WORD_BITS + 1;

    if (fd >= loop->io_cap) {
        int cap = loop->io_cap ? loop->io_cap : 64;
        io_entry *io;

        while (cap <= fd)
            cap *= 2;
        io = realloc(loop->io, (size_t)cap * sizeof *io);
        if (!io)
            return -ENOMEM;
        memset(io + loop->io_cap, 0, (size_t)(cap - loop->io_cap) * sizeof *io);
        loop->io = io;
        loop->io_cap = cap;
    }
    if (words > loop->set_words) {
        for (int i = 0; i < 4; i++) {
            kq_word *s = realloc(loop->sets[i], words * sizeof *s);

            if (!s)
                return -ENOMEM;
            memset(s + loop->set_words, 0,
                   (words - loop->set_words) * sizeof *s);
            loop->sets[i] = s;
        }
        loop->set_words = words;
    }
    return 0;
}

int kq_loop_watch(kq_loop *loop, int fd, int events, kq_io_cb *cb, void *arg)
{
    int rc;

    if (fd < 0)
        return -EBADF;
    if ((rc = grow_for(loop, fd)) < 0)
        return rc;
    loop->io[fd].cb = cb;
    loop->io[fd].arg = arg;
    kq_loop_set_events(loop, fd, events);
    return 0;
}

void kq_loop_set_events(kq_loop *loop, int fd, int events)
{
    if (fd < 0 || fd >= loop->io_cap)
        return;
    loop->io[fd].events = events;
    set_bit(loop->sets[0], fd, events & KQ_READABLE);
    set_bit(loop->sets[1], fd, events & KQ_WRITABLE);
    if (events && fd > loop->max_fd)
        loop->max_fd = fd;
    while (loop->max_fd >= 0 && !loop->io[loop->max_fd].events)
        loop->max_fd--;
}

void kq_loop_unwatch(kq_loop *loop, int fd)
{
    kq_loop_set_events(loop, fd, 0);
    if (fd >= 0 && fd < loop->io_cap)
        loop->io[fd].cb = NULL;
}

/* ---- timers ---------------------------------------------------------- */

static void heap_swap(timer *a, timer *b)
{
    timer t = *a;

    *a = *b;
    *b = t;
}

static bool timer_before(const timer *a, const timer *b)
{
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->id < b->id);
}

uint64_t kq_loop_timer(kq_loop *loop, uint64_t ms, kq_timer_cb *cb, void *arg)
{
    uint64_t id = loop->next_timer_id++;
    size_t i;

    if (loop->ntimers == loop->timers_cap) {
        size_t cap = loop->timers_cap ? loop->timers_cap * 2 : 16;
        timer *t = realloc(loop->timers, cap * sizeof *t);

        if (!t)
            return 0;
        loop->timers = t;
        loop->timers_cap = cap;
    }
    i = loop->ntimers++;
    loop->timers[i] = (timer){monotonic_ms() + ms, id, cb, arg};
    while (i > 0 && timer_before(&loop->timers[i], &loop->timers[(i - 1) / 2])) {
        heap_swap(&loop->timers[i], &loop->timers[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return id;
}

static void heap_pop(kq_loop *loop)
{
    size_t i = 0;

    loop->timers[0] = loop->timers[--loop->ntimers];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < loop->ntimers && timer_before(&loop->timers[l], &loop->timers[m]))
            m = l;
        if (r < loop->ntimers && timer_before(&loop->timers[r], &loop->timers[m]))
            m = r;
        if (m == i)
            break;
        heap_swap(&loop->timers[i], &loop->timers[m]);
        i = m;
    }
}

void kq_loop_timer_cancel(kq_loop *loop, uint64_t id)
{
    if (!id)
        return;
    for (size_t i = 0; i < loop->ntimers; i++) {
        if (loop->timers[i].id == id) {
            loop->timers[i].cb = NULL;
            return;
        }
    }
}

static void run_timers(kq_loop *loop)
{
    while (loop->ntimers && loop->timers[0].deadline <= loop->now &&
           !loop->stop) {
        timer t = loop->timers[0];

        heap_pop(loop);
        if (t.cb)
            t.cb(loop, t.arg);
    }
}

/* ---- signals --------------------------------------------------------- */

static void on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;

    if (sig_write_fd >= 0 && write(sig_write_fd, &b, 1) < 0) {
        /* A full pipe already holds a wake-up; nothing is lost. */
    }
    errno = saved;
}

static void on_signal_pipe(kq_loop *loop, int fd, int events, void *arg)
{
    unsigned char buf[64];
    ssize_t n;

    (void)events;
    (void)arg;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            for (int k = 0; k < loop->nsignals; k++)
                if (loop->signals[k].signo == buf[i])
                    loop->signals[k].cb(loop, buf[i], loop->signals[k].arg);
    }
}

int kq_loop_signal(kq_loop *loop, int signo, kq_signal_cb *cb, void *arg)
{
    struct sigaction sa;
    signal_entry *e;
    int rc;

    if (loop->nsignals == (int)(sizeof loop->signals / sizeof *loop->signals))
        return -ENOSPC;
    if (loop->sig_pipe[0] < 0) {
        if (pipe2(loop->sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
            return -errno;
        if ((rc = kq_loop_watch(loop, loop->sig_pipe[0], KQ_READABLE,
                                on_signal_pipe, NULL)) < 0)
            return rc;
        sig_write_fd = loop->sig_pipe[1];
    }
    e = &loop->signals[loop->nsignals];
    e->signo = signo;
    e->cb = cb;
    e->arg = arg;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(signo, &sa, &e->old) < 0)
        return -errno;
    loop->nsignals++;
    return 0;
}

/* ---- running --------------------------------------------------------- */

void kq_loop_before_sleep(kq_loop *loop, kq_hook_cb *cb, void *arg)
{
    loop->hook = cb;
    loop->hook_arg = arg;
}

void kq_loop_stop(kq_loop *loop)
{
    loop->stop = true;
}

uint64_t kq_loop_now(const kq_loop *loop)
{
    return loop->now;
}

/* Calls back every ready descriptor, skipping empty words of the sets. */
static void dispatch(kq_loop *loop, size_t words)
{
    for (size_t w = 0; w < words && !loop->stop; w++) {
        if (!(loop->sets[2][w] | loop->sets[3][w]))
            continue;
        for (int b = 0; b < WORD_BITS && !loop->stop; b++) {
            int fd = (int)w * WORD_BITS + b;
            int ev = 0;

            if (fd > loop->max_fd)
                return;
            if (get_bit(loop->sets[2], fd))
                ev |= KQ_READABLE;
            if (get_bit(loop->sets[3], fd))
                ev |= KQ_WRITABLE;
            /* Interest may have changed during this turn's callbacks. */
            ev &= loop->io[fd].events;
            if (ev && loop->io[fd].cb)
                loop->io[fd].cb(loop, fd, ev, loop->io[fd].arg);
        }
    }
}

int kq_loop_turn(kq_loop *loop, int timeout_ms)
{
    struct timeval tv, *tvp = NULL;
    size_t bytes;
    uint64_t wait = timeout_ms < 0 ? UINT64_MAX : (uint64_t)timeout_ms;
    int n;

    if (loop->hook)
        loop->hook(loop, loop->hook_arg);
    if (loop->stop)
        return 0;
    /* Drop cancelled timers at the top so they cannot shorten the sleep. */
    while (loop->ntimers && !loop->timers[0].cb)
        heap_pop(loop);
    loop->now = monotonic_ms();
    if (loop->ntimers) {
        uint64_t due = loop->timers[0].deadline > loop->now
                           ? loop->timers[0].deadline - loop->now
                           : 0;

        if (due < wait)
            wait = due;
    }
    if (wait != UINT64_MAX) {
        tv.tv_sec = (time_t)(wait / 1000);
        tv.tv_usec = (suseconds_t)(wait % 1000 * 1000);
        tvp = &tv;
    }
    bytes = loop->max_fd >= 0
                ? ((size_t)loop->max_fd / WORD_BITS + 1) * sizeof(kq_word)
                : 0;
    if (bytes) {
        memcpy(loop->sets[2], loop->sets[0], bytes);
        memcpy(loop->sets[3], loop->sets[1], bytes);
    }
    n = select(loop->max_fd + 1, bytes ? (fd_set *)loop->sets[2] : NULL,
               bytes ? (fd_set *)loop->sets[3] : NULL, NULL, tvp);
    if (n < 0 && errno != EINTR)
        return -errno;
    loop->now = monotonic_ms();
    if (n > 0)
        dispatch(loop, bytes / sizeof(kq_word));
    run_timers(loop);
    return 0;
}

int kq_loop_run(kq_loop *loop)
{
    int rc = 0;

    loop->stop = false;
    while (!loop->stop && rc == 0)
        rc = kq_loop_turn(loop, -1);
    return rc;
}
