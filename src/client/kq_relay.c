/*
 * kq_relay.c - the TLS relay (see kq_relay.h).
 *
 * Two kinds of connection, both kq_conn on one hub: a link (TCP and TLS
 * to the server; connecting, then saying hello and authenticating, then
 * ready in the pool, then paired with a call) and a call (a kueue process
 * on the Unix socket).  Closed ones are freed before the loop sleeps (a
 * kq_conn's memory must outlive the turn of its close).
 */
#include "kq_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kq_auth.h"
#include "kq_conn.h"
#include "kq_dial.h"
#include "kq_loop.h"
#include "kq_net.h"
#include "kq_protocol.h"
#include "kq_relay_link.h"
#include "kq_session.h"
#include "kq_tls.h"

/* Connections kept ready. */
#define POOL 2
/* A link must be ready (TLS, hello, authentication) within this. */
#define PREPARE_MS 10000
/* After a signal, how long the last output may take to go out. */
#define STOP_GRACE_MS 2000
/* How long --stop waits for the relay to exit. */
#define STOP_WAIT_MS 5000

typedef enum link_state {
    L_CONNECTING, /* TCP connect in progress */
    L_WELCOME,    /* TLS, then WelcomeClient awaited */
    L_CHALLENGE,  /* AuthChallenge awaited */
    L_ACCEPTED,   /* AuthAccepted awaited */
    L_READY,      /* in the pool */
    L_PAIRED,     /* carrying a call */
    L_DEAD,       /* closed: freed before the loop sleeps */
} link_state;

typedef struct relay relay;
typedef struct uplink uplink;
typedef struct call call;

struct uplink {
    kq_conn conn;
    relay *r;
    link_state state;
    kq_dial dial;                    /* L_CONNECTING */
    uint64_t timer;                  /* the preparation's deadline */
    call *peer;                      /* L_PAIRED (NULL once it left) */
    /* L_PAIRED: requests of the call not answered yet, and whether the
     * server's session is still as the pool had it (see reusable_tag). */
    unsigned pending;
    bool reusable, bye;
    uplink *next;
};

struct call {
    kq_conn conn;
    relay *r;
    uplink *peer;    /* paired; NULL before, and once the link left */
    bool greeted;  /* its hello came: waits for a link */
    bool paired;   /* got one (and keeps this once the link left) */
    bool dead;
    call *next;
};

struct relay {
    const kq_config *cfg;
    kq_relay_where where;
    char server[300];         /* host:port, for messages */
    kq_loop *loop;
    kq_conn_hub hub;
    kq_tls_ctx *tls;
    struct addrinfo *addrs;
    int listen_fd, lock_fd;
    uplink *links;
    call *calls;              /* in the order they came */
    unsigned ready, preparing, waiting, active;
    bool swept_needed, holds;
    uint64_t idle_timer;
    bool stopping;
    int rc;                   /* what kq_relay_run returns */
    kq_error *err;
};

static void relay_stop(relay *r, int rc, const char *why);

/* ---- pairs ------------------------------------------------------------ */

/* Passes one message on to the other side; the side it came from stops
 * handing out more while the other has much to write. */
static void pass(relay *r, kq_conn *from, kq_conn *to, const char *msg, size_t len)
{
    kq_conn_send(to, msg, len);
    if (kq_conn_unsent(to) > KQ_CONN_HIGH_WATER) {
        kq_conn_hold(from, true);
        r->holds = true;
    }
}

/* Ends the holds whose other side wrote most of what it had. */
static void release_holds(relay *r)
{
    r->holds = false;
    for (call *c = r->calls; c; c = c->next) {
        uplink *l = c->peer;

        if (!l || c->dead)
            continue;
        if (c->conn.held && kq_conn_unsent(&l->conn) < KQ_CONN_HIGH_WATER / 2)
            kq_conn_hold(&c->conn, false);
        if (l->conn.held && kq_conn_unsent(&c->conn) < KQ_CONN_HIGH_WATER / 2)
            kq_conn_hold(&l->conn, false);
        r->holds |= c->conn.held || l->conn.held;
    }
}

/* Gives the waiting calls, first come first served, the ready links. */
static void serve_waiting(relay *r)
{
    for (call *c = r->calls; c && r->ready && r->waiting; c = c->next) {
        uplink *l;

        if (c->dead || !c->greeted || c->paired)
            continue;
        for (l = r->links; l && l->state != L_READY; l = l->next)
            ;
        if (!l)
            return;
        l->state = L_PAIRED;
        l->peer = c;
        l->pending = 0;
        l->reusable = true;
        l->bye = false;
        c->peer = l;
        c->paired = true;
        r->ready--;
        r->waiting--;
        r->active++;
        /* Its requests go on only once this is written (release_holds,
         * after the flush): a call that did not read it sends them to the
         * server itself. */
        kq_conn_send(&c->conn, KQ_RELAY_READY, strlen(KQ_RELAY_READY));
        r->holds = true;
    }
}

/* ---- links ------------------------------------------------------------ */

static void link_gone(uplink *l)
{
    relay *r = l->r;

    if (l->state == L_DEAD)
        return;
    if (l->state == L_READY)
        r->ready--;
    else if (l->state == L_PAIRED) {
        if (l->peer) {
            /* The call gets what the server said, then the end. */
            l->peer->peer = NULL;
            kq_conn_close_after_flush(&l->peer->conn);
            r->active--;
        }
    } else
        r->preparing--;
    kq_dial_cancel(&l->dial);
    kq_loop_timer_cancel(r->loop, l->timer);
    l->timer = 0;
    l->state = L_DEAD;
    r->swept_needed = true;
}

/* A link that was being prepared failed: the server cannot be reached
 * as it could, so the relay stops and the calls connect by themselves. */
static void link_failed(uplink *l, const char *why)
{
    relay *r = l->r;
    char text[KQ_ERROR_MAX + sizeof r->server + 16];

    snprintf(text, sizeof text, "server %s: %s", r->server, why);
    kq_conn_close(&l->conn);
    link_gone(l);
    relay_stop(r, -ECONNABORTED, text);
}

static void on_link_message(void *owner, const char *msg, size_t len)
{
    uplink *l = owner;
    relay *r = l->r;
    kq_s2c m;
    kq_error why;
    kq_c2s req = {.tag = KQ_C2S_AUTH_RESPONSE};
    char response[KQ_AUTH_RESPONSE_LEN + 1];
    const char *secret = r->cfg->common_settings.shared_secret;

    if (l->state == L_PAIRED) {
        /* An answer more than was asked for: something the server says
         * of itself (its Bye). */
        if (l->pending)
            l->pending--;
        else
            l->reusable = false;
        if (l->peer)
            pass(r, &l->conn, &l->peer->conn, msg, len);
        return;
    }
    if (l->state == L_READY) {
        /* Unasked for: the server says Bye, going away. */
        kq_conn_close(&l->conn);
        link_gone(l);
        return;
    }
    if (kq_s2c_decode_framed(msg, len, &m, &why) < 0) {
        link_failed(l, why.msg);
        return;
    }
    if (l->state == L_WELCOME && m.tag == KQ_S2C_WELCOME_CLIENT) {
        l->state = L_CHALLENGE;
    } else if (l->state == L_CHALLENGE && m.tag == KQ_S2C_AUTH_CHALLENGE) {
        if (kq_auth_response(secret, strlen(secret), m.auth_challenge.salt.ptr,
                             m.auth_challenge.salt.len, response) < 0) {
            kq_s2c_free(&m);
            link_failed(l, "computing the authentication response failed");
            return;
        }
        req.auth_response = kq_str_view(response);
        kq_c2s_encode(&req, kq_conn_out(&l->conn));
        kq_conn_queued(&l->conn);
        l->state = L_ACCEPTED;
    } else if (l->state == L_ACCEPTED && m.tag == KQ_S2C_AUTH_ACCEPTED && m.auth_accepted) {
        kq_loop_timer_cancel(r->loop, l->timer);
        l->timer = 0;
        l->state = L_READY;
        r->preparing--;
        r->ready++;
        serve_waiting(r);
    } else {
        bool refused = m.tag == KQ_S2C_AUTH_ACCEPTED;

        kq_s2c_free(&m);
        link_failed(l, refused ? "authentication failed: the shared_secret differs"
                               : "unexpected answer while authenticating");
        return;
    }
    kq_s2c_free(&m);
}

static void on_link_closed(void *owner, const char *reason)
{
    uplink *l = owner;

    if (l->state >= L_READY) {
        link_gone(l);
        return;
    }
    if (kq_conn_tls_failed(&l->conn) == KQ_CONN_TLS_WRONG_KEY)
        reason = "the TLS keys differ: another shared_secret";
    else if (kq_conn_tls_failed(&l->conn) == KQ_CONN_TLS_SILENT)
        reason = "it does not speak TLS";
    link_failed(l, reason);
}

static const kq_conn_handler link_handler = {on_link_message, on_link_closed};

static void on_prepare_timeout(kq_loop *loop, void *arg)
{
    uplink *l = arg;

    (void)loop;
    l->timer = 0;
    link_failed(l, "no answer to the TLS handshake or the authentication in time");
}

/* Connected: TLS, the hello and the authentication request go out (the
 * output waits for the handshake's end). */
static void link_open(uplink *l, int fd)
{
    relay *r = l->r;
    kq_hello hello = {.tag = KQ_HELLO_HELLO_FROM_CLIENT};
    kq_c2s req = {.tag = KQ_C2S_AUTH_REQUEST};
    int rc;

    if ((rc = kq_conn_open(&l->conn, &r->hub, fd, KQ_SESSION_MAX_MESSAGE,
                           &link_handler, l)) < 0) {
        close(fd);
        l->conn.fd = -1;
        link_failed(l, strerror(-rc));
        return;
    }
    if ((rc = kq_conn_start_tls(&l->conn, r->tls)) < 0) {
        link_failed(l, strerror(-rc));
        return;
    }
    l->state = L_WELCOME;
    kq_hello_encode(&hello, kq_conn_out(&l->conn));
    kq_c2s_encode(&req, kq_conn_out(&l->conn));
    kq_conn_queued(&l->conn);
}

static void on_link_dialed(void *arg, int fd, int err)
{
    uplink *l = arg;

    if (fd >= 0)
        link_open(l, fd);
    else
        link_failed(l, strerror(err));
}

/* Starts one more link for the pool. */
static void link_start(relay *r)
{
    uplink *l = calloc(1, sizeof *l);

    if (!l) {
        relay_stop(r, -ENOMEM, "out of memory for a connection");
        return;
    }
    l->r = r;
    l->conn.fd = -1;
    kq_dial_init(&l->dial);
    l->state = L_CONNECTING;
    l->next = r->links;
    r->links = l;
    r->preparing++;
    l->timer = kq_loop_timer(r->loop, PREPARE_MS, on_prepare_timeout, l);
    if (!l->timer) {
        link_failed(l, "out of memory for a timer");
        return;
    }
    kq_dial_start(&l->dial, r->loop, r->addrs, on_link_dialed, l);
}

/* ---- calls ------------------------------------------------------------ */

/*
 * Whether a call's message leaves the server's session as the pool had
 * it once answered, so that the connection can serve the next call: one
 * of the original's requests that get one answer and leave nothing behind
 * (no observation or follow, no extension level raised), or Bye (*bye).
 * Anything else ends the connection with the call.  Only the variant's
 * name is looked at, as kueue writes it: {"Name":...} or "Name".
 */
static bool reusable_tag(const char *msg, size_t len, bool *bye)
{
    static const char *const tags[] = {
        "IssueJob", "ListJobs", "ShowJob", "RemoveJob", "CleanJobs",
        "ListWorkers", "ShowWorker", "ListResources",
    };
    const char *name, *end;

    *bye = false;
    if (len == 5 && memcmp(msg, "\"Bye\"", 5) == 0) {
        *bye = true;
        return true;
    }
    if (len < 4 || memcmp(msg, "{\"", 2) != 0)
        return false;
    name = msg + 2;
    if (!(end = memchr(name, '"', len - 2)))
        return false;
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if ((size_t)(end - name) == strlen(tags[i]) && memcmp(name, tags[i], (size_t)(end - name)) == 0)
            return true;
    return false;
}

static void call_gone(call *c)
{
    relay *r = c->r;
    uplink *l = c->peer;

    if (c->dead)
        return;
    c->dead = true;
    if (l) {
        l->peer = NULL;
        r->active--;
        if (l->bye && l->reusable && !l->pending && !l->conn.held) {
            /* Back to the pool: the next call gets the same session. */
            l->state = L_READY;
            r->ready++;
            serve_waiting(r);
        } else {
            /* The server gets what the call said (its Bye), then the end. */
            kq_conn_close_after_flush(&l->conn);
        }
    } else if (c->greeted && !c->paired) {
        r->waiting--;
    }
    c->peer = NULL;
    r->swept_needed = true;
}

static void on_call_message(void *owner, const char *msg, size_t len)
{
    call *c = owner;
    relay *r = c->r;

    if (c->peer) {
        uplink *l = c->peer;
        bool bye, fits = reusable_tag(msg, len, &bye);

        if (l->bye) {
            /* Nothing comes after Bye. */
            l->reusable = false;
            kq_conn_close(&c->conn);
            call_gone(c);
            return;
        }
        if (bye && l->reusable && !l->pending) {
            /* Kept from the server: its session serves the next call. */
            l->bye = true;
            return;
        }
        l->reusable = l->reusable && fits && !bye;
        if (!bye)
            l->pending++;
        pass(r, &c->conn, &l->conn, msg, len);
        return;
    }
    if (c->greeted || r->stopping || len != strlen(KQ_RELAY_HELLO) ||
        memcmp(msg, KQ_RELAY_HELLO, len) != 0) {
        /* Another version of kueue, or not kueue, or a relay on its way
         * out: the call connects by itself. */
        kq_conn_close(&c->conn);
        call_gone(c);
        return;
    }
    c->greeted = true;
    r->waiting++;
    /* Its requests wait for a link. */
    kq_conn_hold(&c->conn, true);
    serve_waiting(r);
}

static void on_call_closed(void *owner, const char *reason)
{
    (void)reason;
    call_gone(owner);
}

static const kq_conn_handler call_handler = {on_call_message, on_call_closed};

/* Whether the peer of fd runs as this user. */
static bool same_user(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
           cred.uid == geteuid();
}

static void on_accept(kq_loop *loop, int fd, int events, void *arg)
{
    relay *r = arg;
    int s;

    (void)loop;
    (void)events;
    while ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        call *c, **tail;

        if (!same_user(s) || !(c = calloc(1, sizeof *c))) {
            close(s);
            continue;
        }
        c->r = r;
        if (kq_conn_open(&c->conn, &r->hub, s, KQ_SESSION_MAX_MESSAGE, &call_handler, c) < 0) {
            close(s);
            free(c);
            continue;
        }
        for (tail = &r->calls; *tail; tail = &(*tail)->next)
            ;
        *tail = c;
        kq_loop_timer_cancel(r->loop, r->idle_timer);
        r->idle_timer = 0;
    }
}

/* ---- the relay -------------------------------------------------------- */

static void stop_listening(relay *r)
{
    if (r->listen_fd < 0)
        return;
    kq_loop_unwatch(r->loop, r->listen_fd);
    close(r->listen_fd);
    r->listen_fd = -1;
    /* New calls connect by themselves from now on. */
    unlink(r->where.sock);
}

/* Stops taking calls: the waiting ones are closed (they connect by
 * themselves), the pool says Bye; the calls running finish first, and the
 * loop ends once nothing is left. */
static void relay_stop(relay *r, int rc, const char *why)
{
    kq_c2s bye = {.tag = KQ_C2S_BYE};

    if (r->stopping)
        return;
    r->stopping = true;
    r->rc = rc;
    if (rc < 0)
        kq_error_set(r->err, "%s", why);
    else
        fprintf(stderr, "kueue relay: stopped: %s\n", why);
    stop_listening(r);
    for (call *c = r->calls; c; c = c->next)
        if (!c->dead && !c->paired) {
            kq_conn_close(&c->conn);
            call_gone(c);
        }
    for (uplink *l = r->links; l; l = l->next) {
        if (l->state == L_READY) {
            kq_c2s_encode(&bye, kq_conn_out(&l->conn));
            kq_conn_queued(&l->conn);
            kq_conn_close_after_flush(&l->conn);
        } else if (l->state < L_READY) {
            kq_conn_close(&l->conn);
            link_gone(l);
        }
    }
}

static void on_idle(kq_loop *loop, void *arg)
{
    relay *r = arg;
    char why[64];

    (void)loop;
    r->idle_timer = 0;
    snprintf(why, sizeof why, "no call for %llu s",
             (unsigned long long)r->cfg->client_settings.relay_idle_seconds);
    relay_stop(r, 0, why);
}

static void on_grace_over(kq_loop *loop, void *arg)
{
    (void)arg;
    kq_loop_stop(loop);
}

static void on_signal(kq_loop *loop, int signo, void *arg)
{
    relay *r = arg;
    char why[64];

    snprintf(why, sizeof why, "signal %d", signo);
    relay_stop(r, 0, why);
    if (!kq_loop_timer(loop, STOP_GRACE_MS, on_grace_over, r))
        kq_loop_stop(loop);
    /* Running calls are cut: their side gets what is queued, then the end. */
    for (call *c = r->calls; c; c = c->next)
        if (!c->dead)
            kq_conn_close_after_flush(&c->conn);
}

/* Frees the links and calls closed this turn. */
static void sweep(relay *r)
{
    for (uplink **p = &r->links; *p;) {
        uplink *l = *p;

        if (l->state == L_DEAD && !kq_conn_is_open(&l->conn)) {
            *p = l->next;
            free(l);
        } else
            p = &l->next;
    }
    for (call **p = &r->calls; *p;) {
        call *c = *p;

        if (c->dead && !kq_conn_is_open(&c->conn)) {
            *p = c->next;
            free(c);
        } else
            p = &c->next;
    }
    r->swept_needed = false;
}

/* Before the loop sleeps: output out, holds, the dead freed, the pool
 * filled, the idle clock, and the end. */
static void before_sleep(kq_loop *loop, void *arg)
{
    relay *r = arg;
    uint64_t idle = r->cfg->client_settings.relay_idle_seconds;

    kq_conn_hub_flush(&r->hub);
    if (r->holds)
        release_holds(r);
    if (r->swept_needed)
        sweep(r);
    /* A handshake while a call runs would be served by the server in
     * the middle of that call's requests: only when none runs, or when
     * calls wait. */
    while (!r->stopping && r->ready + r->preparing < POOL &&
           (r->active == 0 || r->ready + r->preparing < r->waiting))
        link_start(r);
    if (!r->stopping && !r->calls && idle && !r->idle_timer)
        r->idle_timer = kq_loop_timer(loop, idle * 1000, on_idle, r);
    if (r->stopping && !r->calls && !r->links)
        kq_loop_stop(loop);
}

/* Takes the lock of the relay's place (and writes our pid into it). */
static int take_lock(relay *r, kq_error *err)
{
    char pid[32];
    int n;

    r->lock_fd = open(r->where.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (r->lock_fd < 0) {
        kq_error_set(err, "open %s: %s", r->where.lock, strerror(errno));
        return -errno;
    }
    if (flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;

        if (e == EWOULDBLOCK) {
            kq_error_set(err, "a relay for %s already runs (pid %ld)", r->server,
                         kq_relay_running(&r->where));
            return -EALREADY;
        }
        kq_error_set(err, "flock %s: %s", r->where.lock, strerror(e));
        return -e;
    }
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(r->lock_fd, 0) < 0 || pwrite(r->lock_fd, pid, (size_t)n, 0) != n) {
        kq_error_set(err, "write %s: %s", r->where.lock, strerror(errno));
        return -EIO;
    }
    return 0;
}

static int resolve(relay *r, kq_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    char port[8];
    int rc;

    snprintf(port, sizeof port, "%u", (unsigned)r->cfg->common_settings.server_port);
    rc = getaddrinfo(r->cfg->common_settings.server_name, port, &hints, &r->addrs);
    if (rc != 0) {
        kq_error_set(err, "resolve %s: %s", r->server, gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    return 0;
}

static int listen_on(relay *r, kq_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    mode_t old;
    int rc = 0;

    r->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->listen_fd < 0) {
        kq_error_set(err, "socket: %s", strerror(errno));
        return -errno;
    }
    memcpy(addr.sun_path, r->where.sock, strlen(r->where.sock) + 1);
    /* A socket left by a relay that died: we hold the lock. */
    unlink(r->where.sock);
    old = umask(077);
    if (bind(r->listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(r->listen_fd, 128) < 0) {
        rc = -errno;
        kq_error_set(err, "listen on %s: %s", r->where.sock, strerror(errno));
    }
    umask(old);
    if (rc == 0 && (rc = kq_loop_watch(r->loop, r->listen_fd, KQ_READABLE, on_accept, r)) < 0)
        kq_error_set(err, "out of memory");
    return rc;
}

int kq_relay_run(const kq_config *cfg, kq_error *err)
{
    relay r = {.cfg = cfg, .listen_fd = -1, .lock_fd = -1, .err = err};
    const char *file = cfg->file ? cfg->file : "the configuration";
    int rc;

    kq_net_host_port(r.server, sizeof r.server, cfg->common_settings.server_name,
                     cfg->common_settings.server_port);
    if (kq_tls_mode_parse(cfg->common_settings.encryption) == KQ_TLS_OFF) {
        kq_error_set(err, "the relay keeps TLS connections, and common_settings.encryption "
                          "is \"off\" in %s", file);
        return -EINVAL;
    }
    if ((rc = kq_relay_where_of(cfg, &r.where, err)) < 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    /* The configuration is read: hold no directory of the caller's. */
    if (chdir("/") < 0) {
        kq_error_set(err, "chdir /: %s", strerror(errno));
        return -errno;
    }
    if ((rc = take_lock(&r, err)) < 0 || (rc = resolve(&r, err)) < 0 ||
        (rc = kq_tls_ctx_new(false, cfg->common_settings.shared_secret, &r.tls, err)) < 0)
        goto out;
    if ((rc = kq_loop_new(&r.loop)) < 0) {
        kq_error_set(err, "out of memory");
        goto out;
    }
    r.hub.loop = r.loop;
    if ((rc = listen_on(&r, err)) < 0)
        goto out;
    if ((rc = kq_loop_signal(r.loop, SIGTERM, on_signal, &r)) < 0 ||
        (rc = kq_loop_signal(r.loop, SIGINT, on_signal, &r)) < 0 ||
        (rc = kq_loop_signal(r.loop, SIGHUP, on_signal, &r)) < 0) {
        kq_error_set(err, "sigaction: %s", strerror(-rc));
        goto out;
    }
    kq_loop_before_sleep(r.loop, before_sleep, &r);
    if ((rc = kq_loop_run(r.loop)) < 0)
        kq_error_set(err, "select: %s", strerror(-rc));
    else
        rc = r.rc;
out:
    for (uplink *l = r.links, *next; l; l = next) {
        next = l->next;
        kq_dial_cancel(&l->dial);
        kq_conn_close(&l->conn);
        free(l);
    }
    for (call *c = r.calls, *next; c; c = next) {
        next = c->next;
        kq_conn_close(&c->conn);
        free(c);
    }
    if (r.listen_fd >= 0) {
        close(r.listen_fd);
        unlink(r.where.sock);
    }
    if (r.loop)
        kq_loop_free(r.loop);
    kq_tls_ctx_free(r.tls);
    if (r.addrs)
        freeaddrinfo(r.addrs);
    if (r.lock_fd >= 0)
        close(r.lock_fd);
    return rc;
}

int kq_relay_stop(const kq_config *cfg, kq_error *err)
{
    kq_relay_where w;
    struct timespec pause = {0, 10 * 1000000};
    long pid;
    int rc;

    if ((rc = kq_relay_where_of(cfg, &w, err)) < 0)
        return rc;
    if ((pid = kq_relay_running(&w)) == 0) {
        printf("No relay runs for this server.\n");
        return 0;
    }
    if (kill((pid_t)pid, SIGTERM) < 0) {
        kq_error_set(err, "kill %ld: %s", pid, strerror(errno));
        return -errno;
    }
    for (int waited = 0; waited < STOP_WAIT_MS; waited += 10) {
        if (kq_relay_running(&w) != pid) {
            printf("Stopped the relay (pid %ld).\n", pid);
            return 0;
        }
        nanosleep(&pause, NULL);
    }
    kq_error_set(err, "the relay (pid %ld) did not exit within %d s", pid, STOP_WAIT_MS / 1000);
    return -ETIMEDOUT;
}
