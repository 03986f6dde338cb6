/*
 * kq_srv_client.c - what the server does for a client (section 3.3).
 *
 * Requests are answered strictly in order, one answer each; ObserveJob adds
 * JobUpdated messages whenever the job changes.  Texts are the reference's.
 * Fixed against the reference: a wrong AuthResponse revokes authentication
 * and KQ_MAX_AUTH_FAILURES of them close the connection; removing a job
 * notifies its observers; an offered job is withdrawn from its worker; a
 * kill is only reported done when it was sent; observers are dropped when
 * their client leaves.
 */
#include "kq_server_int.h"

#include "kq_alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_jobsize.h"
#include "kq_live.h"
#include "kq_utf8.h"

static void on_auth_response(kq_peer *p, const kq_str *response)
{
    kq_s2c m = {.tag = KQ_S2C_AUTH_ACCEPTED};

    if (kq_srv_auth_ok(p, response)) {
        p->authenticated = true;
        m.auth_accepted = true;
        kq_srv_send_s2c(p, &m);
        return;
    }
    /* Fixed: a wrong answer revokes, and guessing is limited. */
    p->authenticated = false;
    p->auth_failures++;
    kq_srv_send_s2c(p, &m);
    kq_warn("Client %s failed to authenticate (%d of %d attempts)",
            p->conn.peer, p->auth_failures, KQ_MAX_AUTH_FAILURES);
    if (p->auth_failures >= KQ_MAX_AUTH_FAILURES) {
        kq_conn_close_after_flush(&p->conn);
        return;
    }
    if (kq_auth_salt(p->salt) < 0)
        kq_srv_close(p, "no random numbers for a salt");
}

/* Renders a global resource map as Rust's Debug does: {"a": 1, "b": 2}. */
static void debug_map(char *out, size_t n, const kq_u64_map *m)
{
    size_t w = (size_t)snprintf(out, n, "{");

    for (size_t i = 0; i < m->len && w < n; i++)
        w += (size_t)snprintf(out + w, n - w, "%s\"%s\": %llu", i ? ", " : "",
                              m->items[i].key.ptr,
                              (unsigned long long)m->items[i].value);
    if (w < n)
        snprintf(out + w, n - w, "}");
}

/* Section 3.3, IssueJob: what the original checks, and what no worker
 * could run wherever it is. */
static const char *reject_reason(kq_server *srv, const kq_job_info *job, size_t len,
                                 char *buf, size_t n, bool *oom)
{
    const kq_u64_map *total = &srv->cfg->global_resources;
    size_t worst;
    int rc;

    /* A restart would refuse the journal it would be stored in. */
    if (srv->store && kq_store_damaged(srv->store, buf, n))
        return buf;
    if (job->worker_resources.job_slots >
        srv->cfg->server_settings.global_max_parallel_jobs)
        return "Job requires more slots than the server will allow at once! "
               "See global_max_parallel_jobs setting in config.";
    /* No worker could run these: refused now, not offered forever. */
    if (job->cwd.len && memchr(job->cwd.ptr, '\0', job->cwd.len))
        return "The working directory contains a NUL character.";
    if (job->cwd.len == 0 || job->cwd.ptr[0] != '/') {
        snprintf(buf, n, "The working directory must be an absolute path, "
                         "not \"%.*s\".",
                 (int)kq_utf8_truncate(job->cwd.ptr, job->cwd.len, 200),
                 job->cwd.ptr);
        return buf;
    }
    /* Accepted only if it fits every message it will travel in: an offer
     * or report over the limit would be dropped and repeated for ever. */
    if ((rc = kq_jobsize_check(job, len, &worst)) == -ENOMEM) {
        *oom = true;
        return NULL;
    }
    if (rc < 0) {
        snprintf(buf, n, "The job is too large: a message carrying it to or "
                         "from a worker could take %zu bytes, more than the "
                         "%u bytes a message may have.",
                 worst, KQ_JOB_MESSAGE_MAX);
        return buf;
    }
    if (!job->has_global_resources)
        return NULL;
    if (!srv->cfg->has_global_resources) {
        char map[200];

        debug_map(map, sizeof map, &job->global_resources);
        snprintf(buf, n, "No global resources configured on the server! "
                         "Requested resources: %s", map);
        return buf;
    }
    for (size_t i = 0; i < job->global_resources.len; i++) {
        const kq_u64_entry *want = &job->global_resources.items[i];
        const kq_u64_entry *have = kq_u64_map_get(total, want->key.ptr);

        if (!have) {
            snprintf(buf, n, "Required resource not configured on server: %s",
                     want->key.ptr);
            return buf;
        }
        if (have->value < want->value) {
            snprintf(buf, n, "Required resource exceeds limits configured on "
                             "the server: max. %s=%llu",
                     want->key.ptr, (unsigned long long)have->value);
            return buf;
        }
    }
    return NULL;
}

const char *kq_srv_reject_reason(kq_server *srv, kq_job_info *job, size_t len,
                                 char *buf, size_t n, bool *oom)
{
    const char *reason = reject_reason(srv, job, len, buf, n, oom);

    if (reason || *oom)
        return reason;
    if (job->has_environment && kq_envs_check(&job->environment, buf, n) < 0)
        return buf;
    return kq_srv_refusal(srv, job, buf, n);
}

/* Sends m, which carries view (a copy of job->info), with the job's wait
 * reason. */
static void send_with_reason(kq_peer *p, const kq_s2c *m, const kq_job *job,
                             kq_job_info *view)
{
    kq_buf reason = KQ_BUF_INIT;

    kq_srv_reason(p->srv, job, &reason);
    if (reason.len)
        view->wait_reason = (kq_str){kq_buf_ptr(&reason), reason.len};
    kq_srv_send_s2c(p, m);
    kq_buf_free(&reason);
}

void kq_srv_reject(kq_peer *p, const kq_job_info *job, const char *reason)
{
    kq_s2c m = {.tag = KQ_S2C_REJECT_JOB};

    m.reject_job.job_info = *job;
    m.reject_job.reason = kq_str_view(reason);
    kq_srv_send_s2c(p, &m);
}

kq_job *kq_srv_new_job(kq_server *srv, kq_job_info *in)
{
    kq_job *job = kq_job_new();

    if (!job) {
        kq_job_info_free(in);
        return NULL;
    }
    /* Take the client's job over, replacing what the server decides. */
    job->info = *in;
    memset(in, 0, sizeof *in);
    kq_job_status_free(&job->info.status);
    kq_str_free(&job->info.note); /* the server's to write */
    kq_str_free(&job->info.wait_reason);
    job->info.has_queue_anyway = false; /* said at submission, not kept */
    /* Kept once for all the jobs that share it. */
    if (job->info.has_environment) {
        job->info.has_environment = false;
        if (!(job->env = kq_envs_intern(&srv->envs, &job->info.environment))) {
            kq_job_free(job);
            return NULL;
        }
    }
    job->info.status.tag = KQ_JOB_STATUS_PENDING;
    job->info.status.pending.issued = kq_time_now();
    job->info.job_id = srv->jobs.next_id;
    if (kq_jobs_insert(&srv->jobs, job, kq_time_now()) < 0) {
        kq_job_free(job);
        return NULL;
    }
    return job;
}

void kq_srv_accept(kq_peer *p, const kq_job *job)
{
    kq_s2c m = {.tag = KQ_S2C_ACCEPT_JOB};

    kq_debug("Accepted job %llu from %s", (unsigned long long)job->info.job_id,
             p->conn.peer);
    m.accept_job = job->info;
    send_with_reason(p, &m, job, &m.accept_job);
}

/* IssueJob; len: the bytes of the message it came in. */
static void on_issue_job(kq_peer *p, kq_job_info *in, size_t len)
{
    kq_server *srv = p->srv;
    char buf[KQ_SRV_REASON_MAX];
    const char *reason;
    bool oom = false;
    kq_job *job;

    /* Fixed: an empty map means no resources, before any check. */
    if (in->has_global_resources && in->global_resources.len == 0) {
        kq_u64_map_free(&in->global_resources);
        in->has_global_resources = false;
    }
    reason = kq_srv_reject_reason(srv, in, len, buf, sizeof buf, &oom);
    if (oom)
        goto oom;
    if (reason) {
        kq_srv_reject(p, in, reason);
        return;
    }
    /* Workflow fields come in SubmitJob only: IssueJob is the original's
     * request, and an original server drops them. */
    if (in->workflow) {
        kq_workflow_free(in->workflow);
        free(in->workflow);
        in->workflow = NULL;
    }
    if (!(job = kq_srv_new_job(srv, in)))
        goto oom;
    if (kq_sched_enqueue(&srv->sched, job) < 0)
        kq_err("Out of memory queueing job %llu", (unsigned long long)job->info.job_id);
    srv->dispatch_needed = true;
    kq_srv_accept(p, job);
    return;
oom:
    kq_srv_close(p, "out of memory for a new job");
}

/* Whether job a waits for the reason b waits for, b's computed: of one
 * shape (needs and time limit), neither waiting for other jobs.  Reasons
 * depend on the job's id only through the workers' skip sets, which hold
 * few jobs. */
static bool same_reason(const kq_job_info *a, const kq_job_info *b)
{
    const kq_workflow *wa = a->workflow, *wb = b->workflow;
    uint64_t ta = wa && wa->has_time_limit_seconds ? wa->time_limit_seconds : 0;
    uint64_t tb = wb && wb->has_time_limit_seconds ? wb->time_limit_seconds : 0;

    return memcmp(&a->worker_resources, &b->worker_resources, sizeof a->worker_resources) == 0 &&
           !a->has_global_resources && !b->has_global_resources && ta == tb &&
           !(wa && wa->has_waiting && wa->waiting) && !(wb && wb->has_waiting && wb->waiting);
}

/* Gives the pending jobs among jobs[0..n) their reasons in views[]: the
 * texts lie back to back in srv->list_reasons (valid until the next
 * list).  Jobs in a row that wait for the same reason (same_reason) share
 * the one computed for the first. */
static void list_reasons(kq_server *srv, kq_job **jobs, kq_job_info *views, size_t n)
{
    size_t *at = NULL, *len = NULL, last = SIZE_MAX;
    kq_buf *text = &srv->list_reasons;

    kq_buf_clear(text);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i]->cat == KQ_CAT_PENDING)
            break;
        if (i + 1 == n)
            return;
    }
    at = calloc(n, sizeof *at);
    len = calloc(n, sizeof *len);
    if (!at || !len)
        goto out; /* the list goes without reasons */
    for (size_t i = 0; i < n; i++) {
        const kq_job_info *a = &jobs[i]->info, *b = last < n ? &jobs[last]->info : NULL;

        if (jobs[i]->cat != KQ_CAT_PENDING)
            continue;
        if (b && same_reason(a, b)) {
            at[i] = at[last];
            len[i] = len[last];
        } else {
            at[i] = text->len;
            kq_srv_reason(srv, jobs[i], text);
            len[i] = text->len - at[i];
            kq_buf_putc(text, '\0');
        }
        last = i;
    }
    if (!text->oom)
        for (size_t i = 0; i < n; i++)
            if (len[i])
                views[i].wait_reason = (kq_str){kq_buf_ptr(text) + at[i], len[i]};
out:
    free(at);
    free(len);
}

int kq_srv_list_jobs(kq_server *srv, const kq_c2s_list_jobs *q, kq_s2c *m)
{
    unsigned cats = 0;
    kq_job **jobs;
    long n;

    *m = (kq_s2c){.tag = KQ_S2C_JOB_LIST};
    if (q->pending)
        cats |= KQ_CAT_BIT(KQ_CAT_PENDING);
    if (q->offered)
        cats |= KQ_CAT_BIT(KQ_CAT_OFFERED);
    if (q->running)
        cats |= KQ_CAT_BIT(KQ_CAT_RUNNING);
    if (q->succeeded)
        cats |= KQ_CAT_BIT(KQ_CAT_SUCCEEDED);
    if (q->failed)
        cats |= KQ_CAT_BIT(KQ_CAT_FAILED);
    if (q->canceled)
        cats |= KQ_CAT_BIT(KQ_CAT_CANCELED);
    n = kq_jobs_select(&srv->jobs, cats ? cats : KQ_CAT_ALL, q->num_jobs, &jobs);
    if (n < 0)
        return -ENOMEM;
    kq_jobs_stats(&srv->jobs, kq_time_now(), &m->job_list);
    /* The list borrows the jobs' infos: encoded, never freed. */
    m->job_list.job_infos.len = (size_t)n;
    m->job_list.job_infos.items = n ? malloc((size_t)n * sizeof(kq_job_info)) : NULL;
    if (n && !m->job_list.job_infos.items) {
        free(jobs);
        return -ENOMEM;
    }
    for (long i = 0; i < n; i++)
        m->job_list.job_infos.items[i] = jobs[i]->info;
    list_reasons(srv, jobs, m->job_list.job_infos.items, (size_t)n);
    free(jobs);
    return 0;
}

int kq_srv_list_workers(kq_server *srv, kq_s2c *m)
{
    kq_worker_info *items = srv->nworkers
                                ? malloc(srv->nworkers * sizeof *items)
                                : NULL;
    size_t n = 0;

    *m = (kq_s2c){.tag = KQ_S2C_WORKER_LIST};
    if (srv->nworkers && !items)
        return -ENOMEM;
    for (size_t i = 0; i < srv->nworkers; i++)
        if (srv->workers[i]->peer && srv->workers[i]->authenticated)
            items[n++] = srv->workers[i]->info;
    m->worker_list.len = n;
    m->worker_list.items = items;
    return 0;
}

void kq_srv_list_resources(kq_server *srv, kq_s2c *m)
{
    const kq_u64_map *used = kq_sched_used(&srv->sched);

    *m = (kq_s2c){.tag = KQ_S2C_RESOURCE_LIST};
    m->resource_list.has_used_resources = used->len > 0;
    m->resource_list.used_resources = *used;
    m->resource_list.has_total_resources = srv->cfg->has_global_resources;
    m->resource_list.total_resources = srv->cfg->global_resources;
}

void kq_srv_list_done(kq_s2c *m)
{
    if (m->tag == KQ_S2C_JOB_LIST)
        free(m->job_list.job_infos.items);
    else if (m->tag == KQ_S2C_WORKER_LIST)
        free(m->worker_list.items);
}

static void on_list_jobs(kq_peer *p, const kq_c2s_list_jobs *q)
{
    kq_s2c m;

    if (kq_srv_list_jobs(p->srv, q, &m) < 0) {
        kq_srv_close(p, "out of memory listing jobs");
        return;
    }
    kq_srv_send_s2c(p, &m);
    kq_srv_list_done(&m);
}

static void on_show_job(kq_peer *p, uint64_t id)
{
    kq_job *job = kq_jobs_get(&p->srv->jobs, id);
    kq_s2c m = {.tag = KQ_S2C_JOB_INFO};
    kq_str live[2] = {KQ_STR_NULL, KQ_STR_NULL};

    if (!job) {
        kq_srv_respond(p, false, "Job not found!");
        return;
    }
    m.job_info.job_info = kq_srv_with_env(job);
    m.job_info.stdout_text = job->stdout_text;
    m.job_info.stderr_text = job->stderr_text;
    /* A running job: its output so far, as its worker sent it. */
    if (kq_live_so_far(p->srv, job, 0, &live[0]) < 0 ||
        kq_live_so_far(p->srv, job, 1, &live[1]) < 0) {
        kq_str_free(&live[0]);
        kq_srv_close(p, "out of memory showing a job");
        return;
    }
    if (live[0].ptr)
        m.job_info.stdout_text = live[0];
    if (live[1].ptr)
        m.job_info.stderr_text = live[1];
    send_with_reason(p, &m, job, &m.job_info.job_info);
    kq_str_free(&live[0]);
    kq_str_free(&live[1]);
}

static void on_observe_job(kq_peer *p, uint64_t id)
{
    kq_job *job = kq_jobs_get(&p->srv->jobs, id);
    kq_s2c m = {.tag = KQ_S2C_JOB_UPDATED};

    if (!job) {
        kq_srv_respond(p, false, "Job not found!");
        return;
    }
    /* Fixed: observing a job again does not grow the session's list, so a
     * client repeating ObserveJob cannot make the server grow without
     * bound. */
    if (p->nobserved == p->observed_cap) {
        size_t cap = p->observed_cap ? p->observed_cap * 2 : 4;
        uint64_t *o = realloc(p->observed, cap * sizeof *o);

        if (!o) {
            kq_srv_close(p, "out of memory");
            return;
        }
        p->observed = o;
        p->observed_cap = cap;
    }
    switch (kq_job_observe(job, p)) {
    case 1:
        p->observed[p->nobserved++] = id;
        kq_srv_reasons_observed(p->srv, 1);
        break;
    case 0:
        break;
    default:
        kq_srv_close(p, "out of memory");
        return;
    }
    m.job_updated = job->info;
    send_with_reason(p, &m, job, &m.job_updated);
}

static void set_canceled(kq_server *srv, kq_job *job)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_CANCELED};

    st.canceled.issued = kq_job_issued(job);
    st.canceled.canceled = kq_time_now();
    kq_jobs_set_status(&srv->jobs, job, &st, kq_time_now());
}

kq_cancel_outcome kq_srv_cancel(kq_server *srv, kq_job *job, bool kill, const char *by)
{
    switch ((kq_cat)job->cat) {
    case KQ_CAT_PENDING:
        kq_sched_dequeue(&srv->sched, job);
        set_canceled(srv, job);
        break;
    case KQ_CAT_OFFERED:
        /* Fixed: the worker is told, instead of running it anyway. */
        kq_srv_withdraw(srv, job);
        set_canceled(srv, job);
        break;
    case KQ_CAT_RUNNING:
        if (!kill)
            return KQ_CANCEL_RUNNING;
        /* Fixed: nothing changes unless the kill can be sent. */
        if (!kq_srv_worker_reachable(srv, job))
            return KQ_CANCEL_UNREACHABLE;
        set_canceled(srv, job);
        kq_srv_kill(srv, job);
        break;
    case KQ_CAT_SUCCEEDED:
    case KQ_CAT_FAILED:
        return KQ_CANCEL_FINISHED;
    case KQ_CAT_CANCELED:
    case KQ_CAT_COUNT:
        return KQ_CANCEL_CANCELED;
    }
    kq_info("Canceled job %llu on request of %s", (unsigned long long)job->info.job_id, by);
    kq_srv_notify(srv, job);
    return KQ_CANCEL_DONE;
}

static void on_remove_job(kq_peer *p, uint64_t id, bool kill)
{
    kq_server *srv = p->srv;
    kq_job *job = kq_jobs_get(&srv->jobs, id);
    unsigned long long uid = (unsigned long long)id;

    if (!job) {
        kq_srv_respond(p, false, "Job with ID=%llu not found!", uid);
        return;
    }
    switch (kq_srv_cancel(srv, job, kill, p->conn.peer)) {
    case KQ_CANCEL_DONE:
        kq_srv_respond(p, true, "Canceled job ID=%llu!", uid);
        break;
    case KQ_CANCEL_RUNNING:
        kq_srv_respond(p, false, "Job ID=%llu has already started!", uid);
        break;
    case KQ_CANCEL_UNREACHABLE:
        kq_srv_respond(p, false, "Job with ID=%llu was running but worker could "
                          "not be acquired!", uid);
        break;
    case KQ_CANCEL_FINISHED:
        kq_srv_respond(p, false, "Job ID=%llu has already finished!", uid);
        break;
    case KQ_CANCEL_CANCELED:
        kq_srv_respond(p, false, "Job ID=%llu is already canceled!", uid);
        break;
    }
}

static void on_clean_jobs(kq_peer *p, bool all)
{
    kq_server *srv = p->srv;
    kq_job *job = srv->jobs.done_head;
    size_t removed = 0, kept = 0;

    while (job) {
        kq_job *next = job->next;

        if ((job->cat != KQ_CAT_FAILED || all) && !job->kill_pending) {
            if (kq_srv_deps_kept(srv, job)) {
                kept++;
            } else {
                kq_jobs_delete(&srv->jobs, job);
                removed++;
            }
        }
        job = next;
    }
    kq_info("Removed %zu finished and canceled jobs on request of %s", removed,
            p->conn.peer);
    if (kept)
        kq_srv_respond(p, true, "Removed finished and canceled jobs! Kept %zu that jobs still to "
                         "run depend on.", kept);
    else
        kq_srv_respond(p, true, "Removed finished and canceled jobs!");
}

static void on_list_workers(kq_peer *p)
{
    kq_s2c m;

    if (kq_srv_list_workers(p->srv, &m) < 0) {
        kq_srv_close(p, "out of memory listing workers");
        return;
    }
    kq_srv_send_s2c(p, &m);
    kq_srv_list_done(&m);
}

static void on_show_worker(kq_peer *p, uint64_t id)
{
    kq_worker *w = kq_srv_worker_get(p->srv, id);
    kq_s2c m = {.tag = KQ_S2C_WORKER_INFO};

    if (!w || !w->authenticated) {
        kq_srv_respond(p, false, "Worker not found!");
        return;
    }
    if (!w->peer) {
        kq_srv_respond(p, false, "Worker no longer available!");
        return;
    }
    m.worker_info = w->info;
    kq_srv_send_s2c(p, &m);
}

static void on_list_resources(kq_peer *p)
{
    kq_s2c m;

    kq_srv_list_resources(p->srv, &m);
    kq_srv_send_s2c(p, &m);
}

static bool needs_auth(kq_c2s_tag tag)
{
    return tag == KQ_C2S_ISSUE_JOB || tag == KQ_C2S_REMOVE_JOB ||
           tag == KQ_C2S_CLEAN_JOBS || tag == KQ_C2S_DRAIN_WORKER ||
           tag == KQ_C2S_SUBMIT_JOB || tag == KQ_C2S_SET_JOB_PRIORITY ||
           tag == KQ_C2S_REMOVE_ARRAY || tag == KQ_C2S_ADD_ALLOC_QUEUE ||
           tag == KQ_C2S_LIST_ALLOC_QUEUES || tag == KQ_C2S_REMOVE_ALLOC_QUEUE;
}

/* Whether msg starts as a job submission that a decoding error refuses
 * with a RejectJob rather than a closed connection. */
static bool is_submission(const char *msg, size_t len)
{
    static const char *const heads[] = {KQ_SRV_ISSUE_JOB_HEAD, "{\"SubmitJob\":"};

    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
        if (len > strlen(heads[i]) && memcmp(msg, heads[i], strlen(heads[i])) == 0)
            return true;
    return false;
}

/*
 * An IssueJob that cannot be taken, too long (skipped by the framer) or
 * invalid (a field over its limit): refused with a RejectJob whose reason
 * the client shows, without the job, which was not read, and the session
 * goes on.  Before authentication the connection is closed, as for any
 * IssueJob then.
 */
static void reject_unread_job(kq_peer *p, const char *reason)
{
    kq_s2c m = {.tag = KQ_S2C_REJECT_JOB};

    if (!p->authenticated) {
        kq_srv_respond(p, false, "Not authenticated!");
        kq_conn_close_after_flush(&p->conn);
        return;
    }
    kq_debug("Rejected a job from %s: %s", p->conn.peer, reason);
    m.reject_job.reason = kq_str_view(reason);
    kq_srv_send_s2c(p, &m);
}

void kq_srv_client_message(kq_peer *p, const char *msg, size_t len)
{
    size_t skipped = kq_framer_skipped(&p->conn.in);
    char reason[KQ_ERROR_MAX + 100];
    kq_c2s m;
    kq_error err;

    if (skipped) {
        snprintf(reason, sizeof reason,
                 "The job is too large: its IssueJob has %zu bytes, more than "
                 "the %u bytes a message may have.", skipped, KQ_JOB_MESSAGE_MAX);
        reject_unread_job(p, reason);
        return;
    }
    if (kq_c2s_decode_framed(msg, len, &m, &err) != 0) {
        if (p->authenticated && is_submission(msg, len)) {
            kq_buf text = KQ_BUF_INIT;

            /* The message may have been cut inside a character. */
            kq_buf_puts(&text, "Invalid job: ");
            kq_utf8_repair(&text, err.msg, strlen(err.msg));
            reject_unread_job(p, text.oom ? "Invalid job" : kq_buf_ptr(&text));
            kq_buf_free(&text);
        } else {
            kq_srv_refuse(p, err.msg);
        }
        return;
    }
    /* A client that uses an extension speaks it: answers of that level
     * may go to it. */
    if (kq_c2s_tag_level(m.tag) > p->ext_level)
        p->ext_level = kq_c2s_tag_level(m.tag);
    if (needs_auth(m.tag) && !p->authenticated) {
        kq_srv_respond(p, false, "Not authenticated!");
        kq_conn_close_after_flush(&p->conn);
        kq_c2s_free(&m);
        return;
    }
    switch (m.tag) {
    case KQ_C2S_AUTH_REQUEST: {
        kq_s2c r = {.tag = KQ_S2C_AUTH_CHALLENGE};

        r.auth_challenge.salt = kq_str_view(p->salt);
        kq_srv_send_s2c(p, &r);
        break;
    }
    case KQ_C2S_AUTH_RESPONSE:
        on_auth_response(p, &m.auth_response);
        break;
    case KQ_C2S_ISSUE_JOB:
        on_issue_job(p, &m.issue_job, len);
        break;
    case KQ_C2S_LIST_JOBS:
        on_list_jobs(p, &m.list_jobs);
        break;
    case KQ_C2S_SHOW_JOB:
        on_show_job(p, m.show_job.job_id);
        break;
    case KQ_C2S_OBSERVE_JOB:
        on_observe_job(p, m.observe_job.job_id);
        break;
    case KQ_C2S_REMOVE_JOB:
        on_remove_job(p, m.remove_job.job_id, m.remove_job.kill);
        break;
    case KQ_C2S_CLEAN_JOBS:
        on_clean_jobs(p, m.clean_jobs.all);
        break;
    case KQ_C2S_LIST_WORKERS:
        on_list_workers(p);
        break;
    case KQ_C2S_SHOW_WORKER:
        on_show_worker(p, m.show_worker.worker_id);
        break;
    case KQ_C2S_LIST_RESOURCES:
        on_list_resources(p);
        break;
    case KQ_C2S_DRAIN_WORKER:
        kq_srv_drain_request(p, &m.drain_worker);
        break;
    case KQ_C2S_SUBMIT_JOB:
        kq_srv_submit_job(p, &m.submit_job, len);
        break;
    case KQ_C2S_SET_JOB_PRIORITY:
        kq_srv_set_priority(p, &m.set_job_priority);
        break;
    case KQ_C2S_LIST_JOBS_MATCHING:
        kq_srv_list_matching(p, &m.list_jobs_matching);
        break;
    case KQ_C2S_REMOVE_ARRAY:
        kq_srv_remove_array(p, &m.remove_array);
        break;
    case KQ_C2S_FOLLOW_JOB:
        kq_live_follow(p, &m.follow_job);
        break;
    case KQ_C2S_ADD_ALLOC_QUEUE:
        kq_alloc_add_request(p, &m.add_alloc_queue);
        break;
    case KQ_C2S_LIST_ALLOC_QUEUES:
        kq_alloc_list_request(p, &m.list_alloc_queues);
        break;
    case KQ_C2S_REMOVE_ALLOC_QUEUE:
        kq_alloc_remove_request(p, &m.remove_alloc_queue);
        break;
    case KQ_C2S_BYE:
        /* Answers to earlier requests still go out. */
        kq_conn_close_after_flush(&p->conn);
        break;
    }
    kq_c2s_free(&m);
}

void kq_srv_client_closed(kq_peer *p)
{
    /* Fixed: a client that left observes nothing any more. */
    for (size_t i = 0; i < p->nobserved; i++) {
        kq_job *job = kq_jobs_get(&p->srv->jobs, p->observed[i]);

        if (job)
            kq_job_unobserve(job, p);
    }
    kq_srv_reasons_observed(p->srv, -(long)p->nobserved);
    p->nobserved = 0;
    kq_live_client_closed(p);
}
