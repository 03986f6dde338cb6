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
 *   bench_server SERVER follow [JOBS MIB_S SECONDS FOLLOWERS RUNS]
 *       Live output (issue 15) next to the sched load: JOBS fake workers
 *       of level 1 (default 50) each run one job that prints MIB_S MiB/s
 *       (1) of numbered 100-byte lines for SECONDS (20), sent as
 *       kueue_worker sends them (OutputChunk: every 200 ms all that is new
 *       for a followed job, once a second the last 64 KiB for another),
 *       while FOLLOWERS clients (10) follow one job each (FollowJob) and 4
 *       fake workers run `true` jobs pipelined from one client all along
 *       (at most 1,000 in flight, the ended ones cleaned every 250 ms).
 *       Against the same run whose jobs print nothing, interleaved RUNS
 *       (3) times: medians of the sched jobs/s, server CPU and the
 *       server's largest VmRSS, this program's CPU, and what the followers
 *       saw: every line, or a gap they were told of (bytes skipped), none
 *       out of order or wrong.  The printers and followers run in a
 *       process of their own.
 *   bench_server SERVER idle [N RUNS]
 *       N clients connected past their hello and silent (default 5,000),
 *       in plain text and over TLS, interleaved: the server's memory per
 *       connection (VmRSS), and its CPU per connection for the handshakes.
 *   --base OLD_SERVER (compare, workers, shapes)
 *       Runs everything with OLD_SERVER too, interleaved: before and after
 *       in one session.
 *   --tls (compare, sched, workers, shapes, crowd)
 *       The fake clients and workers speak TLS (kq_conn_start_tls, the
 *       shared secret's key); compare then runs every variant in plain text
 *       and over TLS, interleaved, with the ratios.  crowd's idle clients
 *       stay plain (they are raw sockets).
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

/* --tls: the fake peers speak TLS with this (client) context. */
static kq_tls_ctx *peer_tls;

typedef struct bench bench;

/* follow: what a peer plays besides a sched worker or client. */
typedef enum peer_role { ROLE_PLAIN, ROLE_PRINTER, ROLE_FOLLOWER } peer_role;

typedef struct peer {
    kq_conn conn;
    bench *b;
    bool worker;
    bool ready;      /* worker: authenticated */
    uint64_t jobs;   /* worker: jobs run */
    char name[32];
    peer_role role;
    kq_job_info job; /* printer: its running job (as confirmed) */
    bool running;    /* printer: confirmed */
    uint64_t offset; /* printer: bytes printed; follower: where it stands */
    uint64_t follow; /* follower: the job it follows */
    double due;      /* printer: when it sends next */
    bool watched;    /* printer: someone follows its job */
    uint64_t lines, skipped, bad; /* follower: lines seen, bytes skipped, wrong lines */
    bool done;       /* follower: the follow ended */
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
    peer *printers, *followers; /* follow */
    int nprinters, nfollowers;
    uint64_t printers_running, follows_done;
    bool pace;         /* at most window jobs issued and not ended (a load
                          that lasts, not a queue that grows) */
    long rss_max_kb;   /* the server's largest VmRSS sampled */
    uint64_t rss_timer;
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
    while (b->issued < b->to_issue &&
           b->issued - (b->pace ? b->finished + b->printers_running : b->accepted) < b->window) {
        j->worker_resources.ram_mb = job_ram + b->issued * job_ram_step;
        send_c2s(&b->client, &m);
        b->issued++;
    }
}

/* follow: the bytes of one printed line; line n is at n * LINE_BYTES. */
#define LINE_BYTES 100

/* A follower's piece of stdout: never back, a gap only as a jump of the
 * offset (the server's word that bytes were skipped), and every whole line
 * the one its position says. */
static void follower_piece(peer *p, const kq_stream_text *st)
{
    const char *t = st->text.ptr;
    uint64_t off = st->offset;
    size_t n = st->text.len, i;

    if (off < p->offset) {
        p->bad++;
        return;
    }
    p->skipped += off - p->offset;
    i = off % LINE_BYTES ? LINE_BYTES - off % LINE_BYTES : 0;
    for (; i + LINE_BYTES <= n; i += LINE_BYTES) {
        if (strtoull(t + i, NULL, 10) != (off + i) / LINE_BYTES || t[i + LINE_BYTES - 1] != '\n')
            p->bad++;
        else
            p->lines++;
    }
    p->offset = off + n;
}

static void follower_message(peer *p, const kq_s2c *m)
{
    if (m->tag != KQ_S2C_JOB_OUTPUT)
        return;
    if (m->job_output.has_stdout_chunk)
        follower_piece(p, &m->job_output.stdout_chunk);
    if (m->job_output.done && !p->done) {
        p->done = true;
        p->b->follows_done++;
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
    if (p->role == ROLE_FOLLOWER) {
        follower_message(p, &m);
        kq_s2c_free(&m);
        return;
    }
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

/* A printer's job runs (prints) until the end of the run: it takes no
 * other job. */
static void printer_started(peer *p, kq_job_info *job)
{
    kq_w2s r = {.tag = KQ_W2S_UPDATE_RESOURCES};

    p->job = *job;
    memset(job, 0, sizeof *job);
    p->running = true;
    p->b->printers_running++;
    r.update_resources = (kq_resources){0, 0, 0};
    send_w2s(p, &r);
}

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
        /* A printer takes one job, and keeps it. */
        r.update_resources = p->role == ROLE_PRINTER ? (kq_resources){1, 1000, 1000000}
                                                     : (kq_resources){worker_slots, 1000, 1000000};
        send_w2s(p, &r);
        break;
    }
    case KQ_S2W_WATCH_OUTPUT:
        p->watched = m.watch_output.watched;
        break;
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

        if (p->role == ROLE_PRINTER) {
            printer_started(p, j);
            break;
        }
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
        if (b->pace)
            issue_more(b);
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
    if (peer_tls && kq_conn_start_tls(&p->conn, peer_tls) < 0)
        die("kq_conn_start_tls");
    if (worker && p->role == ROLE_PRINTER) {
        kq_hello h = {.tag = KQ_HELLO_HELLO_FROM_WORKER};

        /* A Kueue-C worker whose output may go on for long. */
        snprintf(p->name, sizeof p->name, "printer%d", index);
        h.hello_from_worker.worker_name = kq_str_view(p->name);
        h.hello_from_worker.has_extension_level = true;
        h.hello_from_worker.extension_level = KQ_PROTOCOL_EXTENSION_LEVEL;
        h.hello_from_worker.has_output_limit = true;
        h.hello_from_worker.output_limit = UINT64_C(1) << 40;
        kq_hello_encode(&h, kq_conn_out(&p->conn));
    } else if (worker) {
        kq_buf *out = kq_conn_out(&p->conn);

        snprintf(p->name, sizeof p->name, "bench%d", index);
        kq_buf_printf(out, "{\"HelloFromWorker\":{\"worker_name\":\"%s\"}}", p->name);
    } else if (p->role == ROLE_FOLLOWER) {
        kq_c2s f = {.tag = KQ_C2S_FOLLOW_JOB};

        f.follow_job = (kq_c2s_follow_job){p->follow, true, false};
        kq_buf_puts(kq_conn_out(&p->conn), "\"HelloFromClient\"");
        kq_c2s_encode(&f, kq_conn_out(&p->conn));
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
    for (int i = 0; i < b->nprinters; i++) {
        kq_conn_close(&b->printers[i].conn);
        kq_job_info_free(&b->printers[i].job);
    }
    free(b->printers);
    for (int i = 0; i < b->nfollowers; i++)
        kq_conn_close(&b->followers[i].conn);
    free(b->followers);
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
    /* [binary or transport][variant][run]: with --tls, 0 plain, 1 TLS */
    const char *bin[2];
    int nb = binaries(binary, bin);
    kq_tls_ctx *tls = peer_tls;

    if (with_poller)
        argc--;
    n = argc > 0 ? strtoull(argv[0], NULL, 10) : 100000;
    w = argc > 1 ? atoi(argv[1]) : 4;
    runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > MAX_RUNS)
        runs = 5;
    if (tls && nb > 1)
        die("compare takes --tls or --base, not both");
    if (tls) {
        bin[1] = binary;
        nb = 2;
    }
    for (int r = 0; r < runs; r++) {
        for (int v = 0; v < NV; v++) {
            for (int k = 0; k < nb; k++) {
                sched_result res;

                global_configured = variants[v].configured;
                use_global = variants[v].held;
                use_state = variants[v].state;
                poll_status = variants[v].poll;
                if (tls)
                    peer_tls = k ? tls : NULL;
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
        if (tls)
            printf(" %s:\n", k ? "TLS" : "plain text");
        else if (nb > 1)
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
    if (tls) {
        printf(" TLS / plain text:\n");
        for (int v = 0; v < NV; v++)
            printf("  %-36s %7.0f %% jobs/s, %3.0f %% server CPU\n", variants[v].name,
                   100 * mr[1][v] / mr[0][v], 100 * mc[1][v] / mc[0][v]);
    } else if (nb > 1) {
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

/* ---- live output (issue 15) ------------------------------------------ */

typedef struct follow_run {
    double rate;       /* sched jobs/s while the printers ran */
    double cpu;        /* server CPU, share of one core, meanwhile */
    long rss_kb;       /* the server's largest VmRSS */
    uint64_t printed;  /* bytes printed by the followed jobs */
    uint64_t seen, skipped, lines, bad; /* what their followers got */
    int followers_ok;  /* followers whose bytes seen + skipped = printed */
    double load_cpu;   /* this benchmark's own CPU (sched load and printers,
                          shares of one core) */
    double sent_mib_s; /* output sent to the server, MiB/s */
} follow_run;

typedef struct printing {
    bench *b;
    double lines_per_s;  /* each job prints */
    uint64_t keep_lines; /* what the server keeps (output_keep), in lines */
    double t0;           /* when the jobs began to print */
    uint64_t timer;
    uint64_t sent;       /* bytes sent to the server */
    kq_buf text;         /* lines, numbered as they go */
} printing;

/* How often the printers are looked at; a followed job's chunks come every
 * 200 ms, another's once a second, as from kueue_worker (kq_wlive.h). */
#define PRINT_STEP_MS 4
#define PRINT_WATCHED_S 0.2
#define PRINT_TAIL_S 1.0

/* Writes v as 12 digits at p. */
static void put12(char *p, uint64_t v)
{
    for (int i = 11; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

/* Each printer's job prints lines_per_s, and the printer sends them as
 * kueue_worker does: every 200 ms all that is new while someone follows
 * the job (WatchOutput), else once a second only the last lines the
 * server keeps.  Each printer has its own moment (jobs start at different
 * times).  The lines are made once and only their numbers change, so that
 * making them costs this process little. */
static void on_print_tick(kq_loop *loop, void *arg)
{
    printing *pr = arg;
    bench *b = pr->b;
    double now = now_s();
    uint64_t made = (uint64_t)((now - pr->t0) * pr->lines_per_s);

    pr->timer = kq_loop_timer(loop, PRINT_STEP_MS, on_print_tick, pr);
    for (int i = 0; i < b->nprinters && pr->lines_per_s > 0; i++) {
        peer *p = &b->printers[i];
        uint64_t from = p->offset / LINE_BYTES, n;
        kq_w2s m = {.tag = KQ_W2S_OUTPUT_CHUNK};
        char *text;

        if (p->due > now || made <= from)
            continue;
        p->due = now + (p->watched ? PRINT_WATCHED_S : PRINT_TAIL_S);
        if (!p->watched && made - from > pr->keep_lines)
            from = made - pr->keep_lines;
        n = made - from;
        while (pr->text.len < n * LINE_BYTES)
            kq_buf_printf(&pr->text, "%012d %086d\n", 0, 0);
        text = kq_buf_ptr(&pr->text);
        for (uint64_t k = 0; k < n; k++)
            put12(text + k * LINE_BYTES, from + k);
        m.output_chunk.job_id = p->job.job_id;
        m.output_chunk.has_stdout_chunk = true;
        m.output_chunk.stdout_chunk.offset = from * LINE_BYTES;
        m.output_chunk.stdout_chunk.text = (kq_str){text, n * LINE_BYTES};
        send_w2s(p, &m);
        p->offset = made * LINE_BYTES;
        pr->sent += n * LINE_BYTES;
    }
}

/* Connects n peers of role into *out; waits for the workers among them. */
static peer *open_role(bench *b, int n, peer_role role, bool worker)
{
    peer *all = calloc((size_t)n, sizeof *all);
    uint64_t ready = b->workers_ready + (uint64_t)n;

    if (!all)
        die("out of memory");
    for (int i = 0; i < n; i++) {
        all[i].role = role;
        if (role == ROLE_FOLLOWER)
            all[i].follow = b->printers[i % b->nprinters].job.job_id;
        open_peer(b, &all[i], worker, i);
    }
    if (worker)
        run_until(b, &b->workers_ready, ready);
    return all;
}

/* User+system CPU seconds of this process so far. */
static double own_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void pipe_write(int fd, const void *p, size_t n)
{
    if (write(fd, p, n) != (ssize_t)n)
        die("write to the other process failed");
}

static void pipe_read(int fd, void *p, size_t n)
{
    if (read(fd, p, n) != (ssize_t)n)
        die("read from the other process failed");
}

/* The printers and their followers, in a process of their own (so that
 * making their output costs the sched load's process nothing): they
 * connect, take their jobs and follow them, say so on up, print on go's
 * word for seconds, end their jobs and send back what the followers saw. */
static void printers_process(const bench *parent, int jobs, double mib_s, int seconds,
                             int followers, bool print, int up, int down)
{
    follow_run r = {0};
    printing pr = {0};
    bench b = {0};
    double end;
    char go;

    if (kq_loop_new(&b.loop) < 0)
        die("kq_loop_new");
    b.hub.loop = b.loop;
    kq_loop_before_sleep(b.loop, on_turn, &b);
    b.port = parent->port;
    b.server = parent->server;
    pr.b = &b;
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    b.nprinters = jobs;
    b.printers = open_role(&b, jobs, ROLE_PRINTER, true);
    b.to_issue = (uint64_t)jobs;
    issue_more(&b);
    run_until(&b, &b.printers_running, (uint64_t)jobs);
    b.nfollowers = followers;
    b.followers = open_role(&b, followers, ROLE_FOLLOWER, false);
    pipe_write(up, "r", 1);
    pipe_read(down, &go, 1);
    pr.lines_per_s = print ? mib_s * 1048576 / LINE_BYTES : 0;
    pr.keep_lines = 65536 / LINE_BYTES;
    pr.t0 = now_s();
    for (int i = 0; i < jobs; i++)
        b.printers[i].due = pr.t0 + PRINT_WATCHED_S * i / jobs;
    pr.timer = kq_loop_timer(b.loop, PRINT_STEP_MS, on_print_tick, &pr);
    end = now_s() + seconds;
    while (now_s() < end)
        if (kq_loop_turn(b.loop, 100) < 0)
            die("select failed");
    kq_loop_timer_cancel(b.loop, pr.timer);
    /* The jobs end (their final output is not the point here), the
     * follows with them. */
    for (int i = 0; i < jobs; i++) {
        peer *p = &b.printers[i];
        kq_w2s m = {.tag = KQ_W2S_UPDATE_JOB_STATUS};
        kq_job_status fin = {.tag = KQ_JOB_STATUS_FINISHED};

        fin.finished.issued = p->job.status.running.issued;
        fin.finished.started = p->job.status.running.started;
        fin.finished.finished = kq_time_now();
        fin.finished.worker = kq_str_view(p->name);
        fin.finished.comment = KQ_STR_LIT("Job finished orderly.");
        m.update_job_status = p->job;
        m.update_job_status.status = fin;
        send_w2s(p, &m);
        m = (kq_w2s){.tag = KQ_W2S_UPDATE_JOB_RESULTS};
        m.update_job_results.job_id = p->job.job_id;
        send_w2s(p, &m);
    }
    run_until(&b, &b.follows_done, (uint64_t)followers);
    for (int i = 0; i < followers; i++) {
        const peer *f = &b.followers[i];
        const peer *p = &b.printers[i % jobs];

        r.printed += p->offset;
        r.seen += f->offset - f->skipped;
        r.skipped += f->skipped;
        r.lines += f->lines;
        r.bad += f->bad;
        r.followers_ok += f->offset == p->offset;
    }
    r.load_cpu = own_cpu();
    r.sent_mib_s = (double)pr.sent / 1048576 / seconds;
    pipe_write(up, &r, sizeof r);
    kq_buf_free(&pr.text);
    _exit(0);
}

/* Samples the server's VmRSS. */
static void on_rss_tick(kq_loop *loop, void *arg)
{
    bench *b = arg;
    long rss = server_rss_kb(b);

    b->rss_max_kb = rss > b->rss_max_kb ? rss : b->rss_max_kb;
    b->rss_timer = kq_loop_timer(loop, 200, on_rss_tick, b);
}

static follow_run follow_once(const char *binary, int jobs, double mib_s, int seconds,
                              int followers, bool print)
{
    follow_run r;
    bench b;
    uint64_t done0;
    double t0, cpu0, own0, end, last_clean;
    int up[2], down[2];
    pid_t child;
    char ready;

    use_state = use_global = global_configured = false;
    bench_init(&b, binary, "");
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    if (pipe(up) < 0 || pipe(down) < 0)
        die("pipe failed");
    if ((child = fork()) == 0)
        printers_process(&b, jobs, mib_s, seconds, followers, print, up[1], down[0]);
    pipe_read(up[0], &ready, 1);
    /* The sched load, all along, at most 1,000 jobs in flight; the ended
     * ones are cleaned every 250 ms so that the job table stays small. */
    b.workers = open_role(&b, 4, ROLE_PLAIN, true);
    b.nworkers = 4;
    b.to_issue = UINT64_MAX / 2;
    b.pace = true;
    issue_more(&b);
    b.rss_timer = kq_loop_timer(b.loop, 200, on_rss_tick, &b);
    pipe_write(down[1], "g", 1);
    t0 = last_clean = now_s();
    cpu0 = server_cpu(&b);
    own0 = own_cpu();
    done0 = b.finished;
    end = t0 + seconds;
    while (now_s() < end) {
        if (kq_loop_turn(b.loop, 100) < 0)
            die("select failed");
        if (now_s() - last_clean >= 0.25) {
            kq_c2s clean = {.tag = KQ_C2S_CLEAN_JOBS};

            clean.clean_jobs.all = true;
            send_c2s(&b.client, &clean);
            last_clean = now_s();
        }
    }
    r.rate = (double)(b.finished - done0) / (now_s() - t0);
    r.cpu = (server_cpu(&b) - cpu0) / (now_s() - t0);
    r.load_cpu = (own_cpu() - own0) / (now_s() - t0);
    b.to_issue = b.issued;
    run_until(&b, &b.finished, b.issued);
    kq_loop_timer_cancel(b.loop, b.rss_timer);
    {
        follow_run seen;

        pipe_read(up[0], &seen, sizeof seen);
        seen.load_cpu = r.load_cpu + seen.load_cpu / seconds;
        seen.rate = r.rate;
        seen.cpu = r.cpu;
        seen.rss_kb = b.rss_max_kb;
        r = seen;
    }
    waitpid(child, NULL, 0);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
    stop_server(&b);
    bench_free(&b);
    return r;
}

static int run_follow(const char *binary, int argc, char **argv)
{
    enum { MAX_RUNS = 15 };
    int jobs = argc > 0 ? atoi(argv[0]) : 50;
    double mib_s = argc > 1 ? atof(argv[1]) : 1.0;
    int seconds = argc > 2 ? atoi(argv[2]) : 20;
    int followers = argc > 3 ? atoi(argv[3]) : 10;
    int runs = argc > 4 ? atoi(argv[4]) : 3;
    double rate[2][MAX_RUNS], cpu[2][MAX_RUNS], rss[2][MAX_RUNS], load[2][MAX_RUNS];
    follow_run out[MAX_RUNS];

    if (runs < 1 || runs > MAX_RUNS)
        runs = 3;
    if (jobs < 1 || followers < 0 || followers > jobs)
        die("follow: FOLLOWERS must be at most JOBS, JOBS at least 1");
    for (int k = 0; k < runs; k++) {
        for (int v = 0; v < 2; v++) {
            follow_run res = follow_once(binary, jobs, mib_s, seconds, followers, v == 1);

            rate[v][k] = res.rate;
            cpu[v][k] = res.cpu * 100;
            rss[v][k] = (double)res.rss_kb / 1024;
            load[v][k] = res.load_cpu * 100;
            if (v == 1)
                out[k] = res;
        }
    }
    printf("follow: %d jobs printing %.1f MiB/s each for %d s, %d followers, next to the sched "
           "load (4 workers); median of %d interleaved runs\n", jobs, mib_s, seconds, followers,
           runs);
    for (int v = 0; v < 2; v++)
        printf("  %-28s sched %7.0f jobs/s (%3.0f %%)  server CPU %3.0f %%  server VmRSS max "
               "%5.1f MiB  load CPU %3.0f %%\n", v ? "jobs printing, followed" : "jobs printing nothing",
               median(rate[v], runs), 100 * median(rate[v], runs) / median(rate[0], runs),
               median(cpu[v], runs), median(rss[v], runs), median(load[v], runs));
    for (int k = 0; k < runs; k++)
        printf("  run %d: %.1f MiB/s of output sent to the server; followers got %.1f of %.1f "
               "MiB their jobs printed, %.1f MiB skipped and told; %llu whole lines, %llu wrong "
               "or out of order; %d of %d followers accounted for every byte\n", k + 1,
               out[k].sent_mib_s, (double)out[k].seen / 1048576,
               (double)out[k].printed / 1048576, (double)out[k].skipped / 1048576,
               (unsigned long long)out[k].lines, (unsigned long long)out[k].bad,
               out[k].followers_ok, followers);
    return 0;
}

/* ---- idle connections: memory and handshakes ------------------------- */

/* One run: n clients say hello (over TLS with tls) and wait; the server's
 * VmRSS growth and CPU per connection. */
static void idle_once(const char *binary, int n, kq_tls_ctx *tls, double *kb, double *cpu_us)
{
    long rss0;
    double cpu0;
    bench b;

    use_state = use_global = global_configured = false;
    peer_tls = tls;
    bench_init(&b, binary, "");
    if (kq_loop_idle_polling(b.loop, 1000, 10) < 0)
        die("kq_loop_idle_polling");
    /* One client first, so that what every server pays once (its TLS
     * code's first use, the first connection's buffers) is not counted. */
    open_peer(&b, &b.client, false, 0);
    wait_replies(&b, 1);
    usleep(200000);
    rss0 = server_rss_kb(&b);
    cpu0 = server_cpu(&b);
    b.workers = calloc((size_t)n, sizeof *b.workers);
    b.nworkers = n;
    for (int i = 0; i < n; i++) {
        open_peer(&b, &b.workers[i], false, i);
        /* A batch at a time, so the listen backlog never overflows. */
        if (i % 200 == 199)
            wait_replies(&b, (uint64_t)i + 2);
    }
    wait_replies(&b, (uint64_t)n + 1);
    usleep(200000);
    *kb = (double)(server_rss_kb(&b) - rss0) / n;
    *cpu_us = (server_cpu(&b) - cpu0) * 1e6 / n;
    stop_server(&b);
    bench_free(&b);
    peer_tls = NULL;
}

static int run_idle(const char *binary, int argc, char **argv, kq_tls_ctx *tls)
{
    enum { MAX_RUNS = 15 };
    int n = argc > 0 ? atoi(argv[0]) : 5000;
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    double kb[2][MAX_RUNS], cpu[2][MAX_RUNS];

    if (runs < 1 || runs > MAX_RUNS)
        runs = 3;
    if (!tls)
        die("idle needs --tls (it compares plain text and TLS)");
    for (int r = 0; r < runs; r++)
        for (int k = 0; k < 2; k++)
            idle_once(binary, n, k ? tls : NULL, &kb[k][r], &cpu[k][r]);
    printf("idle: %d clients past their hello, median of %d interleaved runs\n", n, runs);
    for (int k = 0; k < 2; k++)
        printf("  %-12s server memory %5.1f kB per connection, CPU %6.1f us per connection\n",
               k ? "TLS" : "plain text", median(kb[k], runs), median(cpu[k], runs));
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
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--tls") == 0) {
            kq_error err;

            if (kq_tls_ctx_new(false, SECRET, &peer_tls, &err) < 0)
                die(err.msg);
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof *argv);
            argc--;
            break;
        }
    }
    if (argc < 3) {
        fprintf(stderr, "usage: bench_server SERVER sched|compare|issue|workers|shapes|crowd|workflows|follow|idle "
                        "[ARGS] [--base OLD_SERVER] [--poll-status] [--tls]\n");
        return 2;
    }
    if (strcmp(argv[2], "idle") == 0) {
        kq_tls_ctx *tls = peer_tls;

        peer_tls = NULL;
        return run_idle(argv[1], argc - 3, argv + 3, tls);
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
    if (strcmp(argv[2], "follow") == 0)
        return run_follow(argv[1], argc - 3, argv + 3);
    fprintf(stderr, "bench_server: unknown benchmark %s\n", argv[2]);
    return 2;
}
