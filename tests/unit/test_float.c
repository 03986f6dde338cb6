/*
 * test_float.c - kq_float_format against serde_json's (Ryu's) text: the
 * layout rules, edge values, the power-of-two cases whose shortest digits
 * lie above the nearest candidate, and randomized round trips.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kq_float.h"
#include "kq_test.h"

static void check_fmt(double v, const char *want)
{
    char text[KQ_FLOAT_TEXT_MAX];
    size_t n = kq_float_format(v, text);

    CHECK_STR(text, want);
    CHECK_INT(n, strlen(want));
}

static double from_bits(uint64_t bits)
{
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

static uint64_t to_bits(double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    return bits;
}

static void test_layout(void)
{
    check_fmt(0.0, "0.0");
    check_fmt(-0.0, "-0.0");
    check_fmt(1.0, "1.0");
    check_fmt(-1.0, "-1.0");
    check_fmt(12.0, "12.0");
    check_fmt(100.0, "100.0");
    check_fmt(0.5, "0.5");
    check_fmt(0.1, "0.1");
    check_fmt(0.52, "0.52");
    check_fmt(-0.25, "-0.25");
    check_fmt(1.5, "1.5");
    check_fmt(2.25, "2.25");
    check_fmt(12.75, "12.75");
    check_fmt(123456.789, "123456.789");
    check_fmt(0.001, "0.001");
    check_fmt(0.0001, "0.0001");
    check_fmt(1e-5, "0.00001");
    check_fmt(1.5e-5, "0.000015");
    check_fmt(1e-6, "1e-6");
    check_fmt(1.5e-7, "1.5e-7");
    check_fmt(1e15, "1000000000000000.0");
    check_fmt(1234567890123456.0, "1234567890123456.0");
    check_fmt(9007199254740992.0, "9007199254740992.0");
    check_fmt(9007199254740993.0, "9007199254740992.0");
    check_fmt(1e16, "1e16");
    check_fmt(1.2345e16, "1.2345e16");
    check_fmt(12345678901234567.0, "1.2345678901234568e16");
    check_fmt(3e21, "3e21");
    check_fmt(1.2345e20, "1.2345e20");
    check_fmt(1e100, "1e100");
    check_fmt(-1e-100, "-1e-100");
    check_fmt(5e-324, "5e-324");
    check_fmt(-5e-324, "-5e-324");
    check_fmt(2.2250738585072014e-308, "2.2250738585072014e-308");
    check_fmt(2.225073858507201e-308, "2.225073858507201e-308");
    check_fmt(1.7976931348623157e308, "1.7976931348623157e308");
    check_fmt(-1.7976931348623157e308, "-1.7976931348623157e308");
    check_fmt(0.30000000000000004, "0.30000000000000004");
    check_fmt(0.1 + 0.2, "0.30000000000000004");
    check_fmt(1.0 / 3.0, "0.3333333333333333");
    check_fmt(2.0 / 3.0, "0.6666666666666666");
    check_fmt(100.0 / 3.0, "33.333333333333336");
    check_fmt(5e-5, "0.00005");
    check_fmt(123e-7, "0.0000123");
    check_fmt(1.7e-6, "1.7e-6");
    check_fmt(9.999999999999999e22, "1e23");
    check_fmt(8.41e21, "8.41e21");
    check_fmt(4.35, "4.35");
    check_fmt(299792458.0, "299792458.0");
    check_fmt(1.0e-323, "1e-323");
    check_fmt(from_bits(UINT64_C(0x0010000000000000)),
              "2.2250738585072014e-308");
    check_fmt(from_bits(UINT64_C(0x000fffffffffffff)),
              "2.225073858507201e-308");
    check_fmt(from_bits(UINT64_C(0x7fefffffffffffff)),
              "1.7976931348623157e308");
}

static void test_non_finite(void)
{
    check_fmt(INFINITY, "null");
    check_fmt(-INFINITY, "null");
    check_fmt(NAN, "null");
}

/* Powers of two whose shortest digits are not the nearest decimal of that
 * length (the rounding interval is narrower below); values from Ryu. */
static const struct {
    unsigned biased_exp;
    const char *text;
} asymmetric[] = {
    {0x006, "7.120236347223045e-307"}, {0x010, "7.291122019556398e-304"},
    {0x042, "8.209073602596753e-289"}, {0x066, "5.641232424577593e-278"},
    {0x0d7, "5.858190679279809e-244"}, {0x0e8, "7.678447687145631e-239"},
    {0x0eb, "6.142758149716505e-238"}, {0x0f5, "6.290184345309701e-235"},
    {0x13e, "5.940911144672375e-213"}, {0x148, "6.083493012144512e-210"},
    {0x169, "5.225680706521042e-200"}, {0x173, "5.351097043477547e-197"},
    {0x1da, "5.426657103235053e-166"}, {0x202, "5.966672584960166e-154"},
    {0x20f, "4.887898181599368e-150"}, {0x216, "6.256509672447191e-148"},
    {0x280, "5.075883674631299e-116"}, {0x291, "6.653062250012736e-111"},
    {0x2d7, "7.854549544476363e-90"}, {0x373, "7.174648137343064e-43"},
    {0x39e, "6.310887241768095e-30"}, {0x3b2, "6.617444900424222e-24"},
    {0x3d3, "5.684341886080802e-14"}, {0x3e7, "5.960464477539063e-8"},
    {0x458, "6.189700196426902e26"}, {0x479, "5.316911983139664e36"},
    {0x483, "5.444517870735016e39"}, {0x4ab, "5.986310706507379e51"},
    {0x4b5, "6.129982163463556e54"}, {0x512, "6.070840288205404e82"},
    {0x530, "6.518515124270356e91"}, {0x558, "7.167183174968974e103"},
    {0x579, "6.156563468186638e113"}, {0x58d, "6.455624695217272e119"},
    {0x594, "8.263199609878108e121"}, {0x5e0, "6.243497100631985e144"},
    {0x615, "5.623642243178996e160"}, {0x61f, "5.758609657015292e163"},
    {0x629, "5.896816288783659e166"}, {0x63d, "6.183260036827614e172"},
    {0x651, "6.483618076376552e178"}, {0x6c5, "5.386379163185535e213"},
    {0x722, "5.334411546303884e241"}, {0x75e, "6.150157786156811e259"},
    {0x77f, "5.282945311356653e269"}, {0x7cf, "6.386688990511104e293"},
};

static void test_asymmetric(void)
{
    for (size_t i = 0; i < sizeof asymmetric / sizeof *asymmetric; i++) {
        uint64_t bits = (uint64_t)asymmetric[i].biased_exp << 52;

        check_fmt(from_bits(bits), asymmetric[i].text);
    }
}

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rng(void)
{
    return kq_test_rng(&rng_state);
}

/* Random finite doubles: raw bit patterns, short decimals and integers. */
static double random_double(void)
{
    double v;

    switch (rng() % 4) {
    case 0:
        do {
            v = from_bits(rng());
        } while (!isfinite(v));
        return v;
    case 1:
        return (double)(int64_t)(rng() % 2000001) / 1000.0 - 1000.0;
    case 2:
        return (double)(int64_t)rng();
    default:
        return from_bits(rng() % UINT64_C(0x0010000000000000));
    }
}

/* The significant digits in text (without sign, point, exponent, leading
 * and trailing zeros). */
static int significant_digits(const char *text)
{
    char digits[KQ_FLOAT_TEXT_MAX];
    int n = 0, start = 0;

    for (const char *p = text; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    }
    while (start < n && digits[start] == '0')
        start++;
    while (n > start && digits[n - 1] == '0')
        n--;
    return n - start;
}

static void test_random(void)
{
    int failures = 0;

    for (int i = 0; i < 100000; i++) {
        double v = random_double(), back;
        char text[KQ_FLOAT_TEXT_MAX], shorter[40];
        int digits;

        kq_float_format(v, text);
        back = strtod(text, NULL);
        if (to_bits(back) != to_bits(v)) {
            if (failures++ < 5)
                fprintf(stderr, "%a -> %s -> %a\n", v, text, back);
            continue;
        }
        /* Shortest: the nearest decimal with one digit fewer must not read
         * back (valid check except for the asymmetric powers of two). */
        digits = significant_digits(text);
        if (digits > 1 && (to_bits(v) & UINT64_C(0x000fffffffffffff)) != 0) {
            snprintf(shorter, sizeof shorter, "%.*e", digits - 2, v);
            if (strtod(shorter, NULL) == v && failures++ < 5)
                fprintf(stderr, "%s is not shortest (%s)\n", text, shorter);
        }
        /* Layout: a '.' or an exponent, never a '+'. */
        if ((!strchr(text, '.') && !strchr(text, 'e')) || strchr(text, '+')) {
            if (failures++ < 5)
                fprintf(stderr, "bad layout %s\n", text);
        }
    }
    CHECK_INT(failures, 0);
}

int main(void)
{
    test_layout();
    test_non_finite();
    test_asymmetric();
    test_random();
    KQ_TEST_DONE();
}
