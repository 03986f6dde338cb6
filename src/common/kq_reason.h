/*
 * kq_reason.h - why a pending job waits: the texts server and client
 * share.
 *
 * A Kueue-C server tells clients why each pending job waits
 * (JobInfo.wait_reason, computed when the job is listed, shown or
 * observed); a client talking to an original server works out the part it
 * can from the worker list.  Both compose the texts here, so that they
 * read the same.  What a worker could ever run is its capacity: its
 * logical CPUs and total memory as it reports them (or more, if it ever
 * reported more free), and its job slots free plus held.
 *
 * Pure functions: no I/O, no state.  Texts are appended to a kq_buf.
 */
#ifndef KQ_REASON_H
#define KQ_REASON_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_buf.h"
#include "kq_protocol.h"

/* No authenticated worker is connected. */
#define KQ_REASON_NO_WORKER "no worker connected"
/* An idle worker fits it: the offer goes out at the end of this turn.
 * The one reason a waiting client does not repeat (kq_reason_tells). */
#define KQ_REASON_OFFERING "about to be offered to a worker"

/*
 * The capacity of a worker that reported system (its machine) and free
 * resources while it held held (what its running jobs take):
 *   cpus   = max(system->cpu_cores, free->cpus + held->cpus)
 *   ram_mb = max(system->total_ram_mb, free->ram_mb + held->ram_mb)
 *   slots  = free->job_slots + held->job_slots
 * A load of other programs lowers the free figures, never the capacity.
 */
kq_resources kq_reason_capacity(const kq_system_info *system, const kq_resources *free,
                                const kq_resources *held);

/*
 * When need exceeds largest (the per-dimension maxima of the connected
 * workers' capacities) in some dimension, appends "no worker has 8 CPUs
 * (largest connected: 2)" (every such dimension named) and returns true;
 * else appends nothing and returns false.
 */
bool kq_reason_too_big(kq_buf *out, const kq_resources *need, const kq_resources *largest);

/* "no single worker has 8 CPUs, 9000 MB of RAM and 2 job slots at once":
 * each dimension fits some worker, none fits all. */
void kq_reason_no_single(kq_buf *out, const kq_resources *need);

/* Appends need as "8 CPUs, 9000 MB of RAM and 2 job slots" (only the
 * dimensions set in which; all when which is NULL). */
void kq_reason_needs(kq_buf *out, const kq_resources *need, const bool which[3]);

/* The length of the short form of reason[0..len) for a table cell: the
 * reason without a trailing parenthesis ("no worker has 8 CPUs"). */
size_t kq_reason_short(const char *reason, size_t len);

/* Whether a client waiting for the job tells its user (every reason but
 * KQ_REASON_OFFERING, which passes at once). */
bool kq_reason_tells(const char *reason);

#endif
