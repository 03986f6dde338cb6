/*
 * kq_metrics.h - the server's running counters and its last hour, for the
 * status page and /metrics.
 *
 * The counters follow the job table's status changes as they happen
 * (kq_metrics_on_status is the table's on_status hook): offers made, jobs
 * ended by result, and the scheduling latency (from a job's submission to
 * its start on a worker) as a histogram; nothing is recomputed by
 * scanning.  A ring of KQ_METRICS_RING samples, taken once a minute by the
 * owner (kq_metrics_sample), keeps the queue's last hour: pending and
 * running jobs at each sample, and jobs finished since the previous one.
 *
 * Owns nothing beyond the struct (fixed size); no I/O, no clock (times
 * come from the caller or the jobs' statuses); never touches the store.
 */
#ifndef KQ_METRICS_H
#define KQ_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "kq_jobs.h"

/* Samples kept: an hour of minutes, both ends included. */
#define KQ_METRICS_RING 61
/* Upper bounds (seconds) of the latency histogram's buckets; a last
 * bucket (+Inf) takes the rest. */
#define KQ_METRICS_BUCKETS 14
extern const double kq_metrics_bounds[KQ_METRICS_BUCKETS];

typedef enum kq_result {
    KQ_RESULT_SUCCEEDED,
    KQ_RESULT_FAILED,
    KQ_RESULT_CANCELED,
    KQ_RESULT_COUNT,
} kq_result;

/* The result's label: "succeeded", "failed", "canceled". */
const char *kq_result_name(kq_result r);

typedef struct kq_sample {
    int64_t at;           /* wall-clock seconds of the sample */
    uint64_t pending;     /* jobs pending then */
    uint64_t running;     /* jobs running then */
    uint64_t succeeded;   /* jobs that finished with code 0 since the
                             previous sample */
    uint64_t failed;      /* ... with another code */
} kq_sample;

typedef struct kq_metrics {
    uint64_t offers;                       /* jobs offered to workers */
    uint64_t ended[KQ_RESULT_COUNT];       /* jobs that ended, by result */
    uint64_t latency[KQ_METRICS_BUCKETS + 1]; /* starts per bucket (not
                                                 cumulative); last: +Inf */
    uint64_t latency_count;
    double latency_sum;                    /* seconds */
    kq_sample ring[KQ_METRICS_RING];
    size_t ring_first, ring_len;           /* oldest sample, samples kept */
    uint64_t at_last_sample[2];            /* ended[SUCCEEDED], [FAILED]
                                              when the last sample was taken */
} kq_metrics;

/* Zeroes every counter and empties the ring. */
void kq_metrics_init(kq_metrics *m);

/* The job table's status hook (kq_jobs_status_fn; arg is the kq_metrics):
 * counts an offer when a job becomes Offered, an end by result when it
 * becomes Succeeded, Failed or Canceled, and its latency when an offered
 * job starts running. */
void kq_metrics_on_status(void *arg, const kq_job *job, kq_cat from);

/* Takes a sample of jobs at wall-clock second now, dropping the oldest
 * when the ring is full. */
void kq_metrics_sample(kq_metrics *m, const kq_jobs *jobs, int64_t now);

/* The i-th oldest sample (i < m->ring_len). */
const kq_sample *kq_metrics_at(const kq_metrics *m, size_t i);

#endif
