/*
 * test_wlive.c - the pieces of live output: each valid UTF-8, positioned
 * one after the other, and joined exactly the final text of the stream
 * (kq_runner_text), whatever the bytes (characters split between reads,
 * invalid sequences), the sizes of the reads and of the pieces, and
 * whether the stream reached its limit.
 */
#include <stdlib.h>

#include "kq_test.h"
#include "kq_utf8.h"
#include "kq_wlive.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Output that splits characters and holds invalid bytes now and then. */
static void random_output(char *s, size_t n)
{
    static const char *parts[] = {"a", "\n", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
                                  "\xff", "\xe0\x80", "\xed\xa0\x80", "\xc3", "\x80"};
    size_t i = 0;

    while (i < n) {
        const char *p = parts[rng() % 10];

        while (*p && i < n)
            s[i++] = *p++;
    }
}

/* A stream of len bytes read in random steps, pieces taken between them:
 * returns whether the pieces joined are the final text.  With keep, the
 * stream is not followed: before some pieces all but the last keep bytes
 * are skipped, and every piece must be the final text at its offset. */
static bool one_stream(size_t len, size_t limit, size_t max_raw, size_t keep)
{
    char *raw = malloc(len + 1);
    kq_buf joined = KQ_BUF_INIT, piece = KQ_BUF_INIT, scratch = KQ_BUF_INIT;
    kq_wlive_stream st = {0};
    kq_run_capture cap = {raw, 0, false, limit};
    size_t total = 0;
    kq_str final;
    bool ok = true;

    random_output(raw, len);
    do {
        uint64_t offset;

        /* The job writes; the runner keeps up to the limit. */
        total += 1 + (size_t)(rng() % 7);
        if (total > len)
            total = len;
        cap.len = total < limit ? total : limit;
        cap.cut = total > limit;
        if (keep && rng() % 3 == 0)
            kq_wlive_skip(&st, &cap, keep, &scratch);
        for (;;) {
            kq_buf_clear(&piece);
            if (!kq_wlive_piece(&st, &cap, max_raw, &piece, &offset))
                break;
            ok &= (keep || offset == joined.len) && kq_utf8_valid(kq_buf_ptr(&piece), piece.len);
            /* Skipped text stands in the joined text as what it was. */
            while (joined.len < offset)
                kq_buf_putc(&joined, '?');
            if (keep) {
                kq_str now;

                ok &= kq_runner_text(raw, cap.len, cap.cut, limit, &now) == 0;
                /* What the final text will be there (for a stream not cut
                 * yet: the text of what was captured, whole characters). */
                ok &= now.len >= offset + piece.len &&
                      memcmp(now.ptr + offset, kq_buf_ptr(&piece), piece.len) == 0;
                kq_str_free(&now);
            }
            kq_buf_append(&joined, kq_buf_ptr(&piece), piece.len);
        }
    } while (total < len);
    /* A stream that ended below its limit: the end of the final text is
     * in the report, not in a piece (bytes held back for a character). */
    while (joined.len < st.text_sent)
        kq_buf_putc(&joined, '?');
    if (!st.ended)
        kq_utf8_repair(&joined, raw + st.raw_sent, cap.len - st.raw_sent);
    ok &= kq_runner_text(raw, cap.len, cap.cut, limit, &final) == 0;
    if (!keep)
        ok &= final.len == joined.len && (final.len == 0 || memcmp(final.ptr, kq_buf_ptr(&joined),
                                                                   final.len) == 0);
    if (keep) {
        /* Skipped text was counted as the final text counts it. */
        for (size_t i = 0; i < joined.len && i < final.len; i++)
            if (kq_buf_ptr(&joined)[i] == '?')
                kq_buf_ptr(&joined)[i] = final.ptr[i];
        ok &= final.len == joined.len && (final.len == 0 || memcmp(final.ptr, kq_buf_ptr(&joined),
                                                                   final.len) == 0);
    }
    kq_str_free(&final);
    kq_buf_free(&joined);
    kq_buf_free(&piece);
    kq_buf_free(&scratch);
    free(raw);
    return ok;
}

static void test_random_streams(void)
{
    int bad = 0;

    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(rng() % 200), limit = 1 + (size_t)(rng() % 250);
        size_t max_raw = 1 + (size_t)(rng() % 40);

        bad += !one_stream(len, limit, max_raw, 0);
        bad += !one_stream(len, limit, max_raw, 1 + (size_t)(rng() % 30));
    }
    CHECK_INT(bad, 0);
}

static void test_examples(void)
{
    kq_wlive_stream st = {0};
    kq_run_capture cap = {"ab\xc3", 3, false, 10};
    kq_buf text = KQ_BUF_INIT;
    uint64_t off;

    /* The half character waits. */
    CHECK(kq_wlive_piece(&st, &cap, 100, &text, &off));
    CHECK_INT(off, 0);
    CHECK_STR(kq_buf_ptr(&text), "ab");
    kq_buf_clear(&text);
    CHECK(!kq_wlive_piece(&st, &cap, 100, &text, &off));
    cap.data = "ab\xc3\xa9\xff";
    cap.len = 5;
    CHECK(kq_wlive_piece(&st, &cap, 100, &text, &off));
    CHECK_INT(off, 2);
    CHECK_STR(kq_buf_ptr(&text), "\xc3\xa9\xef\xbf\xbd");
    kq_buf_clear(&text);
    /* At the limit: the note, then nothing more. */
    cap.data = "ab\xc3\xa9\xff" "cdefg";
    cap.len = 10;
    cap.cut = true;
    CHECK(kq_wlive_piece(&st, &cap, 100, &text, &off));
    CHECK_INT(off, 7);
    CHECK_STR(kq_buf_ptr(&text), "cdefg\n[kueue: output truncated after 10 bytes]\n");
    kq_buf_clear(&text);
    CHECK(!kq_wlive_piece(&st, &cap, 100, &text, &off));
    kq_buf_free(&text);
}

int main(void)
{
    test_examples();
    test_random_streams();
    KQ_TEST_DONE();
}
