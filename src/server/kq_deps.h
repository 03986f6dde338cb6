/*
 * kq_deps.h - the dependency graph of jobs (kueue cmd --after,
 * --after-any): which jobs wait for which, how many each still waits for,
 * and which jobs must be kept because a job that has not ended depends on
 * them.
 *
 * A job D depends on an earlier job J through an edge, strict (--after: J
 * must succeed) or not (--after-any: J must end).  While J has not ended,
 * D waits for it: D's count of unmet dependencies holds it, and J lists D
 * among its dependents.  When J ends, the caller takes J's dependents and
 * settles each (kq_deps_met, or cancels it): O(J's dependents), never a
 * scan of the queue.  Whatever J's state, J is kept (not cleaned up) while
 * a job that depends on it has not ended, so that a server restarted in
 * between finds every dependency's result: every link counts as one
 * keeper of J until the caller unlinks it when D ends.  Only ids of
 * existing jobs may be linked, and a job only waits for earlier ones, so
 * the graph has no cycles.
 *
 * Owns its nodes (a hash table by job id; a node exists only while it
 * holds something); never owns or looks at jobs.  Edges are O(1)
 * amortised to add and to settle.
 */
#ifndef KQ_DEPS_H
#define KQ_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"

/* A job waiting for another: its id, and whether any end will do. */
typedef struct kq_dep_edge {
    uint64_t id;
    bool any;
} kq_dep_edge;

typedef struct kq_dep_node kq_dep_node;

typedef struct kq_deps {
    kq_dep_node **slots;   /* open addressing, linear probing; NULL: free */
    size_t cap, count;     /* cap is 0 or a power of two */
} kq_deps;

void kq_deps_init(kq_deps *d);
/* Frees every node. */
void kq_deps_free(kq_deps *d);

/* Whether the graph holds nothing (the common case: a cheap test). */
static inline bool kq_deps_empty(const kq_deps *d)
{
    return d->count == 0;
}

/*
 * Links dependent to the earlier job on (strict unless any): on is kept
 * until kq_deps_unlink(on).  If waiting (on has not ended), dependent
 * also waits for it: its unmet count goes up and it joins on's
 * dependents.  0 or -ENOMEM (then nothing changed).
 */
KQ_NODISCARD int kq_deps_link(kq_deps *d, uint64_t dependent, uint64_t on, bool any,
                              bool waiting);

/* How many jobs id still waits for. */
uint64_t kq_deps_unmet(const kq_deps *d, uint64_t id);

/* One job that id waited for ended as it needed: returns how many id
 * still waits for. */
uint64_t kq_deps_met(kq_deps *d, uint64_t id);

/* id waits for nothing any more (it ended, e.g. canceled). */
void kq_deps_forget_unmet(kq_deps *d, uint64_t id);

/*
 * The jobs that waited for id, which has ended: *out (malloc'ed, the
 * caller frees it; NULL when none) gets them, in the order they were
 * linked, and id no longer lists them.  Returns how many.
 */
size_t kq_deps_take_dependents(kq_deps *d, uint64_t id, kq_dep_edge **out);

/* A job that depended on on has ended: one keeper of on less. */
void kq_deps_unlink(kq_deps *d, uint64_t on);

/* Whether id must be kept: a job that has not ended depends on it. */
bool kq_deps_kept(const kq_deps *d, uint64_t id);

/* Whether id has a node (it waits, is waited for, or is kept). */
bool kq_deps_known(const kq_deps *d, uint64_t id);

#endif
