/*
 * kq_query.h - the values of the status page's query parameters and paths.
 *
 * libmicrohttpd splits the request target and percent-decodes it; this
 * module only reads the values, which come from anyone who can connect:
 * the list-jobs filters (num_jobs=N and the flags pending, offered,
 * running, succeeded, failed, canceled, as `kueue list-jobs` has them) and
 * a job id in a path.  Strict and small: a number is 1 to 20 decimal
 * digits that fit in 64 bits (no sign, space or leading '+'); a flag is
 * given with no value or as 1/true or 0/false.  Owns nothing; no I/O.
 */
#ifndef KQ_QUERY_H
#define KQ_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_error.h"
#include "kq_protocol.h"

/* Looks a query parameter up: whether the query has name, and its value
 * in *value (NULL when given without '='). */
typedef bool kq_query_get_fn(void *ctx, const char *name, const char **value);

/* A decimal number.  0 or -EINVAL. */
KQ_NODISCARD int kq_query_u64(const char *text, uint64_t *out);

/* A flag's value (text NULL: given without a value, true).  0 or
 * -EINVAL. */
KQ_NODISCARD int kq_query_flag(const char *text, bool *out);

/*
 * The ListJobs request a query asks for: num_jobs (dflt when absent, at
 * most max) and the category flags (none: every category, as
 * list-jobs).  0, or -EINVAL with err naming the parameter and what it
 * takes.
 */
KQ_NODISCARD int kq_query_list_jobs(kq_query_get_fn *get, void *ctx, uint64_t dflt,
                                    uint64_t max, kq_c2s_list_jobs *out, kq_error *err);

/* The id in path after prefix ("/api/jobs/" then a number, nothing
 * after).  0 or -EINVAL. */
KQ_NODISCARD int kq_query_path_id(const char *path, const char *prefix, uint64_t *id);

#endif
