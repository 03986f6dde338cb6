/*
 * kq_reasons.h - why pending jobs wait, for a server that does not say
 * (the original, or a Kueue-C server from before reasons): what the
 * client can work out from the server's worker list.
 *
 * A Kueue-C server gives every pending job a reason (JobInfo.wait_reason),
 * so a list with pending jobs and no reason at all comes from such a
 * server: then, and only then, the client asks ListWorkers (one more round
 * trip) and fills in what it can tell: no worker connected, no worker has
 * the CPUs, RAM or job slots (by the same capacity rule as the server,
 * counting one slot per job a worker holds), none has them all at once,
 * workers busy.  What only the server knows (global resources, rejections,
 * deferrals) it cannot tell; such a job stays without a reason.  The texts
 * are kq_reason's.  Only the text output uses them: --json prints the
 * server's answer as it came.
 *
 * Owns nothing; the reasons it fills in are owned by the jobs (freed with
 * them).
 */
#ifndef KQ_REASONS_H
#define KQ_REASONS_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_compiler.h"
#include "kq_protocol.h"

/* Whether jobs[0..n) holds pending jobs and none of them has a reason:
 * the server does not give reasons. */
bool kq_reasons_missing(const kq_job_info *jobs, size_t n);

/* Gives each pending job of jobs[0..n) without a reason the one workers
 * tell (none when they tell nothing).  0 or -ENOMEM. */
KQ_NODISCARD int kq_reasons_fill(kq_job_info *jobs, size_t n, const kq_worker_info_list *workers);

#endif
