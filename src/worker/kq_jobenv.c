/*
 * kq_jobenv.c - a job's environment marks (see kq_jobenv.h).
 */
#include "kq_jobenv.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kq_buf.h"

extern char **environ;

#define JOB_VAR "KUEUE_JOB_ID="
#define WORKER_VAR "KUEUE_WORKER_PID="
/* Environments are read up to this size (Linux caps argv + envp at a
 * quarter of the stack limit; the marks of a job's processes come from
 * us, and a shell keeps them among the first variables anyway). */
#define ENVIRON_READ_MAX (1u << 20)

static bool is_mark(const char *var)
{
    return strncmp(var, JOB_VAR, sizeof JOB_VAR - 1) == 0 ||
           strncmp(var, WORKER_VAR, sizeof WORKER_VAR - 1) == 0;
}

/* Whether var ("NAME=VALUE") is set by the worker for every job: a mark or
 * PWD. */
static bool is_ours(const char *var)
{
    return is_mark(var) || strncmp(var, "PWD=", 4) == 0;
}

/* Whether var names the same variable as "NAME=..." entry s. */
static bool same_name(const char *var, const kq_str *s)
{
    const char *eq = memchr(s->ptr, '=', s->len);
    size_t n = eq ? (size_t)(eq - s->ptr) : s->len;

    return strncmp(var, s->ptr, n) == 0 && var[n] == '=';
}

/* Whether one of the job's variables names the same variable as var. */
static bool overridden(const char *var, const kq_job_env *je)
{
    for (size_t i = 0; i < je->variables.len; i++)
        if (same_name(var, &je->variables.items[i]))
            return true;
    return false;
}

/* A job variable the environment can carry: NAME=VALUE without a NUL. */
static bool usable(const kq_str *s)
{
    return s->ptr && strlen(s->ptr) == s->len && memchr(s->ptr, '=', s->len) && s->ptr[0] != '=';
}

int kq_jobenv_new(const kq_job_info *job, char ***out)
{
    const kq_job_env *je = job->has_environment ? &job->environment : NULL;
    bool worker_env = !je || je->add_to_worker;
    size_t n = 0, k = 0;
    char **env;

    if (worker_env)
        while (environ[n])
            n++;
    if (je)
        n += je->variables.len;
    env = calloc(n + 4, sizeof *env);
    if (!env)
        return -ENOMEM;
    if (asprintf(&env[k++], JOB_VAR "%llu", (unsigned long long)job->job_id) < 0 ||
        asprintf(&env[k++], WORKER_VAR "%ld", (long)getpid()) < 0 ||
        asprintf(&env[k++], "PWD=%s", job->cwd.ptr ? job->cwd.ptr : "") < 0) {
        env[k - 1] = NULL;
        goto oom;
    }
    for (size_t i = 0; worker_env && environ[i]; i++) {
        if (is_ours(environ[i]) || (je && overridden(environ[i], je)))
            continue;
        if (!(env[k++] = strdup(environ[i])))
            goto oom;
    }
    for (size_t i = 0; je && i < je->variables.len; i++) {
        const kq_str *v = &je->variables.items[i];

        if (!usable(v) || is_ours(v->ptr))
            continue;
        if (!(env[k++] = strdup(v->ptr)))
            goto oom;
    }
    *out = env;
    return 0;
oom:
    kq_jobenv_free(env);
    return -ENOMEM;
}

const char *kq_jobenv_get(char *const *env, const char *name)
{
    size_t n = strlen(name);

    for (; *env; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

void kq_jobenv_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}

/* The value of the variable named by prefix ("NAME=") among the
 * NUL-separated variables in env[0..len): its start, with its length in
 * *n, or NULL. */
static const char *find_var(const char *env, size_t len, const char *prefix, size_t *n)
{
    size_t plen = strlen(prefix);

    for (size_t i = 0; i < len;) {
        const char *end = memchr(env + i, '\0', len - i);
        size_t vlen = end ? (size_t)(end - (env + i)) : len - i;

        if (vlen >= plen && memcmp(env + i, prefix, plen) == 0) {
            *n = vlen - plen;
            return env + i + plen;
        }
        i += vlen + 1;
    }
    return NULL;
}

/* Whether value[0..n) is the decimal text of v, as the marks write it. */
static bool is_number(const char *value, size_t n, uint64_t v)
{
    char text[24];
    int len = snprintf(text, sizeof text, "%llu", (unsigned long long)v);

    return (size_t)len == n && memcmp(value, text, n) == 0;
}

/* The kill for the job whose marks env[0..len) carries, if it is one of
 * this worker's jobs being killed. */
static const kq_jobenv_kill *kill_for(const char *env, size_t len, uint64_t worker,
                                      const kq_jobenv_kill *kills, size_t n)
{
    size_t wlen, jlen;
    const char *w = find_var(env, len, WORKER_VAR, &wlen);
    const char *job = w ? find_var(env, len, JOB_VAR, &jlen) : NULL;

    if (!job || !is_number(w, wlen, worker))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (is_number(job, jlen, kills[i].job_id))
            return &kills[i];
    return NULL;
}

/* Reads PID/environ under /proc (proc_fd) into buf; false if it cannot be
 * read (another user's process, or gone). */
static bool read_environ(int proc_fd, const char *pid, kq_buf *buf)
{
    char path[sizeof ((struct dirent *)0)->d_name + 16];
    int fd;

    snprintf(path, sizeof path, "%s/environ", pid);
    fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    kq_buf_clear(buf);
    while (buf->len < ENVIRON_READ_MAX) {
        ssize_t n;

        if (kq_buf_reserve(buf, 65536) < 0)
            break;
        n = read(fd, kq_buf_ptr(buf) + buf->len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        buf->len += (size_t)n;
    }
    close(fd);
    return true;
}

int kq_jobenv_signal(const kq_jobenv_kill *kills, size_t n)
{
    kq_buf buf = KQ_BUF_INIT;
    uid_t uid = getuid();
    pid_t self = getpid();
    struct dirent *e;
    DIR *proc;
    int count = 0;

    if (n == 0 || !(proc = opendir("/proc")))
        return 0;
    while ((e = readdir(proc))) {
        const kq_jobenv_kill *k;
        struct stat st;
        pid_t pid;

        if (!isdigit((unsigned char)e->d_name[0]) ||
            (pid = (pid_t)strtol(e->d_name, NULL, 10)) == self ||
            fstatat(dirfd(proc), e->d_name, &st, 0) < 0 || st.st_uid != uid ||
            !read_environ(dirfd(proc), e->d_name, &buf) ||
            !(k = kill_for(kq_buf_ptr(&buf), buf.len, (uint64_t)self, kills, n)))
            continue;
        if (kill(pid, k->signo) == 0)
            count++;
    }
    closedir(proc);
    kq_buf_free(&buf);
    return count;
}
