/*
 * kq_textring.c - the last bytes of a text stream (see kq_textring.h).
 *
 * The held bytes are kept at the start of the buffer: dropping old ones
 * moves the rest down (at most the bound, 64 KiB by default, a few times
 * a second per job), so that a reader always gets one contiguous piece.
 */
#include "kq_textring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t kq_textring_boundary(const char *s, size_t len, size_t i)
{
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Makes room for need bytes in all, growing by doubling up to max. */
static int reserve(kq_textring *r, size_t need, size_t max)
{
    size_t cap = r->cap ? r->cap : 4096;
    char *p;

    if (need <= r->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    if (cap > max)
        cap = max;
    if (!(p = realloc(r->buf, cap)))
        return -ENOMEM;
    r->buf = p;
    r->cap = cap;
    return 0;
}

int kq_textring_append(kq_textring *r, size_t limit, const char *text, size_t n)
{
    size_t skip, drop;

    r->end += n;
    if (limit == 0) {
        kq_textring_free(r);
        return 0;
    }
    /* The new text alone fills the bound: only its last bytes stay. */
    if (n >= limit) {
        skip = kq_textring_boundary(text, n, n - limit);
        r->len = 0;
        text += skip;
        n -= skip;
    } else if (r->len + n > limit) {
        drop = kq_textring_boundary(r->buf, r->len, r->len + n - limit);
        memmove(r->buf, r->buf + drop, r->len - drop);
        r->len -= drop;
    }
    if (reserve(r, r->len + n, limit) < 0) {
        kq_textring_free(r);
        return -ENOMEM;
    }
    memcpy(r->buf + r->len, text, n);
    r->len += n;
    return 0;
}

void kq_textring_reset(kq_textring *r, uint64_t end)
{
    r->len = 0;
    r->end = end;
}

size_t kq_textring_since(const kq_textring *r, uint64_t from, const char **text)
{
    uint64_t start = kq_textring_start(r);

    if (from < start)
        from = start;
    if (from >= r->end || !r->buf) {
        *text = "";
        return 0;
    }
    *text = r->buf + (from - start);
    return (size_t)(r->end - from);
}

void kq_textring_free(kq_textring *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}
