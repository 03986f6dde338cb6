/*
 * kq_hash.h - the 64-bit mixer of the server's hash tables (job ids in
 * kq_idset and kq_rejects, shape keys in kq_sched): spreads every input
 * bit into the low bits that pick a slot.
 */
#ifndef KQ_HASH_H
#define KQ_HASH_H

#include <stdint.h>

/* Half of MurmurHash3's 64-bit finalizer. */
static inline uint64_t kq_hash_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

#endif
