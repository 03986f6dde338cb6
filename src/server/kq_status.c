/*
 * kq_status.c - the status page, JSON API and metrics (see kq_status.h).
 */
#include "kq_status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kq_httpd.h"
#include "kq_metrics.h"
#include "kq_net.h"
#include "kq_promtext.h"
#include "kq_query.h"
#include "kq_server_int.h"
#include "kq_status_html.h"

/* What one client can make the server hold (kq_httpd.h). */
#define KQ_STATUS_CONNECTIONS 64
#define KQ_STATUS_CONN_MEMORY (32u << 10)
#define KQ_STATUS_TIMEOUT_S 10
#define KQ_STATUS_HELD_MAX (64u << 20)
/* Rows of the page's lists. */
#define KQ_PAGE_RUNNING 50
#define KQ_PAGE_PENDING 20
#define KQ_PAGE_ENDED 10
#define KQ_SAMPLE_MS 60000

struct kq_status {
    kq_server *srv;
    kq_httpd *httpd;
    kq_metrics metrics;
    uint64_t sample_timer;
    char host[256];
    kq_buf csp;
};

/* ---- answers ------------------------------------------------------------ */

static void text(kq_http_reply *r, unsigned status, const char *msg)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    kq_buf_clear(&r->body);
    kq_buf_puts(&r->body, msg);
}

/* The message's payload: its encoding without the enum's tag around it
 * ({"JobList":PAYLOAD}). */
static void payload(kq_http_reply *r, const kq_s2c *m)
{
    const char *name = kq_s2c_tag_name(m->tag);
    size_t n = strlen(name), skip = n + 4;
    const char *p;

    if (kq_s2c_encode(m, &r->body) < 0 || r->body.len < skip + 1) {
        text(r, 500, "Out of memory.\n");
        return;
    }
    p = kq_buf_ptr(&r->body);
    if (memcmp(p, "{\"", 2) != 0 || memcmp(p + 2, name, n) != 0 ||
        memcmp(p + 2 + n, "\":", 2) != 0 || p[r->body.len - 1] != '}') {
        text(r, 500, "Unexpected encoding.\n");
        return;
    }
    memmove(r->body.data + r->body.start, p + skip, r->body.len - skip - 1);
    r->body.len -= skip + 1;
    r->body.data[r->body.start + r->body.len] = '\0';
    r->content_type = "application/json";
}

static void api_jobs(kq_status *st, const kq_http_req *req, kq_http_reply *r)
{
    kq_c2s_list_jobs q;
    kq_error err;
    kq_s2c m;

    if (kq_query_list_jobs(kq_http_req_arg, (void *)req, KQ_STATUS_DEFAULT_JOBS,
                           KQ_STATUS_MAX_JOBS, &q, &err) < 0) {
        text(r, 400, err.msg);
        kq_buf_putc(&r->body, '\n');
        return;
    }
    if (kq_srv_list_jobs(st->srv, &q, &m) < 0) {
        text(r, 500, "Out of memory.\n");
        return;
    }
    payload(r, &m);
    kq_srv_list_done(&m);
}

static void api_job(kq_status *st, uint64_t id, kq_http_reply *r)
{
    kq_job *job = kq_jobs_get(&st->srv->jobs, id);
    kq_s2c m = {.tag = KQ_S2C_JOB_INFO};

    if (!job) {
        text(r, 404, "Job not found!\n");
        return;
    }
    m.job_info.job_info = job->info;
    if (st->srv->cfg->server_settings.status_show_output) {
        m.job_info.stdout_text = job->stdout_text;
        m.job_info.stderr_text = job->stderr_text;
    }
    payload(r, &m);
}

static void api_workers(kq_status *st, kq_http_reply *r)
{
    kq_s2c m;

    if (kq_srv_list_workers(st->srv, &m) < 0) {
        text(r, 500, "Out of memory.\n");
        return;
    }
    payload(r, &m);
    kq_srv_list_done(&m);
}

static void api_resources(kq_status *st, kq_http_reply *r)
{
    kq_s2c m;

    kq_srv_list_resources(st->srv, &m);
    payload(r, &m);
}

/* ---- /metrics ------------------------------------------------------------ */

static void worker_gauge(kq_prom *p, kq_server *srv, const char *name, const char *help,
                         int which)
{
    kq_prom_family(p, name, "gauge", help);
    for (size_t i = 0; i < srv->nworkers; i++) {
        const kq_worker *w = srv->workers[i];
        const kq_worker_info *wi = &w->info;
        char id[24];

        if (!w->peer || !w->authenticated)
            continue;
        kq_prom_name(p, name);
        kq_prom_label(p, "worker", wi->worker_name.ptr, wi->worker_name.len);
        snprintf(id, sizeof id, "%llu", (unsigned long long)wi->worker_id);
        kq_prom_label(p, "worker_id", id, strlen(id));
        switch (which) {
        case 0:
            kq_prom_f64(p, wi->system_info.load_info.one);
            break;
        case 1:
            kq_prom_u64(p, wi->system_info.cpu_cores);
            break;
        case 2:
            kq_prom_u64(p, wi->free_resources.cpus);
            break;
        case 3:
            kq_prom_u64(p, wi->system_info.total_ram_mb << 20);
            break;
        case 4:
            kq_prom_u64(p, wi->free_resources.ram_mb << 20);
            break;
        case 5:
            kq_prom_u64(p, wi->free_resources.job_slots);
            break;
        default:
            kq_prom_u64(p, wi->jobs_running.len);
            break;
        }
    }
}

static void resource_gauge(kq_prom *p, const char *name, const char *help,
                           const kq_u64_map *total, const kq_u64_map *used)
{
    kq_prom_family(p, name, "gauge", help);
    for (size_t i = 0; i < total->len; i++) {
        const kq_u64_entry *e = &total->items[i];
        const kq_u64_entry *u = used ? kq_u64_map_get(used, e->key.ptr) : NULL;

        kq_prom_name(p, name);
        kq_prom_label(p, "name", e->key.ptr, e->key.len);
        kq_prom_u64(p, used ? (u ? u->value : 0) : e->value);
    }
}

static void metrics(kq_status *st, kq_http_reply *r)
{
    static const char *const states[KQ_CAT_COUNT] = {"pending", "offered", "running",
                                                     "succeeded", "failed", "canceled"};
    kq_server *srv = st->srv;
    const kq_metrics *m = &st->metrics;
    kq_prom p = {&r->body, 0};
    uint64_t workers = 0, cumulative = 0;

    kq_prom_family(&p, "kueue_jobs", "gauge", "Jobs in the server's table, by state.");
    for (int c = 0; c < KQ_CAT_COUNT; c++) {
        kq_prom_name(&p, "kueue_jobs");
        kq_prom_label(&p, "state", states[c], strlen(states[c]));
        kq_prom_u64(&p, srv->jobs.count[c]);
    }
    kq_prom_family(&p, "kueue_jobs_finished_total", "counter",
                   "Jobs that ended since the server started, by result.");
    for (int i = 0; i < KQ_RESULT_COUNT; i++) {
        const char *name = kq_result_name((kq_result)i);

        kq_prom_name(&p, "kueue_jobs_finished_total");
        kq_prom_label(&p, "result", name, strlen(name));
        kq_prom_u64(&p, m->ended[i]);
    }
    kq_prom_family(&p, "kueue_offers_total", "counter",
                   "Jobs offered to workers since the server started.");
    kq_prom_name(&p, "kueue_offers_total");
    kq_prom_u64(&p, m->offers);
    kq_prom_family(&p, "kueue_scheduling_latency_seconds", "histogram",
                   "Time from a job's submission to its start on a worker.");
    for (int i = 0; i <= KQ_METRICS_BUCKETS; i++) {
        char le[32];

        cumulative += m->latency[i];
        if (i < KQ_METRICS_BUCKETS)
            snprintf(le, sizeof le, "%g", kq_metrics_bounds[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        kq_prom_name(&p, "kueue_scheduling_latency_seconds_bucket");
        kq_prom_label(&p, "le", le, strlen(le));
        kq_prom_u64(&p, cumulative);
    }
    kq_prom_name(&p, "kueue_scheduling_latency_seconds_sum");
    kq_prom_f64(&p, m->latency_sum);
    kq_prom_name(&p, "kueue_scheduling_latency_seconds_count");
    kq_prom_u64(&p, m->latency_count);
    for (size_t i = 0; i < srv->nworkers; i++)
        workers += srv->workers[i]->peer && srv->workers[i]->authenticated;
    kq_prom_family(&p, "kueue_workers", "gauge", "Workers connected and authenticated.");
    kq_prom_name(&p, "kueue_workers");
    kq_prom_u64(&p, workers);
    worker_gauge(&p, srv, "kueue_worker_load", "1-minute load average a worker reported.", 0);
    worker_gauge(&p, srv, "kueue_worker_cpus", "CPU cores of a worker.", 1);
    worker_gauge(&p, srv, "kueue_worker_free_cpus", "CPU cores a worker reported free.", 2);
    worker_gauge(&p, srv, "kueue_worker_memory_bytes", "Memory of a worker.", 3);
    worker_gauge(&p, srv, "kueue_worker_free_memory_bytes",
                 "Memory a worker reported free.", 4);
    worker_gauge(&p, srv, "kueue_worker_free_slots", "Job slots a worker reported free.", 5);
    worker_gauge(&p, srv, "kueue_worker_running_jobs", "Jobs running on a worker.", 6);
    if (srv->cfg->has_global_resources) {
        resource_gauge(&p, "kueue_global_resource_used",
                       "Units of a global resource held by offered and running jobs.",
                       &srv->cfg->global_resources, kq_sched_used(&srv->sched));
        resource_gauge(&p, "kueue_global_resource_limit",
                       "Units of a global resource configured.",
                       &srv->cfg->global_resources, NULL);
    }
    kq_prom_family(&p, "kueue_store_journal_bytes", "gauge",
                   "Bytes of the state journal not yet folded into the state file "
                   "(0 without a state file).");
    kq_prom_name(&p, "kueue_store_journal_bytes");
    kq_prom_u64(&p, srv->store ? kq_store_log_bytes(srv->store) : 0);
    r->content_type = KQ_PROM_CONTENT_TYPE;
}

/* ---- the page ------------------------------------------------------------ */

static void page(kq_status *st, const kq_http_req *req, kq_http_reply *r)
{
    kq_server *srv = st->srv;
    kq_s2c_job_list stats = {0};
    kq_job **running = NULL, **pending = NULL;
    const kq_job *ended[KQ_PAGE_ENDED];
    const kq_worker_info **workers = NULL;
    kq_status_view v = {0};
    kq_buf why_text = KQ_BUF_INIT;
    size_t *why_at = NULL;
    const char **why = NULL;
    long nrun, npend;
    size_t nended = 0, nworkers = 0;

    v.now = kq_time_now();
    kq_jobs_stats(&srv->jobs, v.now, &stats);
    nrun = kq_jobs_select(&srv->jobs, KQ_CAT_BIT(KQ_CAT_RUNNING), KQ_PAGE_RUNNING, &running);
    npend = kq_jobs_select(&srv->jobs, KQ_CAT_BIT(KQ_CAT_PENDING), KQ_PAGE_PENDING, &pending);
    if (srv->nworkers)
        workers = malloc(srv->nworkers * sizeof *workers);
    if (npend > 0) {
        why_at = malloc((size_t)npend * sizeof *why_at);
        why = malloc((size_t)npend * sizeof *why);
    }
    if (nrun < 0 || npend < 0 || (srv->nworkers && !workers) || (npend > 0 && (!why_at || !why))) {
        text(r, 500, "Out of memory.\n");
        goto done;
    }
    /* Why the listed pending jobs wait, as list-jobs says (each text ends
     * with a NUL; pointers taken once the buffer stops moving). */
    for (long i = 0; i < npend; i++) {
        why_at[i] = why_text.len;
        kq_srv_reason(srv, pending[i], &why_text);
        kq_buf_putc(&why_text, '\0');
    }
    if (why_text.oom) {
        text(r, 500, "Out of memory.\n");
        goto done;
    }
    for (long i = 0; i < npend; i++)
        why[i] = kq_buf_ptr(&why_text) + why_at[i];
    for (const kq_job *j = srv->jobs.done_tail; j && nended < KQ_PAGE_ENDED; j = j->prev)
        ended[nended++] = j;
    for (size_t i = 0; i < srv->nworkers; i++)
        if (srv->workers[i]->peer && srv->workers[i]->authenticated)
            workers[nworkers++] = &srv->workers[i]->info;
    v.host = st->host;
    v.stats = &stats;
    v.workers = workers;
    v.nworkers = nworkers;
    v.running = (const kq_job *const *)running;
    v.nrunning = (size_t)nrun;
    v.pending = (const kq_job *const *)pending;
    v.pending_why = why;
    v.npending = (size_t)npend;
    v.ended = ended;
    v.nended = nended;
    v.res_used = kq_sched_used(&srv->sched);
    v.res_total = srv->cfg->has_global_resources ? &srv->cfg->global_resources : NULL;
    v.metrics = &st->metrics;
    v.show_output = srv->cfg->server_settings.status_show_output;
    v.token = kq_http_req_query_token(req);
    kq_status_html(&r->body, &v);
    r->content_type = "text/html; charset=utf-8";
    r->headers[0][0] = "Content-Security-Policy";
    r->headers[0][1] = kq_buf_ptr(&st->csp);
    r->headers[1][0] = "Referrer-Policy";
    r->headers[1][1] = "no-referrer";
    r->headers[2][0] = "X-Frame-Options";
    r->headers[2][1] = "DENY";
done:
    free(running);
    free(pending);
    free(workers);
    free(why_at);
    free(why);
    kq_buf_free(&why_text);
}

static void on_request(void *arg, const kq_http_req *req, kq_http_reply *r)
{
    kq_status *st = arg;
    const char *path = kq_http_req_path(req);
    uint64_t id;

    if (strcmp(path, "/") == 0)
        page(st, req, r);
    else if (strcmp(path, "/metrics") == 0)
        metrics(st, r);
    else if (strcmp(path, "/api/jobs") == 0)
        api_jobs(st, req, r);
    else if (kq_query_path_id(path, "/api/jobs/", &id) == 0)
        api_job(st, id, r);
    else if (strcmp(path, "/api/workers") == 0)
        api_workers(st, r);
    else if (strcmp(path, "/api/resources") == 0)
        api_resources(st, r);
    else
        text(r, 404, "Not found.  This server has /, /metrics, /api/jobs, /api/jobs/ID, "
                     "/api/workers and /api/resources.\n");
}

/* ---- start and stop ------------------------------------------------------- */

static void on_sample(kq_loop *loop, void *arg)
{
    kq_status *st = arg;

    kq_metrics_sample(&st->metrics, &st->srv->jobs, kq_time_now().sec);
    st->sample_timer = kq_loop_timer(loop, KQ_SAMPLE_MS, on_sample, st);
}

static bool sockaddr_loopback(const struct sockaddr_storage *ss)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

        return IN6_IS_ADDR_LOOPBACK(a) ||
               (memcmp(a->s6_addr, mapped, 12) == 0 && a->s6_addr[12] == 127);
    }
    return false;
}

/* Whether a literal address is loopback: 1 yes, 0 no, -1 not a literal
 * (a name, known only once bound). */
static int literal_loopback(const char *host)
{
    struct sockaddr_storage ss = {0};

    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    else
        return -1;
    return sockaddr_loopback(&ss);
}

static int needs_token(const char *addr, kq_error *err)
{
    kq_error_set(err, "server_settings.status_address = \"%s\" is not a loopback address, "
                      "so the status page needs a token: set server_settings.status_token "
                      "to a long random string (clients send it as \"Authorization: Bearer "
                      "TOKEN\" or ?token=TOKEN), or serve it on 127.0.0.1 only", addr);
    return -EINVAL;
}

/* Binds the address; *fd is -1 when it cannot be bound (logged). */
static int bind_status(const char *addr, bool token, int *fd, kq_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[256];
    uint16_t port;
    kq_error e;

    *fd = -1;
    if (kq_net_split(addr, KQ_STATUS_PORT, host, sizeof host, &port) < 0) {
        kq_error_set(err, "server_settings.status_address = \"%s\": not an address "
                          "(host:port, IPv6 in brackets: [::1]:11237)", addr);
        return -EINVAL;
    }
    if (!token && literal_loopback(host) == 0)
        return needs_token(addr, err);
    if (kq_net_listen(host, port, fd, &e) < 0) {
        kq_err("Status page not served: %s", e.msg);
        *fd = -1;
        return 0;
    }
    if (!token && (getsockname(*fd, (struct sockaddr *)&ss, &len) < 0 ||
                   !sockaddr_loopback(&ss))) {
        close(*fd);
        *fd = -1;
        return needs_token(addr, err);
    }
    return 0;
}

int kq_status_start(kq_server *srv, kq_status **out, kq_error *err)
{
    const char *addr = srv->cfg->server_settings.status_address;
    const char *token = srv->cfg->server_settings.status_token;
    kq_httpd_opts opts = {
        .token = token,
        .max_connections = KQ_STATUS_CONNECTIONS,
        .memory_per_connection = KQ_STATUS_CONN_MEMORY,
        .timeout_s = KQ_STATUS_TIMEOUT_S,
        .max_held_bytes = KQ_STATUS_HELD_MAX,
        .handler = on_request,
    };
    char where[KQ_PEER_MAX];
    kq_status *st;
    int fd, rc;

    *out = NULL;
    if (!addr[0])
        return 0;
    if ((rc = bind_status(addr, token[0] != '\0', &fd, err)) < 0 || fd < 0)
        return rc;
    kq_net_local(fd, where);
    st = calloc(1, sizeof *st);
    if (!st || kq_status_html_csp(&st->csp) < 0 || st->csp.oom) {
        if (st)
            kq_buf_free(&st->csp);
        free(st);
        close(fd);
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    st->srv = srv;
    if (gethostname(st->host, sizeof st->host - 1) < 0)
        strcpy(st->host, "kueue_server");
    opts.arg = st;
    if ((rc = kq_httpd_start(srv->loop, fd, &opts, &st->httpd, err)) < 0) {
        kq_buf_free(&st->csp);
        free(st);
        return rc;
    }
    kq_metrics_init(&st->metrics);
    srv->jobs.on_status = kq_metrics_on_status;
    srv->jobs.on_status_arg = &st->metrics;
    kq_metrics_sample(&st->metrics, &srv->jobs, kq_time_now().sec);
    st->sample_timer = kq_loop_timer(srv->loop, KQ_SAMPLE_MS, on_sample, st);
    kq_info("Status page on http://%s/%s", where,
            token[0] ? " (token required)" : "");
    *out = st;
    return 0;
}

void kq_status_stop(kq_status *st)
{
    if (!st)
        return;
    st->srv->jobs.on_status = NULL;
    st->srv->jobs.on_status_arg = NULL;
    kq_loop_timer_cancel(st->srv->loop, st->sample_timer);
    kq_httpd_stop(st->httpd);
    kq_buf_free(&st->csp);
    free(st);
}
