/*
 * fuzz_tls.c - libFuzzer target: the first-byte sniffing and the TLS
 * record path of kq_conn.
 *
 * The first input byte chooses the mode, the second the chunk size; the
 * rest is the stream.
 *   mode 0 and 1: the stream is what a peer without the secret sends to a
 *     server connection (kq_conn_sniff; mode 1 refuses plain text): it
 *     must never yield a message through TLS, a refused plain stream none
 *     at all, and the connection must end without the loop blocking.
 *   mode 2: a real client (kq_conn_start_tls) sends the stream as data,
 *     one record per chunk, to a server connection: the messages the
 *     server hands out must be exactly those the framer finds in the same
 *     bytes, and TLS itself must never fail.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kq_conn.h"
#include "kq_framer.h"

#define MAX_MESSAGE 4096
#define SECRET "fuzz secret"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct end {
    kq_conn conn;
    kq_buf got;      /* the messages, each followed by a NUL */
    size_t messages;
    int closed;
} end;

static void on_message(void *owner, const char *msg, size_t len)
{
    end *e = owner;

    kq_buf_append(&e->got, msg, len);
    kq_buf_putc(&e->got, '\0');
    e->messages++;
}

static void on_closed(void *owner, const char *reason)
{
    (void)reason;
    ((end *)owner)->closed++;
}

static const kq_conn_handler handler = {on_message, on_closed};

static kq_tls_ctx *server_ctx, *client_ctx;

static void contexts(void)
{
    kq_error err;

    if (!server_ctx && (kq_tls_ctx_new(true, SECRET, &server_ctx, &err) < 0 ||
                        kq_tls_ctx_new(false, SECRET, &client_ctx, &err) < 0))
        abort();
}

/* The messages the framer finds in the whole stream (as end.got), up to
 * the first error. */
static void frame_all(const uint8_t *p, size_t n, kq_buf *out, size_t *count)
{
    kq_framer f;
    const char *msg;
    size_t len;
    kq_error err;
    int rc = 0;

    kq_framer_init(&f, MAX_MESSAGE);
    if (kq_framer_feed(&f, p, n) != 0)
        abort();
    while ((rc = kq_framer_next(&f, &msg, &len, &err)) == 1) {
        kq_buf_append(out, msg, len);
        kq_buf_putc(out, '\0');
        (*count)++;
    }
    kq_framer_free(&f);
}

/* A peer without the secret writes the stream to a sniffing server. */
static void raw_to_server(const uint8_t *p, size_t n, size_t chunk, bool allow_plain)
{
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    end srv = {0};
    size_t off = 0;
    int sv[2];

    if (kq_loop_new(&loop) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    hub.loop = loop;
    if (kq_conn_open(&srv.conn, &hub, sv[0], MAX_MESSAGE, &handler, &srv) < 0)
        abort();
    kq_conn_sniff(&srv.conn, server_ctx, allow_plain);
    for (int t = 0; t < 10000 && !srv.closed; t++) {
        char sink[65536];

        if (off < n) {
            ssize_t w = write(sv[1], p + off, n - off < chunk ? n - off : chunk);

            if (w > 0)
                off += (size_t)w;
        } else if (off == n) {
            shutdown(sv[1], SHUT_WR);
            off++;
        }
        while (read(sv[1], sink, sizeof sink) > 0)
            ;
        if (kq_loop_turn(loop, 0) < 0)
            abort();
        kq_conn_hub_flush(&hub);
    }
    if (!srv.closed)
        abort(); /* the stream ended: the connection must have */
    if (kq_conn_encrypted(&srv.conn) && srv.messages)
        abort(); /* no data without the key */
    if (kq_conn_tls_failed(&srv.conn) == KQ_CONN_TLS_PLAIN_REFUSED && srv.messages)
        abort();
    if (hub.buffered)
        abort();
    kq_buf_free(&srv.got);
    close(sv[1]);
    kq_loop_free(loop);
}

/* A real client sends the stream as data, one record per chunk. */
static void records_to_server(const uint8_t *p, size_t n, size_t chunk)
{
    kq_loop *loop = NULL;
    kq_conn_hub hub = {0};
    end cli = {0}, srv = {0};
    kq_buf want = KQ_BUF_INIT;
    size_t want_count = 0, off = 0;
    int sv[2];

    frame_all(p, n, &want, &want_count);
    if (kq_loop_new(&loop) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    hub.loop = loop;
    if (kq_conn_open(&cli.conn, &hub, sv[0], MAX_MESSAGE, &handler, &cli) < 0 ||
        kq_conn_open(&srv.conn, &hub, sv[1], MAX_MESSAGE, &handler, &srv) < 0 ||
        kq_conn_start_tls(&cli.conn, client_ctx) < 0)
        abort();
    kq_conn_sniff(&srv.conn, server_ctx, false);
    for (int t = 0; t < 100000 && !srv.closed; t++) {
        if (cli.conn.transport == KQ_CONN_TLS && off < n && cli.conn.out.len == 0) {
            size_t k = n - off < chunk ? n - off : chunk;

            kq_conn_send(&cli.conn, p + off, k);
            off += k;
        } else if (off == n && cli.conn.out.len == 0 && kq_conn_is_open(&cli.conn)) {
            kq_conn_close_after_flush(&cli.conn);
        }
        if (kq_loop_turn(loop, 0) < 0)
            abort();
        kq_conn_hub_flush(&hub);
    }
    if (!srv.closed || srv.messages != want_count || srv.got.len != want.len ||
        memcmp(kq_buf_ptr(&srv.got), kq_buf_ptr(&want), want.len) != 0 ||
        kq_conn_tls_failed(&srv.conn) != KQ_CONN_TLS_NO_FAILURE)
        abort();
    kq_conn_close(&cli.conn);
    kq_buf_free(&cli.got);
    kq_buf_free(&srv.got);
    kq_buf_free(&want);
    kq_loop_free(loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk;

    if (size < 2)
        return 0;
    contexts();
    chunk = (size_t)data[1] * 64 + 1;
    switch (data[0] % 3) {
    case 0:
        raw_to_server(data + 2, size - 2, chunk, true);
        break;
    case 1:
        raw_to_server(data + 2, size - 2, chunk, false);
        break;
    default:
        records_to_server(data + 2, size - 2, chunk);
        break;
    }
    return 0;
}
