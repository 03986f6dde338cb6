/*
 * kq_wfspec.c - the values of the workflow options (see kq_wfspec.h).
 */
#include "kq_wfspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Digits at *p as a u64 up to max; moves *p past them.  false if there
 * are none or the number is over max. */
static bool number(const char **p, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;

    if (*s < '0' || *s > '9')
        return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');

        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

int kq_wf_parse_ids(const char *text, kq_u64_set *out, const char **why)
{
    uint64_t *ids = NULL;
    size_t n = 0, cap = 0;
    const char *p = text;

    if (!*p) {
        *why = "expected job ids, like 12,15 or 20-29";
        return -EINVAL;
    }
    for (;;) {
        uint64_t lo, hi;

        if (!number(&p, UINT64_MAX, &lo))
            goto bad;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!number(&p, UINT64_MAX, &hi))
                goto bad;
            if (hi < lo) {
                *why = "a range must not go down (write 20-29, not 29-20)";
                goto fail;
            }
        }
        if (hi - lo >= KQ_WF_MAX_IDS || n + (hi - lo) >= KQ_WF_MAX_IDS) {
            *why = "more than 100000 jobs";
            goto fail;
        }
        if (out) {
            size_t need = n + (size_t)(hi - lo) + 1;

            if (need > cap) {
                size_t c = cap ? cap : 16;
                uint64_t *grown;

                while (c < need)
                    c *= 2;
                if (!(grown = realloc(ids, c * sizeof *grown))) {
                    *why = "out of memory";
                    free(ids);
                    return -ENOMEM;
                }
                ids = grown;
                cap = c;
            }
            for (uint64_t id = lo;; id++) {
                ids[n++] = id;
                if (id == hi)
                    break;
            }
        } else {
            n += (size_t)(hi - lo) + 1;
        }
        if (*p == '\0')
            break;
        if (*p++ != ',')
            goto bad;
    }
    if (out) {
        size_t u = 0;

        qsort(ids, n, sizeof *ids, cmp_u64);
        for (size_t i = 0; i < n; i++)
            if (u == 0 || ids[u - 1] != ids[i])
                ids[u++] = ids[i];
        out->items = ids;
        out->len = u;
    }
    return 0;
bad:
    *why = "expected job ids separated by commas, or ranges like 20-29";
fail:
    free(ids);
    return -EINVAL;
}

int kq_wf_parse_i32(const char *text, int32_t *out, const char **why)
{
    const char *p = text;
    bool neg = false;
    uint64_t v;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (!number(&p, UINT64_MAX, &v) || *p) {
        *why = "expected an integer";
        return -EINVAL;
    }
    if (v > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX)) {
        *why = "out of range: from -2147483648 to 2147483647";
        return -EINVAL;
    }
    *out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
    return 0;
}

uint64_t kq_wf_array_count(const kq_job_array *a)
{
    return (a->last - a->first) / a->step + 1;
}

int kq_wf_parse_array(const char *text, kq_job_array *out, uint64_t *count, const char **why)
{
    kq_job_array a = {0, 0, 1};
    const char *p = text;

    if (!number(&p, UINT64_MAX, &a.first))
        goto bad;
    a.last = a.first;
    if (*p == '-') {
        p++;
        if (!number(&p, UINT64_MAX, &a.last))
            goto bad;
    }
    if (*p == ':') {
        p++;
        if (!number(&p, UINT64_MAX, &a.step))
            goto bad;
        if (a.step == 0) {
            *why = "the step must be at least 1";
            return -EINVAL;
        }
    }
    if (*p)
        goto bad;
    if (a.last < a.first) {
        *why = "the range is empty (the last index is below the first)";
        return -EINVAL;
    }
    if (kq_wf_array_count(&a) > KQ_WF_MAX_ARRAY) {
        *why = "more than 100000 jobs";
        return -EINVAL;
    }
    *out = a;
    *count = kq_wf_array_count(&a);
    return 0;
bad:
    *why = "expected FIRST-LAST or FIRST-LAST:STEP, like 0-99 or 1-1000:10";
    return -EINVAL;
}
