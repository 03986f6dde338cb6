/*
 * kq_srv_drain.c - draining workers (kueue drain / undrain, the
 * DrainWorker extension request): a drained worker is offered no jobs and
 * its running jobs finish, for maintenance.
 *
 * A drain applies to a worker's name, so that it outlasts the worker's
 * reconnects (each connection is a new record with a new id): the server
 * keeps the drained names and drains every record of such a name,
 * including one that connects later.  With a state file the names are
 * stored (kq_store: table drained_workers, staged in the turn of the
 * change and written by its commit before the answer leaves), so a drain
 * also outlasts a restart of the server; without one they live as long
 * as the server.  Owns the list of names; never owns workers.
 */
#include "kq_server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ssize_t name_index(const kq_server *srv, const kq_str *name)
{
    for (size_t i = 0; i < srv->ndrained; i++)
        if (strlen(srv->drained[i]) == name->len &&
            memcmp(srv->drained[i], name->ptr, name->len) == 0)
            return (ssize_t)i;
    return -1;
}

bool kq_srv_drained(const kq_server *srv, const kq_str *name)
{
    return name_index(srv, name) >= 0;
}

/* Adds or removes name in the list.  0 or -ENOMEM. */
static int set_name(kq_server *srv, const kq_str *name, bool drained)
{
    ssize_t i = name_index(srv, name);
    char **grown, *copy;

    if (!drained) {
        if (i >= 0) {
            free(srv->drained[i]);
            srv->drained[i] = srv->drained[--srv->ndrained];
        }
        return 0;
    }
    if (i >= 0)
        return 0;
    if (!(copy = strndup(name->ptr, name->len)))
        return -ENOMEM;
    if (!(grown = realloc(srv->drained, (srv->ndrained + 1) * sizeof *grown))) {
        free(copy);
        return -ENOMEM;
    }
    srv->drained = grown;
    srv->drained[srv->ndrained++] = copy;
    return 0;
}

/* The authenticated worker record req names: by id when it is all digits
 * and such a record exists, else by name.  NULL if none. */
static kq_worker *find(kq_server *srv, const kq_str *which)
{
    char *end;
    unsigned long long id;

    if (which->len && strspn(which->ptr, "0123456789") == which->len) {
        errno = 0;
        id = strtoull(which->ptr, &end, 10);
        if (errno == 0) {
            kq_worker *w = kq_srv_worker_get(srv, id);

            if (w && w->authenticated)
                return w;
        }
    }
    for (size_t i = 0; i < srv->nworkers; i++)
        if (srv->workers[i]->authenticated && kq_str_eq(&srv->workers[i]->info.worker_name, which))
            return srv->workers[i];
    return NULL;
}

void kq_srv_drain_request(kq_peer *p, const kq_c2s_drain_worker *req)
{
    kq_server *srv = p->srv;
    kq_worker *w = find(srv, &req->worker);
    const kq_str *name;
    size_t running = 0;

    if (!w) {
        kq_srv_respond(p, false, "No worker with the id or name \"%s\"", req->worker.ptr);
        return;
    }
    name = &w->info.worker_name;
    if (set_name(srv, name, req->drain) < 0 ||
        (srv->store && kq_store_put_drain(srv->store, name->ptr, name->len, req->drain) < 0)) {
        kq_srv_respond(p, false, "Out of memory");
        return;
    }
    for (size_t i = 0; i < srv->nworkers; i++) {
        kq_worker *o = srv->workers[i];

        if (!kq_str_eq(&o->info.worker_name, name))
            continue;
        kq_srv_worker_drain(srv, o, req->drain);
        running += o->info.jobs_running.len;
    }
    kq_info("Worker \"%s\" %s on request of %s", name->ptr,
            req->drain ? "drained" : "undrained", p->conn.peer);
    if (req->drain)
        kq_srv_respond(p, true, "Worker \"%s\" drained: it gets no new jobs; its %zu running job(s) "
                        "finish", name->ptr, running);
    else
        kq_srv_respond(p, true, "Worker \"%s\" undrained: it gets jobs again", name->ptr);
}

static int restore_name(void *ctx, const char *name, size_t len)
{
    kq_str s = {.ptr = (char *)name, .len = len};

    return set_name(ctx, &s, true);
}

int kq_srv_drain_load(kq_server *srv, kq_error *err)
{
    int rc = kq_store_load_drained(srv->store, restore_name, srv, err);

    if (rc == -ENOMEM)
        kq_error_set(err, "out of memory loading the drained workers");
    if (rc == 0 && srv->ndrained)
        kq_info("%zu drained worker(s) in the state file", srv->ndrained);
    return rc;
}

void kq_srv_drain_free(kq_server *srv)
{
    for (size_t i = 0; i < srv->ndrained; i++)
        free(srv->drained[i]);
    free(srv->drained);
    srv->drained = NULL;
    srv->ndrained = 0;
}
