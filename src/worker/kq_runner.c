/*
 * kq_runner.c - spawning, draining and killing jobs (see kq_runner.h).
 *
 * A run ends when its direct child has been reaped and
 *   - normally: both pipes reached EOF, or KQ_RUNNER_EOF_GRACE_MS passed
 *     since the child exited (a daemonised grandchild may hold them open);
 *   - killed: its process group is empty, or SIGKILL was sent and the
 *     group still did not empty within the EOF grace.
 * Every transition happens in a loop callback (pipe readable, SIGCHLD, a
 * timer), never inside a call from the owner, so the done callback can
 * never run under the feet of the code that called kq_runner_kill.
 */
#include "kq_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kq_jobenv.h"
#include "kq_log.h"
#include "kq_net.h"
#include "kq_outname.h"
#include "kq_utf8.h"

/* Bytes read per readiness event of one pipe before yielding. */
#define READ_CHUNK (64u << 10)
#define READ_BUDGET (256u << 10)
/* Room kept for the truncation note (escaped). */
#define NOTE_MAX 128


typedef struct stream {
    int fd;           /* read end of the pipe; -1 when closed or unused */
    kq_buf data;      /* captured bytes, at most output_limit */
    bool cut;         /* bytes past the limit were dropped */
    char *path;       /* the redirect file (reported instead), or NULL */
} stream;

struct kq_run {
    kq_runner *r;
    kq_run *prev, *next;
    pid_t pid;            /* direct child; also its process group id */
    uint64_t job_id;      /* its processes carry it (kq_jobenv) */
    int wait_status;
    bool exited;          /* reaped */
    stream out[2];        /* stdout, stderr */
    uint64_t start_ms;
    uint64_t eof_timer;   /* pipes get no longer after the exit */
    uint64_t kill_timer;  /* SIGKILL, then giving up on the group */
    uint64_t check_timer; /* re-evaluates outside the caller's stack */
    bool killed, escalated, gave_up;
    char *kill_comment;
    kq_run_done_cb *done;
    void *arg;
};

struct kq_runner {
    kq_loop *loop;
    kq_runner_opts opts;
    kq_run *runs;
    size_t nruns;
    /* Signals for the processes carrying a job's marks, sent together by
     * one scan of /proc at the sweep (a timer armed by the first). */
    kq_jobenv_kill *marked;
    size_t nmarked, marked_cap;
    uint64_t sweep_timer;
    uint64_t scans;
};

/* Rust's io::Error text for an OS error. */
static void os_error(kq_buf *out, int err)
{
    kq_buf_printf(out, "%s (os error %d)", strerror(err), err);
}

const char *kq_runner_signal_name(int signo, char *buf, size_t n)
{
    const char *abbrev = sigabbrev_np(signo);

    if (abbrev)
        snprintf(buf, n, "SIG%s", abbrev);
    else
        snprintf(buf, n, "signal %d", signo);
    return buf;
}

bool kq_runner_is_null_path(const char *path)
{
    const char *end = path + strlen(path);

    while (*path == ' ' || (*path >= '\t' && *path <= '\r'))
        path++;
    while (end > path && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
        end--;
    return end - path == 4 && strncasecmp(path, "null", 4) == 0;
}

void kq_runner_join_path(kq_buf *out, const char *dir, const char *path)
{
    size_t n = strlen(dir);

    if (path[0] != '/') {
        kq_buf_puts(out, dir);
        if (n == 0 || dir[n - 1] != '/')
            kq_buf_putc(out, '/');
    }
    kq_buf_puts(out, path);
}

static size_t escaped_len(unsigned char c)
{
    if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' ||
        c == '\f' || c == '\r')
        return 2;
    return c < 0x20 ? 6 : 1;
}

/* Length of raw[0..len) without a trailing character the cut split: the
 * last lead byte announcing more continuation bytes than follow it.  (The
 * bytes after the cut are gone, so kq_utf8_truncate cannot tell.) */
static size_t whole_chars(const char *raw, size_t len)
{
    const unsigned char *s = (const unsigned char *)raw;
    size_t i = len, need;

    while (i > 0 && len - i < 3 && (s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return len;
    need = s[i - 1] >= 0xF0 ? 4 : s[i - 1] >= 0xE0 ? 3 : s[i - 1] >= 0xC0 ? 2 : 1;
    return len - (i - 1) < need ? i - 1 : len;
}

int kq_runner_text(const char *raw, size_t len, bool cut, size_t limit,
                   kq_str *out)
{
    kq_buf text = KQ_BUF_INIT;
    size_t keep = len, esc = 0, start = 0;
    const unsigned char *p;

    *out = KQ_STR_NULL;
    if (len == 0 && !cut)
        return 0;
    /* A cut may have split the last character: drop its start. */
    if (cut)
        keep = whole_chars(raw, len);
    kq_utf8_repair(&text, raw, keep);
    p = (const unsigned char *)kq_buf_ptr(&text);
    for (size_t i = 0; i < text.len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            start = i;
        esc += escaped_len(p[i]);
        /* Too big for the wire: end at the last whole character. */
        if (esc > KQ_RUNNER_WIRE_MAX - NOTE_MAX ||
            i + 1 > KQ_LIMIT_TEXT - NOTE_MAX) {
            text.len = start;
            limit = start;
            cut = true;
            break;
        }
    }
    if (cut)
        kq_buf_printf(&text, "\n[kueue: output truncated after %zu bytes]\n",
                      limit);
    if (text.oom) {
        kq_buf_free(&text);
        return -ENOMEM;
    }
    if (text.len == 0) {
        kq_buf_free(&text);
        return 0;
    }
    out->ptr = kq_buf_steal(&text, &out->len);
    return out->ptr ? 0 : -ENOMEM;
}

void kq_run_result_free(kq_run_result *res)
{
    free(res->comment);
    kq_str_free(&res->stdout_text);
    kq_str_free(&res->stderr_text);
    memset(res, 0, sizeof *res);
}

/* ---- the life of a run ---------------------------------------------- */

static void close_stream(kq_run *run, int i)
{
    stream *s = &run->out[i];

    if (s->fd < 0)
        return;
    kq_loop_unwatch(run->r->loop, s->fd);
    close(s->fd);
    s->fd = -1;
}

/* Keeps what fits under the limit; the rest is read and dropped so that
 * the job never blocks on a full pipe. */
static void keep(kq_run *run, int i, const char *p, size_t n)
{
    stream *s = &run->out[i];
    size_t limit = run->r->opts.output_limit;
    size_t room = s->data.len < limit ? limit - s->data.len : 0;

    if (n > room) {
        s->cut = true;
        n = room;
    }
    kq_buf_append(&s->data, p, n);
}

/* Reads stream i until it would block, ends, or budget bytes were read. */
static void drain(kq_run *run, int i, size_t budget)
{
    static char chunk[READ_CHUNK];
    size_t total = 0;

    while (run->out[i].fd >= 0 && total < budget) {
        ssize_t n = read(run->out[i].fd, chunk, sizeof chunk);

        if (n > 0) {
            keep(run, i, chunk, (size_t)n);
            total += (size_t)n;
        } else if (n == 0) {
            close_stream(run, i);
        } else if (errno == EINTR) {
            continue;
        } else {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                kq_warn("read output of process %d: %s", (int)run->pid,
                        strerror(errno));
                close_stream(run, i);
            }
            break;
        }
    }
}

static bool group_alive(const kq_run *run)
{
    return kill(-run->pid, 0) == 0 || errno == EPERM;
}

/* Sends the signals queued for marked processes, in one scan. */
static void sweep(kq_runner *r)
{
    kq_loop_timer_cancel(r->loop, r->sweep_timer);
    r->sweep_timer = 0;
    if (!r->nmarked)
        return;
    kq_jobenv_signal(r->marked, r->nmarked);
    r->scans++;
    r->nmarked = 0;
}

static void on_sweep(kq_loop *loop, void *arg)
{
    kq_runner *r = arg;

    (void)loop;
    r->sweep_timer = 0;
    sweep(r);
}

/* Queues signo for every process carrying job_id's marks: reading the
 * environment of every process of the user is the costly part of a kill,
 * so the kills of a loop turn share one scan, at a timer that fires once
 * they are all queued.  1 ms, not 0: a timer armed while the loop runs
 * its due timers may fire in the same pass if it is due at once, and a
 * kill made by a later timer of that pass would need a second scan.
 * SIGKILL prevails over SIGTERM. */
static void signal_marked(kq_runner *r, uint64_t job_id, int signo)
{
    size_t i = 0;

    while (i < r->nmarked && r->marked[i].job_id != job_id)
        i++;
    if (i == r->nmarked) {
        if (r->nmarked == r->marked_cap) {
            size_t cap = r->marked_cap ? 2 * r->marked_cap : 16;
            kq_jobenv_kill *grown = realloc(r->marked, cap * sizeof *grown);

            if (!grown) {
                /* No room to queue it: at once, then. */
                kq_jobenv_signal(&(kq_jobenv_kill){job_id, signo}, 1);
                r->scans++;
                return;
            }
            r->marked = grown;
            r->marked_cap = cap;
        }
        r->marked[r->nmarked++] = (kq_jobenv_kill){job_id, signo};
    } else if (signo == SIGKILL) {
        r->marked[i].signo = SIGKILL;
    }
    if (!r->sweep_timer && !(r->sweep_timer = kq_loop_timer(r->loop, 1, on_sweep, r)))
        sweep(r);
}

/* Signals run's process group, unless its leader was reaped and the group
 * is empty (its id may then belong to someone else), and every process
 * that left the group but carries the job's marks. */
static void signal_group(const kq_run *run, int signo)
{
    if (!run->exited || group_alive(run))
        killpg(run->pid, signo);
    signal_marked(run->r, run->job_id, signo);
}

/* Whether the run is over (see the file comment).  A killed run whose
 * leader cannot even be reaped (stuck in the kernel) is over once the
 * runner gave up on it. */
static bool run_over(const kq_run *run)
{
    if (run->killed && run->gave_up)
        return true;
    if (!run->exited)
        return false;
    if (run->killed)
        return run->gave_up || !group_alive(run);
    return run->out[0].fd < 0 && run->out[1].fd < 0;
}

/* Unlinks run and releases everything it holds (no callback). */
static void free_run(kq_run *run)
{
    kq_runner *r = run->r;

    for (int i = 0; i < 2; i++) {
        close_stream(run, i);
        kq_buf_free(&run->out[i].data);
        free(run->out[i].path);
    }
    kq_loop_timer_cancel(r->loop, run->eof_timer);
    kq_loop_timer_cancel(r->loop, run->kill_timer);
    kq_loop_timer_cancel(r->loop, run->check_timer);
    if (run->prev)
        run->prev->next = run->next;
    else
        r->runs = run->next;
    if (run->next)
        run->next->prev = run->prev;
    r->nruns--;
    free(run->kill_comment);
    free(run);
}

static char *dup_text(const char *s)
{
    char *copy = strdup(s);

    if (!copy)
        kq_err("Out of memory for a job result");
    return copy;
}

/* The text reported for stream i: the redirect note or the captured
 * output (NULL ptr for none); out is owned by the caller. */
static void stream_text(kq_run *run, int i, kq_str *out)
{
    stream *s = &run->out[i];

    if (s->path) {
        int n = asprintf(&out->ptr, "Redirected to %s", s->path);

        if (n < 0) {
            kq_err("Out of memory for a job result");
            *out = KQ_STR_NULL;
        } else {
            out->len = (size_t)n;
        }
        return;
    }
    if (kq_runner_text(kq_buf_ptr(&s->data), s->data.len, s->cut,
                       run->r->opts.output_limit, out) < 0)
        kq_err("Out of memory for the output of process %d", (int)run->pid);
}

/* Builds the result, frees the run and hands the result over. */
static void finish(kq_run *run)
{
    kq_run_result res = {0};
    kq_run_done_cb *done = run->done;
    void *arg = run->arg;
    kq_buf comment = KQ_BUF_INIT;
    int st = run->wait_status;

    res.killed = run->killed;
    if (run->killed) {
        /* The group is gone: whatever still carries the job's marks (it
         * left the group and shrugged off SIGTERM) goes now. */
        signal_marked(run->r, run->job_id, SIGKILL);
        res.return_code = KQ_RC_KILLED;
        kq_buf_puts(&comment, run->kill_comment ? run->kill_comment : "Job killed!");
    } else if (WIFEXITED(st)) {
        res.return_code = WEXITSTATUS(st);
        kq_buf_puts(&comment, "Job finished orderly.");
    } else if (WIFSIGNALED(st)) {
        char name[32];

        res.return_code = KQ_RC_SIGNALED;
        kq_buf_printf(&comment, "Job killed by signal %d (%s).", WTERMSIG(st),
                      kq_runner_signal_name(WTERMSIG(st), name, sizeof name));
    } else {
        res.return_code = KQ_RC_WAIT_ERROR;
        kq_buf_printf(&comment, "Error while waiting for child process: "
                      "unexpected wait status %d", st);
    }
    if (!run->killed) {
        stream_text(run, 0, &res.stdout_text);
        stream_text(run, 1, &res.stderr_text);
    }
    res.comment = kq_buf_steal(&comment, NULL);
    if (!res.comment)
        res.comment = dup_text("");
    res.run_time_seconds =
        (int64_t)((kq_loop_now(run->r->loop) - run->start_ms) / 1000);
    res.finished = kq_time_now();
    free_run(run);
    done(arg, &res);
}

/* Finishes the first run that is over, until none is; true if any was.
 * Starts over after each because the done callback may change the list. */
static bool finish_over(kq_runner *r)
{
    bool any = false;

    for (kq_run *run = r->runs; run;) {
        if (run_over(run)) {
            finish(run);
            any = true;
            run = r->runs;
        } else {
            run = run->next;
        }
    }
    return any;
}

/* The EOF grace is over: take what is buffered, close the pipes (a
 * background process keeping them open then gets EPIPE), finish. */
static void on_eof_grace(kq_loop *loop, void *arg)
{
    kq_run *run = arg;

    (void)loop;
    run->eof_timer = 0;
    for (int i = 0; i < 2; i++) {
        if (run->out[i].fd >= 0) {
            drain(run, i, READ_BUDGET);
            if (run->out[i].fd >= 0)
                kq_debug("Process %d exited %u ms ago but its output is still "
                         "open (a background process?): not waiting for it",
                         (int)run->pid, (unsigned)run->r->opts.eof_grace_ms);
            close_stream(run, i);
        }
    }
    if (run_over(run))
        finish(run);
}

/* A reaped child whose pipes are still open gets the EOF grace. */
static void arm_eof_grace(kq_run *run)
{
    if (run->exited && !run->killed && !run->eof_timer &&
        (run->out[0].fd >= 0 || run->out[1].fd >= 0))
        run->eof_timer = kq_loop_timer(run->r->loop, run->r->opts.eof_grace_ms,
                                       on_eof_grace, run);
}

static void on_pipe(kq_loop *loop, int fd, int events, void *arg)
{
    kq_run *run = arg;

    (void)loop;
    (void)events;
    drain(run, run->out[0].fd == fd ? 0 : 1, READ_BUDGET);
    if (run_over(run))
        finish(run);
}

static void on_sigchld(kq_loop *loop, int signo, void *arg)
{
    kq_runner *r = arg;
    int st;
    pid_t pid;

    (void)loop;
    (void)signo;
    /* Orphaned grandchildren (we are their subreaper) are reaped too. */
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (kq_run *run = r->runs; run; run = run->next) {
            if (run->pid == pid && !run->exited) {
                run->exited = true;
                run->wait_status = st;
                arm_eof_grace(run);
                break;
            }
        }
    }
    finish_over(r);
}

/* SIGKILL was sent a grace ago and the group is still there (processes
 * in uninterruptible sleep, or no subreaper): finish without it. */
static void on_give_up(kq_loop *loop, void *arg)
{
    kq_run *run = arg;

    (void)loop;
    run->kill_timer = 0;
    run->gave_up = true;
    if (group_alive(run))
        kq_warn("Process group %d survives SIGKILL; not waiting for it",
                (int)run->pid);
    finish(run);
}

/* SIGKILL to the whole group; the run ends when the group is empty or
 * after the EOF grace, whichever comes first. */
static void escalate(kq_run *run)
{
    kq_loop_timer_cancel(run->r->loop, run->kill_timer);
    run->escalated = true;
    signal_group(run, SIGKILL);
    run->kill_timer = kq_loop_timer(run->r->loop, run->r->opts.eof_grace_ms,
                                    on_give_up, run);
}

static void on_kill_grace(kq_loop *loop, void *arg)
{
    kq_run *run = arg;

    (void)loop;
    run->kill_timer = 0;
    escalate(run);
}

static void on_check(kq_loop *loop, void *arg)
{
    kq_run *run = arg;

    (void)loop;
    run->check_timer = 0;
    if (run_over(run))
        finish(run);
}

void kq_runner_kill(kq_runner *r, kq_run *run, const char *comment, bool now)
{
    if (!run->killed) {
        run->killed = true;
        run->kill_comment = comment ? strdup(comment) : NULL;
        kq_loop_timer_cancel(r->loop, run->eof_timer);
        run->eof_timer = 0;
        /* Killed jobs report no output: stop reading it. */
        close_stream(run, 0);
        close_stream(run, 1);
        signal_group(run, SIGTERM);
        if (!now)
            run->kill_timer = kq_loop_timer(r->loop, r->opts.kill_grace_ms,
                                            on_kill_grace, run);
    }
    if (now && !run->escalated)
        escalate(run);
    if (!run->check_timer)
        run->check_timer = kq_loop_timer(r->loop, 0, on_check, run);
}

size_t kq_runner_active(const kq_runner *r)
{
    return r->nruns;
}

uint64_t kq_runner_scans(const kq_runner *r)
{
    return r->scans;
}

/* ---- starting ------------------------------------------------------- */

/* Fills failure with the -43 result and returns rc. */
static int start_failed(const kq_runner *r, kq_run_result *failure, kq_buf *why, int rc)
{
    kq_buf comment = KQ_BUF_INIT;

    memset(failure, 0, sizeof *failure);
    failure->return_code = KQ_RC_START_FAILED;
    if (r->opts.worker_name)
        kq_buf_printf(&comment, "Failed to start job on %s: %s", r->opts.worker_name,
                      kq_buf_ptr(why));
    else
        kq_buf_printf(&comment, "Failed to start job: %s", kq_buf_ptr(why));
    failure->comment = kq_buf_steal(&comment, NULL);
    if (!failure->comment)
        failure->comment = dup_text("");
    failure->finished = kq_time_now();
    kq_buf_free(why);
    return rc;
}

static bool has_nul(const kq_str *s)
{
    return s->ptr && strlen(s->ptr) != s->len;
}

/* The spawn-side descriptors of the two output streams. */
typedef struct targets {
    int fd[2];   /* what becomes the child's fd 1 and 2 */
    bool shared; /* fd[1] is fd[0] (one file for both) */
} targets;

/* Closes our copies of the child's output descriptors. */
static void close_targets(targets *t)
{
    if (t->fd[0] >= 0)
        close(t->fd[0]);
    if (t->fd[1] >= 0 && !t->shared)
        close(t->fd[1]);
    t->fd[0] = t->fd[1] = -1;
}

/*
 * Prepares stream i of run: a pipe we read, /dev/null, or the redirect
 * file (created or truncated now, before the spawn, as the reference does).
 * 0, or -errno with why set to the reason.
 */
static int open_target(kq_run *run, const kq_job_info *job, int i, targets *t,
                       kq_buf *why)
{
    const kq_str *path = i ? &job->stderr_path : &job->stdout_path;
    kq_buf full = KQ_BUF_INIT, name = KQ_BUF_INIT;
    struct stat a, b;
    int p[2], rc = 0;

    if (!path->ptr) {
        if (pipe2(p, O_CLOEXEC) < 0) {
            rc = -errno;
            os_error(why, errno);
            return rc;
        }
        /* Only our end is non-blocking: the job writes as usual. */
        if ((rc = kq_net_set_nonblock(p[0])) < 0) {
            os_error(why, -rc);
            close(p[0]);
            close(p[1]);
            return rc;
        }
        run->out[i].fd = p[0];
        t->fd[i] = p[1];
        return 0;
    }
    if (kq_runner_is_null_path(path->ptr)) {
        t->fd[i] = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (t->fd[i] < 0) {
            rc = -errno;
            kq_buf_puts(why, "Failed to create file /dev/null: ");
            os_error(why, errno);
        }
        return rc;
    }
    /* A Kueue-C server already put an array job's index in place of
     * {index}; the index is given for a path that still holds one. */
    if ((rc = kq_outname_expand(&name, path->ptr, job->job_id, run->r->opts.worker_name,
                                job->workflow && job->workflow->has_array_index
                                    ? &job->workflow->array_index
                                    : NULL,
                                why)) < 0) {
        kq_buf_free(&name);
        return rc;
    }
    kq_runner_join_path(&full, job->cwd.ptr ? job->cwd.ptr : "", kq_buf_ptr(&name));
    full.oom |= name.oom;
    kq_buf_free(&name);
    if (full.oom) {
        kq_buf_free(&full);
        os_error(why, ENOMEM);
        return -ENOMEM;
    }
    /* One file named twice is opened once, so both streams share one
     * offset instead of overwriting each other. */
    if (i == 1 && run->out[0].path && t->fd[0] >= 0 &&
        (strcmp(run->out[0].path, kq_buf_ptr(&full)) == 0 ||
         (stat(kq_buf_ptr(&full), &b) == 0 && fstat(t->fd[0], &a) == 0 &&
          a.st_dev == b.st_dev && a.st_ino == b.st_ino))) {
        t->fd[1] = t->fd[0];
        t->shared = true;
    } else {
        t->fd[i] = open(kq_buf_ptr(&full),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (t->fd[i] < 0) {
            rc = -errno;
            kq_buf_printf(why, "Failed to create file %s: ", kq_buf_ptr(&full));
            os_error(why, errno);
            kq_buf_free(&full);
            return rc;
        }
    }
    run->out[i].path = kq_buf_steal(&full, NULL);
    if (!run->out[i].path) {
        os_error(why, ENOMEM);
        return -ENOMEM;
    }
    return 0;
}

/* The PATH exec searches when the environment has none (glibc's). */
#define DEFAULT_PATH "/bin:/usr/bin"

/*
 * The file to exec for prog: prog itself if it holds a '/' (relative to
 * the job's cwd, where the child goes first), else the first executable
 * file named prog in a directory of path (relative ones, and an empty one
 * meaning ".", are taken from cwd), as execvp looks.  Appends it to file;
 * 0, or -ENOENT / -EACCES with why set.
 */
static int find_program(const char *prog, const char *path, const char *cwd, kq_buf *file,
                        kq_buf *why)
{
    const char *p = path ? path : DEFAULT_PATH;
    char *denied = NULL;

    if (strchr(prog, '/')) {
        kq_buf_puts(file, prog);
        return 0;
    }
    for (;;) {
        size_t n = strcspn(p, ":"), at = file->len;
        struct stat st;

        if (n == 0 || p[0] != '/')
            kq_runner_join_path(file, cwd, "");
        kq_buf_append(file, p, n);
        if (n && p[n - 1] != '/')
            kq_buf_putc(file, '/');
        kq_buf_puts(file, prog);
        if (stat(kq_buf_ptr(file) + at, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(kq_buf_ptr(file) + at, X_OK) == 0) {
                free(denied);
                return 0;
            }
            if (!denied)
                denied = strdup(kq_buf_ptr(file) + at);
        }
        file->len = at;
        if (!p[n])
            break;
        p += n + 1;
    }
    if (denied) {
        kq_buf_printf(why, "%s: %s is not executable", prog, denied);
        free(denied);
        return -EACCES;
    }
    if (path)
        kq_buf_printf(why, "%s: not found in PATH=%s", prog, path);
    else
        kq_buf_printf(why, "%s: not found in " DEFAULT_PATH " (PATH is not set)", prog);
    return -ENOENT;
}

/* posix_spawnp with the child set up as the file comment says.  0, or the
 * error number of the failed step (exec included: glibc reports it) with
 * why set. */
static int spawn(kq_run *run, const kq_job_info *job, const targets *t, kq_buf *why)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t fa;
    sigset_t none, dfl;
    char **argv = calloc(job->cmd.len + 1, sizeof *argv), **env = NULL;
    kq_buf file = KQ_BUF_INIT;
    int rc;

    if (!argv || kq_jobenv_new(job, &env) < 0) {
        free(argv);
        os_error(why, ENOMEM);
        return ENOMEM;
    }
    for (size_t i = 0; i < job->cmd.len; i++)
        argv[i] = job->cmd.items[i].ptr;
    /* The job's PATH, not the worker's: posix_spawnp would search the
     * worker's own. */
    if ((rc = find_program(argv[0], kq_jobenv_get(env, "PATH"), job->cwd.ptr ? job->cwd.ptr : "",
                           &file, why)) < 0 || file.oom) {
        if (rc == 0)
            os_error(why, ENOMEM);
        kq_buf_free(&file);
        kq_jobenv_free(env);
        free(argv);
        return rc < 0 ? -rc : ENOMEM;
    }
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawn_file_actions_init(&fa);
    /* chdir first: a relative program path is then relative to cwd. */
    if ((rc = posix_spawn_file_actions_addchdir_np(&fa, job->cwd.ptr ? job->cwd.ptr : "")) == 0 &&
        (rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&fa, t->fd[0], 1)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&fa, t->fd[1], 2)) == 0 &&
        (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0) {
        run->start_ms = kq_loop_now(run->r->loop);
        /* A path with a '/' is not searched; a script without "#!" still
         * runs through /bin/sh, as execvp runs it. */
        rc = posix_spawnp(&run->pid, kq_buf_ptr(&file), &fa, &attr, argv, env);
    }
    if (rc != 0) {
        kq_buf_printf(why, "%s: ", kq_buf_ptr(&file));
        os_error(why, rc);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    kq_buf_free(&file);
    kq_jobenv_free(env);
    free(argv);
    return rc;
}

/* Whether the job can go to cwd; else why says so. */
static bool is_dir(const char *cwd, kq_buf *why)
{
    struct stat st;
    int err = ENOTDIR;

    if (stat(cwd, &st) < 0)
        err = errno;
    else if (S_ISDIR(st.st_mode))
        return true;
    kq_buf_printf(why, "working directory %s: ", cwd);
    os_error(why, err);
    return false;
}

int kq_runner_start(kq_runner *r, const kq_job_info *job, kq_run_done_cb *done,
                    void *arg, kq_run **out, kq_run_result *failure)
{
    kq_buf why = KQ_BUF_INIT;
    targets t = {{-1, -1}, false};
    kq_run *run;
    int rc;

    if (job->cmd.len == 0) {
        kq_buf_puts(&why, "Empty command!");
        return start_failed(r, failure, &why, -EINVAL);
    }
    /* exec cannot pass a NUL; Rust refuses such a command the same way. */
    rc = has_nul(&job->cwd) || has_nul(&job->stdout_path) ||
                 has_nul(&job->stderr_path) ? -EINVAL : 0;
    for (size_t i = 0; i < job->cmd.len && rc == 0; i++)
        if (has_nul(&job->cmd.items[i]))
            rc = -EINVAL;
    if (rc < 0) {
        kq_buf_puts(&why, "nul byte found in provided data");
        return start_failed(r, failure, &why, rc);
    }
    if (!(run = calloc(1, sizeof *run))) {
        os_error(&why, ENOMEM);
        return start_failed(r, failure, &why, -ENOMEM);
    }
    run->r = r;
    run->job_id = job->job_id;
    run->out[0].fd = run->out[1].fd = -1;
    run->done = done;
    run->arg = arg;
    if ((rc = open_target(run, job, 0, &t, &why)) < 0 ||
        (rc = open_target(run, job, 1, &t, &why)) < 0)
        goto fail;
    for (int i = 0; i < 2; i++) {
        if (run->out[i].fd >= 0 &&
            (rc = kq_loop_watch(r->loop, run->out[i].fd, KQ_READABLE, on_pipe, run)) < 0) {
            os_error(&why, -rc);
            goto fail;
        }
    }
    if (!is_dir(job->cwd.ptr ? job->cwd.ptr : "", &why)) {
        rc = -ENOTDIR;
        goto fail;
    }
    if ((rc = spawn(run, job, &t, &why)) != 0) {
        rc = -rc;
        goto fail;
    }
    close_targets(&t);
    run->next = r->runs;
    if (r->runs)
        r->runs->prev = run;
    r->runs = run;
    r->nruns++;
    *out = run;
    return 0;
fail:
    close_targets(&t);
    for (int i = 0; i < 2; i++) {
        close_stream(run, i);
        kq_buf_free(&run->out[i].data);
        free(run->out[i].path);
    }
    free(run);
    return start_failed(r, failure, &why, rc);
}

/* ---- the runner ----------------------------------------------------- */

int kq_runner_new(kq_loop *loop, const kq_runner_opts *opts, kq_runner **out)
{
    kq_runner *r = calloc(1, sizeof *r);
    int rc;

    if (!r)
        return -ENOMEM;
    r->loop = loop;
    r->opts = *opts;
    if (!r->opts.eof_grace_ms)
        r->opts.eof_grace_ms = KQ_RUNNER_EOF_GRACE_MS;
    if ((rc = kq_loop_signal(loop, SIGCHLD, on_sigchld, r)) < 0) {
        free(r);
        return rc;
    }
    /* Orphans of our jobs become our children: reaped here, and a killed
     * job's group is known empty as soon as its last member is reaped. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        kq_debug("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
    *out = r;
    return 0;
}

void kq_runner_free(kq_runner *r)
{
    if (!r)
        return;
    while (r->runs) {
        kq_run *run = r->runs;

        if (!run->exited)
            killpg(run->pid, SIGKILL);
        signal_marked(r, run->job_id, SIGKILL);
        free_run(run);
    }
    /* The kills still queued (those of runs that just finished too). */
    sweep(r);
    free(r->marked);
    free(r);
}
