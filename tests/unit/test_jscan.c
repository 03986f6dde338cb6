/*
 * test_jscan.c - the strict JSON grammar, whole and split at every byte.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_jscan.h"
#include "kq_json.h"
#include "kq_test.h"

static const char *const valid[] = {
    "0", "-0", "1", "-1", "12.5e-3", "1E+2", "0.0", "1e5", "true", "false",
    "null", "\"\"", "\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"", "[]", "{}",
    " [ 1 , 2 ] ", "{\"a\":{\"b\":[null,{}]}}", "\"\\ud83d\\ude00\"",
    "\"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\"", "\"\\u0000\"",
    ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
};

static const char *const invalid[] = {
    "", " ", "01", "-", "+1", ".5", "1.", "1e", "1e+", "0x1", "NaN",
    "Infinity", "tru", "nul", "True", "'a'", "\"a", "\"\\x\"", "\"\\u12\"",
    "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"",
    "\"\x01\"", "\"\t\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
    "\"\xe2\x9c\"", "\"\xff\"", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}",
    "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "[1 2]", "[1}", "{\"a\":1]", "]",
    "{\"a\\u0000\":1}", "1 2", "[] []", "\xef\xbb\xbf[]",
    ("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
    "1234567890123456789012345678901234567890123456789012345678901234",
};

/* Scans text fed in two pieces split at k; returns what kq_json_parse's
 * rules say: 0 valid, negative invalid. */
static int scan_split(const char *text, size_t len, size_t k)
{
    kq_jscan s;
    kq_error err;
    size_t used;
    int rc;

    kq_jscan_init(&s);
    rc = kq_jscan_feed(&s, text, k, &used, &err);
    if (rc == KQ_JSCAN_MORE)
        rc = kq_jscan_feed(&s, text + k, len - k, &used, &err), used += k;
    if (rc == KQ_JSCAN_MORE)
        rc = kq_jscan_finish(&s, &err), used = len;
    if (rc < 0)
        return rc;
    for (size_t i = used; i < len; i++)
        if (!strchr(" \t\r\n", text[i]))
            return -EBADMSG;
    return 0;
}

static void test_grammar(void)
{
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        size_t len = strlen(valid[i]);
        kq_json_doc doc;
        kq_error err;

        for (size_t k = 0; k <= len; k++) {
            int rc = scan_split(valid[i], len, k);

            if (rc)
                fprintf(stderr, "valid[%zu] split at %zu rejected\n", i, k);
            CHECK_INT(rc, 0);
        }
        CHECK_INT(kq_json_parse(valid[i], len, &doc, &err), 0);
        kq_json_free(&doc);
    }
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        size_t len = strlen(invalid[i]);
        kq_json_doc doc;
        kq_error err;

        for (size_t k = 0; k <= len; k++) {
            int rc = scan_split(invalid[i], len, k);

            if (rc != -EBADMSG)
                fprintf(stderr, "invalid[%zu] split at %zu accepted\n", i, k);
            CHECK_INT(rc, -EBADMSG);
        }
        CHECK_INT(kq_json_parse(invalid[i], len, &doc, &err), -EBADMSG);
    }
}

/* What the tree keeps that cJSON's own parser would lose: exact number
 * literals and strings with embedded NULs. */
static void test_literals(void)
{
    const char *text = "{\"a\":[1,-2.5,{\"b\":18446744073709551615}],"
                       "\"c\":\"x\\u00e9\",\"d\":\"a\\u0000b\",\"e\":3}";
    kq_json_doc doc;
    kq_error err;
    const cJSON *a, *e, *d, *c;
    kq_json_literal lit;

    CHECK_INT(kq_json_parse(text, strlen(text), &doc, &err), 0);
    a = cJSON_GetObjectItem(doc.root, "a");
    lit = kq_json_number(&doc, a->child->next);
    CHECK(lit.len == 4 && memcmp(lit.text, "-2.5", 4) == 0);
    CHECK(lit.negative && !lit.integer);
    lit = kq_json_number(&doc, a->child->next->next->child);
    CHECK(lit.len == 20 && lit.integer && !lit.negative);
    e = cJSON_GetObjectItem(doc.root, "e");
    lit = kq_json_number(&doc, e);
    CHECK(lit.len == 1 && lit.text[0] == '3');
    c = cJSON_GetObjectItem(doc.root, "c");
    CHECK_INT(kq_json_strlen(c), 3);
    CHECK_STR(c->valuestring, "x\xc3\xa9");
    d = cJSON_GetObjectItem(doc.root, "d");
    CHECK_INT(kq_json_strlen(d), 3);
    CHECK(memcmp(d->valuestring, "a\0b", 3) == 0);
    kq_json_free(&doc);
    /* The tree builder alone never reads past the text, whatever it is. */
    CHECK_INT(kq_json_parse_valid("{\"a\":tru", 9, &doc, &err), -EBADMSG);
    CHECK_INT(kq_json_parse_valid("[1,\"ab", 7, &doc, &err), -EBADMSG);
    CHECK_INT(kq_json_parse_valid("\"\\", 2, &doc, &err), -EBADMSG);
}

/* An array of n zeros. */
static char *zeros(size_t n, size_t *len)
{
    char *text = malloc(2 * n + 1);

    text[0] = '[';
    for (size_t i = 0; i < n; i++) {
        text[1 + 2 * i] = '0';
        text[2 + 2 * i] = ',';
    }
    text[2 * n] = ']';
    *len = 2 * n + 1;
    return text;
}

/* The node budget: kq_json_max_nodes(len) values (the array included) fit,
 * one more is -EMSGSIZE with a message, whichever parse is used. */
static void test_node_budget(void)
{
    kq_json_doc doc;
    kq_error err;
    size_t len, n;
    char *text;

    /* n + 1 nodes in 2n + 1 bytes: the largest n within the budget. */
    for (n = 1; n + 2 <= kq_json_max_nodes(2 * (n + 1) + 1); n++)
        ;
    CHECK(n + 1 <= kq_json_max_nodes(2 * n + 1));
    text = zeros(n, &len);
    CHECK_INT(kq_json_parse(text, len, &doc, &err), 0);
    CHECK_INT(cJSON_GetArraySize(doc.root), (int)n);
    kq_json_free(&doc);
    free(text);

    text = zeros(n + 1, &len);
    CHECK_INT(kq_json_parse(text, len, &doc, &err), -EMSGSIZE);
    CHECK(doc.root == NULL && doc.arena == NULL);
    CHECK(strstr(err.msg, "has more than") != NULL);
    CHECK_INT(kq_json_parse_valid(text, len, &doc, &err), -EMSGSIZE);
    free(text);
}

/* Strings long enough for the scanner's and the builder's eight-byte
 * steps, with one special byte (or escape) at every position: scanned and
 * built exactly as one byte at a time would. */
static void test_long_strings(void)
{
    static const struct {
        const char *raw;   /* in the JSON text */
        const char *value; /* what it stands for; NULL: invalid */
    } specials[] = {
        {"\\n", "\n"}, {"\\\"", "\""}, {"\\\\", "\\"}, {"\\u00e9", "\xc3\xa9"},
        {"\xc3\xa9", "\xc3\xa9"}, {"\x7f", "\x7f"}, {"\x01", NULL}, {"\x80", NULL},
        {"\xff", NULL}, {"\"", NULL},
    };
    int bad = 0;

    for (size_t k = 0; k < sizeof specials / sizeof *specials; k++) {
        for (size_t len = 0; len < 40; len++) {
            for (size_t at = 0; at <= len; at++) {
                char text[128], want[64];
                size_t n = 0, w = 0;
                kq_json_doc doc;
                kq_error err;
                int rc;

                text[n++] = '"';
                for (size_t i = 0; i < len; i++) {
                    if (i == at) {
                        n += (size_t)sprintf(text + n, "%s", specials[k].raw);
                        if (specials[k].value)
                            w += (size_t)sprintf(want + w, "%s", specials[k].value);
                    }
                    text[n++] = (char)('a' + i % 26);
                    want[w++] = (char)('a' + i % 26);
                }
                text[n++] = '"';
                rc = kq_json_parse(text, n, &doc, &err);
                if (!specials[k].value || at == len) {
                    /* Invalid, or (at == len) no special byte at all. */
                    if (at == len ? rc != 0 : rc == 0)
                        bad++;
                    if (rc == 0)
                        kq_json_free(&doc);
                    continue;
                }
                if (rc != 0 || !cJSON_IsString(doc.root) || (size_t)doc.root->valueint != w ||
                    memcmp(doc.root->valuestring, want, w) != 0)
                    bad++;
                if (rc == 0)
                    kq_json_free(&doc);
                if (scan_split(text, n, at + 1) != 0)
                    bad++;
            }
        }
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    test_long_strings();
    test_grammar();
    test_literals();
    test_node_budget();
    KQ_TEST_DONE();
}
