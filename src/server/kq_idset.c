/*
 * kq_idset.c - open-addressing id set (see kq_idset.h).
 */
#include "kq_idset.h"

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

static int grow(kq_idset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 16;
    uint64_t *old = s->slots;
    size_t oldcap = s->cap;

    /* Rebuild in place of tombstones when they dominate. */
    if (s->cap && s->len * 4 < s->cap)
        cap = s->cap;
    s->slots = calloc(cap, sizeof *s->slots);
    if (!s->slots) {
        s->slots = old;
        return -ENOMEM;
    }
    s->cap = cap;
    s->len = s->used = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i] != EMPTY && old[i] != GONE) {
            size_t j = hash(old[i] - 1, cap);

            while (s->slots[j] != EMPTY)
                j = (j + 1) & (cap - 1);
            s->slots[j] = old[i];
            s->len++;
            s->used++;
        }
    }
    free(old);
    return 0;
}

int kq_idset_add(kq_idset *s, uint64_t id)
{
    size_t j;

    if (kq_idset_has(s, id))
        return 0;
    if ((s->used + 1) * 4 > s->cap * 3 && grow(s) < 0)
        return -ENOMEM;
    j = hash(id, s->cap);
    while (s->slots[j] != EMPTY && s->slots[j] != GONE)
        j = (j + 1) & (s->cap - 1);
    if (s->slots[j] == EMPTY)
        s->used++;
    s->slots[j] = id + 1;
    s->len++;
    return 0;
}

/* Slot of id, or cap when absent. */
static size_t find(const kq_idset *s, uint64_t id)
{
    size_t j;

    if (!s->len)
        return s->cap;
    for (j = hash(id, s->cap); s->slots[j] != EMPTY; j = (j + 1) & (s->cap - 1))
        if (s->slots[j] == id + 1)
            return j;
    return s->cap;
}

bool kq_idset_has(const kq_idset *s, uint64_t id)
{
    return find(s, id) != s->cap;
}

void kq_idset_remove(kq_idset *s, uint64_t id)
{
    size_t j = find(s, id);

    if (j == s->cap)
        return;
    s->slots[j] = GONE;
    s->len--;
}

bool kq_idset_next(const kq_idset *s, size_t *pos, uint64_t *id)
{
    while (*pos < s->cap) {
        uint64_t v = s->slots[(*pos)++];

        if (v != EMPTY && v != GONE) {
            *id = v - 1;
            return true;
        }
    }
    return false;
}

void kq_idset_clear(kq_idset *s)
{
    if (s->cap)
        memset(s->slots, 0, s->cap * sizeof *s->slots);
    s->len = s->used = 0;
}

void kq_idset_free(kq_idset *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}
