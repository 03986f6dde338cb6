/*
 * kq_lifetime.c - a worker with an end (see kq_lifetime.h).
 */
#include "kq_lifetime.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kq_buf.h"
#include "kq_duration.h"

extern char **environ;

/* The idle check runs this often. */
#define TICK_MS 1000

/* A whole number from a variable Slurm sets, or 0 when unset; -EINVAL for
 * anything else. */
static int env_u64(kq_lifetime_env *env, const char *name, uint64_t *out, kq_error *err)
{
    const char *v = env(name);
    char *end;

    *out = 0;
    if (!v || !*v)
        return 0;
    errno = 0;
    *out = strtoull(v, &end, 10);
    if (errno || end == v || *end || *v == '-') {
        kq_error_set(err, "%s=%s is not a whole number", name, v);
        return -EINVAL;
    }
    return 0;
}

bool kq_lifetime_wants_squeue(kq_lifetime_env *env)
{
    const char *id = env("SLURM_JOB_ID"), *end = env("SLURM_JOB_END_TIME");

    return id && *id && !(end && *end);
}

int kq_lifetime_init(kq_lifetime *lt, const kq_lifetime_opts *opts, kq_lifetime_env *env,
                     int64_t now, int64_t squeue_end, kq_error *err)
{
    const char *id = env("SLURM_JOB_ID");
    const char *gpus = env("SLURM_JOB_GPUS"), *alloc = env("KUEUE_ALLOCATION");
    uint64_t end_env = 0, per_cpu = 0, length;
    int rc;

    memset(lt, 0, sizeof *lt);
    lt->start = now;
    lt->idle_exit_s = opts->idle_exit_s;
    if (alloc && strlen(alloc) < sizeof lt->allocation)
        snprintf(lt->allocation, sizeof lt->allocation, "%s", alloc);
    lt->stop_margin_s = (uint64_t)ceil(opts->kill_grace_s > 0 ? opts->kill_grace_s : 0) +
                        KQ_LIFETIME_REPORT_S;
    if (id && *id) {
        snprintf(lt->job_id, sizeof lt->job_id, "%s", id);
        if ((rc = env_u64(env, "SLURM_JOB_END_TIME", &end_env, err)) < 0 ||
            (rc = env_u64(env, "SLURM_CPUS_ON_NODE", &lt->cpus, err)) < 0 ||
            (rc = env_u64(env, "SLURM_MEM_PER_NODE", &lt->ram_mb, err)) < 0 ||
            (rc = env_u64(env, "SLURM_MEM_PER_CPU", &per_cpu, err)) < 0)
            return rc;
        if (!lt->ram_mb && per_cpu && lt->cpus)
            lt->ram_mb = per_cpu * lt->cpus;
        if (!(gpus && *gpus))
            gpus = env("CUDA_VISIBLE_DEVICES");
        if (gpus)
            snprintf(lt->gpus, sizeof lt->gpus, "%s", gpus);
    }
    /* The earliest end known. */
    if (end_env) {
        lt->end = (int64_t)end_env;
        lt->end_source = "SLURM_JOB_END_TIME";
    }
    if (squeue_end > 0 && (!lt->end || squeue_end < lt->end)) {
        lt->end = squeue_end;
        lt->end_source = "squeue";
    }
    if (opts->lifetime_s && (!lt->end || now + (int64_t)opts->lifetime_s < lt->end)) {
        lt->end = now + (int64_t)opts->lifetime_s;
        lt->end_source = "--lifetime";
    }
    length = lt->end > now ? (uint64_t)(lt->end - now) : 0;
    lt->margin_s = opts->has_margin ? opts->margin_s
                   : length / 4 < KQ_LIFETIME_MARGIN_MAX_S ? length / 4
                                                          : KQ_LIFETIME_MARGIN_MAX_S;
    return 0;
}

bool kq_lifetime_bounded(const kq_lifetime *lt)
{
    return lt->end != 0;
}

/* Seconds a job may still take (with a time limit): to the end less the
 * stop margin. */
static uint64_t left_for_jobs(const kq_lifetime *lt, int64_t now)
{
    int64_t left = lt->end - now - (int64_t)lt->stop_margin_s;

    return left > 0 ? (uint64_t)left : 0;
}

bool kq_lifetime_fits(const kq_lifetime *lt, const kq_job_info *job, int64_t now, char *why,
                      size_t n)
{
    const kq_workflow *wf = job->workflow;
    uint64_t left = left_for_jobs(lt, now);
    kq_buf a = KQ_BUF_INIT, b = KQ_BUF_INIT;
    bool fits;

    if (!lt->end)
        return true;
    if (wf && wf->has_time_limit_seconds) {
        fits = wf->time_limit_seconds <= left;
        if (!fits) {
            kq_duration_format(&a, wf->time_limit_seconds);
            kq_duration_format(&b, left);
            snprintf(why, n, "its time limit %s does not fit in the %s this worker has left",
                     a.oom ? "?" : kq_buf_ptr(&a), b.oom ? "?" : kq_buf_ptr(&b));
        }
    } else {
        fits = left > lt->margin_s;
        if (!fits) {
            kq_duration_format(&a, left);
            kq_duration_format(&b, lt->margin_s);
            snprintf(why, n, "it has no time limit, and this worker has %s left, not more "
                             "than its margin %s", a.oom ? "?" : kq_buf_ptr(&a),
                     b.oom ? "?" : kq_buf_ptr(&b));
        }
    }
    kq_buf_free(&a);
    kq_buf_free(&b);
    return fits;
}

void kq_lifetime_report(const kq_lifetime *lt, int64_t now, kq_worker_lifetime *out)
{
    uint64_t left = left_for_jobs(lt, now);

    out->seconds_left = left;
    out->no_limit_seconds_left = left > lt->margin_s ? left - lt->margin_s : 0;
}

void kq_lifetime_describe(const kq_lifetime *lt, char *buf, size_t n)
{
    kq_buf b = KQ_BUF_INIT;
    struct tm tm;
    time_t end = (time_t)lt->end;
    char when[64] = "";

    if (lt->end) {
        localtime_r(&end, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        kq_buf_printf(&b, "ends %s (%s), takes jobs that end by then less ", when,
                      lt->end_source);
        kq_duration_format(&b, lt->stop_margin_s);
        kq_buf_puts(&b, ", jobs without a time limit while more than ");
        kq_duration_format(&b, lt->margin_s);
        kq_buf_puts(&b, " is left");
    } else {
        kq_buf_puts(&b, "no end");
    }
    if (lt->idle_exit_s) {
        kq_buf_puts(&b, "; exits when idle for ");
        kq_duration_format(&b, lt->idle_exit_s);
    }
    if (lt->job_id[0]) {
        kq_buf_printf(&b, "; Slurm job %s granted", lt->job_id);
        if (lt->cpus)
            kq_buf_printf(&b, " %llu CPUs", (unsigned long long)lt->cpus);
        if (lt->ram_mb)
            kq_buf_printf(&b, " %llu MiB", (unsigned long long)lt->ram_mb);
        if (lt->gpus[0])
            kq_buf_printf(&b, " GPUs %s", lt->gpus);
        if (!lt->cpus && !lt->ram_mb && !lt->gpus[0])
            kq_buf_puts(&b, " nothing it says");
    }
    snprintf(buf, n, "%s", b.oom ? "?" : kq_buf_ptr(&b));
    kq_buf_free(&b);
}

/* ---- squeue, at start ------------------------------------------------- */

int kq_lifetime_squeue(const char *job_id, int64_t *end, kq_error *err)
{
    char *argv[] = {"squeue", "-h", "-j", (char *)job_id, "-o", "%e", NULL};
    posix_spawn_file_actions_t fa;
    size_t nenv = 0, len = 0;
    char **envp, out[256];
    int fds[2], status = 0, rc;
    pid_t pid;
    struct timespec t0, t;
    char *p;
    long long v;

    for (char **e = environ; *e; e++)
        nenv++;
    envp = calloc(nenv + 2, sizeof *envp);
    if (!envp)
        return -ENOMEM;
    /* Epoch seconds instead of a local date. */
    envp[0] = "SLURM_TIME_FORMAT=%s";
    for (size_t i = 0, k = 1; i < nenv; i++)
        if (strncmp(environ[i], "SLURM_TIME_FORMAT=", 18) != 0)
            envp[k++] = environ[i];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        free(envp);
        kq_error_set(err, "pipe: %s", strerror(errno));
        return -errno;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        kq_error_set(err, "cannot run squeue: %s", strerror(rc));
        return -rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        long waited;
        ssize_t n;

        clock_gettime(CLOCK_MONOTONIC, &t);
        waited = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (waited >= KQ_LIFETIME_SQUEUE_MS || poll(&pfd, 1, (int)(KQ_LIFETIME_SQUEUE_MS - waited)) == 0) {
            kill(pid, SIGKILL);
            break;
        }
        n = read(fds[0], out + len, sizeof out - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == sizeof out - 1)
            break;
    }
    close(fds[0]);
    out[len] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        kq_error_set(err, "squeue -j %s failed (%s %d)", job_id,
                     WIFEXITED(status) ? "exit status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return -EIO;
    }
    errno = 0;
    v = strtoll(out, &p, 10);
    if (errno || p == out || v <= 0 || (*p && *p != '\n')) {
        kq_error_set(err, "squeue -j %s said no end time: \"%.*s\"", job_id,
                     (int)strcspn(out, "\n"), out);
        return -EINVAL;
    }
    *end = v;
    return 0;
}

/* ---- the idle exit ------------------------------------------------------- */

static void on_tick(kq_loop *loop, void *arg)
{
    kq_lifetime *lt = arg;
    uint64_t now = kq_loop_now(loop);
    kq_buf why = KQ_BUF_INIT;

    lt->timer = 0;
    if (lt->busy(lt->arg)) {
        lt->idle_since_ms = now;
    } else if (now - lt->idle_since_ms >= lt->idle_exit_s * 1000) {
        kq_buf_puts(&why, "no job for ");
        kq_duration_format(&why, lt->idle_exit_s);
    } else if (lt->end && left_for_jobs(lt, time(NULL)) == 0) {
        kq_buf_puts(&why, "its end is near and it has no job");
    }
    if (why.len) {
        lt->expire(lt->arg, why.oom ? "idle" : kq_buf_ptr(&why));
        kq_buf_free(&why);
        return;
    }
    lt->timer = kq_loop_timer(loop, TICK_MS, on_tick, lt);
}

int kq_lifetime_watch(kq_lifetime *lt, kq_loop *loop, bool (*busy)(void *arg),
                      void (*expire)(void *arg, const char *why), void *arg)
{
    if (!lt->idle_exit_s)
        return 0;
    lt->loop = loop;
    lt->busy = busy;
    lt->expire = expire;
    lt->arg = arg;
    lt->idle_since_ms = kq_loop_now(loop);
    lt->timer = kq_loop_timer(loop, TICK_MS, on_tick, lt);
    return lt->timer ? 0 : -ENOMEM;
}

void kq_lifetime_unwatch(kq_lifetime *lt)
{
    if (lt->loop)
        kq_loop_timer_cancel(lt->loop, lt->timer);
    lt->timer = 0;
}
