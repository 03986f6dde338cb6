/*
 * kq_srv_workflow.c - the workflow requests of clients (Kueue-C extension
 * 1): SubmitJob, a job with workflow fields (dependencies, priority, time
 * limit, retries, name) or an array of jobs.
 *
 * Each is a message an original server refuses by closing the
 * connection, so a client never has a job run without what it asked for.
 * A submitted job goes through the checks and the insert path of IssueJob
 * (kq_srv_client.c), then its dependencies (kq_srv_deps.c) decide whether
 * it is queued.  The fields the server sets (array, waiting, attempts)
 * are never taken from a client.  Owns nothing.
 */
#include "kq_server_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void respond(kq_peer *p, bool success, const char *fmt, ...) KQ_PRINTF(3, 4);

static void respond(kq_peer *p, bool success, const char *fmt, ...)
{
    char text[300];
    va_list ap;
    kq_s2c m = {.tag = KQ_S2C_REQUEST_RESPONSE};

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    m.request_response.success = success;
    m.request_response.text = kq_str_view(text);
    kq_srv_send_s2c(p, &m);
}

/* The most retries a job may ask for. */
#define KQ_MAX_RETRIES 100

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

void kq_srv_submit_job(kq_peer *p, kq_c2s_submit_job *req, size_t len)
{
    kq_server *srv = p->srv;
    kq_job_info *in = &req->job_info;
    char buf[300];
    const char *reason;
    bool oom = false;
    kq_job *job;

    if (in->has_global_resources && in->global_resources.len == 0) {
        kq_u64_map_free(&in->global_resources);
        in->has_global_resources = false;
    }
    if (in->workflow)
        clear_server_fields(in->workflow);
    if (req->has_array)
        reason = "Arrays of jobs are not supported by this server.";
    else
        reason = in->workflow ? workflow_reason(srv, in->workflow, buf, sizeof buf) : NULL;
    if (!reason)
        reason = kq_srv_reject_reason(srv, in, len, buf, sizeof buf, &oom);
    if (oom)
        goto oom;
    if (reason) {
        kq_srv_reject(p, in, reason);
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
        respond(p, false, "Job with ID=%llu not found!", id);
        return;
    }
    if (job->cat != KQ_CAT_PENDING) {
        respond(p, false, "Job ID=%llu is no longer pending: its priority cannot change "
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
    respond(p, true, "Job ID=%llu has priority %d (was %d)", id, (int)req->priority,
            (int)before);
}

void kq_srv_list_matching(kq_peer *p, const kq_c2s_list_jobs_matching *req)
{
    (void)req;
    kq_srv_close(p, "ListJobsMatching is not supported yet");
}

void kq_srv_remove_array(kq_peer *p, const kq_c2s_remove_array *req)
{
    (void)req;
    kq_srv_close(p, "RemoveArray is not supported yet");
}
