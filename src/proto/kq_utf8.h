/*
 * kq_utf8.h - UTF-8 validation, repair, code points and JSON string
 * escaping.
 *
 * Well-formed means Unicode Table 3-7: no overlongs, no surrogates, no code
 * points above U+10FFFF.  Escaping is the reference's (serde_json): '"' and
 * '\\' escaped, \b \t \n \f \r, every other byte below 0x20 as \u00XX with
 * lowercase hex; '/', 0x7F and all non-ASCII written raw.
 */
#ifndef KQ_UTF8_H
#define KQ_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"

/* What a byte allows as the start of a sequence: len is the sequence length
 * (1 for ASCII, 0 for a byte no sequence starts with) and [lo, hi] the range
 * of the second byte, which is what excludes overlongs, surrogates and code
 * points past U+10FFFF; any further byte is 0x80..0xBF. */
typedef struct kq_utf8_lead {
    uint8_t len, lo, hi;
} kq_utf8_lead;

/* The rules for lead byte c.  Inline: the JSON scanner calls it per byte. */
static inline kq_utf8_lead kq_utf8_lead_of(unsigned char c)
{
    if (c < 0x80)
        return (kq_utf8_lead){1, 0, 0};
    if (c >= 0xC2 && c <= 0xDF)
        return (kq_utf8_lead){2, 0x80, 0xBF};
    if (c >= 0xE0 && c <= 0xEF)
        return (kq_utf8_lead){3, c == 0xE0 ? 0xA0 : 0x80,
                              c == 0xED ? 0x9F : 0xBF};
    if (c >= 0xF0 && c <= 0xF4)
        return (kq_utf8_lead){4, c == 0xF0 ? 0x90 : 0x80,
                              c == 0xF4 ? 0x8F : 0xBF};
    return (kq_utf8_lead){0, 0, 0};
}

/* Writes code point cp (at most U+10FFFF) as UTF-8 to o, which has room for
 * 4 bytes, and returns the number of bytes written.  Inline: the JSON tree
 * builder writes escapes straight into its arena. */
static inline size_t kq_utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* True if s[0..len) is well-formed UTF-8. */
bool kq_utf8_valid(const char *s, size_t len);

/* Appends s to out with every ill-formed sequence replaced by U+FFFD (one
 * replacement per maximal invalid subpart, as Rust's from_utf8_lossy).
 * Returns the number of replacements made. */
size_t kq_utf8_repair(kq_buf *out, const char *s, size_t len);

/* Length of the longest prefix of s[0..len) that is no longer than max
 * bytes and does not end inside a UTF-8 sequence. */
size_t kq_utf8_truncate(const char *s, size_t len, size_t max);

/* How many bytes at the end of s[0..len) (0 to 3) are the well-formed
 * start of a sequence that the bytes after them may complete.  Text that
 * arrives in pieces (a job's output) is repaired piece by piece exactly as
 * it would be whole when each piece holds these bytes back for the next:
 * no other cut changes what kq_utf8_repair makes of the bytes before it. */
size_t kq_utf8_incomplete_tail(const char *s, size_t len);

/* Display width in terminal columns of valid UTF-8 text (1 per code point,
 * 2 for East Asian wide and fullwidth, 0 for combining marks and zero-width
 * characters). */
size_t kq_utf8_width(const char *s, size_t len);

/* Appends the JSON string literal for s[0..len), quotes included.  s is
 * assumed valid UTF-8 (bytes are copied raw). */
void kq_json_escape(kq_buf *out, const char *s, size_t len);

#endif
