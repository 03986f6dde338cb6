/*
 * kq_conn.c - a protocol connection on the loop (see kq_conn.h).
 */
#include "kq_conn.h"

#include <errno.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bytes read per readiness event before yielding to other peers. */
#define READ_BUDGET (256u << 10)
/* One read: with kq_buf's NUL a fresh input buffer takes 64 KiB, below
 * malloc's mmap threshold (input buffers come and go with the bytes). */
#define READ_CHUNK ((64u << 10) - 1)
/* Output buffers bigger than this are freed once written. */
#define OUT_KEEP (64u << 10)
/* How often the hub looks at the timeouts of its connections. */
#define TIMEOUT_TICK_MS 1000
/* What a TLS connection holds inside OpenSSL, counted with its buffers:
 * 22 kB measured for an idle one (bench_server idle), its SSL object
 * 7.6 kB of it; more while records are read or written. */
#define TLS_BYTES (24u << 10)

/* Input a paused connection may hold: what an unpaused one holds at most
 * (one unfinished message and one read). */
static size_t input_cap(const kq_conn *c)
{
    return c->in.max_message + (64u << 10);
}

static void on_io(kq_loop *loop, int fd, int events, void *arg);
static void on_resume(kq_loop *loop, void *arg);
static void on_timeouts(kq_loop *loop, void *arg);
static void on_tls_pending(kq_loop *loop, void *arg);
static void update_interest(kq_conn *c);

/* Takes the messages already buffered next turn (not from inside the
 * call that ended the pause). */
static void resume_later(kq_conn *c)
{
    if ((kq_framer_buffered(&c->in) || c->eof) && !c->resume_timer)
        c->resume_timer = kq_loop_timer(c->hub->loop, 0, on_resume, c);
}

/* Brings hub->buffered up to date with what c's buffers hold now. */
static void account(kq_conn *c)
{
    size_t now = c->fd >= 0 ? kq_framer_memory(&c->in) + c->out.cap : 0;

    if (c->tls)
        now += TLS_BYTES + kq_tls_held(c->tls);

    c->hub->buffered += now - c->accounted;
    c->accounted = now;
}

/* Puts c on the hub's list of connections with a timeout running. */
static void time_it(kq_conn *c)
{
    kq_conn_hub *hub = c->hub;

    if (c->timed)
        return;
    c->timed = true;
    c->timed_prev = NULL;
    c->timed_next = hub->timed;
    if (hub->timed)
        hub->timed->timed_prev = c;
    hub->timed = c;
    if (!hub->timeout_timer)
        hub->timeout_timer = kq_loop_timer(hub->loop, TIMEOUT_TICK_MS, on_timeouts, hub);
}

static void untime(kq_conn *c)
{
    if (!c->timed)
        return;
    if (c->timed_prev)
        c->timed_prev->timed_next = c->timed_next;
    else
        c->hub->timed = c->timed_next;
    if (c->timed_next)
        c->timed_next->timed_prev = c->timed_prev;
    c->timed = false;
    c->timed_prev = c->timed_next = NULL;
}

static void fail(kq_conn *c, const char *reason)
{
    if (c->fd < 0)
        return;
    /* A close already decided keeps its own reason. */
    if (c->why[0])
        reason = c->why;
    kq_conn_close(c);
    c->handler->closed(c->owner, reason);
}

/* The same after a TLS failure: its text dies with the TLS state. */
static void fail_tls(kq_conn *c)
{
    char why[KQ_CONN_WHY_MAX];

    if (!c->tls_failure)
        c->tls_failure = KQ_CONN_TLS_FAILED;
    snprintf(why, sizeof why, "%s", kq_tls_error(c->tls));
    fail(c, why);
}

/* ---- the transport ---------------------------------------------------- */

/* Reads from the socket or through TLS: > 0, 0 at the end of the stream,
 * or -errno (-EAGAIN: wait). */
static ssize_t transport_recv(kq_conn *c, char *p, size_t n)
{
    ssize_t r;

    if (!c->tls) {
        r = recv(c->fd, p, n, 0);
        return r < 0 ? -errno : r;
    }
    r = kq_tls_read(c->tls, p, n);
    c->tls_read_blocked = r == -EAGAIN;
    c->tls_read_wants = r == -EAGAIN ? (uint8_t)kq_tls_wants(c->tls) : 0;
    return r;
}

/* Notes where a TLS write left the data and the record streams. */
static void tls_mark(kq_conn *c)
{
    unsigned i = c->tls_nmarks++ % KQ_CONN_TLS_MARKS;

    c->tls_marks[i].data = c->sent_abs;
    c->tls_marks[i].wire = kq_tls_wire_written(c->tls) + kq_tls_unsent(c->tls);
}

/* Writes to the socket or through TLS: bytes taken, or -errno. */
static ssize_t transport_send(kq_conn *c, const char *p, size_t n)
{
    ssize_t r;

    if (!c->tls) {
        r = send(c->fd, p, n, MSG_NOSIGNAL);
        return r < 0 ? -errno : r;
    }
    r = kq_tls_write(c->tls, p, n);
    c->tls_write_wants = r == -EAGAIN ? (uint8_t)kq_tls_wants(c->tls) : 0;
    return r;
}

/* Drives the handshake: 1 done, 0 waiting, -1 failed (c closed). */
static int handshake(kq_conn *c)
{
    int rc = kq_tls_handshake(c->tls);

    if (rc == -EAGAIN) {
        update_interest(c);
        return 0;
    }
    if (rc < 0) {
        c->tls_failure = kq_tls_peer_silent(c->tls)  ? KQ_CONN_TLS_SILENT
                         : kq_tls_wrong_key(c->tls) ? KQ_CONN_TLS_WRONG_KEY
                                                    : KQ_CONN_TLS_FAILED;
        fail_tls(c);
        return -1;
    }
    c->transport = KQ_CONN_TLS;
    return 1;
}

/* Server side: the first byte decides the transport.  1 decided, 0
 * waiting, -1 refused (c closed). */
static int sniff(kq_conn *c)
{
    unsigned char first;
    ssize_t n = recv(c->fd, &first, 1, MSG_PEEK);
    kq_tls_sniff kind;

    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        fail(c, strerror(errno));
        return -1;
    }
    /* The end of the stream: the plain path reports it. */
    kind = n == 0 ? KQ_SNIFF_PLAIN : kq_tls_sniff_bytes(&first, 1);
    if (kind == KQ_SNIFF_TLS && c->tls_ctx) {
        if (kq_tls_new(c->tls_ctx, c->fd, &c->tls) < 0) {
            fail(c, "out of memory for TLS");
            return -1;
        }
        c->transport = KQ_CONN_HANDSHAKE;
        account(c);
        return 1;
    }
    if (n > 0 && !c->allow_plain) {
        char sink[4096];

        /* Unread bytes would turn the close into a reset. */
        while (recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
            ;
        c->tls_failure = KQ_CONN_TLS_PLAIN_REFUSED;
        fail(c, "a connection in plain text, refused: server_settings.allow_plaintext "
                "is false (an original Kueue client or worker, or encryption = \"off\"?)");
        return -1;
    }
    c->transport = KQ_CONN_PLAIN;
    return 1;
}

int kq_conn_start_tls(kq_conn *c, kq_tls_ctx *ctx)
{
    int rc;

    if (c->fd < 0 || c->tls)
        return -EINVAL;
    if ((rc = kq_tls_new(ctx, c->fd, &c->tls)) < 0)
        return rc;
    c->transport = KQ_CONN_HANDSHAKE;
    account(c);
    update_interest(c);
    return 0;
}

void kq_conn_sniff(kq_conn *c, kq_tls_ctx *ctx, bool allow_plain)
{
    c->transport = KQ_CONN_SNIFFING;
    c->tls_ctx = ctx;
    c->allow_plain = allow_plain;
}

int kq_conn_open(kq_conn *c, kq_conn_hub *hub, int fd, size_t max_message,
                 const kq_conn_handler *handler, void *owner)
{
    int rc;

    memset(c, 0, sizeof *c);
    c->hub = hub;
    c->fd = fd;
    c->handler = handler;
    c->owner = owner;
    kq_framer_init(&c->in, max_message);
    kq_net_peer(fd, c->peer);
    account(c);
    if ((rc = kq_loop_watch(hub->loop, fd, KQ_READABLE, on_io, c)) < 0) {
        c->fd = -1;
        kq_framer_free(&c->in);
        return rc;
    }
    return 0;
}

/* Takes c off the hub's list of connections to write, so that its memory
 * may be reused or freed. */
static void undirty(kq_conn *c)
{
    if (!c->dirty)
        return;
    for (kq_conn **p = &c->hub->dirty; *p; p = &(*p)->next_dirty) {
        if (*p == c) {
            *p = c->next_dirty;
            break;
        }
    }
    c->dirty = false;
    c->next_dirty = NULL;
}

uint64_t kq_conn_acked(const kq_conn *c)
{
    uint64_t wire;
    int unacked;

    if (c->fd < 0 || ioctl(c->fd, SIOCOUTQ, &unacked) < 0 || unacked < 0)
        return c->sent_abs;
    if (!c->tls)
        return (uint64_t)unacked > c->sent_abs ? c->sent_abs : c->sent_abs - (uint64_t)unacked;
    wire = kq_tls_wire_written(c->tls);
    if ((uint64_t)unacked > wire)
        return 0;
    for (unsigned k = c->tls_nmarks; k > 0 && c->tls_nmarks - k < KQ_CONN_TLS_MARKS; k--) {
        unsigned i = (k - 1) % KQ_CONN_TLS_MARKS;

        if (c->tls_marks[i].wire <= wire - (uint64_t)unacked)
            return c->tls_marks[i].data;
    }
    return 0;
}

void kq_conn_close(kq_conn *c)
{
    if (c->fd < 0)
        return;
    undirty(c);
    untime(c);
    kq_loop_unwatch(c->hub->loop, c->fd);
    kq_loop_timer_cancel(c->hub->loop, c->resume_timer);
    c->resume_timer = 0;
    kq_loop_timer_cancel(c->hub->loop, c->tls_timer);
    c->tls_timer = 0;
    if (c->tls) {
        /* After the last output: the peer can tell an end from a cut. */
        if (c->transport == KQ_CONN_TLS)
            kq_tls_shutdown(c->tls);
        kq_tls_free(c->tls);
        c->tls = NULL;
    }
    close(c->fd);
    c->fd = -1;
    kq_framer_free(&c->in);
    kq_buf_free(&c->out);
    account(c);
}

void kq_conn_set_max_message(kq_conn *c, size_t max_message)
{
    c->in.max_message = max_message ? max_message : KQ_FRAMER_DEFAULT_MAX;
    update_interest(c);
}

/* Whether output waits to be written: data, or TLS records made of it. */
static bool output_waits(const kq_conn *c)
{
    return c->released_abs > c->sent_abs || (c->tls && kq_tls_unsent(c->tls));
}

/* Whether handing out messages waits: for the peer to read (paused), or
 * for the owner (held). */
static bool stopped(const kq_conn *c)
{
    return c->paused || c->held;
}

/* Reading is wanted until the stream ended or the connection closes, and
 * while paused until the input is full. */
static bool reading_wanted(const kq_conn *c)
{
    return !c->draining && !c->eof &&
           (!stopped(c) || kq_framer_buffered(&c->in) < input_cap(c));
}

/* Data OpenSSL holds (decrypted, or records read ahead) never makes the
 * socket readable: read it next turn when reading is wanted and the last
 * read did not already wait for the socket. */
static void tls_kick(kq_conn *c)
{
    if (c->transport != KQ_CONN_TLS || c->tls_timer || c->tls_read_blocked ||
        !reading_wanted(c) || !kq_tls_pending(c->tls))
        return;
    c->tls_timer = kq_loop_timer(c->hub->loop, 0, on_tls_pending, c);
}

/* Reading as above, writing while output waits; a TLS handshake, or a
 * TLS read or write that waits, wants what OpenSSL asked for. */
static void update_interest(kq_conn *c)
{
    int ev = 0;

    if (c->fd < 0)
        return;
    switch ((kq_conn_transport)c->transport) {
    case KQ_CONN_SNIFFING:
        ev = c->draining ? 0 : KQ_READABLE;
        break;
    case KQ_CONN_HANDSHAKE:
        ev = kq_tls_wants(c->tls);
        break;
    case KQ_CONN_PLAIN:
    case KQ_CONN_TLS:
        if (reading_wanted(c))
            ev |= c->tls_read_wants ? c->tls_read_wants : KQ_READABLE;
        if (output_waits(c))
            ev |= c->tls_write_wants ? c->tls_write_wants : KQ_WRITABLE;
        break;
    }
    kq_loop_set_events(c->hub->loop, c->fd, ev);
    tls_kick(c);
}

/* Writes as much queued output as the socket takes.  0, or -1 after the
 * connection failed (and was reported). */
static int write_out(kq_conn *c)
{
    uint64_t sent_before = c->sent_abs;

    /* Before the transport is up, everything waits for it. */
    if (c->transport == KQ_CONN_SNIFFING || c->transport == KQ_CONN_HANDSHAKE)
        return 0;
    /* The records of what is written now go out in one send, as plain
     * text would: a peer never sees a message's first record long before
     * the rest of it. */
    if (c->tls)
        kq_tls_batch(c->tls);
    while (c->released_abs > c->sent_abs) {
        ssize_t n = transport_send(c, kq_buf_ptr(&c->out),
                                   (size_t)(c->released_abs - c->sent_abs));

        if (n < 0) {
            if (n == -EAGAIN)
                break;
            if (n == -EINTR)
                continue;
            if (c->tls)
                fail_tls(c);
            else
                fail(c, strerror((int)-n));
            return -1;
        }
        kq_buf_consume(&c->out, (size_t)n);
        c->sent_abs += (uint64_t)n;
        if (c->tls)
            tls_mark(c);
        /* An answer is likely: poll the peer in every turn for a while. */
        kq_loop_touch(c->hub->loop, c->fd);
    }
    if (c->tls) {
        int rc = kq_tls_flush(c->tls);

        if (rc == -EAGAIN) {
            c->tls_write_wants = KQ_WRITABLE;
        } else if (rc < 0) {
            fail_tls(c);
            return -1;
        } else if (c->released_abs == c->sent_abs) {
            c->tls_write_wants = 0;
        }
    }
    if (c->released_abs == c->sent_abs) {
        c->stalled_since = 0;
    } else if (c->sent_abs != sent_before || !c->stalled_since) {
        c->stalled_since = kq_loop_now(c->hub->loop);
        if (c->hub->unread_timeout_ms)
            time_it(c);
    }
    if (c->out.len == 0 && c->out.cap > OUT_KEEP)
        kq_buf_free(&c->out);
    account(c);
    if (c->paused && c->out.len < KQ_CONN_HIGH_WATER / 2) {
        c->paused = false;
        /* Requests already buffered are taken next turn, not from inside
         * this flush, so their answers follow the usual path. */
        resume_later(c);
    }
    if (c->draining && !output_waits(c)) {
        fail(c, "closed after sending its last messages");
        return -1;
    }
    update_interest(c);
    return 0;
}

void kq_conn_queued(kq_conn *c)
{
    c->hold_wanted = true;
    kq_conn_queued_unheld(c);
}

void kq_conn_queued_unheld(kq_conn *c)
{
    if (c->fd < 0) {
        kq_buf_clear(&c->out);
        return;
    }
    if (c->out.oom) {
        fail(c, "out of memory for its output");
        return;
    }
    if (c->out.len > KQ_CONN_MAX_QUEUE) {
        fail(c, "peer does not read its messages");
        return;
    }
    if (c->out.len > KQ_CONN_HIGH_WATER)
        c->paused = true;
    if (!c->dirty) {
        c->dirty = true;
        c->next_dirty = c->hub->dirty;
        c->hub->dirty = c;
    }
    account(c);
}

void kq_conn_send(kq_conn *c, const void *p, size_t n)
{
    if (c->fd < 0)
        return;
    kq_buf_append(&c->out, p, n);
    kq_conn_queued(c);
}

void kq_conn_close_after_flush(kq_conn *c)
{
    if (c->fd < 0)
        return;
    c->draining = true;
    if (!c->dirty) {
        c->dirty = true;
        c->next_dirty = c->hub->dirty;
        c->hub->dirty = c;
    }
}

void kq_conn_refuse(kq_conn *c, const char *reason)
{
    if (c->fd < 0 || c->draining)
        return;
    if (c->out.len == 0) {
        fail(c, reason);
        return;
    }
    snprintf(c->why, sizeof c->why, "%.*s", (int)sizeof c->why - 1, reason);
    kq_conn_close_after_flush(c);
    update_interest(c);
}

/* Releases everything queued and writes what the socket takes. */
static void release(kq_conn *c)
{
    c->dirty = false;
    c->next_dirty = NULL;
    c->hold_wanted = false;
    if (c->fd < 0)
        return;
    c->released_abs = c->sent_abs + c->out.len;
    write_out(c);
}

void kq_conn_hub_flush(kq_conn_hub *hub)
{
    while (hub->dirty) {
        kq_conn *c = hub->dirty;

        hub->dirty = c->next_dirty;
        release(c);
    }
}

void kq_conn_hub_flush_unheld(kq_conn_hub *hub)
{
    for (kq_conn **p = &hub->dirty; *p;) {
        kq_conn *c = *p;

        if (c->hold_wanted) {
            p = &c->next_dirty;
            continue;
        }
        *p = c->next_dirty;
        release(c);
    }
}

/* Hands out the complete messages buffered, until paused or closed; once
 * the stream has ended and all are out, closes after their answers. */
static void take_messages(kq_conn *c)
{
    const char *msg;
    size_t len;
    kq_error err;
    int rc;

    while (c->fd >= 0 && !stopped(c) && !c->draining) {
        rc = kq_framer_next(&c->in, &msg, &len, &err);
        if (rc == 0) {
            /* Bytes left are the start of the next message. */
            if (!kq_framer_buffered(&c->in)) {
                c->partial_since = 0;
            } else if (!c->partial_since) {
                c->partial_since = kq_loop_now(c->hub->loop);
                if (c->hub->message_timeout_ms)
                    time_it(c);
            }
            /* A peer that only shut its side down still gets the answers. */
            if (c->eof)
                kq_conn_refuse(c, kq_framer_partial(&c->in)
                                      ? "connection closed in the middle of a message"
                                      : "connection closed");
            return;
        }
        if (rc < 0) {
            kq_conn_refuse(c, err.msg);
            return;
        }
        c->partial_since = 0;
        c->handler->message(c->owner, msg, len);
    }
}

static void on_resume(kq_loop *loop, void *arg)
{
    kq_conn *c = arg;

    (void)loop;
    c->resume_timer = 0;
    /* The time paused does not count against the message being read. */
    c->partial_since = 0;
    take_messages(c);
    update_interest(c);
    kq_framer_trim(&c->in);
    account(c);
}

void kq_conn_hold(kq_conn *c, bool hold)
{
    if (c->held == hold)
        return;
    c->held = hold;
    if (c->fd < 0)
        return;
    if (!hold && !c->paused)
        resume_later(c);
    update_interest(c);
}

/* Closes the connections whose message did not arrive whole, or whose
 * peer read none of its output, in time. */
static void on_timeouts(kq_loop *loop, void *arg)
{
    kq_conn_hub *hub = arg;
    uint64_t now = kq_loop_now(loop);
    char why[96];
    kq_conn *c = hub->timed;

    hub->timeout_timer = 0;
    while (c) {
        kq_conn *next = c->timed_next;

        if (c->stalled_since && hub->unread_timeout_ms &&
            now - c->stalled_since >= hub->unread_timeout_ms) {
            snprintf(why, sizeof why, "read none of its messages for %g s",
                     (double)hub->unread_timeout_ms / 1000);
            fail(c, why);
            /* Its owner may have closed others: start again. */
            c = hub->timed;
            continue;
        }
        if (c->partial_since && !stopped(c) && hub->message_timeout_ms &&
            now - c->partial_since >= hub->message_timeout_ms) {
            snprintf(why, sizeof why, "no whole message within %g s",
                     (double)hub->message_timeout_ms / 1000);
            c->partial_since = 0;
            kq_conn_refuse(c, why);
            c = hub->timed;
            continue;
        }
        if (!c->stalled_since && !c->partial_since)
            untime(c);
        c = next;
    }
    if (hub->timed)
        hub->timeout_timer = kq_loop_timer(loop, TIMEOUT_TICK_MS, on_timeouts, hub);
}

/* Reads what is there (up to the budget) and hands out whole messages.
 * A paused connection goes on reading into its input (up to input_cap)
 * without handing messages out: a peer that waits for it to read before
 * it reads itself would otherwise never read again. */
static void read_in(kq_conn *c)
{
    size_t total = 0;

    while (c->fd >= 0 && !c->eof && !c->draining && total < READ_BUDGET) {
        size_t avail, room = READ_CHUNK;
        char *p;
        ssize_t n;

        if (stopped(c)) {
            size_t held = kq_framer_buffered(&c->in);

            if (held >= input_cap(c))
                return;
            if (input_cap(c) - held < room)
                room = input_cap(c) - held;
        }
        p = kq_framer_space(&c->in, room, &avail);
        if (!p) {
            fail(c, "out of memory for its input");
            return;
        }
        n = transport_recv(c, p, avail < room ? avail : room);
        if (n < 0) {
            if (n == -EAGAIN)
                return;
            if (n == -EINTR)
                continue;
            if (c->tls)
                fail_tls(c);
            else
                fail(c, strerror((int)-n));
            return;
        }
        if (n == 0) {
            c->eof = true;
            take_messages(c);
            return;
        }
        total += (size_t)n;
        kq_framer_commit(&c->in, (size_t)n);
        take_messages(c);
    }
}

/* What every turn of I/O ends with. */
static void io_done(kq_conn *c)
{
    update_interest(c);
    kq_framer_trim(&c->in);
    account(c);
}

static void on_tls_pending(kq_loop *loop, void *arg)
{
    kq_conn *c = arg;

    (void)loop;
    c->tls_timer = 0;
    read_in(c);
    io_done(c);
}

static void on_io(kq_loop *loop, int fd, int events, void *arg)
{
    kq_conn *c = arg;
    bool rd = events & KQ_READABLE, wr = events & KQ_WRITABLE;

    (void)loop;
    (void)fd;
    if (c->transport == KQ_CONN_SNIFFING && sniff(c) <= 0)
        return;
    if (c->transport == KQ_CONN_HANDSHAKE) {
        if (handshake(c) <= 0)
            return;
        /* Up: what waited for it goes out, what came with it is read. */
        rd = wr = true;
    }
    if (c->tls_write_wants & events)
        wr = true;
    if (c->tls_read_wants & events)
        rd = true;
    if (wr && write_out(c) < 0)
        return;
    if (rd)
        read_in(c);
    io_done(c);
}
