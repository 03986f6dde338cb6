/*
 * bench_server.c - load for kueue_server, measured from outside.
 *
 * Starts a real kueue_server (path in argv) on an ephemeral port with a
 * throw-away configuration, drives it from this one process through the
 * project's own event loop, and prints figures.  Server CPU comes from
 * /proc/PID/stat, server memory from /proc/PID/status.
 *
 *   bench_server SERVER sched N W [--backlog] [--global|--configured] [--state]
 *       N jobs issued pipelined over one connection to W fake workers that
 *       accept every offer and report success at once: jobs/s and server
 *       CPU microseconds per job.  --backlog queues all N before the
 *       workers connect; --configured configures [global_resources],
 *       --global also has every job hold one; --state keeps the SQLite
 *       store on.
 *   bench_server SERVER compare [N W RUNS] [--poll-status]
 *       The sched variants above (plain, all queued first, global resources
 *       configured, held, store on), interleaved run by run: medians and
 *       ratios to the plain run, and how the jobs spread over the workers
 *       (fewest and most per worker).  --poll-status runs plain and store
 *       on each also with a browser-like poller that fetches the status
 *       page (/) and /metrics every 100 ms, for the ratio to without.
 *   bench_server SERVER issue [--plain|--state] [--env]
 *       20,000 jobs issued one at a time with no worker: latency of the
 *       first and last 1,000, server memory per queued job, list-jobs -n 20
 *       latency at 20,000 and at 100,000 jobs, and how long the clean stop
 *       takes; without the store, then with it (or only one of them).
 *       --env: every job carries the same realistic environment of about
 *       3 KB, as kueue cmd sends its shell's.
 *   bench_server SERVER workers K
 *       K fake workers connected: list-workers latency, then K/5 jobs and
 *       4*K jobs spread over them: rate, fewest and most jobs per worker.
 *   bench_server SERVER crowd [IDLE K JOBS RUNS]
 *       What a crowd of connections costs every job: JOBS jobs pipelined
 *       to 4 fake workers with no other connection, with IDLE clients
 *       connected past their hello that send nothing more (default
 *       10,000), and with K fake workers plus 500 such clients (default
 *       5,000), all connected 2 s before the jobs; the three interleaved
 *       run by run: medians of jobs/s and server CPU per job, and ratios to
 *       the first.
 *   bench_server SERVER shapes [N W RUNS]
 *       Server CPU per job, one shape against N distinct shapes (each job
 *       its own RAM), interleaved run by run: queueing N jobs, running them
 *       on W workers, and running 20,000 jobs of one shape while N shapes
 *       too big for every worker wait, against with nothing waiting.
 *   bench_server SERVER workflows [N RUNS]
 *       Kueue-C workflows (issue 14) beside plain jobs, interleaved run by
 *       run, server CPU per job from the first request to the last job's
 *       end: a chain of N/10 jobs (each --after the previous) against as
 *       many plain jobs run one at a time; a fan-out/fan-in of N/10 (one
 *       job, N/10 after it, one after all of those) against as many plain
 *       jobs all queued first; N jobs in 10 priorities, and an array of N
 *       (one SubmitJob), against N plain jobs all queued first.  N is
 *       100,000 by default; 4 fake workers.
 *   --base OLD_SERVER (compare, workers, shapes)
 *       Runs everything with OLD_SERVER too, interleaved: before and after
 *       in one session.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kq_auth.h"
#include "kq_conn.h"
#include "kq_net.h"
#include "kq_protocol.h"

#define SECRET "bench secret"

typedef struct bench bench;

typedef struct peer {
    kq_conn conn;
    bench *b;
    bool worker;
    bool ready;      /* worker: authenticated */
    uint64_t jobs;   /* worker: jobs run */
    char name[32];
} peer;

struct bench {
    kq_loop *loop;
    kq_conn_hub hub;
    pid_t server;
    uint16_t port;
    uint16_t status_port; /* its status page, 0 if it has none */
    char dir[64];
    peer client;
    peer *workers;
    int nworkers;
    uint64_t workers_ready;
    uint64_t to_issue, issued, accepted, finished, window;
    uint64_t replies;  /* answers to simple requests */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_server: %s\n", what);
    exit(1);
}

/* ---- the server process --------------------------------------------- */

static bool use_state;
static bool poll_status; /* the run has a poller of the status page */

static void start_server(bench *b, const char *binary, const char *extra)
{
    char conf[128], log[128], line[512];
    FILE *fp;
    double deadline;

    snprintf(b->dir, sizeof b->dir, "/tmp/kq-bench-XXXXXX");
    if (!mkdtemp(b->dir))
        die("mkdtemp failed");
    snprintf(conf, sizeof conf, "%s/config.toml", b->dir);
    snprintf(log, sizeof log, "%s/server.log", b->dir);
    fp = fopen(conf, "w");
    if (!fp)
        die("cannot write the configuration");
    fprintf(fp, "[common_settings]\nshared_secret = \"%s\"\nserver_port = 0\n"
                "log_level = \"info\"\n[server_settings]\nbind_addresses = \"127.0.0.1\"\n"
                "global_max_parallel_jobs = 1000000\nstate_file = \"%s/state.sqlite3\"\n"
                "status_address = \"127.0.0.1:0\"\n%s",
            SECRET, b->dir, extra);
    fclose(fp);
    chmod(conf, 0600);
    b->server = fork();
    if (b->server == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(fd, 1);
        dup2(fd, 2);
        execl(binary, binary, "-c", conf, use_state ? NULL : "--no-state",
              (char *)NULL);
        _exit(127);
    }
    deadline = now_s() + 10;
    while (now_s() < deadline) {
        char *p;

        fp = fopen(log, "r");
        while (fp && fgets(line, sizeof line, fp)) {
            if ((p = strstr(line, "Started listening on 127.0.0.1:")))
                b->port = (uint16_t)atoi(p + strlen("Started listening on 127.0.0.1:"));
            /* An old server (--base) has no status page. */
            if ((p = strstr(line, "Status page on http://127.0.0.1:")))
                b->status_port = (uint16_t)atoi(p + strlen("Status page on http://127.0.0.1:"));
        }
        if (fp)
            fclose(fp);
        if (b->port && (b->status_port || !poll_status))
            return;
        usleep(20000);
    }
    die("the server did not start");
}

static void stop_server(bench *b)
{
    char cmd[128];

    kill(b->server, SIGTERM);
    waitpid(b->server, NULL, 0);
    if (getenv("KQ_BENCH_KEEP")) {
        fprintf(stderr, "bench_server: kept %s\n", b->dir);
        return;
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", b->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_server: could not remove %s\n", b->dir);
}

/* User+system CPU seconds of the server so far. */
static double server_cpu(const bench *b)
{
    char path[64], buf[1024], *p;
    unsigned long ut = 0, st = 0;
    FILE *fp;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)b->server);
    fp = fopen(path, "r");
    if (!fp || !fgets(buf, sizeof buf, fp))
        die("cannot read the server's /proc/PID/stat");
    fclose(fp);
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                     &ut, &st) != 2)
        die("cannot parse /proc/PID/stat");
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long server_rss_kb(const bench *b)
{
    char path[64], line[256];
    long kb = -1;
    FILE *fp;

    snprintf(path, sizeof path, "/proc/%d/status", (int)b->server);
    fp = fopen(path, "r");
    while (fp && fgets(line, sizeof line, fp))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (fp)
        fclose(fp);
    return kb;
}

/* ---- a browser-like poller of the status page ------------------------ */

typedef struct poll_stats {
    uint64_t requests, failures, bytes;
} poll_stats;

/* One GET on a connection of its own; the bytes of the answer, or -1. */
static long http_get(uint16_t port, const char *path)
{
    char req[256], buf[65536];
    kq_error err;
    long total = 0;
    bool ok = true;
    ssize_t n;
    int fd;

    if (kq_net_connect("127.0.0.1", port, &fd, &err) < 0)
        return -1;
    /* kq_net_connect leaves it non-blocking; the poller waits. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "User-Agent: bench_server\r\nConnection: close\r\n\r\n", path);
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        if (total == 0 && (n < 13 || strncmp(buf, "HTTP/1.1 200 ", 13) != 0))
            ok = false;
        total += n;
    }
    close(fd);
    return n == 0 && total > 0 && ok ? total : -1;
}

/* Forks a process that fetches / and /metrics every 100 ms, counting into
 * stats (shared memory), until it is killed. */
static pid_t start_poller(uint16_t port, poll_stats *stats)
{
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    for (;;) {
        long a = http_get(port, "/"), m = http_get(port, "/metrics");

        stats->requests += 2;
        stats->failures += (a < 0) + (m < 0);
        stats->bytes += (uint64_t)(a > 0 ? a : 0) + (uint64_t)(m > 0 ? m : 0);
        usleep(100000);
    }
}

static void stop_poller(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- peers ---------------------------------------------------------- */

static void send_c2s(peer *p, const kq_c2s *m)
{
    kq_c2s_encode(m, kq_conn_out(&p->conn));
    kq_conn_queued(&p->conn);
}

static void send_w2s(peer *p, const kq_w2s *m)
{
    kq_w2s_encode(m, kq_conn_out(&p->conn));
    kq_conn_queued(&p->conn);
}

static void on_closed(void *owner, const char *reason)
{
    (void)owner;
    fprintf(stderr, "bench_server: connection lost: %s\n", reason);
    exit(1);
}

/* What the jobs issued ask for besides resources (workflows). */
typedef enum issue_kind {
    ISSUE_PLAIN,     /* IssueJob */
    ISSUE_CHAIN,     /* job i waits for job i - 1 */
    ISSUE_FAN,       /* job 0; jobs 1..n-2 wait for it; job n-1 for all those */
    ISSUE_PRIORITY,  /* job i has priority i % 10 */
    ISSUE_ARRAY,     /* one SubmitJob of an array of n */
} issue_kind;

static issue_kind issue_as;
static uint64_t worker_slots = 16; /* free slots the fake workers report */
static bool use_global;     /* jobs hold a global resource */
static bool global_configured;
static uint64_t job_ram = 100;  /* the n-th job issued asks for */
static uint64_t job_ram_step;   /* job_ram + n * job_ram_step MB */
static bool use_env;            /* jobs carry bench_env() */

/* A submitter's environment of about 3 KB: a login shell's variables, a
 * virtualenv's PATH, and LS_COLORS, which is long. */
static const kq_job_env *bench_env(void)
{
    static kq_job_env env;
    static kq_str vars[40];
    static char text[40][256];
    static const char *const fixed[] = {
        "HOME=/home/alice", "LANG=en_GB.UTF-8", "LOGNAME=alice", "MAIL=/var/mail/alice",
        "PATH=/home/alice/exp/venv/bin:/home/alice/.local/bin:/usr/local/bin:/usr/bin:/bin",
        "SHELL=/bin/bash", "USER=alice", "VIRTUAL_ENV=/home/alice/exp/venv",
        "OMP_NUM_THREADS=4", "EDITOR=vim"};
    size_t n = sizeof fixed / sizeof *fixed;

    if (env.variables.len)
        return &env;
    for (size_t i = 0; i < n; i++)
        vars[i] = kq_str_view(fixed[i]);
    /* A project's settings, to about 3 KB in all. */
    for (size_t i = n; i < 40; i++) {
        int len = snprintf(text[i], sizeof text[i], "EXP_SETTING_%02zu=", i);

        for (; len < 90; len++)
            text[i][len] = (char)('a' + len % 26);
        text[i][len] = '\0';
        vars[i] = kq_str_view(text[i]);
    }
    env.variables.items = vars;
    env.variables.len = 40;
    return &env;
}

/* issue_more for workflows: the job of m as SubmitJob with what
 * issue_as says.  Ids start at 0 on the fresh server. */
static void issue_workflow(bench *b, kq_c2s *m)
{
    static uint64_t *fan_in;
    kq_job_info job = m->issue_job;
    kq_workflow wf = {0};
    uint64_t dep;

    m->tag = KQ_C2S_SUBMIT_JOB;
    m->submit_job.job_info = job;
    m->submit_job.job_info.workflow = &wf;
    m->submit_job.has_array = false;
    if (issue_as == ISSUE_ARRAY) {
        if (b->issued == 0) {
            m->submit_job.has_array = true;
            m->submit_job.array = (kq_job_array){0, b->to_issue - 1, 1};
            send_c2s(&b->client, m);
            b->issued = b->to_issue;
        }
        return;
    }
    if (issue_as == ISSUE_FAN && !fan_in) {
        fan_in = malloc(b->to_issue * sizeof *fan_in);
        for (uint64_t i = 0; i < b->to_issue; i++)
            fan_in[i] = i + 1;
    }
    while (b->issued < b->to_issue && b->issued - b->accepted < b->window) {
        uint64_t i = b->issued;

        wf.has_after = false;
        wf.priority = 0;
        if (issue_as == ISSUE_PRIORITY) {
            wf.priority = (int32_t)(i % 10);
        } else if (i > 0 && (issue_as == ISSUE_CHAIN ||
                             (issue_as == ISSUE_FAN && i + 1 < b->to_issue))) {
            dep = issue_as == ISSUE_CHAIN ? i - 1 : 0;
            wf.has_after = true;
            wf.after = (kq_u64_set){1, &dep};
        } else if (i > 0) {
            wf.has_after = true;
            wf.after = (kq_u64_set){b->to_issue - 2, fan_in};
        }
        send_c2s(&b->client, m);
        b->issued++;
    }
    /* Accepted answers arrive before this function runs again. */
    if (b->issued == b->to_issue && issue_as == ISSUE_FAN) {
        free(fan_in);
        fan_in = NULL;
    }
}

static void issue_more(bench *b)
{
    static const kq_str cmd_true = KQ_STR_LIT("true");
    kq_c2s m = {.tag = KQ_C2S_ISSUE_JOB};
    kq_job_info *j = &m.issue_job;

    j->cmd.len = 1;
    j->cmd.items = (kq_str *)&cmd_true;
    j->cwd = KQ_STR_LIT("/tmp");
    j->worker_resources = (kq_resources){1, 1, 100};
    j->status.tag = KQ_JOB_STATUS_PENDING;
    j->status.pending.issued = kq_time_now();
    if (use_env) {
        j->has_environment = true;
        j->environment = *bench_env();
    }
    if (use_global) {
        static kq_u64_entry licence = {KQ_STR_LIT("licence"), 1};

        j->has_global_resources = true;
        j->global_resources.len = 1;
        j->global_resources.items = &licence;
    }
    if (b->window == 0)
        b->window = 1000;
    if (issue_as != ISSUE_PLAIN) {
        issue_workflow(b, &m);
        return;
    }
    while (b->issued < b->to_issue && b->issued - b->accepted < b->window) {
        j->worker_resources.ram_mb = job_ram + b->issued * job_ram_step;
        send_c2s(&b->client, &m);
        b->issued++;
    }
}

static void client_message(void *owner, const char *msg, size_t len)
{
    peer *p = owner;
    bench *b = p->b;
    kq_s2c m;
    kq_error err;

    if (kq_s2c_decode(msg, len, &m, &err) != 0)
        die(err.msg);
    switch (m.tag) {
    case KQ_S2C_AUTH_CHALLENGE: {
        kq_c2s r = {.tag = KQ_C2S_AUTH_RESPONSE};
        char resp[KQ_AUTH_RESPONSE_LEN + 1];

        if (kq_auth_response(SECRET, strlen(SECRET), m.auth_challenge.salt.ptr,
                             m.auth_challenge.salt.len, resp) < 0)
            die("auth");
        r.auth_response = kq_str_view(resp);
        send_c2s(p, &r);
        break;
    }
    case KQ_S2C_AUTH_ACCEPTED:
        if (!m.auth_accepted)
            die("authentication failed");
        b->replies++;
        break;
    case KQ_S2C_ACCEPT_JOB:
        b->accepted++;
        issue_more(b);
        break;
    case KQ_S2C_REJECT_JOB:
        die("a job was rejected");
        break;
    default:
        b->replies++;
        break;
    }
    kq_s2c_free(&m);
}

static const kq_conn_handler client_handler = {client_message, on_closed};

static void worker_message(void *owner, const char *msg, size_t len)
{
    peer *p = owner;
    bench *b = p->b;
    kq_s2w m;
    kq_error err;

    if (kq_s2w_decode(msg, len, &m, &err) != 0)
        die(err.msg);
    switch (m.tag) {
    case KQ_S2W_AUTH_CHALLENGE: {
        kq_w2s r = {.tag = KQ_W2S_AUTH_RESPONSE};
        char resp[KQ_AUTH_RESPONSE_LEN + 1];

        if (kq_auth_response(SECRET, strlen(SECRET), m.auth_challenge.salt.ptr,
                             m.auth_challenge.salt.len, resp) < 0)
            die("auth");
        r.auth_response = kq_str_view(resp);
        send_w2s(p, &r);
        break;
    }
    case KQ_S2W_AUTH_ACCEPTED: {
        kq_w2s r;

        if (!m.auth_accepted)
            die("worker authentication failed");
        r = (kq_w2s){.tag = KQ_W2S_UPDATE_SYSTEM_INFO};
        r.update_system_info.kernel = KQ_STR_LIT("6.1.0-18-amd64");
        r.update_system_info.distribution = KQ_STR_LIT("Linux 12 Debian GNU/Linux");
        r.update_system_info.cpu_cores = 16;
        r.update_system_info.cpu_frequency = 2899;
        r.update_system_info.total_ram_mb = 64215;
        r.update_system_info.load_info = (kq_load_info){0.52, 1.37, 12.75};
        send_w2s(p, &r);
        r = (kq_w2s){.tag = KQ_W2S_UPDATE_RESOURCES};
        p->ready = true;
        b->workers_ready++;
        r.update_resources = (kq_resources){worker_slots, 1000, 1000000};
        send_w2s(p, &r);
        break;
    }
    case KQ_S2W_OFFER_JOB: {
        kq_w2s r = {.tag = KQ_W2S_ACCEPT_JOB_OFFER};

        r.accept_job_offer = m.offer_job;
        send_w2s(p, &r);
        break;
    }
    case KQ_S2W_CONFIRM_JOB_OFFER: {
        kq_w2s r = {.tag = KQ_W2S_UPDATE_JOB_STATUS};
        kq_job_info *j = &m.confirm_job_offer;
        kq_job_status fin = {.tag = KQ_JOB_STATUS_FINISHED};

        fin.finished.issued = j->status.running.issued;
        fin.finished.started = j->status.running.started;
        fin.finished.finished = kq_time_now();
        fin.finished.worker = kq_str_view(p->name);
        fin.finished.comment = KQ_STR_LIT("Job finished orderly.");
        r.update_job_status = *j;
        r.update_job_status.status = fin;
        send_w2s(p, &r);
        r = (kq_w2s){.tag = KQ_W2S_UPDATE_JOB_RESULTS};
        r.update_job_results.job_id = j->job_id;
        send_w2s(p, &r);
        r = (kq_w2s){.tag = KQ_W2S_UPDATE_RESOURCES};
        r.update_resources = (kq_resources){worker_slots, 1000, 1000000};
        send_w2s(p, &r);
        p->jobs++;
        b->finished++;
        break;
    }
    default:
        break;
    }
    kq_s2w_free(&m);
}

static const kq_conn_handler worker_handler = {worker_message, on_closed};

static void open_peer(bench *b, peer *p, bool worker, int index)
{
    kq_error err;
    int fd;

    p->b = b;
    p->worker = worker;
    if (kq_net_connect("127.0.0.1", b->port, &fd, &err) < 0)
        die(err.msg);
    if (kq_conn_open(&p->conn, &b->hub, fd, 1u << 30,
                     worker ? &worker_handler : &client_handler, p) < 0)
        die("kq_conn_open");
    if (worker) {
        kq_buf *out = kq_conn_out(&p->conn);

        snprintf(p->name, sizeof p->name, "bench%d", index);
        kq_buf_printf(out, "{\"HelloFromWorker\":{\"worker_name\":\"%s\"}}", p->name);
    } else {
        kq_buf_puts(kq_conn_out(&p->conn), "\"HelloFromClient\"\"AuthRequest\"");
    }
    kq_conn_queued(&p->conn);
}

static void on_turn(kq_loop *loop, void *arg)
{
    (void)loop;
    kq_conn_hub_flush(&((bench *)arg)->hub);
}

/* Runs the loop until *counter reaches target. */
static void run_until(bench *b, const uint64_t *counter, uint64_t target)
{
    while (*counter < target)
        if (kq_loop_turn(b->loop, 1000) < 0)
            die("select failed");
}

static void bench_init(bench *b, const char *binary, const char *extra)
{
    struct rlimit rl;

    memset(b, 0, sizeof *b);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    if (kq_loop_new(&b->loop) < 0)
        die("kq_loop_new");
    b->hub.loop = b->loop;
    kq_loop_before_sleep(b->loop, on_turn, b);
    start_server(b, binary, extra);
}

static void connect_workers(bench *b, int n)
{
    b->workers = calloc((size_t)n, sizeof *b->workers);
    b->nworkers = n;
    for (int i = 0; i < n; i++)
        open_peer(b, &b->workers[i], true, i);
    run_until(b, &b->workers_ready, (uint64_t)n);
}

static void wait_replies(bench *b, uint64_t n)
{
    run_until(b, &b->replies, n);
}

/* A single request's round trip, in milliseconds. */
static double round_trip(bench *b, const kq_c2s *m)
{
    double t0 = now_s();

    send_c2s(&b->client, m);
    wait_replies(b, b->replies + 1);
    return (now_s() - t0) * 1e3;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, c = *(const double *)y;

    return a < c ? -1 : a > c;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static double median_round_trip(bench *b, const kq_c2s *m, int reps)
{
    double t[64];

    for (int i = 0; i < reps && i < 64; i++)
        t[i] = round_trip(b, m);
    return median(t, reps < 64 ? reps : 64);
}

/* ---- benchmarks ------------------------------------------------------ */

/* Closes what bench_init and the peers opened. */
static void bench_free(bench *b)
{
    kq_conn_close(&b->client.conn);
    for (int i = 0; i < b->nworkers; i++)
        kq_conn_close(&b->workers[i].conn);
    free(b->workers);
    kq_loop_free(b->loop);
}

typedef struct sched_result {
    double rate;    /* jobs per second */
    double cpu_us;  /* server CPU per job */
    double fold_us; /* store on: server CPU per job folding the journal when idle */
    double lo, hi;  /* fewest and most jobs a worker ran */
    double polls;   /* --poll-status: pages fetched per second */
} sched_result;

/* Fewest and most jobs a worker ran, and how many workers ran any. */
static int spread(const bench *b, double *lo, double *hi)
{
    int used = 0;

    *lo = *hi = b->nworkers ? (double)b->workers[0].jobs : 0;
    for (int i = 0; i < b->nworkers; i++) {
        double n = (double)b->workers[i].jobs;

        *lo = n < *lo ? n : *lo;
        *hi = n > *hi ? n : *hi;
        used += n > 0;
    }
    return used;
}

static off_t file_size(const char *dir, const char *name)
{
    char path[160];
    struct stat sb;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* Store on: waits (60 s at most) until the server, idle, has folded its
 * journal into the tables and checkpointed them; the server CPU this took
 * per job. */
static double fold_cost_us(bench *b, uint64_t n)
{
    double cpu0 = server_cpu(b), deadline = now_s() + 60;

    while (now_s() < deadline) {
        /* The journal keeps just its header (32 bytes, kq_journal.h), the
         * WAL is empty. */
        if (file_size(b->dir, "state.sqlite3-changes") == 32 &&
            file_size(b->dir, "state.sqlite3-wal") <= 0)
            return (server_cpu(b) - cpu0) * 1e6 / (double)n;
        usleep(10000);
    }
    die("the server did not fold its journal within 60 s");
    return 0;
}

/* One sched run with the variant set in the globals. */
static sched_result sched_once(const char *binary, uint64_t n, int w, bool backlog)
{
    sched_result r = {0};
    poll_stats *polled = NULL;
    pid_t poller = 0;
    bench b;
    double t0, cpu0;

    bench_init(&b, binary, global_configured ? "[global_resources]\nlicence = 1000000\n" : "");
    if (poll_status) {
        if (!b.status_port)
            die("--poll-status: the server has no status page");
        polled = mmap(NULL, sizeof *polled, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (polled == MAP_FAILED)
            die("mmap failed");
        memset(polled, 0, sizeof *polled);
        poller = start_poller(b.status_port, polled);
    }
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    b.to_issue = n;
    if (backlog) {
        /* A bounded window: kq_conn stops reading while its own output
         * is over the high-water mark, which suits a server, not a client
         * queueing 100,000 requests at once. */
        issue_more(&b);
        run_until(&b, &b.accepted, n);
    }
    t0 = now_s();
    cpu0 = server_cpu(&b);
    connect_workers(&b, w);
    if (!backlog)
        issue_more(&b);
    run_until(&b, &b.finished, n);
    r.rate = (double)n / (now_s() - t0);
    r.cpu_us = (server_cpu(&b) - cpu0) * 1e6 / (double)n;
    if (poller) {
        stop_poller(poller);
        if (polled->failures)
            die("--poll-status: a fetch of the status page failed");
        r.polls = (double)polled->requests / (now_s() - t0);
        munmap(polled, sizeof *polled);
    }
    r.fold_us = use_state ? fold_cost_us(&b, n) : 0;
    spread(&b, &r.lo, &r.hi);
    stop_server(&b);
    bench_free(&b);
    return r;
}

static int run_sched(const char *binary, int argc, char **argv)
{
    uint64_t n = argc > 0 ? strtoull(argv[0], NULL, 10) : 20000;
    int w = argc > 1 ? atoi(argv[1]) : 4;
    bool backlog = false;
    sched_result r;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--backlog") == 0)
            backlog = true;
        else if (strcmp(argv[i], "--global") == 0)
            use_global = global_configured = true;
        else if (strcmp(argv[i], "--configured") == 0)
            global_configured = true;
        else if (strcmp(argv[i], "--state") == 0)
            use_state = true;
    }
    r = sched_once(binary, n, w, backlog);
    printf("sched: %llu jobs, %d workers%s%s%s: %.0f jobs/s, server CPU %.1f us/job",
           (unsigned long long)n, w, backlog ? ", all queued first" : "",
           use_global ? ", global resources held" :
           global_configured ? ", global resources configured" : "",
           use_state ? ", store on" : "", r.rate, r.cpu_us);
    if (use_state)
        printf(", then %.1f us/job folding when idle", r.fold_us);
    printf("\n");
    return 0;
}

static const char *base_binary; /* --base: runs it too, interleaved */

/* The binaries to run: the server, then the base one if given. */
static int binaries(const char *binary, const char *out[2])
{
    out[0] = binary;
    out[1] = base_binary;
    return base_binary ? 2 : 1;
}

static const char *binary_label(int k)
{
    return k ? "base (--base)" : "this server";
}

/* Every sched variant, interleaved run by run so that a noisy stretch of
 * the machine hits them all alike; medians, and ratios to the plain run
 * (and to the base server's same variant). */
static int run_compare(const char *binary, int argc, char **argv)
{
    typedef struct variant {
        const char *name;
        bool backlog, configured, held, state, poll;
        int base; /* the variant a ratio is to */
    } variant;
    static const variant all[] = {
        {"plain", false, false, false, false, false, 0},
        {"all queued first", true, false, false, false, false, 0},
        {"global resources configured", false, true, false, false, false, 0},
        {"global resources held by every job", false, true, true, false, false, 0},
        {"store on", false, false, false, true, false, 0},
    };
    /* --poll-status: each with and without the poller. */
    static const variant polled[] = {
        {"plain", false, false, false, false, false, 0},
        {"plain, status page polled", false, false, false, false, true, 0},
        {"store on", false, false, false, true, false, 2},
        {"store on, status page polled", false, false, false, true, true, 2},
    };
    enum { MAX_V = 5, MAX_RUNS = 15 };
    bool with_poller = argc > 0 && strcmp(argv[argc - 1], "--poll-status") == 0;
    const variant *variants = with_poller ? polled : all;
    int NV = with_poller ? 4 : 5;
    uint64_t n;
    int w, runs;
    static double rate[2][MAX_V][MAX_RUNS], cpu[2][MAX_V][MAX_RUNS], lo[2][MAX_V][MAX_RUNS],
        hi[2][MAX_V][MAX_RUNS], fold[2][MAX_V][MAX_RUNS], polls[2][MAX_V][MAX_RUNS];
    double mr[2][MAX_V], mc[2][MAX_V];
    const char *bin[2];
    int nb = binaries(binary, bin);

    if (with_poller)
        argc--;
    n = argc > 0 ? strtoull(argv[0], NULL, 10) : 100000;
    w = argc > 1 ? atoi(argv[1]) : 4;
    runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > MAX_RUNS)
        runs = 5;
    for (int r = 0; r < runs; r++) {
        for (int v = 0; v < NV; v++) {
            for (int k = 0; k < nb; k++) {
                sched_result res;

                global_configured = variants[v].configured;
                use_global = variants[v].held;
                use_state = variants[v].state;
                poll_status = variants[v].poll;
                res = sched_once(bin[k], n, w, variants[v].backlog);
                rate[k][v][r] = res.rate;
                cpu[k][v][r] = res.cpu_us;
                lo[k][v][r] = res.lo;
                hi[k][v][r] = res.hi;
                fold[k][v][r] = res.fold_us;
                polls[k][v][r] = res.polls;
            }
        }
    }
    poll_status = false;
    printf("sched: %llu jobs, %d workers, median of %d interleaved runs\n",
           (unsigned long long)n, w, runs);
    for (int k = 0; k < nb; k++) {
        if (nb > 1)
            printf(" %s:\n", binary_label(k));
        for (int v = 0; v < NV; v++) {
            mr[k][v] = median(rate[k][v], runs);
            mc[k][v] = median(cpu[k][v], runs);
            int base = variants[v].base;

            printf("  %-36s %7.0f jobs/s (%3.0f %%)  server CPU %5.1f us/job (%3.0f %%)"
                   "  jobs per worker %.0f-%.0f\n",
                   variants[v].name, mr[k][v], 100 * mr[k][v] / mr[k][base], mc[k][v],
                   100 * mc[k][v] / mc[k][base], median(lo[k][v], runs),
                   median(hi[k][v], runs));
            if (variants[v].state)
                printf("  %-36s %30s then %5.1f us/job folding when idle\n", "", "",
                       median(fold[k][v], runs));
            if (variants[v].poll)
                printf("  %-36s %30s %.1f pages fetched per second\n", "", "",
                       median(polls[k][v], runs));
        }
    }
    if (nb > 1) {
        printf(" this server / base:\n");
        for (int v = 0; v < NV; v++)
            printf("  %-36s %7.0f %% jobs/s, %3.0f %% server CPU\n", variants[v].name,
                   100 * mr[0][v] / mr[1][v], 100 * mc[0][v] / mc[1][v]);
    }
    return 0;
}

/* Both processes on one CPU: a request/response ping-pong then costs the
 * same all run long, instead of depending on where the scheduler puts
 * the two processes from moment to moment. */
static void pin_both(const bench *b)
{
    cpu_set_t one;

    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one) < 0 ||
        sched_setaffinity(b->server, sizeof one, &one) < 0)
        fprintf(stderr, "bench_server: could not pin to CPU 0; figures are noisier\n");
}

/* One issue run, with the store as use_state says. */
static void issue_once(const char *binary)
{
    kq_c2s list = {.tag = KQ_C2S_LIST_JOBS};
    static double lat[20000];
    double first, last, l20k, l100k, t_stop;
    long rss0, rss1;
    bench b;

    bench_init(&b, binary, "");
    pin_both(&b);
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    rss0 = server_rss_kb(&b);
    b.window = 1;
    for (int i = 0; i < 20000; i++) {
        double t0 = now_s();

        b.to_issue++;
        issue_more(&b);
        run_until(&b, &b.accepted, b.to_issue);
        lat[i] = (now_s() - t0) * 1e6;
    }
    rss1 = server_rss_kb(&b);
    first = median(lat, 1000);
    last = median(lat + 19000, 1000);
    list.list_jobs.num_jobs = 20;
    l20k = median_round_trip(&b, &list, 31);
    b.window = 1000;
    b.to_issue = 100000;
    issue_more(&b);
    run_until(&b, &b.accepted, 100000);
    l100k = median_round_trip(&b, &list, 31);
    printf("issue%s%s: first 1,000 median %.1f us, last 1,000 median %.1f us, ratio %.2f\n",
           use_state ? " (store on)" : "", use_env ? " (a 3 KB environment each)" : "", first,
           last, last / first);
    printf("issue: server memory %.0f bytes per queued job (RSS %ld -> %ld kB for 20,000)\n",
           (double)(rss1 - rss0) * 1024 / 20000, rss0, rss1);
    printf("issue: list-jobs -n 20 median %.3f ms at 20,000 jobs, %.3f ms at 100,000 jobs\n",
           l20k, l100k);
    t_stop = now_s();
    stop_server(&b);
    /* With the store, a clean stop folds what the journal holds first. */
    printf("issue: clean stop with 100,000 jobs just queued %.2f s\n", now_s() - t_stop);
    bench_free(&b);
}

static int run_issue(const char *binary, int argc, char **argv)
{
    bool only_state = false, only_plain = false;

    for (int i = 0; i < argc; i++) {
        only_state |= strcmp(argv[i], "--state") == 0;
        only_plain |= strcmp(argv[i], "--plain") == 0;
        use_env |= strcmp(argv[i], "--env") == 0;
    }

    if (!only_state) {
        use_state = false;
        issue_once(binary);
    }
    if (!only_plain) {
        use_state = true;
        issue_once(binary);
    }
    return 0;
}

/* Issues n jobs to the connected workers and prints the rate and the
 * spread. */
static void workers_jobs(bench *b, uint64_t n)
{
    double t0 = now_s(), lo, hi, s;
    int used;

    for (int i = 0; i < b->nworkers; i++)
        b->workers[i].jobs = 0;
    b->finished = 0;
    b->to_issue += n;
    issue_more(b);
    run_until(b, &b->finished, n);
    s = now_s() - t0;
    used = spread(b, &lo, &hi);
    printf("workers: %llu jobs over %d workers in %.2f s (%.0f jobs/s): %d workers "
           "used, %.0f-%.0f jobs per worker\n",
           (unsigned long long)n, b->nworkers, s, (double)n / s, used, lo, hi);
}

static int run_workers(const char *binary, int argc, char **argv)
{
    int k = argc > 0 ? atoi(argv[0]) : 1000;
    kq_c2s lw = {.tag = KQ_C2S_LIST_WORKERS};
    const char *bin[2];
    int nb = binaries(binary, bin);

    for (int i = 0; i < nb; i++) {
        double t0, ms;
        bench b;

        if (nb > 1)
            printf("%s:\n", binary_label(i));
        bench_init(&b, bin[i], "");
        open_peer(&b, &b.client, false, 0);
        wait_replies(&b, 1);
        t0 = now_s();
        connect_workers(&b, k);
        printf("workers: %d connected and authenticated in %.2f s\n", k, now_s() - t0);
        ms = median_round_trip(&b, &lw, 11);
        printf("workers: list-workers median %.2f ms with %d workers\n", ms, k);
        workers_jobs(&b, (uint64_t)(k / 5 ? k / 5 : 1));
        workers_jobs(&b, (uint64_t)k * 4);
        stop_server(&b);
        bench_free(&b);
    }
    return 0;
}

/* Server CPU per job queueing n jobs (each with its own RAM when
 * distinct) with no worker, then running them on w workers. */
static void shapes_once(const char *binary, uint64_t n, int w, bool distinct,
                        double *queue_us, double *run_us)
{
    double cpu0;
    bench b;

    bench_init(&b, binary, "");
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    job_ram = 100;
    job_ram_step = distinct;
    b.to_issue = n;
    cpu0 = server_cpu(&b);
    issue_more(&b);
    run_until(&b, &b.accepted, n);
    *queue_us = (server_cpu(&b) - cpu0) * 1e6 / (double)n;
    cpu0 = server_cpu(&b);
    connect_workers(&b, w);
    run_until(&b, &b.finished, n);
    *run_us = (server_cpu(&b) - cpu0) * 1e6 / (double)n;
    stop_server(&b);
    bench_free(&b);
}

/* Server CPU per job running m jobs of one shape on w workers while n
 * jobs of distinct shapes too big for every worker wait (n may be 0). */
static double shapes_behind(const char *binary, uint64_t n, uint64_t m, int w)
{
    double cpu0, us;
    bench b;

    bench_init(&b, binary, "");
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    job_ram = 2000000; /* the fake workers have 1,000,000 MB */
    job_ram_step = 1;
    b.to_issue = n;
    issue_more(&b);
    run_until(&b, &b.accepted, n);
    connect_workers(&b, w);
    job_ram = 100;
    job_ram_step = 0;
    cpu0 = server_cpu(&b);
    b.to_issue += m;
    issue_more(&b);
    run_until(&b, &b.finished, m);
    us = (server_cpu(&b) - cpu0) * 1e6 / (double)m;
    stop_server(&b);
    bench_free(&b);
    return us;
}

static int run_shapes(const char *binary, int argc, char **argv)
{
    enum { MAX_RUNS = 15, BEHIND = 20000 };
    uint64_t n = argc > 0 ? strtoull(argv[0], NULL, 10) : 100000;
    int w = argc > 1 ? atoi(argv[1]) : 4;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    /* [binary][one shape, distinct][run] */
    static double queue[2][2][MAX_RUNS], run[2][2][MAX_RUNS], behind[2][2][MAX_RUNS];
    const char *bin[2];
    int nb = binaries(binary, bin);

    if (runs < 1 || runs > MAX_RUNS)
        runs = 3;
    for (int r = 0; r < runs; r++) {
        for (int k = 0; k < nb; k++) {
            for (int d = 0; d < 2; d++) {
                shapes_once(bin[k], n, w, d, &queue[k][d][r], &run[k][d][r]);
                behind[k][d][r] = shapes_behind(bin[k], d ? n : 0, BEHIND, w);
            }
        }
    }
    printf("shapes: %llu jobs, %d workers, server CPU per job, median of %d interleaved "
           "runs\n", (unsigned long long)n, w, runs);
    for (int k = 0; k < nb; k++) {
        double q0 = median(queue[k][0], runs), q1 = median(queue[k][1], runs);
        double r0 = median(run[k][0], runs), r1 = median(run[k][1], runs);
        double b0 = median(behind[k][0], runs), b1 = median(behind[k][1], runs);

        if (nb > 1)
            printf(" %s:\n", binary_label(k));
        printf("  queue them, no worker yet     one shape %7.1f us  %llu shapes %9.1f us  "
               "(%.2fx)\n", q0, (unsigned long long)n, q1, q1 / q0);
        printf("  then run them                 one shape %7.1f us  %llu shapes %9.1f us  "
               "(%.2fx)\n", r0, (unsigned long long)n, r1, r1 / r0);
        printf("  %d jobs of one shape   nothing waiting %7.1f us  behind %llu shapes "
               "fitting no worker %9.1f us  (%.2fx)\n", BEHIND, b0, (unsigned long long)n,
               b1, b1 / b0);
    }
    return 0;
}

/* ---- a crowd of connections ------------------------------------------ */

/* n clients that say hello and then nothing: plain blocking sockets, not
 * on the benchmark's loop, so they cost only the server.  Opened in
 * batches so the listen backlog never overflows.  Returns the fds. */
static int *open_idle_clients(const bench *b, int n)
{
    struct timeval tv = {10, 0};
    int *fds = calloc((size_t)n + 1, sizeof *fds);

    if (!fds)
        die("out of memory");
    for (int done = 0; done < n;) {
        int batch = n - done < 200 ? n - done : 200;

        for (int i = done; i < done + batch; i++) {
            kq_error err;

            if (kq_net_connect("127.0.0.1", b->port, &fds[i], &err) < 0)
                die(err.msg);
        }
        for (int i = done; i < done + batch; i++) {
            char buf[64];
            int fl = fcntl(fds[i], F_GETFL);

            /* Blocking from here, to wait for the welcome. */
            fcntl(fds[i], F_SETFL, fl & ~O_NONBLOCK);
            setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            if (send(fds[i], "\"HelloFromClient\"", 17, MSG_NOSIGNAL) != 17 ||
                recv(fds[i], buf, sizeof buf, 0) != 15)
                die("an idle client got no welcome");
        }
        done += batch;
    }
    fds[n] = -1;
    return fds;
}

/* One run: jobs pipelined to w fake workers, with idle clients around. */
static sched_result crowd_once(const char *binary, uint64_t jobs, int w, int idle)
{
    sched_result r = {0};
    int *idle_fds;
    bench b;
    double t0, cpu0;

    use_state = use_global = global_configured = false;
    bench_init(&b, binary, "");
    /* The benchmark's own loop holds the fake workers: poll the quiet ones
     * less often, as the server does, so that it keeps up. */
    if (kq_loop_idle_polling(b.loop, 1000, 10) < 0)
        die("kq_loop_idle_polling");
    idle_fds = open_idle_clients(&b, idle);
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    connect_workers(&b, w);
    /* Idle means idle for a while, not just connected. */
    sleep(2);
    b.to_issue = jobs;
    t0 = now_s();
    cpu0 = server_cpu(&b);
    issue_more(&b);
    run_until(&b, &b.finished, jobs);
    r.rate = (double)jobs / (now_s() - t0);
    r.cpu_us = (server_cpu(&b) - cpu0) * 1e6 / (double)jobs;
    stop_server(&b);
    for (int *fd = idle_fds; *fd >= 0; fd++)
        close(*fd);
    free(idle_fds);
    bench_free(&b);
    return r;
}

static int run_crowd(const char *binary, int argc, char **argv)
{
    enum { NV = 3, MAX_RUNS = 15 };
    int idle = argc > 0 ? atoi(argv[0]) : 10000;
    int k = argc > 1 ? atoi(argv[1]) : 5000;
    uint64_t jobs = argc > 2 ? strtoull(argv[2], NULL, 10) : 20000;
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    const struct { int workers, idle; } v[NV] = {{4, 0}, {4, idle}, {k, 500}};
    double rate[NV][MAX_RUNS], cpu[NV][MAX_RUNS];
    char name[NV][64];

    if (runs < 1 || runs > MAX_RUNS)
        runs = 5;
    for (int r = 0; r < runs; r++) {
        for (int i = 0; i < NV; i++) {
            sched_result res = crowd_once(binary, jobs, v[i].workers, v[i].idle);

            rate[i][r] = res.rate;
            cpu[i][r] = res.cpu_us;
        }
    }
    printf("crowd: %llu jobs, median of %d interleaved runs\n",
           (unsigned long long)jobs, runs);
    for (int i = 0; i < NV; i++) {
        double mr = median(rate[i], runs), mc = median(cpu[i], runs);

        snprintf(name[i], sizeof name[i], "%d workers, %d idle clients",
                 v[i].workers, v[i].idle);
        printf("  %-36s %7.0f jobs/s (%3.0f %%)  server CPU %6.1f us/job (%4.0f %%)\n",
               name[i], mr, 100 * mr / median(rate[0], runs), mc,
               100 * mc / median(cpu[0], runs));
    }
    return 0;
}

typedef struct wf_variant {
    const char *name;
    issue_kind kind;
    int tenth;          /* N/10 jobs (else N) */
    int extra;          /* jobs besides those */
    int workers, slots; /* fake workers and the slots each reports */
    int plain;          /* the variant it is compared with (itself for plain ones) */
} wf_variant;

/* Server CPU per job issuing a variant's jobs with no worker, then
 * running them all; and the jobs per second of the whole. */
static void workflow_once(const char *binary, const wf_variant *v, uint64_t n, double *cpu_us,
                          double *rate)
{
    double t0, cpu0;
    bench b;

    bench_init(&b, binary, "");
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    issue_as = v->kind;
    worker_slots = (uint64_t)v->slots;
    b.to_issue = n;
    t0 = now_s();
    cpu0 = server_cpu(&b);
    issue_more(&b);
    run_until(&b, &b.accepted, v->kind == ISSUE_ARRAY ? 1 : n);
    connect_workers(&b, v->workers);
    run_until(&b, &b.finished, n);
    *rate = (double)n / (now_s() - t0);
    *cpu_us = (server_cpu(&b) - cpu0) * 1e6 / (double)n;
    issue_as = ISSUE_PLAIN;
    worker_slots = 16;
    stop_server(&b);
    bench_free(&b);
}

static int run_workflows(const char *binary, int argc, char **argv)
{
    static const wf_variant variants[] = {
        {"plain, one at a time", ISSUE_PLAIN, 1, 0, 1, 1, 0},
        {"chain (each --after the previous)", ISSUE_CHAIN, 1, 0, 1, 1, 0},
        {"plain, all queued first", ISSUE_PLAIN, 1, 2, 4, 16, 2},
        {"fan-out/fan-in (1 -> N/10 -> 1)", ISSUE_FAN, 1, 2, 4, 16, 2},
        {"plain, all queued first", ISSUE_PLAIN, 0, 0, 4, 16, 4},
        {"10 priorities", ISSUE_PRIORITY, 0, 0, 4, 16, 4},
        {"one array", ISSUE_ARRAY, 0, 0, 4, 16, 4},
    };
    enum { NV = sizeof variants / sizeof *variants, MAX_RUNS = 15 };
    uint64_t n = argc > 0 ? strtoull(argv[0], NULL, 10) : 100000;
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    static double cpu[NV][MAX_RUNS], rate[NV][MAX_RUNS];
    double mc[NV];

    if (runs < 1 || runs > MAX_RUNS)
        runs = 3;
    for (int r = 0; r < runs; r++)
        for (int v = 0; v < NV; v++)
            workflow_once(binary, &variants[v],
                          (variants[v].tenth ? n / 10 : n) + (uint64_t)variants[v].extra,
                          &cpu[v][r], &rate[v][r]);
    printf("workflows: N = %llu, server CPU per job from the first request to the last "
           "end, median of %d interleaved runs\n", (unsigned long long)n, runs);
    for (int v = 0; v < NV; v++) {
        uint64_t jobs = (variants[v].tenth ? n / 10 : n) + (uint64_t)variants[v].extra;

        mc[v] = median(cpu[v], runs);
        printf("  %-36s %7llu jobs  %6.1f us/job", variants[v].name, (unsigned long long)jobs,
               mc[v]);
        if (variants[v].plain != v)
            printf(" (%.2fx plain)", mc[v] / mc[variants[v].plain]);
        else
            printf("             ");
        printf("  %7.0f jobs/s\n", median(rate[v], runs));
    }
    return 0;
}

int main(int argc, char **argv)
{
    /* --base OLD_SERVER, wherever it is. */
    for (int i = 3; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--base") == 0) {
            base_binary = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], (size_t)(argc - i - 1) * sizeof *argv);
            argc -= 2;
            break;
        }
    }
    if (argc < 3) {
        fprintf(stderr, "usage: bench_server SERVER sched|compare|issue|workers|shapes|crowd|workflows [ARGS] "
                        "[--base OLD_SERVER] [--poll-status]\n");
        return 2;
    }
    if (strcmp(argv[2], "sched") == 0)
        return run_sched(argv[1], argc - 3, argv + 3);
    if (strcmp(argv[2], "compare") == 0)
        return run_compare(argv[1], argc - 3, argv + 3);
    if (strcmp(argv[2], "issue") == 0)
        return run_issue(argv[1], argc - 3, argv + 3);
    if (strcmp(argv[2], "workers") == 0)
        return run_workers(argv[1], argc - 3, argv + 3);
    if (strcmp(argv[2], "shapes") == 0)
        return run_shapes(argv[1], argc - 3, argv + 3);
    if (strcmp(argv[2], "crowd") == 0)
        return run_crowd(argv[1], argc - 3, argv + 3);
    if (strcmp(argv[2], "workflows") == 0)
        return run_workflows(argv[1], argc - 3, argv + 3);
    fprintf(stderr, "bench_server: unknown benchmark %s\n", argv[2]);
    return 2;
}
