/*
 * kq_commands.h - the subcommands that talk to the server: one function
 * each, from the parsed command line to the request, the answer and what
 * is printed.
 *
 * Output rules shared by all of them: text goes to stdout through
 * kq_print (colours only on a terminal); with --json the server's answer
 * message itself is printed as one line of JSON, encoded by the generated
 * encoder (e.g. {"JobList":{"job_infos":[...],...}}), also when the server
 * refused the request.  A refusal (job not found, a failed remove, a
 * rejected job) is an error: the text goes to stderr as "Error: ..." and
 * the exit status is 1.
 */
#ifndef KQ_COMMANDS_H
#define KQ_COMMANDS_H

#include <stdbool.h>

#include "kq_cli.h"
#include "kq_compiler.h"
#include "kq_config.h"
#include "kq_error.h"
#include "kq_session.h"

/*
 * Runs args->cmd (a subcommand that connects) with the loaded
 * configuration.  Returns the exit status (0, or a job's code after a
 * wait), or -errno with err for the caller to print as "Error: <err>".
 */
int kq_commands_run(const kq_cli_args *args, const kq_config *cfg,
                    kq_error *err);

/* Writes b to stdout and frees it; -ENOMEM with err if building it ran
 * out of memory (nothing is written then). */
int kq_commands_emit(kq_buf *b, kq_error *err);

/* Prints msg to stdout as one line of JSON (--json).  0 or -ENOMEM. */
int kq_commands_emit_json(const kq_s2c *msg, kq_error *err);

/* Connects to the configured server, authenticating if auth.  0 or -errno
 * with err, which names the configuration file and its keys to check when
 * the server cannot be reached or refuses the secret. */
KQ_NODISCARD int kq_commands_connect(const kq_config *cfg, bool auth,
                                     kq_session *s, kq_error *err);

/* Warns on stderr that no worker is connected when the server said so of
 * the job it accepted (a Kueue-C server's reason): the job waits. */
void kq_commands_warn_no_worker(const kq_job_info *accepted);

#endif
