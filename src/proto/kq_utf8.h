/*
 * kq_utf8.h - UTF-8 validation, repair and JSON string escaping.
 *
 * Escaping is the reference's (serde_json): '"' and '\\' escaped, \b \t \n
 * \f \r, every other byte below 0x20 as \u00XX with lowercase hex; '/',
 * 0x7F and all non-ASCII written raw.
 */
#ifndef KQ_UTF8_H
#define KQ_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_buf.h"

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates, no
 * code points above U+10FFFF). */
bool kq_utf8_valid(const char *s, size_t len);

/* Appends s to out with every ill-formed sequence replaced by U+FFFD (one
 * replacement per maximal invalid subpart, as Rust's from_utf8_lossy).
 * Returns the number of replacements made. */
size_t kq_utf8_repair(kq_buf *out, const char *s, size_t len);

/* Length of the longest prefix of s[0..len) that is no longer than max
 * bytes and does not end inside a UTF-8 sequence. */
size_t kq_utf8_truncate(const char *s, size_t len, size_t max);

/* Display width in terminal columns of valid UTF-8 text (1 per code point,
 * 2 for East Asian wide and fullwidth, 0 for combining marks and zero-width
 * characters). */
size_t kq_utf8_width(const char *s, size_t len);

/* Appends the JSON string literal for s[0..len), quotes included.  s is
 * assumed valid UTF-8 (bytes are copied raw). */
void kq_json_escape(kq_buf *out, const char *s, size_t len);

#endif
