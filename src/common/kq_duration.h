/*
 * kq_duration.h - durations as people write them: "90s", "45m", "2h30m",
 * "1d" (kueue cmd --time-limit, and the server's note when a job is
 * stopped at its limit).
 *
 * Pure functions: no I/O, nothing kept.
 */
#ifndef KQ_DURATION_H
#define KQ_DURATION_H

#include <stdint.h>

#include "kq_buf.h"
#include "kq_compiler.h"

/* The longest duration parsed: about 31 years. */
#define KQ_DURATION_MAX 1000000000u

/*
 * Numbers with units d, h, m and s, largest first, each at most once
 * ("90s", "2h30m", "1d12h"), at least 1 second and at most
 * KQ_DURATION_MAX.  0, or -EINVAL with *why for people ("a time limit
 * must be at least 1s"); *seconds is untouched then.
 */
KQ_NODISCARD int kq_duration_parse(const char *text, uint64_t *seconds, const char **why);

/* Appends seconds as the shortest text kq_duration_parse takes: 9000 as
 * "2h30m", 90 as "1m30s", 86400 as "1d"; 0 as "0s". */
void kq_duration_format(kq_buf *out, uint64_t seconds);

#endif
