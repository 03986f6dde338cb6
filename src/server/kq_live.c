/*
 * kq_live.c - live output and its followers (see kq_live.h).
 *
 * A record's rings hold the run whose start time (Running.started) it
 * remembers: a job that runs again (requeued, retried) starts its streams
 * at 0, and so do its followers; its clients see the new run in the
 * JobUpdated.  A follower's positions say where it is in each stream.
 * Output is forwarded as it arrives to every follower at its start and
 * with room in its queue; the others get what the ring holds from where
 * they are, now or once their queue has drained (the lag timer).  A job
 * that ends Finished keeps its followers until its results come (they
 * follow the status in the worker's report), then they get the rest of
 * the final text from where they are, in pieces as their queue allows,
 * and the follow ends.  A follow of a job that ended already gets the last
 * max(keep, 64 KiB) bytes of its final output at once (its client prints
 * the last lines).
 */
#include "kq_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_textring.h"
#include "kq_utf8.h"

/* Room for the truncation note past a worker's output limit. */
#define NOTE_ROOM 128
/* The least of a final output a follow sends when it ends. */
#define FINAL_TAIL_MIN (64u << 10)

typedef struct live_job live_job;

struct kq_live_follower {
    kq_peer *peer;
    live_job *job;
    uint64_t pos[2];         /* next stream position it needs */
    bool want[2];
    bool lagging;            /* in the lag list */
    kq_live_follower *job_prev, *job_next;
    kq_live_follower *peer_next;
    kq_live_follower *lag_prev, *lag_next;
};

struct live_job {
    uint64_t id;
    live_job *hash_next;
    kq_textring ring[2];
    kq_time started;         /* of the run the rings hold */
    uint64_t told;           /* the worker told it is watched, or KQ_NO_WORKER */
    bool has_run;
    bool ending;             /* Finished: followers wait for the results */
    bool final;              /* the results are in: followers get the rest
                                of the final output, then the end */
    kq_live_follower *followers;
};

struct kq_live {
    kq_server *srv;
    size_t keep;
    live_job **buckets;
    size_t nbuckets, count;  /* power of two; records */
    kq_live_follower *lagging;
    uint64_t lag_timer;
};

/* ---- records -------------------------------------------------------- */

static size_t bucket(const kq_live *l, uint64_t id)
{
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (l->nbuckets - 1);
}

static live_job *find(const kq_live *l, uint64_t id)
{
    if (!l->count)
        return NULL;
    for (live_job *lj = l->buckets[bucket(l, id)]; lj; lj = lj->hash_next)
        if (lj->id == id)
            return lj;
    return NULL;
}

/* Doubles the table once it holds as many records as buckets. */
static void grow(kq_live *l)
{
    size_t n = l->nbuckets * 2, old = l->nbuckets;
    live_job **b = calloc(n, sizeof *b), **prev = l->buckets;

    if (!b)
        return; /* longer chains, still correct */
    l->buckets = b;
    l->nbuckets = n;
    for (size_t i = 0; i < old; i++) {
        for (live_job *lj = prev[i], *next; lj; lj = next) {
            size_t k = bucket(l, lj->id);

            next = lj->hash_next;
            lj->hash_next = b[k];
            b[k] = lj;
        }
    }
    free(prev);
}

/* The record of job id, made if needed; NULL when out of memory. */
static live_job *get(kq_live *l, uint64_t id)
{
    live_job *lj = find(l, id);
    size_t k;

    if (lj)
        return lj;
    if (!(lj = calloc(1, sizeof *lj)))
        return NULL;
    lj->id = id;
    lj->told = KQ_NO_WORKER;
    k = bucket(l, id);
    lj->hash_next = l->buckets[k];
    l->buckets[k] = lj;
    if (++l->count > l->nbuckets)
        grow(l);
    return lj;
}

static void drop_rings(live_job *lj)
{
    for (int s = 0; s < 2; s++) {
        kq_textring_free(&lj->ring[s]);
        kq_textring_reset(&lj->ring[s], 0);
    }
    lj->has_run = false;
}

/* Frees the record once nothing is held and nobody follows. */
static void release(kq_live *l, live_job *lj)
{
    live_job **p;

    if (lj->followers || lj->ring[0].end || lj->ring[1].end)
        return;
    for (p = &l->buckets[bucket(l, lj->id)]; *p != lj; p = &(*p)->hash_next)
        ;
    *p = lj->hash_next;
    l->count--;
    drop_rings(lj);
    free(lj);
}

/* ---- followers ------------------------------------------------------ */

static void on_lag_timer(kq_loop *loop, void *arg);

static void lag(kq_live *l, kq_live_follower *f)
{
    if (f->lagging)
        return;
    f->lagging = true;
    f->lag_prev = NULL;
    f->lag_next = l->lagging;
    if (l->lagging)
        l->lagging->lag_prev = f;
    l->lagging = f;
    if (!l->lag_timer)
        l->lag_timer = kq_loop_timer(l->srv->loop, KQ_LIVE_LAG_POLL_MS, on_lag_timer, l);
}

static void unlag(kq_live *l, kq_live_follower *f)
{
    if (!f->lagging)
        return;
    if (f->lag_prev)
        f->lag_prev->lag_next = f->lag_next;
    else
        l->lagging = f->lag_next;
    if (f->lag_next)
        f->lag_next->lag_prev = f->lag_prev;
    f->lagging = false;
    f->lag_prev = f->lag_next = NULL;
}

/* Unlinks f from its job and the lag list and frees it; its client's list
 * is the caller's to mend. */
static void drop_follower(kq_live *l, kq_live_follower *f)
{
    live_job *lj = f->job;

    unlag(l, f);
    if (f->job_prev)
        f->job_prev->job_next = f->job_next;
    else
        lj->followers = f->job_next;
    if (f->job_next)
        f->job_next->job_prev = f->job_prev;
    free(f);
}

/* Ends a follow: off its job and its client's list. */
static void end_follow(kq_live *l, kq_live_follower *f)
{
    kq_live_follower **p;

    for (p = &f->peer->follows; *p && *p != f; p = &(*p)->peer_next)
        ;
    if (*p)
        *p = f->peer_next;
    drop_follower(l, f);
}

/* Whether the job's output comes while it runs: it runs on a worker not
 * known to speak the original protocol (one away may come back either). */
static bool streams(kq_server *srv, const kq_job *job)
{
    kq_worker *w;

    if (job->cat != KQ_CAT_RUNNING)
        return false;
    w = kq_srv_worker_get(srv, job->worker_id);
    return !(w && w->peer && w->peer->ext_level < kq_w2s_tag_level(KQ_W2S_OUTPUT_CHUNK));
}

/* Queues a JobOutput for job id to p: live output unheld, the final
 * output and the end of a follow held until the turn's commit (they carry
 * stored results). */
static void send_output(kq_peer *p, uint64_t id, const kq_stream_text *piece[2], bool live,
                        bool done, bool held)
{
    kq_s2c m = {.tag = KQ_S2C_JOB_OUTPUT};
    kq_conn *c = &p->conn;

    if (!kq_conn_is_open(c))
        return;
    m.job_output.job_id = id;
    if (piece[0]) {
        m.job_output.has_stdout_chunk = true;
        m.job_output.stdout_chunk = *piece[0];
    }
    if (piece[1]) {
        m.job_output.has_stderr_chunk = true;
        m.job_output.stderr_chunk = *piece[1];
    }
    m.job_output.live = live;
    m.job_output.done = done;
    kq_s2c_encode(&m, kq_conn_out(c));
    if (held)
        kq_conn_queued(c);
    else
        kq_conn_queued_unheld(c);
}

/* The next piece of a final text from pos on: at most
 * KQ_LIVE_FINAL_PIECE bytes, whole characters.  NULL when none is left. */
static const kq_stream_text *final_next(const kq_str *text, uint64_t pos, kq_stream_text *piece)
{
    size_t from, n;

    if (!text->ptr || text->len <= pos)
        return NULL;
    from = kq_textring_boundary(text->ptr, text->len, (size_t)pos);
    n = kq_utf8_truncate(text->ptr + from, text->len - from, KQ_LIVE_FINAL_PIECE);
    if (n == 0)
        return NULL;
    piece->offset = from;
    piece->text = (kq_str){text->ptr + from, n};
    return piece;
}

/* The pieces a follower at pos needs next: once the final output is in,
 * the next of it; else an incoming piece that starts where it is, or what
 * the ring holds from there.  Into piece[] and out[] (NULL: none); true if
 * there is any. */
static bool next_pieces(kq_live *l, const kq_live_follower *f, const kq_stream_text *in[2],
                        kq_stream_text piece[2], const kq_stream_text *out[2])
{
    const kq_job *job = f->job->final ? kq_jobs_get(&l->srv->jobs, f->job->id) : NULL;
    bool any = false;

    for (int s = 0; s < 2; s++) {
        const kq_textring *r = &f->job->ring[s];
        const char *p;
        size_t n;

        out[s] = NULL;
        if (!f->want[s])
            continue;
        if (f->job->final) {
            if (job)
                out[s] = final_next(s ? &job->stderr_text : &job->stdout_text, f->pos[s],
                                    &piece[s]);
        } else if (in && in[s] && f->pos[s] == in[s]->offset) {
            out[s] = in[s];
        } else if ((n = kq_textring_since(r, f->pos[s], &p)) > 0) {
            piece[s].offset = r->end - n;
            piece[s].text = (kq_str){(char *)p, n};
            out[s] = &piece[s];
        }
        any |= out[s] != NULL;
    }
    return any;
}

static void advance(kq_live_follower *f, const kq_stream_text *out[2])
{
    for (int s = 0; s < 2; s++)
        if (out[s])
            f->pos[s] = out[s]->offset + out[s]->text.len;
}

/* Whether f has all of the final output once it has out[]. */
static bool at_end(kq_live *l, const kq_live_follower *f, const kq_stream_text *out[2])
{
    const kq_job *job = kq_jobs_get(&l->srv->jobs, f->job->id);

    for (int s = 0; s < 2 && job; s++) {
        const kq_str *text = s ? &job->stderr_text : &job->stdout_text;
        uint64_t pos = out[s] ? out[s]->offset + out[s]->text.len : f->pos[s];

        if (f->want[s] && text->ptr && pos < text->len)
            return false;
    }
    return true;
}

static void end_follow(kq_live *l, kq_live_follower *f);
static void release(kq_live *l, live_job *lj);

/* Sends f what it misses while its queue has room; past that it lags.
 * Once the final output is in and f has all of it, its follow ends. */
static void pump(kq_live *l, kq_live_follower *f, const kq_stream_text *in[2], bool live)
{
    const kq_stream_text *none[2] = {NULL, NULL};
    kq_stream_text piece[2];
    const kq_stream_text *out[2];
    live_job *lj = f->job;

    while (kq_conn_is_open(&f->peer->conn)) {
        if (!next_pieces(l, f, in, piece, out)) {
            unlag(l, f);
            if (lj->final) {
                send_output(f->peer, lj->id, none, false, true, true);
                end_follow(l, f);
                release(l, lj);
            }
            return;
        }
        if (kq_conn_unsent(&f->peer->conn) >= KQ_LIVE_FOLLOWER_QUEUE) {
            lag(l, f);
            return;
        }
        /* The last of the final output ends the follow. */
        if (lj->final && at_end(l, f, out)) {
            unlag(l, f);
            send_output(f->peer, lj->id, out, false, true, true);
            end_follow(l, f);
            release(l, lj);
            return;
        }
        send_output(f->peer, lj->id, out, live, false, lj->final);
        advance(f, out);
        in = NULL;
    }
}

static void on_lag_timer(kq_loop *loop, void *arg)
{
    kq_live *l = arg;

    l->lag_timer = 0;
    for (kq_live_follower *f = l->lagging, *next; f; f = next) {
        const kq_job *job = kq_jobs_get(&l->srv->jobs, f->job->id);

        next = f->lag_next;
        if (kq_conn_unsent(&f->peer->conn) < KQ_LIVE_FOLLOWER_QUEUE / 2)
            pump(l, f, NULL, job && streams(l->srv, job));
    }
    if (l->lagging)
        l->lag_timer = kq_loop_timer(loop, KQ_LIVE_LAG_POLL_MS, on_lag_timer, l);
}

/* A new run of the job: its streams start at 0, for its followers too. */
static void new_run(live_job *lj, const kq_time *started)
{
    drop_rings(lj);
    lj->has_run = true;
    lj->started = *started;
    lj->ending = lj->final = false;
    for (kq_live_follower *f = lj->followers; f; f = f->job_next)
        f->pos[0] = f->pos[1] = 0;
}

static bool is_new_run(const live_job *lj, const kq_job *job)
{
    return !lj->has_run || kq_time_cmp(lj->started, job->info.status.running.started) != 0;
}

/* The last of a final text from pos on: at most max bytes, from a
 * character's start.  NULL when there is none past pos. */
static const kq_stream_text *final_piece(const kq_str *text, uint64_t pos, size_t max,
                                         kq_stream_text *piece)
{
    size_t from;

    if (!text->ptr || text->len <= pos)
        return NULL;
    from = (size_t)pos;
    if (text->len - from > max)
        from = text->len - max;
    from = kq_textring_boundary(text->ptr, text->len, from);
    if (from >= text->len)
        return NULL;
    piece->offset = from;
    piece->text = (kq_str){text->ptr + from, text->len - from};
    return piece;
}

/* Sends p the end of its follow of job: what of the final output it has
 * not had from pos[] on (job NULL: none). */
static void send_end(const kq_live *l, kq_peer *p, uint64_t id, const kq_job *job,
                     const bool want[2], const uint64_t pos[2])
{
    size_t max = l->keep > FINAL_TAIL_MIN ? l->keep : FINAL_TAIL_MIN;
    kq_stream_text piece[2];
    const kq_stream_text *out[2] = {NULL, NULL};

    if (job && want[0])
        out[0] = final_piece(&job->stdout_text, pos[0], max, &piece[0]);
    if (job && want[1])
        out[1] = final_piece(&job->stderr_text, pos[1], max, &piece[1]);
    send_output(p, id, out, false, true, true);
}

/* Ends f's follow at once (the job was canceled). */
static void finish(kq_live *l, kq_live_follower *f)
{
    const kq_stream_text *none[2] = {NULL, NULL};

    send_output(f->peer, f->job->id, none, false, true, true);
    end_follow(l, f);
}

/* Tells the worker of a running job whether it is followed (WatchOutput),
 * when that changed: a first follower came or the last left, or the job
 * runs on another worker (a new run) or connection (a reconnect). */
static void tell_worker(kq_server *srv, live_job *lj)
{
    const kq_job *job = kq_jobs_get(&srv->jobs, lj->id);
    uint64_t want = job && lj->followers && job->cat == KQ_CAT_RUNNING ? job->worker_id
                                                                         : KQ_NO_WORKER;
    kq_s2w m = {.tag = KQ_S2W_WATCH_OUTPUT};
    kq_worker *w;

    if (lj->told == want)
        return;
    m.watch_output.job_id = lj->id;
    /* Unwatched, where it still runs (elsewhere it is gone anyway). */
    if (lj->told != KQ_NO_WORKER && job && job->cat == KQ_CAT_RUNNING &&
        job->worker_id == lj->told && (w = kq_srv_worker_get(srv, lj->told)) && w->peer &&
        w->peer->ext_level >= kq_s2w_tag_level(KQ_S2W_WATCH_OUTPUT))
        kq_srv_send_s2w(w->peer, &m);
    lj->told = KQ_NO_WORKER;
    if (want == KQ_NO_WORKER)
        return;
    /* Watched; a worker away is told when it is back (a new connection
     * is a new record). */
    w = kq_srv_worker_get(srv, want);
    if (w && w->peer && w->peer->ext_level >= kq_s2w_tag_level(KQ_S2W_WATCH_OUTPUT)) {
        m.watch_output.watched = true;
        kq_srv_send_s2w(w->peer, &m);
        lj->told = want;
    }
}

/* ---- the interface -------------------------------------------------- */

int kq_live_new(kq_server *srv, size_t keep, kq_live **out)
{
    kq_live *l = calloc(1, sizeof *l);

    if (!l || !(l->buckets = calloc(64, sizeof *l->buckets))) {
        free(l);
        return -ENOMEM;
    }
    l->srv = srv;
    l->keep = keep;
    l->nbuckets = 64;
    *out = l;
    return 0;
}

void kq_live_free(kq_live *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nbuckets; i++) {
        for (live_job *lj = l->buckets[i], *next; lj; lj = next) {
            next = lj->hash_next;
            while (lj->followers)
                end_follow(l, lj->followers);
            drop_rings(lj);
            free(lj);
        }
    }
    kq_loop_timer_cancel(l->srv->loop, l->lag_timer);
    free(l->buckets);
    free(l);
}

void kq_live_follow(kq_peer *p, const kq_c2s_follow_job *req)
{
    kq_live *l = p->srv->live;
    kq_job *job = kq_jobs_get(&p->srv->jobs, req->job_id);
    kq_s2c m = {.tag = KQ_S2C_JOB_UPDATED};
    kq_live_follower *f;
    live_job *lj;
    const kq_stream_text *out[2];
    kq_stream_text piece[2];

    if (!job) {
        m = (kq_s2c){.tag = KQ_S2C_REQUEST_RESPONSE};
        m.request_response.text = KQ_STR_LIT("Job not found!");
        kq_srv_send_s2c(p, &m);
        return;
    }
    m.job_updated = job->info;
    kq_srv_send_s2c(p, &m);
    for (f = p->follows; f && f->job->id != job->info.job_id; f = f->peer_next)
        ;
    lj = f ? f->job : find(l, job->info.job_id);
    /* Ended (and not waiting for its results): the end of its output. */
    if (!(lj && lj->ending) && (job->cat == KQ_CAT_SUCCEEDED || job->cat == KQ_CAT_FAILED ||
                                job->cat == KQ_CAT_CANCELED)) {
        const bool want[2] = {req->want_stdout, req->want_stderr};
        const uint64_t start[2] = {0, 0};

        if (f) {
            end_follow(l, f);
            release(l, lj);
        }
        send_end(l, p, job->info.job_id, job, want, start);
        return;
    }
    if (!f) {
        if (!(lj = get(l, job->info.job_id)) || !(f = calloc(1, sizeof *f))) {
            if (lj)
                release(l, lj);
            kq_srv_close(p, "out of memory for a follower");
            return;
        }
        f->peer = p;
        f->job = lj;
        f->job_next = lj->followers;
        if (lj->followers)
            lj->followers->job_prev = f;
        lj->followers = f;
        f->peer_next = p->follows;
        p->follows = f;
    }
    if (job->cat == KQ_CAT_RUNNING && is_new_run(lj, job))
        new_run(lj, &job->info.status.running.started);
    f->want[0] = req->want_stdout;
    f->want[1] = req->want_stderr;
    /* What is held, from its start: the client takes the lines it wants. */
    f->pos[0] = f->pos[1] = 0;
    next_pieces(l, f, NULL, piece, out);
    send_output(p, job->info.job_id, out, streams(p->srv, job), false, false);
    advance(f, out);
    tell_worker(p->srv, lj);
}

/* Logs a worker's chunk that was ignored: a warning at most once a
 * second per worker, the rest at debug level. */
static void ignored(kq_server *srv, kq_worker *w, uint64_t id, const char *why)
{
    uint64_t now = kq_loop_now(srv->loop);
    bool loud = !w->live_warned_ms || now - w->live_warned_ms >= 1000;

    if (loud)
        w->live_warned_ms = now ? now : 1;
    kq_log(loud ? KQ_LOG_WARN : KQ_LOG_DEBUG,
           "Worker \"%s\" sent output of job %llu, %s; ignored", w->info.worker_name.ptr,
           (unsigned long long)id, why);
}

/* Takes a worker's piece of stream s into the ring; *use becomes what of
 * it is new (NULL: nothing). */
static void take(kq_live *l, kq_worker *w, live_job *lj, int s, const kq_stream_text *in,
                 kq_stream_text *use, const kq_stream_text **out)
{
    kq_textring *r = &lj->ring[s];
    uint64_t limit = w->output_limit ? w->output_limit : KQ_LIMIT_TEXT;
    uint64_t bound = limit > (UINT64_MAX - NOTE_ROOM) / 3 ? UINT64_MAX : 3 * limit + NOTE_ROOM;
    size_t cut = 0;

    *out = NULL;
    if (in->offset > bound || in->text.len > bound - in->offset) {
        ignored(l->srv, w, lj->id, "past its output limit");
        return;
    }
    if (in->offset + in->text.len <= r->end)
        return; /* had it already */
    if (in->offset < r->end)
        cut = kq_textring_boundary(in->text.ptr, in->text.len, (size_t)(r->end - in->offset));
    else if (in->offset > r->end)
        kq_textring_reset(r, in->offset); /* some went missing: a gap */
    use->offset = in->offset + cut;
    use->text = (kq_str){in->text.ptr + cut, in->text.len - cut};
    if (use->text.len == 0)
        return;
    if (kq_textring_append(r, l->keep, use->text.ptr, use->text.len) < 0)
        kq_err("Out of memory keeping the output of job %llu", (unsigned long long)lj->id);
    *out = use;
}

void kq_live_chunk(kq_server *srv, kq_worker *w, const kq_w2s_output_chunk *m)
{
    kq_live *l = srv->live;
    kq_job *job = kq_jobs_get(&srv->jobs, m->job_id);
    kq_stream_text use[2];
    const kq_stream_text *in[2] = {NULL, NULL};
    live_job *lj;

    if (!job || job->worker_id != w->info.worker_id || job->cat != KQ_CAT_RUNNING) {
        /* Output written while the kill of a canceled job was on its way. */
        if (job && job->worker_id == w->info.worker_id && job->kill_pending)
            return;
        ignored(srv, w, m->job_id, "which does not run there");
        return;
    }
    if (!(lj = get(l, m->job_id))) {
        kq_err("Out of memory keeping the output of job %llu", (unsigned long long)m->job_id);
        return;
    }
    if (is_new_run(lj, job))
        new_run(lj, &job->info.status.running.started);
    if (m->has_stdout_chunk)
        take(l, w, lj, 0, &m->stdout_chunk, &use[0], &in[0]);
    if (m->has_stderr_chunk)
        take(l, w, lj, 1, &m->stderr_chunk, &use[1], &in[1]);
    tell_worker(srv, lj);
    if (!in[0] && !in[1]) {
        release(l, lj);
        return;
    }
    for (kq_live_follower *f = lj->followers, *next; f; f = next) {
        next = f->job_next;
        if (!f->lagging)
            pump(l, f, in, true);
    }
}

void kq_live_changed(kq_server *srv, kq_job *job)
{
    kq_live *l = srv->live;
    live_job *lj = find(l, job->info.job_id);
    kq_s2c m = {.tag = KQ_S2C_JOB_UPDATED};
    const kq_stream_text *none[2] = {NULL, NULL};
    bool started = false, canceled = job->cat == KQ_CAT_CANCELED;

    if (!lj)
        return;
    if (job->cat == KQ_CAT_RUNNING) {
        if ((started = is_new_run(lj, job)))
            new_run(lj, &job->info.status.running.started);
    } else {
        drop_rings(lj);
        lj->ending = job->cat == KQ_CAT_SUCCEEDED || job->cat == KQ_CAT_FAILED;
    }
    m.job_updated = job->info;
    for (kq_live_follower *f = lj->followers, *next; f; f = next) {
        next = f->job_next;
        kq_srv_send_s2c(f->peer, &m);
        /* A run starts: whether its output will come as it is written. */
        if (started)
            send_output(f->peer, lj->id, none, streams(srv, job), false, false);
        if (canceled)
            finish(l, f);
    }
    tell_worker(srv, lj);
    release(l, lj);
}

void kq_live_results(kq_server *srv, kq_job *job)
{
    kq_live *l = srv->live;
    live_job *lj = find(l, job->info.job_id);

    if (!lj || !lj->ending)
        return;
    /* The rest of the final output goes to each follower as its queue
     * allows (pump), then the end; lj may be gone after the last. */
    lj->ending = false;
    lj->final = true;
    tell_worker(srv, lj);
    if (!lj->followers) {
        release(l, lj);
        return;
    }
    for (kq_live_follower *f = lj->followers, *next; f; f = next) {
        next = f->job_next;
        pump(l, f, NULL, false);
    }
}

void kq_live_client_closed(kq_peer *p)
{
    kq_live *l = p->srv->live;

    while (p->follows) {
        kq_live_follower *f = p->follows;
        live_job *lj = f->job;

        p->follows = f->peer_next;
        drop_follower(l, f);
        tell_worker(p->srv, lj);
        release(l, lj);
    }
}

int kq_live_so_far(kq_server *srv, const kq_job *job, int stream, kq_str *out)
{
    live_job *lj = find(srv->live, job->info.job_id);
    kq_buf b = KQ_BUF_INIT;
    const char *p;
    size_t n;

    *out = KQ_STR_NULL;
    if (!lj || job->cat != KQ_CAT_RUNNING || is_new_run(lj, job))
        return 0;
    n = kq_textring_since(&lj->ring[stream], 0, &p);
    if (kq_textring_start(&lj->ring[stream]) > 0)
        kq_buf_printf(&b, "[kueue: running; its first %llu bytes are not kept while it runs]\n",
                      (unsigned long long)kq_textring_start(&lj->ring[stream]));
    else if (n == 0)
        return 0;
    kq_buf_append(&b, p, n);
    if (!(out->ptr = kq_buf_steal(&b, &out->len)))
        return -ENOMEM;
    return 0;
}
