/*
 * kq_worker.h - the worker: its jobs, its answers to the server and its
 * reports (reference section 4, with the fixes the issue asks for).
 *
 * Owns: the event loop, the runner (kq_runner), the server session
 * (kq_wsession) and the job table.  A job is accepted (resources
 * reserved, waiting for ConfirmJobOffer), running, or done (its report not
 * yet known to be stored by the server).  Reports of jobs that end while
 * the server is unreachable wait for the next session; jobs keep running
 * and their output keeps being drained meanwhile.  A Kueue-C server
 * (extension level 1) acknowledges each report once its state holds it
 * (ReportStored): until then the report is kept and sent again after a
 * reconnect.  An original server acknowledges nothing: there a report is
 * forgotten once the server's machine acknowledged it (TCP) and
 * KQ_WORKER_REPORT_GRACE_MS passed.  A job belongs to the stored state of
 * the server that confirmed it (if it told one): it is reported only to a
 * server of that state, and keeps running meanwhile.  Stopped by
 * SIGTERM/SIGINT, the worker kills its jobs and, as on_shutdown says,
 * gives them back to a Kueue-C server (RequeueJob) or reports them failed.
 *
 * Never blocks: everything runs from the one loop; the only synchronous
 * work is reading /proc for the free resources and name resolution when
 * connecting.
 */
#ifndef KQ_WORKER_H
#define KQ_WORKER_H

#include <stddef.h>

#include "kq_compiler.h"
#include "kq_config.h"
#include "kq_error.h"
#include "kq_lifetime.h"
#include "kq_protocol.h"

/* The comment of a job ended because the worker shut down. */
#define KQ_WORKER_SHUTDOWN_COMMENT "Job killed: the worker shut down."
/* How old the machine's figures (CPUs, memory, load) may be when an offer
 * is decided; the periodic update always reads them afresh. */
#define KQ_WORKER_MACHINE_TTL_MS 500
/* How long the last reports (and their acknowledgements, from a Kueue-C
 * server) and the final Bye may take at shutdown. */
#define KQ_WORKER_BYE_MS 3000
/* With an original server, a job's report is kept, to be sent again over
 * a new connection, until the server's machine acknowledged it and this
 * long has passed: a server that crashes between reading a report and
 * storing it, or a connection that breaks with the report still in a
 * socket buffer, loses nothing.  (A server that cannot store it, its disk
 * full, and stops, does: hence ReportStored between Kueue-C peers.) */
#define KQ_WORKER_REPORT_GRACE_MS 1000

/* A job killed by a signal the worker did not send waits this long before
 * its end is reported: if the worker is told to stop meanwhile (the
 * signal came to every process, as from Slurm's scancel or a system
 * shutdown), the job is given back as one the shutdown killed. */
#define KQ_WORKER_SIGNAL_HOLD_MS 500

/* Room for a worker name: as long as the protocol allows, plus the NUL. */
#define KQ_WORKER_NAME_MAX (KQ_LIMIT_NAME + 1)

typedef struct kq_worker kq_worker;

/*
 * A worker for cfg (which must outlive it) named name: its loop, signal
 * handling (SIGINT, SIGTERM, SIGCHLD) and session.  lt, when not NULL
 * (kept, not owned), is its lifetime in an allocation: offers are checked
 * against it, the server told of it, the resources Slurm granted offered,
 * and the worker exits when idle as it says.  Nothing connects before
 * kq_worker_run.  0 or -errno with err.
 */
KQ_NODISCARD int kq_worker_new(const kq_config *cfg, const char *name, kq_lifetime *lt,
                               kq_worker **out, kq_error *err);

/*
 * Connects and serves until shut down by SIGINT/SIGTERM (0) or until the
 * first connection fails (1, err says why, e.g. "Authentication failed!").
 */
int kq_worker_run(kq_worker *w, kq_error *err);

void kq_worker_free(kq_worker *w);

/* The host name up to its first dot, invalid UTF-8 repaired, at most n - 1
 * bytes, into out.  0 or -errno. */
KQ_NODISCARD int kq_worker_host_name(char *out, size_t n);

#endif
