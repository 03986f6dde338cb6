/*
 * fuzz_store.c - libFuzzer target: the store opened on any journal.
 *
 * The input becomes the journal of a pristine store: after the first byte,
 * either frames (a 2-byte length, then that many bytes of records, each
 * written as a valid frame) when the first byte is even, or raw bytes
 * after the header when it is odd (torn and damaged frames).  Opening must
 * fold it or refuse it with -EPROTO, never crash, leak or read out of
 * bounds; what it accepts must load and close again.  With bit 1 of the
 * first byte set it is opened to salvage it, which must always succeed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kq_journal.h"
#include "kq_log.h"
#include "kq_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128], journal_path[160];
static char *pristine;
static size_t pristine_len;
static uint64_t owner, generation;

static int write_file(const char *p, const void *bytes, size_t n)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int ok = fd >= 0 && write(fd, bytes, n) == (ssize_t)n;

    if (fd >= 0)
        close(fd);
    return ok ? 0 : -1;
}

/* Removes the journals salvages set aside. */
static void remove_set_aside(void)
{
    char name[sizeof dir + sizeof ((struct dirent *)0)->d_name + 1];
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        if (strstr(e->d_name, "-changes.damaged-")) {
            snprintf(name, sizeof name, "%s/%s", dir, e->d_name);
            unlink(name);
        }
    }
    if (d)
        closedir(d);
}

/* Leaves nothing in /tmp when libFuzzer exits. */
static void cleanup(void)
{
    char wal[192], shm[192];

    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(journal_path);
    unlink(wal);
    unlink(shm);
    remove_set_aside();
    rmdir(dir);
}

/* A store with no jobs, kept as bytes to start every run from. */
static void setup(void)
{
    kq_store *st;
    kq_journal j;
    kq_error err;
    FILE *fp;

    kq_log_threshold = KQ_LOG_ERROR;
    snprintf(dir, sizeof dir, "/tmp/kq-fuzz-store-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/state.sqlite3", dir);
    snprintf(journal_path, sizeof journal_path, "%s-changes", path);
    atexit(cleanup);
    if (kq_store_open(path, false, &st, &err) < 0)
        abort();
    kq_store_close(st);
    if (kq_journal_open(&j, journal_path, &err) < 0)
        abort();
    owner = j.owner;
    generation = j.generation;
    kq_journal_close(&j);
    fp = fopen(path, "rb");
    if (!fp || fseek(fp, 0, SEEK_END) < 0)
        abort();
    pristine_len = (size_t)ftell(fp);
    rewind(fp);
    pristine = malloc(pristine_len);
    if (!pristine || fread(pristine, 1, pristine_len, fp) != pristine_len)
        abort();
    fclose(fp);
}

static int drop_env(void *ctx, uint64_t id, kq_job_env *env)
{
    (void)ctx;
    (void)id;
    (void)env;
    return 0;
}

static int drop_job(void *ctx, kq_job_info *info, uint64_t env_id, kq_str *out,
                    kq_str *err_text, kq_time done)
{
    (void)ctx;
    (void)env_id;
    (void)info;
    (void)out;
    (void)err_text;
    (void)done;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t next_job, next_worker;
    kq_store *st;
    kq_journal j;
    kq_error err;
    bool salvage;
    int rc;

    if (!pristine)
        setup();
    if (size == 0)
        return 0;
    if (write_file(path, pristine, pristine_len) < 0)
        abort();
    unlink(journal_path);
    if (kq_journal_open(&j, journal_path, &err) < 0 ||
        kq_journal_reset(&j, owner, generation, &err) < 0)
        abort();
    if (data[0] % 2 == 0) {
        for (size_t i = 1; i + 2 <= size;) {
            size_t n = (size_t)data[i] | (size_t)data[i + 1] << 8;

            i += 2;
            if (n > size - i)
                n = size - i;
            if (n && kq_journal_append(&j, data + i, n, &err) < 0)
                abort();
            i += n;
        }
    } else if (size > 1 && pwrite(j.fd, data + 1, size - 1, KQ_JOURNAL_HEADER) < 0) {
        abort();
    }
    kq_journal_close(&j);
    salvage = data[0] & 2;
    rc = kq_store_open(path, salvage, &st, &err);
    remove_set_aside();
    if (salvage && rc != 0) {
        fprintf(stderr, "kq_store_open (salvage): %d: %s\n", rc, err.msg);
        abort();
    }
    if (rc == 0) {
        if (kq_store_load(st, drop_job, drop_env, NULL, &next_job, &next_worker, &err) < 0 &&
            strstr(err.msg, "unreadable") == NULL)
            abort();
        kq_store_close(st);
    } else if (rc != -EPROTO) {
        fprintf(stderr, "kq_store_open: %d: %s\n", rc, err.msg);
        abort();
    }
    return 0;
}
