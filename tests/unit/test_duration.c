/*
 * test_duration.c - durations as people write them: parsing, its
 * refusals, and formatting back to what parses to the same.
 */
#include <stdlib.h>

#include "kq_duration.h"
#include "kq_test.h"

static uint64_t parse(const char *text)
{
    uint64_t s = 0;
    const char *why = NULL;

    CHECK_INT(kq_duration_parse(text, &s, &why), 0);
    return s;
}

static void refused(const char *text, const char *why_expected)
{
    uint64_t s = 77;
    const char *why = NULL;

    CHECK_INT(kq_duration_parse(text, &s, &why), -22);
    CHECK_STR(why, why_expected);
    CHECK_INT(s, 77);
}

static void formats(uint64_t seconds, const char *text)
{
    kq_buf b = KQ_BUF_INIT;

    kq_duration_format(&b, seconds);
    CHECK_STR(kq_buf_ptr(&b), text);
    if (seconds)
        CHECK_INT(parse(kq_buf_ptr(&b)), seconds);
    kq_buf_free(&b);
}

int main(void)
{
    static const char usage[] = "expected a duration like 90s, 45m, 2h30m or 1d (numbers "
                                "with d, h, m or s, largest first)";

    CHECK_INT(parse("90s"), 90);
    CHECK_INT(parse("45m"), 2700);
    CHECK_INT(parse("2h30m"), 9000);
    CHECK_INT(parse("1d"), 86400);
    CHECK_INT(parse("1d2h3m4s"), 93784);
    CHECK_INT(parse("0h1s"), 1);
    CHECK_INT(parse("1000000000s"), 1000000000);
    refused("0s", "a time limit must be at least 1s");
    refused("0d0h", "a time limit must be at least 1s");
    refused("-5m", "a time limit cannot be negative");
    refused("", usage);
    refused("90", usage);
    refused("1m2h", usage);
    refused("1h1h", usage);
    refused("h", usage);
    refused("1x", usage);
    refused("1.5h", usage);
    refused("1000000001s", "too long: at most 31 years");
    refused("11575d", "too long: at most 31 years");
    refused("99999999999999999999999s", "too long: at most 31 years");
    formats(0, "0s");
    formats(90, "1m30s");
    formats(9000, "2h30m");
    formats(86400, "1d");
    formats(93784, "1d2h3m4s");
    KQ_TEST_DONE();
}
