/*
 * kq_session.h - the client's connection to a kueue_server.
 *
 * Owns the socket, the input framer and the output queue of one
 * connection.  The client is a command-line program, so the session blocks
 * -- but it never blocks on writing alone: whenever it waits it polls for
 * both directions, writing queued requests while reading answers.  That
 * lets a caller queue many requests before reading the answers (batch
 * submission) without the two ends deadlocking on full socket buffers.
 * Incoming messages are split by kq_framer and validated by the generated
 * decoder; a message may be up to KQ_SESSION_MAX_MESSAGE bytes (a JobList
 * of a huge table).
 *
 * The connection is TLS (kq_tls, keyed with the shared secret) unless
 * encryption is off; with auto, a server that closes the handshake
 * without a word (as one that does not speak TLS does) is connected to
 * again in plain text.  TLS state is set up only when it is used.
 */
#ifndef KQ_SESSION_H
#define KQ_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_compiler.h"
#include "kq_error.h"
#include "kq_framer.h"
#include "kq_protocol.h"
#include "kq_tls.h"

#define KQ_SESSION_MAX_MESSAGE (1u << 30)
/* Requests are queued only while less than this waits to be written, so
 * thousands of them never build one huge output buffer. */
#define KQ_SESSION_QUEUE_LIMIT (64u << 10)
/* How long the TLS handshake may take. */
#define KQ_SESSION_HANDSHAKE_MS 15000

typedef struct kq_session kq_session;
/* Connects s (closed) to the server by itself, authenticated if auth, as
 * a call without relay does: 0 or -errno with err. */
typedef int kq_session_reopen_fn(kq_session *s, const void *ctx, bool auth,
                                 kq_error *err);

struct kq_session {
    int fd;
    kq_tls_ctx *tls_ctx; /* NULL: plain text */
    kq_tls *tls;
    bool plain_fallback; /* auto fell back: the server speaks no TLS */
    bool reached;        /* the TCP connection was made (a failure after
                            it is not an absent server) */
    kq_framer in;
    kq_buf out;         /* encoded requests not yet written */
    bool await_welcome; /* WelcomeClient comes before the next answer */
    bool await_auth;    /* AuthAccepted comes before the next answer */
    char secret_file[256]; /* where the secret came from, for messages */
    bool speaks_ext;    /* the server answered an extension request */
    bool eof;           /* the server's end of the stream was read */
    bool relayed;       /* through the user's relay (kq_relay.h): already
                           authenticated, TLS done by the relay */
    bool await_relay;   /* the relay's KQ_RELAY_READY comes first; until
                           then what was written stays in out (kept) */
    size_t kept;
    int64_t relay_deadline;
    kq_session_reopen_fn *reopen; /* without the relay, if it gives none */
    const void *reopen_ctx;
    bool reopen_auth;
};

/*
 * Connects to host:port, speaking TLS keyed with secret as encryption
 * says (for auto, s->plain_fallback then tells whether the server spoke
 * none and the session is in plain text), and queues the client
 * handshake (HelloFromClient); the server's WelcomeClient is checked by
 * the first receive, so the hello costs no round trip of its own.  0 or
 * -errno with err (-EACCES: the TLS keys differ, another shared secret);
 * on failure s holds nothing but s->reached.
 */
KQ_NODISCARD int kq_session_open(kq_session *s, const char *host,
                                 uint16_t port, kq_tls_mode encryption,
                                 const char *secret, kq_error *err);

/*
 * Opens a session through a relay on fd (connected, non-blocking; taken
 * over): KQ_RELAY_HELLO is queued, and the requests go with it, without
 * waiting for the relay's KQ_RELAY_READY, which the first receive checks.
 * The session is authenticated (kq_session_auth does nothing).  A relay
 * that closes, or says anything else, before it (or within
 * KQ_RELAY_GREETING_MS) passed nothing to the server: that receive then
 * reopens s with reopen(s, ctx, auth) and sends the requests again
 * there.  Never fails.
 */
void kq_session_open_relay(kq_session *s, int fd, kq_session_reopen_fn *reopen,
                           const void *ctx, bool auth);

/* Authenticates with the shared secret: AuthRequest, AuthChallenge, then
 * AuthResponse is queued and its AuthAccepted checked by the next receive
 * (the request that needs the authentication travels with it).  0 or
 * -errno; a refusal shows as -EACCES from that receive, its message naming
 * file (copied; NULL: "the configuration") as the place of the secret. */
KQ_NODISCARD int kq_session_auth(kq_session *s, const char *secret,
                                 const char *file, kq_error *err);

/* Queues a request for writing (the next recv writes it).  0, -ENOMEM, or
 * -EPROTO for a Kueue-C extension request (see kq_session_request_ext),
 * unless the server answered one already in this session (then many may
 * be queued at once, as batch does).  Extension fields are written: the
 * original ignores them. */
KQ_NODISCARD int kq_session_queue(kq_session *s, const kq_c2s *msg);

/* Whether less than KQ_SESSION_QUEUE_LIMIT bytes wait to be written:
 * whoever queues many requests (batch, wait) queues more only then. */
bool kq_session_can_queue(const kq_session *s);

/*
 * Takes the next message from the server into msg (release it with
 * kq_s2c_free), writing queued requests while it waits.  timeout_ms < 0
 * waits forever.  1 with msg filled, 0 on timeout, or -errno with err
 * (-EPIPE when the server closed the connection, -EBADMSG for a message
 * that is not valid).
 */
KQ_NODISCARD int kq_session_recv(kq_session *s, kq_s2c *msg, int timeout_ms,
                                 kq_error *err);

/* Queues msg and returns the next message, as recv without a timeout. */
KQ_NODISCARD int kq_session_request(kq_session *s, const kq_c2s *msg,
                                    kq_s2c *reply, kq_error *err);

/*
 * The same for a request of a Kueue-C extension (a variant the original
 * does not know; a client cannot tell the server its level beforehand).
 * A server that closes the connection instead of answering does not speak
 * it (the original closes on a message it cannot decode): -EOPNOTSUPP,
 * with err "this server does not support <feature> (an original Kueue
 * server?)".
 */
KQ_NODISCARD int kq_session_request_ext(kq_session *s, const kq_c2s *msg,
                                        const char *feature, kq_s2c *reply,
                                        kq_error *err);

/*
 * Ends the session: says "Bye" (with what is still queued, as far as the
 * socket takes it now; over TLS then close_notify), closes the socket and
 * frees the buffers.  Every
 * session ends so, whatever the answers were (refusals and errors too): an
 * original server logs an error for a connection closed without Bye.  Best
 * effort: a server that has gone loses nothing.  Safe to repeat.
 */
void kq_session_close(kq_session *s);

/*
 * Fills err with "Expected <expected>, received: <got as JSON>" (long
 * messages shortened) and returns -EPROTO.  A refusal by the server
 * (RequestResponse with success false) gives just its text and -EPERM,
 * and a server that is shutting down ("Bye") says so.
 */
int kq_session_unexpected(kq_error *err, const char *expected,
                          const kq_s2c *got);

#endif
