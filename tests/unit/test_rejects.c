/*
 * test_rejects.c - kq_rejects: the back-off per job and worker name, its
 * cap, forgetting and pruning, and a table that grows past its tombstones.
 */
#include "kq_rejects.h"
#include "kq_test.h"

static bool keep_even(void *ctx, uint64_t job_id)
{
    (void)ctx;
    return job_id % 2 == 0;
}

static int collect(void *ctx, uint64_t job_id)
{
    uint64_t *sum = ctx;

    *sum += job_id;
    return 0;
}

static void test_back_off(void)
{
    kq_rejects r;
    kq_str a = kq_str_view("vm"), b = kq_str_view("lab2");
    static const uint64_t waits[] = {60000, 120000, 240000, 480000, 960000,
                                     1920000, 3600000, 3600000};
    uint64_t wait = 0, now = 1000;

    kq_rejects_init(&r, 60000);
    CHECK(kq_rejects_get(&r, 7) == NULL);
    CHECK(!kq_rejects_waits(&r, 7, &a, now));
    /* 1 min, 2, 4, ... up to an hour. */
    for (size_t i = 0; i < sizeof waits / sizeof *waits; i++) {
        CHECK(kq_rejects_add(&r, 7, &a, now, &wait) == 0);
        CHECK_INT(wait, waits[i]);
    }
    CHECK(kq_rejects_waits(&r, 7, &a, now + 3599999));
    CHECK(!kq_rejects_waits(&r, 7, &a, now + 3600000));
    /* Per name: another worker is not held back, and starts at the base. */
    CHECK(!kq_rejects_waits(&r, 7, &b, now));
    CHECK(kq_rejects_add(&r, 7, &b, now, &wait) == 0);
    CHECK_INT(wait, 60000);
    CHECK_INT(kq_rejects_get(&r, 7)->n, 2);
    CHECK_STR(kq_rejects_get(&r, 7)->entries[1].name.ptr, "lab2");
    kq_rejects_forget(&r, 7);
    CHECK(kq_rejects_get(&r, 7) == NULL);
    CHECK(!kq_rejects_waits(&r, 7, &a, now));
    kq_rejects_free(&r);

    /* A base above the hour is the cap. */
    kq_rejects_init(&r, 7200000);
    CHECK(kq_rejects_add(&r, 1, &a, 0, &wait) == 0 && wait == 7200000);
    CHECK(kq_rejects_add(&r, 1, &a, 0, &wait) == 0 && wait == 7200000);
    kq_rejects_free(&r);
}

static void test_many_each_and_prune(void)
{
    kq_rejects r;
    kq_str a = kq_str_view("vm"), b = kq_str_view("lab2");
    uint64_t sum = 0, want = 0;

    kq_rejects_init(&r, 1000);
    for (uint64_t id = 0; id < 1000; id++) {
        CHECK(kq_rejects_add(&r, id, id % 3 ? &a : &b, 0, NULL) == 0);
        if (id % 3)
            want += id;
    }
    CHECK(kq_rejects_each_waiting(&r, &a, 999, collect, &sum) == 0);
    CHECK_INT(sum, want);
    sum = 0;
    CHECK(kq_rejects_each_waiting(&r, &a, 1000, collect, &sum) == 0);
    CHECK_INT(sum, 0);
    kq_rejects_prune(&r, keep_even, NULL);
    CHECK_INT(r.len, 500);
    CHECK(kq_rejects_get(&r, 2) != NULL && kq_rejects_get(&r, 3) == NULL);
    /* Tombstones are reused or rebuilt away. */
    for (int round = 0; round < 20; round++) {
        for (uint64_t id = 1; id < 1000; id += 2) {
            CHECK(kq_rejects_add(&r, id + 1000 * (uint64_t)round, &a, 0, NULL) == 0);
            kq_rejects_forget(&r, id + 1000 * (uint64_t)round);
        }
    }
    CHECK_INT(r.len, 500);
    CHECK(r.cap <= 4096);
    kq_rejects_free(&r);
}

int main(void)
{
    test_back_off();
    test_many_each_and_prune();
    KQ_TEST_DONE();
}
