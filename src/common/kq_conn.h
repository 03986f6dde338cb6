/*
 * kq_conn.h - one protocol connection on the event loop.
 *
 * Owns the socket, the input framer and the output queue.  Reading hands
 * complete messages to the owner's handler (and after bad bytes or the
 * end of the stream, the answers to those before still go out before the
 * close is reported); sending appends to the output
 * queue, which is written when the loop turn ends (kq_conn_hub_flush), so
 * several messages to one peer in a turn cost one write.  Never blocks: a
 * peer that stops reading only makes its own queue grow, and once the
 * queue passes the high-water mark the connection stops handing out its
 * requests (which would only add answers) until the peer catches up.  It
 * goes on reading them into its input, up to one message's bound plus one
 * read, so that two such connections that both queued more than the mark
 * for each other drain into each other's input instead of waiting for
 * each other forever.
 *
 * Bounded: the input holds at most one unfinished message and one read
 * (a paused connection: also complete messages, up to that much), and is
 * freed whenever it empties, so an idle connection holds no input buffer;
 * a big output buffer is freed once written.  The hub counts the bytes
 * all its connections' buffers hold, for a program-wide limit, and can
 * close a connection whose message does not arrive whole in time or whose
 * peer reads none of its output for too long.
 *
 * The transport is a plain socket or TLS (kq_tls): a client starts TLS
 * with kq_conn_start_tls, a server lets the first byte decide
 * (kq_conn_sniff).  Above it everything is the same: the framer, the
 * output queues and their holds, back-pressure, bounds and timeouts.
 * Over TLS, output queued during the handshake waits for its end, data
 * OpenSSL already decrypted is read without waiting for the socket, and
 * a close sends close_notify after the last output.
 *
 * Output is written only once the turn that queued it is flushed, so a
 * server can make a turn's changes durable before anyone hears of them
 * (even a connection that becomes writable mid-turn sends only what
 * earlier flushes released).  Messages that promise nothing
 * (kq_conn_queued_unheld) can go out before that, with
 * kq_conn_hub_flush_unheld.
 */
#ifndef KQ_CONN_H
#define KQ_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_framer.h"
#include "kq_loop.h"
#include "kq_net.h"
#include "kq_tls.h"

/* Queued output beyond which handing out messages pauses. */
#define KQ_CONN_HIGH_WATER (4u << 20)
/* Queued output beyond which the peer is dropped as not reading. */
#define KQ_CONN_MAX_QUEUE (1024u << 20)
/* Longest reason for a close kept while the last output is written. */
#define KQ_CONN_WHY_MAX 256

typedef struct kq_conn kq_conn;

/* What carries the connection's bytes. */
typedef enum kq_conn_transport {
    KQ_CONN_PLAIN,     /* the socket itself */
    KQ_CONN_SNIFFING,  /* server side: waiting for the first byte */
    KQ_CONN_HANDSHAKE, /* TLS, handshake under way */
    KQ_CONN_TLS,       /* TLS, established */
} kq_conn_transport;

/* Why a connection that was to speak TLS closed, once closed. */
typedef enum kq_conn_tls_failure {
    KQ_CONN_TLS_NO_FAILURE,
    KQ_CONN_TLS_SILENT,        /* the peer closed the handshake without a
                                  byte: it does not speak TLS */
    KQ_CONN_TLS_FAILED,        /* the handshake or a record failed */
    KQ_CONN_TLS_WRONG_KEY,     /* the handshake failed: the keys differ
                                  (another shared secret) */
    KQ_CONN_TLS_PLAIN_REFUSED, /* sniffing: plain text, not allowed */
} kq_conn_tls_failure;

/* Recent TLS writes: data position against record bytes, to tell how far
 * the peer's TCP acknowledged the data (kq_conn_acked). */
#define KQ_CONN_TLS_MARKS 8

typedef struct kq_conn_handler {
    /* One complete message (valid only during the call).  May send, and
     * may close the connection with kq_conn_close. */
    void (*message)(void *owner, const char *msg, size_t len);
    /* The peer closed, or an I/O or framing error happened; the socket is
     * already closed.  reason is for the log.  The owner must keep the
     * kq_conn's memory until the loop turn ends. */
    void (*closed)(void *owner, const char *reason);
} kq_conn_handler;

/* The connections of one loop.  Set loop, and the timeouts if wanted,
 * before opening any; the rest starts zeroed. */
typedef struct kq_conn_hub {
    kq_loop *loop;
    /* 0: no limit.  A message must arrive whole within message_timeout_ms
     * of its first byte (not counted while the connection is paused), and
     * output waiting for the peer must move within unread_timeout_ms;
     * else the connection is closed. */
    uint64_t message_timeout_ms;
    uint64_t unread_timeout_ms;
    size_t buffered;        /* bytes the buffers of all connections hold */
    kq_conn *dirty;         /* output to write at the end of the turn */
    kq_conn *timed;         /* with a timeout running */
    uint64_t timeout_timer;
} kq_conn_hub;

struct kq_conn {
    kq_conn_hub *hub;
    int fd;                /* -1 once closed */
    kq_framer in;
    kq_buf out;
    char peer[KQ_PEER_MAX];
    const kq_conn_handler *handler;
    void *owner;
    kq_conn *next_dirty;
    kq_conn *timed_prev, *timed_next;
    uint64_t resume_timer; /* takes buffered requests after a pause */
    size_t accounted;      /* this connection's part of hub->buffered */
    uint64_t partial_since; /* loop time its unfinished message began; 0 none */
    uint64_t stalled_since; /* loop time its output last moved while the
                               peer had more to read; 0 none */
    /* Stream positions (bytes ever queued): written so far, and how far
     * writing may go. */
    uint64_t sent_abs, released_abs;
    bool dirty;
    bool hold_wanted;      /* output queued this turn waits for the flush */
    bool paused;           /* handing out messages paused by back-pressure */
    bool held;             /* ... or by the owner (kq_conn_hold) */
    bool eof;              /* the peer's stream ended */
    bool draining;         /* closing once the output is written */
    bool timed;            /* in hub->timed */
    char why[KQ_CONN_WHY_MAX]; /* the reason for that close, "" if asked */
    /* The transport. */
    uint8_t transport;     /* kq_conn_transport */
    uint8_t tls_failure;   /* kq_conn_tls_failure, kept after the close */
    bool allow_plain;      /* sniffing: plain text is accepted */
    bool tls_read_blocked; /* the last TLS read waited for the socket */
    uint8_t tls_read_wants, tls_write_wants; /* what a blocked TLS read or
                                                write waits for; 0 none */
    kq_tls *tls;           /* NULL: plain */
    kq_tls_ctx *tls_ctx;   /* sniffing: the server's TLS context */
    uint64_t tls_timer;    /* reads what OpenSSL holds */
    struct { uint64_t data, wire; } tls_marks[KQ_CONN_TLS_MARKS];
    unsigned tls_nmarks;
};

/* Takes over fd (non-blocking) and starts reading.  0 or -errno. */
KQ_NODISCARD int kq_conn_open(kq_conn *c, kq_conn_hub *hub, int fd,
                              size_t max_message,
                              const kq_conn_handler *handler, void *owner);

/*
 * Client side: speaks TLS over c from now on, in the client role of ctx
 * (which must outlive c).  The handshake runs on the loop; output queued
 * meanwhile waits for it.  A failed handshake closes c with the reason
 * (kq_conn_tls_failure says whether the peer was silent).  0 or -ENOMEM.
 */
KQ_NODISCARD int kq_conn_start_tls(kq_conn *c, kq_tls_ctx *ctx);

/*
 * Server side, right after kq_conn_open: the peer's first byte decides.
 * A TLS record starts a handshake in the server role of ctx (NULL: none
 * is accepted); anything else is the plain protocol, which closes c with
 * a reason (KQ_CONN_TLS_PLAIN_REFUSED) unless allow_plain.
 */
void kq_conn_sniff(kq_conn *c, kq_tls_ctx *ctx, bool allow_plain);

/* Whether c speaks TLS (handshake under way or done). */
static inline bool kq_conn_encrypted(const kq_conn *c)
{
    return c->transport == KQ_CONN_HANDSHAKE || c->transport == KQ_CONN_TLS;
}

/* Why c's TLS failed, for its closed callback (KQ_CONN_TLS_NO_FAILURE
 * unless it did). */
static inline kq_conn_tls_failure kq_conn_tls_failed(const kq_conn *c)
{
    return (kq_conn_tls_failure)c->tls_failure;
}

/*
 * Stops handing out the peer's messages (hold), or starts again: back-
 * pressure the owner applies, as a relay does while the other side of a
 * pair does not read.  While held, c reads on into its input up to one
 * message's bound and one read, as when paused by its own output.
 */
void kq_conn_hold(kq_conn *c, bool hold);

/* Changes the bound on one incoming message (e.g. raised once the peer
 * authenticated); it applies from the message being read. */
void kq_conn_set_max_message(kq_conn *c, size_t max_message);

/* Bytes c's buffers hold (its part of hub->buffered). */
static inline size_t kq_conn_buffered(const kq_conn *c)
{
    return c->accounted;
}

/* The output queue, for encoding a message straight into it; call
 * kq_conn_queued afterwards. */
static inline kq_buf *kq_conn_out(kq_conn *c)
{
    return &c->out;
}

/* Schedules what was appended to the output queue for writing at the
 * end of the turn (kq_conn_hub_flush). */
void kq_conn_queued(kq_conn *c);
/* The same for output that depends on nothing the turn must first make
 * durable: kq_conn_hub_flush_unheld may write it earlier. */
void kq_conn_queued_unheld(kq_conn *c);

/* Appends bytes and schedules them. */
void kq_conn_send(kq_conn *c, const void *p, size_t n);

/* The stream position (bytes ever queued) after everything queued. */
static inline uint64_t kq_conn_end(const kq_conn *c)
{
    return c->sent_abs + c->out.len;
}

/* Bytes queued and not yet written (sent or held). */
static inline size_t kq_conn_unsent(const kq_conn *c)
{
    return c->out.len;
}

/* How far the peer's TCP acknowledged the stream: what was written minus
 * what the kernel still holds (SIOCOUTQ); what was written when it cannot
 * tell.  Over TLS, the end of the newest of the last KQ_CONN_TLS_MARKS
 * writes whose records were all acknowledged (0 if none was). */
uint64_t kq_conn_acked(const kq_conn *c);

/* Closes now, dropping unsent output; no callback.  Over TLS sends
 * close_notify first (as far as the socket takes it).  Safe to repeat. */
void kq_conn_close(kq_conn *c);

/* Stops reading and closes once the queued output is written (or the
 * peer fails); the closed callback then runs. */
void kq_conn_close_after_flush(kq_conn *c);

/* The same for a peer that broke the protocol: what is queued (answers to
 * its earlier messages) is still written, then the closed callback runs
 * with reason (copied).  kq_conn does this itself for bytes that are not
 * JSON and for a stream that ends, so that every complete message before
 * them is answered. */
void kq_conn_refuse(kq_conn *c, const char *reason);

static inline bool kq_conn_is_open(const kq_conn *c)
{
    return c->fd >= 0;
}

/* Writes the output of every connection that queued some this turn.
 * Call from the loop's before-sleep hook. */
void kq_conn_hub_flush(kq_conn_hub *hub);
/* Writes, ahead of kq_conn_hub_flush, the output of the connections that
 * queued only unheld output since their last flush. */
void kq_conn_hub_flush_unheld(kq_conn_hub *hub);

#endif
