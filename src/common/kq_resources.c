/*
 * kq_resources.c - free-resource arithmetic (see kq_resources.h).
 *
 * The reference asserts that reserved job slots never exceed the maximum;
 * here the difference saturates so a configuration change (a smaller
 * worker_max_parallel_jobs after a reload) cannot abort the worker.
 */
#include "kq_resources.h"

#include <math.h>

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Rust's saturating `f64 as u64`: NaN and values below 1 truncate to 0,
 * values at or above 2^64 (including +inf) give UINT64_MAX. */
static uint64_t f64_to_u64(double v)
{
    if (!(v > 0.0))
        return 0;
    if (v >= 18446744073709551616.0)
        return UINT64_MAX;
    return (uint64_t)v;
}

/* CPUs the load keeps busy: ceil(load) scaled by the factor, rounded up
 * again, as the reference does in two steps. */
static uint64_t busy_cpus(double load1, double factor)
{
    double busy;

    if (!isfinite(load1) || load1 < 0.0)
        load1 = 0.0;
    busy = (double)f64_to_u64(ceil(load1));
    return f64_to_u64(ceil(busy * factor));
}

kq_resources kq_free_resources(const kq_free_inputs *in)
{
    kq_resources free_res;
    uint64_t cpus_used = in->reserved.cpus;

    free_res.job_slots = sat_sub(in->max_parallel_jobs, in->reserved.job_slots);
    if (in->dynamic)
        cpus_used = max_u64(cpus_used,
                            busy_cpus(in->load1, in->cpu_load_scale_factor));
    free_res.cpus = sat_sub(in->cpu_cores, cpus_used);
    free_res.ram_mb = sat_sub(in->total_ram_mb, in->reserved.ram_mb);
    if (in->dynamic)
        free_res.ram_mb = min_u64(free_res.ram_mb, in->available_ram_mb);
    return free_res;
}

bool kq_resources_fit(const kq_resources *need, const kq_resources *avail)
{
    return need->job_slots <= avail->job_slots && need->cpus <= avail->cpus &&
           need->ram_mb <= avail->ram_mb;
}

void kq_resources_add(kq_resources *sum, const kq_resources *r)
{
    sum->job_slots = sat_add(sum->job_slots, r->job_slots);
    sum->cpus = sat_add(sum->cpus, r->cpus);
    sum->ram_mb = sat_add(sum->ram_mb, r->ram_mb);
}

void kq_resources_sub(kq_resources *sum, const kq_resources *r)
{
    sum->job_slots = sat_sub(sum->job_slots, r->job_slots);
    sum->cpus = sat_sub(sum->cpus, r->cpus);
    sum->ram_mb = sat_sub(sum->ram_mb, r->ram_mb);
}
