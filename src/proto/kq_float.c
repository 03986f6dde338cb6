/*
 * kq_float.c - serde_json's f64 text: Ryu's shortest round-trip digits in
 * Ryu's layout.
 *
 * The digits come from the C library: the correctly rounded p-digit
 * decimal (printf "%.*e") is the closest p-digit candidate, and strtod tells
 * whether it reads back as the same double, which is exactly Ryu's
 * acceptance test (round-half-even bounds).  Round-tripping is monotonic in
 * p, so the shortest p is found by binary search.
 */
#include "kq_float.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIGITS 17

/* A decimal candidate: value = digits x 10^exp, digits without leading
 * zeros. */
typedef struct decimal {
    char digits[MAX_DIGITS + 1];
    int n;
    int exp;
} decimal;

/* True if d, read back by strtod, is exactly v.  The text is built as
 * "DDDe-X" without a radix character so LC_NUMERIC cannot interfere. */
static bool reads_back(const decimal *d, double v)
{
    char text[MAX_DIGITS + 16];

    snprintf(text, sizeof text, "%.*se%d", d->n, d->digits, d->exp);
    return strtod(text, NULL) == v;
}

/* The correctly rounded decimal of v (> 0) with p + 1 significant digits. */
static void nearest(double v, int p, decimal *d)
{
    char text[MAX_DIGITS + 16];
    const char *c;
    int e;

    snprintf(text, sizeof text, "%.*e", p, v);
    d->n = 0;
    for (c = text; *c != 'e'; c++) {
        if (*c >= '0' && *c <= '9')
            d->digits[d->n++] = *c;
    }
    d->digits[d->n] = '\0';
    e = atoi(c + 1);
    d->exp = e - p;
}

/* d plus one unit in its last digit; "999" becomes "100" with exp + 1. */
static void next_up(decimal *d)
{
    int i = d->n - 1;

    while (i >= 0 && d->digits[i] == '9')
        d->digits[i--] = '0';
    if (i >= 0) {
        d->digits[i]++;
    } else {
        d->digits[0] = '1';
        d->exp++;
    }
}

/*
 * True if some decimal with p + 1 digits reads back as v, stored in *d.
 * When v's significand is a power of two and it is not the smallest normal,
 * the rounding interval is twice as wide above v as below, so the nearest
 * candidate may fall just outside below while its upper neighbour is
 * inside; elsewhere the interval is symmetric and the nearest candidate is
 * the only one that can work.
 */
static bool try_precision(double v, int p, bool asymmetric, decimal *d)
{
    nearest(v, p, d);
    if (reads_back(d, v))
        return true;
    if (!asymmetric)
        return false;
    next_up(d);
    return reads_back(d, v);
}

/* Integers below 2^53 are exact and their own shortest digits. */
static bool small_integer(double v, decimal *d)
{
    char tmp[MAX_DIGITS + 1];
    uint64_t u;
    int n = 0;

    if (v >= 9007199254740992.0 || v != floor(v))
        return false;
    for (u = (uint64_t)v; u != 0; u /= 10)
        tmp[n++] = (char)('0' + u % 10);
    d->n = n;
    for (int i = 0; i < n; i++)
        d->digits[i] = tmp[n - 1 - i];
    d->digits[n] = '\0';
    d->exp = 0;
    return true;
}

/* Shortest round-trip digits of v (finite, > 0), no trailing zeros. */
static void shortest(double v, decimal *d)
{
    uint64_t bits;
    bool asymmetric;
    int lo = 0, hi = MAX_DIGITS - 1;
    decimal cand;

    /* Fast path for normal numbers: when the nearest 15-digit decimal reads
     * back, any shorter decimal that reads back is that one with its
     * trailing zeros (v lies within half an ulp of it, far inside half a
     * 15-digit unit), so stripping them gives the shortest.  Most values
     * stop here.  Subnormals have wider ulps and take the search. */
    if (!small_integer(v, d) &&
        (v < DBL_MIN || (nearest(v, 14, d), !reads_back(d, v)))) {
        memcpy(&bits, &v, sizeof bits);
        asymmetric = (bits & ((UINT64_C(1) << 52) - 1)) == 0
                     && (bits >> 52 & 0x7ff) > 1;
        nearest(v, hi, d);
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;

            if (try_precision(v, mid, asymmetric, &cand)) {
                *d = cand;
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }
    while (d->n > 1 && d->digits[d->n - 1] == '0') {
        d->digits[--d->n] = '\0';
        d->exp++;
    }
}

/*
 * Ryu's layout for digits D (n of them) with value D x 10^k and kk = n + k:
 * plain integer with ".0" up to 16 digits, plain decimal down to 0.0000D,
 * else d.ddde<kk-1>.
 */
size_t kq_float_format(double v, char out[KQ_FLOAT_TEXT_MAX])
{
    decimal d;
    char *p = out;
    int kk;

    if (!isfinite(v)) {
        memcpy(out, "null", 5);
        return 4;
    }
    if (signbit(v)) {
        *p++ = '-';
        v = -v;
    }
    if (v == 0) {
        memcpy(p, "0.0", 4);
        return (size_t)(p + 3 - out);
    }
    shortest(v, &d);
    kk = d.n + d.exp;
    if (d.exp >= 0 && kk <= 16) {
        memcpy(p, d.digits, (size_t)d.n);
        p += d.n;
        memset(p, '0', (size_t)d.exp);
        p += d.exp;
        *p++ = '.';
        *p++ = '0';
    } else if (kk > 0 && kk <= 16) {
        memcpy(p, d.digits, (size_t)kk);
        p += kk;
        *p++ = '.';
        memcpy(p, d.digits + kk, (size_t)(d.n - kk));
        p += d.n - kk;
    } else if (kk > -5 && kk <= 0) {
        *p++ = '0';
        *p++ = '.';
        memset(p, '0', (size_t)-kk);
        p += -kk;
        memcpy(p, d.digits, (size_t)d.n);
        p += d.n;
    } else {
        *p++ = d.digits[0];
        if (d.n > 1) {
            *p++ = '.';
            memcpy(p, d.digits + 1, (size_t)(d.n - 1));
            p += d.n - 1;
        }
        p += snprintf(p, (size_t)(KQ_FLOAT_TEXT_MAX - (p - out)), "e%d",
                      kk - 1);
    }
    *p = '\0';
    return (size_t)(p - out);
}
