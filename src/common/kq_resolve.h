/*
 * kq_resolve.h - name lookups that never block the event loop.
 *
 * getaddrinfo() may wait for a DNS server for many seconds, which is just
 * when a worker reconnects after a network outage; inside the select()
 * loop that would stall every running job's output and SIGCHLD.  A lookup
 * here runs in glibc's resolver thread (getaddrinfo_a) and the loop polls
 * it.  Numeric addresses are answered at once without a thread.
 */
#ifndef KQ_RESOLVE_H
#define KQ_RESOLVE_H

#include <netdb.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_error.h"

typedef struct kq_resolve kq_resolve;

/* Starts looking up host:port (stream sockets, any family).  0 with *out
 * owned by the caller (kq_resolve_free), or -ENOMEM / -EAGAIN with err. */
KQ_NODISCARD int kq_resolve_start(const char *host, uint16_t port,
                                  kq_resolve **out, kq_error *err);

/*
 * The outcome so far: -EINPROGRESS while the lookup runs; 0 with *res, the
 * address list, handed to the caller (freeaddrinfo); -EHOSTUNREACH with
 * err ("resolve example.org:11236: Name or service not known").  Call at
 * most once after it stopped returning -EINPROGRESS.
 */
KQ_NODISCARD int kq_resolve_poll(kq_resolve *r, struct addrinfo **res,
                                 kq_error *err);

/* Cancels the lookup if it still runs and frees it.  A lookup the resolver
 * cannot cancel is waited for (at most a few seconds; only on shutdown
 * can one be in progress for long). */
void kq_resolve_free(kq_resolve *r);

#endif
