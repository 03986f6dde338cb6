/*
 * kq_idset.h - a set of 64-bit ids (open addressing, linear probing).
 *
 * Used for the per-worker sets of deferred and rejected jobs, which are
 * consulted on every offer.  Owns its table.
 */
#ifndef KQ_IDSET_H
#define KQ_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"

typedef struct kq_idset {
    uint64_t *slots; /* id + 1, 0 = empty, UINT64_MAX = removed */
    size_t cap, len, used;
} kq_idset;

KQ_NODISCARD int kq_idset_add(kq_idset *s, uint64_t id);
bool kq_idset_has(const kq_idset *s, uint64_t id);
void kq_idset_remove(kq_idset *s, uint64_t id);
void kq_idset_clear(kq_idset *s);
/* Iterates: from *pos = 0, each call puts the next id in *id and returns
 * true, false at the end.  Removing the id just given is allowed. */
bool kq_idset_next(const kq_idset *s, size_t *pos, uint64_t *id);
void kq_idset_free(kq_idset *s);

#endif
