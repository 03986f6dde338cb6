/*
 * kq_textring.h - the last bytes of a text stream: a running job's stdout
 * or stderr as the server keeps it for its followers (kq_live).
 *
 * Holds at most a given number of the stream's latest bytes, contiguous
 * (a pointer and a length, for encoding straight from it), and where they
 * are in the stream: positions count every byte the stream ever had, so a
 * reader that knows where it stopped finds what it missed, or how much of
 * it is gone.  The text is valid UTF-8 and stays so: old bytes are dropped
 * a whole character at a time.  Memory grows with what is held, never past
 * the bound.  Owns its buffer; never does I/O.
 */
#ifndef KQ_TEXTRING_H
#define KQ_TEXTRING_H

#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"

typedef struct kq_textring {
    char *buf;      /* the held bytes, buf[0..len) */
    size_t len, cap;
    uint64_t end;   /* stream position after the last byte */
} kq_textring;

#define KQ_TEXTRING_INIT {0}

/* Stream position of the first byte held (end when empty). */
static inline uint64_t kq_textring_start(const kq_textring *r)
{
    return r->end - r->len;
}

/*
 * Appends text[0..n) (valid UTF-8), the stream's bytes from r->end on,
 * keeping at most limit bytes: the oldest go first, a character at a time
 * (so a little less may be held).  0, or -ENOMEM (then nothing is held
 * and end still moves on: the bytes count as skipped).
 */
KQ_NODISCARD int kq_textring_append(kq_textring *r, size_t limit, const char *text,
                                    size_t n);

/* Drops what is held; the stream goes on at position end. */
void kq_textring_reset(kq_textring *r, uint64_t end);

/* The bytes held from stream position from on (from below the start: all
 * of them; at or past the end: none); returns their count. */
size_t kq_textring_since(const kq_textring *r, uint64_t from, const char **text);

/* Frees the buffer; the position stays. */
void kq_textring_free(kq_textring *r);

/* Start of the first character at or after s[i] in s[0..len) (i itself
 * unless it is a continuation byte). */
size_t kq_textring_boundary(const char *s, size_t len, size_t i);

#endif
