/*
 * kq_buf.h - a growable byte buffer.
 *
 * Used for encoder output and per-connection input/output queues.  Appends
 * after an allocation failure are ignored and the failure is sticky
 * (buf->oom), so a long encoder can check once at the end.  The buffer owns
 * data; kq_buf_free releases it.  data is always NUL-terminated when non-NULL
 * (the NUL is not counted in len), so text can be used as a C string.
 */
#ifndef KQ_BUF_H
#define KQ_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_compiler.h"

typedef struct kq_buf {
    char *data;
    size_t len;   /* bytes in use, from data[start] */
    size_t cap;   /* bytes allocated */
    size_t start; /* consumed prefix not yet compacted */
    bool oom;     /* an allocation failed; contents are incomplete */
} kq_buf;

#define KQ_BUF_INIT {0}

/* Makes room for extra more bytes (plus the NUL).  0 or -ENOMEM. */
int kq_buf_reserve(kq_buf *b, size_t extra);

/* Append bytes / one byte / a C string / formatted text. */
void kq_buf_append(kq_buf *b, const void *p, size_t n);
void kq_buf_putc(kq_buf *b, char c);
void kq_buf_puts(kq_buf *b, const char *s);
void kq_buf_printf(kq_buf *b, const char *fmt, ...) KQ_PRINTF(2, 3);

/* The readable bytes. */
static inline char *kq_buf_ptr(const kq_buf *b)
{
    return b->data ? b->data + b->start : (char *)"";
}

/* Drops n bytes from the front (n <= len), compacting lazily. */
void kq_buf_consume(kq_buf *b, size_t n);

/* Empties the buffer, keeping its memory, and clears oom. */
void kq_buf_clear(kq_buf *b);

/* Takes the contents as a malloc'ed NUL-terminated string the caller owns
 * and leaves the buffer empty; NULL if oom or out of memory. */
char *kq_buf_steal(kq_buf *b, size_t *len);

void kq_buf_free(kq_buf *b);

#endif
