/*
 * kq_sched.h - the offer queue: which waiting job a worker gets next.
 *
 * The rule is the reference's: the lowest job id that fits the worker's
 * free resources and the free global resources, skipping jobs the worker
 * deferred or rejected (FIFO with back-filling).  To avoid scanning every
 * waiting job, jobs are grouped by shape (slots, cpus, RAM and global
 * resources requested); each shape keeps its waiting jobs in a min-heap by
 * id.  A pick looks at the head of each shape that fits, so it costs the
 * number of distinct shapes, not the number of waiting jobs, and
 * configuring global resources adds one map lookup per shape.
 *
 * Also accounts what jobs hold while offered or running: global resources
 * and job slots (for global_max_parallel_jobs).
 *
 * Removal is lazy: a job leaving the queue bumps its wait_seq and its heap
 * entry is discarded when it surfaces.  Owns the shapes; never owns jobs.
 */
#ifndef KQ_SCHED_H
#define KQ_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_idset.h"
#include "kq_jobs.h"

typedef struct kq_shape {
    kq_resources need;
    bool has_global;
    kq_u64_map global;
    struct kq_qentry {
        uint64_t id;
        uint32_t seq;
    } *heap;
    size_t len, cap;
    uint64_t hash;
    struct kq_shape *next; /* hash chain */
} kq_shape;

typedef struct kq_sched {
    kq_shape **buckets;
    size_t nbuckets, nshapes;
    kq_shape **shapes;    /* every shape, for picks */
    bool has_total;
    kq_u64_map total;     /* configured [global_resources] */
    kq_u64_map used;      /* held by offered and running jobs */
    uint64_t max_slots;   /* global_max_parallel_jobs */
    uint64_t slots_held;
    uint64_t waiting;     /* jobs in the queue */
    struct kq_qentry *scratch; /* entries set aside during a pick */
    size_t scratch_cap;
} kq_sched;

/* total may be NULL (no [global_resources]); it is copied. */
KQ_NODISCARD int kq_sched_init(kq_sched *s, const kq_u64_map *total,
                               uint64_t max_slots);
void kq_sched_free(kq_sched *s);

/* Puts the job in the queue (job->waiting set).  0 or -ENOMEM. */
KQ_NODISCARD int kq_sched_enqueue(kq_sched *s, kq_job *job);
/* Takes the job out of the queue (no-op if not waiting). */
void kq_sched_dequeue(kq_sched *s, kq_job *job);

/*
 * The waiting job with the lowest id that fits free and the global limits
 * and is in neither skip set (either may be NULL), or NULL.  Does not
 * dequeue it.
 */
kq_job *kq_sched_pick(kq_sched *s, const kq_jobs *jobs,
                      const kq_resources *free, const kq_idset *skip1,
                      const kq_idset *skip2);

/* Starts and stops counting what the job holds while it is offered or
 * running (global resources, job slots).  Idempotent per job. */
KQ_NODISCARD int kq_sched_hold(kq_sched *s, kq_job *job);
void kq_sched_release(kq_sched *s, kq_job *job);

/* Global resources in use, or an empty map. */
const kq_u64_map *kq_sched_used(const kq_sched *s);

#endif
