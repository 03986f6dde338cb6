/*
 * kq_json.c - strict scan, then a tree-building pass (see kq_json.h).
 */
#include "kq_json.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kq_jscan.h"
#include "kq_utf8.h"

/* Blocks double up to this size, then stay there: a large document wastes
 * at most one partly used block instead of up to half of what it holds. */
#define BLOCK_MAX ((size_t)1 << 20)

struct kq_json_block {
    struct kq_json_block *next;
    size_t used, cap;
    max_align_t data[];
};

static void *arena_alloc(kq_json_doc *doc, size_t n)
{
    struct kq_json_block *b = doc->arena;
    size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
                  sizeof(max_align_t);

    if (!b || b->cap - b->used < need) {
        size_t cap = !b ? 4096 : b->cap < BLOCK_MAX ? b->cap * 2 : BLOCK_MAX;

        while (cap < need)
            cap *= 2;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = doc->arena;
        doc->arena = b;
    }
    b->used += need;
    return (char *)b->data + b->used - need;
}

typedef struct builder {
    kq_json_doc *doc;
    const char *p, *end;
    int depth;
    size_t nodes_left;
    int err; /* 0, -EBADMSG, -EMSGSIZE or -ENOMEM */
} builder;

static void skip_ws(builder *b)
{
    while (b->p < b->end && kq_jscan_is_ws((unsigned char)*b->p))
        b->p++;
}

static cJSON *new_node(builder *b, int type)
{
    cJSON *n;

    if (b->nodes_left == 0) {
        b->err = -EMSGSIZE;
        return NULL;
    }
    b->nodes_left--;
    n = arena_alloc(b->doc, sizeof *n);
    if (!n) {
        b->err = -ENOMEM;
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];

        v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/*
 * Decodes the string literal at b->p (its opening quote) into the arena,
 * NUL-terminated, and moves past it.  Escapes are known valid (the scanner
 * checked them); only the bounds are checked here.
 */
/* The first '"' or '\\' in [p, end), or a pointer at or past end: eight
 * bytes at a time while there is none (exact for the word as a whole). */
static const char *quote_or_backslash(const char *p, const char *end)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);

    while (p < end && end - p >= 8) {
        uint64_t w, q, bs;

        memcpy(&w, p, 8);
        q = w ^ (ones * '"');
        bs = w ^ (ones * '\\');
        if ((((q - ones) & ~q) | ((bs - ones) & ~bs)) & high)
            break;
        p += 8;
    }
    while (p < end && *p != '"' && *p != '\\')
        p++;
    return p;
}

static char *build_string(builder *b, size_t *len)
{
    const char *s = b->p + 1, *q = s;
    bool escaped = false;
    char *out, *o;

    while ((q = quote_or_backslash(q, b->end)) < b->end && *q != '"') {
        escaped = true;
        q += b->end - q >= 2 ? 2 : 1; /* the backslash and the escaped character */
    }
    if (q >= b->end) {
        b->err = -EBADMSG;
        return NULL;
    }
    out = arena_alloc(b->doc, (size_t)(q - s) + 1);
    if (!out) {
        b->err = -ENOMEM;
        return NULL;
    }
    if (!escaped) {
        memcpy(out, s, (size_t)(q - s));
        o = out + (q - s);
    } else {
        o = out;
        for (const char *p = s; p < q;) {
            const char *bs = memchr(p, '\\', (size_t)(q - p));
            size_t run = (size_t)((bs ? bs : q) - p);
            char c;

            memcpy(o, p, run);
            o += run;
            if (!bs)
                break;
            p = bs + 1;
            c = *p++;
            switch (c) {
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                unsigned cp;

                if (q - p < 4) {
                    b->err = -EBADMSG;
                    return NULL;
                }
                cp = hex4(p);
                p += 4;
                if (cp >= 0xd800 && cp <= 0xdbff && q - p >= 6) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4(p + 2) - 0xdc00);
                    p += 6;
                }
                o += kq_utf8_put(o, cp);
                break;
            }
            default: *o++ = c; break;
            }
        }
    }
    *o = '\0';
    *len = (size_t)(o - out);
    b->p = q + 1;
    return out;
}

static cJSON *build_value(builder *b);

/* Builds the members of an object or the items of an array. */
static cJSON *build_container(builder *b, bool object)
{
    cJSON *node = new_node(b, object ? cJSON_Object : cJSON_Array), *last = NULL;
    char close = object ? '}' : ']';

    if (!node)
        return NULL;
    if (++b->depth > KQ_JSCAN_MAX_DEPTH) {
        b->err = -EBADMSG;
        return NULL;
    }
    b->p++;
    skip_ws(b);
    if (b->p < b->end && *b->p == close) {
        b->p++;
        b->depth--;
        return node;
    }
    for (;;) {
        char *key = NULL;
        size_t klen;
        cJSON *item;

        if (object) {
            skip_ws(b);
            if (b->p >= b->end || *b->p != '"' || !(key = build_string(b, &klen)))
                goto bad;
            skip_ws(b);
            if (b->p >= b->end || *b->p != ':')
                goto bad;
            b->p++;
        }
        if (!(item = build_value(b)))
            return NULL;
        item->string = key;
        if (last) {
            last->next = item;
            item->prev = last;
        } else
            node->child = item;
        node->child->prev = item; /* cJSON keeps the tail here */
        last = item;
        skip_ws(b);
        if (b->p < b->end && *b->p == ',') {
            b->p++;
            continue;
        }
        if (b->p < b->end && *b->p == close) {
            b->p++;
            b->depth--;
            return node;
        }
        goto bad;
    }
bad:
    if (!b->err)
        b->err = -EBADMSG;
    return NULL;
}

static cJSON *literal(builder *b, const char *word, int type)
{
    size_t n = strlen(word);

    if ((size_t)(b->end - b->p) < n || memcmp(b->p, word, n) != 0) {
        b->err = -EBADMSG;
        return NULL;
    }
    b->p += n;
    return new_node(b, type);
}

static bool is_number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
           c == 'e' || c == 'E';
}

static cJSON *build_value(builder *b)
{
    cJSON *node;
    const char *start;

    skip_ws(b);
    if (b->p >= b->end) {
        b->err = -EBADMSG;
        return NULL;
    }
    switch (*b->p) {
    case '{':
        return build_container(b, true);
    case '[':
        return build_container(b, false);
    case '"': {
        size_t len;

        if (!(node = new_node(b, cJSON_String)))
            return NULL;
        if (!(node->valuestring = build_string(b, &len)))
            return NULL;
        node->valueint = (int)len;
        return node;
    }
    case 't':
        return literal(b, "true", cJSON_True);
    case 'f':
        return literal(b, "false", cJSON_False);
    case 'n':
        return literal(b, "null", cJSON_NULL);
    default:
        start = b->p;
        while (b->p < b->end && is_number_char(*b->p))
            b->p++;
        if (b->p == start) {
            b->err = -EBADMSG;
            return NULL;
        }
        if (!(node = new_node(b, cJSON_Number)))
            return NULL;
        node->valueint = (int)(start - b->doc->text);
        return node;
    }
}

int kq_json_parse_valid(const char *text, size_t len, kq_json_doc *doc,
                        kq_error *err)
{
    builder b = {doc, text, text + len, 0, kq_json_max_nodes(len), 0};

    memset(doc, 0, sizeof *doc);
    doc->text = text;
    doc->len = len;
    doc->root = build_value(&b);
    skip_ws(&b);
    if (doc->root && b.p != b.end)
        b.err = -EBADMSG;
    if (!doc->root || b.err) {
        if (b.err == -EMSGSIZE)
            kq_error_set(err, "JSON message of %zu bytes has more than %zu "
                              "values (the limit is %d plus one per %d bytes)",
                         len, kq_json_max_nodes(len), KQ_JSON_MIN_NODES,
                         KQ_JSON_BYTES_PER_NODE);
        else
            kq_error_set(err, b.err == -ENOMEM ? "out of memory parsing JSON"
                                               : "invalid JSON");
        kq_json_free(doc);
        return b.err ? b.err : -EBADMSG;
    }
    return 0;
}

int kq_json_parse(const char *text, size_t len, kq_json_doc *doc,
                  kq_error *err)
{
    kq_jscan scan;
    size_t used = 0;
    int rc;

    memset(doc, 0, sizeof *doc);
    kq_jscan_init(&scan);
    rc = kq_jscan_feed(&scan, text, len, &used, err);
    if (rc == KQ_JSCAN_MORE)
        rc = kq_jscan_finish(&scan, err);
    if (rc < 0)
        return rc;
    for (size_t i = used; i < len; i++) {
        if (!kq_jscan_is_ws((unsigned char)text[i])) {
            kq_error_set(err, "invalid JSON at byte %zu: trailing characters "
                              "after the value", i);
            return -EBADMSG;
        }
    }
    return kq_json_parse_valid(text, len, doc, err);
}

void kq_json_free(kq_json_doc *doc)
{
    while (doc->arena) {
        struct kq_json_block *b = doc->arena;

        doc->arena = b->next;
        free(b);
    }
    doc->root = NULL;
}

kq_json_literal kq_json_number(const kq_json_doc *doc, const cJSON *item)
{
    kq_json_literal lit = {doc->text + item->valueint, 0, true, false};
    const char *end = doc->text + doc->len;

    lit.negative = lit.text < end && *lit.text == '-';
    while (lit.text + lit.len < end) {
        char c = lit.text[lit.len];

        if (c == '.' || c == 'e' || c == 'E')
            lit.integer = false;
        else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9')))
            break;
        lit.len++;
    }
    return lit;
}
