/*
 * kq_jobspec.h - what `cmd` and `batch` put into an IssueJob: resources
 * from -j/-c/-r and the configured defaults, global resources from
 * --resource, the redirections, the working directory, and the
 * environment the job runs with.
 *
 * The environment is this process's (as sbatch and pueue pass theirs),
 * unless --no-env or client_settings.capture_environment = false, without
 * the variables that describe this host, terminal or login session rather
 * than the job's world (kq_jobspec_skipped: DISPLAY, SSH_*, KUEUE_*, PWD,
 * ...), plus each --env NAME=VALUE; with --no-env the --env ones alone,
 * added to the worker's own.  A variable that is not UTF-8 cannot travel
 * and is left out with a warning.
 *
 * Everything is checked before connecting, so a bad --resource or a
 * working directory the protocol cannot carry (not UTF-8) fails without
 * touching the server.  A spec owns its strings; the JobInfo values built
 * from it borrow them and are never freed.
 */
#ifndef KQ_JOBSPEC_H
#define KQ_JOBSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_cli.h"
#include "kq_compiler.h"
#include "kq_config.h"
#include "kq_error.h"
#include "kq_protocol.h"

typedef struct kq_jobspec {
    kq_resources resources;
    bool has_global;
    kq_u64_map global;
    char *cwd; /* the current directory, resolved (realpath) */
    const char *stdout_path, *stderr_path;
    /* Kueue-C workflow options: a job with a workflow is submitted with
     * SubmitJob (an original server refuses it), a plain one with
     * IssueJob. */
    bool has_workflow;
    kq_workflow workflow;      /* owned */
    bool has_array;            /* --array: many jobs, one message */
    kq_job_array array;
    /* The first workflow option given ("--after"), which an error about
     * an original server names; NULL for a plain job. */
    const char *ext_option;
    bool queue_anyway; /* --queue-anyway */
    bool has_env;
    kq_job_env env;    /* its variables point into environ and argv */
} kq_jobspec;

/* Whether the variable "NAME=..." is one a job never gets from its
 * submitter: host-, terminal- or session-specific. */
bool kq_jobspec_skipped(const char *var);

/* Fills spec from the parsed options and the configuration (the workflow
 * options were checked by the parser).  0 or -errno with err ("Failed to
 * parse resource: ..."). */
KQ_NODISCARD int kq_jobspec_init(kq_jobspec *spec, const kq_cli_args *args,
                                 const kq_config *cfg, kq_error *err);

void kq_jobspec_free(kq_jobspec *spec);

/*
 * Adds one --resource value to map: NAME means 1, NAME=N sets N (a
 * repeated name keeps the last amount).  More than one '=' gives
 * "Failed to parse resource: <arg>", a bad amount or an empty name
 * "Failed to parse resource: '<arg>', <reason>".  0, -EINVAL or -ENOMEM.
 */
KQ_NODISCARD int kq_jobspec_add_resource(kq_u64_map *map, const char *arg,
                                         kq_error *err);

/*
 * Fills job with a new job running cmd (which must stay valid while job is
 * used) under spec: job id 0 and status Pending issued now, as the
 * reference's client sends them, and the spec's workflow if it has one.
 * job borrows everything: never free it.
 */
void kq_jobspec_job(const kq_jobspec *spec, const kq_str_list *cmd,
                    kq_job_info *job);

/* Views the words argv[0..argc) as a command, checking they are UTF-8.
 * cmd->items is allocated (free it); 0, -EINVAL with err, or -ENOMEM. */
KQ_NODISCARD int kq_jobspec_argv(char *const *argv, size_t argc,
                                 kq_str_list *cmd, kq_error *err);

#endif
