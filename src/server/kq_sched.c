/*
 * kq_sched.c - the scheduler (see kq_sched.h).
 */
#include "kq_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_hash.h"
#include "kq_resources.h"

#define MIN_BUCKETS 64

struct kq_shape {
    kq_resources need;
    uint64_t time_limit;         /* seconds; 0: none */
    bool has_global;
    kq_u64_map global;
    bool never;                  /* needs a global resource not configured */
    bool in_tree;
    bool aside;                  /* set aside in this pass */
    uint32_t held;               /* of its entries, set aside in this pass */
    uint32_t prio;               /* treap priority */
    struct kq_qentry *heap;
    size_t len, cap;
    size_t stale;                /* entries of jobs no longer waiting */
    kq_qkey tree_key;            /* its head's key when it joined the treap */
    kq_shape *left, *right;      /* treap */
    kq_shape *next;              /* hash chain */
    kq_shape *aside_next;
    uint64_t hash;
    uint64_t dim[];              /* need per dimension, then the minimum of
                                    its subtree */
};

/* ---- set-up ---------------------------------------------------------- */

int kq_sched_init(kq_sched *s, const kq_jobs *jobs, const kq_u64_map *total,
                  uint64_t max_slots)
{
    memset(s, 0, sizeof *s);
    s->jobs = jobs;
    s->max_slots = max_slots;
    s->rng = 0x2545f4914f6cdd1dULL;
    kq_idle_init(&s->idle);
    if (total) {
        s->has_total = true;
        if (kq_u64_map_copy(&s->total, total) < 0)
            return -ENOMEM;
    }
    s->tdim = 3 + s->total.len;
    s->ndims = s->tdim + KQ_IDLE_TIMES;
    s->nbuckets = MIN_BUCKETS;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    s->bound = calloc(s->ndims, sizeof *s->bound);
    return s->buckets && s->bound ? 0 : -ENOMEM;
}

static void shape_free(kq_shape *sh)
{
    kq_u64_map_free(&sh->global);
    free(sh->heap);
    free(sh);
}

void kq_sched_free(kq_sched *s)
{
    for (size_t b = 0; b < s->nbuckets; b++) {
        while (s->buckets[b]) {
            kq_shape *sh = s->buckets[b];

            s->buckets[b] = sh->next;
            shape_free(sh);
        }
    }
    free(s->buckets);
    free(s->bound);
    free(s->held);
    kq_idle_free(&s->idle);
    kq_u64_map_free(&s->total);
    kq_u64_map_free(&s->used);
    memset(s, 0, sizeof *s);
}

/* ---- the queue key and heaps ------------------------------------------ */

static struct kq_qentry entry_of(const kq_job *job)
{
    const kq_workflow *wf = job->info.workflow;

    return (struct kq_qentry){job->info.job_id, wf ? wf->priority : 0, job->wait_seq};
}

static kq_qkey key(struct kq_qentry e)
{
    return (kq_qkey){e.id, e.priority};
}

static bool entry_before(struct kq_qentry a, struct kq_qentry b)
{
    return kq_qkey_before(key(a), key(b));
}

static bool key_eq(kq_qkey a, kq_qkey b)
{
    return !kq_qkey_before(a, b) && !kq_qkey_before(b, a);
}

static bool entry_valid(const kq_sched *s, struct kq_qentry e)
{
    const kq_job *job = kq_jobs_get(s->jobs, e.id);

    return job && job->waiting && job->wait_seq == e.seq;
}

static void sift_up(kq_shape *sh, size_t i)
{
    struct kq_qentry e = sh->heap[i];

    while (i > 0 && entry_before(e, sh->heap[(i - 1) / 2])) {
        sh->heap[i] = sh->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sh->heap[i] = e;
}

static void sift_down(kq_shape *sh, size_t i)
{
    struct kq_qentry e = sh->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= sh->len)
            break;
        if (c + 1 < sh->len && entry_before(sh->heap[c + 1], sh->heap[c]))
            c++;
        if (!entry_before(sh->heap[c], e))
            break;
        sh->heap[i] = sh->heap[c];
        i = c;
    }
    sh->heap[i] = e;
}

/* Needs len + held < cap (see reserve). */
static void heap_push(kq_shape *sh, struct kq_qentry e)
{
    sh->heap[sh->len] = e;
    sift_up(sh, sh->len++);
}

static struct kq_qentry heap_pop(kq_shape *sh)
{
    struct kq_qentry top = sh->heap[0];

    sh->heap[0] = sh->heap[--sh->len];
    if (sh->len)
        sift_down(sh, 0);
    return top;
}

/* Room for one more entry besides those set aside, which must be able to
 * come back without memory. */
static int reserve(kq_shape *sh)
{
    if (sh->len + sh->held < sh->cap)
        return 0;
    size_t cap = sh->cap ? sh->cap * 2 : 2;
    struct kq_qentry *h = realloc(sh->heap, cap * sizeof *h);

    if (!h)
        return -ENOMEM;
    sh->heap = h;
    sh->cap = cap;
    return 0;
}

/* ---- the treap of shapes ---------------------------------------------- */

static uint64_t *sub_min(const kq_sched *s, kq_shape *sh)
{
    return sh->dim + s->ndims;
}

static void min_into(const kq_sched *s, uint64_t *m, const kq_shape *c)
{
    const uint64_t *cm;

    if (!c)
        return;
    cm = c->dim + s->ndims;
    for (size_t d = 0; d < s->ndims; d++)
        if (cm[d] < m[d])
            m[d] = cm[d];
}

static void pull(const kq_sched *s, kq_shape *t)
{
    uint64_t *m = sub_min(s, t);

    memcpy(m, t->dim, s->ndims * sizeof *m);
    min_into(s, m, t->left);
    min_into(s, m, t->right);
}

/* Splits t into the shapes before key and the rest. */
static void split(const kq_sched *s, kq_shape *t, kq_qkey key, kq_shape **l,
                  kq_shape **r)
{
    if (!t) {
        *l = *r = NULL;
    } else if (kq_qkey_before(t->tree_key, key)) {
        split(s, t->right, key, &t->right, r);
        pull(s, t);
        *l = t;
    } else {
        split(s, t->left, key, l, &t->left);
        pull(s, t);
        *r = t;
    }
}

/* Every key of a is before every key of b. */
static kq_shape *merge(const kq_sched *s, kq_shape *a, kq_shape *b)
{
    if (!a || !b)
        return a ? a : b;
    if (a->prio > b->prio) {
        a->right = merge(s, a->right, b);
        pull(s, a);
        return a;
    }
    b->left = merge(s, a, b->left);
    pull(s, b);
    return b;
}

static kq_shape *insert_in(const kq_sched *s, kq_shape *t, kq_shape *sh)
{
    if (!t)
        return sh;
    if (sh->prio > t->prio) {
        split(s, t, sh->tree_key, &sh->left, &sh->right);
        pull(s, sh);
        return sh;
    }
    if (kq_qkey_before(sh->tree_key, t->tree_key))
        t->left = insert_in(s, t->left, sh);
    else
        t->right = insert_in(s, t->right, sh);
    pull(s, t);
    return t;
}

static kq_shape *erase_in(const kq_sched *s, kq_shape *t, kq_shape *sh)
{
    if (!t)
        return NULL;
    if (t == sh)
        return merge(s, t->left, t->right);
    if (kq_qkey_before(sh->tree_key, t->tree_key))
        t->left = erase_in(s, t->left, sh);
    else
        t->right = erase_in(s, t->right, sh);
    pull(s, t);
    return t;
}

static uint32_t next_prio(kq_sched *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return (uint32_t)(s->rng >> 16);
}

static bool dims_fit(const kq_sched *s, const uint64_t *need, const uint64_t *bound)
{
    for (size_t d = 0; d < s->ndims; d++)
        if (need[d] > bound[d])
            return false;
    return true;
}

/* The first shape in key order whose need fits bound. */
static kq_shape *first_fit(const kq_sched *s, kq_shape *t, const uint64_t *bound)
{
    while (t && dims_fit(s, sub_min(s, t), bound)) {
        kq_shape *r = first_fit(s, t->left, bound);

        if (r)
            return r;
        if (dims_fit(s, t->dim, bound))
            return t;
        t = t->right;
    }
    return NULL;
}

/* ---- shapes -------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

/* A job's time limit in seconds, 0 for none. */
static uint64_t time_limit_of(const kq_job_info *info)
{
    const kq_workflow *wf = info->workflow;

    return wf && wf->has_time_limit_seconds ? wf->time_limit_seconds : 0;
}

static uint64_t shape_hash(const kq_job_info *info)
{
    uint64_t h = mix(mix(mix(mix(0, info->worker_resources.job_slots),
                             info->worker_resources.cpus),
                         info->worker_resources.ram_mb),
                     time_limit_of(info));

    if (info->has_global_resources) {
        for (size_t i = 0; i < info->global_resources.len; i++) {
            const kq_str *k = &info->global_resources.items[i].key;

            for (size_t j = 0; j < k->len; j++)
                h = mix(h, (unsigned char)k->ptr[j]);
            h = mix(h, info->global_resources.items[i].value);
        }
        h = mix(h, 1);
    }
    /* Spread the low bits, which pick the bucket. */
    return kq_hash_mix64(h);
}

static bool shape_matches(const kq_shape *sh, const kq_job_info *info)
{
    const kq_resources *a = &sh->need, *b = &info->worker_resources;

    if (a->job_slots != b->job_slots || a->cpus != b->cpus ||
        a->ram_mb != b->ram_mb || sh->has_global != info->has_global_resources ||
        sh->time_limit != time_limit_of(info))
        return false;
    if (!sh->has_global)
        return true;
    if (sh->global.len != info->global_resources.len)
        return false;
    for (size_t i = 0; i < sh->global.len; i++)
        if (!kq_str_eq(&sh->global.items[i].key,
                       &info->global_resources.items[i].key) ||
            sh->global.items[i].value != info->global_resources.items[i].value)
            return false;
    return true;
}

static kq_shape *shape_find(const kq_sched *s, const kq_job_info *info, uint64_t h)
{
    kq_shape *sh;

    for (sh = s->buckets[h & (s->nbuckets - 1)]; sh; sh = sh->next)
        if (sh->hash == h && shape_matches(sh, info))
            return sh;
    return NULL;
}

/* Rehashes into n buckets; out of memory, the table stays as it is. */
static void rehash(kq_sched *s, size_t n)
{
    kq_shape **b = calloc(n, sizeof *b);

    if (!b)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        while (s->buckets[i]) {
            kq_shape *sh = s->buckets[i];

            s->buckets[i] = sh->next;
            sh->next = b[sh->hash & (n - 1)];
            b[sh->hash & (n - 1)] = sh;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
}

/* Its need per dimension; never when a resource is not configured. */
static void shape_dims(const kq_sched *s, kq_shape *sh)
{
    sh->dim[0] = sh->need.job_slots;
    sh->dim[1] = sh->need.cpus;
    sh->dim[2] = sh->need.ram_mb;
    for (size_t i = 0; i < sh->global.len; i++) {
        const kq_u64_entry *e = &sh->global.items[i];
        size_t d;

        for (d = 0; d < s->total.len; d++)
            if (kq_str_eq(&s->total.items[d].key, &e->key))
                break;
        if (d == s->total.len)
            sh->never = true;
        else
            sh->dim[3 + d] = e->value;
    }
    if (sh->has_global && !s->has_total)
        sh->never = true;
    /* A job with a time limit needs that many seconds of a worker's
     * horizon, one without needs a worker that still takes such jobs. */
    sh->dim[s->tdim + KQ_IDLE_LIMITED] = sh->time_limit;
    sh->dim[s->tdim + KQ_IDLE_OPEN] = sh->time_limit ? 0 : 1;
}

static kq_shape *shape_get(kq_sched *s, const kq_job_info *info)
{
    uint64_t h = shape_hash(info);
    kq_shape *sh = shape_find(s, info, h);
    size_t b;

    if (sh)
        return sh;
    sh = calloc(1, sizeof *sh + 2 * s->ndims * sizeof *sh->dim);
    if (!sh)
        return NULL;
    sh->need = info->worker_resources;
    sh->time_limit = time_limit_of(info);
    sh->hash = h;
    sh->prio = next_prio(s);
    sh->has_global = info->has_global_resources;
    if (sh->has_global && kq_u64_map_copy(&sh->global, &info->global_resources) < 0) {
        shape_free(sh);
        return NULL;
    }
    shape_dims(s, sh);
    if (s->nshapes >= s->nbuckets)
        rehash(s, 2 * s->nbuckets);
    b = h & (s->nbuckets - 1);
    sh->next = s->buckets[b];
    s->buckets[b] = sh;
    s->nshapes++;
    return sh;
}

/* Forgets an empty shape. */
static void shape_drop(kq_sched *s, kq_shape *sh)
{
    kq_shape **p = &s->buckets[sh->hash & (s->nbuckets - 1)];

    while (*p != sh)
        p = &(*p)->next;
    *p = sh->next;
    s->nshapes--;
    if (s->cur == sh)
        s->cur = NULL;
    shape_free(sh);
    if (s->nbuckets > MIN_BUCKETS && 8 * s->nshapes < s->nbuckets)
        rehash(s, s->nbuckets / 2);
}

/* Puts the shape where its state says: in the treap under its head's key
 * if it has waiting jobs and is not set aside, dropped if nothing refers
 * to it any more. */
static void shape_place(kq_sched *s, kq_shape *sh)
{
    bool want = sh->len && !sh->aside && !sh->never;

    if (sh->in_tree && (!want || !key_eq(sh->tree_key, key(sh->heap[0])))) {
        s->root = erase_in(s, s->root, sh);
        sh->in_tree = false;
    }
    if (want && !sh->in_tree) {
        sh->tree_key = key(sh->heap[0]);
        sh->left = sh->right = NULL;
        pull(s, sh);
        s->root = insert_in(s, s->root, sh);
        sh->in_tree = true;
    }
    if (!sh->len && !sh->held && !sh->aside)
        shape_drop(s, sh);
}

/* Pops entries of jobs no longer waiting off the head, then places the
 * shape. */
static void settle(kq_sched *s, kq_shape *sh)
{
    while (sh->len && !entry_valid(s, sh->heap[0])) {
        heap_pop(sh);
        if (sh->stale)
            sh->stale--;
    }
    shape_place(s, sh);
}

/* Drops the stale entries from the heap once they are half of it. */
static void filter_stale(kq_sched *s, kq_shape *sh)
{
    size_t n = 0;

    for (size_t i = 0; i < sh->len; i++)
        if (entry_valid(s, sh->heap[i]))
            sh->heap[n++] = sh->heap[i];
    sh->len = n;
    sh->stale = 0;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(sh, i);
    shape_place(s, sh);
}

/* ---- the queue ---------------------------------------------------------- */

int kq_sched_enqueue(kq_sched *s, kq_job *job)
{
    kq_shape *sh;

    if (job->waiting)
        return 0;
    sh = shape_get(s, &job->info);
    if (!sh)
        return -ENOMEM;
    if (reserve(sh) < 0) {
        shape_place(s, sh); /* drops it if it is new */
        return -ENOMEM;
    }
    job->wait_seq++;
    job->waiting = true;
    s->waiting++;
    heap_push(sh, entry_of(job));
    shape_place(s, sh);
    return 0;
}

void kq_sched_dequeue(kq_sched *s, kq_job *job)
{
    kq_shape *sh;

    if (!job->waiting)
        return;
    job->waiting = false;
    job->wait_seq++;
    s->waiting--;
    sh = s->cur && s->cur->len && s->cur->heap[0].id == job->info.job_id
             ? s->cur
             : shape_find(s, &job->info, shape_hash(&job->info));
    if (!sh)
        return;
    if (sh->len && sh->heap[0].id == job->info.job_id) {
        heap_pop(sh);
        settle(s, sh);
    } else if (++sh->stale > sh->len / 2) {
        filter_stale(s, sh);
    }
}

/* ---- passes ---------------------------------------------------------- */

/* The bound of the global dimensions: the slots global_max_parallel_jobs
 * leaves, and what is left of each global resource. */
static void fill_global_bound(const kq_sched *s, uint64_t *bound)
{
    uint64_t slots = s->max_slots - s->slots_held;

    if (bound[0] > slots)
        bound[0] = slots;
    for (size_t d = 0; d < s->total.len; d++) {
        const kq_u64_entry *used = kq_u64_map_get(&s->used, s->total.items[d].key.ptr);
        uint64_t in_use = used ? used->value : 0, total = s->total.items[d].value;

        bound[3 + d] = in_use < total ? total - in_use : 0;
    }
}

/* The bound of the time dimensions for horizons until (the caller's
 * clock, ms): the longest time limit that fits, and whether a job without
 * one does. */
static void fill_time_bound(const kq_sched *s, const uint64_t until[KQ_IDLE_TIMES],
                            uint64_t *bound)
{
    uint64_t limited = until[KQ_IDLE_LIMITED];

    bound[s->tdim + KQ_IDLE_LIMITED] = limited == UINT64_MAX ? UINT64_MAX
                                       : limited > s->now_ms ? (limited - s->now_ms) / 1000
                                                             : 0;
    bound[s->tdim + KQ_IDLE_OPEN] = until[KQ_IDLE_OPEN] > s->now_ms;
}

/* What may be offered now, per dimension; false when nothing can. */
static bool fill_bound(kq_sched *s)
{
    uint64_t until[KQ_IDLE_TIMES];
    kq_resources max;

    if (s->slots_held > s->max_slots || !kq_idle_bound(&s->idle, &max))
        return false;
    s->bound[0] = max.job_slots;
    s->bound[1] = max.cpus;
    s->bound[2] = max.ram_mb;
    fill_global_bound(s, s->bound);
    kq_idle_bound_until(&s->idle, until);
    fill_time_bound(s, until, s->bound);
    return true;
}

static void set_aside_shape(kq_sched *s, kq_shape *sh)
{
    sh->aside = true;
    sh->aside_next = s->aside;
    s->aside = sh;
    shape_place(s, sh);
}

/* Sets the shape's head aside (the whole shape when out of memory). */
static void set_aside_head(kq_sched *s, kq_shape *sh)
{
    if (s->nheld == s->held_cap) {
        size_t cap = s->held_cap ? 2 * s->held_cap : 64;
        struct kq_held *h = realloc(s->held, cap * sizeof *h);

        if (!h) {
            set_aside_shape(s, sh);
            return;
        }
        s->held = h;
        s->held_cap = cap;
    }
    s->held[s->nheld].shape = sh;
    s->held[s->nheld++].e = heap_pop(sh);
    sh->held++;
    settle(s, sh);
}

/* Queues again what the pass set aside. */
static void pass_end(kq_sched *s)
{
    for (size_t i = 0; i < s->nheld; i++) {
        kq_shape *sh = s->held[i].shape;

        if (entry_valid(s, s->held[i].e))
            heap_push(sh, s->held[i].e);
        else if (sh->stale)
            sh->stale--;
        sh->held--;
        shape_place(s, sh);
    }
    s->nheld = 0;
    while (s->aside) {
        kq_shape *sh = s->aside;

        s->aside = sh->aside_next;
        sh->aside = false;
        shape_place(s, sh);
    }
    s->cur = NULL;
}

/* What a job of this time limit (0: none) needs of a worker's horizon at
 * time now. */
static void need_until(uint64_t time_limit, uint64_t now, uint64_t until[KQ_IDLE_TIMES])
{
    until[KQ_IDLE_LIMITED] = time_limit ? now + time_limit * 1000 : 0;
    until[KQ_IDLE_OPEN] = time_limit ? 0 : now + 1;
}

void kq_sched_until(const kq_job_info *job, uint64_t now, uint64_t until[KQ_IDLE_TIMES])
{
    need_until(time_limit_of(job), now, until);
}

bool kq_sched_next(kq_sched *s, kq_job **job, kq_idle_worker **worker)
{
    while (s->root && fill_bound(s)) {
        kq_shape *sh = first_fit(s, s->root, s->bound);
        uint64_t until[KQ_IDLE_TIMES];
        kq_idle_worker *w;
        bool fits_some;

        if (!sh)
            break;
        if (!entry_valid(s, sh->heap[0])) {
            settle(s, sh); /* not expected: heads are kept valid */
            continue;
        }
        need_until(sh->time_limit, s->now_ms, until);
        w = kq_idle_best_until(&s->idle, &sh->need, until, sh->heap[0].id, &fits_some);
        if (w) {
            s->cur = sh;
            *job = kq_jobs_get(s->jobs, sh->heap[0].id);
            *worker = w;
            return true;
        }
        if (fits_some)
            set_aside_head(s, sh);
        else
            set_aside_shape(s, sh);
    }
    pass_end(s);
    return false;
}

void kq_sched_skip(kq_sched *s, kq_job *job)
{
    kq_shape *sh = s->cur;

    if (sh && sh->len && sh->heap[0].id == job->info.job_id)
        set_aside_head(s, sh);
}

bool kq_sched_fits_new_worker(kq_sched *s, const kq_resources *cap, uint64_t horizon_s)
{
    uint64_t until[KQ_IDLE_TIMES] = {UINT64_MAX, UINT64_MAX};
    uint64_t *bound = s->bound;

    if (!s->root || s->slots_held > s->max_slots)
        return false;
    bound[0] = cap ? cap->job_slots : UINT64_MAX;
    bound[1] = cap ? cap->cpus : UINT64_MAX;
    bound[2] = cap ? cap->ram_mb : UINT64_MAX;
    fill_global_bound(s, bound);
    if (horizon_s != UINT64_MAX)
        until[KQ_IDLE_LIMITED] = s->now_ms + horizon_s * 1000;
    fill_time_bound(s, until, bound);
    return first_fit(s, s->root, bound) != NULL;
}

/* ---- what jobs hold --------------------------------------------------- */

int kq_sched_hold(kq_sched *s, kq_job *job)
{
    const kq_job_info *info = &job->info;

    if (job->holds)
        return 0;
    for (size_t i = 0; info->has_global_resources && i < info->global_resources.len; i++) {
        const kq_u64_entry *e = &info->global_resources.items[i];
        const kq_u64_entry *u = kq_u64_map_get(&s->used, e->key.ptr);

        if (kq_u64_map_put(&s->used, e->key.ptr, (u ? u->value : 0) + e->value) < 0)
            return -ENOMEM;
    }
    s->slots_held += info->worker_resources.job_slots;
    job->holds = true;
    return 0;
}

void kq_sched_release(kq_sched *s, kq_job *job)
{
    const kq_job_info *info = &job->info;

    if (!job->holds)
        return;
    for (size_t i = 0; info->has_global_resources && i < info->global_resources.len; i++) {
        const kq_u64_entry *e = &info->global_resources.items[i];
        const kq_u64_entry *u = kq_u64_map_get(&s->used, e->key.ptr);
        uint64_t left = u && u->value > e->value ? u->value - e->value : 0;

        if (!u)
            continue;
        if (left == 0)
            kq_u64_map_remove(&s->used, e->key.ptr);
        else if (kq_u64_map_put(&s->used, e->key.ptr, left) < 0)
            continue; /* shrinking an existing entry allocates nothing */
    }
    s->slots_held -= s->slots_held < info->worker_resources.job_slots
                         ? s->slots_held
                         : info->worker_resources.job_slots;
    job->holds = false;
}

bool kq_sched_held_back(const kq_sched *s, const kq_job_info *info, const char **what,
                        uint64_t *in_use, uint64_t *total)
{
    uint64_t slots = info->worker_resources.job_slots;

    if (s->slots_held > s->max_slots || slots > s->max_slots - s->slots_held) {
        *what = NULL;
        *in_use = s->slots_held;
        *total = s->max_slots;
        return true;
    }
    for (size_t i = 0; info->has_global_resources && i < info->global_resources.len; i++) {
        const kq_u64_entry *e = &info->global_resources.items[i];
        const kq_u64_entry *have = kq_u64_map_get(&s->total, e->key.ptr);
        const kq_u64_entry *used = kq_u64_map_get(&s->used, e->key.ptr);
        uint64_t u = used ? used->value : 0, t = have ? have->value : 0;

        if (!have || u > t || e->value > t - u) {
            *what = e->key.ptr;
            *in_use = u;
            *total = t;
            return true;
        }
    }
    return false;
}

const kq_u64_map *kq_sched_used(const kq_sched *s)
{
    return &s->used;
}
