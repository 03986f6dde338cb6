/*
 * kq_srv_retry.c - retries (kueue cmd --retries N): a run that fails goes
 * back to the queue, up to N times.
 *
 * A run fails when its worker reports it Finished with a return code
 * other than 0: its command's own code, or the worker's (-43 could not
 * start, -44 signal, -45 wait error, -46 killed by the worker's
 * shutdown).  A job stopped at its time limit (-47) or canceled is not
 * tried again, and a job lost with its worker goes back to the queue as
 * every job does, without using a retry.  Each failed run is recorded in
 * the job's Workflow.attempts (return code, worker, end), stored with the
 * job; the output of the run that ends the job is the one kept.  A report
 * sent again after a reconnect (the first one's acknowledgement lost) is
 * recognised by its recorded end and counts once.  Owns nothing.
 */
#include "kq_server_int.h"

#include <stdlib.h>
#include <string.h>

/* The run a report of st describes is recorded already (the report is
 * sent again). */
bool kq_srv_retry_resent(const kq_job *job, const kq_job_status *st)
{
    const kq_workflow *wf = job->info.workflow;
    const kq_attempt *last;

    if (st->tag != KQ_JOB_STATUS_FINISHED || !wf || !wf->has_attempts || !wf->attempts.len)
        return false;
    last = &wf->attempts.items[wf->attempts.len - 1];
    return kq_time_cmp(last->finished, st->finished.finished) == 0 &&
           last->return_code == st->finished.return_code &&
           kq_str_eq(&last->worker, &st->finished.worker);
}

bool kq_srv_retry(kq_server *srv, kq_job *job, kq_job_status *st)
{
    kq_workflow *wf = job->info.workflow;
    const kq_job_status_finished *f = &st->finished;
    size_t done = wf && wf->has_attempts ? wf->attempts.len : 0;
    kq_attempt *grown, *a;

    if (!wf || !wf->has_retries || done >= wf->retries || st->tag != KQ_JOB_STATUS_FINISHED ||
        f->return_code == 0 || f->return_code == KQ_RC_TIME_LIMIT)
        return false;
    grown = realloc(wf->attempts.items, (done + 1) * sizeof *grown);
    if (!grown) {
        kq_err("Out of memory recording a run of job %llu: it ends without a retry",
               (unsigned long long)job->info.job_id);
        return false;
    }
    wf->attempts.items = grown;
    a = &grown[done];
    memset(a, 0, sizeof *a);
    a->return_code = f->return_code;
    a->finished = f->finished;
    a->worker = st->finished.worker;
    st->finished.worker = KQ_STR_NULL; /* taken over */
    wf->attempts.len = done + 1;
    wf->has_attempts = true;
    kq_jobs_touch_info(&srv->jobs, job);
    kq_info("Job %llu failed with return code %d on worker \"%s\" (attempt %zu of %llu): "
            "queued again", (unsigned long long)job->info.job_id, (int)f->return_code,
            a->worker.ptr ? a->worker.ptr : "", done + 1,
            (unsigned long long)wf->retries + 1);
    kq_srv_requeue(srv, job);
    return true;
}
