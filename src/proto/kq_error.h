/*
 * kq_error.h - a human-readable error message carried next to the return code.
 *
 * Every fallible function returns 0 or a negative errno; functions whose
 * failure needs explaining (parsers, decoders, config) also fill a kq_error
 * the caller owns.  The message never contains secrets.
 */
#ifndef KQ_ERROR_H
#define KQ_ERROR_H

#include "kq_compiler.h"

#define KQ_ERROR_MAX 512

typedef struct kq_error {
    char msg[KQ_ERROR_MAX];
} kq_error;

/* Formats the message into err (truncating); err may be NULL. */
void kq_error_set(kq_error *err, const char *fmt, ...) KQ_PRINTF(2, 3);

#endif
