/*
 * kq_wait.h - waiting until jobs have ended (cmd --wait, wait-job,
 * batch --wait), and the exit status that stands for how a job ended.
 *
 * Observes every job (ObserveJob) and follows the JobUpdated messages
 * until each job is Finished or Canceled.  The reference server does not
 * notify observers when a job is removed while pending, and drops
 * notifications when a client's queue is full, so when the connection has
 * been quiet for KQ_WAIT_RESYNC_MS the jobs still open are asked for
 * again (ShowJob): a wait never hangs on a lost notification.  Updates of
 * jobs that have not ended go to an optional watcher (cmd --wait and
 * wait-job print why a job waits).
 */
#ifndef KQ_WAIT_H
#define KQ_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_error.h"
#include "kq_protocol.h"
#include "kq_session.h"

#define KQ_WAIT_RESYNC_MS 30000

/* What a wait tells about jobs that have not ended yet. */
typedef struct kq_wait_watch {
    /* Called with the latest JobInfo of a job that still waits or runs,
     * with its wait reason when the server gave one (or, with derive,
     * the client worked one out). */
    void (*update)(void *ctx, const kq_job_info *job);
    void *ctx;
    /* For a server that gives no reasons: ask its worker list
     * (ListWorkers, again after each quiet spell) and work them out
     * (kq_reasons). */
    bool derive;
} kq_wait_watch;

/*
 * Waits until each of the n jobs ids[] has ended and stores its last
 * JobInfo (Finished or Canceled) in final[i] (release each with
 * kq_job_info_free); watch (may be NULL) hears of the others meanwhile.
 * 0, or -errno with err ("Job not found!" when the server does not know a
 * job); on failure final holds nothing.
 */
KQ_NODISCARD int kq_wait_jobs(kq_session *s, const uint64_t *ids, size_t n,
                              kq_job_info *final, const kq_wait_watch *watch,
                              kq_error *err);

/*
 * The exit status for a job that ended with status st: its return code
 * when that is 0..255; 1 for any other code (the worker's own failures are
 * negative: -43 failed to start, -44 killed by a signal, -45 error while
 * waiting, -46 killed on request; a Kueue-C server's -47, killed at its
 * time limit) and for a canceled job.
 */
int kq_wait_exit_code(const kq_job_status *st);

#endif
