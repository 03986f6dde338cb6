/*
 * kq_float.h - f64 text exactly as serde_json writes it (Ryu layout).
 *
 * The shortest decimal digits that round-trip, laid out as: 0.0, 1.0,
 * 1000000000000000.0 (integers up to 16 digits), 2.25, 0.5, 0.00001, then
 * scientific with no '+' and no leading exponent zeros: 1e16, 1e-6,
 * 1.5e-7, 1.2345e20.  A '-' is prefixed for negative values and -0.0.
 */
#ifndef KQ_FLOAT_H
#define KQ_FLOAT_H

#include <stddef.h>

#define KQ_FLOAT_TEXT_MAX 32

/* Writes the text of v (NUL-terminated) and returns its length.  v must be
 * finite: non-finite values are written as "null", which is what the
 * reference writes and which no reference receiver accepts. */
size_t kq_float_format(double v, char out[KQ_FLOAT_TEXT_MAX]);

#endif
