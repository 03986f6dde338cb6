/*
 * kq_codec.h - the runtime under the generated protocol code.
 *
 * Value types the schema's fields map to (strings with lengths, lists, maps,
 * sets), their encoders to the reference's compact JSON, and the decoding
 * context that validates a cJSON tree field by field and reports the path of
 * the first problem ("IssueJob.worker_resources.cpus: expected an unsigned
 * integer, got -1").  generated/c/kq_protocol.c is written against this
 * header only.
 *
 * Ownership: a decoded or copied value owns all its memory and is released
 * with the matching *_free().  A value built by hand may borrow (for example
 * KQ_STR_LIT); such a value is encoded but never freed.
 */
#ifndef KQ_CODEC_H
#define KQ_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_compiler.h"
#include "kq_error.h"
#include "kq_json.h"
#include "kq_time.h"

/* A UTF-8 string with its length; ptr is NUL-terminated.  For option<string>
 * fields ptr == NULL means null.  A required string with ptr == NULL is
 * encoded as "". */
typedef struct kq_str {
    char *ptr;
    size_t len;
} kq_str;

#define KQ_STR_NULL ((kq_str){NULL, 0})
/* A borrowed literal: never pass it to kq_str_free. */
#define KQ_STR_LIT(s) ((kq_str){(char *)(s), sizeof(s) - 1})

/* A borrowed view of a C string (NULL stays NULL). */
kq_str kq_str_view(const char *s);
/* An owned copy of p[0..len): 0 or -ENOMEM. */
KQ_NODISCARD int kq_str_set(kq_str *dst, const char *p, size_t len);
/* An owned copy of src (NULL stays NULL): 0 or -ENOMEM. */
KQ_NODISCARD int kq_str_copy(kq_str *dst, const kq_str *src);
void kq_str_free(kq_str *s);
bool kq_str_eq(const kq_str *a, const kq_str *b);

typedef struct kq_str_list {
    size_t len;
    kq_str *items;
} kq_str_list;

/* map<string,u64>: entries sorted by key bytes, keys unique. */
typedef struct kq_u64_entry {
    kq_str key;
    uint64_t value;
} kq_u64_entry;

typedef struct kq_u64_map {
    size_t len;
    kq_u64_entry *items;
} kq_u64_map;

/* set<u64>: sorted ascending, unique. */
typedef struct kq_u64_set {
    size_t len;
    uint64_t *items;
} kq_u64_set;

void kq_str_list_free(kq_str_list *l);
KQ_NODISCARD int kq_str_list_copy(kq_str_list *dst, const kq_str_list *src);
void kq_u64_map_free(kq_u64_map *m);
KQ_NODISCARD int kq_u64_map_copy(kq_u64_map *dst, const kq_u64_map *src);
/* The entry for key, or NULL. */
const kq_u64_entry *kq_u64_map_get(const kq_u64_map *m, const char *key);
/* Sets key to value keeping the order: 0 or -ENOMEM. */
KQ_NODISCARD int kq_u64_map_put(kq_u64_map *m, const char *key, uint64_t value);
/* Removes key if present. */
void kq_u64_map_remove(kq_u64_map *m, const char *key);
void kq_u64_set_free(kq_u64_set *s);
KQ_NODISCARD int kq_u64_set_copy(kq_u64_set *dst, const kq_u64_set *src);
bool kq_u64_set_has(const kq_u64_set *s, uint64_t v);
/* Inserts keeping order; no-op if present.  0 or -ENOMEM. */
KQ_NODISCARD int kq_u64_set_add(kq_u64_set *s, uint64_t v);
/* Removes v if present; returns whether it was. */
bool kq_u64_set_remove(kq_u64_set *s, uint64_t v);

/* Encoders: append the reference's compact JSON for one value. */
void kq_enc_u64(kq_buf *out, uint64_t v);
void kq_enc_i64(kq_buf *out, int64_t v);
void kq_enc_f64(kq_buf *out, double v);
void kq_enc_bool(kq_buf *out, bool v);
void kq_enc_str(kq_buf *out, const kq_str *s);
void kq_enc_opt_str(kq_buf *out, const kq_str *s);
void kq_enc_time(kq_buf *out, kq_time t);
void kq_enc_str_list(kq_buf *out, const kq_str_list *l);
void kq_enc_u64_map(kq_buf *out, const kq_u64_map *m);
void kq_enc_u64_set(kq_buf *out, const kq_u64_set *s);

/* Decoding context: the document, the path to the value being decoded and
 * where the first error goes. */
#define KQ_DEC_MAX_PATH 16

typedef struct kq_dec {
    const kq_json_doc *doc;
    kq_error *err;
    unsigned depth;
    struct {
        const char *name; /* NULL for a list index */
        size_t index;
    } path[KQ_DEC_MAX_PATH];
} kq_dec;

void kq_dec_push(kq_dec *d, const char *name);
void kq_dec_push_index(kq_dec *d, size_t index);
void kq_dec_pop(kq_dec *d);

/* Records "path: message[, got <what item is>]" and returns -EINVAL.
 * got may be NULL. */
int kq_dec_fail(kq_dec *d, const cJSON *got, const char *fmt, ...)
    KQ_PRINTF(3, 4);

/*
 * Finds the fields of a struct: an object (any key order, unknown keys
 * ignored, a repeated known key is an error) or, as serde also accepts, an
 * array of the values in field order: all n, or the first n_base (the
 * original's fields, without the extension fields that follow them).
 * found[i] is the value of names[i] or NULL when absent.
 */
KQ_NODISCARD int kq_dec_fields(kq_dec *d, cJSON *j, const char *type_name,
                               const char *const *names, size_t n,
                               size_t n_base, cJSON **found);

/* For an allocation that failed: records "path: out of memory" and
 * returns -ENOMEM, so callers can tell it from invalid input (-EINVAL). */
int kq_dec_oom(kq_dec *d);

/* For a required field found absent. */
int kq_dec_missing(kq_dec *d, const char *field);

/*
 * Reads an externally tagged enum: "Name" or {"Name": payload}.  Sets *tag
 * to the index into names and *payload to the value (NULL for the string
 * form, possibly cJSON null for {"Name":null}), and pushes the variant name
 * onto the path.
 */
KQ_NODISCARD int kq_dec_variant(kq_dec *d, cJSON *j, const char *type_name,
                                const char *const *names, size_t n, int *tag,
                                cJSON **payload);

/* Checks the payload shape for a unit variant ("Name" or {"Name":null}). */
KQ_NODISCARD int kq_dec_unit(kq_dec *d, const cJSON *payload);

/* Primitive decoders.  Strings are copied out of the tree.
 * max is the limit in bytes (strings) or items (lists, maps, sets). */
KQ_NODISCARD int kq_dec_u64(kq_dec *d, const cJSON *j, uint64_t *out);
KQ_NODISCARD int kq_dec_i64(kq_dec *d, const cJSON *j, int64_t *out);
KQ_NODISCARD int kq_dec_i32(kq_dec *d, const cJSON *j, int32_t *out);
KQ_NODISCARD int kq_dec_f64(kq_dec *d, const cJSON *j, double *out);
KQ_NODISCARD int kq_dec_bool(kq_dec *d, const cJSON *j, bool *out);
KQ_NODISCARD int kq_dec_str(kq_dec *d, cJSON *j, size_t max, kq_str *out);
/* null or absent (j == NULL) gives ptr == NULL. */
KQ_NODISCARD int kq_dec_opt_str(kq_dec *d, cJSON *j, size_t max, kq_str *out);
KQ_NODISCARD int kq_dec_time(kq_dec *d, const cJSON *j, kq_time *out);
KQ_NODISCARD int kq_dec_str_list(kq_dec *d, cJSON *j, size_t max,
                                 size_t item_max, kq_str_list *out);
KQ_NODISCARD int kq_dec_u64_map(kq_dec *d, const cJSON *j, size_t max,
                                size_t key_max, kq_u64_map *out);
KQ_NODISCARD int kq_dec_u64_set(kq_dec *d, const cJSON *j, size_t max,
                                kq_u64_set *out);
/* Checks j is an array of at most max items; sets *count. */
KQ_NODISCARD int kq_dec_array(kq_dec *d, const cJSON *j, size_t max,
                              size_t *count);

/* True if j is absent or JSON null (an option that is None). */
static inline bool kq_dec_is_none(const cJSON *j)
{
    return j == NULL || kq_json_kind(j) == cJSON_NULL;
}

#endif
