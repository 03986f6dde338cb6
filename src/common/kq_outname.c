/*
 * kq_outname.c - placeholders in output file names (see kq_outname.h).
 */
#include "kq_outname.h"

#include <errno.h>
#include <string.h>

int kq_outname_expand(kq_buf *out, const char *pattern, uint64_t job_id, const char *worker,
                      const uint64_t *index, kq_buf *why)
{
    for (const char *p = pattern; *p; p++) {
        const char *close;
        size_t n;

        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            kq_buf_putc(out, *p++);
            continue;
        }
        if (*p == '}') {
            kq_buf_printf(why, "output file %s: a lone }: write }} for a brace", pattern);
            return -EINVAL;
        }
        if (*p != '{') {
            kq_buf_putc(out, *p);
            continue;
        }
        if (!(close = strchr(p, '}'))) {
            kq_buf_printf(why, "output file %s: a lone {: write {{ for a brace", pattern);
            return -EINVAL;
        }
        n = (size_t)(close - p - 1);
        if (n == 2 && strncmp(p + 1, "id", 2) == 0) {
            kq_buf_printf(out, "%llu", (unsigned long long)job_id);
        } else if (n == 6 && strncmp(p + 1, "worker", 6) == 0) {
            kq_buf_puts(out, worker ? worker : "");
        } else if (n == 5 && strncmp(p + 1, "index", 5) == 0 && index) {
            kq_buf_printf(out, "%llu", (unsigned long long)*index);
        } else if (n == 5 && strncmp(p + 1, "index", 5) == 0) {
            kq_buf_printf(why, "output file %s: {index}: job %llu is not part of an array",
                          pattern, (unsigned long long)job_id);
            return -EINVAL;
        } else {
            kq_buf_printf(why, "output file %s: unknown placeholder {%.*s} (known: {id}, "
                               "{worker}, {index}; {{ and }} for braces)", pattern, (int)n, p + 1);
            return -EINVAL;
        }
        p = close;
    }
    return 0;
}

int kq_outname_check(const char *pattern, kq_buf *why)
{
    kq_buf out = KQ_BUF_INIT;
    uint64_t index = 0;
    int rc = kq_outname_expand(&out, pattern, 0, "", &index, why);

    kq_buf_free(&out);
    return rc;
}
