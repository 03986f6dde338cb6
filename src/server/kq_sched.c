/*
 * kq_sched.c - the offer queue (see kq_sched.h).
 */
#include "kq_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_resources.h"

int kq_sched_init(kq_sched *s, const kq_u64_map *total, uint64_t max_slots)
{
    memset(s, 0, sizeof *s);
    s->max_slots = max_slots;
    if (total) {
        s->has_total = true;
        if (kq_u64_map_copy(&s->total, total) < 0)
            return -ENOMEM;
    }
    s->nbuckets = 64;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    return s->buckets ? 0 : -ENOMEM;
}

static void shape_free(kq_shape *sh)
{
    kq_u64_map_free(&sh->global);
    free(sh->heap);
    free(sh);
}

void kq_sched_free(kq_sched *s)
{
    for (size_t i = 0; i < s->nshapes; i++)
        shape_free(s->shapes[i]);
    free(s->shapes);
    free(s->buckets);
    free(s->scratch);
    kq_u64_map_free(&s->total);
    kq_u64_map_free(&s->used);
    memset(s, 0, sizeof *s);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t shape_hash(const kq_job_info *info)
{
    uint64_t h = mix(mix(mix(0, info->worker_resources.job_slots),
                         info->worker_resources.cpus),
                     info->worker_resources.ram_mb);

    if (info->has_global_resources) {
        for (size_t i = 0; i < info->global_resources.len; i++) {
            const kq_str *k = &info->global_resources.items[i].key;

            for (size_t j = 0; j < k->len; j++)
                h = mix(h, (unsigned char)k->ptr[j]);
            h = mix(h, info->global_resources.items[i].value);
        }
        h = mix(h, 1);
    }
    return h;
}

static bool shape_matches(const kq_shape *sh, const kq_job_info *info)
{
    const kq_resources *a = &sh->need, *b = &info->worker_resources;

    if (a->job_slots != b->job_slots || a->cpus != b->cpus ||
        a->ram_mb != b->ram_mb || sh->has_global != info->has_global_resources)
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

static kq_shape *shape_get(kq_sched *s, const kq_job_info *info)
{
    uint64_t h = shape_hash(info);
    size_t b = (size_t)h & (s->nbuckets - 1);
    kq_shape *sh, **all;

    for (sh = s->buckets[b]; sh; sh = sh->next)
        if (sh->hash == h && shape_matches(sh, info))
            return sh;
    sh = calloc(1, sizeof *sh);
    all = realloc(s->shapes, (s->nshapes + 1) * sizeof *all);
    if (!sh || !all) {
        free(sh);
        if (all)
            s->shapes = all;
        return NULL;
    }
    s->shapes = all;
    sh->need = info->worker_resources;
    sh->hash = h;
    sh->has_global = info->has_global_resources;
    if (sh->has_global && kq_u64_map_copy(&sh->global, &info->global_resources) < 0) {
        shape_free(sh);
        return NULL;
    }
    sh->next = s->buckets[b];
    s->buckets[b] = sh;
    s->shapes[s->nshapes++] = sh;
    return sh;
}

/* Forgets an empty shape. */
static void shape_drop(kq_sched *s, size_t index)
{
    kq_shape *sh = s->shapes[index], **p;

    for (p = &s->buckets[(size_t)sh->hash & (s->nbuckets - 1)]; *p != sh;
         p = &(*p)->next)
        ;
    *p = sh->next;
    s->shapes[index] = s->shapes[--s->nshapes];
    shape_free(sh);
}

static void heap_up(kq_shape *sh, size_t i)
{
    while (i > 0 && sh->heap[i].id < sh->heap[(i - 1) / 2].id) {
        struct kq_qentry t = sh->heap[i];

        sh->heap[i] = sh->heap[(i - 1) / 2];
        sh->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static int heap_push(kq_shape *sh, uint64_t id, uint32_t seq)
{
    if (sh->len == sh->cap) {
        size_t cap = sh->cap ? sh->cap * 2 : 8;
        struct kq_qentry *h = realloc(sh->heap, cap * sizeof *h);

        if (!h)
            return -ENOMEM;
        sh->heap = h;
        sh->cap = cap;
    }
    sh->heap[sh->len] = (struct kq_qentry){id, seq};
    heap_up(sh, sh->len++);
    return 0;
}

static struct kq_qentry heap_pop(kq_shape *sh)
{
    struct kq_qentry top = sh->heap[0];
    size_t i = 0;

    sh->heap[0] = sh->heap[--sh->len];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;

        if (l < sh->len && sh->heap[l].id < sh->heap[m].id)
            m = l;
        if (r < sh->len && sh->heap[r].id < sh->heap[m].id)
            m = r;
        if (m == i)
            break;
        struct kq_qentry t = sh->heap[i];

        sh->heap[i] = sh->heap[m];
        sh->heap[m] = t;
        i = m;
    }
    return top;
}

int kq_sched_enqueue(kq_sched *s, kq_job *job)
{
    kq_shape *sh;

    if (job->waiting)
        return 0;
    sh = shape_get(s, &job->info);
    if (!sh || heap_push(sh, job->info.job_id, job->wait_seq + 1) < 0)
        return -ENOMEM;
    job->wait_seq++;
    job->waiting = true;
    s->waiting++;
    return 0;
}

void kq_sched_dequeue(kq_sched *s, kq_job *job)
{
    if (!job->waiting)
        return;
    job->waiting = false;
    job->wait_seq++;
    s->waiting--;
}

static bool entry_valid(const kq_jobs *jobs, struct kq_qentry e)
{
    const kq_job *job = kq_jobs_get(jobs, e.id);

    return job && job->waiting && job->wait_seq == e.seq;
}

/* Whether a job of this shape may be offered to a worker with free. */
static bool shape_fits(const kq_sched *s, const kq_shape *sh,
                       const kq_resources *free)
{
    if (!kq_resources_fit(&sh->need, free))
        return false;
    if (s->slots_held + sh->need.job_slots > s->max_slots)
        return false;
    for (size_t i = 0; sh->has_global && i < sh->global.len; i++) {
        const char *name = sh->global.items[i].key.ptr;
        const kq_u64_entry *total = kq_u64_map_get(&s->total, name);
        const kq_u64_entry *used = kq_u64_map_get(&s->used, name);
        uint64_t in_use = used ? used->value : 0;

        if (!total || in_use > total->value ||
            total->value - in_use < sh->global.items[i].value)
            return false;
    }
    return true;
}

static bool skipped(uint64_t id, const kq_idset *a, const kq_idset *b)
{
    return (a && kq_idset_has(a, id)) || (b && kq_idset_has(b, id));
}

/* Sets e aside during a pick; false when out of memory. */
static bool set_aside(kq_sched *s, size_t n, struct kq_qentry e)
{
    if (n == s->scratch_cap) {
        size_t cap = s->scratch_cap ? s->scratch_cap * 2 : 64;
        struct kq_qentry *p = realloc(s->scratch, cap * sizeof *p);

        if (!p)
            return false;
        s->scratch = p;
        s->scratch_cap = cap;
    }
    s->scratch[n] = e;
    return true;
}

kq_job *kq_sched_pick(kq_sched *s, const kq_jobs *jobs,
                      const kq_resources *free, const kq_idset *skip1,
                      const kq_idset *skip2)
{
    kq_job *best = NULL;

    for (size_t i = 0; i < s->nshapes; i++) {
        kq_shape *sh = s->shapes[i];
        size_t nheld = 0;
        bool complete = true;

        while (sh->len && !entry_valid(jobs, sh->heap[0]))
            heap_pop(sh);
        if (sh->len == 0) {
            shape_drop(s, i--);
            continue;
        }
        if ((best && sh->heap[0].id > best->info.job_id) ||
            !shape_fits(s, sh, free))
            continue;
        /* Set this worker's deferred and rejected jobs aside, putting them
         * back afterwards: they cost what they are, nothing more. */
        while (sh->len && (!entry_valid(jobs, sh->heap[0]) ||
                           skipped(sh->heap[0].id, skip1, skip2))) {
            struct kq_qentry e = sh->heap[0];

            if (entry_valid(jobs, e) && !set_aside(s, nheld, e)) {
                complete = false;
                break;
            }
            heap_pop(sh);
            if (entry_valid(jobs, e))
                nheld++;
        }
        if (complete && sh->len && (!best || sh->heap[0].id < best->info.job_id))
            best = kq_jobs_get(jobs, sh->heap[0].id);
        /* Re-pushing entries that were just popped cannot need memory. */
        while (nheld > 0) {
            nheld--;
            if (heap_push(sh, s->scratch[nheld].id, s->scratch[nheld].seq) < 0)
                break;
        }
    }
    return best;
}

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

const kq_u64_map *kq_sched_used(const kq_sched *s)
{
    return &s->used;
}
