/*
 * kq_metrics.c - counters and the last hour (see kq_metrics.h).
 */
#include "kq_metrics.h"

#include <string.h>

const double kq_metrics_bounds[KQ_METRICS_BUCKETS] = {
    0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600,
};

const char *kq_result_name(kq_result r)
{
    switch (r) {
    case KQ_RESULT_SUCCEEDED:
        return "succeeded";
    case KQ_RESULT_FAILED:
        return "failed";
    case KQ_RESULT_CANCELED:
    case KQ_RESULT_COUNT:
        break;
    }
    return "canceled";
}

void kq_metrics_init(kq_metrics *m)
{
    memset(m, 0, sizeof *m);
}

/* Seconds from a to b; 0 if the clock went back. */
static double seconds_between(kq_time a, kq_time b)
{
    double s = (double)(b.sec - a.sec) + ((double)b.nsec - (double)a.nsec) * 1e-9;

    return s > 0 ? s : 0;
}

static void count_latency(kq_metrics *m, double s)
{
    size_t i = 0;

    while (i < KQ_METRICS_BUCKETS && s > kq_metrics_bounds[i])
        i++;
    m->latency[i]++;
    m->latency_count++;
    m->latency_sum += s;
}

void kq_metrics_on_status(void *arg, const kq_job *job, kq_cat from)
{
    kq_metrics *m = arg;
    const kq_job_status *st = &job->info.status;

    switch ((kq_cat)job->cat) {
    case KQ_CAT_OFFERED:
        m->offers++;
        break;
    case KQ_CAT_RUNNING:
        if (from == KQ_CAT_OFFERED)
            count_latency(m, seconds_between(st->running.issued, st->running.started));
        break;
    case KQ_CAT_SUCCEEDED:
        m->ended[KQ_RESULT_SUCCEEDED]++;
        break;
    case KQ_CAT_FAILED:
        m->ended[KQ_RESULT_FAILED]++;
        break;
    case KQ_CAT_CANCELED:
        m->ended[KQ_RESULT_CANCELED]++;
        break;
    case KQ_CAT_PENDING:
    case KQ_CAT_COUNT:
        break;
    }
}

void kq_metrics_sample(kq_metrics *m, const kq_jobs *jobs, int64_t now)
{
    kq_sample *s;

    if (m->ring_len == KQ_METRICS_RING) {
        m->ring_first = (m->ring_first + 1) % KQ_METRICS_RING;
        m->ring_len--;
    }
    s = &m->ring[(m->ring_first + m->ring_len++) % KQ_METRICS_RING];
    s->at = now;
    s->pending = jobs->count[KQ_CAT_PENDING];
    s->running = jobs->count[KQ_CAT_RUNNING];
    s->succeeded = m->ended[KQ_RESULT_SUCCEEDED] - m->at_last_sample[0];
    s->failed = m->ended[KQ_RESULT_FAILED] - m->at_last_sample[1];
    m->at_last_sample[0] = m->ended[KQ_RESULT_SUCCEEDED];
    m->at_last_sample[1] = m->ended[KQ_RESULT_FAILED];
}

const kq_sample *kq_metrics_at(const kq_metrics *m, size_t i)
{
    return &m->ring[(m->ring_first + i) % KQ_METRICS_RING];
}
