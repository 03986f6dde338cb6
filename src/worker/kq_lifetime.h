/*
 * kq_lifetime.h - a worker with an end: one that runs inside a batch
 * system's allocation (Slurm), or was given --lifetime.
 *
 * The end is the earliest known of: Slurm's SLURM_JOB_END_TIME (Slurm
 * 23.02 and later), what squeue says of SLURM_JOB_ID (%e, read once at
 * start: Debian 12's Slurm 22.05 sets no such variable), and the start
 * plus --lifetime.  From it:
 *   - a job with a time limit fits if it can end, killed at its limit,
 *     before the end less the stop margin (the kill grace and the report:
 *     KQ_LIFETIME_REPORT_S), so jobs are not cut short by the allocation;
 *   - a job without one fits while more than the margin (--margin; by
 *     default a quarter of the lifetime, at most 10 minutes) is left
 *     before that;
 *   - the server hears of both (SystemInfo.lifetime) and offers nothing
 *     else; an original server's offers are checked here all the same.
 * With --idle-exit, the worker exits once it ran no job for that long, or
 * once it is past its stop point with none: an allocation that has
 * nothing to do ends and gives its nodes back.
 *
 * A worker that a server's allocation queue started has the allocation's
 * token in KUEUE_ALLOCATION, which its hello tells the server.
 *
 * Inside Slurm (SLURM_JOB_ID set) it also reads what Slurm granted the
 * job on this node, which the worker offers instead of the whole machine:
 * SLURM_CPUS_ON_NODE, SLURM_MEM_PER_NODE (or SLURM_MEM_PER_CPU times the
 * CPUs); GPUs are noted (jobs see those granted through the environment
 * they inherit, CUDA_VISIBLE_DEVICES).
 *
 * The decisions are pure functions of the numbers; kq_lifetime_squeue
 * runs squeue and blocks (at start, before the loop).  Owns its timer.
 */
#ifndef KQ_LIFETIME_H
#define KQ_LIFETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_error.h"
#include "kq_loop.h"
#include "kq_protocol.h"

/* What a job's end needs after its time limit, besides the kill grace:
 * the report of its end. */
#define KQ_LIFETIME_REPORT_S 10
/* The default margin for jobs without a time limit: a quarter of the
 * lifetime, at most this. */
#define KQ_LIFETIME_MARGIN_MAX_S 600
/* squeue gets this long at start. */
#define KQ_LIFETIME_SQUEUE_MS 10000

/* An environment: getenv, or a test's. */
typedef const char *kq_lifetime_env(const char *name);

typedef struct kq_lifetime_opts {
    uint64_t lifetime_s;      /* --lifetime; 0: none */
    uint64_t idle_exit_s;     /* --idle-exit; 0: never */
    bool has_margin;
    uint64_t margin_s;        /* --margin */
    double kill_grace_s;      /* worker_settings.kill_grace_seconds */
} kq_lifetime_opts;

typedef struct kq_lifetime {
    int64_t start;            /* wall clock, seconds */
    int64_t end;              /* ... 0: no end */
    const char *end_source;   /* what gave the end, for the log */
    uint64_t stop_margin_s;   /* kill grace + KQ_LIFETIME_REPORT_S */
    uint64_t margin_s;        /* for jobs without a time limit */
    uint64_t idle_exit_s;
    char allocation[129];     /* KUEUE_ALLOCATION, "" for none */
    /* Inside Slurm: */
    char job_id[32];          /* SLURM_JOB_ID, "" outside */
    uint64_t cpus, ram_mb;    /* granted here; 0: not said */
    char gpus[128];           /* granted GPUs, "" for none */
    /* The idle timer (kq_lifetime_watch). */
    kq_loop *loop;
    uint64_t timer;
    uint64_t idle_since_ms;
    bool (*busy)(void *arg);
    void (*expire)(void *arg, const char *why);
    void *arg;
} kq_lifetime;

/*
 * Fills lt from the options and the environment env (Slurm's variables),
 * at wall-clock time now; squeue_end is what squeue said of the job's end
 * (0: not asked, or it did not say).  0, or -EINVAL with err when a
 * variable Slurm sets is malformed.
 */
KQ_NODISCARD int kq_lifetime_init(kq_lifetime *lt, const kq_lifetime_opts *opts,
                                  kq_lifetime_env *env, int64_t now, int64_t squeue_end,
                                  kq_error *err);

/* Whether the end would need squeue: inside Slurm without
 * SLURM_JOB_END_TIME. */
bool kq_lifetime_wants_squeue(kq_lifetime_env *env);

/* Runs `squeue -h -j JOB_ID -o %e` with SLURM_TIME_FORMAT=%s, waiting at
 * most KQ_LIFETIME_SQUEUE_MS: the job's end in *end (seconds).  0, or
 * -errno with err (squeue missing, failing, or saying no time). */
KQ_NODISCARD int kq_lifetime_squeue(const char *job_id, int64_t *end, kq_error *err);

/* Whether the worker has an end. */
bool kq_lifetime_bounded(const kq_lifetime *lt);

/* Whether job fits at time now; if not, why (n bytes) says so. */
bool kq_lifetime_fits(const kq_lifetime *lt, const kq_job_info *job, int64_t now, char *why,
                      size_t n);

/* The report for the server at time now (bounded lifetimes only). */
void kq_lifetime_report(const kq_lifetime *lt, int64_t now, kq_worker_lifetime *out);

/* One line for the log: the end and where it came from, the margins and
 * what Slurm granted. */
void kq_lifetime_describe(const kq_lifetime *lt, char *buf, size_t n);

/*
 * Watches for the idle exit on loop: every second, busy(arg) says whether
 * a job is accepted or running; when it has said no for idle_exit_s, or
 * says no past the stop point, expire(arg, why) is called once.  No-op
 * without --idle-exit.  0 or -ENOMEM.
 */
KQ_NODISCARD int kq_lifetime_watch(kq_lifetime *lt, kq_loop *loop, bool (*busy)(void *arg),
                                   void (*expire)(void *arg, const char *why), void *arg);
/* Stops watching. */
void kq_lifetime_unwatch(kq_lifetime *lt);

#endif
