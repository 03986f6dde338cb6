/*
 * test_worker_runner.c - kq_runner: the text of captured output (repair, cut at
 * the limit on a UTF-8 boundary, the note), redirect paths, signal names,
 * and real runs on a loop: output and exit status, start failures, a
 * killed process group (grandchildren included), the EOF grace for a
 * daemonised grandchild, redirection to one shared file, many jobs killed
 * at once (one scan of /proc), giving up on a killed process that cannot
 * be reaped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kq_runner.h"
#include "kq_test.h"

static void check_text(const char *raw, size_t len, bool cut, size_t limit,
                       const char *want)
{
    kq_str s;

    CHECK_INT(kq_runner_text(raw, len, cut, limit, &s), 0);
    if (!want) {
        CHECK(s.ptr == NULL);
    } else {
        CHECK_STR(s.ptr, want);
        CHECK_INT(s.len, strlen(want));
    }
    kq_str_free(&s);
}

static void test_text(void)
{
    check_text("", 0, false, 10, NULL);
    check_text("hello\n", 6, false, 10, "hello\n");
    /* Invalid bytes become U+FFFD, one per maximal invalid subpart. */
    check_text("a\xff\xfe" "b", 4, false, 10, "a\xef\xbf\xbd\xef\xbf\xbd" "b");
    /* The limit cut "\xc3\xa9" in half: the half goes, the note follows. */
    check_text("abc\xc3", 4, true, 4,
               "abc\n[kueue: output truncated after 4 bytes]\n");
    check_text("ab\xe2\x82", 4, true, 4,
               "ab\n[kueue: output truncated after 4 bytes]\n");
    check_text("ab\xe2\x82\xac", 5, true, 5,
               "ab\xe2\x82\xac\n[kueue: output truncated after 5 bytes]\n");
    check_text("abcd", 4, true, 4,
               "abcd\n[kueue: output truncated after 4 bytes]\n");
}

static void test_wire_bound(void)
{
    /* Control characters escape to six bytes each: the text is cut so
     * that its JSON stays within KQ_RUNNER_WIRE_MAX. */
    size_t n = KQ_RUNNER_WIRE_MAX / 2;
    char *raw = calloc(n, 1);
    kq_str s;

    CHECK_INT(kq_runner_text(raw, n, false, n, &s), 0);
    CHECK(s.ptr && s.len < KQ_RUNNER_WIRE_MAX / 6 + 100);
    CHECK(s.ptr && memmem(s.ptr, s.len, "\n[kueue: output truncated after ", 31));
    kq_str_free(&s);
    free(raw);
}

static void test_paths(void)
{
    kq_buf b = KQ_BUF_INIT;

    CHECK(kq_runner_is_null_path("null"));
    CHECK(kq_runner_is_null_path(" NULL "));
    CHECK(kq_runner_is_null_path("\tNuLl\n"));
    CHECK(!kq_runner_is_null_path("nul"));
    CHECK(!kq_runner_is_null_path("null.txt"));
    CHECK(!kq_runner_is_null_path(""));
    kq_runner_join_path(&b, "/home/u", "out.txt");
    CHECK_STR(kq_buf_ptr(&b), "/home/u/out.txt");
    kq_buf_clear(&b);
    kq_runner_join_path(&b, "/home/u/", "out.txt");
    CHECK_STR(kq_buf_ptr(&b), "/home/u/out.txt");
    kq_buf_clear(&b);
    kq_runner_join_path(&b, "/home/u", "/var/log/x");
    CHECK_STR(kq_buf_ptr(&b), "/var/log/x");
    kq_buf_free(&b);
}

static void test_signal_names(void)
{
    char buf[32];

    CHECK_STR(kq_runner_signal_name(SIGKILL, buf, sizeof buf), "SIGKILL");
    CHECK_STR(kq_runner_signal_name(SIGSEGV, buf, sizeof buf), "SIGSEGV");
    CHECK_STR(kq_runner_signal_name(1000, buf, sizeof buf), "signal 1000");
}

/* ---- live runs ------------------------------------------------------ */

typedef struct outcome {
    bool done;
    kq_run_result res;
} outcome;

static void on_done(void *arg, kq_run_result *res)
{
    outcome *o = arg;

    o->done = true;
    o->res = *res;
    memset(res, 0, sizeof *res);
}

static kq_loop *loop;
static kq_runner *runner;

static void job_init(kq_job_info *job, const char *cwd, const char *const *argv)
{
    size_t n = 0;

    kq_job_info_init(job);
    while (argv[n])
        n++;
    job->cmd.len = n;
    job->cmd.items = calloc(n ? n : 1, sizeof *job->cmd.items);
    for (size_t i = 0; i < n; i++)
        job->cmd.items[i] = kq_str_view(argv[i]);
    job->cwd = kq_str_view(cwd);
}

static void job_done(kq_job_info *job)
{
    free(job->cmd.items);
}

/* Turns the loop until o is done or about timeout_ms passed. */
static void wait_done(outcome *o, int timeout_ms)
{
    uint64_t end = kq_loop_now(loop) + (uint64_t)timeout_ms;

    while (!o->done && kq_loop_now(loop) < end)
        CHECK_INT(kq_loop_turn(loop, 50), 0);
}

/* Runs argv in cwd to its end; returns the result in o. */
static void run(const char *cwd, const char *const *argv, const char *out_path,
                const char *err_path, outcome *o)
{
    kq_job_info job;
    kq_run *r;

    memset(o, 0, sizeof *o);
    job_init(&job, cwd, argv);
    job.stdout_path = kq_str_view(out_path);
    job.stderr_path = kq_str_view(err_path);
    if (kq_runner_start(runner, &job, on_done, o, &r, &o->res) < 0)
        o->done = true;
    else
        wait_done(o, 10000);
    CHECK(o->done);
    job_done(&job);
}

static void test_exit_and_output(void)
{
    static const char *const argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    outcome o;

    run("/", argv, NULL, NULL, &o);
    CHECK_INT(o.res.return_code, 3);
    CHECK_STR(o.res.comment, "Job finished orderly.");
    CHECK_STR(o.res.stdout_text.ptr, "out\n");
    CHECK_STR(o.res.stderr_text.ptr, "err\n");
    CHECK(!o.res.killed);
    kq_run_result_free(&o.res);
}

/* Jobs get the worker's environment plus their marks (kq_jobenv); marks a
 * worker inherited itself (it runs inside a job) are replaced. */
static void test_job_environment(void)
{
    static const char *const argv[] = {
        "sh", "-c", "echo $KUEUE_JOB_ID $KUEUE_WORKER_PID $KQ_TEST_VAR; "
                    "env | grep -c '^KUEUE_JOB_ID='", NULL};
    char want[64];
    kq_job_info job;
    outcome o = {0};
    kq_run *r;

    setenv("KUEUE_JOB_ID", "1", 1);
    setenv("KQ_TEST_VAR", "kept", 1);
    job_init(&job, "/", argv);
    job.job_id = 77;
    CHECK_INT(kq_runner_start(runner, &job, on_done, &o, &r, &o.res), 0);
    wait_done(&o, 10000);
    CHECK(o.done);
    snprintf(want, sizeof want, "77 %ld kept\n1\n", (long)getpid());
    CHECK_STR(o.res.stdout_text.ptr, want);
    unsetenv("KUEUE_JOB_ID");
    unsetenv("KQ_TEST_VAR");
    kq_run_result_free(&o.res);
    job_done(&job);
}

/* Runs job to its end; returns the result in o. */
static void run_job(kq_job_info *job, outcome *o)
{
    kq_run *r;

    memset(o, 0, sizeof *o);
    if (kq_runner_start(runner, job, on_done, o, &r, &o->res) < 0)
        o->done = true;
    else
        wait_done(o, 10000);
    CHECK(o->done);
}

/* The submitter's environment (JobInfo.environment): whole, or added to
 * the worker's; PWD is the job's directory either way, and the marks
 * cannot be set from outside. */
static void test_submitted_environment(const char *dir)
{
    static const char *const argv[] = {
        "sh", "-c", "echo \"$FOO|$KQ_TEST_VAR|$PWD|$KUEUE_JOB_ID\"; "
                    "env | grep -c '^PWD='", NULL};
    kq_str vars[] = {KQ_STR_LIT("FOO=bar"), KQ_STR_LIT("KUEUE_JOB_ID=5"),
                     KQ_STR_LIT("PATH=/usr/bin:/bin"), KQ_STR_LIT("PWD=/elsewhere")};
    char want[1024];
    kq_job_info job;
    outcome o;

    setenv("KQ_TEST_VAR", "worker's", 1);
    setenv("FOO", "worker's", 1);
    job_init(&job, dir, argv);
    job.job_id = 8;
    job.has_environment = true;
    job.environment.variables = (kq_str_list){4, vars};
    run_job(&job, &o);
    snprintf(want, sizeof want, "bar||%s|8\n1\n", dir);
    CHECK_STR(o.res.stdout_text.ptr, want);
    kq_run_result_free(&o.res);
    job.environment.add_to_worker = true;
    run_job(&job, &o);
    snprintf(want, sizeof want, "bar|worker's|%s|8\n1\n", dir);
    CHECK_STR(o.res.stdout_text.ptr, want);
    kq_run_result_free(&o.res);
    unsetenv("KQ_TEST_VAR");
    unsetenv("FOO");
    job_done(&job);
}

/* A program is looked up in the job's PATH, not the worker's: a tool of
 * the submitter's virtualenv runs; a file that is there but not
 * executable is named. */
static void test_program_in_job_path(const char *dir)
{
    static const char *const tool[] = {"kq-venv-tool", "arg", NULL};
    kq_str vars[1];
    char bin[512], file[600], path[700], want[1024];
    kq_job_info job;
    outcome o;
    FILE *f;

    snprintf(bin, sizeof bin, "%s/venv-bin", dir);
    snprintf(file, sizeof file, "%s/kq-venv-tool", bin);
    CHECK_INT(mkdir(bin, 0700), 0);
    f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("#!/bin/sh\necho \"tool $1\"\n", f);
        fclose(f);
    }
    snprintf(path, sizeof path, "PATH=/kq-nowhere::%s:/usr/bin:/bin", bin);
    vars[0] = kq_str_view(path);
    job_init(&job, dir, tool);
    job.has_environment = true;
    job.environment.variables = (kq_str_list){1, vars};
    run_job(&job, &o);
    snprintf(want, sizeof want, "Failed to start job on vm: kq-venv-tool: %s is not executable",
             file);
    CHECK_STR(o.res.comment, want);
    kq_run_result_free(&o.res);
    CHECK_INT(chmod(file, 0700), 0);
    run_job(&job, &o);
    CHECK_INT(o.res.return_code, 0);
    CHECK_STR(o.res.stdout_text.ptr, "tool arg\n");
    kq_run_result_free(&o.res);
    /* Not in the worker's PATH. */
    job.has_environment = false;
    run_job(&job, &o);
    CHECK_INT(o.res.return_code, KQ_RC_START_FAILED);
    kq_run_result_free(&o.res);
    /* A relative PATH entry is taken from the job's directory. */
    vars[0] = KQ_STR_LIT("PATH=venv-bin");
    job.has_environment = true;
    run_job(&job, &o);
    CHECK_STR(o.res.stdout_text.ptr, "tool arg\n");
    kq_run_result_free(&o.res);
    job_done(&job);
    unlink(file);
    rmdir(bin);
}

static void test_start_failures(void)
{
    static const char *const missing[] = {"kq-no-such-program-here", NULL};
    static const char *const empty[] = {NULL};
    static const char *const ok[] = {"true", NULL};
    outcome o;

    char want[4096];

    /* Which program, on which worker, with which PATH. */
    run("/", missing, NULL, NULL, &o);
    CHECK_INT(o.res.return_code, KQ_RC_START_FAILED);
    snprintf(want, sizeof want, "Failed to start job on vm: kq-no-such-program-here: not found "
                                "in PATH=%s", getenv("PATH"));
    CHECK_STR(o.res.comment, want);
    kq_run_result_free(&o.res);
    run("/", empty, NULL, NULL, &o);
    CHECK_STR(o.res.comment, "Failed to start job on vm: Empty command!");
    kq_run_result_free(&o.res);
    run("/kq-no-such-dir", ok, NULL, NULL, &o);
    CHECK_STR(o.res.comment, "Failed to start job on vm: working directory /kq-no-such-dir: "
                             "No such file or directory (os error 2)");
    kq_run_result_free(&o.res);
    run("/", ok, "/kq-no-such-dir/out", NULL, &o);
    CHECK_STR(o.res.comment, "Failed to start job on vm: Failed to create file "
                             "/kq-no-such-dir/out: No such file or directory (os error 2)");
    kq_run_result_free(&o.res);
    run("/", ok, "out-{nope}.txt", NULL, &o);
    CHECK_STR(o.res.comment, "Failed to start job on vm: output file out-{nope}.txt: unknown "
                             "placeholder {nope} (known: {id}, {worker}, {index}; {{ and }} "
                             "for braces)");
    kq_run_result_free(&o.res);
    CHECK_INT(kq_runner_active(runner), 0);
}

static void test_signaled(void)
{
    static const char *const argv[] = {"sh", "-c", "kill -SEGV $$", NULL};
    outcome o;

    run("/", argv, NULL, NULL, &o);
    CHECK_INT(o.res.return_code, KQ_RC_SIGNALED);
    CHECK_STR(o.res.comment, "Job killed by signal 11 (SIGSEGV).");
    kq_run_result_free(&o.res);
}

static void test_shared_file(const char *dir)
{
    static const char *const argv[] = {"sh", "-c", "echo one; echo two >&2; echo three", NULL};
    char path[512], text[64] = "";
    outcome o;
    FILE *f;
    size_t n;

    run(dir, argv, "both.txt", "./both.txt", &o);
    CHECK_INT(o.res.return_code, 0);
    snprintf(path, sizeof path, "Redirected to %s/both.txt", dir);
    CHECK_STR(o.res.stdout_text.ptr, path);
    snprintf(path, sizeof path, "Redirected to %s/./both.txt", dir);
    CHECK_STR(o.res.stderr_text.ptr, path);
    snprintf(path, sizeof path, "%s/both.txt", dir);
    f = fopen(path, "r");
    CHECK(f != NULL);
    if (f) {
        n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    CHECK_STR(text, "one\ntwo\nthree\n");
    unlink(path);
    kq_run_result_free(&o.res);
}

static void test_eof_grace(void)
{
    /* The background sleep keeps stdout open; the run ends anyway. */
    static const char *const argv[] = {"sh", "-c", "sleep 3 & echo started", NULL};
    uint64_t t0 = kq_loop_now(loop);
    outcome o;

    run("/", argv, NULL, NULL, &o);
    CHECK_INT(o.res.return_code, 0);
    CHECK_STR(o.res.stdout_text.ptr, "started\n");
    CHECK(kq_loop_now(loop) - t0 < 2500);
    kq_run_result_free(&o.res);
}

/* Starts job and waits until it named a process of its own in dir/name
 * (written with mv, so complete once there); that pid, 0 if none came. */
static long start_until_named(kq_job_info *job, const char *dir, const char *name,
                              outcome *o, kq_run **r)
{
    char path[512];
    long pid = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK_INT(kq_runner_start(runner, job, on_done, o, r, &o->res), 0);
    for (int i = 0; i < 200 && access(path, F_OK) != 0; i++)
        CHECK_INT(kq_loop_turn(loop, 50), 0);
    f = fopen(path, "r");
    CHECK(f && fscanf(f, "%ld", &pid) == 1 && pid > 0);
    if (f)
        fclose(f);
    unlink(path);
    return pid;
}

static void test_kill_group(const char *dir)
{
    /* The grandchild ignores SIGTERM (sleep inherits the ignored signal
     * through exec), so SIGKILL has to follow.  It names itself in "pid"
     * only once the trap is set. */
    static const char *const argv[] = {
        "sh", "-c", "sh -c 'trap \"\" TERM; echo $$ > pid.tmp; mv pid.tmp pid; "
                    "exec sleep 30' & wait", NULL};
    kq_job_info job;
    outcome o = {0};
    kq_run *r;
    long grandchild;

    job_init(&job, dir, argv);
    grandchild = start_until_named(&job, dir, "pid", &o, &r);
    kq_runner_kill(runner, r, "Job killed!", false);
    wait_done(&o, 10000);
    CHECK(o.done);
    CHECK(o.res.killed);
    CHECK_INT(o.res.return_code, KQ_RC_KILLED);
    CHECK_STR(o.res.comment, "Job killed!");
    CHECK(o.res.stdout_text.ptr == NULL);
    /* Reaped already: the run ends only once its group is empty. */
    CHECK(grandchild > 0 && kill((pid_t)grandchild, 0) < 0 && errno == ESRCH);
    kq_run_result_free(&o.res);
    job_done(&job);
}

/* A process that left the job's group (setsid) and ignores SIGTERM is
 * still killed: it carries the job's environment marks (kq_jobenv). */
static void test_kill_reaches_setsid(const char *dir)
{
    static const char *const argv[] = {
        "sh", "-c", "setsid sh -c 'trap \"\" TERM; echo $$ > sid.tmp; mv sid.tmp sid; "
                    "exec sleep 30' & wait", NULL};
    kq_job_info job;
    outcome o = {0};
    kq_run *r;
    long escaped;
    bool gone = false;

    job_init(&job, dir, argv);
    job.job_id = 4242;
    escaped = start_until_named(&job, dir, "sid", &o, &r);
    CHECK(escaped > 0 && getsid((pid_t)escaped) == (pid_t)escaped);
    kq_runner_kill(runner, r, "Job killed!", false);
    wait_done(&o, 10000);
    CHECK(o.done);
    CHECK_INT(o.res.return_code, KQ_RC_KILLED);
    /* SIGKILL once the group is gone; then it is reaped here (the
     * subreaper). */
    for (int i = 0; i < 100 && escaped > 0 && !gone; i++) {
        CHECK_INT(kq_loop_turn(loop, 50), 0);
        gone = kill((pid_t)escaped, 0) < 0 && errno == ESRCH;
    }
    CHECK(gone);
    if (!gone && escaped > 0)
        kill((pid_t)escaped, SIGKILL);
    kq_run_result_free(&o.res);
    job_done(&job);
}

/* Many jobs killed at once, each with a process that left its group and
 * ignores SIGTERM: every one of them dies, and the kills of a loop turn
 * share one scan of /proc (there were two per job: SIGTERM, and SIGKILL
 * once the group was gone). */
static void test_kill_many(const char *dir)
{
    enum { N = 8 };
    kq_job_info job[N];
    outcome o[N];
    kq_run *r[N];
    long escaped[N];
    char name[N][16], script[N][256];
    uint64_t scans;
    int done = 0, alive = N;

    for (int k = 0; k < N; k++) {
        const char *argv[] = {"sh", "-c", script[k], NULL};

        snprintf(name[k], sizeof name[k], "many%d", k);
        snprintf(script[k], sizeof script[k],
                 "setsid sh -c 'trap \"\" TERM; echo $$ > %s.tmp; mv %s.tmp %s; "
                 "exec sleep 30' & wait", name[k], name[k], name[k]);
        memset(&o[k], 0, sizeof o[k]);
        job_init(&job[k], dir, argv);
        job[k].job_id = 5000 + (uint64_t)k;
        escaped[k] = start_until_named(&job[k], dir, name[k], &o[k], &r[k]);
    }
    scans = kq_runner_scans(runner);
    for (int k = 0; k < N; k++)
        kq_runner_kill(runner, r[k], "Job killed!", false);
    /* Nothing is scanned inside the calls; the first scan covers all. */
    CHECK_INT(kq_runner_scans(runner), scans);
    for (int i = 0; i < 100 && kq_runner_scans(runner) == scans; i++)
        CHECK_INT(kq_loop_turn(loop, 50), 0);
    CHECK_INT(kq_runner_scans(runner), scans + 1);
    for (int i = 0; i < 200 && (done < N || alive); i++) {
        CHECK_INT(kq_loop_turn(loop, 50), 0);
        done = alive = 0;
        for (int k = 0; k < N; k++) {
            done += o[k].done;
            alive += escaped[k] > 0 && !(kill((pid_t)escaped[k], 0) < 0 && errno == ESRCH);
        }
    }
    CHECK_INT(done, N);
    CHECK_INT(alive, 0);
    /* One scan for the SIGTERMs, then one per turn in which killed jobs
     * ended (their strays get SIGKILL): at most N + 1, where one per
     * signal and job made 2 N. */
    CHECK(kq_runner_scans(runner) - scans <= N + 1);
    for (int k = 0; k < N; k++) {
        CHECK_INT(o[k].res.return_code, KQ_RC_KILLED);
        if (escaped[k] > 0)
            kill((pid_t)escaped[k], SIGKILL);
        kq_run_result_free(&o[k].res);
        job_done(&job[k]);
    }
}

/* Regression: a killed job whose process cannot even be reaped (here:
 * SIGCHLD is not handled, so the zombie stays) still ends once the runner
 * gives up on it, instead of keeping the worker from ever shutting down. */
static void test_give_up_unreaped(void)
{
    static const char *const argv[] = {"sleep", "30", NULL};
    struct sigaction dfl, saved;
    kq_job_info job;
    outcome o = {0};
    kq_run *r;

    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    CHECK_INT(sigaction(SIGCHLD, &dfl, &saved), 0);
    job_init(&job, "/", argv);
    CHECK_INT(kq_runner_start(runner, &job, on_done, &o, &r, &o.res), 0);
    kq_runner_kill(runner, r, "Job killed!", true);
    wait_done(&o, 5000);
    CHECK(o.done);
    CHECK_INT(o.res.return_code, KQ_RC_KILLED);
    CHECK_INT(kq_runner_active(runner), 0);
    CHECK_INT(sigaction(SIGCHLD, &saved, NULL), 0);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    kq_run_result_free(&o.res);
    job_done(&job);
}

int main(int argc, char **argv)
{
    kq_runner_opts opts = {.worker_name = "vm", .output_limit = 1 << 20,
                           .kill_grace_ms = 300, .eof_grace_ms = 500};
    char dir[] = "/tmp/kq-test-runner-XXXXXX";

    (void)argc;
    (void)argv;
    test_text();
    test_wire_bound();
    test_paths();
    test_signal_names();
    if (kq_loop_new(&loop) < 0 || kq_runner_new(loop, &opts, &runner) < 0 ||
        !mkdtemp(dir)) {
        fprintf(stderr, "set-up failed\n");
        return 1;
    }
    test_exit_and_output();
    test_job_environment();
    test_submitted_environment(dir);
    test_program_in_job_path(dir);
    test_start_failures();
    test_signaled();
    test_shared_file(dir);
    test_eof_grace();
    test_kill_group(dir);
    test_kill_reaches_setsid(dir);
    test_kill_many(dir);
    test_give_up_unreaped();
    rmdir(dir);
    kq_runner_free(runner);
    kq_loop_free(loop);
    KQ_TEST_DONE();
}
