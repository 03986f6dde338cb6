/*
 * test_utf8.c - kq_utf8: strict validation, from_utf8_lossy-style repair,
 * truncation at sequence boundaries, display width and serde_json string
 * escaping, with randomized checks against slow reference versions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kq_test.h"
#include "kq_utf8.h"

#define S(lit) lit, sizeof lit - 1

static void test_valid(void)
{
    CHECK(kq_utf8_valid(S("")));
    CHECK(kq_utf8_valid(S("plain ascii, long enough for the word loop")));
    CHECK(kq_utf8_valid(S("\xC2\x80")));                  /* U+0080 */
    CHECK(kq_utf8_valid(S("\xDF\xBF")));                  /* U+07FF */
    CHECK(kq_utf8_valid(S("\xE0\xA0\x80")));              /* U+0800 */
    CHECK(kq_utf8_valid(S("\xED\x9F\xBF")));              /* U+D7FF */
    CHECK(kq_utf8_valid(S("\xEE\x80\x80")));              /* U+E000 */
    CHECK(kq_utf8_valid(S("\xEF\xBF\xBD")));              /* U+FFFD */
    CHECK(kq_utf8_valid(S("\xF0\x90\x80\x80")));          /* U+10000 */
    CHECK(kq_utf8_valid(S("\xF4\x8F\xBF\xBF")));          /* U+10FFFF */
    CHECK(kq_utf8_valid(S("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80")));
    CHECK(kq_utf8_valid(S("a\0b")));

    CHECK(!kq_utf8_valid(S("\x80")));                     /* stray */
    CHECK(!kq_utf8_valid(S("\xBF")));
    CHECK(!kq_utf8_valid(S("\xC0\x80")));                 /* overlong NUL */
    CHECK(!kq_utf8_valid(S("\xC1\xBF")));                 /* overlong */
    CHECK(!kq_utf8_valid(S("\xE0\x80\x80")));             /* overlong */
    CHECK(!kq_utf8_valid(S("\xE0\x9F\xBF")));             /* overlong */
    CHECK(!kq_utf8_valid(S("\xF0\x80\x80\x80")));         /* overlong */
    CHECK(!kq_utf8_valid(S("\xF0\x8F\xBF\xBF")));         /* overlong */
    CHECK(!kq_utf8_valid(S("\xED\xA0\x80")));             /* U+D800 */
    CHECK(!kq_utf8_valid(S("\xED\xBF\xBF")));             /* U+DFFF */
    CHECK(!kq_utf8_valid(S("\xF4\x90\x80\x80")));         /* U+110000 */
    CHECK(!kq_utf8_valid(S("\xF5\x80\x80\x80")));
    CHECK(!kq_utf8_valid(S("\xFF")));
    CHECK(!kq_utf8_valid(S("\xFE")));
    CHECK(!kq_utf8_valid(S("\xC3")));                     /* truncated */
    CHECK(!kq_utf8_valid(S("\xE6\x97")));
    CHECK(!kq_utf8_valid(S("\xF0\x9F\x98")));
    CHECK(!kq_utf8_valid(S("\xC3\x41")));
    CHECK(!kq_utf8_valid(S("abcdefghijklmnop\xC3")));
    CHECK(!kq_utf8_valid(S("abcdefgh\x80ijklmnop")));
    /* The length bounds the check: a cut sequence is invalid. */
    CHECK(!kq_utf8_valid("\xC3\xA9", 1));
    CHECK(kq_utf8_valid("\xC3\xA9", 2));
}

static void check_repair(const char *in, size_t len, const char *want,
                         size_t want_count)
{
    kq_buf out = KQ_BUF_INIT;
    size_t count = kq_utf8_repair(&out, in, len);

    CHECK_STR(kq_buf_ptr(&out), want);
    CHECK_INT(out.len, strlen(want));
    CHECK_INT(count, want_count);
    kq_buf_free(&out);
}

#define FFFD "\xEF\xBF\xBD"

static void test_repair(void)
{
    check_repair(S("hello"), "hello", 0);
    check_repair(S(""), "", 0);
    check_repair(S("caf\xC3\xA9"), "caf\xC3\xA9", 0);
    check_repair(S("Hello\xF0\x90\x80World"), "Hello" FFFD "World", 1);
    check_repair(S("\x80"), FFFD, 1);
    check_repair(S("\x80\x80"), FFFD FFFD, 2);
    check_repair(S("\xC0\xAF"), FFFD FFFD, 2);
    check_repair(S("\xE0\x80\x80"), FFFD FFFD FFFD, 3);
    check_repair(S("\xF0\x80\x80"), FFFD FFFD FFFD, 3);
    check_repair(S("\xED\xA0\x80"), FFFD FFFD FFFD, 3);
    check_repair(S("\xF4\x90\x80\x80"), FFFD FFFD FFFD FFFD, 4);
    check_repair(S("\xE1\x80"), FFFD, 1);
    check_repair(S("\xE1\x80\x41"), FFFD "A", 1);
    check_repair(S("\xF0\x9F\x98"), FFFD, 1);
    check_repair(S("\xF0\x9F\x98\x80\xF0\x9F"), "\xF0\x9F\x98\x80" FFFD, 1);
    check_repair(S("\xFF\xFE"), FFFD FFFD, 2);
    /* Unicode 15 Table 3-8 (substitution of maximal subparts). */
    check_repair(S("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
                 "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", 6);
    /* Appends to what is already there. */
    {
        kq_buf out = KQ_BUF_INIT;

        kq_buf_puts(&out, "x=");
        CHECK_INT(kq_utf8_repair(&out, S("\xC3(")), 1);
        CHECK_STR(kq_buf_ptr(&out), "x=" FFFD "(");
        kq_buf_free(&out);
    }
}

static void test_truncate(void)
{
    const char *s = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80z"; /* a é 日 😀 z */
    size_t len = strlen(s);

    CHECK_INT(kq_utf8_truncate(s, len, 100), len);
    CHECK_INT(kq_utf8_truncate(s, len, len), len);
    CHECK_INT(kq_utf8_truncate(s, len, 0), 0);
    CHECK_INT(kq_utf8_truncate(s, len, 1), 1);
    CHECK_INT(kq_utf8_truncate(s, len, 2), 1);
    CHECK_INT(kq_utf8_truncate(s, len, 3), 3);
    CHECK_INT(kq_utf8_truncate(s, len, 4), 3);
    CHECK_INT(kq_utf8_truncate(s, len, 5), 3);
    CHECK_INT(kq_utf8_truncate(s, len, 6), 6);
    CHECK_INT(kq_utf8_truncate(s, len, 7), 6);
    CHECK_INT(kq_utf8_truncate(s, len, 8), 6);
    CHECK_INT(kq_utf8_truncate(s, len, 9), 6);
    CHECK_INT(kq_utf8_truncate(s, len, 10), 10);
    CHECK_INT(kq_utf8_truncate(S("\xF0\x9F\x98\x80"), 3), 0);
    /* Stray continuation bytes are not a sequence: cut where asked. */
    CHECK_INT(kq_utf8_truncate(S("\x80\x80\x80\x80\x80"), 3), 3);
    CHECK_INT(kq_utf8_truncate(S("ab\x80\x80\x80\x80"), 5), 5);
}

static void test_incomplete_tail(void)
{
    CHECK_INT(kq_utf8_incomplete_tail(S("")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("abc")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xC3")), 1);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xC3\xA9")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xE6")), 1);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xE6\x97")), 2);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xE6\x97\xA5")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("\xF0\x9F\x98")), 3);
    CHECK_INT(kq_utf8_incomplete_tail(S("\xF0\x9F\x98\x80")), 0);
    /* Invalid whatever follows: an overlong, a surrogate, past U+10FFFF,
     * a byte no sequence starts with, stray continuation bytes. */
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xE0\x80")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xED\xA0")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xF4\x90")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xC0")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("a\xFF")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("\x80\x80\x80")), 0);
    CHECK_INT(kq_utf8_incomplete_tail(S("\xE6\x80\x80\x80")), 0);
}

static void test_width(void)
{
    CHECK_INT(kq_utf8_width(S("")), 0);
    CHECK_INT(kq_utf8_width(S("abc")), 3);
    CHECK_INT(kq_utf8_width(S("caf\xC3\xA9")), 4);            /* café */
    CHECK_INT(kq_utf8_width(S("cafe\xCC\x81")), 4);           /* e + U+0301 */
    CHECK_INT(kq_utf8_width(S("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E")), 6);
    CHECK_INT(kq_utf8_width(S("\xED\x95\x9C\xEA\xB5\xAD")), 4); /* 한국 */
    CHECK_INT(kq_utf8_width(S("\xEF\xBD\x86\xEF\xBD\x95")), 4); /* ｆｕ */
    CHECK_INT(kq_utf8_width(S("\xE3\x81\x8B\xE3\x82\x99")), 2); /* か + U+3099 */
    CHECK_INT(kq_utf8_width(S("\xF0\x9F\x98\x80")), 2);         /* 😀 */
    CHECK_INT(kq_utf8_width(S("\xF0\x9F\x9A\x80")), 2);         /* 🚀 */
    CHECK_INT(kq_utf8_width(S("\xE2\x9C\x85")), 2);             /* ✅ */
    CHECK_INT(kq_utf8_width(S("\xF0\xA0\x80\x80")), 2);         /* U+20000 */
    CHECK_INT(kq_utf8_width(S("a\xE2\x80\x8B" "b")), 2);        /* ZWSP */
    CHECK_INT(kq_utf8_width(S("\xEF\xBB\xBF" "x")), 1);         /* BOM */
    CHECK_INT(kq_utf8_width(S("\xE2\x94\x80\xE2\x94\x82")), 2); /* ─│ */
    CHECK_INT(kq_utf8_width(S("\xC2\xB1")), 1);                 /* ± */
    CHECK_INT(kq_utf8_width(S("\xCE\xB1\xD0\x96")), 2);         /* αЖ */
    CHECK_INT(kq_utf8_width(S("a\tb\n")), 2);
    CHECK_INT(kq_utf8_width(S("\xC2\x85")), 0);                 /* C1 NEL */
    CHECK_INT(kq_utf8_width(S("\xE1\x84\x80\xE1\x85\xA1")), 2); /* jamo L+V */
    /* An ill-formed subpart counts as the replacement character would. */
    CHECK_INT(kq_utf8_width(S("a\xFF" "b")), 3);
}

static void check_escape(const char *in, size_t len, const char *want)
{
    kq_buf out = KQ_BUF_INIT;

    kq_json_escape(&out, in, len);
    CHECK_STR(kq_buf_ptr(&out), want);
    CHECK_INT(out.len, strlen(want));
    CHECK(!out.oom);
    kq_buf_free(&out);
}

static void test_escape(void)
{
    check_escape(S(""), "\"\"");
    check_escape(S("hello"), "\"hello\"");
    check_escape(S("a\"b"), "\"a\\\"b\"");
    check_escape(S("a\\b"), "\"a\\\\b\"");
    check_escape(S("a/b"), "\"a/b\"");
    check_escape(S("\b\t\n\f\r"), "\"\\b\\t\\n\\f\\r\"");
    check_escape(S("\x01\x1f"), "\"\\u0001\\u001f\"");
    check_escape(S("\x0b\x0e\x1b"), "\"\\u000b\\u000e\\u001b\"");
    check_escape(S("a\0b"), "\"a\\u0000b\"");
    check_escape(S("\x7f"), "\"\x7f\"");
    check_escape(S(" ~"), "\" ~\"");
    check_escape(S("caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xA8"),
                 "\"caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xA8\"");
    check_escape(S("\"\"\\\\"), "\"\\\"\\\"\\\\\\\\\"");
    check_escape(S("line1\nline2\r\n\ttab \"q\" \\ end"),
                 "\"line1\\nline2\\r\\n\\ttab \\\"q\\\" \\\\ end\"");

    /* Every control byte, in order. */
    {
        static const char *const want[32] = {
            "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
            "\\u0006", "\\u0007", "\\b",     "\\t",     "\\n",     "\\u000b",
            "\\f",     "\\r",     "\\u000e", "\\u000f", "\\u0010", "\\u0011",
            "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
            "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d",
            "\\u001e", "\\u001f",
        };

        for (int c = 0; c < 32; c++) {
            char in = (char)c, expect[16];

            snprintf(expect, sizeof expect, "\"%s\"", want[c]);
            check_escape(&in, 1, expect);
        }
    }

    /* Appends after existing content. */
    {
        kq_buf out = KQ_BUF_INIT;

        kq_buf_puts(&out, "{\"k\":");
        kq_json_escape(&out, S("v\n"));
        kq_buf_putc(&out, '}');
        CHECK_STR(kq_buf_ptr(&out), "{\"k\":\"v\\n\"}");
        kq_buf_free(&out);
    }
}

static uint64_t rng_state = 0xD1B54A32D192ED03u;

static uint64_t rng(void)
{
    return kq_test_rng(&rng_state);
}

/* Random bytes biased toward UTF-8 structure so that every branch of the
 * decoder is reached. */
static size_t random_bytes(unsigned char *s, size_t max)
{
    static const unsigned char interesting[] = {
        0x00, 0x0a, 0x1f, '"',  '\\', 'a',  0x7f, 0x80, 0x8f, 0x90,
        0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
        0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
    };
    size_t len = (size_t)(rng() % (max + 1));

    for (size_t i = 0; i < len; i++) {
        uint64_t r = rng();

        s[i] = r % 2 ? interesting[(r >> 8) % sizeof interesting]
                     : (unsigned char)(r >> 8);
    }
    return len;
}

/* Code-point-at-a-time reference validator (Unicode Table 3-7 by value). */
static bool slow_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp, min;
        size_t n;

        if (s[i] < 0x80) {
            i++;
            continue;
        }
        if ((s[i] & 0xE0) == 0xC0) {
            n = 2, cp = s[i] & 0x1F, min = 0x80;
        } else if ((s[i] & 0xF0) == 0xE0) {
            n = 3, cp = s[i] & 0x0F, min = 0x800;
        } else if ((s[i] & 0xF8) == 0xF0) {
            n = 4, cp = s[i] & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

/* Byte-at-a-time reference escaper. */
static void slow_escape(kq_buf *out, const unsigned char *s, size_t len)
{
    kq_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '"': kq_buf_puts(out, "\\\""); break;
        case '\\': kq_buf_puts(out, "\\\\"); break;
        case '\b': kq_buf_puts(out, "\\b"); break;
        case '\t': kq_buf_puts(out, "\\t"); break;
        case '\n': kq_buf_puts(out, "\\n"); break;
        case '\f': kq_buf_puts(out, "\\f"); break;
        case '\r': kq_buf_puts(out, "\\r"); break;
        default:
            if (s[i] < 0x20)
                kq_buf_printf(out, "\\u%04x", s[i]);
            else
                kq_buf_putc(out, (char)s[i]);
        }
    }
    kq_buf_putc(out, '"');
}

static void test_random(void)
{
    unsigned char s[64];
    int failures = 0;

    for (int i = 0; i < 200000; i++) {
        size_t len = random_bytes(s, sizeof s), count, cut, max;
        kq_buf repaired = KQ_BUF_INIT, fast = KQ_BUF_INIT, slow = KQ_BUF_INIT;
        bool valid = kq_utf8_valid((const char *)s, len);

        if (valid != slow_valid(s, len))
            failures++;

        /* Repair yields valid text, is the identity on valid input and
         * changes nothing that is already repaired. */
        count = kq_utf8_repair(&repaired, (const char *)s, len);
        if (!kq_utf8_valid(repaired.data, repaired.len)
            || (valid != (count == 0))
            || (valid && (repaired.len != len
                          || memcmp(repaired.data, s, len) != 0)))
            failures++;

        /* Truncating valid text keeps it valid and cuts as late as
         * possible. */
        max = (size_t)(rng() % (repaired.len + 2));
        cut = kq_utf8_truncate(repaired.data, repaired.len, max);
        if (cut > max || cut > repaired.len
            || !kq_utf8_valid(repaired.data, cut)
            || (cut < max && cut < repaired.len
                && kq_utf8_valid(repaired.data, cut + 1)))
            failures++;

        kq_json_escape(&fast, (const char *)s, len);
        slow_escape(&slow, s, len);
        if (fast.len != slow.len || memcmp(fast.data, slow.data, slow.len))
            failures++;

        kq_buf_free(&repaired);
        kq_buf_free(&fast);
        kq_buf_free(&slow);
    }
    CHECK_INT(failures, 0);
}

/* Repairing random bytes in random pieces, each holding its incomplete
 * tail back for the next, gives exactly the repair of the whole. */
static void test_pieces(void)
{
    unsigned char s[64];
    int failures = 0;

    for (int i = 0; i < 100000; i++) {
        size_t len = random_bytes(s, sizeof s), from = 0;
        kq_buf whole = KQ_BUF_INIT, pieces = KQ_BUF_INIT;

        kq_utf8_repair(&whole, (const char *)s, len);
        while (from < len) {
            size_t to = from + 1 + (size_t)(rng() % 6), keep;

            to = to > len ? len : to;
            keep = to == len ? to : to - kq_utf8_incomplete_tail((const char *)s, to);
            if (keep < from)
                keep = from;
            kq_utf8_repair(&pieces, (const char *)s + from, keep - from);
            from = keep;
        }
        if (whole.len != pieces.len || memcmp(kq_buf_ptr(&whole), kq_buf_ptr(&pieces), whole.len))
            failures++;
        kq_buf_free(&whole);
        kq_buf_free(&pieces);
    }
    CHECK_INT(failures, 0);
}

int main(void)
{
    test_valid();
    test_repair();
    test_truncate();
    test_incomplete_tail();
    test_width();
    test_escape();
    test_random();
    test_pieces();
    KQ_TEST_DONE();
}
