/*
 * kq_rejects.h - jobs that workers rejected, and when each worker is
 * offered them again.
 *
 * A worker rejects an offer it can never run as it stands: the job's
 * working directory is not there (another machine's disk, a mount that is
 * missing).  That may change (the directory is created, the disk is
 * mounted), so the rejection is not for ever: the job goes to other
 * workers at once, and to the rejecting one again once a back-off has
 * passed (the server looks at its next report after that): base, doubled
 * at each rejection by that worker, up to an hour (or base, if longer).
 * Kept per job and worker name, so it outlives the worker's reconnects;
 * a record exists only for a job some worker rejected, until the job
 * runs or leaves the queue.  Also the "rejected by" part of a job's wait
 * reason.
 *
 * Owns its records and the names in them; never owns jobs or workers.
 * Nothing here reads a clock: callers pass the time.
 */
#ifndef KQ_REJECTS_H
#define KQ_REJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_protocol.h"

/* The longest back-off, unless base is longer. */
#define KQ_REJECTS_MAX_MS 3600000u

/* One worker's rejections of one job. */
typedef struct kq_reject_entry {
    kq_str name;         /* the worker's */
    uint32_t count;      /* rejections so far */
    uint64_t retry_ms;   /* offered to it again from then on */
} kq_reject_entry;

typedef struct kq_reject_rec {
    uint64_t key;        /* job id + 1; 0 empty, UINT64_MAX removed */
    kq_reject_entry *entries;
    uint32_t n;
} kq_reject_rec;

typedef struct kq_rejects {
    kq_reject_rec *slots;
    size_t cap, len, used;
    uint64_t base_ms;
} kq_rejects;

/* An empty table whose back-off starts at base_ms. */
void kq_rejects_init(kq_rejects *r, uint64_t base_ms);
void kq_rejects_free(kq_rejects *r);

/* The worker name rejected the job at now_ms: it waits base, 2 base, 4
 * base ... (at most KQ_REJECTS_MAX_MS) before it is offered the job
 * again.  The back-off in *wait_ms.  0 or -ENOMEM. */
KQ_NODISCARD int kq_rejects_add(kq_rejects *r, uint64_t job_id, const kq_str *name,
                                uint64_t now_ms, uint64_t *wait_ms);

/* The job's record, or NULL when no worker rejected it. */
const kq_reject_rec *kq_rejects_get(const kq_rejects *r, uint64_t job_id);

/* Whether the worker name must not be offered the job at now_ms. */
bool kq_rejects_waits(const kq_rejects *r, uint64_t job_id, const kq_str *name,
                      uint64_t now_ms);

/* Forgets the job's record (it runs, or left the queue). */
void kq_rejects_forget(kq_rejects *r, uint64_t job_id);

/* Calls fn for every job the worker name must not be offered at now_ms
 * (for the skip set of a worker that (re)connects); stops at and returns
 * fn's first non-zero result. */
int kq_rejects_each_waiting(const kq_rejects *r, const kq_str *name, uint64_t now_ms,
                            int (*fn)(void *ctx, uint64_t job_id), void *ctx);

/* Keeps only the records of jobs for which keep says true. */
void kq_rejects_prune(kq_rejects *r, bool (*keep)(void *ctx, uint64_t job_id), void *ctx);

#endif
