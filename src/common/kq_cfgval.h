/*
 * kq_cfgval.h - checking and writing single configuration values.
 *
 * The generated kq_config_apply (generated/c/kq_config_gen.c) calls these
 * for each key of config.toml.  Strict: a value of the wrong type or out of
 * range is an error naming the file, the line and the key, e.g.
 *   config.toml:7: server_settings.worker_timeout_seconds: expected an
 *   integer from 0 to 18446744073709551615, got the string "300"
 * except that an integer is accepted where a float is expected.
 */
#ifndef KQ_CFGVAL_H
#define KQ_CFGVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_codec.h"
#include "kq_config_gen.h"
#include "kq_error.h"
#include "kq_toml.h"

/* The key of e relative to section (for "[section] key = ..." and for a
 * root "section.key = ..."), or NULL when e is not in section. */
const char *kq_cfgval_in_section(const kq_toml_entry *e, const char *section);

/* Each replaces *out on success; 0 or -EINVAL with err.  choices is a
 * NULL-terminated list or NULL. */
KQ_NODISCARD int kq_cfgval_string(const kq_toml_entry *e, const char *file,
                                  const char *name, const char *const *choices,
                                  char **out, kq_error *err);
/* Integers from min to max (inclusive; max is capped at INT64_MAX, the
 * largest TOML integer). */
KQ_NODISCARD int kq_cfgval_u64(const kq_toml_entry *e, const char *file,
                               const char *name, uint64_t min, uint64_t max,
                               uint64_t *out, kq_error *err);
KQ_NODISCARD int kq_cfgval_u16(const kq_toml_entry *e, const char *file,
                               const char *name, uint16_t min, uint16_t max,
                               uint16_t *out, kq_error *err);
/* Finite numbers (an integer is accepted) from low (excluded when low_open)
 * to high; -INFINITY and INFINITY leave a side unbounded. */
KQ_NODISCARD int kq_cfgval_f64(const kq_toml_entry *e, const char *file,
                               const char *name, double low, bool low_open,
                               double high, double *out, kq_error *err);
KQ_NODISCARD int kq_cfgval_bool(const kq_toml_entry *e, const char *file,
                                const char *name, bool *out, kq_error *err);
/* One "name = amount" line of a map section such as [global_resources]. */
KQ_NODISCARD int kq_cfgval_map_u64(const kq_toml_entry *e, const char *key,
                                   const char *file, const char *section,
                                   kq_u64_map *out, kq_error *err);

/* Warnings for keys and tables the schema does not know. */
void kq_cfgval_unknown_key(const kq_toml_entry *e, const char *file,
                           kq_config_warn_fn *warn, void *ctx);
void kq_cfgval_unknown_tables(const kq_toml_doc *doc, const char *file,
                              const char *const *known,
                              kq_config_warn_fn *warn, void *ctx);
bool kq_cfgval_has_table(const kq_toml_doc *doc, const char *section);

/* A new random alphanumeric string of len characters: 0, -ENOMEM, -EIO. */
KQ_NODISCARD int kq_cfgval_random(char **out, int len);

/* TOML text of values, for the template. */
void kq_cfgval_write_string(kq_buf *out, const char *s);
void kq_cfgval_write_f64(kq_buf *out, double v);
void kq_cfgval_write_map_u64(kq_buf *out, const kq_u64_map *m);

#endif
