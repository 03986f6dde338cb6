/*
 * test_net.c - kq_net and kq_resolve on loopback: both ends of a connection
 * carry TCP_NODELAY and the keepalive settings that let a vanished peer be
 * noticed, sockets are non-blocking, and failures name the address.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kq_net.h"
#include "kq_resolve.h"
#include "kq_test.h"

static int opt(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;

    CHECK_INT(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

static void check_tuned(int fd)
{
    CHECK(opt(fd, IPPROTO_TCP, TCP_NODELAY) != 0);
    CHECK(opt(fd, SOL_SOCKET, SO_KEEPALIVE) != 0);
    CHECK_INT(opt(fd, IPPROTO_TCP, TCP_KEEPIDLE), KQ_NET_KEEPALIVE_IDLE_S);
    CHECK_INT(opt(fd, IPPROTO_TCP, TCP_KEEPINTVL), KQ_NET_KEEPALIVE_INTVL_S);
    CHECK_INT(opt(fd, IPPROTO_TCP, TCP_KEEPCNT), KQ_NET_KEEPALIVE_CNT);
    CHECK_INT(opt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), KQ_NET_USER_TIMEOUT_MS);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
}

/* The port a listening socket got from the kernel. */
static uint16_t bound_port(int fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;

    CHECK_INT(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    return ntohs(sin.sin_port);
}

/* Accepts the one connection under way (the listener is non-blocking). */
static int accept_one(int listen_fd)
{
    char peer[KQ_PEER_MAX];
    int fd = -1, rc;

    for (int i = 0; i < 1000; i++) {
        if ((rc = kq_net_accept(listen_fd, &fd, peer)) != -EAGAIN)
            break;
        usleep(1000);
    }
    CHECK_INT(rc, 0);
    CHECK(strncmp(peer, "127.0.0.1:", 10) == 0);
    return fd;
}

static void test_connect_and_accept_are_tuned(void)
{
    kq_error err = {{0}};
    int lfd = -1, cfd = -1, afd;

    CHECK_INT(kq_net_listen("127.0.0.1", 0, &lfd, &err), 0);
    CHECK_INT(kq_net_connect("127.0.0.1", bound_port(lfd), &cfd, &err), 0);
    afd = accept_one(lfd);
    check_tuned(cfd);
    check_tuned(afd);
    close(afd);
    close(cfd);
    close(lfd);
}

static void test_connect_addr_is_tuned(void)
{
    kq_error err = {{0}};
    struct addrinfo *res = NULL;
    kq_resolve *r = NULL;
    int lfd = -1, cfd = -1, afd, rc;

    CHECK_INT(kq_net_listen("127.0.0.1", 0, &lfd, &err), 0);
    CHECK_INT(kq_resolve_start("127.0.0.1", bound_port(lfd), &r, &err), 0);
    while ((rc = kq_resolve_poll(r, &res, &err)) == -EINPROGRESS)
        usleep(1000);
    CHECK_INT(rc, 0);
    rc = kq_net_connect_addr(res, &cfd);
    CHECK(rc == 0 || rc == -EINPROGRESS);
    afd = accept_one(lfd);
    CHECK_INT(kq_net_connect_finish(cfd), 0);
    check_tuned(cfd);
    check_tuned(afd);
    freeaddrinfo(res);
    kq_resolve_free(r);
    close(afd);
    close(cfd);
    close(lfd);
}

static void test_refused_names_the_address(void)
{
    kq_error err = {{0}};
    char want[80];
    uint16_t port;
    int lfd = -1, fd = -1;

    /* A port that was just free: nothing listens on it once closed. */
    CHECK_INT(kq_net_listen("127.0.0.1", 0, &lfd, &err), 0);
    port = bound_port(lfd);
    close(lfd);
    CHECK_INT(kq_net_connect("127.0.0.1", port, &fd, &err), -ECONNREFUSED);
    snprintf(want, sizeof want, "connect 127.0.0.1:%u: Connection refused", port);
    CHECK_STR(err.msg, want);
}

static void test_host_port(void)
{
    char out[80];

    kq_net_host_port(out, sizeof out, "::1", 11236);
    CHECK_STR(out, "[::1]:11236");
    kq_net_host_port(out, sizeof out, "example.org", 80);
    CHECK_STR(out, "example.org:80");
}

int main(void)
{
    test_connect_and_accept_are_tuned();
    test_connect_addr_is_tuned();
    test_refused_names_the_address();
    test_host_port();
    KQ_TEST_DONE();
}
