/*
 * kq_sched.h - the scheduler: which waiting job is offered next, and to
 * which idle worker.
 *
 * The rule: waiting jobs are offered in queue order (today their id: FIFO),
 * each to the idle worker that fits it with the most copies of it to spare
 * (kq_idle.h; ties to the lowest worker id).  A job that fits no idle
 * worker, or that its global resources or global_max_parallel_jobs hold
 * back for now, waits without blocking the jobs behind it (back-filling),
 * and a worker is never offered a job in its skip sets (rejected,
 * deferred).  Offers come in passes (kq_sched_next until it says no more):
 * what the pass sets aside is back in the queue when it ends.
 *
 * How it stays fast with many jobs, shapes and workers:
 * - Jobs are grouped by shape (slots, cpus, RAM and global resources
 *   requested), found through a hash table that doubles as shapes come
 *   and halves as they go: enqueue is O(1) amortised plus the heap push.
 * - Each shape keeps its waiting jobs in a min-heap by queue key, whose
 *   head is always a waiting job: a job leaving from the head is popped
 *   at once, one from inside is left stale and counted, and the heap is
 *   filtered when stale entries pass half of it.
 * - The shapes with waiting jobs form a treap ordered by the key of their
 *   head, each node holding the per-dimension minimum of the needs in its
 *   subtree; the dimensions are slots, cpus, RAM, then each configured
 *   global resource.  An offer looks for the first shape in key order
 *   whose need fits the bound of the moment: per dimension, the most that
 *   any idle worker has free, the slots global_max_parallel_jobs leaves,
 *   and what is left of each global resource.  A subtree whose minimum
 *   does not fit is skipped whole, so shapes too big for every worker cost
 *   nothing: an offer is O(log shapes) to find the job plus O(log workers)
 *   to place it.
 * - A shape that fits the bound but no single worker (the maxima come from
 *   different workers), and a head job that only workers skipping it would
 *   fit, are set aside for the rest of the pass at O(log shapes) each.
 *   Shapes requesting a global resource that is not configured never fit
 *   and stay out of the treap.
 *
 * Priorities (kueue cmd --priority): the queue order is kq_qkey,
 * (-priority, id), compared only by kq_qkey_before, so every heap and the
 * treap are ordered by priority, FIFO within one, back-filling unchanged,
 * and offers stay O(log n) per shape; a job's shape stays its resources,
 * so jobs of one shape but different priorities share a heap.  A job's
 * priority is read when it is queued: to change it, dequeue the job,
 * change it and queue it again.
 *
 * Time limits and workers with an end (kq_idle.h): a job's shape also
 * holds its time limit, and two dimensions follow the global ones: the
 * time limit (a worker's horizon must hold it) and "has none" (a worker
 * must still take such jobs), so a job that no idle worker's horizon fits
 * waits as any job that fits no worker, at no cost to the others.
 *
 * Also accounts what jobs hold while offered or running: global resources
 * and job slots (for global_max_parallel_jobs).
 *
 * Owns the shapes, the pass's set-aside lists and the idle-worker index
 * (idle, kq_idle.h: callers register, update and remove their workers
 * there); never owns jobs or workers.
 */
#ifndef KQ_SCHED_H
#define KQ_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_idle.h"
#include "kq_jobs.h"

/* A job's place in the queue: higher priority first, then lower id. */
typedef struct kq_qkey {
    uint64_t id;
    int32_t priority;
} kq_qkey;

static inline bool kq_qkey_before(kq_qkey a, kq_qkey b)
{
    return a.priority != b.priority ? a.priority > b.priority : a.id < b.id;
}

/* A queued job: its key, flattened to 16 bytes. */
struct kq_qentry {
    uint64_t id;
    int32_t priority;
    uint32_t seq;                /* the job's wait_seq when queued */
};

typedef struct kq_shape kq_shape;

typedef struct kq_sched {
    const kq_jobs *jobs;
    kq_shape **buckets;
    size_t nbuckets, nshapes;
    kq_shape *root;              /* treap of shapes with waiting jobs */
    size_t ndims;                /* 3 + configured global resources + the
                                    KQ_IDLE_TIMES time dimensions */
    size_t tdim;                 /* the first time dimension */
    uint64_t now_ms;             /* the caller's clock (ms), set before each
                                    pass: the time dimensions count from it */
    uint64_t *bound;             /* ndims: what may be offered now */
    uint64_t rng;                /* treap priorities */
    bool has_total;
    kq_u64_map total;            /* configured [global_resources] */
    kq_u64_map used;             /* held by offered and running jobs */
    uint64_t max_slots;          /* global_max_parallel_jobs */
    uint64_t slots_held;
    uint64_t waiting;            /* jobs in the queue */
    kq_idle idle;                /* workers that may take an offer */
    kq_shape *aside;             /* shapes set aside in this pass */
    struct kq_held {
        kq_shape *shape;
        struct kq_qentry e;
    } *held;                     /* head jobs set aside in this pass */
    size_t nheld, held_cap;
    kq_shape *cur;               /* shape of the job kq_sched_next gave */
} kq_sched;

/* jobs is where queued ids are looked up (kept, not owned); total may be
 * NULL (no [global_resources]) and is copied.  0 or -ENOMEM. */
KQ_NODISCARD int kq_sched_init(kq_sched *s, const kq_jobs *jobs,
                               const kq_u64_map *total, uint64_t max_slots);
/* Frees what s owns; touches neither jobs nor workers. */
void kq_sched_free(kq_sched *s);

/* Puts the job in the queue (job->waiting set).  0 or -ENOMEM. */
KQ_NODISCARD int kq_sched_enqueue(kq_sched *s, kq_job *job);
/* Takes the job out of the queue (no-op if not waiting). */
void kq_sched_dequeue(kq_sched *s, kq_job *job);

/*
 * The next offer of this pass: the first waiting job in queue order that
 * some idle worker fits and the global limits allow, and its best idle
 * worker; false when there is none, which ends the pass (everything set
 * aside is queued again).  The caller must then either offer the job
 * (kq_sched_dequeue, kq_sched_hold, and kq_idle_set for the worker's new
 * free resources) or call kq_sched_skip; otherwise the same pair comes
 * again.
 */
bool kq_sched_next(kq_sched *s, kq_job **job, kq_idle_worker **worker);
/* Sets the job kq_sched_next just gave aside until the pass ends. */
void kq_sched_skip(kq_sched *s, kq_job *job);

/* What job needs of a worker's horizon at time now (the caller's clock),
 * for kq_idle_best_until. */
void kq_sched_until(const kq_job_info *job, uint64_t now, uint64_t until[KQ_IDLE_TIMES]);

/*
 * Whether a waiting job would fit a new worker with cap free (NULL: any
 * resources) and horizon_s seconds of horizon (UINT64_MAX: no end) that
 * the global limits allow now: O(log shapes).  Not during a pass.  For
 * the autoscaler (kq_alloc.c): only such jobs ask for an allocation.
 */
bool kq_sched_fits_new_worker(kq_sched *s, const kq_resources *cap, uint64_t horizon_s);

/* Starts and stops counting what the job holds while it is offered or
 * running (global resources, job slots).  Idempotent per job. */
KQ_NODISCARD int kq_sched_hold(kq_sched *s, kq_job *job);
void kq_sched_release(kq_sched *s, kq_job *job);

/*
 * Whether the global limits hold the job back now: a global resource it
 * needs has not that much left (*what its name), or the job slots
 * global_max_parallel_jobs leaves are too few (*what NULL); *in_use and
 * *total are that limit's figures.  False when they let it go.
 */
bool kq_sched_held_back(const kq_sched *s, const kq_job_info *info, const char **what,
                        uint64_t *in_use, uint64_t *total);

/* Global resources in use, or an empty map. */
const kq_u64_map *kq_sched_used(const kq_sched *s);

#endif
