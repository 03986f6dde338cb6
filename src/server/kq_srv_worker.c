/*
 * kq_srv_worker.c - workers: their sessions, the registry, and offers
 * (sections 3.6 and 3.7 of the reference).
 *
 * Fixed against the reference (its bug 9): the server keeps its own account
 * of what each worker can still take - the last reported free resources
 * minus the offers not answered yet - and offers as many jobs as fit at
 * once, instead of one offer per round trip; the worker still decides (a
 * job it cannot take comes back deferred).  The account is exact because a
 * report arrives after every answer the worker sent before it, and those
 * reservations are in the report.  Offers are job-driven: at the end of
 * each turn that brought jobs or free resources, a pass gives each waiting
 * job that fits to the idle worker with the most room for it (kq_sched.h,
 * kq_idle.h), so work spreads over the machines instead of filling the
 * first idle one (where the reference let busy workers yield to idle
 * ones).  Answers are matched
 * by worker id (not name).  Also fixed: deferred and rejected jobs go
 * straight back to the queue and
 * the worker is offered the next job at once; late or unknown answers are
 * ignored instead of closing the connection; unauthenticated workers are
 * neither listed nor offered jobs; a worker that loses its connection keeps
 * its running jobs for worker_timeout_seconds, so that it can reconnect and
 * report them (UpdateJobStatus with a Running status) instead of having
 * them run twice.
 */
#include "kq_server_int.h"

#include "kq_alloc.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kq_live.h"
#include "kq_reason.h"
#include "kq_resources.h"

/* ---- registry ------------------------------------------------------- */

/* Where a worker id is or would go in the registry (sorted by id). */
static size_t registry_index(const kq_server *srv, uint64_t id)
{
    size_t lo = 0, hi = srv->nworkers;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (srv->workers[mid]->info.worker_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

kq_worker *kq_srv_worker_get(kq_server *srv, uint64_t id)
{
    size_t i = registry_index(srv, id);

    return i < srv->nworkers && srv->workers[i]->info.worker_id == id
               ? srv->workers[i]
               : NULL;
}

/* Keeps the counts of connected and drained workers and the capacity
 * index in step with w's state (kq_srv_reason.c). */
static void worker_sync(kq_server *srv, kq_worker *w)
{
    bool connected = w->peer && w->authenticated;
    bool drained = connected && w->drained;
    bool capable = connected && w->reported;

    if (connected != w->counted) {
        srv->nconnected = connected ? srv->nconnected + 1 : srv->nconnected - 1;
        w->counted = connected;
        srv->reasons_stale = true;
    }
    if (drained != w->counted_drained) {
        srv->nconnected_drained = drained ? srv->nconnected_drained + 1 : srv->nconnected_drained - 1;
        w->counted_drained = drained;
        srv->reasons_stale = true;
    }
    if (capable != w->cap.idle) {
        kq_idle_set(&srv->capacity, &w->cap, capable);
        srv->reasons_stale = true;
    }
}

/* Tells the scheduler what w can take now, after its free resources or
 * its state changed: a connected, authenticated worker with a free slot
 * is idle, and a pass of offers follows at the end of the turn. */
static void idle_update(kq_server *srv, kq_worker *w)
{
    bool idle = w->peer && w->authenticated && !w->drained &&
                w->avail.job_slots > 0;

    kq_idle_set(&srv->sched.idle, &w->idle, idle);
    if (idle)
        srv->dispatch_needed = true;
    worker_sync(srv, w);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* w's capacity after a report of its machine or of its free resources:
 * what it reported plus what its running jobs hold, at least what it was
 * (kq_reason_capacity).  Sums its running jobs: called at its first
 * report of a session, at every system report (once a minute) and when
 * a report alone exceeds the capacity, not at every report. */
static void capacity_update(kq_server *srv, kq_worker *w)
{
    kq_resources held = {0}, cap;

    for (size_t i = 0; i < w->info.jobs_running.len; i++) {
        const kq_job *job = kq_jobs_get(&srv->jobs, w->info.jobs_running.items[i]);

        if (job && job->worker_id == w->info.worker_id)
            kq_resources_add(&held, &job->info.worker_resources);
    }
    cap = kq_reason_capacity(&w->info.system_info, &w->info.free_resources, &held);
    cap.job_slots = max_u64(cap.job_slots, w->capacity.job_slots);
    cap.cpus = max_u64(cap.cpus, w->capacity.cpus);
    cap.ram_mb = max_u64(cap.ram_mb, w->capacity.ram_mb);
    if (memcmp(&cap, &w->capacity, sizeof cap) != 0) {
        w->capacity = cap;
        if (w->cap.idle)
            kq_idle_set(&srv->capacity, &w->cap, true);
        srv->reasons_stale = true;
    }
}

static void worker_free(kq_worker *w)
{
    kq_worker_info_free(&w->info);
    kq_idset_free(&w->rejected);
    kq_idset_free(&w->deferred);
    free(w);
}

static void registry_remove(kq_server *srv, kq_worker *w)
{
    size_t i = registry_index(srv, w->info.worker_id);

    if (i < srv->nworkers && srv->workers[i] == w) {
        memmove(&srv->workers[i], &srv->workers[i + 1],
                (srv->nworkers - i - 1) * sizeof *srv->workers);
        srv->nworkers--;
    }
    kq_idle_remove(&srv->sched.idle, &w->idle);
    kq_idle_remove(&srv->capacity, &w->cap);
    if (w->counted)
        srv->nconnected--;
    if (w->counted_drained)
        srv->nconnected_drained--;
    srv->reasons_stale = true;
    if (w->peer)
        w->peer->worker = NULL;
    worker_free(w);
}

void kq_srv_worker_free_all(kq_server *srv)
{
    for (size_t i = 0; i < srv->nworkers; i++)
        worker_free(srv->workers[i]);
    free(srv->workers);
    srv->workers = NULL;
    srv->nworkers = srv->workers_cap = 0;
}

/* A new record with the next id, in the registry; NULL when out of
 * memory. */
static kq_worker *worker_new(kq_server *srv, const kq_str *name)
{
    kq_worker *w = calloc(1, sizeof *w);
    kq_time now = kq_time_now();
    kq_system_info *si;

    if (!w || kq_str_copy(&w->info.worker_name, name) < 0)
        goto oom;
    si = &w->info.system_info;
    if (kq_str_set(&si->kernel, "unknown", 7) < 0 ||
        kq_str_set(&si->distribution, "unknown", 7) < 0)
        goto oom;
    if (srv->nworkers == srv->workers_cap) {
        size_t cap = srv->workers_cap ? srv->workers_cap * 2 : 16;
        kq_worker **all = realloc(srv->workers, cap * sizeof *all);

        if (!all)
            goto oom;
        srv->workers = all;
        srv->workers_cap = cap;
    }
    /* Ids only grow, so appending keeps the registry and the idle index
     * sorted. */
    w->info.worker_id = srv->next_worker_id++;
    w->idle.id = w->info.worker_id;
    w->idle.free = &w->avail;
    w->idle.skip[0] = &w->rejected;
    w->idle.skip[1] = &w->deferred;
    w->until[KQ_IDLE_LIMITED] = w->until[KQ_IDLE_OPEN] = UINT64_MAX;
    w->idle.until = w->until;
    w->cap.id = w->info.worker_id;
    w->cap.free = &w->capacity;
    if (kq_idle_add(&srv->sched.idle, &w->idle) < 0)
        goto oom;
    if (kq_idle_add(&srv->capacity, &w->cap) < 0) {
        kq_idle_remove(&srv->sched.idle, &w->idle);
        goto oom;
    }
    w->info.connected_since = now;
    w->info.last_updated = now;
    w->last_seen_ms = kq_loop_now(srv->loop);
    srv->workers[srv->nworkers++] = w;
    return w;
oom:
    if (w)
        worker_free(w);
    return NULL;
}

kq_worker *kq_srv_worker_ghost(kq_server *srv, const kq_str *name)
{
    kq_worker *w;

    for (size_t i = 0; i < srv->nworkers; i++)
        if (!srv->workers[i]->peer && kq_str_eq(&srv->workers[i]->info.worker_name, name))
            return srv->workers[i];
    w = worker_new(srv, name);
    if (w) {
        w->authenticated = true;
        w->lost_ms = kq_loop_now(srv->loop);
    }
    return w;
}

void kq_srv_worker_hello(kq_peer *p, const kq_hello_hello_from_worker *hello)
{
    kq_server *srv = p->srv;
    const kq_str *name = &hello->worker_name;
    kq_worker *w = worker_new(srv, name);
    kq_s2w m = {.tag = KQ_S2W_AUTH_CHALLENGE};

    if (!w) {
        kq_srv_close(p, "out of memory for a new worker");
        return;
    }
    w->peer = p;
    p->worker = w;
    if (kq_srv_drained(srv, name))
        kq_srv_worker_drain(srv, w, true);
    /* A Kueue-C worker says its level; both then speak the lower one. */
    if (hello->has_extension_level)
        p->ext_level = hello->extension_level < KQ_PROTOCOL_EXTENSION_LEVEL
                           ? (unsigned)hello->extension_level
                           : KQ_PROTOCOL_EXTENSION_LEVEL;
    if (hello->has_output_limit)
        w->output_limit = hello->output_limit;
    kq_info("Worker \"%s\" (id %llu) connected from %s%s", name->ptr,
            (unsigned long long)w->info.worker_id, p->conn.peer,
            kq_conn_encrypted(&p->conn) ? " over TLS" : " in plain text");
    kq_alloc_worker_hello(srv, w, &hello->allocation);
    if (p->ext_level)
        kq_debug("Worker \"%s\" speaks Kueue-C extension level %u", name->ptr,
                 p->ext_level);
    else
        kq_debug("Worker \"%s\" speaks the original protocol", name->ptr);
    kq_srv_send_s2w(p, &(kq_s2w){.tag = KQ_S2W_WELCOME_WORKER});
    m.auth_challenge.salt = kq_str_view(p->salt);
    /* Left out by the encoder for a worker that did not announce. */
    m.auth_challenge.has_extension_level = true;
    m.auth_challenge.extension_level = KQ_PROTOCOL_EXTENSION_LEVEL;
    if (srv->state_id[0])
        m.auth_challenge.state_id = kq_str_view(srv->state_id);
    m.auth_challenge.has_output_keep = true;
    m.auth_challenge.output_keep = srv->cfg->server_settings.live_output_buffer_bytes;
    kq_srv_send_s2w(p, &m);
}

/* ---- offers --------------------------------------------------------- */

static kq_worker *worker_of(kq_idle_worker *iw)
{
    return (kq_worker *)(void *)((char *)iw - offsetof(kq_worker, idle));
}

/* Offers job to w, the scheduler's choice.  Sending may close w's
 * connection and free w. */
static void offer(kq_server *srv, kq_worker *w, kq_job *job)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_OFFERED};
    kq_s2w m = {.tag = KQ_S2W_OFFER_JOB};

    if (kq_u64_set_add(&w->info.jobs_offered, job->info.job_id) < 0 ||
        kq_str_copy(&st.offered.worker, &w->info.worker_name) < 0 ||
        kq_sched_hold(&srv->sched, job) < 0) {
        kq_u64_set_remove(&w->info.jobs_offered, job->info.job_id);
        kq_str_free(&st.offered.worker);
        kq_err("Out of memory offering job %llu", (unsigned long long)job->info.job_id);
        kq_sched_skip(&srv->sched, job);
        return;
    }
    kq_sched_dequeue(&srv->sched, job);
    kq_resources_sub(&w->avail, &job->info.worker_resources);
    kq_idle_set(&srv->sched.idle, &w->idle, w->avail.job_slots > 0);
    st.offered.issued = kq_job_issued(job);
    st.offered.offered = kq_time_now();
    kq_jobs_set_status(&srv->jobs, job, &st, st.offered.offered);
    job->worker_id = w->info.worker_id;
    kq_debug("Offering job %llu to worker \"%s\"",
             (unsigned long long)job->info.job_id, w->info.worker_name.ptr);
    kq_srv_notify(srv, job);
    m.offer_job = job->info;
    kq_srv_send_s2w(w->peer, &m);
}

void kq_srv_dispatch(kq_server *srv)
{
    kq_idle_worker *iw;
    kq_job *job;

    if (srv->stopping)
        return;
    srv->sched.now_ms = kq_loop_now(srv->loop);
    while (kq_sched_next(&srv->sched, &job, &iw))
        offer(srv, worker_of(iw), job);
    kq_alloc_after_dispatch(srv);
}

/* Detaches a job from the worker it was offered to or ran on. */
static void detach(kq_server *srv, kq_job *job)
{
    kq_worker *w = kq_srv_worker_get(srv, job->worker_id);

    if (w) {
        kq_u64_set_remove(&w->info.jobs_running, job->info.job_id);
        /* An offer it will not take back is capacity again. */
        if (kq_u64_set_remove(&w->info.jobs_offered, job->info.job_id)) {
            kq_resources_add(&w->avail, &job->info.worker_resources);
            idle_update(srv, w);
        }
    }
    kq_sched_release(&srv->sched, job);
    job->worker_id = KQ_NO_WORKER;
    srv->dispatch_needed = true;
}

void kq_srv_detach(kq_server *srv, kq_job *job)
{
    detach(srv, job);
}

void kq_srv_withdraw(kq_server *srv, kq_job *job)
{
    kq_worker *w = kq_srv_worker_get(srv, job->worker_id);
    kq_s2w m = {.tag = KQ_S2W_WITHDRAW_JOB_OFFER};

    if (w && w->peer) {
        m.withdraw_job_offer = job->info;
        kq_srv_send_s2w(w->peer, &m);
    }
    detach(srv, job);
}

bool kq_srv_worker_reachable(kq_server *srv, const kq_job *job)
{
    kq_worker *w = kq_srv_worker_get(srv, job->worker_id);

    return w && w->peer && kq_conn_is_open(&w->peer->conn);
}

void kq_srv_kill(kq_server *srv, kq_job *job)
{
    kq_worker *w = kq_srv_worker_get(srv, job->worker_id);
    kq_s2w m = {.tag = KQ_S2W_KILL_JOB};

    job->kill_pending = true;
    if (!w || !w->peer)
        return;
    m.kill_job = job->info;
    kq_srv_send_s2w(w->peer, &m);
}

void kq_srv_kill_only(kq_server *srv, kq_job *job)
{
    kq_worker *w = kq_srv_worker_get(srv, job->worker_id);
    kq_s2w m = {.tag = KQ_S2W_KILL_JOB};

    if (!w || !w->peer)
        return;
    /* KillJob carries the job as canceled; the status stays the server's. */
    m.kill_job = job->info;
    m.kill_job.status = (kq_job_status){.tag = KQ_JOB_STATUS_CANCELED};
    m.kill_job.status.canceled.issued = kq_job_issued(job);
    m.kill_job.status.canceled.canceled = kq_time_now();
    kq_srv_send_s2w(w->peer, &m);
}

/* ---- answers to offers ---------------------------------------------- */

/* The offered job an answer refers to, or NULL for a late or unknown one
 * (logged; the reference closed the connection instead). */
static kq_job *answered_job(kq_server *srv, kq_worker *w, uint64_t id,
                            const char *what)
{
    kq_job *job = kq_jobs_get(&srv->jobs, id);

    if (!job || job->worker_id != w->info.worker_id ||
        !kq_u64_set_has(&w->info.jobs_offered, id)) {
        kq_debug("Worker \"%s\" %s job %llu, which is no longer offered to it",
                 w->info.worker_name.ptr, what, (unsigned long long)id);
        return NULL;
    }
    return job;
}

static void on_accept_offer(kq_server *srv, kq_worker *w, uint64_t id)
{
    kq_job *job = answered_job(srv, w, id, "accepted");
    kq_job_status st = {.tag = KQ_JOB_STATUS_RUNNING};
    kq_s2w m = {.tag = KQ_S2W_CONFIRM_JOB_OFFER};

    if (!job)
        return;
    if (kq_u64_set_add(&w->info.jobs_running, id) < 0 ||
        kq_str_copy(&st.running.worker, &w->info.worker_name) < 0) {
        kq_str_free(&st.running.worker);
        kq_srv_close(w->peer, "out of memory");
        return;
    }
    kq_u64_set_remove(&w->info.jobs_offered, id);
    kq_rejects_forget(&srv->rejects, id);
    st.running.issued = kq_job_issued(job);
    st.running.started = kq_time_now();
    kq_jobs_set_status(&srv->jobs, job, &st, st.running.started);
    kq_srv_limit_watch(srv, job);
    kq_srv_notify(srv, job);
    /* The environment goes with the confirmation only: the worker runs
     * the job from it. */
    m.confirm_job_offer = kq_srv_with_env(job);
    kq_srv_send_s2w(w->peer, &m);
    /* The worker asks for more with UpdateResources once it started. */
}

static void on_defer_or_reject(kq_server *srv, kq_worker *w, uint64_t id,
                               bool reject)
{
    kq_job *job = answered_job(srv, w, id, reject ? "rejected" : "deferred");
    uint64_t wait_ms = 0;

    if (!job)
        return;
    if (kq_idset_add(reject ? &w->rejected : &w->deferred, id) < 0 ||
        (reject && kq_rejects_add(&srv->rejects, id, &w->info.worker_name,
                                  kq_loop_now(srv->loop), &wait_ms) < 0)) {
        kq_srv_close(w->peer, "out of memory");
        return;
    }
    if (reject)
        kq_info("Worker \"%s\" rejected job %llu (%s is not a directory there); it is "
                "offered to it again after %llu s, at a report", w->info.worker_name.ptr,
                (unsigned long long)id, job->info.cwd.ptr, (unsigned long long)wait_ms / 1000);
    /* Its offer is capacity again, for the next job (detach). */
    detach(srv, job);
    kq_srv_requeue(srv, job);
}

/* ---- resources and the session ------------------------------------- */

/* At a report: the jobs w rejected whose back-off is over may be offered
 * to it again. */
static void release_rejected(kq_server *srv, kq_worker *w)
{
    uint64_t now = kq_loop_now(srv->loop), id;
    size_t pos = 0;

    while (w->rejected.len && kq_idset_next(&w->rejected, &pos, &id))
        if (!kq_rejects_waits(&srv->rejects, id, &w->info.worker_name, now))
            kq_idset_remove(&w->rejected, id);
}

static int skip_rejected(void *ctx, uint64_t job_id)
{
    return kq_idset_add(&((kq_worker *)ctx)->rejected, job_id);
}

/* A fresh report: what may be offered is what it has free, minus the
 * offers it has not answered (its report cannot count those). */
static void on_resources(kq_server *srv, kq_worker *w, const kq_resources *r)
{
    w->info.free_resources = *r;
    if (!w->reported || r->job_slots > w->capacity.job_slots || r->cpus > w->capacity.cpus ||
        r->ram_mb > w->capacity.ram_mb) {
        w->reported = true;
        capacity_update(srv, w);
    }
    w->avail = *r;
    for (size_t i = 0; i < w->info.jobs_offered.len; i++) {
        kq_job *job = kq_jobs_get(&srv->jobs, w->info.jobs_offered.items[i]);

        if (job)
            kq_resources_sub(&w->avail, &job->info.worker_resources);
    }
    kq_idset_clear(&w->deferred);
    release_rejected(srv, w);
    idle_update(srv, w);
    if (w->alloc_queue)
        kq_alloc_worker_resources(srv, w);
}

/* A worker with an end (SystemInfo.lifetime) gets a horizon: jobs whose
 * time limit does not fit, or without one once it takes none, are not
 * offered to it (kq_sched.h). */
static void on_lifetime(kq_server *srv, kq_worker *w)
{
    const kq_system_info *si = &w->info.system_info;
    uint64_t now = kq_loop_now(srv->loop);

    if (si->has_lifetime) {
        w->until[KQ_IDLE_LIMITED] = now + si->lifetime.seconds_left * 1000;
        w->until[KQ_IDLE_OPEN] = now + si->lifetime.no_limit_seconds_left * 1000;
    } else {
        w->until[KQ_IDLE_LIMITED] = w->until[KQ_IDLE_OPEN] = UINT64_MAX;
    }
    idle_update(srv, w);
}

static void on_worker_auth(kq_peer *p, kq_worker *w, const kq_str *response)
{
    kq_s2w m = {.tag = KQ_S2W_AUTH_ACCEPTED};

    m.auth_accepted = kq_srv_auth_ok(p, response);
    kq_srv_send_s2w(p, &m);
    if (!m.auth_accepted) {
        /* No second chance for workers. */
        kq_warn("Worker \"%s\" at %s failed to authenticate",
                w->info.worker_name.ptr, p->conn.peer);
        kq_conn_close_after_flush(&p->conn);
        return;
    }
    if (!w->authenticated) {
        kq_info("Worker \"%s\" (id %llu) authenticated", w->info.worker_name.ptr,
                (unsigned long long)w->info.worker_id);
        /* What a worker of its name rejected waits out its back-off. */
        if (kq_rejects_each_waiting(&p->srv->rejects, &w->info.worker_name,
                                    kq_loop_now(p->srv->loop), skip_rejected, w) < 0) {
            kq_srv_close(p, "out of memory");
            return;
        }
    }
    w->authenticated = true;
    idle_update(p->srv, w);
}

void kq_srv_worker_message(kq_peer *p, const char *msg, size_t len)
{
    kq_server *srv = p->srv;
    kq_worker *w = p->worker;
    kq_w2s m;
    kq_error err;

    if (!w)
        return;
    if (kq_w2s_decode_framed(msg, len, &m, &err) != 0) {
        kq_srv_refuse(p, err.msg);
        return;
    }
    if (!w->authenticated && m.tag != KQ_W2S_AUTH_RESPONSE &&
        m.tag != KQ_W2S_UPDATE_SYSTEM_INFO && m.tag != KQ_W2S_BYE) {
        kq_srv_close(p, "worker not authenticated");
        kq_w2s_free(&m);
        return;
    }
    switch (m.tag) {
    case KQ_W2S_AUTH_RESPONSE:
        on_worker_auth(p, w, &m.auth_response);
        break;
    case KQ_W2S_UPDATE_SYSTEM_INFO:
        /* Fixed: before authentication it keeps nobody alive. */
        if (!w->authenticated)
            break;
        kq_system_info_free(&w->info.system_info);
        w->info.system_info = m.update_system_info;
        memset(&m.update_system_info, 0, sizeof m.update_system_info);
        w->info.last_updated = kq_time_now();
        w->last_seen_ms = kq_loop_now(srv->loop);
        on_lifetime(srv, w);
        if (w->reported)
            capacity_update(srv, w);
        break;
    case KQ_W2S_UPDATE_JOB_STATUS:
        kq_srv_report_status(srv, w, &m.update_job_status);
        break;
    case KQ_W2S_UPDATE_JOB_RESULTS:
        kq_srv_report_results(srv, w, &m.update_job_results);
        break;
    case KQ_W2S_REQUEUE_JOB:
        kq_srv_report_requeue(srv, w, &m.requeue_job);
        break;
    case KQ_W2S_UPDATE_RESOURCES:
        on_resources(srv, w, &m.update_resources);
        break;
    case KQ_W2S_ACCEPT_JOB_OFFER:
        on_accept_offer(srv, w, m.accept_job_offer.job_id);
        break;
    case KQ_W2S_DEFER_JOB_OFFER:
        on_defer_or_reject(srv, w, m.defer_job_offer.job_id, false);
        break;
    case KQ_W2S_REJECT_JOB_OFFER:
        on_defer_or_reject(srv, w, m.reject_job_offer.job_id, true);
        break;
    case KQ_W2S_OUTPUT_CHUNK:
        kq_live_chunk(srv, w, &m.output_chunk);
        break;
    case KQ_W2S_BYE:
        kq_conn_close_after_flush(&p->conn);
        break;
    }
    kq_w2s_free(&m);
}

/* ---- losing workers ------------------------------------------------- */

void kq_srv_worker_forget(kq_server *srv, kq_worker *w, const char *why)
{
    kq_u64_set running = w->info.jobs_running;

    /* Detaching edits the set being walked: walk a copy. */
    memset(&w->info.jobs_running, 0, sizeof w->info.jobs_running);
    for (size_t i = 0; i < running.len; i++) {
        kq_job *job = kq_jobs_get(&srv->jobs, running.items[i]);

        if (!job || job->worker_id != w->info.worker_id)
            continue;
        kq_sched_release(&srv->sched, job);
        if (job->kill_pending) {
            job->kill_pending = false;
            job->worker_id = KQ_NO_WORKER;
            continue;
        }
        if (job->limit_hit) {
            job->worker_id = KQ_NO_WORKER;
            kq_srv_limit_lost(srv, job);
            continue;
        }
        kq_info("Job %llu goes back to the queue: worker \"%s\" %s",
                (unsigned long long)job->info.job_id, w->info.worker_name.ptr, why);
        kq_srv_requeue(srv, job);
    }
    kq_u64_set_free(&running);
    registry_remove(srv, w);
}

void kq_srv_worker_closed(kq_peer *p)
{
    kq_server *srv = p->srv;
    kq_worker *w = p->worker;
    kq_u64_set offered;

    if (!w)
        return;
    w->peer = NULL;
    p->worker = NULL;
    w->lost_ms = kq_loop_now(srv->loop);
    kq_alloc_worker_left(srv, w);
    idle_update(srv, w);
    offered = w->info.jobs_offered;
    memset(&w->info.jobs_offered, 0, sizeof w->info.jobs_offered);
    for (size_t i = 0; i < offered.len; i++) {
        kq_job *job = kq_jobs_get(&srv->jobs, offered.items[i]);

        if (job && job->worker_id == w->info.worker_id &&
            job->cat == KQ_CAT_OFFERED) {
            detach(srv, job);
            kq_srv_requeue(srv, job);
        }
    }
    kq_u64_set_free(&offered);
    if (!w->authenticated || w->info.jobs_running.len == 0) {
        registry_remove(srv, w);
        return;
    }
    kq_info("Worker \"%s\" disconnected; its %zu running job(s) wait %llu s "
            "for it to come back", w->info.worker_name.ptr,
            w->info.jobs_running.len,
            (unsigned long long)srv->cfg->server_settings.worker_timeout_seconds);
}

/* ---- draining ------------------------------------------------------- */

void kq_srv_worker_drain(kq_server *srv, kq_worker *w, bool drained)
{
    w->drained = drained;
    w->info.has_drained = drained;
    w->info.drained = drained;
    idle_update(srv, w);
    if (!drained)
        return;
    /* Nothing new starts there: open offers go back to the queue. */
    while (w->info.jobs_offered.len) {
        kq_job *job = kq_jobs_get(&srv->jobs, w->info.jobs_offered.items[0]);

        if (!job || job->worker_id != w->info.worker_id) {
            kq_u64_set_remove(&w->info.jobs_offered, w->info.jobs_offered.items[0]);
            continue;
        }
        kq_srv_withdraw(srv, job);
        kq_srv_requeue(srv, job);
    }
}
