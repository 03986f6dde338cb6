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

int kq_jobenv_new(uint64_t job_id, char ***out)
{
    size_t n = 0, k = 2;
    char **env;

    while (environ[n])
        n++;
    env = calloc(n + 3, sizeof *env);
    if (!env)
        return -ENOMEM;
    if (asprintf(&env[0], JOB_VAR "%llu", (unsigned long long)job_id) < 0) {
        env[0] = NULL;
        goto oom;
    }
    if (asprintf(&env[1], WORKER_VAR "%ld", (long)getpid()) < 0) {
        env[1] = NULL;
        goto oom;
    }
    for (size_t i = 0; i < n; i++)
        if (!is_mark(environ[i]))
            env[k++] = environ[i];
    *out = env;
    return 0;
oom:
    kq_jobenv_free(env);
    return -ENOMEM;
}

void kq_jobenv_free(char **env)
{
    if (!env)
        return;
    /* Only the two marks are ours; the rest belong to environ. */
    free(env[0]);
    free(env[1]);
    free(env);
}

/* Whether the NUL-separated variables in env[0..len) include var. */
static bool has_var(const char *env, size_t len, const char *var)
{
    size_t n = strlen(var);

    for (size_t i = 0; i < len;) {
        const char *end = memchr(env + i, '\0', len - i);
        size_t vlen = end ? (size_t)(end - (env + i)) : len - i;

        if (vlen == n && memcmp(env + i, var, n) == 0)
            return true;
        i += vlen + 1;
    }
    return false;
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

int kq_jobenv_signal(uint64_t job_id, int signo)
{
    char job_var[64], worker_var[64], self[24];
    kq_buf buf = KQ_BUF_INIT;
    uid_t uid = getuid();
    struct dirent *e;
    DIR *proc;
    int count = 0;

    snprintf(job_var, sizeof job_var, JOB_VAR "%llu", (unsigned long long)job_id);
    snprintf(worker_var, sizeof worker_var, WORKER_VAR "%ld", (long)getpid());
    snprintf(self, sizeof self, "%ld", (long)getpid());
    proc = opendir("/proc");
    if (!proc)
        return 0;
    while ((e = readdir(proc))) {
        struct stat st;

        if (!isdigit((unsigned char)e->d_name[0]) || strcmp(e->d_name, self) == 0 ||
            fstatat(dirfd(proc), e->d_name, &st, 0) < 0 || st.st_uid != uid ||
            !read_environ(dirfd(proc), e->d_name, &buf) ||
            !has_var(kq_buf_ptr(&buf), buf.len, job_var) ||
            !has_var(kq_buf_ptr(&buf), buf.len, worker_var))
            continue;
        if (kill((pid_t)strtol(e->d_name, NULL, 10), signo) == 0)
            count++;
    }
    closedir(proc);
    kq_buf_free(&buf);
    return count;
}
