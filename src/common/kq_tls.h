/*
 * kq_tls.h - TLS 1.3 with a key derived from the shared secret: the
 * encrypted transport under kq_conn (server, worker) and the client's
 * session.
 *
 * Design (docs/encryption.md):
 * - The key is an external pre-shared key (RFC 8446 4.2.11):
 *   HKDF-SHA256 (RFC 5869) with salt "kueue-c tls", the shared secret's
 *   bytes as input keying material and info "kueue-c tls13 psk v1", 32
 *   bytes; its identity is "kueue-c tls13 psk v1".  No certificates: the
 *   secret is the trust root, and a peer without it fails the handshake
 *   (the binder of its ClientHello, or the server's Finished, does not
 *   verify) before any byte of the protocol is exchanged.
 * - TLS 1.3 only, psk_dhe_ke only (X25519 ephemeral keys on both sides:
 *   forward secrecy; OpenSSL offers and accepts psk_ke only with
 *   SSL_OP_ALLOW_NO_DHE_KEX, never set here), cipher suites
 *   TLS_AES_128_GCM_SHA256 and TLS_CHACHA20_POLY1305_SHA256 (both hash
 *   with SHA-256, as the key does), no session tickets, no early data
 *   (nothing to replay), no renegotiation in TLS 1.3; key updates from
 *   the peer are answered inside kq_tls_read.
 * - OpenSSL runs in a library context of its own that offers only the
 *   algorithms these handshakes use (a filtering provider over the
 *   default one): OpenSSL 3.0 builds every algorithm of an operation the
 *   first time one is fetched, which cost a short-lived `kueue` over a
 *   millisecond.
 *
 * Owns: the SSL_CTX of each kq_tls_ctx and the SSL of each kq_tls (not
 * the socket, which its caller closes).  Never blocks (every call on a
 * non-blocking socket returns -EAGAIN with the direction it waits for),
 * never logs, never keeps the secret (only the derived key, cleansed on
 * free).
 */
#ifndef KQ_TLS_H
#define KQ_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kq_compiler.h"
#include "kq_error.h"

#define KQ_TLS_KEY_LEN 32
#define KQ_TLS_PSK_IDENTITY "kueue-c tls13 psk v1"

/* common_settings.encryption of clients and workers. */
typedef enum kq_tls_mode {
    KQ_TLS_AUTO,     /* TLS; plain text with a server that does not speak it */
    KQ_TLS_REQUIRED, /* TLS or nothing */
    KQ_TLS_OFF,      /* plain text, as the original */
} kq_tls_mode;

/* "auto", "required", "off" (the configuration checks the choice; anything
 * else is auto). */
kq_tls_mode kq_tls_mode_parse(const char *text);

/* What the first byte of a connection says it speaks. */
typedef enum kq_tls_sniff {
    KQ_SNIFF_MORE,  /* nothing yet */
    KQ_SNIFF_TLS,   /* a TLS record (handshake, 0x16) */
    KQ_SNIFF_PLAIN, /* anything else: the original protocol (JSON, maybe
                       after whitespace) or garbage, for its framer to judge */
} kq_tls_sniff;

/* Classifies the first n bytes a peer sent. */
kq_tls_sniff kq_tls_sniff_bytes(const unsigned char *p, size_t n);

/* The pre-shared key of secret (the derivation above).  0 or -EIO. */
KQ_NODISCARD int kq_tls_derive_key(const char *secret, size_t secret_len,
                                   unsigned char key[KQ_TLS_KEY_LEN]);

typedef struct kq_tls_ctx kq_tls_ctx;
typedef struct kq_tls kq_tls;

/* A context for the server side (server) or the client side, keyed with
 * secret (not kept: only the derived key is).  0 or -errno with err. */
KQ_NODISCARD int kq_tls_ctx_new(bool server, const char *secret,
                                kq_tls_ctx **out, kq_error *err);
void kq_tls_ctx_free(kq_tls_ctx *ctx);

/* A TLS connection over the connected, non-blocking socket fd (not taken
 * over), in the role of ctx.  0 or -ENOMEM. */
KQ_NODISCARD int kq_tls_new(kq_tls_ctx *ctx, int fd, kq_tls **out);
/* Frees the connection, not the socket.  Sends nothing: see
 * kq_tls_shutdown. */
void kq_tls_free(kq_tls *t);

/* Advances the handshake: 1 done, -EAGAIN waiting for the direction
 * kq_tls_wants says, or -errno after a failure (kq_tls_error says why;
 * kq_tls_peer_silent whether the peer closed without a byte). */
int kq_tls_handshake(kq_tls *t);
bool kq_tls_ready(const kq_tls *t);

/* Reads up to n bytes of the peer's data: > 0 bytes, 0 at the end of its
 * stream (close_notify, or the connection closed after the handshake), or
 * -EAGAIN / -errno as kq_tls_handshake. */
ssize_t kq_tls_read(kq_tls *t, void *buf, size_t n);

/* Writes up to n bytes: > 0 bytes taken (one record at least, or all), or
 * -EAGAIN / -errno.  After -EAGAIN the next call must start with the same
 * bytes (more may follow them; the buffer may move). */
ssize_t kq_tls_write(kq_tls *t, const void *buf, size_t n);

/* From now until kq_tls_flush, the records kq_tls_write makes are kept
 * (up to KQ_TLS_BATCH_MAX, then sent) and go out together: a message of
 * several records reaches the peer as one send of plain text would, not
 * a record at a time, and a flush costs one system call. */
#define KQ_TLS_BATCH_MAX (256u << 10)
void kq_tls_batch(kq_tls *t);
/* Ends the batch and sends the records kept, as far as the socket takes
 * them: 0 all sent, -EAGAIN (call again once KQ_WRITABLE), or -errno.
 * After a failure (-EPROTO) it tries once to send what is kept: the fatal
 * alert OpenSSL made. */
int kq_tls_flush(kq_tls *t);
/* Bytes of records made but not sent yet, and the memory holding them. */
size_t kq_tls_unsent(const kq_tls *t);
size_t kq_tls_held(const kq_tls *t);

/* Whether data of the peer waits inside OpenSSL (decrypted, or whole
 * records read ahead): the socket may never become readable for it. */
bool kq_tls_pending(const kq_tls *t);

/* KQ_READABLE or KQ_WRITABLE (kq_loop.h): what the last -EAGAIN waits for. */
int kq_tls_wants(const kq_tls *t);

/* Sends close_notify if the session is up and sound, as far as the socket
 * takes it now (best effort, never waits). */
void kq_tls_shutdown(kq_tls *t);

/* Why the last call failed, for a log line or an error message. */
const char *kq_tls_error(const kq_tls *t);

/* The handshake failed because the peer closed (or reset) the connection
 * without sending a byte: what a server that does not speak TLS (the
 * original's, which cannot parse a TLS record as JSON) does. */
bool kq_tls_peer_silent(const kq_tls *t);

/* The handshake failed because the two sides' keys differ: the peer's
 * shared secret is not ours. */
bool kq_tls_wrong_key(const kq_tls *t);

/* Bytes the socket took so far (records, not data). */
uint64_t kq_tls_wire_written(const kq_tls *t);

/* The cipher suite and group agreed, for tests and logs
 * ("TLS_AES_128_GCM_SHA256", "x25519"); "" before the handshake. */
const char *kq_tls_cipher(const kq_tls *t);
const char *kq_tls_group(const kq_tls *t);

/* Asks the peer for a key update (and updates ours) with the next write:
 * for tests; OpenSSL answers the peer's own requests by itself. */
KQ_NODISCARD int kq_tls_key_update(kq_tls *t);

#endif
