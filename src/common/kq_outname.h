/*
 * kq_outname.h - placeholders in the names of a job's output files
 * (kueue cmd -o out-{id}.log).
 *
 * {id} is the job's id, {worker} the name of the worker that runs it,
 * {index} the job's index in an array of jobs (a job that is not part of
 * one has none, and its file name is refused), {{ and
 * }} a brace.  Anything else in braces, and a lone brace, is an error, so
 * that a typo does not silently become a file name.  The worker fills
 * them in when it opens the files; the client checks the pattern before
 * it submits.  An original worker knows none of this: it creates the file
 * literally named out-{id}.log.
 *
 * Pure functions: no I/O, no state.
 */
#ifndef KQ_OUTNAME_H
#define KQ_OUTNAME_H

#include <stdint.h>

#include "kq_buf.h"
#include "kq_compiler.h"

/*
 * Appends pattern with its placeholders filled in: job_id, worker, and
 * *index (NULL: the job has none).  0, or -EINVAL with why set
 * ("output file x{foo}: unknown placeholder {foo} (known: ...)").
 */
KQ_NODISCARD int kq_outname_expand(kq_buf *out, const char *pattern, uint64_t job_id,
                                   const char *worker, const uint64_t *index, kq_buf *why);

/* Checks pattern's placeholders as a client can, before the job has an
 * id or a worker ({index} allowed): 0, or -EINVAL with why set. */
KQ_NODISCARD int kq_outname_check(const char *pattern, kq_buf *why);

#endif
