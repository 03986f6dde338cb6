/*
 * kq_httpd.c - libmicrohttpd in the event loop (see kq_httpd.h).
 */
#include "kq_httpd.h"

#include <errno.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kq_auth.h"
#include "kq_log.h"
#include "kq_net.h"

struct kq_httpd {
    kq_loop *loop;
    struct MHD_Daemon *daemon;
    int epoll_fd;
    kq_httpd_opts opts;
    char *token;              /* copy of opts.token, or NULL */
    uint64_t timer;           /* armed at timer_due (loop ms), or 0 */
    uint64_t timer_due;
    size_t held;              /* bytes of answers MHD has not freed */
    uint64_t refused_logged_ms;
};

struct kq_http_req {
    struct MHD_Connection *conn;
    const char *path;
    const char *query_token;
};

/* An answer's body while MHD holds it. */
typedef struct held_body {
    kq_httpd *h;
    size_t len;
    char *data;
} held_body;

const char *kq_http_req_path(const kq_http_req *req)
{
    return req->path;
}

bool kq_http_req_arg(void *req, const char *name, const char **value)
{
    const kq_http_req *r = req;
    size_t len;

    *value = NULL;
    return MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name,
                                         strlen(name), value, &len) == MHD_YES;
}

const char *kq_http_req_query_token(const kq_http_req *req)
{
    return req->query_token;
}

static void sha256(const char *text, unsigned char out[32])
{
    if (kq_auth_sha256(text, strlen(text), out) < 0)
        memset(out, 0, 32);
}

bool kq_httpd_token_ok(const char *token, const char *text)
{
    unsigned char a[32], b[32];

    if (!token || !text)
        return false;
    sha256(token, a);
    sha256(text, b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

/* ---- running MHD from the loop ---------------------------------------- */

static void run(kq_httpd *h);

static void on_timer(kq_loop *loop, void *arg)
{
    kq_httpd *h = arg;

    (void)loop;
    h->timer = 0;
    run(h);
}

static void on_readable(kq_loop *loop, int fd, int events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    run(arg);
}

/* Arms the timer for MHD's next deadline, unless one armed earlier will
 * do: a timer that fires early only costs one MHD_run, while cancelling
 * costs a search of the loop's timers. */
static void arm(kq_httpd *h)
{
    MHD_UNSIGNED_LONG_LONG ms;
    uint64_t due;

    if (MHD_get_timeout(h->daemon, &ms) != MHD_YES)
        return;
    if (ms > 3600000)
        ms = 3600000;
    due = kq_loop_now(h->loop) + ms;
    if (h->timer && h->timer_due <= due)
        return;
    if (h->timer)
        kq_loop_timer_cancel(h->loop, h->timer);
    h->timer = kq_loop_timer(h->loop, ms, on_timer, h);
    h->timer_due = due;
}

static unsigned connections(kq_httpd *h)
{
    const union MHD_DaemonInfo *i =
        MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

    return i ? i->num_connections : 0;
}

static void run(kq_httpd *h)
{
    unsigned before = connections(h);

    MHD_run(h->daemon);
    /* At its connection limit MHD takes the listening socket out of its
     * epoll set, and puts it back only at the start of a later run: run
     * again now that connections were freed, or the next connection would
     * wait for some other event. */
    if (before >= h->opts.max_connections && connections(h) < before)
        MHD_run(h->daemon);
    arm(h);
}

/* ---- requests ---------------------------------------------------------- */

static void on_body_freed(void *arg)
{
    held_body *b = arg;

    b->h->held -= b->len;
    free(b->data);
    free(b);
}

static void text_reply(kq_http_reply *r, unsigned status, const char *text)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    kq_buf_clear(&r->body);
    kq_buf_puts(&r->body, text);
}

/* Queues the reply; its body goes to MHD. */
static enum MHD_Result queue(kq_httpd *h, struct MHD_Connection *c, kq_http_reply *r)
{
    held_body *b = calloc(1, sizeof *b);
    struct MHD_Response *resp = NULL;
    enum MHD_Result rc;

    if (!b || r->body.oom)
        goto oom;
    b->h = h;
    if (r->body.len) {
        b->data = kq_buf_steal(&r->body, &b->len);
        if (!b->data)
            goto oom;
    }
    resp = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data,
                                                                 on_body_freed, b);
    if (!resp)
        goto oom;
    h->held += b->len;
    b = NULL;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type
                                                : "text/plain; charset=utf-8") != MHD_YES ||
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES)
        goto oom;
    for (int i = 0; i < KQ_HTTP_MAX_HEADERS && r->headers[i][0]; i++)
        if (MHD_add_response_header(resp, r->headers[i][0], r->headers[i][1]) != MHD_YES)
            goto oom;
    rc = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    kq_buf_free(&r->body);
    return rc;
oom:
    kq_warn("Status page: out of memory for an answer");
    if (resp)
        MHD_destroy_response(resp);
    if (b) {
        free(b->data);
        free(b);
    }
    kq_buf_free(&r->body);
    return MHD_NO; /* MHD closes the connection */
}

/* The token the request carries, from the Authorization header or the
 * query; NULL when none.  *in_query tells where it came from. */
static const char *carried_token(struct MHD_Connection *c, bool *in_query)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);

    *in_query = false;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        auth += 7;
        while (*auth == ' ')
            auth++;
        return auth;
    }
    auth = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    *in_query = auth != NULL;
    return auth;
}

static void log_refused(kq_httpd *h, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    uint64_t now = kq_loop_now(h->loop);
    char peer[KQ_PEER_MAX] = "?";

    if (h->refused_logged_ms && now - h->refused_logged_ms < 10000)
        return;
    h->refused_logged_ms = now;
    if (ci)
        kq_net_peer(ci->connect_fd, peer);
    kq_warn("Status page: refused a request from %s without the right token", peer);
}

/* The client's text (a method, a percent-decoded path) cut to n - 1
 * bytes, control characters replaced: fit for the log. */
static const char *printable(char *out, size_t n, const char *text)
{
    size_t i = 0;

    for (; text[i] && i < n - 1; i++)
        out[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
    out[i] = '\0';
    return out;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    kq_httpd *h = cls;
    kq_http_reply reply = {.status = MHD_HTTP_OK};
    kq_http_req req = {c, url, NULL};
    bool in_query = false;
    const char *token = NULL;

    (void)version;
    (void)upload_data;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        /* At once, without reading a body: MHD closes the connection. */
        text_reply(&reply, MHD_HTTP_METHOD_NOT_ALLOWED, "Only GET and HEAD are served here.\n");
        reply.headers[0][0] = MHD_HTTP_HEADER_ALLOW;
        reply.headers[0][1] = "GET, HEAD";
    } else if (!*req_cls) {
        /* The headers are in; answering at the next call, once the
         * request is complete, lets the connection be kept alive. */
        *req_cls = h;
        return MHD_YES;
    } else if (*upload_data_size) {
        *upload_data_size = 0; /* a GET's body means nothing */
        return MHD_YES;
    } else if (h->token && !kq_httpd_token_ok(h->token, token = carried_token(c, &in_query))) {
        log_refused(h, c);
        text_reply(&reply, MHD_HTTP_UNAUTHORIZED,
                   "This status page needs its token: send the header "
                   "\"Authorization: Bearer TOKEN\" or add ?token=TOKEN "
                   "(server_settings.status_token).\n");
        reply.headers[0][0] = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        reply.headers[0][1] = "Bearer realm=\"kueue\"";
    } else if (h->held > h->opts.max_held_bytes) {
        text_reply(&reply, MHD_HTTP_SERVICE_UNAVAILABLE,
                   "Too many answers are waiting to be sent; try again shortly.\n");
        reply.headers[0][0] = MHD_HTTP_HEADER_RETRY_AFTER;
        reply.headers[0][1] = "1";
    } else {
        if (h->token && in_query)
            req.query_token = token;
        h->opts.handler(h->opts.arg, &req, &reply);
    }
    if (KQ_LOG_DEBUG >= kq_log_threshold) {
        char m[16], path[128];

        kq_debug("Status page: %s %s: %u", printable(m, sizeof m, method),
                 printable(path, sizeof path, url), reply.status);
    }
    return queue(h, c, &reply);
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[256];
    size_t n;

    (void)cls;
    if (KQ_LOG_DEBUG < kq_log_threshold)
        return;
    vsnprintf(text, sizeof text, fmt, ap);
    n = strlen(text);
    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    kq_debug("Status page (libmicrohttpd): %s", text);
}

int kq_httpd_start(kq_loop *loop, int fd, const kq_httpd_opts *opts, kq_httpd **out,
                   kq_error *err)
{
    kq_httpd *h = calloc(1, sizeof *h);
    const union MHD_DaemonInfo *info;
    int rc;

    if (!h || (opts->token && opts->token[0] && !(h->token = strdup(opts->token)))) {
        free(h);
        close(fd);
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    h->loop = loop;
    h->opts = *opts;
    h->opts.token = NULL;
    h->daemon = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts->memory_per_connection,
        MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s,
        MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        kq_error_set(err, "libmicrohttpd: MHD_start_daemon failed");
        rc = -EIO;
        goto fail;
    }
    info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    h->epoll_fd = info ? info->epoll_fd : -1;
    if (h->epoll_fd < 0) {
        kq_error_set(err, "libmicrohttpd: no epoll descriptor");
        rc = -EIO;
        goto fail;
    }
    if ((rc = kq_loop_watch(loop, h->epoll_fd, KQ_READABLE, on_readable, h)) < 0) {
        kq_error_set(err, "out of memory");
        goto fail;
    }
    arm(h);
    *out = h;
    return 0;
fail:
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    free(h->token);
    free(h);
    return rc;
}

void kq_httpd_stop(kq_httpd *h)
{
    if (!h)
        return;
    kq_loop_unwatch(h->loop, h->epoll_fd);
    if (h->timer)
        kq_loop_timer_cancel(h->loop, h->timer);
    /* Frees the answers still held (on_body_freed), so h stays until
     * after. */
    MHD_stop_daemon(h->daemon);
    free(h->token);
    free(h);
}
