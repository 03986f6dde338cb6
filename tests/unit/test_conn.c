/*
 * test_conn.c - kq_conn's output discipline: bytes go out only once their
 * turn is flushed, even when the socket becomes writable in between (a
 * server relies on this to commit a turn before anyone hears of it), and
 * unheld output can go ahead of the flush; messages before bad bytes are
 * answered before the close; an owner's hold stops messages, boundedly.  Over TLS (kq_conn_start_tls, kq_conn_sniff)
 * the same: holds, back-pressure, messages OpenSSL holds, and the
 * failures of the transport.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kq_conn.h"
#include "kq_test.h"

static void on_message(void *owner, const char *msg, size_t len)
{
    (void)owner;
    (void)msg;
    (void)len;
}

static void on_closed(void *owner, const char *reason)
{
    (void)owner;
    (void)reason;
}

static const kq_conn_handler handler = {on_message, on_closed};

/* Everything readable on fd now (non-blocking). */
static size_t drain(int fd, char *last, size_t last_len)
{
    char buf[65536];
    size_t total = 0;
    ssize_t n;

    while ((n = read(fd, buf, sizeof buf)) > 0) {
        total += (size_t)n;
        if ((size_t)n >= last_len)
            memcpy(last, buf + n - last_len, last_len);
    }
    return total;
}

static void open_pair(kq_conn_hub *hub, kq_conn *c, int *peer)
{
    int sv[2];

    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_INT(kq_conn_open(c, hub, sv[0], 1 << 20, &handler, NULL), 0);
    *peer = sv[1];
}

/* Regression: a connection with a backlog used to write, when it became
 * writable mid-turn, output queued in that turn before its commit. */
static void test_unflushed_output_waits_for_the_flush(void)
{
    static char big[4 << 20];
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    kq_conn c;
    char tail[5] = {0};
    size_t got = 0;
    int peer;

    CHECK_INT(kq_loop_new(&loop), 0);
    hub.loop = loop;
    open_pair(&hub, &c, &peer);
    memset(big, 'x', sizeof big);
    /* More than the socket holds: the rest waits for writability. */
    kq_conn_send(&c, big, sizeof big);
    kq_conn_hub_flush(&hub);
    CHECK(c.out.len > 0);
    kq_conn_send(&c, "HELD", 4);
    for (int i = 0; i < 10000 && got < sizeof big; i++) {
        got += drain(peer, tail, 4);
        CHECK_INT(kq_loop_turn(loop, 10), 0);
    }
    got += drain(peer, tail, 4);
    CHECK_INT(got, sizeof big);
    CHECK_STR(tail, "xxxx");
    kq_conn_hub_flush(&hub);
    got += drain(peer, tail, 4);
    CHECK_INT(got, sizeof big + 4);
    CHECK_STR(tail, "HELD");
    kq_conn_close(&c);
    close(peer);
    kq_loop_free(loop);
}

static void test_unheld_output_goes_ahead(void)
{
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    kq_conn offer, answer;
    char tail[6] = {0};
    int offer_peer, answer_peer;

    CHECK_INT(kq_loop_new(&loop), 0);
    hub.loop = loop;
    open_pair(&hub, &offer, &offer_peer);
    open_pair(&hub, &answer, &answer_peer);
    kq_buf_puts(kq_conn_out(&offer), "offer");
    kq_conn_queued_unheld(&offer);
    kq_buf_puts(kq_conn_out(&answer), "answer");
    kq_conn_queued(&answer);
    kq_conn_hub_flush_unheld(&hub);
    CHECK_INT(drain(offer_peer, tail, 5), 5);
    CHECK_STR(tail, "offer");
    CHECK_INT(drain(answer_peer, tail, 6), 0);
    /* Unheld output behind held output waits with it. */
    kq_buf_puts(kq_conn_out(&answer), "offer");
    kq_conn_queued_unheld(&answer);
    kq_conn_hub_flush_unheld(&hub);
    CHECK_INT(drain(answer_peer, tail, 6), 0);
    kq_conn_hub_flush(&hub);
    CHECK_INT(drain(answer_peer, tail, 5), 11);
    CHECK_STR(tail, "offer");
    kq_conn_close(&offer);
    kq_conn_close(&answer);
    close(offer_peer);
    close(answer_peer);
    kq_loop_free(loop);
}

/* A peer that echoes every message and records why it was closed. */
typedef struct echo {
    kq_conn conn;
    char why[KQ_CONN_WHY_MAX];
    int closed;
} echo;

static void echo_message(void *owner, const char *msg, size_t len)
{
    kq_conn_send(&((echo *)owner)->conn, msg, len);
}

static void echo_closed(void *owner, const char *reason)
{
    echo *e = owner;

    snprintf(e->why, sizeof e->why, "%s", reason);
    e->closed++;
}

static const kq_conn_handler echo_handler = {echo_message, echo_closed};

/* Everything the peer sends until it closes (blocking). */
static size_t read_to_eof(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;

    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
        got += (size_t)n;
    return got;
}

/* Regression (issue 11.3): messages before bad bytes, or before the end of
 * the stream, are answered, and then the connection closes with the
 * reason. */
static void test_answers_before_bad_bytes_then_closes(void)
{
    static const struct {
        const char *in, *out, *why;
        bool shut;
    } cases[] = {
        {"\"a\"\"b\"}{", "\"a\"\"b\"", "invalid JSON at byte 0 ('}')", false},
        {"\"a\"42", "\"a\"", "not a message", false},
        {"\"a\"{\"b\":", "\"a\"", "connection closed in the middle of a message", true},
        {"\"a\"\"b\"", "\"a\"\"b\"", "connection closed", true},
        {"}", "", "invalid JSON at byte 0", false},
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kq_loop *loop = NULL;
        kq_conn_hub hub = {0};
        echo e = {0};
        char buf[64];
        int sv[2];

        CHECK_INT(kq_loop_new(&loop), 0);
        hub.loop = loop;
        CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        CHECK_INT(kq_conn_open(&e.conn, &hub, sv[0], 1 << 20, &echo_handler, &e), 0);
        CHECK_INT(write(sv[1], cases[i].in, strlen(cases[i].in)), (long long)strlen(cases[i].in));
        if (cases[i].shut)
            shutdown(sv[1], SHUT_WR);
        for (int t = 0; t < 100 && !e.closed; t++) {
            CHECK_INT(kq_loop_turn(loop, 10), 0);
            kq_conn_hub_flush(&hub);
        }
        CHECK_INT(e.closed, 1);
        CHECK(strncmp(e.why, cases[i].why, strlen(cases[i].why)) == 0);
        buf[read_to_eof(sv[1], buf, sizeof buf - 1)] = '\0';
        CHECK_STR(buf, cases[i].out);
        CHECK(!kq_conn_is_open(&e.conn));
        close(sv[1]);
        kq_loop_free(loop);
    }
}

/* One end of a conversation that counts what it receives. */
typedef struct counter {
    kq_conn conn;
    size_t messages, bytes;
    int closed;
} counter;

static void count_message(void *owner, const char *msg, size_t len)
{
    counter *k = owner;

    (void)msg;
    k->messages++;
    k->bytes += len;
}

static void count_closed(void *owner, const char *reason)
{
    (void)reason;
    ((counter *)owner)->closed++;
}

static const kq_conn_handler count_handler = {count_message, count_closed};

/* Queues n messages of size bytes each ("xxx...", a JSON string). */
static void queue_strings(kq_conn *c, size_t n, size_t size)
{
    kq_buf *out = kq_conn_out(c);

    for (size_t i = 0; i < n; i++) {
        kq_buf_putc(out, '"');
        for (size_t k = 2; k < size; k++)
            kq_buf_putc(out, 'x');
        kq_buf_putc(out, '"');
    }
    kq_conn_queued(c);
}

/* Regression (issue 11.7): two connections that both queued more than the
 * high-water mark for each other both stopped reading, each waiting for
 * the other to read first, forever.  A paused connection goes on reading
 * into its input, so both drain. */
static void test_two_paused_peers_do_not_deadlock(void)
{
    enum { N = 192, SIZE = 64 << 10 }; /* 12 MiB each way */
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    counter a = {0}, b = {0};
    int sv[2];

    CHECK_INT(kq_loop_new(&loop), 0);
    hub.loop = loop;
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_INT(kq_conn_open(&a.conn, &hub, sv[0], KQ_FRAMER_DEFAULT_MAX, &count_handler, &a), 0);
    CHECK_INT(kq_conn_open(&b.conn, &hub, sv[1], KQ_FRAMER_DEFAULT_MAX, &count_handler, &b), 0);
    queue_strings(&a.conn, N, SIZE);
    queue_strings(&b.conn, N, SIZE);
    CHECK(a.conn.paused && b.conn.paused);
    kq_conn_hub_flush(&hub);
    for (int t = 0; t < 1000 && (a.messages < N || b.messages < N); t++) {
        CHECK_INT(kq_loop_turn(loop, 10), 0);
        kq_conn_hub_flush(&hub);
    }
    CHECK_INT(a.messages, N);
    CHECK_INT(b.messages, N);
    CHECK_INT(a.bytes, (size_t)N * SIZE);
    CHECK_INT(a.closed + b.closed, 0);
    CHECK(!a.conn.paused && !b.conn.paused);
    kq_conn_close(&a.conn);
    kq_conn_close(&b.conn);
    kq_loop_free(loop);
}

/* While paused (its own output unread) or held (by its owner, as the
 * relay holds one side of a pair while the other does not read), a
 * connection reads its peer's messages into its input, at most one
 * message's bound plus one read, and hands out none of them until its own
 * output is read, or it is released. */
static void test_stopped_input_is_bounded(bool held)
{
    enum { MAX = 64 << 10 };
    static char chunk[4096];
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    counter c = {0};
    size_t sent = 0, before;
    int sv[2];

    CHECK_INT(kq_loop_new(&loop), 0);
    hub.loop = loop;
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_INT(kq_conn_open(&c.conn, &hub, sv[0], MAX, &count_handler, &c), 0);
    if (held) {
        kq_conn_hold(&c.conn, true);
    } else {
        queue_strings(&c.conn, 80, 64 << 10); /* 5 MiB: paused */
        kq_conn_hub_flush(&hub);
        CHECK(c.conn.paused);
    }
    for (size_t i = 0; i < sizeof chunk; i += 4)
        memcpy(chunk + i, "\"hi\"", 4);
    /* The peer writes small messages and reads nothing, until neither it
     * nor the connection can go on. */
    do {
        ssize_t n;

        before = sent + kq_framer_buffered(&c.conn.in);
        while ((n = write(sv[1], chunk, sizeof chunk)) > 0)
            sent += (size_t)n;
        CHECK_INT(kq_loop_turn(loop, 0), 0);
        kq_conn_hub_flush(&hub);
    } while (sent + kq_framer_buffered(&c.conn.in) != before);
    CHECK_INT(c.messages, 0);
    CHECK_INT(kq_framer_buffered(&c.conn.in), MAX + (64 << 10));
    /* Once the peer reads, or the owner lets go, every message is handed
     * out. */
    if (held)
        kq_conn_hold(&c.conn, false);
    for (int t = 0; t < 1000 && c.messages < sent / 4; t++) {
        while (read(sv[1], chunk, sizeof chunk) > 0)
            ;
        CHECK_INT(kq_loop_turn(loop, 10), 0);
        kq_conn_hub_flush(&hub);
    }
    CHECK_INT(c.messages, sent / 4);
    CHECK(!c.conn.paused && !c.conn.held);
    kq_conn_close(&c.conn);
    close(sv[1]);
    kq_loop_free(loop);
}

/* The hub counts what the buffers hold; an idle connection holds no input
 * buffer, a big output buffer goes once written, a closed one holds
 * nothing. */
static void test_buffers_counted_and_freed(void)
{
    static char big[1 << 20];
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    counter c = {0};
    char sink[65536];
    int sv[2];

    CHECK_INT(kq_loop_new(&loop), 0);
    hub.loop = loop;
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_INT(kq_conn_open(&c.conn, &hub, sv[0], 1 << 20, &count_handler, &c), 0);
    CHECK_INT(write(sv[1], "\"a\"\"b", 5), 5);
    CHECK_INT(kq_loop_turn(loop, 1000), 0);
    CHECK_INT(c.messages, 1);
    CHECK(kq_framer_memory(&c.conn.in) > 0); /* "b... is unfinished */
    CHECK_INT(hub.buffered, kq_conn_buffered(&c.conn));
    CHECK_INT(write(sv[1], "\"", 1), 1);
    CHECK_INT(kq_loop_turn(loop, 1000), 0);
    CHECK_INT(c.messages, 2);
    CHECK_INT(kq_framer_memory(&c.conn.in), 0);
    memset(big, ' ', sizeof big);
    kq_conn_send(&c.conn, big, sizeof big);
    CHECK(hub.buffered >= sizeof big);
    kq_conn_hub_flush(&hub);
    for (int t = 0; t < 1000 && c.conn.out.len; t++) {
        while (read(sv[1], sink, sizeof sink) > 0)
            ;
        CHECK_INT(kq_loop_turn(loop, 10), 0);
    }
    CHECK_INT(c.conn.out.cap, 0);
    CHECK_INT(hub.buffered, 0);
    kq_conn_send(&c.conn, big, sizeof big);
    CHECK(hub.buffered >= sizeof big);
    kq_conn_close(&c.conn);
    CHECK_INT(hub.buffered, 0);
    close(sv[1]);
    kq_loop_free(loop);
}

/* With timeouts set, a message that does not arrive whole in time, or a
 * peer that reads nothing of its output, ends the connection; one that
 * keeps up stays. */
static void test_timeouts(void)
{
    static char big[8 << 20];
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    echo partial = {0}, unread = {0}, fine = {0};
    int sp[2], su[2], sf[2];
    char sink[65536];

    CHECK_INT(kq_loop_new(&loop), 0);
    hub.loop = loop;
    hub.message_timeout_ms = 100;
    hub.unread_timeout_ms = 100;
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp), 0);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, su), 0);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sf), 0);
    CHECK_INT(kq_conn_open(&partial.conn, &hub, sp[0], 1 << 20, &echo_handler, &partial), 0);
    CHECK_INT(kq_conn_open(&unread.conn, &hub, su[0], 1 << 20, &echo_handler, &unread), 0);
    CHECK_INT(kq_conn_open(&fine.conn, &hub, sf[0], 1 << 20, &echo_handler, &fine), 0);
    CHECK_INT(write(sp[1], "{\"a\":", 5), 5);
    memset(big, ' ', sizeof big);
    kq_conn_send(&unread.conn, big, sizeof big);
    kq_conn_hub_flush(&hub);
    /* The hub looks at its timeouts every second. */
    for (time_t end = time(NULL) + 5; time(NULL) < end && (!partial.closed || !unread.closed);) {
        CHECK_INT(write(sf[1], "\"x\"", 3), 3);
        CHECK_INT(kq_loop_turn(loop, 10), 0);
        kq_conn_hub_flush(&hub);
        while (read(sf[1], sink, sizeof sink) > 0)
            ;
    }
    CHECK_INT(partial.closed, 1);
    CHECK_STR(partial.why, "no whole message within 0.1 s");
    CHECK_INT(unread.closed, 1);
    CHECK_STR(unread.why, "read none of its messages for 0.1 s");
    CHECK_INT(fine.closed, 0);
    CHECK(hub.timed == NULL || hub.timed == &fine.conn);
    kq_conn_close(&fine.conn);
    CHECK(hub.timed == NULL);
    close(sp[1]);
    close(su[1]);
    close(sf[1]);
    kq_loop_free(loop);
}

/* ---- over TLS ---------------------------------------------------------- */

#define SECRET "kueue-c test secret"

typedef struct tls_pair {
    kq_loop *loop;
    kq_conn_hub hub;
    kq_tls_ctx *cctx, *sctx;
    counter client, server;
} tls_pair;

/* A client connection starting TLS with client_secret and a server
 * connection sniffing with server_secret, on one loop. */
static void tls_pair_open(tls_pair *p, const char *client_secret, const char *server_secret,
                          bool allow_plain)
{
    kq_error err;
    int sv[2];

    memset(p, 0, sizeof *p);
    CHECK_INT(kq_loop_new(&p->loop), 0);
    p->hub.loop = p->loop;
    CHECK_INT(kq_tls_ctx_new(false, client_secret, &p->cctx, &err), 0);
    CHECK_INT(kq_tls_ctx_new(true, server_secret, &p->sctx, &err), 0);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_INT(kq_conn_open(&p->client.conn, &p->hub, sv[0], KQ_FRAMER_DEFAULT_MAX,
                           &count_handler, &p->client), 0);
    CHECK_INT(kq_conn_open(&p->server.conn, &p->hub, sv[1], KQ_FRAMER_DEFAULT_MAX,
                           &count_handler, &p->server), 0);
    kq_conn_sniff(&p->server.conn, p->sctx, allow_plain);
    CHECK_INT(kq_conn_start_tls(&p->client.conn, p->cctx), 0);
}

static void tls_pair_close(tls_pair *p)
{
    kq_conn_close(&p->client.conn);
    kq_conn_close(&p->server.conn);
    kq_tls_ctx_free(p->cctx);
    kq_tls_ctx_free(p->sctx);
    kq_loop_free(p->loop);
}

/* One turn of the loop, then the flush a program does at its end. */
static void turn(tls_pair *p)
{
    CHECK_INT(kq_loop_turn(p->loop, 10), 0);
    kq_conn_hub_flush(&p->hub);
}

/* Turns until *n reaches want, or both ends closed. */
static void turn_until(tls_pair *p, const size_t *n, size_t want)
{
    for (int t = 0; t < 2000 && *n < want && (!p->client.closed || !p->server.closed); t++)
        turn(p);
}

static void test_tls_messages_and_holds(void)
{
    tls_pair p;

    tls_pair_open(&p, SECRET, SECRET, true);
    /* Queued and flushed before the handshake: sent once it is done. */
    queue_strings(&p.client.conn, 3, 10);
    kq_conn_hub_flush(&p.hub);
    turn_until(&p, &p.server.messages, 3);
    CHECK_INT(p.server.messages, 3);
    CHECK(kq_conn_encrypted(&p.client.conn) && kq_conn_encrypted(&p.server.conn));
    CHECK_INT(p.server.conn.transport, KQ_CONN_TLS);
    /* What OpenSSL holds counts against connection_memory_max_mb. */
    CHECK(kq_conn_buffered(&p.server.conn) >= 24 << 10);
    /* Output waits for its turn's flush over TLS too. */
    kq_buf_puts(kq_conn_out(&p.server.conn), "\"held\"");
    kq_conn_queued(&p.server.conn);
    for (int t = 0; t < 20; t++)
        CHECK_INT(kq_loop_turn(p.loop, 1), 0);
    CHECK_INT(p.client.messages, 0);
    turn_until(&p, &p.client.messages, 1);
    CHECK_INT(p.client.messages, 1);
    /* Twenty thousand small messages in one flush: every one is handed
     * out, although most wait inside OpenSSL, not in the socket. */
    queue_strings(&p.client.conn, 20000, 8);
    turn_until(&p, &p.server.messages, 20003);
    CHECK_INT(p.server.messages, 20003);
    /* The peer read everything: all of it is acknowledged. */
    CHECK_INT(kq_conn_acked(&p.client.conn), p.client.conn.sent_abs);
    CHECK(p.client.conn.sent_abs >= 20000 * 8);
    /* A key update asked for by one side, answered by the other. */
    CHECK_INT(kq_tls_key_update(p.client.conn.tls), 0);
    queue_strings(&p.client.conn, 1, 8);
    queue_strings(&p.server.conn, 1, 8);
    turn_until(&p, &p.server.messages, 20004);
    turn_until(&p, &p.client.messages, 2);
    CHECK_INT(p.server.messages, 20004);
    CHECK_INT(p.client.messages, 2);
    /* Bye, then close_notify: a clean end for the peer. */
    queue_strings(&p.client.conn, 1, 8);
    kq_conn_close_after_flush(&p.client.conn);
    turn_until(&p, &p.server.messages, 20005);
    for (int t = 0; t < 100 && !p.server.closed; t++)
        turn(&p);
    CHECK_INT(p.server.messages, 20005);
    CHECK_INT(p.server.closed, 1);
    CHECK_INT(kq_conn_tls_failed(&p.server.conn), KQ_CONN_TLS_NO_FAILURE);
    kq_conn_close(&p.client.conn);
    CHECK_INT(p.hub.buffered, 0);
    tls_pair_close(&p);
}

/* Records read ahead into OpenSSL never make the socket readable: when
 * the read budget of a turn ends with some there, they must still be
 * read.  Many small records at once, in every count around the budget
 * (256 KiB), hit that moment at least once. */
static void test_tls_records_held_by_openssl_are_read(void)
{
    int big = 4 << 20;

    for (size_t n = 250; n < 290; n++) {
        tls_pair p;

        tls_pair_open(&p, SECRET, SECRET, false);
        setsockopt(p.client.conn.fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        queue_strings(&p.client.conn, 1, 10);
        turn_until(&p, &p.server.messages, 1);
        /* One record per message, all written before the server reads. */
        for (size_t i = 0; i < n; i++) {
            queue_strings(&p.client.conn, 1, 1020);
            kq_conn_hub_flush(&p.hub);
        }
        turn_until(&p, &p.server.messages, n + 1);
        CHECK_INT(p.server.messages, n + 1);
        tls_pair_close(&p);
    }
}

/* Issue 11.7 over TLS: both paused, 12 MiB each way, both drain. */
static void test_tls_paused_peers_do_not_deadlock(void)
{
    enum { N = 192, SIZE = 64 << 10 };
    tls_pair p;

    tls_pair_open(&p, SECRET, SECRET, false);
    queue_strings(&p.client.conn, N, SIZE);
    queue_strings(&p.server.conn, N, SIZE);
    CHECK(p.client.conn.paused && p.server.conn.paused);
    for (int t = 0; t < 3000 && (p.client.messages < N || p.server.messages < N); t++)
        turn(&p);
    CHECK_INT(p.client.messages, N);
    CHECK_INT(p.server.messages, N);
    CHECK_INT(p.server.bytes, (size_t)N * SIZE);
    CHECK_INT(p.client.closed + p.server.closed, 0);
    tls_pair_close(&p);
}

static void test_tls_failures(void)
{
    char hello[2048];
    tls_pair p;

    /* Another secret: both ends close, and say why. */
    tls_pair_open(&p, "another secret", SECRET, true);
    queue_strings(&p.client.conn, 1, 10);
    for (int t = 0; t < 100 && (!p.client.closed || !p.server.closed); t++)
        turn(&p);
    CHECK_INT(p.client.closed, 1);
    CHECK_INT(p.server.closed, 1);
    CHECK_INT(p.server.messages, 0);
    CHECK_INT(kq_conn_tls_failed(&p.server.conn), KQ_CONN_TLS_WRONG_KEY);
    CHECK_INT(kq_conn_tls_failed(&p.client.conn), KQ_CONN_TLS_WRONG_KEY);
    tls_pair_close(&p);

    /* Plain text, allowed (after whitespace) and not: refused at its
     * first byte. */
    {
        kq_loop *loop = NULL;
        kq_conn_hub hub = {0};
        kq_tls_ctx *sctx;
        kq_error err;
        counter plain = {0}, refused = {0};
        int a[2], b[2];

        CHECK_INT(kq_loop_new(&loop), 0);
        hub.loop = loop;
        CHECK_INT(kq_tls_ctx_new(true, SECRET, &sctx, &err), 0);
        CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, a), 0);
        CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, b), 0);
        CHECK_INT(kq_conn_open(&plain.conn, &hub, a[0], 1 << 20, &count_handler, &plain), 0);
        CHECK_INT(kq_conn_open(&refused.conn, &hub, b[0], 1 << 20, &count_handler, &refused), 0);
        kq_conn_sniff(&plain.conn, sctx, true);
        kq_conn_sniff(&refused.conn, sctx, false);
        CHECK_INT(write(a[1], " \"HelloFromClient\"", 18), 18);
        CHECK_INT(write(b[1], "\"HelloFromClient\"", 17), 17);
        for (int t = 0; t < 100 && (!plain.messages || !refused.closed); t++)
            CHECK_INT(kq_loop_turn(loop, 10), 0);
        CHECK_INT(plain.messages, 1);
        CHECK(!kq_conn_encrypted(&plain.conn));
        CHECK_INT(refused.messages, 0);
        CHECK_INT(refused.closed, 1);
        CHECK_INT(kq_conn_tls_failed(&refused.conn), KQ_CONN_TLS_PLAIN_REFUSED);
        kq_conn_close(&plain.conn);
        kq_tls_ctx_free(sctx);
        close(a[1]);
        close(b[1]);
        kq_loop_free(loop);
    }

    /* A server that does not speak TLS reads the ClientHello and closes
     * without a word: the client's failure says so. */
    {
        kq_loop *loop = NULL;
        kq_conn_hub hub = {0};
        kq_tls_ctx *cctx;
        kq_error err;
        counter c = {0};
        int sv[2];

        CHECK_INT(kq_loop_new(&loop), 0);
        hub.loop = loop;
        CHECK_INT(kq_tls_ctx_new(false, SECRET, &cctx, &err), 0);
        CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        CHECK_INT(kq_conn_open(&c.conn, &hub, sv[0], 1 << 20, &count_handler, &c), 0);
        CHECK_INT(kq_conn_start_tls(&c.conn, cctx), 0);
        for (int t = 0; t < 100 && read(sv[1], hello, sizeof hello) <= 0; t++)
            CHECK_INT(kq_loop_turn(loop, 10), 0);
        close(sv[1]);
        for (int t = 0; t < 100 && !c.closed; t++)
            CHECK_INT(kq_loop_turn(loop, 10), 0);
        CHECK_INT(c.closed, 1);
        CHECK_INT(kq_conn_tls_failed(&c.conn), KQ_CONN_TLS_SILENT);
        kq_tls_ctx_free(cctx);
        kq_loop_free(loop);
    }
}

int main(void)
{
    test_unflushed_output_waits_for_the_flush();
    test_unheld_output_goes_ahead();
    test_answers_before_bad_bytes_then_closes();
    test_two_paused_peers_do_not_deadlock();
    test_stopped_input_is_bounded(false);
    test_stopped_input_is_bounded(true);
    test_buffers_counted_and_freed();
    test_timeouts();
    test_tls_messages_and_holds();
    test_tls_records_held_by_openssl_are_read();
    test_tls_paused_peers_do_not_deadlock();
    test_tls_failures();
    KQ_TEST_DONE();
}
