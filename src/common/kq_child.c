/*
 * kq_child.c - helper programs run from the loop (see kq_child.h).
 */
#include "kq_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kq_buf.h"

extern char **environ;

/* Bytes read from a pipe per readiness event. */
#define READ_CHUNK 65536

enum { IN, OUT, ERR, NPIPES };

typedef struct child {
    struct child *prev, *next;
    kq_children *set;
    uint64_t id;
    pid_t pid;                /* 0: never started */
    bool reaped, forgotten, timed_out, reported;
    int status;
    int fd[NPIPES];           /* ours; -1 once closed */
    kq_buf in;                /* what stdin is fed */
    size_t in_off;
    kq_buf out, err;
    uint64_t limit_timer, eof_timer, fail_timer;
    int start_errno;
    kq_child_done_cb *done;
    void *arg;
} child;

struct kq_children {
    kq_loop *loop;
    child *head;
    uint64_t next_id;
    size_t running;           /* not yet reported or forgotten */
};

static void close_pipe(child *c, int which)
{
    if (c->fd[which] < 0)
        return;
    kq_loop_unwatch(c->set->loop, c->fd[which]);
    close(c->fd[which]);
    c->fd[which] = -1;
}

static void unlink_child(child *c)
{
    kq_children *cs = c->set;

    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void free_child(child *c)
{
    kq_loop *loop = c->set->loop;

    for (int i = 0; i < NPIPES; i++)
        close_pipe(c, i);
    kq_loop_timer_cancel(loop, c->limit_timer);
    kq_loop_timer_cancel(loop, c->eof_timer);
    kq_loop_timer_cancel(loop, c->fail_timer);
    kq_buf_free(&c->in);
    kq_buf_free(&c->out);
    kq_buf_free(&c->err);
    free(c);
}

/* Reports the child once it is reaped and its pipes are done, then frees
 * it. */
static void maybe_finish(child *c)
{
    kq_child_result res = {0};
    char why[160];

    if (c->pid && !c->reaped)
        return;
    if (c->fd[OUT] >= 0 || c->fd[ERR] >= 0)
        return;
    close_pipe(c, IN);
    unlink_child(c);
    if (!c->forgotten) {
        c->set->running--;
        res.status = c->pid ? c->status : -c->start_errno;
        res.timed_out = c->timed_out;
        kq_buf_putc(&c->out, '\0');
        kq_buf_putc(&c->err, '\0');
        res.out = c->out.oom ? "" : kq_buf_ptr(&c->out);
        res.err = c->err.oom ? "" : kq_buf_ptr(&c->err);
        res.out_len = c->out.oom ? 0 : c->out.len - 1;
        res.err_len = c->err.oom ? 0 : c->err.len - 1;
        if (!c->pid) {
            snprintf(why, sizeof why, "cannot run it: %s", strerror(c->start_errno));
            res.why = why;
        }
        c->done(c->arg, &res);
    }
    free_child(c);
}

static void on_eof_timeout(kq_loop *loop, void *arg)
{
    child *c = arg;

    (void)loop;
    c->eof_timer = 0;
    close_pipe(c, OUT);
    close_pipe(c, ERR);
    maybe_finish(c);
}

static void on_reaped(child *c, int status)
{
    c->reaped = true;
    c->status = status;
    kq_loop_timer_cancel(c->set->loop, c->limit_timer);
    c->limit_timer = 0;
    if (c->fd[OUT] >= 0 || c->fd[ERR] >= 0)
        c->eof_timer = kq_loop_timer(c->set->loop, KQ_CHILD_EOF_GRACE_MS, on_eof_timeout, c);
    maybe_finish(c);
}

static void on_sigchld(kq_loop *loop, int signo, void *arg)
{
    kq_children *cs = arg;

    (void)loop;
    (void)signo;
    for (child *c = cs->head, *next; c; c = next) {
        int status;

        next = c->next;
        if (c->pid && !c->reaped && waitpid(c->pid, &status, WNOHANG) == c->pid)
            on_reaped(c, status);
    }
}

static void on_time_limit(kq_loop *loop, void *arg)
{
    child *c = arg;

    (void)loop;
    c->limit_timer = 0;
    c->timed_out = true;
    kill(c->pid, SIGKILL);
}

static void on_start_failed(kq_loop *loop, void *arg)
{
    child *c = arg;

    (void)loop;
    c->fail_timer = 0;
    maybe_finish(c);
}

static void on_output(kq_loop *loop, int fd, int events, void *arg)
{
    child *c = arg;
    int which = fd == c->fd[OUT] ? OUT : ERR;
    kq_buf *b = which == OUT ? &c->out : &c->err;
    char chunk[READ_CHUNK];
    ssize_t n;

    (void)loop;
    (void)events;
    n = read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close_pipe(c, which);
        maybe_finish(c);
        return;
    }
    if (b->len < KQ_CHILD_OUTPUT_MAX)
        kq_buf_append(b, chunk,
                      b->len + (size_t)n > KQ_CHILD_OUTPUT_MAX ? KQ_CHILD_OUTPUT_MAX - b->len
                                                               : (size_t)n);
}

static void on_input(kq_loop *loop, int fd, int events, void *arg)
{
    child *c = arg;
    ssize_t n;

    (void)loop;
    (void)events;
    while (c->in_off < c->in.len) {
        n = write(fd, kq_buf_ptr(&c->in) + c->in_off, c->in.len - c->in_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0)
            break; /* EPIPE: it did not read it all */
        c->in_off += (size_t)n;
    }
    close_pipe(c, IN);
}

int kq_children_new(kq_loop *loop, kq_children **out)
{
    kq_children *cs = calloc(1, sizeof *cs);
    int rc;

    if (!cs)
        return -ENOMEM;
    cs->loop = loop;
    cs->next_id = 1;
    if ((rc = kq_loop_signal(loop, SIGCHLD, on_sigchld, cs)) < 0) {
        free(cs);
        return rc;
    }
    *out = cs;
    return 0;
}

void kq_children_free(kq_children *cs)
{
    if (!cs)
        return;
    while (cs->head) {
        child *c = cs->head;

        if (c->pid && !c->reaped) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
        unlink_child(c);
        free_child(c);
    }
    free(cs);
}

/* A pipe whose end "ours" is non-blocking and close-on-exec; the other
 * end, the child's, stays blocking (it is a separate open file). */
static int make_pipe(int fds[2], int ours)
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    if (fcntl(fds[ours], F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;

        close(fds[0]);
        close(fds[1]);
        return -e;
    }
    return 0;
}

/* Spawns the child with the three pipes; 0 or -errno (c->pid stays 0). */
static int spawn(child *c, char *const argv[])
{
    int pipes[NPIPES][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t all, none;
    int rc = 0;

    for (int i = 0; i < NPIPES && rc == 0; i++)
        rc = make_pipe(pipes[i], i == IN ? 1 : 0);
    if (rc < 0)
        goto out;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawn_file_actions_adddup2(&fa, pipes[IN][0], 0);
    posix_spawn_file_actions_adddup2(&fa, pipes[OUT][1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipes[ERR][1], 2);
    /* Signals at their defaults (the server ignores SIGPIPE), none
     * blocked, and a process group of its own: a terminal's Ctrl-C is the
     * server's business. */
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETPGROUP);
    rc = -posix_spawnp(&c->pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc < 0)
        c->pid = 0;
out:
    for (int i = 0; i < NPIPES; i++) {
        int ours = i == IN ? 1 : 0;

        if (pipes[i][1 - ours] >= 0)
            close(pipes[i][1 - ours]);
        if (rc == 0)
            c->fd[i] = pipes[i][ours];
        else if (pipes[i][ours] >= 0)
            close(pipes[i][ours]);
    }
    return rc;
}

uint64_t kq_child_run(kq_children *cs, char *const argv[], const char *in, size_t in_len,
                      uint64_t timeout_ms, kq_child_done_cb *done, void *arg)
{
    child *c = calloc(1, sizeof *c);
    int rc;

    if (!c)
        return 0;
    c->set = cs;
    c->done = done;
    c->arg = arg;
    c->fd[IN] = c->fd[OUT] = c->fd[ERR] = -1;
    kq_buf_append(&c->in, in, in_len);
    if (c->in.oom) {
        free_child(c);
        return 0;
    }
    c->id = cs->next_id++;
    c->next = cs->head;
    if (cs->head)
        cs->head->prev = c;
    cs->head = c;
    cs->running++;
    rc = spawn(c, argv);
    if (rc == 0 && (kq_loop_watch(cs->loop, c->fd[OUT], KQ_READABLE, on_output, c) < 0 ||
                    kq_loop_watch(cs->loop, c->fd[ERR], KQ_READABLE, on_output, c) < 0 ||
                    kq_loop_watch(cs->loop, c->fd[IN], KQ_WRITABLE, on_input, c) < 0 ||
                    !(c->limit_timer = kq_loop_timer(cs->loop, timeout_ms, on_time_limit, c)))) {
        /* Out of memory in the loop: it cannot be watched, so it goes. */
        kill(c->pid, SIGKILL);
        rc = -ENOMEM;
        c->forgotten = true;
        cs->running--;
        kq_loop_timer_cancel(cs->loop, c->limit_timer);
        c->limit_timer = 0;
        for (int i = 0; i < NPIPES; i++)
            close_pipe(c, i);
        return 0;
    }
    if (rc < 0) {
        /* Reported from a later callback, as every outcome is. */
        c->start_errno = -rc;
        c->fail_timer = kq_loop_timer(cs->loop, 0, on_start_failed, c);
        if (!c->fail_timer) {
            cs->running--;
            unlink_child(c);
            free_child(c);
            return 0;
        }
    }
    return c->id;
}

void kq_child_forget(kq_children *cs, uint64_t id)
{
    for (child *c = cs->head; c; c = c->next) {
        if (c->id != id || c->forgotten)
            continue;
        c->forgotten = true;
        cs->running--;
        if (c->pid && !c->reaped)
            kill(c->pid, SIGKILL);
        close_pipe(c, IN);
        close_pipe(c, OUT);
        close_pipe(c, ERR);
        maybe_finish(c);
        return;
    }
}

size_t kq_children_running(const kq_children *cs)
{
    return cs->running;
}

const char *kq_child_describe(const kq_child_result *res, char *buf, size_t n)
{
    if (res->status < 0)
        snprintf(buf, n, "%s", res->why ? res->why : strerror(-res->status));
    else if (res->timed_out)
        snprintf(buf, n, "killed at its time limit");
    else if (WIFEXITED(res->status))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(res->status));
    else if (WIFSIGNALED(res->status))
        snprintf(buf, n, "killed by signal %d (SIG%s)", WTERMSIG(res->status),
                 sigabbrev_np(WTERMSIG(res->status)) ? sigabbrev_np(WTERMSIG(res->status))
                                                      : "?");
    else
        snprintf(buf, n, "wait status %d", res->status);
    return buf;
}
