/*
 * kq_server_int.h - the server's state, shared by its modules.
 *
 * kq_server.c      listening, connections, hello, auth, turns, shutdown
 * kq_srv_client.c  requests of clients
 * kq_srv_worker.c  messages of workers, offers, the worker registry
 * kq_srv_report.c  workers' reports of their jobs, and their acknowledgement
 * kq_srv_drain.c   draining workers on request
 * kq_srv_maint.c   timeouts and cleanup
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
#include "kq_idset.h"
#include "kq_jobs.h"
#include "kq_log.h"
#include "kq_loop.h"
#include "kq_protocol.h"
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

typedef enum kq_peer_kind { KQ_PEER_NEW, KQ_PEER_CLIENT, KQ_PEER_WORKER } kq_peer_kind;

typedef struct kq_worker kq_worker;

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
    kq_idset rejected;       /* jobs it can never run (this session) */
    kq_idset deferred;       /* jobs it deferred since its last update */
    uint64_t last_seen_ms;   /* monotonic time of the last UpdateSystemInfo */
    uint64_t lost_ms;        /* monotonic time the connection was lost */
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
    bool stopping;
    uint64_t maint_timer;
    kq_buf scratch;          /* encoding shared by several receivers */
    char **drained;          /* names of drained workers (kq_srv_drain.c) */
    size_t ndrained;
    kq_store *store;         /* NULL: state in memory only */
    /* The store's id in hex, told to Kueue-C workers so that they report
     * jobs only to the server whose state holds them; "" in memory only. */
    char state_id[17];
    uint64_t store_retry;    /* timer after a failed commit */
    uint64_t store_error_logged_ms;
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
void kq_srv_send_s2w(kq_peer *p, const kq_s2w *m);
void kq_srv_close(kq_peer *p, const char *why);
/* Closes a peer that broke the protocol once the answers to its earlier
 * messages are written; the session ends then, with why in the log. */
void kq_srv_refuse(kq_peer *p, const char *why);
void kq_srv_notify(kq_server *srv, kq_job *job);
/* Sets a job's status to a fresh Pending{issued} and queues it again. */
void kq_srv_requeue(kq_server *srv, kq_job *job);

/* kq_srv_client.c */
/* How an IssueJob starts on the wire: a client's IssueJob over the message
 * limit is skipped by its framer (kq_framer_skip_oversized) and refused
 * with a RejectJob instead of closing the connection. */
#define KQ_SRV_ISSUE_JOB_HEAD "{\"IssueJob\":"
/* A message from a client; a skipped one (kq_framer_skipped) is refused. */
void kq_srv_client_message(kq_peer *p, const char *msg, size_t len);
void kq_srv_client_closed(kq_peer *p);

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
/* DrainWorker from an authenticated client: answered with RequestResponse. */
void kq_srv_drain_request(kq_peer *p, const kq_c2s_drain_worker *req);
/* Whether workers of this name are drained. */
bool kq_srv_drained(const kq_server *srv, const kq_str *name);
void kq_srv_drain_free(kq_server *srv);

/* kq_srv_maint.c */
void kq_srv_maintenance(kq_server *srv);

#endif
