/*
 * kq_duration.c - durations as people write them (see kq_duration.h).
 */
#include "kq_duration.h"

#include <errno.h>
#include <stdbool.h>

static const struct {
    char unit;
    uint64_t seconds;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

#define NUNITS (sizeof units / sizeof *units)

int kq_duration_parse(const char *text, uint64_t *seconds, const char **why)
{
    const char *p = text;
    uint64_t total = 0;
    size_t next = 0;

    if (*p == '-') {
        *why = "a time limit cannot be negative";
        return -EINVAL;
    }
    do {
        uint64_t v = 0;
        bool digits = false;
        size_t u;

        for (; *p >= '0' && *p <= '9'; p++) {
            digits = true;
            v = v * 10 + (uint64_t)(*p - '0');
            if (v > KQ_DURATION_MAX) {
                *why = "too long: at most 31 years";
                return -EINVAL;
            }
        }
        for (u = next; digits && u < NUNITS && units[u].unit != *p; u++)
            ;
        if (!digits || u == NUNITS) {
            *why = "expected a duration like 90s, 45m, 2h30m or 1d (numbers with d, h, m "
                   "or s, largest first)";
            return -EINVAL;
        }
        p++;
        next = u + 1;
        if (v > (KQ_DURATION_MAX - total) / units[u].seconds) {
            *why = "too long: at most 31 years";
            return -EINVAL;
        }
        total += v * units[u].seconds;
    } while (*p);
    if (total == 0) {
        *why = "a time limit must be at least 1s";
        return -EINVAL;
    }
    *seconds = total;
    return 0;
}

void kq_duration_format(kq_buf *out, uint64_t seconds)
{
    if (seconds == 0) {
        kq_buf_puts(out, "0s");
        return;
    }
    for (size_t u = 0; u < NUNITS; u++) {
        if (seconds >= units[u].seconds) {
            kq_buf_printf(out, "%llu%c", (unsigned long long)(seconds / units[u].seconds),
                          units[u].unit);
            seconds %= units[u].seconds;
        }
    }
}
