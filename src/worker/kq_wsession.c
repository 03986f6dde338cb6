/*
 * kq_wsession.c - the worker's server session (see kq_wsession.h).
 *
 * States: idle -> resolving (kq_resolve, polled) -> connecting
 * (non-blocking connect to each address in turn) -> welcome -> challenge
 * -> accepted? -> ready -> (lost) -> waiting -> resolving ...  The name is
 * looked up again on every attempt: a server may move to another address
 * while workers wait for it.
 * The owner's lost and fatal callbacks always run from a timer of their
 * own, never from inside kq_wsession_send or kq_wsession_flush, so the
 * owner never sees its state change under its feet.
 */
#include "kq_wsession.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kq_auth.h"
#include "kq_log.h"
#include "kq_net.h"
#include "kq_dial.h"
#include "kq_resolve.h"

typedef enum state {
    ST_IDLE,       /* not started */
    ST_WAITING,    /* retry timer armed */
    ST_RESOLVING,  /* name lookup in progress */
    ST_CONNECTING, /* connect in progress */
    ST_WELCOME,    /* Hello sent, WelcomeWorker expected */
    ST_CHALLENGE,  /* AuthChallenge expected */
    ST_ACCEPT,     /* AuthResponse sent, AuthAccepted expected */
    ST_READY,
    ST_CLOSING,    /* Bye being written */
    ST_STOPPED,
} state;

struct kq_wsession {
    kq_loop *loop;
    kq_wsession_opts opts;
    const kq_wsession_handler *handler;
    void *owner;
    kq_conn_hub hub;
    kq_conn conn;            /* fd -1 when closed */
    kq_dial dial;            /* during ST_CONNECTING */
    kq_resolve *lookup;      /* during ST_RESOLVING */
    struct addrinfo *addrs;  /* the server's addresses, while connecting */
    state st;
    unsigned level;          /* extension level of the session */
    char state_id[KQ_WSESSION_STATE_ID_MAX]; /* the server's, or "" */
    uint64_t output_keep;    /* the server's, or KQ_WSESSION_OUTPUT_KEEP */
    bool established;        /* some session reached ready */
    bool stopping;
    unsigned failures;       /* consecutive failed attempts */
    kq_tls_ctx *tls;         /* made at the first TLS attempt */
    bool plain;              /* auto: the server spoke no TLS last time */
    bool warned_plain;       /* that was logged */
    uint64_t retry_timer, handshake_timer, notify_timer, lookup_timer;
    bool notify_lost;        /* what the notify timer reports */
    char fatal_reason[KQ_ERROR_MAX];
    char where[300];         /* host:port, for messages */
};

static void on_conn_message(void *owner, const char *msg, size_t len);
static void on_conn_closed(void *owner, const char *reason);
static const kq_conn_handler conn_handler = {on_conn_message, on_conn_closed};

static void attempt(kq_loop *loop, void *arg);

/* ---- tearing down --------------------------------------------------- */

/* Forgets the lookup and the addresses of the current attempt. */
static void drop_addresses(kq_wsession *s)
{
    kq_loop_timer_cancel(s->loop, s->lookup_timer);
    s->lookup_timer = 0;
    kq_resolve_free(s->lookup);
    s->lookup = NULL;
    if (s->addrs)
        freeaddrinfo(s->addrs);
    s->addrs = NULL;
}

/* Closes whatever connection or attempt exists and its timers. */
static void drop_connection(kq_wsession *s)
{
    kq_loop_timer_cancel(s->loop, s->handshake_timer);
    s->handshake_timer = 0;
    kq_dial_cancel(&s->dial);
    drop_addresses(s);
    kq_conn_close(&s->conn);
}

/* Tells the owner what happened (lost, then fatal), from a timer of its
 * own so that no owner call is ever interrupted by it. */
static void on_notify(kq_loop *loop, void *arg)
{
    kq_wsession *s = arg;

    (void)loop;
    s->notify_timer = 0;
    if (s->notify_lost) {
        s->notify_lost = false;
        s->handler->lost(s->owner);
    }
    if (s->fatal_reason[0]) {
        char reason[KQ_ERROR_MAX];

        memcpy(reason, s->fatal_reason, sizeof reason);
        s->fatal_reason[0] = '\0';
        s->handler->fatal(s->owner, reason);
    }
}

static void notify_later(kq_wsession *s)
{
    if (!s->notify_timer)
        s->notify_timer = kq_loop_timer(s->loop, 0, on_notify, s);
}

/* The next wait: 1 s doubling to the maximum, jittered by +-25 %. */
static uint64_t backoff_ms(kq_wsession *s)
{
    uint64_t step = 1000, max = s->opts.max_backoff_ms;

    for (unsigned i = 0; i < s->failures && step < max; i++)
        step *= 2;
    if (step > max)
        step = max;
    if (s->failures < 64)
        s->failures++;
    return step * 3 / 4 + (uint64_t)random() % (step / 2 + 1);
}

/*
 * The attempt or the session failed.  First connection: fatal (reported
 * to the owner, no retry).  Later: the owner hears of a lost session and a
 * retry is scheduled; when stopping, the session just ends.
 */
static void failed(kq_wsession *s, const char *reason)
{
    bool was_session = s->st == ST_READY || s->st == ST_CLOSING;

    drop_connection(s);
    if (was_session) {
        s->notify_lost = true;
        notify_later(s);
    }
    if (s->stopping) {
        s->st = ST_STOPPED;
        return;
    }
    if (!s->established) {
        s->st = ST_STOPPED;
        snprintf(s->fatal_reason, sizeof s->fatal_reason, "%s", reason);
        notify_later(s);
        return;
    }
    s->st = ST_WAITING;
    {
        uint64_t wait = backoff_ms(s);

        if (was_session)
            kq_warn("Lost connection to server %s: %s; reconnecting in %.1f s",
                    s->where, reason, (double)wait / 1000);
        else
            kq_warn("Failed to reconnect to server: %s; next attempt in %.1f s",
                    reason, (double)wait / 1000);
        s->retry_timer = kq_loop_timer(s->loop, wait, attempt, s);
    }
}

/* ---- connecting ----------------------------------------------------- */

/* The attempt could not reach the server: why, with what to check. */
static void unreachable(kq_wsession *s, const char *why)
{
    kq_error reason;

    kq_error_set(&reason, "%s: is kueue_server running on %s? "
                          "(server_name/server_port in %s)",
                 why, s->where, s->opts.config_file ? s->opts.config_file
                                                    : "the configuration");
    failed(s, reason.msg);
}

/* Starts TLS on the new connection unless this attempt is in plain text.
 * 0, or -errno with why (the attempt failed). */
static int start_tls(kq_wsession *s, char why[KQ_ERROR_MAX])
{
    kq_error err;
    int rc;

    if (s->opts.encryption == KQ_TLS_OFF || s->plain)
        return 0;
    if (!s->tls && (rc = kq_tls_ctx_new(false, s->opts.secret, &s->tls, &err)) < 0) {
        snprintf(why, KQ_ERROR_MAX, "%s", err.msg);
        return rc;
    }
    if ((rc = kq_conn_start_tls(&s->conn, s->tls)) < 0)
        snprintf(why, KQ_ERROR_MAX, "connect %s: %s", s->where, strerror(-rc));
    return rc;
}

/* Connected: the connection takes over fd and says hello. */
static void open_conn(kq_wsession *s, int fd)
{
    kq_hello hello = {.tag = KQ_HELLO_HELLO_FROM_WORKER};
    char why[KQ_ERROR_MAX];
    int rc;

    drop_addresses(s);

    if ((rc = kq_conn_open(&s->conn, &s->hub, fd, KQ_FRAMER_DEFAULT_MAX,
                           &conn_handler, s)) < 0) {
        close(fd);
        s->conn.fd = -1;
        snprintf(why, sizeof why, "connect %s: %s", s->where, strerror(-rc));
        failed(s, why);
        return;
    }
    if (start_tls(s, why) < 0) {
        failed(s, why);
        return;
    }
    /* A message too long is skipped, not fatal: an offer of a job too
     * large for us is then rejected instead of lost with the connection
     * and offered again for ever. */
    kq_framer_skip_oversized(&s->conn.in, NULL);
    s->st = ST_WELCOME;
    s->level = 0;
    s->state_id[0] = '\0';
    s->output_keep = KQ_WSESSION_OUTPUT_KEEP;
    hello.hello_from_worker.worker_name = kq_str_view(s->opts.worker_name);
    /* An original server ignores it (a field it does not know). */
    hello.hello_from_worker.has_extension_level = true;
    hello.hello_from_worker.extension_level = KQ_PROTOCOL_EXTENSION_LEVEL;
    hello.hello_from_worker.has_output_limit = true;
    hello.hello_from_worker.output_limit = s->opts.output_limit;
    hello.hello_from_worker.allocation = kq_str_view(s->opts.allocation);
    kq_hello_encode(&hello, kq_conn_out(&s->conn));
    kq_conn_queued(&s->conn);
}

/* Connected to one of the server's addresses, or to none (the attempt
 * failed with the error of the last one). */
static void on_dialed(void *arg, int fd, int err)
{
    kq_wsession *s = arg;
    char why[KQ_ERROR_MAX];

    if (fd >= 0) {
        open_conn(s, fd);
        return;
    }
    snprintf(why, sizeof why, "connect %s: %s", s->where, strerror(err));
    unreachable(s, why);
}

static void on_handshake_timeout(kq_loop *loop, void *arg)
{
    kq_wsession *s = arg;
    char why[400];

    (void)loop;
    s->handshake_timer = 0;
    snprintf(why, sizeof why, "%s %s: no answer within %u s",
             s->st == ST_CONNECTING ? "connect" : "handshake with", s->where,
             KQ_WSESSION_HANDSHAKE_MS / 1000);
    if (s->st == ST_CONNECTING)
        unreachable(s, why);
    else
        failed(s, why);
}

/* Polls the name lookup until it answers, then connects.  The resolver has
 * its own time limits, so the lookup is not bounded here. */
static void on_lookup(kq_loop *loop, void *arg)
{
    kq_wsession *s = arg;
    kq_error err;
    int rc;

    (void)loop;
    s->lookup_timer = 0;
    rc = kq_resolve_poll(s->lookup, &s->addrs, &err);
    if (rc == -EINPROGRESS) {
        s->lookup_timer = kq_loop_timer(s->loop, KQ_WSESSION_LOOKUP_POLL_MS,
                                        on_lookup, s);
        return;
    }
    kq_resolve_free(s->lookup);
    s->lookup = NULL;
    if (rc < 0) {
        unreachable(s, err.msg);
        return;
    }
    s->st = ST_CONNECTING;
    s->handshake_timer = kq_loop_timer(s->loop, KQ_WSESSION_HANDSHAKE_MS,
                                       on_handshake_timeout, s);
    kq_dial_start(&s->dial, s->loop, s->addrs, on_dialed, s);
}

/* One connection attempt: look the server up, then connect to each of its
 * addresses in turn; a timer bounds connect plus handshake. */
static void attempt(kq_loop *loop, void *arg)
{
    kq_wsession *s = arg;
    char host[256];
    uint16_t port;
    kq_error err;

    (void)loop;
    s->retry_timer = 0;
    if (kq_net_split(s->opts.server_name, s->opts.server_port, host, sizeof host,
                     &port) < 0) {
        snprintf(err.msg, sizeof err.msg, "invalid server_name \"%s\"",
                 s->opts.server_name);
        failed(s, err.msg);
        return;
    }
    kq_net_host_port(s->where, sizeof s->where, host, port);
    s->st = ST_RESOLVING;
    if (kq_resolve_start(host, port, &s->lookup, &err) < 0) {
        unreachable(s, err.msg);
        return;
    }
    on_lookup(s->loop, s);
}

/* ---- the handshake and the session ---------------------------------- */

/* "Expected X, received: <message>" with the message cut short. */
static void unexpected(kq_wsession *s, const char *expected, const char *msg,
                       size_t len)
{
    char why[KQ_ERROR_MAX];

    snprintf(why, sizeof why, "Expected %s, received: %.*s%s", expected,
             (int)(len > 200 ? 200 : len), msg, len > 200 ? "..." : "");
    failed(s, why);
}

/* The server refused the secret. */
static void refused(kq_wsession *s)
{
    kq_error reason;

    kq_error_set(&reason, "Authentication failed! The shared_secret in %s must "
                          "be the server's.",
                 s->opts.config_file ? s->opts.config_file : "the configuration");
    failed(s, reason.msg);
}

/* Answers the AuthChallenge with the shared secret's response; a
 * Kueue-C server's challenge also says its extension level. */
static void on_challenge(kq_wsession *s, const kq_s2w_auth_challenge *c)
{
    const kq_str *salt = &c->salt;
    char response[KQ_AUTH_RESPONSE_LEN + 1];
    kq_w2s m = {.tag = KQ_W2S_AUTH_RESPONSE};

    s->level = !c->has_extension_level ? 0
               : c->extension_level < KQ_PROTOCOL_EXTENSION_LEVEL
                   ? (unsigned)c->extension_level
                   : KQ_PROTOCOL_EXTENSION_LEVEL;
    /* A NUL inside would only shorten it: ids are compared as text. */
    if (s->level && c->state_id.ptr)
        snprintf(s->state_id, sizeof s->state_id, "%s", c->state_id.ptr);
    if (s->level && c->has_output_keep)
        s->output_keep = c->output_keep;
    if (kq_auth_response(s->opts.secret, strlen(s->opts.secret), salt->ptr,
                         salt->len, response) < 0) {
        failed(s, "Failed to compute the authentication response");
        return;
    }
    m.auth_response = kq_str_view(response);
    kq_w2s_encode(&m, kq_conn_out(&s->conn));
    kq_conn_queued(&s->conn);
    s->st = ST_ACCEPT;
}

static void on_ready(kq_wsession *s)
{
    kq_loop_timer_cancel(s->loop, s->handshake_timer);
    s->handshake_timer = 0;
    s->st = ST_READY;
    s->established = true;
    s->failures = 0;
    kq_info("Established connection to server %s!", s->where);
    if (s->conn.tls)
        kq_info("The connection is encrypted: TLS 1.3, %s, %s", kq_tls_cipher(s->conn.tls),
                kq_tls_group(s->conn.tls));
    else
        kq_info("The connection is in plain text (encryption = \"%s\")",
                s->opts.encryption == KQ_TLS_OFF ? "off" : "auto");
    if (s->level)
        kq_info("The server speaks Kueue-C extension level %u (Kueue-C %s); its state is %s",
                s->level, kq_protocol_extension_release(s->level),
                s->state_id[0] ? s->state_id : "in memory only");
    else
        kq_info("The server speaks the original protocol: no Kueue-C extensions");
    s->handler->ready(s->owner);
}

static void skip_ws(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n'))
        (*p)++;
}

/* Skips whitespace, then the token text if it comes next. */
static bool expect(const char **p, const char *end, const char *text)
{
    size_t n = strlen(text);

    skip_ws(p, end);
    if ((size_t)(end - *p) < n || memcmp(*p, text, n) != 0)
        return false;
    *p += n;
    return true;
}

/* The job id of an OfferJob from its first bytes:
 * {"OfferJob":{"job_id":<digits> (the JobInfo starts with job_id). */
static bool offer_job_id(const char *head, size_t len, uint64_t *id)
{
    const char *p = head, *end = head + len;
    uint64_t v = 0;
    size_t digits = 0;

    if (!expect(&p, end, "{") || !expect(&p, end, "\"OfferJob\"") ||
        !expect(&p, end, ":") || !expect(&p, end, "{") ||
        !expect(&p, end, "\"job_id\"") || !expect(&p, end, ":"))
        return false;
    skip_ws(&p, end);
    for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    /* The number must end inside the head, or it may have been cut. */
    if (digits == 0 || p == end)
        return false;
    *id = v;
    return true;
}

/* A message over the size limit, skipped by the framer: head holds its
 * first bytes, size its length. */
static void on_oversized(kq_wsession *s, const char *head, size_t len,
                         size_t size)
{
    char why[KQ_ERROR_MAX];
    uint64_t id;

    if (s->st != ST_READY) {
        snprintf(why, sizeof why, "message larger than %u bytes",
                 KQ_FRAMER_DEFAULT_MAX);
        failed(s, why);
    } else if (offer_job_id(head, len, &id)) {
        s->handler->offer_too_large(s->owner, id, size);
    } else {
        kq_warn("Skipped a message of %zu bytes from the server, more than "
                "the %u a message may have: %.*s...", size,
                KQ_FRAMER_DEFAULT_MAX, (int)(len < 60 ? len : 60), head);
    }
}

/* A message from the server: the handshake's next step, or, once ready,
 * for the owner.  msg is only valid during the call, so any error text is
 * made from it before the connection is closed. */
static void on_conn_message(void *owner, const char *msg, size_t len)
{
    kq_wsession *s = owner;
    kq_s2w m;
    kq_error err;

    if (s->st == ST_CLOSING)
        return;
    if (kq_framer_skipped(&s->conn.in)) {
        on_oversized(s, msg, len, kq_framer_skipped(&s->conn.in));
        return;
    }
    if (kq_s2w_decode_framed(msg, len, &m, &err) != 0) {
        char why[KQ_ERROR_MAX + 32];

        snprintf(why, sizeof why, "invalid message: %s", err.msg);
        failed(s, why);
        return;
    }
    switch (s->st) {
    case ST_WELCOME:
        if (m.tag == KQ_S2W_WELCOME_WORKER)
            s->st = ST_CHALLENGE;
        else
            unexpected(s, "WelcomeWorker", msg, len);
        break;
    case ST_CHALLENGE:
        if (m.tag == KQ_S2W_AUTH_CHALLENGE)
            on_challenge(s, &m.auth_challenge);
        else
            unexpected(s, "AuthChallenge", msg, len);
        break;
    case ST_ACCEPT:
        if (m.tag != KQ_S2W_AUTH_ACCEPTED)
            unexpected(s, "AuthAccepted", msg, len);
        else if (!m.auth_accepted)
            refused(s);
        else
            on_ready(s);
        break;
    case ST_READY:
        if (m.tag == KQ_S2W_WELCOME_WORKER || m.tag == KQ_S2W_AUTH_CHALLENGE ||
            m.tag == KQ_S2W_AUTH_ACCEPTED)
            kq_warn("Ignoring a repeated %s from the server",
                    kq_s2w_tag_name(m.tag));
        else if (m.tag == KQ_S2W_BYE)
            failed(s, "the server said Bye");
        else
            s->handler->message(s->owner, &m);
        break;
    default:
        break;
    }
    kq_s2w_free(&m);
}

/* auto, and the server closed the TLS handshake without a word, as one
 * that does not speak TLS (the original) does: connect again at once in
 * plain text. */
static void fall_back_to_plain(kq_wsession *s)
{
    if (!s->warned_plain)
        kq_warn("Server %s closed the TLS handshake without answering, as a server "
                "without TLS does (an original Kueue?): talking in plain text. Set "
                "common_settings.encryption = \"off\" for this server, or \"required\" "
                "to refuse plain text", s->where);
    s->warned_plain = true;
    s->plain = true;
    drop_connection(s);
    s->st = ST_WAITING;
    s->retry_timer = kq_loop_timer(s->loop, 0, attempt, s);
}

static void on_conn_closed(void *owner, const char *reason)
{
    kq_wsession *s = owner;
    char why[KQ_ERROR_MAX];

    if (s->st == ST_CLOSING) {
        failed(s, reason);
        return;
    }
    if (s->st == ST_WELCOME && kq_conn_tls_failed(&s->conn) == KQ_CONN_TLS_SILENT) {
        if (s->opts.encryption == KQ_TLS_AUTO) {
            fall_back_to_plain(s);
            return;
        }
        snprintf(why, sizeof why, "handshake with %s: %s; encryption = \"required\" does "
                 "not fall back to plain text", s->where, reason);
        failed(s, why);
        return;
    }
    if (s->st == ST_WELCOME && kq_conn_tls_failed(&s->conn) == KQ_CONN_TLS_WRONG_KEY) {
        kq_error msg;

        kq_error_set(&msg, "Authentication failed! The shared_secret in %s must be the "
                           "server's (the TLS handshake with %s failed: the keys differ).",
                     s->opts.config_file ? s->opts.config_file : "the configuration",
                     s->where);
        failed(s, msg.msg);
        return;
    }
    /* Plain text closed before any answer: the server may have come to
     * refuse it (allow_plaintext = false), so the next attempt is TLS. */
    if (s->st == ST_WELCOME && s->plain)
        s->plain = false;
    if (s->st == ST_READY)
        snprintf(why, sizeof why, "%s", reason);
    else
        snprintf(why, sizeof why, "handshake with %s: %s", s->where, reason);
    failed(s, why);
}

/* ---- the interface -------------------------------------------------- */

int kq_wsession_new(kq_loop *loop, const kq_wsession_opts *opts,
                    const kq_wsession_handler *handler, void *owner,
                    kq_wsession **out)
{
    kq_wsession *s = calloc(1, sizeof *s);
    struct timespec ts;

    if (!s)
        return -ENOMEM;
    s->loop = loop;
    s->opts = *opts;
    if (s->opts.max_backoff_ms < 1000)
        s->opts.max_backoff_ms = 1000;
    s->handler = handler;
    s->owner = owner;
    s->hub.loop = loop;
    s->conn.fd = -1;
    s->output_keep = KQ_WSESSION_OUTPUT_KEEP;
    kq_dial_init(&s->dial);
    /* Jitter only has to differ between workers restarted together. */
    clock_gettime(CLOCK_REALTIME, &ts);
    srandom((unsigned)ts.tv_nsec ^ (unsigned)getpid());
    *out = s;
    return 0;
}

void kq_wsession_free(kq_wsession *s)
{
    if (!s)
        return;
    drop_connection(s);
    kq_loop_timer_cancel(s->loop, s->retry_timer);
    kq_loop_timer_cancel(s->loop, s->notify_timer);
    kq_tls_ctx_free(s->tls);
    free(s);
}

void kq_wsession_start(kq_wsession *s)
{
    if (s->st == ST_IDLE)
        attempt(s->loop, s);
}

bool kq_wsession_ready(const kq_wsession *s)
{
    return s->st == ST_READY;
}

unsigned kq_wsession_level(const kq_wsession *s)
{
    return s->level;
}

const char *kq_wsession_state_id(const kq_wsession *s)
{
    return s->state_id;
}

uint64_t kq_wsession_output_keep(const kq_wsession *s)
{
    return s->output_keep;
}

bool kq_wsession_send(kq_wsession *s, const kq_w2s *m)
{
    if (s->st != ST_READY)
        return false;
    if (kq_w2s_encode_at(m, s->level, kq_conn_out(&s->conn)) == -EPROTO) {
        kq_err("Not sending %s to the server: it is a protocol extension of level %u, "
               "and the server speaks level %u (a bug)", kq_w2s_tag_name(m->tag),
               kq_w2s_tag_level(m->tag), s->level);
        return false;
    }
    kq_conn_queued(&s->conn);
    return true;
}

void kq_wsession_flush(kq_wsession *s)
{
    kq_conn_hub_flush(&s->hub);
}

uint64_t kq_wsession_queued_end(const kq_wsession *s)
{
    return kq_conn_end(&s->conn);
}

uint64_t kq_wsession_acked(const kq_wsession *s)
{
    return kq_conn_acked(&s->conn);
}

size_t kq_wsession_unsent(const kq_wsession *s)
{
    return kq_conn_is_open(&s->conn) ? kq_conn_unsent(&s->conn) : 0;
}

bool kq_wsession_stop(kq_wsession *s)
{
    kq_w2s bye = {.tag = KQ_W2S_BYE};

    s->stopping = true;
    kq_loop_timer_cancel(s->loop, s->retry_timer);
    s->retry_timer = 0;
    if (s->st == ST_READY) {
        kq_w2s_encode(&bye, kq_conn_out(&s->conn));
        kq_conn_queued(&s->conn);
        s->st = ST_CLOSING;
        kq_conn_close_after_flush(&s->conn);
        return true;
    }
    if (s->st == ST_CLOSING)
        return true;
    drop_connection(s);
    s->st = ST_STOPPED;
    return false;
}
