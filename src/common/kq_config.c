/*
 * kq_config.c - config.toml on disk (see kq_config.h).
 */
#include "kq_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kq_dirs.h"
#include "kq_log.h"
#include "kq_toml.h"

int kq_config_path(const char *explicit_path, char *out, size_t n)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int w;

    if (explicit_path)
        w = snprintf(out, n, "%s", explicit_path);
    else if (xdg && xdg[0] == '/')
        w = snprintf(out, n, "%s/kueue/config.toml", xdg);
    else if (home && home[0])
        w = snprintf(out, n, "%s/.config/kueue/config.toml", home);
    else
        w = snprintf(out, n, "config.toml");
    return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

/* Sets c->file to path as messages show it: the home directory written
 * "~" ("~/.config/kueue/config.toml"). */
static int set_file(kq_config *c, const char *path, kq_error *err)
{
    const char *home = getenv("HOME");
    size_t len = home ? strlen(home) : 0;
    int n;

    while (len > 1 && home[len - 1] == '/')
        len--;
    if (len > 1 && strncmp(path, home, len) == 0 && path[len] == '/')
        n = asprintf(&c->file, "~%s", path + len);
    else
        n = asprintf(&c->file, "%s", path);
    if (n < 0) {
        c->file = NULL;
        kq_error_set(err, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

static void warn_stderr(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "Warning: %s\n", message);
}

/* What a new file's user does next, after "Wrote ... to PATH". */
static void say_written(FILE *out, const char *path)
{
    fprintf(out, "Wrote a new configuration with a fresh shared secret to %s\n"
                 "Copy it to every machine of the cluster (the shared_secret must be "
                 "the same everywhere) and set server_name there to the server's "
                 "host name.\n", path);
}

/* Writes the template of c to path, refusing to replace any file. */
static int write_template(const char *path, const kq_config *c, kq_error *err)
{
    kq_buf text = KQ_BUF_INIT;
    int fd, rc = 0;

    if ((rc = kq_dirs_make_parents(path)) < 0) {
        kq_error_set(err, "create the directory of %s: %s", path, strerror(-rc));
        return rc;
    }
    kq_buf_puts(&text, "# Kueue configuration. The shared secret must be the same on the server,\n"
                       "# every worker and every client: copy this file to them.\n\n");
    kq_config_write(c, &text);
    if (text.oom) {
        kq_buf_free(&text);
        return -ENOMEM;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        if (rc == -EEXIST)
            kq_error_set(err, "%s exists already and was left as it is (move it "
                              "away first to write a new one)", path);
        else
            kq_error_set(err, "create %s: %s", path, strerror(errno));
        goto out;
    }
    if (write(fd, kq_buf_ptr(&text), text.len) != (ssize_t)text.len) {
        rc = -EIO;
        kq_error_set(err, "write %s: %s", path, strerror(errno));
    }
    if (close(fd) < 0 && rc == 0) {
        rc = -errno;
        kq_error_set(err, "close %s: %s", path, strerror(errno));
    }
out:
    kq_buf_free(&text);
    return rc;
}

int kq_config_check_shared(const kq_config *c, const kq_toml_doc *doc,
                           const char *file, kq_config_warn_fn *warn,
                           void *ctx, kq_error *err)
{
    uint64_t timeout = c->server_settings.worker_timeout_seconds;
    uint64_t interval = c->worker_settings.system_update_interval_seconds;
    const kq_toml_entry *t = NULL, *i = NULL;
    char message[512];

    if (timeout > interval)
        return 0;
    if (doc) {
        t = kq_toml_get(doc, "server_settings", "worker_timeout_seconds");
        i = kq_toml_get(doc, "worker_settings", "system_update_interval_seconds");
    }
    if (t && i) {
        kq_error_set(err, "%s:%d: server_settings.worker_timeout_seconds = %llu "
                          "must be longer than worker_settings."
                          "system_update_interval_seconds = %llu (line %d): "
                          "the server would drop workers between their updates",
                     file, t->line, (unsigned long long)timeout,
                     (unsigned long long)interval, i->line);
        return -EINVAL;
    }
    snprintf(message, sizeof message,
             "server_settings.worker_timeout_seconds = %llu%s is not longer than "
             "worker_settings.system_update_interval_seconds = %llu%s: the server "
             "drops workers between their updates unless the other side's "
             "configuration differs",
             (unsigned long long)timeout, t ? "" : " (the default)",
             (unsigned long long)interval, i ? "" : " (the default)");
    warn(ctx, message);
    return 0;
}

/* Loads the file; with check_shared also runs kq_config_check_shared. */
static int load(const char *explicit_path, bool write_tmpl, bool check_shared,
                kq_config *c, kq_error *err)
{
    char path[4096];
    kq_toml_doc doc = {0};
    struct stat st;
    int rc;

    if ((rc = kq_config_path(explicit_path, path, sizeof path)) < 0) {
        kq_error_set(err, "configuration path too long");
        return rc;
    }
    if ((rc = kq_config_init(c)) < 0) {
        kq_error_set(err, "cannot set up the configuration defaults: %s",
                     strerror(-rc));
        return rc;
    }
    if (stat(path, &st) < 0 && errno == ENOENT) {
        if (explicit_path) {
            kq_error_set(err, "no configuration at %s (copy the server's there, "
                              "or write a new one with: kueue --init -c %s)",
                         path, path);
            rc = -ENOENT;
            goto fail;
        }
        if ((rc = kq_config_fill_random(c)) < 0) {
            kq_error_set(err, "cannot draw a random shared secret");
            goto fail;
        }
        if (write_tmpl) {
            kq_config_use_template(c);
            if ((rc = write_template(path, c, err)) < 0 ||
                (rc = set_file(c, path, err)) < 0)
                goto fail;
            say_written(stderr, path);
        }
        if (check_shared &&
            (rc = kq_config_check_shared(c, NULL, path, warn_stderr, NULL, err)) < 0)
            goto fail;
        return 0;
    }
    if ((rc = kq_toml_load(path, &doc, err)) < 0)
        goto fail;
    if (st.st_mode & 0077)
        fprintf(stderr, "Warning: %s can be read by other users but holds the "
                        "shared secret; run: chmod 600 %s\n", path, path);
    rc = kq_config_apply(c, &doc, path, warn_stderr, NULL, err);
    if (rc == 0 && check_shared)
        rc = kq_config_check_shared(c, &doc, path, warn_stderr, NULL, err);
    kq_toml_free(&doc);
    if (rc < 0)
        goto fail;
    if ((rc = kq_config_fill_random(c)) < 0) {
        kq_error_set(err, "cannot draw a random shared secret");
        goto fail;
    }
    if ((rc = set_file(c, path, err)) < 0)
        goto fail;
    return 0;
fail:
    kq_config_free(c);
    return rc;
}

int kq_config_load(const char *explicit_path, bool write_tmpl, kq_config *c,
                   kq_error *err)
{
    return load(explicit_path, write_tmpl, false, c, err);
}

int kq_config_start(const char *module, const char *explicit_path,
                    bool write_template, kq_config *c)
{
    kq_log_level level;
    kq_error err;

    if (load(explicit_path, write_template, module != NULL, c, &err) < 0) {
        fprintf(stderr, "Error: Failed to load config: %s\n", err.msg);
        return 1;
    }
    if (!module)
        return 0;
    if (kq_log_parse_level(c->common_settings.log_level, &level) < 0) {
        fprintf(stderr, "Error: Log level must be one of: trace, debug, info, warn, error\n");
        kq_config_free(c);
        return 1;
    }
    kq_log_init(module, level);
    return 0;
}

int kq_config_init_file(const char *explicit_path)
{
    char path[4096];
    kq_config c;
    kq_error err;
    int rc;

    if (kq_config_path(explicit_path, path, sizeof path) < 0) {
        fprintf(stderr, "Error: configuration path too long\n");
        return 1;
    }
    if (kq_config_init(&c) < 0 || kq_config_fill_random(&c) < 0) {
        fprintf(stderr, "Error: cannot set up a new configuration: out of memory "
                        "or no random numbers\n");
        kq_config_free(&c);
        return 1;
    }
    kq_config_use_template(&c);
    rc = write_template(path, &c, &err);
    kq_config_free(&c);
    if (rc < 0) {
        fprintf(stderr, "Error: %s\n", err.msg);
        return 1;
    }
    say_written(stdout, path);
    return 0;
}
