/*
 * kq_resources.h - the worker's free-resource arithmetic (spec 4.5) and the
 * component-wise operations on Resources that offer decisions use, on the
 * worker (its reservations) and on the server (what a worker may still be
 * offered).
 *
 * Pure functions over values: no I/O, no allocation, no state.  Callers
 * gather the inputs (kq_sysinfo, the job tables); this module must never
 * read the machine itself, so every branch stays testable with exact
 * numbers.  Arithmetic saturates instead of wrapping or asserting.
 */
#ifndef KQ_RESOURCES_H
#define KQ_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_protocol.h"

typedef struct kq_free_inputs {
    uint64_t max_parallel_jobs;   /* worker_max_parallel_jobs */
    bool dynamic;                 /* dynamic_check_free_resources */
    double cpu_load_scale_factor; /* dynamic_cpu_load_scale_factor */
    uint64_t cpu_cores;           /* logical CPUs */
    double load1;                 /* 1-minute load average */
    uint64_t total_ram_mb, available_ram_mb;
    kq_resources reserved;        /* sum over accepted + running jobs */
} kq_free_inputs;

/*
 * The free resources to report and to fit offers into:
 *   job_slots = max_parallel_jobs - reserved.job_slots
 *   cpus      = cores - max(reserved.cpus, busy) with
 *               busy = ceil(ceil(load1) * factor) when dynamic,
 *               cores - reserved.cpus otherwise
 *   ram_mb    = min(total - reserved.ram_mb, available) when dynamic,
 *               total - reserved.ram_mb otherwise
 * every difference saturating at 0.  A non-finite or negative load counts
 * as 0; busy converts to an integer as Rust's `as u64` does (NaN and
 * negatives 0, too large UINT64_MAX).
 */
kq_resources kq_free_resources(const kq_free_inputs *in);

/* True if need fits into avail: every component need <= avail. */
bool kq_resources_fit(const kq_resources *need, const kq_resources *avail);

/* sum += r component-wise, saturating at UINT64_MAX. */
void kq_resources_add(kq_resources *sum, const kq_resources *r);

/* sum -= r component-wise, saturating at 0. */
void kq_resources_sub(kq_resources *sum, const kq_resources *r);

#endif
