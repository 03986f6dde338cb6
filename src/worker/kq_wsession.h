/*
 * kq_wsession.h - the worker's connection to the server: connect,
 * handshake and authentication (reference 4.1, 4.2), and reconnecting
 * with exponential backoff after a loss.
 *
 * Owns: the socket (through a kq_conn), the connection hub, the connect
 * and retry timers.  The owner gets the server's messages once the session
 * is authenticated (WelcomeWorker, AuthChallenge and AuthAccepted never
 * reach it), is told when the session is lost, and sends through
 * kq_wsession_send.  Never blocks: the connect is non-blocking (only name
 * resolution may take a moment) and output is flushed by the loop.
 *
 * The hello announces this worker's Kueue-C extension level; a Kueue-C
 * server answers with its own in the AuthChallenge, an original server
 * with nothing, and the session speaks the lower of the two (0: the
 * original protocol).  kq_wsession_send never sends anything above it.
 *
 * The connection is TLS keyed with the shared secret unless encryption is
 * off (kq_tls; the handshake is part of the attempt and its time limit).
 * With auto, a server that closes the handshake without a word, as one
 * that does not speak TLS does, is connected to again at once in plain
 * text (one warning per process), and later attempts stay in plain text
 * until a plain one is closed the same way.  required never falls back.
 *
 * The first connection is special, as in the reference: if it fails
 * entirely (resolve, connect, handshake, authentication) the owner's
 * fatal callback runs and nothing is retried.  Once a session has been
 * established, every later loss is retried forever, waiting 1 s doubling
 * up to max_backoff_ms, each wait drawn between 3/4 and 5/4 of the step.
 */
#ifndef KQ_WSESSION_H
#define KQ_WSESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_conn.h"
#include "kq_loop.h"
#include "kq_protocol.h"
#include "kq_tls.h"

/* How long connect plus handshake may take before the attempt fails. */
#define KQ_WSESSION_HANDSHAKE_MS 15000
/* How often a name lookup in progress is looked at. */
#define KQ_WSESSION_LOOKUP_POLL_MS 5

typedef struct kq_wsession kq_wsession;

typedef struct kq_wsession_handler {
    /* Authenticated: reports may be sent now. */
    void (*ready)(void *owner);
    /* A server message after authentication (Bye excluded).  The owner may
     * take over payloads and zero them; the message is freed afterwards. */
    void (*message)(void *owner, kq_s2w *m);
    /* An established session ended; a reconnect is scheduled unless
     * stopping. */
    void (*lost)(void *owner);
    /* The first connection failed: reason says why ("Authentication
     * failed!", "connect localhost:11236: Connection refused"). */
    void (*fatal)(void *owner, const char *reason);
    /* An OfferJob of len bytes was too long to take (over
     * KQ_FRAMER_DEFAULT_MAX): skipped, only its job id is known.  Other
     * messages too long are skipped with a log line; the session goes
     * on. */
    void (*offer_too_large)(void *owner, uint64_t job_id, size_t len);
} kq_wsession_handler;

typedef struct kq_wsession_opts {
    const char *server_name;  /* "host", "host:port", "[v6]" or "[v6]:port" */
    uint16_t server_port;
    const char *secret;
    const char *worker_name;
    uint64_t max_backoff_ms;
    const char *config_file;  /* named in messages when the server cannot be
                                 reached or refuses the secret; may be NULL */
    uint64_t output_limit;    /* output_limit_bytes, told to a Kueue-C server
                                 (its bound on live output) */
    kq_tls_mode encryption;
    const char *allocation;   /* the allocation it runs in, for the hello
                                 (kq_lifetime.h); may be NULL */
} kq_wsession_opts;

/* A session on loop; strings in opts must outlive it.  Nothing happens
 * until kq_wsession_start.  0 or -ENOMEM. */
KQ_NODISCARD int kq_wsession_new(kq_loop *loop, const kq_wsession_opts *opts,
                                 const kq_wsession_handler *handler,
                                 void *owner, kq_wsession **out);
void kq_wsession_free(kq_wsession *s);

/* Starts the first connection attempt. */
void kq_wsession_start(kq_wsession *s);

/* True while authenticated and connected. */
bool kq_wsession_ready(const kq_wsession *s);

/* The extension level of the current (or last) session: the lower of the
 * worker's and the server's; 0 with an original server. */
unsigned kq_wsession_level(const kq_wsession *s);

/* Room for a state id and its NUL. */
#define KQ_WSESSION_STATE_ID_MAX 65

/* The id of the current (or last) server's stored state, as its
 * AuthChallenge said; "" for a server without one (in memory only, or the
 * original). */
const char *kq_wsession_state_id(const kq_wsession *s);

/* What the server keeps of each output stream of a running job, as its
 * AuthChallenge said (live output of a job nobody follows is cut to it);
 * KQ_WSESSION_OUTPUT_KEEP when it said nothing. */
#define KQ_WSESSION_OUTPUT_KEEP 65536
uint64_t kq_wsession_output_keep(const kq_wsession *s);

/* Queues m (written when the loop turn ends); false, sending nothing,
 * unless ready.  Extension fields above the session's level are left out;
 * an extension variant above it is refused (false, logged as a bug). */
bool kq_wsession_send(kq_wsession *s, const kq_w2s *m);

/* Writes what was queued.  Call from the loop's before-sleep hook. */
void kq_wsession_flush(kq_wsession *s);

/* Positions in the current connection's output stream: after everything
 * queued, and as far as the server's TCP acknowledged it.  A message is
 * known to have reached the server's machine once acked passes the end it
 * was queued at; a new connection starts again from 0. */
uint64_t kq_wsession_queued_end(const kq_wsession *s);
uint64_t kq_wsession_acked(const kq_wsession *s);

/* Bytes queued for the server and not yet written: live output waits
 * while this is high. */
size_t kq_wsession_unsent(const kq_wsession *s);

/* Sends "Bye" and closes once it is written, or, when not ready, abandons
 * any attempt in progress.  No reconnects afterwards.  True if the Bye is
 * on its way (the lost callback follows once it is written or fails). */
bool kq_wsession_stop(kq_wsession *s);

#endif
