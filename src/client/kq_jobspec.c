/*
 * kq_jobspec.c - the job description of `cmd` and `batch` (see
 * kq_jobspec.h).
 */
#include "kq_jobspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_utf8.h"
#include "kq_wfspec.h"

int kq_jobspec_add_resource(kq_u64_map *map, const char *arg, kq_error *err)
{
    const char *eq = strchr(arg, '=');
    uint64_t amount = 1;
    const char *why;
    char *name;
    int rc;

    if (eq && strchr(eq + 1, '=')) {
        kq_error_set(err, "Failed to parse resource: %s", arg);
        return -EINVAL;
    }
    if (eq && kq_cli_parse_u64(eq + 1, &amount, &why) < 0) {
        kq_error_set(err, "Failed to parse resource: '%s', %s", arg, why);
        return -EINVAL;
    }
    if (eq == arg || !arg[0]) {
        kq_error_set(err, "Failed to parse resource: '%s', empty resource name",
                     arg);
        return -EINVAL;
    }
    if (!kq_utf8_valid(arg, strlen(arg))) {
        kq_error_set(err, "Failed to parse resource: the name is not valid UTF-8");
        return -EINVAL;
    }
    name = eq ? strndup(arg, (size_t)(eq - arg)) : strdup(arg);
    rc = name ? kq_u64_map_put(map, name, amount) : -ENOMEM;
    free(name);
    if (rc < 0)
        kq_error_set(err, "out of memory");
    return rc;
}

/* Checks that an optional path given on the command line is UTF-8. */
static int check_path(const char *path, const char *what, kq_error *err)
{
    if (path && !kq_utf8_valid(path, strlen(path))) {
        kq_error_set(err, "the %s path is not valid UTF-8, which the protocol "
                          "cannot carry", what);
        return -EINVAL;
    }
    return 0;
}

/* The first of the workflow options given, for messages. */
static const char *first_option(const kq_cli_args *args)
{
    static const struct {
        kq_opt_id id;
        const char *name;
    } opts[] = {
        {KQ_OPT_AFTER, "--after"},
        {KQ_OPT_AFTER_ANY, "--after-any"},
        {KQ_OPT_PRIORITY, "--priority"},
        {KQ_OPT_TIME_LIMIT, "--time-limit"},
        {KQ_OPT_RETRIES, "--retries"},
        {KQ_OPT_ARRAY, "--array"},
        {KQ_OPT_NAME, "--name"},
    };

    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        if (args->given[opts[i].id])
            return opts[i].name;
    return NULL;
}

/* One of --after and --after-any into set (checked by the parser). */
static int ids_option(const kq_cli_args *args, kq_opt_id id, bool *has, kq_u64_set *set,
                      kq_error *err)
{
    const char *why;

    if (!args->given[id])
        return 0;
    if (kq_wf_parse_ids(args->value[id], set, &why) < 0) {
        kq_error_set(err, "%s", why);
        return -ENOMEM;
    }
    *has = true;
    return 0;
}

/* The workflow of the options, if any is given. */
static int workflow_init(kq_jobspec *spec, const kq_cli_args *args, kq_error *err)
{
    kq_workflow *wf = &spec->workflow;
    int rc;

    if (!(spec->ext_option = first_option(args)))
        return 0;
    spec->has_workflow = true;
    if ((rc = ids_option(args, KQ_OPT_AFTER, &wf->has_after, &wf->after, err)) < 0 ||
        (rc = ids_option(args, KQ_OPT_AFTER_ANY, &wf->has_after_any, &wf->after_any, err)) < 0)
        return rc;
    wf->priority = (int32_t)args->signed_number[KQ_OPT_PRIORITY];
    wf->has_time_limit_seconds = args->given[KQ_OPT_TIME_LIMIT];
    wf->time_limit_seconds = args->number[KQ_OPT_TIME_LIMIT];
    wf->has_retries = args->given[KQ_OPT_RETRIES];
    wf->retries = args->number[KQ_OPT_RETRIES];
    if (args->given[KQ_OPT_NAME] &&
        kq_str_set(&wf->name, args->value[KQ_OPT_NAME], strlen(args->value[KQ_OPT_NAME])) < 0) {
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    if (args->given[KQ_OPT_ARRAY]) {
        uint64_t count;
        const char *why;

        if (kq_wf_parse_array(args->value[KQ_OPT_ARRAY], &spec->array, &count, &why) < 0) {
            kq_error_set(err, "--array: %s", why);
            return -EINVAL;
        }
        spec->has_array = true;
    }
    return 0;
}

int kq_jobspec_init(kq_jobspec *spec, const kq_cli_args *args,
                    const kq_config *cfg, kq_error *err)
{
    int rc;

    memset(spec, 0, sizeof *spec);
    spec->resources.job_slots =
        args->given[KQ_OPT_JOB_SLOTS] ? args->number[KQ_OPT_JOB_SLOTS] : 1;
    spec->resources.cpus = args->given[KQ_OPT_CPUS]
                               ? args->number[KQ_OPT_CPUS]
                               : cfg->client_settings.job_default_cpus;
    spec->resources.ram_mb = args->given[KQ_OPT_RAM_MB]
                                 ? args->number[KQ_OPT_RAM_MB]
                                 : cfg->client_settings.job_default_ram_mb;
    for (size_t i = 0; i < args->nresources; i++)
        if ((rc = kq_jobspec_add_resource(&spec->global, args->resources[i],
                                          err)) < 0)
            goto fail;
    spec->has_global = args->nresources > 0;
    if ((rc = workflow_init(spec, args, err)) < 0)
        goto fail;
    spec->stdout_path = args->value[KQ_OPT_STDOUT];
    spec->stderr_path = args->value[KQ_OPT_STDERR];
    if ((rc = check_path(spec->stdout_path, "--stdout", err)) < 0 ||
        (rc = check_path(spec->stderr_path, "--stderr", err)) < 0)
        goto fail;
    if (!(spec->cwd = realpath(".", NULL))) {
        rc = -errno;
        kq_error_set(err, "cannot resolve the current directory: %s",
                     strerror(-rc));
        goto fail;
    }
    if (!kq_utf8_valid(spec->cwd, strlen(spec->cwd))) {
        kq_error_set(err, "the current directory %s is not valid UTF-8, which "
                          "the protocol cannot carry", spec->cwd);
        rc = -EINVAL;
        goto fail;
    }
    return 0;
fail:
    kq_jobspec_free(spec);
    return rc;
}

void kq_jobspec_free(kq_jobspec *spec)
{
    kq_workflow_free(&spec->workflow);
    kq_u64_map_free(&spec->global);
    free(spec->cwd);
    spec->cwd = NULL;
}

void kq_jobspec_job(const kq_jobspec *spec, const kq_str_list *cmd,
                    kq_job_info *job)
{
    memset(job, 0, sizeof *job);
    job->cmd = *cmd;
    job->cwd = kq_str_view(spec->cwd);
    job->worker_resources = spec->resources;
    job->has_global_resources = spec->has_global;
    job->global_resources = spec->global;
    job->status.tag = KQ_JOB_STATUS_PENDING;
    job->status.pending.issued = kq_time_now();
    job->stdout_path = kq_str_view(spec->stdout_path);
    job->stderr_path = kq_str_view(spec->stderr_path);
    job->workflow = spec->has_workflow ? (kq_workflow *)&spec->workflow : NULL;
}

int kq_jobspec_argv(char *const *argv, size_t argc, kq_str_list *cmd,
                    kq_error *err)
{
    cmd->len = 0;
    if (!(cmd->items = calloc(argc ? argc : 1, sizeof *cmd->items))) {
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < argc; i++) {
        cmd->items[i] = kq_str_view(argv[i]);
        if (!kq_utf8_valid(cmd->items[i].ptr, cmd->items[i].len)) {
            kq_error_set(err, "word %zu of the command is not valid UTF-8, "
                              "which the protocol cannot carry", i + 1);
            free(cmd->items);
            cmd->items = NULL;
            return -EINVAL;
        }
    }
    cmd->len = argc;
    return 0;
}
