/*
 * kq_loop.c - the select() event loop (see kq_loop.h).
 *
 * Owns: the per-fd table, the fd-set memory, the timers and the signal
 * self-pipe.  Timers live in a table of slots (reused through a free list)
 * ordered by a binary min-heap of slot numbers; each slot knows its place
 * in the heap, and a timer's id names its slot and the slot's generation,
 * so cancelling is O(log n), takes the timer out at once and cannot fail,
 * and a stale id (fired or cancelled) misses.  A turn costs, besides the
 * kernel's select(), the ready descriptors and the due timers: the sets
 * are kept up to date as interest changes, and only the bits select()
 * returned are visited.
 *
 * The kernel's select() costs every descriptor it is given, so with idle
 * polling on, descriptors are hot (in the sets every turn) while they are
 * in use, and quiet ones are polled only every poll_ms: a turn selects the
 * hot sets, a full turn (at least poll_ms after the last, and at least ten
 * times as long as the last full poll took, so that polling the quiet ones
 * takes at most a tenth of a busy loop) selects all, and a descriptor that
 * shows an event there is hot again.  A full turn only polls (zero
 * timeout) unless the turn before it found nothing: a select() that may
 * sleep makes the kernel queue a wait on every descriptor it visits before
 * a ready one, which for thousands of quiet ones costs more than the
 * polling.  So a busy loop polls everyone every poll_ms, and an idle one
 * sleeps in a full turn.  The hot ones are kept in a list, so a full turn
 * also finds those gone quiet without a scan of all descriptors.
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
    uint64_t active_ms;  /* last event or touch (idle polling) */
    int hot;             /* 1 + index in the hot list, 0 when quiet */
} io_entry;

#define NO_POS UINT32_MAX

typedef struct timer {
    uint64_t deadline;
    uint64_t seq;       /* creation order: equal deadlines fire in order */
    kq_timer_cb *cb;
    void *arg;
    uint32_t heap_pos;  /* index in the heap; NO_POS when the slot is free */
    uint32_t gen;       /* bumped when the slot is freed */
    uint32_t next_free;
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
    kq_word *sets[6]; /* read, write: wanted, ready, wanted and hot */
    size_t set_words;
    timer *slots;
    uint32_t nslots, free_slot; /* free_slot: head of the free list */
    uint32_t *heap;             /* slot numbers, earliest first */
    uint32_t nheap;
    uint64_t next_seq;
    signal_entry signals[8];
    int nsignals;
    int sig_pipe[2];
    kq_hook_cb *hook;
    void *hook_arg;
    uint64_t now;
    bool stop;
    uint64_t quiet_ms, poll_ms; /* idle polling; 0: off */
    uint64_t next_full;         /* when a turn selects every descriptor */
    uint64_t full_cost_us;      /* what the last full poll took */
    bool found_nothing;         /* the last select() timed out */
    int *hot_fds;
    int nhot, hot_cap;
};

/* The signal handler can only reach the loop through this descriptor. */
static volatile int sig_write_fd = -1;

static uint64_t monotonic_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t monotonic_ms(void)
{
    return monotonic_us() / 1000;
}

int kq_loop_new(kq_loop **out)
{
    kq_loop *loop = calloc(1, sizeof *loop);

    if (!loop)
        return -ENOMEM;
    loop->max_fd = -1;
    loop->sig_pipe[0] = loop->sig_pipe[1] = -1;
    loop->free_slot = NO_POS;
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
    for (int i = 0; i < 6; i++)
        free(loop->sets[i]);
    free(loop->hot_fds);
    free(loop->io);
    free(loop->slots);
    free(loop->heap);
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
    if (loop->quiet_ms && loop->hot_cap < loop->io_cap) {
        int *hot = realloc(loop->hot_fds, (size_t)loop->io_cap * sizeof *hot);

        if (!hot)
            return -ENOMEM;
        loop->hot_fds = hot;
        loop->hot_cap = loop->io_cap;
    }
    if (words > loop->set_words) {
        for (int i = 0; i < 6; i++) {
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

/* Idle polling: fd is in use now, so in every turn's sets. */
static void make_hot(kq_loop *loop, int fd)
{
    io_entry *e = &loop->io[fd];

    e->active_ms = loop->now;
    if (e->hot || !loop->quiet_ms)
        return;
    loop->hot_fds[loop->nhot++] = fd;
    e->hot = loop->nhot;
    set_bit(loop->sets[4], fd, e->events & KQ_READABLE);
    set_bit(loop->sets[5], fd, e->events & KQ_WRITABLE);
}

/* Idle polling: fd is polled in full turns only. */
static void make_quiet(kq_loop *loop, int fd)
{
    io_entry *e = &loop->io[fd];
    int last;

    if (!e->hot)
        return;
    last = loop->hot_fds[--loop->nhot];
    loop->hot_fds[e->hot - 1] = last;
    loop->io[last].hot = e->hot;
    e->hot = 0;
    set_bit(loop->sets[4], fd, false);
    set_bit(loop->sets[5], fd, false);
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
    /* A new descriptor is about to be used. */
    if (events)
        make_hot(loop, fd);
    return 0;
}

void kq_loop_set_events(kq_loop *loop, int fd, int events)
{
    io_entry *e;

    if (fd < 0 || fd >= loop->io_cap)
        return;
    e = &loop->io[fd];
    if (!(events & (KQ_READABLE | KQ_WRITABLE)))
        events = 0;
    e->events = events;
    set_bit(loop->sets[0], fd, events & KQ_READABLE);
    set_bit(loop->sets[1], fd, events & KQ_WRITABLE);
    if (e->hot) {
        set_bit(loop->sets[4], fd, events & KQ_READABLE);
        set_bit(loop->sets[5], fd, events & KQ_WRITABLE);
    }
    if (!events)
        make_quiet(loop, fd);
    else if (events & (KQ_WRITABLE | KQ_ALWAYS_POLL))
        make_hot(loop, fd);
    if (events && fd > loop->max_fd)
        loop->max_fd = fd;
    while (loop->max_fd >= 0 && !loop->io[loop->max_fd].events)
        loop->max_fd--;
}

void kq_loop_touch(kq_loop *loop, int fd)
{
    if (fd >= 0 && fd < loop->io_cap && loop->io[fd].events)
        make_hot(loop, fd);
}

int kq_loop_idle_polling(kq_loop *loop, uint64_t quiet_ms, uint64_t poll_ms)
{
    int *hot;

    if (!quiet_ms || !poll_ms)
        return -EINVAL;
    if (loop->quiet_ms)
        return 0;
    hot = realloc(loop->hot_fds, (size_t)(loop->io_cap ? loop->io_cap : 1) * sizeof *hot);
    if (!hot)
        return -ENOMEM;
    loop->hot_fds = hot;
    loop->hot_cap = loop->io_cap;
    loop->quiet_ms = quiet_ms;
    loop->poll_ms = poll_ms;
    for (int fd = 0; fd <= loop->max_fd; fd++)
        if (loop->io[fd].events)
            make_hot(loop, fd);
    return 0;
}

/* Before a full turn: descriptors quiet for quiet_ms leave the hot sets,
 * unless they wait to write or are always polled. */
static void cool_down(kq_loop *loop)
{
    for (int i = 0; i < loop->nhot;) {
        int fd = loop->hot_fds[i];
        const io_entry *e = &loop->io[fd];

        if (!(e->events & (KQ_WRITABLE | KQ_ALWAYS_POLL)) &&
            loop->now - e->active_ms >= loop->quiet_ms)
            make_quiet(loop, fd); /* the last one moved to i */
        else
            i++;
    }
}

void kq_loop_unwatch(kq_loop *loop, int fd)
{
    kq_loop_set_events(loop, fd, 0);
    if (fd >= 0 && fd < loop->io_cap)
        loop->io[fd].cb = NULL;
}

/* ---- timers ---------------------------------------------------------- */

static bool timer_before(const kq_loop *loop, uint32_t a, uint32_t b)
{
    const timer *x = &loop->slots[a], *y = &loop->slots[b];

    return x->deadline < y->deadline ||
           (x->deadline == y->deadline && x->seq < y->seq);
}

static void heap_set(kq_loop *loop, uint32_t pos, uint32_t slot)
{
    loop->heap[pos] = slot;
    loop->slots[slot].heap_pos = pos;
}

static void sift_up(kq_loop *loop, uint32_t pos)
{
    uint32_t slot = loop->heap[pos];

    while (pos > 0 && timer_before(loop, slot, loop->heap[(pos - 1) / 2])) {
        heap_set(loop, pos, loop->heap[(pos - 1) / 2]);
        pos = (pos - 1) / 2;
    }
    heap_set(loop, pos, slot);
}

static void sift_down(kq_loop *loop, uint32_t pos)
{
    uint32_t slot = loop->heap[pos];

    for (;;) {
        uint32_t l = 2 * pos + 1, r = l + 1, m = l;

        if (l >= loop->nheap)
            break;
        if (r < loop->nheap && timer_before(loop, loop->heap[r], loop->heap[l]))
            m = r;
        if (!timer_before(loop, loop->heap[m], slot))
            break;
        heap_set(loop, pos, loop->heap[m]);
        pos = m;
    }
    heap_set(loop, pos, slot);
}

/* Takes the timer in heap position pos out and frees its slot. */
static void heap_remove(kq_loop *loop, uint32_t pos)
{
    uint32_t slot = loop->heap[pos];
    timer *t = &loop->slots[slot];

    if (pos != --loop->nheap) {
        heap_set(loop, pos, loop->heap[loop->nheap]);
        if (pos > 0 && timer_before(loop, loop->heap[pos], loop->heap[(pos - 1) / 2]))
            sift_up(loop, pos);
        else
            sift_down(loop, pos);
    }
    t->heap_pos = NO_POS;
    t->cb = NULL;
    t->gen++;
    t->next_free = loop->free_slot;
    loop->free_slot = slot;
}

/* A free slot, growing the table and the heap (one heap place per slot);
 * NO_POS when out of memory. */
static uint32_t take_slot(kq_loop *loop)
{
    uint32_t slot = loop->free_slot;

    if (slot == NO_POS) {
        uint32_t cap = loop->nslots ? loop->nslots * 2 : 16;
        timer *slots;
        uint32_t *heap;

        if (loop->nslots >= NO_POS / 2)
            return NO_POS;
        slots = realloc(loop->slots, cap * sizeof *slots);
        if (!slots)
            return NO_POS;
        loop->slots = slots;
        heap = realloc(loop->heap, cap * sizeof *heap);
        if (!heap)
            return NO_POS;
        loop->heap = heap;
        for (uint32_t i = cap; i-- > loop->nslots;) {
            slots[i] = (timer){.heap_pos = NO_POS, .gen = 1, .next_free = loop->free_slot};
            loop->free_slot = i;
        }
        loop->nslots = cap;
        slot = loop->free_slot;
    }
    loop->free_slot = loop->slots[slot].next_free;
    return slot;
}

uint64_t kq_loop_timer(kq_loop *loop, uint64_t ms, kq_timer_cb *cb, void *arg)
{
    uint32_t slot = take_slot(loop);
    timer *t;

    if (slot == NO_POS)
        return 0;
    t = &loop->slots[slot];
    t->deadline = monotonic_ms() + ms;
    t->seq = loop->next_seq++;
    t->cb = cb;
    t->arg = arg;
    loop->heap[loop->nheap] = slot;
    sift_up(loop, loop->nheap++);
    return (uint64_t)t->gen << 32 | (slot + 1);
}

void kq_loop_timer_cancel(kq_loop *loop, uint64_t id)
{
    uint32_t slot = (uint32_t)id - 1;

    if (!id || slot >= loop->nslots || loop->slots[slot].gen != (uint32_t)(id >> 32) ||
        loop->slots[slot].heap_pos == NO_POS)
        return;
    heap_remove(loop, loop->slots[slot].heap_pos);
}

static void run_timers(kq_loop *loop)
{
    while (loop->nheap && loop->slots[loop->heap[0]].deadline <= loop->now &&
           !loop->stop) {
        timer *t = &loop->slots[loop->heap[0]];
        kq_timer_cb *cb = t->cb;
        void *arg = t->arg;

        heap_remove(loop, 0);
        cb(loop, arg);
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
        if ((rc = kq_loop_watch(loop, loop->sig_pipe[0], KQ_READABLE | KQ_ALWAYS_POLL,
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

/* Calls back every ready descriptor: empty words of the sets are
 * skipped, and in the others only the set bits are visited. */
static void dispatch(kq_loop *loop, size_t words)
{
    for (size_t w = 0; w < words && !loop->stop; w++) {
        kq_word bits = loop->sets[2][w] | loop->sets[3][w];

        while (bits && !loop->stop) {
            int fd = (int)w * WORD_BITS + __builtin_ctzl(bits);
            int ev = 0;

            bits &= bits - 1;
            if (fd > loop->max_fd)
                return;
            if (get_bit(loop->sets[2], fd))
                ev |= KQ_READABLE;
            if (get_bit(loop->sets[3], fd))
                ev |= KQ_WRITABLE;
            /* Interest may have changed during this turn's callbacks. */
            ev &= loop->io[fd].events;
            if (!ev)
                continue;
            make_hot(loop, fd);
            if (loop->io[fd].cb)
                loop->io[fd].cb(loop, fd, ev, loop->io[fd].arg);
        }
    }
}

int kq_loop_turn(kq_loop *loop, int timeout_ms)
{
    struct timeval tv, *tvp = NULL;
    size_t bytes;
    uint64_t wait = timeout_ms < 0 ? UINT64_MAX : (uint64_t)timeout_ms;
    uint64_t t0 = 0;
    bool full = true;
    int n;

    if (loop->hook)
        loop->hook(loop, loop->hook_arg);
    if (loop->stop)
        return 0;
    loop->now = monotonic_ms();
    if (loop->nheap) {
        uint64_t deadline = loop->slots[loop->heap[0]].deadline;
        uint64_t due = deadline > loop->now ? deadline - loop->now : 0;

        if (due < wait)
            wait = due;
    }
    if (loop->quiet_ms) {
        full = loop->now >= loop->next_full;
        if (full) {
            cool_down(loop);
            if (!loop->found_nothing) {
                wait = 0;
                t0 = monotonic_us();
            }
        } else if (loop->next_full - loop->now < wait) {
            wait = loop->next_full - loop->now;
        }
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
        memcpy(loop->sets[2], loop->sets[full ? 0 : 4], bytes);
        memcpy(loop->sets[3], loop->sets[full ? 1 : 5], bytes);
    }
    n = select(loop->max_fd + 1, bytes ? (fd_set *)loop->sets[2] : NULL,
               bytes ? (fd_set *)loop->sets[3] : NULL, NULL, tvp);
    if (n < 0 && errno != EINTR)
        return -errno;
    loop->now = monotonic_ms();
    loop->found_nothing = n == 0;
    if (t0)
        loop->full_cost_us = monotonic_us() - t0;
    if (full) {
        uint64_t gap = loop->full_cost_us / 100; /* ten times, in ms */

        loop->next_full = loop->now + (gap > loop->poll_ms ? gap : loop->poll_ms);
    }
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
