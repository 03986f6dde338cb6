/*
 * kq_srv_reason.c - why a pending job waits, and refusing at submission a
 * job that no connected worker could ever run.
 *
 * A reason is computed when a job is sent to a client (listed, shown,
 * accepted, observed): a pure function of the job and the server's state
 * at that moment, never stored with the job nor journaled.  It costs a
 * few index searches: the capacity index (per-dimension maxima of the
 * connected workers' capacities, a kq_idle of its own beside the
 * scheduler's idle workers), the scheduler's idle index and global
 * limits, and, only when no idle worker fits, the jobs of one worker (the
 * roomiest) to tell its jobs' share from other programs' load.  The first
 * that applies, in this order:
 *
 *   no worker connected / every connected worker is drained /
 *   no worker has 8 CPUs (largest connected: 2) /
 *   no single worker has 4 CPUs and 9000 MB of RAM at once /
 *   waiting for a global resource: matlab 2/2 in use /
 *   waiting for a job slot: global_max_parallel_jobs 100/100 in use /
 *   about to be offered to a worker /
 *   rejected by vm: /home/a/exp is not a directory there (kq_rejects) /
 *   deferred by a worker until its next report /
 *   worker vm: CPUs taken by other load (load 1.3) /
 *   worker vm: RAM taken by other programs (1200 MB free) /
 *   workers busy
 *
 * Observers of a pending job get a JobUpdated when its reason changes:
 * at most once a second, and only after something happened that may
 * change one (a job, a worker or its resources came or went).  The hash
 * of the reason last sent is kept in the job (kq_job.reason_sent).
 *
 * Owns nothing but the push timer.  Never changes a job or a worker.
 */
#include "kq_server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kq_alloc.h"
#include "kq_reason.h"
#include "kq_resources.h"
#include "kq_utf8.h"

/* The longest reason a client takes (JobInfo.wait_reason's limit). */
#define KQ_REASON_MAX 1024
/* Observers hear of a changed reason at most this often. */
#define REASON_PUSH_MS 1000

static kq_worker *worker_of_cap(kq_idle_worker *iw)
{
    return (kq_worker *)(void *)((char *)iw - offsetof(kq_worker, cap));
}

/* What the jobs offered to w or running there take. */
static kq_resources held_by_jobs(kq_server *srv, const kq_worker *w)
{
    const kq_u64_set *sets[2] = {&w->info.jobs_running, &w->info.jobs_offered};
    kq_resources held = {0};

    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sets[k]->len; i++) {
            const kq_job *job = kq_jobs_get(&srv->jobs, sets[k]->items[i]);

            if (job && job->worker_id == w->info.worker_id)
                kq_resources_add(&held, &job->info.worker_resources);
        }
    }
    return held;
}

/* No idle worker fits the job: the roomiest worker for it (by capacity),
 * w, says whether others' load or jobs take what it lacks. */
static void busy_reason(kq_server *srv, const kq_worker *w, const kq_resources *need,
                        kq_buf *out)
{
    kq_resources held = held_by_jobs(srv, w), unloaded = w->capacity;
    const kq_resources *free = &w->info.free_resources;

    kq_resources_sub(&unloaded, &held);
    if (!w->drained && need->job_slots <= unloaded.job_slots) {
        if (need->cpus <= unloaded.cpus && need->cpus > free->cpus) {
            kq_buf_printf(out, "worker %s: CPUs taken by other load", w->info.worker_name.ptr);
            /* Its load, if it reported its machine at all. */
            if (w->info.system_info.cpu_cores)
                kq_buf_printf(out, " (load %.1f)", w->info.system_info.load_info.one);
            return;
        }
        if (need->ram_mb <= unloaded.ram_mb && need->ram_mb > free->ram_mb &&
            need->cpus <= free->cpus) {
            kq_buf_printf(out, "worker %s: RAM taken by other programs (%" PRIu64 " MB free)",
                          w->info.worker_name.ptr, free->ram_mb);
            return;
        }
    }
    kq_buf_puts(out, "workers busy");
    if (srv->nconnected_drained)
        kq_buf_printf(out, " (%zu drained)", srv->nconnected_drained);
}

/* "rejected by vm, lab2: /home/a/exp is not a directory there" (at most
 * three names). */
static void rejected_reason(const kq_job *job, const kq_reject_rec *rec, kq_buf *out)
{
    kq_buf_puts(out, "rejected by ");
    for (uint32_t i = 0; i < rec->n && i < 3; i++)
        kq_buf_printf(out, "%s%s", i ? ", " : "", rec->entries[i].name.ptr);
    if (rec->n > 3)
        kq_buf_printf(out, " and %u more", rec->n - 3);
    kq_buf_printf(out, ": %s is not a directory there", job->info.cwd.ptr);
}

/* kq_srv_reason without the bound on the length. */
/* "waiting for 2 of the jobs it depends on: 12, 15, 20" (the first few
 * ids of --after, then of --after-any). */
static void depends_on(kq_buf *out, const kq_workflow *wf)
{
    const kq_u64_set *sets[2] = {wf->has_after ? &wf->after : NULL,
                                 wf->has_after_any ? &wf->after_any : NULL};
    size_t shown = 0;

    kq_buf_printf(out, "waiting for %llu of the jobs it depends on:",
                  (unsigned long long)wf->waiting);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; sets[k] && i < sets[k]->len; i++, shown++) {
            if (shown == 5) {
                kq_buf_puts(out, ", ...");
                return;
            }
            kq_buf_printf(out, "%s %llu", shown ? "," : "",
                          (unsigned long long)sets[k]->items[i]);
        }
}

static void compose(kq_server *srv, const kq_job *job, kq_buf *out)
{
    const kq_resources *need = &job->info.worker_resources;
    uint64_t id = job->info.job_id, in_use, total;
    uint64_t until[KQ_IDLE_TIMES];
    kq_idle_worker *best, *idle;
    const kq_reject_rec *rec;
    kq_resources largest;
    const char *what;
    bool fits_some;

    if (job->cat != KQ_CAT_PENDING)
        return;
    if (job->info.workflow && job->info.workflow->has_waiting && job->info.workflow->waiting) {
        depends_on(out, job->info.workflow);
        return;
    }
    if (srv->nconnected == 0) {
        if (!kq_alloc_reason(srv, &job->info, out))
            kq_buf_puts(out, KQ_REASON_NO_WORKER);
        return;
    }
    if (srv->nconnected_drained == srv->nconnected) {
        kq_buf_puts(out, "every connected worker is drained");
        return;
    }
    if (!kq_idle_bound(&srv->capacity, &largest)) {
        kq_buf_puts(out, "waiting for the workers' first report");
        return;
    }
    best = kq_idle_best(&srv->capacity, need, id, &fits_some);
    /* No connected worker could run it, an allocation's could. */
    if (!best && kq_alloc_reason(srv, &job->info, out))
        return;
    if (kq_reason_too_big(out, need, &largest))
        return;
    if (!best) {
        kq_reason_no_single(out, need);
        return;
    }
    if (kq_sched_held_back(&srv->sched, &job->info, &what, &in_use, &total)) {
        if (what)
            kq_buf_printf(out, "waiting for a global resource: %s %" PRIu64 "/%" PRIu64
                               " in use", what, in_use, total);
        else
            kq_buf_printf(out, "waiting for a job slot: global_max_parallel_jobs %" PRIu64
                               "/%" PRIu64 " in use", in_use, total);
        return;
    }
    kq_sched_until(&job->info, kq_loop_now(srv->loop), until);
    idle = kq_idle_best_until(&srv->sched.idle, need, until, id, &fits_some);
    if (idle) {
        kq_buf_puts(out, KQ_REASON_OFFERING);
        return;
    }
    if ((rec = kq_rejects_get(&srv->rejects, id)) && rec->n) {
        rejected_reason(job, rec, out);
        return;
    }
    if (fits_some) {
        kq_buf_puts(out, "deferred by a worker until its next report");
        return;
    }
    if (kq_alloc_reason(srv, &job->info, out))
        return;
    /* Idle workers with room for it, but with an end too near. */
    if (kq_idle_best(&srv->sched.idle, need, id, &fits_some)) {
        kq_buf_puts(out, until[KQ_IDLE_LIMITED]
                             ? "its time limit does not fit in what the idle workers have "
                               "left (their allocations end sooner)"
                             : "it has no time limit, and the idle workers take only jobs "
                               "with one now (their allocations end soon)");
        return;
    }
    busy_reason(srv, worker_of_cap(best), need, out);
}

void kq_srv_reason(kq_server *srv, const kq_job *job, kq_buf *out)
{
    size_t start = out->len, keep;

    compose(srv, job, out);
    /* Clients take reasons up to KQ_REASON_MAX bytes: a long directory or
     * worker name is cut, on a character boundary. */
    if (out->len - start <= KQ_REASON_MAX)
        return;
    keep = kq_utf8_truncate(kq_buf_ptr(out) + start, out->len - start, KQ_REASON_MAX - 3);
    out->len = start + keep;
    kq_buf_puts(out, "...");
}

const char *kq_srv_refusal(kq_server *srv, const kq_job_info *job, char *buf, size_t n)
{
    const kq_resources *need = &job->worker_resources;
    kq_resources largest;
    kq_buf text = KQ_BUF_INIT;
    bool fits_some, over[3];

    if ((job->has_queue_anyway && job->queue_anyway) ||
        !kq_idle_bound(&srv->capacity, &largest) ||
        kq_idle_best(&srv->capacity, need, job->job_id, &fits_some) ||
        kq_alloc_could_run(srv, job))
        return NULL;
    over[0] = need->cpus > largest.cpus;
    over[1] = need->ram_mb > largest.ram_mb;
    over[2] = need->job_slots > largest.job_slots;
    kq_buf_puts(&text, "No connected worker could ever run this job: ");
    if (over[0] || over[1] || over[2]) {
        kq_buf_puts(&text, "it needs ");
        kq_reason_needs(&text, need, over);
        kq_buf_puts(&text, ", and the connected workers have at most ");
        kq_reason_needs(&text, &largest, over);
    } else {
        kq_buf_puts(&text, "none has ");
        kq_reason_needs(&text, need, NULL);
        kq_buf_puts(&text, " at once");
    }
    kq_buf_puts(&text, ".  Ask for less (-c/--cpus, -r/--ram-mb, -j/--job-slots), or "
                       "queue it anyway (--queue-anyway) for a worker that is not "
                       "connected now.");
    snprintf(buf, n, "%s", text.oom ? "No connected worker could ever run this job."
                                     : kq_buf_ptr(&text));
    kq_buf_free(&text);
    return buf;
}

uint32_t kq_srv_reason_hash(const char *text, size_t len)
{
    uint32_t h = 2166136261u;

    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 16777619u;
    return h ? h : 1;
}

/* Tells the observers of every observed pending job whose reason changed
 * (kq_srv_notify sends it and records it). */
static void push_reasons(kq_server *srv)
{
    kq_buf text = KQ_BUF_INIT;

    for (kq_peer *p = srv->peers; p; p = p->next) {
        if (p->kind != KQ_PEER_CLIENT)
            continue;
        for (size_t i = 0; i < p->nobserved; i++) {
            kq_job *job = kq_jobs_get(&srv->jobs, p->observed[i]);

            if (!job || job->cat != KQ_CAT_PENDING)
                continue;
            kq_buf_clear(&text);
            kq_srv_reason(srv, job, &text);
            if (kq_srv_reason_hash(kq_buf_ptr(&text), text.len) != job->reason_sent)
                kq_srv_notify(srv, job);
        }
    }
    kq_buf_free(&text);
}

static void on_reason_timer(kq_loop *loop, void *arg)
{
    kq_server *srv = arg;

    srv->reason_timer = 0;
    if (!srv->observations || srv->stopping)
        return;
    if (srv->reasons_stale) {
        srv->reasons_stale = false;
        push_reasons(srv);
    }
    srv->reason_timer = kq_loop_timer(loop, REASON_PUSH_MS, on_reason_timer, srv);
}

void kq_srv_reasons_observed(kq_server *srv, long change)
{
    srv->observations += (size_t)change;
    if (srv->observations && !srv->reason_timer)
        srv->reason_timer = kq_loop_timer(srv->loop, REASON_PUSH_MS, on_reason_timer, srv);
}
