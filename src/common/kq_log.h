/*
 * kq_log.h - log lines in the reference's format, on stdout.
 *
 *   2024-01-30T12:34:56.123Z INFO  [kueue_server] Started listening on ...
 *
 * Callers never pass secrets: messages name peers, jobs and reasons only.
 * A call writes exactly one line: control characters, DEL and ill-formed
 * UTF-8 in the message are escaped (\n, \x1b, ...), so strings from peers
 * (worker names, resource keys, commands) go in as they are and cannot
 * forge lines or steer a terminal.
 */
#ifndef KQ_LOG_H
#define KQ_LOG_H

#include "kq_compiler.h"

typedef enum kq_log_level {
    KQ_LOG_TRACE,
    KQ_LOG_DEBUG,
    KQ_LOG_INFO,
    KQ_LOG_WARN,
    KQ_LOG_ERROR,
} kq_log_level;

extern kq_log_level kq_log_threshold;

/* Sets the module name shown in brackets and the lowest level printed. */
void kq_log_init(const char *module, kq_log_level level);

/* Parses trace|debug|info|warn|error, any case.  0 or -EINVAL. */
int kq_log_parse_level(const char *text, kq_log_level *out);

/* Writes one line at level (whatever the threshold; the macros below
 * check it): the time, the level, the module and the formatted message,
 * escaped as above and cut at 2048 bytes before escaping. */
void kq_log(kq_log_level level, const char *fmt, ...) KQ_PRINTF(2, 3);

#define KQ_LOG_AT(level, ...)                                                \
    do {                                                                     \
        if ((level) >= kq_log_threshold)                                     \
            kq_log((level), __VA_ARGS__);                                    \
    } while (0)
#define kq_trace(...) KQ_LOG_AT(KQ_LOG_TRACE, __VA_ARGS__)
#define kq_debug(...) KQ_LOG_AT(KQ_LOG_DEBUG, __VA_ARGS__)
#define kq_info(...) KQ_LOG_AT(KQ_LOG_INFO, __VA_ARGS__)
#define kq_warn(...) KQ_LOG_AT(KQ_LOG_WARN, __VA_ARGS__)
#define kq_err(...) KQ_LOG_AT(KQ_LOG_ERROR, __VA_ARGS__)

#endif
