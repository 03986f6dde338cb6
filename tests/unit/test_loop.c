/*
 * test_loop.c - the select() loop: timers (order, cancelling at any time,
 * stale ids), readiness of many descriptors, and idle polling (a quiet
 * descriptor's events still arrive, in a full turn).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kq_loop.h"
#include "kq_test.h"

enum { NTIMERS = 2000 };

typedef struct fired {
    int order[NTIMERS];
    int count[NTIMERS];
    int n;
    uint64_t *ids;     /* test_cancel_from_a_callback: whom to cancel */
} fired;

typedef struct timer_arg {
    fired *f;
    int index;
} timer_arg;

static void on_timer(kq_loop *loop, void *arg)
{
    timer_arg *t = arg;

    (void)loop;
    t->f->count[t->index]++;
    t->f->order[t->f->n++] = t->index;
}

static void run_until_fired(kq_loop *loop, const fired *f, int want)
{
    for (int i = 0; i < 1000 && f->n < want; i++)
        CHECK_INT(kq_loop_turn(loop, 5), 0);
}

/* Timers with the same delay fire in creation order, earlier delays
 * first; cancelled ones (any of them, any time) never fire; each other
 * fires once. */
static void test_timers_fire_in_order_and_cancel(void)
{
    static fired f;
    static timer_arg args[NTIMERS];
    static uint64_t ids[NTIMERS];
    static int delay[NTIMERS];
    bool cancelled[NTIMERS] = {false};
    kq_loop *loop = NULL;
    int want = 0;

    CHECK_INT(kq_loop_new(&loop), 0);
    srand(7);
    for (int i = 0; i < NTIMERS; i++) {
        delay[i] = (rand() % 3) * 20;
        args[i] = (timer_arg){&f, i};
        ids[i] = kq_loop_timer(loop, (uint64_t)delay[i], on_timer, &args[i]);
        CHECK(ids[i] != 0);
        /* Cancel some at once, some among the older ones. */
        if (i % 3 == 0) {
            int victim = rand() % (i + 1);

            kq_loop_timer_cancel(loop, ids[victim]);
            cancelled[victim] = true;
        }
    }
    for (int i = 0; i < NTIMERS; i++)
        want += !cancelled[i];
    run_until_fired(loop, &f, want);
    CHECK_INT(f.n, want);
    for (int i = 0; i < NTIMERS; i++)
        CHECK_INT(f.count[i], cancelled[i] ? 0 : 1);
    /* The three delays are 20 ms apart, far more than creating all takes. */
    for (int k = 1; k < f.n; k++) {
        int a = f.order[k - 1], b = f.order[k];

        CHECK(delay[a] <= delay[b]);
        if (delay[a] == delay[b])
            CHECK(a < b);
    }
    kq_loop_free(loop);
}

/* An id whose timer fired or was cancelled does not cancel the timer that
 * reuses its slot. */
static void test_stale_id_misses(void)
{
    static fired f;
    timer_arg a = {&f, 0}, b = {&f, 1}, c = {&f, 2};
    kq_loop *loop = NULL;
    uint64_t old, fresh, gone;

    CHECK_INT(kq_loop_new(&loop), 0);
    old = kq_loop_timer(loop, 0, on_timer, &a);
    run_until_fired(loop, &f, 1);
    CHECK_INT(f.count[0], 1);
    fresh = kq_loop_timer(loop, 0, on_timer, &b);
    kq_loop_timer_cancel(loop, old);
    kq_loop_timer_cancel(loop, old);
    gone = kq_loop_timer(loop, 0, on_timer, &c);
    kq_loop_timer_cancel(loop, gone);
    kq_loop_timer_cancel(loop, gone);
    kq_loop_timer_cancel(loop, 0);
    kq_loop_timer_cancel(loop, ~(uint64_t)0);
    run_until_fired(loop, &f, 2);
    CHECK(fresh != old);
    CHECK_INT(f.count[1], 1);
    CHECK_INT(f.count[2], 0);
    kq_loop_free(loop);
}

static void cancel_the_others(kq_loop *loop, void *arg)
{
    timer_arg *t = arg;

    on_timer(loop, arg);
    for (int i = 0; i < 4; i++)
        if (i != t->index)
            kq_loop_timer_cancel(loop, t->f->ids[i]);
}

/* A callback may cancel timers due in the same turn (and itself). */
static void test_cancel_from_a_callback(void)
{
    static fired f;
    static uint64_t ids[4];
    timer_arg args[4];
    kq_loop *loop = NULL;

    CHECK_INT(kq_loop_new(&loop), 0);
    f.ids = ids;
    for (int i = 0; i < 4; i++) {
        args[i] = (timer_arg){&f, i};
        ids[i] = kq_loop_timer(loop, 0, cancel_the_others, &args[i]);
    }
    for (int i = 0; i < 10; i++)
        CHECK_INT(kq_loop_turn(loop, 1), 0);
    CHECK_INT(f.n, 1);
    CHECK_INT(f.count[0], 1);
    kq_loop_free(loop);
}

typedef struct ready {
    int calls[64];
    int fds[64];
} ready;

static void on_ready(kq_loop *loop, int fd, int events, void *arg)
{
    ready *r = arg;
    char buf[16];

    (void)loop;
    for (int i = 0; i < 64; i++) {
        if (r->fds[i] == fd) {
            CHECK(events == KQ_READABLE);
            r->calls[i]++;
            CHECK(read(fd, buf, sizeof buf) > 0);
        }
    }
}

/* Of many descriptors, exactly the readable ones are called back, also
 * across word boundaries of the fd sets (within turns turns). */
static void test_only_ready_descriptors_called(kq_loop *loop, ready *r, int peers[64],
                                               int turns)
{
    memset(r->calls, 0, sizeof r->calls);
    for (int i = 0; i < 64; i += 7)
        CHECK_INT(write(peers[i], "x", 1), 1);
    for (int t = 0; t < turns; t++)
        CHECK_INT(kq_loop_turn(loop, 1000), 0);
    for (int i = 0; i < 64; i++)
        CHECK_INT(r->calls[i], i % 7 == 0);
}

static void open_many(kq_loop *loop, ready *r, int peers[64])
{
    for (int i = 0; i < 64; i++) {
        int sv[2];

        CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        r->fds[i] = sv[0];
        peers[i] = sv[1];
        CHECK_INT(kq_loop_watch(loop, sv[0], KQ_READABLE, on_ready, r), 0);
    }
}

static void close_many(ready *r, int peers[64])
{
    for (int i = 0; i < 64; i++) {
        close(r->fds[i]);
        close(peers[i]);
    }
}

static void test_readiness(void)
{
    static ready r;
    int peers[64];
    kq_loop *loop = NULL;

    CHECK_INT(kq_loop_new(&loop), 0);
    open_many(loop, &r, peers);
    test_only_ready_descriptors_called(loop, &r, peers, 1);
    close_many(&r, peers);
    kq_loop_free(loop);
}

static void on_busy(kq_loop *loop, int fd, int events, void *arg)
{
    char buf[16];

    (void)loop;
    (void)events;
    CHECK(read(fd, buf, sizeof buf) > 0);
    (*(int *)arg)++;
}

/* With idle polling, quiet descriptors still get their events: at once
 * when nothing else keeps the loop busy, and within the poll interval
 * when something does. */
static void test_idle_polling(void)
{
    static ready r;
    int peers[64], busy[2], busy_calls = 0;
    kq_loop *loop = NULL;

    CHECK_INT(kq_loop_new(&loop), 0);
    CHECK_INT(kq_loop_idle_polling(loop, 0, 10), -22);
    CHECK_INT(kq_loop_idle_polling(loop, 20, 10), 0);
    open_many(loop, &r, peers);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, busy), 0);
    CHECK_INT(kq_loop_watch(loop, busy[0], KQ_READABLE, on_busy, &busy_calls), 0);
    test_only_ready_descriptors_called(loop, &r, peers, 1);
    /* All quiet for longer than quiet_ms: the hot turn that finds nothing
     * ends within poll_ms, and the full turn after it sees them. */
    usleep(40000);
    for (int i = 0; i < 3; i++)
        CHECK_INT(kq_loop_turn(loop, 0), 0);
    test_only_ready_descriptors_called(loop, &r, peers, 2);
    /* Quiet again, while another descriptor is ready every turn. */
    usleep(40000);
    memset(r.calls, 0, sizeof r.calls);
    CHECK_INT(write(peers[0], "x", 1), 1);
    for (int i = 0; i < 10000 && !r.calls[0]; i++) {
        CHECK_INT(write(busy[1], "x", 1), 1);
        CHECK_INT(kq_loop_turn(loop, 1000), 0);
    }
    CHECK_INT(r.calls[0], 1);
    CHECK(busy_calls > 0);
    close_many(&r, peers);
    close(busy[0]);
    close(busy[1]);
    kq_loop_free(loop);
}

int main(void)
{
    test_timers_fire_in_order_and_cancel();
    test_stale_id_misses();
    test_cancel_from_a_callback();
    test_readiness();
    test_idle_polling();
    KQ_TEST_DONE();
}
