/*
 * test_lifetime.c - a worker with an end: where the end comes from (Slurm's
 * variable, squeue, --lifetime: the earliest), what Slurm granted, which
 * jobs fit (time limits, jobs without one and the margin, the stop
 * margin), the report for the server, malformed variables, and the idle
 * exit on a loop.
 */
#include <stdlib.h>
#include <string.h>

#include "kq_lifetime.h"
#include "kq_test.h"

/* A fake environment: NAME=VALUE pairs. */
static const char *const *env_vars;

static const char *fake_env(const char *name)
{
    size_t n = strlen(name);

    for (const char *const *v = env_vars; v && *v; v++)
        if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
            return *v + n + 1;
    return NULL;
}

static kq_job_info job_with_limit(kq_workflow *wf, uint64_t limit)
{
    kq_job_info job;

    memset(&job, 0, sizeof job);
    memset(wf, 0, sizeof *wf);
    if (limit) {
        wf->has_time_limit_seconds = true;
        wf->time_limit_seconds = limit;
        job.workflow = wf;
    }
    return job;
}

static void test_sources(void)
{
    static const char *const slurm_new[] = {"SLURM_JOB_ID=4711", "SLURM_JOB_END_TIME=10000",
                                            "SLURM_CPUS_ON_NODE=4", "SLURM_MEM_PER_NODE=8000",
                                            "SLURM_JOB_GPUS=0,1", "KUEUE_ALLOCATION=kq1.2-ab",
                                            NULL};
    static const char *const slurm_old[] = {"SLURM_JOB_ID=4711", "SLURM_CPUS_ON_NODE=2",
                                            "SLURM_MEM_PER_CPU=1000", NULL};
    kq_lifetime_opts o = {.kill_grace_s = 5.0};
    kq_lifetime lt;
    kq_error err;
    char text[600];

    /* No end at all outside Slurm without --lifetime. */
    env_vars = NULL;
    CHECK(!kq_lifetime_wants_squeue(fake_env));
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 1000, 0, &err), 0);
    CHECK(!kq_lifetime_bounded(&lt));
    CHECK_STR(lt.job_id, "");
    /* Slurm 23.02 and later: its variable. */
    env_vars = slurm_new;
    CHECK(!kq_lifetime_wants_squeue(fake_env));
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 1000, 0, &err), 0);
    CHECK_INT(lt.end, 10000);
    CHECK_STR(lt.end_source, "SLURM_JOB_END_TIME");
    CHECK_INT(lt.cpus, 4);
    CHECK_INT(lt.ram_mb, 8000);
    CHECK_STR(lt.gpus, "0,1");
    CHECK_STR(lt.allocation, "kq1.2-ab");
    CHECK_INT(lt.stop_margin_s, 15);
    CHECK_INT(lt.margin_s, 600); /* 9000 s / 4, at most 10m */
    /* --lifetime ending sooner wins; squeue's end later than the variable
     * does not. */
    o.lifetime_s = 3600;
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 1000, 20000, &err), 0);
    CHECK_INT(lt.end, 4600);
    CHECK_STR(lt.end_source, "--lifetime");
    /* Slurm 22.05: squeue says the end; memory per CPU. */
    env_vars = slurm_old;
    CHECK(kq_lifetime_wants_squeue(fake_env));
    o.lifetime_s = 7200;
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 1000, 2000, &err), 0);
    CHECK_INT(lt.end, 2000);
    CHECK_STR(lt.end_source, "squeue");
    CHECK_INT(lt.ram_mb, 2000);
    CHECK_INT(lt.margin_s, 250);
    o.has_margin = true;
    o.margin_s = 90;
    o.idle_exit_s = 60;
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 1000, 0, &err), 0);
    CHECK_INT(lt.margin_s, 90);
    CHECK_INT(lt.end, 8200);
    kq_lifetime_describe(&lt, text, sizeof text);
    CHECK(strstr(text, "(--lifetime), takes jobs that end by then less 15s, jobs without a "
                       "time limit while more than 1m30s is left; exits when idle for 1m; "
                       "Slurm job 4711 granted 2 CPUs 2000 MiB") != NULL);
}

static void test_malformed(void)
{
    static const char *const bad[] = {"SLURM_JOB_ID=1", "SLURM_CPUS_ON_NODE=4(x2)", NULL};
    kq_lifetime_opts o = {0};
    kq_lifetime lt;
    kq_error err;

    env_vars = bad;
    CHECK(kq_lifetime_init(&lt, &o, fake_env, 0, 0, &err) < 0);
    CHECK_STR(err.msg, "SLURM_CPUS_ON_NODE=4(x2) is not a whole number");
}

static void test_fits_and_report(void)
{
    kq_lifetime_opts o = {.lifetime_s = 3600, .has_margin = true, .margin_s = 600,
                          .kill_grace_s = 5.0};
    kq_worker_lifetime rep;
    kq_lifetime lt;
    kq_workflow wf;
    kq_job_info job;
    kq_error err;
    char why[300];

    env_vars = NULL;
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 0, 0, &err), 0);
    /* 3600 - 15 s left for a job's time limit. */
    job = job_with_limit(&wf, 3585);
    CHECK(kq_lifetime_fits(&lt, &job, 0, why, sizeof why));
    job = job_with_limit(&wf, 3586);
    CHECK(!kq_lifetime_fits(&lt, &job, 0, why, sizeof why));
    CHECK_STR(why, "its time limit 59m46s does not fit in the 59m45s this worker has left");
    CHECK(kq_lifetime_fits(&lt, &job, -1, why, sizeof why));
    /* Without a limit: while more than the margin is left. */
    job = job_with_limit(&wf, 0);
    CHECK(kq_lifetime_fits(&lt, &job, 2984, why, sizeof why));
    CHECK(!kq_lifetime_fits(&lt, &job, 2985, why, sizeof why));
    CHECK_STR(why, "it has no time limit, and this worker has 10m left, not more than its "
                   "margin 10m");
    kq_lifetime_report(&lt, 1000, &rep);
    CHECK_INT(rep.seconds_left, 2585);
    CHECK_INT(rep.no_limit_seconds_left, 1985);
    kq_lifetime_report(&lt, 3000, &rep);
    CHECK_INT(rep.seconds_left, 585);
    CHECK_INT(rep.no_limit_seconds_left, 0);
    kq_lifetime_report(&lt, 9000, &rep);
    CHECK_INT(rep.seconds_left, 0);
    /* No end: everything fits. */
    o.lifetime_s = 0;
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 0, 0, &err), 0);
    job = job_with_limit(&wf, 1000000);
    CHECK(kq_lifetime_fits(&lt, &job, 0, why, sizeof why));
}

typedef struct idle_state {
    bool busy;
    int expired;
    char why[100];
} idle_state;

static bool is_busy(void *arg)
{
    return ((idle_state *)arg)->busy;
}

static void on_expire(void *arg, const char *why)
{
    idle_state *st = arg;

    st->expired++;
    snprintf(st->why, sizeof st->why, "%s", why);
}

/* Busy keeps it; idle for the given time ends it, once. */
static void test_idle_exit(void)
{
    kq_lifetime_opts o = {.idle_exit_s = 1};
    idle_state st = {.busy = true};
    kq_lifetime lt;
    kq_loop *loop;
    kq_error err;

    env_vars = NULL;
    CHECK_INT(kq_lifetime_init(&lt, &o, fake_env, 0, 0, &err), 0);
    CHECK_INT(kq_loop_new(&loop), 0);
    CHECK_INT(kq_lifetime_watch(&lt, loop, is_busy, on_expire, &st), 0);
    for (int i = 0; i < 250; i++)
        CHECK_INT(kq_loop_turn(loop, 10), 0);
    CHECK_INT(st.expired, 0);
    st.busy = false;
    for (int i = 0; i < 500 && !st.expired; i++)
        CHECK_INT(kq_loop_turn(loop, 10), 0);
    CHECK_INT(st.expired, 1);
    CHECK_STR(st.why, "no job for 1s");
    kq_lifetime_unwatch(&lt);
    kq_loop_free(loop);
}

int main(void)
{
    test_sources();
    test_malformed();
    test_fits_and_report();
    test_idle_exit();
    KQ_TEST_DONE();
}
