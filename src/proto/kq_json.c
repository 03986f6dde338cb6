/*
 * kq_json.c - strict scan, then cJSON, then link literals (see kq_json.h).
 */
#include "kq_json.h"

#include <errno.h>
#include <string.h>

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
            const kq_jtokens *nul = &ls->doc->nul_strings;

            item->valueint = 0;
            if (ls->next_nul < nul->len &&
                nul->items[ls->next_nul].ordinal == ls->next_string)
                item->valueint = (int)++ls->next_nul;
            ls->next_string++;
        } else if (item->child)
            link_literals(ls, item->child);
    }
}

int kq_json_parse(const char *text, size_t len, kq_json_doc *doc,
                  kq_error *err)
{
    kq_jscan scan;
    size_t used = 0;
    int rc;

    memset(doc, 0, sizeof *doc);
    doc->text = text;
    kq_jscan_init(&scan, &doc->numbers, &doc->nul_strings);
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
    doc->root = cJSON_ParseWithLength(text, len);
    if (!doc->root) {
        /* The scanner accepted it, so cJSON can only have run out of
         * memory. */
        kq_error_set(err, "out of memory parsing JSON");
        rc = -ENOMEM;
        goto fail;
    }
    link_literals(&(link_state){.doc = doc}, doc->root);
    return 0;
fail:
    kq_json_free(doc);
    return rc;
}

void kq_json_free(kq_json_doc *doc)
{
    cJSON_Delete(doc->root);
    doc->root = NULL;
    kq_jtokens_free(&doc->numbers);
    kq_jtokens_free(&doc->nul_strings);
}

const kq_jtoken *kq_json_number(const kq_json_doc *doc, const cJSON *item)
{
    return &doc->numbers.items[item->valueint];
}

const kq_jtoken *kq_json_nul_string(const kq_json_doc *doc, const cJSON *item)
{
    return item->valueint > 0 ? &doc->nul_strings.items[item->valueint - 1]
                              : NULL;
}
