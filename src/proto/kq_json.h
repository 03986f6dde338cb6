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
 *
 * A node costs about 64 bytes but can take as little as 2 bytes of text
 * ("0,"), so the number of nodes is bounded (kq_json_max_nodes): without
 * that a 16 MiB message of tiny values would cost over 500 MB.
 */
#ifndef KQ_JSON_H
#define KQ_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "kq_compiler.h"
#include "kq_error.h"

struct kq_json_block;

/* Any message gets KQ_JSON_MIN_NODES nodes, which covers the largest
 * message a well-behaved peer sends in few bytes (an IssueJob of 4096
 * one-letter arguments and 1024 resources), plus one per
 * KQ_JSON_BYTES_PER_NODE bytes: real messages take 8 to 30 bytes a node,
 * so long job lists still fit, while hostile input is held to 8 node bytes
 * per text byte. */
#define KQ_JSON_MIN_NODES 65536
#define KQ_JSON_BYTES_PER_NODE 8

static inline size_t kq_json_max_nodes(size_t len)
{
    return KQ_JSON_MIN_NODES + len / KQ_JSON_BYTES_PER_NODE;
}

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
 * first syntax problem; -EMSGSIZE if it has more than kq_json_max_nodes(len)
 * values (objects, arrays and scalars); -ENOMEM.  On failure doc holds
 * nothing to free.
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
