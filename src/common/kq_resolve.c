/*
 * kq_resolve.c - asynchronous name lookups (see kq_resolve.h).
 */
#include "kq_resolve.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kq_net.h"

struct kq_resolve {
    struct gaicb req;          /* what getaddrinfo_a works on */
    struct addrinfo hints;
    struct addrinfo *numeric;  /* answered without a lookup */
    bool async;                /* req was submitted */
    char service[8];
    char where[300];           /* host:port, for messages */
    char host[];
};

int kq_resolve_start(const char *host, uint16_t port, kq_resolve **out,
                     kq_error *err)
{
    size_t n = strlen(host) + 1;
    kq_resolve *r = calloc(1, sizeof *r + n);
    struct gaicb *list[1];
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    int rc;

    if (!r) {
        kq_error_set(err, "resolve %s: out of memory", host);
        return -ENOMEM;
    }
    memcpy(r->host, host, n);
    snprintf(r->service, sizeof r->service, "%u", port);
    kq_net_host_port(r->where, sizeof r->where, host, port);
    r->hints.ai_family = AF_UNSPEC;
    r->hints.ai_socktype = SOCK_STREAM;
    r->hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(r->host, r->service, &r->hints, &r->numeric) == 0) {
        *out = r;
        return 0;
    }
    r->numeric = NULL;
    r->hints.ai_flags = 0;
    r->req.ar_name = r->host;
    r->req.ar_service = r->service;
    r->req.ar_request = &r->hints;
    list[0] = &r->req;
    rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &none);
    if (rc != 0) {
        kq_error_set(err, "resolve %s: %s", r->where, gai_strerror(rc));
        free(r);
        return rc == EAI_MEMORY ? -ENOMEM : -EAGAIN;
    }
    r->async = true;
    *out = r;
    return 0;
}

int kq_resolve_poll(kq_resolve *r, struct addrinfo **res, kq_error *err)
{
    int rc;

    if (!r->async) {
        *res = r->numeric;
        r->numeric = NULL;
        return 0;
    }
    rc = gai_error(&r->req);
    if (rc == EAI_INPROGRESS)
        return -EINPROGRESS;
    if (rc != 0) {
        kq_error_set(err, "resolve %s: %s", r->where, gai_strerror(rc));
        return -EHOSTUNREACH;
    }
    *res = r->req.ar_result;
    r->req.ar_result = NULL;
    return 0;
}

void kq_resolve_free(kq_resolve *r)
{
    if (!r)
        return;
    if (r->async && gai_error(&r->req) == EAI_INPROGRESS &&
        gai_cancel(&r->req) != EAI_CANCELED) {
        /* The resolver thread still writes into req: wait for it. */
        const struct gaicb *list[1] = {&r->req};
        struct timespec limit = {5, 0};

        while (gai_error(&r->req) == EAI_INPROGRESS)
            if (gai_suspend(list, 1, &limit) == EAI_AGAIN)
                return; /* still hanging after 5 s: leave it the memory */
    }
    if (r->req.ar_result)
        freeaddrinfo(r->req.ar_result);
    if (r->numeric)
        freeaddrinfo(r->numeric);
    free(r);
}
