/*
 * test_jobs.c - the job table: categories, selection, statistics.
 */
#include <stdlib.h>
#include <string.h>

#include "kq_jobs.h"
#include "kq_test.h"

static kq_time at(int64_t sec)
{
    return (kq_time){sec, 0};
}

static kq_job *make(kq_jobs *t, uint64_t id, kq_job_status st)
{
    kq_job *job = kq_job_new();

    job->info.job_id = id;
    job->info.status = st;
    CHECK_INT(kq_jobs_insert(t, job, at(1000)), 0);
    return job;
}

static kq_job_status pending(void)
{
    return (kq_job_status){.tag = KQ_JOB_STATUS_PENDING, .pending = {at(0)}};
}

static kq_job_status running(int64_t started)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_RUNNING};

    st.running.issued = at(0);
    st.running.started = at(started);
    return st;
}

static kq_job_status finished(int code, int64_t run)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_FINISHED};

    st.finished.return_code = code;
    st.finished.run_time_seconds = run;
    return st;
}

/* The worked example of the reference, section 3.11. */
static void test_worked_example(void)
{
    kq_jobs t;
    kq_s2c_job_list l = {0};

    kq_jobs_init(&t, 0);
    make(&t, 0, finished(0, 59));
    make(&t, 1, finished(1, 1));
    make(&t, 2, running(10000 - 3725));
    make(&t, 3, pending());
    kq_jobs_stats(&t, at(10000), &l);
    CHECK_INT(l.jobs_succeeded, 1);
    CHECK_INT(l.jobs_failed, 1);
    CHECK_INT(l.jobs_running, 1);
    CHECK_INT(l.jobs_pending, 1);
    CHECK_INT(l.job_avg_run_time_seconds, 1261);
    CHECK_INT(l.remaining_jobs_eta_seconds, 1261);
    kq_jobs_free(&t);
}

static void test_stats_branches(void)
{
    kq_jobs t;
    kq_s2c_job_list l = {0};

    kq_jobs_init(&t, 0);
    kq_jobs_stats(&t, at(100), &l);
    CHECK_INT(l.job_avg_run_time_seconds, 0);
    CHECK_INT(l.remaining_jobs_eta_seconds, 0);
    /* Only running: the longest runner is the average. */
    make(&t, 0, running(40));
    make(&t, 1, running(90));
    for (uint64_t i = 2; i < 7; i++)
        make(&t, i, pending());
    kq_jobs_stats(&t, at(100), &l);
    CHECK_INT(l.job_avg_run_time_seconds, 60);
    /* running_eta = 60 - 10; pending 5 > running 2: 5*60/2 */
    CHECK_INT(l.remaining_jobs_eta_seconds, 50 + 150);
    kq_jobs_free(&t);
}

/* Status changes keep counters, sums and lists in step. */
static void test_transitions(void)
{
    kq_jobs t;
    kq_s2c_job_list l = {0};
    kq_job *a, *b;
    kq_job_status st;

    kq_jobs_init(&t, 0);
    a = make(&t, 0, pending());
    b = make(&t, 1, pending());
    st = running(50);
    kq_jobs_set_status(&t, a, &st, at(60));
    CHECK_INT(t.count[KQ_CAT_PENDING], 1);
    CHECK_INT(t.count[KQ_CAT_RUNNING], 1);
    CHECK(t.running == a);
    st = finished(0, 30);
    kq_jobs_set_status(&t, a, &st, at(80));
    CHECK(t.running == NULL);
    CHECK(t.done_head == a && t.done_tail == a);
    CHECK_INT(t.finished_sum, 30);
    kq_jobs_delete(&t, a);
    CHECK_INT(t.finished_sum, 0);
    CHECK(t.done_head == NULL);
    CHECK(kq_jobs_get(&t, 0) == NULL);
    CHECK(kq_jobs_get(&t, 1) == b);
    kq_jobs_stats(&t, at(100), &l);
    CHECK_INT(l.jobs_pending, 1);
    CHECK_INT(l.jobs_succeeded, 0);
    kq_jobs_free(&t);
}

/* The last n of the chosen categories, ascending, over holes and a moved
 * base, across many words. */
static void test_select(void)
{
    kq_jobs t;
    kq_job **out;
    long n;

    kq_jobs_init(&t, 0);
    for (uint64_t i = 0; i < 10000; i++)
        make(&t, i, i % 3 == 0 ? running(0) : pending());
    n = kq_jobs_select(&t, KQ_CAT_ALL, 5, &out);
    CHECK_INT(n, 5);
    CHECK_INT(out[0]->info.job_id, 9995);
    CHECK_INT(out[4]->info.job_id, 9999);
    free(out);
    n = kq_jobs_select(&t, KQ_CAT_BIT(KQ_CAT_RUNNING), 3, &out);
    CHECK_INT(n, 3);
    CHECK_INT(out[0]->info.job_id, 9993);
    CHECK_INT(out[2]->info.job_id, 9999);
    free(out);
    n = kq_jobs_select(&t, KQ_CAT_BIT(KQ_CAT_FAILED), 3, &out);
    CHECK_INT(n, 0);
    CHECK(out == NULL);
    CHECK_INT(kq_jobs_select(&t, KQ_CAT_ALL, 0, &out), 0);
    /* Remove the first 8000: the table compacts, ids stay. */
    for (uint64_t i = 0; i < 8000; i++)
        kq_jobs_delete(&t, kq_jobs_get(&t, i));
    CHECK(t.base > 0);
    CHECK(kq_jobs_get(&t, 8000) != NULL);
    CHECK_INT(kq_jobs_get(&t, 8000)->info.job_id, 8000);
    n = kq_jobs_select(&t, KQ_CAT_ALL, 100000, &out);
    CHECK_INT(n, 2000);
    CHECK_INT(out[0]->info.job_id, 8000);
    free(out);
    CHECK_INT(t.next_id, 10000);
    kq_jobs_free(&t);
}

/* Regression: observing a job twice registers the observer once and says
 * so, so that the server does not grow a session's list on repeats. */
static void test_observe_once(void)
{
    kq_jobs t;
    kq_job *job;
    int a, b;

    kq_jobs_init(&t, 0);
    job = make(&t, 0, pending());
    CHECK_INT(kq_job_observe(job, &a), 1);
    CHECK_INT(kq_job_observe(job, &a), 0);
    CHECK_INT(kq_job_observe(job, &b), 1);
    CHECK_INT(job->nobservers, 2);
    kq_job_unobserve(job, &a);
    CHECK_INT(job->nobservers, 1);
    CHECK(job->observers[0] == &b);
    CHECK_INT(kq_job_observe(job, &a), 1);
    kq_jobs_free(&t);
}

int main(void)
{
    test_worked_example();
    test_stats_branches();
    test_transitions();
    test_select();
    test_observe_once();
    KQ_TEST_DONE();
}
