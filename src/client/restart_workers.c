/*
 * kueue_restart_workers - keeps a kueue_worker running on a list of hosts.
 *
 * Reads [restart_workers] (ssh_user, hostnames, sleep_minutes_before_recheck)
 * from the configuration; never writes a template.  Each round visits the
 * hosts in order over the system `ssh` (BatchMode, so it never prompts:
 * keys or an agent must be set up) and runs one small sh script there:
 * report "running" if the user has a kueue_worker process, otherwise start
 * one detached with nohup and report "started".  One line per host and
 * round goes to stdout: "node1: running", "node1: started",
 * "node1: unreachable: <ssh's error>" or "node1: failed: <why>".  Then it
 * sleeps and starts over; --once stops after one round (exit 1 if a host
 * failed), --dry-run prints the ssh command per host instead of running it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kq_buf.h"
#include "kq_cmdline.h"
#include "kq_config.h"
#include "kq_shell_quote.h"

extern char **environ;

#define CONNECT_TIMEOUT "ConnectTimeout=10"
/* What the remote script prints before its verdict. */
#define MARKER "kueue-restart-status: "

/*
 * Run by the user's login shell on each host, so it must not contain a
 * single quote (it is wrapped in sh -lc '...', which any shell accepts,
 * and -l reads ~/.profile, where ~/.local/bin usually joins PATH).
 */
static const char remote_script[] =
    "if pgrep -u \"$(id -u)\" -x kueue_worker >/dev/null 2>&1; then "
    "echo " MARKER "running; "
    "elif command -v kueue_worker >/dev/null 2>&1; then "
    "nohup kueue_worker </dev/null >/dev/null 2>&1 & "
    "echo " MARKER "started; "
    "else echo " MARKER "missing; fi";

static void usage(FILE *out)
{
    fprintf(out,
            "Keeps a kueue_worker running on the hosts of [restart_workers] in "
            "the\nconfiguration, over ssh.\n\n"
            "Usage: kueue_restart_workers [OPTIONS]\n\n"
            "Options:\n"
            "  -c, --config <PATH>  Path to the configuration file\n"
            "      --once           Check every host once, then exit (1 if "
            "one failed)\n"
            "      --dry-run        Print the ssh command for each host, run "
            "nothing\n"
            "  -h, --help           Print help\n"
            "  -V, --version        Print version\n");
}

/* The last non-empty line of text (trimmed), or fallback. */
static void last_line(const kq_buf *text, const char *fallback, char *out,
                      size_t n)
{
    const char *s = kq_buf_ptr(text);
    size_t end = text->len, start;

    while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r' ||
                       s[end - 1] == ' '))
        end--;
    if (end == 0) {
        snprintf(out, n, "%s", fallback);
        return;
    }
    start = end;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    snprintf(out, n, "%.*s", (int)(end - start), s + start);
}

/* Appends what comes from fd_out to out and from fd_err to err_text until
 * both reach end of file (or fail: the text is only for messages). */
static void collect(int fd_out, int fd_err, kq_buf *out, kq_buf *err_text)
{
    struct pollfd pfd[2] = {{fd_out, POLLIN, 0}, {fd_err, POLLIN, 0}};
    kq_buf *dst[2] = {out, err_text};
    int open_fds = 2;

    while (open_fds > 0) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (int i = 0; i < 2; i++) {
            char buf[4096];
            ssize_t n;

            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            n = read(pfd[i].fd, buf, sizeof buf);
            if (n > 0) {
                kq_buf_append(dst[i], buf, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                pfd[i].fd = -1;
                open_fds--;
            }
        }
    }
}

/*
 * Runs argv with stdin from /dev/null, collecting stdout and stderr.
 * Returns the exit status (128 + signal if killed) or -errno.
 */
static int run_capture(char *const argv[], kq_buf *out, kq_buf *err_text)
{
    posix_spawn_file_actions_t fa;
    int po[2] = {-1, -1}, pe[2] = {-1, -1}, status, rc;
    pid_t pid;

    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        rc = -errno;
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    if (rc != 0) {
        rc = -rc;
        goto out;
    }
    collect(po[0], pe[0], out, err_text);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            rc = -errno;
            goto out;
        }
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    return rc;
}

/*
 * Checks one host (or, dry, prints what would run) and prints its line.
 * Returns true if a worker runs there now.
 */
static bool visit(const char *user, const char *host, bool dry)
{
    char target[512], remote[sizeof remote_script + 16], why[512];
    char *argv[] = {"ssh", "-o", "BatchMode=yes", "-o", CONNECT_TIMEOUT,
                    target, remote, NULL};
    kq_buf out = KQ_BUF_INIT, err_text = KQ_BUF_INIT;
    const char *verdict;
    bool ok = false;
    int rc;

    if (host[0] == '-') {
        printf("%s: failed: not a host name\n", host);
        return false;
    }
    snprintf(target, sizeof target, "%s@%s", user, host);
    snprintf(remote, sizeof remote, "sh -lc '%s'", remote_script);
    if (dry) {
        for (char **a = argv; *a; a++) {
            if (a != argv)
                kq_buf_putc(&out, ' ');
            kq_sh_put_word(&out, *a);
        }
        printf("%s: would run: %s\n", host, kq_buf_ptr(&out));
        fflush(stdout);
        kq_buf_free(&out);
        return true;
    }
    rc = run_capture(argv, &out, &err_text);
    verdict = strstr(kq_buf_ptr(&out), MARKER);
    if (rc < 0) {
        printf("%s: failed: cannot run ssh: %s\n", host, strerror(-rc));
    } else if (rc == 255) {
        last_line(&err_text, "ssh failed", why, sizeof why);
        printf("%s: unreachable: %s\n", host, why);
    } else if (rc == 0 && verdict) {
        verdict += strlen(MARKER);
        if (strncmp(verdict, "running", 7) == 0 ||
            strncmp(verdict, "started", 7) == 0) {
            printf("%s: %.7s\n", host, verdict);
            ok = true;
        } else {
            printf("%s: failed: kueue_worker is not in PATH there\n", host);
        }
    } else {
        last_line(&err_text, "no answer from the check", why, sizeof why);
        printf("%s: failed: ssh exited with %d: %s\n", host, rc, why);
    }
    fflush(stdout);
    kq_buf_free(&out);
    kq_buf_free(&err_text);
    return ok;
}

/* One pass over every host; true if all of them run a worker. */
static bool check_all_hosts(const kq_config *cfg, bool dry)
{
    char *hosts = strdup(cfg->restart_workers.hostnames), *save = NULL;
    bool all_ok = true;

    if (!hosts) {
        fprintf(stderr, "Error: out of memory\n");
        return false;
    }
    for (char *h = strtok_r(hosts, " \t\r\n", &save); h;
         h = strtok_r(NULL, " \t\r\n", &save))
        all_ok &= visit(cfg->restart_workers.ssh_user, h, dry);
    free(hosts);
    return all_ok;
}

static void sleep_minutes(double minutes)
{
    double secs = minutes * 60.0;
    struct timespec ts = {(time_t)secs,
                          (long)((secs - floor(secs)) * 1e9)};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int main(int argc, char **argv)
{
    enum { OPT_ONCE = 256, OPT_DRY_RUN };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    bool once = false, dry = false, ok;
    char path[4096];
    kq_config cfg;
    int opt;

    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case OPT_ONCE:
            once = true;
            break;
        case OPT_DRY_RUN:
            dry = true;
            break;
        default:
            return kq_cmdline_exit(opt, usage);
        }
    }
    if (kq_cmdline_no_operands(argc, argv, usage))
        return 2;
    if (kq_config_path(config_path, path, sizeof path) < 0) {
        fprintf(stderr, "Error: Failed to load config: path too long\n");
        return 1;
    }
    if (kq_config_start(NULL, path, false, &cfg) != 0)
        return 1;
    if (!cfg.has_restart_workers) {
        fprintf(stderr, "Error: [restart_workers] missing in %s\n", path);
        kq_config_free(&cfg);
        return 1;
    }
    for (;;) {
        ok = check_all_hosts(&cfg, dry);
        if (once || dry)
            break;
        sleep_minutes(cfg.restart_workers.sleep_minutes_before_recheck);
    }
    kq_config_free(&cfg);
    return ok ? 0 : 1;
}
