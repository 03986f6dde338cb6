#include "kq_error.h"

#include <stdarg.h>
#include <stdio.h>

void kq_error_set(kq_error *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}
