/*
 * kq_jscan.h - a strict, resumable JSON syntax scanner.
 *
 * Feeds bytes of one JSON value, possibly split at any byte, and says when
 * the value is complete.  It accepts exactly RFC 8259 plus what serde_json
 * accepts: strict number grammar, escapes including surrogate pairs (a lone
 * surrogate is an error), well-formed UTF-8 only, no raw control characters
 * in strings.  It keeps O(1) state (nesting up to KQ_JSCAN_MAX_DEPTH), so a
 * value split over many reads is scanned once, never rescanned.
 *
 * Never allocates; never blocks.
 */
#ifndef KQ_JSCAN_H
#define KQ_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_error.h"

#define KQ_JSCAN_MAX_DEPTH 64
/* Longest number literal accepted (u64 needs 20 digits; the bound keeps
 * float conversion in a fixed buffer). */
#define KQ_JSCAN_MAX_NUMBER 63

typedef struct kq_jscan {
    uint8_t state;
    uint8_t depth;
    uint8_t lit_pos;     /* literal (true/false/null): bytes matched */
    uint8_t hex_count;   /* \uXXXX: digits seen */
    uint8_t utf8_need;   /* continuation bytes still due */
    uint8_t utf8_lo, utf8_hi; /* allowed range of the next one */
    bool in_key;         /* the current string is an object key */
    bool key_nul;        /* the current key has an escaped NUL */
    uint16_t hex_val;
    uint16_t high;       /* pending high surrogate, 0 if none */
    const char *lit;
    uint64_t stack;      /* bit d set: nesting level d is an object */
    size_t pos;          /* bytes of the value consumed so far */
    size_t num_start;    /* where the current number began */
} kq_jscan;

/* Starts scanning a new value. */
void kq_jscan_init(kq_jscan *s);

#define KQ_JSCAN_MORE 0
#define KQ_JSCAN_DONE 1

/*
 * Scans p[0..n).  Returns KQ_JSCAN_DONE when the value is complete, with
 * *used set to the bytes of p that belong to it (a top-level number ends at
 * the first byte that cannot continue it, which is not used); KQ_JSCAN_MORE
 * when all n bytes were consumed and the value goes on; -EBADMSG with err
 * naming the offending byte on a syntax error.  Leading whitespace is
 * skipped and counted in *used.
 */
int kq_jscan_feed(kq_jscan *s, const char *p, size_t n, size_t *used,
                  kq_error *err);

/* At end of input: KQ_JSCAN_DONE if the bytes so far form a complete value
 * (a top-level number needs no delimiter then), else -EBADMSG "truncated". */
int kq_jscan_finish(kq_jscan *s, kq_error *err);

/* JSON whitespace (RFC 8259): what may surround and separate values. */
static inline bool kq_jscan_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

#endif
