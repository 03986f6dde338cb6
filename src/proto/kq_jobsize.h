/*
 * kq_jobsize.h - how large a job can get on the wire.
 *
 * After it is issued, a job travels in many messages, each carrying the
 * whole JobInfo: the offer, its confirmation (which also carries the
 * job's environment, kept once by the server), withdrawals and kills to
 * the worker; the worker's answers and status reports back; notifications and
 * answers to clients.  Its status grows on the way: Finished holds three
 * times, the worker's name and a comment.  A Kueue-C server or worker
 * takes no message over KQ_JOB_MESSAGE_MAX bytes, so a job that fits where
 * it enters but not in a later message would be offered, dropped and
 * offered again for ever: the server refuses such a job when it is issued
 * (kq_jobsize_check).  The captured output travels on its own, in
 * UpdateJobResults, which the worker bounds whatever the job
 * (KQ_RUNNER_WIRE_MAX); clients take messages up to 1 GiB.
 *
 * Owns nothing.  Allocates only to encode a large job once.
 */
#ifndef KQ_JOBSIZE_H
#define KQ_JOBSIZE_H

#include <stddef.h>

#include "kq_compiler.h"
#include "kq_framer.h"
#include "kq_protocol.h"

/* The longest message a Kueue-C server or worker takes. */
#define KQ_JOB_MESSAGE_MAX KQ_FRAMER_DEFAULT_MAX

/*
 * An upper bound on the bytes of any message to or from a worker that
 * carries job, in any status it can reach (the Finished status with the
 * longest worker name and comment decoders accept, every character of them
 * escaped), with any job id.  arrived_len is the length of the message the
 * job came in (its IssueJob), 0 if unknown: a job that came in a short
 * message is bounded from that length alone (its encoding takes at most 6
 * bytes per byte received, plus the names of its fields), a longer or
 * unknown one is encoded once.  0 fits, -EMSGSIZE when the bound (in
 * *worst) is over KQ_JOB_MESSAGE_MAX, -ENOMEM.
 */
KQ_NODISCARD int kq_jobsize_check(const kq_job_info *job, size_t arrived_len,
                                  size_t *worst);

#endif
