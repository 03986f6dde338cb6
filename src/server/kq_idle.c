/*
 * kq_idle.c - the idle workers, ranked for a job (see kq_idle.h).
 */
#include "kq_idle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_resources.h"

/* Removed slots are compacted away once they are this many and half. */
#define MIN_HOLES 64

void kq_idle_init(kq_idle *x)
{
    memset(x, 0, sizeof *x);
}

void kq_idle_free(kq_idle *x)
{
    free(x->leaf);
    free(x->node);
    memset(x, 0, sizeof *x);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static void node_pull(kq_idle *x, size_t i)
{
    const kq_idle_node *l = &x->node[2 * i], *r = &x->node[2 * i + 1];
    kq_idle_node *n = &x->node[i];

    n->count = l->count + r->count;
    n->max.job_slots = max_u64(l->max.job_slots, r->max.job_slots);
    n->max.cpus = max_u64(l->max.cpus, r->max.cpus);
    n->max.ram_mb = max_u64(l->max.ram_mb, r->max.ram_mb);
    for (int d = 0; d < KQ_IDLE_TIMES; d++)
        n->until[d] = max_u64(l->until[d], r->until[d]);
}

static void leaf_set(kq_idle *x, size_t slot)
{
    const kq_idle_worker *w = x->leaf[slot];
    kq_idle_node *n = &x->node[x->cap + slot];

    if (w && w->idle) {
        n->max = *w->free;
        n->count = 1;
        for (int d = 0; d < KQ_IDLE_TIMES; d++)
            n->until[d] = w->until ? w->until[d] : UINT64_MAX;
    } else {
        memset(n, 0, sizeof *n);
    }
}

/* Moves the registered workers to the front of a tree of cap leaves,
 * dropping removed slots. */
static int rebuild(kq_idle *x, size_t cap)
{
    kq_idle_worker **leaf = calloc(cap, sizeof *leaf);
    kq_idle_node *node = calloc(2 * cap, sizeof *node);
    size_t n = 0;

    if (!leaf || !node) {
        free(leaf);
        free(node);
        return -ENOMEM;
    }
    for (size_t i = 0; i < x->used; i++) {
        if (!x->leaf[i])
            continue;
        x->leaf[i]->slot = n;
        leaf[n++] = x->leaf[i];
    }
    free(x->leaf);
    free(x->node);
    x->leaf = leaf;
    x->node = node;
    x->cap = cap;
    x->used = n;
    x->holes = 0;
    for (size_t i = 0; i < n; i++)
        leaf_set(x, i);
    for (size_t i = cap - 1; i >= 1; i--)
        node_pull(x, i);
    return 0;
}

static void path_update(kq_idle *x, size_t slot)
{
    leaf_set(x, slot);
    for (size_t i = (x->cap + slot) / 2; i >= 1; i /= 2)
        node_pull(x, i);
}

int kq_idle_add(kq_idle *x, kq_idle_worker *w)
{
    w->idle = false;
    if (x->used == x->cap) {
        size_t live = x->used - x->holes, cap = x->cap ? x->cap : 16;

        while (cap < 2 * (live + 1))
            cap *= 2;
        if (rebuild(x, cap) < 0)
            return -ENOMEM;
    }
    w->slot = x->used;
    x->leaf[x->used++] = w;
    return 0;
}

void kq_idle_set(kq_idle *x, kq_idle_worker *w, bool idle)
{
    if (!idle && !w->idle)
        return;
    w->idle = idle;
    path_update(x, w->slot);
}

void kq_idle_remove(kq_idle *x, kq_idle_worker *w)
{
    w->idle = false;
    path_update(x, w->slot);
    x->leaf[w->slot] = NULL;
    x->holes++;
    /* Out of memory, the holes stay until the next removal. */
    if (x->holes >= MIN_HOLES && 2 * x->holes >= x->used)
        (void)rebuild(x, x->cap);
}

bool kq_idle_bound(const kq_idle *x, kq_resources *max)
{
    if (!x->cap || !x->node[1].count) {
        memset(max, 0, sizeof *max);
        return false;
    }
    *max = x->node[1].max;
    return true;
}

void kq_idle_bound_until(const kq_idle *x, uint64_t until[KQ_IDLE_TIMES])
{
    for (int d = 0; d < KQ_IDLE_TIMES; d++)
        until[d] = x->cap && x->node[1].count ? x->node[1].until[d] : 0;
}

size_t kq_idle_count(const kq_idle *x)
{
    return x->cap ? x->node[1].count : 0;
}

/* The reciprocals of the needs that rank (0 = does not count). */
static void rank_weights(const kq_resources *need, double inv[3])
{
    inv[0] = need->job_slots ? 1.0 / (double)need->job_slots : 0;
    inv[1] = need->cpus ? 1.0 / (double)need->cpus : 0;
    inv[2] = need->ram_mb ? 1.0 / (double)need->ram_mb : 0;
    /* A job that needs nothing ranks as if it needed one slot. */
    if (!need->job_slots && !need->cpus && !need->ram_mb)
        inv[0] = 1;
}

/* Monotone in every component of free: the bound of a subtree's maximum
 * is at least the rank of every worker in it. */
static double rank_of(const kq_resources *free, const double inv[3])
{
    double r = -1, v;

    if (inv[0] > 0)
        r = (double)free->job_slots * inv[0];
    if (inv[1] > 0 && ((v = (double)free->cpus * inv[1]) < r || r < 0))
        r = v;
    if (inv[2] > 0 && ((v = (double)free->ram_mb * inv[2]) < r || r < 0))
        r = v;
    return r;
}

double kq_idle_copies(const kq_resources *free, const kq_resources *need)
{
    double inv[3];

    rank_weights(need, inv);
    return rank_of(free, inv);
}

typedef struct search {
    const kq_idle *x;
    const kq_resources *need;
    const uint64_t *until;
    double inv[3];
    uint64_t job_id;
    kq_idle_worker *best;
    double best_rank;
    bool fits_some;
} search;

/* The rank bound of node i, or -1 when no idle worker below fits. */
static double node_bound(const search *s, size_t i)
{
    const kq_idle_node *n = &s->x->node[i];

    if (!n->count || !kq_resources_fit(s->need, &n->max))
        return -1;
    for (int d = 0; d < KQ_IDLE_TIMES; d++)
        if (s->until[d] > n->until[d])
            return -1;
    return rank_of(&n->max, s->inv);
}

static bool skips(const kq_idle_worker *w, uint64_t id)
{
    return (w->skip[0] && kq_idset_has(w->skip[0], id)) ||
           (w->skip[1] && kq_idset_has(w->skip[1], id));
}

/* Node i covers the slots from lo, width of them; bound >= 0 is its
 * bound. */
static void visit(search *s, size_t i, size_t lo, size_t width, double bound)
{
    size_t half = width / 2;
    double bl, br;

    /* Ties go to the lowest id, which is the lowest slot. */
    if (s->best && (bound < s->best_rank ||
                    (bound == s->best_rank && lo > s->best->slot)))
        return;
    if (i >= s->x->cap) {
        kq_idle_worker *w = s->x->leaf[i - s->x->cap];

        s->fits_some = true;
        if (skips(w, s->job_id))
            return;
        s->best = w;
        s->best_rank = bound;
        return;
    }
    bl = node_bound(s, 2 * i);
    br = node_bound(s, 2 * i + 1);
    if (br > bl) {
        visit(s, 2 * i + 1, lo + half, half, br);
        if (bl >= 0)
            visit(s, 2 * i, lo, half, bl);
    } else if (bl >= 0) {
        visit(s, 2 * i, lo, half, bl);
        if (br >= 0)
            visit(s, 2 * i + 1, lo + half, half, br);
    }
}

kq_idle_worker *kq_idle_best(const kq_idle *x, const kq_resources *need,
                             uint64_t job_id, bool *fits_some)
{
    static const uint64_t none[KQ_IDLE_TIMES];

    return kq_idle_best_until(x, need, none, job_id, fits_some);
}

kq_idle_worker *kq_idle_best_until(const kq_idle *x, const kq_resources *need,
                                   const uint64_t until[KQ_IDLE_TIMES], uint64_t job_id,
                                   bool *fits_some)
{
    search s = {.x = x, .need = need, .until = until, .job_id = job_id};
    double root;

    *fits_some = false;
    if (!x->cap)
        return NULL;
    rank_weights(need, s.inv);
    root = node_bound(&s, 1);
    if (root >= 0)
        visit(&s, 1, 0, x->cap, root);
    *fits_some = s.fits_some;
    return s.best;
}
