/*
 * test_framer.c - consecutive JSON values out of a split, glued stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_framer.h"
#include "kq_test.h"
#include "kq_testdata.h"

typedef struct collected {
    char *msgs[8];
    size_t lens[8];
    int n;
    int rc; /* last negative result, 0 if none */
} collected;

/* Feeds one chunk and takes out every complete value. */
static void feed(kq_framer *f, const char *p, size_t n, collected *c)
{
    const char *msg;
    size_t len;
    kq_error err;
    int rc;

    CHECK_INT(kq_framer_feed(f, p, n), 0);
    while ((rc = kq_framer_next(f, &msg, &len, &err)) == 1) {
        if (c->n < 8) {
            c->msgs[c->n] = strndup(msg, len);
            c->lens[c->n] = len;
        }
        c->n++;
    }
    if (rc < 0)
        c->rc = rc;
}

static void collected_free(collected *c)
{
    for (int i = 0; i < c->n && i < 8; i++)
        free(c->msgs[i]);
}

/* Every golden message, split at every byte and glued to its neighbours
 * (with and without whitespace between), comes out whole and in order. */
static void test_split_everywhere(const char *dir)
{
    kq_tsv t;
    int failures = 0;

    kq_tsv_load(&t, dir, "golden.tsv");
    for (int i = 0; i < t.nrows && failures < 5; i++) {
        const char *prev = t.rows[i ? i - 1 : t.nrows - 1].col[1];
        const char *cur = t.rows[i].col[1];
        const char *next = t.rows[(i + 1) % t.nrows].col[1];
        size_t n = strlen(cur);

        for (int ws = 0; ws < 2; ws++) {
            const char *sep = ws ? " \n\t\r" : "";

            for (size_t k = 0; k <= n; k++) {
                kq_framer f;
                collected c = {0};
                kq_buf a = KQ_BUF_INIT, b = KQ_BUF_INIT;

                kq_framer_init(&f, 0);
                kq_buf_printf(&a, "%s%s%.*s", prev, sep, (int)k, cur);
                kq_buf_printf(&b, "%s%s%s", cur + k, sep, next);
                feed(&f, kq_buf_ptr(&a), a.len, &c);
                feed(&f, kq_buf_ptr(&b), b.len, &c);
                if (c.n != 3 || c.rc != 0 || strcmp(c.msgs[0], prev) ||
                    strcmp(c.msgs[1], cur) || strcmp(c.msgs[2], next)) {
                    fprintf(stderr, "golden line %d split at %zu: %d values, "
                                    "rc %d\n", t.rows[i].line, k, c.n, c.rc);
                    failures++;
                }
                CHECK(!kq_framer_partial(&f));
                collected_free(&c);
                kq_buf_free(&a);
                kq_buf_free(&b);
                kq_framer_free(&f);
            }
        }
    }
    CHECK_INT(failures, 0);
    kq_tsv_free(&t);
}

/* All golden messages in one stream, fed one byte at a time. */
static void test_byte_by_byte(const char *dir)
{
    kq_tsv t;
    kq_buf all = KQ_BUF_INIT;
    kq_framer f;
    int got = 0, bad = 0;
    const char *msg;
    size_t len;
    kq_error err;

    kq_tsv_load(&t, dir, "golden.tsv");
    for (int i = 0; i < t.nrows; i++)
        kq_buf_puts(&all, t.rows[i].col[1]);
    kq_framer_init(&f, 0);
    for (size_t i = 0; i < all.len; i++) {
        CHECK_INT(kq_framer_feed(&f, kq_buf_ptr(&all) + i, 1), 0);
        while (kq_framer_next(&f, &msg, &len, &err) == 1) {
            if (got >= t.nrows || len != strlen(t.rows[got].col[1]) ||
                memcmp(msg, t.rows[got].col[1], len) != 0)
                bad++;
            got++;
        }
    }
    CHECK_INT(got, t.nrows);
    CHECK_INT(bad, 0);
    kq_framer_free(&f);
    kq_buf_free(&all);
    kq_tsv_free(&t);
}

static void test_errors(void)
{
    kq_framer f;
    const char *msg;
    size_t len;
    kq_error err;

    /* Garbage is refused at its first byte. */
    kq_framer_init(&f, 0);
    CHECK_INT(kq_framer_feed(&f, "\"Bye\"xyz", 8), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), -EBADMSG);
    CHECK_STR(err.msg, "invalid JSON at byte 0 ('x'): expected a JSON value");
    kq_framer_free(&f);

    /* A message over the limit fails as soon as the limit is passed, long
     * before it is complete. */
    kq_framer_init(&f, 100);
    CHECK_INT(kq_framer_feed(&f, "{\"a\":\"", 6), 0);
    for (int i = 0; i < 20; i++)
        CHECK_INT(kq_framer_feed(&f, "xxxxxxxxxx", 10), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), -EMSGSIZE);
    CHECK_STR(err.msg, "message larger than 100 bytes");
    kq_framer_free(&f);

    /* Exactly at the limit is fine. */
    kq_framer_init(&f, 7);
    CHECK_INT(kq_framer_feed(&f, "\"12345\"", 7), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
    CHECK_INT(len, 7);
    kq_framer_free(&f);

    /* Whitespace alone is not buffered and not a partial message. */
    kq_framer_init(&f, 10);
    for (int i = 0; i < 100; i++)
        CHECK_INT(kq_framer_feed(&f, "  \n  ", 5), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 0);
    CHECK(!kq_framer_partial(&f));
    CHECK_INT(kq_framer_buffered(&f), 0);
    CHECK_INT(kq_framer_feed(&f, "{\"B", 3), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 0);
    CHECK(kq_framer_partial(&f));
    kq_framer_free(&f);

    /* Regression (issue 11.2): a value that cannot be a message is refused
     * at its first byte, not when it ends (a bare number never ends while
     * digits keep coming); after a message too. */
    {
        static const char *const not_messages[] = {"4", "-", "t", "f", "n", "[",
                                                   "\"Bye\" 42"};

        for (size_t i = 0; i < sizeof not_messages / sizeof *not_messages; i++) {
            const char *in = not_messages[i];
            int rc;

            kq_framer_init(&f, 0);
            CHECK_INT(kq_framer_feed(&f, in, strlen(in)), 0);
            while ((rc = kq_framer_next(&f, &msg, &len, &err)) == 1)
                CHECK(len == 5 && memcmp(msg, "\"Bye\"", 5) == 0);
            CHECK_INT(rc, -EBADMSG);
            CHECK(strstr(err.msg, "a message is a JSON string or object") != NULL);
            kq_framer_free(&f);
        }
    }
}

/* Writing through kq_framer_space/commit, as connections do. */
static void test_space_commit(void)
{
    kq_framer f;
    const char *msg;
    size_t len, avail;
    kq_error err;
    char *p;

    kq_framer_init(&f, 0);
    p = kq_framer_space(&f, 16, &avail);
    CHECK(p != NULL && avail >= 16);
    memcpy(p, "\"Bye\"\"Wel", 9);
    kq_framer_commit(&f, 9);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
    CHECK(len == 5 && memcmp(msg, "\"Bye\"", 5) == 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 0);
    p = kq_framer_space(&f, 16, &avail);
    memcpy(p, "come\"", 5);
    kq_framer_commit(&f, 5);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
    CHECK(len == 9 && memcmp(msg, "\"Welcome\"", 9) == 0);
    kq_framer_free(&f);
}

/* Skip mode: an oversized value is dropped as it arrives and reported by
 * its head and length; the values around it come out whole. */
static void test_skip_oversized(void)
{
    static const char big_start[] = "{\"OfferJob\":{\"job_id\":42,\"cmd\":[\"";
    const char *msg;
    size_t len, total = 0, most = 0;
    kq_error err;
    kq_framer f;
    char chunk[1000];
    int got = 0;

    for (size_t step = 1; step <= 1000; step = step * 7 + 3) {
        kq_framer_init(&f, 200);
        kq_framer_skip_oversized(&f, NULL);
        memset(chunk, 'x', sizeof chunk);
        CHECK_INT(kq_framer_feed(&f, "\"Bye\"", 5), 0);
        CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
        CHECK(len == 5 && kq_framer_skipped(&f) == 0);
        CHECK_INT(kq_framer_feed(&f, big_start, strlen(big_start)), 0);
        total = strlen(big_start);
        got = 0;
        /* 5000 bytes of string in chunks of step bytes, then the end glued
         * to the next value. */
        for (size_t sent = 0; sent < 5000; sent += step) {
            size_t n = step < 5000 - sent ? step : 5000 - sent;

            CHECK_INT(kq_framer_feed(&f, chunk, n), 0);
            total += n;
            CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 0);
            CHECK(kq_framer_partial(&f));
            if (kq_framer_buffered(&f) > most)
                most = kq_framer_buffered(&f);
        }
        CHECK_INT(kq_framer_feed(&f, "\"]}}\"Welcome\"", 13), 0);
        total += 4;
        while ((kq_framer_next(&f, &msg, &len, &err)) == 1) {
            if (got++ == 0) {
                CHECK_INT(kq_framer_skipped(&f), total);
                CHECK_INT(len, KQ_FRAMER_HEAD_MAX);
                CHECK(memcmp(msg, big_start, strlen(big_start)) == 0);
            } else {
                CHECK_INT(kq_framer_skipped(&f), 0);
                CHECK(len == 9 && memcmp(msg, "\"Welcome\"", 9) == 0);
            }
        }
        CHECK_INT(got, 2);
        CHECK(!kq_framer_partial(&f));
        kq_framer_free(&f);
    }
    /* Only the limit and a chunk were ever buffered. */
    CHECK(most <= 200 + 1000);

    /* A value that passes the limit and ends in the same read; a syntax
     * error inside a skipped value is still an error. */
    kq_framer_init(&f, 10);
    kq_framer_skip_oversized(&f, NULL);
    CHECK_INT(kq_framer_feed(&f, "{\"a\":[1,2,3,4]}\"Bye\"", 20), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
    CHECK(kq_framer_skipped(&f) == 15 && len == 15 && memcmp(msg, "{\"a\":[1,2,3,4]}", 15) == 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
    CHECK(kq_framer_skipped(&f) == 0 && len == 5);
    CHECK_INT(kq_framer_feed(&f, "{\"a\":[1,2,3,4,", 14), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 0);
    CHECK_INT(kq_framer_feed(&f, "}", 1), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), -EBADMSG);
    kq_framer_free(&f);

    /* With a prefix, only values starting with it are skipped; others
     * fail as soon as they pass the limit. */
    kq_framer_init(&f, 20);
    kq_framer_skip_oversized(&f, "{\"IssueJob\":");
    CHECK_INT(kq_framer_feed(&f, " {\"IssueJob\":[\"xxxxxxxxxxxxxxxxx\"]}", 35), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), 1);
    CHECK_INT(kq_framer_skipped(&f), 34);
    CHECK_INT(kq_framer_feed(&f, "{\"AuthResponse\":\"xxxxxxxxxxxxxx", 31), 0);
    CHECK_INT(kq_framer_next(&f, &msg, &len, &err), -EMSGSIZE);
    CHECK_STR(err.msg, "message larger than 20 bytes");
    kq_framer_free(&f);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data";

    test_split_everywhere(dir);
    test_byte_by_byte(dir);
    test_errors();
    test_space_commit();
    test_skip_oversized();
    KQ_TEST_DONE();
}
