/*
 * test_resources.c - kq_resources: every branch of the free-resource rule
 * (spec 4.5) with exact numbers, Rust-style float-to-integer saturation of
 * the busy-CPU estimate, and the saturating component-wise helpers.
 */
#include <math.h>
#include <stdint.h>

#include "kq_resources.h"
#include "kq_test.h"

#define RES(s, c, r) ((kq_resources){(s), (c), (r)})

/* A 16-core, 64000 MiB worker with 4 slots, 2 of each already reserved. */
static kq_free_inputs base(bool dynamic)
{
    kq_free_inputs in = {
        .max_parallel_jobs = 4,
        .dynamic = dynamic,
        .cpu_load_scale_factor = 1.0,
        .cpu_cores = 16,
        .load1 = 0.0,
        .total_ram_mb = 64000,
        .available_ram_mb = 50000,
        .reserved = RES(2, 6, 10000),
    };
    return in;
}

static void check_res(kq_resources got, uint64_t slots, uint64_t cpus,
                      uint64_t ram)
{
    CHECK_INT(got.job_slots, slots);
    CHECK_INT(got.cpus, cpus);
    CHECK_INT(got.ram_mb, ram);
}

static void test_static(void)
{
    kq_free_inputs in = base(false);

    check_res(kq_free_resources(&in), 2, 10, 54000);
    /* Load and available memory are ignored. */
    in.load1 = 15.5;
    in.available_ram_mb = 10;
    check_res(kq_free_resources(&in), 2, 10, 54000);
    /* Over-reservation saturates at 0 instead of asserting. */
    in.reserved = RES(5, 17, 64001);
    check_res(kq_free_resources(&in), 0, 0, 0);
    in.reserved = RES(4, 16, 64000);
    check_res(kq_free_resources(&in), 0, 0, 0);
    in.reserved = RES(0, 0, 0);
    check_res(kq_free_resources(&in), 4, 16, 64000);
}

static void test_dynamic_cpus(void)
{
    kq_free_inputs in = base(true);

    /* Idle machine: the reservation dominates. */
    check_res(kq_free_resources(&in), 2, 10, 50000);
    /* ceil(5.01) = 6 = reserved: same. */
    in.load1 = 5.01;
    CHECK_INT(kq_free_resources(&in).cpus, 10);
    /* ceil(6.2) = 7 > 6 reserved. */
    in.load1 = 6.2;
    CHECK_INT(kq_free_resources(&in).cpus, 9);
    /* Integral load is not rounded up further. */
    in.load1 = 7.0;
    CHECK_INT(kq_free_resources(&in).cpus, 9);
    /* Two ceilings: ceil(ceil(4.1) * 1.3) = ceil(6.5) = 7. */
    in.load1 = 4.1;
    in.cpu_load_scale_factor = 1.3;
    CHECK_INT(kq_free_resources(&in).cpus, 9);
    /* ceil(ceil(4.1) * 1.25) = 7 too; a single ceiling would give 6. */
    in.cpu_load_scale_factor = 1.25;
    CHECK_INT(kq_free_resources(&in).cpus, 9);
    /* ceil(ceil(3.9) * 0.5) = 2 < 6 reserved. */
    in.load1 = 3.9;
    in.cpu_load_scale_factor = 0.5;
    CHECK_INT(kq_free_resources(&in).cpus, 10);
    /* Busy beyond the core count: 0, not negative. */
    in.load1 = 40.0;
    in.cpu_load_scale_factor = 1.0;
    CHECK_INT(kq_free_resources(&in).cpus, 0);
    /* No reservation: busy alone. */
    in.reserved.cpus = 0;
    in.load1 = 0.3;
    CHECK_INT(kq_free_resources(&in).cpus, 15);
    in.load1 = 0.0;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
}

static void test_dynamic_bad_numbers(void)
{
    kq_free_inputs in = base(true);

    in.reserved.cpus = 0;
    /* Non-finite or negative load counts as 0. */
    in.load1 = NAN;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    in.load1 = INFINITY;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    in.load1 = -INFINITY;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    in.load1 = -3.5;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    /* Factor converts like Rust's `as u64`: negative or NaN give 0 busy,
     * +inf gives UINT64_MAX busy, and 0 * inf (NaN) gives 0. */
    in.load1 = 2.0;
    in.cpu_load_scale_factor = -1.0;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    in.cpu_load_scale_factor = NAN;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    in.cpu_load_scale_factor = INFINITY;
    CHECK_INT(kq_free_resources(&in).cpus, 0);
    in.cpu_load_scale_factor = 1e300;
    CHECK_INT(kq_free_resources(&in).cpus, 0);
    in.load1 = 0.0;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    /* A zero factor ignores the load. */
    in.load1 = 12.0;
    in.cpu_load_scale_factor = 0.0;
    CHECK_INT(kq_free_resources(&in).cpus, 16);
    /* A zero-core machine never has free CPUs. */
    in.cpu_cores = 0;
    CHECK_INT(kq_free_resources(&in).cpus, 0);
}

static void test_dynamic_ram(void)
{
    kq_free_inputs in = base(true);

    /* min(64000 - 10000, 50000). */
    CHECK_INT(kq_free_resources(&in).ram_mb, 50000);
    /* min(54000, 60000): the reservation dominates. */
    in.available_ram_mb = 60000;
    CHECK_INT(kq_free_resources(&in).ram_mb, 54000);
    in.available_ram_mb = 54000;
    CHECK_INT(kq_free_resources(&in).ram_mb, 54000);
    in.available_ram_mb = 0;
    CHECK_INT(kq_free_resources(&in).ram_mb, 0);
    /* Over-reserved: 0 whatever is available. */
    in.available_ram_mb = 50000;
    in.reserved.ram_mb = 70000;
    CHECK_INT(kq_free_resources(&in).ram_mb, 0);
    /* Job slots are the same in both modes and saturate. */
    in.reserved.job_slots = 9;
    CHECK_INT(kq_free_resources(&in).job_slots, 0);
    in.max_parallel_jobs = UINT64_MAX;
    in.reserved.job_slots = 1;
    CHECK_INT(kq_free_resources(&in).job_slots, (long long)(UINT64_MAX - 1));
}

static void test_fit(void)
{
    kq_resources avail = RES(2, 8, 4096);
    kq_resources need = RES(1, 8, 4096);

    CHECK(kq_resources_fit(&need, &avail));
    need = RES(2, 8, 4096);
    CHECK(kq_resources_fit(&need, &avail));
    need = RES(0, 0, 0);
    CHECK(kq_resources_fit(&need, &avail));
    need = RES(3, 1, 1);
    CHECK(!kq_resources_fit(&need, &avail));
    need = RES(1, 9, 1);
    CHECK(!kq_resources_fit(&need, &avail));
    need = RES(1, 1, 4097);
    CHECK(!kq_resources_fit(&need, &avail));
    avail = RES(0, 0, 0);
    need = RES(0, 0, 0);
    CHECK(kq_resources_fit(&need, &avail));
}

static void test_add_sub(void)
{
    kq_resources sum = RES(0, 0, 0);
    kq_resources job = RES(1, 4, 2048);
    kq_resources big = RES(UINT64_MAX, UINT64_MAX - 1, 5);

    kq_resources_add(&sum, &job);
    kq_resources_add(&sum, &job);
    check_res(sum, 2, 8, 4096);
    kq_resources_sub(&sum, &job);
    check_res(sum, 1, 4, 2048);
    kq_resources_sub(&sum, &job);
    check_res(sum, 0, 0, 0);
    kq_resources_sub(&sum, &job);
    check_res(sum, 0, 0, 0);

    sum = RES(1, 4, 2048);
    kq_resources_add(&sum, &big);
    CHECK(sum.job_slots == UINT64_MAX);
    CHECK(sum.cpus == UINT64_MAX);
    CHECK_INT(sum.ram_mb, 2053);
    kq_resources_sub(&sum, &big);
    CHECK_INT(sum.job_slots, 0);
    CHECK_INT(sum.cpus, 1);
    CHECK_INT(sum.ram_mb, 2048);
}

int main(void)
{
    test_static();
    test_dynamic_cpus();
    test_dynamic_bad_numbers();
    test_dynamic_ram();
    test_fit();
    test_add_sub();
    KQ_TEST_DONE();
}
