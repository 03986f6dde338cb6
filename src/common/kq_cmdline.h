/*
 * kq_cmdline.h - what the getopt-driven programs (kueue_server,
 * kueue_worker, kueue_restart_workers) share on their command line:
 * -h/--help, -V/--version, usage errors and refusing operands.
 */
#ifndef KQ_CMDLINE_H
#define KQ_CMDLINE_H

#include <stdio.h>

/* Prints the program's usage text to out. */
typedef void kq_usage_fn(FILE *out);

/* For an option the program does not handle itself: 'h' prints the usage
 * to stdout, 'V' the version; anything else (getopt has already said what
 * was wrong) prints the usage to stderr.  Returns the exit status: 0 or 2. */
int kq_cmdline_exit(int opt, kq_usage_fn *usage);

/* After getopt: 0 when no operand is left, else 2 after saying which one
 * was unexpected, and the usage, on stderr. */
int kq_cmdline_no_operands(int argc, char **argv, kq_usage_fn *usage);

#endif
