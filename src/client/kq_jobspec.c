/*
 * kq_jobspec.c - the job description of `cmd` and `batch` (see
 * kq_jobspec.h).
 */
#include "kq_jobspec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_outname.h"
#include "kq_utf8.h"
#include "kq_wfspec.h"

extern char **environ;

/* Variables a job never takes from its submitter: they describe the
 * submitting host, terminal or login session, or are Kueue's own (the
 * worker sets KUEUE_JOB_ID, KUEUE_WORKER_PID and PWD). */
static const char *const skipped_names[] = {
    "_", "PWD", "OLDPWD", "SHLVL", "HOSTNAME", "HOST", "DISPLAY", "WAYLAND_DISPLAY",
    "XAUTHORITY", "TERM", "COLORTERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "COLUMNS",
    "LINES", "TMUX", "TMUX_PANE", "STY", "WINDOW", "DBUS_SESSION_BUS_ADDRESS",
    "SESSION_MANAGER", "XDG_RUNTIME_DIR", "XDG_SESSION_ID", "XDG_SESSION_TYPE",
    "XDG_SESSION_CLASS", "XDG_SEAT", "XDG_VTNR", "GPG_TTY", "KRB5CCNAME"};
static const char *const skipped_prefixes[] = {"SSH_", "KUEUE_"};

bool kq_jobspec_skipped(const char *var)
{
    size_t n = strcspn(var, "=");

    for (size_t i = 0; i < sizeof skipped_names / sizeof *skipped_names; i++)
        if (strlen(skipped_names[i]) == n && strncmp(var, skipped_names[i], n) == 0)
            return true;
    for (size_t i = 0; i < sizeof skipped_prefixes / sizeof *skipped_prefixes; i++)
        if (strncmp(var, skipped_prefixes[i], strlen(skipped_prefixes[i])) == 0)
            return true;
    return false;
}

/* The length of the name of "NAME=VALUE". */
static size_t name_len(const kq_str *v)
{
    return strcspn(v->ptr, "=");
}

static int cmp_var(const void *a, const void *b)
{
    const kq_str *x = a, *y = b;
    size_t nx = name_len(x), ny = name_len(y);
    int c = memcmp(x->ptr, y->ptr, nx < ny ? nx : ny);

    return c ? c : (nx > ny) - (nx < ny);
}

/* Puts var in env, replacing a variable of its name (the list has room). */
static void put_var(kq_str_list *l, const char *var)
{
    kq_str v = kq_str_view(var);

    for (size_t i = 0; i < l->len; i++) {
        if (name_len(&l->items[i]) == name_len(&v) &&
            strncmp(l->items[i].ptr, var, name_len(&v)) == 0) {
            l->items[i] = v;
            return;
        }
    }
    l->items[l->len++] = v;
}

/* The job's environment (see kq_jobspec.h): spec->env, sorted by name. */
static int capture_env(kq_jobspec *spec, const kq_cli_args *args, const kq_config *cfg,
                       kq_error *err)
{
    bool capture = cfg->client_settings.capture_environment && !args->given[KQ_OPT_NO_ENV];
    size_t n = args->nenvs;
    kq_str_list *l = &spec->env.variables;

    for (size_t i = 0; i < args->nenvs; i++) {
        const char *v = args->envs[i];

        if (!strchr(v, '=') || v[0] == '=') {
            kq_error_set(err, "--env takes NAME=VALUE, not \"%s\"", v);
            return -EINVAL;
        }
        if (!kq_utf8_valid(v, strlen(v))) {
            kq_error_set(err, "--env %.*s: not valid UTF-8, which the protocol cannot carry",
                         (int)strcspn(v, "="), v);
            return -EINVAL;
        }
    }
    if (!capture && n == 0)
        return 0;
    for (size_t i = 0; capture && environ[i]; i++)
        n++;
    if (!(l->items = calloc(n ? n : 1, sizeof *l->items))) {
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; capture && environ[i]; i++) {
        const char *v = environ[i];

        if (!strchr(v, '=') || v[0] == '=' || kq_jobspec_skipped(v))
            continue;
        if (!kq_utf8_valid(v, strlen(v))) {
            fprintf(stderr, "Warning: the job does not get the environment variable %.*s: its "
                            "value is not valid UTF-8, which the protocol cannot carry\n",
                    (int)strcspn(v, "="), v);
            continue;
        }
        put_var(l, v);
    }
    for (size_t i = 0; i < args->nenvs; i++)
        put_var(l, args->envs[i]);
    qsort(l->items, l->len, sizeof *l->items, cmp_var);
    spec->has_env = true;
    spec->env.add_to_worker = !capture;
    return 0;
}

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

/* Checks that an optional path given on the command line is UTF-8 and
 * that its placeholders ({id}, ...) are known. */
static int check_path(const char *path, const char *what, kq_error *err)
{
    kq_buf why = KQ_BUF_INIT;

    if (path && !kq_utf8_valid(path, strlen(path))) {
        kq_error_set(err, "the %s path is not valid UTF-8, which the protocol "
                          "cannot carry", what);
        return -EINVAL;
    }
    if (path && kq_outname_check(path, &why) < 0) {
        kq_error_set(err, "%s: %s", what, kq_buf_ptr(&why));
        kq_buf_free(&why);
        return -EINVAL;
    }
    kq_buf_free(&why);
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
    if ((rc = capture_env(spec, args, cfg, err)) < 0)
        goto fail;
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
    /* The variables are views: only the array is the spec's. */
    free(spec->env.variables.items);
    memset(&spec->env, 0, sizeof spec->env);
    spec->has_env = false;
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
    /* An extension field: an original server ignores it (and never
     * refuses such a job). */
    job->has_queue_anyway = job->queue_anyway = spec->queue_anyway;
    /* An original server drops it, and an original worker ignores it: the
     * job then runs with the worker's environment. */
    job->has_environment = spec->has_env;
    job->environment = spec->env;
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
