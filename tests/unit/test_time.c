/*
 * test_time.c - kq_time: canonical text, chrono's accepted grammar and
 * rejections, leap seconds, pre-1970 instants and randomized round trips.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_test.h"
#include "kq_time.h"

static kq_time parse_ok(const char *s)
{
    kq_time t = {0, 0};
    const char *why = NULL;
    int rc = kq_time_parse(s, strlen(s), &t, &why);

    if (rc != 0)
        fprintf(stderr, "parse(\"%s\") failed: %s\n", s, why ? why : "?");
    CHECK_INT(rc, 0);
    return t;
}

/* Parses in and checks that it re-encodes as want. */
static void check_reencode(const char *in, const char *want)
{
    char text[KQ_TIME_TEXT_MAX];
    kq_time t = parse_ok(in);

    kq_time_format(t, text);
    CHECK_STR(text, want);
}

static void check_rejected(const char *in)
{
    kq_time t = {12345, 678};
    const char *why = NULL;
    int rc = kq_time_parse(in, strlen(in), &t, &why);

    if (rc != -EINVAL)
        fprintf(stderr, "accepted: \"%s\"\n", in);
    CHECK_INT(rc, -EINVAL);
    CHECK(why != NULL && why[0] != '\0');
    /* A failed parse leaves the output alone. */
    CHECK_INT(t.sec, 12345);
    CHECK_INT(t.nsec, 678);
}

static void check_format(int64_t sec, uint32_t nsec, const char *want)
{
    char text[KQ_TIME_TEXT_MAX];
    kq_time t = {sec, nsec};
    size_t n = kq_time_format(t, text);

    CHECK_STR(text, want);
    CHECK_INT(n, strlen(want));
}

static void test_format(void)
{
    check_format(0, 0, "1970-01-01T00:00:00Z");
    check_format(1706618100, 0, "2024-01-30T12:35:00Z");
    check_format(1706618100, 500000000, "2024-01-30T12:35:00.500Z");
    check_format(1706619600, 250000, "2024-01-30T13:00:00.000250Z");
    check_format(1706618100, 123456789, "2024-01-30T12:35:00.123456789Z");
    check_format(1706618100, 1000, "2024-01-30T12:35:00.000001Z");
    check_format(1706618100, 1, "2024-01-30T12:35:00.000000001Z");
    check_format(1706618100, 10, "2024-01-30T12:35:00.000000010Z");
    check_format(-1, 0, "1969-12-31T23:59:59Z");
    check_format(-315619200, 0, "1960-01-01T00:00:00Z");
    check_format(951782400, 0, "2000-02-29T00:00:00Z");
    check_format(253402300799, 999999999, "9999-12-31T23:59:59.999999999Z");
    check_format(-62167219200, 0, "0000-01-01T00:00:00Z");
    /* Leap second: :59 with nsec >= 1e9 prints as :60. */
    check_format(1483228799, 1000000000, "2016-12-31T23:59:60Z");
    check_format(1483228799, 1500000000, "2016-12-31T23:59:60.500Z");
    /* Out-of-range years clamp to 0000 / 9999. */
    check_format(INT64_MAX / 2, 5, "9999-12-31T23:59:59.999999999Z");
    check_format(INT64_MIN / 2, 5, "0000-01-01T00:00:00Z");
}

static void test_accepted_forms(void)
{
    kq_time t;

    check_reencode("2025-11-24T16:00:00+02:00", "2025-11-24T14:00:00Z");
    check_reencode("2025-11-24T16:00:00-02:30", "2025-11-24T18:30:00Z");
    check_reencode("2025-11-24T16:00:00+0200", "2025-11-24T14:00:00Z");
    check_reencode("2025-11-24T16:00:00-0000", "2025-11-24T16:00:00Z");
    check_reencode("2025-11-24T01:00:00+02:00", "2025-11-23T23:00:00Z");
    check_reencode("2025-11-24T23:59:59+23:59", "2025-11-24T00:00:59Z");
    check_reencode("2025-11-24 16:00:00Z", "2025-11-24T16:00:00Z");
    check_reencode("2025-11-24T16:00:00z", "2025-11-24T16:00:00Z");
    check_reencode("2025-11-24T16:00:00.1Z", "2025-11-24T16:00:00.100Z");
    check_reencode("2025-11-24T16:00:00.1234567891Z",
                   "2025-11-24T16:00:00.123456789Z");
    check_reencode("2025-11-24T16:00:00.123456789999999999999Z",
                   "2025-11-24T16:00:00.123456789Z");
    check_reencode("2025-11-24T16:00:00.000Z", "2025-11-24T16:00:00Z");
    check_reencode("2025-11-24T16:00:00.0000001Z",
                   "2025-11-24T16:00:00.000000100Z");
    check_reencode("2025-11-24T16:00:00.12+01:00",
                   "2025-11-24T15:00:00.120Z");
    check_reencode("2025-11-24T16:00:60Z", "2025-11-24T16:00:60Z");
    check_reencode("2025-11-24T16:00:60.25Z", "2025-11-24T16:00:60.250Z");
    check_reencode("2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z");
    check_reencode("2017-01-01T00:59:60+01:00", "2016-12-31T23:59:60Z");
    check_reencode("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z");
    check_reencode("2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z");

    t = parse_ok("2025-11-24T16:00:60Z");
    CHECK_INT(t.sec, 1764000059);
    CHECK_INT(t.nsec, 1000000000);
    t = parse_ok("1960-01-01T00:00:00Z");
    CHECK_INT(t.sec, -315619200);
    CHECK_INT(t.nsec, 0);
    t = parse_ok("1970-01-01T00:00:00Z");
    CHECK_INT(t.sec, 0);

    /* The reference's own outputs round-trip exactly. */
    static const char *const canonical[] = {
        "1960-01-01T00:00:00Z",
        "2024-01-30T12:35:00Z",
        "2025-11-24T16:00:00.123456789Z",
        "2025-11-24T16:00:01Z",
        "2025-11-24T16:00:02.500Z",
        "2025-11-24T16:01:02.999999999Z",
        "2024-01-30T13:00:00.000250Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "1969-12-31T23:59:59.999Z",
    };
    for (size_t i = 0; i < sizeof canonical / sizeof *canonical; i++)
        check_reencode(canonical[i], canonical[i]);
}

static void test_rejected(void)
{
    static const char *const bad[] = {
        "",
        "2025-11-24T16:00:00",
        "2025-11-24",
        "2025-11-24T",
        "1764000000",
        "1764000000.5",
        "2025-13-01T00:00:00Z",
        "2025-00-01T00:00:00Z",
        "2025-11-00T00:00:00Z",
        "2025-11-31T00:00:00Z",
        "2025-02-30T16:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2025-11-24T24:00:00Z",
        "2025-11-24T16:60:00Z",
        "2025-11-24T16:00:61Z",
        "2025-11-24t16:00:00z",
        "2025-11-24t16:00:00Z",
        "2025-11-24_16:00:00Z",
        "2025-11-24T16:00:00Zx",
        "2025-11-24T16:00:00Z0",
        "2025-11-24T16:00:00+02:00x",
        "2025-11-24T6:00:00Z",
        "2025-11-24T16:0:00Z",
        "2025-11-24T16:00:0Z",
        "2025-1-24T16:00:00Z",
        "25-11-24T16:00:00Z",
        "2025-11-24T16:00Z",
        "2025-11-24T16:00:00.Z",
        "2025-11-24T16:00:00.",
        "2025-11-24T16:00:00.12a4Z",
        "2025-11-24T16:00:00,5Z",
        "2025-11-24T16:00:00+2:00",
        "2025-11-24T16:00:00+02",
        "2025-11-24T16:00:00+02:0",
        "2025-11-24T16:00:00+24:00",
        "2025-11-24T16:00:00+02:60",
        "2025-11-24T16:00:00UTC",
        "2025-11-24T16:00:00+",
        "2025-11-24T16-00-00Z",
        "2025/11/24T16:00:00Z",
        "x2025-11-24T16:00:00Z",
    };

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        check_rejected(bad[i]);

    /* Length is honoured: a valid prefix of a longer buffer parses, a cut
     * one does not. */
    {
        const char *s = "2025-11-24T16:00:00Zgarbage";
        kq_time t;
        const char *why;

        CHECK_INT(kq_time_parse(s, 20, &t, &why), 0);
        CHECK_INT(t.sec, 1764000000);
        CHECK_INT(kq_time_parse(s, 19, &t, &why), -EINVAL);
        CHECK_INT(kq_time_parse(s, 27, &t, &why), -EINVAL);
        /* why may be NULL. */
        CHECK_INT(kq_time_parse(s, 27, &t, NULL), -EINVAL);
    }
}

static void test_diff_cmp(void)
{
    kq_time a = parse_ok("2025-11-24T16:00:02.500Z");
    kq_time b = parse_ok("2025-11-24T16:01:02.999999999Z");
    kq_time c = parse_ok("2025-11-24T16:00:00.123456789Z");
    kq_time leap = parse_ok("2016-12-31T23:59:60.5Z");
    kq_time before_leap = parse_ok("2016-12-31T23:59:59Z");
    kq_time after_leap = parse_ok("2017-01-01T00:00:00Z");

    CHECK_INT(kq_time_diff_sec(b, a), 60);
    CHECK_INT(kq_time_diff_sec(a, b), -60);
    CHECK_INT(kq_time_diff_sec(a, c), 2);
    CHECK_INT(kq_time_diff_sec(c, a), -2);
    CHECK_INT(kq_time_diff_sec(a, a), 0);
    CHECK_INT(kq_time_diff_sec((kq_time){10, 999999999}, (kq_time){10, 0}), 0);
    CHECK_INT(kq_time_diff_sec((kq_time){10, 0}, (kq_time){10, 999999999}), 0);
    CHECK_INT(kq_time_diff_sec((kq_time){11, 0}, (kq_time){10, 1}), 0);
    CHECK_INT(kq_time_diff_sec((kq_time){10, 1}, (kq_time){11, 0}), 0);
    CHECK_INT(kq_time_diff_sec((kq_time){12, 0}, (kq_time){10, 1}), 1);
    CHECK_INT(kq_time_diff_sec((kq_time){10, 1}, (kq_time){12, 0}), -1);
    CHECK_INT(kq_time_diff_sec((kq_time){-5, 0}, (kq_time){5, 0}), -10);
    CHECK_INT(kq_time_diff_sec(leap, before_leap), 1);
    CHECK_INT(kq_time_diff_sec(after_leap, leap), 0);
    CHECK_INT(kq_time_diff_sec(after_leap, before_leap), 1);

    CHECK_INT(kq_time_cmp(a, b), -1);
    CHECK_INT(kq_time_cmp(b, a), 1);
    CHECK_INT(kq_time_cmp(a, a), 0);
    CHECK_INT(kq_time_cmp(before_leap, leap), -1);
    CHECK_INT(kq_time_cmp(leap, after_leap), -1);
    CHECK_INT(kq_time_cmp((kq_time){-1, 5}, (kq_time){0, 0}), -1);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    return kq_test_rng(&rng_state);
}

/* A random instant in 0000..9999 with nanoseconds of every precision class,
 * sometimes a leap second. */
static kq_time random_time(void)
{
    const int64_t lo = -62167219200, span = 253402300800 - lo;
    kq_time t;

    t.sec = lo + (int64_t)(rng() % (uint64_t)span);
    switch (rng() % 5) {
    case 0:
        t.nsec = 0;
        break;
    case 1:
        t.nsec = (uint32_t)(rng() % 1000) * 1000000;
        break;
    case 2:
        t.nsec = (uint32_t)(rng() % 1000000) * 1000;
        break;
    case 3:
        t.nsec = (uint32_t)(rng() % 1000000000);
        break;
    default:
        t.sec -= ((t.sec % 60) + 60) % 60;
        t.sec += 59;
        t.nsec = 1000000000 + (uint32_t)(rng() % 1000000000);
        break;
    }
    return t;
}

static void test_random_round_trip(void)
{
    int failures = 0;

    for (int i = 0; i < 200000; i++) {
        kq_time t = random_time(), back = {0, 0}, shifted;
        char text[KQ_TIME_TEXT_MAX], local[KQ_TIME_TEXT_MAX + 8];
        const char *why;
        int offset_min = (int)(rng() % (2 * 1439 + 1)) - 1439;
        size_t n = kq_time_format(t, text);

        if (kq_time_parse(text, n, &back, &why) != 0
            || kq_time_cmp(t, back) != 0) {
            if (failures++ < 5)
                fprintf(stderr, "round trip failed: %s\n", text);
            continue;
        }

        /* The same instant written in local time with a numeric offset. */
        if (t.sec < -62167219200 + 86400 || t.sec > 253402300799 - 86400)
            continue;
        shifted = t;
        shifted.sec += offset_min * 60;
        n = kq_time_format(shifted, local);
        snprintf(local + n - 1, sizeof local - (n - 1), "%c%02d%s%02d",
                 offset_min < 0 ? '-' : '+', abs(offset_min) / 60,
                 i % 2 ? ":" : "", abs(offset_min) % 60);
        if (kq_time_parse(local, strlen(local), &back, &why) != 0
            || kq_time_cmp(t, back) != 0) {
            if (failures++ < 5)
                fprintf(stderr, "offset round trip failed: %s (%s)\n", local,
                        text);
        }
    }
    CHECK_INT(failures, 0);
}

static void test_now(void)
{
    kq_time t = kq_time_now();

    /* After 2024-01-01 and a valid fraction. */
    CHECK(t.sec > 1704067200);
    CHECK(t.nsec < 1000000000);
}

int main(void)
{
    test_format();
    test_accepted_forms();
    test_rejected();
    test_diff_cmp();
    test_random_round_trip();
    test_now();
    KQ_TEST_DONE();
}
