/*
 * kq_framer.c - consecutive JSON values out of a byte stream (kq_framer.h).
 */
#include "kq_framer.h"

#include <errno.h>
#include <string.h>

void kq_framer_init(kq_framer *f, size_t max_message)
{
    *f = (kq_framer){0};
    f->max_message = max_message ? max_message : KQ_FRAMER_DEFAULT_MAX;
    kq_jscan_init(&f->scan);
}

void kq_framer_free(kq_framer *f)
{
    kq_buf_free(&f->in);
}

char *kq_framer_space(kq_framer *f, size_t want, size_t *avail)
{
    size_t end;

    if (kq_buf_reserve(&f->in, want) < 0)
        return NULL;
    end = f->in.start + f->in.len;
    *avail = f->in.cap - end - 1; /* keep room for kq_buf's NUL */
    return f->in.data + end;
}

void kq_framer_commit(kq_framer *f, size_t n)
{
    f->in.len += n;
    f->in.data[f->in.start + f->in.len] = '\0';
}

int kq_framer_feed(kq_framer *f, const void *p, size_t n)
{
    kq_buf_append(&f->in, p, n);
    return f->in.oom ? -ENOMEM : 0;
}

static int skip_start(kq_framer *f, int rc, const char **msg, size_t *len,
                      kq_error *err);
static int skip_on(kq_framer *f, const char **msg, size_t *len,
                   kq_error *err);

int kq_framer_next(kq_framer *f, const char **msg, size_t *len, kq_error *err)
{
    size_t used;
    int rc;

    if (f->taken || f->skipped) {
        kq_buf_consume(&f->in, f->taken);
        f->taken = 0;
        f->skipped = 0;
        f->scanned = 0;
        kq_jscan_init(&f->scan);
    }
    if (f->skipping)
        return skip_on(f, msg, len, err);
    if (f->scanned == 0) {
        size_t ws = 0;
        const char *p = kq_buf_ptr(&f->in);

        while (ws < f->in.len && kq_jscan_is_ws((unsigned char)p[ws]))
            ws++;
        kq_buf_consume(&f->in, ws);
        /* Every message is an enum, so a string or an object: any other
         * value is refused at its first byte, as serde_json refuses it,
         * instead of waiting for a number's end or an array's close. */
        if (f->in.len && memchr("-0123456789tfn[", *kq_buf_ptr(&f->in), 15)) {
            kq_error_set(err, "not a message: a value starting with '%c' "
                              "(a message is a JSON string or object)",
                         *kq_buf_ptr(&f->in));
            return -EBADMSG;
        }
    }
    if (f->scanned == f->in.len)
        return 0;
    rc = kq_jscan_feed(&f->scan, kq_buf_ptr(&f->in) + f->scanned,
                       f->in.len - f->scanned, &used, err);
    if (rc < 0)
        return rc;
    f->scanned += used;
    if (f->scanned > f->max_message) {
        if (f->skip_oversized &&
            (!f->skip_prefix ||
             strncmp(kq_buf_ptr(&f->in), f->skip_prefix,
                     strlen(f->skip_prefix)) == 0))
            return skip_start(f, rc, msg, len, err);
        kq_error_set(err, "message larger than %zu bytes", f->max_message);
        return -EMSGSIZE;
    }
    if (rc == KQ_JSCAN_MORE)
        return 0;
    *msg = kq_buf_ptr(&f->in);
    *len = f->scanned;
    f->taken = f->scanned;
    return 1;
}

bool kq_framer_partial(const kq_framer *f)
{
    const char *p = kq_buf_ptr(&f->in);

    if (f->skipping)
        return true;
    for (size_t i = f->taken; i < f->in.len; i++)
        if (!kq_jscan_is_ws((unsigned char)p[i]))
            return true;
    return false;
}

size_t kq_framer_buffered(const kq_framer *f)
{
    return f->in.len;
}

/* ---- skip mode ---------------------------------------------------------- */

void kq_framer_skip_oversized(kq_framer *f, const char *prefix)
{
    f->skip_oversized = true;
    f->skip_prefix = prefix;
}

size_t kq_framer_skipped(const kq_framer *f)
{
    return f->skipped;
}

/* Returns the head of the oversized value that just ended. */
static int skip_done(kq_framer *f, const char **msg, size_t *len)
{
    f->skipping = false;
    f->skipped = f->skip_len;
    *msg = f->head;
    *len = f->head_len;
    return 1;
}

/* The value at the front (f->scanned bytes so far, rc from their scan)
 * went past max_message: keep its head, drop the rest of it. */
static int skip_start(kq_framer *f, int rc, const char **msg, size_t *len,
                      kq_error *err)
{
    f->head_len = f->scanned < KQ_FRAMER_HEAD_MAX ? f->scanned
                                                  : KQ_FRAMER_HEAD_MAX;
    memcpy(f->head, kq_buf_ptr(&f->in), f->head_len);
    kq_buf_consume(&f->in, f->scanned);
    f->skip_len = f->scanned;
    f->scanned = 0;
    f->skipping = true;
    if (rc == KQ_JSCAN_DONE)
        return skip_done(f, msg, len);
    return skip_on(f, msg, len, err);
}

/* Scans and drops what arrived of the oversized value. */
static int skip_on(kq_framer *f, const char **msg, size_t *len,
                   kq_error *err)
{
    size_t used;
    int rc;

    if (f->in.len == 0)
        return 0;
    rc = kq_jscan_feed(&f->scan, kq_buf_ptr(&f->in), f->in.len, &used, err);
    if (rc < 0)
        return rc;
    kq_buf_consume(&f->in, used);
    f->skip_len += used;
    if (rc == KQ_JSCAN_MORE)
        return 0;
    return skip_done(f, msg, len);
}

void kq_framer_trim(kq_framer *f)
{
    if (f->in.len == 0)
        kq_buf_free(&f->in);
}
