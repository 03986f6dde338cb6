/*
 * kq_wfspec.h - the values of the workflow options of the command line:
 * job id lists (--after 12,15,20-29), signed priorities (--priority -5)
 * and array ranges (--array 1-1000:10), parsed and checked the same way
 * for the parser's usage errors and for the job built from them
 * (durations: kq_duration.h).
 *
 * Pure functions: no I/O, nothing kept.  A failure gives a reason for
 * people ("not a job id: x") and leaves *out untouched.
 */
#ifndef KQ_WFSPEC_H
#define KQ_WFSPEC_H

#include <stdint.h>

#include "kq_compiler.h"
#include "kq_protocol.h"

/* Jobs one --after list may name: the decoders' limit. */
#define KQ_WF_MAX_IDS KQ_LIMIT_DEPS
/* --retries at most. */
#define KQ_WF_MAX_RETRIES 100
/* Jobs in one --array at most. */
#define KQ_WF_MAX_ARRAY 100000

/*
 * A comma-separated list of job ids and ranges ("12,15,20-29"), sorted
 * and without duplicates into *out (NULL: only checked; else allocated,
 * the caller frees it).  0, -EINVAL with *why, or -ENOMEM.
 */
KQ_NODISCARD int kq_wf_parse_ids(const char *text, kq_u64_set *out, const char **why);

/* A decimal integer from INT32_MIN to INT32_MAX ("-5", "+3").  0 or
 * -EINVAL with *why. */
KQ_NODISCARD int kq_wf_parse_i32(const char *text, int32_t *out, const char **why);

/*
 * An array range "FIRST-LAST" or "FIRST-LAST:STEP" (or one index "N"):
 * indices FIRST, FIRST + STEP, ... up to LAST, at most KQ_WF_MAX_ARRAY of
 * them.  *out gets it and *count the number of jobs.  0 or -EINVAL with
 * *why.
 */
KQ_NODISCARD int kq_wf_parse_array(const char *text, kq_job_array *out, uint64_t *count,
                                   const char **why);

/* Jobs in an array (valid: step >= 1, first <= last). */
uint64_t kq_wf_array_count(const kq_job_array *a);

#endif
