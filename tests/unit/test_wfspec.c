/*
 * test_wfspec.c - the values of the client's workflow options: job id
 * lists, signed priorities, array ranges.
 */
#include <stdlib.h>

#include "kq_test.h"
#include "kq_wfspec.h"

/* Checks the parsed list has n ids, starting with want[0..nwant). */
static void ids(const char *text, size_t n, size_t nwant, const uint64_t *want)
{
    kq_u64_set s = {0};
    const char *why = NULL;

    CHECK_INT(kq_wf_parse_ids(text, NULL, &why), 0);
    CHECK_INT(kq_wf_parse_ids(text, &s, &why), 0);
    CHECK_INT(s.len, n);
    for (size_t i = 0; i < nwant && i < s.len; i++)
        CHECK_INT(s.items[i], want[i]);
    kq_u64_set_free(&s);
}

static void bad_ids(const char *text, const char *why_expected)
{
    const char *why = NULL;
    kq_u64_set s = {0};

    CHECK_INT(kq_wf_parse_ids(text, &s, &why), -22);
    CHECK_STR(why, why_expected);
    CHECK(s.items == NULL);
}

static void array(const char *text, uint64_t first, uint64_t last, uint64_t step, uint64_t n)
{
    kq_job_array a;
    uint64_t count = 0;
    const char *why = NULL;

    CHECK_INT(kq_wf_parse_array(text, &a, &count, &why), 0);
    CHECK_INT(a.first, first);
    CHECK_INT(a.last, last);
    CHECK_INT(a.step, step);
    CHECK_INT(count, n);
}

static void bad_array(const char *text, const char *why_expected)
{
    kq_job_array a;
    uint64_t count;
    const char *why = NULL;

    CHECK_INT(kq_wf_parse_array(text, &a, &count, &why), -22);
    CHECK_STR(why, why_expected);
}

int main(void)
{
    static const char list[] = "expected job ids separated by commas, or ranges like 20-29";
    static const char range[] = "expected FIRST-LAST or FIRST-LAST:STEP, like 0-99 or 1-1000:10";
    const char *why;
    int32_t v = 0;

    ids("7", 1, 1, (const uint64_t[]){7});
    ids("15,12,12,3-5,4", 5, 5, (const uint64_t[]){3, 4, 5, 12, 15});
    ids("18446744073709551615", 1, 1, (const uint64_t[]){UINT64_MAX});
    ids("0-99999", 100000, 3, (const uint64_t[]){0, 1, 2});
    bad_ids("", "expected job ids, like 12,15 or 20-29");
    bad_ids("x", list);
    bad_ids("1,", list);
    bad_ids(",1", list);
    bad_ids("1;2", list);
    bad_ids("-1", list);
    bad_ids("1-", list);
    bad_ids("5-3", "a range must not go down (write 20-29, not 29-20)");
    bad_ids("0-100000", "more than 100000 jobs");
    bad_ids("0-99999,100000", "more than 100000 jobs");
    bad_ids("18446744073709551616", list);

    CHECK_INT(kq_wf_parse_i32("-5", &v, &why), 0);
    CHECK_INT(v, -5);
    CHECK_INT(kq_wf_parse_i32("+2147483647", &v, &why), 0);
    CHECK_INT(v, 2147483647);
    CHECK_INT(kq_wf_parse_i32("-2147483648", &v, &why), 0);
    CHECK_INT(v, -2147483648LL);
    CHECK_INT(kq_wf_parse_i32("2147483648", &v, &why), -22);
    CHECK_STR(why, "out of range: from -2147483648 to 2147483647");
    CHECK_INT(kq_wf_parse_i32("-2147483649", &v, &why), -22);
    CHECK_INT(kq_wf_parse_i32("1e3", &v, &why), -22);
    CHECK_STR(why, "expected an integer");
    CHECK_INT(kq_wf_parse_i32("", &v, &why), -22);
    CHECK_INT(kq_wf_parse_i32("-", &v, &why), -22);
    CHECK_INT(v, -2147483648LL);

    array("0-99", 0, 99, 1, 100);
    array("1-1000:10", 1, 1000, 10, 100);
    array("5", 5, 5, 1, 1);
    array("0-99999", 0, 99999, 1, 100000);
    array("0-18446744073709551615:18446744073709551615", 0, UINT64_MAX, UINT64_MAX, 2);
    bad_array("", range);
    bad_array("a-b", range);
    bad_array("1-2:", range);
    bad_array("1-2:3:4", range);
    bad_array("-1-5", range);
    bad_array("5-1", "the range is empty (the last index is below the first)");
    bad_array("1-5:0", "the step must be at least 1");
    bad_array("0-100000", "more than 100000 jobs");
    KQ_TEST_DONE();
}
