/*
 * kq_net.c - socket helpers (see kq_net.h).
 */
#include "kq_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int kq_net_split(const char *addr, uint16_t default_port, char *host,
                 size_t host_len, uint16_t *port)
{
    const char *end, *colon = NULL;
    size_t n;

    if (addr[0] == '[') {
        end = strchr(addr, ']');
        if (!end)
            return -EINVAL;
        n = (size_t)(end - addr - 1);
        if (end[1] == ':')
            colon = end + 1;
        else if (end[1] != '\0')
            return -EINVAL;
        addr++;
    } else {
        colon = strrchr(addr, ':');
        if (colon && strchr(addr, ':') != colon)
            colon = NULL; /* a bare IPv6 literal */
        n = colon ? (size_t)(colon - addr) : strlen(addr);
    }
    if (n == 0 || n >= host_len)
        return -EINVAL;
    memcpy(host, addr, n);
    host[n] = '\0';
    *port = default_port;
    if (colon) {
        char *stop;
        unsigned long p = strtoul(colon + 1, &stop, 10);

        if (colon[1] == '\0' || *stop != '\0' || p > 65535)
            return -EINVAL;
        *port = (uint16_t)p;
    }
    return 0;
}

int kq_net_set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

int kq_net_tune(int fd)
{
    static const struct { int level, name, value; } opts[] = {
        {IPPROTO_TCP, TCP_NODELAY, 1},
        {SOL_SOCKET, SO_KEEPALIVE, 1},
        {IPPROTO_TCP, TCP_KEEPIDLE, KQ_NET_KEEPALIVE_IDLE_S},
        {IPPROTO_TCP, TCP_KEEPINTVL, KQ_NET_KEEPALIVE_INTVL_S},
        {IPPROTO_TCP, TCP_KEEPCNT, KQ_NET_KEEPALIVE_CNT},
        {IPPROTO_TCP, TCP_USER_TIMEOUT, KQ_NET_USER_TIMEOUT_MS},
    };

    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value,
                       sizeof opts[i].value) < 0)
            return -errno;
    return 0;
}

static void format_addr(const struct sockaddr *sa, char out[KQ_PEER_MAX])
{
    char ip[INET6_ADDRSTRLEN];

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(out, KQ_PEER_MAX, "%s:%u", ip, ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(out, KQ_PEER_MAX, "[%s]:%u", ip, ntohs(in6->sin6_port));
    } else
        snprintf(out, KQ_PEER_MAX, "?");
}

void kq_net_peer(int fd, char out[KQ_PEER_MAX])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        snprintf(out, KQ_PEER_MAX, "?");
    else
        format_addr((struct sockaddr *)&ss, out);
}

void kq_net_local(int fd, char out[KQ_PEER_MAX])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        snprintf(out, KQ_PEER_MAX, "?");
    else
        format_addr((struct sockaddr *)&ss, out);
}

void kq_net_host_port(char *out, size_t n, const char *host, uint16_t port)
{
    snprintf(out, n, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* The addresses of host:port (flags as for getaddrinfo), and "host:port"
 * in where for messages.  0, or -EHOSTUNREACH with err. */
static int resolve(const char *host, uint16_t port, int flags,
                   char where[300], struct addrinfo **res, kq_error *err)
{
    struct addrinfo hints = {0};
    char portstr[8];
    int rc;

    kq_net_host_port(where, 300, host, port);
    snprintf(portstr, sizeof portstr, "%u", port);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    rc = getaddrinfo(host, portstr, &hints, res);
    if (rc != 0) {
        kq_error_set(err, "resolve %s: %s", where, gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    return 0;
}

int kq_net_listen(const char *host, uint16_t port, int *out, kq_error *err)
{
    struct addrinfo *res = NULL;
    char where[300];
    int fd = -1, one = 1, rc;

    if ((rc = resolve(host, port, AI_PASSIVE, where, &res, err)) < 0)
        return rc;
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        kq_error_set(err, "socket %s: %s", where, strerror(errno));
        goto fail;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
        rc = -errno;
        kq_error_set(err, "bind %s: %s", where, strerror(errno));
        goto fail;
    }
    if (listen(fd, 1024) < 0) {
        rc = -errno;
        kq_error_set(err, "listen %s: %s", where, strerror(errno));
        goto fail;
    }
    freeaddrinfo(res);
    *out = fd;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return rc;
}

int kq_net_accept(int listen_fd, int *fd, char peer[KQ_PEER_MAX])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int c = accept4(listen_fd, (struct sockaddr *)&ss, &len,
                    SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (c < 0)
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    kq_net_tune(c);
    format_addr((struct sockaddr *)&ss, peer);
    *fd = c;
    return 0;
}

int kq_net_connect(const char *host, uint16_t port, int *out, kq_error *err)
{
    struct addrinfo *res = NULL, *ai;
    char where[300];
    int fd = -1, rc, saved = ECONNREFUSED;

    if ((rc = resolve(host, port, 0, where, &res, err)) < 0)
        return rc;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        kq_error_set(err, "connect %s: %s", where, strerror(saved));
        return -saved;
    }
    kq_net_tune(fd);
    if ((rc = kq_net_set_nonblock(fd)) < 0) {
        kq_error_set(err, "fcntl %s: %s", where, strerror(-rc));
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

long kq_net_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -errno;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            return -errno;
    }
    return (long)rl.rlim_cur;
}

int kq_net_connect_addr(const struct addrinfo *ai, int *out)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc;

    if (fd < 0)
        return -errno;
    kq_net_tune(fd);
    rc = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -errno;
    if (rc < 0 && rc != -EINPROGRESS) {
        close(fd);
        return rc;
    }
    *out = fd;
    return rc;
}

int kq_net_connect_finish(int fd)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    return -soerr;
}
