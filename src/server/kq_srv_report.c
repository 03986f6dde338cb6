/*
 * kq_srv_report.c - what workers report about their jobs: a job that
 * ended (UpdateJobStatus, then UpdateJobResults), a job kept running
 * across a reconnect (UpdateJobStatus with its Running status), and, to a
 * worker of extension level 1 or more, the acknowledgement of each report
 * (ReportStored).
 *
 * A report is stored once however often it arrives: a worker sends it
 * again after a reconnect until it is acknowledged, and the server may
 * have stored it before (its acknowledgement lost in a crash) or not (a
 * crash, a full disk).  The acknowledgement is queued as held output, so
 * it leaves only once the turn's changes are committed to the store
 * (kq_server.c: commit, then flush); a server that cannot write its state
 * acknowledges nothing, and the worker keeps the report.  Never owns jobs
 * or workers.
 */
#include "kq_live.h"
#include "kq_server_int.h"

#include <stdio.h>
#include <string.h>

/* Tells a worker that speaks the extension that its report of job_id is
 * handled for good (sent after the turn's commit). */
static void acknowledge(kq_worker *w, uint64_t job_id)
{
    kq_s2w m = {.tag = KQ_S2W_REPORT_STORED};

    if (!w->peer || w->peer->ext_level < kq_s2w_tag_level(KQ_S2W_REPORT_STORED))
        return;
    m.report_stored.job_id = job_id;
    kq_srv_send_s2w(w->peer, &m);
}

/* Makes job run on w, whatever it was doing, unless it really runs on
 * another connected worker or has ended.  Used when a reconnected worker
 * reports a job it kept running. */
static bool adopt(kq_server *srv, kq_worker *w, kq_job *job,
                  const kq_job_status *reported)
{
    kq_worker *other = kq_srv_worker_get(srv, job->worker_id);
    kq_job_status st = {0};

    if (job->worker_id == w->info.worker_id)
        return true;
    switch ((kq_cat)job->cat) {
    case KQ_CAT_PENDING:
        kq_sched_dequeue(&srv->sched, job);
        break;
    case KQ_CAT_OFFERED:
        kq_srv_withdraw(srv, job);
        break;
    case KQ_CAT_RUNNING:
    case KQ_CAT_CANCELED:
        if (job->cat == KQ_CAT_CANCELED && !job->kill_pending)
            return false;
        /* Another live worker of another name really runs it. */
        if (other && other->peer &&
            !kq_str_eq(&other->info.worker_name, &w->info.worker_name))
            return false;
        kq_srv_detach(srv, job);
        break;
    default:
        return false;
    }
    if (kq_u64_set_add(&w->info.jobs_running, job->info.job_id) < 0 ||
        kq_sched_hold(&srv->sched, job) < 0)
        return false;
    job->worker_id = w->info.worker_id;
    if (job->cat != KQ_CAT_CANCELED && reported->tag == KQ_JOB_STATUS_RUNNING &&
        kq_job_status_copy(&st, reported) == 0)
        kq_jobs_set_status(&srv->jobs, job, &st, kq_time_now());
    /* Past its time limit meanwhile: killed now that it is reachable. */
    kq_srv_limit_watch(srv, job);
    kq_info("Worker \"%s\" took back job %llu, which it kept running",
            w->info.worker_name.ptr, (unsigned long long)job->info.job_id);
    kq_srv_notify(srv, job);
    return true;
}

/* Tells w to stop a job it should not be running. */
static void kill_stray(kq_worker *w, kq_job_info *reported)
{
    kq_s2w m = {.tag = KQ_S2W_KILL_JOB};
    kq_time issued = reported->status.running.issued;

    kq_info("Worker \"%s\" runs job %llu, which is not its own: killing it",
            w->info.worker_name.ptr, (unsigned long long)reported->job_id);
    kq_job_status_free(&reported->status);
    reported->status.tag = KQ_JOB_STATUS_CANCELED;
    reported->status.canceled.issued = issued;
    reported->status.canceled.canceled = kq_time_now();
    m.kill_job = *reported;
    kq_srv_send_s2w(w->peer, &m);
}

void kq_srv_report_status(kq_server *srv, kq_worker *w, kq_job_info *reported)
{
    kq_job *job = kq_jobs_get(&srv->jobs, reported->job_id);
    kq_job_status *st = &reported->status;

    if (st->tag == KQ_JOB_STATUS_RUNNING) {
        if (job && job->worker_id == w->info.worker_id)
            return;
        if (!job || !kq_str_eq(&st->running.worker, &w->info.worker_name) ||
            !adopt(srv, w, job, st)) {
            kill_stray(w, reported);
            return;
        }
        if (job->kill_pending)
            kq_srv_kill(srv, job);
        return;
    }
    if (st->tag != KQ_JOB_STATUS_FINISHED && st->tag != KQ_JOB_STATUS_CANCELED) {
        kq_warn("Worker \"%s\" reported job %llu with status %s; ignored",
                w->info.worker_name.ptr, (unsigned long long)reported->job_id,
                kq_job_status_tag_name(st->tag));
        return;
    }
    if (!job) {
        kq_debug("Worker \"%s\" reported unknown job %llu",
                 w->info.worker_name.ptr, (unsigned long long)reported->job_id);
        return;
    }
    if (kq_srv_retry_resent(job, st)) {
        kq_debug("Worker \"%s\" reported a run of job %llu that failed and was retried "
                 "already", w->info.worker_name.ptr, (unsigned long long)reported->job_id);
        return;
    }
    if (job->worker_id != w->info.worker_id &&
        !(st->tag == KQ_JOB_STATUS_FINISHED &&
          kq_str_eq(&st->finished.worker, &w->info.worker_name) &&
          job->cat != KQ_CAT_SUCCEEDED && job->cat != KQ_CAT_FAILED &&
          adopt(srv, w, job, st))) {
        kq_debug("Worker \"%s\" reported job %llu, which is not its own",
                 w->info.worker_name.ptr, (unsigned long long)reported->job_id);
        return;
    }
    if (job->cat == KQ_CAT_SUCCEEDED || job->cat == KQ_CAT_FAILED)
        return; /* reported twice */
    kq_u64_set_remove(&w->info.jobs_offered, job->info.job_id);
    kq_u64_set_remove(&w->info.jobs_running, job->info.job_id);
    kq_sched_release(&srv->sched, job);
    srv->dispatch_needed = true;
    if (job->kill_pending) {
        /* Fixed: the user was told "Canceled", and so it stays. */
        job->kill_pending = false;
        job->limit_hit = false;
        kq_info("Job %llu ended on worker \"%s\" after it was canceled",
                (unsigned long long)job->info.job_id, w->info.worker_name.ptr);
        return;
    }
    if (kq_srv_limit_report(srv, job, st))
        kq_info("Job %llu ended at its time limit on worker \"%s\"",
                (unsigned long long)job->info.job_id, w->info.worker_name.ptr);
    else if (kq_srv_retry(srv, job, st))
        return;
    kq_jobs_set_status(&srv->jobs, job, st, kq_time_now());
    kq_debug("Job %llu ended on worker \"%s\"",
             (unsigned long long)job->info.job_id, w->info.worker_name.ptr);
    kq_srv_notify(srv, job);
}

/* Whether the results of job are w's to give: it runs or ran there, or it
 * finished on a worker of w's name (a report sent again after a reconnect
 * or a restart of the server, whose first results may not be stored). */
static bool results_belong(const kq_worker *w, const kq_job *job)
{
    return job->worker_id == w->info.worker_id ||
           (job->info.status.tag == KQ_JOB_STATUS_FINISHED &&
            kq_str_eq(&job->info.status.finished.worker, &w->info.worker_name));
}

void kq_srv_report_results(kq_server *srv, kq_worker *w,
                           kq_w2s_update_job_results *r)
{
    kq_job *job = kq_jobs_get(&srv->jobs, r->job_id);

    /* The end of a report: whatever was made of it is in this turn's
     * commit, and the acknowledgement leaves only after it. */
    acknowledge(w, r->job_id);
    if (!job || !results_belong(w, job)) {
        kq_debug("Worker \"%s\" sent results of job %llu, which is not its own",
                 w->info.worker_name.ptr, (unsigned long long)r->job_id);
        return;
    }
    kq_str_free(&job->stdout_text);
    kq_str_free(&job->stderr_text);
    job->stdout_text = r->stdout_text;
    job->stderr_text = r->stderr_text;
    r->stdout_text = KQ_STR_NULL;
    r->stderr_text = KQ_STR_NULL;
    kq_jobs_touch(&srv->jobs, job);
    kq_live_results(srv, job);
}


/* Whether job runs on w: on this record, or on a record of w's name whose
 * connection is gone (w reconnected, or the server restarted since). */
static bool runs_on(kq_server *srv, const kq_worker *w, const kq_job *job)
{
    const kq_worker *on = kq_srv_worker_get(srv, job->worker_id);

    if (job->cat != KQ_CAT_RUNNING && !(job->cat == KQ_CAT_CANCELED && job->kill_pending))
        return false;
    return on == w || (on && !on->peer && kq_str_eq(&on->info.worker_name, &w->info.worker_name));
}

void kq_srv_report_requeue(kq_server *srv, kq_worker *w, const kq_w2s_requeue_job *r)
{
    kq_job *job = kq_jobs_get(&srv->jobs, r->job_id);
    char when[KQ_TIME_TEXT_MAX], note[KQ_TIME_TEXT_MAX + 1100];
    kq_time now = kq_time_now();

    acknowledge(w, r->job_id);
    /* Given back twice (the first acknowledgement lost): queued already. */
    if (!job || !runs_on(srv, w, job)) {
        kq_debug("Worker \"%s\" gave back job %llu, which does not run there; ignored",
                 w->info.worker_name.ptr, (unsigned long long)r->job_id);
        return;
    }
    kq_srv_detach(srv, job);
    if (job->limit_hit) {
        /* At its time limit: it ended there. */
        kq_srv_limit_lost(srv, job);
        return;
    }
    if (job->kill_pending) {
        /* Canceled meanwhile: it stays so, and it has ended. */
        job->kill_pending = false;
        kq_info("Job %llu ended on worker \"%s\" after it was canceled (%s)",
                (unsigned long long)job->info.job_id, w->info.worker_name.ptr, r->reason.ptr);
        return;
    }
    now.nsec = 0;
    kq_time_format(now, when);
    snprintf(note, sizeof note, "Requeued %s: %s", when, r->reason.ptr);
    kq_str_free(&job->info.note); /* given back before: the latest note */
    if (kq_str_set(&job->info.note, note, strlen(note)) < 0)
        kq_err("Out of memory noting why job %llu was requeued",
               (unsigned long long)job->info.job_id);
    kq_jobs_touch_info(&srv->jobs, job);
    kq_info("Job %llu goes back to the queue: %s", (unsigned long long)job->info.job_id,
            r->reason.ptr);
    kq_srv_requeue(srv, job);
}
