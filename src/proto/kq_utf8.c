/*
 * kq_utf8.c - UTF-8 validation, lossy repair, truncation, display width and
 * serde_json-compatible string escaping.
 *
 * Well-formedness follows Unicode Table 3-7; repair emits one U+FFFD per
 * maximal subpart of an ill-formed sequence, which is what Rust's
 * String::from_utf8_lossy does, so repaired text matches the reference.
 */
#include "kq_utf8.h"

#include <stdint.h>
#include <string.h>

static const char replacement[3] = {'\xEF', '\xBF', '\xBD'};

/*
 * Looks at the sequence starting at s[0] (len >= 1).  Returns its length if
 * it is well-formed; otherwise returns 0 and sets *bad to the length of its
 * maximal invalid subpart (>= 1): the lead byte plus the continuation bytes
 * that were still acceptable when the sequence broke off.
 */
static size_t sequence(const unsigned char *s, size_t len, size_t *bad)
{
    kq_utf8_lead lead = kq_utf8_lead_of(s[0]);
    size_t k;

    if (lead.len == 1)
        return 1;
    if (lead.len == 0 || len < 2 || s[1] < lead.lo || s[1] > lead.hi) {
        *bad = 1;
        return 0;
    }
    for (k = 2; k < lead.len; k++) {
        if (k >= len || (s[k] & 0xC0) != 0x80) {
            *bad = k;
            return 0;
        }
    }
    return lead.len;
}

/* The code point of a well-formed sequence of n bytes. */
static uint32_t decode(const unsigned char *s, size_t n)
{
    switch (n) {
    case 1:
        return s[0];
    case 2:
        return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    case 3:
        return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6
               | (s[2] & 0x3F);
    default:
        return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12
               | (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    }
}

/* Skips a run of ASCII bytes, eight at a time where possible. */
static size_t skip_ascii(const unsigned char *s, size_t len, size_t i)
{
    uint64_t w;

    while (len - i >= 8) {
        memcpy(&w, s + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            break;
        i += 8;
    }
    while (i < len && s[i] < 0x80)
        i++;
    return i;
}

bool kq_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, n, bad;

    while ((i = skip_ascii(s, len, i)) < len) {
        n = sequence(s + i, len - i, &bad);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* Copies well-formed runs with one append each and replaces each maximal
 * invalid subpart with U+FFFD. */
size_t kq_utf8_repair(kq_buf *out, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0, n, bad, count = 0;

    while ((i = skip_ascii(s, len, i)) < len) {
        n = sequence(s + i, len - i, &bad);
        if (n) {
            i += n;
            continue;
        }
        kq_buf_append(out, str + run, i - run);
        kq_buf_append(out, replacement, sizeof replacement);
        count++;
        i += bad;
        run = i;
    }
    kq_buf_append(out, str + run, len - run);
    return count;
}

/* Cuts at max, then backs up to the lead byte if a sequence announced there
 * would run past the cut.  Stray continuation bytes and bytes that announce
 * no sequence are units of their own and may be cut anywhere. */
size_t kq_utf8_truncate(const char *str, size_t len, size_t max)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i, back = 0;

    if (len <= max)
        return len;
    i = max;
    while (i > 0 && back < 3 && (s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i > 0 && i - 1 + kq_utf8_lead_of(s[i - 1]).len > max)
        return i - 1;
    return max;
}

size_t kq_utf8_incomplete_tail(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;

    /* Back over continuation bytes to the lead byte, at most three. */
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        kq_utf8_lead lead;

        if ((s[len - back] & 0xC0) == 0x80)
            continue;
        lead = kq_utf8_lead_of(s[len - back]);
        /* ASCII, a byte no sequence starts with, or a sequence complete
         * already; the second byte decides overlongs and surrogates. */
        if (lead.len <= back)
            return 0;
        if (back >= 2 && (s[len - back + 1] < lead.lo || s[len - back + 1] > lead.hi))
            return 0;
        return back;
    }
    return 0;
}

typedef struct range {
    uint32_t lo, hi;
} range;

/* Zero-width code points: combining marks of the common scripts, Hangul
 * medial/final jamo, format and invisible characters, variation selectors
 * and tags.  Checked before the wide table (some marks sit in wide blocks). */
static const range zero_width[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},
    {0x05BF, 0x05BF},   {0x05C1, 0x05C2},   {0x05C4, 0x05C5},
    {0x05C7, 0x05C7},   {0x0610, 0x061A},   {0x064B, 0x065F},
    {0x0670, 0x0670},   {0x06D6, 0x06DC},   {0x06DF, 0x06E4},
    {0x06E7, 0x06E8},   {0x06EA, 0x06ED},   {0x0711, 0x0711},
    {0x0730, 0x074A},   {0x07A6, 0x07B0},   {0x07EB, 0x07F3},
    {0x0900, 0x0902},   {0x093A, 0x093A},   {0x093C, 0x093C},
    {0x0941, 0x0948},   {0x094D, 0x094D},   {0x0951, 0x0957},
    {0x0962, 0x0963},   {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},
    {0x0E47, 0x0E4E},   {0x1160, 0x11FF},   {0x1AB0, 0x1AFF},
    {0x1DC0, 0x1DFF},   {0x200B, 0x200F},   {0x202A, 0x202E},
    {0x2060, 0x2064},   {0x20D0, 0x20F0},   {0x302A, 0x302D},
    {0x3099, 0x309A},   {0xFE00, 0xFE0F},   {0xFE20, 0xFE2F},
    {0xFEFF, 0xFEFF},   {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
    {0xE0100, 0xE01EF},
};

/* East Asian Wide and Fullwidth: CJK, Hangul, kana, fullwidth forms and
 * the emoji with default emoji presentation. */
static const range wide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},
    {0x23E9, 0x23EC},   {0x23F0, 0x23F0},   {0x23F3, 0x23F3},
    {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},
    {0x267F, 0x267F},   {0x2693, 0x2693},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
    {0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},
    {0x26F2, 0x26F3},   {0x26F5, 0x26F5},   {0x26FA, 0x26FA},
    {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},
    {0x2728, 0x2728},   {0x274C, 0x274C},   {0x274E, 0x274E},
    {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
    {0x27B0, 0x27B0},   {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},
    {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
    {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},
    {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4},
    {0x17000, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004},
    {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A},
    {0x1F200, 0x1F202}, {0x1F210, 0x1F23B}, {0x1F240, 0x1F248},
    {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF},
    {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static bool in_table(uint32_t cp, const range *t, size_t n)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (cp > t[mid].hi)
            lo = mid + 1;
        else if (cp < t[mid].lo)
            hi = mid;
        else
            return true;
    }
    return false;
}

/* Columns of one code point; C0/C1 controls take none. */
static size_t code_point_width(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return 0;
    if (cp < 0x300)
        return 1;
    if (in_table(cp, zero_width, sizeof zero_width / sizeof *zero_width))
        return 0;
    if (in_table(cp, wide, sizeof wide / sizeof *wide))
        return 2;
    return 1;
}

/* Sums code_point_width; an ill-formed subpart counts as the one column
 * of the U+FFFD that would replace it. */
size_t kq_utf8_width(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, n, bad, width = 0;

    while (i < len) {
        n = sequence(s + i, len - i, &bad);
        if (n == 0) {
            width++;
            i += bad;
            continue;
        }
        width += code_point_width(decode(s + i, n));
        i += n;
    }
    return width;
}

/* For each byte: 0 to copy it raw, 'u' for \u00XX, otherwise the letter
 * that follows the backslash. */
static const unsigned char json_escape_table[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    ['"'] = '"',
    ['\\'] = '\\',
};

/* Copies each run of raw bytes with one append; the up-front reserve makes
 * escape-free strings cost a single allocation check. */
void kq_json_escape(kq_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    kq_buf_reserve(out, len + 2);
    kq_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned char e = json_escape_table[c];

        if (e == 0)
            continue;
        kq_buf_append(out, s + run, i - run);
        if (e == 'u') {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

            kq_buf_append(out, u, sizeof u);
        } else {
            char pair[2] = {'\\', (char)e};

            kq_buf_append(out, pair, sizeof pair);
        }
        run = i + 1;
    }
    kq_buf_append(out, s + run, len - run);
    kq_buf_putc(out, '"');
}
