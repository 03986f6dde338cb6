/*
 * test_conn.c - kq_conn's output discipline: bytes go out only once their
 * turn is flushed, even when the socket becomes writable in between (a
 * server relies on this to commit a turn before anyone hears of it), and
 * unheld output can go ahead of the flush; messages before bad bytes are
 * answered before the close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

int main(void)
{
    test_unflushed_output_waits_for_the_flush();
    test_unheld_output_goes_ahead();
    test_answers_before_bad_bytes_then_closes();
    KQ_TEST_DONE();
}
