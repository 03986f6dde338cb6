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

/* Input a paused connection may hold: what an unpaused one holds at most
 * (one unfinished message and one read). */
static size_t input_cap(const kq_conn *c)
{
    return c->in.max_message + (64u << 10);
}

static void on_io(kq_loop *loop, int fd, int events, void *arg);
static void on_resume(kq_loop *loop, void *arg);
static void on_timeouts(kq_loop *loop, void *arg);
static void update_interest(kq_conn *c);

/* Brings hub->buffered up to date with what c's buffers hold now. */
static void account(kq_conn *c)
{
    size_t now = c->fd >= 0 ? kq_framer_memory(&c->in) + c->out.cap : 0;

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
    int unacked;

    if (c->fd < 0 || ioctl(c->fd, SIOCOUTQ, &unacked) < 0 || unacked < 0 ||
        (uint64_t)unacked > c->sent_abs)
        return c->sent_abs;
    return c->sent_abs - (uint64_t)unacked;
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

/* Reading is wanted until the stream ended or the connection closes, and
 * while paused until the input is full; writing while output waits. */
static void update_interest(kq_conn *c)
{
    int ev = 0;

    if (c->fd < 0)
        return;
    if (!c->draining && !c->eof &&
        (!c->paused || kq_framer_buffered(&c->in) < input_cap(c)))
        ev |= KQ_READABLE;
    if (c->released_abs > c->sent_abs)
        ev |= KQ_WRITABLE;
    kq_loop_set_events(c->hub->loop, c->fd, ev);
}

/* Writes as much queued output as the socket takes.  0, or -1 after the
 * connection failed (and was reported). */
static int write_out(kq_conn *c)
{
    uint64_t sent_before = c->sent_abs;

    while (c->released_abs > c->sent_abs) {
        ssize_t n = send(c->fd, kq_buf_ptr(&c->out),
                         (size_t)(c->released_abs - c->sent_abs), MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            fail(c, strerror(errno));
            return -1;
        }
        kq_buf_consume(&c->out, (size_t)n);
        c->sent_abs += (uint64_t)n;
        /* An answer is likely: poll the peer in every turn for a while. */
        kq_loop_touch(c->hub->loop, c->fd);
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
        if ((kq_framer_buffered(&c->in) || c->eof) && !c->resume_timer)
            c->resume_timer = kq_loop_timer(c->hub->loop, 0, on_resume, c);
    }
    if (c->draining && c->out.len == 0) {
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
    size_t n;

    if (c->fd < 0 || c->draining)
        return;
    if (c->out.len == 0) {
        fail(c, reason);
        return;
    }
    n = strnlen(reason, sizeof c->why - 1);
    memcpy(c->why, reason, n);
    c->why[n] = '\0';
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

    while (c->fd >= 0 && !c->paused && !c->draining) {
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
        if (c->partial_since && !c->paused && hub->message_timeout_ms &&
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

        if (c->paused) {
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
        n = recv(c->fd, p, avail < room ? avail : room, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            fail(c, strerror(errno));
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

static void on_io(kq_loop *loop, int fd, int events, void *arg)
{
    kq_conn *c = arg;

    (void)loop;
    (void)fd;
    if ((events & KQ_WRITABLE) && write_out(c) < 0)
        return;
    if (events & KQ_READABLE)
        read_in(c);
    update_interest(c);
    kq_framer_trim(&c->in);
    account(c);
}
