/*
 * kq_log.c - log lines (see kq_log.h).  One write per line, so lines from
 * several processes sharing a terminal do not interleave mid-line; one
 * line per call, whatever the message holds (control characters are
 * escaped here, in one place, so no caller has to remember it).
 */
#include "kq_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "kq_utf8.h"

/* A message is cut at this many bytes; escaping may make it up to four
 * times longer, and the line is cut at LOG_LINE_MAX. */
#define LOG_MESSAGE_MAX 2048
#define LOG_LINE_MAX 4096

kq_log_level kq_log_threshold = KQ_LOG_INFO;
static const char *log_module = "kueue";

void kq_log_init(const char *module, kq_log_level level)
{
    log_module = module;
    kq_log_threshold = level;
}

static const char *const level_names[] = {"trace", "debug", "info", "warn",
                                          "error"};

int kq_log_parse_level(const char *text, kq_log_level *out)
{
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(text, level_names[i]) == 0) {
            *out = (kq_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* Whether s[0..len) starts with a well-formed UTF-8 sequence of at least
 * two bytes that is not a C1 control (U+0080..U+009F, which some
 * terminals obey); its length then, else 0. */
static size_t printable_sequence(const unsigned char *s, size_t len)
{
    kq_utf8_lead l = kq_utf8_lead_of(s[0]);

    if (l.len < 2 || len < l.len || s[1] < l.lo || s[1] > l.hi)
        return 0;
    for (size_t k = 2; k < l.len; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return s[0] == 0xC2 && s[1] < 0xA0 ? 0 : l.len;
}

/*
 * Copies msg[0..len) to out (room for cap bytes) so that it is one line
 * that cannot pose as another or steer a terminal: \n \r \t are written
 * so, every other control character (C0, DEL, C1) and every byte of
 * ill-formed UTF-8 as \xNN; printable ASCII and well-formed UTF-8 stay as
 * they are.  Whatever peers send (worker names, resource keys, commands)
 * reaches the log through here.  Stops before an escape that does not
 * fit.  Returns the bytes written.
 */
static size_t put_escaped(char *out, size_t cap, const char *msg, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)msg;
    size_t n = 0, i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t seq;

        if (c >= 0x20 && c < 0x7F) {
            if (n + 1 > cap)
                break;
            out[n++] = (char)c;
            i++;
        } else if ((seq = printable_sequence(s + i, len - i)) > 0) {
            if (n + seq > cap)
                break;
            memcpy(out + n, s + i, seq);
            n += seq;
            i += seq;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            if (n + 2 > cap)
                break;
            out[n++] = '\\';
            out[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            i++;
        } else {
            if (n + 4 > cap)
                break;
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
            i++;
        }
    }
    return n;
}

void kq_log(kq_log_level level, const char *fmt, ...)
{
    static const char *const tags[] = {"TRACE", "DEBUG", "INFO ", "WARN ",
                                       "ERROR"};
    char msg[LOG_MESSAGE_MAX];
    char line[LOG_LINE_MAX];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int n, m;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, tags[level],
                 log_module);
    if (n < 0 || (size_t)n >= sizeof line / 2)
        n = 0;
    va_start(ap, fmt);
    m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    else if ((size_t)m >= sizeof msg)
        m = (int)kq_utf8_truncate(msg, (size_t)m, sizeof msg - 1);
    n += (int)put_escaped(line + n, sizeof line - (size_t)n - 1, msg, (size_t)m);
    line[n++] = '\n';
    if (write(STDOUT_FILENO, line, (size_t)n) < 0) {
        /* Nowhere left to report a failing log. */
    }
}
