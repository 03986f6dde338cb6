/*
 * test_reason.c - kq_reason: the texts of why a job waits, the capacity
 * of a worker, and the short form for tables.
 */
#include <string.h>

#include "kq_reason.h"
#include "kq_test.h"

#define RES(s, c, r) ((kq_resources){(s), (c), (r)})

static void check_too_big(kq_resources need, kq_resources largest, const char *want)
{
    kq_buf b = KQ_BUF_INIT;

    CHECK(kq_reason_too_big(&b, &need, &largest) == (want != NULL));
    CHECK_STR(kq_buf_ptr(&b), want ? want : "");
    kq_buf_free(&b);
}

static void test_too_big(void)
{
    check_too_big(RES(1, 8, 8192), RES(10, 2, 16000),
                  "no worker has 8 CPUs (largest connected: 2)");
    check_too_big(RES(1, 1, 8192), RES(10, 2, 7900),
                  "no worker has 8192 MB of RAM (largest connected: 7900 MB)");
    check_too_big(RES(50, 1, 1), RES(10, 2, 7900),
                  "no worker has 50 job slots (largest connected: 10)");
    check_too_big(RES(1, 8, 8192), RES(10, 2, 7900),
                  "no worker has 8 CPUs or 8192 MB of RAM "
                  "(largest connected: 2 CPUs, 7900 MB of RAM)");
    check_too_big(RES(2, 1, 1), RES(1, 1, 1),
                  "no worker has 2 job slots (largest connected: 1)");
    check_too_big(RES(1, 1, 1), RES(1, 1, 1), NULL);
    check_too_big(RES(0, 0, 0), RES(0, 0, 0), NULL);
}

static void test_no_single_and_needs(void)
{
    kq_buf b = KQ_BUF_INIT;
    kq_resources need = RES(1, 8, 9000);
    bool which[3] = {false, true, true};

    kq_reason_no_single(&b, &need);
    CHECK_STR(kq_buf_ptr(&b), "no single worker has 8 CPUs, 9000 MB of RAM and 1 job slot at once");
    kq_buf_clear(&b);
    kq_reason_needs(&b, &need, which);
    CHECK_STR(kq_buf_ptr(&b), "9000 MB of RAM and 1 job slot");
    kq_buf_clear(&b);
    need = RES(2, 1, 0);
    kq_reason_needs(&b, &need, NULL);
    CHECK_STR(kq_buf_ptr(&b), "1 CPU, 0 MB of RAM and 2 job slots");
    kq_buf_free(&b);
}

static void test_capacity(void)
{
    kq_system_info si = {.cpu_cores = 2, .total_ram_mb = 7900};
    kq_resources free = RES(8, 1, 5000), held = RES(2, 1, 1000), cap;

    /* Load and other programs lower the free figures, not the capacity. */
    cap = kq_reason_capacity(&si, &free, &held);
    CHECK_INT(cap.job_slots, 10);
    CHECK_INT(cap.cpus, 2);
    CHECK_INT(cap.ram_mb, 7900);
    /* A worker that reported no machine (an original-like one, before its
     * system report): what it has free and holds. */
    memset(&si, 0, sizeof si);
    cap = kq_reason_capacity(&si, &free, &held);
    CHECK_INT(cap.cpus, 2);
    CHECK_INT(cap.ram_mb, 6000);
    /* Saturating. */
    free = RES(UINT64_MAX, UINT64_MAX, 1);
    cap = kq_reason_capacity(&si, &free, &held);
    CHECK(cap.job_slots == UINT64_MAX && cap.cpus == UINT64_MAX);
}

static void check_short(const char *reason, const char *want)
{
    size_t n = kq_reason_short(reason, strlen(reason));

    CHECK_INT(n, strlen(want));
    CHECK(strncmp(reason, want, n) == 0);
}

static void test_short(void)
{
    check_short("no worker has 8 CPUs (largest connected: 2)", "no worker has 8 CPUs");
    check_short("worker vm: CPUs taken by other load (load 1.3)",
                "worker vm: CPUs taken by other load");
    check_short("workers busy", "workers busy");
    check_short("workers busy (2 drained)", "workers busy");
    check_short("a (b (c))", "a");
    check_short("(only)", "(only)");
    check_short("x(y)", "x(y)");
    check_short("unbalanced)", "unbalanced)");
    check_short("", "");
}

static void test_tells(void)
{
    CHECK(!kq_reason_tells(KQ_REASON_OFFERING));
    CHECK(kq_reason_tells(KQ_REASON_NO_WORKER));
    CHECK(kq_reason_tells("workers busy"));
}

int main(void)
{
    test_too_big();
    test_no_single_and_needs();
    test_capacity();
    test_short();
    test_tells();
    KQ_TEST_DONE();
}
