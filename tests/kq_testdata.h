/*
 * kq_testdata.h - reading the tab-separated test vectors in tests/data.
 */
#ifndef KQ_TESTDATA_H
#define KQ_TESTDATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KQ_TSV_MAX_COLS 4

typedef struct kq_tsv_row {
    char *col[KQ_TSV_MAX_COLS];
    int ncols;
    int line;
} kq_tsv_row;

typedef struct kq_tsv {
    kq_tsv_row *rows;
    int nrows;
    char *text;
} kq_tsv;

/* Loads dir/name; exits the test with a message if it cannot. */
static inline void kq_tsv_load(kq_tsv *t, const char *dir, const char *name)
{
    char path[4096];
    FILE *fp;
    long size;
    char *p;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "rb");
    if (!fp) {
        perror(path);
        exit(2);
    }
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    rewind(fp);
    t->text = malloc((size_t)size + 1);
    if (!t->text || fread(t->text, 1, (size_t)size, fp) != (size_t)size) {
        fprintf(stderr, "%s: read failed\n", path);
        exit(2);
    }
    fclose(fp);
    t->text[size] = '\0';
    t->rows = NULL;
    t->nrows = 0;
    p = t->text;
    for (int line = 1; *p; line++) {
        char *nl = strchr(p, '\n');
        kq_tsv_row row = {.line = line};

        if (nl)
            *nl = '\0';
        if (*p) {
            row.col[row.ncols++] = p;
            for (char *q = p; *q; q++) {
                if (*q == '\t' && row.ncols < KQ_TSV_MAX_COLS) {
                    *q = '\0';
                    row.col[row.ncols++] = q + 1;
                }
            }
            t->rows = realloc(t->rows, (size_t)(t->nrows + 1) * sizeof *t->rows);
            t->rows[t->nrows++] = row;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
}

static inline void kq_tsv_free(kq_tsv *t)
{
    free(t->rows);
    free(t->text);
}

#endif
