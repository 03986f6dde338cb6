/*
 * kq_json.h - strict JSON parsing into a cJSON tree.
 *
 * cJSON alone is lax (it accepts "+1", "01", raw control characters and
 * duplicate keys) and lossy (numbers become doubles, "\u0000" cuts a string
 * short).  kq_json first runs the strict scanner over the text, recording
 * every number literal and every string holding an escaped NUL, then lets
 * cJSON build the tree, then links each such node to its literal through
 * the node's valueint.  Decoders read exact integers from the literal and
 * exact strings from the text, so nothing is lost: u64 values up to
 * 18446744073709551615 survive, and "1.0" is told apart from "1".
 *
 * The tree lives in an arena owned by the document: cJSON's allocation
 * hooks point at it during the parse, so a message costs a few block
 * allocations instead of one per node, and freeing it is one pass over the
 * blocks.  Values are copied out of the tree, never taken over.
 */
#ifndef KQ_JSON_H
#define KQ_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "kq_compiler.h"
#include "kq_error.h"
#include "kq_jscan.h"

struct kq_json_block;

/* A parsed document.  Owns root (in its arena) and the token lists; text
 * is borrowed and must outlive the document. */
typedef struct kq_json_doc {
    cJSON *root;
    struct kq_json_block *arena;
    const char *text;
    const kq_jtokens *numbers;     /* own_* or a framer's */
    const kq_jtokens *nul_strings;
    kq_jtokens own_numbers;
    kq_jtokens own_nul_strings;
} kq_json_doc;

/*
 * Parses text[0..len), which must hold exactly one JSON value with optional
 * whitespace around it.  0 on success; -EBADMSG with err describing the
 * first syntax problem; -ENOMEM.  On failure doc holds nothing to free.
 */
KQ_NODISCARD int kq_json_parse(const char *text, size_t len, kq_json_doc *doc,
                               kq_error *err);

/* The same for a value already scanned (by the framer that delimited it):
 * scan says where its literals are; it must outlive the document. */
KQ_NODISCARD int kq_json_parse_scanned(const char *text, size_t len,
                                       const kq_jscan_result *scan,
                                       kq_json_doc *doc, kq_error *err);

void kq_json_free(kq_json_doc *doc);

/* The literal of a number node of doc. */
const kq_jtoken *kq_json_number(const kq_json_doc *doc, const cJSON *item);

/* The raw literal (quotes included) of a string node whose value contains
 * an escaped NUL, or NULL for ordinary strings (use valuestring). */
const kq_jtoken *kq_json_nul_string(const kq_json_doc *doc, const cJSON *item);

#endif
