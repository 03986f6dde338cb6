/*
 * test_tls.c - kq_tls: the key derivation (a vector computed apart, with
 * Python's hmac), the first byte's verdict, handshakes over a socket pair
 * (X25519 agreed: psk_dhe_ke), a wrong secret failing both sides, a peer
 * that closes without a byte, data OpenSSL holds after a read, key
 * updates, close_notify, a flipped byte and a replayed recording.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kq_loop.h"
#include "kq_test.h"
#include "kq_tls.h"

#define SECRET "kueue-c test secret"

static void test_key_derivation(void)
{
    static const char expected[] =
        "69d5f34eb11570fb348b2dba4031b0321295295ffca07668d8d725db00eb705a";
    unsigned char key[KQ_TLS_KEY_LEN];
    char hex[2 * KQ_TLS_KEY_LEN + 1];

    CHECK_INT(kq_tls_derive_key(SECRET, strlen(SECRET), key), 0);
    for (int i = 0; i < KQ_TLS_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    CHECK_STR(hex, expected);
    /* The empty secret is a secret too (the configuration refuses none). */
    CHECK_INT(kq_tls_derive_key("", 0, key), 0);
    CHECK_INT(key[0], 0x7c);
}

static void test_sniff_and_modes(void)
{
    const unsigned char tls[] = {0x16, 0x03, 0x01}, obj[] = "{\"x\":1}", str[] = "\"Hi\"",
                        ws[] = " \n{", junk[] = "\x17";

    CHECK_INT(kq_tls_sniff_bytes(tls, 0), KQ_SNIFF_MORE);
    CHECK_INT(kq_tls_sniff_bytes(tls, 1), KQ_SNIFF_TLS);
    CHECK_INT(kq_tls_sniff_bytes(obj, 1), KQ_SNIFF_PLAIN);
    CHECK_INT(kq_tls_sniff_bytes(str, 4), KQ_SNIFF_PLAIN);
    CHECK_INT(kq_tls_sniff_bytes(ws, 3), KQ_SNIFF_PLAIN);
    /* Garbage is the plain framer's to refuse, as before TLS. */
    CHECK_INT(kq_tls_sniff_bytes(junk, 1), KQ_SNIFF_PLAIN);
    CHECK_INT(kq_tls_mode_parse("auto"), KQ_TLS_AUTO);
    CHECK_INT(kq_tls_mode_parse("required"), KQ_TLS_REQUIRED);
    CHECK_INT(kq_tls_mode_parse("off"), KQ_TLS_OFF);
}

typedef struct pair {
    kq_tls_ctx *cctx, *sctx;
    kq_tls *client, *server;
    int cfd, sfd;
} pair;

static void pair_open(pair *p, const char *client_secret, const char *server_secret)
{
    int sv[2];
    kq_error err;

    memset(p, 0, sizeof *p);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    p->cfd = sv[0];
    p->sfd = sv[1];
    CHECK_INT(kq_tls_ctx_new(false, client_secret, &p->cctx, &err), 0);
    CHECK_INT(kq_tls_ctx_new(true, server_secret, &p->sctx, &err), 0);
    CHECK_INT(kq_tls_new(p->cctx, p->cfd, &p->client), 0);
    CHECK_INT(kq_tls_new(p->sctx, p->sfd, &p->server), 0);
}

static void pair_close(pair *p)
{
    kq_tls_free(p->client);
    kq_tls_free(p->server);
    kq_tls_ctx_free(p->cctx);
    kq_tls_ctx_free(p->sctx);
    if (p->cfd >= 0)
        close(p->cfd);
    if (p->sfd >= 0)
        close(p->sfd);
}

/* Runs both handshakes until done or failed: 1 both done, else the
 * first failure's code. */
static int handshake_both(pair *p)
{
    int c = -EAGAIN, s = -EAGAIN;

    for (int i = 0; i < 1000 && (c != 1 || s != 1); i++) {
        if (c == -EAGAIN)
            c = kq_tls_handshake(p->client);
        if (s == -EAGAIN)
            s = kq_tls_handshake(p->server);
        if ((c < 0 && c != -EAGAIN) || (s < 0 && s != -EAGAIN))
            return c < 0 && c != -EAGAIN ? c : s;
    }
    return c == 1 && s == 1 ? 1 : -ETIMEDOUT;
}

/* Reads what is there through t into buf (up to n). */
static size_t read_all(kq_tls *t, char *buf, size_t n)
{
    size_t got = 0;
    ssize_t r;

    while (got < n && (r = kq_tls_read(t, buf + got, n - got)) > 0)
        got += (size_t)r;
    return got;
}

static void test_handshake_and_data(void)
{
    char buf[64] = {0};
    struct pollfd pfd;
    pair p;

    pair_open(&p, SECRET, SECRET);
    CHECK_INT(handshake_both(&p), 1);
    CHECK(kq_tls_ready(p.client) && kq_tls_ready(p.server));
    CHECK_STR(kq_tls_cipher(p.client), "TLS_AES_128_GCM_SHA256");
    /* An (EC)DHE group was agreed: psk_dhe_ke, forward secrecy. */
    CHECK_STR(kq_tls_group(p.client), "x25519");
    CHECK_STR(kq_tls_group(p.server), "x25519");
    /* Three records at once: the first read takes the first record and
     * reads the others ahead, so they wait in OpenSSL while the socket
     * has nothing to say. */
    CHECK_INT(kq_tls_write(p.client, "one", 3), 3);
    CHECK_INT(kq_tls_write(p.client, "two", 3), 3);
    CHECK_INT(kq_tls_write(p.client, "six", 3), 3);
    CHECK_INT(kq_tls_read(p.server, buf, 3), 3);
    CHECK_STR(buf, "one");
    CHECK(kq_tls_pending(p.server));
    pfd = (struct pollfd){p.sfd, POLLIN, 0};
    CHECK_INT(poll(&pfd, 1, 0), 0);
    CHECK_INT(read_all(p.server, buf, sizeof buf - 1), 6);
    CHECK_STR(buf, "twosix");
    CHECK(!kq_tls_pending(p.server));
    CHECK_INT(kq_tls_read(p.server, buf, 1), -EAGAIN);
    CHECK_INT(kq_tls_wants(p.server), KQ_READABLE);
    /* And back. */
    memset(buf, 0, sizeof buf);
    CHECK_INT(kq_tls_write(p.server, "answer", 6), 6);
    CHECK_INT(read_all(p.client, buf, sizeof buf - 1), 6);
    CHECK_STR(buf, "answer");
    CHECK(kq_tls_wire_written(p.client) > 9);
    /* A key update both ways, then data still flows. */
    CHECK_INT(kq_tls_key_update(p.client), 0);
    memset(buf, 0, sizeof buf);
    CHECK_INT(kq_tls_write(p.client, "after", 5), 5);
    CHECK_INT(read_all(p.server, buf, sizeof buf - 1), 5);
    CHECK_STR(buf, "after");
    memset(buf, 0, sizeof buf);
    CHECK_INT(kq_tls_write(p.server, "too", 3), 3);
    CHECK_INT(read_all(p.client, buf, sizeof buf - 1), 3);
    CHECK_STR(buf, "too");
    /* close_notify: the end of the stream, not an error. */
    kq_tls_shutdown(p.client);
    CHECK_INT(kq_tls_read(p.server, buf, 1), 0);
    pair_close(&p);
}

static void test_wrong_secret_fails_both_sides(void)
{
    pair p;
    int rc;

    pair_open(&p, "not the secret", SECRET);
    rc = handshake_both(&p);
    CHECK(rc < 0 && rc != -EAGAIN);
    /* The server checks the binder first and alerts the client. */
    CHECK_INT(kq_tls_handshake(p.server), -EPROTO);
    CHECK(strstr(kq_tls_error(p.server), "shared_secret differs") != NULL);
    for (int i = 0; i < 10 && (rc = kq_tls_handshake(p.client)) == -EAGAIN; i++)
        ;
    CHECK_INT(rc, -EPROTO);
    CHECK(strstr(kq_tls_error(p.client), "shared_secret differs") != NULL);
    CHECK(!kq_tls_peer_silent(p.client));
    CHECK(kq_tls_wrong_key(p.client) && kq_tls_wrong_key(p.server));
    pair_close(&p);
}

static void test_silent_and_garbage_peers(void)
{
    char hello[1024];
    pair p;

    /* A server that reads the ClientHello, fails to parse it as JSON and
     * closes without a word, as the original does. */
    pair_open(&p, SECRET, SECRET);
    CHECK_INT(kq_tls_handshake(p.client), -EAGAIN);
    CHECK(read(p.sfd, hello, sizeof hello) > 0);
    close(p.sfd);
    p.sfd = -1;
    CHECK_INT(kq_tls_handshake(p.client), -ECONNRESET);
    CHECK(kq_tls_peer_silent(p.client));
    CHECK(strstr(kq_tls_error(p.client), "does not speak TLS") != NULL);
    pair_close(&p);

    /* One that answers something else is not silent. */
    pair_open(&p, SECRET, SECRET);
    CHECK_INT(kq_tls_handshake(p.client), -EAGAIN);
    CHECK(write(p.sfd, "\"WelcomeClient\"", 15) == 15);
    CHECK_INT(kq_tls_handshake(p.client), -EPROTO);
    CHECK(!kq_tls_peer_silent(p.client));
    pair_close(&p);

    /* A server given a TLS record type and then garbage. */
    pair_open(&p, SECRET, SECRET);
    CHECK(write(p.cfd, "\x16\x03\x01\x00\x05garbage and more", 21) == 21);
    CHECK_INT(kq_tls_handshake(p.server), -EPROTO);
    pair_close(&p);
}

/* Moves what one side wrote to the other, flipping the byte at flip
 * (counted over everything relayed; -1: none). */
static size_t relay(int from, int to, long flip, size_t *offset)
{
    char buf[65536];
    ssize_t n;
    size_t moved = 0;

    while ((n = read(from, buf, sizeof buf)) > 0) {
        if (flip >= 0 && (size_t)flip >= *offset && (size_t)flip < *offset + (size_t)n)
            buf[(size_t)flip - *offset] ^= 0x01;
        *offset += (size_t)n;
        CHECK(write(to, buf, (size_t)n) == n);
        moved += (size_t)n;
    }
    return moved;
}

static void test_flipped_byte_and_replay(void)
{
    static char recording[65536];
    size_t recorded = 0, coff = 0, soff = 0, data_at;
    char buf[64];
    kq_tls *replayed;
    int a[2], b[2], rc, c = -EAGAIN, s = -EAGAIN;
    kq_tls_ctx *cctx, *sctx;
    kq_tls *client, *server;
    kq_error err;

    /* client <-> a[1] | relay | b[0] <-> server */
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    CHECK_INT(kq_tls_ctx_new(false, SECRET, &cctx, &err), 0);
    CHECK_INT(kq_tls_ctx_new(true, SECRET, &sctx, &err), 0);
    CHECK_INT(kq_tls_new(cctx, a[0], &client), 0);
    CHECK_INT(kq_tls_new(sctx, b[1], &server), 0);
    for (int i = 0; i < 1000 && (c != 1 || s != 1); i++) {
        char chunk[65536];
        ssize_t n;

        if (c == -EAGAIN)
            c = kq_tls_handshake(client);
        /* Record what the client sends, for the replay below. */
        while ((n = read(a[1], chunk, sizeof chunk)) > 0) {
            memcpy(recording + recorded, chunk, (size_t)n);
            recorded += (size_t)n;
            coff += (size_t)n;
            CHECK(write(b[0], chunk, (size_t)n) == n);
        }
        if (s == -EAGAIN)
            s = kq_tls_handshake(server);
        relay(b[0], a[1], -1, &soff);
    }
    CHECK(c == 1 && s == 1);
    /* One byte flipped inside the next record: the record does not
     * decrypt, nothing of it is delivered, the session is dead. */
    CHECK_INT(kq_tls_write(client, "{\"IssueJob\":{}}", 15), 15);
    data_at = coff;
    {
        char chunk[4096];
        ssize_t n = read(a[1], chunk, sizeof chunk);

        CHECK(n > 20);
        memcpy(recording + recorded, chunk, (size_t)n);
        recorded += (size_t)n;
        chunk[10] ^= 0x01;
        CHECK(write(b[0], chunk, (size_t)n) == n);
    }
    rc = (int)kq_tls_read(server, buf, sizeof buf);
    CHECK_INT(rc, -EPROTO);
    CHECK(strstr(kq_tls_error(server), "tampered") != NULL);
    CHECK_INT(kq_tls_read(server, buf, sizeof buf), -EPROTO);
    CHECK(data_at > 0);
    kq_tls_free(server);
    close(b[0]);
    close(b[1]);

    /* The client's bytes replayed to a new server: the ClientHello is
     * accepted (it is genuine), but the server's fresh key share makes
     * the recorded Finished and data worthless. */
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
    CHECK_INT(kq_tls_new(sctx, b[1], &replayed), 0);
    CHECK(write(b[0], recording, recorded) == (ssize_t)recorded);
    rc = -EAGAIN;
    for (int i = 0; i < 10 && rc == -EAGAIN; i++)
        rc = kq_tls_handshake(replayed);
    CHECK_INT(rc, -EPROTO);
    CHECK_INT(kq_tls_read(replayed, buf, sizeof buf), -EPROTO);
    kq_tls_free(replayed);
    kq_tls_free(client);
    kq_tls_ctx_free(cctx);
    kq_tls_ctx_free(sctx);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

int main(void)
{
    test_key_derivation();
    test_sniff_and_modes();
    test_handshake_and_data();
    test_wrong_secret_fails_both_sides();
    test_silent_and_garbage_peers();
    test_flipped_byte_and_replay();
    KQ_TEST_DONE();
}
