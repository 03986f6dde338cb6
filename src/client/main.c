/*
 * kueue - the command-line client: parses the command line, loads the
 * configuration (writing the template on first start, or on --init), and
 * runs the subcommand.  Exit status: 0 success (or a waited-for job's code),
 * 1 error ("Error: ..." on stderr), 2 usage error.
 *
 * The client writes no log lines: the shared logger writes to stdout, and
 * the client's stdout is data (job ids, tables, JSON) that scripts read.
 * Errors are reported once, on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_cli.h"
#include "kq_commands.h"
#include "kq_complete.h"
#include "kq_config.h"

/* help and complete: no configuration, no server. */
static int run_offline(const kq_cli_args *args)
{
    kq_buf script = KQ_BUF_INIT;

    if (args->cmd->id == KQ_CMD_HELP) {
        kq_cli_help(stdout, args->pos[0] ? kq_cli_find(args->pos[0]) : NULL);
        return 0;
    }
    if (kq_complete_script(&script, args->pos[0]) < 0 || script.oom) {
        fprintf(stderr, "Error: cannot generate the completion script for %s\n",
                args->pos[0]);
        kq_buf_free(&script);
        return 1;
    }
    fwrite(kq_buf_ptr(&script), 1, script.len, stdout);
    kq_buf_free(&script);
    return 0;
}

static int run_online(const kq_cli_args *args)
{
    kq_config cfg;
    kq_error err;
    int rc;

    if (kq_config_start(NULL, args->value[KQ_OPT_CONFIG], true, &cfg) != 0)
        return 1;
    rc = kq_commands_run(args, &cfg, &err);
    kq_config_free(&cfg);
    if (rc < 0) {
        fflush(stdout);
        fprintf(stderr, "Error: %s\n", err.msg);
        return 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    kq_cli_args args;
    int rc = kq_cli_parse(argc, argv, &args, stdout, stderr);
    int werr;

    if (rc == -ENOMEM) {
        fprintf(stderr, "Error: out of memory\n");
        return 1;
    }
    if (rc == KQ_CLI_INIT) {
        rc = kq_config_init_file(args.value[KQ_OPT_CONFIG]);
        kq_cli_args_free(&args);
        return rc;
    }
    if (rc != KQ_CLI_RUN)
        return rc;
    rc = args.cmd->connects ? run_online(&args) : run_offline(&args);
    kq_cli_args_free(&args);
    /* A write that failed before this flush left only the error flag: its
     * errno is long gone, so that case says EIO. */
    werr = fflush(stdout) != 0 ? errno : 0;
    if (werr || ferror(stdout)) {
        fprintf(stderr, "Error: cannot write to stdout: %s\n",
                strerror(werr ? werr : EIO));
        return 1;
    }
    return rc;
}
