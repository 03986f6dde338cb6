/*
 * test_dial.c - kq_dial: the addresses are tried in turn until one
 * answers; when none does, the error of the last; a cancel closes the
 * connect in progress and reports nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kq_dial.h"
#include "kq_net.h"
#include "kq_test.h"

typedef struct outcome {
    int calls, fd, err;
} outcome;

static void on_done(void *arg, int fd, int err)
{
    outcome *o = arg;

    o->calls++;
    o->fd = fd;
    o->err = err;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;

    CHECK_INT(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs(sa.sin_port);
}

/* A port nobody listens on (bound, then closed). */
static uint16_t closed_port(void)
{
    kq_error err;
    int fd;
    uint16_t port;

    CHECK_INT(kq_net_listen("127.0.0.1", 0, &fd, &err), 0);
    port = bound_port(fd);
    close(fd);
    return port;
}

static void set_addr(struct addrinfo *ai, struct sockaddr_in *sa, uint16_t port,
                     struct addrinfo *next)
{
    memset(ai, 0, sizeof *ai);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ai->ai_family = AF_INET;
    ai->ai_socktype = SOCK_STREAM;
    ai->ai_addr = (struct sockaddr *)sa;
    ai->ai_addrlen = sizeof *sa;
    ai->ai_next = next;
}

/* Runs the loop until done ran (or a second passed). */
static void run(kq_loop *loop, const outcome *o)
{
    for (int i = 0; i < 100 && !o->calls; i++)
        CHECK_INT(kq_loop_turn(loop, 10), 0);
}

static void test_refused_then_answered(void)
{
    struct addrinfo first, second;
    struct sockaddr_in sa1, sa2;
    kq_loop *loop = NULL;
    kq_error err;
    kq_dial d;
    outcome o = {0};
    int lfd;

    CHECK_INT(kq_loop_new(&loop), 0);
    CHECK_INT(kq_net_listen("127.0.0.1", 0, &lfd, &err), 0);
    set_addr(&second, &sa2, bound_port(lfd), NULL);
    set_addr(&first, &sa1, closed_port(), &second);
    kq_dial_start(&d, loop, &first, on_done, &o);
    run(loop, &o);
    CHECK_INT(o.calls, 1);
    CHECK(o.fd >= 0);
    CHECK_INT(o.err, 0);
    CHECK_INT(d.fd, -1);
    close(o.fd);
    close(lfd);
    kq_loop_free(loop);
}

static void test_none_answers(void)
{
    struct addrinfo a;
    struct sockaddr_in sa;
    kq_loop *loop = NULL;
    kq_dial d;
    outcome o = {0};

    CHECK_INT(kq_loop_new(&loop), 0);
    set_addr(&a, &sa, closed_port(), NULL);
    kq_dial_start(&d, loop, &a, on_done, &o);
    run(loop, &o);
    CHECK_INT(o.calls, 1);
    CHECK_INT(o.fd, -1);
    CHECK_INT(o.err, ECONNREFUSED);
    /* No address at all. */
    o.calls = 0;
    kq_dial_start(&d, loop, NULL, on_done, &o);
    CHECK_INT(o.calls, 1);
    CHECK_INT(o.err, ECONNREFUSED);
    kq_loop_free(loop);
}

/* A listener whose queue one connection fills: the next connect stays
 * in progress (its SYN is dropped), until cancelled. */
static void test_cancel(void)
{
    struct addrinfo a;
    struct sockaddr_in sa;
    kq_loop *loop = NULL;
    kq_dial d;
    outcome o = {0};
    int lfd, filler, fd, rc;

    CHECK_INT(kq_loop_new(&loop), 0);
    kq_dial_init(&d);
    kq_dial_cancel(&d);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    set_addr(&a, &sa, 0, NULL);
    CHECK_INT(bind(lfd, a.ai_addr, a.ai_addrlen), 0);
    CHECK_INT(listen(lfd, 0), 0);
    sa.sin_port = htons(bound_port(lfd));
    rc = kq_net_connect_addr(&a, &filler);
    CHECK(rc == 0 || rc == -EINPROGRESS);
    usleep(50000);
    kq_dial_start(&d, loop, &a, on_done, &o);
    CHECK(d.fd >= 0);
    CHECK_INT(o.calls, 0);
    fd = d.fd;
    kq_dial_cancel(&d);
    CHECK_INT(d.fd, -1);
    CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
    CHECK_INT(kq_loop_turn(loop, 20), 0);
    CHECK_INT(o.calls, 0);
    close(filler);
    close(lfd);
    kq_loop_free(loop);
}

int main(void)
{
    test_refused_then_answered();
    test_none_answers();
    test_cancel();
    KQ_TEST_DONE();
}
