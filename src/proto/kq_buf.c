#include "kq_buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kq_buf_reserve(kq_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->oom)
        return -ENOMEM;
    if (b->start > 0 && b->start + b->len + extra + 1 > b->cap) {
        memmove(b->data, b->data + b->start, b->len);
        b->start = 0;
        b->data[b->len] = '\0';
    }
    if (extra > SIZE_MAX / 2 - b->len)
        goto fail;
    need = b->start + b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        goto fail;
    if (!b->data)
        p[0] = '\0'; /* a fresh buffer is an empty string */
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->oom = true;
    return -ENOMEM;
}

void kq_buf_append(kq_buf *b, const void *p, size_t n)
{
    if (kq_buf_reserve(b, n) < 0)
        return;
    if (n)
        memcpy(b->data + b->start + b->len, p, n);
    b->len += n;
    b->data[b->start + b->len] = '\0';
}

void kq_buf_putc(kq_buf *b, char c)
{
    if (b->start + b->len + 2 > b->cap && kq_buf_reserve(b, 1) < 0)
        return;
    if (b->oom)
        return;
    b->data[b->start + b->len++] = c;
    b->data[b->start + b->len] = '\0';
}

void kq_buf_puts(kq_buf *b, const char *s)
{
    kq_buf_append(b, s, strlen(s));
}

void kq_buf_printf(kq_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || kq_buf_reserve(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->start + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void kq_buf_consume(kq_buf *b, size_t n)
{
    if (n >= b->len) {
        b->start = 0;
        b->len = 0;
        if (b->data)
            b->data[0] = '\0';
        return;
    }
    b->start += n;
    b->len -= n;
    /* Compact once the dead prefix dominates, so memory stays bounded. */
    if (b->start > b->len && b->start > 4096) {
        memmove(b->data, b->data + b->start, b->len + 1);
        b->start = 0;
    }
}

void kq_buf_clear(kq_buf *b)
{
    b->start = 0;
    b->len = 0;
    b->oom = false;
    if (b->data)
        b->data[0] = '\0';
}

char *kq_buf_steal(kq_buf *b, size_t *len)
{
    char *s;

    if (b->oom) {
        kq_buf_free(b);
        return NULL;
    }
    if (!b->data && kq_buf_reserve(b, 0) < 0)
        return NULL;
    if (b->start) {
        memmove(b->data, b->data + b->start, b->len + 1);
        b->start = 0;
    }
    s = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void kq_buf_free(kq_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = b->start = 0;
    b->oom = false;
}
