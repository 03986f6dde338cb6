/*
 * kq_batch.h - `kueue batch`: many jobs from a file over one connection.
 *
 * Each line that is not blank and does not start with '#' becomes a job
 * running `sh -c LINE`, with the resources and redirections of the
 * command line (the same options as `cmd`).  Submission is pipelined: up
 * to KQ_BATCH_WINDOW IssueJob requests are in flight before their answers
 * are read, so a thousand jobs cost a few round trips, not a thousand.
 */
#ifndef KQ_BATCH_H
#define KQ_BATCH_H

#include "kq_cli.h"
#include "kq_config.h"
#include "kq_error.h"

#define KQ_BATCH_WINDOW 256

/*
 * Reads the lines (args->pos[0], or stdin for NULL or "-"), issues the
 * jobs and prints their ids, one per line in the order of the lines; with
 * --wait waits for all of them.  Returns 0, 1 if a job was rejected,
 * failed or was canceled (each explained on stderr), or -errno with err.
 */
int kq_batch_run(const kq_cli_args *args, const kq_config *cfg,
                 kq_error *err);

#endif
