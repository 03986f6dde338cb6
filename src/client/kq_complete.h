/*
 * kq_complete.h - shell completion scripts for kueue, generated from the
 * command-line table (kq_cli.h) when asked for: `kueue complete bash|zsh|
 * fish` prints them and the build installs their output, so no completion
 * file is written by hand and none can fall behind the parser.
 */
#ifndef KQ_COMPLETE_H
#define KQ_COMPLETE_H

#include "kq_buf.h"
#include "kq_compiler.h"

/* Appends the script for shell (one of kq_cli_shells) to out.  0, or
 * -EINVAL for another shell. */
KQ_NODISCARD int kq_complete_script(kq_buf *out, const char *shell);

#endif
