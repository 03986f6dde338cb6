/*
 * kq_jobs.c - the job table (see kq_jobs.h).
 */
#include "kq_jobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

kq_cat kq_cat_of(const kq_job_status *st)
{
    switch (st->tag) {
    case KQ_JOB_STATUS_PENDING:
        return KQ_CAT_PENDING;
    case KQ_JOB_STATUS_OFFERED:
        return KQ_CAT_OFFERED;
    case KQ_JOB_STATUS_RUNNING:
        return KQ_CAT_RUNNING;
    case KQ_JOB_STATUS_FINISHED:
        return st->finished.return_code == 0 ? KQ_CAT_SUCCEEDED : KQ_CAT_FAILED;
    case KQ_JOB_STATUS_CANCELED:
        break;
    }
    return KQ_CAT_CANCELED;
}

void kq_jobs_init(kq_jobs *t, uint64_t next_id)
{
    memset(t, 0, sizeof *t);
    t->next_id = next_id;
    t->base = next_id & ~(uint64_t)63;
}

kq_job *kq_job_new(void)
{
    kq_job *job = calloc(1, sizeof *job);

    if (job) {
        job->worker_id = KQ_NO_WORKER;
        job->stored_cat = KQ_CAT_COUNT;
    }
    return job;
}

void kq_job_free(kq_job *job)
{
    if (!job)
        return;
    kq_job_info_free(&job->info);
    kq_env_unref(job->env);
    kq_str_free(&job->stdout_text);
    kq_str_free(&job->stderr_text);
    free(job->observers);
    free(job);
}

void kq_jobs_free(kq_jobs *t)
{
    for (size_t i = 0; i < t->nslots; i++)
        kq_job_free(t->slots[i]);
    free(t->slots);
    for (int c = 0; c < KQ_CAT_COUNT; c++)
        free(t->bits[c]);
    free(t->removed);
    memset(t, 0, sizeof *t);
}

void kq_jobs_touch(kq_jobs *t, kq_job *job)
{
    if (!t->track || job->dirty)
        return;
    job->dirty = true;
    job->dirty_prev = NULL;
    job->dirty_next = t->dirty_head;
    if (t->dirty_head)
        t->dirty_head->dirty_prev = job;
    t->dirty_head = job;
}

void kq_jobs_touch_info(kq_jobs *t, kq_job *job)
{
    if (!t->track)
        return;
    job->info_dirty = true;
    kq_jobs_touch(t, job);
}

static void untouch(kq_jobs *t, kq_job *job)
{
    if (!job->dirty)
        return;
    if (job->dirty_prev)
        job->dirty_prev->dirty_next = job->dirty_next;
    else
        t->dirty_head = job->dirty_next;
    if (job->dirty_next)
        job->dirty_next->dirty_prev = job->dirty_prev;
    job->dirty = false;
    job->dirty_prev = job->dirty_next = NULL;
}

void kq_jobs_clear_changes(kq_jobs *t)
{
    while (t->dirty_head)
        untouch(t, t->dirty_head);
    t->nremoved = 0;
}

kq_job *kq_jobs_get(const kq_jobs *t, uint64_t id)
{
    if (id < t->base || id - t->base >= t->nslots)
        return NULL;
    return t->slots[id - t->base];
}

/* Room for slot index i in the table and the bitmaps. */
static int reserve(kq_jobs *t, size_t i)
{
    size_t cap, words, old_words;

    if (i < t->cap)
        return 0;
    cap = t->cap ? t->cap : 1024;
    while (cap <= i)
        cap *= 2;
    {
        kq_job **slots = realloc(t->slots, cap * sizeof *slots);

        if (!slots)
            return -ENOMEM;
        memset(slots + t->cap, 0, (cap - t->cap) * sizeof *slots);
        t->slots = slots;
    }
    words = cap / 64;
    old_words = t->cap / 64;
    for (int c = 0; c < KQ_CAT_COUNT; c++) {
        uint64_t *b = realloc(t->bits[c], words * sizeof *b);

        if (!b)
            return -ENOMEM;
        memset(b + old_words, 0, (words - old_words) * sizeof *b);
        t->bits[c] = b;
    }
    t->cap = cap;
    return 0;
}

static void set_bit(uint64_t *bits, size_t i, bool on)
{
    if (on)
        bits[i / 64] |= (uint64_t)1 << (i % 64);
    else
        bits[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static void list_unlink(kq_job **head, kq_job **tail, kq_job *job)
{
    if (job->prev)
        job->prev->next = job->next;
    else
        *head = job->next;
    if (job->next)
        job->next->prev = job->prev;
    else if (tail)
        *tail = job->prev;
    job->prev = job->next = NULL;
}

/* Keeps the done list ordered by done_at: normally an append. */
static void done_link(kq_jobs *t, kq_job *job)
{
    kq_job *after = t->done_tail;

    while (after && kq_time_cmp(after->done_at, job->done_at) > 0)
        after = after->prev;
    job->prev = after;
    job->next = after ? after->next : t->done_head;
    if (job->next)
        job->next->prev = job;
    else
        t->done_tail = job;
    if (after)
        after->next = job;
    else
        t->done_head = job;
}

/* Adds (sign 1) or removes (sign -1) the job's category bookkeeping. */
static void account(kq_jobs *t, kq_job *job, int sign)
{
    size_t i = job->info.job_id - t->base;
    kq_cat c = (kq_cat)job->cat;

    set_bit(t->bits[c], i, sign > 0);
    t->count[c] += (uint64_t)(int64_t)sign;
    if (c == KQ_CAT_SUCCEEDED || c == KQ_CAT_FAILED) {
        t->finished_sum += sign * job->info.status.finished.run_time_seconds;
        t->finished_n += (uint64_t)(int64_t)sign;
    }
    if (c == KQ_CAT_RUNNING) {
        if (sign > 0) {
            job->prev = NULL;
            job->next = t->running;
            if (t->running)
                t->running->prev = job;
            t->running = job;
        } else
            list_unlink(&t->running, NULL, job);
    } else if (KQ_CAT_BIT(c) & KQ_CAT_DONE) {
        if (sign > 0)
            done_link(t, job);
        else
            list_unlink(&t->done_head, &t->done_tail, job);
    }
}

int kq_jobs_insert(kq_jobs *t, kq_job *job, kq_time now)
{
    uint64_t id = job->info.job_id;
    size_t i;

    if (id < t->base)
        return -EEXIST;
    i = id - t->base;
    if (reserve(t, i) < 0)
        return -ENOMEM;
    if (t->slots[i])
        return -EEXIST;
    t->slots[i] = job;
    if (i >= t->nslots)
        t->nslots = i + 1;
    if (id >= t->next_id)
        t->next_id = id + 1;
    job->cat = (uint8_t)kq_cat_of(&job->info.status);
    if ((KQ_CAT_BIT(job->cat) & KQ_CAT_DONE) && job->done_at.sec == 0)
        job->done_at = now;
    account(t, job, 1);
    if (job->stored_cat != job->cat)
        kq_jobs_touch(t, job);
    return 0;
}

void kq_jobs_set_status(kq_jobs *t, kq_job *job, kq_job_status *st,
                        kq_time now)
{
    kq_cat from = (kq_cat)job->cat;
    bool was_done = KQ_CAT_BIT(from) & KQ_CAT_DONE;

    account(t, job, -1);
    kq_job_status_free(&job->info.status);
    job->info.status = *st;
    memset(st, 0, sizeof *st);
    job->cat = (uint8_t)kq_cat_of(&job->info.status);
    if (KQ_CAT_BIT(job->cat) & KQ_CAT_DONE)
        job->done_at = now;
    account(t, job, 1);
    kq_jobs_touch(t, job);
    if (t->on_status)
        t->on_status(t->on_status_arg, job, from);
    if (!was_done && (KQ_CAT_BIT(job->cat) & KQ_CAT_DONE) && t->on_end)
        t->on_end(t->on_end_ctx, job);
}

/* Drops leading empty words once they are half the table. */
static void compact(kq_jobs *t)
{
    size_t words = t->nslots / 64, empty = 0;

    while (empty < words) {
        uint64_t any = 0;

        for (int c = 0; c < KQ_CAT_COUNT; c++)
            any |= t->bits[c][empty];
        if (any)
            break;
        empty++;
    }
    if (empty == 0 || empty * 64 * 2 < t->nslots)
        return;
    memmove(t->slots, t->slots + empty * 64,
            (t->nslots - empty * 64) * sizeof *t->slots);
    memset(t->slots + t->nslots - empty * 64, 0, empty * 64 * sizeof *t->slots);
    for (int c = 0; c < KQ_CAT_COUNT; c++) {
        memmove(t->bits[c], t->bits[c] + empty,
                (t->cap / 64 - empty) * sizeof *t->bits[c]);
        memset(t->bits[c] + t->cap / 64 - empty, 0, empty * sizeof *t->bits[c]);
    }
    t->nslots -= empty * 64;
    t->base += empty * 64;
}

void kq_jobs_delete(kq_jobs *t, kq_job *job)
{
    untouch(t, job);
    if (t->track && job->stored_cat != KQ_CAT_COUNT) {
        if (t->nremoved == t->removed_cap) {
            size_t cap = t->removed_cap ? t->removed_cap * 2 : 64;
            uint64_t *r = realloc(t->removed, cap * sizeof *r);

            /* Out of memory: the row stays and the job comes back after a
             * restart; nothing else is affected. */
            if (r) {
                t->removed = r;
                t->removed_cap = cap;
            }
        }
        if (t->nremoved < t->removed_cap)
            t->removed[t->nremoved++] = job->info.job_id;
    }
    account(t, job, -1);
    t->slots[job->info.job_id - t->base] = NULL;
    kq_job_free(job);
    if (t->nslots >= 128)
        compact(t);
}

long kq_jobs_select(const kq_jobs *t, unsigned cats, uint64_t n,
                    kq_job ***out)
{
    size_t words = (t->nslots + 63) / 64;
    uint64_t total = 0;
    kq_job **items;
    long got = 0;

    *out = NULL;
    for (int c = 0; c < KQ_CAT_COUNT; c++)
        if (cats & KQ_CAT_BIT(c))
            total += t->count[c];
    if (n > total)
        n = total;
    if (n == 0)
        return 0;
    items = malloc(n * sizeof *items);
    if (!items)
        return -ENOMEM;
    for (size_t w = words; w-- > 0 && (uint64_t)got < n;) {
        uint64_t m = 0;

        for (int c = 0; c < KQ_CAT_COUNT; c++)
            if (cats & KQ_CAT_BIT(c))
                m |= t->bits[c][w];
        while (m && (uint64_t)got < n) {
            int b = 63 - __builtin_clzll(m);

            items[got++] = t->slots[w * 64 + (size_t)b];
            m &= ~((uint64_t)1 << b);
        }
    }
    for (long i = 0; i < got / 2; i++) {
        kq_job *tmp = items[i];

        items[i] = items[got - 1 - i];
        items[got - 1 - i] = tmp;
    }
    *out = items;
    return got;
}

void kq_jobs_visit(const kq_jobs *t, uint64_t from, bool (*fn)(kq_job *job, void *ctx),
                   void *ctx)
{
    size_t i = from > t->base ? (size_t)(from - t->base) : 0;

    for (; i < t->nslots; i++)
        if (t->slots[i] && !fn(t->slots[i], ctx))
            return;
}

void kq_jobs_stats(const kq_jobs *t, kq_time now, kq_s2c_job_list *out)
{
    int64_t run_sum = 0, run_min = 0, avg = 0, eta = 0;
    int64_t run_n = 0, pending;

    out->jobs_pending = t->count[KQ_CAT_PENDING];
    out->jobs_offered = t->count[KQ_CAT_OFFERED];
    out->jobs_running = t->count[KQ_CAT_RUNNING];
    out->jobs_succeeded = t->count[KQ_CAT_SUCCEEDED];
    out->jobs_failed = t->count[KQ_CAT_FAILED];
    out->jobs_canceled = t->count[KQ_CAT_CANCELED];
    for (const kq_job *j = t->running; j; j = j->next) {
        int64_t s = kq_time_diff_sec(now, j->info.status.running.started);

        if (run_n == 0 || s < run_min)
            run_min = s;
        if (run_n == 0 || s > avg)
            avg = s; /* the maximum, used when nothing has finished */
        run_sum += s;
        run_n++;
    }
    if (t->finished_n) {
        int64_t fin_avg = t->finished_sum / (int64_t)t->finished_n;
        int64_t all_avg = (run_sum + t->finished_sum) /
                          (run_n + (int64_t)t->finished_n);

        avg = fin_avg > all_avg ? fin_avg : all_avg;
    } else if (run_n == 0)
        avg = 0;
    if (run_n && avg - run_min > 0)
        eta = avg - run_min;
    pending = (int64_t)t->count[KQ_CAT_PENDING];
    if (pending > run_n)
        eta += run_n ? pending * avg / run_n : pending * avg;
    else if (pending > 0)
        eta += avg;
    out->job_avg_run_time_seconds = avg;
    out->remaining_jobs_eta_seconds = eta;
}

kq_time kq_job_issued(const kq_job *job)
{
    const kq_job_status *st = &job->info.status;

    switch (st->tag) {
    case KQ_JOB_STATUS_PENDING:
        return st->pending.issued;
    case KQ_JOB_STATUS_OFFERED:
        return st->offered.issued;
    case KQ_JOB_STATUS_RUNNING:
        return st->running.issued;
    case KQ_JOB_STATUS_FINISHED:
        return st->finished.issued;
    case KQ_JOB_STATUS_CANCELED:
        break;
    }
    return st->canceled.issued;
}

int kq_job_observe(kq_job *job, void *observer)
{
    for (uint32_t i = 0; i < job->nobservers; i++)
        if (job->observers[i] == observer)
            return 0;
    if (job->nobservers == job->observers_cap) {
        uint32_t cap = job->observers_cap ? job->observers_cap * 2 : 2;
        void **o = realloc(job->observers, cap * sizeof *o);

        if (!o)
            return -ENOMEM;
        job->observers = o;
        job->observers_cap = cap;
    }
    job->observers[job->nobservers++] = observer;
    return 1;
}

void kq_job_unobserve(kq_job *job, void *observer)
{
    for (uint32_t i = 0; i < job->nobservers; i++) {
        if (job->observers[i] == observer) {
            job->observers[i] = job->observers[--job->nobservers];
            return;
        }
    }
}
