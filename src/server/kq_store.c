/*
 * kq_store.c - the server's state in SQLite (see kq_store.h).
 *
 * Tables:
 *   kueue_meta(key TEXT PRIMARY KEY, value INTEGER)
 *       schema_version, next_job_id, next_worker_id; store_id (random,
 *       names the journal's owner), journal_generation and journal_offset
 *       (the journal is folded up to there)
 *   jobs(id INTEGER PRIMARY KEY, info TEXT, env INTEGER)
 *       the JobInfo as accepted (status Pending), in the protocol's JSON,
 *       without its environment, which env names (NULL: none); written
 *       once
 *   environments(id INTEGER PRIMARY KEY, vars BLOB, adds INTEGER)
 *       the environments jobs run with, each once (kq_envs): the
 *       variables back to back, each ended by a NUL, and whether they
 *       add to the worker's own; deleted with the last job naming one
 *   states(id INTEGER PRIMARY KEY, status TEXT, stdout BLOB, stderr BLOB,
 *          done_at_ns INTEGER)
 *       for jobs past Pending: the JobStatus JSON, the outputs (BLOBs so
 *       that NUL bytes survive) and the server's time the job ended
 *       (cleanup goes by it).  Kept apart so that the frequent status
 *       writes are small rows on few pages.
 *   alloc_queues(id INTEGER PRIMARY KEY, next_alloc INTEGER, queue TEXT)
 *       allocation queues (kq_alloc.c): the AllocQueue JSON with its
 *       allocations and events, and the number its next allocation gets
 *   drained_workers(name TEXT PRIMARY KEY)
 *       the names of workers drained with kueue drain (kq_srv_drain.c),
 *       so that a drain outlasts a restart of the server
 * A turn's commit appends one frame of records (below) to the journal,
 * PATH-changes (kq_journal): one write() of about the records' bytes, where
 * a database commit would rewrite several pages.  The journal is folded
 * into the tables, oldest frames first, in transactions that also move
 * journal_offset, so that a frame is applied once however a fold ends:
 * by the folder thread when the server is idle or the journal grows past
 * its limit, and when the store is opened (so loading reads the tables
 * only) and closes.  Once all of it is folded and the database synced (a
 * checkpoint), the journal is emptied and its generation goes up.  On two
 * cores or more the folding costs the server's loop nothing but the
 * moments the folder holds the journal to empty it.
 * Migrations are the numbered steps below: a store of version v gets steps
 * v+1 .. KQ_STORE_SCHEMA_VERSION, each in its own transaction.
 */
#include "kq_store.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kq_dirs.h"
#include "kq_journal.h"
#include "kq_log.h"

struct kq_store {
    sqlite3 *db;
    char *path;
    /* BEGIN and COMMIT run once per fold: prepared once, not parsed each time. */
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
    sqlite3_stmt *insert_job;
    sqlite3_stmt *insert_job_env;
    sqlite3_stmt *upsert_env;
    sqlite3_stmt *remove_env;
    sqlite3_stmt *upsert_state;
    sqlite3_stmt *remove_job;
    sqlite3_stmt *remove_state;
    sqlite3_stmt *set_meta;
    sqlite3_stmt *put_queue;
    sqlite3_stmt *remove_queue;
    sqlite3_stmt *put_drain;
    sqlite3_stmt *remove_drain;
    kq_journal journal;
    uint64_t id;                 /* store_id: the journal's owner */
    /* Journal bytes of generation fold_gen below fold_off are in the
     * tables (a journal of a newer generation is not folded at all). */
    uint64_t fold_off, fold_gen;
    uint64_t saved_next_job_id, saved_next_worker_id;
    int wal_pages;               /* in the WAL since the last checkpoint */
    bool opened;                 /* open succeeded: closing folds the journal */
    bool salvage;                /* opening skips malformed frames */
    bool check_json;             /* folds decode the JSON they store (when opening) */
    uint64_t salvaged_frames;    /* ... how many */
    bool ids_after_damage;       /* the next ids were written since damage was found */
    kq_buf json, records;
    kq_buf staged;               /* queue and drain records for the next commit */
    /* Environments written by the commit under way: stored once it is. */
    kq_env **written;
    size_t nwritten, written_cap;
    /* Frames being folded, and where each record starts in them. */
    kq_buf batch;
    struct batch_rec *recs;
    size_t nrecs, recs_cap;
    /*
     * Once kq_store_start_folding ran, the folder thread owns the database,
     * the fold_* fields, wal_pages and the batch; the server's thread owns
     * the records.  Under mu: the journal (appended by the server, emptied
     * by the folder), last_write_ms, folded/folded_gen (fold_off as last
     * published), the wake_* flags and stop.
     */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t folder;
    bool folding, stop;
    uint64_t log_max;            /* journal bytes folded even when busy */
    bool wake_on_write;          /* the folder waits for any write */
    bool wake_on_big;            /* ... for idle time, or the journal past its limit */
    uint64_t last_write_ms;      /* CLOCK_MONOTONIC */
    uint64_t folded, folded_gen;
    /* A frame the folder cannot fold (damaged, or malformed): folding
     * stops there; damage says why (under mu). */
    atomic_bool damaged;
    kq_error damage;
    uint64_t damage_logged_ms;   /* the folder's */
};

typedef struct batch_rec {
    size_t at;       /* offset in batch */
    uint64_t id;
    uint8_t kind;
    bool moot;       /* a later record of the batch rewrites all it writes */
} batch_rec;

/* Record kinds: a byte, the job id, then the fields listed; numbers are
 * little-endian u64, byte strings a u64 length (UINT64_MAX: NULL) and the
 * bytes. */
enum {
    REC_INFO = 1, /* JobInfo JSON as accepted: the jobs row */
    REC_STATE,    /* status JSON, stdout, stderr, done_at_ns: the states row */
    REC_UNSTATE,  /* the job is pending again: no states row */
    REC_REMOVE,   /* neither row */
    REC_META,     /* next_job_id (in place of the id), next_worker_id */
    REC_INFO_ENV, /* JobInfo JSON, environment id: the jobs row */
    REC_ENV,      /* (environment id) variables, adds: its row */
    REC_UNENV,    /* (environment id) no such row */
    REC_QUEUE,    /* an allocation queue's next_alloc, then its JSON
                     (NULL: the row goes) */
    REC_DRAIN,    /* (1: drained, 0: undrained in place of the id) a
                     worker's name: its drained_workers row, or none */
};

static int migrate_log_table(kq_store *st, kq_error *err);

/* Step n creates schema version n from version n - 1: SQL, or code. */
static const struct migration {
    const char *sql;
    int (*run)(kq_store *st, kq_error *err);
} migrations[KQ_STORE_SCHEMA_VERSION] = {
    {"CREATE TABLE jobs (id INTEGER PRIMARY KEY, info TEXT NOT NULL);"
     "CREATE TABLE states (id INTEGER PRIMARY KEY, status TEXT NOT NULL,"
     " stdout BLOB, stderr BLOB, done_at_ns INTEGER);"
     "INSERT OR REPLACE INTO kueue_meta VALUES ('next_job_id', 0);"
     "INSERT OR REPLACE INTO kueue_meta VALUES ('next_worker_id', 0);", NULL},
    /* Version 2 appended each commit to this table. */
    {"CREATE TABLE log (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);", NULL},
    /* Version 3: the journal file instead; what a crash left in the log is
     * applied first. */
    {NULL, migrate_log_table},
    /* Version 4: a job's JobInfo may hold workflow fields (dependencies,
     * priority, time limit, retries, array), which a version 3 server
     * would ignore, running a job before those it waits for: the version
     * makes it refuse the file; and environments, each kept once. */
    {"CREATE TABLE environments (id INTEGER PRIMARY KEY, vars BLOB NOT NULL,"
     " adds INTEGER NOT NULL);"
     "ALTER TABLE jobs ADD COLUMN env INTEGER;", NULL},
    /* Version 5: allocation queues (a version 4 server would take their
     * journal records for damage). */
    {"CREATE TABLE alloc_queues (id INTEGER PRIMARY KEY, next_alloc INTEGER NOT NULL,"
     " queue TEXT NOT NULL);", NULL},
    /* Version 6: drained workers' names (a version 5 server would take
     * their journal records for damage). */
    {"CREATE TABLE drained_workers (name TEXT PRIMARY KEY);", NULL},
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

/* Every commit reports the WAL's size here. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    ((kq_store *)arg)->wal_pages = pages;
    return SQLITE_OK;
}

static int exec(kq_store *st, const char *sql, kq_error *err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(st, err, "update");
    return 0;
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

/* The statements on the job tables (which exist from version 1 on);
 * again is a no-op. */
static int prepare(kq_store *st, kq_error *err)
{
    if (st->begin)
        return 0;
    if (sqlite3_prepare_v2(st->db, "BEGIN", -1, &st->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "COMMIT", -1, &st->commit, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO jobs (id, info) VALUES (?, ?)",
                           -1, &st->insert_job, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO states (id, status, stdout, stderr,"
                           " done_at_ns) VALUES (?, ?, ?, ?, ?)", -1, &st->upsert_state,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM jobs WHERE id = ?", -1, &st->remove_job,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM states WHERE id = ?", -1,
                           &st->remove_state, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO kueue_meta VALUES (?, ?)", -1,
                           &st->set_meta, NULL) != SQLITE_OK)
        return db_error(st, err, "prepare statements for");
    return 0;
}

/* The statements on the queue table (version 5 on) and the drained
 * workers' (version 6 on): once migrated. */
static int prepare_queues(kq_store *st, kq_error *err)
{
    if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO alloc_queues (id, next_alloc, queue)"
                                   " VALUES (?, ?, ?)", -1, &st->put_queue, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM alloc_queues WHERE id = ?", -1,
                           &st->remove_queue, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO drained_workers (name) VALUES (?)", -1,
                           &st->put_drain, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM drained_workers WHERE name = ?", -1,
                           &st->remove_drain, NULL) != SQLITE_OK)
        return db_error(st, err, "prepare statements for");
    return 0;
}

/* The statements on the tables of version 4 (environments), once the
 * schema is there. */
static int prepare_env(kq_store *st, kq_error *err)
{
    if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO jobs (id, info, env) VALUES (?, ?, ?)",
                           -1, &st->insert_job_env, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO environments (id, vars, adds)"
                                   " VALUES (?, ?, ?)", -1, &st->upsert_env, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "DELETE FROM environments WHERE id = ?", -1,
                           &st->remove_env, NULL) != SQLITE_OK)
        return db_error(st, err, "prepare statements for");
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
        const struct migration *m = &migrations[v];
        char bump[128];

        snprintf(bump, sizeof bump, "INSERT OR REPLACE INTO kueue_meta "
                                    "VALUES ('schema_version', %lld);",
                 (long long)v + 1);
        if ((rc = exec(st, "BEGIN", err)) < 0 ||
            (m->sql && (rc = exec(st, m->sql, err)) < 0) ||
            (m->run && (rc = m->run(st, err)) < 0) ||
            (rc = exec(st, bump, err)) < 0 ||
            (rc = exec(st, "COMMIT", err)) < 0) {
            exec(st, "ROLLBACK", NULL);
            return rc;
        }
        if (!fresh)
            kq_info("Upgraded %s to schema version %lld", st->path, (long long)v + 1);
    }
    return 0;
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

/* ---- records ---- */

static void put_u64(kq_buf *b, uint64_t v)
{
    v = htole64(v);
    kq_buf_append(b, &v, sizeof v);
}

/* A length-prefixed byte string; UINT64_MAX as length means NULL. */
static void put_bytes(kq_buf *b, const void *p, size_t n, bool present)
{
    put_u64(b, present ? (uint64_t)n : UINT64_MAX);
    if (present)
        kq_buf_append(b, p, n);
}

static void put_head(kq_buf *b, char kind, uint64_t id)
{
    kq_buf_putc(b, kind);
    put_u64(b, id);
}

/* The record of environment e, unless stored already or in this commit
 * (kept in st->written until the commit is). */
static int record_env(kq_store *st, kq_env *e, kq_buf *b)
{
    const kq_str_list *l = &e->env.variables;

    for (size_t i = 0; i < st->nwritten; i++)
        if (st->written[i] == e)
            return 0;
    if (st->nwritten == st->written_cap) {
        size_t cap = st->written_cap ? 2 * st->written_cap : 16;
        kq_env **w = realloc(st->written, cap * sizeof *w);

        if (!w)
            return -ENOMEM;
        st->written = w;
        st->written_cap = cap;
    }
    st->written[st->nwritten++] = e;
    kq_buf_clear(&st->json);
    for (size_t i = 0; i < l->len; i++)
        kq_buf_append(&st->json, l->items[i].ptr, l->items[i].len + 1);
    put_head(b, REC_ENV, e->id);
    put_bytes(b, kq_buf_ptr(&st->json), st->json.len, true);
    put_u64(b, e->env.add_to_worker);
    return st->json.oom ? -ENOMEM : 0;
}

/* The records of what changed of one job, as it should be found after a
 * restart: an offer is not worth keeping (the job is pending again).  An
 * environment not stored yet goes before the job that names it. */
static int record_job(kq_store *st, kq_job *job, kq_buf *b)
{
    bool pending = job->cat == KQ_CAT_PENDING || job->cat == KQ_CAT_OFFERED;
    uint64_t id = job->info.job_id;
    int rc;

    if (job->stored_cat == KQ_CAT_COUNT || job->info_dirty) {
        kq_job_info view = job->info;

        if (job->env && !job->env->stored && (rc = record_env(st, job->env, b)) < 0)
            return rc;
        view.status.tag = KQ_JOB_STATUS_PENDING;
        view.status.pending.issued = kq_job_issued(job);
        kq_buf_clear(&st->json);
        if (kq_job_info_encode(&view, &st->json) < 0)
            return -ENOMEM;
        put_head(b, job->env ? REC_INFO_ENV : REC_INFO, id);
        put_bytes(b, kq_buf_ptr(&st->json), st->json.len, true);
        if (job->env)
            put_u64(b, job->env->id);
    }
    if (pending) {
        /* Back in the queue (after a defer or a lost worker). */
        if (job->stored_cat != KQ_CAT_COUNT && job->stored_cat != KQ_CAT_PENDING)
            put_head(b, REC_UNSTATE, id);
        return 0;
    }
    kq_buf_clear(&st->json);
    if (kq_job_status_encode(&job->info.status, &st->json) < 0)
        return -ENOMEM;
    put_head(b, REC_STATE, id);
    put_bytes(b, kq_buf_ptr(&st->json), st->json.len, true);
    put_bytes(b, job->stdout_text.ptr, job->stdout_text.len, job->stdout_text.ptr);
    put_bytes(b, job->stderr_text.ptr, job->stderr_text.len, job->stderr_text.ptr);
    put_u64(b, KQ_CAT_BIT(job->cat) & KQ_CAT_DONE
                   ? (uint64_t)(job->done_at.sec * 1000000000 + (int64_t)job->done_at.nsec)
                   : UINT64_MAX);
    return 0;
}

typedef struct cursor {
    const char *p, *end;
} cursor;

static bool get_u64(cursor *c, uint64_t *v)
{
    if ((size_t)(c->end - c->p) < sizeof *v)
        return false;
    memcpy(v, c->p, sizeof *v);
    *v = le64toh(*v);
    c->p += sizeof *v;
    return true;
}

/* Binds a length-prefixed byte string (NULL as SQL NULL) as col. */
static bool bind_bytes(cursor *c, sqlite3_stmt *s, int col, bool text)
{
    uint64_t n;

    if (!get_u64(c, &n))
        return false;
    if (n == UINT64_MAX) {
        sqlite3_bind_null(s, col);
        return true;
    }
    if (n > (uint64_t)(c->end - c->p) || n > INT32_MAX)
        return false;
    if (text)
        sqlite3_bind_text(s, col, c->p, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_blob(s, col, c->p, (int)n, SQLITE_STATIC);
    c->p += n;
    return true;
}

/* Applies one record, as index_records checked it, to the tables: 0 or
 * -EIO (-EPROTO only for a record it did not check). */
static int apply_record(kq_store *st, cursor *c)
{
    sqlite3_stmt *s = st->upsert_state;
    char kind = *c->p++;
    uint64_t id, v;
    int rc;

    if (!get_u64(c, &id))
        return -EPROTO;
    switch (kind) {
    case REC_INFO:
        sqlite3_bind_int64(st->insert_job, 1, (int64_t)id);
        if (!bind_bytes(c, st->insert_job, 2, true))
            return -EPROTO;
        return step(st->insert_job);
    case REC_INFO_ENV:
        sqlite3_bind_int64(st->insert_job_env, 1, (int64_t)id);
        if (!bind_bytes(c, st->insert_job_env, 2, true) || !get_u64(c, &v))
            return -EPROTO;
        sqlite3_bind_int64(st->insert_job_env, 3, (int64_t)v);
        return step(st->insert_job_env);
    case REC_ENV:
        sqlite3_bind_int64(st->upsert_env, 1, (int64_t)id);
        if (!bind_bytes(c, st->upsert_env, 2, false) || !get_u64(c, &v))
            return -EPROTO;
        sqlite3_bind_int64(st->upsert_env, 3, (int64_t)(v != 0));
        return step(st->upsert_env);
    case REC_UNENV:
        sqlite3_bind_int64(st->remove_env, 1, (int64_t)id);
        return step(st->remove_env);
    case REC_STATE:
        sqlite3_bind_int64(s, 1, (int64_t)id);
        if (!bind_bytes(c, s, 2, true) || !bind_bytes(c, s, 3, false) ||
            !bind_bytes(c, s, 4, false) || !get_u64(c, &v))
            return -EPROTO;
        if (v == UINT64_MAX)
            sqlite3_bind_null(s, 5);
        else
            sqlite3_bind_int64(s, 5, (int64_t)v);
        return step(s);
    case REC_UNSTATE:
        sqlite3_bind_int64(st->remove_state, 1, (int64_t)id);
        return step(st->remove_state);
    case REC_REMOVE:
        sqlite3_bind_int64(st->remove_job, 1, (int64_t)id);
        sqlite3_bind_int64(st->remove_state, 1, (int64_t)id);
        if ((rc = step(st->remove_job)) < 0)
            return rc;
        return step(st->remove_state);
    case REC_META:
        if (!get_u64(c, &v))
            return -EPROTO;
        if ((rc = set_meta(st, "next_job_id", id)) < 0)
            return rc;
        return set_meta(st, "next_worker_id", v);
    case REC_QUEUE: {
        uint64_t n;
        cursor peek;

        if (!get_u64(c, &v))
            return -EPROTO;
        peek = *c;
        if (!get_u64(&peek, &n))
            return -EPROTO;
        if (n == UINT64_MAX) {
            sqlite3_bind_int64(st->remove_queue, 1, (int64_t)id);
            return step(st->remove_queue);
        }
        sqlite3_bind_int64(st->put_queue, 1, (int64_t)id);
        sqlite3_bind_int64(st->put_queue, 2, (int64_t)v);
        if (!bind_bytes(c, st->put_queue, 3, true))
            return -EPROTO;
        return step(st->put_queue);
    }
    case REC_DRAIN:
        s = id ? st->put_drain : st->remove_drain;
        if (!bind_bytes(c, s, 1, true))
            return -EPROTO;
        return step(s);
    default:
        return -EPROTO;
    }
}

static int index_records(kq_store *st, size_t from);
static bool json_readable(kq_store *st, size_t first, kq_error *err);
static bool env_readable(const char *p, size_t n, kq_error *err);
static int apply_batch(kq_store *st);

/* Migration to version 3 (inside its transaction): applies the version 2
 * log, drops it, and names the journal's owner. */
static int migrate_log_table(kq_store *st, kq_error *err)
{
    sqlite3_stmt *q;
    uint64_t id = 0;
    int rc, row;

    if ((rc = prepare(st, err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(st->db, "SELECT seq, data FROM log ORDER BY seq", -1, &q, NULL) !=
        SQLITE_OK)
        return db_error(st, err, "read");
    rc = 0;
    /* A row is a batch, checked and applied as a fold would. */
    while (rc == 0 && (row = sqlite3_step(q)) == SQLITE_ROW) {
        kq_buf_clear(&st->batch);
        st->nrecs = 0;
        kq_buf_append(&st->batch, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1));
        rc = st->batch.oom ? -ENOMEM : index_records(st, 0);
        if (rc == 0 && !json_readable(st, 0, err))
            rc = -EPROTO;
        if (rc == -EPROTO)
            kq_error_set(err, "%s: log row %lld is malformed; refusing to touch the file",
                         st->path, (long long)sqlite3_column_int64(q, 0));
        else if (rc == 0)
            rc = apply_batch(st);
    }
    if (rc == 0 && row != SQLITE_DONE)
        rc = -EIO;
    sqlite3_finalize(q);
    if (rc == -EIO)
        return db_error(st, err, "upgrade");
    if (rc == -ENOMEM)
        kq_error_set(err, "out of memory upgrading %s", st->path);
    if (rc < 0)
        return rc;
    while (!id) {
        if (getrandom(&id, sizeof id, 0) != (ssize_t)sizeof id) {
            kq_error_set(err, "getrandom: %s", strerror(errno));
            return -EIO;
        }
        id &= INT64_MAX;
    }
    if ((rc = exec(st, "DROP TABLE log", err)) < 0 ||
        (rc = set_meta(st, "store_id", id)) < 0 ||
        (rc = set_meta(st, "journal_generation", 0)) < 0 ||
        (rc = set_meta(st, "journal_offset", 0)) < 0)
        return rc == -EIO ? db_error(st, err, "upgrade") : rc;
    return 0;
}

/* ---- opening and closing ---- */

/* The journal at PATH-changes, checked against what the database says of
 * it: its owner, and which of its frames are already folded. */
static int open_journal(kq_store *st, bool new_store, kq_error *err)
{
    kq_journal *j = &st->journal;
    uint64_t gen = 0, off = 0;
    size_t n = strlen(st->path) + sizeof "-changes";
    char *path = malloc(n);
    int rc;

    if (!path)
        return -ENOMEM;
    snprintf(path, n, "%s-changes", st->path);
    if ((rc = load_meta(st, "store_id", &st->id, err)) < 0 ||
        (rc = load_meta(st, "journal_generation", &gen, err)) < 0 ||
        (rc = load_meta(st, "journal_offset", &off, err)) < 0) {
        free(path);
        return rc;
    }
    /* What is folded is not checked again: damage there costs nothing. */
    rc = kq_journal_open_from(j, path, &(kq_journal_scan){gen, off, st->salvage}, err);
    free(path);
    if (rc < 0)
        return rc;
    if (j->end == 0) {
        if (j->created && !new_store)
            kq_warn("%s was missing: started a new one (changes not yet folded into %s, "
                    "if any, are lost)", j->path, st->path);
        st->fold_off = KQ_JOURNAL_HEADER;
        st->fold_gen = gen + 1;
        return kq_journal_reset(j, st->id, gen + 1, err);
    }
    if (j->owner != st->id) {
        kq_error_set(err, "%s belongs to another state file than %s; refusing to touch "
                          "either (move it aside if %s was replaced on purpose)",
                     j->path, st->path, st->path);
        return -EPROTO;
    }
    if (j->generation == gen + 1) {
        /* Emptied after a fold that the database has recorded. */
        st->fold_off = KQ_JOURNAL_HEADER;
    } else if (j->generation == gen) {
        /* Folded up to off; a journal shorter than that lost an unsynced
         * tail in a power loss, and all it holds is in the tables. */
        st->fold_off = off < KQ_JOURNAL_HEADER ? KQ_JOURNAL_HEADER
                       : off > j->end          ? j->end
                                               : off;
    } else {
        kq_error_set(err, "%s is of generation %llu, but %s expects %llu or %llu (one of "
                          "them restored from an older copy?); refusing to touch either",
                     j->path, (unsigned long long)j->generation, st->path,
                     (unsigned long long)gen, (unsigned long long)gen + 1);
        return -EPROTO;
    }
    st->fold_gen = j->generation;
    return 0;
}

/* Makes the tables durable: a checkpoint (the WAL is copied into the
 * file, both synced, and the WAL emptied). */
static int checkpoint_db(kq_store *st, kq_error *err)
{
    if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) !=
        SQLITE_OK)
        return db_error(st, err, "checkpoint");
    st->wal_pages = 0;
    return 0;
}

/* Makes fold_off visible to the server's thread (under mu). */
static void publish(kq_store *st)
{
    st->folded = st->fold_off;
    st->folded_gen = st->fold_gen;
}

/* Empties a journal that is folded to its end, once the tables are
 * durable (checkpoint_db): only then may its frames go.  Under mu. */
static int drop_folded(kq_store *st, kq_error *err)
{
    kq_journal *j = &st->journal;
    int rc;

    if (st->fold_gen != j->generation || st->fold_off != j->end || j->end <= KQ_JOURNAL_HEADER)
        return 0;
    if ((rc = kq_journal_reset(j, st->id, j->generation + 1, err)) < 0)
        return rc;
    st->fold_off = KQ_JOURNAL_HEADER;
    st->fold_gen = j->generation;
    publish(st);
    return 0;
}

/* checkpoint_db, then drop_folded: with no folder thread running. */
static int settle(kq_store *st, kq_error *err)
{
    int rc = checkpoint_db(st, err);

    return rc < 0 ? rc : drop_folded(st, err);
}

static int fold_step(kq_store *st, kq_journal *j, kq_error *err);

/* After a salvage folded what it could: the states of jobs whose
 * accepting frame was lost go, what the tables hold is made durable, and
 * the damaged journal is kept under another name, an empty one in its
 * place. */
static int finish_salvage(kq_store *st, kq_error *err)
{
    kq_journal *j = &st->journal;
    size_t n = strlen(j->path) + 64, gaps = j->ngaps;
    char *aside = malloc(n), stamp[32];
    struct tm tm;
    time_t now = time(NULL);
    uint64_t gen = j->generation, dropped = j->dropped, dropped_at = j->dropped_at,
             skipped = 0, first = gaps ? j->gaps[0].off : 0;
    int rc;

    if (!aside)
        return -ENOMEM;
    for (size_t i = 0; i < gaps; i++)
        skipped += j->gaps[i].len;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    /* The journal is folded to its end: the tables say so, so that the
     * empty journal of the next generation is taken as emptied after it. */
    if ((rc = exec(st, "BEGIN;"
                       "DELETE FROM states WHERE id NOT IN (SELECT id FROM jobs)", err)) < 0)
        goto out;
    if (set_meta(st, "journal_generation", gen) < 0 ||
        set_meta(st, "journal_offset", j->end) < 0) {
        rc = db_error(st, err, "salvage");
        exec(st, "ROLLBACK", NULL);
        goto out;
    }
    if ((rc = exec(st, "COMMIT", err)) < 0) {
        exec(st, "ROLLBACK", NULL);
        goto out;
    }
    if ((rc = checkpoint_db(st, err)) < 0)
        goto out;
    for (int i = 0; i < 100; i++) {
        snprintf(aside, n, i ? "%s.damaged-%s-%d" : "%s.damaged-%s", j->path, stamp, i);
        if ((rc = kq_journal_set_aside(j, aside, err)) != -EEXIST)
            break;
    }
    if (rc < 0 || (rc = kq_journal_reset(j, st->id, gen + 1, err)) < 0)
        goto out;
    st->fold_off = KQ_JOURNAL_HEADER;
    st->fold_gen = gen + 1;
    kq_buf_clear(&st->json);
    if (gaps)
        kq_buf_printf(&st->json, "; skipped %zu damaged frame%s (%llu bytes, the first at "
                                 "byte %llu)", gaps, gaps == 1 ? "" : "s",
                      (unsigned long long)skipped, (unsigned long long)first);
    if (dropped)
        kq_buf_printf(&st->json, "; dropped the %llu bytes from byte %llu on (a damaged "
                                 "frame whose length is lost)", (unsigned long long)dropped,
                      (unsigned long long)dropped_at);
    if (st->salvaged_frames)
        kq_buf_printf(&st->json, "; skipped %llu malformed frame%s",
                      (unsigned long long)st->salvaged_frames,
                      st->salvaged_frames == 1 ? "" : "s");
    kq_warn("Salvaged %s%s.  The changes they held are lost, the rest is in %s; the "
            "damaged journal is kept as %s", j->path, kq_buf_ptr(&st->json), st->path, aside);
out:
    free(aside);
    return rc;
}

int kq_store_open(const char *path, bool salvage, kq_store **out, kq_error *err)
{
    kq_store *st = calloc(1, sizeof *st);
    int64_t version = 0;
    bool fresh = false;
    int fd, rc;

    pthread_condattr_t attr;

    if (!st || !(st->path = strdup(path))) {
        free(st);
        return -ENOMEM;
    }
    st->journal.fd = -1;
    st->salvage = salvage;
    /* What opening folds was written by another run (or by hand); what the
     * folder folds later, by this one. */
    st->check_json = true;
    /* Waits measure idle time: on the monotonic clock. */
    pthread_mutex_init(&st->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&st->wake, &attr);
    pthread_condattr_destroy(&attr);
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
    /* Checkpoints are ours (this replaces SQLite's automatic ones): when
     * the server is idle, or past KQ_STORE_WAL_MAX_PAGES (see
     * after_write). */
    sqlite3_wal_hook(st->db, on_wal, st);
    if ((rc = exec(st, "PRAGMA journal_mode=WAL", err)) < 0 ||
        (rc = exec(st, "PRAGMA synchronous=NORMAL", err)) < 0 ||
        (rc = migrate(st, version, fresh, err)) < 0 ||
        (rc = prepare(st, err)) < 0 ||
        (rc = prepare_env(st, err)) < 0 ||
        (rc = prepare_queues(st, err)) < 0 ||
        (rc = open_journal(st, fresh || version < 3, err)) < 0)
        goto fail;
    /* What a crash left in the journal goes into the tables before
     * loading, and the journal starts empty. */
    while ((rc = fold_step(st, &st->journal, err)) > 0)
        ;
    if (rc == 0 && salvage) {
        if (st->journal.ngaps || st->journal.dropped || st->salvaged_frames)
            rc = finish_salvage(st, err);
        else
            kq_info("--salvage: %s holds no damage", st->journal.path);
    }
    st->salvage = st->check_json = false;
    if (rc < 0 || (rc = settle(st, err)) < 0)
        goto fail;
    publish(st);
    st->opened = true;
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
    if (st->folding) {
        pthread_mutex_lock(&st->mu);
        st->stop = true;
        pthread_cond_signal(&st->wake);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->folder, NULL);
    }
    if (st->opened) {
        kq_error err;
        int rc;

        /* A clean stop leaves the tables complete and synced, and the
         * journal empty. */
        while ((rc = fold_step(st, &st->journal, &err)) > 0)
            ;
        if (rc == -EPROTO)
            kq_err("%s: the next start refuses the journal; start with --salvage to "
                   "recover what it holds after the damage (see README, Durable state)",
                   err.msg);
        else if (rc < 0 || (rc = settle(st, &err)) < 0)
            kq_err("%s (the journal stays; it is folded at the next start)", err.msg);
    }
    sqlite3_finalize(st->begin);
    sqlite3_finalize(st->commit);
    sqlite3_finalize(st->insert_job);
    sqlite3_finalize(st->insert_job_env);
    sqlite3_finalize(st->upsert_env);
    sqlite3_finalize(st->remove_env);
    sqlite3_finalize(st->upsert_state);
    sqlite3_finalize(st->remove_job);
    sqlite3_finalize(st->remove_state);
    sqlite3_finalize(st->set_meta);
    sqlite3_finalize(st->put_queue);
    sqlite3_finalize(st->remove_queue);
    sqlite3_finalize(st->put_drain);
    sqlite3_finalize(st->remove_drain);
    sqlite3_close(st->db);
    kq_journal_close(&st->journal);
    kq_buf_free(&st->json);
    kq_buf_free(&st->records);
    kq_buf_free(&st->staged);
    free(st->written);
    kq_buf_free(&st->batch);
    free(st->recs);
    free(st->path);
    pthread_cond_destroy(&st->wake);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

/* ---- loading ---- */

static int column_text(sqlite3_stmt *q, int col, kq_str *out)
{
    const void *p = sqlite3_column_blob(q, col);

    if (sqlite3_column_type(q, col) == SQLITE_NULL) {
        *out = KQ_STR_NULL;
        return 0;
    }
    return kq_str_set(out, p ? p : "", (size_t)sqlite3_column_bytes(q, col));
}

/* An environment's row: its variables (each ended by a NUL) into env. */
static int env_from_row(const char *p, size_t n, bool adds, kq_job_env *env)
{
    size_t count = 0;

    memset(env, 0, sizeof *env);
    env->add_to_worker = adds;
    for (size_t i = 0; i < n; i += strlen(p + i) + 1)
        count++;
    if (count && !(env->variables.items = calloc(count, sizeof *env->variables.items)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i += strlen(p + i) + 1) {
        if (kq_str_set(&env->variables.items[env->variables.len], p + i, strlen(p + i)) < 0) {
            kq_job_env_free(env);
            return -ENOMEM;
        }
        env->variables.len++;
    }
    return 0;
}

/* Reads every environment, in id order, to env_fn. */
static int load_envs(kq_store *st, kq_store_env_fn *env_fn, void *ctx, kq_error *err)
{
    sqlite3_stmt *q;
    int rc = 0, row = SQLITE_DONE;

    if (sqlite3_prepare_v2(st->db, "SELECT id, vars, adds FROM environments ORDER BY id", -1,
                           &q, NULL) != SQLITE_OK)
        return db_error(st, err, "read");
    while (rc == 0 && (row = sqlite3_step(q)) == SQLITE_ROW) {
        const char *p = sqlite3_column_blob(q, 1);
        size_t n = (size_t)sqlite3_column_bytes(q, 1);
        kq_job_env env;
        kq_error why;

        if (!env_readable(p ? p : "", n, &why)) {
            kq_error_set(err, "%s: environment %lld is unreadable (%s); refusing to touch the "
                              "file", st->path, (long long)sqlite3_column_int64(q, 0), why.msg);
            rc = -EPROTO;
            break;
        }
        if ((rc = env_from_row(p ? p : "", n, sqlite3_column_int64(q, 2) != 0, &env)) < 0)
            break;
        rc = env_fn(ctx, (uint64_t)sqlite3_column_int64(q, 0), &env);
        kq_job_env_free(&env);
    }
    if (rc == 0 && row != SQLITE_DONE) {
        kq_error_set(err, "read %s: %s", st->path, sqlite3_errmsg(st->db));
        rc = -EIO;
    }
    sqlite3_finalize(q);
    return rc;
}

int kq_store_load(kq_store *st, kq_store_load_fn *fn, kq_store_env_fn *env_fn, void *ctx,
                  uint64_t *next_job_id, uint64_t *next_worker_id, kq_error *err)
{
    sqlite3_stmt *q;
    int rc = 0, row = SQLITE_DONE;

    *next_job_id = *next_worker_id = 0;
    if ((rc = load_meta(st, "next_job_id", next_job_id, err)) < 0 ||
        (rc = load_meta(st, "next_worker_id", next_worker_id, err)) < 0 ||
        (rc = load_envs(st, env_fn, ctx, err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(st->db, "SELECT jobs.id, info, status, stdout, stderr, done_at_ns, env"
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
        rc = fn(ctx, &info, (uint64_t)sqlite3_column_int64(q, 6), &out_text, &err_text, done);
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

/* The loads read the database, which the folder thread owns once it
 * started: reading it then would race its folds.  -EBUSY with err. */
static int not_folding(const kq_store *st, const char *what, kq_error *err)
{
    if (!st->folding)
        return 0;
    kq_error_set(err, "reading the %s of the state file after its folder thread started", what);
    return -EBUSY;
}

int kq_store_load_queues(kq_store *st, kq_store_queue_fn *fn, void *ctx, kq_error *err)
{
    sqlite3_stmt *q;
    int rc = 0, row = SQLITE_DONE;

    if ((rc = not_folding(st, "allocation queues", err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(st->db, "SELECT id, next_alloc, queue FROM alloc_queues ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return db_error(st, err, "read");
    while (rc == 0 && (row = sqlite3_step(q)) == SQLITE_ROW) {
        const char *json = (const char *)sqlite3_column_text(q, 2);
        kq_alloc_queue queue;
        kq_error e;

        if (!json || kq_alloc_queue_decode(json, (size_t)sqlite3_column_bytes(q, 2), &queue,
                                           &e) != 0) {
            kq_error_set(err, "%s: allocation queue %lld is unreadable (%s); refusing to "
                              "touch the file", st->path, (long long)sqlite3_column_int64(q, 0),
                         json ? e.msg : "no data");
            rc = -EPROTO;
            break;
        }
        queue.queue_id = (uint64_t)sqlite3_column_int64(q, 0);
        /* fn takes what it keeps and leaves the rest zeroed. */
        rc = fn(ctx, &queue, (uint64_t)sqlite3_column_int64(q, 1));
        kq_alloc_queue_free(&queue);
    }
    if (rc == 0 && row != SQLITE_DONE) {
        kq_error_set(err, "read %s: %s", st->path, sqlite3_errmsg(st->db));
        rc = -EIO;
    }
    sqlite3_finalize(q);
    return rc;
}

int kq_store_load_drained(kq_store *st, kq_store_drained_fn *fn, void *ctx, kq_error *err)
{
    sqlite3_stmt *q;
    int rc = 0, row = SQLITE_DONE;

    if ((rc = not_folding(st, "drained workers", err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(st->db, "SELECT name FROM drained_workers ORDER BY name", -1, &q,
                           NULL) != SQLITE_OK)
        return db_error(st, err, "read");
    while (rc == 0 && (row = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);

        if (!name) {
            kq_error_set(err, "%s: a drained worker's name is NULL; refusing to touch the "
                              "file", st->path);
            rc = -EPROTO;
            break;
        }
        rc = fn(ctx, name, (size_t)sqlite3_column_bytes(q, 0));
    }
    if (rc == 0 && row != SQLITE_DONE) {
        kq_error_set(err, "read %s: %s", st->path, sqlite3_errmsg(st->db));
        rc = -EIO;
    }
    sqlite3_finalize(q);
    return rc;
}

/* ---- writing ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A checkpoint (copying the WAL into the file, then fsync) cannot wait
 * for idle time once the WAL is this big. */
static void after_write(kq_store *st)
{
    if (st->wal_pages > KQ_STORE_WAL_MAX_PAGES &&
        sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
            SQLITE_OK)
        st->wal_pages = 0;
}

/* Writes the records gathered in b as one frame and empties b. */
static int write_frame(kq_store *st, kq_buf *b, kq_error *err)
{
    int rc;

    if (b->oom) {
        kq_error_set(err, "out of memory writing %s", st->path);
        return -ENOMEM;
    }
    /* Nothing to write when the changes were offers only. */
    if (!b->len)
        return 0;
    pthread_mutex_lock(&st->mu);
    /* A reset that failed (in drop_folded) is tried again first. */
    rc = st->journal.end ? 0
                         : kq_journal_reset(&st->journal, st->id, st->journal.generation + 1,
                                            err);
    if (rc == 0 && (rc = kq_journal_append(&st->journal, kq_buf_ptr(b), b->len, err)) == 0) {
        st->last_write_ms = now_ms();
        if (st->wake_on_write || (st->wake_on_big && st->journal.end > st->log_max)) {
            st->wake_on_write = st->wake_on_big = false;
            pthread_cond_signal(&st->wake);
        }
    }
    pthread_mutex_unlock(&st->mu);
    if (rc == 0)
        kq_buf_clear(b);
    return rc;
}

/* A buffer that grew for a huge turn or frame is not kept that big. */
static void trim(kq_buf *b)
{
    if (b->cap > 4 * KQ_STORE_FOLD_BYTES)
        kq_buf_free(b);
}

/* kq_store_commit without the trimming. */
static int commit_records(kq_store *st, kq_jobs *jobs, uint64_t next_worker_id,
                          kq_error *err)
{
    bool damaged = atomic_load(&st->damaged);
    /* The next job id is the highest stored id + 1 unless the highest jobs
     * were removed: so it is only written along with removals, and once
     * damage is found, in a frame after it, so that ids are not given
     * again after a salvage that loses the damaged frame. */
    bool ids = (jobs->nremoved && jobs->next_id != st->saved_next_job_id) ||
               next_worker_id != st->saved_next_worker_id ||
               (damaged && !st->ids_after_damage);
    size_t unenvs = jobs->envs ? jobs->envs->ndropped : 0;
    kq_buf *b = &st->records;
    int rc = 0;

    if (!jobs->dirty_head && !jobs->nremoved && !ids && !unenvs && !st->staged.len &&
        !st->staged.oom)
        return 0;
    kq_buf_clear(b);
    st->nwritten = 0;
    for (size_t i = 0; i < jobs->nremoved; i++)
        put_head(b, REC_REMOVE, jobs->removed[i]);
    kq_buf_append(b, kq_buf_ptr(&st->staged), st->staged.len);
    if (st->staged.oom)
        b->oom = true;
    for (kq_job *job = jobs->dirty_head; job && rc == 0; job = job->dirty_next) {
        rc = record_job(st, job, b);
        /* Every record states a job in full, so a turn may take several
         * frames: a huge one would hold up the fold of everything after
         * it, and frames are bounded. */
        if (rc == 0 && b->len >= KQ_STORE_FRAME_SPLIT)
            rc = write_frame(st, b, err);
        else if (rc < 0)
            kq_error_set(err, "out of memory writing %s", st->path);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < unenvs; i++)
        put_head(b, REC_UNENV, jobs->envs->dropped[i]);
    if (ids) {
        put_head(b, REC_META, jobs->next_id);
        put_u64(b, next_worker_id);
    }
    if ((rc = write_frame(st, b, err)) < 0)
        return rc;
    for (size_t i = 0; i < st->nwritten; i++)
        st->written[i]->stored = true;
    st->nwritten = 0;
    if (unenvs)
        kq_envs_clear_dropped(jobs->envs);
    for (kq_job *job = jobs->dirty_head; job; job = job->dirty_next) {
        job->stored_cat = job->cat == KQ_CAT_OFFERED ? KQ_CAT_PENDING : job->cat;
        job->info_dirty = false;
    }
    if (ids)
        st->saved_next_job_id = jobs->next_id;
    st->saved_next_worker_id = next_worker_id;
    st->ids_after_damage = damaged;
    kq_jobs_clear_changes(jobs);
    kq_buf_clear(&st->staged);
    st->staged.oom = false;
    return 0;
}

int kq_store_commit(kq_store *st, kq_jobs *jobs, uint64_t next_worker_id,
                    kq_error *err)
{
    int rc = commit_records(st, jobs, next_worker_id, err);

    trim(&st->records);
    return rc;
}

int kq_store_put_queue(kq_store *st, uint64_t id, uint64_t next_alloc, const char *json,
                       size_t len)
{
    put_head(&st->staged, REC_QUEUE, id);
    put_u64(&st->staged, next_alloc);
    put_bytes(&st->staged, json, len, json != NULL);
    return st->staged.oom ? -ENOMEM : 0;
}

int kq_store_put_drain(kq_store *st, const char *name, size_t len, bool drained)
{
    put_head(&st->staged, REC_DRAIN, drained);
    put_bytes(&st->staged, name, len, true);
    return st->staged.oom ? -ENOMEM : 0;
}

/* ---- folding the journal into the tables ---- */

/* Moves c past one record, checking its shape: 0 or -EPROTO. */
static int skip_record(cursor *c, uint8_t *kind, uint64_t *id)
{
    int strings = 0, numbers = 0;
    uint64_t n;

    if (c->p == c->end)
        return -EPROTO;
    *kind = (uint8_t)*c->p++;
    if (!get_u64(c, id))
        return -EPROTO;
    switch (*kind) {
    case REC_INFO:
        strings = 1;
        break;
    case REC_INFO_ENV:
    case REC_ENV:
        strings = 1;
        numbers = 1;
        break;
    case REC_STATE:
        strings = 3;
        numbers = 1;
        break;
    case REC_UNSTATE:
    case REC_REMOVE:
    case REC_UNENV:
        break;
    case REC_DRAIN:
        if (*id > 1)
            return -EPROTO;
        strings = 1;
        break;
    case REC_META:
        numbers = 1;
        break;
    case REC_QUEUE:
        /* Its number comes first, and its JSON may be NULL. */
        if (!get_u64(c, &n) || !get_u64(c, &n))
            return -EPROTO;
        if (n != UINT64_MAX) {
            if (n > (uint64_t)(c->end - c->p) || n > INT32_MAX)
                return -EPROTO;
            c->p += n;
        }
        return 0;
    default:
        return -EPROTO;
    }
    for (int i = 0; i < strings; i++) {
        if (!get_u64(c, &n))
            return -EPROTO;
        /* The JobInfo, the status, the variables and a drained name
         * cannot be NULL; the outputs can. */
        if (n == UINT64_MAX && i == 0)
            return -EPROTO;
        if (n != UINT64_MAX) {
            if (n > (uint64_t)(c->end - c->p) || n > INT32_MAX)
                return -EPROTO;
            c->p += n;
        }
    }
    while (numbers--)
        if (!get_u64(c, &n))
            return -EPROTO;
    return 0;
}

/* Whether p[0..n) reads as an environment's variables: NAME=VALUE
 * entries each ended by a NUL. */
static bool env_readable(const char *p, size_t n, kq_error *err)
{
    if (n && p[n - 1] != '\0') {
        kq_error_set(err, "an environment's variables do not end with a NUL");
        return false;
    }
    for (size_t i = 0; i < n; i += strlen(p + i) + 1) {
        const char *eq = strchr(p + i, '=');

        if (!eq || eq == p + i) {
            kq_error_set(err, "an environment variable is not NAME=VALUE");
            return false;
        }
    }
    return true;
}

/* Whether the JSON of the INFO and STATE records (and the variables of
 * ENV records) from recs[first] on decodes, as loading will decode it: a
 * file written by a bug, or by hand, is refused before anything of it is
 * folded. */
static bool json_readable(kq_store *st, size_t first, kq_error *err)
{
    for (size_t i = first; i < st->nrecs; i++) {
        const batch_rec *r = &st->recs[i];
        const char *p = kq_buf_ptr(&st->batch) + r->at + 9;
        uint64_t n;
        int rc = 0;

        if (r->kind != REC_INFO && r->kind != REC_INFO_ENV && r->kind != REC_STATE &&
            r->kind != REC_ENV && r->kind != REC_QUEUE)
            continue;
        if (r->kind == REC_QUEUE)
            p += sizeof n; /* next_alloc */
        memcpy(&n, p, sizeof n);
        n = le64toh(n);
        p += sizeof n;
        if (r->kind == REC_ENV) {
            if (!env_readable(p, (size_t)n, err))
                return false;
            continue;
        }
        if (r->kind == REC_QUEUE) {
            kq_alloc_queue q;

            if (n != UINT64_MAX && (rc = kq_alloc_queue_decode(p, (size_t)n, &q, err)) == 0)
                kq_alloc_queue_free(&q);
        } else if (r->kind == REC_INFO || r->kind == REC_INFO_ENV) {
            kq_job_info info;

            if ((rc = kq_job_info_decode(p, (size_t)n, &info, err)) == 0)
                kq_job_info_free(&info);
        } else {
            kq_job_status status;

            if ((rc = kq_job_status_decode(p, (size_t)n, &status, err)) == 0)
                kq_job_status_free(&status);
        }
        if (rc < 0)
            return false;
    }
    return true;
}

/* Lists the records of the batch from byte from on. */
static int index_records(kq_store *st, size_t from)
{
    cursor c = {kq_buf_ptr(&st->batch) + from, kq_buf_ptr(&st->batch) + st->batch.len};

    while (c.p < c.end) {
        batch_rec *r;

        if (st->nrecs == st->recs_cap) {
            size_t cap = st->recs_cap ? 2 * st->recs_cap : 1024;
            batch_rec *grown = realloc(st->recs, cap * sizeof *grown);

            if (!grown)
                return -ENOMEM;
            st->recs = grown;
            st->recs_cap = cap;
        }
        r = &st->recs[st->nrecs];
        r->at = (size_t)(c.p - kq_buf_ptr(&st->batch));
        if (skip_record(&c, &r->kind, &r->id) < 0)
            return -EPROTO;
        st->nrecs++;
    }
    return 0;
}

enum { SEEN_JOB = 1, SEEN_STATE = 2, SEEN_ENV = 4, SEEN_QUEUE = 8 };

/*
 * Marks the records a later one in the batch makes moot: every record
 * states a row in full, so only the last write of each row counts (a
 * job's Running state is gone by the time its Finished state is folded,
 * most of the time).  Walks the batch backwards with a table of the rows
 * seen so far.
 */
static int mark_moot(kq_store *st)
{
    size_t cap = 16, mask;
    bool meta_seen = false;
    struct seen {
        uint64_t id;
        uint8_t rows; /* SEEN_*; 0: free */
    } *seen;

    while (cap < 2 * st->nrecs)
        cap *= 2;
    if (!(seen = calloc(cap, sizeof *seen)))
        return -ENOMEM;
    mask = cap - 1;
    for (size_t i = st->nrecs; i-- > 0;) {
        batch_rec *r = &st->recs[i];
        uint8_t rows = r->kind == REC_INFO || r->kind == REC_INFO_ENV   ? SEEN_JOB
                       : r->kind == REC_STATE || r->kind == REC_UNSTATE ? SEEN_STATE
                       : r->kind == REC_REMOVE                          ? SEEN_JOB | SEEN_STATE
                       : r->kind == REC_ENV || r->kind == REC_UNENV     ? SEEN_ENV
                       : r->kind == REC_QUEUE                           ? SEEN_QUEUE
                                                                        : 0;
        size_t h = (size_t)((r->id * 0x9e3779b97f4a7c15u) >> 32) & mask;

        /* Keyed by name, not id, and rare: each is applied, in order. */
        if (r->kind == REC_DRAIN) {
            r->moot = false;
            continue;
        }
        if (!rows) {
            r->moot = meta_seen;
            meta_seen = true;
            continue;
        }
        while (seen[h].rows && seen[h].id != r->id)
            h = (h + 1) & mask;
        r->moot = (seen[h].rows & rows) == rows;
        seen[h].id = r->id;
        seen[h].rows |= rows;
    }
    free(seen);
    return 0;
}

/* Applies the records of the batch (index_records) that no later one
 * makes moot: 0, -ENOMEM or -EIO. */
static int apply_batch(kq_store *st)
{
    int rc = mark_moot(st);

    for (size_t i = 0; i < st->nrecs && rc == 0; i++) {
        cursor c = {kq_buf_ptr(&st->batch) + st->recs[i].at,
                    kq_buf_ptr(&st->batch) + st->batch.len};

        if (!st->recs[i].moot)
            rc = apply_record(st, &c);
    }
    return rc;
}

/* fold_step without the trimming. */
static int fold_batch(kq_store *st, kq_journal *j, kq_error *err)
{
    kq_error why;
    uint64_t off, at;
    int n = 0, rc = 0;

    /* A journal emptied since: its frames are all new. */
    if (st->fold_gen != j->generation) {
        st->fold_off = KQ_JOURNAL_HEADER;
        st->fold_gen = j->generation;
    }
    off = kq_journal_skip_gaps(j, st->fold_off);
    if (off >= j->end)
        return 0;
    kq_buf_clear(&st->batch);
    st->nrecs = 0;
    while (st->batch.len < KQ_STORE_FOLD_BYTES && off < j->end) {
        size_t from = st->batch.len, nrecs = st->nrecs;

        at = off;
        if ((rc = kq_journal_read(j, &off, &st->batch, err)) == 0 &&
            (rc = index_records(st, from)) < 0) {
            if (rc == -EPROTO)
                kq_error_set(err, "%s: the frame at byte %llu is malformed; refusing to "
                                  "touch the files", j->path, (unsigned long long)at);
            else
                kq_error_set(err, "out of memory folding %s", j->path);
        }
        if (rc == 0 && st->check_json && !json_readable(st, nrecs, &why)) {
            kq_error_set(err, "%s: the frame at byte %llu is malformed (%s); refusing to "
                              "touch the files", j->path, (unsigned long long)at, why.msg);
            rc = -EPROTO;
        }
        if (rc == -EPROTO && st->salvage && off > at) {
            /* A malformed frame (it passed its check): salvaging, its
             * changes are lost and the rest is kept. */
            kq_warn("%s: the frame at byte %llu is malformed; salvaging: skipped it",
                    j->path, (unsigned long long)at);
            st->salvaged_frames++;
            st->batch.len = from;
            st->nrecs = nrecs;
            rc = 0;
        }
        if (rc < 0) {
            /* The frames before a damaged one are folded first, so that
             * the tables hold everything up to it. */
            if (rc != -EPROTO || n == 0)
                return rc;
            st->batch.len = from;
            st->nrecs = nrecs;
            off = at;
            break;
        }
        n++;
        off = kq_journal_skip_gaps(j, off);
    }
    if (step(st->begin) < 0)
        return db_error(st, err, "write");
    rc = apply_batch(st);
    if (rc == -ENOMEM) {
        exec(st, "ROLLBACK", NULL);
        kq_error_set(err, "out of memory folding %s", j->path);
        return rc;
    }
    if (rc == 0 && ((rc = set_meta(st, "journal_generation", j->generation)) < 0 ||
                    (rc = set_meta(st, "journal_offset", off)) < 0 ||
                    (rc = step(st->commit)) < 0))
        rc = -EIO;
    if (rc < 0) {
        rc = db_error(st, err, "fold the journal into");
        exec(st, "ROLLBACK", NULL);
        return rc;
    }
    st->fold_off = off;
    after_write(st);
    return n;
}

/* Folds about KQ_STORE_FOLD_BYTES of j's unfolded frames into the tables
 * in one transaction: the number of frames folded (0: none left), or
 * -errno with err (-EPROTO: a damaged or malformed frame; the tables are
 * left as they were).  j is the journal, or the folder's copy of it. */
static int fold_step(kq_store *st, kq_journal *j, kq_error *err)
{
    int rc = fold_batch(st, j, err);

    trim(&st->batch);
    if (st->recs_cap > KQ_STORE_FOLD_BYTES / 8) {
        free(st->recs);
        st->recs = NULL;
        st->nrecs = st->recs_cap = 0;
    }
    return rc;
}

/* ---- the folder thread ---- */

/* The folder's stack: a fold uses about 12 KiB of it.  glibc's default,
 * the stack limit (8 MiB), would be backed by a 2 MiB page as soon as it
 * is touched where transparent huge pages are always on; below 2 MiB it
 * cannot be. */
#define KQ_STORE_FOLDER_STACK (1u << 20)

/* What the folder does next, seen under mu. */
typedef enum { IDLE, FOLD, SETTLE } chore;

/* Bytes of j past offset off of generation gen: all its frames if j is of
 * a newer generation. */
static uint64_t bytes_past(const kq_journal *j, uint64_t off, uint64_t gen)
{
    if (j->end <= KQ_JOURNAL_HEADER)
        return 0;
    return gen != j->generation ? j->end - KQ_JOURNAL_HEADER : j->end - off;
}

/* Journal bytes not folded yet (the folder's view, under mu). */
static uint64_t unfolded(const kq_store *st)
{
    return bytes_past(&st->journal, st->fold_off, st->fold_gen);
}

/*
 * When idle (no write for KQ_STORE_IDLE_MS): fold everything, then settle.
 * While the journal is over log_max, busy or not: fold until
 * less than a batch is left, then settle, which folds that last bit with
 * the server's writes held, so that the journal can be emptied at all.
 */
static chore next_chore(kq_store *st, uint64_t now, uint64_t retry_at)
{
    bool quiet = now >= st->last_write_ms + KQ_STORE_IDLE_MS;
    bool big = st->journal.end > st->log_max;

    /* Past a damaged frame nothing can be folded (the order of the
     * changes is the order of the frames). */
    if (!(quiet || big) || now < retry_at || atomic_load(&st->damaged))
        return IDLE;
    if (unfolded(st) > (quiet ? 0 : KQ_STORE_FOLD_BYTES))
        return FOLD;
    return st->wal_pages > 0 || st->journal.end > KQ_JOURNAL_HEADER ? SETTLE : IDLE;
}

/* Sleeps (under mu) until there may be a chore: a write when there is
 * nothing to fold or settle, else idle time, the journal past its limit,
 * or the retry after a failure. */
static void wait_for_chore(kq_store *st, uint64_t retry_at)
{
    if (atomic_load(&st->damaged)) {
        /* Nothing to do but say so again. */
        uint64_t until = st->damage_logged_ms + KQ_STORE_DAMAGE_LOG_MS;

        pthread_cond_timedwait(&st->wake, &st->mu, &(struct timespec){
            (time_t)(until / 1000), (long)(until % 1000) * 1000000});
    } else if (st->wal_pages == 0 && st->journal.end <= KQ_JOURNAL_HEADER) {
        st->wake_on_write = true;
        pthread_cond_wait(&st->wake, &st->mu);
    } else {
        uint64_t until = st->last_write_ms + KQ_STORE_IDLE_MS;
        struct timespec ts;

        if (until < retry_at)
            until = retry_at;
        ts.tv_sec = (time_t)(until / 1000);
        ts.tv_nsec = (long)(until % 1000) * 1000000;
        st->wake_on_big = true;
        pthread_cond_timedwait(&st->wake, &st->mu, &ts);
    }
    st->wake_on_write = st->wake_on_big = false;
}

/* The settle chore, entered and left under mu: the bulk of the
 * checkpoint without it, then, if little is left to fold, that and a
 * short checkpoint with the server's writes held, and the journal is
 * emptied.  0, 1 if too much came in meanwhile (fold again first), or
 * -errno with err. */
static int settle_chore(kq_store *st, kq_error *err)
{
    int rc, n = 0;

    pthread_mutex_unlock(&st->mu);
    rc = checkpoint_db(st, err);
    pthread_mutex_lock(&st->mu);
    if (rc < 0)
        return rc;
    if (unfolded(st) > KQ_STORE_FOLD_BYTES)
        return 1;
    while ((rc = fold_step(st, &st->journal, err)) > 0)
        n += rc;
    if (rc == 0 && n)
        rc = checkpoint_db(st, err);
    return rc < 0 ? rc : drop_folded(st, err);
}

/* Once all is folded, what the folds used is given back until the next
 * burst: SQLite's page cache (up to 2 MiB) and the batch (1 to 2 MiB). */
static void release_memory(kq_store *st)
{
    sqlite3_db_release_memory(st->db);
    kq_buf_free(&st->batch);
    free(st->recs);
    st->recs = NULL;
    st->nrecs = st->recs_cap = 0;
    malloc_trim(0);
}

/* The damage found, logged now and once a minute while the server runs
 * (under mu). */
static void log_damage(kq_store *st, uint64_t now)
{
    st->damage_logged_ms = now;
    kq_err("The state journal is damaged, so no new jobs are accepted (the rest is "
           "served and stored after the damage): %s.  To recover, stop the server and "
           "start it with --salvage (see README, Durable state)", st->damage.msg);
}

static void *folder_main(void *arg)
{
    kq_store *st = arg;
    uint64_t retry_at = 0, logged_at = 0;

    pthread_mutex_lock(&st->mu);
    while (!st->stop) {
        uint64_t now = now_ms();
        chore c = next_chore(st, now, retry_at);
        kq_journal snapshot;
        kq_error err;
        int rc;

        if (c == IDLE) {
            if (atomic_load(&st->damaged) &&
                now >= st->damage_logged_ms + KQ_STORE_DAMAGE_LOG_MS)
                log_damage(st, now);
            wait_for_chore(st, retry_at);
            continue;
        }
        if (c == FOLD) {
            /* The server appends meanwhile: fold what was there, through
             * a copy whose end stays put. */
            snapshot = st->journal;
            pthread_mutex_unlock(&st->mu);
            rc = fold_step(st, &snapshot, &err);
            pthread_mutex_lock(&st->mu);
        } else {
            rc = settle_chore(st, &err);
        }
        publish(st);
        if (rc == -EPROTO) {
            st->damage = err;
            atomic_store(&st->damaged, true);
            log_damage(st, now);
        } else if (rc < 0) {
            retry_at = now + KQ_STORE_IDLE_MS;
            if (!logged_at || now - logged_at > 10000) {
                kq_err("Cannot %s the store (tried again later): %s",
                       c == FOLD ? "fold the journal into" : "checkpoint", err.msg);
                logged_at = now;
            }
        } else if (c == SETTLE && rc == 0) {
            /* Not while busy: the next fold is due at once. */
            if (now_ms() >= st->last_write_ms + KQ_STORE_IDLE_MS)
                release_memory(st);
            kq_debug("Checkpointed the state file");
        } else if (c == FOLD && !unfolded(st)) {
            kq_debug("Folded the state journal into the tables");
        }
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

int kq_store_start_folding(kq_store *st, uint64_t log_max, kq_error *err)
{
    pthread_attr_t attr;
    sigset_t all, old;
    int rc;

    /* Signals are the server thread's business. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    st->last_write_ms = now_ms();
    st->log_max = log_max;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, KQ_STORE_FOLDER_STACK);
    rc = pthread_create(&st->folder, &attr, folder_main, st);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        kq_error_set(err, "pthread_create (the store's folder): %s", strerror(rc));
        return -rc;
    }
    st->folding = true;
    return 0;
}

bool kq_store_damaged(kq_store *st, char *why, size_t n)
{
    if (!atomic_load(&st->damaged))
        return false;
    pthread_mutex_lock(&st->mu);
    snprintf(why, n, "The server's state journal is damaged: no new jobs until it is "
                     "restarted with --salvage (%s)", st->damage.msg);
    pthread_mutex_unlock(&st->mu);
    return true;
}

uint64_t kq_store_log_bytes(kq_store *st)
{
    uint64_t n;

    pthread_mutex_lock(&st->mu);
    n = bytes_past(&st->journal, st->folded, st->folded_gen);
    pthread_mutex_unlock(&st->mu);
    return n;
}

uint64_t kq_store_id(const kq_store *st)
{
    return st->id;
}
