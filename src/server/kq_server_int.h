/*
 * kq_server_int.h - the server's state, shared by its modules.
 *
 * kq_server.c      listening, connections, hello, auth, turns, shutdown
 * kq_srv_client.c  requests of clients
 * kq_srv_worker.c  messages of workers, offers, the worker registry
 * kq_srv_report.c  workers' reports of their jobs, and their acknowledgement
 * kq_srv_drain.c   draining workers on request
 * kq_srv_workflow.c  workflow requests: SubmitJob (dependencies,
 *                  priorities, time limits, retries, arrays, names),
 *                  SetJobPriority, ListJobsMatching, RemoveArray
 * kq_srv_deps.c    jobs waiting for jobs: the dependency graph
 * kq_srv_limits.c  time limits of running jobs
 * kq_srv_retry.c   retries of failed runs
 * kq_srv_reason.c  why pending jobs wait, and refusing what no worker fits
 * kq_live.c        live output of running jobs and its followers
 * kq_srv_maint.c   timeouts and cleanup
 * kq_alloc.c       allocation queues: workers in Slurm allocations
 * kq_status.c      the status page, its JSON API and metrics (HTTP)
 *
 * Everything runs on one thread inside the event loop.  The job table owns
 * jobs, the registry owns worker records, the peer list owns connections;
 * everything else refers to jobs and workers by id.
 */
#ifndef KQ_SERVER_INT_H
#define KQ_SERVER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_auth.h"
#include "kq_config.h"
#include "kq_conn.h"
#include "kq_deps.h"
#include "kq_idset.h"
#include "kq_jobs.h"
#include "kq_log.h"
#include "kq_loop.h"
#include "kq_protocol.h"
#include "kq_rejects.h"
#include "kq_sched.h"
#include "kq_server.h"
#include "kq_store.h"

/* Failed client authentications before the connection is closed. */
#define KQ_MAX_AUTH_FAILURES 5
/* A connection must say hello within this time. */
#define KQ_HELLO_TIMEOUT_MS 30000
/* Shutdown waits this long for peers to take their "Bye". */
#define KQ_SHUTDOWN_GRACE_MS 2000
/* A connection that neither sent nor was sent anything for KQ_QUIET_MS is
 * polled only every KQ_QUIET_POLL_MS while others keep the server busy
 * (kq_loop_idle_polling): thousands of idle clients and workers then cost
 * a busy turn nothing. */
#define KQ_QUIET_MS 1000
#define KQ_QUIET_POLL_MS 10

/* A worker's return code for a job it killed on request (KillJob). */
#define KQ_RC_KILLED_ON_REQUEST (-46)
/* The server's return code for a job killed at its time limit (beside
 * the worker's -43 to -46). */
#define KQ_RC_TIME_LIMIT (-47)

typedef enum kq_peer_kind { KQ_PEER_NEW, KQ_PEER_CLIENT, KQ_PEER_WORKER } kq_peer_kind;

/* A running job's time limit: when it passes, in ms of the wall clock
 * (kq_srv_limits.c). */
typedef struct kq_limit_entry {
    int64_t deadline;
    uint64_t id;
} kq_limit_entry;

typedef struct kq_limits {
    kq_limit_entry *heap;    /* min-heap by deadline */
    size_t len, cap;
    uint64_t timer;          /* the loop timer for heap[0], or 0 */
    int64_t timer_at;        /* the deadline it was set for */
} kq_limits;

typedef struct kq_worker kq_worker;
typedef struct kq_live_follower kq_live_follower;
typedef struct kq_alloc kq_alloc;

/* One connection: a client or worker session. */
typedef struct kq_peer {
    kq_conn conn;
    struct kq_server *srv;
    kq_peer_kind kind;
    uint64_t hello_timer;
    bool authenticated;
    bool trusted;            /* authenticated once (client or worker): may
                                send messages up to max_message */
    bool dead;               /* closed; freed when the turn ends */
    /* The Kueue-C extension level the peer speaks (schema/protocol.yaml):
     * a worker's is negotiated at its hello; a client's is the highest it
     * used in a request.  Nothing above it is ever sent to the peer. */
    unsigned ext_level;
    int auth_failures;
    char salt[KQ_AUTH_SALT_LEN + 1];
    kq_worker *worker;       /* KQ_PEER_WORKER */
    uint64_t *observed;      /* KQ_PEER_CLIENT: jobs it observes */
    size_t nobserved, observed_cap;
    kq_live_follower *follows; /* KQ_PEER_CLIENT: jobs it follows (kq_live.c) */
    struct kq_peer *prev, *next;
} kq_peer;

/* A worker as the server knows it.  Outlives its connection while it has
 * running jobs, so that the worker can reconnect and claim them. */
struct kq_worker {
    kq_worker_info info;     /* as listed: id, name, sets, resources */
    kq_resources avail;      /* what may still be offered: the last report
                                minus the offers not answered yet */
    kq_peer *peer;           /* NULL once disconnected */
    bool authenticated;
    bool drained;            /* kueue drain: no offers (kq_srv_worker_drain) */
    kq_idle_worker idle;     /* its entry in the scheduler's idle index:
                                idle while connected, authenticated,
                                not drained and with a free slot */
    /* Its capacity (kq_reason_capacity: what it could ever run), in the
     * server's capacity index while connected, authenticated and
     * reported (cap.idle); it only grows during a session. */
    kq_resources capacity;
    kq_idle_worker cap;
    bool reported;           /* sent resources this session */
    bool counted;            /* in nconnected */
    bool counted_drained;    /* in nconnected_drained */
    kq_idset rejected;       /* jobs it rejected, not to be offered it
                                while their back-off lasts (kq_rejects) */
    kq_idset deferred;       /* jobs it deferred since its last update */
    uint64_t last_seen_ms;   /* monotonic time of the last UpdateSystemInfo */
    uint64_t lost_ms;        /* monotonic time the connection was lost */
    /* Live output (kq_live.c): its output_limit_bytes as its hello said
     * (0: unsaid), and when an ignored chunk of it was last logged. */
    uint64_t output_limit;
    uint64_t live_warned_ms;
    /* Its horizon (kq_idle.h), from its lifetime (SystemInfo.lifetime):
     * UINT64_MAX without one. */
    uint64_t until[KQ_IDLE_TIMES];
    /* The allocation it runs in (kq_alloc.c); 0, 0: none of this
     * server's. */
    uint64_t alloc_queue, alloc_no;
};

typedef struct kq_server {
    kq_config *cfg;
    kq_server_opts opts;
    kq_loop *loop;
    kq_conn_hub hub;
    kq_tls_ctx *tls;         /* TLS with the shared secret's key */
    int *listen_fds;
    int nlisten;
    int spare_fd;            /* released to refuse connections at EMFILE */
    uint64_t emfile_logged_ms;
    kq_peer *peers;
    kq_peer *graveyard;      /* dead peers, freed at the end of the turn */
    kq_jobs jobs;
    kq_sched sched;
    kq_worker **workers;     /* registry, ascending id */
    size_t nworkers, workers_cap;
    uint64_t next_worker_id;
    bool dispatch_needed;    /* a job or a worker's resources came */
    /* Why jobs wait (kq_srv_reason.c): the capacities of the connected,
     * authenticated workers that reported resources, the counts of
     * connected (authenticated) and drained ones. */
    kq_idle capacity;
    size_t nconnected, nconnected_drained;
    /* Observers hear of a new reason for a pending job once a second at
     * most, when something changed that may give one. */
    bool reasons_stale;
    uint64_t reason_timer;
    size_t observations;     /* jobs observed, summed over the clients */
    kq_rejects rejects;      /* which workers rejected which jobs */
    kq_envs envs;            /* the jobs' environments, each once */
    kq_env **loading;        /* while the store loads: its environments */
    size_t nloading, loading_cap;
    bool stopping;
    uint64_t maint_timer;
    kq_buf scratch;          /* encoding shared by several receivers */
    kq_buf list_reasons;     /* wait reasons of the last job list */
    char **drained;          /* names of drained workers (kq_srv_drain.c) */
    size_t ndrained;
    kq_store *store;         /* NULL: state in memory only */
    /* The store's id in hex, told to Kueue-C workers so that they report
     * jobs only to the server whose state holds them; "" in memory only. */
    char state_id[17];
    kq_deps deps;            /* jobs waiting for jobs (kq_srv_deps.c) */
    uint64_t *ended;         /* ends of jobs still to settle there */
    size_t nended, ended_cap;
    bool settling;
    kq_limits limits;        /* time limits (kq_srv_limits.c) */
    uint64_t *relink;        /* while loading: stored jobs that depend on
                                others, linked once all are back */
    size_t nrelink;
    uint64_t store_retry;    /* timer after a failed commit */
    uint64_t store_error_logged_ms;
    struct kq_status *status; /* the status page, or NULL when off */
    struct kq_live *live;    /* live output and its followers */
    kq_alloc *alloc;         /* allocation queues (kq_alloc.c) */
    int exit_code;
} kq_server;

/* kq_server.c */
/* Whether response answers the peer's current challenge. */
bool kq_srv_auth_ok(const kq_peer *p, const kq_str *response);
/* Queue a message for the peer.  An extension variant above the peer's
 * ext_level is refused (logged as the bug it is, nothing sent), and, to a
 * worker, extension fields above it are left out: an original peer gets
 * the original's bytes. */
void kq_srv_send_s2c(kq_peer *p, const kq_s2c *m);
/* Answers with RequestResponse{success, text from fmt} (at most 511
 * bytes of text). */
void kq_srv_respond(kq_peer *p, bool success, const char *fmt, ...) KQ_PRINTF(3, 4);
void kq_srv_send_s2w(kq_peer *p, const kq_s2w *m);
void kq_srv_close(kq_peer *p, const char *why);
/* Closes a peer that broke the protocol once the answers to its earlier
 * messages are written; the session ends then, with why in the log. */
void kq_srv_refuse(kq_peer *p, const char *why);
void kq_srv_notify(kq_server *srv, kq_job *job);
/* job->info with the job's environment (borrowed): what its worker is
 * given to run it, and what ShowJob answers. */
kq_job_info kq_srv_with_env(const kq_job *job);
/* Sets a job's status to a fresh Pending{issued} and queues it again. */
void kq_srv_requeue(kq_server *srv, kq_job *job);

/* kq_srv_client.c */
/* Room for a refusal's reason (a damaged journal's takes the most). */
#define KQ_SRV_REASON_MAX 600
/* Why the server refuses a job that came in a message of len bytes (0:
 * unknown), or NULL: a damaged journal, its resources, working directory
 * and size, its environment (sorted in place), and whether a connected
 * worker could ever run it (the workflow is checked by kq_srv_workflow.c); buf holds
 * KQ_SRV_REASON_MAX bytes.  *oom is set when that could not be found out
 * for want of memory. */
const char *kq_srv_reject_reason(kq_server *srv, kq_job_info *job, size_t len,
                                 char *buf, size_t n, bool *oom);
/* Answers a job with RejectJob (the job as received, and the reason). */
void kq_srv_reject(kq_peer *p, const kq_job_info *job, const char *reason);
/* A job made of in (taken over: zeroed), with the next id and status
 * Pending, in the table but not queued; the client's note is dropped.
 * NULL when out of memory (in is then freed). */
kq_job *kq_srv_new_job(kq_server *srv, kq_job_info *in);
/* Answers with AcceptJob. */
void kq_srv_accept(kq_peer *p, const kq_job *job);

typedef enum kq_cancel_outcome {
    KQ_CANCEL_DONE,        /* canceled (withdrawn or killed if need be) */
    KQ_CANCEL_RUNNING,     /* it runs, and kill was not asked */
    KQ_CANCEL_UNREACHABLE, /* it runs on a worker that is not connected */
    KQ_CANCEL_FINISHED,    /* it finished already */
    KQ_CANCEL_CANCELED,    /* it was canceled already */
} kq_cancel_outcome;

/* RemoveJob's cancel (section 3.9, fixed): a pending job is canceled, an
 * offered one withdrawn and canceled, a running one killed if kill and
 * its worker is reachable; nothing changes otherwise.  by names who asked,
 * for the log. */
kq_cancel_outcome kq_srv_cancel(kq_server *srv, kq_job *job, bool kill, const char *by);
/* How an IssueJob starts on the wire: a client's IssueJob over the message
 * limit is skipped by its framer (kq_framer_skip_oversized) and refused
 * with a RejectJob instead of closing the connection. */
#define KQ_SRV_ISSUE_JOB_HEAD "{\"IssueJob\":"
/* A message from a client; a skipped one (kq_framer_skipped) is refused. */
void kq_srv_client_message(kq_peer *p, const char *msg, size_t len);
void kq_srv_client_closed(kq_peer *p);
/* The answers to ListJobs, ListWorkers and ListResources (also served by
 * the status page): m borrows from the server's state, so encode it before
 * anything changes, then kq_srv_list_done frees what m itself holds.
 * 0 or -ENOMEM (then m holds nothing). */
KQ_NODISCARD int kq_srv_list_jobs(kq_server *srv, const kq_c2s_list_jobs *q, kq_s2c *m);
KQ_NODISCARD int kq_srv_list_workers(kq_server *srv, kq_s2c *m);
void kq_srv_list_resources(kq_server *srv, kq_s2c *m);
void kq_srv_list_done(kq_s2c *m);

/* kq_srv_worker.c */
void kq_srv_worker_hello(kq_peer *p, const kq_hello_hello_from_worker *hello);
void kq_srv_worker_message(kq_peer *p, const char *msg, size_t len);
void kq_srv_worker_closed(kq_peer *p);
kq_worker *kq_srv_worker_get(kq_server *srv, uint64_t id);
void kq_srv_worker_free_all(kq_server *srv);
/* Offers every waiting job that an idle worker can take, each to the
 * best one (kq_sched.h). */
void kq_srv_dispatch(kq_server *srv);
/* Takes an offered job back from its worker (WithdrawJobOffer sent). */
void kq_srv_withdraw(kq_server *srv, kq_job *job);
/* Detaches a job from the worker it was offered to or ran on: that worker
 * gets back an offer's resources, the job its global ones. */
void kq_srv_detach(kq_server *srv, kq_job *job);
/* Whether the worker running the job is connected. */
bool kq_srv_worker_reachable(kq_server *srv, const kq_job *job);
/* Sends KillJob for a job just canceled while running; it keeps holding its
 * resources until the worker reports its end. */
void kq_srv_kill(kq_server *srv, kq_job *job);
/* Sends KillJob (with a Canceled status, as always) for a running job
 * whose status does not change yet, if its worker is connected. */
void kq_srv_kill_only(kq_server *srv, kq_job *job);
/* The record of a worker that is known only from the store (it ran jobs
 * before a restart): not connected, waiting to reconnect.  NULL when out
 * of memory. */
kq_worker *kq_srv_worker_ghost(kq_server *srv, const kq_str *name);
/* Drops a worker record whose connection is gone: its jobs are queued
 * again. */
void kq_srv_worker_forget(kq_server *srv, kq_worker *w, const char *why);

/* kq_srv_report.c */
/* UpdateJobStatus: an ended job, or one kept running across a reconnect.
 * May take over reported's strings. */
void kq_srv_report_status(kq_server *srv, kq_worker *w, kq_job_info *reported);
/* UpdateJobResults, the end of a report: stored if the job is w's (or
 * ended there), and acknowledged to a worker that speaks the extension.
 * Takes over the texts. */
void kq_srv_report_results(kq_server *srv, kq_worker *w, kq_w2s_update_job_results *r);
/* RequeueJob: a job w gave up (it shuts down) goes back to the queue, with
 * a note saying why, unless it no longer runs there; acknowledged. */
void kq_srv_report_requeue(kq_server *srv, kq_worker *w, const kq_w2s_requeue_job *r);

/* Drains (no offers; outstanding ones are withdrawn) or undrains a worker
 * record. */
void kq_srv_worker_drain(kq_server *srv, kq_worker *w, bool drained);

/* kq_srv_drain.c */
/* DrainWorker from an authenticated client: answered with RequestResponse
 * (the change staged in the store, when there is one, for the turn's
 * commit). */
void kq_srv_drain_request(kq_peer *p, const kq_c2s_drain_worker *req);
/* Takes the drained names back from srv->store (before it folds): 0, or
 * -errno with err. */
KQ_NODISCARD int kq_srv_drain_load(kq_server *srv, kq_error *err);
/* Whether workers of this name are drained. */
bool kq_srv_drained(const kq_server *srv, const kq_str *name);
void kq_srv_drain_free(kq_server *srv);

/* kq_srv_workflow.c: the workflow requests of an authenticated client
 * (len: the bytes of the message). */
void kq_srv_submit_job(kq_peer *p, kq_c2s_submit_job *req, size_t len);
void kq_srv_set_priority(kq_peer *p, const kq_c2s_set_job_priority *req);
void kq_srv_list_matching(kq_peer *p, const kq_c2s_list_jobs_matching *req);
void kq_srv_remove_array(kq_peer *p, const kq_c2s_remove_array *req);

/* kq_srv_deps.c */
/* A job just added to the table (submitted, or restored from the store),
 * not ended: linked to the jobs it depends on.  A pending one is queued if
 * it waits for nothing, canceled with a note if a job it needed failed
 * (or, after a restart, no longer exists), else left waiting.  0 or
 * -ENOMEM. */
KQ_NODISCARD int kq_srv_deps_attach(kq_server *srv, kq_job *job);
/* Why the dependencies of a workflow cannot be accepted (a job that does
 * not exist, yet or any more; one in both sets), or NULL. */
const char *kq_srv_deps_check(kq_server *srv, const kq_workflow *wf, char *buf, size_t n);
/* The job table's end hook (ctx: the server): settles what waited for the
 * job, and what it waited for. */
void kq_srv_deps_ended(void *ctx, kq_job *job);
/* Whether an ended job must be kept from cleanup: a job that has not
 * ended depends on it. */
bool kq_srv_deps_kept(kq_server *srv, const kq_job *job);
void kq_srv_deps_free(kq_server *srv);

/* kq_srv_limits.c */
/* A job that runs (it started, or its worker reconnected with it, or the
 * server restarted): killed once it passes its time limit, if it has
 * one. */
void kq_srv_limit_watch(kq_server *srv, kq_job *job);
/* The end of a job its worker reports, in *reported (rewritten): true if
 * it was killed at its time limit, and *reported is now the time-limit
 * status (Finished KQ_RC_TIME_LIMIT, "killed: time limit 2h30m
 * exceeded").  A job that ended on its own before the kill keeps its
 * result. */
bool kq_srv_limit_report(kq_server *srv, kq_job *job, kq_job_status *reported);
/* A job killed at its time limit whose worker is gone for good, or gave
 * it back: it ends as killed at its limit (it is not queued again).  No-op
 * for other jobs. */
void kq_srv_limit_lost(kq_server *srv, kq_job *job);
void kq_srv_limits_free(kq_server *srv);

/* kq_srv_retry.c */
/* A worker reported job's end as st: if it failed and the job has retries
 * left, the run is recorded and the job queued again (st's worker name is
 * taken over): true.  Else false, and the report stands. */
bool kq_srv_retry(kq_server *srv, kq_job *job, kq_job_status *st);
/* Whether a report of st describes a run of job recorded already (sent
 * again after a reconnect): it is to be ignored. */
bool kq_srv_retry_resent(const kq_job *job, const kq_job_status *st);

/* kq_srv_reason.c */
/* Appends why the job waits if it is pending (a pure function of the job
 * and the server's state now; nothing is stored), else nothing. */
void kq_srv_reason(kq_server *srv, const kq_job *job, kq_buf *out);
/* Why the server refuses a job that no connected worker could ever run
 * (into buf), or NULL: it fits one, the job asked to queue anyway, or no
 * worker has reported its resources yet. */
const char *kq_srv_refusal(kq_server *srv, const kq_job_info *job, char *buf, size_t n);
/* A client observes one more job (1) or one less (-1): while any is
 * observed, observers of pending jobs hear of a new reason. */
void kq_srv_reasons_observed(kq_server *srv, long change);
/* The reason as last sent to the job's observers: a hash of its text, 0
 * for none. */
uint32_t kq_srv_reason_hash(const char *text, size_t len);

/* kq_srv_maint.c */
void kq_srv_maintenance(kq_server *srv);

#endif
