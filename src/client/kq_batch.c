/*
 * kq_batch.c - pipelined submission of one job per input line (see
 * kq_batch.h).  Owns the lines read and the ids of the accepted jobs.
 */
#include "kq_batch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "kq_commands.h"
#include "kq_jobspec.h"
#include "kq_session.h"
#include "kq_utf8.h"
#include "kq_wait.h"

typedef struct batch_line {
    char *text;
    size_t number; /* 1-based line number in the input */
} batch_line;

typedef struct batch {
    const char *source; /* for messages */
    batch_line *lines;
    size_t nlines, cap;
    uint64_t *ids;      /* ids[i] is the job of accepted[i] */
    size_t *accepted;   /* index into lines of each accepted job */
    size_t nids;
} batch;

static void batch_free(batch *b)
{
    for (size_t i = 0; i < b->nlines; i++)
        free(b->lines[i].text);
    free(b->lines);
    free(b->ids);
    free(b->accepted);
}

/* Keeps line (len bytes, NUL-terminated) as a job if it is one. */
static int add_line(batch *b, const char *line, size_t len, size_t number,
                    kq_error *err)
{
    const char *p = line + strspn(line, " \t");

    if (*p == '\0' || *p == '#')
        return 0;
    if (strlen(line) != len || !kq_utf8_valid(line, len)) {
        kq_error_set(err, "line %zu of %s is not valid UTF-8 text", number,
                     b->source);
        return -EINVAL;
    }
    if (b->nlines == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        batch_line *l = realloc(b->lines, cap * sizeof *l);

        if (!l)
            goto oom;
        b->lines = l;
        b->cap = cap;
    }
    if (!(b->lines[b->nlines].text = strdup(line)))
        goto oom;
    b->lines[b->nlines++].number = number;
    return 0;
oom:
    kq_error_set(err, "out of memory reading %s", b->source);
    return -ENOMEM;
}

/* Reads the job lines of path (stdin for NULL or "-"). */
static int read_lines(batch *b, const char *path, kq_error *err)
{
    bool own = path && strcmp(path, "-") != 0;
    FILE *f = own ? fopen(path, "r") : stdin;
    char *buf = NULL;
    size_t cap = 0, number = 0;
    ssize_t n;
    int rc = 0, read_errno = 0;

    b->source = own ? path : "standard input";
    if (!f) {
        rc = -errno;
        kq_error_set(err, "cannot open %s: %s", path, strerror(-rc));
        return rc;
    }
    while (rc == 0) {
        /* getline's -1 means end of file or an error: keep errno for the
         * error, before anything else can change it. */
        errno = 0;
        if ((n = getline(&buf, &cap, f)) < 0) {
            read_errno = errno;
            break;
        }
        number++;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        rc = add_line(b, buf, (size_t)n, number, err);
    }
    if (rc == 0 && ferror(f)) {
        rc = -EIO;
        kq_error_set(err, "cannot read %s: %s", b->source,
                     strerror(read_errno ? read_errno : EIO));
    }
    free(buf);
    if (own)
        fclose(f);
    return rc;
}

/*
 * Issues every line as a job, keeping up to KQ_BATCH_WINDOW requests in
 * flight, and prints the id of each accepted job.  Rejections are
 * explained on stderr and counted in *failed.
 */
static int issue_all(kq_session *s, const kq_jobspec *spec, batch *b,
                     size_t *failed, kq_error *err)
{
    kq_str words[3] = {KQ_STR_LIT("sh"), KQ_STR_LIT("-c"), KQ_STR_NULL};
    kq_str_list cmd = {3, words};
    size_t sent = 0, answered = 0;
    int rc;

    b->ids = malloc(b->nlines * sizeof *b->ids);
    b->accepted = malloc(b->nlines * sizeof *b->accepted);
    if (!b->ids || !b->accepted) {
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    while (answered < b->nlines) {
        kq_s2c reply;

        /* With workflow options the first job asks whether the server
         * takes them (an original one closes the connection); then the
         * rest follow as IssueJob does. */
        while (sent < b->nlines && sent - answered < KQ_BATCH_WINDOW &&
               kq_session_can_queue(s) && (!spec->ext_option || s->speaks_ext)) {
            kq_c2s req = {.tag = spec->ext_option ? KQ_C2S_SUBMIT_JOB : KQ_C2S_ISSUE_JOB};

            words[2] = kq_str_view(b->lines[sent++].text);
            kq_jobspec_job(spec, &cmd, spec->ext_option ? &req.submit_job.job_info
                                                        : &req.issue_job);
            if (kq_session_queue(s, &req) < 0) {
                kq_error_set(err, "out of memory");
                return -ENOMEM;
            }
        }
        if (sent == 0) {
            kq_c2s req = {.tag = KQ_C2S_SUBMIT_JOB};

            words[2] = kq_str_view(b->lines[sent++].text);
            kq_jobspec_job(spec, &cmd, &req.submit_job.job_info);
            rc = kq_session_request_ext(s, &req, spec->ext_option, &reply, err);
        } else {
            rc = kq_session_recv(s, &reply, -1, err);
        }
        if (rc < 0)
            return rc;
        if (reply.tag == KQ_S2C_ACCEPT_JOB) {
            if (b->nids == 0)
                kq_commands_warn_no_worker(&reply.accept_job);
            b->ids[b->nids] = reply.accept_job.job_id;
            b->accepted[b->nids++] = answered;
            printf("%" PRIu64 "\n", reply.accept_job.job_id);
        } else if (reply.tag == KQ_S2C_REJECT_JOB) {
            fprintf(stderr, "Error: line %zu: Job rejected by server: %s\n",
                    b->lines[answered].number, reply.reject_job.reason.ptr);
            (*failed)++;
        } else {
            rc = kq_session_unexpected(err, "AcceptJob or RejectJob", &reply);
            kq_s2c_free(&reply);
            return rc;
        }
        answered++;
        kq_s2c_free(&reply);
    }
    return 0;
}

/* Waits for every accepted job; explains each one that did not succeed
 * on stderr and counts it in *failed. */
static int wait_all(kq_session *s, batch *b, size_t *failed, kq_error *err)
{
    kq_job_info *final = calloc(b->nids ? b->nids : 1, sizeof *final);
    int rc;

    if (!final) {
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    rc = kq_wait_jobs(s, b->ids, b->nids, final, NULL, err);
    for (size_t i = 0; rc == 0 && i < b->nids; i++) {
        const kq_job_status *st = &final[i].status;
        size_t line = b->lines[b->accepted[i]].number;

        if (st->tag == KQ_JOB_STATUS_CANCELED) {
            fprintf(stderr, "Job %" PRIu64 " (line %zu) was canceled\n",
                    b->ids[i], line);
            (*failed)++;
        } else if (st->finished.return_code != 0) {
            fprintf(stderr, "Job %" PRIu64 " (line %zu) failed with code %"
                            PRId32 "\n", b->ids[i], line,
                    st->finished.return_code);
            (*failed)++;
        }
    }
    if (rc == 0)
        for (size_t i = 0; i < b->nids; i++)
            kq_job_info_free(&final[i]);
    free(final);
    return rc;
}

int kq_batch_run(const kq_cli_args *args, const kq_config *cfg,
                 kq_error *err)
{
    batch b = {0};
    kq_jobspec spec;
    kq_session s;
    size_t failed = 0;
    int rc;

    if ((rc = read_lines(&b, args->pos[0], err)) < 0)
        goto out_lines;
    if (b.nlines == 0)
        goto out_lines;
    if ((rc = kq_jobspec_init(&spec, args, cfg, err)) < 0)
        goto out_lines;
    if ((rc = kq_commands_connect(cfg, true, &s, err)) < 0)
        goto out_spec;
    rc = issue_all(&s, &spec, &b, &failed, err);
    fflush(stdout);
    if (rc == 0 && args->given[KQ_OPT_WAIT])
        rc = wait_all(&s, &b, &failed, err);
    kq_session_close(&s);
    if (rc == 0 && failed > 0) {
        fprintf(stderr, "Error: %zu of %zu jobs were rejected, failed or "
                        "were canceled\n", failed, b.nlines);
        rc = 1;
    }
out_spec:
    kq_jobspec_free(&spec);
out_lines:
    batch_free(&b);
    return rc;
}
