/*
 * kq_codec.c - value types, encoders and the validating decoder context
 * that the generated protocol code is built on (see kq_codec.h).
 */
#include "kq_codec.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_float.h"
#include "kq_jscan.h"
#include "kq_utf8.h"

/* ---- strings ---------------------------------------------------------- */

kq_str kq_str_view(const char *s)
{
    return s ? (kq_str){(char *)s, strlen(s)} : KQ_STR_NULL;
}

int kq_str_set(kq_str *dst, const char *p, size_t len)
{
    char *s = malloc(len + 1);

    if (!s)
        return -ENOMEM;
    if (len)
        memcpy(s, p, len);
    s[len] = '\0';
    dst->ptr = s;
    dst->len = len;
    return 0;
}

int kq_str_copy(kq_str *dst, const kq_str *src)
{
    if (!src->ptr) {
        *dst = KQ_STR_NULL;
        return 0;
    }
    return kq_str_set(dst, src->ptr, src->len);
}

void kq_str_free(kq_str *s)
{
    free(s->ptr);
    *s = KQ_STR_NULL;
}

bool kq_str_eq(const kq_str *a, const kq_str *b)
{
    if (!a->ptr || !b->ptr)
        return a->ptr == b->ptr;
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* ---- lists, maps, sets ------------------------------------------------ */

void kq_str_list_free(kq_str_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        kq_str_free(&l->items[i]);
    free(l->items);
    *l = (kq_str_list){0};
}

int kq_str_list_copy(kq_str_list *dst, const kq_str_list *src)
{
    *dst = (kq_str_list){0};
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        if (kq_str_copy(&dst->items[dst->len], &src->items[dst->len]) < 0) {
            kq_str_list_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

void kq_u64_map_free(kq_u64_map *m)
{
    for (size_t i = 0; i < m->len; i++)
        kq_str_free(&m->items[i].key);
    free(m->items);
    *m = (kq_u64_map){0};
}

int kq_u64_map_copy(kq_u64_map *dst, const kq_u64_map *src)
{
    *dst = (kq_u64_map){0};
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        const kq_u64_entry *e = &src->items[dst->len];

        if (kq_str_copy(&dst->items[dst->len].key, &e->key) < 0) {
            kq_u64_map_free(dst);
            return -ENOMEM;
        }
        dst->items[dst->len].value = e->value;
    }
    return 0;
}

/* Byte order of keys, as Rust's BTreeMap<String, _> sorts them. */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* Index of key, or of where it would go (with *found false). */
static size_t map_find(const kq_u64_map *m, const char *key, size_t klen,
                       bool *found)
{
    size_t lo = 0, hi = m->len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(m->items[mid].key.ptr, m->items[mid].key.len, key,
                        klen);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const kq_u64_entry *kq_u64_map_get(const kq_u64_map *m, const char *key)
{
    bool found;
    size_t i = map_find(m, key, strlen(key), &found);

    return found ? &m->items[i] : NULL;
}

int kq_u64_map_put(kq_u64_map *m, const char *key, uint64_t value)
{
    bool found;
    size_t klen = strlen(key);
    size_t i = map_find(m, key, klen, &found);
    kq_u64_entry *items;

    if (found) {
        m->items[i].value = value;
        return 0;
    }
    items = realloc(m->items, (m->len + 1) * sizeof *items);
    if (!items)
        return -ENOMEM;
    m->items = items;
    memmove(&items[i + 1], &items[i], (m->len - i) * sizeof *items);
    if (kq_str_set(&items[i].key, key, klen) < 0) {
        memmove(&items[i], &items[i + 1], (m->len - i) * sizeof *items);
        return -ENOMEM;
    }
    items[i].value = value;
    m->len++;
    return 0;
}

void kq_u64_map_remove(kq_u64_map *m, const char *key)
{
    bool found;
    size_t i = map_find(m, key, strlen(key), &found);

    if (!found)
        return;
    kq_str_free(&m->items[i].key);
    memmove(&m->items[i], &m->items[i + 1], (m->len - i - 1) * sizeof *m->items);
    if (--m->len == 0)
        kq_u64_map_free(m);
}

void kq_u64_set_free(kq_u64_set *s)
{
    free(s->items);
    *s = (kq_u64_set){0};
}

int kq_u64_set_copy(kq_u64_set *dst, const kq_u64_set *src)
{
    *dst = (kq_u64_set){0};
    if (!src->len)
        return 0;
    dst->items = malloc(src->len * sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    memcpy(dst->items, src->items, src->len * sizeof *dst->items);
    dst->len = src->len;
    return 0;
}

static size_t set_find(const kq_u64_set *s, uint64_t v, bool *found)
{
    size_t lo = 0, hi = s->len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (s->items[mid] == v) {
            *found = true;
            return mid;
        }
        if (s->items[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

bool kq_u64_set_has(const kq_u64_set *s, uint64_t v)
{
    bool found;

    set_find(s, v, &found);
    return found;
}

int kq_u64_set_add(kq_u64_set *s, uint64_t v)
{
    bool found;
    size_t i = set_find(s, v, &found);
    uint64_t *items;

    if (found)
        return 0;
    items = realloc(s->items, (s->len + 1) * sizeof *items);
    if (!items)
        return -ENOMEM;
    s->items = items;
    memmove(&items[i + 1], &items[i], (s->len - i) * sizeof *items);
    items[i] = v;
    s->len++;
    return 0;
}

bool kq_u64_set_remove(kq_u64_set *s, uint64_t v)
{
    bool found;
    size_t i = set_find(s, v, &found);

    if (!found)
        return false;
    memmove(&s->items[i], &s->items[i + 1], (s->len - i - 1) * sizeof *s->items);
    if (--s->len == 0)
        kq_u64_set_free(s);
    return true;
}

/* ---- encoders --------------------------------------------------------- */

void kq_enc_u64(kq_buf *out, uint64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    kq_buf_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

void kq_enc_i64(kq_buf *out, int64_t v)
{
    if (v < 0) {
        kq_buf_putc(out, '-');
        kq_enc_u64(out, (uint64_t)0 - (uint64_t)v);
    } else
        kq_enc_u64(out, (uint64_t)v);
}

void kq_enc_f64(kq_buf *out, double v)
{
    char tmp[KQ_FLOAT_TEXT_MAX];

    kq_buf_append(out, tmp, kq_float_format(v, tmp));
}

void kq_enc_bool(kq_buf *out, bool v)
{
    if (v)
        kq_buf_append(out, "true", 4);
    else
        kq_buf_append(out, "false", 5);
}

void kq_enc_str(kq_buf *out, const kq_str *s)
{
    kq_json_escape(out, s->ptr ? s->ptr : "", s->ptr ? s->len : 0);
}

void kq_enc_opt_str(kq_buf *out, const kq_str *s)
{
    if (s->ptr)
        kq_json_escape(out, s->ptr, s->len);
    else
        kq_buf_append(out, "null", 4);
}

void kq_enc_time(kq_buf *out, kq_time t)
{
    char tmp[KQ_TIME_TEXT_MAX];
    size_t n = kq_time_format(t, tmp);

    kq_buf_putc(out, '"');
    kq_buf_append(out, tmp, n);
    kq_buf_putc(out, '"');
}

void kq_enc_str_list(kq_buf *out, const kq_str_list *l)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        kq_enc_str(out, &l->items[i]);
    }
    kq_buf_putc(out, ']');
}

void kq_enc_u64_map(kq_buf *out, const kq_u64_map *m)
{
    kq_buf_putc(out, '{');
    for (size_t i = 0; i < m->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        kq_enc_str(out, &m->items[i].key);
        kq_buf_putc(out, ':');
        kq_enc_u64(out, m->items[i].value);
    }
    kq_buf_putc(out, '}');
}

void kq_enc_u64_set(kq_buf *out, const kq_u64_set *s)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < s->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        kq_enc_u64(out, s->items[i]);
    }
    kq_buf_putc(out, ']');
}

/* ---- decoding context ------------------------------------------------- */

void kq_dec_push(kq_dec *d, const char *name)
{
    if (d->depth < KQ_DEC_MAX_PATH)
        d->path[d->depth].name = name;
    d->depth++;
}

void kq_dec_push_index(kq_dec *d, size_t index)
{
    if (d->depth < KQ_DEC_MAX_PATH) {
        d->path[d->depth].name = NULL;
        d->path[d->depth].index = index;
    }
    d->depth++;
}

void kq_dec_pop(kq_dec *d)
{
    d->depth--;
}

/* Up to max bytes of s as a JSON string literal, for messages. */
static void quote_excerpt(kq_buf *b, const char *s, size_t len, size_t max)
{
    size_t n = kq_utf8_truncate(s, len, max);

    kq_json_escape(b, s, n);
    if (n < len)
        kq_buf_puts(b, "...");
}

static void describe(const kq_dec *d, const cJSON *j, kq_buf *b)
{
    if (kq_json_kind(j) == cJSON_Number) {
        kq_json_literal lit = kq_json_number(d->doc, j);

        kq_buf_append(b, lit.text, lit.len);
    } else if (kq_json_kind(j) == cJSON_String) {
        kq_buf_puts(b, "the string ");
        quote_excerpt(b, j->valuestring, kq_json_strlen(j), 40);
    } else if (kq_json_kind(j) == cJSON_NULL)
        kq_buf_puts(b, "null");
    else if (kq_json_kind(j) == cJSON_True)
        kq_buf_puts(b, "true");
    else if (kq_json_kind(j) == cJSON_False)
        kq_buf_puts(b, "false");
    else if (kq_json_kind(j) == cJSON_Array)
        kq_buf_puts(b, "an array");
    else
        kq_buf_puts(b, "an object");
}

int kq_dec_fail(kq_dec *d, const cJSON *got, const char *fmt, ...)
{
    kq_buf b = KQ_BUF_INIT;
    unsigned depth = d->depth < KQ_DEC_MAX_PATH ? d->depth : KQ_DEC_MAX_PATH;
    va_list ap;
    char msg[KQ_ERROR_MAX];

    for (unsigned i = 0; i < depth; i++) {
        if (d->path[i].name)
            kq_buf_printf(&b, "%s%s", i ? "." : "", d->path[i].name);
        else
            kq_buf_printf(&b, "[%zu]", d->path[i].index);
    }
    if (depth)
        kq_buf_puts(&b, ": ");
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kq_buf_puts(&b, msg);
    if (got) {
        kq_buf_puts(&b, ", got ");
        describe(d, got, &b);
    }
    kq_error_set(d->err, "%s", b.oom ? "out of memory" : kq_buf_ptr(&b));
    kq_buf_free(&b);
    return -EINVAL;
}

int kq_dec_oom(kq_dec *d)
{
    kq_dec_fail(d, NULL, "out of memory");
    return -ENOMEM;
}

int kq_dec_missing(kq_dec *d, const char *field)
{
    return kq_dec_fail(d, NULL, "missing field \"%s\"", field);
}

int kq_dec_fields(kq_dec *d, cJSON *j, const char *type_name,
                  const char *const *names, size_t n, size_t n_base,
                  cJSON **found)
{
    memset(found, 0, n * sizeof *found);
    if (kq_json_kind(j) == cJSON_Object) {
        size_t next = 0;

        for (cJSON *c = j->child; c; c = c->next) {
            size_t i;

            /* Senders keep declaration order: try the next field first. */
            if (next < n && strcmp(c->string, names[next]) == 0)
                i = next;
            else
                for (i = 0; i < n; i++)
                    if (strcmp(c->string, names[i]) == 0)
                        break;
            if (i == n)
                continue;
            next = i + 1;
            if (found[i])
                return kq_dec_fail(d, NULL, "duplicate field \"%s\"",
                                   names[i]);
            found[i] = c;
        }
        return 0;
    }
    if (kq_json_kind(j) == cJSON_Array) {
        size_t count = 0;

        for (cJSON *c = j->child; c; c = c->next) {
            if (count < n)
                found[count] = c;
            count++;
        }
        if (count > n || count < n_base)
            return n_base == n
                       ? kq_dec_fail(d, NULL,
                                     "expected %s as an array of %zu fields, got %zu",
                                     type_name, n, count)
                       : kq_dec_fail(d, NULL,
                                     "expected %s as an array of %zu to %zu fields, got %zu",
                                     type_name, n_base, n, count);
        return 0;
    }
    return kq_dec_fail(d, j, "expected %s (an object)", type_name);
}

int kq_dec_variant(kq_dec *d, cJSON *j, const char *type_name,
                   const char *const *names, size_t n, int *tag,
                   cJSON **payload)
{
    const char *name;
    size_t len;

    /* A string value may hold "\u0000" (the scanner rejects it only in
     * keys), so names are compared by length, not up to the first NUL. */
    if (kq_json_kind(j) == cJSON_String) {
        name = j->valuestring;
        len = kq_json_strlen(j);
        *payload = NULL;
    } else if (kq_json_kind(j) == cJSON_Object && j->child && !j->child->next) {
        name = j->child->string;
        len = strlen(name);
        *payload = j->child;
    } else if (kq_json_kind(j) == cJSON_Object) {
        return kq_dec_fail(d, NULL, "expected %s (an object with exactly "
                                    "one key), got an object with %s keys",
                           type_name, j->child ? "several" : "no");
    } else {
        return kq_dec_fail(d, j, "expected %s (a string or an object with "
                                 "one key)", type_name);
    }
    for (size_t i = 0; i < n; i++) {
        if (strlen(names[i]) == len && memcmp(name, names[i], len) == 0) {
            *tag = (int)i;
            kq_dec_push(d, names[i]);
            return 0;
        }
    }
    {
        kq_buf b = KQ_BUF_INIT;
        int rc;

        quote_excerpt(&b, name, len, 64);
        rc = kq_dec_fail(d, NULL, "unknown variant %s of %s",
                         b.oom ? "?" : kq_buf_ptr(&b), type_name);
        kq_buf_free(&b);
        return rc;
    }
}

int kq_dec_unit(kq_dec *d, const cJSON *payload)
{
    if (payload && kq_json_kind(payload) != cJSON_NULL)
        return kq_dec_fail(d, payload, "expected no value (unit variant)");
    return 0;
}

/* Magnitude of an integer literal; -ERANGE beyond u64. */
static int literal_magnitude(const kq_json_literal *lit, uint64_t *out)
{
    const char *p = lit->text;
    const char *end = p + lit->len;
    uint64_t v = 0;

    if (*p == '-')
        p++;
    for (; p < end; p++) {
        unsigned digit = (unsigned)(*p - '0');

        if (v > (UINT64_MAX - digit) / 10)
            return -ERANGE;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

int kq_dec_u64(kq_dec *d, const cJSON *j, uint64_t *out)
{
    kq_json_literal lit;
    uint64_t v;

    if (kq_json_kind(j) != cJSON_Number)
        return kq_dec_fail(d, j, "expected an unsigned integer");
    lit = kq_json_number(d->doc, j);
    if (!lit.integer || literal_magnitude(&lit, &v) < 0 ||
        (lit.negative && v != 0))
        return kq_dec_fail(d, j, "expected an unsigned integer");
    *out = v;
    return 0;
}

/* A signed integer literal within [min, max]. */
static int dec_signed(kq_dec *d, const cJSON *j, int64_t min, int64_t max,
                      const char *what, int64_t *out)
{
    kq_json_literal lit;
    uint64_t mag;
    bool neg;

    if (kq_json_kind(j) != cJSON_Number)
        return kq_dec_fail(d, j, "expected %s", what);
    lit = kq_json_number(d->doc, j);
    neg = lit.negative;
    if (!lit.integer || literal_magnitude(&lit, &mag) < 0 ||
        (neg ? mag > (uint64_t)0 - (uint64_t)min : mag > (uint64_t)max))
        return kq_dec_fail(d, j, "expected %s", what);
    *out = neg ? (int64_t)((uint64_t)0 - mag) : (int64_t)mag;
    return 0;
}

int kq_dec_i64(kq_dec *d, const cJSON *j, int64_t *out)
{
    return dec_signed(d, j, INT64_MIN, INT64_MAX, "a 64-bit integer", out);
}

int kq_dec_i32(kq_dec *d, const cJSON *j, int32_t *out)
{
    int64_t v;
    int rc = dec_signed(d, j, INT32_MIN, INT32_MAX, "a 32-bit integer", &v);

    if (rc == 0)
        *out = (int32_t)v;
    return rc;
}

int kq_dec_f64(kq_dec *d, const cJSON *j, double *out)
{
    char text[KQ_JSCAN_MAX_NUMBER + 1];
    kq_json_literal lit;
    double v;

    if (kq_json_kind(j) != cJSON_Number)
        return kq_dec_fail(d, j, "expected a number");
    lit = kq_json_number(d->doc, j);
    if (lit.len >= sizeof text)
        return kq_dec_fail(d, j, "number literal too long");
    memcpy(text, lit.text, lit.len);
    text[lit.len] = '\0';
    /* The programs never change LC_NUMERIC, so '.' is the decimal point. */
    v = strtod(text, NULL);
    if (!isfinite(v))
        return kq_dec_fail(d, j, "number out of range");
    *out = v;
    return 0;
}

int kq_dec_bool(kq_dec *d, const cJSON *j, bool *out)
{
    if (kq_json_kind(j) != cJSON_True && kq_json_kind(j) != cJSON_False)
        return kq_dec_fail(d, j, "expected true or false");
    *out = kq_json_kind(j) == cJSON_True;
    return 0;
}

int kq_dec_str(kq_dec *d, cJSON *j, size_t max, kq_str *out)
{
    size_t len;

    if (kq_json_kind(j) != cJSON_String)
        return kq_dec_fail(d, j, "expected a string");
    len = kq_json_strlen(j);
    if (len > max)
        return kq_dec_fail(d, NULL, "string longer than %zu bytes", max);
    if (kq_str_set(out, j->valuestring, len) < 0)
        return kq_dec_oom(d);
    return 0;
}

int kq_dec_opt_str(kq_dec *d, cJSON *j, size_t max, kq_str *out)
{
    if (kq_dec_is_none(j)) {
        *out = KQ_STR_NULL;
        return 0;
    }
    return kq_dec_str(d, j, max, out);
}

int kq_dec_time(kq_dec *d, const cJSON *j, kq_time *out)
{
    const char *why = NULL;

    if (kq_json_kind(j) != cJSON_String)
        return kq_dec_fail(d, j, "expected a timestamp string");
    if (kq_time_parse(j->valuestring, kq_json_strlen(j), out, &why) < 0)
        return kq_dec_fail(d, j, "invalid timestamp (%s)", why);
    return 0;
}

int kq_dec_array(kq_dec *d, const cJSON *j, size_t max, size_t *count)
{
    size_t n = 0;

    if (kq_json_kind(j) != cJSON_Array)
        return kq_dec_fail(d, j, "expected an array");
    for (const cJSON *c = j->child; c; c = c->next)
        if (++n > max)
            return kq_dec_fail(d, NULL, "more than %zu items", max);
    *count = n;
    return 0;
}

int kq_dec_str_list(kq_dec *d, cJSON *j, size_t max, size_t item_max,
                    kq_str_list *out)
{
    size_t n = 0, i = 0;
    int rc;

    *out = (kq_str_list){0};
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(out->items = calloc(n, sizeof *out->items)))
        return kq_dec_oom(d);
    for (cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        rc = kq_dec_str(d, c, item_max, &out->items[i]);
        if (rc < 0) {
            kq_str_list_free(out);
            return rc;
        }
        out->len++;
        kq_dec_pop(d);
    }
    return 0;
}

/* An entry as decoded, before sorting: pos (its place in the object) breaks
 * ties so that the last of equal keys wins, as serde's BTreeMap insertion
 * does, although qsort is not stable. */
typedef struct map_item {
    const char *key;
    size_t klen;
    uint64_t value;
    size_t pos;
} map_item;

static int map_item_cmp(const void *a, const void *b)
{
    const map_item *x = a, *y = b;
    int c = key_cmp(x->key, x->klen, y->key, y->klen);

    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int kq_dec_u64_map(kq_dec *d, const cJSON *j, size_t max, size_t key_max,
                   kq_u64_map *out)
{
    kq_u64_map m = {0};
    map_item *items = NULL;
    size_t n = 0, i = 0;
    int rc;

    *out = m;
    if (kq_json_kind(j) != cJSON_Object)
        return kq_dec_fail(d, j, "expected an object of names to numbers");
    for (const cJSON *c = j->child; c; c = c->next)
        if (++n > max)
            return kq_dec_fail(d, NULL, "more than %zu entries", max);
    if (n == 0)
        return 0;
    items = malloc(n * sizeof *items);
    m.items = calloc(n, sizeof *m.items);
    if (!items || !m.items) {
        rc = kq_dec_oom(d);
        goto fail;
    }
    /* Keys hold no NUL: the scanner rejects "\u0000" in keys. */
    for (const cJSON *c = j->child; c; c = c->next, i++) {
        map_item *it = &items[i];

        kq_dec_push(d, c->string);
        it->key = c->string;
        it->klen = strlen(c->string);
        it->pos = i;
        if (it->klen > key_max) {
            rc = kq_dec_fail(d, NULL, "name longer than %zu bytes", key_max);
            goto fail;
        }
        if ((rc = kq_dec_u64(d, c, &it->value)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    qsort(items, n, sizeof *items, map_item_cmp);
    for (i = 0; i < n; i++) {
        kq_u64_entry *e = &m.items[m.len];

        if (i + 1 < n && key_cmp(items[i].key, items[i].klen, items[i + 1].key,
                                 items[i + 1].klen) == 0)
            continue;
        if (kq_str_set(&e->key, items[i].key, items[i].klen) < 0) {
            rc = kq_dec_oom(d);
            goto fail;
        }
        e->value = items[i].value;
        m.len++;
    }
    free(items);
    *out = m;
    return 0;
fail:
    free(items);
    kq_u64_map_free(&m);
    return rc;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

int kq_dec_u64_set(kq_dec *d, const cJSON *j, size_t max, kq_u64_set *out)
{
    kq_u64_set s = {0};
    size_t n = 0, i = 0;
    int rc;

    *out = s;
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(s.items = malloc(n * sizeof *s.items)))
        return kq_dec_oom(d);
    for (const cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        if ((rc = kq_dec_u64(d, c, &s.items[i])) < 0) {
            kq_u64_set_free(&s);
            return rc;
        }
        kq_dec_pop(d);
    }
    if (n)
        qsort(s.items, n, sizeof *s.items, u64_cmp);
    for (i = 0; i < n; i++)
        if (s.len == 0 || s.items[s.len - 1] != s.items[i])
            s.items[s.len++] = s.items[i];
    if (s.len == 0)
        kq_u64_set_free(&s);
    *out = s;
    return 0;
}
