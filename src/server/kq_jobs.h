/*
 * kq_jobs.h - the server's job table.
 *
 * Owns every job.  Jobs are found by id in O(1) (a table indexed by id, ids
 * only ever grow), and each job's category (pending, offered, running,
 * succeeded, failed, canceled) is kept in a bitmap per category, so
 * list-jobs takes the most recent jobs of any categories without touching
 * the others.  The counters and run-time sums that list-jobs reports are
 * updated on every status change, never recomputed by scanning; only the
 * running jobs (bounded by the workers' slots) are visited for statistics.
 * Finished and canceled jobs are also kept in the order they ended, for
 * cleanup.
 *
 * Every status change goes through kq_jobs_set_status.  When tracking is
 * on, the table also remembers which jobs changed or went away since the
 * last kq_jobs_clear_changes, for the store to write; a status hook
 * (on_status) lets counters follow the changes as they happen.  Nothing
 * here does I/O.
 */
#ifndef KQ_JOBS_H
#define KQ_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_envs.h"
#include "kq_protocol.h"

#define KQ_NO_WORKER UINT64_MAX

typedef enum kq_cat {
    KQ_CAT_PENDING,
    KQ_CAT_OFFERED,
    KQ_CAT_RUNNING,
    KQ_CAT_SUCCEEDED,
    KQ_CAT_FAILED,
    KQ_CAT_CANCELED,
    KQ_CAT_COUNT,
} kq_cat;

#define KQ_CAT_BIT(c) (1u << (c))
#define KQ_CAT_ALL ((1u << KQ_CAT_COUNT) - 1)
#define KQ_CAT_DONE \
    (KQ_CAT_BIT(KQ_CAT_SUCCEEDED) | KQ_CAT_BIT(KQ_CAT_FAILED) | KQ_CAT_BIT(KQ_CAT_CANCELED))

typedef struct kq_job {
    kq_job_info info;     /* as clients see it; info.status is current;
                             never holds the environment (env does) */
    kq_env *env;          /* the environment it runs with (one reference),
                             or NULL: the worker's */
    kq_str stdout_text;   /* last reported output, or NULL */
    kq_str stderr_text;
    uint64_t worker_id;   /* worker it is offered to or runs on, or KQ_NO_WORKER */
    kq_time done_at;      /* server time it finished or was canceled */
    void **observers;     /* client sessions waiting for its updates */
    uint32_t nobservers, observers_cap;
    uint32_t wait_seq;    /* invalidates stale entries in the offer queue */
    uint32_t reason_sent; /* hash of the wait reason its observers last got
                             (kq_srv_reason_hash), 0: none */
    uint8_t cat;          /* kq_cat of info.status */
    bool waiting;         /* in the offer queue */
    bool holds;           /* counts against global resources and slots */
    bool kill_pending;    /* canceled while running; the worker has not
                             reported the end yet */
    bool dirty;           /* changed since the last store commit */
    bool info_dirty;      /* its JobInfo beyond the status (the note)
                             changed since: the store writes it again */
    bool limit_armed;     /* its time limit is in the server's heap */
    bool limit_hit;       /* killed at its time limit; the worker has not
                             reported the end yet */
    uint8_t stored_cat;   /* category as stored, KQ_CAT_COUNT if not */
    struct kq_job *prev, *next; /* running list, or done list */
    struct kq_job *dirty_prev, *dirty_next;
} kq_job;

/* Told of every status change (kq_jobs_set_status), after it: the job with
 * its new status, and the category it left. */
typedef void kq_jobs_status_fn(void *arg, const kq_job *job, kq_cat from);
/* Told of a job that has just ended (kq_jobs_set_status took it to
 * succeeded, failed or canceled from another category). */
typedef void kq_jobs_end_fn(void *ctx, struct kq_job *job);

typedef struct kq_jobs {
    kq_job **slots;       /* slots[i] is job base + i, or NULL */
    uint64_t base;        /* id of slots[0]; a multiple of 64 */
    size_t nslots, cap;
    uint64_t next_id;     /* ids are never reused */
    uint64_t *bits[KQ_CAT_COUNT]; /* per category, bit i = slots[i] */
    uint64_t count[KQ_CAT_COUNT];
    int64_t finished_sum; /* run_time_seconds of Finished jobs */
    uint64_t finished_n;
    kq_job *running;      /* Running jobs, for statistics */
    kq_job *done_head, *done_tail; /* ended jobs, oldest first */
    bool track;           /* remember changes for a store */
    kq_envs *envs;        /* its jobs' environments, for the store (NULL:
                             none) */
    kq_job *dirty_head;   /* changed jobs */
    uint64_t *removed;    /* ids deleted */
    size_t nremoved, removed_cap;
    kq_jobs_status_fn *on_status; /* NULL, or called on each status change */
    void *on_status_arg;
    kq_jobs_end_fn *on_end; /* NULL: nobody listens */
    void *on_end_ctx;
} kq_jobs;

/* The category of a status. */
kq_cat kq_cat_of(const kq_job_status *st);

void kq_jobs_init(kq_jobs *t, uint64_t next_id);
/* Frees every job and the table. */
void kq_jobs_free(kq_jobs *t);

kq_job *kq_jobs_get(const kq_jobs *t, uint64_t id);

/* A new zeroed job (worker_id = KQ_NO_WORKER), or NULL. */
kq_job *kq_job_new(void);
/* Frees a job that is not in a table (and drops its reference to its
 * environment). */
void kq_job_free(kq_job *job);

/*
 * Takes job into the table under job->info.job_id, which must be free and
 * not below the table's base; next_id moves past it.  0 or -ENOMEM (the
 * job is then still the caller's) or -EEXIST.
 */
KQ_NODISCARD int kq_jobs_insert(kq_jobs *t, kq_job *job, kq_time now);

/* Replaces the job's status with *st (taken over: *st is zeroed) and moves
 * the job between categories, counters and lists.  now stamps done_at when
 * the job ends, and t->on_end is called then (after the move). */
void kq_jobs_set_status(kq_jobs *t, kq_job *job, kq_job_status *st,
                        kq_time now);

/* Removes the job from the table and frees it. */
void kq_jobs_delete(kq_jobs *t, kq_job *job);

/* Notes a change that is not a status change (its output arrived). */
void kq_jobs_touch(kq_jobs *t, kq_job *job);
/* Notes a change of the job's JobInfo other than its status (its note). */
void kq_jobs_touch_info(kq_jobs *t, kq_job *job);

/* Forgets the changes noted so far (they were stored). */
void kq_jobs_clear_changes(kq_jobs *t);

/*
 * The last n jobs (highest ids) whose category is in cats, in ascending id
 * order, into out (a malloc'ed array the caller frees; NULL when none).
 * Returns how many, or -ENOMEM.
 */
long kq_jobs_select(const kq_jobs *t, unsigned cats, uint64_t n,
                    kq_job ***out);

/* Calls fn(job, ctx) for every job with an id from `from` on, in
 * ascending id order, until fn returns false.  fn must not add or delete
 * jobs. */
void kq_jobs_visit(const kq_jobs *t, uint64_t from, bool (*fn)(kq_job *job, void *ctx),
                   void *ctx);

/* Fills the counters and time statistics of a JobList (section 3.11 of
 * the reference), leaving job_infos alone. */
void kq_jobs_stats(const kq_jobs *t, kq_time now, kq_s2c_job_list *out);

/* When the job was issued (every status carries it). */
kq_time kq_job_issued(const kq_job *job);

/* Registers and removes observers (opaque client sessions).  Observing
 * returns 1 when observer was added, 0 when it already observed the job
 * (kept once), -ENOMEM. */
KQ_NODISCARD int kq_job_observe(kq_job *job, void *observer);
void kq_job_unobserve(kq_job *job, void *observer);

#endif
