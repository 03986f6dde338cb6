/*
 * test_sched.c - the offer queue: order, back-filling, limits, skip sets.
 */
#include <stdlib.h>
#include <string.h>

#include "kq_sched.h"
#include "kq_test.h"

static kq_job *add(kq_jobs *t, kq_sched *s, uint64_t cpus, const char *res,
                   uint64_t amount)
{
    kq_job *job = kq_job_new();

    job->info.job_id = t->next_id;
    job->info.worker_resources = (kq_resources){1, cpus, 100};
    job->info.status.tag = KQ_JOB_STATUS_PENDING;
    if (res) {
        job->info.has_global_resources = true;
        CHECK_INT(kq_u64_map_put(&job->info.global_resources, res, amount), 0);
    }
    CHECK_INT(kq_jobs_insert(t, job, (kq_time){0, 0}), 0);
    CHECK_INT(kq_sched_enqueue(s, job), 0);
    return job;
}

static uint64_t pick_id(kq_sched *s, kq_jobs *t, uint64_t cpus,
                        const kq_idset *skip)
{
    kq_resources free = {10, cpus, 1000};
    kq_job *job = kq_sched_pick(s, t, &free, skip, NULL);

    return job ? job->info.job_id : UINT64_MAX;
}

static void test_order_and_backfill(void)
{
    kq_jobs t;
    kq_sched s;

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, NULL, 100), 0);
    add(&t, &s, 16, NULL, 0); /* 0: too big for a 8-cpu worker */
    add(&t, &s, 4, NULL, 0);  /* 1 */
    add(&t, &s, 4, NULL, 0);  /* 2 */
    add(&t, &s, 2, NULL, 0);  /* 3 */
    CHECK_INT(pick_id(&s, &t, 8, NULL), 1);
    CHECK_INT(pick_id(&s, &t, 16, NULL), 0);
    CHECK_INT(pick_id(&s, &t, 2, NULL), 3);
    CHECK_INT(pick_id(&s, &t, 1, NULL), UINT64_MAX);
    kq_sched_dequeue(&s, kq_jobs_get(&t, 1));
    CHECK_INT(pick_id(&s, &t, 8, NULL), 2);
    CHECK_INT(s.waiting, 3);
    /* Back in the queue, it is first again. */
    CHECK_INT(kq_sched_enqueue(&s, kq_jobs_get(&t, 1)), 0);
    CHECK_INT(pick_id(&s, &t, 8, NULL), 1);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

static void test_skip_sets(void)
{
    kq_jobs t;
    kq_sched s;
    kq_idset skip = {0};

    kq_jobs_init(&t, 0);
    CHECK_INT(kq_sched_init(&s, NULL, 100), 0);
    for (int i = 0; i < 200; i++)
        add(&t, &s, 1, NULL, 0);
    for (uint64_t i = 0; i < 150; i++)
        CHECK_INT(kq_idset_add(&skip, i), 0);
    CHECK_INT(pick_id(&s, &t, 8, &skip), 150);
    /* Skipped entries are still there for other workers. */
    CHECK_INT(pick_id(&s, &t, 8, NULL), 0);
    kq_idset_free(&skip);
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
    CHECK_INT(kq_sched_init(&s, &total, 3), 0);
    a = add(&t, &s, 1, "genus", 2);
    b = add(&t, &s, 1, "genus", 1);
    add(&t, &s, 1, "other", 1); /* not configured: never fits */
    add(&t, &s, 1, NULL, 0);
    CHECK_INT(pick_id(&s, &t, 8, NULL), 0);
    kq_sched_dequeue(&s, a);
    CHECK_INT(kq_sched_hold(&s, a), 0);
    CHECK_INT(kq_u64_map_get(kq_sched_used(&s), "genus")->value, 2);
    /* genus is used up: b waits, the plain job 3 back-fills. */
    CHECK_INT(pick_id(&s, &t, 8, NULL), 3);
    kq_sched_release(&s, a);
    CHECK(kq_sched_used(&s)->len == 0);
    CHECK_INT(pick_id(&s, &t, 8, NULL), 1);
    /* global_max_parallel_jobs: 3 slots held by anything. */
    kq_sched_dequeue(&s, b);
    CHECK_INT(kq_sched_hold(&s, b), 0);
    s.slots_held = 3;
    CHECK_INT(pick_id(&s, &t, 8, NULL), UINT64_MAX);
    s.slots_held = 1;
    kq_sched_release(&s, b);
    CHECK_INT(s.slots_held, 0);
    kq_u64_map_free(&total);
    kq_sched_free(&s);
    kq_jobs_free(&t);
}

int main(void)
{
    test_order_and_backfill();
    test_skip_sets();
    test_global_resources_and_slots();
    KQ_TEST_DONE();
}
