/*
 * kq_framer.h - splits a byte stream into consecutive JSON values.
 *
 * The wire has no delimiters: values come back to back, possibly with
 * whitespace between them, split across reads at any byte or several in
 * one read.  The framer owns the input buffer of one connection: the reader
 * writes received bytes into it (kq_framer_space / kq_framer_commit) and
 * takes complete values out (kq_framer_next).  Each byte is scanned once.
 *
 * Bounded: a value longer than max_message bytes is an error as soon as
 * that many bytes of it have arrived, so a peer cannot make us buffer
 * without bound.  Whitespace between values is dropped as it arrives.
 * Values are protocol messages, which are all strings or objects: any
 * other value is an error at its first byte.
 */
#ifndef KQ_FRAMER_H
#define KQ_FRAMER_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_buf.h"
#include "kq_compiler.h"
#include "kq_error.h"
#include "kq_jscan.h"

/* Default bound on one message: captured outputs are capped well below. */
#define KQ_FRAMER_DEFAULT_MAX (16u << 20)
/* Bytes of an oversized value kept in skip mode: room for the start of
 * {"OfferJob":{"job_id":18446744073709551615 with some whitespace. */
#define KQ_FRAMER_HEAD_MAX 128

typedef struct kq_framer {
    kq_buf in;          /* received bytes not yet taken out */
    kq_jscan scan;      /* state of the value at the front of in */
    size_t scanned;     /* bytes of in already fed to scan */
    size_t taken;       /* length of the value last returned */
    size_t max_message;
    /* Skip mode (kq_framer_skip_oversized) */
    bool skip_oversized;
    const char *skip_prefix; /* only values starting so; NULL: all */
    bool skipping;      /* inside an oversized value, dropping its bytes */
    size_t skip_len;    /* bytes of that value so far */
    size_t skipped;     /* length of the oversized value last returned */
    size_t head_len;
    char head[KQ_FRAMER_HEAD_MAX]; /* its first bytes */
} kq_framer;

void kq_framer_init(kq_framer *f, size_t max_message);
void kq_framer_free(kq_framer *f);

/* Room for at least want more bytes at the end of the input.  Returns where
 * to write and sets *avail, or NULL when out of memory. */
char *kq_framer_space(kq_framer *f, size_t want, size_t *avail);

/* Declares n bytes written at the pointer kq_framer_space returned. */
void kq_framer_commit(kq_framer *f, size_t n);

/* Copies n bytes in: 0 or -ENOMEM. */
KQ_NODISCARD int kq_framer_feed(kq_framer *f, const void *p, size_t n);

/*
 * Takes the next complete value out.  Returns 1 with *msg and *len set (the
 * bytes stay valid until the next call on f); 0 when more input is needed;
 * -EBADMSG when the input is not JSON or a value is neither a string nor
 * an object; -EMSGSIZE when the value exceeds
 * max_message; -ENOMEM.  err says what was wrong.  A value returned is
 * valid JSON: decode it with kq_json_parse_valid or a generated
 * *_decode_framed, which do not check the syntax again.  After an error the
 * stream cannot be resynchronised: close the connection.
 */
KQ_NODISCARD int kq_framer_next(kq_framer *f, const char **msg, size_t *len,
                                kq_error *err);

/*
 * Skip mode, for a peer whose oversized messages can be answered instead
 * of ending the connection (a job too large is refused, not fatal): a
 * value longer than max_message whose bytes start with prefix (a static
 * string; NULL: any value) is then no error but read to its end and
 * dropped as it arrives (only its first KQ_FRAMER_HEAD_MAX bytes are kept,
 * so memory stays bounded), and kq_framer_next returns those first bytes
 * (not valid JSON on their own) with kq_framer_skipped giving the value's
 * length.  Other oversized values stay errors.  Call after kq_framer_init.
 */
void kq_framer_skip_oversized(kq_framer *f, const char *prefix);

/* After kq_framer_next returned 1: the length of the value if it was
 * oversized and skipped (the message is then only its head), else 0. */
size_t kq_framer_skipped(const kq_framer *f);

/* True if part of a value is buffered (EOF now would truncate it). */
bool kq_framer_partial(const kq_framer *f);

/* Bytes currently buffered. */
size_t kq_framer_buffered(const kq_framer *f);

/* Frees the input buffer if it holds nothing, so that an idle connection
 * holds no memory for its input. */
void kq_framer_trim(kq_framer *f);

/* Bytes of memory the input buffer holds. */
static inline size_t kq_framer_memory(const kq_framer *f)
{
    return f->in.cap;
}

#endif
