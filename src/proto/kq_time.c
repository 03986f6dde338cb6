/*
 * kq_time.c - RFC 3339 timestamps with chrono's DateTime<Utc> text rules.
 *
 * Calendar arithmetic is done here on the proleptic Gregorian calendar
 * (days-from-civil), so the result never depends on TZ, the locale or the
 * range of time_t helpers such as timegm.
 */
#include "kq_time.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000u
#define SEC_PER_DAY 86400

/* Days from 1970-01-01 to y-m-d (m 1..12, d 1..31); negative before. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

kq_time kq_time_now(void)
{
    struct timespec ts;
    kq_time t = {0, 0};

    if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
        t.sec = (int64_t)ts.tv_sec;
        t.nsec = (uint32_t)ts.tv_nsec;
    }
    return t;
}

/* Writes v as exactly width decimal digits (v < 10^width). */
static char *put_digits(char *p, uint32_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/*
 * Canonical text: seconds print as 60 while nsec >= 1e9 (chrono's leap
 * second), and the fraction has 0, 3, 6 or 9 digits, the fewest that are
 * exact.  Instants outside years 0000..9999 are clamped to the nearest end
 * of that range so the year always has four digits.
 */
size_t kq_time_format(kq_time t, char out[KQ_TIME_TEXT_MAX])
{
    static const int64_t min_sec = -62167219200;    /* 0000-01-01T00:00:00 */
    static const int64_t max_sec = 253402300799;    /* 9999-12-31T23:59:59 */
    int64_t days, rem, year;
    unsigned month, day, sec;
    uint32_t frac;
    char *p = out;

    if (t.nsec > 2 * NSEC_PER_SEC - 1)
        t.nsec = 2 * NSEC_PER_SEC - 1;
    if (t.sec < min_sec) {
        t.sec = min_sec;
        t.nsec = 0;
    } else if (t.sec > max_sec) {
        t.sec = max_sec;
        t.nsec = NSEC_PER_SEC - 1;
    }

    days = t.sec / SEC_PER_DAY;
    rem = t.sec % SEC_PER_DAY;
    if (rem < 0) {
        rem += SEC_PER_DAY;
        days--;
    }
    civil_from_days(days, &year, &month, &day);

    sec = (unsigned)(rem % 60);
    frac = t.nsec;
    if (frac >= NSEC_PER_SEC) {
        sec++;
        frac -= NSEC_PER_SEC;
    }

    p = put_digits(p, (uint32_t)year, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, (uint32_t)(rem / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (uint32_t)(rem / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, sec, 2);
    if (frac != 0) {
        *p++ = '.';
        if (frac % 1000000 == 0)
            p = put_digits(p, frac / 1000000, 3);
        else if (frac % 1000 == 0)
            p = put_digits(p, frac / 1000, 6);
        else
            p = put_digits(p, frac, 9);
    }
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - out);
}

/* Reads exactly n digits at *pos; false if any is missing. */
static bool take_digits(const char *s, size_t len, size_t *pos, int n,
                        unsigned *out)
{
    unsigned v = 0;

    if (len - *pos < (size_t)n)
        return false;
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[*pos + (size_t)i];

        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *out = v;
    return true;
}

static bool take_char(const char *s, size_t len, size_t *pos, char c)
{
    if (*pos >= len || s[*pos] != c)
        return false;
    (*pos)++;
    return true;
}

/* Parses the mandatory zone suffix into seconds east of UTC. */
static int parse_offset(const char *s, size_t len, size_t *pos,
                        int32_t *offset, const char **why)
{
    unsigned hh, mm;
    int sign;

    if (*pos >= len) {
        *why = "missing time zone offset";
        return -EINVAL;
    }
    if (s[*pos] == 'Z' || s[*pos] == 'z') {
        (*pos)++;
        *offset = 0;
        return 0;
    }
    if (s[*pos] != '+' && s[*pos] != '-') {
        *why = "invalid time zone offset";
        return -EINVAL;
    }
    sign = s[*pos] == '-' ? -1 : 1;
    (*pos)++;
    if (!take_digits(s, len, pos, 2, &hh)) {
        *why = "invalid time zone offset";
        return -EINVAL;
    }
    take_char(s, len, pos, ':');
    if (!take_digits(s, len, pos, 2, &mm)) {
        *why = "invalid time zone offset";
        return -EINVAL;
    }
    if (hh > 23 || mm > 59) {
        *why = "time zone offset out of range";
        return -EINVAL;
    }
    *offset = sign * (int32_t)(hh * 3600 + mm * 60);
    return 0;
}

/*
 * Accepts chrono's FromStr grammar: YYYY-MM-DD, 'T' or ' ', HH:MM:SS, an
 * optional '.' with one or more digits (beyond nine ignored), and a
 * mandatory Z/z or numeric offset, nothing after.  Second 60 is taken as a
 * leap second on :59.  *out is written only on success.
 */
int kq_time_parse(const char *s, size_t len, kq_time *out, const char **why)
{
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    uint32_t nsec = 0;
    int32_t offset;
    size_t pos = 0;
    const char *ignored;
    int64_t sec;
    int rc;

    if (!why)
        why = &ignored;
    if (!take_digits(s, len, &pos, 4, &year) || !take_char(s, len, &pos, '-')
        || !take_digits(s, len, &pos, 2, &month)
        || !take_char(s, len, &pos, '-')
        || !take_digits(s, len, &pos, 2, &day)) {
        *why = "invalid date";
        return -EINVAL;
    }
    if (month < 1 || month > 12) {
        *why = "invalid month";
        return -EINVAL;
    }
    if (day < 1 || day > days_in_month(year, month)) {
        *why = "invalid day";
        return -EINVAL;
    }
    if (pos >= len || (s[pos] != 'T' && s[pos] != ' ')) {
        *why = "missing time";
        return -EINVAL;
    }
    pos++;
    if (!take_digits(s, len, &pos, 2, &hour) || !take_char(s, len, &pos, ':')
        || !take_digits(s, len, &pos, 2, &minute)
        || !take_char(s, len, &pos, ':')
        || !take_digits(s, len, &pos, 2, &second)) {
        *why = "invalid time";
        return -EINVAL;
    }
    if (hour > 23 || minute > 59 || second > 60) {
        *why = "time out of range";
        return -EINVAL;
    }
    if (take_char(s, len, &pos, '.')) {
        uint32_t scale = NSEC_PER_SEC;
        size_t start = pos;

        for (; pos < len && s[pos] >= '0' && s[pos] <= '9'; pos++) {
            if (scale > 1) {
                scale /= 10;
                nsec += (uint32_t)(s[pos] - '0') * scale;
            }
        }
        if (pos == start) {
            *why = "missing fraction digits";
            return -EINVAL;
        }
    }
    rc = parse_offset(s, len, &pos, &offset, why);
    if (rc < 0)
        return rc;
    if (pos != len) {
        *why = "trailing characters";
        return -EINVAL;
    }

    if (second == 60) {
        second = 59;
        nsec += NSEC_PER_SEC;
    }
    sec = days_from_civil(year, month, day) * SEC_PER_DAY
          + (int64_t)(hour * 3600 + minute * 60 + second) - offset;
    out->sec = sec;
    out->nsec = nsec;
    return 0;
}

/*
 * (later - earlier) in whole seconds, truncated toward zero, with each
 * instant taken as sec + nsec/1e9 (so a leap-second nsec counts fully).
 */
int64_t kq_time_diff_sec(kq_time later, kq_time earlier)
{
    int64_t dn = (int64_t)later.nsec - (int64_t)earlier.nsec;
    int64_t ds = later.sec - earlier.sec + dn / NSEC_PER_SEC;

    dn %= NSEC_PER_SEC;
    if (ds > 0 && dn < 0)
        ds--;
    else if (ds < 0 && dn > 0)
        ds++;
    return ds;
}

int kq_time_cmp(kq_time a, kq_time b)
{
    if (a.sec != b.sec)
        return a.sec < b.sec ? -1 : 1;
    if (a.nsec != b.nsec)
        return a.nsec < b.nsec ? -1 : 1;
    return 0;
}
