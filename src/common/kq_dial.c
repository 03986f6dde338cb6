/*
 * kq_dial.c - connecting from the event loop (see kq_dial.h).
 */
#include "kq_dial.h"

#include <errno.h>
#include <netdb.h>
#include <unistd.h>

#include "kq_net.h"

static void dial_next(kq_dial *d);

/* The socket of a connect in progress became writable: connected, or
 * refused (then the next address is tried). */
static void on_writable(kq_loop *loop, int fd, int events, void *arg)
{
    kq_dial *d = arg;
    int rc;

    (void)events;
    kq_loop_unwatch(loop, fd);
    d->fd = -1;
    if ((rc = kq_net_connect_finish(fd)) < 0) {
        close(fd);
        d->last_error = -rc;
        dial_next(d);
        return;
    }
    d->done(d->arg, fd, 0);
}

static void dial_next(kq_dial *d)
{
    int fd, rc;

    while (d->next) {
        const struct addrinfo *ai = d->next;

        d->next = ai->ai_next;
        rc = kq_net_connect_addr(ai, &fd);
        if (rc == 0) {
            d->done(d->arg, fd, 0);
            return;
        }
        if (rc == -EINPROGRESS) {
            if ((rc = kq_loop_watch(d->loop, fd, KQ_WRITABLE, on_writable, d)) == 0) {
                d->fd = fd;
                return;
            }
            close(fd);
        }
        d->last_error = -rc;
    }
    d->done(d->arg, -1, d->last_error);
}

void kq_dial_start(kq_dial *d, kq_loop *loop, const struct addrinfo *addrs,
                   kq_dial_cb *done, void *arg)
{
    *d = (kq_dial){loop, addrs, -1, ECONNREFUSED, done, arg};
    dial_next(d);
}

void kq_dial_cancel(kq_dial *d)
{
    if (d->fd < 0)
        return;
    kq_loop_unwatch(d->loop, d->fd);
    close(d->fd);
    d->fd = -1;
}
