/*
 * kueue_worker - entry point: command line, configuration, logging.
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
#include <unistd.h>

#include "kq_cmdline.h"
#include "kq_config.h"
#include "kq_log.h"
#include "kq_worker.h"

static void usage(FILE *out)
{
    fprintf(out,
            "The worker of Kueue: runs the jobs the server hands out.\n\n"
            "Usage: kueue_worker [OPTIONS]\n\n"
            "Options:\n"
            "  -c, --config <PATH>  Path to the configuration file\n"
            "      --init           Write a new configuration (with a fresh shared\n"
            "                       secret) to that path or the default one, and exit\n"
            "  -h, --help           Print help\n"
            "  -V, --version        Print version\n");
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
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    char name[KQ_WORKER_NAME_MAX];
    kq_config cfg;
    kq_worker *w;
    kq_error err;
    bool init = false;
    int opt, code, rc;

    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'I':
            init = true;
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
    if (cfg.worker_settings.worker_name[0]) {
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
    if (kq_worker_new(&cfg, name, &w, &err) < 0) {
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
