/*
 * kq_worker.c - the worker's jobs and its dialogue with the server (see
 * kq_worker.h).
 *
 * Message order per job, as the reference: Accept (or Defer/Reject) for an
 * offer; UpdateResources after a successful spawn (it asks the server for
 * the next job); UpdateJobStatus, UpdateJobResults, UpdateResources when
 * a job ends (RequeueJob instead of the first two for a job a shutdown
 * gives back), answered by ReportStored from a Kueue-C server.  After a
 * reconnect: UpdateSystemInfo, UpdateJobStatus with the Running status of
 * every job still running, the reports of jobs that ended meanwhile and
 * of those not acknowledged, then UpdateResources -- each only for the
 * jobs that belong to the new server's state.
 */
#include "kq_worker.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kq_log.h"
#include "kq_resources.h"
#include "kq_runner.h"
#include "kq_sysinfo.h"
#include "kq_utf8.h"
#include "kq_wlive.h"
#include "kq_wsession.h"

typedef enum job_state {
    JOB_ACCEPTED, /* offer accepted, resources reserved, not confirmed */
    JOB_RUNNING,  /* spawned (or being killed) */
    JOB_DONE,     /* ended; report not known to be delivered yet */
} job_state;

typedef struct wjob {
    struct wjob *prev, *next;
    kq_worker *w;
    kq_job_info info;     /* as last received; the final status once done */
    job_state state;
    kq_run *run;          /* while running */
    kq_time spawned;
    uint64_t report_end;  /* sent: queued up to this stream position */
    uint64_t reported_ms; /* ... at this loop time */
    kq_str stdout_text, stderr_text;
    /* The stored state of the server that confirmed it ("": none); its
     * reports go to a server of that state only. */
    char state_id[KQ_WSESSION_STATE_ID_MAX];
    bool give_back;       /* killed at shutdown: to run again elsewhere */
    bool watched;         /* clients follow it (the server said) */
    kq_wlive_job live;    /* its output sent while it runs */
    /* Ended by a signal not the worker's: held a moment (KQ_WORKER_SIGNAL_HOLD_MS). */
    kq_run_result held;
    uint64_t hold_timer;
    bool was_held;
} wjob;

/* The machine's figures for the free-resource rule, and when read. */
typedef struct machine {
    uint64_t read_ms; /* loop time; 0: never */
    uint64_t cpu_cores, total_ram_mb, available_ram_mb;
    double load1;
} machine;

struct kq_worker {
    kq_loop *loop;
    machine machine;
    const kq_config *cfg;
    char name[KQ_WORKER_NAME_MAX];
    kq_runner *runner;
    kq_wsession *session;
    kq_wlive *live;
    wjob *head, *tail;
    /* Done jobs whose reports are queued or sent but not yet known to be
     * stored: apart, so that offers and resource counts need not walk
     * past them. */
    wjob *sent_head, *sent_tail;
    uint64_t update_timer, bye_timer, retire_timer;
    kq_lifetime *lifetime;  /* in an allocation (kq_lifetime.h), or NULL */
    bool stopping;  /* SIGINT/SIGTERM seen: no new jobs */
    bool requeue;   /* on_shutdown = requeue */
    char stop_reason[KQ_WORKER_NAME_MAX + 64]; /* why its jobs are given back */
    bool finishing; /* every job ended: the last reports, then Bye */
    bool saying_bye;
    int exit_code;
    kq_error fatal;
};

/* ---- the job table -------------------------------------------------- */

static wjob *find_job(kq_worker *w, uint64_t id)
{
    for (wjob *j = w->head; j; j = j->next)
        if (j->info.job_id == id)
            return j;
    return NULL;
}

static void link_job(wjob **head, wjob **tail, wjob *j)
{
    j->next = NULL;
    j->prev = *tail;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

static void unlink_job(wjob **head, wjob **tail, wjob *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        *head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        *tail = j->prev;
    j->prev = j->next = NULL;
}

/* A new accepted job at the end of the table; takes over info (zeroed).
 * NULL when out of memory (info untouched). */
static wjob *add_job(kq_worker *w, kq_job_info *info)
{
    wjob *j = calloc(1, sizeof *j);

    if (!j)
        return NULL;
    j->w = w;
    j->info = *info;
    memset(info, 0, sizeof *info);
    link_job(&w->head, &w->tail, j);
    return j;
}

static void free_job(wjob *j)
{
    kq_wlive_stop(&j->live);
    if (j->hold_timer) {
        kq_loop_timer_cancel(j->w->loop, j->hold_timer);
        kq_run_result_free(&j->held);
    }
    kq_job_info_free(&j->info);
    kq_str_free(&j->stdout_text);
    kq_str_free(&j->stderr_text);
    free(j);
}

/* Unlinks and frees a job of the table; a running job's run must already
 * be gone. */
static void remove_job(kq_worker *w, wjob *j)
{
    unlink_job(&w->head, &w->tail, j);
    free_job(j);
}

/* Replaces the job's info with the one the server just sent. */
static void take_info(wjob *j, kq_job_info *info)
{
    kq_job_info_free(&j->info);
    j->info = *info;
    memset(info, 0, sizeof *info);
}

/* ---- what the worker reports ---------------------------------------- */

/* The machine's CPU, memory and load figures, read again when older than
 * KQ_WORKER_MACHINE_TTL_MS (or when fresh is set).  Reading them costs
 * about 40 us, several times per job; the load average itself only moves
 * every 5 s, so a value a fraction of a second old decides the same. */
static const machine *machine_figures(kq_worker *w, bool fresh)
{
    machine *m = &w->machine;
    uint64_t now = kq_loop_now(w->loop);

    if (!fresh && m->read_ms && now - m->read_ms < KQ_WORKER_MACHINE_TTL_MS)
        return m;
    m->read_ms = now ? now : 1;
    m->cpu_cores = kq_sysinfo_cpu_cores(NULL);
    m->load1 = w->cfg->worker_settings.dynamic_check_free_resources
                   ? kq_sysinfo_load1(NULL)
                   : 0.0;
    if (kq_sysinfo_memory(NULL, &m->total_ram_mb, &m->available_ram_mb) < 0)
        m->total_ram_mb = m->available_ram_mb = 0;
    /* In a Slurm allocation, what it granted: the cores are the job's, so
     * the node's load (other jobs) does not count either. */
    if (w->lifetime && w->lifetime->job_id[0]) {
        m->load1 = 0.0;
        if (w->lifetime->cpus)
            m->cpu_cores = w->lifetime->cpus;
        if (w->lifetime->ram_mb) {
            m->total_ram_mb = w->lifetime->ram_mb;
            if (m->available_ram_mb > m->total_ram_mb)
                m->available_ram_mb = m->total_ram_mb;
        }
    }
    return m;
}

/* Free resources now (reference 4.5): the machine's figures minus what
 * accepted and running jobs reserve. */
static kq_resources compute_free(kq_worker *w, bool fresh)
{
    const typeof(w->cfg->worker_settings) *ws = &w->cfg->worker_settings;
    const machine *m = machine_figures(w, fresh);
    kq_free_inputs in = {
        .max_parallel_jobs = ws->worker_max_parallel_jobs,
        .dynamic = ws->dynamic_check_free_resources,
        .cpu_load_scale_factor = ws->dynamic_cpu_load_scale_factor,
        .cpu_cores = m->cpu_cores,
        .load1 = m->load1,
        .total_ram_mb = m->total_ram_mb,
        .available_ram_mb = m->available_ram_mb,
    };

    for (wjob *j = w->head; j; j = j->next)
        if (j->state != JOB_DONE)
            kq_resources_add(&in.reserved, &j->info.worker_resources);
    return kq_free_resources(&in);
}

/* UpdateResources; fresh reads the machine's figures again. */
static void send_resources(kq_worker *w, bool fresh)
{
    kq_w2s m = {.tag = KQ_W2S_UPDATE_RESOURCES};

    m.update_resources = compute_free(w, fresh);
    kq_trace("Free resources: %llu job slots, %llu CPUs, %llu MiB RAM",
             (unsigned long long)m.update_resources.job_slots,
             (unsigned long long)m.update_resources.cpus,
             (unsigned long long)m.update_resources.ram_mb);
    kq_wsession_send(w->session, &m);
}

static void send_system_info(kq_worker *w)
{
    kq_w2s m = {.tag = KQ_W2S_UPDATE_SYSTEM_INFO};
    int rc = kq_sysinfo_read(NULL, &m.update_system_info);

    if (rc < 0) {
        kq_err("Failed to read system information: %s", strerror(-rc));
        return;
    }
    if (w->lifetime && kq_lifetime_bounded(w->lifetime)) {
        m.update_system_info.has_lifetime = true;
        kq_lifetime_report(w->lifetime, time(NULL), &m.update_system_info.lifetime);
    }
    kq_wsession_send(w->session, &m);
    kq_system_info_free(&m.update_system_info);
}

static void on_retire_timer(kq_loop *loop, void *arg);

/* Whether the job is the current server's to hear of: it belongs to the
 * server's stored state, or was started by a server without one (in
 * memory only, or the original), whose jobs any server may take. */
static bool belongs_here(const kq_worker *w, const wjob *j)
{
    return !j->state_id[0] || strcmp(j->state_id, kq_wsession_state_id(w->session)) == 0;
}

/* "state 0123abcd..." or "no stored state", for messages. */
static const char *state_text(const char *id, char *buf, size_t n)
{
    if (!id[0])
        return "no stored state";
    snprintf(buf, n, "state %s", id);
    return buf;
}

/* Says why a job is not reported to the current server. */
static void log_foreign(const kq_worker *w, const wjob *j, const char *what)
{
    char theirs[KQ_WSESSION_STATE_ID_MAX + 8];

    kq_info("Job %llu was started by the server of state %s, and this server has %s: "
            "%s, for that server when it is back", (unsigned long long)j->info.job_id,
            j->state_id, state_text(kq_wsession_state_id(w->session), theirs, sizeof theirs),
            what);
}

/* Whether the server acknowledges reports (ReportStored). */
static bool server_acknowledges(const kq_worker *w)
{
    return kq_wsession_level(w->session) >= kq_s2w_tag_level(KQ_S2W_REPORT_STORED);
}

/* Whether the server can queue a job again that a worker gives back. */
static bool server_requeues(const kq_worker *w)
{
    return kq_wsession_level(w->session) >= kq_w2s_tag_level(KQ_W2S_REQUEUE_JOB);
}

/* Queues a job's report: RequeueJob for a job given back to a server that
 * can take it, else status and results; then the free resources. */
static bool queue_report(kq_worker *w, wjob *j)
{
    kq_w2s status = {.tag = KQ_W2S_UPDATE_JOB_STATUS};
    kq_w2s results = {.tag = KQ_W2S_UPDATE_JOB_RESULTS};
    kq_w2s requeue = {.tag = KQ_W2S_REQUEUE_JOB};

    if (j->give_back && server_requeues(w)) {
        requeue.requeue_job.job_id = j->info.job_id;
        requeue.requeue_job.reason = kq_str_view(w->stop_reason);
        if (!kq_wsession_send(w->session, &requeue))
            return false;
        kq_info("Job %llu given back to the server to run again", (unsigned long long)j->info.job_id);
    } else {
        if (j->give_back)
            kq_warn("Job %llu fails (-46) instead of going back to the queue: the server "
                    "speaks the original protocol, which cannot queue it again",
                    (unsigned long long)j->info.job_id);
        status.update_job_status = j->info;
        /* The server has the environment: not sent back. */
        status.update_job_status.has_environment = false;
        results.update_job_results.job_id = j->info.job_id;
        results.update_job_results.stdout_text = j->stdout_text;
        results.update_job_results.stderr_text = j->stderr_text;
        if (!kq_wsession_send(w->session, &status) || !kq_wsession_send(w->session, &results))
            return false;
    }
    send_resources(w, false);
    return true;
}

/* Status, results, resources of a done job; once queued, the job waits in
 * the sent list until known to be stored: acknowledged by a Kueue-C
 * server, or acknowledged by an original server's TCP a while ago. */
static void send_report(kq_worker *w, wjob *j)
{
    if (!kq_wsession_ready(w->session))
        return;
    if (!belongs_here(w, j)) {
        log_foreign(w, j, "its report waits here");
        send_resources(w, false); /* its slot is free for this server */
        return;
    }
    if (queue_report(w, j)) {
        j->report_end = kq_wsession_queued_end(w->session);
        j->reported_ms = kq_loop_now(w->loop);
        unlink_job(&w->head, &w->tail, j);
        link_job(&w->sent_head, &w->sent_tail, j);
        if (!server_acknowledges(w) && !w->retire_timer)
            w->retire_timer = kq_loop_timer(w->loop, KQ_WORKER_REPORT_GRACE_MS / 4,
                                            on_retire_timer, w);
    }
}

/* Forgets the reports the server's machine acknowledged at least
 * KQ_WORKER_REPORT_GRACE_MS ago; looks again later while some remain. */
static void retire_reports(kq_worker *w)
{
    uint64_t acked = kq_wsession_acked(w->session), now = kq_loop_now(w->loop);
    bool waiting = false;

    for (wjob *j = w->sent_head, *next; j; j = next) {
        next = j->next;
        if (acked >= j->report_end && now - j->reported_ms >= KQ_WORKER_REPORT_GRACE_MS) {
            unlink_job(&w->sent_head, &w->sent_tail, j);
            free_job(j);
        } else {
            waiting = true;
        }
    }
    if (waiting && !w->retire_timer)
        w->retire_timer = kq_loop_timer(w->loop, KQ_WORKER_REPORT_GRACE_MS / 4,
                                        on_retire_timer, w);
}

static void on_retire_timer(kq_loop *loop, void *arg)
{
    kq_worker *w = arg;

    (void)loop;
    w->retire_timer = 0;
    retire_reports(w);
}

static void on_update_timer(kq_loop *loop, void *arg)
{
    kq_worker *w = arg;

    w->update_timer = kq_loop_timer(
        loop, w->cfg->worker_settings.system_update_interval_seconds * 1000,
        on_update_timer, w);
    send_system_info(w);
    send_resources(w, true);
}

/* ---- ending ----------------------------------------------------------- */

static void on_bye_timeout(kq_loop *loop, void *arg)
{
    kq_worker *w = arg;

    w->bye_timer = 0;
    if (w->saying_bye) {
        kq_warn("The server did not take the last messages in time");
    } else {
        for (wjob *j = w->sent_head; j; j = j->next)
            kq_warn("The server did not confirm that it stored the result of job %llu "
                    "within %u s; it is lost here", (unsigned long long)j->info.job_id,
                    KQ_WORKER_BYE_MS / 1000);
    }
    kq_loop_stop(loop);
}

/* Once shutting down and every job has ended: the last reports (waiting
 * for their acknowledgements from a server that gives them), Bye, then
 * stop; KQ_WORKER_BYE_MS bounds it all. */
static void check_shutdown(kq_worker *w)
{
    if (!w->stopping || w->saying_bye || kq_runner_active(w->runner))
        return;
    if (!w->finishing) {
        w->finishing = true;
        for (wjob *j = w->head; j; j = j->next) {
            if (j->state != JOB_DONE)
                continue;
            if (!kq_wsession_ready(w->session))
                kq_warn("The result of job %llu is lost: no connection to the server",
                        (unsigned long long)j->info.job_id);
            else if (!belongs_here(w, j))
                kq_warn("The result of job %llu is lost: it belongs to the server of "
                        "state %s, which is not here", (unsigned long long)j->info.job_id,
                        j->state_id);
        }
        w->bye_timer = kq_loop_timer(w->loop, KQ_WORKER_BYE_MS, on_bye_timeout, w);
    }
    if (kq_wsession_ready(w->session) && server_acknowledges(w) && w->sent_head)
        return; /* ReportStored calls again */
    w->saying_bye = true;
    if (!kq_wsession_stop(w->session))
        kq_loop_stop(w->loop);
}

/* The job's final status (reference 4.8): Running becomes Finished with
 * the server's issued and started times; Canceled (killed) stays. */
static void final_status(kq_worker *w, wjob *j, const kq_run_result *res)
{
    kq_job_status *st = &j->info.status;
    kq_job_status fin = {.tag = KQ_JOB_STATUS_FINISHED};
    kq_job_status_finished *f = &fin.finished;

    switch (st->tag) {
    case KQ_JOB_STATUS_RUNNING:
        f->issued = st->running.issued;
        f->started = st->running.started;
        break;
    case KQ_JOB_STATUS_PENDING:
    case KQ_JOB_STATUS_OFFERED:
        /* Not what a server confirms with; still report a finish. */
        f->issued = st->tag == KQ_JOB_STATUS_PENDING ? st->pending.issued
                                                     : st->offered.issued;
        f->started = j->spawned;
        break;
    default:
        return;
    }
    f->finished = res->finished;
    f->return_code = res->return_code;
    f->run_time_seconds = res->run_time_seconds;
    if (kq_str_set(&f->worker, w->name, strlen(w->name)) < 0 ||
        kq_str_set(&f->comment, res->comment, strlen(res->comment)) < 0)
        kq_err("Out of memory for the status of job %llu",
               (unsigned long long)j->info.job_id);
    kq_job_status_free(st);
    *st = fin;
}

static void job_ended(wjob *j, kq_run_result *res);

static void on_hold_over(kq_loop *loop, void *arg)
{
    wjob *j = arg;

    (void)loop;
    j->hold_timer = 0;
    job_ended(j, &j->held);
}

/* Ends the jobs held after a signal at once (the worker shuts down). */
static void release_held(kq_worker *w)
{
    for (wjob *j = w->head, *next; j; j = next) {
        next = j->next;
        if (j->hold_timer) {
            kq_loop_timer_cancel(w->loop, j->hold_timer);
            j->hold_timer = 0;
            job_ended(j, &j->held);
        }
    }
}

/* A job ended (or failed to start): record the outcome and report it if
 * the server is there; res is consumed. */
static void job_ended(wjob *j, kq_run_result *res)
{
    kq_worker *w = j->w;

    j->run = NULL;
    /* A signal the worker did not send may have come to every process of
     * the job's tree at once: Slurm's scancel, or a shutdown.  The worker
     * may hear of its own a moment later: until then the end waits, and a
     * job killed so is given back like one the shutdown killed. */
    if (res->return_code == KQ_RC_SIGNALED && !res->killed && !w->stopping && !j->was_held) {
        j->held = *res;
        j->was_held = true;
        if ((j->hold_timer = kq_loop_timer(w->loop, KQ_WORKER_SIGNAL_HOLD_MS, on_hold_over, j)))
            return;
        memset(&j->held, 0, sizeof j->held);
    }
    j->state = JOB_DONE;
    kq_wlive_stop(&j->live);
    kq_info("Job %llu ended: return code %d (%s)",
            (unsigned long long)j->info.job_id, res->return_code, res->comment);
    final_status(w, j, res);
    /* Killed by the shutdown while running (not canceled by the server). */
    j->give_back = w->stopping && w->requeue && (res->killed || j->was_held) &&
                   j->info.status.tag == KQ_JOB_STATUS_FINISHED;
    j->stdout_text = res->stdout_text;
    j->stderr_text = res->stderr_text;
    res->stdout_text = res->stderr_text = KQ_STR_NULL;
    kq_run_result_free(res);
    send_report(w, j);
    check_shutdown(w);
}

static void on_run_done(void *arg, kq_run_result *res)
{
    job_ended(arg, res);
}

static void on_run_output(void *arg)
{
    kq_wlive_output(&((wjob *)arg)->live);
}

/* Live output goes only where the job's report would go. */
static bool live_allowed(void *arg)
{
    wjob *j = arg;

    return belongs_here(j->w, j);
}

/* ---- server messages ------------------------------------------------ */

static bool is_directory(const kq_str *path)
{
    struct stat st;

    return path->ptr && strlen(path->ptr) == path->len &&
           stat(path->ptr, &st) == 0 && S_ISDIR(st.st_mode);
}

/* OfferJob (reference 4.6): reject if cwd is no directory here, accept if
 * it fits (reserving it), else defer.  The answer echoes the offer. */
static void on_offer(kq_worker *w, kq_job_info *job)
{
    kq_w2s m = {.tag = KQ_W2S_DEFER_JOB_OFFER};
    unsigned long long id = job->job_id;
    kq_resources avail;
    char why[300];
    wjob *j;

    m.defer_job_offer = *job;
    if (w->stopping) {
        kq_debug("Deferring job %llu: shutting down", id);
    } else if (w->lifetime && !kq_lifetime_fits(w->lifetime, job, time(NULL), why, sizeof why)) {
        /* It never fits later: time only runs out (a server that knows
         * the lifetime does not offer it). */
        kq_info("Rejecting job %llu: %s", id, why);
        m.tag = KQ_W2S_REJECT_JOB_OFFER;
        m.reject_job_offer = *job;
    } else if (find_job(w, id)) {
        kq_warn("Job %llu offered again while it is here; deferring", id);
    } else if (!is_directory(&job->cwd)) {
        kq_info("Rejecting job %llu: %s is not a directory here", id, job->cwd.ptr);
        m.tag = KQ_W2S_REJECT_JOB_OFFER;
        m.reject_job_offer = *job;
    } else if (avail = compute_free(w, false),
               !kq_resources_fit(&job->worker_resources, &avail)) {
        kq_debug("Deferring job %llu: not enough free resources", id);
    } else if (!(j = add_job(w, job))) {
        kq_err("Out of memory accepting job %llu; deferring it", id);
    } else {
        kq_debug("Accepting job %llu", id);
        m.tag = KQ_W2S_ACCEPT_JOB_OFFER;
        m.accept_job_offer = j->info;
    }
    kq_wsession_send(w->session, &m);
}

static void log_start(const kq_job_info *job)
{
    kq_buf cmd = KQ_BUF_INIT;

    if (kq_log_threshold > KQ_LOG_INFO)
        return;
    for (size_t i = 0; i < job->cmd.len; i++) {
        if (i)
            kq_buf_putc(&cmd, ' ');
        kq_buf_append(&cmd, job->cmd.items[i].ptr, job->cmd.items[i].len);
    }
    kq_info("Started job %llu: %.200s", (unsigned long long)job->job_id,
            kq_buf_ptr(&cmd));
    kq_buf_free(&cmd);
}

/* ConfirmJobOffer (reference 4.7): run the accepted job. */
static void on_confirm(kq_worker *w, kq_job_info *job)
{
    wjob *j = find_job(w, job->job_id);
    kq_run_result failure;

    if (!j || j->state != JOB_ACCEPTED) {
        kq_err("Job %llu was confirmed but is not an accepted offer here; ignored",
               (unsigned long long)job->job_id);
        return;
    }
    if (w->stopping) {
        /* Unreported, the server queues it again once we are gone. */
        kq_info("Not starting job %llu: shutting down",
                (unsigned long long)job->job_id);
        remove_job(w, j);
        return;
    }
    take_info(j, job);
    j->state = JOB_RUNNING;
    j->spawned = kq_time_now();
    snprintf(j->state_id, sizeof j->state_id, "%s", kq_wsession_state_id(w->session));
    if (kq_runner_start(w->runner, &j->info, on_run_done, j, &j->run, &failure) < 0) {
        job_ended(j, &failure);
        return;
    }
    kq_wlive_start(w->live, &j->live, j->info.job_id, j->run, j->watched, j);
    log_start(&j->info);
    send_resources(w, false);
}

static void on_withdraw(kq_worker *w, const kq_job_info *job)
{
    wjob *j = find_job(w, job->job_id);

    if (!j || j->state != JOB_ACCEPTED) {
        kq_info("Job %llu was withdrawn but is not an accepted offer here; ignored",
                (unsigned long long)job->job_id);
        return;
    }
    kq_info("Offer of job %llu withdrawn", (unsigned long long)job->job_id);
    remove_job(w, j);
}

/* KillJob (reference 4.9, fixed): the whole process group ends; the job
 * keeps the status the server sent (Canceled). */
static void on_kill(kq_worker *w, kq_job_info *job)
{
    wjob *j = find_job(w, job->job_id);

    if (!j || j->state != JOB_RUNNING || !j->run || !belongs_here(w, j)) {
        kq_err("Job %llu should be killed but is not running here; ignored",
               (unsigned long long)job->job_id);
        return;
    }
    kq_info("Killing job %llu", (unsigned long long)job->job_id);
    take_info(j, job);
    kq_runner_kill(w->runner, j->run, "Job killed!", false);
}

/* ---- session callbacks ---------------------------------------------- */

static void on_session_ready(void *owner)
{
    kq_worker *w = owner;
    kq_w2s m = {.tag = KQ_W2S_UPDATE_JOB_STATUS};

    send_system_info(w);
    for (wjob *j = w->head, *next; j; j = next) {
        next = j->next; /* send_report moves j to the sent list */
        if (!belongs_here(w, j)) {
            if (j->state != JOB_ACCEPTED)
                log_foreign(w, j, j->state == JOB_RUNNING ? "it keeps running here"
                                                          : "its report waits here");
        } else if (j->state == JOB_RUNNING &&
                   j->info.status.tag == KQ_JOB_STATUS_RUNNING) {
            kq_info("Job %llu is still running here",
                    (unsigned long long)j->info.job_id);
            m.update_job_status = j->info;
            m.update_job_status.has_environment = false;
            kq_wsession_send(w->session, &m);
            kq_wlive_output(&j->live); /* what it wrote meanwhile */
        } else if (j->state == JOB_DONE) {
            send_report(w, j);
        }
    }
    send_resources(w, true);
    kq_loop_timer_cancel(w->loop, w->update_timer);
    w->update_timer = kq_loop_timer(
        w->loop, w->cfg->worker_settings.system_update_interval_seconds * 1000,
        on_update_timer, w);
    check_shutdown(w);
}

/* WatchOutput: clients follow the job's output (or no longer); it may be
 * an accepted offer still to start. */
static void on_watch(kq_worker *w, const kq_s2w_watch_output *m)
{
    wjob *j = find_job(w, m->job_id);

    if (!j || j->state == JOB_DONE) {
        kq_debug("Job %llu is %s followed, and it does not run here; ignored",
                 (unsigned long long)m->job_id, m->watched ? "now" : "no longer");
        return;
    }
    kq_debug("Job %llu is %s followed", (unsigned long long)m->job_id,
             m->watched ? "now" : "no longer");
    j->watched = m->watched;
    if (j->state == JOB_RUNNING)
        kq_wlive_watch(&j->live, m->watched);
}

/* ReportStored: the server holds the job's report; forget it. */
static void on_report_stored(kq_worker *w, uint64_t id)
{
    for (wjob *j = w->sent_head; j; j = j->next) {
        if (j->info.job_id == id) {
            kq_debug("The server stored the report of job %llu", (unsigned long long)id);
            unlink_job(&w->sent_head, &w->sent_tail, j);
            free_job(j);
            check_shutdown(w);
            return;
        }
    }
    kq_debug("The server acknowledged a report of job %llu, which is not waiting here",
             (unsigned long long)id);
}

static void on_session_message(void *owner, kq_s2w *m)
{
    kq_worker *w = owner;

    switch (m->tag) {
    case KQ_S2W_OFFER_JOB:
        on_offer(w, &m->offer_job);
        break;
    case KQ_S2W_CONFIRM_JOB_OFFER:
        on_confirm(w, &m->confirm_job_offer);
        break;
    case KQ_S2W_WITHDRAW_JOB_OFFER:
        on_withdraw(w, &m->withdraw_job_offer);
        break;
    case KQ_S2W_KILL_JOB:
        on_kill(w, &m->kill_job);
        break;
    case KQ_S2W_REPORT_STORED:
        on_report_stored(w, m->report_stored.job_id);
        break;
    case KQ_S2W_WATCH_OUTPUT:
        on_watch(w, &m->watch_output);
        break;
    default:
        break;
    }
}

/* Offers not yet confirmed are forgotten (the server queues them again);
 * reports not known to be delivered are sent again next time. */
static void on_session_lost(void *owner)
{
    kq_worker *w = owner;

    kq_loop_timer_cancel(w->loop, w->update_timer);
    w->update_timer = 0;
    for (wjob *j = w->head, *next; j; j = next) {
        next = j->next;
        /* The next server says again which jobs it wants as written. */
        j->watched = false;
        kq_wlive_watch(&j->live, false);
        if (j->state == JOB_ACCEPTED) {
            kq_info("Forgetting the accepted offer of job %llu",
                    (unsigned long long)j->info.job_id);
            remove_job(w, j);
        }
    }
    while (w->sent_head) {
        wjob *j = w->sent_head;

        if (w->finishing && !w->saying_bye)
            kq_warn("The result of job %llu is lost: the connection ended before the "
                    "server confirmed it", (unsigned long long)j->info.job_id);
        unlink_job(&w->sent_head, &w->sent_tail, j);
        link_job(&w->head, &w->tail, j);
    }
    if (w->finishing)
        kq_loop_stop(w->loop);
}

static void on_session_fatal(void *owner, const char *reason)
{
    kq_worker *w = owner;

    kq_error_set(&w->fatal, "%s", reason);
    w->exit_code = 1;
    kq_loop_stop(w->loop);
}

/* An offer too long to take: rejected by its id (the rest of the job
 * never arrived), so that the connection and the other jobs go on. */
static void on_offer_too_large(void *owner, uint64_t job_id, size_t len)
{
    kq_worker *w = owner;
    kq_w2s m = {.tag = KQ_W2S_REJECT_JOB_OFFER};

    kq_warn("Rejecting job %llu: its offer has %zu bytes, more than the %u "
            "a message may have", (unsigned long long)job_id, len,
            KQ_FRAMER_DEFAULT_MAX);
    m.reject_job_offer.job_id = job_id;
    kq_wsession_send(w->session, &m);
}

static const kq_wsession_handler session_handler = {
    on_session_ready, on_session_message, on_session_lost, on_session_fatal,
    on_offer_too_large};

/* ---- the loop ------------------------------------------------------- */

/* End of each loop turn: write the queued messages. */
static void on_turn_end(kq_loop *loop, void *arg)
{
    kq_worker *w = arg;

    (void)loop;
    kq_wsession_flush(w->session);
}

/* Stops taking jobs, kills the running ones (giving them back as
 * on_shutdown says), then says Bye; why is the cause, for the log and the
 * notes of jobs given back. */
static void shut_down(kq_worker *w, const char *why)
{
    w->stopping = true;
    kq_loop_timer_cancel(w->loop, w->update_timer);
    w->update_timer = 0;
    if (w->lifetime)
        kq_lifetime_unwatch(w->lifetime);
    snprintf(w->stop_reason, sizeof w->stop_reason, "worker \"%s\" shut down (%s)", w->name,
             why);
    if (kq_runner_active(w->runner)) {
        if (!w->requeue)
            kq_info("Its running jobs are killed and fail (-46): on_shutdown = fail");
        else if (!kq_wsession_ready(w->session))
            kq_info("Its running jobs are killed; not connected, so the server queues them "
                    "again when this worker does not come back (on_shutdown = requeue)");
        else if (server_requeues(w))
            kq_info("Its running jobs are killed and given back to the server, which queues "
                    "them again (on_shutdown = requeue)");
        else
            kq_warn("Its running jobs are killed and fail (-46): on_shutdown = requeue, but the "
                    "server speaks the original protocol, which cannot queue them again");
    }
    for (wjob *j = w->head; j; j = j->next)
        if (j->run)
            kq_runner_kill(w->runner, j->run, KQ_WORKER_SHUTDOWN_COMMENT, false);
    release_held(w);
    check_shutdown(w);
}

static void on_stop_signal(kq_loop *loop, int signo, void *arg)
{
    kq_worker *w = arg;
    const char *name = signo == SIGINT ? "SIGINT" : "SIGTERM";

    (void)loop;
    if (w->stopping) {
        kq_info("Received %s again: killing the remaining jobs now", name);
        for (wjob *j = w->head; j; j = j->next)
            if (j->run)
                kq_runner_kill(w->runner, j->run, KQ_WORKER_SHUTDOWN_COMMENT, true);
        return;
    }
    kq_info("Received %s, shutting down", name);
    shut_down(w, name);
}

/* Whether a job is accepted or running here (kq_lifetime's idle exit). */
static bool has_jobs(void *arg)
{
    kq_worker *w = arg;

    for (wjob *j = w->head; j; j = j->next)
        if (j->state != JOB_DONE)
            return true;
    return false;
}

static void on_idle_exit(void *arg, const char *why)
{
    kq_worker *w = arg;

    kq_info("Exiting: %s", why);
    shut_down(w, why);
}

int kq_worker_new(const kq_config *cfg, const char *name, kq_lifetime *lt,
                  kq_worker **out, kq_error *err)
{
    const typeof(cfg->worker_settings) *ws = &cfg->worker_settings;
    kq_worker *w = calloc(1, sizeof *w);
    kq_runner_opts ropts = {0};
    kq_wsession_opts sopts = {0};
    int rc;

    if (!w)
        return -ENOMEM;
    w->cfg = cfg;
    w->lifetime = lt;
    snprintf(w->name, sizeof w->name, "%s", name);
    w->requeue = strcmp(ws->on_shutdown, "requeue") == 0;
    ropts.worker_name = w->name;
    ropts.output_limit = ws->output_limit_bytes > SIZE_MAX / 2
                             ? SIZE_MAX / 2
                             : (size_t)ws->output_limit_bytes;
    /* The configuration bounds it to 0 .. 3600 s. */
    ropts.kill_grace_ms = (uint64_t)llround(ws->kill_grace_seconds * 1000.0);
    ropts.output = on_run_output;
    sopts.server_name = cfg->common_settings.server_name;
    sopts.server_port = cfg->common_settings.server_port;
    sopts.secret = cfg->common_settings.shared_secret;
    sopts.worker_name = w->name;
    sopts.config_file = cfg->file;
    sopts.output_limit = ropts.output_limit;
    sopts.encryption = kq_tls_mode_parse(cfg->common_settings.encryption);
    sopts.allocation = lt && lt->allocation[0] ? lt->allocation : NULL;
    sopts.max_backoff_ms = ws->reconnect_max_seconds > UINT64_MAX / 1000
                               ? UINT64_MAX / 1000
                               : ws->reconnect_max_seconds * 1000;
    if ((rc = kq_loop_new(&w->loop)) < 0 ||
        (rc = kq_runner_new(w->loop, &ropts, &w->runner)) < 0 ||
        (rc = kq_wsession_new(w->loop, &sopts, &session_handler, w, &w->session)) < 0 ||
        (rc = kq_wlive_new(w->loop, w->session, live_allowed, &w->live)) < 0 ||
        (rc = kq_loop_signal(w->loop, SIGINT, on_stop_signal, w)) < 0 ||
        (rc = kq_loop_signal(w->loop, SIGTERM, on_stop_signal, w)) < 0) {
        kq_error_set(err, "setting up the event loop: %s", strerror(-rc));
        kq_worker_free(w);
        return rc;
    }
    kq_loop_before_sleep(w->loop, on_turn_end, w);
    *out = w;
    return 0;
}

int kq_worker_run(kq_worker *w, kq_error *err)
{
    int rc;

    kq_info("Worker \"%s\" starting", w->name);
    if (w->lifetime) {
        char text[600];

        kq_lifetime_describe(w->lifetime, text, sizeof text);
        kq_info("Lifetime: %s%s%s", text, w->lifetime->allocation[0] ? "; allocation " : "",
                w->lifetime->allocation);
        if (kq_lifetime_watch(w->lifetime, w->loop, has_jobs, on_idle_exit, w) < 0) {
            kq_error_set(err, "out of memory for the idle timer");
            return 1;
        }
    }
    kq_wsession_start(w->session);
    rc = kq_loop_run(w->loop);
    if (rc < 0) {
        kq_error_set(err, "select: %s", strerror(-rc));
        return 1;
    }
    if (w->exit_code)
        *err = w->fatal;
    else
        kq_info("Bye");
    return w->exit_code;
}

void kq_worker_free(kq_worker *w)
{
    if (!w)
        return;
    kq_wsession_free(w->session);
    kq_runner_free(w->runner);
    while (w->head)
        remove_job(w, w->head);
    while (w->sent_head) {
        wjob *j = w->sent_head;

        unlink_job(&w->sent_head, &w->sent_tail, j);
        free_job(j);
    }
    kq_wlive_free(w->live);
    kq_loop_free(w->loop);
    free(w);
}

int kq_worker_host_name(char *out, size_t n)
{
    char host[HOST_NAME_MAX + 1];
    kq_buf name = KQ_BUF_INIT;
    size_t len;
    char *dot;

    if (n == 0)
        return -EINVAL;
    if (gethostname(host, sizeof host) < 0)
        return -errno;
    host[sizeof host - 1] = '\0';
    if ((dot = strchr(host, '.')))
        *dot = '\0';
    kq_utf8_repair(&name, host, strlen(host));
    if (name.oom) {
        kq_buf_free(&name);
        return -ENOMEM;
    }
    len = kq_utf8_truncate(kq_buf_ptr(&name), name.len, n - 1);
    memcpy(out, kq_buf_ptr(&name), len);
    out[len] = '\0';
    kq_buf_free(&name);
    return 0;
}
