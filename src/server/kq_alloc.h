/*
 * kq_alloc.h - allocation queues: the server's autoscaler, which asks a
 * batch system (Slurm) for allocations whose workers connect back, while
 * jobs wait that no connected worker can take (kueue alloc).
 *
 * A queue (AddAllocQueue) describes its allocations: sbatch arguments, a
 * time limit, workers per allocation, at most max_workers at a time.
 * Driven by the loop's timers, never blocking it: sbatch, squeue and
 * scancel run as child processes (kq_child) whose output the loop reads.
 * About once a second, a queue that is not stopped submits one allocation
 * when a waiting job would fit a worker of it (its time limit in the
 * allocation's, its resources in what the queue's workers reported, the
 * global limits allowing: kq_sched_fits_new_worker) and its allocations
 * still to come hold fewer workers than jobs wait, within max_workers.
 * squeue follows the allocations (queued, running, ended, with Slurm's
 * reason) every KQ_ALLOC_POLL_MS while there are any; an allocation
 * running connect_timeout_seconds without a worker is canceled, and so
 * are those still queued once no job waited for KQ_ALLOC_SURPLUS_MS.  A
 * submission refused, an allocation that failed or never had a worker
 * count as failures; max_failures in a row stop the queue, with the
 * reason (a worker connecting resets the count).  Each allocation is
 * named by a token (kq<queue>.<n>-<server id>: its Slurm job name and the
 * KUEUE_ALLOCATION its workers send in their hello), by which the server
 * knows its workers, also after a restart: queues, their allocations and
 * their last events are kept in the store (a row per queue, written in
 * the turn of the change).
 *
 * Owns the queues, their records and the child processes; never owns
 * workers or jobs (a worker record only carries the queue and allocation
 * numbers it belongs to).
 */
#ifndef KQ_ALLOC_H
#define KQ_ALLOC_H

#include "kq_server_int.h"

/* Decisions (submit, time out) are taken this often while a queue has
 * anything to do. */
#define KQ_ALLOC_TICK_MS 1000
/* squeue runs at most this often. */
#define KQ_ALLOC_POLL_MS 2000
/* sbatch, squeue and scancel are killed after this long. */
#define KQ_ALLOC_COMMAND_MS 60000
/* A job asks for an allocation only if its time limit fits the
 * allocation's less this (the worker's start and its end margin). */
#define KQ_ALLOC_END_MARGIN_S 60
/* Allocations still queued in Slurm are canceled once no job waited for
 * this long. */
#define KQ_ALLOC_SURPLUS_MS 10000
/* Events kept per queue (the oldest go). */
#define KQ_ALLOC_EVENTS_MAX 200

/* The autoscaler of srv, with the queues of its store (srv->store, or
 * none in memory only; called before the store's folder thread starts,
 * srv->state_id set); handles SIGCHLD on the server's loop.  0 or -errno
 * with err. */
KQ_NODISCARD int kq_alloc_new(kq_server *srv, kq_error *err);
/* Frees it (child processes still running are killed); NULL-safe. */
void kq_alloc_free(kq_alloc *a);

/* The requests of a client (AddAllocQueue and RemoveAllocQueue need
 * auth): answered with AllocQueueList or RequestResponse. */
void kq_alloc_add_request(kq_peer *p, kq_c2s_add_alloc_queue *req);
void kq_alloc_list_request(kq_peer *p, const kq_c2s_list_alloc_queues *req);
void kq_alloc_remove_request(kq_peer *p, const kq_c2s_remove_alloc_queue *req);

/* A worker said hello naming allocation token: if it is one of this
 * server's, the worker is marked as its (w->alloc_queue, w->alloc_no,
 * WorkerInfo.allocation) and the allocation counts it. */
void kq_alloc_worker_hello(kq_server *srv, kq_worker *w, const kq_str *token);
/* A worker of an allocation reported its free resources: the queue
 * learns what its workers can take. */
void kq_alloc_worker_resources(kq_server *srv, const kq_worker *w);
/* A worker's connection ended. */
void kq_alloc_worker_left(kq_server *srv, kq_worker *w);

/* Whether a worker of one of the queues could run job (so a job no
 * connected worker fits is not refused at submission). */
bool kq_alloc_could_run(kq_server *srv, const kq_job_info *job);
/* Why a job waits, when a queue's worker could run it: which allocation
 * it waits for, appended to out ("waiting for a worker of allocation
 * queue 1: allocation 3 is queued in Slurm (Slurm job 4711: Priority)");
 * false (nothing appended) when no queue could. */
bool kq_alloc_reason(kq_server *srv, const kq_job_info *job, kq_buf *out);

/* After a pass of offers: jobs still waiting may call for allocations. */
void kq_alloc_after_dispatch(kq_server *srv);

/* Stages the rows of the queues changed since the last commit in the
 * store (before kq_store_commit).  0 or -ENOMEM. */
KQ_NODISCARD int kq_alloc_stage(kq_server *srv);

#endif
