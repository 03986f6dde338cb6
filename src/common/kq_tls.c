/*
 * kq_tls.c - TLS 1.3 with a key derived from the shared secret (see
 * kq_tls.h).
 *
 * The library context.  OpenSSL 3.0 fetches algorithms from providers,
 * and the first fetch of an operation builds a method for every algorithm
 * of that operation the default provider has (about 150 ciphers); the
 * first SSL_CTX and handshake of a process cost a static `kueue` about
 * 1.3 ms that way.  So TLS runs in a library context of its own whose
 * only provider offers the few algorithms a handshake here uses: it
 * passes the default provider's algorithms through and lists nothing
 * else.  With a static libcrypto the default provider runs inside it
 * (started by its entry point under the filter's core handle), so what
 * the algorithms fetch themselves (an HMAC's digest) is filtered too;
 * otherwise it lives in a second, private context, whose first fetch
 * builds every digest it has (about 100 us more).  Random numbers come
 * from the kernel (getrandom) through a RAND_METHOD, not from OpenSSL's
 * DRBGs, whose instantiation builds a digest with every name of a
 * context; the PSK is derived with kq_hkdf, without EVP_KDF.  The legacy
 * name tables and the error strings are not loaded either: kq_tls words
 * the failures it expects itself.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "kq_tls.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "kq_auth.h"
#include "kq_buf.h"
#include "kq_hkdf.h"
#include "kq_loop.h"

#define KDF_SALT "kueue-c tls"
#define KDF_INFO "kueue-c tls13 psk v1"
#define CIPHER_SUITES "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
#define GROUP "x25519"
#define ERROR_MAX 200

struct kq_tls_ctx {
    SSL_CTX *ssl_ctx;
    bool server;
    unsigned char key[KQ_TLS_KEY_LEN];
};

struct kq_tls {
    SSL *ssl;
    int fd;
    kq_buf unsent;      /* records of a batch not sent yet */
    bool batching;
    uint64_t wire;      /* bytes the socket took */
    int wants;          /* KQ_READABLE / KQ_WRITABLE after -EAGAIN */
    bool failed;        /* a fatal error: no close_notify */
    bool silent;        /* the peer closed before sending a byte */
    bool wrong_key;     /* the keys differ */
    char error[ERROR_MAX];
};

kq_tls_mode kq_tls_mode_parse(const char *text)
{
    if (strcmp(text, "required") == 0)
        return KQ_TLS_REQUIRED;
    if (strcmp(text, "off") == 0)
        return KQ_TLS_OFF;
    return KQ_TLS_AUTO;
}

kq_tls_sniff kq_tls_sniff_bytes(const unsigned char *p, size_t n)
{
    /* A TLS stream starts with a handshake record (content type 22); the
     * original protocol with a JSON value, never with that byte. */
    if (n == 0)
        return KQ_SNIFF_MORE;
    return p[0] == 0x16 ? KQ_SNIFF_TLS : KQ_SNIFF_PLAIN;
}

/* ---- the library context -------------------------------------------- */

/* What the handshakes and records use, by operation and the algorithm's
 * first name in the default provider.  ED25519 and ECDSA are never used
 * to sign (there are no certificates), but OpenSSL refuses to write a
 * ClientHello without one signature algorithm it could verify. */
static const struct wanted {
    int operation;
    const char *name;
} wanted[] = {
    {OSSL_OP_DIGEST, "SHA2-256"},
    {OSSL_OP_CIPHER, "AES-128-GCM"},
    {OSSL_OP_CIPHER, "ChaCha20-Poly1305"},
    {OSSL_OP_MAC, "HMAC"},
    {OSSL_OP_KDF, "TLS13-KDF"},
    {OSSL_OP_KEYMGMT, "X25519"},
    {OSSL_OP_KEYMGMT, "ED25519"},
    {OSSL_OP_KEYMGMT, "HMAC"},
    {OSSL_OP_KEYEXCH, "X25519"},
    {OSSL_OP_SIGNATURE, "ECDSA"},
    {OSSL_OP_SIGNATURE, "HMAC"},
};
#define NWANTED (sizeof wanted / sizeof wanted[0])

/* The default provider's entry point, an internal symbol of a static
 * libcrypto (libcrypto.so does not export it): weak, so that without it
 * the default provider is loaded into a private context instead. */
extern OSSL_provider_init_fn ossl_default_provider_init __attribute__((weak));

static struct {
    bool tried, ok;
    OSSL_LIB_CTX *libctx;       /* where TLS runs: the filter only */
    OSSL_LIB_CTX *private_ctx;  /* the default provider, without its entry point */
    OSSL_PROVIDER *deflt, *filter;
    /* The default provider run inside the filter, with its entry point. */
    void *inner_ctx;
    OSSL_FUNC_provider_query_operation_fn *inner_query;
    OSSL_FUNC_provider_get_capabilities_fn *inner_capabilities;
    OSSL_FUNC_provider_teardown_fn *inner_teardown;
    BIO_METHOD *socket_bio;
    /* Per operation: the algorithms passed through, NULL-terminated. */
    OSSL_ALGORITHM algs[OSSL_OP__HIGHEST + 1][NWANTED + 1];
    bool queried[OSSL_OP__HIGHEST + 1];
} lib;

static bool wanted_alg(int operation, const char *names)
{
    for (size_t i = 0; i < NWANTED; i++) {
        size_t n = strlen(wanted[i].name);

        if (wanted[i].operation == operation && strncmp(names, wanted[i].name, n) == 0 &&
            (names[n] == ':' || names[n] == '\0'))
            return true;
    }
    return false;
}

static const OSSL_ALGORITHM *filter_query(void *provctx, int operation, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    if (operation < 0 || operation > OSSL_OP__HIGHEST)
        return NULL;
    if (!lib.queried[operation]) {
        int nc;
        const OSSL_ALGORITHM *a =
            lib.inner_query ? lib.inner_query(lib.inner_ctx, operation, &nc)
                            : OSSL_PROVIDER_query_operation(lib.deflt, operation, &nc);
        size_t k = 0;

        for (; a && a->algorithm_names && k < NWANTED; a++)
            if (wanted_alg(operation, a->algorithm_names))
                lib.algs[operation][k++] = *a;
        lib.queried[operation] = true;
    }
    return lib.algs[operation][0].algorithm_names ? lib.algs[operation] : NULL;
}

typedef struct capability_filter {
    OSSL_CALLBACK *cb;
    void *arg;
} capability_filter;

/* Passes on only the group used. */
static int filter_group(const OSSL_PARAM params[], void *arg)
{
    const capability_filter *f = arg;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_CAPABILITY_TLS_GROUP_NAME);
    const char *name = NULL;

    if (p && OSSL_PARAM_get_utf8_string_ptr(p, &name) && strcmp(name, GROUP) == 0)
        return f->cb(params, f->arg);
    return 1;
}

static int filter_capabilities(void *provctx, const char *capability,
                               OSSL_CALLBACK *cb, void *arg)
{
    capability_filter f = {cb, arg};

    (void)provctx;
    if (strcmp(capability, "TLS-GROUP") != 0)
        return 1;
    if (lib.inner_capabilities)
        return lib.inner_capabilities(lib.inner_ctx, capability, filter_group, &f);
    return OSSL_PROVIDER_get_capabilities(lib.deflt, capability, filter_group, &f);
}

static void filter_teardown(void *provctx)
{
    if (lib.inner_teardown)
        lib.inner_teardown(provctx);
}

static const OSSL_DISPATCH filter_dispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))filter_query},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))filter_capabilities},
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))filter_teardown},
    {0, NULL},
};

/* Starts the default provider under the filter's core handle: it belongs
 * to the filter's library context, so what its algorithms fetch
 * themselves (an HMAC's digest) goes through the filter too.  In a
 * private context it would build every digest it has at the first such
 * fetch, with every legacy name (about 100 us). */
static int start_inner(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in)
{
    const OSSL_DISPATCH *out;

    if (!ossl_default_provider_init(handle, in, &out, &lib.inner_ctx))
        return 0;
    for (; out->function_id; out++) {
        switch (out->function_id) {
        case OSSL_FUNC_PROVIDER_QUERY_OPERATION:
            lib.inner_query = OSSL_FUNC_provider_query_operation(out);
            break;
        case OSSL_FUNC_PROVIDER_GET_CAPABILITIES:
            lib.inner_capabilities = OSSL_FUNC_provider_get_capabilities(out);
            break;
        case OSSL_FUNC_PROVIDER_TEARDOWN:
            lib.inner_teardown = OSSL_FUNC_provider_teardown(out);
            break;
        default:
            break;
        }
    }
    return lib.inner_query && lib.inner_capabilities;
}

static int filter_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
    *out = filter_dispatch;
    if (ossl_default_provider_init) {
        if (!start_inner(handle, in))
            return 0;
        *provctx = lib.inner_ctx;
        return 1;
    }
    /* The algorithms are the default provider's: they get its context. */
    *provctx = OSSL_PROVIDER_get0_provider_ctx(lib.deflt);
    return 1;
}

/* ---- the socket ------------------------------------------------------- */

static bool retryable(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

/* Sends the records kept: 0 when all went, else -errno (-EAGAIN: the
 * socket is full). */
static int send_unsent(kq_tls *t)
{
    while (t->unsent.len) {
        ssize_t n = send(t->fd, kq_buf_ptr(&t->unsent), t->unsent.len, MSG_NOSIGNAL);

        if (n < 0)
            return -errno;
        kq_buf_consume(&t->unsent, (size_t)n);
        t->wire += (uint64_t)n;
    }
    /* A big batch does not keep its buffer. */
    if (t->unsent.cap > (64u << 10))
        kq_buf_free(&t->unsent);
    return 0;
}

/* OpenSSL's socket BIO writes with write(), which raises SIGPIPE when the
 * peer is gone; this one sends with MSG_NOSIGNAL, and keeps the records
 * of a batch (its data is the kq_tls). */
static int socket_write(BIO *b, const char *buf, int len)
{
    kq_tls *t = BIO_get_data(b);
    ssize_t n;
    int rc;

    BIO_clear_retry_flags(b);
    if (t->batching && t->unsent.len < KQ_TLS_BATCH_MAX) {
        kq_buf_append(&t->unsent, buf, (size_t)len);
        if (t->unsent.oom) {
            errno = ENOMEM;
            return -1;
        }
        return len;
    }
    /* Records kept go first. */
    if ((rc = send_unsent(t)) < 0) {
        if (retryable(-rc))
            BIO_set_retry_write(b);
        errno = -rc;
        return -1;
    }
    n = send(t->fd, buf, (size_t)len, MSG_NOSIGNAL);
    if (n > 0)
        t->wire += (uint64_t)n;
    if (n < 0 && retryable(errno))
        BIO_set_retry_write(b);
    return (int)n;
}

static int socket_read(BIO *b, char *buf, int len)
{
    ssize_t n = recv(((kq_tls *)BIO_get_data(b))->fd, buf, (size_t)len, 0);

    BIO_clear_retry_flags(b);
    if (n < 0 && retryable(errno))
        BIO_set_retry_read(b);
    else if (n == 0)
        BIO_set_flags(b, BIO_FLAGS_IN_EOF);
    return (int)n;
}

static long socket_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    default:
        return 0;
    }
}

static BIO_METHOD *socket_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kueue-c socket");

    if (m && (!BIO_meth_set_write(m, socket_write) || !BIO_meth_set_read(m, socket_read) ||
              !BIO_meth_set_ctrl(m, socket_ctrl))) {
        BIO_meth_free(m);
        m = NULL;
    }
    return m;
}

/* ---- random numbers ----------------------------------------------------- */

/* OpenSSL draws a handshake's random and its X25519 keys from here: the
 * kernel's CSPRNG, which OpenSSL's own generators would seed from.  Its
 * DRBGs cost a short-lived `kueue` about 90 us to instantiate (their
 * digest fetched, with every name of the default provider's context),
 * for the hundred random bytes a handshake takes. */
static int kernel_bytes(unsigned char *buf, int num)
{
    return num >= 0 && kq_auth_kernel_random(buf, (size_t)num) == 0;
}

static int kernel_status(void)
{
    return 1;
}

static const RAND_METHOD kernel_rand = {
    .bytes = kernel_bytes,
    .pseudorand = kernel_bytes,
    .status = kernel_status,
};

/* Sets up the library context once per process; false if OpenSSL failed. */
static bool lib_init(void)
{
    if (lib.tried)
        return lib.ok;
    lib.tried = true;
    /* No configuration file, no legacy name tables, no error strings, and
     * no cleanup at exit (the kernel frees a process faster). */
    if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
                                 OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
                                 OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ATEXIT, NULL) ||
        !OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_SSL_STRINGS, NULL))
        return false;
    lib.libctx = OSSL_LIB_CTX_new();
    if (!lib.libctx)
        return false;
    if (!ossl_default_provider_init) {
        lib.private_ctx = OSSL_LIB_CTX_new();
        lib.deflt = lib.private_ctx ? OSSL_PROVIDER_load(lib.private_ctx, "default") : NULL;
        if (!lib.deflt)
            return false;
    }
    /* For every library context (a method set so replaces their DRBGs). */
    if (!RAND_set_rand_method(&kernel_rand) ||
        !OSSL_PROVIDER_add_builtin(lib.libctx, "kueue-c-tls", filter_init))
        return false;
    lib.filter = OSSL_PROVIDER_load(lib.libctx, "kueue-c-tls");
    lib.socket_bio = socket_method();
    lib.ok = lib.filter && lib.socket_bio;
    return lib.ok;
}

/* ---- the key ---------------------------------------------------------- */

int kq_tls_derive_key(const char *secret, size_t secret_len,
                      unsigned char key[KQ_TLS_KEY_LEN])
{
    return kq_hkdf_sha256(KDF_SALT, sizeof KDF_SALT - 1, secret, secret_len, KDF_INFO,
                          sizeof KDF_INFO - 1, key, KQ_TLS_KEY_LEN) < 0
               ? -EIO
               : 0;
}

/* ---- contexts ----------------------------------------------------------- */

/* A fresh session holding the pre-shared key, for OpenSSL to take over:
 * a client's session becomes its connection's and is changed by the
 * handshake, so none is shared. */
static SSL_SESSION *psk_session(SSL *ssl)
{
    static const unsigned char aes_128_gcm_sha256[2] = {0x13, 0x01};
    const kq_tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes_128_gcm_sha256);
    SSL_SESSION *s;

    if (!cipher || !(s = SSL_SESSION_new()))
        return NULL;
    if (!SSL_SESSION_set1_master_key(s, ctx->key, sizeof ctx->key) ||
        !SSL_SESSION_set_cipher(s, cipher) ||
        !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
        SSL_SESSION_free(s);
        return NULL;
    }
    return s;
}

static int use_psk(SSL *ssl, const EVP_MD *md, const unsigned char **id, size_t *idlen,
                   SSL_SESSION **sess)
{
    /* After a HelloRetryRequest md is the cipher suite's hash, and both
     * suites hash with SHA-256 as the key does. */
    (void)md;
    *id = (const unsigned char *)KQ_TLS_PSK_IDENTITY;
    *idlen = sizeof KQ_TLS_PSK_IDENTITY - 1;
    *sess = psk_session(ssl);
    return *sess != NULL;
}

static int find_psk(SSL *ssl, const unsigned char *id, size_t idlen, SSL_SESSION **sess)
{
    /* Another identity: no key, and without certificates no handshake. */
    if (idlen != sizeof KQ_TLS_PSK_IDENTITY - 1 ||
        memcmp(id, KQ_TLS_PSK_IDENTITY, idlen) != 0) {
        *sess = NULL;
        return 1;
    }
    *sess = psk_session(ssl);
    return *sess != NULL;
}

int kq_tls_ctx_new(bool server, const char *secret, kq_tls_ctx **out, kq_error *err)
{
    kq_tls_ctx *ctx;
    SSL_CTX *s;

    if (!lib_init()) {
        kq_error_set(err, "OpenSSL: cannot set up TLS (no TLS 1.3 with X25519 and "
                          "AES-128-GCM in this OpenSSL?)");
        return -EIO;
    }
    ctx = OPENSSL_zalloc(sizeof *ctx);
    if (!ctx) {
        kq_error_set(err, "out of memory for TLS");
        return -ENOMEM;
    }
    ctx->server = server;
    if (kq_tls_derive_key(secret, strlen(secret), ctx->key) < 0) {
        kq_error_set(err, "OpenSSL: HKDF-SHA256 of the shared secret failed");
        kq_tls_ctx_free(ctx);
        return -EIO;
    }
    s = ctx->ssl_ctx = SSL_CTX_new_ex(lib.libctx, NULL,
                                      server ? TLS_server_method() : TLS_client_method());
    if (!s || !SSL_CTX_set_min_proto_version(s, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION) ||
        !SSL_CTX_set_ciphersuites(s, CIPHER_SUITES) || !SSL_CTX_set1_groups_list(s, GROUP) ||
        !SSL_CTX_set_num_tickets(s, 0)) {
        kq_error_set(err, "OpenSSL: cannot set up a TLS 1.3 context");
        ERR_clear_error();
        kq_tls_ctx_free(ctx);
        return -EIO;
    }
    SSL_CTX_set_app_data(s, ctx);
    /* No tickets: every connection is a full handshake with fresh
     * ephemeral keys, and nothing to resume or replay. */
    SSL_CTX_set_options(s, SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(s, 1);
    if (server)
        SSL_CTX_set_psk_find_session_callback(s, find_psk);
    else
        SSL_CTX_set_psk_use_session_callback(s, use_psk);
    *out = ctx;
    return 0;
}

void kq_tls_ctx_free(kq_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    OPENSSL_clear_free(ctx, sizeof *ctx);
}

/* ---- connections -------------------------------------------------------- */

int kq_tls_new(kq_tls_ctx *ctx, int fd, kq_tls **out)
{
    kq_tls *t = OPENSSL_zalloc(sizeof *t);
    BIO *bio;

    if (!t)
        return -ENOMEM;
    t->ssl = SSL_new(ctx->ssl_ctx);
    bio = t->ssl ? BIO_new(lib.socket_bio) : NULL;
    if (!bio) {
        ERR_clear_error();
        kq_tls_free(t);
        return -ENOMEM;
    }
    t->fd = fd;
    BIO_set_data(bio, t);
    BIO_set_init(bio, 1);
    SSL_set_bio(t->ssl, bio, bio);
    if (ctx->server)
        SSL_set_accept_state(t->ssl);
    else
        SSL_set_connect_state(t->ssl);
    t->wants = ctx->server ? KQ_READABLE : KQ_WRITABLE;
    *out = t;
    return 0;
}

void kq_tls_free(kq_tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    kq_buf_free(&t->unsent);
    OPENSSL_free(t);
}

/* The failures a peer causes, in words; anything else as OpenSSL's
 * numbers (its error strings are not loaded). */
static const char *reason_text(int reason)
{
    switch (reason) {
    case SSL_R_BINDER_DOES_NOT_VERIFY:
        return "the peer's key is not ours: its shared_secret differs (the PSK binder "
               "does not verify)";
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
    case SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER:
        /* What an OpenSSL server answers a binder that does not verify. */
        return "the peer refused our key: the shared_secret differs (a TLS alert "
               "after our ClientHello)";
    case SSL_R_DIGEST_CHECK_FAILED:
        return "the peer's Finished does not verify: the shared_secret differs, or the "
               "handshake was tampered with";
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
    case SSL_R_MISSING_PSK_KEX_MODES_EXTENSION:
        return "the peer offered no Kueue-C key (a TLS client without the shared secret?)";
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
        return "a record does not decrypt: the stream was tampered with";
    case SSL_R_SSLV3_ALERT_BAD_RECORD_MAC:
        return "the peer could not decrypt our record: the stream was tampered with";
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_LENGTH_MISMATCH:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_WRONG_SSL_VERSION:
        return "not a TLS 1.3 stream";
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_TLSV13_ALERT_MISSING_EXTENSION:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        return "the peer refused the handshake (no Kueue-C key agreed)";
    default:
        return NULL;
    }
}

/* Records why the call failed, from OpenSSL's error queue. */
static void set_failure(kq_tls *t, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    int reason = ERR_GET_REASON(e);
    const char *text = reason_text(reason);

    t->failed = true;
    t->wrong_key = reason == SSL_R_BINDER_DOES_NOT_VERIFY ||
                   reason == SSL_R_TLSV1_ALERT_DECRYPT_ERROR ||
                   reason == SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER;
    if (text)
        snprintf(t->error, sizeof t->error, "%s: %s", what, text);
    else
        snprintf(t->error, sizeof t->error, "%s: OpenSSL error %08lx (library %d, reason %d)",
                 what, e, ERR_GET_LIB(e), ERR_GET_REASON(e));
    ERR_clear_error();
}

/* The outcome of an SSL call that returned ok (1 on success, as SSL_*_ex). */
static int outcome(kq_tls *t, int ok, const char *what)
{
    int saved = errno, e = SSL_get_error(t->ssl, ok);
    bool in_handshake = !SSL_is_init_finished(t->ssl);

    switch (e) {
    case SSL_ERROR_NONE:
        return 1;
    case SSL_ERROR_WANT_READ:
        t->wants = KQ_READABLE;
        return -EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        t->wants = KQ_WRITABLE;
        return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return 0;
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL:
        break;
    default:
        snprintf(t->error, sizeof t->error, "%s: unexpected OpenSSL state %d", what, e);
        t->failed = true;
        ERR_clear_error();
        return -EPROTO;
    }
    /* The connection ended without close_notify (EOF, or reset). */
    if ((e == SSL_ERROR_SYSCALL && (saved == 0 || saved == ECONNRESET || saved == EPIPE)) ||
        (e == SSL_ERROR_SSL &&
         ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        ERR_clear_error();
        if (!in_handshake)
            return 0;
        t->failed = true;
        t->silent = BIO_number_read(SSL_get_rbio(t->ssl)) == 0;
        snprintf(t->error, sizeof t->error, "%s: the peer closed the connection%s", what,
                 t->silent ? " without answering (it does not speak TLS?)" : "");
        return -ECONNRESET;
    }
    if (e == SSL_ERROR_SYSCALL) {
        snprintf(t->error, sizeof t->error, "%s: %s", what,
                 saved ? strerror(saved) : "connection lost");
        t->failed = true;
        ERR_clear_error();
        return saved ? -saved : -EIO;
    }
    set_failure(t, what);
    return -EPROTO;
}

int kq_tls_handshake(kq_tls *t)
{
    if (t->failed)
        return -EPROTO;
    ERR_clear_error();
    return outcome(t, SSL_do_handshake(t->ssl), "TLS handshake");
}

bool kq_tls_ready(const kq_tls *t)
{
    return SSL_is_init_finished(t->ssl);
}

ssize_t kq_tls_read(kq_tls *t, void *buf, size_t n)
{
    size_t got = 0;
    int rc;

    if (t->failed)
        return -EPROTO;
    ERR_clear_error();
    rc = outcome(t, SSL_read_ex(t->ssl, buf, n, &got), "TLS");
    return rc == 1 ? (ssize_t)got : rc;
}

ssize_t kq_tls_write(kq_tls *t, const void *buf, size_t n)
{
    size_t put = 0;
    int rc;

    if (t->failed)
        return -EPROTO;
    ERR_clear_error();
    rc = outcome(t, SSL_write_ex(t->ssl, buf, n, &put), "TLS");
    /* A write never reads the end of the stream; 0 would mean nothing
     * happened, so the caller waits as for -EAGAIN. */
    if (rc == 0) {
        t->wants = KQ_WRITABLE;
        return -EAGAIN;
    }
    return rc == 1 ? (ssize_t)put : rc;
}

void kq_tls_batch(kq_tls *t)
{
    t->batching = true;
}

int kq_tls_flush(kq_tls *t)
{
    int rc;

    t->batching = false;
    if (t->failed) {
        /* The fatal alert a failure made still goes, best effort. */
        (void)send_unsent(t);
        return -EPROTO;
    }
    if ((rc = send_unsent(t)) == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR) {
        t->wants = KQ_WRITABLE;
        return -EAGAIN;
    }
    if (rc < 0) {
        snprintf(t->error, sizeof t->error, "TLS: %s", strerror(-rc));
        t->failed = true;
    }
    return rc;
}

size_t kq_tls_unsent(const kq_tls *t)
{
    return t->unsent.len;
}

size_t kq_tls_held(const kq_tls *t)
{
    return t->unsent.cap;
}

bool kq_tls_pending(const kq_tls *t)
{
    return SSL_has_pending(t->ssl) == 1;
}

int kq_tls_wants(const kq_tls *t)
{
    return t->wants;
}

void kq_tls_shutdown(kq_tls *t)
{
    if (t->failed || !SSL_is_init_finished(t->ssl))
        return;
    ERR_clear_error();
    SSL_shutdown(t->ssl);
    ERR_clear_error();
}

const char *kq_tls_error(const kq_tls *t)
{
    return t->error[0] ? t->error : "TLS: no error";
}

bool kq_tls_peer_silent(const kq_tls *t)
{
    return t->silent;
}

bool kq_tls_wrong_key(const kq_tls *t)
{
    return t->wrong_key;
}

uint64_t kq_tls_wire_written(const kq_tls *t)
{
    return t->wire;
}

const char *kq_tls_cipher(const kq_tls *t)
{
    const SSL_CIPHER *c = SSL_is_init_finished(t->ssl) ? SSL_get_current_cipher(t->ssl) : NULL;

    return c ? SSL_CIPHER_standard_name(c) : "";
}

const char *kq_tls_group(const kq_tls *t)
{
    int id;
    const char *name;

    if (!SSL_is_init_finished(t->ssl))
        return "";
    id = SSL_get_negotiated_group(t->ssl);
    name = id ? SSL_group_to_name(t->ssl, id) : NULL;
    return name ? name : "";
}

int kq_tls_key_update(kq_tls *t)
{
    ERR_clear_error();
    if (!SSL_key_update(t->ssl, SSL_KEY_UPDATE_REQUESTED)) {
        ERR_clear_error();
        return -EPROTO;
    }
    return 0;
}
