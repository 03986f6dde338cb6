/*
 * test_promtext.c - Prometheus' text format: families, labels and their
 * escaping, numbers.
 */
#include <math.h>

#include "kq_promtext.h"
#include "kq_test.h"

static void test_format(void)
{
    kq_buf b = KQ_BUF_INIT;
    kq_prom p = {&b, 0};
    static const char quoted[] = "node \"7\"\\a\nb";

    kq_prom_family(&p, "kueue_jobs", "gauge", "Jobs\\by state\nin the table.");
    kq_prom_name(&p, "kueue_jobs");
    kq_prom_u64(&p, 18446744073709551615u);
    kq_prom_name(&p, "kueue_worker_load");
    kq_prom_label(&p, "worker", quoted, sizeof quoted - 1);
    kq_prom_label(&p, "worker_id", "3", 1);
    kq_prom_f64(&p, 0.52);
    kq_prom_name(&p, "x");
    kq_prom_f64(&p, 2);
    kq_prom_name(&p, "x");
    kq_prom_f64(&p, INFINITY);
    kq_prom_name(&p, "x");
    kq_prom_f64(&p, NAN);
    CHECK_STR(kq_buf_ptr(&b),
              "# HELP kueue_jobs Jobs\\\\by state\\nin the table.\n"
              "# TYPE kueue_jobs gauge\n"
              "kueue_jobs 18446744073709551615\n"
              "kueue_worker_load{worker=\"node \\\"7\\\"\\\\a\\nb\",worker_id=\"3\"} 0.52\n"
              "x 2.0\n"
              "x +Inf\n"
              "x NaN\n");
    kq_buf_free(&b);
}

int main(void)
{
    test_format();
    KQ_TEST_DONE();
}
