/*
 * kq_alloc_cmd.c - kueue alloc (see kq_alloc_cmd.h).
 */
#include "kq_alloc_cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kq_commands.h"
#include "kq_duration.h"
#include "kq_net.h"

/* Defaults of alloc add. */
#define DEFAULT_IDLE_EXIT_S 300
#define DEFAULT_MAX_FAILURES 3
#define DEFAULT_CONNECT_TIMEOUT_S 600

static void put_duration(kq_buf *b, uint64_t s)
{
    kq_duration_format(b, s);
}

/* ---- text ---------------------------------------------------------------- */

static void print_alloc(kq_buf *b, const kq_allocation *al, const kq_print_opts *o)
{
    kq_buf_printf(b, "  allocation %llu: %s", (unsigned long long)al->alloc_id,
                  al->state.ptr ? al->state.ptr : "?");
    if (al->batch_id.ptr)
        kq_buf_printf(b, ", Slurm job %s", al->batch_id.ptr);
    if (al->reason.ptr && al->reason.len)
        kq_buf_printf(b, " (%s)", al->reason.ptr);
    kq_buf_printf(b, ", %llu worker%s", (unsigned long long)al->workers,
                  al->workers == 1 ? "" : "s");
    kq_buf_puts(b, ", submitted ");
    kq_print_date(b, al->submitted, o);
    if (al->has_started) {
        kq_buf_puts(b, ", started ");
        kq_print_date(b, al->started, o);
    }
    kq_buf_putc(b, '\n');
}

void kq_alloc_print_list(kq_buf *out, const kq_alloc_queue_list *list, const kq_print_opts *o)
{
    if (!list->len) {
        kq_buf_puts(out, "No allocation queues (kueue alloc add slurm ... adds one).\n");
        return;
    }
    for (size_t i = 0; i < list->len; i++) {
        const kq_alloc_queue *q = &list->items[i];

        kq_buf_printf(out, "%sAllocation queue %llu: %s, at most %llu worker%s, %llu per "
                           "allocation, time limit ",
                      i ? "\n" : "", (unsigned long long)q->queue_id, q->backend.ptr,
                      (unsigned long long)q->max_workers, q->max_workers == 1 ? "" : "s",
                      (unsigned long long)q->workers_per_alloc);
        put_duration(out, q->time_limit_seconds);
        kq_buf_puts(out, ", idle exit ");
        put_duration(out, q->idle_exit_seconds);
        kq_buf_puts(out, "\n  sbatch");
        for (size_t k = 0; k < q->backend_args.len; k++)
            kq_buf_printf(out, " %s", q->backend_args.items[k].ptr);
        kq_buf_printf(out, "\n  workers: %s -c %s, connecting to %s\n", q->worker_program.ptr,
                      q->worker_config.ptr, q->server_address.ptr);
        if (q->stopped.ptr)
            kq_buf_printf(out, "  STOPPED: %s\n", q->stopped.ptr);
        else if (q->failures)
            kq_buf_printf(out, "  %llu failure%s in a row (it stops at %llu)\n",
                          (unsigned long long)q->failures, q->failures == 1 ? "" : "s",
                          (unsigned long long)q->max_failures);
        if (!q->allocations.len)
            kq_buf_puts(out, "  no allocations\n");
        for (size_t k = 0; k < q->allocations.len; k++)
            print_alloc(out, &q->allocations.items[k], o);
    }
}

void kq_alloc_print_events(kq_buf *out, const kq_alloc_queue_list *list,
                           const kq_print_opts *o)
{
    for (size_t i = 0; i < list->len; i++) {
        const kq_alloc_queue *q = &list->items[i];

        if (!q->events.len)
            kq_buf_printf(out, "No events of allocation queue %llu.\n",
                          (unsigned long long)q->queue_id);
        for (size_t k = 0; k < q->events.len; k++) {
            const kq_alloc_event *e = &q->events.items[k];

            kq_print_date(out, e->time, o);
            if (e->has_alloc_id)
                kq_buf_printf(out, "  allocation %llu", (unsigned long long)e->alloc_id);
            else
                kq_buf_puts(out, "  queue");
            kq_buf_printf(out, "  %s: %s\n", e->kind.ptr, e->text.ptr);
        }
    }
}

/* ---- the queue add sends ---------------------------------------------- */

/* The kueue_worker beside this kueue, if there is one, else the name for
 * PATH; into buf. */
static const char *default_worker(char *buf, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash;

    if (len > 0) {
        self[len] = '\0';
        if ((slash = strrchr(self, '/'))) {
            *slash = '\0';
            snprintf(buf, n, "%s/kueue_worker", self);
            if (access(buf, X_OK) == 0)
                return buf;
        }
    }
    return "kueue_worker";
}

/* The queue of alloc add, borrowing from args and the buffers. */
static void queue_of(const kq_cli_args *a, const kq_config *cfg, kq_alloc_queue *q,
                     char *server, size_t server_n, char *worker, size_t worker_n,
                     char *config, size_t config_n)
{
    char mine[PATH_MAX];

    kq_alloc_queue_init(q);
    q->backend = kq_str_view(a->pos[1]);
    q->max_workers = a->given[KQ_OPT_MAX_WORKERS] ? a->number[KQ_OPT_MAX_WORKERS] : 1;
    q->workers_per_alloc =
        a->given[KQ_OPT_WORKERS_PER_ALLOC] ? a->number[KQ_OPT_WORKERS_PER_ALLOC] : 1;
    q->time_limit_seconds = a->number[KQ_OPT_TIME_LIMIT];
    q->idle_exit_seconds =
        a->given[KQ_OPT_IDLE_EXIT] ? a->number[KQ_OPT_IDLE_EXIT] : DEFAULT_IDLE_EXIT_S;
    q->max_failures =
        a->given[KQ_OPT_MAX_FAILURES] ? a->number[KQ_OPT_MAX_FAILURES] : DEFAULT_MAX_FAILURES;
    q->has_margin_seconds = a->given[KQ_OPT_MARGIN];
    q->margin_seconds = a->number[KQ_OPT_MARGIN];
    q->connect_timeout_seconds = a->given[KQ_OPT_CONNECT_TIMEOUT]
                                     ? a->number[KQ_OPT_CONNECT_TIMEOUT]
                                     : DEFAULT_CONNECT_TIMEOUT_S;
    if (a->given[KQ_OPT_SERVER])
        snprintf(server, server_n, "%s", a->value[KQ_OPT_SERVER]);
    else
        kq_net_host_port(server, server_n, cfg->common_settings.server_name,
                         cfg->common_settings.server_port);
    q->server_address = kq_str_view(server);
    q->worker_program = kq_str_view(a->given[KQ_OPT_WORKER_PROGRAM]
                                        ? a->value[KQ_OPT_WORKER_PROGRAM]
                                        : default_worker(worker, worker_n));
    /* The workers read the file on the nodes: an absolute path. */
    if (a->given[KQ_OPT_WORKER_CONFIG])
        snprintf(mine, sizeof mine, "%s", a->value[KQ_OPT_WORKER_CONFIG]);
    else if (kq_config_path(a->value[KQ_OPT_CONFIG], mine, sizeof mine) < 0)
        mine[0] = '\0';
    if (!realpath(mine, config))
        snprintf(config, config_n, "%s", mine);
    q->worker_config = kq_str_view(config);
    q->backend_args.len = a->ntrailing;
    q->backend_args.items = NULL;
}

/* ---- running it ---------------------------------------------------------- */

static void print_opts(kq_print_opts *o)
{
    memset(o, 0, sizeof *o);
    o->now = kq_time_now();
    o->utc_offset = kq_local_utc_offset;
}

/* Prints the answer of action to req. */
static int show(const kq_cli_args *a, const char *action, const kq_s2c *reply, kq_error *err)
{
    const kq_alloc_queue_list *l = &reply->alloc_queue_list.queues;
    kq_buf b = KQ_BUF_INIT;
    kq_print_opts o;

    if (a->given[KQ_OPT_JSON])
        return kq_commands_emit_json(reply, err);
    if (reply->tag == KQ_S2C_REQUEST_RESPONSE) {
        printf("%s\n", reply->request_response.text.ptr);
        return 0;
    }
    print_opts(&o);
    if (strcmp(action, "add") == 0)
        kq_buf_printf(&b, "%llu\n", l->len ? (unsigned long long)l->items[0].queue_id : 0ULL);
    else if (strcmp(action, "list") == 0)
        kq_alloc_print_list(&b, l, &o);
    else if (strcmp(action, "events") == 0)
        kq_alloc_print_events(&b, l, &o);
    else if (l->len && l->items[0].script.ptr)
        kq_buf_puts(&b, l->items[0].script.ptr);
    return kq_commands_emit(&b, err);
}

int kq_alloc_cmd_run(const kq_cli_args *a, const kq_config *cfg, kq_error *err)
{
    const char *action = a->pos[0];
    char server[300], worker[PATH_MAX + 16], config[PATH_MAX];
    kq_s2c_tag want = KQ_S2C_ALLOC_QUEUE_LIST;
    kq_str *args = NULL;
    kq_session s = {.fd = -1};
    kq_c2s req = {0};
    kq_s2c reply;
    int rc;

    if (strcmp(action, "add") == 0) {
        req.tag = KQ_C2S_ADD_ALLOC_QUEUE;
        queue_of(a, cfg, &req.add_alloc_queue.queue, server, sizeof server, worker,
                 sizeof worker, config, sizeof config);
        if (a->ntrailing && !(args = calloc(a->ntrailing, sizeof *args))) {
            kq_error_set(err, "out of memory");
            return -ENOMEM;
        }
        for (size_t i = 0; i < a->ntrailing; i++)
            args[i] = kq_str_view(a->trailing[i]);
        req.add_alloc_queue.queue.backend_args.items = args;
    } else if (strcmp(action, "remove") == 0) {
        req.tag = KQ_C2S_REMOVE_ALLOC_QUEUE;
        req.remove_alloc_queue.queue_id = a->pos_number[1];
        req.remove_alloc_queue.cancel = a->given[KQ_OPT_CANCEL];
        want = KQ_S2C_REQUEST_RESPONSE;
    } else {
        req.tag = KQ_C2S_LIST_ALLOC_QUEUES;
        req.list_alloc_queues.has_queue_id = strcmp(action, "list") != 0;
        req.list_alloc_queues.queue_id = a->pos_number[1];
        req.list_alloc_queues.events = strcmp(action, "events") == 0;
        req.list_alloc_queues.script = strcmp(action, "dry-run") == 0;
    }
    if ((rc = kq_commands_connect(cfg, true, &s, err)) < 0 ||
        (rc = kq_session_request_ext(&s, &req, "alloc", &reply, err)) < 0)
        goto out;
    if (reply.tag != want ||
        (want == KQ_S2C_REQUEST_RESPONSE && !reply.request_response.success)) {
        if (a->given[KQ_OPT_JSON] && reply.tag == KQ_S2C_REQUEST_RESPONSE)
            kq_commands_emit_json(&reply, err);
        rc = kq_session_unexpected(err, kq_s2c_tag_name(want), &reply);
    } else {
        rc = show(a, action, &reply, err);
    }
    kq_s2c_free(&reply);
out:
    kq_session_close(&s);
    free(args);
    return rc;
}
