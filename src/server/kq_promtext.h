/*
 * kq_promtext.h - Prometheus' text exposition format (version 0.0.4).
 *
 * Writes metric families (# HELP and # TYPE lines) and samples
 * (name{label="value",...} number) into a kq_buf, escaping label values
 * (backslash, double quote, line feed) and HELP texts (backslash, line
 * feed) as the format requires; numbers are integers or the shortest
 * round-trip decimal.  Names are the caller's constants and are not
 * checked.  Owns nothing; no I/O.
 *
 *   kq_prom p = {out};
 *   kq_prom_family(&p, "kueue_jobs", "gauge", "Jobs in the table by state.");
 *   kq_prom_name(&p, "kueue_jobs");
 *   kq_prom_label(&p, "state", "pending", 7);
 *   kq_prom_u64(&p, 3);        => kueue_jobs{state="pending"} 3
 */
#ifndef KQ_PROMTEXT_H
#define KQ_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"

/* The media type of what this writes. */
#define KQ_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct kq_prom {
    kq_buf *out;
    unsigned labels; /* labels written for the current sample */
} kq_prom;

/* # HELP name help, then # TYPE name type (counter, gauge, histogram). */
void kq_prom_family(kq_prom *p, const char *name, const char *type, const char *help);

/* Starts a sample. */
void kq_prom_name(kq_prom *p, const char *name);
/* Adds a label to the sample started; value holds len bytes (UTF-8). */
void kq_prom_label(kq_prom *p, const char *key, const char *value, size_t len);
/* Ends the sample with its value. */
void kq_prom_u64(kq_prom *p, uint64_t v);
void kq_prom_f64(kq_prom *p, double v);

#endif
