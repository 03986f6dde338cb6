/*
 * kq_srv_workflow.c - the workflow requests of clients (Kueue-C extension
 * 1): SubmitJob, a job with workflow fields (dependencies, priority, time
 * limit, retries, name) or an array of jobs; SetJobPriority;
 * ListJobsMatching (by name or array); RemoveArray.
 *
 * Each is a message an original server refuses by closing the
 * connection, so a client never has a job run without what it asked for
 * (an original server would ignore a filter field and list everything).
 * A submitted job goes through the checks and the insert path of IssueJob
 * (kq_srv_client.c), then its dependencies (kq_srv_deps.c) decide whether
 * it is queued.  An array is expanded here from its one message: its jobs
 * get consecutive ids, the first one's being the array's, and {index}
 * replaced in each one's command, redirections and name.  The fields the
 * server sets (array, waiting, attempts) are never taken from a client.
 * Listing by array visits the array's ids only; by name, every job.  Owns
 * nothing.
 */
#include "kq_server_int.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most retries a job may ask for. */
#define KQ_MAX_RETRIES 100
/* The most jobs in one array. */
#define KQ_MAX_ARRAY 100000
/* What an array's jobs have their index in place of. */
#define INDEX_MARK "{index}"

/* Drops what only the server may set. */
static void clear_server_fields(kq_workflow *wf)
{
    wf->has_array_id = wf->has_array_index = wf->has_waiting = false;
    wf->array_id = wf->array_index = wf->waiting = 0;
    kq_attempt_list_free(&wf->attempts);
    wf->has_attempts = false;
}

/* Why the workflow of a submitted job cannot be accepted, or NULL. */
static const char *workflow_reason(kq_server *srv, const kq_workflow *wf, char *buf, size_t n)
{
    if (wf->has_time_limit_seconds && wf->time_limit_seconds == 0)
        return "--time-limit must be at least 1 second.";
    if (wf->has_retries && wf->retries > KQ_MAX_RETRIES) {
        snprintf(buf, n, "--retries %llu: at most %d.", (unsigned long long)wf->retries,
                 KQ_MAX_RETRIES);
        return buf;
    }
    return kq_srv_deps_check(srv, wf, buf, n);
}

/* Replaces every INDEX_MARK in *s by index.  0 or -ENOMEM. */
static int put_index(kq_str *s, uint64_t index)
{
    kq_buf b = KQ_BUF_INIT;
    kq_str with;
    const char *p, *mark;

    if (!s->ptr || !memmem(s->ptr, s->len, INDEX_MARK, strlen(INDEX_MARK)))
        return 0;
    for (p = s->ptr; (mark = memmem(p, s->len - (size_t)(p - s->ptr), INDEX_MARK,
                                    strlen(INDEX_MARK)));
         p = mark + strlen(INDEX_MARK)) {
        kq_buf_append(&b, p, (size_t)(mark - p));
        kq_buf_printf(&b, "%llu", (unsigned long long)index);
    }
    kq_buf_append(&b, p, s->len - (size_t)(p - s->ptr));
    if (b.oom || kq_str_set(&with, kq_buf_ptr(&b), b.len) < 0) {
        kq_buf_free(&b);
        return -ENOMEM;
    }
    kq_buf_free(&b);
    kq_str_free(s);
    *s = with;
    return 0;
}

/* The job of index in an array made of tmpl (a copy into *out, with its
 * index in place of {index}).  0 or -ENOMEM. */
static int array_job(const kq_job_info *tmpl, uint64_t index, kq_job_info *out)
{
    int rc;

    if ((rc = kq_job_info_copy(out, tmpl)) < 0)
        return rc;
    if (!out->workflow && !(out->workflow = calloc(1, sizeof *out->workflow)))
        goto oom;
    for (size_t i = 0; i < out->cmd.len; i++)
        if (put_index(&out->cmd.items[i], index) < 0)
            goto oom;
    if (put_index(&out->stdout_path, index) < 0 || put_index(&out->stderr_path, index) < 0 ||
        put_index(&out->workflow->name, index) < 0)
        goto oom;
    out->workflow->has_array_index = true;
    out->workflow->array_index = index;
    return 0;
oom:
    kq_job_info_free(out);
    return -ENOMEM;
}

/* Why an array cannot be accepted, or NULL: its range, and its largest
 * job (the longest index) as any job is checked. */
static const char *array_reason(kq_server *srv, const kq_job_info *tmpl, const kq_job_array *a,
                                char *buf, size_t n, bool *oom)
{
    kq_job_info last;
    const char *reason;

    if (a->step == 0)
        return "--array: the step must be at least 1.";
    if (a->last < a->first)
        return "--array: the range is empty (the last index is below the first).";
    if ((a->last - a->first) / a->step >= KQ_MAX_ARRAY) {
        snprintf(buf, n, "--array: more than %d jobs.", KQ_MAX_ARRAY);
        return buf;
    }
    if (array_job(tmpl, a->first + (a->last - a->first) / a->step * a->step, &last) < 0) {
        *oom = true;
        return NULL;
    }
    reason = kq_srv_reject_reason(srv, &last, 0, buf, n, oom);
    kq_job_info_free(&last);
    return reason;
}

/* Queues the jobs of an array made of tmpl; answers with the first. */
static void submit_array(kq_peer *p, kq_job_info *tmpl, const kq_job_array *a)
{
    kq_server *srv = p->srv;
    uint64_t count = (a->last - a->first) / a->step + 1, array_id = srv->jobs.next_id;
    kq_job *first = NULL;

    for (uint64_t k = 0; k < count; k++) {
        kq_job_info info;
        kq_job *job;

        if (array_job(tmpl, a->first + k * a->step, &info) < 0)
            goto oom;
        info.workflow->has_array_id = true;
        info.workflow->array_id = array_id;
        if (!(job = kq_srv_new_job(srv, &info)) || kq_srv_deps_attach(srv, job) < 0)
            goto oom;
        if (!first)
            first = job;
    }
    kq_info("Accepted array %llu of %llu jobs from %s", (unsigned long long)array_id,
            (unsigned long long)count, p->conn.peer);
    srv->dispatch_needed = true;
    kq_srv_accept(p, first);
    return;
oom:
    kq_srv_close(p, "out of memory for a new array of jobs");
}

void kq_srv_submit_job(kq_peer *p, kq_c2s_submit_job *req, size_t len)
{
    kq_server *srv = p->srv;
    kq_job_info *in = &req->job_info;
    char buf[KQ_SRV_REASON_MAX];
    const char *reason;
    bool oom = false;
    kq_job *job;

    if (in->has_global_resources && in->global_resources.len == 0) {
        kq_u64_map_free(&in->global_resources);
        in->has_global_resources = false;
    }
    if (in->workflow)
        clear_server_fields(in->workflow);
    reason = in->workflow ? workflow_reason(srv, in->workflow, buf, sizeof buf) : NULL;
    if (!reason)
        reason = kq_srv_reject_reason(srv, in, len, buf, sizeof buf, &oom);
    if (!reason && !oom && req->has_array)
        reason = array_reason(srv, in, &req->array, buf, sizeof buf, &oom);
    if (oom)
        goto oom;
    if (reason) {
        kq_srv_reject(p, in, reason);
        return;
    }
    if (req->has_array) {
        submit_array(p, in, &req->array);
        return;
    }
    if (!(job = kq_srv_new_job(srv, in)) || kq_srv_deps_attach(srv, job) < 0)
        goto oom;
    srv->dispatch_needed = true;
    kq_srv_accept(p, job);
    return;
oom:
    kq_srv_close(p, "out of memory for a new job");
}

void kq_srv_set_priority(kq_peer *p, const kq_c2s_set_job_priority *req)
{
    kq_server *srv = p->srv;
    kq_job *job = kq_jobs_get(&srv->jobs, req->job_id);
    unsigned long long id = (unsigned long long)req->job_id;
    int32_t before;

    if (!job) {
        kq_srv_respond(p, false, "Job with ID=%llu not found!", id);
        return;
    }
    if (job->cat != KQ_CAT_PENDING) {
        kq_srv_respond(p, false, "Job ID=%llu is no longer pending: its priority cannot change "
                          "(it is %s)", id,
                job->cat == KQ_CAT_OFFERED ? "offered to a worker"
                : job->cat == KQ_CAT_RUNNING ? "running"
                                             : "ended");
        return;
    }
    if (!job->info.workflow && !(job->info.workflow = calloc(1, sizeof *job->info.workflow))) {
        kq_srv_close(p, "out of memory");
        return;
    }
    before = job->info.workflow->priority;
    /* The queue reads a priority when a job joins it. */
    if (job->waiting) {
        kq_sched_dequeue(&srv->sched, job);
        job->info.workflow->priority = req->priority;
        if (kq_sched_enqueue(&srv->sched, job) < 0)
            kq_err("Out of memory queueing job %llu", id);
        srv->dispatch_needed = true;
    }
    job->info.workflow->priority = req->priority;
    kq_jobs_touch_info(&srv->jobs, job);
    kq_info("Job %llu has priority %d (was %d) on request of %s", id, (int)req->priority,
            (int)before, p->conn.peer);
    kq_srv_respond(p, true, "Job ID=%llu has priority %d (was %d)", id, (int)req->priority,
            (int)before);
}

/* What a listing by filters collects. */
typedef struct matching {
    const kq_c2s_list_jobs_matching *req;
    unsigned cats;           /* categories listed */
    kq_job **jobs;           /* matching jobs of those categories, ascending */
    size_t n, cap;
    uint64_t count[KQ_CAT_COUNT]; /* every matching job */
    bool oom;
} matching;

/* Whether the job belongs to the array (a present job of another ends
 * it: an array's ids are consecutive). */
static bool in_array(const kq_job *job, uint64_t array_id)
{
    const kq_workflow *wf = job->info.workflow;

    return wf && wf->has_array_id && wf->array_id == array_id;
}

static bool match_one(kq_job *job, void *ctx)
{
    matching *m = ctx;
    const kq_workflow *wf = job->info.workflow;

    if (m->req->has_array_id && !in_array(job, m->req->array_id))
        return job->info.job_id == m->req->array_id; /* past the array: stop */
    if (m->req->name.ptr &&
        (!wf || !wf->name.ptr || fnmatch(m->req->name.ptr, wf->name.ptr, 0) != 0))
        return true;
    m->count[job->cat]++;
    if (!(m->cats & KQ_CAT_BIT(job->cat)))
        return true;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 256;
        kq_job **grown = realloc(m->jobs, cap * sizeof *grown);

        if (!grown) {
            m->oom = true;
            return false;
        }
        m->jobs = grown;
        m->cap = cap;
    }
    m->jobs[m->n++] = job;
    return true;
}

void kq_srv_list_matching(kq_peer *p, const kq_c2s_list_jobs_matching *req)
{
    kq_server *srv = p->srv;
    matching m = {.req = req};
    kq_s2c reply = {.tag = KQ_S2C_JOB_LIST};
    kq_s2c_job_list *l = &reply.job_list;
    size_t from;

    m.cats = (req->pending ? KQ_CAT_BIT(KQ_CAT_PENDING) : 0) |
             (req->offered ? KQ_CAT_BIT(KQ_CAT_OFFERED) : 0) |
             (req->running ? KQ_CAT_BIT(KQ_CAT_RUNNING) : 0) |
             (req->succeeded ? KQ_CAT_BIT(KQ_CAT_SUCCEEDED) : 0) |
             (req->failed ? KQ_CAT_BIT(KQ_CAT_FAILED) : 0) |
             (req->canceled ? KQ_CAT_BIT(KQ_CAT_CANCELED) : 0);
    if (!m.cats)
        m.cats = KQ_CAT_ALL;
    kq_jobs_visit(&srv->jobs, req->has_array_id ? req->array_id : 0, match_one, &m);
    if (m.oom) {
        free(m.jobs);
        kq_srv_close(p, "out of memory listing jobs");
        return;
    }
    /* The time figures are the whole queue's; the counters the match's. */
    kq_jobs_stats(&srv->jobs, kq_time_now(), l);
    l->jobs_pending = m.count[KQ_CAT_PENDING];
    l->jobs_offered = m.count[KQ_CAT_OFFERED];
    l->jobs_running = m.count[KQ_CAT_RUNNING];
    l->jobs_succeeded = m.count[KQ_CAT_SUCCEEDED];
    l->jobs_failed = m.count[KQ_CAT_FAILED];
    l->jobs_canceled = m.count[KQ_CAT_CANCELED];
    from = req->num_jobs < m.n ? m.n - (size_t)req->num_jobs : 0;
    l->job_infos.len = m.n - from;
    l->job_infos.items = l->job_infos.len ? malloc(l->job_infos.len * sizeof(kq_job_info)) : NULL;
    if (l->job_infos.len && !l->job_infos.items) {
        free(m.jobs);
        kq_srv_close(p, "out of memory listing jobs");
        return;
    }
    /* The list borrows the jobs' infos: encoded, never freed. */
    for (size_t i = from; i < m.n; i++)
        l->job_infos.items[i - from] = m.jobs[i]->info;
    kq_srv_send_s2c(p, &reply);
    free(l->job_infos.items);
    free(m.jobs);
}

/* What RemoveArray did to an array's jobs. */
typedef struct removal {
    kq_server *srv;
    uint64_t array_id;
    bool kill;
    const char *by;
    size_t jobs, done[KQ_CANCEL_CANCELED + 1];
} removal;

static bool remove_one(kq_job *job, void *ctx)
{
    removal *r = ctx;

    if (!in_array(job, r->array_id))
        return job->info.job_id == r->array_id;
    r->jobs++;
    r->done[kq_srv_cancel(r->srv, job, r->kill, r->by)]++;
    return true;
}

void kq_srv_remove_array(kq_peer *p, const kq_c2s_remove_array *req)
{
    removal r = {p->srv, req->array_id, req->kill, p->conn.peer, 0, {0}};
    unsigned long long id = (unsigned long long)req->array_id;
    size_t running;

    /* Canceling cancels what waits for the array's jobs, never adds or
     * deletes jobs: the visit is safe. */
    kq_jobs_visit(&p->srv->jobs, req->array_id, remove_one, &r);
    running = r.done[KQ_CANCEL_RUNNING] + r.done[KQ_CANCEL_UNREACHABLE];
    if (r.jobs == 0) {
        kq_srv_respond(p, false, "Array with ID=%llu not found!", id);
        return;
    }
    if (r.done[KQ_CANCEL_DONE] == 0 && running == 0) {
        kq_srv_respond(p, false, "All %zu jobs of array %llu have ended already!", r.jobs, id);
        return;
    }
    kq_info("Canceled %zu jobs of array %llu on request of %s", r.done[KQ_CANCEL_DONE], id,
            p->conn.peer);
    if (r.done[KQ_CANCEL_RUNNING])
        kq_srv_respond(p, false, "Canceled %zu jobs of array %llu; %zu have already started (--kill "
                          "kills them)!", r.done[KQ_CANCEL_DONE], id, r.done[KQ_CANCEL_RUNNING]);
    else if (r.done[KQ_CANCEL_UNREACHABLE])
        kq_srv_respond(p, false, "Canceled %zu jobs of array %llu; %zu were running but their worker "
                          "could not be acquired!", r.done[KQ_CANCEL_DONE], id,
                r.done[KQ_CANCEL_UNREACHABLE]);
    else
        kq_srv_respond(p, true, "Canceled %zu jobs of array %llu!", r.done[KQ_CANCEL_DONE], id);
}
