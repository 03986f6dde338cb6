/*
 * kq_toml.h - a strict reader for the TOML subset used by config.toml.
 *
 * Supported, strictly per TOML 1.0: comments, [table] headers (dotted and
 * quoted names), bare/quoted/dotted keys, all four string forms with every
 * TOML 1.0 escape, integers (decimal, 0x, 0o, 0b, 64-bit range checked),
 * floats (including inf/nan) and booleans.  Arrays, inline tables, arrays of
 * tables and dates/times are rejected with an error naming the line, as is
 * every other deviation from the spec (duplicate keys or tables, invalid
 * UTF-8, control characters, bare CR, trailing junk).  A leading UTF-8 BOM is
 * skipped, as the reference's toml parser does.  Input is limited to
 * KQ_TOML_MAX_SIZE bytes.
 *
 * The result is flat: one kq_toml_entry per key/value pair, in document
 * order.  Names are canonical TOML keys: segments joined with '.', where a
 * segment that is not a valid bare key (A-Za-z0-9_-) is written as a quoted
 * basic string, e.g. `a."b.c"`.  That makes every name unambiguous and keeps
 * it printable.  The kq_toml_doc owns all its memory; kq_toml_free releases it.
 */
#ifndef KQ_TOML_H
#define KQ_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_error.h"

#define KQ_TOML_MAX_SIZE (1024 * 1024)

typedef enum {
    KQ_TOML_STRING,
    KQ_TOML_INTEGER,
    KQ_TOML_FLOAT,
    KQ_TOML_BOOL,
} kq_toml_type;

typedef struct kq_toml_entry {
    char *table;       /* owned; section the pair appears in: "" for the root
                          table, else the header's canonical name ("a.b") */
    char *key;         /* owned; canonical key relative to table ("x.y" for a
                          dotted key) */
    kq_toml_type type;
    char *str;         /* STRING: owned decoded UTF-8, NUL-terminated; may
                          contain NULs (from \u0000), so use str_len.
                          NULL for other types. */
    size_t str_len;
    int64_t integer;   /* INTEGER */
    double real;       /* FLOAT */
    bool boolean;      /* BOOL */
    int line;          /* 1-based line of the key */
} kq_toml_entry;

/* A table of the document, whether opened by a [header], implied by a header
 * for a sub-table ([a.b] implies a) or created by a dotted key (a.b = 1
 * creates a).  The root table is not listed. */
typedef struct kq_toml_table {
    char *name;        /* owned; canonical full name, e.g. "server_settings" */
    int line;          /* 1-based line of its header, or of what created it */
    bool header;       /* defined by its own [header] */
} kq_toml_table;

typedef struct kq_toml_doc {
    kq_toml_entry *entries; /* owned array, document order */
    size_t count;
    kq_toml_table *tables;  /* owned array, order of creation */
    size_t table_count;
} kq_toml_doc;

/* Parses text[0..len) (need not be NUL-terminated).  file_name is used only
 * to prefix error messages ("config.toml:12: ..."); NULL means "<input>".
 * On success fills *out (its previous contents are overwritten, not freed)
 * and returns 0; the caller then owns *out and must kq_toml_free it.  On
 * failure *out is left empty (safe to kq_toml_free) and the result is
 * -EINVAL for invalid input, -EFBIG for input over KQ_TOML_MAX_SIZE or
 * -ENOMEM, with err (may be NULL) describing it. */
KQ_NODISCARD int kq_toml_parse(const char *text, size_t len,
                               const char *file_name, kq_toml_doc *out,
                               kq_error *err);

/* Reads the file at path and parses it as kq_toml_parse does, naming the
 * file by path in messages.  A failure to read returns -errno with the
 * message "path: strerror(errno)". */
KQ_NODISCARD int kq_toml_load(const char *path, kq_toml_doc *out,
                              kq_error *err);

/* The entry whose full path (table + "." + key) equals the path formed by
 * table and key, so `[a] b.c = 1`, `[a.b] c = 1` and a root `a.b.c = 1` are
 * all found by ("a", "b.c") and by ("a.b", "c").  table is "" for the root.
 * Returns a pointer into doc (valid until kq_toml_free) or NULL. */
const kq_toml_entry *kq_toml_get(const kq_toml_doc *doc, const char *table,
                                 const char *key);

/* True if the document has the table with this canonical name, even if it
 * is empty; "" (the root table) always exists.  See kq_toml_table for what
 * creates a table. */
bool kq_toml_has_table(const kq_toml_doc *doc, const char *table);

/* "string", "integer", "float" or "boolean", for messages. */
const char *kq_toml_type_name(kq_toml_type type);

/* Releases everything doc owns and leaves it empty; doc may be empty. */
void kq_toml_free(kq_toml_doc *doc);

#endif
