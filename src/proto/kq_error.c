#include "kq_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kq_error_set(kq_error *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void kq_error_prefix(kq_error *err, const char *fmt, ...)
{
    char old[KQ_ERROR_MAX];
    size_t n, rest;
    va_list ap;
    int w;

    if (!err)
        return;
    memcpy(old, err->msg, sizeof old);
    va_start(ap, fmt);
    w = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    n = w < 0 ? 0 : (size_t)w;
    if (n > sizeof err->msg - 3)
        return;
    memcpy(err->msg + n, ": ", 2);
    n += 2;
    rest = strnlen(old, sizeof old - 1);
    if (rest > sizeof err->msg - 1 - n)
        rest = sizeof err->msg - 1 - n;
    memcpy(err->msg + n, old, rest);
    err->msg[n + rest] = '\0';
}
