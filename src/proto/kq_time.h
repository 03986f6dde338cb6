/*
 * kq_time.h - timestamps as the reference writes them (chrono DateTime<Utc>).
 *
 * Writer: RFC 3339, 'T' separator, 4-digit year, 'Z', and 0, 3, 6 or 9
 * fraction digits chosen by divisibility of the nanoseconds.
 * Reader: the writer's form plus a ' ' separator, 'z', '+HH:MM'/'-HH:MM'
 * and '+HHMM' offsets and any number of fraction digits (the first nine are
 * used); impossible dates and times are rejected.  A leap second (":60") is
 * kept as chrono keeps it: nsec >= 1e9 on second :59.
 */
#ifndef KQ_TIME_H
#define KQ_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"

typedef struct kq_time {
    int64_t sec;   /* seconds since 1970-01-01T00:00:00Z */
    uint32_t nsec; /* 0 .. 1999999999; >= 1e9 only during a leap second */
} kq_time;

#define KQ_TIME_TEXT_MAX 40

/* The real-time clock, with nanoseconds. */
kq_time kq_time_now(void);

/* Writes the canonical text of t (NUL-terminated) and returns its length.
 * Years outside 0000..9999 are clamped to that range. */
size_t kq_time_format(kq_time t, char out[KQ_TIME_TEXT_MAX]);

/* Parses len bytes of s.  0 on success; -EINVAL with *why set to a static
 * description ("invalid month", "missing time zone offset", ...). */
KQ_NODISCARD int kq_time_parse(const char *s, size_t len, kq_time *out,
                               const char **why);

/* Whole seconds from earlier to later, truncated toward zero (may be
 * negative), as the reference's chrono Duration::num_seconds. */
int64_t kq_time_diff_sec(kq_time later, kq_time earlier);

/* -1, 0, 1 like strcmp. */
int kq_time_cmp(kq_time a, kq_time b);

#endif
