/*
 * kq_jscan.c - strict resumable JSON scanner (see kq_jscan.h).
 *
 * One byte-driven state machine.  The state after each byte is all that is
 * kept, so input may stop anywhere and resume with the next read.
 */
#include "kq_jscan.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kq_utf8.h"

enum {
    S_START,     /* before the top-level value */
    S_VALUE,     /* after ':' or ',' in an array */
    S_ARR_FIRST, /* after '[' */
    S_OBJ_FIRST, /* after '{' */
    S_OBJ_KEY,   /* after ',' in an object */
    S_COLON,     /* after a key */
    S_AFTER,     /* after a value inside a container */
    S_STR,
    S_ESC,
    S_HEX,
    S_LOW_BS, /* after a high surrogate escape: '\' must follow */
    S_LOW_U,  /* ... then 'u' */
    S_UTF8,
    S_NUM_MINUS,
    S_NUM_ZERO,
    S_NUM_INT,
    S_NUM_DOT,
    S_NUM_FRAC,
    S_NUM_E,
    S_NUM_ESIGN,
    S_NUM_EXP,
    S_LIT,
    S_DONE,
};

/* Bytes that can be copied through a string unexamined: printable ASCII
 * other than the quote and the backslash. */
static const bool plain_ascii[256] = {
    [0x20 ... 0x21] = true, /* '"' is 0x22 */
    [0x23 ... 0x5b] = true, /* '\\' is 0x5c */
    [0x5d ... 0x7f] = true,
};

/* Skips plain bytes from b[i]: eight at a time while none of them is a
 * quote, a backslash, a control character or non-ASCII (the usual bit
 * tricks: a byte test exact for the word as a whole), then one by one.
 * Long strings (a job's output) go at memory speed. */
static size_t skip_plain(const unsigned char *b, size_t i, size_t n)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);

    while (n - i >= 8) {
        uint64_t w, q, bs;

        memcpy(&w, b + i, 8);
        q = w ^ (ones * '"');
        bs = w ^ (ones * '\\');
        if ((((q - ones) & ~q) | ((bs - ones) & ~bs) | ((w - ones * 0x20) & ~w) | w) & high)
            break;
        i += 8;
    }
    while (i < n && plain_ascii[b[i]])
        i++;
    return i;
}

void kq_jscan_init(kq_jscan *s)
{
    *s = (kq_jscan){0};
    s->state = S_START;
}

static int fail(const kq_jscan *s, kq_error *err, unsigned char c,
                const char *what)
{
    if (c >= 0x20 && c < 0x7f)
        kq_error_set(err, "invalid JSON at byte %zu ('%c'): %s", s->pos, c,
                     what);
    else
        kq_error_set(err, "invalid JSON at byte %zu (0x%02x): %s", s->pos, c,
                     what);
    return -EBADMSG;
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A value just ended: back to the container, or done at top level. */
static void value_done(kq_jscan *s)
{
    s->state = s->depth == 0 ? S_DONE : S_AFTER;
}

/* Called only in a state where the number is complete (a digit last). */
static int end_number(kq_jscan *s, kq_error *err)
{
    if (s->pos - s->num_start > KQ_JSCAN_MAX_NUMBER) {
        kq_error_set(err, "invalid JSON at byte %zu: number literal longer "
                          "than %d characters", s->num_start,
                     KQ_JSCAN_MAX_NUMBER);
        return -EBADMSG;
    }
    value_done(s);
    return 0;
}

/* The first byte of a value, in any state that expects one. */
static int begin_value(kq_jscan *s, unsigned char c, bool is_key_pos,
                       kq_error *err)
{
    if (is_key_pos) {
        if (c != '"')
            return fail(s, err, c, "expected a string as object key");
        s->state = S_STR;
        s->in_key = true;
        s->key_nul = false;
        return 0;
    }
    switch (c) {
    case '"':
        s->state = S_STR;
        s->in_key = false;
        return 0;
    case '{':
    case '[':
        if (s->depth >= KQ_JSCAN_MAX_DEPTH)
            return fail(s, err, c, "nesting deeper than 64 levels");
        if (c == '{')
            s->stack |= (uint64_t)1 << s->depth;
        else
            s->stack &= ~((uint64_t)1 << s->depth);
        s->depth++;
        s->state = c == '{' ? S_OBJ_FIRST : S_ARR_FIRST;
        return 0;
    case 't':
        s->lit = "true";
        break;
    case 'f':
        s->lit = "false";
        break;
    case 'n':
        s->lit = "null";
        break;
    case '-':
        s->num_start = s->pos;
        s->state = S_NUM_MINUS;
        return 0;
    default:
        if (c >= '0' && c <= '9') {
            s->num_start = s->pos;
            s->state = c == '0' ? S_NUM_ZERO : S_NUM_INT;
            return 0;
        }
        return fail(s, err, c, "expected a JSON value");
    }
    s->lit_pos = 1;
    s->state = S_LIT;
    return 0;
}

static bool top_is_object(const kq_jscan *s)
{
    return (s->stack >> (s->depth - 1)) & 1;
}

static int close_container(kq_jscan *s, unsigned char c, kq_error *err)
{
    if ((c == '}') != top_is_object(s))
        return fail(s, err, c, "mismatched closing bracket");
    s->depth--;
    value_done(s);
    return 0;
}

/* A lead byte of a multi-byte UTF-8 sequence; sets the continuation rules. */
static bool utf8_lead(kq_jscan *s, unsigned char c)
{
    kq_utf8_lead lead = kq_utf8_lead_of(c);

    if (lead.len < 2)
        return false;
    s->utf8_need = lead.len - 1;
    s->utf8_lo = lead.lo;
    s->utf8_hi = lead.hi;
    return true;
}

static int end_string(kq_jscan *s, kq_error *err)
{
    if (!s->in_key) {
        value_done(s);
        return 0;
    }
    /* Keys are C strings in the tree: a NUL would cut them short. */
    if (s->key_nul) {
        kq_error_set(err, "invalid JSON at byte %zu: object key contains "
                          "a NUL character", s->pos);
        return -EBADMSG;
    }
    s->state = S_COLON;
    return 0;
}

static int end_escape(kq_jscan *s, unsigned char c, kq_error *err)
{
    uint16_t v = s->hex_val;

    if (s->high) {
        if (v < 0xdc00 || v > 0xdfff)
            return fail(s, err, c, "high surrogate not followed by a low one");
        s->high = 0;
    } else if (v >= 0xd800 && v <= 0xdbff) {
        s->high = v;
        s->state = S_LOW_BS;
        return 0;
    } else if (v >= 0xdc00 && v <= 0xdfff)
        return fail(s, err, c, "lone low surrogate");
    else if (v == 0 && s->in_key)
        s->key_nul = true;
    s->state = S_STR;
    return 0;
}

int kq_jscan_feed(kq_jscan *s, const char *p, size_t n, size_t *used,
                  kq_error *err)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i = 0;
    int rc;

    while (i < n) {
        unsigned char c = b[i];

        switch (s->state) {
        case S_STR: {
            /* Fast path: a run of plain printable ASCII, counted once. */
            size_t start = i;

            i = skip_plain(b, i, n);
            s->pos += i - start;
            if (i == n)
                goto more;
            c = b[i];
            if (c == '"') {
                if ((rc = end_string(s, err)) < 0)
                    return rc;
            } else if (c == '\\')
                s->state = S_ESC;
            else if (c < 0x20)
                return fail(s, err, c, "control character in string");
            else if (utf8_lead(s, c))
                s->state = S_UTF8;
            else
                return fail(s, err, c, "invalid UTF-8 in string");
            break;
        }
        case S_UTF8:
            if (c < s->utf8_lo || c > s->utf8_hi)
                return fail(s, err, c, "invalid UTF-8 in string");
            s->utf8_lo = 0x80;
            s->utf8_hi = 0xbf;
            if (--s->utf8_need == 0)
                s->state = S_STR;
            break;
        case S_ESC:
            if (c == 'u') {
                s->state = S_HEX;
                s->hex_count = 0;
                s->hex_val = 0;
                break;
            }
            if (s->high)
                return fail(s, err, c, "lone high surrogate");
            if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' &&
                c != 'n' && c != 'r' && c != 't')
                return fail(s, err, c, "invalid escape in string");
            s->state = S_STR;
            break;
        case S_HEX: {
            int d = hex_digit(c);

            if (d < 0)
                return fail(s, err, c, "invalid \\u escape");
            s->hex_val = (uint16_t)(s->hex_val << 4 | d);
            if (++s->hex_count == 4 && (rc = end_escape(s, c, err)) < 0)
                return rc;
            break;
        }
        case S_LOW_BS:
            if (c != '\\')
                return fail(s, err, c, "lone high surrogate");
            s->state = S_LOW_U;
            break;
        case S_LOW_U:
            if (c != 'u')
                return fail(s, err, c, "lone high surrogate");
            s->state = S_HEX;
            s->hex_count = 0;
            s->hex_val = 0;
            break;
        case S_START:
        case S_VALUE:
            if (!kq_jscan_is_ws(c) && (rc = begin_value(s, c, false, err)) < 0)
                return rc;
            break;
        case S_ARR_FIRST:
            if (kq_jscan_is_ws(c))
                break;
            if (c == ']')
                rc = close_container(s, c, err);
            else
                rc = begin_value(s, c, false, err);
            if (rc < 0)
                return rc;
            break;
        case S_OBJ_FIRST:
        case S_OBJ_KEY:
            if (kq_jscan_is_ws(c))
                break;
            if (c == '}' && s->state == S_OBJ_FIRST)
                rc = close_container(s, c, err);
            else
                rc = begin_value(s, c, true, err);
            if (rc < 0)
                return rc;
            break;
        case S_COLON:
            if (kq_jscan_is_ws(c))
                break;
            if (c != ':')
                return fail(s, err, c, "expected ':' after object key");
            s->state = S_VALUE;
            break;
        case S_AFTER:
            if (kq_jscan_is_ws(c))
                break;
            if (c == ',')
                s->state = top_is_object(s) ? S_OBJ_KEY : S_VALUE;
            else if (c == '}' || c == ']') {
                if ((rc = close_container(s, c, err)) < 0)
                    return rc;
            } else
                return fail(s, err, c, "expected ',' or a closing bracket");
            break;
        case S_LIT:
            if (c != (unsigned char)s->lit[s->lit_pos])
                return fail(s, err, c, "invalid literal");
            if (s->lit[++s->lit_pos] == '\0')
                value_done(s);
            break;
        case S_NUM_MINUS:
            if (c < '0' || c > '9')
                return fail(s, err, c, "expected a digit after '-'");
            s->state = c == '0' ? S_NUM_ZERO : S_NUM_INT;
            break;
        case S_NUM_ZERO:
        case S_NUM_INT:
        case S_NUM_FRAC:
        case S_NUM_EXP:
            if (c >= '0' && c <= '9' && s->state != S_NUM_ZERO)
                break;
            if ((c == '.') && (s->state == S_NUM_ZERO || s->state == S_NUM_INT)) {
                s->state = S_NUM_DOT;
                break;
            }
            if ((c == 'e' || c == 'E') && s->state != S_NUM_EXP) {
                s->state = S_NUM_E;
                break;
            }
            if (c >= '0' && c <= '9')
                return fail(s, err, c, "leading zero in number");
            if ((rc = end_number(s, err)) < 0)
                return rc;
            /* The delimiter belongs to what follows: look at it again. */
            if (s->state == S_DONE)
                goto done;
            continue;
        case S_NUM_DOT:
            if (c < '0' || c > '9')
                return fail(s, err, c, "expected a digit after '.'");
            s->state = S_NUM_FRAC;
            break;
        case S_NUM_E:
            if (c == '+' || c == '-') {
                s->state = S_NUM_ESIGN;
                break;
            }
            /* fall through */
        case S_NUM_ESIGN:
            if (c < '0' || c > '9')
                return fail(s, err, c, "expected a digit in exponent");
            s->state = S_NUM_EXP;
            break;
        case S_DONE:
            goto done;
        }
        i++;
        s->pos++;
        if (s->state == S_DONE)
            goto done;
    }
more:
    *used = n;
    return KQ_JSCAN_MORE;
done:
    *used = i;
    return KQ_JSCAN_DONE;
}

int kq_jscan_finish(kq_jscan *s, kq_error *err)
{
    if (s->state == S_DONE)
        return KQ_JSCAN_DONE;
    if (s->depth == 0 &&
        (s->state == S_NUM_ZERO || s->state == S_NUM_INT ||
         s->state == S_NUM_FRAC || s->state == S_NUM_EXP)) {
        int rc = end_number(s, err);

        return rc < 0 ? rc : KQ_JSCAN_DONE;
    }
    if (s->state == S_START)
        kq_error_set(err, "invalid JSON: no value");
    else
        kq_error_set(err, "invalid JSON: truncated at byte %zu", s->pos);
    return -EBADMSG;
}
