/*
 * kq_toml.c - strict reader for the TOML subset described in kq_toml.h.
 *
 * A first pass over the bytes rejects invalid UTF-8, control characters and
 * bare CRs, so the parser proper can assume clean text.  The parser is a loop
 * over lines with recursive descent inside a line, tracking the line number.
 * TOML's rules on redefinition are enforced against a tree with one node per
 * table or value (children found through a hash of parent + key segment);
 * the tree and all scratch state belong to the parser and are freed when it
 * returns.  Results are collected in a kq_toml_doc that passes to the caller
 * only on success.
 */
#include "kq_toml.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kq_buf.h"
#include "kq_utf8.h"

#define NO_NODE UINT32_MAX
#define TOKEN_SHOWN 80 /* longest value text quoted in a message */

enum { NODE_TABLE, NODE_VALUE };

/* How a table came to exist, which decides how it may be extended. */
enum {
    ORIGIN_NONE,     /* the root table, and values */
    ORIGIN_IMPLICIT, /* a prefix of a [header]: may still get a header */
    ORIGIN_HEADER,   /* defined by its own [header] */
    ORIGIN_DOTTED,   /* defined by dotted keys */
};

typedef struct toml_node {
    uint32_t parent;
    uint32_t table;      /* index into doc.tables; NO_NODE for root/values */
    char *seg;           /* owned decoded key segment */
    size_t seg_len;
    unsigned char kind;
    unsigned char origin;
} toml_node;

typedef struct key_seg {
    char *s;             /* owned decoded segment, NUL-terminated */
    size_t len;
} key_seg;

typedef struct key_path {
    key_seg *segs;
    size_t n, cap;
} key_path;

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;
    int line;
    const char *file;
    kq_error *err;
    kq_toml_doc doc;           /* result under construction */
    size_t entry_cap, table_cap;
    toml_node *nodes;
    size_t node_count, node_cap;
    uint32_t *index;           /* open addressing: node index + 1, 0 empty */
    size_t index_cap;
    uint32_t section;          /* node of the current [header] (0: root) */
    char after[KQ_ERROR_MAX];  /* what the current line held, for messages */
} parser;

/* Message helpers: a key is shown in double quotes unless its canonical
 * form already contains quotes; the root table has a name of its own. */
#define KEY_FMT "%s%s%s"
#define KEY_ARG(k) key_quote(k), (k), key_quote(k)
#define TABLE_FMT "%s%s%s"
#define TABLE_ARG(t) (*(t) ? "[" : "the root table"), (t), (*(t) ? "]" : "")

static const char *key_quote(const char *key)
{
    return strchr(key, '"') ? "" : "\"";
}

static int fail(parser *ps, int line, const char *fmt, ...) KQ_PRINTF(3, 4);

/* Records "file:line: message" and returns -EINVAL. */
static int fail(parser *ps, int line, const char *fmt, ...)
{
    char msg[KQ_ERROR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    kq_error_set(ps->err, "%s:%d: %s", ps->file, line, msg);
    return -EINVAL;
}

static int fail_oom(parser *ps)
{
    kq_error_set(ps->err, "%s: out of memory", ps->file);
    return -ENOMEM;
}

/* ---- Bytes and characters ---- */

/* Length of the well-formed UTF-8 sequence starting with a non-ASCII byte
 * at s (no overlongs, surrogates or code points above U+10FFFF), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    kq_utf8_lead lead = kq_utf8_lead_of(s[0]);

    if (lead.len < 2 || avail < lead.len || s[1] < lead.lo || s[1] > lead.hi)
        return 0;
    for (size_t i = 2; i < lead.len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return lead.len;
}

/* The code point of the (already validated) UTF-8 sequence at s. */
static uint32_t utf8_decode(const unsigned char *s)
{
    if (s[0] < 0x80)
        return s[0];
    if (s[0] < 0xE0)
        return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
    if (s[0] < 0xF0)
        return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 |
               (s[2] & 0x3F);
    return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
           (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

/* Checks the whole text once: valid UTF-8, no control characters other
 * than tab and LF, and CR only as part of CRLF.  TOML allows raw control
 * characters nowhere (not even in strings or comments), so after this the
 * parser only has to treat tab, LF and CRLF specially. */
static int check_text(parser *ps)
{
    const unsigned char *s = (const unsigned char *)ps->text;
    int line = 1;
    size_t i = 0, n;

    while (i < ps->len) {
        unsigned char c = s[i];

        if (c >= 0x80) {
            n = utf8_seq_len(s + i, ps->len - i);
            if (n == 0)
                return fail(ps, line, "invalid UTF-8");
            i += n;
            continue;
        }
        if (c == '\n') {
            line++;
        } else if (c == '\r') {
            if (i + 1 >= ps->len || s[i + 1] != '\n')
                return fail(ps, line, "bare carriage return "
                                      "(lines must end in LF or CRLF)");
        } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
            return fail(ps, line, "control character U+%04X is not allowed",
                        c);
        }
        i++;
    }
    return 0;
}

static int peek_at(const parser *ps, size_t off)
{
    return ps->pos + off < ps->len
               ? (unsigned char)ps->text[ps->pos + off]
               : -1;
}

static int peek(const parser *ps)
{
    return peek_at(ps, 0);
}

/* CR is always followed by LF (check_text), so either starts a newline. */
static bool is_newline(int c)
{
    return c == '\n' || c == '\r';
}

static bool is_bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Characters that can appear in an unquoted value (numbers, booleans, and
 * dates, which are only recognised to be refused). */
static bool is_token_char(int c)
{
    return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void skip_ws(parser *ps)
{
    while (peek(ps) == ' ' || peek(ps) == '\t')
        ps->pos++;
}

static void skip_newline(parser *ps)
{
    ps->pos += peek(ps) == '\r' ? 2 : 1;
    ps->line++;
}

/* Consumes whitespace, an optional comment and the newline ending the
 * line.  False if anything else comes first. */
static bool end_of_line(parser *ps)
{
    skip_ws(ps);
    if (peek(ps) == '#')
        while (ps->pos < ps->len && !is_newline(peek(ps)))
            ps->pos++;
    if (ps->pos >= ps->len)
        return true;
    if (!is_newline(peek(ps)))
        return false;
    skip_newline(ps);
    return true;
}

/* Names the character at pos for a message, using buf for the text. */
static const char *describe(const parser *ps, size_t pos, char buf[16])
{
    unsigned char c;

    if (pos >= ps->len)
        return "end of file";
    c = (unsigned char)ps->text[pos];
    if (is_newline(c))
        return "end of line";
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "U+%04X",
                 utf8_decode((const unsigned char *)ps->text + pos));
    return buf;
}

/* ---- Canonical names ---- */

/* Appends one key segment: as is if it is a valid bare key, else as a
 * basic string with the characters that need it escaped. */
static void render_seg(kq_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    bool bare = len > 0;
    size_t i;

    for (i = 0; i < len && bare; i++)
        bare = is_bare_key_char((unsigned char)s[i]);
    if (bare) {
        kq_buf_append(out, s, len);
        return;
    }
    kq_buf_putc(out, '"');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        switch (c) {
        case '"': kq_buf_puts(out, "\\\""); break;
        case '\\': kq_buf_puts(out, "\\\\"); break;
        case '\b': kq_buf_puts(out, "\\b"); break;
        case '\t': kq_buf_puts(out, "\\t"); break;
        case '\n': kq_buf_puts(out, "\\n"); break;
        case '\f': kq_buf_puts(out, "\\f"); break;
        case '\r': kq_buf_puts(out, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7F) {
                kq_buf_puts(out, "\\u00");
                kq_buf_putc(out, hex[c >> 4]);
                kq_buf_putc(out, hex[c & 15]);
            } else {
                kq_buf_putc(out, (char)c);
            }
        }
    }
    kq_buf_putc(out, '"');
}

/* The canonical name of the first n segments of k as a malloc'ed string
 * the caller owns; NULL when out of memory. */
static char *render_path(const key_path *k, size_t n)
{
    kq_buf b = KQ_BUF_INIT;
    size_t i;

    for (i = 0; i < n; i++) {
        if (i)
            kq_buf_putc(&b, '.');
        render_seg(&b, k->segs[i].s, k->segs[i].len);
    }
    return kq_buf_steal(&b, NULL);
}

static void key_path_free(key_path *k)
{
    size_t i;

    for (i = 0; i < k->n; i++)
        free(k->segs[i].s);
    free(k->segs);
    memset(k, 0, sizeof *k);
}

/* ---- Strings ---- */

/* Decodes \uXXXX or \UXXXXXXXX (digits hex digits) at pos into out; the
 * result must be a Unicode scalar value. */
static int parse_unicode_escape(parser *ps, kq_buf *out, int digits)
{
    const char *s = ps->text + ps->pos;
    char utf8[4];
    uint32_t cp = 0;
    int i, h;

    for (i = 0; i < digits; i++) {
        h = hex_value(peek_at(ps, (size_t)i + 2));
        if (h < 0)
            return fail(ps, ps->line,
                        "invalid escape %.*s: expected %d hex digits",
                        i + 2, s, digits);
        cp = cp << 4 | (uint32_t)h;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(ps, ps->line,
                    "invalid escape %.*s: not a Unicode scalar value",
                    digits + 2, s);
    kq_buf_append(out, utf8, kq_utf8_put(utf8, cp));
    ps->pos += (size_t)digits + 2;
    return 0;
}

/* Decodes the escape sequence whose backslash is at pos into out.  Only
 * TOML 1.0's escapes are accepted (no \e or \x, which came in 1.1). */
static int parse_escape(parser *ps, kq_buf *out)
{
    int c = peek_at(ps, 1);
    char buf[16];

    switch (c) {
    case 'b': kq_buf_putc(out, '\b'); break;
    case 't': kq_buf_putc(out, '\t'); break;
    case 'n': kq_buf_putc(out, '\n'); break;
    case 'f': kq_buf_putc(out, '\f'); break;
    case 'r': kq_buf_putc(out, '\r'); break;
    case '"': kq_buf_putc(out, '"'); break;
    case '\\': kq_buf_putc(out, '\\'); break;
    case 'u': return parse_unicode_escape(ps, out, 4);
    case 'U': return parse_unicode_escape(ps, out, 8);
    default:
        if (c < 0 || is_newline(c))
            return fail(ps, ps->line, "unterminated string");
        if (c > 0x20 && c < 0x7F)
            return fail(ps, ps->line, "invalid escape \\%c", c);
        return fail(ps, ps->line, "invalid escape: backslash followed by %s",
                    describe(ps, ps->pos + 1, buf));
    }
    ps->pos += 2;
    return 0;
}

/* Decodes the single-line string opening with quote ('"' basic, '\''
 * literal) at pos into out, leaving pos after the closing quote. */
static int parse_line_string(parser *ps, kq_buf *out, int quote)
{
    int c, rc;

    ps->pos++;
    for (;;) {
        c = peek(ps);
        if (c < 0 || is_newline(c))
            return fail(ps, ps->line, "unterminated string");
        if (c == quote) {
            ps->pos++;
            return 0;
        }
        if (c == '\\' && quote == '"') {
            rc = parse_escape(ps, out);
            if (rc)
                return rc;
            continue;
        }
        kq_buf_putc(out, (char)c);
        ps->pos++;
    }
}

/* Decodes the multi-line string opening with three quotes at pos into out.
 * A newline right after the opening delimiter is dropped; CRLF inside is
 * stored as LF (the spec lets parsers normalise newlines).  In basic
 * strings a backslash ending a line drops all whitespace and newlines up
 * to the next other character.  Up to two quotes may precede the closing
 * delimiter, so a run of 4 or 5 quotes ends the string with 1 or 2 quotes
 * of content; a longer run leaves quotes behind as trailing junk. */
static int parse_ml_string(parser *ps, kq_buf *out, int quote)
{
    int start_line = ps->line, c, rc;
    size_t run, j;

    ps->pos += 3;
    if (is_newline(peek(ps)))
        skip_newline(ps);
    for (;;) {
        c = peek(ps);
        if (c < 0)
            return fail(ps, start_line, "unterminated string");
        if (c == quote) {
            for (run = 1; peek_at(ps, run) == quote; run++)
                ;
            if (run >= 3) {
                run = run > 5 ? 5 : run;
                kq_buf_append(out, ps->text + ps->pos, run - 3);
                ps->pos += run;
                return 0;
            }
            kq_buf_append(out, ps->text + ps->pos, run);
            ps->pos += run;
            continue;
        }
        if (is_newline(c)) {
            kq_buf_putc(out, '\n');
            skip_newline(ps);
            continue;
        }
        if (c == '\\' && quote == '"') {
            for (j = 1; peek_at(ps, j) == ' ' || peek_at(ps, j) == '\t'; j++)
                ;
            if (peek_at(ps, j) < 0)
                return fail(ps, start_line, "unterminated string");
            if (is_newline(peek_at(ps, j))) {
                ps->pos += j;
                for (c = peek(ps); c == ' ' || c == '\t' || is_newline(c);
                     c = peek(ps)) {
                    if (is_newline(c))
                        skip_newline(ps);
                    else
                        ps->pos++;
                }
                continue;
            }
            rc = parse_escape(ps, out);
            if (rc)
                return rc;
            continue;
        }
        kq_buf_putc(out, (char)c);
        ps->pos++;
    }
}

/* ---- Keys ---- */

static int key_path_push(parser *ps, key_path *k, kq_buf *b)
{
    key_seg *segs;
    size_t len;
    char *s;

    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 4;

        segs = realloc(k->segs, cap * sizeof *segs);
        if (!segs)
            return fail_oom(ps);
        k->segs = segs;
        k->cap = cap;
    }
    s = kq_buf_steal(b, &len);
    if (!s)
        return fail_oom(ps);
    k->segs[k->n].s = s;
    k->segs[k->n].len = len;
    k->n++;
    return 0;
}

/* Parses a simple or dotted key at pos into k, skipping whitespace around
 * it and around the dots; pos ends at the first other character. */
static int parse_key(parser *ps, key_path *k)
{
    kq_buf b = KQ_BUF_INIT;
    bool after_dot = false;
    char buf[16];
    size_t start;
    int c, rc;

    for (;;) {
        skip_ws(ps);
        c = peek(ps);
        if (is_bare_key_char(c)) {
            start = ps->pos;
            while (is_bare_key_char(peek(ps)))
                ps->pos++;
            kq_buf_append(&b, ps->text + start, ps->pos - start);
        } else if (c == '"' || c == '\'') {
            if (peek_at(ps, 1) == c && peek_at(ps, 2) == c)
                return fail(ps, ps->line,
                            "multi-line strings cannot be used as keys");
            rc = parse_line_string(ps, &b, c);
            if (rc) {
                kq_buf_free(&b);
                return rc;
            }
        } else {
            return fail(ps, ps->line, "expected a key%s, found %s",
                        after_dot ? " after '.'" : "",
                        describe(ps, ps->pos, buf));
        }
        rc = key_path_push(ps, k, &b);
        if (rc)
            return rc;
        skip_ws(ps);
        if (peek(ps) != '.')
            return 0;
        ps->pos++;
        after_dot = true;
    }
}

/* ---- The node tree ---- */

static uint64_t seg_hash(uint32_t parent, const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    size_t i;

    h = (h ^ parent) * 1099511628211ULL;
    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The child of parent named by seg, or NO_NODE. */
static uint32_t find_child(const parser *ps, uint32_t parent,
                           const key_seg *seg)
{
    size_t mask = ps->index_cap - 1, slot;
    const toml_node *n;

    if (!ps->index_cap)
        return NO_NODE;
    for (slot = seg_hash(parent, seg->s, seg->len) & mask; ps->index[slot];
         slot = (slot + 1) & mask) {
        n = &ps->nodes[ps->index[slot] - 1];
        if (n->parent == parent && n->seg_len == seg->len &&
            memcmp(n->seg, seg->s, seg->len) == 0)
            return ps->index[slot] - 1;
    }
    return NO_NODE;
}

static void index_insert(parser *ps, uint32_t node)
{
    size_t mask = ps->index_cap - 1, slot;
    const toml_node *n = &ps->nodes[node];

    for (slot = seg_hash(n->parent, n->seg, n->seg_len) & mask;
         ps->index[slot]; slot = (slot + 1) & mask)
        ;
    ps->index[slot] = node + 1;
}

/* Appends a node (the root when parent is NO_NODE, which is not indexed)
 * and stores its number in *out. */
static int add_node(parser *ps, uint32_t parent, const key_seg *seg,
                    int kind, int origin, uint32_t *out)
{
    toml_node *n;
    size_t i;

    if (ps->node_count == ps->node_cap) {
        size_t cap = ps->node_cap ? ps->node_cap * 2 : 64;

        n = realloc(ps->nodes, cap * sizeof *n);
        if (!n)
            return fail_oom(ps);
        ps->nodes = n;
        ps->node_cap = cap;
    }
    /* Keep the index at most half full so probe runs stay short. */
    if ((ps->node_count + 1) * 2 > ps->index_cap) {
        size_t cap = ps->index_cap ? ps->index_cap * 2 : 128;
        uint32_t *index = calloc(cap, sizeof *index);

        if (!index)
            return fail_oom(ps);
        free(ps->index);
        ps->index = index;
        ps->index_cap = cap;
        for (i = 1; i < ps->node_count; i++)
            index_insert(ps, (uint32_t)i);
    }
    n = &ps->nodes[ps->node_count];
    memset(n, 0, sizeof *n);
    n->parent = parent;
    n->table = NO_NODE;
    n->kind = (unsigned char)kind;
    n->origin = (unsigned char)origin;
    if (seg) {
        n->seg = malloc(seg->len + 1);
        if (!n->seg)
            return fail_oom(ps);
        memcpy(n->seg, seg->s, seg->len + 1);
        n->seg_len = seg->len;
    }
    *out = (uint32_t)ps->node_count++;
    if (parent != NO_NODE)
        index_insert(ps, *out);
    return 0;
}

static const char *table_name(const parser *ps, uint32_t node)
{
    uint32_t t = ps->nodes[node].table;

    return t == NO_NODE ? "" : ps->doc.tables[t].name;
}

/* Creates the table seg under the table parent, listing it in doc.tables
 * under its canonical full name. */
static int add_table(parser *ps, uint32_t parent, const key_seg *seg,
                     int origin, int line, uint32_t *out)
{
    const char *parent_name = table_name(ps, parent);
    kq_buf b = KQ_BUF_INIT;
    kq_toml_table *t;
    char *name;
    int rc;

    if (*parent_name) {
        kq_buf_puts(&b, parent_name);
        kq_buf_putc(&b, '.');
    }
    render_seg(&b, seg->s, seg->len);
    name = kq_buf_steal(&b, NULL);
    if (!name)
        return fail_oom(ps);
    if (ps->doc.table_count == ps->table_cap) {
        size_t cap = ps->table_cap ? ps->table_cap * 2 : 16;

        t = realloc(ps->doc.tables, cap * sizeof *t);
        if (!t) {
            free(name);
            return fail_oom(ps);
        }
        ps->doc.tables = t;
        ps->table_cap = cap;
    }
    rc = add_node(ps, parent, seg, NODE_TABLE, origin, out);
    if (rc) {
        free(name);
        return rc;
    }
    ps->nodes[*out].table = (uint32_t)ps->doc.table_count;
    t = &ps->doc.tables[ps->doc.table_count++];
    t->name = name;
    t->line = line;
    t->header = origin == ORIGIN_HEADER;
    return 0;
}

/* Applies a [header] for path k (canonical name `name`) and makes it the
 * current section.  Intermediate tables may exist in any form; the last
 * one may only exist as the implicit prefix of an earlier header. */
static int define_table(parser *ps, const key_path *k, const char *name,
                        int line)
{
    uint32_t cur = 0, child;
    toml_node *n;
    size_t i;
    int rc;

    for (i = 0; i < k->n; i++) {
        bool last = i + 1 == k->n;

        child = find_child(ps, cur, &k->segs[i]);
        if (child == NO_NODE) {
            rc = add_table(ps, cur, &k->segs[i],
                           last ? ORIGIN_HEADER : ORIGIN_IMPLICIT, line,
                           &child);
            if (rc)
                return rc;
        } else {
            n = &ps->nodes[child];
            if (n->kind == NODE_VALUE) {
                kq_buf b = KQ_BUF_INIT;
                char *seg;
                const char *parent = table_name(ps, cur);

                render_seg(&b, k->segs[i].s, k->segs[i].len);
                seg = kq_buf_steal(&b, NULL);
                if (!seg)
                    return fail_oom(ps);
                rc = fail(ps, line, "table [%s] conflicts with key " KEY_FMT
                                    " in " TABLE_FMT,
                          name, KEY_ARG(seg), TABLE_ARG(parent));
                free(seg);
                return rc;
            }
            if (last && n->origin == ORIGIN_HEADER)
                return fail(ps, line, "table [%s] defined twice", name);
            if (last && n->origin == ORIGIN_DOTTED)
                return fail(ps, line,
                            "table [%s] is already defined by dotted keys",
                            name);
            if (last) {
                n->origin = ORIGIN_HEADER;
                ps->doc.tables[n->table].header = true;
                ps->doc.tables[n->table].line = line;
            }
        }
        cur = child;
    }
    ps->section = cur;
    return 0;
}

/* Defines key path k (canonical `key`) in the current section and, on
 * success, appends *e as its entry, taking ownership of key and e->str.
 * Dotted keys create tables on the way or reuse ones they created; they
 * may not reach into a value or into a table defined by a header. */
static int define_key(parser *ps, const key_path *k, char *key, int line,
                      kq_toml_entry *e)
{
    const char *section = table_name(ps, ps->section);
    uint32_t cur = ps->section, child;
    kq_toml_entry *entries;
    toml_node *n;
    char *prefix;
    size_t i;
    int rc;

    for (i = 0; i + 1 < k->n; i++) {
        child = find_child(ps, cur, &k->segs[i]);
        if (child == NO_NODE) {
            rc = add_table(ps, cur, &k->segs[i], ORIGIN_DOTTED, line, &child);
            if (rc)
                return rc;
            cur = child;
            continue;
        }
        n = &ps->nodes[child];
        if (n->kind == NODE_VALUE) {
            prefix = render_path(k, i + 1);
            if (!prefix)
                return fail_oom(ps);
            rc = fail(ps, line, "duplicate key " KEY_FMT " in " TABLE_FMT,
                      KEY_ARG(prefix), TABLE_ARG(section));
            free(prefix);
            return rc;
        }
        if (n->origin == ORIGIN_HEADER)
            return fail(ps, line,
                        "dotted key " KEY_FMT " reaches into table [%s], "
                        "which is defined by its header",
                        KEY_ARG(key), table_name(ps, child));
        /* Reaching an implicit table defines it, so it cannot get a
         * header later. */
        n->origin = ORIGIN_DOTTED;
        cur = child;
    }
    if (find_child(ps, cur, &k->segs[k->n - 1]) != NO_NODE)
        return fail(ps, line, "duplicate key " KEY_FMT " in " TABLE_FMT,
                    KEY_ARG(key), TABLE_ARG(section));
    if (ps->doc.count == ps->entry_cap) {
        size_t cap = ps->entry_cap ? ps->entry_cap * 2 : 32;

        entries = realloc(ps->doc.entries, cap * sizeof *entries);
        if (!entries)
            return fail_oom(ps);
        ps->doc.entries = entries;
        ps->entry_cap = cap;
    }
    rc = add_node(ps, cur, &k->segs[k->n - 1], NODE_VALUE, ORIGIN_NONE,
                  &child);
    if (rc)
        return rc;
    e->table = strdup(section);
    if (!e->table)
        return fail_oom(ps);
    e->key = key;
    e->line = line;
    ps->doc.entries[ps->doc.count++] = *e;
    return 0;
}

/* ---- Values ---- */

/* Advances *i over digits of the given radix with single underscores
 * between digits.  False unless at least one digit was read. */
static bool scan_digits(const char *tok, size_t n, size_t *i, int radix)
{
    size_t start = *i;
    int d;

    while (*i < n) {
        d = hex_value((unsigned char)tok[*i]);
        if (d >= 0 && d < radix) {
            (*i)++;
        } else if (tok[*i] == '_' && *i > start && *i + 1 < n &&
                   (d = hex_value((unsigned char)tok[*i + 1])) >= 0 &&
                   d < radix) {
            *i += 2;
        } else {
            break;
        }
    }
    return *i > start;
}

/* Converts the validated digits tok[0..n) (underscores allowed) to a
 * magnitude of at most limit; false on overflow. */
static bool digits_value(const char *tok, size_t n, int radix, uint64_t limit,
                         uint64_t *out)
{
    uint64_t v = 0, d;
    size_t i;

    for (i = 0; i < n; i++) {
        if (tok[i] == '_')
            continue;
        d = (uint64_t)hex_value((unsigned char)tok[i]);
        if (v > (limit - d) / (uint64_t)radix)
            return false;
        v = v * (uint64_t)radix + d;
    }
    *out = v;
    return true;
}

/* Whether tok[0..n) could be a number gone wrong (digits, signs,
 * underscores, one point, an exponent; a 0x, 0o or 0b prefix; inf or nan)
 * rather than a string missing its quotes. */
static bool looks_numeric(const char *tok, size_t n)
{
    size_t points = 0, i = n > 0 && (tok[0] == '+' || tok[0] == '-');

    if (n - i >= 2 && tok[i] == '0' && strchr("xXoObB", tok[i + 1]))
        return true;
    if (n - i >= 3 && (strncasecmp(tok + i, "inf", 3) == 0 ||
                       strncasecmp(tok + i, "nan", 3) == 0))
        return true;
    for (; i < n; i++) {
        if (tok[i] == '.')
            points++;
        else if (!strchr("0123456789+-_eE", tok[i]))
            return false;
    }
    return points <= 1;
}

/*
 * A value at start that is not one: most likely a string without its
 * quotes (server_name = 127.0.0.1), so the message shows the line as it
 * should be.  The rest of the line, up to a comment, is what was meant.
 */
static int fail_unquoted(parser *ps, const char *key, size_t start)
{
    const char *rest = ps->text + start;
    size_t n = 0, end = 0;

    while (start + n < ps->len && !is_newline(rest[n])) {
        if (rest[n] == '#' && n > 0 && (rest[n - 1] == ' ' || rest[n - 1] == '\t'))
            break;
        n++;
        if (rest[n - 1] != ' ' && rest[n - 1] != '\t')
            end = n;
    }
    if (end > TOKEN_SHOWN || memchr(rest, '"', end) || memchr(rest, '\\', end))
        return fail(ps, ps->line, "invalid value for key " KEY_FMT ": %.*s%s "
                                  "(strings need quotes)",
                    KEY_ARG(key), (int)(end > TOKEN_SHOWN ? TOKEN_SHOWN : end),
                    rest, end > TOKEN_SHOWN ? "..." : "");
    return fail(ps, ps->line, "invalid value for key " KEY_FMT ": %.*s (strings "
                              "need quotes: %s = \"%.*s\")",
                KEY_ARG(key), (int)end, rest, key, (int)end, rest);
}

/* Converts a validated float token with strtod, which wants no underscores
 * and the locale's decimal point.  Overflow to infinity is refused. */
static int convert_float(parser *ps, const char *tok, size_t n,
                         kq_toml_entry *e)
{
    const char *point = localeconv()->decimal_point;
    kq_buf b = KQ_BUF_INIT;
    char *end;
    size_t i;

    for (i = 0; i < n; i++) {
        if (tok[i] == '.')
            kq_buf_puts(&b, point);
        else if (tok[i] != '_')
            kq_buf_putc(&b, tok[i]);
    }
    if (b.oom) {
        kq_buf_free(&b);
        return fail_oom(ps);
    }
    e->real = strtod(kq_buf_ptr(&b), &end);
    i = (size_t)(end - kq_buf_ptr(&b));
    if (i != b.len) {
        kq_buf_free(&b);
        return fail(ps, ps->line, "invalid float: %.*s", (int)n, tok);
    }
    kq_buf_free(&b);
    if (isinf(e->real))
        return fail(ps, ps->line, "float out of range: %.*s%s",
                    (int)(n > TOKEN_SHOWN ? TOKEN_SHOWN : n), tok,
                    n > TOKEN_SHOWN ? "..." : "");
    e->type = KQ_TOML_FLOAT;
    return 0;
}

/* Parses tok[0..n) as a TOML integer or float into e, following the
 * grammar exactly: decimal integers have no leading zeros, 0x/0o/0b
 * integers have no sign, floats need digits on both sides of '.', and
 * underscores must sit between digits. */
static int parse_number(parser *ps, const char *tok, size_t n,
                        const char *key, kq_toml_entry *e)
{
    int shown = (int)(n > TOKEN_SHOWN ? TOKEN_SHOWN : n);
    const char *more = n > TOKEN_SHOWN ? "..." : "";
    bool neg = false, is_float = false;
    size_t i = 0, int_start;
    uint64_t v;
    int radix;

    if (tok[0] == '+' || tok[0] == '-') {
        neg = tok[0] == '-';
        i = 1;
    }
    if (n - i == 3 && (memcmp(tok + i, "inf", 3) == 0 ||
                       memcmp(tok + i, "nan", 3) == 0)) {
        e->type = KQ_TOML_FLOAT;
        e->real = copysign(tok[i] == 'i' ? INFINITY : NAN, neg ? -1.0 : 1.0);
        return 0;
    }
    if (i == 0 && n > 2 && tok[0] == '0' &&
        (tok[1] == 'x' || tok[1] == 'o' || tok[1] == 'b')) {
        radix = tok[1] == 'x' ? 16 : tok[1] == 'o' ? 8 : 2;
        i = 2;
        if (!scan_digits(tok, n, &i, radix) || i != n)
            goto invalid;
        if (!digits_value(tok + 2, n - 2, radix, INT64_MAX, &v))
            return fail(ps, ps->line, "integer out of range: %.*s%s", shown,
                        tok, more);
        e->type = KQ_TOML_INTEGER;
        e->integer = (int64_t)v;
        return 0;
    }
    int_start = i;
    if (!scan_digits(tok, n, &i, 10))
        goto invalid;
    if (tok[int_start] == '0' && i - int_start > 1)
        return fail(ps, ps->line, "leading zeros are not allowed: %.*s%s",
                    shown, tok, more);
    if (i < n && tok[i] == '.') {
        i++;
        is_float = true;
        if (!scan_digits(tok, n, &i, 10))
            goto invalid;
    }
    if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
        i++;
        is_float = true;
        if (i < n && (tok[i] == '+' || tok[i] == '-'))
            i++;
        if (!scan_digits(tok, n, &i, 10))
            goto invalid;
    }
    if (i != n)
        goto invalid;
    if (is_float)
        return convert_float(ps, tok, n, e);
    if (!digits_value(tok + int_start, n - int_start, 10,
                      neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX,
                      &v))
        return fail(ps, ps->line, "integer out of range: %.*s%s", shown, tok,
                    more);
    e->type = KQ_TOML_INTEGER;
    /* Negate in unsigned arithmetic: -2^63 has no positive int64. */
    e->integer = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
invalid:
    if (!looks_numeric(tok, n))
        return fail_unquoted(ps, key, (size_t)(tok - ps->text));
    return fail(ps, ps->line, "invalid value for key " KEY_FMT ": %.*s%s",
                KEY_ARG(key), shown, tok, more);
}

/* Recognises the start of a date (1979-05-27...) or time (07:32:00). */
static bool is_datetime(const char *tok, size_t n)
{
    size_t i;

    for (i = 0; i < n && tok[i] >= '0' && tok[i] <= '9'; i++)
        ;
    return i < n && ((i == 4 && tok[i] == '-') || (i == 2 && tok[i] == ':'));
}

/* Parses the value at pos for key (canonical, for messages) into e. */
static int parse_value(parser *ps, const char *key, kq_toml_entry *e)
{
    kq_buf b = KQ_BUF_INIT;
    int c = peek(ps), rc;
    const char *tok;
    char buf[16];
    size_t start, n;

    if (c == '"' || c == '\'') {
        if (peek_at(ps, 1) == c && peek_at(ps, 2) == c)
            rc = parse_ml_string(ps, &b, c);
        else
            rc = parse_line_string(ps, &b, c);
        if (rc) {
            kq_buf_free(&b);
            return rc;
        }
        e->str = kq_buf_steal(&b, &e->str_len);
        if (!e->str)
            return fail_oom(ps);
        e->type = KQ_TOML_STRING;
        return 0;
    }
    if (c == '[')
        return fail(ps, ps->line, "arrays are not supported");
    if (c == '{')
        return fail(ps, ps->line, "inline tables are not supported");
    if (c < 0 || is_newline(c) || c == '#')
        return fail(ps, ps->line, "missing value for key " KEY_FMT,
                    KEY_ARG(key));
    start = ps->pos;
    while (is_token_char(peek(ps)))
        ps->pos++;
    tok = ps->text + start;
    n = ps->pos - start;
    if (n == 0 && !strchr("=]}", c))
        return fail_unquoted(ps, key, start);
    if (n == 0)
        return fail(ps, ps->line, "expected a value for key " KEY_FMT
                                  ", found %s",
                    KEY_ARG(key), describe(ps, ps->pos, buf));
    if (is_datetime(tok, n))
        return fail(ps, ps->line, "dates and times are not supported");
    if (n == 4 && memcmp(tok, "true", 4) == 0) {
        e->type = KQ_TOML_BOOL;
        e->boolean = true;
        return 0;
    }
    if (n == 5 && memcmp(tok, "false", 5) == 0) {
        e->type = KQ_TOML_BOOL;
        e->boolean = false;
        return 0;
    }
    if ((n == 4 && strncasecmp(tok, "true", 4) == 0) ||
        (n == 5 && strncasecmp(tok, "false", 5) == 0))
        return fail(ps, ps->line, "invalid value for key " KEY_FMT ": %.*s "
                                  "(booleans are true or false, in lower case)",
                    KEY_ARG(key), (int)n, tok);
    return parse_number(ps, tok, n, key, e);
}

/* ---- Lines ---- */

/* Parses a [header] line up to (not including) what may follow it. */
static int parse_header(parser *ps)
{
    key_path k = {0};
    int line = ps->line, rc;
    char *name = NULL;
    char buf[16];

    ps->pos++;
    if (peek(ps) == '[')
        return fail(ps, line, "arrays of tables are not supported");
    rc = parse_key(ps, &k);
    if (!rc && peek(ps) != ']')
        rc = fail(ps, line, "expected ']' at the end of the table header, "
                            "found %s",
                  describe(ps, ps->pos, buf));
    if (!rc) {
        ps->pos++;
        name = render_path(&k, k.n);
        rc = name ? define_table(ps, &k, name, line) : fail_oom(ps);
    }
    if (!rc)
        snprintf(ps->after, sizeof ps->after, "table header [%s]", name);
    free(name);
    key_path_free(&k);
    return rc;
}

/* Parses a key = value line up to (not including) what may follow it. */
static int parse_keyval(parser *ps)
{
    kq_toml_entry e = {0};
    key_path k = {0};
    int line = ps->line, rc;
    char *key = NULL;

    rc = parse_key(ps, &k);
    if (!rc) {
        key = render_path(&k, k.n);
        if (!key)
            rc = fail_oom(ps);
    }
    if (!rc && peek(ps) != '=')
        rc = fail(ps, line, "expected '=' after key " KEY_FMT, KEY_ARG(key));
    if (!rc) {
        ps->pos++;
        skip_ws(ps);
        rc = parse_value(ps, key, &e);
    }
    if (!rc)
        snprintf(ps->after, sizeof ps->after, "the value of key " KEY_FMT,
                 KEY_ARG(key));
    if (!rc) {
        rc = define_key(ps, &k, key, line, &e);
        if (!rc)
            key = NULL; /* now owned by the entry */
    }
    if (rc)
        free(e.str);
    free(key);
    key_path_free(&k);
    return rc;
}

static int parse_document(parser *ps)
{
    char buf[16];
    int c, rc;

    /* The reference's parser skips a leading byte order mark. */
    if (ps->len >= 3 && memcmp(ps->text, "\xEF\xBB\xBF", 3) == 0)
        ps->pos = 3;
    while (ps->pos < ps->len) {
        skip_ws(ps);
        c = peek(ps);
        ps->after[0] = '\0';
        if (c == '[')
            rc = parse_header(ps);
        else if (c < 0 || c == '#' || is_newline(c))
            rc = 0;
        else
            rc = parse_keyval(ps);
        if (rc)
            return rc;
        if (!end_of_line(ps))
            return fail(ps, ps->line, "unexpected %s after %s",
                        describe(ps, ps->pos, buf), ps->after);
    }
    return 0;
}

/* ---- Public API ---- */

int kq_toml_parse(const char *text, size_t len, const char *file_name,
                  kq_toml_doc *out, kq_error *err)
{
    parser ps = {0};
    uint32_t root;
    size_t i;
    int rc;

    memset(out, 0, sizeof *out);
    ps.file = file_name ? file_name : "<input>";
    ps.err = err;
    if (len > KQ_TOML_MAX_SIZE) {
        kq_error_set(err, "%s: file too large (the limit is 1 MiB)", ps.file);
        return -EFBIG;
    }
    ps.text = text;
    ps.len = len;
    ps.line = 1;
    rc = check_text(&ps);
    if (!rc)
        rc = add_node(&ps, NO_NODE, NULL, NODE_TABLE, ORIGIN_NONE, &root);
    if (!rc)
        rc = parse_document(&ps);
    for (i = 0; i < ps.node_count; i++)
        free(ps.nodes[i].seg);
    free(ps.nodes);
    free(ps.index);
    if (rc) {
        kq_toml_free(&ps.doc);
        return rc;
    }
    *out = ps.doc;
    return 0;
}

int kq_toml_load(const char *path, kq_toml_doc *out, kq_error *err)
{
    enum { CHUNK = 64 * 1024 };
    kq_buf b = KQ_BUF_INIT;
    ssize_t n;
    int fd, rc = 0;

    memset(out, 0, sizeof *out);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        kq_error_set(err, "%s: %s", path, strerror(errno));
        return rc;
    }
    /* Read one chunk past the limit at most: enough to know it is over. */
    while (b.len <= KQ_TOML_MAX_SIZE) {
        if (kq_buf_reserve(&b, CHUNK) < 0) {
            kq_error_set(err, "%s: out of memory", path);
            rc = -ENOMEM;
            break;
        }
        n = read(fd, b.data + b.len, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            kq_error_set(err, "%s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
    }
    close(fd);
    if (!rc)
        rc = kq_toml_parse(b.data, b.len, path, out, err);
    kq_buf_free(&b);
    return rc;
}

/* Byte i of the path "table.key", or of "key" when table is empty. */
static char path_byte(const char *table, size_t table_len, const char *key,
                      size_t i)
{
    if (!table_len)
        return key[i];
    if (i < table_len)
        return table[i];
    if (i == table_len)
        return '.';
    return key[i - table_len - 1];
}

static size_t path_len(size_t table_len, size_t key_len)
{
    return table_len ? table_len + 1 + key_len : key_len;
}

const kq_toml_entry *kq_toml_get(const kq_toml_doc *doc, const char *table,
                                 const char *key)
{
    size_t tl = strlen(table), want = path_len(tl, strlen(key));
    size_t i, j, etl;
    const kq_toml_entry *e;

    for (i = 0; i < doc->count; i++) {
        e = &doc->entries[i];
        etl = strlen(e->table);
        if (path_len(etl, strlen(e->key)) != want)
            continue;
        for (j = 0; j < want; j++)
            if (path_byte(e->table, etl, e->key, j) !=
                path_byte(table, tl, key, j))
                break;
        if (j == want)
            return e;
    }
    return NULL;
}

bool kq_toml_has_table(const kq_toml_doc *doc, const char *table)
{
    size_t i;

    if (!*table)
        return true;
    for (i = 0; i < doc->table_count; i++)
        if (strcmp(doc->tables[i].name, table) == 0)
            return true;
    return false;
}

const char *kq_toml_type_name(kq_toml_type type)
{
    switch (type) {
    case KQ_TOML_STRING: return "string";
    case KQ_TOML_INTEGER: return "integer";
    case KQ_TOML_FLOAT: return "float";
    case KQ_TOML_BOOL: return "boolean";
    }
    return "unknown";
}

void kq_toml_free(kq_toml_doc *doc)
{
    size_t i;

    for (i = 0; i < doc->count; i++) {
        free(doc->entries[i].table);
        free(doc->entries[i].key);
        free(doc->entries[i].str);
    }
    for (i = 0; i < doc->table_count; i++)
        free(doc->tables[i].name);
    free(doc->entries);
    free(doc->tables);
    memset(doc, 0, sizeof *doc);
}
