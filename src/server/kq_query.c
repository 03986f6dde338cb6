/*
 * kq_query.c - query parameter values (see kq_query.h).
 */
#include "kq_query.h"

#include <errno.h>
#include <string.h>

int kq_query_u64(const char *text, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;

    if (!text || !text[0])
        return -EINVAL;
    for (; text[i]; i++) {
        unsigned d = (unsigned)(unsigned char)text[i] - '0';

        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int kq_query_flag(const char *text, bool *out)
{
    if (!text || !text[0] || strcmp(text, "1") == 0 || strcmp(text, "true") == 0)
        *out = true;
    else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0)
        *out = false;
    else
        return -EINVAL;
    return 0;
}

int kq_query_list_jobs(kq_query_get_fn *get, void *ctx, uint64_t dflt, uint64_t max,
                       kq_c2s_list_jobs *out, kq_error *err)
{
    static const char *const names[6] = {"pending", "offered", "running",
                                         "succeeded", "failed", "canceled"};
    bool *flags[6] = {&out->pending, &out->offered, &out->running,
                      &out->succeeded, &out->failed, &out->canceled};
    const char *value;

    memset(out, 0, sizeof *out);
    out->num_jobs = dflt;
    if (get(ctx, "num_jobs", &value) &&
        (kq_query_u64(value, &out->num_jobs) < 0 || out->num_jobs > max)) {
        kq_error_set(err, "num_jobs: expected a number from 0 to %llu",
                     (unsigned long long)max);
        return -EINVAL;
    }
    for (int i = 0; i < 6; i++) {
        if (get(ctx, names[i], &value) && kq_query_flag(value, flags[i]) < 0) {
            kq_error_set(err, "%s: expected no value, 1, true, 0 or false", names[i]);
            return -EINVAL;
        }
    }
    return 0;
}

int kq_query_path_id(const char *path, const char *prefix, uint64_t *id)
{
    size_t n = strlen(prefix);

    if (strncmp(path, prefix, n) != 0 || strlen(path + n) > 20)
        return -EINVAL;
    return kq_query_u64(path + n, id);
}
