/*
 * test_print.c - kq_print: the spec's verified CLI outputs byte for byte
 * (job table and summary, job details, worker table and details, resource
 * table), narrow terminals and UTF-8-safe truncation, dates across month
 * and year ends and DST changes, durations, the short footer off a
 * terminal and colours.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kq_print.h"
#include "kq_test.h"
#include "kq_utf8.h"

/* 2024-01-30 00:00:00 UTC; the examples run at 18:50:00 that day. */
#define DAY0 1706572800
#define NOW (DAY0 + 18 * 3600 + 50 * 60)

static kq_time at(int h, int m, int s)
{
    return (kq_time){DAY0 + h * 3600 + m * 60 + s, 0};
}

/* Local time zones without DST: UTC, and one hour east or west. */
static long utc(int64_t t)
{
    (void)t;
    return 0;
}

static long east_1h(int64_t t)
{
    (void)t;
    return 3600;
}

static long west_1h(int64_t t)
{
    (void)t;
    return -3600;
}

static kq_print_opts plain(int term_width)
{
    return (kq_print_opts){{NOW, 0}, utc, term_width, false};
}

static kq_str cwd_home = KQ_STR_LIT("/home/user/project");
static kq_str argv_sleep[] = {KQ_STR_LIT("sleep"), KQ_STR_LIT("10")};
static kq_str argv_run[] = {KQ_STR_LIT("./run.sh"), KQ_STR_LIT("--fast")};
static kq_str argv_make[] = {KQ_STR_LIT("make"), KQ_STR_LIT("all")};
static kq_str argv_true[] = {KQ_STR_LIT("true")};
static kq_str argv_false[] = {KQ_STR_LIT("false")};
static kq_str argv_ls[] = {KQ_STR_LIT("ls")};
static kq_u64_entry licences[] = {{KQ_STR_LIT("genus"), 1},
                                  {KQ_STR_LIT("primelib"), 4}};

#define ARGV(a) ((kq_str_list){sizeof(a) / sizeof *(a), a})

static kq_job_info job(uint64_t id, kq_str_list cmd, kq_job_status st)
{
    kq_job_info j;

    memset(&j, 0, sizeof j);
    j.job_id = id;
    j.cmd = cmd;
    j.cwd = cwd_home;
    j.worker_resources = (kq_resources){1, 8, 8192};
    j.status = st;
    return j;
}

static kq_job_status pending(kq_time issued)
{
    kq_job_status s = {.tag = KQ_JOB_STATUS_PENDING};

    s.pending.issued = issued;
    return s;
}

static kq_job_status offered(kq_time t, const char *worker)
{
    kq_job_status s = {.tag = KQ_JOB_STATUS_OFFERED};

    s.offered.issued = at(17, 38, 53);
    s.offered.offered = t;
    s.offered.worker = kq_str_view(worker);
    return s;
}

static kq_job_status running(kq_time started, const char *worker)
{
    kq_job_status s = {.tag = KQ_JOB_STATUS_RUNNING};

    s.running.issued = at(17, 38, 54);
    s.running.started = started;
    s.running.worker = kq_str_view(worker);
    return s;
}

static kq_job_status finished(int32_t rc, int64_t run_time)
{
    kq_job_status s = {.tag = KQ_JOB_STATUS_FINISHED};

    s.finished.issued = at(17, 38, 57);
    s.finished.started = at(17, 38, 57);
    s.finished.finished = at(18, 45, 37);
    s.finished.return_code = rc;
    s.finished.worker = KQ_STR_LIT("node1");
    s.finished.run_time_seconds = run_time;
    s.finished.comment = KQ_STR_LIT("Job finished orderly.");
    return s;
}

static kq_job_status canceled(kq_time t)
{
    kq_job_status s = {.tag = KQ_JOB_STATUS_CANCELED};

    s.canceled.issued = at(17, 39, 0);
    s.canceled.canceled = t;
    return s;
}

/* The six jobs of the spec's list-jobs example. */
static kq_job_info example_jobs[6];

static kq_s2c_job_list example_job_list(void)
{
    kq_s2c_job_list l;

    example_jobs[0] = job(0, ARGV(argv_sleep), pending(at(17, 38, 52)));
    example_jobs[1] = job(1, ARGV(argv_run), offered(at(18, 45, 27), "node1"));
    example_jobs[1].has_global_resources = true;
    example_jobs[1].global_resources = (kq_u64_map){2, licences};
    example_jobs[2] = job(2, ARGV(argv_make),
                          running((kq_time){NOW - 3725, 0}, "node2"));
    example_jobs[3] = job(10, ARGV(argv_true), finished(0, 59));
    example_jobs[4] = job(11, ARGV(argv_false), finished(1, 1));
    example_jobs[5] = job(12, ARGV(argv_ls), canceled(at(18, 45, 32)));

    memset(&l, 0, sizeof l);
    l.job_infos = (kq_job_info_list){6, example_jobs};
    l.jobs_pending = l.jobs_offered = l.jobs_running = 1;
    l.jobs_succeeded = l.jobs_failed = l.jobs_canceled = 1;
    l.job_avg_run_time_seconds = 30;
    l.remaining_jobs_eta_seconds = 95;
    return l;
}

static const char example_job_table[] =
    "| id | working directory  | command         | cpus | memory  | other                 | worker | status                       |\n"
    "|  0 | /home/user/project | sleep 10        |  8 x | 8192 MB | ---                   | ---    | pending since today 17:38:52 |\n"
    "|  1 | /home/user/project | ./run.sh --fast |  8 x | 8192 MB | 1x genus, 4x primelib | node1  | offered on today 18:45:27    |\n"
    "|  2 | /home/user/project | make all        |  8 x | 8192 MB | ---                   | node2  | running for 1h:02m:05s       |\n"
    "| 10 | /home/user/project | true            |  8 x | 8192 MB | ---                   | node1  | finished after 0h:00m:59s    |\n"
    "| 11 | /home/user/project | false           |  8 x | 8192 MB | ---                   | node1  | failed with code 1           |\n"
    "| 12 | /home/user/project | ls              |  8 x | 8192 MB | ---                   | ---    | canceled on today 18:45:32   |\n"
    "--- job status summary ---"
    "                                                                     average job runtime: 0h:00m:30s\n"
    "pending: 1, offered: 1, running: 1, succeeded: 1, failed: 1, canceled: 1                        remaining jobs ETA: 0h:01m:35s\n";

/* Checks that every table line of text is exactly width display columns
 * wide, except the one starting with overflow (if not NULL), whose
 * "other" cell is wider than its column: as in the reference, it is not
 * cut.  (The summary's second line is as long as its counts make it and
 * may be wider, as in the reference.) */
static void check_table_width(const char *text, size_t width,
                              const char *overflow)
{
    const char *p = text;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t w = kq_utf8_width(p, len);

        if (overflow && strncmp(p, overflow, strlen(overflow)) == 0) {
            CHECK(w > width);
        } else if (p[0] == '|') {
            if (w != width)
                fprintf(stderr, "table line %zu columns wide, not %zu: %.*s\n",
                        w, width, (int)len, p);
            CHECK_INT(w, width);
        }
        p += len + (nl != NULL);
    }
}

/* The line of text starting with prefix, copied to line[]. */
static const char *find_line(const char *text, const char *prefix,
                             char *line, size_t size)
{
    const char *p = strstr(text, prefix);
    size_t len;

    if (!p)
        return "";
    len = strcspn(p, "\n");
    if (len >= size)
        len = size - 1;
    memcpy(line, p, len);
    line[len] = '\0';
    return line;
}

static void test_job_table_example(void)
{
    kq_s2c_job_list l = example_job_list();
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;

    kq_print_job_list(&b, &l, &o);
    CHECK_STR(kq_buf_ptr(&b), example_job_table);

    /* A terminal wide enough for every column gives the same table. */
    kq_buf_clear(&b);
    o.term_width = 126;
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(kq_buf_ptr(&b), example_job_table);
    kq_buf_free(&b);
}

/* A pending job's reason joins its status cell in its short form; the
 * rest of the table is as without it. */
static void test_job_table_reason(void)
{
    kq_s2c_job_list l = example_job_list();
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;
    char line[256];

    l.job_infos.items[0].wait_reason = KQ_STR_LIT("no worker has 8 CPUs (largest connected: 2)");
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  0", line, sizeof line),
              "|  0 | /home/user/project | sleep 10        |  8 x | 8192 MB | ---                   "
              "| ---    | pending since today 17:38:52 (no worker has 8 CPUs) |");
    /* On a terminal too narrow, the status cell loses its tail first. */
    kq_buf_clear(&b);
    o.term_width = 126;
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  0", line, sizeof line),
              "|  0 | /home/user/project | sleep 10        |  8 x | 8192 MB | ---                   "
              "| ---    | pending since today 17:38... |");
    kq_buf_free(&b);
}

static void test_job_table_narrow(void)
{
    kq_s2c_job_list l = example_job_list();
    kq_print_opts o = plain(60);
    kq_buf b = KQ_BUF_INIT, b20 = KQ_BUF_INIT;
    char line[256];

    /* Sum of minima (2+17+7+4+7+5+6+6 = 54) + separators (25) exceeds 60:
     * every column at its minimum; tiny terminals give the same. */
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(find_line(kq_buf_ptr(&b), "| id", line, sizeof line),
              "| id | working directory | command | cpus | memory  | other "
              "| worker | status |");
    /* "other" is never cut (issue 11.4): the row overflows. */
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  1", line, sizeof line),
              "|  1 | ...e/user/project | ./ru... |  8 x | 8192 MB "
              "| 1x genus, 4x primelib | node1  | off... |");
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  0", line, sizeof line),
              "|  0 | ...e/user/project | slee... |  8 x | 8192 MB | ---   "
              "| ---    | pen... |");
    o.term_width = 20;
    kq_print_job_list(&b20, &l, &o);
    CHECK_STR(kq_buf_ptr(&b20), kq_buf_ptr(&b));
    o.term_width = 1;
    kq_buf_clear(&b20);
    kq_print_job_list(&b20, &l, &o);
    CHECK_STR(kq_buf_ptr(&b20), kq_buf_ptr(&b));

    /* Between the minima and the maxima every table line fills the
     * terminal exactly and nothing is wider, but for the row whose "other"
     * cell is wider than its share (below 118 columns). */
    for (int w = 79; w <= 126; w++) {
        kq_buf_clear(&b);
        o.term_width = w;
        kq_print_job_list(&b, &l, &o);
        check_table_width(kq_buf_ptr(&b), (size_t)w, w < 118 ? "|  1" : NULL);
    }
    kq_buf_free(&b);
    kq_buf_free(&b20);
}

/* Width distribution: extra space goes one column at a time to the
 * narrowest column below its maximum, lowest index first. */
static void test_job_table_distribution(void)
{
    kq_s2c_job_list l = example_job_list();
    kq_print_opts o = plain(82);
    kq_buf b = KQ_BUF_INIT;
    char line[256];

    /* 3 spare columns: other 5->6, other 6->7 (lower index than status),
     * status 6->7. */
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(find_line(kq_buf_ptr(&b), "| id", line, sizeof line),
              "| id | working directory | command | cpus | memory  | other   "
              "| worker | status  |");
    CHECK_STR(find_line(kq_buf_ptr(&b), "--- job", line, sizeof line),
              "--- job status summary ---                         "
              "average job runtime: 0h:00m:30s");
    CHECK_INT(strlen(line), 82);
    kq_buf_free(&b);
}

static kq_str cwd_utf8 = KQ_STR_LIT("/データ/日本語/プロジェクト");
static kq_str argv_wide[] = {KQ_STR_LIT("a日本語テ")};
static kq_str argv_accent[] = {KQ_STR_LIT("\xC3\xA9\xE2\x9C\x93"
                                          "abcdefgh")}; /* "é✓abcdefgh" */
static kq_str argv_combining[] = {KQ_STR_LIT("abce\xCC\x81wxyz")};

static void test_job_table_utf8(void)
{
    kq_job_info jobs[3];
    kq_s2c_job_list l;
    kq_print_opts o = plain(60);
    kq_buf b = KQ_BUF_INIT;
    char line[256];

    jobs[0] = job(0, ARGV(argv_wide), pending(at(17, 0, 0)));
    jobs[0].cwd = cwd_utf8;
    jobs[1] = job(1, ARGV(argv_accent), pending(at(17, 0, 0)));
    jobs[2] = job(2, ARGV(argv_combining), pending(at(17, 0, 0)));
    memset(&l, 0, sizeof l);
    l.job_infos = (kq_job_info_list){3, jobs};
    l.jobs_pending = 3;

    kq_print_job_list(&b, &l, &o);
    CHECK(kq_utf8_valid(kq_buf_ptr(&b), b.len));
    /* The command column is 7 wide: 4 columns of head + "...".  A wide
     * character that would straddle the limit is dropped whole and the
     * cell padded; the tail of the directory likewise. */
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  0", line, sizeof line),
              "|  0 | .../プロジェクト  | a日...  |  8 x | 8192 MB | ---   "
              "| ---    | pen... |");
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  1", line, sizeof line),
              "|  1 | ...e/user/project | \xC3\xA9\xE2\x9C\x93"
              "ab... |  8 x | 8192 MB | ---   | ---    | pen... |");
    /* A combining accent stays with its base letter. */
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  2", line, sizeof line),
              "|  2 | ...e/user/project | abce\xCC\x81... |  8 x | 8192 MB "
              "| ---   | ---    | pen... |");
    check_table_width(kq_buf_ptr(&b), 79, NULL);

    /* Wide enough for everything: no truncation, widths in columns. */
    kq_buf_clear(&b);
    o.term_width = 0;
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  0", line, sizeof line),
              "|  0 | /データ/日本語/プロジェクト | a日本語テ  |  8 x | 8192 MB "
              "| ---   | ---    | pending since today 17:00:00 |");
    kq_buf_free(&b);
}

static void test_job_list_empty(void)
{
    kq_s2c_job_list l;
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;

    memset(&l, 0, sizeof l);
    l.jobs_succeeded = 4;
    l.job_avg_run_time_seconds = 3725;
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "--- job status summary --- average job runtime: 1h:02m:05s\n"
              "pending: 0, succeeded: 4 remaining jobs ETA: 0h:00m:00s\n");

    /* On a terminal the summary spans it. */
    kq_buf_clear(&b);
    o.term_width = 70;
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "--- job status summary ---             average job runtime: 1h:02m:05s\n"
              "pending: 0, succeeded: 4                remaining jobs ETA: 0h:00m:00s\n");
    kq_buf_free(&b);
}

static void test_job_details(void)
{
    kq_job_info j = job(10, ARGV(argv_true), finished(0, 59));
    kq_s2c_job_info info = {j, KQ_STR_LIT("hello\n"), KQ_STR_LIT("warn")};
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;

    kq_print_job_details(&b, &info, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "=== job information ===\n"
              "job id: 10\n"
              "command: true\n"
              "working directory: /home/user/project\n"
              "required job slots: 1\n"
              "required CPU cores: 8\n"
              "required RAM: 8192 megabytes\n"
              "\n"
              "job status: finished\n"
              "   issued on: today 17:38:57\n"
              "   started on: today 17:38:57\n"
              "   finished on: today 18:45:37\n"
              "   return code: 0\n"
              "   executed on: node1\n"
              "   runtime: 0h:00m:59s\n"
              "   comment: Job finished orderly.\n"
              "\n"
              "=== stdout ===\n"
              "hello\n"
              "\n"
              "\n"
              "=== stderr ===\n"
              "warn\n");

    /* Global resources; an Offered job (fixed: "offered", formatted date);
     * no output texts. */
    info.job_info = job(1, ARGV(argv_run), offered(at(18, 45, 27), "node1"));
    info.job_info.has_global_resources = true;
    info.job_info.global_resources = (kq_u64_map){2, licences};
    info.stdout_text = KQ_STR_NULL;
    info.stderr_text = KQ_STR_NULL;
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "=== job information ===\n"
              "job id: 1\n"
              "command: ./run.sh --fast\n"
              "working directory: /home/user/project\n"
              "required job slots: 1\n"
              "required CPU cores: 8\n"
              "required RAM: 8192 megabytes\n"
              "\n"
              "additional resources:\n"
              "   1x genus\n"
              "   4x primelib\n"
              "\n"
              "job status: offered\n"
              "   issued on: today 17:38:53\n"
              "   offered on: today 18:45:27\n"
              "   offered to: node1\n");

    /* The other status blocks. */
    info.job_info = job(2, ARGV(argv_make),
                        running(at(17, 40, 0), "node2"));
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK(strstr(kq_buf_ptr(&b), "\n\njob status: running\n"
                                 "   issued on: today 17:38:54\n"
                                 "   started on: today 17:40:00\n"
                                 "   running on: node2\n") != NULL);
    info.job_info = job(3, ARGV(argv_ls), pending(at(17, 38, 52)));
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK(strstr(kq_buf_ptr(&b), "\n\njob status: pending\n"
                                 "   issued on: today 17:38:52\n") != NULL);
    CHECK(strstr(kq_buf_ptr(&b), "waiting") == NULL);
    /* A Kueue-C server's reason, in full. */
    info.job_info.wait_reason = KQ_STR_LIT("no worker has 8 CPUs (largest connected: 2)");
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK(strstr(kq_buf_ptr(&b), "\n\njob status: pending\n"
                                 "   issued on: today 17:38:52\n"
                                 "   waiting: no worker has 8 CPUs (largest connected: 2)\n")
          != NULL);
    info.job_info = job(4, ARGV(argv_ls), canceled(at(18, 45, 32)));
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK(strstr(kq_buf_ptr(&b), "\n\njob status: canceled\n"
                                 "   issued on: today 17:39:00\n"
                                 "   canceled on: today 18:45:32\n") != NULL);
    info.job_info = job(5, ARGV(argv_false), finished(-46, 1498));
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK(strstr(kq_buf_ptr(&b), "job status: failed\n") != NULL);
    CHECK(strstr(kq_buf_ptr(&b), "   return code: -46\n") != NULL);
    kq_buf_free(&b);
}

static kq_worker_info worker(uint64_t id, const char *name)
{
    kq_worker_info w;

    memset(&w, 0, sizeof w);
    w.worker_id = id;
    w.worker_name = kq_str_view(name);
    w.connected_since = (kq_time){NOW, 0};
    w.last_updated = (kq_time){NOW, 0};
    w.system_info.kernel = KQ_STR_LIT("unknown");
    w.system_info.distribution = KQ_STR_LIT("unknown");
    return w;
}

static uint64_t node1_offered[] = {12};
static uint64_t node1_running[] = {3, 10};

static kq_worker_info example_node1(void)
{
    kq_worker_info w = worker(3, "node1");
    kq_system_info *si = &w.system_info;

    w.connected_since = (kq_time){at(17, 45, 37).sec - 86400, 0};
    w.last_updated = at(18, 45, 37);
    si->kernel = KQ_STR_LIT("6.1.0-18-amd64");
    si->distribution = KQ_STR_LIT("Linux 12 Debian GNU/Linux");
    si->cpu_cores = 16;
    si->cpu_frequency = 2899;
    si->total_ram_mb = 64215;
    si->load_info = (kq_load_info){0.0, 1.2, 12.0};
    w.jobs_offered = (kq_u64_set){1, node1_offered};
    w.jobs_running = (kq_u64_set){2, node1_running};
    w.free_resources = (kq_resources){8, 4, 47831};
    return w;
}

static const char example_worker_table[] =
    "| id | name  | operating system          | cpus | avg freq | memory   | jobs      | busy  | load 1/5/15m | uptime |\n"
    "|  3 | node1 | Linux 12 Debian GNU/Linux | 16 x | 2899 MHz | 64215 MB | 3, 10, 12 |  75 % | 0.0 1.2 12.0 | 1d 01h |\n"
    "|  4 | n2    | unknown                   |  0 x |    0 MHz |     0 MB | ---       | 100 % | 0.0 0.0  0.0 | 0d 00h |\n";

/* Kueue-C workflows: the name column, what a pending job waits for, its
 * priority and attempt, and show-job's workflow block. */
static void test_workflows(void)
{
    static uint64_t after[] = {2, 3, 4, 5}, after_any[] = {7, 8, 9};
    static kq_attempt attempts[] = {{1, KQ_STR_LIT("node2"), {DAY0 + 18 * 3600, 0}}};
    kq_workflow waits = {0}, named = {0};
    kq_job_info jobs[3];
    kq_s2c_job_list l = {{3, jobs}, 3, 0, 0, 0, 0, 0, 0, 0};
    kq_s2c_job_info info;
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;

    waits.priority = -2;
    waits.has_after = waits.has_after_any = true;
    waits.after = (kq_u64_set){4, after};
    waits.after_any = (kq_u64_set){3, after_any};
    waits.has_waiting = true;
    waits.waiting = 6;
    named.name = KQ_STR_LIT("train-lr0.1");
    named.priority = 5;
    named.has_retries = true;
    named.retries = 2;
    named.has_attempts = true;
    named.attempts = (kq_attempt_list){1, attempts};
    named.has_time_limit_seconds = true;
    named.time_limit_seconds = 9000;
    named.has_array_id = named.has_array_index = true;
    named.array_id = 40;
    named.array_index = 3;
    jobs[0] = job(1, ARGV(argv_true), pending(at(17, 0, 0)));
    jobs[1] = job(10, ARGV(argv_ls), pending(at(17, 0, 1)));
    jobs[1].workflow = &waits;
    jobs[2] = job(11, ARGV(argv_false), running(at(18, 0, 0), "node1"));
    jobs[2].workflow = &named;
    kq_print_job_list(&b, &l, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "| id | name        | working directory  | command | cpus | memory  | other | "
              "worker | status                                           |\n"
              "|  1 | ---         | /home/user/project | true    |  8 x | 8192 MB | ---   | "
              "---    | pending since today 17:00:00                     |\n"
              "| 10 | ---         | /home/user/project | ls      |  8 x | 8192 MB | ---   | "
              "---    | waiting for 6 of 2, 3, 4, 5, 7, ..., priority -2 |\n"
              "| 11 | train-lr0.1 | /home/user/project | false   |  8 x | 8192 MB | ---   | "
              "node1  | running for 0h:50m:00s, attempt 2 of 3           |\n"
              "--- job status summary ---"
              "                                                                               average job runtime: 0h:00m:00s\n"
              "pending: 3                                                                                                remaining jobs ETA: 0h:00m:00s\n");
    /* Without a name, the reference's columns. */
    l.job_infos.len = 2;
    kq_buf_clear(&b);
    kq_print_job_list(&b, &l, &o);
    CHECK(strncmp(kq_buf_ptr(&b), "| id | working directory ", 25) == 0);

    memset(&info, 0, sizeof info);
    info.job_info = jobs[2];
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "=== job information ===\n"
              "job id: 11\n"
              "command: false\n"
              "working directory: /home/user/project\n"
              "required job slots: 1\n"
              "required CPU cores: 8\n"
              "required RAM: 8192 megabytes\n"
              "\n"
              "workflow:\n"
              "   name: train-lr0.1\n"
              "   array: 40, index 3\n"
              "   priority: 5\n"
              "   time limit: 2h30m\n"
              "   retries: 2 (attempt 2 of 3)\n"
              "   attempt 1: return code 1 on node2, ended today 18:00:00\n"
              "\n"
              "job status: running\n"
              "   issued on: today 17:38:54\n"
              "   started on: today 18:00:00\n"
              "   running on: node1\n");
    info.job_info = jobs[1];
    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    CHECK(strstr(kq_buf_ptr(&b),
                 "workflow:\n"
                 "   priority: -2\n"
                 "   after: 2, 3, 4, 5 (each must finish with return code 0)\n"
                 "   after any: 7, 8, 9 (each must end)\n"
                 "   waiting for: 6 of them\n"
                 "\n"
                 "job status: pending\n") != NULL);
    kq_buf_free(&b);
}

static void test_worker_table(void)
{
    kq_worker_info ws[2] = {example_node1(), worker(4, "n2")};
    kq_worker_info_list l = {2, ws};
    kq_worker_info_list none = {0, NULL};
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;
    char line[256];

    kq_print_worker_list(&b, &l, &o);
    CHECK_STR(kq_buf_ptr(&b), example_worker_table);

    kq_buf_clear(&b);
    kq_print_worker_list(&b, &none, &o);
    CHECK_STR(kq_buf_ptr(&b), "No workers registered on server!\n");

    /* 12 columns leave 80 - 37 = 43 for cells, below the minima (66):
     * name, OS and jobs keep their heads.  The load group's header widens
     * the first load column when the values are short. */
    ws[0].system_info.load_info = (kq_load_info){0.5, 0.25, 1.0};
    o.term_width = 80;
    kq_buf_clear(&b);
    kq_print_worker_list(&b, &l, &o);
    CHECK_STR(find_line(kq_buf_ptr(&b), "| id", line, sizeof line),
              "| id | name | operating system | cpus | avg freq | memory   "
              "| jobs | busy  | load 1/5/15m | uptime |");
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  3", line, sizeof line),
              "|  3 | n... | Linux 12 Debi... | 16 x | 2899 MHz | 64215 MB "
              "| 3... |  75 % |  0.5 0.2 1.0 | 1d 01h |");

    /* 110 leaves 73: the 7 spare columns go to name (to its maximum 5),
     * jobs (to its maximum 9) and then the operating system. */
    o.term_width = 110;
    kq_buf_clear(&b);
    kq_print_worker_list(&b, &l, &o);
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  3", line, sizeof line),
              "|  3 | node1 | Linux 12 Debia... | 16 x | 2899 MHz | 64215 MB "
              "| 3, 10, 12 |  75 % |  0.5 0.2 1.0 | 1d 01h |");
    CHECK_STR(find_line(kq_buf_ptr(&b), "|  4", line, sizeof line),
              "|  4 | n2    | unknown           |  0 x |    0 MHz |     0 MB "
              "| ---       | 100 % |  0.0 0.0 0.0 | 0d 00h |");
    kq_buf_free(&b);
}

static void test_worker_details(void)
{
    kq_worker_info w = example_node1();
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;

    kq_print_worker_details(&b, &w, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "=== worker information ===\n"
              "worker id: 3\n"
              "name: node1\n"
              "connected since: yesterday 17:45:37\n"
              "\n"
              "system information\n"
              "   kernel: 6.1.0-18-amd64\n"
              "   distribution: Linux 12 Debian GNU/Linux\n"
              "   cpu cores: 16\n"
              "   cpu frequency: 2899 megahertz\n"
              "   total memory: 64215 megabytes\n"
              "last updated: today 18:45:37\n"
              "\n"
              "system load and resources\n"
              "   load: 0.0 / 1.2 / 12.0\n"
              "   jobs offered: 12\n"
              "   jobs running: 3, 10\n"
              "   free jobs slots: 8\n"
              "   free cpus: 4 / 16\n"
              "   free ram: 47831 / 64215 megabytes\n"
              "total occupation: 75.00 %\n");

    w = worker(4, "n2");
    kq_buf_clear(&b);
    kq_print_worker_details(&b, &w, &o);
    CHECK(strstr(kq_buf_ptr(&b), "   jobs offered: ---\n"
                                 "   jobs running: ---\n") != NULL);
    CHECK(strstr(kq_buf_ptr(&b), "total occupation: 100.00 %\n") != NULL);
    kq_buf_free(&b);
}

static kq_u64_entry total_res[] = {{KQ_STR_LIT("genus"), 3},
                                   {KQ_STR_LIT("primelib"), 31},
                                   {KQ_STR_LIT("x"), 2}};
static kq_u64_entry used_res[] = {{KQ_STR_LIT("genus"), 3},
                                  {KQ_STR_LIT("x"), 1}};

static void test_resource_table(void)
{
    kq_s2c_resource_list r = {true, {2, used_res}, true, {3, total_res}};
    kq_s2c_resource_list none = {false, {0, NULL}, false, {0, NULL}};
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;

    kq_print_resource_list(&b, &r, &o);
    CHECK_STR(kq_buf_ptr(&b), "| resource | used | total |\n"
                              "| genus    |    3 |     3 |\n"
                              "| primelib |    0 |    31 |\n"
                              "| x        |    1 |     2 |\n");
    kq_buf_clear(&b);
    kq_print_resource_list(&b, &none, &o);
    CHECK_STR(kq_buf_ptr(&b), "No resources configured on the server.\n");

    o.color = true;
    kq_buf_clear(&b);
    kq_print_resource_list(&b, &r, &o);
    CHECK_STR(kq_buf_ptr(&b),
              "| \x1b[1m\x1b[4mresource\x1b[0m | \x1b[1m\x1b[4mused\x1b[0m"
              " | \x1b[1m\x1b[4mtotal\x1b[0m |\n"
              "| genus    | \x1b[31m   3\x1b[0m |     3 |\n"
              "| primelib | \x1b[32m   0\x1b[0m |    31 |\n"
              "| x        | \x1b[33m   1\x1b[0m |     2 |\n");
    kq_buf_free(&b);
}

/* Formats t with the given now and time zone. */
static const char *date(kq_buf *b, int64_t now, int64_t t,
                        long (*offset)(int64_t))
{
    kq_print_opts o = {{now, 0}, offset, 0, false};

    kq_buf_clear(b);
    kq_print_date(b, (kq_time){t, 0}, &o);
    return kq_buf_ptr(b);
}

static void test_date(void)
{
    /* 2026-03-01 00:00:00 UTC and 2026-01-01 00:00:00 UTC. */
    const int64_t mar1 = 1772323200, jan1 = 1767225600;
    kq_buf b = KQ_BUF_INIT;

    CHECK_STR(date(&b, NOW, NOW, utc), "today 18:50:00");
    CHECK_STR(date(&b, NOW, DAY0, utc), "today 00:00:00");
    CHECK_STR(date(&b, NOW, DAY0 - 1, utc), "yesterday 23:59:59");
    CHECK_STR(date(&b, NOW, DAY0 - 86400, utc), "yesterday 00:00:00");
    CHECK_STR(date(&b, NOW, DAY0 - 86401, utc), "2024-01-28 23:59:59");
    CHECK_STR(date(&b, NOW, DAY0 + 86400, utc), "2024-01-31 00:00:00");
    /* Across a month end (and a non-leap February) and a year end. */
    CHECK_STR(date(&b, mar1 + 1800, mar1 - 3600, utc), "yesterday 23:00:00");
    CHECK_STR(date(&b, mar1 + 1800, mar1 - 86400 - 1, utc),
              "2026-02-27 23:59:59");
    CHECK_STR(date(&b, jan1 + 1800, jan1 - 3600, utc), "yesterday 23:00:00");
    CHECK_STR(date(&b, jan1 + 1800, jan1 - 86400 - 3600, utc),
              "2025-12-30 23:00:00");
    /* The same month and day one year earlier is not "today". */
    CHECK_STR(date(&b, jan1 + 1800, jan1 - 365 * 86400 + 1800, utc),
              "2025-01-01 00:30:00");
    /* The offset moves both instants into local time. */
    CHECK_STR(date(&b, mar1, mar1 - 3600, east_1h), "today 00:00:00");
    CHECK_STR(date(&b, mar1 + 1800, mar1 - 1800, east_1h), "today 00:30:00");
    CHECK_STR(date(&b, mar1 + 5400, mar1 - 1800, west_1h),
              "yesterday 22:30:00");
    CHECK_STR(date(&b, NOW, 951782400, utc), "2000-02-29 00:00:00");
    CHECK_STR(date(&b, NOW, -1, utc), "1969-12-31 23:59:59");
    /* A leap second shows as :60. */
    {
        kq_print_opts o = {{1483228800, 0}, utc, 0, false};

        kq_buf_clear(&b);
        kq_print_date(&b, (kq_time){1483228799, 1000000000u}, &o);
        CHECK_STR(kq_buf_ptr(&b), "yesterday 23:59:60");
    }
    kq_buf_free(&b);
}

/* Central European time in 2024: UTC+2 (CEST) from 03-31 01:00 UTC to
 * 10-27 01:00 UTC, UTC+1 (CET) outside. */
static long cet_2024(int64_t t)
{
    return t >= 1711846800 && t < 1729990800 ? 7200 : 3600;
}

/* Each date gets the offset in force at it, not the one at now. */
static void test_date_dst(void)
{
    /* 2024-03-31 12:00 UTC, 14:00 CEST, and 2024-10-28 12:00 UTC. */
    const int64_t spring = 1711886400, autumn = 1730116800;
    kq_buf b = KQ_BUF_INIT;

    CHECK_STR(date(&b, spring, spring - 3600, cet_2024), "today 13:00:00");
    /* 2024-03-30 23:30 UTC, still CET: 00:30 local on the day of the
     * change, not 01:30. */
    CHECK_STR(date(&b, spring, 1711841400, cet_2024), "today 00:30:00");
    CHECK_STR(date(&b, spring, spring - 86400, cet_2024),
              "yesterday 13:00:00");
    CHECK_STR(date(&b, spring, spring - 3 * 86400, cet_2024),
              "2024-03-28 13:00:00");
    /* From winter time back into summer time. */
    CHECK_STR(date(&b, autumn, autumn, cet_2024), "today 13:00:00");
    CHECK_STR(date(&b, autumn, autumn - 2 * 86400, cet_2024),
              "2024-10-26 14:00:00");
    kq_buf_free(&b);
}

/* The CLI's offset function follows TZ: German time as a POSIX rule
 * (the same as Europe/Berlin, but needs no tzdata installed). */
static void test_local_offset(void)
{
    const int64_t spring = 1711886400, autumn = 1730116800;
    kq_buf b = KQ_BUF_INIT;

    CHECK_INT(setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1), 0);
    tzset();
    /* The changes: 2024-03-31 and 2024-10-27, both at 01:00 UTC. */
    CHECK_INT(kq_local_utc_offset(1711846799), 3600);
    CHECK_INT(kq_local_utc_offset(1711846800), 7200);
    CHECK_INT(kq_local_utc_offset(1729990799), 7200);
    CHECK_INT(kq_local_utc_offset(1729990800), 3600);
    CHECK_STR(date(&b, spring, 1711841400, kq_local_utc_offset),
              "today 00:30:00");
    CHECK_STR(date(&b, autumn, autumn - 2 * 86400, kq_local_utc_offset),
              "2024-10-26 14:00:00");
    CHECK_INT(setenv("TZ", "UTC0", 1), 0);
    tzset();
    CHECK_INT(kq_local_utc_offset(1711846800), 0);
    kq_buf_free(&b);
}

static const char *elapsed(kq_buf *b, int64_t s)
{
    kq_buf_clear(b);
    kq_print_elapsed(b, s);
    return kq_buf_ptr(b);
}

static void test_elapsed(void)
{
    kq_buf b = KQ_BUF_INIT;

    CHECK_STR(elapsed(&b, 0), "0h:00m:00s");
    CHECK_STR(elapsed(&b, 59), "0h:00m:59s");
    CHECK_STR(elapsed(&b, 3725), "1h:02m:05s");
    CHECK_STR(elapsed(&b, 90061), "25h:01m:01s");
    CHECK_STR(elapsed(&b, -59), "0h:00m:-59s");
    CHECK_STR(elapsed(&b, -3725), "-1h:-2m:-5s");
    CHECK_STR(elapsed(&b, INT64_MIN),
              "-2562047788015215h:-30m:-8s");
    kq_buf_free(&b);
}

static void test_colour(void)
{
    kq_s2c_job_list l = example_job_list();
    kq_worker_info ws[2] = {example_node1(), worker(4, "n2")};
    kq_worker_info_list wl = {2, ws};
    kq_job_info j = job(10, ARGV(argv_true), finished(0, 59));
    kq_s2c_job_info info = {j, KQ_STR_LIT("hello"), KQ_STR_LIT("warn")};
    kq_print_opts o = plain(0);
    kq_buf b = KQ_BUF_INIT;
    const char *s;

    /* Plain: no escape anywhere. */
    kq_print_job_list(&b, &l, &o);
    kq_print_job_details(&b, &info, &o);
    kq_print_worker_list(&b, &wl, &o);
    kq_print_worker_details(&b, &ws[0], &o);
    CHECK(strchr(kq_buf_ptr(&b), '\x1b') == NULL);

    o.color = true;
    kq_buf_clear(&b);
    kq_print_job_list(&b, &l, &o);
    s = kq_buf_ptr(&b);
    CHECK(strncmp(s, "| \x1b[1m\x1b[4mid\x1b[0m | \x1b[1m\x1b[4mworking "
                     "directory \x1b[0m | ", 40) == 0);
    /* Pending is unstyled; padding sits inside the style. */
    CHECK(strstr(s, "| pending since today 17:38:52 |\n") != NULL);
    CHECK(strstr(s, "| \x1b[2moffered on today 18:45:27   \x1b[0m |") != NULL);
    CHECK(strstr(s, "| \x1b[34mrunning for 1h:02m:05s      \x1b[0m |") != NULL);
    CHECK(strstr(s, "| \x1b[32mfinished after 0h:00m:59s   \x1b[0m |") != NULL);
    CHECK(strstr(s, "| \x1b[31mfailed with code 1          \x1b[0m |") != NULL);
    CHECK(strstr(s, "| \x1b[33mcanceled on today 18:45:32  \x1b[0m |") != NULL);
    /* Summary: padding is computed on the plain text. */
    CHECK(strstr(s, "\x1b[1m--- job status summary ---\x1b[0m" "                "
                    "                                                     "
                    "average job runtime: 0h:00m:30s\n") != NULL);
    CHECK(strstr(s, "pending: 1, offered: \x1b[2m1\x1b[0m, running: "
                    "\x1b[34m1\x1b[0m, succeeded: \x1b[32m1\x1b[0m, failed: "
                    "\x1b[31m1\x1b[0m, canceled: \x1b[33m1\x1b[0m" "       "
                    "                 remaining jobs ETA: 0h:01m:35s\n") != NULL);

    kq_buf_clear(&b);
    kq_print_job_details(&b, &info, &o);
    s = kq_buf_ptr(&b);
    CHECK(strncmp(s, "=== \x1b[1m\x1b[4mjob information\x1b[0m ===\n", 31) == 0);
    CHECK(strstr(s, "\x1b[1mjob status\x1b[0m: \x1b[32mfinished\x1b[0m\n") != NULL);
    CHECK(strstr(s, "=== \x1b[1mstdout\x1b[0m ===\nhello\n") != NULL);
    CHECK(strstr(s, "=== \x1b[31mstderr\x1b[0m ===\nwarn\n") != NULL);

    /* Busy: green < 0.25 <= yellow < 0.75 <= red; loads relative to cores. */
    ws[1].free_resources = (kq_resources){1, 0, 0};
    ws[1].system_info.cpu_cores = 4;
    ws[1].system_info.total_ram_mb = 100;
    ws[1].free_resources = (kq_resources){1, 2, 90};
    ws[1].system_info.load_info = (kq_load_info){0.99, 1.0, 3.0};
    kq_buf_clear(&b);
    kq_print_worker_list(&b, &wl, &o);
    s = kq_buf_ptr(&b);
    CHECK(strstr(s, "| \x1b[31m75 %\x1b[0m | \x1b[32m0.0\x1b[0m "
                    "\x1b[32m1.2\x1b[0m \x1b[31m12.0\x1b[0m |") != NULL);
    CHECK(strstr(s, "| \x1b[33m50 %\x1b[0m | \x1b[32m1.0\x1b[0m "
                    "\x1b[33m1.0\x1b[0m \x1b[31m 3.0\x1b[0m |") != NULL);
    ws[1].free_resources = (kq_resources){1, 4, 90};
    kq_buf_clear(&b);
    kq_print_worker_details(&b, &ws[1], &o);
    CHECK(strstr(kq_buf_ptr(&b), "\x1b[1mtotal occupation\x1b[0m: "
                                 "\x1b[32m10.00 %\x1b[0m\n") != NULL);
    kq_buf_clear(&b);
    kq_print_worker_details(&b, &ws[0], &o);
    CHECK(strstr(kq_buf_ptr(&b), "   load: \x1b[32m0.0\x1b[0m / \x1b[32m1.2"
                                 "\x1b[0m / \x1b[31m12.0\x1b[0m\n") != NULL);
    kq_buf_free(&b);
}

/* Rounding of the busy and load figures is printf's, half-to-even on the
 * exact binary value as Rust rounds. */
static void test_float_rounding(void)
{
    kq_worker_info w = worker(0, "w");
    kq_buf b = KQ_BUF_INIT;
    kq_print_opts o = plain(0);

    w.system_info.cpu_cores = 8;
    w.system_info.total_ram_mb = 1000;
    w.free_resources = (kq_resources){1, 4, 995}; /* cpu busy exactly 0.5 */
    w.system_info.load_info = (kq_load_info){0.25, 0.35, 2.5};
    kq_print_worker_details(&b, &w, &o);
    CHECK(strstr(kq_buf_ptr(&b), "   load: 0.2 / 0.3 / 2.5\n") != NULL);
    CHECK(strstr(kq_buf_ptr(&b), "total occupation: 50.00 %\n") != NULL);
    kq_buf_free(&b);
}

static void test_color_enabled(void)
{
    int fds[2];

    CHECK_INT(pipe(fds), 0);
    unsetenv("CLICOLOR_FORCE");
    setenv("TERM", "xterm", 1);
    unsetenv("NO_COLOR");
    CHECK(!kq_color_enabled(fds[1])); /* not a terminal */
    setenv("CLICOLOR_FORCE", "0", 1);
    CHECK(!kq_color_enabled(fds[1]));
    setenv("CLICOLOR_FORCE", "1", 1);
    CHECK(kq_color_enabled(fds[1]));
    setenv("NO_COLOR", "1", 1);
    CHECK(!kq_color_enabled(fds[1])); /* NO_COLOR always wins */
    unsetenv("CLICOLOR_FORCE");
    unsetenv("NO_COLOR");
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    test_job_table_example();
    test_job_table_reason();
    test_job_table_narrow();
    test_job_table_distribution();
    test_job_table_utf8();
    test_job_list_empty();
    test_job_details();
    test_workflows();
    test_worker_table();
    test_worker_details();
    test_resource_table();
    test_date();
    test_date_dst();
    test_local_offset();
    test_elapsed();
    test_colour();
    test_float_rounding();
    test_color_enabled();
    KQ_TEST_DONE();
}
