/*
 * kq_json.h - strict JSON parsing into a cJSON tree.
 *
 * cJSON's own parser is lax (it accepts "+1", "01", raw control characters
 * and duplicate keys), lossy (numbers become doubles, "\u0000" cuts a
 * string short) and slow.  So the text is first checked by the strict
 * scanner (kq_jscan), then one simple pass builds the cJSON tree from the
 * text known to be valid:
 *  - a string node's valueint holds its length in bytes, so strings keep
 *    embedded NULs;
 *  - a number node's valueint holds the offset of its literal in the text
 *    (valuedouble is not set): decoders read exact integers from the
 *    literal, so u64 values up to 18446744073709551615 survive and "1.0"
 *    is told apart from "1".
 * Nodes and strings live in an arena owned by the document: a message
 * costs a few block allocations, and freeing it one pass over the blocks.
 * Decoders copy values out; nothing in the tree is taken over.
 */
#ifndef KQ_JSON_H
#define KQ_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "kq_compiler.h"
#include "kq_error.h"

struct kq_json_block;

/* A parsed document.  Owns its tree (in its arena); text is borrowed and
 * must outlive the document. */
typedef struct kq_json_doc {
    cJSON *root;
    struct kq_json_block *arena;
    const char *text;
    size_t len;
} kq_json_doc;

/*
 * Parses text[0..len), which must hold exactly one JSON value with optional
 * whitespace around it.  0 on success; -EBADMSG with err describing the
 * first syntax problem; -ENOMEM.  On failure doc holds nothing to free.
 */
KQ_NODISCARD int kq_json_parse(const char *text, size_t len, kq_json_doc *doc,
                               kq_error *err);

/* The same for a value already checked by the scanner (a kq_framer
 * delimited it): only the tree is built.  Anything else in text is
 * reported as -EBADMSG, never read past len. */
KQ_NODISCARD int kq_json_parse_valid(const char *text, size_t len,
                                     kq_json_doc *doc, kq_error *err);

void kq_json_free(kq_json_doc *doc);

/* The literal of a number node. */
typedef struct kq_json_literal {
    const char *text;
    size_t len;
    bool integer;  /* no fraction, no exponent */
    bool negative;
} kq_json_literal;

kq_json_literal kq_json_number(const kq_json_doc *doc, const cJSON *item);

/* The kind of a node (cJSON_String, cJSON_Number, ...; cJSON_Invalid for
 * NULL).  Decoders test a kind on every value: an inline load, not a call
 * into libcjson per node. */
static inline int kq_json_kind(const cJSON *item)
{
    return item ? item->type & 0xFF : cJSON_Invalid;
}

/* Length in bytes of a string node's valuestring (NULs included). */
static inline size_t kq_json_strlen(const cJSON *item)
{
    return (size_t)item->valueint;
}

#endif
