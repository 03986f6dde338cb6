/*
 * kueue_server - entry point: command line, configuration, logging.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_cmdline.h"
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
            "      --init           Write a new configuration (with a fresh shared\n"
            "                       secret) to that path or the default one, and exit\n"
            "      --state <PATH>   SQLite file keeping jobs across restarts, with\n"
            "                       its journal PATH-changes (default:\n"
            "                       server_settings.state_file, else\n"
            "                       $XDG_DATA_HOME/kueue/server.sqlite3)\n"
            "      --no-state       Keep everything in memory only\n"
            "      --salvage        Start even if the journal is damaged: keep what\n"
            "                       can be read, lose the damaged frames (the damaged\n"
            "                       journal is kept as PATH-changes.damaged-TIME)\n"
            "  -h, --help           Print help\n"
            "  -V, --version        Print version\n");
}

/* server_settings.state_file, else $XDG_DATA_HOME/kueue/server.sqlite3,
 * else ~/.local/share/kueue/server.sqlite3. */
static const char *default_state_path(const kq_config *cfg, char *buf, size_t n)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

    if (cfg->server_settings.state_file[0])
        return cfg->server_settings.state_file;
    if (xdg && xdg[0] == '/')
        snprintf(buf, n, "%s/kueue/server.sqlite3", xdg);
    else if (home && home[0])
        snprintf(buf, n, "%s/.local/share/kueue/server.sqlite3", home);
    else
        snprintf(buf, n, "kueue-server.sqlite3");
    return buf;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"state", required_argument, NULL, 'S'},
        {"no-state", no_argument, NULL, 'N'},
        {"salvage", no_argument, NULL, 'A'},
        {"init", no_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *state_path = NULL;
    bool no_state = false, init = false;
    char default_state[4096];
    kq_server_opts opts = {0};
    kq_config cfg;
    kq_server *srv;
    kq_error err;
    int opt, code;

    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'S':
            state_path = optarg;
            break;
        case 'N':
            no_state = true;
            break;
        case 'A':
            opts.salvage = true;
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
    if (kq_config_start("kueue_server", config_path, true, &cfg) != 0)
        return 1;
    if (no_state && (state_path || opts.salvage)) {
        fprintf(stderr, "error: --no-state excludes --%s\n", state_path ? "state" : "salvage");
        kq_config_free(&cfg);
        return 2;
    }
    if (!no_state)
        opts.state_path = state_path ? state_path
                                     : default_state_path(&cfg, default_state,
                                                          sizeof default_state);
    if (kq_server_new(&cfg, &opts, &srv, &err) < 0) {
        fprintf(stderr, "Error: Failed to start server: %s\n", err.msg);
        kq_config_free(&cfg);
        return 1;
    }
    code = kq_server_run(srv);
    kq_server_free(srv);
    kq_config_free(&cfg);
    return code;
}
