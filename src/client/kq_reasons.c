/*
 * kq_reasons.c - reasons worked out from a worker list (see
 * kq_reasons.h).
 */
#include "kq_reasons.h"

#include <errno.h>
#include <string.h>

#include "kq_reason.h"
#include "kq_resources.h"

bool kq_reasons_missing(const kq_job_info *jobs, size_t n)
{
    bool pending = false;

    for (size_t i = 0; i < n; i++) {
        if (jobs[i].status.tag != KQ_JOB_STATUS_PENDING)
            continue;
        if (jobs[i].wait_reason.ptr)
            return false;
        pending = true;
    }
    return pending;
}

/* w's capacity: one job slot for each job it holds (the list does not
 * say how many each takes). */
static kq_resources capacity(const kq_worker_info *w)
{
    kq_resources held = {w->jobs_running.len + w->jobs_offered.len, 0, 0};

    return kq_reason_capacity(&w->system_info, &w->free_resources, &held);
}

/* The reason for a job needing need, or nothing. */
static void reason(const kq_worker_info_list *workers, const kq_resources *need, kq_buf *out)
{
    kq_resources largest = {0}, cap;
    bool fits_one = false, fits_free = false;

    if (workers->len == 0) {
        kq_buf_puts(out, KQ_REASON_NO_WORKER);
        return;
    }
    for (size_t i = 0; i < workers->len; i++) {
        cap = capacity(&workers->items[i]);
        largest.job_slots = cap.job_slots > largest.job_slots ? cap.job_slots : largest.job_slots;
        largest.cpus = cap.cpus > largest.cpus ? cap.cpus : largest.cpus;
        largest.ram_mb = cap.ram_mb > largest.ram_mb ? cap.ram_mb : largest.ram_mb;
        fits_one |= kq_resources_fit(need, &cap);
        fits_free |= kq_resources_fit(need, &workers->items[i].free_resources);
    }
    if (kq_reason_too_big(out, need, &largest))
        return;
    if (!fits_one)
        kq_reason_no_single(out, need);
    else if (!fits_free)
        kq_buf_puts(out, "workers busy");
}

int kq_reasons_fill(kq_job_info *jobs, size_t n, const kq_worker_info_list *workers)
{
    kq_buf text = KQ_BUF_INIT;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        if (jobs[i].status.tag != KQ_JOB_STATUS_PENDING || jobs[i].wait_reason.ptr)
            continue;
        kq_buf_clear(&text);
        reason(workers, &jobs[i].worker_resources, &text);
        if (text.oom)
            rc = -ENOMEM;
        else if (text.len)
            rc = kq_str_set(&jobs[i].wait_reason, kq_buf_ptr(&text), text.len);
    }
    kq_buf_free(&text);
    return rc;
}
