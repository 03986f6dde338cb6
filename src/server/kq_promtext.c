/*
 * kq_promtext.c - Prometheus text format writer (see kq_promtext.h).
 */
#include "kq_promtext.h"

#include <math.h>

#include "kq_float.h"

/* Escapes backslash and line feed, and double quotes too in label
 * values. */
static void escaped(kq_buf *b, const char *s, size_t len, int quote)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            kq_buf_puts(b, "\\\\");
        else if (s[i] == '\n')
            kq_buf_puts(b, "\\n");
        else if (s[i] == '"' && quote)
            kq_buf_puts(b, "\\\"");
        else
            kq_buf_putc(b, s[i]);
    }
}

void kq_prom_family(kq_prom *p, const char *name, const char *type, const char *help)
{
    size_t n = 0;

    while (help[n])
        n++;
    kq_buf_printf(p->out, "# HELP %s ", name);
    escaped(p->out, help, n, 0);
    kq_buf_printf(p->out, "\n# TYPE %s %s\n", name, type);
}

void kq_prom_name(kq_prom *p, const char *name)
{
    kq_buf_puts(p->out, name);
    p->labels = 0;
}

void kq_prom_label(kq_prom *p, const char *key, const char *value, size_t len)
{
    kq_buf_printf(p->out, "%c%s=\"", p->labels++ ? ',' : '{', key);
    escaped(p->out, value, len, 1);
    kq_buf_putc(p->out, '"');
}

static void end_labels(kq_prom *p)
{
    kq_buf_puts(p->out, p->labels ? "} " : " ");
    p->labels = 0;
}

void kq_prom_u64(kq_prom *p, uint64_t v)
{
    end_labels(p);
    kq_buf_printf(p->out, "%llu\n", (unsigned long long)v);
}

void kq_prom_f64(kq_prom *p, double v)
{
    char text[KQ_FLOAT_TEXT_MAX];

    end_labels(p);
    if (isnan(v))
        kq_buf_puts(p->out, "NaN\n");
    else if (isinf(v))
        kq_buf_puts(p->out, v > 0 ? "+Inf\n" : "-Inf\n");
    else {
        kq_float_format(v, text);
        kq_buf_printf(p->out, "%s\n", text);
    }
}
