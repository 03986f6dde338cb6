/*
 * kq_srv_limits.c - time limits (kueue cmd --time-limit): a running job
 * that passes its limit is killed, and ends Finished with return code
 * KQ_RC_TIME_LIMIT and the comment "killed: time limit 2h30m exceeded".
 *
 * The server enforces them, so they hold with any worker, the original
 * too: it sends the usual KillJob (the worker's SIGTERM, grace, SIGKILL of
 * the whole tree) and turns the worker's report of the kill (Canceled, or
 * Finished -46) into the time-limit status; a job that ended on its own
 * before the kill keeps its result.  A job's limit counts from its start
 * by the server's clock (Running.started), so a restarted server finds
 * every deadline again; a worker that is away at the deadline is sent the
 * kill when it comes back, and if it never does, the job ends as killed
 * at its limit instead of going back to the queue.
 *
 * The deadlines are a min-heap with one loop timer for the earliest.  An
 * entry is checked against its job when it comes due (the job may have
 * ended, or run again since): at most one per job is in the heap
 * (kq_job.limit_armed), and stale ones are dropped when they come due or
 * when they pass half of the heap.  Owns the heap; never owns jobs.
 */
#include "kq_server_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_duration.h"

static int64_t limit_of(const kq_job *job)
{
    const kq_workflow *wf = job->info.workflow;

    return wf && wf->has_time_limit_seconds ? (int64_t)wf->time_limit_seconds : -1;
}

static int64_t ms_of(kq_time t)
{
    return t.sec * 1000 + (int64_t)(t.nsec / 1000000);
}

/* When the job's current run passes its limit, in ms of the wall clock. */
static int64_t deadline_of(const kq_job *job)
{
    return ms_of(job->info.status.running.started) + limit_of(job) * 1000;
}

static void sift_up(kq_limits *l, size_t i)
{
    kq_limit_entry e = l->heap[i];

    while (i > 0 && e.deadline < l->heap[(i - 1) / 2].deadline) {
        l->heap[i] = l->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    l->heap[i] = e;
}

static void sift_down(kq_limits *l, size_t i)
{
    kq_limit_entry e = l->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= l->len)
            break;
        if (c + 1 < l->len && l->heap[c + 1].deadline < l->heap[c].deadline)
            c++;
        if (e.deadline <= l->heap[c].deadline)
            break;
        l->heap[i] = l->heap[c];
        i = c;
    }
    l->heap[i] = e;
}

static void on_timer(kq_loop *loop, void *arg);

/* Points the loop timer at the earliest deadline. */
static void rearm(kq_server *srv)
{
    kq_limits *l = &srv->limits;
    int64_t wait;

    if (l->len == 0 || (l->timer && l->timer_at == l->heap[0].deadline))
        return;
    kq_loop_timer_cancel(srv->loop, l->timer);
    wait = l->heap[0].deadline - ms_of(kq_time_now());
    l->timer = kq_loop_timer(srv->loop, wait > 0 ? (uint64_t)wait : 0, on_timer, srv);
    l->timer_at = l->heap[0].deadline;
}

/* Drops the entries of jobs that no longer run, and moves those of jobs
 * that run again to their current deadline. */
static void filter(kq_server *srv)
{
    kq_limits *l = &srv->limits;
    size_t n = 0;

    for (size_t i = 0; i < l->len; i++) {
        kq_job *job = kq_jobs_get(&srv->jobs, l->heap[i].id);

        if (!job)
            continue;
        if (job->cat == KQ_CAT_RUNNING && limit_of(job) >= 0) {
            l->heap[n] = l->heap[i];
            l->heap[n++].deadline = deadline_of(job);
        } else {
            job->limit_armed = false;
        }
    }
    l->len = n;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(l, i);
}

static void push(kq_server *srv, kq_job *job)
{
    kq_limits *l = &srv->limits;

    if (l->len == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        kq_limit_entry *h;

        filter(srv);
        if (l->len * 2 > l->cap || l->cap == 0) {
            if (!(h = realloc(l->heap, cap * sizeof *h))) {
                kq_err("Out of memory watching the time limit of job %llu",
                       (unsigned long long)job->info.job_id);
                return;
            }
            l->heap = h;
            l->cap = cap;
        }
    }
    l->heap[l->len] = (kq_limit_entry){deadline_of(job), job->info.job_id};
    sift_up(l, l->len++);
    job->limit_armed = true;
    rearm(srv);
}

void kq_srv_limit_watch(kq_server *srv, kq_job *job)
{
    if (limit_of(job) < 0 || job->cat != KQ_CAT_RUNNING)
        return;
    /* An entry of an earlier run comes due first, and pushes this one. */
    if (!job->limit_armed)
        push(srv, job);
}

/* Stops a job at its limit: the kill goes to its worker now, or when the
 * worker is back. */
static void stop(kq_server *srv, kq_job *job)
{
    kq_buf text = KQ_BUF_INIT;

    if (!job->limit_hit) {
        kq_duration_format(&text, (uint64_t)limit_of(job));
        kq_info("Job %llu ran past its time limit of %s: killing it",
                (unsigned long long)job->info.job_id, text.oom ? "?" : kq_buf_ptr(&text));
        kq_buf_free(&text);
        job->limit_hit = true;
    }
    kq_srv_kill_only(srv, job);
}

static void on_timer(kq_loop *loop, void *arg)
{
    kq_server *srv = arg;
    kq_limits *l = &srv->limits;
    int64_t now = ms_of(kq_time_now());

    (void)loop;
    l->timer = 0;
    while (l->len && l->heap[0].deadline <= now) {
        kq_limit_entry e = l->heap[0];
        kq_job *job = kq_jobs_get(&srv->jobs, e.id);

        l->heap[0] = l->heap[--l->len];
        if (l->len)
            sift_down(l, 0);
        if (!job)
            continue;
        job->limit_armed = false;
        if (job->cat != KQ_CAT_RUNNING || limit_of(job) < 0)
            continue;
        if (deadline_of(job) > now)
            push(srv, job); /* it started again since */
        else
            stop(srv, job);
    }
    rearm(srv);
}

bool kq_srv_limit_report(kq_server *srv, kq_job *job, kq_job_status *reported)
{
    kq_buf text = KQ_BUF_INIT;

    (void)srv;
    if (!job->limit_hit)
        return false;
    job->limit_hit = false;
    /* Ended on its own before the kill: its own result. */
    if (reported->tag == KQ_JOB_STATUS_FINISHED &&
        reported->finished.return_code != KQ_RC_KILLED_ON_REQUEST)
        return false;
    kq_job_status_free(reported);
    kq_buf_puts(&text, "killed: time limit ");
    kq_duration_format(&text, (uint64_t)limit_of(job));
    kq_buf_puts(&text, " exceeded");
    *reported = (kq_job_status){.tag = KQ_JOB_STATUS_FINISHED};
    reported->finished.issued = job->info.status.running.issued;
    reported->finished.started = job->info.status.running.started;
    reported->finished.finished = kq_time_now();
    reported->finished.return_code = KQ_RC_TIME_LIMIT;
    reported->finished.run_time_seconds =
        kq_time_diff_sec(reported->finished.finished, reported->finished.started);
    if (kq_str_copy(&reported->finished.worker, &job->info.status.running.worker) < 0 ||
        kq_str_set(&reported->finished.comment, text.oom ? "killed: time limit exceeded"
                                                         : kq_buf_ptr(&text),
                   text.oom ? strlen("killed: time limit exceeded") : text.len) < 0)
        kq_err("Out of memory noting the time limit of job %llu",
               (unsigned long long)job->info.job_id);
    kq_buf_free(&text);
    return true;
}

void kq_srv_limit_lost(kq_server *srv, kq_job *job)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_CANCELED};

    if (!kq_srv_limit_report(srv, job, &st)) {
        kq_job_status_free(&st);
        return;
    }
    kq_info("Job %llu ended at its time limit: its worker did not come back to report it",
            (unsigned long long)job->info.job_id);
    kq_jobs_set_status(&srv->jobs, job, &st, kq_time_now());
    kq_srv_notify(srv, job);
}

void kq_srv_limits_free(kq_server *srv)
{
    free(srv->limits.heap);
    memset(&srv->limits, 0, sizeof srv->limits);
}
