/*
 * test_query.c - the status page's query values: numbers, flags, the
 * list-jobs filters and ids in paths, with what they refuse.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_query.h"
#include "kq_test.h"

static void test_numbers(void)
{
    static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1e3",
                                      "18446744073709551616", "99999999999999999999"};
    uint64_t v = 7;

    CHECK_INT(kq_query_u64("0", &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(kq_query_u64("0042", &v), 0);
    CHECK_INT(v, 42);
    CHECK_INT(kq_query_u64("18446744073709551615", &v), 0);
    CHECK(v == UINT64_MAX);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = 7;
        CHECK_INT(kq_query_u64(bad[i], &v), -EINVAL);
        CHECK_INT(v, 7);
    }
    CHECK_INT(kq_query_u64(NULL, &v), -EINVAL);
}

static void test_flags(void)
{
    bool f = false;

    CHECK_INT(kq_query_flag(NULL, &f), 0);
    CHECK(f);
    CHECK_INT(kq_query_flag("0", &f), 0);
    CHECK(!f);
    CHECK_INT(kq_query_flag("true", &f), 0);
    CHECK(f);
    CHECK_INT(kq_query_flag("false", &f), 0);
    CHECK(!f);
    CHECK_INT(kq_query_flag("", &f), 0);
    CHECK(f);
    CHECK_INT(kq_query_flag("yes", &f), -EINVAL);
    CHECK_INT(kq_query_flag("TRUE", &f), -EINVAL);
}

/* A query as name=value pairs; a NULL value: the name alone. */
typedef struct query {
    const char *pairs[8][2];
} query;

static bool get(void *ctx, const char *name, const char **value)
{
    const query *q = ctx;

    for (int i = 0; i < 8 && q->pairs[i][0]; i++) {
        if (strcmp(q->pairs[i][0], name) == 0) {
            *value = q->pairs[i][1];
            return true;
        }
    }
    return false;
}

static void test_list_jobs(void)
{
    query none = {{{NULL, NULL}}};
    query some = {{{"running", NULL}, {"failed", "1"}, {"num_jobs", "5"}, {"pending", "0"},
                   {"other", "x"}}};
    query too_many = {{{"num_jobs", "10001"}}};
    query bad_flag = {{{"canceled", "yes"}}};
    kq_c2s_list_jobs l;
    kq_error err;

    CHECK_INT(kq_query_list_jobs(get, &none, 100, 10000, &l, &err), 0);
    CHECK_INT(l.num_jobs, 100);
    CHECK(!l.pending && !l.offered && !l.running && !l.succeeded && !l.failed && !l.canceled);
    CHECK_INT(kq_query_list_jobs(get, &some, 100, 10000, &l, &err), 0);
    CHECK_INT(l.num_jobs, 5);
    CHECK(l.running && l.failed && !l.pending && !l.succeeded);
    CHECK_INT(kq_query_list_jobs(get, &too_many, 100, 10000, &l, &err), -EINVAL);
    CHECK_STR(err.msg, "num_jobs: expected a number from 0 to 10000");
    CHECK_INT(kq_query_list_jobs(get, &bad_flag, 100, 10000, &l, &err), -EINVAL);
    CHECK_STR(err.msg, "canceled: expected no value, 1, true, 0 or false");
}

static void test_path_id(void)
{
    uint64_t id = 9;

    CHECK_INT(kq_query_path_id("/api/jobs/12", "/api/jobs/", &id), 0);
    CHECK_INT(id, 12);
    CHECK_INT(kq_query_path_id("/api/jobs/", "/api/jobs/", &id), -EINVAL);
    CHECK_INT(kq_query_path_id("/api/jobs/12/", "/api/jobs/", &id), -EINVAL);
    CHECK_INT(kq_query_path_id("/api/jobs/-1", "/api/jobs/", &id), -EINVAL);
    CHECK_INT(kq_query_path_id("/api/jobsx/1", "/api/jobs/", &id), -EINVAL);
    CHECK_INT(kq_query_path_id("/api/jobs/000000000000000000001", "/api/jobs/", &id), -EINVAL);
    CHECK_INT(id, 12);
}

int main(void)
{
    test_numbers();
    test_flags();
    test_list_jobs();
    test_path_id();
    KQ_TEST_DONE();
}
