/*
 * kq_relay_link.c - a relay's place, and reaching or starting it (see
 * kq_relay_link.h).
 */
#include "kq_relay_link.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kq_hkdf.h"
#include "kq_tls.h"

extern char **environ;

/* Makes dir (mode 0700) unless it exists, then checks that it is a
 * directory of ours that no one else may enter. */
static int private_dir(const char *dir, kq_error *why)
{
    struct stat st;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        kq_error_set(why, "mkdir %s: %s", dir, strerror(errno));
        return -errno;
    }
    if (lstat(dir, &st) < 0) {
        kq_error_set(why, "stat %s: %s", dir, strerror(errno));
        return -errno;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
        kq_error_set(why, "%s is not a private directory of yours (owner uid %u, "
                          "mode %03o): remove it",
                     dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
        return -EPERM;
    }
    return 0;
}

int kq_relay_where_of(const kq_config *cfg, kq_relay_where *w, kq_error *why)
{
    const char *secret = cfg->common_settings.shared_secret;
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    unsigned char key[KQ_TLS_KEY_LEN], mac[KQ_HKDF_HASH_LEN];
    char msg[512], id[17];
    struct stat st;
    int n, rc;

    /* A runtime directory that is not there (a session without one) is
     * passed over, not an error. */
    if (runtime && runtime[0] == '/' && stat(runtime, &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == geteuid())
        n = snprintf(w->dir, sizeof w->dir, "%s/kueue", runtime);
    else
        n = snprintf(w->dir, sizeof w->dir, "/tmp/kueue-%u", (unsigned)geteuid());
    if (n < 0 || (size_t)n >= sizeof w->dir) {
        kq_error_set(why, "XDG_RUNTIME_DIR is too long for a socket path");
        return -ENAMETOOLONG;
    }
    if ((rc = kq_tls_derive_key(secret, strlen(secret), key)) < 0) {
        kq_error_set(why, "deriving the TLS key failed");
        return rc;
    }
    n = snprintf(msg, sizeof msg, "kueue-c relay v1\n%s\n%u",
                 cfg->common_settings.server_name,
                 (unsigned)cfg->common_settings.server_port);
    rc = kq_hmac_sha256(key, sizeof key, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg,
                        mac);
    memset(key, 0, sizeof key);
    if (rc < 0) {
        kq_error_set(why, "hashing the relay's name failed");
        return rc;
    }
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", mac[i]);
    n = snprintf(w->sock, sizeof w->sock, "%s/relay-%s.sock", w->dir, id);
    if (n < 0 || (size_t)n >= sizeof w->sock ||
        (size_t)snprintf(w->lock, sizeof w->lock, "%s/relay-%s.lock", w->dir, id) >=
            sizeof w->lock) {
        kq_error_set(why, "%s is too long a path for a socket", w->dir);
        return -ENAMETOOLONG;
    }
    return private_dir(w->dir, why);
}

int kq_relay_dial(const kq_relay_where *w, int *fd)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int e;

    if (s < 0)
        return -errno;
    memcpy(addr.sun_path, w->sock, strlen(w->sock) + 1);
    /* A Unix socket connects at once or not at all (then the relay's
     * backlog is full: treated as none running). */
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        fcntl(s, F_SETFL, O_NONBLOCK) < 0) {
        e = errno == EAGAIN ? ECONNREFUSED : errno;
        close(s);
        return -e;
    }
    *fd = s;
    return 0;
}

void kq_relay_spawn(const kq_config *cfg)
{
    char *argv[] = {"kueue", "--config", (char *)cfg->file, "relay", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    pid_t pid;

    if (!cfg->file)
        return;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return;
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return;
    }
    /* Its own session: no signal of our terminal or process group (a
     * Ctrl-C of the script that called us) reaches it; no stream or pipe
     * of ours stays open in it (a caller reading our output to its end
     * would wait for the relay). */
    if (posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) == 0 &&
        posix_spawn_file_actions_addclosefrom_np(&fa, 3) == 0)
        (void)posix_spawn(&pid, "/proc/self/exe", &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
}

long kq_relay_running(const kq_relay_where *w)
{
    int fd = open(w->lock, O_RDONLY | O_CLOEXEC);
    char text[32];
    ssize_t n;
    long pid = 0;

    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK &&
        (n = pread(fd, text, sizeof text - 1, 0)) > 0) {
        text[n] = '\0';
        pid = strtol(text, NULL, 10);
        if (pid <= 0)
            pid = 0;
    }
    close(fd);
    return pid;
}
