/*
 * test_textring.c - the last bytes of a stream: positions, the bound,
 * dropping whole characters, reading from a position, and random appends
 * against the whole stream kept aside.
 */
#include <stdlib.h>

#include "kq_textring.h"
#include "kq_test.h"
#include "kq_utf8.h"

/* The text held, as a C string (for CHECK_STR). */
static const char *held(const kq_textring *r, uint64_t from)
{
    static char out[256];
    const char *p;
    size_t n = kq_textring_since(r, from, &p);

    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static void test_basics(void)
{
    kq_textring r = KQ_TEXTRING_INIT;

    CHECK_INT(kq_textring_start(&r), 0);
    CHECK_STR(held(&r, 0), "");
    CHECK_INT(kq_textring_append(&r, 8, "abc", 3), 0);
    CHECK_INT(r.end, 3);
    CHECK_STR(held(&r, 0), "abc");
    CHECK_STR(held(&r, 1), "bc");
    CHECK_STR(held(&r, 3), "");
    CHECK_STR(held(&r, 99), "");
    /* Past the bound the oldest go. */
    CHECK_INT(kq_textring_append(&r, 8, "defgHIJ", 7), 0);
    CHECK_INT(r.end, 10);
    CHECK_INT(kq_textring_start(&r), 2);
    CHECK_STR(held(&r, 0), "cdefgHIJ");
    /* A piece bigger than the bound: its last bytes. */
    CHECK_INT(kq_textring_append(&r, 8, "0123456789", 10), 0);
    CHECK_INT(r.end, 20);
    CHECK_STR(held(&r, 0), "23456789");
    /* Whole characters only: dropping 1 byte of "é" drops both. */
    kq_textring_reset(&r, 100);
    CHECK_STR(held(&r, 0), "");
    CHECK_INT(kq_textring_start(&r), 100);
    CHECK_INT(kq_textring_append(&r, 4, "\xc3\xa9" "ab", 4), 0);
    CHECK_INT(kq_textring_append(&r, 4, "c", 1), 0);
    CHECK_STR(held(&r, 0), "abc");
    CHECK_INT(kq_textring_start(&r), 102);
    CHECK_INT(kq_textring_append(&r, 4, "\xe6\x97\xa5" "\xe6\x97\xa5", 6), 0);
    CHECK_STR(held(&r, 0), "\xe6\x97\xa5");
    /* 0 keeps nothing, positions go on. */
    CHECK_INT(kq_textring_append(&r, 0, "xyz", 3), 0);
    CHECK_INT(r.end, 114);
    CHECK_STR(held(&r, 0), "");
    kq_textring_free(&r);
}

static uint64_t rng_state = 88172645463325252u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random pieces of valid text: what is held is always a suffix of the
 * stream, valid, within the bound, and shorter than it by less than one
 * character. */
static void test_random(void)
{
    static const char *chars[] = {"a", "\n", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80"};
    kq_buf all = KQ_BUF_INIT;
    kq_textring r = KQ_TEXTRING_INIT;
    int bad = 0;

    for (int i = 0; i < 20000; i++) {
        size_t limit = 64, n;
        kq_buf piece = KQ_BUF_INIT;
        const char *p;

        for (int k = (int)(rng() % 40); k > 0; k--)
            kq_buf_puts(&piece, chars[rng() % 5]);
        kq_buf_append(&all, piece.data ? piece.data : "", piece.len);
        CHECK_INT(kq_textring_append(&r, limit, kq_buf_ptr(&piece), piece.len), 0);
        n = kq_textring_since(&r, 0, &p);
        if (r.end != all.len || n > limit || n + 3 < (all.len < limit ? all.len : limit) ||
            memcmp(p, kq_buf_ptr(&all) + all.len - n, n) != 0 || !kq_utf8_valid(p, n) ||
            r.cap > limit)
            bad++;
        kq_buf_free(&piece);
    }
    CHECK_INT(bad, 0);
    kq_buf_free(&all);
    kq_textring_free(&r);
}

int main(void)
{
    test_basics();
    test_random();
    KQ_TEST_DONE();
}
