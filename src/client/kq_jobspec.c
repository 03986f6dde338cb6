/*
 * kq_jobspec.c - the job description of `cmd` and `batch` (see
 * kq_jobspec.h).
 */
#include "kq_jobspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_utf8.h"

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
    spec->queue_anyway = args->given[KQ_OPT_QUEUE_ANYWAY];
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
    /* An extension field: an original server ignores it (and never
     * refuses such a job). */
    job->has_queue_anyway = job->queue_anyway = spec->queue_anyway;
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
