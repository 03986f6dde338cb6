/*
 * kq_idle.h - the idle workers, ranked for a job: which one takes it.
 *
 * The rule: a job goes to the worker that can still take the most copies
 * of it,
 *     copies = min over the dimensions the job needs (slots, cpus, RAM;
 *              need > 0) of free / need, as a fraction,
 * so that work spreads over the machines in proportion to what they have
 * free, measured in the job's own size: two idle 16-core workers given 8
 * one-core jobs run 4 + 4, and a worker made busy by others' load (it
 * reports fewer free cpus) gets fewer.  A dimension the job does not need
 * does not count; a job that needs nothing at all ranks workers as if it
 * needed one slot.  Ties go to the lowest worker id.  A worker fits when
 * need <= free in every dimension (exactly, in integers; the fraction only
 * ranks).
 *
 * Workers with an end (in an allocation, kq_alloc.c) also have a time
 * horizon in two more dimensions, which never rank, only fit: until when
 * a job with a time limit may end there, and until when it takes a job
 * without one (KQ_IDLE_LIMITED, KQ_IDLE_OPEN; the caller's clock).
 *
 * The index is a segment tree over the registered workers in id order,
 * each node holding the per-dimension maximum of the free resources of the
 * idle workers below it.  A search descends towards the higher bound
 * (copies of the job in that maximum, an upper bound of every worker
 * below), skipping subtrees whose maximum does not fit or cannot beat the
 * best worker found: O(log workers) when one branch holds the best, as
 * with workers of similar proportions; workers whose free resources are
 * lopsided in different dimensions (many cpus and little RAM on one, the
 * reverse on another) can make it visit more.  Updates are O(log workers).
 *
 * Owns its arrays; never owns the workers, which the caller registers,
 * updates after every change of their free resources, and removes before
 * freeing them.
 */
#ifndef KQ_IDLE_H
#define KQ_IDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_idset.h"
#include "kq_protocol.h"

/* The time dimensions: until[KQ_IDLE_LIMITED] is when a job with a time
 * limit must be able to end by, until[KQ_IDLE_OPEN] the time before which
 * a job without one is taken. */
enum { KQ_IDLE_LIMITED, KQ_IDLE_OPEN, KQ_IDLE_TIMES };

/* A worker as the index sees it; embedded in the caller's record. */
typedef struct kq_idle_worker {
    uint64_t id;                 /* ties go to the lowest */
    const kq_resources *free;    /* what it may still be offered */
    const uint64_t *until;       /* [KQ_IDLE_TIMES]; NULL: no end (both
                                    UINT64_MAX) */
    const kq_idset *skip[2];     /* jobs it must not be offered; may be NULL */
    size_t slot;                 /* the index's; its position */
    bool idle;                   /* the index's: may be chosen */
} kq_idle_worker;

typedef struct kq_idle_node {
    kq_resources max;            /* over the idle workers below */
    uint64_t until[KQ_IDLE_TIMES]; /* ... likewise */
    size_t count;                /* idle workers below */
} kq_idle_node;

typedef struct kq_idle {
    kq_idle_worker **leaf;       /* slot -> worker or NULL (removed); ids
                                    ascending */
    kq_idle_node *node;          /* node[1] is the root, leaf i is cap + i */
    size_t used, holes, cap;     /* slots handed out, of them removed,
                                    leaves (a power of two) */
} kq_idle;

void kq_idle_init(kq_idle *x);
void kq_idle_free(kq_idle *x);

/*
 * Registers w, not idle yet.  Its id must be above every registered
 * worker's (ids only grow).  0 or -ENOMEM.
 */
KQ_NODISCARD int kq_idle_add(kq_idle *x, kq_idle_worker *w);
/* Sets whether w may be chosen; call it again after *w->free changed. */
void kq_idle_set(kq_idle *x, kq_idle_worker *w, bool idle);
/* Forgets w (registered). */
void kq_idle_remove(kq_idle *x, kq_idle_worker *w);

/* The per-dimension maximum of the idle workers' free resources into
 * *max; false (and zeros) when no worker is idle. */
bool kq_idle_bound(const kq_idle *x, kq_resources *max);
/* The same of their time horizons (zeros when none is idle). */
void kq_idle_bound_until(const kq_idle *x, uint64_t until[KQ_IDLE_TIMES]);
/* How many workers are idle. */
size_t kq_idle_count(const kq_idle *x);

/*
 * The idle worker that fits need with the most copies of it (ties: lowest
 * id) and whose skip sets do not hold job_id, or NULL.  *fits_some tells
 * whether any idle worker fits need at all, skip sets aside.
 */
kq_idle_worker *kq_idle_best(const kq_idle *x, const kq_resources *need,
                             uint64_t job_id, bool *fits_some);
/* kq_idle_best among the workers whose horizon also fits: until[d] <= the
 * worker's, per time dimension (0: no need). */
kq_idle_worker *kq_idle_best_until(const kq_idle *x, const kq_resources *need,
                                   const uint64_t until[KQ_IDLE_TIMES], uint64_t job_id,
                                   bool *fits_some);

/* The rank above: copies of need that fit in free (fit or not). */
double kq_idle_copies(const kq_resources *free, const kq_resources *need);

#endif
