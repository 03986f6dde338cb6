/*
 * kueue_server - entry point: command line, configuration, logging.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_config.h"
#include "kq_log.h"
#include "kq_server.h"

static void usage(FILE *out)
{
    fprintf(out,
            "The server of Kueue: holds the job queue and hands jobs to workers.\n\n"
            "Usage: kueue_server [OPTIONS]\n\n"
            "Options:\n"
            "  -c, --config <PATH>  Path to the configuration file\n"
            "  -h, --help           Print help\n"
            "  -V, --version        Print version\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    kq_config cfg;
    kq_server *srv;
    kq_log_level level;
    kq_error err;
    int opt, code;

    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("kueue 0.19.0\n");
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "error: unexpected argument '%s'\n\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (kq_config_load(config_path, true, &cfg, &err) < 0) {
        fprintf(stderr, "Error: Failed to load config: %s\n", err.msg);
        return 1;
    }
    if (kq_log_parse_level(cfg.common_settings.log_level, &level) < 0) {
        fprintf(stderr, "Error: Log level must be one of: trace, debug, info, warn, error\n");
        kq_config_free(&cfg);
        return 1;
    }
    kq_log_init("kueue_server", level);
    if (kq_server_new(&cfg, NULL, &srv, &err) < 0) {
        fprintf(stderr, "Error: Failed to start server: %s\n", err.msg);
        kq_config_free(&cfg);
        return 1;
    }
    code = kq_server_run(srv);
    kq_server_free(srv);
    kq_config_free(&cfg);
    return code;
}
