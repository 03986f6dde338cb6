/*
 * kq_wait.c - waiting for jobs to end (see kq_wait.h).  Owns the lookup
 * index from job id to slot and, for a watcher that derives reasons, the
 * server's last worker list; the caller owns the results.
 */
#include "kq_wait.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kq_reasons.h"

typedef struct slot {
    uint64_t id;
    size_t index; /* into ids[] and final[] */
} slot;

typedef struct waiter {
    kq_session *s;
    const uint64_t *ids;
    size_t n;
    kq_job_info *final; /* zeroed (Pending) until that job has ended */
    slot *by_id; /* sorted by id */
    size_t remaining;
    size_t cursor;  /* next id to send a request for */
    kq_c2s_tag ask; /* ObserveJob first, ShowJob when resynchronising */
    const kq_wait_watch *watch;
    /* Deriving reasons: the worker list (have), asked for (asked), and a
     * pending job waiting for it (held). */
    kq_worker_info_list workers;
    bool have, asked, holding;
    kq_job_info held;
} waiter;

static int cmp_slot(const void *a, const void *b)
{
    uint64_t x = ((const slot *)a)->id, y = ((const slot *)b)->id;

    return x < y ? -1 : x > y;
}

/* final[] starts zeroed, which must read as a job that has not ended. */
_Static_assert(KQ_JOB_STATUS_PENDING == 0, "a zeroed status is Pending");

static bool ended(const kq_job_status *st)
{
    return st->tag == KQ_JOB_STATUS_FINISHED || st->tag == KQ_JOB_STATUS_CANCELED;
}

/* Tells the watcher of a job that has not ended, with a reason worked
 * out when the server gives none and the worker list is there (else it
 * is asked for, and the job told when it comes). */
static int tell(waiter *w, const kq_job_info *job, kq_error *err)
{
    kq_job_info copy;
    int rc;

    if (!w->watch->derive || !kq_reasons_missing(job, 1)) {
        w->watch->update(w->watch->ctx, job);
        return 0;
    }
    if (!w->have) {
        kq_c2s req = {.tag = KQ_C2S_LIST_WORKERS};

        if (!w->asked && (rc = kq_session_queue(w->s, &req)) < 0) {
            kq_error_set(err, "out of memory");
            return rc;
        }
        w->asked = true;
        if (w->holding)
            kq_job_info_free(&w->held);
        w->holding = kq_job_info_copy(&w->held, job) == 0;
        return 0;
    }
    if (kq_job_info_copy(&copy, job) < 0 ||
        kq_reasons_fill(&copy, 1, &w->workers) < 0) {
        kq_job_info_free(&copy);
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    w->watch->update(w->watch->ctx, &copy);
    kq_job_info_free(&copy);
    return 0;
}

/* The worker list asked for came: the held job is told now. */
static int took_workers(waiter *w, kq_worker_info_list *list, kq_error *err)
{
    kq_worker_info_list_free(&w->workers);
    w->workers = *list;
    memset(list, 0, sizeof *list);
    w->have = true;
    if (!w->holding)
        return 0;
    w->holding = false;
    if (kq_reasons_fill(&w->held, 1, &w->workers) < 0) {
        kq_job_info_free(&w->held);
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    w->watch->update(w->watch->ctx, &w->held);
    kq_job_info_free(&w->held);
    return 0;
}

/* Records job if it is one we wait for and it has ended; tells the
 * watcher of one that has not. */
static int note(waiter *w, const kq_job_info *job, kq_error *err)
{
    slot key = {job->job_id, 0};
    const slot *hit;

    if (!ended(&job->status))
        return w->watch ? tell(w, job, err) : 0;
    hit = bsearch(&key, w->by_id, w->n, sizeof *w->by_id, cmp_slot);
    while (hit && hit > w->by_id && hit[-1].id == job->job_id)
        hit--;
    for (; hit && hit < w->by_id + w->n && hit->id == job->job_id; hit++) {
        if (ended(&w->final[hit->index].status))
            continue;
        if (kq_job_info_copy(&w->final[hit->index], job) < 0) {
            kq_error_set(err, "out of memory");
            return -ENOMEM;
        }
        w->remaining--;
    }
    return 0;
}

/* Queues the next requests (ObserveJob or ShowJob) for open jobs. */
static int queue_requests(waiter *w, kq_error *err)
{
    while (w->cursor < w->n && kq_session_can_queue(w->s)) {
        size_t i = w->cursor++;
        kq_c2s req = {.tag = w->ask};

        if (ended(&w->final[i].status))
            continue;
        if (w->ask == KQ_C2S_OBSERVE_JOB)
            req.observe_job.job_id = w->ids[i];
        else
            req.show_job.job_id = w->ids[i];
        if (kq_session_queue(w->s, &req) < 0) {
            kq_error_set(err, "out of memory");
            return -ENOMEM;
        }
    }
    return 0;
}

static int wait_loop(waiter *w, kq_error *err)
{
    int rc;

    while (w->remaining > 0) {
        kq_s2c msg;

        if ((rc = queue_requests(w, err)) < 0)
            return rc;
        rc = kq_session_recv(w->s, &msg, KQ_WAIT_RESYNC_MS, err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            /* Quiet for long: ask again about every job still open (and
             * the workers, for reasons worked out). */
            if (w->cursor >= w->n) {
                w->ask = KQ_C2S_SHOW_JOB;
                w->cursor = 0;
            }
            if (!w->asked)
                w->have = false;
            continue;
        }
        if (msg.tag == KQ_S2C_JOB_UPDATED)
            rc = note(w, &msg.job_updated, err);
        else if (msg.tag == KQ_S2C_JOB_INFO)
            rc = note(w, &msg.job_info.job_info, err);
        else if (msg.tag == KQ_S2C_WORKER_LIST && w->asked) {
            w->asked = false;
            rc = took_workers(w, &msg.worker_list, err);
        } else
            rc = kq_session_unexpected(err, "JobUpdated", &msg);
        kq_s2c_free(&msg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int kq_wait_jobs(kq_session *s, const uint64_t *ids, size_t n,
                 kq_job_info *final, const kq_wait_watch *watch, kq_error *err)
{
    waiter w = {.s = s, .ids = ids, .n = n, .final = final, .remaining = n,
                .ask = KQ_C2S_OBSERVE_JOB, .watch = watch};
    int rc;

    memset(final, 0, n * sizeof *final);
    w.by_id = calloc(n ? n : 1, sizeof *w.by_id);
    if (!w.by_id) {
        kq_error_set(err, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        w.by_id[i] = (slot){ids[i], i};
    qsort(w.by_id, n, sizeof *w.by_id, cmp_slot);
    rc = wait_loop(&w, err);
out:
    if (rc < 0)
        for (size_t i = 0; i < n; i++)
            kq_job_info_free(&final[i]);
    free(w.by_id);
    kq_worker_info_list_free(&w.workers);
    if (w.holding)
        kq_job_info_free(&w.held);
    return rc;
}

int kq_wait_exit_code(const kq_job_status *st)
{
    if (st->tag == KQ_JOB_STATUS_FINISHED && st->finished.return_code >= 0 &&
        st->finished.return_code <= 255)
        return st->finished.return_code;
    return 1;
}
