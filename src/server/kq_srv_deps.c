/*
 * kq_srv_deps.c - jobs that wait for other jobs (kueue cmd --after,
 * --after-any): the dependency graph (kq_deps.h) kept in step with the job
 * table.
 *
 * A job with dependencies is Pending on the wire from its submission on,
 * but joins the scheduler's queue only once every job it waits for has
 * ended as it needs (Workflow.waiting counts the rest meanwhile).  When a
 * job ends (the job table's end hook), its dependents are settled:
 * released into the queue, or canceled with a note naming it when it
 * failed or was canceled and they needed it to succeed, which ends them
 * in turn.  Ends are settled from a list, not by recursion, so a chain of
 * any length costs no stack.  A job that a job which has not ended depends
 * on is kept from cleanup (clean-jobs, the periodic cleanup), so that a
 * restarted server finds every result it needs; a dependency missing
 * after a restart anyway cancels its dependents with a note, never leaving
 * them waiting for ever.  Owns the graph and the list of ends to settle;
 * never owns jobs.
 */
#include "kq_server_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the job has dependencies at all. */
static bool has_deps(const kq_job *job)
{
    const kq_workflow *wf = job->info.workflow;

    return wf && ((wf->has_after && wf->after.len) || (wf->has_after_any && wf->after_any.len));
}

static void set_waiting(kq_job *job, uint64_t n)
{
    kq_workflow *wf = job->info.workflow;

    wf->has_waiting = n > 0;
    wf->waiting = n;
}

/* Cancels a pending job that is not in the queue, with a note saying why:
 * "Canceled <time>: <why>". */
static void cancel_waiting(kq_server *srv, kq_job *job, const char *why)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_CANCELED};
    char when[KQ_TIME_TEXT_MAX], note[KQ_TIME_TEXT_MAX + 300];
    kq_time now = kq_time_now();

    kq_sched_dequeue(&srv->sched, job);
    set_waiting(job, 0);
    now.nsec = 0;
    kq_time_format(now, when);
    snprintf(note, sizeof note, "Canceled %s: %s", when, why);
    kq_str_free(&job->info.note);
    if (kq_str_set(&job->info.note, note, strlen(note)) < 0)
        kq_err("Out of memory noting why job %llu was canceled",
               (unsigned long long)job->info.job_id);
    kq_jobs_touch_info(&srv->jobs, job);
    kq_info("Job %llu canceled: %s", (unsigned long long)job->info.job_id, why);
    st.canceled.issued = kq_job_issued(job);
    st.canceled.canceled = kq_time_now();
    kq_jobs_set_status(&srv->jobs, job, &st, st.canceled.canceled);
    kq_srv_notify(srv, job);
}

/* Why a dependency that ended fails its strict dependents, or NULL when
 * it succeeded. */
static const char *failure(const kq_job *dep, char *buf, size_t n)
{
    unsigned long long id = (unsigned long long)dep->info.job_id;

    if (dep->cat == KQ_CAT_SUCCEEDED)
        return NULL;
    if (dep->cat == KQ_CAT_CANCELED)
        snprintf(buf, n, "job %llu, which it waited for (--after), was canceled", id);
    else
        snprintf(buf, n, "job %llu, which it waited for (--after), failed with return "
                         "code %d", id, (int)dep->info.status.finished.return_code);
    return buf;
}

/* Joins the queue: everything it waited for is done. */
static void release(kq_server *srv, kq_job *job)
{
    if (job->info.workflow)
        set_waiting(job, 0);
    if (kq_sched_enqueue(&srv->sched, job) < 0)
        kq_err("Out of memory queueing job %llu", (unsigned long long)job->info.job_id);
    srv->dispatch_needed = true;
}

/* Links job to each job of ids; notes in *why the first that fails it
 * (NULL if none), missing ones too (after a restart). */
static int link_all(kq_server *srv, kq_job *job, const kq_u64_set *ids, bool any,
                    const char **why, char *buf, size_t n)
{
    for (size_t i = 0; i < ids->len; i++) {
        kq_job *dep = kq_jobs_get(&srv->jobs, ids->items[i]);
        bool ended;
        int rc;

        if (!dep) {
            if (!*why) {
                snprintf(buf, n, "job %llu, which it waited for, no longer exists",
                         (unsigned long long)ids->items[i]);
                *why = buf;
            }
            continue;
        }
        ended = KQ_CAT_BIT(dep->cat) & KQ_CAT_DONE;
        if ((rc = kq_deps_link(&srv->deps, job->info.job_id, dep->info.job_id, any, !ended)) < 0)
            return rc;
        if (ended && !any && !*why)
            *why = failure(dep, buf, n);
    }
    return 0;
}

int kq_srv_deps_attach(kq_server *srv, kq_job *job)
{
    const kq_workflow *wf = job->info.workflow;
    const char *why = NULL;
    char buf[200];
    int rc;

    if (wf)
        set_waiting(job, 0);
    if (!has_deps(job))
        return job->cat == KQ_CAT_PENDING ? kq_sched_enqueue(&srv->sched, job) : 0;
    if ((wf->has_after &&
         (rc = link_all(srv, job, &wf->after, false, &why, buf, sizeof buf)) < 0) ||
        (wf->has_after_any &&
         (rc = link_all(srv, job, &wf->after_any, true, &why, buf, sizeof buf)) < 0))
        return rc;
    if (job->cat != KQ_CAT_PENDING)
        return 0; /* running after a restart: it waited already */
    if (why) {
        cancel_waiting(srv, job, why);
        return 0;
    }
    if (kq_deps_unmet(&srv->deps, job->info.job_id) == 0) {
        release(srv, job);
        return 0;
    }
    set_waiting(job, kq_deps_unmet(&srv->deps, job->info.job_id));
    return 0;
}

const char *kq_srv_deps_check(kq_server *srv, const kq_workflow *wf, char *buf, size_t n)
{
    const kq_u64_set *sets[2] = {wf->has_after ? &wf->after : NULL,
                                 wf->has_after_any ? &wf->after_any : NULL};
    static const char *const option[2] = {"--after", "--after-any"};

    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; sets[s] && i < sets[s]->len; i++) {
            unsigned long long id = (unsigned long long)sets[s]->items[i];

            if (id >= srv->jobs.next_id) {
                snprintf(buf, n, "%s %llu: there is no job %llu yet (a job can only wait "
                                 "for jobs submitted before it)", option[s], id, id);
                return buf;
            }
            if (!kq_jobs_get(&srv->jobs, id)) {
                snprintf(buf, n, "%s %llu: job %llu does not exist (any more)", option[s],
                         id, id);
                return buf;
            }
            if (s == 0 && sets[1] && kq_u64_set_has(sets[1], id)) {
                snprintf(buf, n, "job %llu is in both --after and --after-any", id);
                return buf;
            }
        }
    }
    return NULL;
}

/* Settles the end of job: it no longer keeps what it depended on, and
 * what waited for it is released or canceled. */
static void settle(kq_server *srv, kq_job *job)
{
    const kq_workflow *wf = job->info.workflow;
    uint64_t id = job->info.job_id;
    char buf[200];
    kq_dep_edge *edges;
    size_t n;

    if (has_deps(job)) {
        for (size_t i = 0; wf->has_after && i < wf->after.len; i++)
            kq_deps_unlink(&srv->deps, wf->after.items[i]);
        for (size_t i = 0; wf->has_after_any && i < wf->after_any.len; i++)
            kq_deps_unlink(&srv->deps, wf->after_any.items[i]);
        kq_deps_forget_unmet(&srv->deps, id);
        set_waiting(job, 0);
    }
    n = kq_deps_take_dependents(&srv->deps, id, &edges);
    for (size_t i = 0; i < n; i++) {
        kq_job *d = kq_jobs_get(&srv->jobs, edges[i].id);
        const char *why;

        /* Canceled meanwhile (it ended, and is settled on its own). */
        if (!d || d->cat != KQ_CAT_PENDING)
            continue;
        why = edges[i].any ? NULL : failure(job, buf, sizeof buf);
        if (why) {
            cancel_waiting(srv, d, why);
            continue;
        }
        if (kq_deps_met(&srv->deps, d->info.job_id) > 0) {
            set_waiting(d, kq_deps_unmet(&srv->deps, d->info.job_id));
            continue;
        }
        kq_debug("Job %llu no longer waits: job %llu ended", (unsigned long long)d->info.job_id,
                 (unsigned long long)id);
        release(srv, d);
        kq_srv_notify(srv, d);
    }
    free(edges);
}

void kq_srv_deps_ended(void *ctx, kq_job *job)
{
    kq_server *srv = ctx;

    if (!has_deps(job) && !kq_deps_known(&srv->deps, job->info.job_id))
        return;
    if (srv->nended == srv->ended_cap) {
        size_t cap = srv->ended_cap ? 2 * srv->ended_cap : 64;
        uint64_t *e = realloc(srv->ended, cap * sizeof *e);

        if (!e) {
            /* Its dependents stay pending: logged, as any lost memory. */
            kq_err("Out of memory settling the dependents of job %llu",
                   (unsigned long long)job->info.job_id);
            return;
        }
        srv->ended = e;
        srv->ended_cap = cap;
    }
    srv->ended[srv->nended++] = job->info.job_id;
    if (srv->settling)
        return; /* the loop below takes it */
    srv->settling = true;
    while (srv->nended) {
        kq_job *j = kq_jobs_get(&srv->jobs, srv->ended[--srv->nended]);

        if (j)
            settle(srv, j);
    }
    srv->settling = false;
}

bool kq_srv_deps_kept(kq_server *srv, const kq_job *job)
{
    return !kq_deps_empty(&srv->deps) && kq_deps_kept(&srv->deps, job->info.job_id);
}

void kq_srv_deps_free(kq_server *srv)
{
    kq_deps_free(&srv->deps);
    free(srv->ended);
    srv->ended = NULL;
    srv->nended = srv->ended_cap = 0;
}
