/*
 * kq_log.c - log lines (see kq_log.h).  One write per line, so lines from
 * several processes sharing a terminal do not interleave mid-line.
 */
#include "kq_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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

void kq_log(kq_log_level level, const char *fmt, ...)
{
    static const char *const tags[] = {"TRACE", "DEBUG", "INFO ", "WARN ",
                                       "ERROR"};
    char line[2048];
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
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if ((size_t)n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    if (write(STDOUT_FILENO, line, (size_t)n) < 0) {
        /* Nowhere left to report a failing log. */
    }
}
