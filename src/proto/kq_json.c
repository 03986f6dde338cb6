/*
 * kq_json.c - strict scan, then cJSON, then link literals (see kq_json.h).
 */
#include "kq_json.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct kq_json_block {
    struct kq_json_block *next;
    size_t used, cap;
    max_align_t data[];
};

/* The document cJSON allocates for; set only during cJSON_ParseWithLength
 * (the program is single-threaded). */
static kq_json_doc *parsing;

static void *arena_alloc(size_t n)
{
    struct kq_json_block *b = parsing->arena;
    size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
                  sizeof(max_align_t);

    if (!b || b->cap - b->used < need) {
        size_t cap = b ? b->cap * 2 : 4096;

        while (cap < need)
            cap *= 2;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = parsing->arena;
        parsing->arena = b;
    }
    b->used += need;
    return (char *)b->data + b->used - need;
}

/* Nodes are freed all at once with their document. */
static void arena_free(void *p)
{
    (void)p;
}

typedef struct link_state {
    kq_json_doc *doc;
    size_t next_number;
    size_t next_string;
    size_t next_nul; /* index into nul_strings */
} link_state;

/* Pre-order walk: cJSON keeps document order, as the scanner does, so the
 * n-th number node is the n-th number literal.  Depth is bounded by the
 * scanner's nesting limit. */
static void link_literals(link_state *ls, cJSON *item)
{
    for (; item; item = item->next) {
        if (cJSON_IsNumber(item))
            item->valueint = (int)ls->next_number++;
        else if (cJSON_IsString(item)) {
            const kq_jtokens *nul = ls->doc->nul_strings;

            item->valueint = 0;
            if (ls->next_nul < nul->len &&
                nul->items[ls->next_nul].ordinal == ls->next_string)
                item->valueint = (int)++ls->next_nul;
            ls->next_string++;
        } else if (item->child)
            link_literals(ls, item->child);
    }
}

/* Builds the tree of a value whose literals are already recorded. */
static int build(const char *text, size_t len, kq_json_doc *doc, kq_error *err)
{
    parsing = doc;
    cJSON_InitHooks(&(cJSON_Hooks){arena_alloc, arena_free});
    doc->root = cJSON_ParseWithLength(text, len);
    cJSON_InitHooks(NULL);
    parsing = NULL;
    if (!doc->root) {
        /* The scanner accepted it, so cJSON can only have run out of
         * memory. */
        kq_error_set(err, "out of memory parsing JSON");
        kq_json_free(doc);
        return -ENOMEM;
    }
    link_literals(&(link_state){.doc = doc}, doc->root);
    return 0;
}

int kq_json_parse(const char *text, size_t len, kq_json_doc *doc,
                  kq_error *err)
{
    kq_jscan scan;
    size_t used = 0;
    int rc;

    memset(doc, 0, sizeof *doc);
    doc->text = text;
    doc->numbers = &doc->own_numbers;
    doc->nul_strings = &doc->own_nul_strings;
    kq_jscan_init(&scan, &doc->own_numbers, &doc->own_nul_strings);
    rc = kq_jscan_feed(&scan, text, len, &used, err);
    if (rc == KQ_JSCAN_MORE)
        rc = kq_jscan_finish(&scan, err);
    if (rc < 0)
        goto fail;
    for (size_t i = used; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
            text[i] != '\r') {
            kq_error_set(err, "invalid JSON at byte %zu: trailing characters "
                              "after the value", i);
            rc = -EBADMSG;
            goto fail;
        }
    }
    return build(text, len, doc, err);
fail:
    kq_json_free(doc);
    return rc;
}

int kq_json_parse_scanned(const char *text, size_t len,
                          const kq_jscan_result *scan, kq_json_doc *doc,
                          kq_error *err)
{
    if (!scan)
        return kq_json_parse(text, len, doc, err);
    memset(doc, 0, sizeof *doc);
    doc->text = text;
    doc->numbers = scan->numbers;
    doc->nul_strings = scan->nul_strings;
    return build(text, len, doc, err);
}

void kq_json_free(kq_json_doc *doc)
{
    while (doc->arena) {
        struct kq_json_block *b = doc->arena;

        doc->arena = b->next;
        free(b);
    }
    doc->root = NULL;
    kq_jtokens_free(&doc->own_numbers);
    kq_jtokens_free(&doc->own_nul_strings);
}

const kq_jtoken *kq_json_number(const kq_json_doc *doc, const cJSON *item)
{
    return &doc->numbers->items[item->valueint];
}

const kq_jtoken *kq_json_nul_string(const kq_json_doc *doc, const cJSON *item)
{
    return item->valueint > 0 ? &doc->nul_strings->items[item->valueint - 1]
                              : NULL;
}
