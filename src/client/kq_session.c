/*
 * kq_session.c - the client's connection to the server (see
 * kq_session.h).  Owns the socket, the TLS state and both buffers; the
 * socket is non-blocking and every wait is a poll() on both directions.
 */
#include "kq_session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kq_auth.h"
#include "kq_loop.h"
#include "kq_net.h"
#include "kq_relay_link.h"
#include "kq_utf8.h"

/* How much of an unexpected message an error message quotes. */
#define UNEXPECTED_QUOTE 300
/* Bytes asked of each read. */
#define READ_CHUNK 65536

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Through TLS or straight to the socket: bytes, or -errno (-EAGAIN). */
static ssize_t transport_send(kq_session *s, const void *p, size_t n)
{
    ssize_t r;

    if (s->tls)
        return kq_tls_write(s->tls, p, n);
    r = send(s->fd, p, n, MSG_NOSIGNAL);
    return r < 0 ? -errno : r;
}

/* The same for reading; 0 at the end of the stream. */
static ssize_t transport_recv(kq_session *s, void *p, size_t n)
{
    ssize_t r;

    if (s->tls)
        return kq_tls_read(s->tls, p, n);
    r = recv(s->fd, p, n, 0);
    return r < 0 ? -errno : r;
}

static const char *transport_error(const kq_session *s, ssize_t rc)
{
    return s->tls ? kq_tls_error(s->tls) : strerror((int)-rc);
}

/* Writes as much queued output as the transport takes now (over TLS in a
 * batch, records that kq_tls keeps until the flush). */
static int write_queued(kq_session *s, kq_error *err)
{
    while (s->out.len > s->kept) {
        ssize_t n = transport_send(s, (const char *)kq_buf_ptr(&s->out) + s->kept,
                                   s->out.len - s->kept);

        if (n < 0) {
            if (n == -EINTR)
                continue;
            if (n == -EAGAIN)
                return 0;
            kq_error_set(err, "send to the server: %s", transport_error(s, n));
            return (int)n;
        }
        /* Until the relay said it passes them on, they may have to be
         * sent again to the server itself. */
        if (s->await_relay)
            s->kept += (size_t)n;
        else
            kq_buf_consume(&s->out, (size_t)n);
    }
    return 0;
}

/* Writes queued output, and sends the TLS records kept (the handshake's
 * Finished goes out with the first request), as far as the socket takes
 * them now. */
static int write_some(kq_session *s, kq_error *err)
{
    int rc = write_queued(s, err);

    if (rc < 0 || !s->tls || !kq_tls_unsent(s->tls))
        return rc;
    rc = kq_tls_flush(s->tls);
    if (rc < 0 && rc != -EAGAIN) {
        kq_error_set(err, "send to the server: %s", kq_tls_error(s->tls));
        return rc;
    }
    return 0;
}

/* What a plain-text session closed before any answer adds to its error. */
static const char *refused_hint(const kq_session *s)
{
    return !s->tls && s->await_welcome
               ? " (a server with allow_plaintext = false refuses plain text: set "
                 "common_settings.encryption to \"auto\")"
               : "";
}

/* Reads what the socket has into the framer. */
static int read_some(kq_session *s, kq_error *err)
{
    for (;;) {
        size_t avail;
        char *p = kq_framer_space(&s->in, READ_CHUNK, &avail);
        ssize_t n;
        int e;

        if (!p) {
            kq_error_set(err, "out of memory reading from the server");
            return -ENOMEM;
        }
        n = s->eof ? 0 : transport_recv(s, p, avail);
        if (n > 0) {
            kq_framer_commit(&s->in, (size_t)n);
            /* A short read drained the socket; TLS reads a record at a
             * time, so it goes on until it would wait. */
            if ((size_t)n < avail && !s->tls)
                return 0;
            continue;
        }
        if (n == 0) {
            /* TLS reads on to the end of the stream in one go: messages
             * that came with it are taken before the end is reported. */
            if (!s->eof && kq_framer_buffered(&s->in)) {
                s->eof = true;
                return 0;
            }
            s->eof = true;
            kq_error_set(err, "%s%s",
                         kq_framer_partial(&s->in)
                             ? "the server closed the connection in the middle of a message"
                             : "the server closed the connection",
                         refused_hint(s));
            return -EPIPE;
        }
        e = (int)-n;
        if (e == EINTR)
            continue;
        if (e == EAGAIN)
            return 0;
        kq_error_set(err, "receive from the server: %s%s", transport_error(s, n),
                     e == ECONNRESET ? refused_hint(s) : "");
        return -e;
    }
}

/*
 * Waits until the socket is readable (reading what it has) or, with output
 * queued, writable (writing what it takes), or until deadline_ms (< 0:
 * never).  1 after progress, 0 on timeout, or -errno.
 */
static int pump(kq_session *s, int64_t deadline_ms, kq_error *err)
{
    struct pollfd pfd = {s->fd, POLLIN, 0};
    int timeout = -1, n, rc;

    /* What OpenSSL holds never makes the socket readable; an end already
     * read is reported now. */
    if (s->eof || (s->tls && kq_tls_pending(s->tls)))
        return (rc = read_some(s, err)) < 0 ? rc : 1;
    /* Records kept by a batch are output too (a read may have changed
     * what TLS waits for since). */
    if (s->out.len > s->kept ||
        (s->tls && (kq_tls_wants(s->tls) == KQ_WRITABLE || kq_tls_unsent(s->tls))))
        pfd.events |= POLLOUT;
    if (deadline_ms >= 0) {
        int64_t left = deadline_ms - now_ms();

        timeout = left <= 0 ? 0 : (left > 1000000000 ? 1000000000 : (int)left);
    }
    n = poll(&pfd, 1, timeout);
    if (n < 0) {
        int e = errno;

        if (e == EINTR)
            return 1;
        kq_error_set(err, "poll: %s", strerror(e));
        return -e;
    }
    if (n == 0)
        return 0;
    if ((pfd.revents & POLLOUT) && (rc = write_some(s, err)) < 0)
        return rc;
    if ((pfd.revents & (POLLIN | POLLHUP | POLLERR) || (s->tls && (pfd.revents & POLLOUT))) &&
        (rc = read_some(s, err)) < 0)
        return rc;
    return 1;
}

int kq_session_queue(kq_session *s, const kq_c2s *msg)
{
    /* Nothing is negotiated with the server: a request of an extension
     * goes through kq_session_request_ext, which expects a refusal. */
    if (kq_c2s_tag_level(msg->tag) > 0 && !s->speaks_ext)
        return -EPROTO;
    kq_c2s_encode(msg, &s->out);
    return s->out.oom ? -ENOMEM : 0;
}

bool kq_session_can_queue(const kq_session *s)
{
    return s->out.len < KQ_SESSION_QUEUE_LIMIT;
}

/* Checks (and releases) the answer to the hello or the authentication
 * that was sent ahead of the request. */
static int handshake_reply(kq_session *s, kq_s2c *msg, kq_error *err)
{
    int rc = 0;

    if (s->await_welcome) {
        s->await_welcome = false;
        if (msg->tag != KQ_S2C_WELCOME_CLIENT)
            rc = kq_session_unexpected(err, "WelcomeClient", msg);
    } else {
        s->await_auth = false;
        if (msg->tag != KQ_S2C_AUTH_ACCEPTED)
            rc = kq_session_unexpected(err, "AuthAccepted", msg);
        else if (!msg->auth_accepted) {
            kq_error_set(err, "Authentication failed! The shared_secret in %s "
                              "must be the server's.",
                         s->secret_file);
            rc = -EACCES;
        }
    }
    kq_s2c_free(msg);
    return rc;
}

static void disconnect(kq_session *s);

/* The relay gave no session: the requests go to the server directly. */
static int relay_fallback(kq_session *s, kq_error *err)
{
    kq_session_reopen_fn *reopen = s->reopen;
    const void *ctx = s->reopen_ctx;
    bool auth = s->reopen_auth;
    size_t hello = strlen(KQ_RELAY_HELLO);
    kq_buf saved = KQ_BUF_INIT;
    int rc;

    kq_buf_append(&saved, (const char *)kq_buf_ptr(&s->out) + hello, s->out.len - hello);
    disconnect(s);
    kq_session_close(s);
    if (saved.oom) {
        kq_error_set(err, "out of memory keeping the requests");
        return -ENOMEM;
    }
    if ((rc = reopen(s, ctx, auth, err)) == 0) {
        kq_buf_append(&s->out, kq_buf_ptr(&saved), saved.len);
        if (s->out.oom) {
            kq_error_set(err, "out of memory encoding a request");
            rc = -ENOMEM;
        }
    }
    kq_buf_free(&saved);
    return rc;
}

/* The relay's first message: its word that it passes the requests on. */
static int relay_reply(kq_session *s, const char *json, size_t len)
{
    if (len != strlen(KQ_RELAY_READY) || memcmp(json, KQ_RELAY_READY, len) != 0)
        return -EPROTO;
    s->await_relay = false;
    kq_buf_consume(&s->out, s->kept);
    s->kept = 0;
    return 0;
}

int kq_session_recv(kq_session *s, kq_s2c *msg, int timeout_ms, kq_error *err)
{
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    int rc;

    if (s->out.oom) {
        kq_error_set(err, "out of memory encoding a request");
        return -ENOMEM;
    }
    if ((rc = write_some(s, err)) < 0)
        return rc;
    for (;;) {
        const char *json;
        size_t len;
        kq_error why;

        rc = kq_framer_next(&s->in, &json, &len, &why);
        if (s->await_relay) {
            int64_t until = s->relay_deadline;

            if (rc == 1 && relay_reply(s, json, len) == 0)
                continue;
            if (rc == 0) {
                bool theirs = deadline >= 0 && deadline < until;

                rc = pump(s, theirs ? deadline : until, &why);
                if (rc > 0)
                    continue;
                if (rc == 0 && theirs)
                    return 0;
            }
            if ((rc = relay_fallback(s, err)) < 0 || (rc = write_some(s, err)) < 0)
                return rc;
            continue;
        }
        if (rc < 0) {
            kq_error_set(err, "invalid data from the server: %s", why.msg);
            return rc;
        }
        if (rc == 1) {
            rc = kq_s2c_decode_framed(json, len, msg, &why);
            if (rc < 0) {
                kq_error_set(err, "invalid message from the server: %s",
                             why.msg);
                return rc;
            }
            if (s->await_welcome || s->await_auth) {
                if ((rc = handshake_reply(s, msg, err)) < 0)
                    return rc;
                continue;
            }
            return 1;
        }
        if ((rc = pump(s, deadline, err)) <= 0)
            return rc;
    }
}

int kq_session_request(kq_session *s, const kq_c2s *msg, kq_s2c *reply,
                       kq_error *err)
{
    int rc;

    if ((rc = kq_session_queue(s, msg)) < 0) {
        if (rc == -EPROTO)
            kq_error_set(err, "%s is a Kueue-C extension: not sent as a plain request",
                         kq_c2s_tag_name(msg->tag));
        else
            kq_error_set(err, "out of memory encoding a request");
        return rc;
    }
    rc = kq_session_recv(s, reply, -1, err);
    return rc < 0 ? rc : 0;
}

int kq_session_request_ext(kq_session *s, const kq_c2s *msg,
                           const char *feature, kq_s2c *reply, kq_error *err)
{
    int rc;

    kq_c2s_encode(msg, &s->out);
    if (s->out.oom) {
        kq_error_set(err, "out of memory encoding a request");
        return -ENOMEM;
    }
    rc = kq_session_recv(s, reply, -1, err);
    if (rc == -EPIPE || rc == -ECONNRESET) {
        kq_error_set(err, "this server does not support %s (an original Kueue server?)",
                     feature);
        return -EOPNOTSUPP;
    }
    if (rc < 0)
        return rc;
    s->speaks_ext = true;
    return 0;
}

/* Runs the TLS handshake to its end, waiting at most
 * KQ_SESSION_HANDSHAKE_MS.  Its records are kept in a batch and sent by
 * flushes: the ClientHello as soon as it is made, the Finished with the
 * first request (write_some), which spares a send and a wake-up of the
 * server.  0 or -errno with err. */
static int handshake(kq_session *s, const char *where, kq_error *err)
{
    int64_t deadline = now_ms() + KQ_SESSION_HANDSHAKE_MS;

    kq_tls_batch(s->tls);
    for (;;) {
        struct pollfd pfd = {s->fd, POLLIN, 0};
        int rc = kq_tls_handshake(s->tls);
        int64_t left = deadline - now_ms();

        if (rc == 1)
            return 0;
        if (rc == -EAGAIN && kq_tls_unsent(s->tls)) {
            rc = kq_tls_flush(s->tls);
            kq_tls_batch(s->tls);
            if (rc == 0)
                rc = -EAGAIN;
        }
        if (rc != -EAGAIN) {
            /* The alert of a failure still goes to the server. */
            (void)kq_tls_flush(s->tls);
            if (kq_tls_wrong_key(s->tls))
                kq_error_set(err, "the TLS handshake with %s failed: the keys differ", where);
            else
                kq_error_set(err, "server %s: %s", where, kq_tls_error(s->tls));
            return rc == -EPROTO && kq_tls_wrong_key(s->tls) ? -EACCES : rc;
        }
        if (kq_tls_wants(s->tls) == KQ_WRITABLE)
            pfd.events = POLLOUT;
        if (left <= 0 || (rc = poll(&pfd, 1, (int)left)) == 0) {
            kq_error_set(err, "server %s: no TLS handshake within %d s", where,
                         KQ_SESSION_HANDSHAKE_MS / 1000);
            return -ETIMEDOUT;
        }
        if (rc < 0 && errno != EINTR) {
            kq_error_set(err, "poll: %s", strerror(errno));
            return -errno;
        }
    }
}

/* Connects, and with tls does the handshake.  0 or -errno with err. */
static int connect_to(kq_session *s, const char *host, uint16_t port, bool tls,
                      const char *secret, kq_error *err)
{
    char where[300];
    int rc;

    if ((rc = kq_net_connect(host, port, &s->fd, err)) < 0)
        return rc;
    s->reached = true;
    if (!tls)
        return 0;
    kq_net_host_port(where, sizeof where, host, port);
    if (!s->tls_ctx && (rc = kq_tls_ctx_new(false, secret, &s->tls_ctx, err)) < 0)
        return rc;
    if ((rc = kq_tls_new(s->tls_ctx, s->fd, &s->tls)) < 0) {
        kq_error_set(err, "out of memory for TLS");
        return rc;
    }
    return handshake(s, where, err);
}

/* Closes the connection and its TLS state (nothing is said). */
static void disconnect(kq_session *s)
{
    kq_tls_free(s->tls);
    s->tls = NULL;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

int kq_session_open(kq_session *s, const char *host, uint16_t port,
                    kq_tls_mode encryption, const char *secret, kq_error *err)
{
    kq_hello hello = {.tag = KQ_HELLO_HELLO_FROM_CLIENT};
    int rc;

    memset(s, 0, sizeof *s);
    s->fd = -1;
    rc = connect_to(s, host, port, encryption != KQ_TLS_OFF, secret, err);
    /* A server without TLS (the original) reads the ClientHello as bad
     * JSON and closes without a word: auto speaks plain text to it. */
    if (rc < 0 && s->tls && kq_tls_peer_silent(s->tls)) {
        if (encryption == KQ_TLS_AUTO) {
            disconnect(s);
            s->plain_fallback = true;
            rc = connect_to(s, host, port, false, secret, err);
        } else {
            size_t n = strlen(err->msg);

            snprintf(err->msg + n, sizeof err->msg - n,
                     "; encryption = \"required\" does not fall back to plain text "
                     "(an original Kueue server needs \"auto\" or \"off\")");
        }
    }
    if (rc < 0) {
        kq_session_close(s);
        return rc;
    }
    kq_framer_init(&s->in, KQ_SESSION_MAX_MESSAGE);
    if (kq_hello_encode(&hello, &s->out) < 0) {
        kq_error_set(err, "out of memory encoding the hello");
        kq_session_close(s);
        return -ENOMEM;
    }
    s->await_welcome = true;
    return 0;
}

void kq_session_open_relay(kq_session *s, int fd, kq_session_reopen_fn *reopen,
                           const void *ctx, bool auth)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->relayed = true;
    s->reached = true;
    s->await_relay = true;
    s->relay_deadline = now_ms() + KQ_RELAY_GREETING_MS;
    s->reopen = reopen;
    s->reopen_ctx = ctx;
    s->reopen_auth = auth;
    kq_framer_init(&s->in, KQ_SESSION_MAX_MESSAGE);
    kq_buf_puts(&s->out, KQ_RELAY_HELLO);
}

int kq_session_auth(kq_session *s, const char *secret, const char *file,
                    kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_AUTH_REQUEST};
    char response[KQ_AUTH_RESPONSE_LEN + 1];
    kq_s2c reply;
    int rc;

    snprintf(s->secret_file, sizeof s->secret_file, "%s",
             file ? file : "the configuration");
    if (s->relayed)
        return 0;
    if ((rc = kq_session_request(s, &req, &reply, err)) < 0)
        return rc;
    if (reply.tag != KQ_S2C_AUTH_CHALLENGE) {
        rc = kq_session_unexpected(err, "AuthChallenge", &reply);
        kq_s2c_free(&reply);
        return rc;
    }
    rc = kq_auth_response(secret, strlen(secret),
                          reply.auth_challenge.salt.ptr,
                          reply.auth_challenge.salt.len, response);
    kq_s2c_free(&reply);
    if (rc < 0) {
        kq_error_set(err, "computing the authentication response failed");
        return rc;
    }
    req.tag = KQ_C2S_AUTH_RESPONSE;
    req.auth_response = kq_str_view(response);
    if ((rc = kq_session_queue(s, &req)) < 0) {
        kq_error_set(err, "out of memory encoding a request");
        return rc;
    }
    s->await_auth = true;
    return 0;
}

/* Queues "Bye" and writes what the socket takes now, over TLS with
 * close_notify in the same send. */
static void say_bye(kq_session *s)
{
    kq_c2s bye = {.tag = KQ_C2S_BYE};
    kq_error ignored;

    /* One try, without waiting: the answers are in (or never come), and a
     * server that reads no Bye only logs the close. */
    if (s->tls)
        kq_tls_batch(s->tls);
    if (kq_session_queue(s, &bye) == 0)
        (void)write_queued(s, &ignored);
    if (s->tls) {
        kq_tls_shutdown(s->tls);
        (void)kq_tls_flush(s->tls);
    }
}

void kq_session_close(kq_session *s)
{
    if (s->fd >= 0 && (!s->tls || kq_tls_ready(s->tls)))
        say_bye(s);
    disconnect(s);
    kq_tls_ctx_free(s->tls_ctx);
    s->tls_ctx = NULL;
    kq_framer_free(&s->in);
    kq_buf_free(&s->out);
}

int kq_session_unexpected(kq_error *err, const char *expected,
                          const kq_s2c *got)
{
    kq_buf text = KQ_BUF_INIT;
    size_t keep;

    if (got->tag == KQ_S2C_REQUEST_RESPONSE && !got->request_response.success) {
        kq_error_set(err, "%s", got->request_response.text.ptr
                                    ? got->request_response.text.ptr : "");
        return -EPERM;
    }
    if (got->tag == KQ_S2C_BYE) {
        kq_error_set(err, "the server is shutting down (it said Bye)");
        return -EPIPE;
    }
    kq_s2c_encode(got, &text);
    keep = kq_utf8_truncate(kq_buf_ptr(&text), text.len, UNEXPECTED_QUOTE);
    kq_error_set(err, "Expected %s, received: %.*s%s", expected, (int)keep,
                 kq_buf_ptr(&text), keep < text.len ? "..." : "");
    kq_buf_free(&text);
    return -EPROTO;
}
