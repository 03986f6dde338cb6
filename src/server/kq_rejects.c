/*
 * kq_rejects.c - rejected jobs and their back-off (see kq_rejects.h):
 * open addressing by job id, each record a short array of workers.
 */
#include "kq_rejects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_hash.h"

#define EMPTY 0
#define GONE UINT64_MAX

static size_t hash(uint64_t id, size_t cap)
{
    return (size_t)kq_hash_mix64(id) & (cap - 1);
}

static bool live(const kq_reject_rec *s)
{
    return s->key != EMPTY && s->key != GONE;
}

void kq_rejects_init(kq_rejects *r, uint64_t base_ms)
{
    memset(r, 0, sizeof *r);
    r->base_ms = base_ms;
}

static void rec_free(kq_reject_rec *rec)
{
    for (uint32_t i = 0; i < rec->n; i++)
        kq_str_free(&rec->entries[i].name);
    free(rec->entries);
    rec->entries = NULL;
    rec->n = 0;
}

void kq_rejects_free(kq_rejects *r)
{
    for (size_t i = 0; i < r->cap; i++)
        if (live(&r->slots[i]))
            rec_free(&r->slots[i]);
    free(r->slots);
    kq_rejects_init(r, r->base_ms);
}

static kq_reject_rec *find(const kq_rejects *r, uint64_t id)
{
    if (!r->len)
        return NULL;
    for (size_t j = hash(id, r->cap); r->slots[j].key != EMPTY; j = (j + 1) & (r->cap - 1))
        if (r->slots[j].key == id + 1)
            return &r->slots[j];
    return NULL;
}

/* Doubles the table (or rebuilds it without tombstones). */
static int grow(kq_rejects *r)
{
    size_t cap = r->cap && r->len * 4 < r->cap ? r->cap : (r->cap ? 2 * r->cap : 16);
    kq_reject_rec *old = r->slots, *slots = calloc(cap, sizeof *slots);
    size_t oldcap = r->cap;

    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < oldcap; i++) {
        size_t j;

        if (!live(&old[i]))
            continue;
        for (j = hash(old[i].key - 1, cap); slots[j].key != EMPTY; j = (j + 1) & (cap - 1))
            ;
        slots[j] = old[i];
    }
    free(old);
    r->slots = slots;
    r->cap = cap;
    r->used = r->len;
    return 0;
}

/* The job's record, made if missing; NULL when out of memory. */
static kq_reject_rec *get_or_add(kq_rejects *r, uint64_t id)
{
    kq_reject_rec *rec = find(r, id);
    size_t j;

    if (rec)
        return rec;
    if ((r->used + 1) * 4 > r->cap * 3 && grow(r) < 0)
        return NULL;
    for (j = hash(id, r->cap); live(&r->slots[j]); j = (j + 1) & (r->cap - 1))
        ;
    if (r->slots[j].key == EMPTY)
        r->used++;
    r->slots[j] = (kq_reject_rec){.key = id + 1};
    r->len++;
    return &r->slots[j];
}

static kq_reject_entry *entry_of(const kq_reject_rec *rec, const kq_str *name)
{
    for (uint32_t i = 0; rec && i < rec->n; i++)
        if (kq_str_eq(&rec->entries[i].name, name))
            return &rec->entries[i];
    return NULL;
}

int kq_rejects_add(kq_rejects *r, uint64_t job_id, const kq_str *name, uint64_t now_ms,
                   uint64_t *wait_ms)
{
    kq_reject_rec *rec = get_or_add(r, job_id);
    uint64_t max = r->base_ms > KQ_REJECTS_MAX_MS ? r->base_ms : KQ_REJECTS_MAX_MS;
    uint64_t wait = r->base_ms;
    kq_reject_entry *e;

    if (!rec)
        return -ENOMEM;
    if (!(e = entry_of(rec, name))) {
        kq_reject_entry *grown = realloc(rec->entries, (rec->n + 1) * sizeof *grown);

        if (!grown)
            return -ENOMEM;
        rec->entries = grown;
        e = &rec->entries[rec->n];
        memset(e, 0, sizeof *e);
        if (kq_str_copy(&e->name, name) < 0)
            return -ENOMEM;
        rec->n++;
    }
    e->count++;
    for (uint32_t i = 1; i < e->count && wait < max; i++)
        wait *= 2;
    if (wait > max)
        wait = max;
    e->retry_ms = now_ms + wait;
    if (wait_ms)
        *wait_ms = wait;
    return 0;
}

const kq_reject_rec *kq_rejects_get(const kq_rejects *r, uint64_t job_id)
{
    return find(r, job_id);
}

bool kq_rejects_waits(const kq_rejects *r, uint64_t job_id, const kq_str *name,
                      uint64_t now_ms)
{
    const kq_reject_entry *e = entry_of(find(r, job_id), name);

    return e && now_ms < e->retry_ms;
}

void kq_rejects_forget(kq_rejects *r, uint64_t job_id)
{
    kq_reject_rec *rec = find(r, job_id);

    if (!rec)
        return;
    rec_free(rec);
    rec->key = GONE;
    r->len--;
}

int kq_rejects_each_waiting(const kq_rejects *r, const kq_str *name, uint64_t now_ms,
                            int (*fn)(void *ctx, uint64_t job_id), void *ctx)
{
    for (size_t i = 0; i < r->cap; i++) {
        const kq_reject_entry *e;
        int rc;

        if (!live(&r->slots[i]) || !(e = entry_of(&r->slots[i], name)) || now_ms >= e->retry_ms)
            continue;
        if ((rc = fn(ctx, r->slots[i].key - 1)) != 0)
            return rc;
    }
    return 0;
}

void kq_rejects_prune(kq_rejects *r, bool (*keep)(void *ctx, uint64_t job_id), void *ctx)
{
    for (size_t i = 0; i < r->cap; i++)
        if (live(&r->slots[i]) && !keep(ctx, r->slots[i].key - 1))
            kq_rejects_forget(r, r->slots[i].key - 1);
}
