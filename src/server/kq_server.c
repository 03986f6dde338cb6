/*
 * kq_server.c - listening, connections, hello and the turn of the loop.
 *
 * Every connection starts as a peer that must say hello within
 * KQ_HELLO_TIMEOUT_MS; it then becomes a client or a worker session.  At
 * the end of each loop turn the server offers jobs to idle workers once,
 * writes all queued output, and frees the peers that died in the turn.
 * Shutdown says "Bye" to every session and waits at most
 * KQ_SHUTDOWN_GRACE_MS for the words to leave; it never waits on a peer.
 *
 * A connection speaks TLS or the original's plain text, as its first byte
 * says (kq_conn_sniff); plain text is refused when allow_plaintext is
 * false.  A TLS handshake is part of the hello phase: one that does not
 * finish within KQ_HELLO_TIMEOUT_MS is closed like a silent peer.
 *
 * What a peer can make the server hold is bounded: until it authenticates
 * its messages are held to unauthenticated_message_max_bytes (so is its
 * input), a message must arrive whole within message_timeout_seconds, a
 * peer that reads none of its output for unread_output_timeout_seconds is
 * dropped (kq_conn), and when the buffers of all connections together pass
 * connection_memory_max_mb the connections holding the most are closed,
 * unauthenticated ones first.
 */
#include "kq_server_int.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kq_live.h"
#include "kq_alloc.h"
#include "kq_net.h"
#include "kq_status.h"

bool kq_srv_auth_ok(const kq_peer *p, const kq_str *response)
{
    const char *secret = p->srv->cfg->common_settings.shared_secret;

    return kq_auth_check(secret, strlen(secret), p->salt, strlen(p->salt),
                         response->ptr, response->len);
}

/* Logs a message refused for a peer that does not speak its extension. */
static void refuse_extension(const kq_peer *p, const char *name, unsigned level)
{
    kq_err("Not sending %s to %s: it is a protocol extension of level %u, and the "
           "peer speaks level %u (a bug: the message must not be needed)",
           name, p->conn.peer, level, p->ext_level);
}

void kq_srv_send_s2c(kq_peer *p, const kq_s2c *m)
{
    if (!kq_conn_is_open(&p->conn))
        return;
    /* Clients cannot announce a level: extension fields go to every
     * client (the original ignores them), variants only to one that used
     * their level itself. */
    if (kq_s2c_tag_level(m->tag) > p->ext_level) {
        refuse_extension(p, kq_s2c_tag_name(m->tag), kq_s2c_tag_level(m->tag));
        return;
    }
    kq_s2c_encode(m, kq_conn_out(&p->conn));
    kq_conn_queued(&p->conn);
}

void kq_srv_respond(kq_peer *p, bool success, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    kq_s2c m = {.tag = KQ_S2C_REQUEST_RESPONSE};

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    m.request_response.success = success;
    m.request_response.text = kq_str_view(text);
    kq_srv_send_s2c(p, &m);
}

void kq_srv_send_s2w(kq_peer *p, const kq_s2w *m)
{
    if (!kq_conn_is_open(&p->conn))
        return;
    if (kq_s2w_encode_at(m, p->ext_level, kq_conn_out(&p->conn)) == -EPROTO) {
        refuse_extension(p, kq_s2w_tag_name(m->tag), kq_s2w_tag_level(m->tag));
        return;
    }
    /* An offer binds nothing until confirmed, so it need not wait for the
     * turn's commit (kq_conn_hub_flush_unheld). */
    if (m->tag == KQ_S2W_OFFER_JOB || m->tag == KQ_S2W_WITHDRAW_JOB_OFFER)
        kq_conn_queued_unheld(&p->conn);
    else
        kq_conn_queued(&p->conn);
}

/* Session bookkeeping when a connection ends, however it ends. */
static void peer_ended(kq_peer *p)
{
    if (p->dead)
        return;
    p->dead = true;
    kq_loop_timer_cancel(p->srv->loop, p->hello_timer);
    if (p->kind == KQ_PEER_CLIENT)
        kq_srv_client_closed(p);
    else if (p->kind == KQ_PEER_WORKER)
        kq_srv_worker_closed(p);
    /* Move to the graveyard: memory stays valid until the turn ends. */
    if (p->prev)
        p->prev->next = p->next;
    else
        p->srv->peers = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = NULL;
    p->next = p->srv->graveyard;
    p->srv->graveyard = p;
}

void kq_srv_close(kq_peer *p, const char *why)
{
    if (why)
        kq_info("Closing connection to %s: %s", p->conn.peer, why);
    kq_conn_close(&p->conn);
    peer_ended(p);
}

void kq_srv_refuse(kq_peer *p, const char *why)
{
    kq_conn_refuse(&p->conn, why);
}

static void on_closed(void *owner, const char *reason)
{
    kq_peer *p = owner;

    /* A failed handshake or refused plain text is worth a warning: a peer
     * with another secret, or an original peer when plain text is off. */
    if (kq_conn_tls_failed(&p->conn) != KQ_CONN_TLS_NO_FAILURE)
        kq_warn("Connection from %s refused: %s", p->conn.peer, reason);
    else
        kq_info("Connection to %s ended: %s", p->conn.peer, reason);
    peer_ended(p);
}

static void on_hello(kq_peer *p, const char *msg, size_t len)
{
    kq_hello h;
    kq_error err;

    if (kq_hello_decode_framed(msg, len, &h, &err) != 0) {
        kq_srv_close(p, err.msg);
        return;
    }
    kq_loop_timer_cancel(p->srv->loop, p->hello_timer);
    p->hello_timer = 0;
    if (kq_auth_salt(p->salt) < 0) {
        kq_hello_free(&h);
        kq_srv_close(p, "no random numbers for a salt");
        return;
    }
    if (h.tag == KQ_HELLO_HELLO_FROM_CLIENT) {
        p->kind = KQ_PEER_CLIENT;
        /* An IssueJob over the limit is refused with a RejectJob its
         * client can show, instead of ending the connection. */
        kq_framer_skip_oversized(&p->conn.in, KQ_SRV_ISSUE_JOB_HEAD);
        kq_debug("Client connected from %s%s", p->conn.peer,
                 kq_conn_encrypted(&p->conn) ? " over TLS" : " in plain text");
        kq_srv_send_s2c(p, &(kq_s2c){.tag = KQ_S2C_WELCOME_CLIENT});
    } else {
        p->kind = KQ_PEER_WORKER;
        kq_srv_worker_hello(p, &h.hello_from_worker);
    }
    kq_hello_free(&h);
}

static void on_message(void *owner, const char *msg, size_t len)
{
    kq_peer *p = owner;

    if (p->dead)
        return;
    switch (p->kind) {
    case KQ_PEER_NEW:
        on_hello(p, msg, len);
        break;
    case KQ_PEER_CLIENT:
        kq_srv_client_message(p, msg, len);
        break;
    case KQ_PEER_WORKER:
        kq_srv_worker_message(p, msg, len);
        break;
    }
    /* Authenticated: the peer may send messages of any allowed size from
     * the next one on. */
    if (!p->dead && !p->trusted &&
        (p->authenticated || (p->worker && p->worker->authenticated))) {
        p->trusted = true;
        kq_conn_set_max_message(&p->conn, p->srv->opts.max_message);
    }
}

static const kq_conn_handler peer_handler = {on_message, on_closed};

static void on_hello_timeout(kq_loop *loop, void *arg)
{
    kq_peer *p = arg;

    (void)loop;
    p->hello_timer = 0;
    kq_srv_close(p, p->conn.transport == KQ_CONN_HANDSHAKE
                        ? "no TLS handshake within 30 seconds"
                        : "no hello within 30 seconds");
}

/* Refuses one pending connection when out of descriptors, by briefly
 * giving back the spare one. */
static void refuse_one(kq_server *srv, int lfd)
{
    uint64_t now = kq_loop_now(srv->loop);
    int fd;

    if (now - srv->emfile_logged_ms > 10000 || srv->emfile_logged_ms == 0) {
        kq_warn("accept: Too many open files: refusing new connections "
                "(raise the open-files limit to serve more)");
        srv->emfile_logged_ms = now;
    }
    if (srv->spare_fd >= 0) {
        close(srv->spare_fd);
        fd = accept(lfd, NULL, NULL);
        if (fd >= 0)
            close(fd);
        srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
}

/* The bound on one message before authentication. */
static size_t unauthenticated_max(const kq_server *srv)
{
    size_t all = srv->opts.max_message ? srv->opts.max_message : KQ_FRAMER_DEFAULT_MAX;
    uint64_t unauth = srv->cfg->server_settings.unauthenticated_message_max_bytes;

    return unauth < all ? (size_t)unauth : all;
}

static void on_accept(kq_loop *loop, int lfd, int events, void *arg)
{
    kq_server *srv = arg;

    (void)events;
    for (int n = 0; n < 64 && !srv->stopping; n++) {
        char peer[KQ_PEER_MAX];
        kq_peer *p;
        int fd, rc = kq_net_accept(lfd, &fd, peer);

        if (rc == -EAGAIN)
            return;
        if (rc == -EMFILE || rc == -ENFILE) {
            refuse_one(srv, lfd);
            return;
        }
        if (rc < 0) {
            kq_warn("accept: %s", strerror(-rc));
            return;
        }
        p = calloc(1, sizeof *p);
        if (!p || kq_conn_open(&p->conn, &srv->hub, fd, unauthenticated_max(srv),
                               &peer_handler, p) < 0) {
            kq_warn("accept %s: out of memory", peer);
            free(p);
            close(fd);
            return;
        }
        kq_conn_sniff(&p->conn, srv->tls, srv->cfg->server_settings.allow_plaintext);
        p->srv = srv;
        p->next = srv->peers;
        if (srv->peers)
            srv->peers->prev = p;
        srv->peers = p;
        p->hello_timer = kq_loop_timer(loop, KQ_HELLO_TIMEOUT_MS,
                                       on_hello_timeout, p);
        kq_debug("Accepted connection from %s", peer);
    }
}

static void free_peer(kq_peer *p)
{
    kq_conn_close(&p->conn);
    free(p->observed);
    free(p);
}

static void on_store_retry(kq_loop *loop, void *arg)
{
    (void)loop;
    ((kq_server *)arg)->store_retry = 0;
}

static void log_store_error(kq_server *srv, const char *what, const char *msg)
{
    uint64_t now = kq_loop_now(srv->loop);

    if (!srv->store_error_logged_ms || now - srv->store_error_logged_ms > 10000) {
        kq_err("%s: %s", what, msg);
        srv->store_error_logged_ms = now;
    }
}

/* Writes this turn's changes.  False when the store failed: then nothing
 * may leave (a client must not hear of a job that is not stored), and the
 * commit is tried again in a second. */
static bool commit(kq_server *srv)
{
    kq_error err;

    if (!srv->store)
        return true;
    if (kq_alloc_stage(srv) < 0)
        kq_error_set(&err, "out of memory staging the allocation queues");
    else if (kq_store_commit(srv->store, &srv->jobs, srv->next_worker_id, &err) == 0)
        return true;
    log_store_error(srv, "Cannot store the state, holding all answers until it works",
                    err.msg);
    if (!srv->store_retry)
        srv->store_retry = kq_loop_timer(srv->loop, 1000, on_store_retry, srv);
    return false;
}

static size_t memory_limit(const kq_server *srv)
{
    return (size_t)srv->cfg->server_settings.connection_memory_max_mb << 20;
}

/* Unauthenticated first, then the bigger first. */
static int cmp_offenders(const void *a, const void *b)
{
    const kq_peer *p = *(kq_peer *const *)a, *q = *(kq_peer *const *)b;
    size_t x = kq_conn_buffered(&p->conn), y = kq_conn_buffered(&q->conn);

    if (p->trusted != q->trusted)
        return p->trusted ? 1 : -1;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The buffers of all connections hold more than connection_memory_max_mb:
 * closes those holding the most, unauthenticated ones first, until the
 * rest fit. */
static void shed_memory(kq_server *srv, size_t limit)
{
    size_t n = 0, i = 0;
    kq_peer **all;

    for (kq_peer *p = srv->peers; p; p = p->next)
        n++;
    all = malloc((n ? n : 1) * sizeof *all);
    if (!all) {
        kq_err("Connections hold %zu MiB, over the limit, and there is no "
               "memory to choose which to close", srv->hub.buffered >> 20);
        return;
    }
    for (kq_peer *p = srv->peers; p; p = p->next)
        all[i++] = p;
    qsort(all, n, sizeof *all, cmp_offenders);
    for (i = 0; i < n && srv->hub.buffered > limit; i++) {
        char why[200];

        if (!kq_conn_buffered(&all[i]->conn))
            continue;
        snprintf(why, sizeof why,
                 "%sits buffers hold %.1f MiB, all connections' %.1f MiB, "
                 "over connection_memory_max_mb = %zu",
                 all[i]->trusted ? "" : "unauthenticated, ",
                 (double)kq_conn_buffered(&all[i]->conn) / (1 << 20),
                 (double)srv->hub.buffered / (1 << 20), limit >> 20);
        kq_srv_close(all[i], why);
    }
    free(all);
}

/* End of a loop turn: offers (sent at once), the store, the rest of the
 * output, the memory limit, then the dead. */
static void on_turn_end(kq_loop *loop, void *arg)
{
    kq_server *srv = arg;

    (void)loop;
    if (srv->dispatch_needed && !srv->stopping) {
        srv->dispatch_needed = false;
        srv->reasons_stale = true;
        kq_srv_dispatch(srv);
    }
    kq_conn_hub_flush_unheld(&srv->hub);
    if (commit(srv))
        kq_conn_hub_flush(&srv->hub);
    if (srv->hub.buffered > memory_limit(srv))
        shed_memory(srv, memory_limit(srv));
    while (srv->graveyard) {
        kq_peer *p = srv->graveyard;

        srv->graveyard = p->next;
        free_peer(p);
    }
    if (srv->stopping && !srv->peers)
        kq_loop_stop(srv->loop);
}

static void on_maintenance(kq_loop *loop, void *arg)
{
    kq_server *srv = arg;

    srv->maint_timer = kq_loop_timer(
        loop, srv->cfg->server_settings.maintenance_interval_seconds * 1000,
        on_maintenance, srv);
    kq_srv_maintenance(srv);
}

static void on_grace_over(kq_loop *loop, void *arg)
{
    kq_server *srv = arg;

    if (srv->peers)
        kq_info("Stopping without waiting for %s",
                srv->peers->next ? "several peers" : "one peer");
    kq_loop_stop(loop);
}

static void on_stop_signal(kq_loop *loop, int signo, void *arg)
{
    kq_server *srv = arg;

    if (srv->stopping)
        return;
    kq_info("Received %s, shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM");
    srv->stopping = true;
    for (int i = 0; i < srv->nlisten; i++) {
        kq_loop_unwatch(loop, srv->listen_fds[i]);
        close(srv->listen_fds[i]);
    }
    srv->nlisten = 0;
    for (kq_peer *p = srv->peers, *next; p; p = next) {
        next = p->next;
        if (p->kind == KQ_PEER_NEW) {
            kq_srv_close(p, NULL);
            continue;
        }
        /* "Bye" is the same text for clients and workers. */
        kq_conn_send(&p->conn, "\"Bye\"", 5);
        kq_conn_close_after_flush(&p->conn);
    }
    kq_loop_timer(loop, KQ_SHUTDOWN_GRACE_MS, on_grace_over, srv);
}

/* Binds every address of bind_addresses; fails only if none works. */
static int bind_all(kq_server *srv, kq_error *err)
{
    const char *list = srv->cfg->server_settings.bind_addresses;
    uint16_t port = srv->cfg->common_settings.server_port;
    char *copy = strdup(list), *save = NULL;
    int tried = 0;

    if (!copy)
        return -ENOMEM;
    for (char *a = strtok_r(copy, " \t", &save); a; a = strtok_r(NULL, " \t", &save)) {
        char host[256], where[300];
        uint16_t p;
        int fd, *fds;
        kq_error e;

        tried++;
        if (kq_net_split(a, port, host, sizeof host, &p) < 0) {
            kq_err("Failed to bind %s: not an address (IPv6 needs brackets: [::1])", a);
            continue;
        }
        if (kq_net_listen(host, p, &fd, &e) < 0) {
            kq_err("Failed to bind: %s", e.msg);
            continue;
        }
        fds = realloc(srv->listen_fds, (size_t)(srv->nlisten + 1) * sizeof *fds);
        if (!fds || kq_loop_watch(srv->loop, fd, KQ_READABLE | KQ_ALWAYS_POLL,
                                  on_accept, srv) < 0) {
            if (fds)
                srv->listen_fds = fds;
            close(fd);
            free(copy);
            return -ENOMEM;
        }
        srv->listen_fds = fds;
        srv->listen_fds[srv->nlisten++] = fd;
        kq_net_local(fd, where);
        kq_info("Started listening on %s...", where);
    }
    free(copy);
    if (tried == 0) {
        kq_error_set(err, "No bind addresses configured!");
        return -EINVAL;
    }
    if (srv->nlisten == 0) {
        kq_error_set(err, "Failed to bind any address!");
        return -EADDRNOTAVAIL;
    }
    return 0;
}

/* An environment read back from the store, kept under its id for the jobs
 * that follow (srv->loading, in id order). */
static int restore_env(void *ctx, uint64_t id, kq_job_env *env)
{
    kq_server *srv = ctx;
    kq_env *e;

    if (srv->nloading == srv->loading_cap) {
        size_t cap = srv->loading_cap ? 2 * srv->loading_cap : 16;
        kq_env **l = realloc(srv->loading, cap * sizeof *l);

        if (!l)
            return -ENOMEM;
        srv->loading = l;
        srv->loading_cap = cap;
    }
    if (!(e = kq_envs_restore(&srv->envs, id, env)))
        return -ENOMEM;
    srv->loading[srv->nloading++] = e;
    return 0;
}

/* The environment loaded under id, or NULL. */
static kq_env *loaded_env(const kq_server *srv, uint64_t id)
{
    size_t lo = 0, hi = srv->nloading;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (srv->loading[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < srv->nloading && srv->loading[lo]->id == id ? srv->loading[lo] : NULL;
}

/* A job read back from the store takes its place again: pending jobs
 * wait in the queue, running ones wait for their worker to come back. */
static int restore_job(void *ctx, kq_job_info *info, uint64_t env_id, kq_str *stdout_text,
                       kq_str *stderr_text, kq_time done_at)
{
    kq_server *srv = ctx;
    kq_job *job = kq_job_new();
    kq_worker *w;

    if (!job)
        return -ENOMEM;
    job->info = *info;
    memset(info, 0, sizeof *info);
    if (env_id && !(job->env = loaded_env(srv, env_id)))
        kq_warn("Job %llu names environment %llu, which the state file lacks: it runs with "
                "the worker's", (unsigned long long)job->info.job_id,
                (unsigned long long)env_id);
    if (job->env)
        kq_env_ref(job->env);
    job->stdout_text = *stdout_text;
    job->stderr_text = *stderr_text;
    *stdout_text = *stderr_text = KQ_STR_NULL;
    job->done_at = done_at;
    job->stored_cat = (uint8_t)kq_cat_of(&job->info.status);
    if (kq_jobs_insert(&srv->jobs, job, kq_time_now()) < 0) {
        kq_job_free(job);
        return -ENOMEM;
    }
    /* What the server set on the wire it sets again. */
    if (job->info.workflow)
        job->info.workflow->has_waiting = false;
    /* Jobs that depend on others are linked once all are back (below). */
    if (job->info.workflow && !(KQ_CAT_BIT(job->cat) & KQ_CAT_DONE) &&
        ((job->info.workflow->has_after && job->info.workflow->after.len) ||
         (job->info.workflow->has_after_any && job->info.workflow->after_any.len))) {
        uint64_t *l = realloc(srv->relink, (srv->nrelink + 1) * sizeof *l);

        if (!l)
            return -ENOMEM;
        srv->relink = l;
        srv->relink[srv->nrelink++] = job->info.job_id;
        if (job->cat == KQ_CAT_PENDING)
            return 0;
    }
    switch ((kq_cat)job->cat) {
    case KQ_CAT_PENDING:
        return kq_sched_enqueue(&srv->sched, job);
    case KQ_CAT_RUNNING:
        w = kq_srv_worker_ghost(srv, &job->info.status.running.worker);
        if (!w || kq_u64_set_add(&w->info.jobs_running, job->info.job_id) < 0 ||
            kq_sched_hold(&srv->sched, job) < 0)
            return -ENOMEM;
        job->worker_id = w->info.worker_id;
        kq_srv_limit_watch(srv, job);
        return 0;
    default:
        return 0;
    }
}

/* Links the restored jobs that depend on others (restore_job listed them
 * in srv->relink), now that all are back and changes are stored: a
 * pending one is queued, waits, or is canceled if a job it needs failed
 * or is gone. */
static int link_restored(kq_server *srv)
{
    int rc = 0;

    for (size_t i = 0; i < srv->nrelink && rc == 0; i++) {
        kq_job *job = kq_jobs_get(&srv->jobs, srv->relink[i]);

        if (job && !(KQ_CAT_BIT(job->cat) & KQ_CAT_DONE))
            rc = kq_srv_deps_attach(srv, job);
    }
    free(srv->relink);
    srv->relink = NULL;
    srv->nrelink = 0;
    return rc;
}

/* Opens the store and takes its jobs back. */
static int load_state(kq_server *srv, const char *path, kq_error *err)
{
    uint64_t next_job = 0, next_worker = 0, total = 0;
    int rc;

    if ((rc = kq_store_open(path, srv->opts.salvage, &srv->store, err)) < 0)
        return rc;
    rc = kq_store_load(srv->store, restore_job, restore_env, srv, &next_job, &next_worker, err);
    /* Environments no job names any more go (their rows at the next
     * commit). */
    kq_envs_drop_unused(&srv->envs);
    free(srv->loading);
    srv->loading = NULL;
    srv->nloading = srv->loading_cap = 0;
    if (rc == -ENOMEM)
        kq_error_set(err, "out of memory loading %s", path);
    snprintf(srv->state_id, sizeof srv->state_id, "%016llx",
             (unsigned long long)kq_store_id(srv->store));
    /* Whatever reads the store does so before its folder thread starts,
     * which is its only user from then on. */
    if (rc < 0 || (rc = kq_srv_drain_load(srv, err)) < 0 || (rc = kq_alloc_new(srv, err)) < 0 ||
        (rc = kq_store_start_folding(srv->store,
                                     srv->cfg->server_settings.state_journal_max_mb << 20,
                                     err)) < 0)
        return rc;
    if (next_job > srv->jobs.next_id)
        srv->jobs.next_id = next_job;
    if (next_worker > srv->next_worker_id)
        srv->next_worker_id = next_worker;
    srv->jobs.track = true;
    if ((rc = link_restored(srv)) < 0) {
        kq_error_set(err, "out of memory linking the jobs of %s that wait for others", path);
        return rc;
    }
    for (int c = 0; c < KQ_CAT_COUNT; c++)
        total += srv->jobs.count[c];
    kq_info("State in %s: %llu jobs (%llu pending, %llu running), next job id %llu, "
            "state id %s", path, (unsigned long long)total,
            (unsigned long long)srv->jobs.count[KQ_CAT_PENDING],
            (unsigned long long)srv->jobs.count[KQ_CAT_RUNNING],
            (unsigned long long)srv->jobs.next_id, srv->state_id);
    return 0;
}

int kq_server_new(kq_config *cfg, const kq_server_opts *opts, kq_server **out,
                  kq_error *err)
{
    kq_server *srv = calloc(1, sizeof *srv);
    long nofile;
    int rc;

    if (!srv)
        return -ENOMEM;
    srv->cfg = cfg;
    if (opts)
        srv->opts = *opts;
    srv->spare_fd = -1;
    kq_jobs_init(&srv->jobs, 0);
    kq_deps_init(&srv->deps);
    srv->jobs.on_end = kq_srv_deps_ended;
    srv->jobs.on_end_ctx = srv;
    kq_idle_init(&srv->capacity);
    kq_envs_init(&srv->envs);
    srv->jobs.envs = &srv->envs;
    kq_rejects_init(&srv->rejects, cfg->server_settings.rejected_retry_seconds * 1000);
    if ((rc = kq_sched_init(&srv->sched, &srv->jobs,
                            cfg->has_global_resources ? &cfg->global_resources : NULL,
                            cfg->server_settings.global_max_parallel_jobs)) < 0 ||
        (rc = kq_loop_new(&srv->loop)) < 0 ||
        (rc = kq_live_new(srv, (size_t)cfg->server_settings.live_output_buffer_bytes,
                          &srv->live)) < 0) {
        kq_error_set(err, "out of memory");
        goto fail;
    }
    srv->hub.loop = srv->loop;
    srv->hub.message_timeout_ms = cfg->server_settings.message_timeout_seconds * 1000;
    srv->hub.unread_timeout_ms = cfg->server_settings.unread_output_timeout_seconds * 1000;
    if ((rc = kq_loop_idle_polling(srv->loop, KQ_QUIET_MS, KQ_QUIET_POLL_MS)) < 0) {
        kq_error_set(err, "out of memory");
        goto fail;
    }
    /* A peer gone, or a file size limit (ulimit -f) reached by the store:
     * errors to handle, not reasons to die. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    if (srv->opts.state_path && (rc = load_state(srv, srv->opts.state_path, err)) < 0)
        goto fail;
    if ((rc = kq_tls_ctx_new(true, cfg->common_settings.shared_secret, &srv->tls, err)) < 0)
        goto fail;
    if (!cfg->server_settings.allow_plaintext)
        kq_info("Plain-text connections are refused (allow_plaintext = false): "
                "only peers with the shared secret can connect");
    if (!srv->alloc && (rc = kq_alloc_new(srv, err)) < 0)
        goto fail;
    nofile = kq_net_raise_nofile();
    if (nofile > 0)
        kq_debug("Open-files limit: %ld", nofile);
    srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if ((rc = bind_all(srv, err)) < 0 || (rc = kq_status_start(srv, &srv->status, err)) < 0)
        goto fail;
    if ((rc = kq_loop_signal(srv->loop, SIGINT, on_stop_signal, srv)) < 0 ||
        (rc = kq_loop_signal(srv->loop, SIGTERM, on_stop_signal, srv)) < 0) {
        kq_error_set(err, "sigaction: %s", strerror(-rc));
        goto fail;
    }
    kq_loop_before_sleep(srv->loop, on_turn_end, srv);
    srv->maint_timer = kq_loop_timer(
        srv->loop, cfg->server_settings.maintenance_interval_seconds * 1000,
        on_maintenance, srv);
    *out = srv;
    return 0;
fail:
    kq_server_free(srv);
    return rc;
}

int kq_server_run(kq_server *srv)
{
    int rc = kq_loop_run(srv->loop);

    if (rc < 0) {
        kq_err("select: %s", strerror(-rc));
        return 1;
    }
    if (commit(srv))
        kq_conn_hub_flush(&srv->hub);
    kq_info("Bye");
    return srv->exit_code;
}

void kq_server_free(kq_server *srv)
{
    if (!srv)
        return;
    kq_status_stop(srv->status);
    /* Before the peers: it ends their follows. */
    kq_live_free(srv->live);
    kq_alloc_free(srv->alloc);
    while (srv->peers) {
        kq_peer *p = srv->peers;

        srv->peers = p->next;
        free_peer(p);
    }
    while (srv->graveyard) {
        kq_peer *p = srv->graveyard;

        srv->graveyard = p->next;
        free_peer(p);
    }
    for (int i = 0; i < srv->nlisten; i++)
        close(srv->listen_fds[i]);
    free(srv->listen_fds);
    if (srv->spare_fd >= 0)
        close(srv->spare_fd);
    kq_srv_worker_free_all(srv);
    kq_idle_free(&srv->capacity);
    kq_rejects_free(&srv->rejects);
    kq_srv_drain_free(srv);
    kq_srv_deps_free(srv);
    kq_srv_limits_free(srv);
    free(srv->relink);
    kq_store_close(srv->store);
    kq_jobs_free(&srv->jobs);
    kq_envs_free(&srv->envs);
    free(srv->loading);
    kq_sched_free(&srv->sched);
    kq_buf_free(&srv->scratch);
    kq_buf_free(&srv->list_reasons);
    kq_loop_free(srv->loop);
    kq_tls_ctx_free(srv->tls);
    free(srv);
}

void kq_srv_notify(kq_server *srv, kq_job *job)
{
    kq_s2c m = {.tag = KQ_S2C_JOB_UPDATED};
    kq_buf reason = KQ_BUF_INIT;

    kq_live_changed(srv, job);
    if (!job->nobservers)
        return;
    m.job_updated = job->info;
    kq_srv_reason(srv, job, &reason);
    if (reason.len)
        m.job_updated.wait_reason = (kq_str){kq_buf_ptr(&reason), reason.len};
    job->reason_sent = kq_srv_reason_hash(kq_buf_ptr(&reason), reason.len);
    kq_buf_clear(&srv->scratch);
    kq_s2c_encode(&m, &srv->scratch);
    kq_buf_free(&reason);
    if (srv->scratch.oom)
        return;
    for (uint32_t i = 0; i < job->nobservers; i++) {
        kq_peer *p = job->observers[i];

        kq_conn_send(&p->conn, kq_buf_ptr(&srv->scratch), srv->scratch.len);
    }
}

kq_job_info kq_srv_with_env(const kq_job *job)
{
    kq_job_info view = job->info;

    if (job->env) {
        view.has_environment = true;
        view.environment = job->env->env;
    }
    return view;
}

void kq_srv_requeue(kq_server *srv, kq_job *job)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_PENDING};

    st.pending.issued = kq_job_issued(job);
    kq_sched_release(&srv->sched, job);
    job->worker_id = KQ_NO_WORKER;
    job->kill_pending = false;
    kq_jobs_set_status(&srv->jobs, job, &st, kq_time_now());
    if (kq_sched_enqueue(&srv->sched, job) < 0)
        kq_err("Out of memory queueing job %llu", (unsigned long long)job->info.job_id);
    srv->dispatch_needed = true;
    kq_srv_notify(srv, job);
}
