/*
 * kueue_worker - entry point: command line, configuration, logging, and
 * the lifetime of a worker in an allocation (kq_lifetime.h).
 *
 * Exit status: 0 after SIGINT/SIGTERM, 1 when the configuration is
 * unusable or the first connection to the server fails (as the reference:
 * "Error: Failed to start worker: <reason>" on stderr), 2 for bad usage.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kq_cmdline.h"
#include "kq_config.h"
#include "kq_duration.h"
#include "kq_lifetime.h"
#include "kq_log.h"
#include "kq_worker.h"

static void usage(FILE *out)
{
    fprintf(out,
            "The worker of Kueue: runs the jobs the server hands out.\n\n"
            "Usage: kueue_worker [OPTIONS]\n\n"
            "Options:\n"
            "  -c, --config <PATH>         Path to the configuration file\n"
            "      --init                  Write a new configuration (with a fresh shared\n"
            "                              secret) to that path or the default one, and exit\n"
            "      --server <HOST[:PORT]>  Connect to this server instead of the\n"
            "                              configuration's server_name and server_port\n"
            "      --name <NAME>           The worker's name [default: in an allocation\n"
            "                              HOST-SLURMJOBID, else worker_name, else the host\n"
            "                              name]\n"
            "      --lifetime <DURATION>   The worker ends this long after it starts (90s,\n"
            "                              45m, 2h30m, 1d): it takes only jobs whose time\n"
            "                              limit fits in what is left.  In a Slurm job its\n"
            "                              end is Slurm's (SLURM_JOB_END_TIME or squeue),\n"
            "                              whichever comes first\n"
            "      --margin <DURATION>     Jobs without a time limit are taken while more\n"
            "                              than this is left [default: a quarter of the\n"
            "                              lifetime, at most 10m]\n"
            "      --idle-exit <DURATION>  Exit once no job ran for this long, or when the\n"
            "                              end is near and no job runs\n"
            "  -h, --help                  Print help\n"
            "  -V, --version               Print version\n");
}

static const char *real_getenv(const char *name)
{
    return getenv(name);
}

/* A duration option's value, or exits 2 saying what is wrong. */
static int duration_arg(const char *opt, const char *value, uint64_t *out)
{
    const char *why;

    if (kq_duration_parse(value, out, &why) == 0)
        return 0;
    fprintf(stderr, "error: invalid value '%s' for '--%s <DURATION>': %s\n\n", value, opt, why);
    usage(stderr);
    return 2;
}

/* The lifetime, when the worker has one (options, or a Slurm job): 1 with
 * lt filled, 0 without, -1 after saying why it cannot start. */
static int make_lifetime(const kq_lifetime_opts *o, bool asked, kq_lifetime *lt)
{
    int64_t squeue_end = 0;
    kq_error err;

    if (!asked && !getenv("SLURM_JOB_ID") && !getenv("KUEUE_ALLOCATION"))
        return 0;
    if (kq_lifetime_wants_squeue(real_getenv) &&
        kq_lifetime_squeue(getenv("SLURM_JOB_ID"), &squeue_end, &err) < 0) {
        kq_warn("Cannot learn when Slurm job %s ends (%s)%s", getenv("SLURM_JOB_ID"), err.msg,
                o->lifetime_s ? "; going by --lifetime" : "; without --lifetime it has no end");
        squeue_end = 0;
    }
    if (kq_lifetime_init(lt, o, real_getenv, time(NULL), squeue_end, &err) < 0) {
        fprintf(stderr, "Error: Failed to start worker: %s\n", err.msg);
        return -1;
    }
    return 1;
}

/* Jobs get fds 0-2 by dup2 from our own descriptors; none of ours may sit
 * there, or a pipe could land on fd 1 and be clobbered. */
static void hold_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int null = open("/dev/null", O_RDWR);

            if (null >= 0 && null != fd)
                close(null);
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"init", no_argument, NULL, 'I'},
        {"server", required_argument, NULL, 'S'},
        {"name", required_argument, NULL, 'N'},
        {"lifetime", required_argument, NULL, 'L'},
        {"margin", required_argument, NULL, 'M'},
        {"idle-exit", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *server = NULL, *name_opt = NULL;
    char name[KQ_WORKER_NAME_MAX];
    kq_lifetime_opts lo = {0};
    kq_lifetime lifetime;
    kq_config cfg;
    kq_worker *w;
    kq_error err;
    bool init = false, asked = false;
    int opt, code, rc, has_lifetime;

    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'I':
            init = true;
            break;
        case 'S':
            server = optarg;
            break;
        case 'N':
            name_opt = optarg;
            break;
        case 'L':
            if (duration_arg("lifetime", optarg, &lo.lifetime_s))
                return 2;
            asked = true;
            break;
        case 'M':
            if (duration_arg("margin", optarg, &lo.margin_s))
                return 2;
            lo.has_margin = asked = true;
            break;
        case 'E':
            if (duration_arg("idle-exit", optarg, &lo.idle_exit_s))
                return 2;
            asked = true;
            break;
        default:
            return kq_cmdline_exit(opt, usage);
        }
    }
    if (kq_cmdline_no_operands(argc, argv, usage))
        return 2;
    if (init)
        return kq_config_init_file(config_path);
    hold_std_fds();
    if (kq_config_start("kueue_worker", config_path, true, &cfg) != 0)
        return 1;
    if (server) {
        char *copy = strdup(server);

        if (!copy) {
            kq_config_free(&cfg);
            return 1;
        }
        free(cfg.common_settings.server_name);
        cfg.common_settings.server_name = copy;
    }
    lo.kill_grace_s = cfg.worker_settings.kill_grace_seconds;
    if ((has_lifetime = make_lifetime(&lo, asked, &lifetime)) < 0) {
        kq_config_free(&cfg);
        return 1;
    }
    if (name_opt) {
        snprintf(name, sizeof name, "%s", name_opt);
    } else if (has_lifetime && lifetime.allocation[0] && lifetime.job_id[0] &&
               kq_worker_host_name(name, sizeof name) == 0) {
        /* Several allocations may share a node. */
        size_t len = strlen(name);

        snprintf(name + len, sizeof name - len, "-%s", lifetime.job_id);
    } else if (cfg.worker_settings.worker_name[0]) {
        snprintf(name, sizeof name, "%s", cfg.worker_settings.worker_name);
    } else if ((rc = kq_worker_host_name(name, sizeof name)) < 0) {
        fprintf(stderr, "Error: Failed to start worker: gethostname: %s\n",
                strerror(-rc));
        kq_config_free(&cfg);
        return 1;
    }
    /* Writes to a vanished log reader must not kill the worker; jobs get
     * SIGPIPE back at its default. */
    signal(SIGPIPE, SIG_IGN);
    if (kq_worker_new(&cfg, name, has_lifetime ? &lifetime : NULL, &w, &err) < 0) {
        fprintf(stderr, "Error: Failed to start worker: %s\n", err.msg);
        kq_config_free(&cfg);
        return 1;
    }
    code = kq_worker_run(w, &err);
    if (code)
        fprintf(stderr, "Error: Failed to start worker: %s\n", err.msg);
    kq_worker_free(w);
    kq_config_free(&cfg);
    return code;
}
