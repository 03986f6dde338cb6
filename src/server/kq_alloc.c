/*
 * kq_alloc.c - allocation queues and their autoscaler (see kq_alloc.h).
 *
 * A queue's record is the protocol's AllocQueue itself: what the client
 * declared, the live allocations and the last events; so it is stored,
 * listed and shown as it is.  The child processes report to callbacks
 * that find their queue and allocation again by number (either may be
 * gone by then).
 */
#include "kq_alloc.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kq_child.h"
#include "kq_dirs.h"
#include "kq_duration.h"
#include "kq_resources.h"
#include "kq_sbatch.h"

/* Allocation states (Allocation.state). */
#define ST_SUBMITTING "submitting"
#define ST_QUEUED "queued"
#define ST_RUNNING "running"
#define ST_ENDING "ending"

typedef struct queue {
    kq_alloc_queue q;         /* the record: has_events always set */
    uint64_t next_alloc;      /* the number of its next allocation */
    uint64_t submit_child;    /* the sbatch running, or 0 */
    bool has_cap;             /* its workers reported resources: */
    kq_resources cap;         /* the most any reported free */
    bool dirty;               /* its row is to be stored */
} queue;

struct kq_alloc {
    kq_server *srv;
    kq_children *children;
    queue **queues;           /* ascending id */
    size_t nqueues;
    uint64_t next_queue_id;
    uint64_t tick_timer;
    uint64_t no_jobs_since;   /* loop time since no job waits; 0: some do */
    uint64_t poll_child;      /* the squeue running, or 0 */
    uint64_t last_poll_ms;
    kq_buf asked;             /* ",token,token,": what it asked squeue */
    uint64_t *gone;           /* queues removed since the last commit */
    size_t ngone;
    char server_id[9];        /* in every token: its allocations only */
    char log_dir[PATH_MAX + 64]; /* where Slurm writes the allocations' output */
    struct child_ctx *ctxs;   /* of the sbatch runs not yet reported */
};

/* What a child's callback needs to find its allocation again; listed in
 * kq_alloc.ctxs until then, so that those of children killed without
 * their callback (kq_children_free) are freed too. */
typedef struct child_ctx {
    kq_alloc *a;
    uint64_t queue_id, alloc_no;
    struct child_ctx *prev, *next;
} child_ctx;

static void arm_tick(kq_alloc *a, uint64_t ms);

/* ---- records ------------------------------------------------------------ */

static queue *find_queue(kq_alloc *a, uint64_t id)
{
    for (size_t i = 0; i < a->nqueues; i++)
        if (a->queues[i]->q.queue_id == id)
            return a->queues[i];
    return NULL;
}

static kq_allocation *find_alloc(queue *qu, uint64_t no)
{
    for (size_t i = 0; i < qu->q.allocations.len; i++)
        if (qu->q.allocations.items[i].alloc_id == no)
            return &qu->q.allocations.items[i];
    return NULL;
}

static bool in_state(const kq_allocation *al, const char *state)
{
    return al->state.ptr && strcmp(al->state.ptr, state) == 0;
}

/* Replaces a string (kq_str_set does not free the old one). */
static void set_text(kq_str *s, const char *text)
{
    kq_str_free(s);
    if (text && kq_str_set(s, text, strlen(text)) < 0)
        kq_err("Out of memory for an allocation record");
}

static void queue_free(queue *qu)
{
    kq_alloc_queue_free(&qu->q);
    free(qu);
}

/* Appends an event (the oldest goes past KQ_ALLOC_EVENTS_MAX) and logs
 * it; al_no 0: the queue itself. */
static void event(queue *qu, uint64_t al_no, const char *kind, const char *fmt, ...)
    KQ_PRINTF(4, 5);
static void event(queue *qu, uint64_t al_no, const char *kind, const char *fmt, ...)
{
    kq_alloc_event_list *l = &qu->q.events;
    kq_alloc_event *e;
    char text[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (al_no)
        kq_info("Allocation queue %llu, allocation %llu: %s: %s",
                (unsigned long long)qu->q.queue_id, (unsigned long long)al_no, kind, text);
    else
        kq_info("Allocation queue %llu: %s: %s", (unsigned long long)qu->q.queue_id, kind,
                text);
    if (l->len == KQ_ALLOC_EVENTS_MAX) {
        kq_alloc_event_free(&l->items[0]);
        memmove(l->items, l->items + 1, (l->len - 1) * sizeof *l->items);
        l->len--;
    } else {
        e = realloc(l->items, (l->len + 1) * sizeof *e);
        if (!e) {
            kq_err("Out of memory for an allocation event");
            return;
        }
        l->items = e;
    }
    e = &l->items[l->len++];
    kq_alloc_event_init(e);
    e->time = kq_time_now();
    set_text(&e->kind, kind);
    set_text(&e->text, text);
    e->has_alloc_id = al_no != 0;
    e->alloc_id = al_no;
    qu->dirty = true;
}

/* A new allocation record (submitting), or NULL when out of memory. */
static kq_allocation *add_alloc(queue *qu, uint64_t no)
{
    kq_allocation_list *l = &qu->q.allocations;
    kq_allocation *al = realloc(l->items, (l->len + 1) * sizeof *al);

    if (!al)
        return NULL;
    l->items = al;
    al = &l->items[l->len++];
    kq_allocation_init(al);
    al->alloc_id = no;
    al->submitted = kq_time_now();
    set_text(&al->state, ST_SUBMITTING);
    qu->dirty = true;
    return al;
}

static void drop_alloc(queue *qu, kq_allocation *al)
{
    kq_allocation_list *l = &qu->q.allocations;
    size_t i = (size_t)(al - l->items);

    kq_allocation_free(al);
    memmove(l->items + i, l->items + i + 1, (l->len - i - 1) * sizeof *l->items);
    l->len--;
    qu->dirty = true;
}

/* The allocation's token: its Slurm job name and KUEUE_ALLOCATION. */
static void token_of(const kq_alloc *a, uint64_t queue_id, uint64_t no, char *buf, size_t n)
{
    snprintf(buf, n, "kq%llu.%llu-%s", (unsigned long long)queue_id, (unsigned long long)no,
             a->server_id);
}

/* A failure of the queue's: the count goes up, and at max_failures the
 * queue stops submitting, saying why. */
static void failure(queue *qu, const char *what)
{
    qu->q.failures++;
    qu->dirty = true;
    if (qu->q.stopped.ptr || qu->q.failures < qu->q.max_failures)
        return;
    {
        char why[4096];

        snprintf(why, sizeof why,
                 "stopped submitting after %llu failures in a row (the last: %s); remove the "
                 "queue and add it again once the cause is fixed",
                 (unsigned long long)qu->q.failures, what);
        set_text(&qu->q.stopped, why);
        event(qu, 0, "stopped", "%s", why);
    }
}

/* ---- child processes ---------------------------------------------------- */

static child_ctx *new_ctx(kq_alloc *a, uint64_t queue_id, uint64_t no)
{
    child_ctx *c = malloc(sizeof *c);

    if (!c)
        return NULL;
    *c = (child_ctx){a, queue_id, no, NULL, a->ctxs};
    if (a->ctxs)
        a->ctxs->prev = c;
    a->ctxs = c;
    return c;
}

static void free_ctx(child_ctx *c)
{
    if (!c)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->a->ctxs = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

/* The first line of a command's error output, or its exit status. */
static void command_error(const kq_child_result *res, char *buf, size_t n)
{
    char how[200];
    const char *e = res->err_len ? res->err : res->out;
    size_t len = strcspn(e, "\n");

    kq_child_describe(res, how, sizeof how);
    if (len)
        snprintf(buf, n, "%.*s (%s)", (int)(len > 2000 ? 2000 : len), e, how);
    else
        snprintf(buf, n, "%s", how);
}

static bool succeeded(const kq_child_result *res)
{
    return res->status >= 0 && !res->timed_out && WIFEXITED(res->status) &&
           WEXITSTATUS(res->status) == 0;
}

static void on_scancel(void *arg, const kq_child_result *res)
{
    char why[2400];

    (void)arg;
    if (!succeeded(res)) {
        command_error(res, why, sizeof why);
        kq_warn("scancel failed: %s", why);
    }
}

/* Cancels a Slurm job; its end shows in squeue. */
static void scancel(kq_alloc *a, const char *batch_id)
{
    char *argv[] = {"scancel", (char *)batch_id, NULL};

    if (!kq_child_run(a->children, argv, NULL, 0, KQ_ALLOC_COMMAND_MS, on_scancel, NULL))
        kq_err("Out of memory running scancel %s", batch_id);
}

/* Cancels an allocation that has an id: it is ending. */
static void cancel_alloc(kq_alloc *a, queue *qu, kq_allocation *al)
{
    scancel(a, al->batch_id.ptr);
    set_text(&al->state, ST_ENDING);
    qu->dirty = true;
}

static void on_submitted(void *arg, const kq_child_result *res)
{
    child_ctx *c = arg;
    kq_alloc *a = c->a;
    queue *qu = find_queue(a, c->queue_id);
    kq_allocation *al = qu ? find_alloc(qu, c->alloc_no) : NULL;
    char id[64] = "", why[2400];

    if (qu && qu->submit_child)
        qu->submit_child = 0;
    if (succeeded(res)) {
        /* --parsable: "JOBID" or "JOBID;CLUSTER". */
        snprintf(id, sizeof id, "%.*s", (int)strcspn(res->out, ";\n"), res->out);
    }
    if (!al) {
        /* Its queue was removed meanwhile. */
        if (id[0])
            scancel(a, id);
        free_ctx(c);
        return;
    }
    if (!id[0]) {
        command_error(res, why, sizeof why);
        event(qu, c->alloc_no, "submit-failed", "sbatch failed: %s", why);
        drop_alloc(qu, al);
        failure(qu, why);
    } else {
        set_text(&al->batch_id, id);
        set_text(&al->state, ST_QUEUED);
        event(qu, c->alloc_no, "submitted", "Slurm job %s", id);
    }
    free_ctx(c);
    arm_tick(a, KQ_ALLOC_TICK_MS);
}

/* Submits the queue's next allocation. */
static void submit(kq_alloc *a, queue *qu)
{
    uint64_t no = qu->next_alloc;
    char token[128], file[sizeof a->log_dir + 2];
    kq_sbatch sb;
    child_ctx *c;
    int rc;

    /* Slurm writes there as the server's user: on a shared home, this
     * creates it for the nodes too. */
    snprintf(file, sizeof file, "%s/x", a->log_dir);
    if ((rc = kq_dirs_make_parents(file)) < 0)
        kq_warn("Cannot create %s for the allocations' output: %s", a->log_dir, strerror(-rc));
    token_of(a, qu->q.queue_id, no, token, sizeof token);
    if (kq_sbatch_make(&qu->q, no, token, a->log_dir, &sb) < 0) {
        kq_err("Out of memory writing the batch script of allocation queue %llu",
               (unsigned long long)qu->q.queue_id);
        return;
    }
    c = new_ctx(a, qu->q.queue_id, no);
    if (!c || !add_alloc(qu, no)) {
        free_ctx(c);
        kq_sbatch_free(&sb);
        kq_err("Out of memory submitting an allocation");
        return;
    }
    qu->next_alloc++;
    qu->submit_child = kq_child_run(a->children, sb.argv, kq_buf_ptr(&sb.script), sb.script.len,
                                    KQ_ALLOC_COMMAND_MS, on_submitted, c);
    kq_sbatch_free(&sb);
    if (!qu->submit_child) {
        drop_alloc(qu, find_alloc(qu, no));
        free_ctx(c);
        kq_err("Out of memory running sbatch");
        return;
    }
    kq_debug("Allocation queue %llu: submitting allocation %llu (%s)",
             (unsigned long long)qu->q.queue_id, (unsigned long long)no, token);
}

/* ---- following the allocations (squeue) --------------------------------- */

/* Slurm's job states that mean the end. */
static bool ended_state(const char *st)
{
    static const char *const ended[] = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT",
                                        "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE",
                                        "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT", NULL};

    for (const char *const *e = ended; *e; e++)
        if (strcmp(st, *e) == 0)
            return true;
    return false;
}

/* The allocation is over: an event, and it goes.  It failed if Slurm says
 * so, or if it ran and ended without a worker having connected, unless it
 * was canceled (here, counted then, or by someone else in Slurm). */
static void alloc_ended(queue *qu, kq_allocation *al, const char *slurm_state,
                        const char *reason)
{
    bool canceled = in_state(al, ST_ENDING) || strcmp(slurm_state, "CANCELLED") == 0;
    bool gone = strcmp(slurm_state, "gone") == 0;
    bool bad = strcmp(slurm_state, "FAILED") == 0 || strcmp(slurm_state, "NODE_FAIL") == 0 ||
               strcmp(slurm_state, "BOOT_FAIL") == 0 ||
               strcmp(slurm_state, "OUT_OF_MEMORY") == 0;
    char what[1500];

    snprintf(what, sizeof what, "Slurm job %s %s%s%s%s", al->batch_id.ptr ? al->batch_id.ptr : "?",
             slurm_state, reason && *reason && strcmp(reason, "None") ? " (" : "",
             reason && *reason && strcmp(reason, "None") ? reason : "",
             reason && *reason && strcmp(reason, "None") ? ")" : "");
    if (bad || (!al->connections && !canceled && (!gone || al->has_started))) {
        char why[1700];

        snprintf(why, sizeof why, "%s%s", what, bad ? "" : ", and no worker of it connected");
        event(qu, al->alloc_id, "failed", "%s", why);
        failure(qu, why);
    } else {
        event(qu, al->alloc_id, "ended", "%s", what);
    }
    drop_alloc(qu, al);
}

/* One line of squeue -o '%i|%j|%T|%r|%N'. */
static void poll_line(kq_alloc *a, char *line)
{
    char *f[5] = {0};
    int n = 0;
    unsigned long long q, no;
    char srvid[16];
    queue *qu;
    kq_allocation *al;

    for (char *p = line; n < 5; n++) {
        f[n] = p;
        p = strchr(p, '|');
        if (!p) {
            n++;
            break;
        }
        *p++ = '\0';
    }
    if (n < 4 || sscanf(f[1], "kq%llu.%llu-%8s", &q, &no, srvid) != 3 ||
        strcmp(srvid, a->server_id) != 0)
        return;
    if (!(qu = find_queue(a, q)) || !(al = find_alloc(qu, no)))
        return;
    if (!al->batch_id.ptr) {
        /* Submitted before a restart that came before sbatch's answer. */
        set_text(&al->batch_id, f[0]);
        set_text(&al->state, ST_QUEUED);
        event(qu, no, "submitted", "Slurm job %s (found after a restart)", f[0]);
    }
    if (ended_state(f[2])) {
        alloc_ended(qu, al, f[2], f[3]);
        return;
    }
    if (strcmp(f[2], "PENDING") == 0) {
        if (!al->reason.ptr || strcmp(al->reason.ptr, f[3]) != 0) {
            set_text(&al->reason, f[3]);
            qu->dirty = true;
        }
        return;
    }
    if (strcmp(f[2], "RUNNING") == 0 && in_state(al, ST_QUEUED)) {
        set_text(&al->state, ST_RUNNING);
        set_text(&al->reason, NULL);
        if (!al->has_started) {
            al->has_started = true;
            al->started = kq_time_now();
        }
        event(qu, no, "started", "Slurm job %s on %s", al->batch_id.ptr,
              n > 4 && f[4][0] ? f[4] : "?");
    }
}

/* Whether ",token," is in list (",a,b,"). */
static bool listed(const char *list, const char *token)
{
    size_t n = strlen(token);

    for (const char *p = strstr(list, token); p; p = strstr(p + 1, token))
        if (p[-1] == ',' && p[n] == ',')
            return true;
    return false;
}

static void on_polled(void *arg, const kq_child_result *res)
{
    kq_alloc *a = arg;
    char why[2400], token[128];
    kq_buf seen = KQ_BUF_INIT;
    char *text, *save = NULL;

    a->poll_child = 0;
    if (!succeeded(res)) {
        command_error(res, why, sizeof why);
        kq_warn("squeue failed (tried again in %u s): %s", KQ_ALLOC_POLL_MS / 1000, why);
        return;
    }
    text = strdup(res->out);
    if (!text) {
        kq_err("Out of memory reading squeue's output");
        return;
    }
    kq_buf_putc(&seen, ',');
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *name = strchr(line, '|');

        if (name)
            kq_buf_printf(&seen, "%.*s,", (int)strcspn(name + 1, "|"), name + 1);
        poll_line(a, line);
    }
    free(text);
    /* What it was asked about and did not list, Slurm forgot: it ended,
     * or (submitted as the server stopped) it never reached Slurm. */
    for (size_t i = 0; i < a->nqueues && !seen.oom; i++) {
        queue *qu = a->queues[i];

        for (size_t k = 0; k < qu->q.allocations.len;) {
            kq_allocation *al = &qu->q.allocations.items[k];

            token_of(a, qu->q.queue_id, al->alloc_id, token, sizeof token);
            if (listed(kq_buf_ptr(&a->asked), token) && !listed(kq_buf_ptr(&seen), token)) {
                if (al->batch_id.ptr) {
                    alloc_ended(qu, al, "gone", "no longer listed by squeue");
                } else {
                    /* Not the queue's failure: the server stopped. */
                    event(qu, al->alloc_id, "lost", "the server stopped while sbatch ran, "
                                                    "and Slurm has no such job");
                    drop_alloc(qu, al);
                }
                continue;
            }
            k++;
        }
    }
    kq_buf_free(&seen);
}

/* Runs squeue about every allocation that may have changed. */
static void poll(kq_alloc *a)
{
    kq_buf names = KQ_BUF_INIT;
    char token[128];

    kq_buf_clear(&a->asked);
    kq_buf_putc(&a->asked, ',');
    for (size_t i = 0; i < a->nqueues; i++) {
        queue *qu = a->queues[i];

        for (size_t k = 0; k < qu->q.allocations.len; k++) {
            kq_allocation *al = &qu->q.allocations.items[k];

            /* An allocation being submitted is asked about only when its
             * sbatch is not running (it ran before a restart). */
            if (!al->batch_id.ptr && qu->submit_child)
                continue;
            token_of(a, qu->q.queue_id, al->alloc_id, token, sizeof token);
            kq_buf_printf(&names, "%s%s", names.len ? "," : "--name=", token);
            kq_buf_printf(&a->asked, "%s,", token);
        }
    }
    if (names.len && !names.oom && !a->asked.oom) {
        char *argv[] = {"squeue", "-h", "-t", "all", "-o", "%i|%j|%T|%r|%N",
                        kq_buf_ptr(&names), NULL};

        a->last_poll_ms = kq_loop_now(a->srv->loop);
        a->poll_child = kq_child_run(a->children, argv, NULL, 0, KQ_ALLOC_COMMAND_MS,
                                     on_polled, a);
    }
    kq_buf_free(&names);
}

/* ---- the tick ------------------------------------------------------------- */

/* Workers of the queue's allocations: all of them (those being canceled
 * too, until Slurm says they ended: never more than max_workers in its
 * queue), and those still to come (submitting, queued, or running
 * without a worker yet). */
static void count_workers(const queue *qu, uint64_t *all, uint64_t *coming)
{
    *all = *coming = 0;
    for (size_t k = 0; k < qu->q.allocations.len; k++) {
        const kq_allocation *al = &qu->q.allocations.items[k];

        *all += qu->q.workers_per_alloc;
        if (!al->workers && !in_state(al, ST_ENDING))
            *coming += qu->q.workers_per_alloc;
    }
}

/* Whether the queue should submit an allocation now: a waiting job would
 * fit its workers, it has room under max_workers, and the workers still
 * to come of every queue are fewer than the jobs waiting. */
static bool wants_more(kq_alloc *a, queue *qu)
{
    kq_sched *s = &a->srv->sched;
    uint64_t all, coming, coming_all = 0, horizon;

    if (qu->q.stopped.ptr || qu->submit_child || a->srv->stopping || !s->waiting)
        return false;
    for (size_t i = 0; i < a->nqueues; i++) {
        count_workers(a->queues[i], &all, &coming);
        coming_all += coming;
    }
    count_workers(qu, &all, &coming);
    if (all + qu->q.workers_per_alloc > qu->q.max_workers || coming_all >= s->waiting)
        return false;
    horizon = qu->q.time_limit_seconds > KQ_ALLOC_END_MARGIN_S
                  ? qu->q.time_limit_seconds - KQ_ALLOC_END_MARGIN_S
                  : 0;
    s->now_ms = kq_loop_now(a->srv->loop);
    return kq_sched_fits_new_worker(s, qu->has_cap ? &qu->cap : NULL, horizon);
}

/* Cancels the queue's allocations that run without a worker for longer
 * than connect_timeout_seconds. */
static void check_connect_timeouts(kq_alloc *a, queue *qu)
{
    kq_time now = kq_time_now();

    for (size_t k = 0; k < qu->q.allocations.len; k++) {
        kq_allocation *al = &qu->q.allocations.items[k];

        if (!in_state(al, ST_RUNNING) || al->connections || !al->has_started ||
            now.sec - al->started.sec < (int64_t)qu->q.connect_timeout_seconds)
            continue;
        {
            kq_buf d = KQ_BUF_INIT;
            char why[600];

            kq_duration_format(&d, qu->q.connect_timeout_seconds);
            snprintf(why, sizeof why, "Slurm job %s: no worker connected within %s of its start",
                     al->batch_id.ptr, d.oom ? "?" : kq_buf_ptr(&d));
            kq_buf_free(&d);
            event(qu, al->alloc_id, "canceled", "%s", why);
            cancel_alloc(a, qu, al);
            failure(qu, why);
        }
    }
}

/* Once no job waited for KQ_ALLOC_SURPLUS_MS, allocations still queued
 * in Slurm are canceled: each would start a worker with nothing to do. */
static void cancel_surplus(kq_alloc *a, uint64_t now)
{
    if (a->srv->sched.waiting) {
        a->no_jobs_since = 0;
        return;
    }
    if (!a->no_jobs_since)
        a->no_jobs_since = now;
    if (now - a->no_jobs_since < KQ_ALLOC_SURPLUS_MS)
        return;
    for (size_t i = 0; i < a->nqueues; i++) {
        queue *qu = a->queues[i];

        for (size_t k = 0; k < qu->q.allocations.len; k++) {
            kq_allocation *al = &qu->q.allocations.items[k];

            if (!in_state(al, ST_QUEUED) || !al->batch_id.ptr)
                continue;
            event(qu, al->alloc_id, "canceled", "Slurm job %s: no job waits for it any more",
                  al->batch_id.ptr);
            cancel_alloc(a, qu, al);
        }
    }
}

/* Whether anything is left for ticks to do. */
static bool busy(kq_alloc *a)
{
    for (size_t i = 0; i < a->nqueues; i++) {
        queue *qu = a->queues[i];

        if (qu->q.allocations.len || qu->submit_child ||
            (!qu->q.stopped.ptr && a->srv->sched.waiting))
            return true;
    }
    return false;
}

static void on_tick(kq_loop *loop, void *arg)
{
    kq_alloc *a = arg;
    uint64_t now = kq_loop_now(loop);

    a->tick_timer = 0;
    cancel_surplus(a, now);
    for (size_t i = 0; i < a->nqueues; i++) {
        queue *qu = a->queues[i];

        check_connect_timeouts(a, qu);
        if (wants_more(a, qu))
            submit(a, qu);
    }
    if (!a->poll_child && now - a->last_poll_ms >= KQ_ALLOC_POLL_MS)
        poll(a);
    if (busy(a))
        arm_tick(a, KQ_ALLOC_TICK_MS);
}

static void arm_tick(kq_alloc *a, uint64_t ms)
{
    if (a->tick_timer || a->srv->stopping)
        return;
    a->tick_timer = kq_loop_timer(a->srv->loop, ms, on_tick, a);
}

void kq_alloc_after_dispatch(kq_server *srv)
{
    kq_alloc *a = srv->alloc;

    if (a && a->nqueues && srv->sched.waiting)
        arm_tick(a, 0);
}

/* ---- workers ---------------------------------------------------------- */

void kq_alloc_worker_hello(kq_server *srv, kq_worker *w, const kq_str *token)
{
    kq_alloc *a = srv->alloc;
    unsigned long long q, no;
    char srvid[16], text[300], rest;
    kq_allocation *al;
    queue *qu;

    if (!a || !token->ptr)
        return;
    if (sscanf(token->ptr, "kq%llu.%llu-%8s%c", &q, &no, srvid, &rest) != 3 ||
        strcmp(srvid, a->server_id) != 0 || !(qu = find_queue(a, q)) ||
        !(al = find_alloc(qu, no))) {
        kq_info("Worker \"%s\" runs in allocation %s, which is not one of this server's",
                w->info.worker_name.ptr, token->ptr);
        return;
    }
    w->alloc_queue = q;
    w->alloc_no = no;
    snprintf(text, sizeof text, "queue %llu, allocation %llu (Slurm job %s)", q, no,
             al->batch_id.ptr ? al->batch_id.ptr : "?");
    set_text(&w->info.allocation, text);
    al->workers++;
    al->connections++;
    if (!in_state(al, ST_RUNNING) && !in_state(al, ST_ENDING)) {
        set_text(&al->state, ST_RUNNING);
        set_text(&al->reason, NULL);
    }
    if (!al->has_started) {
        /* Its worker came before squeue said it runs. */
        al->has_started = true;
        al->started = kq_time_now();
        event(qu, no, "started", "Slurm job %s", al->batch_id.ptr ? al->batch_id.ptr : "?");
    }
    if (!qu->q.stopped.ptr)
        qu->q.failures = 0;
    event(qu, no, "connected", "worker \"%s\" (id %llu)", w->info.worker_name.ptr,
          (unsigned long long)w->info.worker_id);
}

void kq_alloc_worker_resources(kq_server *srv, const kq_worker *w)
{
    queue *qu = srv->alloc && w->alloc_queue ? find_queue(srv->alloc, w->alloc_queue) : NULL;
    const kq_resources *r = &w->info.free_resources;

    if (!qu)
        return;
    /* What an idle worker reports is all it can take. */
    if (!qu->has_cap || r->job_slots > qu->cap.job_slots)
        qu->cap.job_slots = r->job_slots;
    if (!qu->has_cap || r->cpus > qu->cap.cpus)
        qu->cap.cpus = r->cpus;
    if (!qu->has_cap || r->ram_mb > qu->cap.ram_mb)
        qu->cap.ram_mb = r->ram_mb;
    qu->has_cap = true;
}

void kq_alloc_worker_left(kq_server *srv, kq_worker *w)
{
    queue *qu = srv->alloc && w->alloc_queue ? find_queue(srv->alloc, w->alloc_queue) : NULL;
    kq_allocation *al = qu ? find_alloc(qu, w->alloc_no) : NULL;

    if (al && al->workers) {
        al->workers--;
        qu->dirty = true;
    }
    w->alloc_queue = w->alloc_no = 0;
    if (qu)
        arm_tick(srv->alloc, KQ_ALLOC_TICK_MS);
}

/* ---- what waiting jobs are told ---------------------------------------- */

/* Whether a worker of the queue could run job: the queue submits, the
 * job's time limit fits an allocation's, its resources what the queue's
 * workers reported (if one did). */
static bool could_run(const queue *qu, const kq_job_info *job)
{
    const kq_workflow *wf = job->workflow;
    uint64_t limit = wf && wf->has_time_limit_seconds ? wf->time_limit_seconds : 0;

    if (qu->q.stopped.ptr)
        return false;
    if (limit && limit + KQ_ALLOC_END_MARGIN_S > qu->q.time_limit_seconds)
        return false;
    return !qu->has_cap || kq_resources_fit(&job->worker_resources, &qu->cap);
}

bool kq_alloc_could_run(kq_server *srv, const kq_job_info *job)
{
    for (size_t i = 0; srv->alloc && i < srv->alloc->nqueues; i++)
        if (could_run(srv->alloc->queues[i], job))
            return true;
    return false;
}

bool kq_alloc_reason(kq_server *srv, const kq_job_info *job, kq_buf *out)
{
    uint64_t all, coming;
    queue *qu = NULL;

    for (size_t i = 0; srv->alloc && i < srv->alloc->nqueues && !qu; i++)
        if (could_run(srv->alloc->queues[i], job))
            qu = srv->alloc->queues[i];
    if (!qu)
        return false;
    kq_buf_printf(out, "waiting for a worker of allocation queue %llu: ",
                  (unsigned long long)qu->q.queue_id);
    for (size_t k = 0; k < qu->q.allocations.len; k++) {
        const kq_allocation *al = &qu->q.allocations.items[k];

        if (al->workers || in_state(al, ST_ENDING))
            continue;
        if (in_state(al, ST_SUBMITTING))
            kq_buf_printf(out, "allocation %llu is being submitted",
                          (unsigned long long)al->alloc_id);
        else if (in_state(al, ST_QUEUED))
            kq_buf_printf(out, "allocation %llu is queued in Slurm (Slurm job %s%s%s)",
                          (unsigned long long)al->alloc_id, al->batch_id.ptr,
                          al->reason.ptr ? ": " : "", al->reason.ptr ? al->reason.ptr : "");
        else
            kq_buf_printf(out, "allocation %llu is starting (Slurm job %s)",
                          (unsigned long long)al->alloc_id, al->batch_id.ptr);
        return true;
    }
    count_workers(qu, &all, &coming);
    if (all + qu->q.workers_per_alloc <= qu->q.max_workers)
        kq_buf_puts(out, "it asks Slurm for an allocation");
    else
        kq_buf_printf(out, "its %llu workers are busy", (unsigned long long)all);
    return true;
}

/* ---- requests -------------------------------------------------------- */

/* Whether the program is in a directory of the server's PATH (what
 * kq_child runs it from). */
static bool on_path(const char *program)
{
    const char *path = getenv("PATH");
    char file[PATH_MAX];

    while (path && *path) {
        size_t n = strcspn(path, ":");

        snprintf(file, sizeof file, "%.*s/%s", (int)(n ? n : 1), n ? path : ".", program);
        if (access(file, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

/* Why a queue cannot be accepted, or NULL. */
static const char *invalid(const kq_alloc_queue *q, char *buf, size_t n)
{
    const char *colon;

    if (!q->backend.ptr || strcmp(q->backend.ptr, "slurm") != 0)
        snprintf(buf, n, "unknown backend '%s' (known: slurm)", q->backend.ptr ? q->backend.ptr : "");
    else if (q->max_workers == 0)
        snprintf(buf, n, "max-workers must be at least 1");
    else if (q->workers_per_alloc == 0)
        snprintf(buf, n, "workers-per-alloc must be at least 1");
    else if (q->workers_per_alloc > q->max_workers)
        snprintf(buf, n, "workers-per-alloc (%llu) is more than max-workers (%llu)",
                 (unsigned long long)q->workers_per_alloc, (unsigned long long)q->max_workers);
    else if (q->time_limit_seconds < 60 || q->time_limit_seconds > KQ_DURATION_MAX)
        snprintf(buf, n, "time-limit must be 1m at least (Slurm counts minutes)");
    else if (q->idle_exit_seconds == 0 || q->idle_exit_seconds > KQ_DURATION_MAX)
        snprintf(buf, n, "idle-exit must be at least 1s");
    else if (q->connect_timeout_seconds == 0 || q->connect_timeout_seconds > KQ_DURATION_MAX)
        snprintf(buf, n, "connect-timeout must be at least 1s");
    else if (q->max_failures == 0)
        snprintf(buf, n, "max-failures must be at least 1");
    else if (q->has_margin_seconds &&
             (q->margin_seconds == 0 || q->margin_seconds > KQ_DURATION_MAX))
        snprintf(buf, n, "margin must be at least 1s");
    else if (!q->server_address.ptr || !(colon = strrchr(q->server_address.ptr, ':')) ||
             colon == q->server_address.ptr || !colon[1])
        snprintf(buf, n, "server '%s' is not HOST:PORT",
                 q->server_address.ptr ? q->server_address.ptr : "");
    else if (!q->worker_program.ptr || !q->worker_program.ptr[0])
        snprintf(buf, n, "worker-program is empty");
    else if (!q->worker_config.ptr || q->worker_config.ptr[0] != '/')
        snprintf(buf, n, "worker-config must be an absolute path");
    else if (!on_path("sbatch"))
        snprintf(buf, n, "sbatch is not on the PATH of kueue_server (it must run where "
                         "Slurm's commands work, e.g. on a login node)");
    else
        return NULL;
    return buf;
}

/* Text fields must be C strings the script can hold. */
static bool has_nul(const kq_alloc_queue *q)
{
    const kq_str *s[] = {&q->backend, &q->server_address, &q->worker_program, &q->worker_config};

    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        if (s[i]->ptr && strlen(s[i]->ptr) != s[i]->len)
            return true;
    for (size_t i = 0; i < q->backend_args.len; i++)
        if (strlen(q->backend_args.items[i].ptr) != q->backend_args.items[i].len)
            return true;
    return false;
}

void kq_alloc_add_request(kq_peer *p, kq_c2s_add_alloc_queue *req)
{
    kq_alloc *a = p->srv->alloc;
    kq_s2c m = {.tag = KQ_S2C_ALLOC_QUEUE_LIST};
    char why[512];
    const char *bad;
    queue *qu, **grown;
    kq_alloc_queue *q = &req->queue;

    if (has_nul(q)) {
        kq_srv_respond(p, false, "Allocation queue refused: a text holds a NUL character");
        return;
    }
    if ((bad = invalid(q, why, sizeof why))) {
        kq_srv_respond(p, false, "Allocation queue refused: %s", bad);
        return;
    }
    qu = calloc(1, sizeof *qu);
    grown = realloc(a->queues, (a->nqueues + 1) * sizeof *grown);
    if (!qu || !grown) {
        free(qu);
        if (grown)
            a->queues = grown;
        kq_srv_respond(p, false, "Allocation queue refused: the server is out of memory");
        return;
    }
    a->queues = grown;
    qu->q = *q;
    memset(q, 0, sizeof *q);
    /* What the server sets, it sets. */
    qu->q.queue_id = a->next_queue_id++;
    qu->q.failures = 0;
    kq_allocation_list_free(&qu->q.allocations);
    kq_str_free(&qu->q.stopped);
    kq_alloc_event_list_free(&qu->q.events);
    qu->q.has_events = true;
    kq_str_free(&qu->q.script);
    qu->next_alloc = 1;
    a->queues[a->nqueues++] = qu;
    event(qu, 0, "added", "backend %s, at most %llu worker%s, %llu per allocation",
          qu->q.backend.ptr, (unsigned long long)qu->q.max_workers,
          qu->q.max_workers == 1 ? "" : "s", (unsigned long long)qu->q.workers_per_alloc);
    m.alloc_queue_list.queues = (kq_alloc_queue_list){1, &qu->q};
    qu->q.has_events = false;
    kq_srv_send_s2c(p, &m);
    qu->q.has_events = true;
    arm_tick(a, 0);
}

/* The next submission of qu, as dry-run shows it, into *script. */
static int dry_run(kq_alloc *a, queue *qu, kq_str *script)
{
    char token[128];
    kq_buf b = KQ_BUF_INIT;
    kq_sbatch sb;
    int rc;

    token_of(a, qu->q.queue_id, qu->next_alloc, token, sizeof token);
    if ((rc = kq_sbatch_make(&qu->q, qu->next_alloc, token, a->log_dir, &sb)) < 0)
        return rc;
    kq_sbatch_describe(&sb, &b);
    kq_sbatch_free(&sb);
    rc = b.oom ? -ENOMEM : kq_str_set(script, kq_buf_ptr(&b), b.len);
    kq_buf_free(&b);
    return rc;
}

void kq_alloc_list_request(kq_peer *p, const kq_c2s_list_alloc_queues *req)
{
    kq_alloc *a = p->srv->alloc;
    kq_s2c m = {.tag = KQ_S2C_ALLOC_QUEUE_LIST};
    kq_alloc_queue_list *l = &m.alloc_queue_list.queues;

    if (req->has_queue_id && !find_queue(a, req->queue_id)) {
        kq_srv_respond(p, false, "There is no allocation queue %llu", (unsigned long long)req->queue_id);
        return;
    }
    l->items = calloc(a->nqueues ? a->nqueues : 1, sizeof *l->items);
    if (!l->items) {
        kq_srv_respond(p, false, "The server is out of memory");
        return;
    }
    /* Shallow views of the records, with what was asked for. */
    for (size_t i = 0; i < a->nqueues; i++) {
        queue *qu = a->queues[i];
        kq_alloc_queue *v;

        if (req->has_queue_id && qu->q.queue_id != req->queue_id)
            continue;
        v = &l->items[l->len++];
        *v = qu->q;
        v->has_events = req->events;
        v->script = KQ_STR_NULL;
        if (req->script && dry_run(a, qu, &v->script) < 0)
            kq_err("Out of memory writing a dry run");
    }
    kq_srv_send_s2c(p, &m);
    for (size_t i = 0; i < l->len; i++)
        kq_str_free(&l->items[i].script);
    free(l->items);
}

void kq_alloc_remove_request(kq_peer *p, const kq_c2s_remove_alloc_queue *req)
{
    kq_alloc *a = p->srv->alloc;
    queue *qu = find_queue(a, req->queue_id);
    uint64_t canceled = 0, kept = 0, *gone;
    size_t i;

    if (!qu) {
        kq_srv_respond(p, false, "There is no allocation queue %llu", (unsigned long long)req->queue_id);
        return;
    }
    gone = realloc(a->gone, (a->ngone + 1) * sizeof *gone);
    if (!gone) {
        kq_srv_respond(p, false, "The server is out of memory");
        return;
    }
    a->gone = gone;
    for (size_t k = 0; k < qu->q.allocations.len; k++) {
        kq_allocation *al = &qu->q.allocations.items[k];

        /* A submission still running is canceled when sbatch answers
         * (on_submitted finds no queue). */
        if (!al->batch_id.ptr) {
            canceled++;
            continue;
        }
        if (in_state(al, ST_RUNNING) && al->workers && !req->cancel) {
            kept++;
            continue;
        }
        if (!in_state(al, ST_ENDING))
            scancel(a, al->batch_id.ptr);
        canceled++;
    }
    a->gone[a->ngone++] = qu->q.queue_id;
    for (i = 0; a->queues[i] != qu; i++)
        ;
    memmove(a->queues + i, a->queues + i + 1, (a->nqueues - i - 1) * sizeof *a->queues);
    a->nqueues--;
    kq_info("Allocation queue %llu removed: %llu allocation(s) canceled, %llu left to their "
            "workers", (unsigned long long)qu->q.queue_id, (unsigned long long)canceled,
            (unsigned long long)kept);
    kq_srv_respond(p, true, "Allocation queue %llu removed: %llu allocation(s) canceled%s",
            (unsigned long long)qu->q.queue_id, (unsigned long long)canceled,
            kept ? "; the workers of the running ones exit once idle (--cancel cancels them)"
                 : "");
    /* Workers of the queue are plain workers from now on. */
    for (size_t k = 0; k < p->srv->nworkers; k++) {
        kq_worker *w = p->srv->workers[k];

        if (w->alloc_queue == qu->q.queue_id) {
            w->alloc_queue = w->alloc_no = 0;
            kq_str_free(&w->info.allocation);
        }
    }
    queue_free(qu);
}

/* ---- the store -------------------------------------------------------- */

int kq_alloc_stage(kq_server *srv)
{
    kq_alloc *a = srv->alloc;
    kq_buf json = KQ_BUF_INIT;
    int rc = 0;

    if (!a || !srv->store)
        return 0;
    for (size_t i = 0; i < a->ngone && rc == 0; i++)
        rc = kq_store_put_queue(srv->store, a->gone[i], 0, NULL, 0);
    if (rc == 0)
        a->ngone = 0;
    for (size_t i = 0; i < a->nqueues && rc == 0; i++) {
        queue *qu = a->queues[i];

        if (!qu->dirty)
            continue;
        kq_buf_clear(&json);
        if (kq_alloc_queue_encode(&qu->q, &json) < 0 || json.oom)
            rc = -ENOMEM;
        else
            rc = kq_store_put_queue(srv->store, qu->q.queue_id, qu->next_alloc,
                                    kq_buf_ptr(&json), json.len);
        if (rc == 0)
            qu->dirty = false;
    }
    kq_buf_free(&json);
    return rc;
}

/* A queue read back from the store; its allocations' workers reconnect. */
static int load_queue(void *ctx, kq_alloc_queue *q, uint64_t next_alloc)
{
    kq_alloc *a = ctx;
    queue *qu = calloc(1, sizeof *qu), **grown;

    if (!qu)
        return -ENOMEM;
    grown = realloc(a->queues, (a->nqueues + 1) * sizeof *grown);
    if (!grown) {
        free(qu);
        return -ENOMEM;
    }
    a->queues = grown;
    qu->q = *q;
    memset(q, 0, sizeof *q);
    qu->q.has_events = true;
    qu->next_alloc = next_alloc;
    /* Nobody is connected yet. */
    for (size_t k = 0; k < qu->q.allocations.len; k++)
        qu->q.allocations.items[k].workers = 0;
    a->queues[a->nqueues++] = qu;
    if (qu->q.queue_id >= a->next_queue_id)
        a->next_queue_id = qu->q.queue_id + 1;
    return 0;
}

/* Where Slurm writes the allocations' output: beside the state file, or
 * in the data directory. */
static void choose_log_dir(kq_alloc *a)
{
    const char *state = a->srv->opts.state_path;
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    char copy[PATH_MAX], real[PATH_MAX];

    if (state) {
        snprintf(copy, sizeof copy, "%s", state);
        if (!realpath(dirname(copy), real))
            snprintf(real, sizeof real, "/tmp");
        snprintf(a->log_dir, sizeof a->log_dir, "%s/alloc-logs", real);
    } else if (xdg && xdg[0] == '/') {
        snprintf(a->log_dir, sizeof a->log_dir, "%s/kueue/alloc-logs", xdg);
    } else if (home && home[0] == '/') {
        snprintf(a->log_dir, sizeof a->log_dir, "%s/.local/share/kueue/alloc-logs", home);
    } else {
        snprintf(a->log_dir, sizeof a->log_dir, "/tmp/kueue-alloc-logs");
    }
}

int kq_alloc_new(kq_server *srv, kq_error *err)
{
    kq_alloc *a = calloc(1, sizeof *a);
    uint32_t r = 0;
    int rc;

    if (!a) {
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    a->srv = srv;
    a->next_queue_id = 1;
    srv->alloc = a;
    if ((rc = kq_children_new(srv->loop, &a->children)) < 0) {
        kq_error_set(err, "setting up child processes: %s", strerror(-rc));
        return rc;
    }
    /* Its stored state names the server's allocations across restarts;
     * in memory only, a random id does for its life. */
    if (srv->state_id[0]) {
        snprintf(a->server_id, sizeof a->server_id, "%.8s", srv->state_id);
    } else {
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
            r = (uint32_t)kq_loop_now(srv->loop);
        snprintf(a->server_id, sizeof a->server_id, "%08x", r);
    }
    choose_log_dir(a);
    if (srv->store && (rc = kq_store_load_queues(srv->store, load_queue, a, err)) < 0) {
        if (rc == -ENOMEM)
            kq_error_set(err, "out of memory loading the allocation queues");
        return rc;
    }
    if (a->nqueues) {
        kq_info("%zu allocation queue(s) in the state file", a->nqueues);
        arm_tick(a, KQ_ALLOC_TICK_MS);
    }
    return 0;
}

void kq_alloc_free(kq_alloc *a)
{
    if (!a)
        return;
    kq_children_free(a->children);
    while (a->ctxs)
        free_ctx(a->ctxs);
    for (size_t i = 0; i < a->nqueues; i++)
        queue_free(a->queues[i]);
    free(a->queues);
    free(a->gone);
    kq_buf_free(&a->asked);
    free(a);
}
