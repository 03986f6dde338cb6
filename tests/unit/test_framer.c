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

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data";

    test_split_everywhere(dir);
    test_byte_by_byte(dir);
    test_errors();
    test_space_commit();
    KQ_TEST_DONE();
}
