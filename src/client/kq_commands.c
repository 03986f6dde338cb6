/*
 * kq_commands.c - the subcommands that talk to the server (see
 * kq_commands.h).  Each runs one session: connect, authenticate when the
 * request needs it, send, take the answer, print, say Bye.
 */
#include "kq_commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kq_alloc_cmd.h"
#include "kq_batch.h"
#include "kq_follow.h"
#include "kq_jobspec.h"
#include "kq_net.h"
#include "kq_print.h"
#include "kq_reason.h"
#include "kq_reasons.h"
#include "kq_relay.h"
#include "kq_relay_link.h"
#include "kq_wait.h"
#include "kq_wfspec.h"

/* list-jobs -n off a terminal: the reference's 1000-line fallback - 4. */
#define DEFAULT_NUM_JOBS 996

typedef struct client {
    const kq_cli_args *args;
    const kq_config *cfg;
    bool json;
    kq_session s;
} client;

/* ---- output ----------------------------------------------------------- */

int kq_commands_emit(kq_buf *b, kq_error *err)
{
    int rc = 0;

    if (b->oom) {
        kq_error_set(err, "out of memory formatting the output");
        rc = -ENOMEM;
    } else {
        fwrite(kq_buf_ptr(b), 1, b->len, stdout);
    }
    kq_buf_free(b);
    return rc;
}

int kq_commands_emit_json(const kq_s2c *msg, kq_error *err)
{
    kq_buf b = KQ_BUF_INIT;

    kq_s2c_encode(msg, &b);
    kq_buf_putc(&b, '\n');
    return kq_commands_emit(&b, err);
}

/* A reply that is not the expected answer: with --json a refusal is still
 * printed, as the answer.  Returns the error from kq_session_unexpected. */
static int bad_reply(const client *c, const kq_s2c *reply,
                     const char *expected, kq_error *err)
{
    if (c->json && reply->tag == KQ_S2C_REQUEST_RESPONSE)
        kq_commands_emit_json(reply, err);
    return kq_session_unexpected(err, expected, reply);
}

/* Whether fd is a terminal that reports its size (then in *ws). */
static bool term_size(int fd, struct winsize *ws)
{
    return isatty(fd) && ioctl(fd, TIOCGWINSZ, ws) == 0;
}

/* Output options for stdout: now, the local time zone, the terminal width
 * (0 when stdout is not a terminal: no width limit) and whether to colour. */
static void print_opts(kq_print_opts *o)
{
    struct winsize ws;

    memset(o, 0, sizeof *o);
    o->now = kq_time_now();
    o->utc_offset = kq_local_utc_offset;
    if (term_size(STDOUT_FILENO, &ws))
        o->term_width = ws.ws_col;
    o->color = kq_color_enabled(STDOUT_FILENO);
}

/* The default of list-jobs -n: the height of the first terminal among
 * stdout, stderr and stdin (as the reference) minus 4, at least 1; 996
 * when none is a terminal. */
static uint64_t default_num_jobs(void)
{
    static const int fds[] = {STDOUT_FILENO, STDERR_FILENO, STDIN_FILENO};
    struct winsize ws;

    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
        if (term_size(fds[i], &ws) && ws.ws_row > 0)
            return ws.ws_row > 5 ? ws.ws_row - 4u : 1u;
    return DEFAULT_NUM_JOBS;
}

/* ---- session ---------------------------------------------------------- */

/* Connects s to the server by itself (the relay's fallback too). */
static int connect_direct(kq_session *s, const void *ctx, bool auth, kq_error *err)
{
    const kq_config *cfg = ctx;
    const char *file = cfg->file ? cfg->file : "the configuration";
    char where[300];
    kq_error why;
    int rc;

    rc = kq_session_open(s, cfg->common_settings.server_name,
                         cfg->common_settings.server_port,
                         kq_tls_mode_parse(cfg->common_settings.encryption),
                         cfg->common_settings.shared_secret, &why);
    if (rc < 0) {
        if (rc == -EACCES)
            kq_error_set(err, "Authentication failed! The shared_secret in %s must be "
                              "the server's (%s).", file, why.msg);
        else if (s->reached)
            *err = why;
        if (s->reached)
            return rc;
        kq_net_host_port(where, sizeof where, cfg->common_settings.server_name,
                         cfg->common_settings.server_port);
        kq_error_set(err, "%s: is kueue_server running on %s? "
                          "(server_name/server_port in %s)", why.msg, where, file);
        return rc;
    }
    if (s->plain_fallback)
        fprintf(stderr, "Warning: the server does not speak TLS (an original Kueue?): "
                        "talking in plain text; set common_settings.encryption = \"off\" "
                        "for this server, or \"required\" to refuse plain text\n");
    if (auth && (rc = kq_session_auth(s, cfg->common_settings.shared_secret,
                                      file, err)) < 0) {
        kq_session_close(s);
        return rc;
    }
    return 0;
}

/*
 * Over TLS, the user's relay for the server (kq_relay.h): 1 with s open
 * through it, or 0 when the call connects by itself (*spawn then says
 * whether none runs, so that this call should start one).  A directory
 * that is not private is warned about: no relay then.
 */
static int via_relay(const kq_config *cfg, bool auth, kq_session *s, bool *spawn)
{
    kq_relay_where w;
    kq_error why;
    int fd, rc;

    *spawn = false;
    if (cfg->client_settings.relay_idle_seconds == 0 ||
        kq_tls_mode_parse(cfg->common_settings.encryption) == KQ_TLS_OFF)
        return 0;
    if (kq_relay_where_of(cfg, &w, &why) < 0) {
        fprintf(stderr, "Warning: no TLS relay (each call makes its own TLS connection): %s; "
                        "client_settings.relay_idle_seconds = 0 turns the relay off\n",
                why.msg);
        return 0;
    }
    rc = kq_relay_dial(&w, &fd);
    if (rc < 0) {
        *spawn = rc == -ENOENT || rc == -ECONNREFUSED;
        return 0;
    }
    kq_session_open_relay(s, fd, connect_direct, cfg, auth);
    return 1;
}

int kq_commands_connect(const kq_config *cfg, bool auth, kq_session *s,
                        kq_error *err)
{
    bool spawn;
    int rc;

    if (via_relay(cfg, auth, s, &spawn))
        return 0;
    rc = connect_direct(s, cfg, auth, err);
    /* The relay starts once this user reached this server over TLS. */
    if (rc == 0 && spawn && s->tls)
        kq_relay_spawn(cfg);
    return rc;
}

/* ---- jobs ------------------------------------------------------------- */

void kq_commands_warn_no_worker(const kq_job_info *accepted)
{
    if (accepted->wait_reason.ptr && strcmp(accepted->wait_reason.ptr, KQ_REASON_NO_WORKER) == 0)
        fprintf(stderr, "Warning: no worker is connected; job %" PRIu64 " waits until one "
                        "connects (kueue list-workers)\n", accepted->job_id);
}

/*
 * Reports how job ended after a wait: with --json the final JobUpdated;
 * else its return code on stdout when print_code.  A canceled job or a
 * code the exit status cannot carry is explained on stderr.  Returns the
 * exit status (kq_wait_exit_code).
 */
static int report_end(const client *c, const kq_job_info *job,
                      bool print_code, kq_error *err)
{
    const kq_job_status *st = &job->status;
    int code = kq_wait_exit_code(st), rc = 0;

    if (c->json) {
        kq_s2c msg = {.tag = KQ_S2C_JOB_UPDATED, .job_updated = *job};

        rc = kq_commands_emit_json(&msg, err);
    } else if (print_code && st->tag == KQ_JOB_STATUS_FINISHED) {
        printf("%" PRId32 "\n", st->finished.return_code);
    }
    if (rc < 0)
        return rc;
    if (st->tag == KQ_JOB_STATUS_CANCELED)
        fprintf(stderr, "Error: Job %" PRIu64 " was canceled\n", job->job_id);
    else if (code != st->finished.return_code)
        fprintf(stderr, "Error: Job %" PRIu64 " failed with code %" PRId32
                        ": %s\n", job->job_id, st->finished.return_code,
                st->finished.comment.ptr ? st->finished.comment.ptr : "");
    return code;
}

/* What a wait for one job has told its user of why it waits. */
typedef struct waiting {
    char *told; /* the reason last printed, or NULL */
} waiting;

/* Prints to stderr why job waits, when it is known and whenever it
 * changes (stdout stays the job's return code, as without reasons). */
static void tell_reason(void *ctx, const kq_job_info *job)
{
    waiting *wt = ctx;
    const char *reason = job->wait_reason.ptr;

    if (job->status.tag != KQ_JOB_STATUS_PENDING || !reason || !kq_reason_tells(reason) ||
        (wt->told && strcmp(wt->told, reason) == 0))
        return;
    fprintf(stderr, "Job %" PRIu64 " waits: %s\n", job->job_id, reason);
    free(wt->told);
    wt->told = strdup(reason);
}

/* Waits for one job and reports its end; first tells why it waits if
 * accepted (its AcceptJob) says so. */
static int wait_one(client *c, uint64_t id, const kq_job_info *accepted, bool print_code,
                    kq_error *err)
{
    waiting wt = {NULL};
    kq_wait_watch watch = {tell_reason, &wt, true};
    kq_job_info final;
    int rc;

    if (accepted)
        tell_reason(&wt, accepted);
    rc = kq_wait_jobs(&c->s, &id, 1, &final, &watch, err);
    free(wt.told);
    if (rc < 0)
        return rc;
    rc = report_end(c, &final, print_code, err);
    kq_job_info_free(&final);
    return rc;
}

/* The jobs of an array, as a JobList (ListJobsMatching, which the
 * original refuses); an array without jobs is an error. */
static int list_array(client *c, uint64_t array_id, kq_s2c *reply, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_LIST_JOBS_MATCHING};
    int rc;

    req.list_jobs_matching.num_jobs = UINT64_MAX;
    req.list_jobs_matching.has_array_id = true;
    req.list_jobs_matching.array_id = array_id;
    rc = c->s.speaks_ext ? kq_session_request(&c->s, &req, reply, err)
                         : kq_session_request_ext(&c->s, &req, "--array", reply, err);
    if (rc < 0)
        return rc;
    if (reply->tag != KQ_S2C_JOB_LIST) {
        rc = bad_reply(c, reply, "JobList", err);
        kq_s2c_free(reply);
        return rc;
    }
    if (reply->job_list.job_infos.len == 0) {
        kq_s2c_free(reply);
        kq_error_set(err, "Array with ID=%" PRIu64 " not found!", array_id);
        return -EPERM;
    }
    return 0;
}

static bool job_ended(const kq_job_info *j)
{
    return j->status.tag == KQ_JOB_STATUS_FINISHED || j->status.tag == KQ_JOB_STATUS_CANCELED;
}

static bool job_failed(const kq_job_info *j)
{
    return j->status.tag == KQ_JOB_STATUS_CANCELED || j->status.finished.return_code != 0;
}

/*
 * Waits until every job of an array has ended: 0 if all succeeded, else 1
 * with how many did not on stderr.  With --json, the array's JobList at
 * the end.
 */
static int wait_array(client *c, uint64_t array_id, kq_error *err)
{
    kq_s2c list;
    kq_job_info *final = NULL;
    uint64_t *open_ids = NULL;
    size_t n, nopen = 0, bad = 0;
    int rc;

    if ((rc = list_array(c, array_id, &list, err)) < 0)
        return rc;
    n = list.job_list.job_infos.len;
    open_ids = malloc(n * sizeof *open_ids);
    final = calloc(n, sizeof *final);
    if (!open_ids || !final) {
        kq_error_set(err, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const kq_job_info *j = &list.job_list.job_infos.items[i];

        if (!job_ended(j))
            open_ids[nopen++] = j->job_id;
        else if (job_failed(j))
            bad++;
    }
    if ((rc = kq_wait_jobs(&c->s, open_ids, nopen, final, NULL, err)) < 0)
        goto out;
    for (size_t i = 0; i < nopen; i++) {
        bad += job_failed(&final[i]);
        kq_job_info_free(&final[i]);
    }
    if (c->json) {
        kq_s2c_free(&list);
        if ((rc = list_array(c, array_id, &list, err)) < 0)
            goto out_lists;
        rc = kq_commands_emit_json(&list, err);
    }
    if (rc == 0 && bad) {
        fflush(stdout);
        fprintf(stderr, "Error: %zu of %zu jobs of array %" PRIu64 " failed or were canceled\n",
                bad, n, array_id);
        rc = 1;
    }
out:
    kq_s2c_free(&list);
out_lists:
    free(final);
    free(open_ids);
    return rc;
}

static int run_cmd(client *c, kq_error *err)
{
    const kq_cli_args *a = c->args;
    kq_jobspec spec;
    kq_str_list argv;
    kq_c2s req = {.tag = KQ_C2S_ISSUE_JOB};
    kq_s2c reply;
    int rc;

    if ((rc = kq_jobspec_init(&spec, a, c->cfg, err)) < 0)
        return rc;
    if ((rc = kq_jobspec_argv(a->trailing, a->ntrailing, &argv, err)) < 0)
        goto out_spec;
    if ((rc = kq_commands_connect(c->cfg, true, &c->s, err)) < 0)
        goto out_argv;
    if (spec.ext_option) {
        /* A message the original refuses: never run without its options. */
        req.tag = KQ_C2S_SUBMIT_JOB;
        kq_jobspec_job(&spec, &argv, &req.submit_job.job_info);
        req.submit_job.has_array = spec.has_array;
        req.submit_job.array = spec.array;
        rc = kq_session_request_ext(&c->s, &req, spec.ext_option, &reply, err);
    } else {
        kq_jobspec_job(&spec, &argv, &req.issue_job);
        rc = kq_session_request(&c->s, &req, &reply, err);
    }
    if (rc < 0)
        goto out_argv;
    if (reply.tag == KQ_S2C_ACCEPT_JOB) {
        uint64_t id = reply.accept_job.job_id;

        if (spec.has_array && a->given[KQ_OPT_WAIT]) {
            /* The array's id first: it names the jobs being waited for. */
            if (!c->json) {
                printf("%" PRIu64 "\n", id);
                fflush(stdout);
            }
            rc = wait_array(c, id, err);
        } else if (a->given[KQ_OPT_WAIT])
            rc = wait_one(c, id, &reply.accept_job, true, err);
        else if (c->json)
            rc = kq_commands_emit_json(&reply, err);
        else
            printf("%" PRIu64 "\n", id);
        if (!a->given[KQ_OPT_WAIT])
            kq_commands_warn_no_worker(&reply.accept_job);
    } else if (reply.tag == KQ_S2C_REJECT_JOB) {
        if (c->json)
            kq_commands_emit_json(&reply, err);
        kq_error_set(err, "Job rejected by server: %s",
                     reply.reject_job.reason.ptr);
        rc = -EPERM;
    } else {
        rc = bad_reply(c, &reply, "AcceptJob or RejectJob", err);
    }
    kq_s2c_free(&reply);
out_argv:
    free(argv.items);
out_spec:
    kq_jobspec_free(&spec);
    return rc;
}

static int run_wait_job(client *c, kq_error *err)
{
    int rc = kq_commands_connect(c->cfg, false, &c->s, err);

    if (rc < 0)
        return rc;
    if (c->args->given[KQ_OPT_ARRAY_ID])
        return wait_array(c, c->args->number[KQ_OPT_ARRAY_ID], err);
    return wait_one(c, c->args->pos_number[0], NULL, false, err);
}

/*
 * Sends req (after authenticating if auth) and takes the RequestResponse:
 * its text on stdout when it succeeded, as the error otherwise.  feature
 * names a Kueue-C extension request (refused by the original: "this server
 * does not support <feature>"), NULL a request of the original.
 */
static int run_request_response(client *c, const kq_c2s *req, bool auth,
                                const char *feature, kq_error *err)
{
    kq_s2c reply;
    int rc;

    if ((rc = kq_commands_connect(c->cfg, auth, &c->s, err)) < 0)
        return rc;
    rc = feature ? kq_session_request_ext(&c->s, req, feature, &reply, err)
                 : kq_session_request(&c->s, req, &reply, err);
    if (rc < 0)
        return rc;
    if (reply.tag != KQ_S2C_REQUEST_RESPONSE || !reply.request_response.success)
        rc = bad_reply(c, &reply, "RequestResponse", err);
    else if (c->json)
        rc = kq_commands_emit_json(&reply, err);
    else
        printf("%s\n", reply.request_response.text.ptr);
    kq_s2c_free(&reply);
    return rc;
}

/* Whether text ends with tail. */
static bool ends_with(const char *text, const char *tail)
{
    size_t n = strlen(text), m = strlen(tail);

    return n >= m && strcmp(text + n - m, tail) == 0;
}

/* drain and undrain: DrainWorker, a Kueue-C extension the original
 * refuses by closing the connection. */
static int run_drain(client *c, bool drain, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_DRAIN_WORKER};

    req.drain_worker.worker = kq_str_view(c->args->pos[0]);
    req.drain_worker.drain = drain;
    return run_request_response(c, &req, true, "drain", err);
}

/* A new job like the ended job old: the same command, directory,
 * resources, redirections, name, priority, time limit and retries; the
 * dependencies of the command line.  It borrows from old and wf, and
 * wf->after/after_any are the caller's.  Whether it needs SubmitJob. */
static bool restarted(const kq_job_info *old, kq_workflow *wf, kq_job_info *job)
{
    const kq_workflow *was = old->workflow;

    *job = *old;
    job->job_id = 0;
    job->note = KQ_STR_NULL;
    job->status = (kq_job_status){.tag = KQ_JOB_STATUS_PENDING};
    job->status.pending.issued = kq_time_now();
    if (was) {
        wf->priority = was->priority;
        wf->name = was->name;
        wf->has_time_limit_seconds = was->has_time_limit_seconds;
        wf->time_limit_seconds = was->time_limit_seconds;
        wf->has_retries = was->has_retries;
        wf->retries = was->retries;
    }
    if (!wf->priority && !wf->name.ptr && !wf->has_time_limit_seconds && !wf->has_retries &&
        !wf->has_after && !wf->has_after_any) {
        job->workflow = NULL;
        return false;
    }
    job->workflow = wf;
    return true;
}

/* One of --after and --after-any of restart (checked by the parser). */
static int restart_ids(const client *c, kq_opt_id id, bool *has, kq_u64_set *set,
                       kq_error *err)
{
    const char *why;

    if (!c->args->given[id])
        return 0;
    if (kq_wf_parse_ids(c->args->value[id], set, &why) < 0) {
        kq_error_set(err, "%s", why);
        return -ENOMEM;
    }
    *has = true;
    return 0;
}

/* restart: ShowJob, then IssueJob (or SubmitJob for a job with workflow
 * options) of a job like it. */
static int run_restart(client *c, kq_error *err)
{
    uint64_t id = c->args->pos_number[0];
    kq_c2s req = {.tag = KQ_C2S_SHOW_JOB};
    kq_workflow wf = {0};
    kq_s2c shown, reply;
    const kq_job_status *st;
    int rc;

    if ((rc = restart_ids(c, KQ_OPT_AFTER, &wf.has_after, &wf.after, err)) < 0 ||
        (rc = restart_ids(c, KQ_OPT_AFTER_ANY, &wf.has_after_any, &wf.after_any, err)) < 0)
        goto out_ids;
    req.show_job.job_id = id;
    if ((rc = kq_commands_connect(c->cfg, true, &c->s, err)) < 0 ||
        (rc = kq_session_request(&c->s, &req, &shown, err)) < 0)
        goto out_ids;
    if (shown.tag != KQ_S2C_JOB_INFO) {
        rc = bad_reply(c, &shown, "JobInfo", err);
        goto out_shown;
    }
    st = &shown.job_info.job_info.status;
    if (st->tag != KQ_JOB_STATUS_FINISHED && st->tag != KQ_JOB_STATUS_CANCELED) {
        kq_error_set(err, "Job ID=%" PRIu64 " has not ended (it is %s): restart takes a "
                          "finished, failed or canceled job", id,
                     st->tag == KQ_JOB_STATUS_RUNNING ? "running"
                     : st->tag == KQ_JOB_STATUS_OFFERED ? "offered to a worker"
                                                       : "pending");
        rc = -EPERM;
        goto out_shown;
    }
    if (restarted(&shown.job_info.job_info, &wf, &req.submit_job.job_info)) {
        req.tag = KQ_C2S_SUBMIT_JOB;
        req.submit_job.has_array = false;
        rc = kq_session_request_ext(&c->s, &req, c->args->given[KQ_OPT_AFTER] ? "--after"
                                                 : c->args->given[KQ_OPT_AFTER_ANY]
                                                     ? "--after-any"
                                                     : "restart with workflow options",
                                    &reply, err);
    } else {
        req.tag = KQ_C2S_ISSUE_JOB;
        req.issue_job = req.submit_job.job_info;
        rc = kq_session_request(&c->s, &req, &reply, err);
    }
    if (rc < 0)
        goto out_shown;
    if (reply.tag == KQ_S2C_ACCEPT_JOB) {
        if (c->json)
            rc = kq_commands_emit_json(&reply, err);
        else
            printf("%" PRIu64 "\n", reply.accept_job.job_id);
    } else if (reply.tag == KQ_S2C_REJECT_JOB) {
        if (c->json)
            kq_commands_emit_json(&reply, err);
        kq_error_set(err, "Job rejected by server: %s", reply.reject_job.reason.ptr);
        rc = -EPERM;
    } else {
        rc = bad_reply(c, &reply, "AcceptJob or RejectJob", err);
    }
    kq_s2c_free(&reply);
out_shown:
    kq_s2c_free(&shown);
out_ids:
    kq_u64_set_free(&wf.after);
    kq_u64_set_free(&wf.after_any);
    return rc;
}

static int run_set_priority(client *c, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_SET_JOB_PRIORITY};

    req.set_job_priority.job_id = c->args->pos_number[0];
    req.set_job_priority.priority = (int32_t)c->args->pos_signed[1];
    return run_request_response(c, &req, true, "set-priority", err);
}

static int run_remove_job(client *c, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_REMOVE_JOB};
    uint64_t id = c->args->pos_number[0];
    kq_error refusal;
    int rc;

    if (c->args->given[KQ_OPT_ARRAY_ID]) {
        req.tag = KQ_C2S_REMOVE_ARRAY;
        req.remove_array.array_id = c->args->number[KQ_OPT_ARRAY_ID];
        req.remove_array.kill = c->args->given[KQ_OPT_KILL];
        return run_request_response(c, &req, true, "--array", err);
    }
    req.remove_job.job_id = id;
    req.remove_job.kill = c->args->given[KQ_OPT_KILL];
    rc = run_request_response(c, &req, true, NULL, err);
    if (rc != -EPERM)
        return rc;
    /* The refusals are the reference's words; say what to do instead. */
    refusal = *err;
    if (ends_with(refusal.msg, " has already started!"))
        kq_error_set(err, "%s To stop it, kill it: kueue remove-job -k %" PRIu64,
                     refusal.msg, id);
    else if (ends_with(refusal.msg, " has already finished!"))
        kq_error_set(err, "%s Finished jobs leave the list with kueue clean-jobs "
                          "(-a: failed ones too).", refusal.msg);
    return rc;
}

static int run_clean_jobs(client *c, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_CLEAN_JOBS};

    req.clean_jobs.all = c->args->given[KQ_OPT_ALL];
    return run_request_response(c, &req, true, NULL, err);
}

/* ---- queries ---------------------------------------------------------- */

/*
 * For a server that gives no reasons (kq_reasons): the pending jobs of a
 * JobList or JobInfo get those its worker list tells, asked for on the
 * same session.  Nothing is asked when the server gives reasons.
 */
static int derive_reasons(client *c, kq_s2c *reply, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_LIST_WORKERS};
    kq_job_info *jobs;
    size_t n;
    kq_s2c workers;
    kq_error ignored;
    int rc = 0;

    if (reply->tag == KQ_S2C_JOB_LIST) {
        jobs = reply->job_list.job_infos.items;
        n = reply->job_list.job_infos.len;
    } else if (reply->tag == KQ_S2C_JOB_INFO) {
        jobs = &reply->job_info.job_info;
        n = 1;
    } else {
        return 0;
    }
    if (!kq_reasons_missing(jobs, n))
        return 0;
    /* Best effort: without the worker list, the answer goes without
     * reasons. */
    if (kq_session_request(&c->s, &req, &workers, &ignored) < 0)
        return 0;
    if (workers.tag == KQ_S2C_WORKER_LIST &&
        (rc = kq_reasons_fill(jobs, n, &workers.worker_list)) < 0)
        kq_error_set(err, "out of memory");
    kq_s2c_free(&workers);
    return rc;
}

/*
 * Sends req and prints an answer of type want: as JSON, or as text by
 * kq_print_reply.  Anything else is an error (a refusal's text, or
 * "Expected ...").
 */
static int run_query(client *c, const kq_c2s *req, kq_s2c_tag want,
                     kq_error *err)
{
    kq_print_opts opts;
    kq_s2c reply;
    int rc;

    if ((rc = kq_commands_connect(c->cfg, false, &c->s, err)) < 0)
        return rc;
    /* A Kueue-C request names the option that needs it if refused. */
    if (kq_c2s_tag_level(req->tag) > 0)
        rc = kq_session_request_ext(&c->s, req,
                                    c->args->given[KQ_OPT_NAME_PATTERN] ? "--name" : "--array",
                                    &reply, err);
    else
        rc = kq_session_request(&c->s, req, &reply, err);
    if (rc < 0)
        return rc;
    if (reply.tag != want) {
        rc = bad_reply(c, &reply, kq_s2c_tag_name(want), err);
    } else if (c->json) {
        rc = kq_commands_emit_json(&reply, err);
    } else if ((rc = derive_reasons(c, &reply, err)) == 0) {
        kq_buf b = KQ_BUF_INIT;

        print_opts(&opts);
        kq_print_reply(&b, &reply, &opts);
        rc = kq_commands_emit(&b, err);
    }
    kq_s2c_free(&reply);
    return rc;
}

static int run_list_jobs(client *c, kq_error *err)
{
    const kq_cli_args *a = c->args;
    kq_c2s req = {.tag = KQ_C2S_LIST_JOBS};

    req.list_jobs.num_jobs = a->given[KQ_OPT_NUM_JOBS]
                                 ? a->number[KQ_OPT_NUM_JOBS]
                                 : default_num_jobs();
    req.list_jobs.pending = a->given[KQ_OPT_PENDING];
    req.list_jobs.offered = a->given[KQ_OPT_OFFERED];
    req.list_jobs.running = a->given[KQ_OPT_RUNNING];
    req.list_jobs.succeeded = a->given[KQ_OPT_SUCCEEDED];
    req.list_jobs.failed = a->given[KQ_OPT_FAILED];
    req.list_jobs.canceled = a->given[KQ_OPT_CANCELED];
    if (a->given[KQ_OPT_NAME_PATTERN] || a->given[KQ_OPT_ARRAY_ID]) {
        /* Filters the original would ignore, listing everything: a
         * request it refuses instead. */
        kq_c2s_list_jobs base = req.list_jobs;

        req.tag = KQ_C2S_LIST_JOBS_MATCHING;
        req.list_jobs_matching = (kq_c2s_list_jobs_matching){
            base.num_jobs, base.pending, base.offered, base.running, base.succeeded,
            base.failed, base.canceled, KQ_STR_NULL, false, 0};
        req.list_jobs_matching.name = kq_str_view(a->value[KQ_OPT_NAME_PATTERN]);
        req.list_jobs_matching.has_array_id = a->given[KQ_OPT_ARRAY_ID];
        req.list_jobs_matching.array_id = a->number[KQ_OPT_ARRAY_ID];
    }
    return run_query(c, &req, KQ_S2C_JOB_LIST, err);
}

static int run_show_job(client *c, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_SHOW_JOB};

    req.show_job.job_id = c->args->pos_number[0];
    return run_query(c, &req, KQ_S2C_JOB_INFO, err);
}

static int run_show_worker(client *c, kq_error *err)
{
    kq_c2s req = {.tag = KQ_C2S_SHOW_WORKER};

    req.show_worker.worker_id = c->args->pos_number[0];
    return run_query(c, &req, KQ_S2C_WORKER_INFO, err);
}

int kq_commands_run(const kq_cli_args *args, const kq_config *cfg,
                    kq_error *err)
{
    client c = {args, cfg, args->given[KQ_OPT_JSON], {.fd = -1}};
    kq_c2s req = {0};
    int rc;

    switch (args->cmd->id) {
    case KQ_CMD_CMD:
        rc = run_cmd(&c, err);
        break;
    case KQ_CMD_BATCH:
        return kq_batch_run(args, cfg, err);
    case KQ_CMD_ALLOC:
        return kq_alloc_cmd_run(args, cfg, err);
    case KQ_CMD_LIST_JOBS:
        rc = run_list_jobs(&c, err);
        break;
    case KQ_CMD_SHOW_JOB:
        rc = run_show_job(&c, err);
        break;
    case KQ_CMD_WAIT_JOB:
        rc = run_wait_job(&c, err);
        break;
    case KQ_CMD_REMOVE_JOB:
        rc = run_remove_job(&c, err);
        break;
    case KQ_CMD_CLEAN_JOBS:
        rc = run_clean_jobs(&c, err);
        break;
    case KQ_CMD_LIST_WORKERS:
        req.tag = KQ_C2S_LIST_WORKERS;
        rc = run_query(&c, &req, KQ_S2C_WORKER_LIST, err);
        break;
    case KQ_CMD_SHOW_WORKER:
        rc = run_show_worker(&c, err);
        break;
    case KQ_CMD_LIST_RESOURCES:
        req.tag = KQ_C2S_LIST_RESOURCES;
        rc = run_query(&c, &req, KQ_S2C_RESOURCE_LIST, err);
        break;
    case KQ_CMD_DRAIN:
    case KQ_CMD_UNDRAIN:
        rc = run_drain(&c, args->cmd->id == KQ_CMD_DRAIN, err);
        break;
    case KQ_CMD_SET_PRIORITY:
        rc = run_set_priority(&c, err);
        break;
    case KQ_CMD_RESTART:
        rc = run_restart(&c, err);
        break;
    case KQ_CMD_FOLLOW:
    case KQ_CMD_LOG:
        return kq_follow_run(args, cfg, err);
    case KQ_CMD_RELAY:
        return args->given[KQ_OPT_STOP] ? kq_relay_stop(cfg, err) : kq_relay_run(cfg, err);
    default:
        kq_error_set(err, "%s does not talk to the server", args->cmd->name);
        return -EINVAL;
    }
    kq_session_close(&c.s);
    return rc;
}
