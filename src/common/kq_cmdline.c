/*
 * kq_cmdline.c - the command-line parts the programs share (see
 * kq_cmdline.h).
 */
#include "kq_cmdline.h"

#include <getopt.h>

int kq_cmdline_exit(int opt, kq_usage_fn *usage)
{
    if (opt == 'h') {
        usage(stdout);
        return 0;
    }
    if (opt == 'V') {
        printf("kueue %s\n", KQ_VERSION);
        return 0;
    }
    usage(stderr);
    return 2;
}

int kq_cmdline_no_operands(int argc, char **argv, kq_usage_fn *usage)
{
    if (optind >= argc)
        return 0;
    fprintf(stderr, "error: unexpected argument '%s'\n\n", argv[optind]);
    usage(stderr);
    return 2;
}
