/*
 * kq_cfgval.c - single configuration values (see kq_cfgval.h).
 */
#include "kq_cfgval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kq_auth.h"
#include "kq_float.h"

const char *kq_cfgval_in_section(const kq_toml_entry *e, const char *section)
{
    size_t n = strlen(section);

    if (strcmp(e->table, section) == 0)
        return e->key;
    if (e->table[0] == '\0' && strncmp(e->key, section, n) == 0 &&
        e->key[n] == '.')
        return e->key + n + 1;
    return NULL;
}

/* "the string \"300\"", "the integer 5", ... for messages. */
static void describe(const kq_toml_entry *e, char *out, size_t n)
{
    switch (e->type) {
    case KQ_TOML_STRING:
        snprintf(out, n, "the string \"%.60s\"", e->str);
        break;
    case KQ_TOML_INTEGER:
        snprintf(out, n, "the integer %lld", (long long)e->integer);
        break;
    case KQ_TOML_FLOAT:
        snprintf(out, n, "the float %g", e->real);
        break;
    case KQ_TOML_BOOL:
        snprintf(out, n, "%s", e->boolean ? "true" : "false");
        break;
    }
}

static int wrong(const kq_toml_entry *e, const char *file, const char *name,
                 const char *expected, kq_error *err)
{
    char got[100];

    describe(e, got, sizeof got);
    kq_error_set(err, "%s:%d: %s: expected %s, got %s", file, e->line, name,
                 expected, got);
    return -EINVAL;
}

int kq_cfgval_string(const kq_toml_entry *e, const char *file,
                     const char *name, const char *const *choices, char **out,
                     kq_error *err)
{
    char *s;

    if (e->type != KQ_TOML_STRING)
        return wrong(e, file, name, "a string", err);
    if (strlen(e->str) != e->str_len) {
        kq_error_set(err, "%s:%d: %s: the string contains a NUL character",
                     file, e->line, name);
        return -EINVAL;
    }
    if (choices) {
        const char *const *c;
        kq_buf list = KQ_BUF_INIT;

        for (c = choices; *c; c++)
            if (strcasecmp(*c, e->str) == 0)
                break;
        if (!*c) {
            for (c = choices; *c; c++)
                kq_buf_printf(&list, "%s%s", c == choices ? "" : ", ", *c);
            kq_error_set(err, "%s:%d: %s: expected one of %s, got \"%.60s\"",
                         file, e->line, name, kq_buf_ptr(&list), e->str);
            kq_buf_free(&list);
            return -EINVAL;
        }
    }
    s = strdup(e->str);
    if (!s)
        return -ENOMEM;
    free(*out);
    *out = s;
    return 0;
}

static int get_uint(const kq_toml_entry *e, const char *file, const char *name,
                    uint64_t min, uint64_t max, uint64_t *out, kq_error *err)
{
    char expected[80];

    snprintf(expected, sizeof expected, "an integer from %llu to %llu",
             (unsigned long long)min, (unsigned long long)max);
    if (e->type != KQ_TOML_INTEGER || e->integer < 0 ||
        (uint64_t)e->integer < min || (uint64_t)e->integer > max)
        return wrong(e, file, name, expected, err);
    *out = (uint64_t)e->integer;
    return 0;
}

int kq_cfgval_u64(const kq_toml_entry *e, const char *file, const char *name,
                  uint64_t min, uint64_t max, uint64_t *out, kq_error *err)
{
    /* TOML integers are signed 64-bit, so that is the largest possible. */
    return get_uint(e, file, name, min, max < INT64_MAX ? max : INT64_MAX, out, err);
}

int kq_cfgval_u16(const kq_toml_entry *e, const char *file, const char *name,
                  uint16_t min, uint16_t max, uint16_t *out, kq_error *err)
{
    uint64_t v = 0;
    int rc = get_uint(e, file, name, min, max, &v, err);

    if (rc == 0)
        *out = (uint16_t)v;
    return rc;
}

/* "a number from 1.0 to 2.0", "a number greater than 0.0 and at most
 * 1000000000.0", "a finite number", ... */
static void f64_range_text(kq_buf *b, double low, bool low_open, double high)
{
    char t[KQ_FLOAT_TEXT_MAX];

    if (!isfinite(low) && !isfinite(high)) {
        kq_buf_puts(b, "a finite number");
        return;
    }
    kq_buf_puts(b, "a number");
    if (isfinite(low)) {
        kq_buf_puts(b, low_open ? " greater than " : isfinite(high) ? " from " : " at least ");
        kq_buf_append(b, t, kq_float_format(low, t));
    }
    if (isfinite(high)) {
        kq_buf_puts(b, !isfinite(low) ? " at most " : low_open ? " and at most " : " to ");
        kq_buf_append(b, t, kq_float_format(high, t));
    }
}

int kq_cfgval_f64(const kq_toml_entry *e, const char *file, const char *name,
                  double low, bool low_open, double high, double *out,
                  kq_error *err)
{
    kq_buf expected = KQ_BUF_INIT;
    double v;
    int rc;

    if (e->type == KQ_TOML_INTEGER)
        v = (double)e->integer;
    else if (e->type == KQ_TOML_FLOAT && isfinite(e->real))
        v = e->real;
    else
        v = NAN;
    if (v >= low && !(low_open && v == low) && v <= high) {
        *out = v;
        return 0;
    }
    f64_range_text(&expected, low, low_open, high);
    rc = wrong(e, file, name, kq_buf_ptr(&expected), err);
    kq_buf_free(&expected);
    return rc;
}

int kq_cfgval_bool(const kq_toml_entry *e, const char *file, const char *name,
                   bool *out, kq_error *err)
{
    if (e->type != KQ_TOML_BOOL)
        return wrong(e, file, name, "true or false", err);
    *out = e->boolean;
    return 0;
}

int kq_cfgval_map_u64(const kq_toml_entry *e, const char *key,
                      const char *file, const char *section, kq_u64_map *out,
                      kq_error *err)
{
    char name[300];
    uint64_t v = 0;
    int rc;

    snprintf(name, sizeof name, "%s.%s", section, key);
    if (strchr(key, '.') || strchr(key, '"')) {
        kq_error_set(err, "%s:%d: %s: a name here must be a bare key "
                          "(letters, digits, '_' and '-')", file, e->line, name);
        return -EINVAL;
    }
    if ((rc = kq_cfgval_u64(e, file, name, 0, UINT64_MAX, &v, err)) < 0)
        return rc;
    return kq_u64_map_put(out, key, v) < 0 ? -ENOMEM : 0;
}

void kq_cfgval_unknown_key(const kq_toml_entry *e, const char *file,
                           kq_config_warn_fn *warn, void *ctx)
{
    char msg[600];

    if (!warn)
        return;
    snprintf(msg, sizeof msg, "%s:%d: unknown key %s%s%s is ignored", file,
             e->line, e->table, e->table[0] ? "." : "", e->key);
    warn(ctx, msg);
}

void kq_cfgval_unknown_tables(const kq_toml_doc *doc, const char *file,
                              const char *const *known,
                              kq_config_warn_fn *warn, void *ctx)
{
    char msg[600];

    if (!warn)
        return;
    for (size_t i = 0; i < doc->table_count; i++) {
        const char *const *k;

        if (!doc->tables[i].header)
            continue;
        for (k = known; *k; k++)
            if (strcmp(*k, doc->tables[i].name) == 0)
                break;
        if (*k)
            continue;
        snprintf(msg, sizeof msg, "%s:%d: unknown section [%s] is ignored",
                 file, doc->tables[i].line, doc->tables[i].name);
        warn(ctx, msg);
    }
}

bool kq_cfgval_has_table(const kq_toml_doc *doc, const char *section)
{
    return kq_toml_has_table(doc, section);
}

int kq_cfgval_random(char **out, int len)
{
    char secret[KQ_AUTH_SALT_LEN + 1];

    if (len != KQ_AUTH_SALT_LEN)
        return -EINVAL;
    if (kq_auth_random_secret(secret) < 0)
        return -EIO;
    free(*out);
    *out = strdup(secret);
    return *out ? 0 : -ENOMEM;
}

void kq_cfgval_write_string(kq_buf *out, const char *s)
{
    kq_buf_putc(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            kq_buf_putc(out, '\\');
            kq_buf_putc(out, (char)c);
        } else if (c < 0x20 || c == 0x7f)
            kq_buf_printf(out, "\\u%04x", c);
        else
            kq_buf_putc(out, (char)c);
    }
    kq_buf_putc(out, '"');
}

void kq_cfgval_write_f64(kq_buf *out, double v)
{
    char tmp[KQ_FLOAT_TEXT_MAX];

    kq_buf_append(out, tmp, kq_float_format(v, tmp));
}

void kq_cfgval_write_map_u64(kq_buf *out, const kq_u64_map *m)
{
    for (size_t i = 0; i < m->len; i++)
        kq_buf_printf(out, "%s = %llu\n", m->items[i].key.ptr,
                      (unsigned long long)m->items[i].value);
}
