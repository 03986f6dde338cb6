/*
 * kq_shell_quote.h - text quoted for a POSIX shell: the generated
 * completion scripts (kueue) and the --dry-run commands
 * (kueue_restart_workers) share one escaping rule.
 */
#ifndef KQ_SHELL_QUOTE_H
#define KQ_SHELL_QUOTE_H

#include "kq_buf.h"

/* Appends s for use between single quotes: each ' becomes '\''. */
void kq_sh_put_quoted(kq_buf *out, const char *s);

/* Appends s as one shell word: as is when it is non-empty and has only
 * characters no shell treats specially, else in single quotes. */
void kq_sh_put_word(kq_buf *out, const char *s);

#endif
