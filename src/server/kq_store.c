/*
 * kq_store.c - the server's state in SQLite (see kq_store.h).
 *
 * Tables:
 *   kueue_meta(key TEXT PRIMARY KEY, value INTEGER)
 *       schema_version, next_job_id, next_worker_id
 *   jobs(id INTEGER PRIMARY KEY, info TEXT)
 *       the JobInfo as accepted (status Pending), in the protocol's JSON;
 *       written once
 *   states(id INTEGER PRIMARY KEY, status TEXT, stdout BLOB, stderr BLOB,
 *          done_at_ns INTEGER)
 *       for jobs past Pending: the JobStatus JSON, the outputs (BLOBs so
 *       that NUL bytes survive) and the server's time the job ended
 *       (cleanup goes by it).  Kept apart so that the frequent status
 *       writes are small rows on few pages.
 * Migrations are the numbered steps below: a store of version v gets steps
 * v+1 .. KQ_STORE_SCHEMA_VERSION, each in its own transaction.
 */
#include "kq_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kq_dirs.h"
#include "kq_log.h"

struct kq_store {
    sqlite3 *db;
    char *path;
    /* BEGIN and COMMIT run once per turn: prepared once, not parsed each time. */
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
    sqlite3_stmt *insert_job;
    sqlite3_stmt *upsert_state;
    sqlite3_stmt *update_state;
    sqlite3_stmt *remove_job;
    sqlite3_stmt *remove_state;
    sqlite3_stmt *set_meta;
    uint64_t saved_next_job_id, saved_next_worker_id;
    kq_buf json;
};

/* Step n creates schema version n from version n - 1. */
static const char *const migrations[KQ_STORE_SCHEMA_VERSION] = {
    "CREATE TABLE jobs (id INTEGER PRIMARY KEY, info TEXT NOT NULL);"
    "CREATE TABLE states (id INTEGER PRIMARY KEY, status TEXT NOT NULL,"
    " stdout BLOB, stderr BLOB, done_at_ns INTEGER);"
    "INSERT OR REPLACE INTO kueue_meta VALUES ('next_job_id', 0);"
    "INSERT OR REPLACE INTO kueue_meta VALUES ('next_worker_id', 0);",
};

static int db_error(kq_store *st, kq_error *err, const char *what)
{
    int code = sqlite3_errcode(st->db);

    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
        kq_error_set(err, "%s is not a valid SQLite database (corrupt?); "
                          "refusing to touch it", st->path);
        return -EPROTO;
    }
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
        kq_error_set(err, "%s is in use by another kueue_server", st->path);
        return -EBUSY;
    }
    kq_error_set(err, "%s %s: %s", what, st->path, sqlite3_errmsg(st->db));
    return -EIO;
}

static int exec(kq_store *st, const char *sql, kq_error *err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(st, err, "update");
    return 0;
}

/* The schema version of an existing store; -EPROTO when the file is not
 * a Kueue-C store at all. */
static int read_version(kq_store *st, int64_t *version, bool *fresh,
                        kq_error *err)
{
    sqlite3_stmt *q;
    int rc, tables = 0, meta = 0;

    rc = sqlite3_prepare_v2(st->db, "SELECT name FROM sqlite_master WHERE type='table'",
                            -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_error(st, err, "read");
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        tables++;
        if (strcmp((const char *)sqlite3_column_text(q, 0), "kueue_meta") == 0)
            meta = 1;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_error(st, err, "read");
    *fresh = tables == 0;
    *version = 0;
    if (*fresh)
        return 0;
    if (!meta) {
        kq_error_set(err, "%s is an SQLite database but not a Kueue-C state "
                          "file; refusing to touch it", st->path);
        return -EPROTO;
    }
    rc = sqlite3_prepare_v2(st->db, "SELECT value FROM kueue_meta WHERE key='schema_version'",
                            -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_error(st, err, "read");
    if (sqlite3_step(q) == SQLITE_ROW)
        *version = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return 0;
}

/* Brings the schema of a store known to be ours to this build's version,
 * one migration at a time. */
static int migrate(kq_store *st, int64_t version, bool fresh, kq_error *err)
{
    int rc;

    if (fresh && (rc = exec(st, "CREATE TABLE kueue_meta (key TEXT PRIMARY KEY,"
                                " value INTEGER NOT NULL)", err)) < 0)
        return rc;
    for (int64_t v = version; v < KQ_STORE_SCHEMA_VERSION; v++) {
        char bump[128];

        snprintf(bump, sizeof bump, "INSERT OR REPLACE INTO kueue_meta "
                                    "VALUES ('schema_version', %lld);",
                 (long long)v + 1);
        if ((rc = exec(st, "BEGIN", err)) < 0 ||
            (rc = exec(st, migrations[v], err)) < 0 ||
            (rc = exec(st, bump, err)) < 0 ||
            (rc = exec(st, "COMMIT", err)) < 0) {
            exec(st, "ROLLBACK", NULL);
            return rc;
        }
        if (v > 0)
            kq_info("Upgraded %s to schema version %lld", st->path, (long long)v + 1);
    }
    return 0;
}

int kq_store_open(const char *path, kq_store **out, kq_error *err)
{
    kq_store *st = calloc(1, sizeof *st);
    int64_t version = 0;
    bool fresh = false;
    int fd, rc;

    if (!st || !(st->path = strdup(path))) {
        free(st);
        return -ENOMEM;
    }
    if ((rc = kq_dirs_make_parents(path)) < 0) {
        kq_error_set(err, "create the directory of %s: %s", path, strerror(-rc));
        goto fail;
    }
    /* Create it ourselves so that it is private from the first byte. */
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        kq_error_set(err, "open %s: %s", path, strerror(errno));
        goto fail;
    }
    close(fd);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = db_error(st, err, "open");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 0);
    /* Exclusive: a second server on the same file is refused at once.  The
     * file is identified before anything (even the journal mode) is
     * written to it. */
    if ((rc = exec(st, "PRAGMA locking_mode=EXCLUSIVE", err)) < 0 ||
        (rc = read_version(st, &version, &fresh, err)) < 0)
        goto fail;
    if (version > KQ_STORE_SCHEMA_VERSION) {
        kq_error_set(err, "%s was written by a newer Kueue-C (schema version "
                          "%lld, this one knows up to %d); refusing to touch it",
                     path, (long long)version, KQ_STORE_SCHEMA_VERSION);
        rc = -EPROTO;
        goto fail;
    }
    if ((rc = exec(st, "PRAGMA journal_mode=WAL", err)) < 0 ||
        (rc = exec(st, "PRAGMA synchronous=NORMAL", err)) < 0 ||
        (rc = migrate(st, version, fresh, err)) < 0)
        goto fail;
    if (sqlite3_prepare_v2(st->db, "BEGIN", -1, &st->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "COMMIT", -1, &st->commit, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO jobs (id, info) VALUES (?, ?)",
                           -1, &st->insert_job, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO states (id, status, stdout, stderr,"
                           " done_at_ns) VALUES (?, ?, ?, ?, ?)", -1, &st->upsert_state,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "UPDATE states SET status = ?2, stdout = ?3, stderr = ?4,"
                           " done_at_ns = ?5 WHERE id = ?1", -1, &st->update_state,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM jobs WHERE id = ?", -1, &st->remove_job,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM states WHERE id = ?", -1,
                           &st->remove_state, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO kueue_meta VALUES (?, ?)", -1,
                           &st->set_meta, NULL) != SQLITE_OK) {
        rc = db_error(st, err, "prepare statements for");
        goto fail;
    }
    *out = st;
    return 0;
fail:
    kq_store_close(st);
    return rc;
}

void kq_store_close(kq_store *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->begin);
    sqlite3_finalize(st->commit);
    sqlite3_finalize(st->insert_job);
    sqlite3_finalize(st->upsert_state);
    sqlite3_finalize(st->update_state);
    sqlite3_finalize(st->remove_job);
    sqlite3_finalize(st->remove_state);
    sqlite3_finalize(st->set_meta);
    sqlite3_close(st->db);
    kq_buf_free(&st->json);
    free(st->path);
    free(st);
}

static int load_meta(kq_store *st, const char *key, uint64_t *out, kq_error *err)
{
    sqlite3_stmt *q;
    int rc;

    if (sqlite3_prepare_v2(st->db, "SELECT value FROM kueue_meta WHERE key = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return db_error(st, err, "read");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(st, err, "read");
    return 0;
}

static int column_text(sqlite3_stmt *q, int col, kq_str *out)
{
    const void *p = sqlite3_column_blob(q, col);

    if (sqlite3_column_type(q, col) == SQLITE_NULL) {
        *out = KQ_STR_NULL;
        return 0;
    }
    return kq_str_set(out, p ? p : "", (size_t)sqlite3_column_bytes(q, col));
}

int kq_store_load(kq_store *st, kq_store_load_fn *fn, void *ctx,
                  uint64_t *next_job_id, uint64_t *next_worker_id,
                  kq_error *err)
{
    sqlite3_stmt *q;
    int rc = 0, row = SQLITE_DONE;

    *next_job_id = *next_worker_id = 0;
    if ((rc = load_meta(st, "next_job_id", next_job_id, err)) < 0 ||
        (rc = load_meta(st, "next_worker_id", next_worker_id, err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(st->db, "SELECT jobs.id, info, status, stdout, stderr, done_at_ns"
                                   " FROM jobs LEFT JOIN states USING (id) ORDER BY jobs.id",
                           -1, &q, NULL) != SQLITE_OK)
        return db_error(st, err, "read");
    while (rc == 0 && (row = sqlite3_step(q)) == SQLITE_ROW) {
        const char *json = (const char *)sqlite3_column_text(q, 1);
        const char *status = (const char *)sqlite3_column_text(q, 2);
        int64_t done_ns = sqlite3_column_int64(q, 5);
        kq_time done = {done_ns / 1000000000, (uint32_t)(done_ns % 1000000000)};
        kq_str out_text = KQ_STR_NULL, err_text = KQ_STR_NULL;
        kq_job_status st_later;
        kq_job_info info;
        kq_error e;

        if (!json || kq_job_info_decode(json, (size_t)sqlite3_column_bytes(q, 1),
                                        &info, &e) != 0) {
            kq_error_set(err, "%s: job %lld is unreadable (%s); refusing to touch "
                              "the file", st->path, (long long)sqlite3_column_int64(q, 0),
                         json ? e.msg : "no data");
            rc = -EPROTO;
            break;
        }
        if (status) {
            if (kq_job_status_decode(status, (size_t)sqlite3_column_bytes(q, 2),
                                     &st_later, &e) != 0) {
                kq_error_set(err, "%s: the status of job %lld is unreadable (%s); "
                                  "refusing to touch the file", st->path,
                             (long long)info.job_id, e.msg);
                kq_job_info_free(&info);
                rc = -EPROTO;
                break;
            }
            kq_job_status_free(&info.status);
            info.status = st_later;
        }
        if (column_text(q, 3, &out_text) < 0 || column_text(q, 4, &err_text) < 0) {
            kq_str_free(&out_text);
            kq_job_info_free(&info);
            rc = -ENOMEM;
            break;
        }
        if (info.job_id >= *next_job_id)
            *next_job_id = info.job_id + 1;
        /* fn takes what it keeps and leaves the rest zeroed. */
        rc = fn(ctx, &info, &out_text, &err_text, done);
        kq_job_info_free(&info);
        kq_str_free(&out_text);
        kq_str_free(&err_text);
    }
    if (rc == 0 && row != SQLITE_DONE) {
        kq_error_set(err, "read %s: %s", st->path, sqlite3_errmsg(st->db));
        rc = -EIO;
    }
    sqlite3_finalize(q);
    st->saved_next_job_id = *next_job_id;
    st->saved_next_worker_id = *next_worker_id;
    return rc;
}

static int step(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

static int set_meta(kq_store *st, const char *key, uint64_t value)
{
    sqlite3_bind_text(st->set_meta, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st->set_meta, 2, (int64_t)value);
    return step(st->set_meta);
}

static void bind_text(sqlite3_stmt *s, int col, const kq_str *t)
{
    if (t->ptr)
        sqlite3_bind_blob(s, col, t->ptr, (int)t->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, col);
}

/* Writes the JobInfo of a new job, as accepted. */
static int write_info(kq_store *st, kq_job *job)
{
    kq_job_info view = job->info;

    view.status.tag = KQ_JOB_STATUS_PENDING;
    view.status.pending.issued = kq_job_issued(job);
    kq_buf_clear(&st->json);
    if (kq_job_info_encode(&view, &st->json) < 0)
        return -ENOMEM;
    sqlite3_bind_int64(st->insert_job, 1, (int64_t)job->info.job_id);
    sqlite3_bind_text(st->insert_job, 2, kq_buf_ptr(&st->json), (int)st->json.len,
                      SQLITE_STATIC);
    return step(st->insert_job);
}

/* Writes the state of a job past Pending: status, outputs, end time.  A
 * row already there is updated in place. */
static int write_state(kq_store *st, kq_job *job)
{
    bool exists = job->stored_cat != KQ_CAT_COUNT && job->stored_cat != KQ_CAT_PENDING;
    sqlite3_stmt *s = exists ? st->update_state : st->upsert_state;

    kq_buf_clear(&st->json);
    if (kq_job_status_encode(&job->info.status, &st->json) < 0)
        return -ENOMEM;
    sqlite3_bind_int64(s, 1, (int64_t)job->info.job_id);
    sqlite3_bind_text(s, 2, kq_buf_ptr(&st->json), (int)st->json.len, SQLITE_STATIC);
    bind_text(s, 3, &job->stdout_text);
    bind_text(s, 4, &job->stderr_text);
    if (KQ_CAT_BIT(job->cat) & KQ_CAT_DONE)
        sqlite3_bind_int64(s, 5, job->done_at.sec * 1000000000 + (int64_t)job->done_at.nsec);
    else
        sqlite3_bind_null(s, 5);
    return step(s);
}

/* Writes what changed of one job, as it should be found after a restart:
 * an offer is not worth keeping (the job is pending again). */
static int write_job(kq_store *st, kq_job *job)
{
    bool pending = job->cat == KQ_CAT_PENDING || job->cat == KQ_CAT_OFFERED;
    int rc;

    if (job->stored_cat == KQ_CAT_COUNT && (rc = write_info(st, job)) < 0)
        return rc;
    if (pending) {
        /* Back in the queue (after a defer or a lost worker). */
        if (job->stored_cat != KQ_CAT_COUNT && job->stored_cat != KQ_CAT_PENDING) {
            sqlite3_bind_int64(st->remove_state, 1, (int64_t)job->info.job_id);
            return step(st->remove_state);
        }
        return 0;
    }
    return write_state(st, job);
}

int kq_store_commit(kq_store *st, kq_jobs *jobs, uint64_t next_worker_id,
                    kq_error *err)
{
    /* The next job id is the highest stored id + 1 unless the highest jobs
     * were removed: so it is only written along with removals, which keeps
     * the meta page out of most commits. */
    bool ids = (jobs->nremoved && jobs->next_id != st->saved_next_job_id) ||
               next_worker_id != st->saved_next_worker_id;
    int rc;

    if (!jobs->dirty_head && !jobs->nremoved && !ids)
        return 0;
    if ((rc = step(st->begin)) < 0)
        return db_error(st, err, "write");
    for (size_t i = 0; i < jobs->nremoved; i++) {
        sqlite3_bind_int64(st->remove_job, 1, (int64_t)jobs->removed[i]);
        sqlite3_bind_int64(st->remove_state, 1, (int64_t)jobs->removed[i]);
        if ((rc = step(st->remove_job)) < 0 || (rc = step(st->remove_state)) < 0)
            goto fail;
    }
    for (kq_job *job = jobs->dirty_head; job; job = job->dirty_next)
        if ((rc = write_job(st, job)) < 0)
            goto fail;
    if (ids && ((rc = set_meta(st, "next_job_id", jobs->next_id)) < 0 ||
                (rc = set_meta(st, "next_worker_id", next_worker_id)) < 0))
        goto fail;
    if ((rc = step(st->commit)) < 0)
        goto fail;
    for (kq_job *job = jobs->dirty_head; job; job = job->dirty_next)
        job->stored_cat = job->cat == KQ_CAT_OFFERED ? KQ_CAT_PENDING : job->cat;
    if (ids)
        st->saved_next_job_id = jobs->next_id;
    kq_jobs_clear_changes(jobs);
    st->saved_next_worker_id = next_worker_id;
    return 0;
fail:
    if (rc == -EIO)
        db_error(st, err, "write");
    exec(st, "ROLLBACK", NULL);
    return rc;
}
