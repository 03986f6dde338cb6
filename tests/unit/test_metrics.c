/*
 * test_metrics.c - the status page's counters follow the job table's
 * status changes, and the minute ring keeps the last hour.
 */
#include <stdlib.h>

#include "kq_metrics.h"
#include "kq_test.h"

static kq_time at(int64_t sec, uint32_t nsec)
{
    return (kq_time){sec, nsec};
}

static void set(kq_jobs *t, kq_job *job, kq_job_status st)
{
    kq_jobs_set_status(t, job, &st, at(5000, 0));
}

static kq_job_status offered(void)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_OFFERED};

    st.offered.issued = at(100, 0);
    return st;
}

static kq_job_status running(int64_t sec, uint32_t nsec)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_RUNNING};

    st.running.issued = at(100, 0);
    st.running.started = at(sec, nsec);
    return st;
}

static kq_job_status finished(int code)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_FINISHED};

    st.finished.return_code = code;
    return st;
}

static kq_job *add(kq_jobs *t, uint64_t id)
{
    kq_job *job = kq_job_new();

    job->info.job_id = id;
    job->info.status.tag = KQ_JOB_STATUS_PENDING;
    CHECK_INT(kq_jobs_insert(t, job, at(100, 0)), 0);
    return job;
}

/* Every change counts once, where it happens; inserting (a job restored
 * from the store) counts nothing. */
static void test_counters(void)
{
    kq_jobs t;
    kq_metrics m;
    kq_job *a, *b, *c, *d;

    kq_jobs_init(&t, 0);
    kq_metrics_init(&m);
    t.on_status = kq_metrics_on_status;
    t.on_status_arg = &m;
    a = add(&t, 0);
    b = add(&t, 1);
    c = add(&t, 2);
    d = add(&t, 3);
    CHECK_INT(m.offers, 0);
    set(&t, a, offered());
    set(&t, a, running(100, 7000000)); /* 7 ms after submission */
    set(&t, a, finished(0));
    set(&t, b, offered());
    set(&t, b, (kq_job_status){.tag = KQ_JOB_STATUS_PENDING}); /* deferred */
    set(&t, b, offered());
    set(&t, b, running(107, 0)); /* 7 s */
    set(&t, b, finished(2));
    set(&t, c, (kq_job_status){.tag = KQ_JOB_STATUS_CANCELED});
    set(&t, d, offered());
    set(&t, d, running(99, 0)); /* the clock went back: 0 */
    CHECK_INT(m.offers, 4);
    CHECK_INT(m.ended[KQ_RESULT_SUCCEEDED], 1);
    CHECK_INT(m.ended[KQ_RESULT_FAILED], 1);
    CHECK_INT(m.ended[KQ_RESULT_CANCELED], 1);
    CHECK_INT(m.latency_count, 3);
    CHECK_INT(m.latency[0], 1);  /* 0 s: <= 0.005 */
    CHECK_INT(m.latency[1], 1);  /* 7 ms: <= 0.01, not <= 0.005 */
    CHECK_INT(m.latency[7], 1);  /* 7 s: <= 10 */
    CHECK(m.latency_sum > 7.0069 && m.latency_sum < 7.0071);
    CHECK_STR(kq_result_name(KQ_RESULT_FAILED), "failed");
    kq_jobs_free(&t);
}

/* An hour of minutes and no more; each sample holds the jobs finished
 * since the previous one. */
static void test_ring(void)
{
    kq_jobs t;
    kq_metrics m;
    kq_job *a;

    kq_jobs_init(&t, 0);
    kq_metrics_init(&m);
    t.on_status = kq_metrics_on_status;
    t.on_status_arg = &m;
    a = add(&t, 0);
    add(&t, 1);
    kq_metrics_sample(&m, &t, 0);
    CHECK_INT(m.ring_len, 1);
    CHECK_INT(kq_metrics_at(&m, 0)->pending, 2);
    set(&t, a, offered());
    set(&t, a, running(101, 0));
    kq_metrics_sample(&m, &t, 60);
    CHECK_INT(kq_metrics_at(&m, 1)->pending, 1);
    CHECK_INT(kq_metrics_at(&m, 1)->running, 1);
    CHECK_INT(kq_metrics_at(&m, 1)->succeeded, 0);
    set(&t, a, finished(1));
    kq_metrics_sample(&m, &t, 120);
    CHECK_INT(kq_metrics_at(&m, 2)->failed, 1);
    CHECK_INT(kq_metrics_at(&m, 2)->running, 0);
    for (int i = 3; i < 200; i++)
        kq_metrics_sample(&m, &t, i * 60);
    CHECK_INT(m.ring_len, KQ_METRICS_RING);
    CHECK_INT(kq_metrics_at(&m, 0)->at, (200 - KQ_METRICS_RING) * 60);
    CHECK_INT(kq_metrics_at(&m, KQ_METRICS_RING - 1)->at, 199 * 60);
    CHECK_INT(kq_metrics_at(&m, KQ_METRICS_RING - 1)->failed, 0);
    kq_jobs_free(&t);
}

int main(void)
{
    test_counters();
    test_ring();
    KQ_TEST_DONE();
}
