/*
 * kq_config.h - finding, reading and first-start writing of config.toml.
 *
 * The file is $XDG_CONFIG_HOME/kueue/config.toml, else
 * ~/.config/kueue/config.toml, unless a path is given (-c/--config).  A
 * missing file at the default place means defaults; the programs that
 * should (server, worker, client) then write the template there, mode 0600
 * because it holds the freshly drawn shared secret.  A path given that
 * names no file is an error: a mistyped path must not start a program with
 * a secret nobody else has.  --init writes the template without starting
 * anything.  Keys, types and defaults come from schema/config.yaml through
 * the generated kq_config_gen.h.
 */
#ifndef KQ_CONFIG_H
#define KQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_config_gen.h"
#include "kq_error.h"

/* Where the configuration lives: explicit if given, else the default
 * path.  0 or -ENAMETOOLONG. */
KQ_NODISCARD int kq_config_path(const char *explicit_path, char *out,
                                size_t n);

/*
 * Fills c: defaults, then the file's values, and c->file with the file's
 * name (home written "~").  When explicit_path names no
 * file, fails with -ENOENT ("no configuration at PATH ...").  When the
 * default file does not exist and write_template is set, writes the
 * template (creating directories) and notes it on stderr.  Warnings
 * (unknown keys, a file other users can read) go to stderr.  0, or -errno
 * with err ("config.toml:3: ...").  On failure c holds nothing to free.
 */
KQ_NODISCARD int kq_config_load(const char *explicit_path, bool write_template,
                                kq_config *c, kq_error *err);

/*
 * Checks what the server and the workers must agree on; both read the same
 * file format, so each program checks the file it reads.  A worker reports
 * every worker_settings.system_update_interval_seconds, and the server
 * drops a worker silent for server_settings.worker_timeout_seconds, so the
 * timeout must be longer than the interval.  When both keys are set in
 * doc (the file, or NULL for none) and disagree, that is an error naming
 * file, lines and values (-EINVAL with err); when one is a default (the
 * other side's file may say otherwise), a warning naming both keys, through
 * warn.  0 otherwise.
 */
KQ_NODISCARD int kq_config_check_shared(const kq_config *c,
                                        const kq_toml_doc *doc,
                                        const char *file,
                                        kq_config_warn_fn *warn, void *ctx,
                                        kq_error *err);

/*
 * What every program does first: loads the configuration (explicit_path
 * or the default, the template written when asked) and, when module is
 * not NULL (the server and the worker), checks the shared settings
 * (kq_config_check_shared) and starts logging at the level it names.  On
 * failure prints
 * "Error: ..." on stderr and returns 1, the exit code; 0 on success (c then
 * owns the configuration).
 */
int kq_config_start(const char *module, const char *explicit_path,
                    bool write_template, kq_config *c);

/*
 * --init: writes the template with a fresh shared secret to explicit_path
 * or the default path, refusing to replace an existing file, and says where
 * on stdout (errors on stderr).  Returns the exit code: 0, or 1.
 */
int kq_config_init_file(const char *explicit_path);

#endif
