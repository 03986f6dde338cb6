/*
 * kq_srv_maint.c - the periodic maintenance pass (section 3.8).
 *
 * Every maintenance_interval_seconds: offers unanswered for
 * job_offer_timeout_seconds are withdrawn (fixed: the worker is told and
 * may get other offers); workers silent for worker_timeout_seconds are
 * dropped and their jobs queued again; workers that lost their connection
 * and did not come back within that time release their running jobs; and
 * finished or canceled jobs older than job_cleanup_after_minutes are
 * removed (by the server's clock, not the worker's); rejections of jobs
 * no longer queued are forgotten.  Visits workers, ended jobs and
 * rejected ones only, never the whole job table.
 */
#include "kq_server_int.h"

#include <stdlib.h>

static void withdraw_stale_offers(kq_server *srv, kq_worker *w, kq_time now)
{
    uint64_t limit = srv->cfg->server_settings.job_offer_timeout_seconds;
    size_t i = 0;

    while (i < w->info.jobs_offered.len) {
        kq_job *job = kq_jobs_get(&srv->jobs, w->info.jobs_offered.items[i]);

        if (!job || job->cat != KQ_CAT_OFFERED ||
            kq_time_diff_sec(now, job->info.status.offered.offered) <= (int64_t)limit) {
            i++;
            continue;
        }
        kq_info("Offer of job %llu to worker \"%s\" timed out",
                (unsigned long long)job->info.job_id, w->info.worker_name.ptr);
        /* Not this worker again until it reports fresh resources. */
        if (kq_idset_add(&w->deferred, job->info.job_id) < 0)
            kq_err("Out of memory marking job %llu deferred",
                   (unsigned long long)job->info.job_id);
        /* Withdrawing removes it from jobs_offered: same index again. */
        kq_srv_withdraw(srv, job);
        kq_srv_requeue(srv, job);
    }
}

/* Why a lost worker's jobs go back to the queue: the true story, since a
 * worker of its name may be connected again, without them (it lost them,
 * or it keeps no jobs across sessions). */
static const char *unclaimed_reason(const kq_server *srv, const kq_worker *w)
{
    for (size_t i = 0; i < srv->nworkers; i++) {
        const kq_worker *o = srv->workers[i];

        if (o != w && o->peer && o->authenticated &&
            kq_str_eq(&o->info.worker_name, &w->info.worker_name))
            return "came back without it";
    }
    return "did not come back";
}

/* Rejections matter while the job waits for a worker. */
static bool still_queued(void *ctx, uint64_t job_id)
{
    const kq_job *job = kq_jobs_get(&((kq_server *)ctx)->jobs, job_id);

    return job && (job->cat == KQ_CAT_PENDING || job->cat == KQ_CAT_OFFERED);
}

void kq_srv_maintenance(kq_server *srv)
{
    uint64_t now_ms = kq_loop_now(srv->loop);
    uint64_t timeout_ms = srv->cfg->server_settings.worker_timeout_seconds * 1000;
    uint64_t cleanup_min = srv->cfg->server_settings.job_cleanup_after_minutes;
    kq_time now = kq_time_now();
    size_t i = 0;

    while (i < srv->nworkers) {
        kq_worker *w = srv->workers[i];

        if (w->peer && now_ms - w->last_seen_ms > timeout_ms) {
            uint64_t id = w->info.worker_id;

            /* Closing may free a worker without running jobs. */
            kq_srv_close(w->peer, "worker timed out");
            w = kq_srv_worker_get(srv, id);
            /* Silent for the whole timeout already: no grace left. */
            if (w)
                kq_srv_worker_forget(srv, w, "timed out");
            continue;
        }
        if (!w->peer && now_ms - w->lost_ms > timeout_ms) {
            kq_debug("Forgetting the record of worker \"%s\" (id %llu), disconnected %llu s ago",
                     w->info.worker_name.ptr, (unsigned long long)w->info.worker_id,
                     (unsigned long long)((now_ms - w->lost_ms) / 1000));
            kq_srv_worker_forget(srv, w, unclaimed_reason(srv, w));
            continue;
        }
        if (w->peer)
            withdraw_stale_offers(srv, w, now);
        i++;
    }
    kq_rejects_prune(&srv->rejects, still_queued, srv);
    for (kq_job *job = srv->jobs.done_head, *next; job; job = next) {
        next = job->next;
        /* Whole minutes, as the reference counts them. */
        if (kq_time_diff_sec(now, job->done_at) / 60 <= (int64_t)cleanup_min)
            break;
        /* Kept while a job that has not ended depends on it. */
        if (!job->kill_pending && !kq_srv_deps_kept(srv, job))
            kq_jobs_delete(&srv->jobs, job);
    }
}
