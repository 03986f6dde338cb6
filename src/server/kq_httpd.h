/*
 * kq_httpd.h - an HTTP server inside the server's event loop, on GNU
 * libmicrohttpd (MHD).
 *
 * MHD does all of HTTP (parsing, keep-alive, HEAD, limits, timeouts); no
 * thread of its own, no HTTP parsing of ours.  It runs in its epoll mode
 * without an internal thread: its epoll descriptor is one more readable fd
 * in kq_loop's select(), MHD_run is called when that fd is readable, and
 * a kq_loop timer is armed from MHD_get_timeout for its connection
 * timeouts (and for data it holds but has not processed: connections are
 * edge-triggered, so then the timeout is 0 and MHD runs the next turn).
 * Why epoll rather than MHD_get_fdset: with fd sets, every turn would copy
 * all of MHD's descriptors into the loop and every MHD_run would look at
 * all of its connections, so a turn would cost O(connections) even when
 * none is ready; with epoll the loop watches one fd, and an MHD_run costs
 * O(ready connections + timed-out ones): it drains epoll_wait with a zero
 * timeout, handles its ready list, and walks its timeout list (kept in
 * order of last activity) from the oldest until one has not timed out.
 * Nothing blocks: the sockets are non-blocking, epoll_wait never waits.
 *
 * What a client can make the server hold is bounded with MHD's options:
 * max_connections at a time (more wait in the kernel's backlog), each with
 * memory_per_connection bytes for its request line and headers (a bigger
 * request is refused with 431), closed after timeout_s without progress;
 * and the answers waiting to leave, over all connections: past
 * max_held_bytes, requests get 503 until they drain.
 *
 * Only GET and HEAD reach the handler (MHD leaves HEAD's body out); other
 * methods get 405.  With a token set, a request must carry it as
 * "Authorization: Bearer TOKEN" or as the query parameter token=TOKEN
 * (compared in constant time, lengths included), else it gets 401.
 *
 * Owns the MHD daemon, the listening socket given to it, one timer; calls
 * the handler from inside the loop, on the loop's thread, and nothing of
 * the caller's otherwise.
 */
#ifndef KQ_HTTPD_H
#define KQ_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_buf.h"
#include "kq_error.h"
#include "kq_loop.h"

#define KQ_HTTP_MAX_HEADERS 4

typedef struct kq_httpd kq_httpd;
typedef struct kq_http_req kq_http_req;

/* The answer a handler fills. */
typedef struct kq_http_reply {
    unsigned status;              /* 200 unless set */
    const char *content_type;     /* static text */
    kq_buf body;                  /* taken over by kq_httpd */
    const char *headers[KQ_HTTP_MAX_HEADERS][2]; /* more headers: name,
                                                    value (copied) */
} kq_http_reply;

/* Answers one GET or HEAD request; runs inside the loop and must not
 * block. */
typedef void kq_http_handler(void *arg, const kq_http_req *req, kq_http_reply *reply);

typedef struct kq_httpd_opts {
    const char *token;            /* NULL or "": no token asked */
    unsigned max_connections;
    size_t memory_per_connection; /* request line and headers */
    unsigned timeout_s;
    size_t max_held_bytes;        /* answers not yet sent, all connections */
    kq_http_handler *handler;
    void *arg;
} kq_httpd_opts;

/*
 * Serves HTTP on fd, a listening non-blocking socket that is taken over
 * (closed on failure too), from loop.  The options are copied.  0 or
 * -errno with err.
 */
KQ_NODISCARD int kq_httpd_start(kq_loop *loop, int fd, const kq_httpd_opts *opts,
                                kq_httpd **out, kq_error *err);

/* Closes every connection and the listening socket; NULL is ignored. */
void kq_httpd_stop(kq_httpd *h);

/* The request's path, percent-decoded, without the query. */
const char *kq_http_req_path(const kq_http_req *req);

/* A query parameter (kq_query_get_fn with the request as ctx): whether it
 * is there, and its decoded value (NULL when given without '='). */
bool kq_http_req_arg(void *req, const char *name, const char **value);

/* The token when the request carried it as a query parameter (so that
 * links can carry it on), else NULL. */
const char *kq_http_req_query_token(const kq_http_req *req);

/* Whether text equals the token, in time independent of both (SHA-256 of
 * each, compared with CRYPTO_memcmp). */
bool kq_httpd_token_ok(const char *token, const char *text);

#endif
