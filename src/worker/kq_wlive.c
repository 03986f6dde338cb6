/*
 * kq_wlive.c - live output of running jobs (see kq_wlive.h).
 */
#include "kq_wlive.h"

#include <errno.h>
#include <stdlib.h>

#include "kq_log.h"
#include "kq_utf8.h"

struct kq_wlive {
    kq_loop *loop;
    kq_wsession *session;
    kq_wlive_allowed_fn *allowed;
    kq_buf text[2];
    kq_buf scratch;
};

bool kq_wlive_piece(kq_wlive_stream *st, const kq_run_capture *cap, size_t max_raw,
                    kq_buf *text, uint64_t *offset)
{
    size_t from = st->raw_sent, end = cap->len, before = text->len, tail;
    bool last;

    if (st->ended || end < from)
        return false;
    if (end - from > max_raw)
        end = from + max_raw;
    /* A character the next bytes may complete waits for them; at the
     * limit it is dropped, as the final text drops it.  A bound that cuts
     * the first character takes it whole. */
    tail = kq_utf8_incomplete_tail(cap->data, end);
    if (end - tail <= from && end < cap->len) {
        end = cap->len - from > 4 ? from + 4 : cap->len;
        tail = kq_utf8_incomplete_tail(cap->data, end);
    }
    last = cap->cut && end == cap->len; /* all up to the limit is here */
    end = end - tail > from ? end - tail : from;
    if (end == from && !last)
        return false;
    kq_utf8_repair(text, cap->data + from, end - from);
    if (last) {
        kq_buf_printf(text, KQ_RUNNER_CUT_NOTE, cap->limit);
        st->ended = true;
    }
    *offset = st->text_sent;
    st->text_sent += text->len - before;
    st->raw_sent = end;
    return text->len > before;
}

void kq_wlive_skip(kq_wlive_stream *st, const kq_run_capture *cap, size_t keep,
                   kq_buf *scratch)
{
    size_t to;

    if (st->ended || cap->len < st->raw_sent || cap->len - st->raw_sent <= keep)
        return;
    /* A cut the pieces could make: not before a character's end. */
    to = cap->len - keep;
    to -= kq_utf8_incomplete_tail(cap->data, to);
    if (to <= st->raw_sent)
        return;
    kq_buf_clear(scratch);
    kq_utf8_repair(scratch, cap->data + st->raw_sent, to - st->raw_sent);
    st->text_sent += scratch->len;
    st->raw_sent = to;
}

/* Whether the session takes chunks of the job now. */
static bool takes_chunks(const kq_wlive_job *j)
{
    const kq_wlive *l = j->live;

    return kq_wsession_ready(l->session) &&
           kq_wsession_level(l->session) >= kq_w2s_tag_level(KQ_W2S_OUTPUT_CHUNK) &&
           l->allowed(j->arg);
}

static void on_due(kq_loop *loop, void *arg);

static uint64_t interval(const kq_wlive_job *j)
{
    return j->watched ? KQ_WLIVE_INTERVAL_MS : KQ_WLIVE_TAIL_INTERVAL_MS;
}

static void arm(kq_wlive_job *j, uint64_t ms)
{
    if (!j->timer)
        j->timer = kq_loop_timer(j->live->loop, ms, on_due, j);
}

/* Sends the job's new output, as chunks of at most KQ_WLIVE_PIECE_MAX per
 * stream, while the connection keeps up; the rest waits a while. */
static void flush(kq_wlive_job *j)
{
    kq_wlive *l = j->live;

    if (!takes_chunks(j))
        return;
    while (kq_wsession_unsent(l->session) < KQ_WLIVE_BACKLOG) {
        kq_w2s m = {.tag = KQ_W2S_OUTPUT_CHUNK};
        kq_w2s_output_chunk *c = &m.output_chunk;
        bool has[2] = {false, false};
        kq_stream_text piece[2];

        c->job_id = j->job_id;
        for (int s = 0; s < 2; s++) {
            kq_run_capture cap;

            kq_buf_clear(&l->text[s]);
            kq_runner_captured(j->run, s, &cap);
            /* Nobody follows it: only what the server keeps of it. */
            if (!j->watched)
                kq_wlive_skip(&j->s[s], &cap, (size_t)kq_wsession_output_keep(l->session),
                              &l->scratch);
            has[s] = kq_wlive_piece(&j->s[s], &cap, KQ_WLIVE_PIECE_MAX, &l->text[s],
                                    &piece[s].offset);
            piece[s].text = (kq_str){kq_buf_ptr(&l->text[s]), l->text[s].len};
            if (l->text[s].oom) {
                kq_err("Out of memory for the live output of job %llu",
                       (unsigned long long)j->job_id);
                has[s] = false;
            }
        }
        if (!has[0] && !has[1])
            return;
        c->has_stdout_chunk = has[0];
        c->stdout_chunk = piece[0];
        c->has_stderr_chunk = has[1];
        c->stderr_chunk = piece[1];
        kq_wsession_send(l->session, &m);
        j->last_ms = kq_loop_now(l->loop);
    }
    /* The connection is behind: what remains waits, and grows. */
    arm(j, interval(j));
}

static void on_due(kq_loop *loop, void *arg)
{
    kq_wlive_job *j = arg;

    (void)loop;
    j->timer = 0;
    flush(j);
}

int kq_wlive_new(kq_loop *loop, kq_wsession *session, kq_wlive_allowed_fn *allowed,
                 kq_wlive **out)
{
    kq_wlive *l = calloc(1, sizeof *l);

    if (!l)
        return -ENOMEM;
    l->loop = loop;
    l->session = session;
    l->allowed = allowed;
    *out = l;
    return 0;
}

void kq_wlive_free(kq_wlive *l)
{
    if (!l)
        return;
    kq_buf_free(&l->text[0]);
    kq_buf_free(&l->text[1]);
    kq_buf_free(&l->scratch);
    free(l);
}

void kq_wlive_start(kq_wlive *l, kq_wlive_job *j, uint64_t job_id, const kq_run *run,
                    bool watched, void *arg)
{
    *j = (kq_wlive_job){.live = l, .job_id = job_id, .run = run, .arg = arg,
                        .watched = watched};
}

void kq_wlive_output(kq_wlive_job *j)
{
    uint64_t now, due;

    if (!j->live || j->timer || !takes_chunks(j))
        return;
    now = kq_loop_now(j->live->loop);
    due = j->last_ms + interval(j);
    arm(j, j->last_ms && due > now ? due - now : 0);
}

void kq_wlive_watch(kq_wlive_job *j, bool watched)
{
    j->watched = watched;
    if (!j->live || !watched)
        return;
    /* A new follower: what came since the last chunk goes now. */
    kq_loop_timer_cancel(j->live->loop, j->timer);
    j->timer = 0;
    j->last_ms = 0;
    kq_wlive_output(j);
}

void kq_wlive_stop(kq_wlive_job *j)
{
    if (!j->live)
        return;
    kq_loop_timer_cancel(j->live->loop, j->timer);
    j->timer = 0;
    j->run = NULL;
    j->live = NULL;
}
