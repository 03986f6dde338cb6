/*
 * kq_dial.h - connecting to a server from the event loop: each resolved
 * address in turn, never waiting (a connect in progress is watched for
 * writability), until one answers or none is left.  The worker's session
 * and the client's relay connect so.
 */
#ifndef KQ_DIAL_H
#define KQ_DIAL_H

#include "kq_loop.h"

struct addrinfo;

/* The outcome, once: fd >= 0 connected (non-blocking; the callee owns it)
 * and err 0, or fd -1 and the errno of the last address tried
 * (ECONNREFUSED when there was none). */
typedef void kq_dial_cb(void *arg, int fd, int err);

typedef struct kq_dial {
    kq_loop *loop;
    const struct addrinfo *next; /* the address to try after the current */
    int fd;                      /* the connect in progress, else -1 */
    int last_error;
    kq_dial_cb *done;
    void *arg;
} kq_dial;

/* A dial not started: kq_dial_cancel does nothing to it. */
static inline void kq_dial_init(kq_dial *d)
{
    d->fd = -1;
}

/* Starts connecting to addrs, which must outlive the dial; done may run
 * from inside this call. */
void kq_dial_start(kq_dial *d, kq_loop *loop, const struct addrinfo *addrs,
                   kq_dial_cb *done, void *arg);

/* Stops a connect in progress (its socket is closed); done does not run. */
void kq_dial_cancel(kq_dial *d);

#endif
