/*
 * kq_follow.c - kueue follow and kueue log (see kq_follow.h).
 */
#include "kq_follow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_commands.h"
#include "kq_session.h"
#include "kq_wait.h"

static const char *const stream_name[2] = {"stdout", "stderr"};

typedef struct follower {
    kq_session s;
    uint64_t id;
    bool want[2];
    uint64_t lines;
    bool follow;             /* to the end (else: what is there, once) */
    kq_job_info job;         /* as last updated */
    bool running;            /* a run was seen ... */
    kq_time started;         /* ... which started then */
    bool waiting_said, not_live_said, where_said;
    bool first_output;       /* the first JobOutput is still to come */
    uint64_t pos[2];         /* where each stream stands */
    kq_follow_out out;
} follower;

/* A note for people on stderr, after what stdout holds so far. */
static void notice(const char *fmt, ...) KQ_PRINTF(1, 2);
static void notice(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("kueue: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

size_t kq_follow_last_lines(const char *text, size_t len, uint64_t n)
{
    size_t i = len;

    if (n == 0)
        return len;
    if (i > 0 && text[i - 1] == '\n')
        i--; /* the last line's own newline */
    for (; i > 0; i--)
        if (text[i - 1] == '\n' && --n == 0)
            return i;
    return 0;
}

void kq_follow_write(kq_follow_out *o, int stream, const char *text, size_t len)
{
    kq_buf *part = &o->partial[stream];
    const char *nl;

    if (!o->mark) {
        fwrite(text, 1, len, o->fp);
        return;
    }
    while (len && (nl = memchr(text, '\n', len))) {
        size_t n = (size_t)(nl - text) + 1;

        fprintf(o->fp, "[%s] ", stream_name[stream]);
        fwrite(kq_buf_ptr(part), 1, part->len, o->fp);
        fwrite(text, 1, n, o->fp);
        kq_buf_clear(part);
        text += n;
        len -= n;
    }
    kq_buf_append(part, text, len);
}

void kq_follow_end(kq_follow_out *o)
{
    for (int s = 0; s < 2; s++) {
        if (o->mark && o->partial[s].len)
            kq_follow_write(o, s, "\n", 1);
        kq_buf_free(&o->partial[s]);
    }
    fflush(o->fp);
}

/* As the worker reads a redirect path: "null" in any case, with spaces
 * around, discards. */
static bool discards(const kq_str *path)
{
    const char *p = path->ptr, *end = path->ptr + path->len;

    while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
        p++;
    while (end > p && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
        end--;
    return end - p == 4 && strncasecmp(p, "null", 4) == 0;
}

/* Whether stream s goes to a file (its text is "Redirected to ..."). */
static bool redirected(const follower *f, int s)
{
    return (s ? f->job.stderr_path : f->job.stdout_path).ptr != NULL;
}

/* Says once where the wanted streams that are not captured go. */
static void say_where(follower *f, const char *worker)
{
    const kq_job_info *j = &f->job;

    if (f->where_said)
        return;
    f->where_said = true;
    for (int s = 0; s < 2; s++) {
        const kq_str *path = s ? &j->stderr_path : &j->stdout_path;
        kq_buf file = KQ_BUF_INIT;

        if (!f->want[s] || !path->ptr)
            continue;
        if (discards(path)) {
            notice("job %" PRIu64 " discards its %s", f->id, stream_name[s]);
            continue;
        }
        /* Relative to the job's directory, as the worker opens it. */
        if (path->ptr[0] != '/' && j->cwd.ptr) {
            kq_buf_puts(&file, j->cwd.ptr);
            if (j->cwd.len == 0 || j->cwd.ptr[j->cwd.len - 1] != '/')
                kq_buf_putc(&file, '/');
        }
        kq_buf_puts(&file, path->ptr);
        notice("job %" PRIu64 " writes its %s to the file %s%s%s (not captured: follow that "
               "file there)", f->id, stream_name[s], kq_buf_ptr(&file), worker ? " on " : "",
               worker ? worker : "");
        kq_buf_free(&file);
    }
}

/* A JobUpdated: notes on what happened to the job. */
static int on_update(follower *f, const kq_job_info *job, kq_error *err)
{
    const kq_job_status *st = &job->status;

    kq_job_info_free(&f->job);
    if (kq_job_info_copy(&f->job, job) < 0) {
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    switch (st->tag) {
    case KQ_JOB_STATUS_RUNNING:
        if (f->running && kq_time_cmp(f->started, st->running.started) == 0)
            break;
        if (f->running)
            notice("job %" PRIu64 " runs again, on %s: its output starts over", f->id,
                   st->running.worker.ptr);
        else if (f->waiting_said)
            notice("job %" PRIu64 " started on %s", f->id, st->running.worker.ptr);
        f->running = true;
        f->started = st->running.started;
        f->pos[0] = f->pos[1] = 0;
        say_where(f, st->running.worker.ptr);
        break;
    case KQ_JOB_STATUS_PENDING:
    case KQ_JOB_STATUS_OFFERED:
        if (f->running) {
            notice("job %" PRIu64 " went back to the queue%s%s", f->id,
                   job->note.ptr ? ": " : "", job->note.ptr ? job->note.ptr : "");
            f->running = false;
        } else if (!f->waiting_said) {
            notice(f->follow ? "job %" PRIu64 " is waiting to start"
                             : "job %" PRIu64 " is waiting to start: no output yet", f->id);
        }
        f->waiting_said = true;
        say_where(f, NULL);
        break;
    default:
        say_where(f, st->tag == KQ_JOB_STATUS_FINISHED ? st->finished.worker.ptr : NULL);
        break;
    }
    return 0;
}

/* Prints a piece of stream s: the last lines of the first one, then every
 * piece from where the stream stands. */
static void print_piece(follower *f, int s, const kq_stream_text *p, bool first)
{
    const char *text = p->text.ptr;
    size_t len = p->text.len, from = 0;

    if (first) {
        from = kq_follow_last_lines(text, len, f->lines);
        /* Held text that does not start the stream may start inside a
         * line: that fragment goes. */
        if (from == 0 && p->offset > 0 && f->lines) {
            const char *nl = memchr(text, '\n', len);

            from = nl ? (size_t)(nl - text) + 1 : len;
        }
    } else if (p->offset > f->pos[s]) {
        notice("%" PRIu64 " bytes of job %" PRIu64 "'s %s skipped here (kueue show-job %" PRIu64
               " shows them once it ended)", p->offset - f->pos[s], f->id, stream_name[s], f->id);
    } else if (p->offset < f->pos[s]) {
        from = (size_t)(f->pos[s] - p->offset);
        while (from < len && ((unsigned char)text[from] & 0xC0) == 0x80)
            from++;
        if (from > len)
            from = len;
    }
    kq_follow_write(&f->out, s, text + from, len - from);
    if (p->offset + len > f->pos[s])
        f->pos[s] = p->offset + len;
}

/* A JobOutput.  1 when the follow is over, else 0. */
static int on_output(follower *f, const kq_s2c_job_output *m)
{
    bool first = f->first_output;
    const kq_stream_text *piece[2] = {m->has_stdout_chunk ? &m->stdout_chunk : NULL,
                                      m->has_stderr_chunk ? &m->stderr_chunk : NULL};

    if (m->job_id != f->id)
        return 0;
    f->first_output = false;
    for (int s = 0; s < 2; s++)
        if (piece[s] && f->want[s] && !redirected(f, s))
            print_piece(f, s, piece[s], first);
    fflush(f->out.fp);
    if (!m->live && !m->done && f->follow && !f->not_live_said &&
        f->job.status.tag == KQ_JOB_STATUS_RUNNING) {
        f->not_live_said = true;
        notice("live output needs a Kueue-C worker: %s does not send it (an original "
               "worker?); the output comes when job %" PRIu64 " ends",
               f->job.status.running.worker.ptr, f->id);
    }
    return m->done || !f->follow;
}

static bool ended(const kq_job_info *job)
{
    return job->status.tag == KQ_JOB_STATUS_FINISHED || job->status.tag == KQ_JOB_STATUS_CANCELED;
}

/* The exit status for how the job ended, as wait-job gives it. */
static int end_status(const follower *f)
{
    const kq_job_status *st = &f->job.status;
    int code = kq_wait_exit_code(st);

    if (st->tag == KQ_JOB_STATUS_CANCELED)
        fprintf(stderr, "Error: Job %" PRIu64 " was canceled\n", f->id);
    else if (st->tag == KQ_JOB_STATUS_FINISHED && code != st->finished.return_code)
        fprintf(stderr, "Error: Job %" PRIu64 " failed with code %" PRId32 ": %s\n", f->id,
                st->finished.return_code,
                st->finished.comment.ptr ? st->finished.comment.ptr : "");
    return code;
}

/* One message of the server.  1 when the follow is over, 0 to go on, or
 * -errno. */
static int take(follower *f, const kq_s2c *m, kq_error *err)
{
    switch (m->tag) {
    case KQ_S2C_JOB_UPDATED:
        if (m->job_updated.job_id != f->id)
            return 0;
        if (f->running && m->job_updated.status.tag == KQ_JOB_STATUS_CANCELED)
            notice("job %" PRIu64 " was canceled while it ran: its worker kills it", f->id);
        return on_update(f, &m->job_updated, err);
    case KQ_S2C_JOB_OUTPUT:
        return on_output(f, &m->job_output);
    default:
        return kq_session_unexpected(err, "JobUpdated or JobOutput", m);
    }
}

int kq_follow_run(const kq_cli_args *args, const kq_config *cfg, kq_error *err)
{
    follower f = {.id = args->pos_number[0], .first_output = true, .out = {.fp = stdout}};
    kq_c2s req = {.tag = KQ_C2S_FOLLOW_JOB};
    kq_error why;
    kq_s2c m;
    int rc;

    f.follow = args->cmd->id == KQ_CMD_FOLLOW || args->given[KQ_OPT_FOLLOW];
    f.lines = args->given[KQ_OPT_LINES] ? args->number[KQ_OPT_LINES] : KQ_FOLLOW_LINES;
    f.out.mark = args->given[KQ_OPT_BOTH];
    f.want[0] = f.out.mark || !args->given[KQ_OPT_ERR_STREAM];
    f.want[1] = f.out.mark || args->given[KQ_OPT_ERR_STREAM];
    req.follow_job = (kq_c2s_follow_job){f.id, f.want[0], f.want[1]};
    if ((rc = kq_commands_connect(cfg, false, &f.s, err)) < 0)
        return rc;
    if ((rc = kq_session_request_ext(&f.s, &req, "follow", &m, err)) < 0)
        goto out;
    if (m.tag != KQ_S2C_JOB_UPDATED) {
        rc = kq_session_unexpected(err, "JobUpdated", &m);
        kq_s2c_free(&m);
        goto out;
    }
    for (;;) {
        rc = take(&f, &m, &why);
        kq_s2c_free(&m);
        if (rc != 0)
            break;
        /* Once the job ended, the rest of its output is on its way. */
        rc = kq_session_recv(&f.s, &m, ended(&f.job) ? KQ_FOLLOW_END_MS : -1, &why);
        if (rc == 0) {
            notice("job %" PRIu64 " ended, but the end of its output did not come; kueue "
                   "show-job %" PRIu64 " shows what the server has", f.id, f.id);
            break;
        }
        if (rc < 0)
            break;
    }
    if (rc < 0)
        kq_error_set(err, "following job %" PRIu64 ": %s", f.id, why.msg);
    kq_follow_end(&f.out);
    if (rc >= 0)
        rc = f.follow ? end_status(&f) : 0;
out:
    kq_session_close(&f.s);
    kq_job_info_free(&f.job);
    return rc;
}
