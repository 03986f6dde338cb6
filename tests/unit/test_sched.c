/*
 * test_sched.c - the scheduler: queue order, back-filling, skip sets,
 * global limits, many shapes, the choice of worker, time limits against
 * workers with an end, and random work checked against a plain scan of
 * every job and worker.
 */
#include <stdlib.h>
#include <string.h>

#include "kq_resources.h"
#include "kq_sched.h"
#include "kq_test.h"

/* A worker as the server keeps it, reduced to what the scheduler sees. */
typedef struct fake_worker {
    kq_idle_worker iw;
    kq_resources free;
    kq_idset rejected, deferred;
    int offers;
} fake_worker;

static uint64_t next_worker_id;

static void worker_add(kq_sched *s, fake_worker *w, kq_resources free)
{
    memset(w, 0, sizeof *w);
    w->free = free;
    w->iw.id = next_worker_id++;
    w->iw.free = &w->free;
    w->iw.skip[0] = &w->rejected;
    w->iw.skip[1] = &w->deferred;
    CHECK_INT(kq_idle_add(&s->idle, &w->iw), 0);
    kq_idle_set(&s->idle, &w->iw, free.job_slots > 0);
}

static void worker_remove(kq_sched *s, fake_worker *w)
{
    kq_idle_remove(&s->idle, &w->iw);
    kq_idset_free(&w->rejected);
    kq_idset_free(&w->deferred);
}

static kq_job *add_job(kq_jobs *t, kq_sched *s, kq_resources need, const char *res,
                       uint64_t amount)
{
    kq_job *job = kq_job_new();

    job->info.job_id = t->next_id;
    job->info.worker_resources = need;
    job->info.status.tag = KQ_JOB_STATUS_PENDING;
    if (res) {
        job->info.has_global_resources = true;
        CHECK_INT(kq_u64_map_put(&job->info.global_resources, res, amount), 0);
    }
    CHECK_INT(kq_jobs_insert(t, job, (kq_time){0, 0}), 0);
    CHECK_INT(kq_sched_enqueue(s, job), 0);
    return job;
}

static kq_job *add(kq_jobs *t, kq_sched *s, uint64_t cpus, const char *res,
                   uint64_t amount)
{
    return add_job(t, s, (kq_resources){1, cpus, 100}, res, amount);
}

/* What the scheduler would offer first to one worker with cpus free and
 * that skip set; the pass is then run out without offering anything. */
static uint64_t pick_id(kq_sched *s, uint64_t cpus, const kq_idset *skip)
{
    fake_worker w;
    kq_idle_worker *iw;
    kq_job *job;
    uint64_t id = UINT64_MAX;

    worker_add(s, &w, (kq_resources){10, cpus, 1000});
    w.iw.skip[0] = skip;
    if (kq_sched_next(s, &job, &iw)) {
        CHECK(iw == &w.iw);
        id = job->info.job_id;
        do
            kq_sched_skip(s, job);
        while (kq_sched_next(s, &job, &iw));
    }
    worker_remove(s, &w);
    return id;
}

/* Makes the offer the scheduler chose, as the server does. */
static void offer(kq_sched *s, kq_job *job, kq_idle_worker *iw)
{
    fake_worker *w = (fake_worker *)(void *)iw;

    kq_sched_dequeue(s, job);
    CHECK_INT(kq_sched_hold(s, job), 0);
    kq_resources_sub(&w->free, &job->info.worker_resources);
    kq_idle_set(&s->idle, iw, w->free.job_slots > 0);
    w->offers++;
}

/* Offers everything that can be offered; how many offers. */
static int run_pass(kq_sched *s)
{
    kq_idle_worker *iw;
    kq_job *job;
    int n = 0;

    while (kq_sched_next(s, &job, &iw)) {
        offer(s, job, iw);
        n++;
    }
    return n;
}

static void test_order_and_backfill(void)
{
    kq_jobs t;
    kq_sched s;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 100), 0);
    add(&t, &s, 16, NULL, 0); /* 0: too big for a 8-cpu worker */
    add(&t, &s, 4, NULL, 0);  /* 1 */
    add(&t, &s, 4, NULL, 0);  /* 2 */
    add(&t, &s, 2, NULL, 0);  /* 3 */
    CHECK_INT(pick_id(&s, 8, NULL), 1);
    CHECK_INT(pick_id(&s, 16, NULL), 0);
    CHECK_INT(pick_id(&s, 2, NULL), 3);
    CHECK_INT(pick_id(&s, 1, NULL), UINT64_MAX);
    kq_sched_dequeue(&s, kq_jobs_get(&t, 1));
    CHECK_INT(pick_id(&s, 8, NULL), 2);
    CHECK_INT(s.waiting, 3);
    /* Back in the queue, it is first again. */
    CHECK_INT(kq_sched_enqueue(&s, kq_jobs_get(&t, 1)), 0);
    CHECK_INT(pick_id(&s, 8, NULL), 1);
    /* A job leaving from inside its shape's heap. */
    kq_sched_dequeue(&s, kq_jobs_get(&t, 2));
    kq_sched_dequeue(&s, kq_jobs_get(&t, 1));
    CHECK_INT(pick_id(&s, 8, NULL), 3);
    CHECK_INT(s.waiting, 2);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* Gives job a priority (a workflow if it has none). */
static void set_priority(kq_job *job, int32_t priority)
{
    if (!job->info.workflow)
        job->info.workflow = calloc(1, sizeof *job->info.workflow);
    job->info.workflow->priority = priority;
}

/* Priorities: higher first, FIFO within one, back-filling as before,
 * across one shape and several. */
static void test_priorities(void)
{
    kq_jobs t;
    kq_sched s;
    kq_job *j[6];

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 100), 0);
    for (int i = 0; i < 6; i++) {
        j[i] = add(&t, &s, i == 5 ? 16 : 4, NULL, 0);
        kq_sched_dequeue(&s, j[i]);
    }
    set_priority(j[1], 5);
    set_priority(j[2], -3);
    set_priority(j[4], 5);
    set_priority(j[5], 9); /* too big for an 8-cpu worker: back-filled */
    for (int i = 0; i < 6; i++)
        CHECK_INT(kq_sched_enqueue(&s, j[i]), 0);
    CHECK_INT(pick_id(&s, 16, NULL), 5);
    CHECK_INT(pick_id(&s, 8, NULL), 1);
    kq_sched_dequeue(&s, j[1]);
    CHECK_INT(pick_id(&s, 8, NULL), 4);
    kq_sched_dequeue(&s, j[4]);
    CHECK_INT(pick_id(&s, 8, NULL), 0);
    /* Raised while queued: first now. */
    kq_sched_dequeue(&s, j[2]);
    set_priority(j[2], 1);
    CHECK_INT(kq_sched_enqueue(&s, j[2]), 0);
    CHECK_INT(pick_id(&s, 8, NULL), 2);
    kq_sched_dequeue(&s, j[2]);
    CHECK_INT(pick_id(&s, 8, NULL), 0);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

static void test_skip_sets(void)
{
    kq_jobs t;
    kq_sched s;
    kq_idset skip = {0};

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 100), 0);
    for (int i = 0; i < 200; i++)
        add(&t, &s, 1, NULL, 0);
    for (uint64_t i = 0; i < 150; i++)
        CHECK_INT(kq_idset_add(&skip, i), 0);
    CHECK_INT(pick_id(&s, 8, &skip), 150);
    /* Skipped entries are still there for other workers. */
    CHECK_INT(pick_id(&s, 8, NULL), 0);
    CHECK_INT(s.waiting, 200);
    kq_idset_free(&skip);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* A job its best worker skips goes to the next best that fits. */
static void test_skip_goes_to_next_worker(void)
{
    kq_jobs t;
    kq_sched s;
    fake_worker a, b;
    kq_idle_worker *iw;
    kq_job *job;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 100), 0);
    worker_add(&s, &a, (kq_resources){8, 8, 8000});
    worker_add(&s, &b, (kq_resources){2, 8, 8000});
    add(&t, &s, 1, NULL, 0);
    CHECK_INT(kq_idset_add(&a.deferred, 0), 0);
    CHECK(kq_sched_next(&s, &job, &iw));
    CHECK(iw == &b.iw);
    offer(&s, job, iw);
    CHECK(!kq_sched_next(&s, &job, &iw));
    worker_remove(&s, &a);
    worker_remove(&s, &b);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

static void test_global_resources_and_slots(void)
{
    kq_jobs t;
    kq_sched s;
    kq_u64_map total = {0};
    kq_job *a, *b;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_u64_map_put(&total, "genus", 2), 0);
    CHECK_INT(kq_sched_init(&s, &t, &total, 3), 0);
    a = add(&t, &s, 1, "genus", 2);
    b = add(&t, &s, 1, "genus", 1);
    add(&t, &s, 1, "other", 1); /* not configured: never fits */
    add(&t, &s, 1, NULL, 0);
    CHECK_INT(pick_id(&s, 8, NULL), 0);
    kq_sched_dequeue(&s, a);
    CHECK_INT(kq_sched_hold(&s, a), 0);
    CHECK_INT(kq_u64_map_get(kq_sched_used(&s), "genus")->value, 2);
    /* genus is used up: b waits, the plain job 3 back-fills. */
    CHECK_INT(pick_id(&s, 8, NULL), 3);
    kq_sched_release(&s, a);
    CHECK(kq_sched_used(&s)->len == 0);
    CHECK_INT(pick_id(&s, 8, NULL), 1);
    /* global_max_parallel_jobs: 3 slots held by anything. */
    kq_sched_dequeue(&s, b);
    CHECK_INT(kq_sched_hold(&s, b), 0);
    s.slots_held = 3;
    CHECK_INT(pick_id(&s, 8, NULL), UINT64_MAX);
    s.slots_held = 2;
    CHECK_INT(pick_id(&s, 8, NULL), 3);
    /* More held than allowed (a lower limit after a restart): nothing. */
    s.slots_held = 4;
    add_job(&t, &s, (kq_resources){0, 1, 1}, NULL, 0);
    CHECK_INT(pick_id(&s, 8, NULL), UINT64_MAX);
    s.slots_held = 1;
    kq_sched_release(&s, b);
    CHECK_INT(s.slots_held, 0);
    kq_u64_map_free(&total);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* 100,000 shapes (each job its own RAM) too big for the worker do not
 * hide the small job behind them, nor slow it down: the first offer
 * searches the treap, not the shapes one by one. */
static void test_many_shapes(void)
{
    enum { N = 100000 };
    kq_jobs t;
    kq_sched s;
    size_t peak;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 1000000), 0);
    for (uint64_t i = 0; i < N; i++)
        add_job(&t, &s, (kq_resources){1, 1, 2000 + i}, NULL, 0);
    add_job(&t, &s, (kq_resources){1, 1, 100}, NULL, 0);
    CHECK_INT(s.nshapes, N + 1);
    CHECK(s.nbuckets >= N);
    peak = s.nbuckets;
    CHECK_INT(pick_id(&s, 8, NULL), N);   /* 1,000 MB free: only the last */
    CHECK_INT(pick_id(&s, 8, NULL), N);
    /* Room for 5 of them and the small one, in id order. */
    {
        fake_worker w;
        kq_idle_worker *iw;
        kq_job *job;

        worker_add(&s, &w, (kq_resources){1000, 1000, 10110});
        CHECK_INT(run_pass(&s), 6); /* jobs 0-4 and N */
        CHECK_INT(w.offers, 6);
        CHECK(!kq_sched_next(&s, &job, &iw));
        worker_remove(&s, &w);
    }
    CHECK_INT(s.nshapes, N - 5);
    /* Emptying the queue drops the shapes and shrinks the table. */
    for (uint64_t i = 5; i < N; i++)
        kq_sched_dequeue(&s, kq_jobs_get(&t, i));
    CHECK_INT(s.nshapes, 0);
    CHECK_INT(s.waiting, 0);
    CHECK(s.nbuckets < peak);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* The spread: two idle 16-core workers given 8 one-core jobs run 4 + 4;
 * a worker with less free (its load) gets less; ties go to the lowest id. */
static void test_worker_choice(void)
{
    kq_jobs t;
    kq_sched s;
    fake_worker a, b, c;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 1000), 0);
    worker_add(&s, &a, (kq_resources){16, 16, 64000});
    worker_add(&s, &b, (kq_resources){16, 16, 64000});
    for (int i = 0; i < 8; i++)
        add(&t, &s, 1, NULL, 0);
    CHECK_INT(run_pass(&s), 8);
    CHECK_INT(a.offers, 4);
    CHECK_INT(b.offers, 4);
    CHECK_INT(kq_jobs_get(&t, 0)->holds, 1);
    /* b is the more loaded one now (14 cpus free against a's 16): a
     * takes three before they alternate. */
    a.free = (kq_resources){16, 16, 64000};
    kq_idle_set(&s.idle, &a.iw, true);
    b.free = (kq_resources){16, 14, 64000};
    kq_idle_set(&s.idle, &b.iw, true);
    a.offers = b.offers = 0;
    for (int i = 0; i < 6; i++)
        add(&t, &s, 1, NULL, 0);
    CHECK_INT(run_pass(&s), 6);
    CHECK_INT(a.offers, 4);
    CHECK_INT(b.offers, 2);
    /* RAM binds: copies count in the job's own size. */
    a.free = (kq_resources){16, 16, 4000};
    kq_idle_set(&s.idle, &a.iw, true);
    b.free = (kq_resources){2, 2, 64000};
    kq_idle_set(&s.idle, &b.iw, true);
    a.offers = b.offers = 0;
    add_job(&t, &s, (kq_resources){1, 1, 2000}, NULL, 0); /* a: 2, b: 2 -> a */
    add_job(&t, &s, (kq_resources){1, 1, 2000}, NULL, 0); /* a: 1, b: 2 -> b */
    CHECK_INT(run_pass(&s), 2);
    CHECK_INT(a.offers, 1);
    CHECK_INT(b.offers, 1);
    /* A dimension the job does not need does not count (b has no cpu
     * left), and a job that needs nothing counts slots, taking none. */
    worker_add(&s, &c, (kq_resources){3, 0, 0});
    a.free = (kq_resources){2, 8, 8000};
    kq_idle_set(&s.idle, &a.iw, true);
    b.free = (kq_resources){1, 0, 64000};
    kq_idle_set(&s.idle, &b.iw, true);
    a.offers = b.offers = 0;
    add_job(&t, &s, (kq_resources){0, 0, 1000}, NULL, 0); /* b: 64 copies */
    add_job(&t, &s, (kq_resources){0, 0, 0}, NULL, 0);    /* c: 3 slots */
    add_job(&t, &s, (kq_resources){0, 0, 0}, NULL, 0);    /* c again */
    add_job(&t, &s, (kq_resources){1, 0, 0}, NULL, 0);    /* c: 3 */
    add_job(&t, &s, (kq_resources){1, 0, 0}, NULL, 0);    /* a: 2, c: 2, a first */
    CHECK_INT(run_pass(&s), 5);
    CHECK_INT(b.offers, 1);
    CHECK_INT(c.offers, 3);
    CHECK_INT(a.offers, 1);
    worker_remove(&s, &a);
    worker_remove(&s, &b);
    worker_remove(&s, &c);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* Jobs queued while a pass has set some aside (the server requeues the
 * offers of a worker whose connection fails as it is offered a job):
 * nothing is lost, and what the pass set aside comes back after it. */
static void test_enqueue_during_a_pass(void)
{
    kq_jobs t;
    kq_sched s;
    fake_worker a, b;
    kq_idle_worker *iw;
    kq_job *job, *j0, *j2, *j3;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 1000), 0);
    worker_add(&s, &a, (kq_resources){4, 4, 1000});
    worker_add(&s, &b, (kq_resources){4, 1, 8000});
    j0 = add_job(&t, &s, (kq_resources){1, 1, 100}, NULL, 0);
    add_job(&t, &s, (kq_resources){1, 2, 2000}, NULL, 0); /* a has the cpus, b the RAM */
    j2 = add_job(&t, &s, (kq_resources){1, 1, 50}, NULL, 0);
    CHECK_INT(kq_idset_add(&a.rejected, 0), 0);
    CHECK_INT(kq_idset_add(&b.rejected, 0), 0);
    CHECK(kq_sched_next(&s, &job, &iw));
    CHECK(job == j2 && iw == &a.iw);
    /* Into the shape whose head is set aside, and into the set-aside
     * shape. */
    j3 = add_job(&t, &s, (kq_resources){1, 1, 100}, NULL, 0);
    add_job(&t, &s, (kq_resources){1, 2, 2000}, NULL, 0);
    offer(&s, job, iw);
    CHECK(kq_sched_next(&s, &job, &iw));
    CHECK(job == j3 && iw == &a.iw);
    offer(&s, job, iw);
    CHECK(!kq_sched_next(&s, &job, &iw));
    CHECK_INT(s.waiting, 3);
    /* After the pass, all of them are there again. */
    kq_idset_clear(&b.rejected);
    b.free = (kq_resources){4, 8, 8000};
    kq_idle_set(&s.idle, &b.iw, true);
    CHECK(kq_sched_next(&s, &job, &iw));
    CHECK(job == j0 && iw == &b.iw);
    offer(&s, job, iw);
    CHECK_INT(run_pass(&s), 2);
    CHECK_INT(b.offers, 3);
    CHECK_INT(s.waiting, 0);
    CHECK_INT(s.nshapes, 0);
    worker_remove(&s, &a);
    worker_remove(&s, &b);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* ---- random work against a plain scan ----------------------------- */

enum { NW = 6, NJ = 3000 };

static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(uint64_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state % n;
}

static int32_t priority_of(const kq_job *j)
{
    return j->info.workflow ? j->info.workflow->priority : 0;
}

static kq_jobs *sort_jobs;

/* Queue order: higher priority first, then lower id. */
static int cmp_queue(const void *a, const void *b)
{
    const kq_job *x = kq_jobs_get(sort_jobs, *(const uint64_t *)a);
    const kq_job *y = kq_jobs_get(sort_jobs, *(const uint64_t *)b);

    if (priority_of(x) != priority_of(y))
        return priority_of(x) > priority_of(y) ? -1 : 1;
    return x->info.job_id < y->info.job_id ? -1 : 1;
}

/* The pair the rules give, by looking at every job and worker. */
static bool oracle(kq_sched *s, kq_jobs *t, fake_worker *w, const bool *idle,
                   const kq_idset *skipped, kq_job **job, fake_worker **best)
{
    static uint64_t order[NJ];
    size_t n = 0;

    for (uint64_t id = 0; id < t->next_id; id++)
        if (kq_jobs_get(t, id) && kq_jobs_get(t, id)->waiting)
            order[n++] = id;
    sort_jobs = t;
    qsort(order, n, sizeof *order, cmp_queue);
    for (size_t o = 0; o < n; o++) {
        uint64_t id = order[o];
        kq_job *j = kq_jobs_get(t, id);
        const kq_job_info *info = j ? &j->info : NULL;
        bool globals_ok = true;

        if (!j || !j->waiting || kq_idset_has(skipped, id))
            continue;
        if (s->slots_held + info->worker_resources.job_slots > s->max_slots)
            continue;
        for (size_t i = 0; info->has_global_resources && i < info->global_resources.len; i++) {
            const kq_u64_entry *e = &info->global_resources.items[i];
            const kq_u64_entry *tot = kq_u64_map_get(&s->total, e->key.ptr);
            const kq_u64_entry *u = kq_u64_map_get(&s->used, e->key.ptr);
            uint64_t used = u ? u->value : 0;

            if (!tot || used > tot->value || tot->value - used < e->value)
                globals_ok = false;
        }
        if (!globals_ok)
            continue;
        *best = NULL;
        for (int k = 0; k < NW; k++) {
            double c, bc;

            if (!idle[k] || !kq_resources_fit(&info->worker_resources, &w[k].free) ||
                kq_idset_has(&w[k].rejected, id) || kq_idset_has(&w[k].deferred, id))
                continue;
            c = kq_idle_copies(&w[k].free, &info->worker_resources);
            bc = *best ? kq_idle_copies(&(*best)->free, &info->worker_resources) : -1;
            if (c > bc)
                *best = &w[k];
        }
        if (*best) {
            *job = j;
            return true;
        }
    }
    return false;
}

static void test_random_against_scan(void)
{
    static const kq_resources shapes[] = {
        {1, 1, 100}, {1, 4, 100}, {2, 2, 4000}, {1, 16, 100}, {0, 0, 500},
        {0, 0, 0},   {3, 1, 1},   {1, 0, 0},    {1, 8, 16000},
    };
    kq_jobs t;
    kq_sched s;
    kq_u64_map total = {0};
    fake_worker w[NW];
    bool idle[NW];
    kq_job *offered[NJ];
    size_t noffered = 0;
    int pairs = 0, mismatches = 0;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_u64_map_put(&total, "lic", 3), 0);
    CHECK_INT(kq_u64_map_put(&total, "gpu", 2), 0);
    CHECK_INT(kq_sched_init(&s, &t, &total, 40), 0);
    for (int k = 0; k < NW; k++) {
        worker_add(&s, &w[k], (kq_resources){0, 0, 0});
        idle[k] = false;
    }
    for (int round = 0; round < 12000 && mismatches == 0; round++) {
        uint64_t op = rnd(12);

        if (op < 3 && t.next_id < NJ) {
            kq_resources need = shapes[rnd(sizeof shapes / sizeof *shapes)];
            uint64_t g = rnd(6);

            if (rnd(3) == 0)
                need.ram_mb += rnd(50); /* many distinct shapes */
            if (rnd(3) == 0) {
                /* Queued again with a priority, as the server does. */
                kq_job *j = add_job(&t, &s, need, g == 0 ? "lic" : g == 1 ? "gpu" : NULL,
                                    1 + rnd(2));

                kq_sched_dequeue(&s, j);
                set_priority(j, (int32_t)rnd(4) - 1);
                CHECK_INT(kq_sched_enqueue(&s, j), 0);
            } else {
                add_job(&t, &s, need, g == 0 ? "lic" : g == 1 ? "gpu" : NULL, 1 + rnd(2));
            }
        } else if (op == 3 && t.next_id) {
            kq_job *j = kq_jobs_get(&t, rnd(t.next_id));

            /* Left, or its priority changed (kueue set-priority). */
            if (rnd(2) && j->waiting) {
                kq_sched_dequeue(&s, j);
                set_priority(j, (int32_t)rnd(5) - 2);
                CHECK_INT(kq_sched_enqueue(&s, j), 0);
            } else {
                kq_sched_dequeue(&s, j);
            }
        } else if (op >= 4 && op <= 5 && noffered) {
            /* A job ends or comes back (deferred, worker lost). */
            size_t i = rnd(noffered);
            kq_job *j = offered[i];

            offered[i] = offered[--noffered];
            kq_sched_release(&s, j);
            if (rnd(2))
                CHECK_INT(kq_sched_enqueue(&s, j), 0);
        } else if (op >= 6 && op <= 7) {
            int k = (int)rnd(NW);

            w[k].free = (kq_resources){rnd(5), rnd(20), rnd(20000)};
            idle[k] = w[k].free.job_slots > 0 && rnd(4) != 0;
            kq_idle_set(&s.idle, &w[k].iw, idle[k]);
            if (rnd(3) == 0)
                kq_idset_clear(&w[k].deferred);
        } else if (op == 8 && t.next_id) {
            int k = (int)rnd(NW);

            CHECK_INT(kq_idset_add(rnd(2) ? &w[k].deferred : &w[k].rejected,
                                   rnd(t.next_id)), 0);
        } else {
            kq_idset skipped = {0};
            kq_idle_worker *iw;
            kq_job *job, *ojob;
            fake_worker *ow;

            for (;;) {
                bool got = kq_sched_next(&s, &job, &iw);
                bool want = oracle(&s, &t, w, idle, &skipped, &ojob, &ow);

                if (got != want || (got && (job != ojob || iw != &ow->iw))) {
                    fprintf(stderr, "round %d: scheduler %s job %lld worker %lld, "
                                    "scan %s job %lld worker %lld\n",
                            round, got ? "offers" : "stops",
                            got ? (long long)job->info.job_id : -1,
                            got ? (long long)iw->id : -1, want ? "offers" : "stops",
                            want ? (long long)ojob->info.job_id : -1,
                            want ? (long long)ow->iw.id : -1);
                    mismatches++;
                    while (got && kq_sched_next(&s, &job, &iw))
                        kq_sched_skip(&s, job);
                    break;
                }
                if (!got)
                    break;
                pairs++;
                if (rnd(8) == 0) {
                    /* The server could not make it (out of memory). */
                    kq_sched_skip(&s, job);
                    CHECK_INT(kq_idset_add(&skipped, job->info.job_id), 0);
                    continue;
                }
                offer(&s, job, iw);
                idle[(fake_worker *)(void *)iw - w] = ((fake_worker *)(void *)iw)->free.job_slots > 0;
                offered[noffered++] = job;
            }
            kq_idset_free(&skipped);
        }
    }
    CHECK_INT(mismatches, 0);
    CHECK(pairs > 2000);
    for (int k = 0; k < NW; k++)
        worker_remove(&s, &w[k]);
    kq_u64_map_free(&total);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* Gives job a time limit (a workflow if it has none); before it is
 * queued, since it is part of its shape. */
static void set_time_limit(kq_job *job, uint64_t seconds)
{
    if (!job->info.workflow)
        job->info.workflow = calloc(1, sizeof *job->info.workflow);
    job->info.workflow->has_time_limit_seconds = true;
    job->info.workflow->time_limit_seconds = seconds;
}

/* A job of one cpu with a time limit (0: none). */
static kq_job *add_timed(kq_jobs *t, kq_sched *s, uint64_t limit)
{
    kq_job *job = add(t, s, 1, NULL, 0);

    kq_sched_dequeue(s, job);
    if (limit)
        set_time_limit(job, limit);
    CHECK_INT(kq_sched_enqueue(s, job), 0);
    return job;
}

/* The ids offered in one pass, in offer order, as a bit set. */
static uint64_t offered_in_pass(kq_sched *s)
{
    kq_idle_worker *iw;
    kq_job *job;
    uint64_t ids = 0;

    while (kq_sched_next(s, &job, &iw)) {
        ids |= (uint64_t)1 << job->info.job_id;
        offer(s, job, iw);
    }
    return ids;
}

/* Workers with an end take only jobs whose time limit fits in what is
 * left, and jobs without one while they take such jobs; a worker without
 * an end takes anything.  The horizon counts from the scheduler's clock. */
static void test_time_horizons(void)
{
    kq_jobs t;
    kq_sched s;
    fake_worker w;
    uint64_t until[KQ_IDLE_TIMES];
    kq_job *j[4];

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, &t, NULL, 100), 0);
    s.now_ms = 1000000;
    j[0] = add_timed(&t, &s, 7200); /* 2h */
    j[1] = add_timed(&t, &s, 1800); /* 30m */
    j[2] = add_timed(&t, &s, 0);    /* no limit */
    j[3] = add_timed(&t, &s, 30);
    /* An hour left, jobs without a limit for ten more minutes. */
    until[KQ_IDLE_LIMITED] = s.now_ms + 3600 * 1000;
    until[KQ_IDLE_OPEN] = s.now_ms + 600 * 1000;
    worker_add(&s, &w, (kq_resources){10, 10, 10000});
    w.iw.until = until;
    kq_idle_set(&s.idle, &w.iw, true);
    CHECK_INT(offered_in_pass(&s), 0xe); /* 1, 2, 3: not the 2h job */
    CHECK(j[0]->waiting);
    worker_remove(&s, &w);
    /* Twenty minutes later: 40m left, none for jobs without a limit. */
    for (int i = 1; i < 4; i++) {
        kq_sched_release(&s, j[i]);
        CHECK_INT(kq_sched_enqueue(&s, j[i]), 0);
    }
    s.now_ms += 1200 * 1000;
    worker_add(&s, &w, (kq_resources){10, 10, 10000});
    w.iw.until = until;
    kq_idle_set(&s.idle, &w.iw, true);
    CHECK_INT(offered_in_pass(&s), 0xa); /* 1 and 3 */
    worker_remove(&s, &w);
    /* At the end, nothing; a worker without one takes the rest. */
    s.now_ms = until[KQ_IDLE_LIMITED];
    worker_add(&s, &w, (kq_resources){10, 10, 10000});
    w.iw.until = until;
    kq_idle_set(&s.idle, &w.iw, true);
    CHECK_INT(offered_in_pass(&s), 0);
    worker_remove(&s, &w);
    worker_add(&s, &w, (kq_resources){10, 10, 10000});
    CHECK_INT(offered_in_pass(&s), 0x5); /* 0 and 2 */
    worker_remove(&s, &w);
    for (int i = 0; i < 4; i++)
        kq_sched_release(&s, j[i]);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

/* What the autoscaler asks: would a waiting job fit a new worker of such
 * resources and horizon? */
static void test_fits_new_worker(void)
{
    kq_jobs t;
    kq_sched s;
    kq_u64_map total = {0};
    kq_job *big, *licensed;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_u64_map_put(&total, "matlab", 1), 0);
    CHECK_INT(kq_sched_init(&s, &t, &total, 100), 0);
    CHECK(!kq_sched_fits_new_worker(&s, NULL, UINT64_MAX));
    add_timed(&t, &s, 7200);
    CHECK(kq_sched_fits_new_worker(&s, NULL, UINT64_MAX));
    CHECK(kq_sched_fits_new_worker(&s, NULL, 7200));
    CHECK(!kq_sched_fits_new_worker(&s, NULL, 7199));
    CHECK(!kq_sched_fits_new_worker(&s, &(kq_resources){1, 0, 1000}, 7200));
    big = add(&t, &s, 64, NULL, 0);
    CHECK(!kq_sched_fits_new_worker(&s, &(kq_resources){10, 8, 16000}, 3600));
    CHECK(kq_sched_fits_new_worker(&s, &(kq_resources){10, 64, 16000}, 3600));
    kq_sched_dequeue(&s, big);
    /* Held back by a global resource in use: no new worker helps. */
    licensed = add(&t, &s, 1, "matlab", 1);
    CHECK(kq_sched_fits_new_worker(&s, &(kq_resources){10, 8, 16000}, 3600));
    CHECK_INT(kq_sched_hold(&s, big), 0);
    kq_sched_dequeue(&s, licensed);
    CHECK_INT(kq_sched_hold(&s, licensed), 0);
    add(&t, &s, 1, "matlab", 1);
    CHECK(!kq_sched_fits_new_worker(&s, &(kq_resources){10, 8, 16000}, 3600));
    kq_sched_release(&s, licensed);
    CHECK(kq_sched_fits_new_worker(&s, &(kq_resources){10, 8, 16000}, 3600));
    kq_sched_release(&s, big);
    kq_u64_map_free(&total);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

int main(void)
{
    test_order_and_backfill();
    test_priorities();
    test_skip_sets();
    test_skip_goes_to_next_worker();
    test_global_resources_and_slots();
    test_many_shapes();
    test_worker_choice();
    test_enqueue_during_a_pass();
    test_time_horizons();
    test_fits_new_worker();
    test_random_against_scan();
    KQ_TEST_DONE();
}
