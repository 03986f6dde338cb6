/*
 * kq_deps.c - the dependency graph of jobs (see kq_deps.h).
 */
#include "kq_deps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct kq_dep_node {
    uint64_t id;
    uint64_t unmet;          /* jobs it still waits for */
    uint64_t keepers;        /* links from jobs that have not ended */
    kq_dep_edge *dependents; /* jobs waiting for it */
    size_t ndependents, cap;
};

#define MIN_CAP 64

void kq_deps_init(kq_deps *d)
{
    memset(d, 0, sizeof *d);
}

void kq_deps_free(kq_deps *d)
{
    for (size_t i = 0; i < d->cap; i++) {
        if (d->slots[i]) {
            free(d->slots[i]->dependents);
            free(d->slots[i]);
        }
    }
    free(d->slots);
    memset(d, 0, sizeof *d);
}

static size_t home(const kq_deps *d, uint64_t id)
{
    uint64_t h = id * 0x9e3779b97f4a7c15ULL;

    return (size_t)(h >> 32) & (d->cap - 1);
}

/* The slot holding id, or the free slot where it would go. */
static size_t find_slot(const kq_deps *d, uint64_t id)
{
    size_t i = home(d, id);

    while (d->slots[i] && d->slots[i]->id != id)
        i = (i + 1) & (d->cap - 1);
    return i;
}

static kq_dep_node *find(const kq_deps *d, uint64_t id)
{
    return d->cap ? d->slots[find_slot(d, id)] : NULL;
}

static int resize(kq_deps *d, size_t cap)
{
    kq_dep_node **old = d->slots;
    size_t old_cap = d->cap;

    d->slots = calloc(cap, sizeof *d->slots);
    if (!d->slots) {
        d->slots = old;
        return -ENOMEM;
    }
    d->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            d->slots[find_slot(d, old[i]->id)] = old[i];
    free(old);
    return 0;
}

/* The node of id, created if missing; NULL when out of memory. */
static kq_dep_node *get(kq_deps *d, uint64_t id)
{
    kq_dep_node *n = find(d, id);
    size_t i;

    if (n)
        return n;
    /* At most half full, so that probes stay short. */
    if (2 * (d->count + 1) > d->cap && resize(d, d->cap ? 2 * d->cap : MIN_CAP) < 0)
        return NULL;
    if (!(n = calloc(1, sizeof *n)))
        return NULL;
    n->id = id;
    i = find_slot(d, id);
    d->slots[i] = n;
    d->count++;
    return n;
}

/* Removes slot i, moving back the entries of its probe run (no
 * tombstones). */
static void remove_slot(kq_deps *d, size_t i)
{
    size_t j = i;

    d->slots[i] = NULL;
    d->count--;
    for (;;) {
        size_t h;

        j = (j + 1) & (d->cap - 1);
        if (!d->slots[j])
            break;
        h = home(d, d->slots[j]->id);
        /* Entry j may fill the hole at i if its home is not in (i, j]. */
        if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
            d->slots[i] = d->slots[j];
            d->slots[j] = NULL;
            i = j;
        }
    }
    if (d->cap > MIN_CAP && 8 * d->count < d->cap)
        (void)resize(d, d->cap / 2); /* out of memory: stays larger */
}

/* Frees id's node once it holds nothing. */
static void drop_if_idle(kq_deps *d, uint64_t id)
{
    size_t i;
    kq_dep_node *n;

    if (!d->cap)
        return;
    i = find_slot(d, id);
    n = d->slots[i];
    if (!n || n->unmet || n->keepers || n->ndependents)
        return;
    free(n->dependents);
    free(n);
    remove_slot(d, i);
}

int kq_deps_link(kq_deps *d, uint64_t dependent, uint64_t on, bool any, bool waiting)
{
    kq_dep_node *target = get(d, on), *waiter;

    if (!target)
        return -ENOMEM;
    if (waiting) {
        if (target->ndependents == target->cap) {
            size_t cap = target->cap ? 2 * target->cap : 4;
            kq_dep_edge *e = realloc(target->dependents, cap * sizeof *e);

            if (!e)
                goto oom;
            target->dependents = e;
            target->cap = cap;
        }
        if (!(waiter = get(d, dependent)))
            goto oom;
        /* get may have moved nodes between slots, never the nodes. */
        target->dependents[target->ndependents++] = (kq_dep_edge){dependent, any};
        waiter->unmet++;
    }
    target->keepers++;
    return 0;
oom:
    drop_if_idle(d, on);
    return -ENOMEM;
}

uint64_t kq_deps_unmet(const kq_deps *d, uint64_t id)
{
    const kq_dep_node *n = find(d, id);

    return n ? n->unmet : 0;
}

uint64_t kq_deps_met(kq_deps *d, uint64_t id)
{
    kq_dep_node *n = find(d, id);
    uint64_t left;

    if (!n || !n->unmet)
        return 0;
    left = --n->unmet;
    drop_if_idle(d, id);
    return left;
}

void kq_deps_forget_unmet(kq_deps *d, uint64_t id)
{
    kq_dep_node *n = find(d, id);

    if (!n)
        return;
    n->unmet = 0;
    drop_if_idle(d, id);
}

size_t kq_deps_take_dependents(kq_deps *d, uint64_t id, kq_dep_edge **out)
{
    kq_dep_node *n = find(d, id);
    size_t count;

    *out = NULL;
    if (!n)
        return 0;
    *out = n->dependents;
    count = n->ndependents;
    n->dependents = NULL;
    n->ndependents = n->cap = 0;
    drop_if_idle(d, id);
    return count;
}

void kq_deps_unlink(kq_deps *d, uint64_t on)
{
    kq_dep_node *n = find(d, on);

    if (!n || !n->keepers)
        return;
    n->keepers--;
    drop_if_idle(d, on);
}

bool kq_deps_kept(const kq_deps *d, uint64_t id)
{
    const kq_dep_node *n = find(d, id);

    return n && n->keepers > 0;
}

bool kq_deps_known(const kq_deps *d, uint64_t id)
{
    return find(d, id) != NULL;
}
