/*
 * test_store.c - the store on its own: what is committed comes back after
 * a clean close and after a crash (a child process that exits without
 * closing), a huge turn is split into frames, a turn of offers only
 * writes nothing, the folder gives its memory back when idle, a frame
 * damaged under a running store stops the folder (not the commits) and a
 * salvage recovers the rest; environments are stored once each and go
 * with their last job; allocation queues' rows are staged, written with a
 * turn (even one without jobs), replaced and removed; drained workers'
 * names outlast a crash and a clean close, in the order drained and
 * undrained, and a version 5 file gets their table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kq_journal.h"
#include "kq_store.h"
#include "kq_test.h"

static char dir[64], path[128], journal_path[160];

static void set_str(kq_str *s, const char *p, size_t n)
{
    CHECK_INT(kq_str_set(s, p, n), 0);
}

/* A pending job under the next id. */
static kq_job *add_job(kq_jobs *t, const char *word)
{
    kq_job *job = kq_job_new();

    job->info.job_id = t->next_id;
    job->info.status.tag = KQ_JOB_STATUS_PENDING;
    job->info.status.pending.issued = (kq_time){1700000000, 5};
    set_str(&job->info.cwd, "/tmp", 4);
    job->info.cmd.items = calloc(1, sizeof *job->info.cmd.items);
    job->info.cmd.len = 1;
    set_str(&job->info.cmd.items[0], word, strlen(word));
    job->info.worker_resources = (kq_resources){1, 1, 100};
    CHECK_INT(kq_jobs_insert(t, job, (kq_time){1700000000, 5}), 0);
    return job;
}

static void set_running(kq_jobs *t, kq_job *job)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_RUNNING};

    st.running.issued = kq_job_issued(job);
    st.running.started = (kq_time){1700000001, 0};
    set_str(&st.running.worker, "node1", 5);
    kq_jobs_set_status(t, job, &st, (kq_time){1700000001, 0});
}

static void set_finished(kq_jobs *t, kq_job *job, const char *out, size_t n)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_FINISHED};

    st.finished.issued = kq_job_issued(job);
    st.finished.started = (kq_time){1700000001, 0};
    st.finished.finished = (kq_time){1700000002, 0};
    st.finished.return_code = 3;
    set_str(&st.finished.worker, "node1", 5);
    kq_jobs_set_status(t, job, &st, (kq_time){1700000002, 0});
    set_str(&job->stdout_text, out, n);
    kq_jobs_touch(t, job);
}

typedef struct loaded {
    int n;
    kq_job_status_tag tag[8];
    char word[8][16];
    kq_str out[8];
} loaded;

static int on_job(void *ctx, kq_job_info *info, uint64_t env_id, kq_str *out, kq_str *err_text,
                  kq_time done)
{
    loaded *l = ctx;

    (void)env_id;
    (void)err_text;
    (void)done;
    if (l->n >= 8 || info->job_id != (uint64_t)l->n)
        return -EINVAL;
    l->tag[l->n] = info->status.tag;
    snprintf(l->word[l->n], sizeof l->word[0], "%.*s", (int)info->cmd.items[0].len,
             info->cmd.items[0].ptr);
    l->out[l->n] = *out;
    *out = KQ_STR_NULL;
    l->n++;
    return 0;
}

static int no_env(void *ctx, uint64_t id, kq_job_env *env)
{
    (void)ctx;
    (void)id;
    (void)env;
    return -EPROTO;
}

/* Opens the store and reads it back into l (freed by drop). */
static void reopen(loaded *l, uint64_t *next_job)
{
    kq_store *st;
    kq_error err;
    uint64_t next_worker;

    memset(l, 0, sizeof *l);
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    CHECK_INT(kq_store_load(st, on_job, no_env, l, next_job, &next_worker, &err), 0);
    CHECK_INT(next_worker, 4);
    kq_store_close(st);
}

static void drop(loaded *l)
{
    for (int i = 0; i < l->n; i++)
        kq_str_free(&l->out[i]);
}

/* A child writes with the store and exits without closing it: a crash
 * as far as the files are concerned.  body returns its exit code. */
static void in_crashing_child(int (*body)(void))
{
    pid_t pid = fork();
    int status;

    if (pid == 0)
        _exit(body());
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), 0);
}

static int frames_in_journal(void)
{
    kq_buf b = KQ_BUF_INIT;
    kq_journal j;
    kq_error err;
    uint64_t off = KQ_JOURNAL_HEADER;
    int n = 0;

    if (kq_journal_open(&j, journal_path, &err) < 0)
        return -1;
    while (off < j.end && (kq_buf_clear(&b), kq_journal_read(&j, &off, &b, &err) == 0))
        n++;
    kq_journal_close(&j);
    kq_buf_free(&b);
    return n;
}

/* What the environment test reads back. */
typedef struct env_loaded {
    int envs, jobs;
    uint64_t env_ids[4], job_env[8];
    size_t vars[4];
} env_loaded;

static int on_env(void *ctx, uint64_t id, kq_job_env *env)
{
    env_loaded *l = ctx;

    if (l->envs >= 4)
        return -EINVAL;
    l->env_ids[l->envs] = id;
    l->vars[l->envs++] = env->variables.len;
    return 0;
}

static int on_env_job(void *ctx, kq_job_info *info, uint64_t env_id, kq_str *out,
                      kq_str *err_text, kq_time done)
{
    env_loaded *l = ctx;

    (void)info;
    (void)out;
    (void)err_text;
    (void)done;
    if (l->jobs >= 8)
        return -EINVAL;
    l->job_env[l->jobs++] = env_id;
    return 0;
}

/* A job running with an interned copy of vars[0..n). */
static kq_job *add_job_env(kq_jobs *t, kq_envs *envs, const char *const *vars, size_t n)
{
    kq_job *job = add_job(t, "env");
    kq_job_env env = {0};

    env.variables.items = calloc(n, sizeof *env.variables.items);
    env.variables.len = n;
    for (size_t i = 0; i < n; i++)
        set_str(&env.variables.items[i], vars[i], strlen(vars[i]));
    job->env = kq_envs_intern(envs, &env);
    CHECK(job->env != NULL);
    return job;
}

static void load_envs(env_loaded *l)
{
    kq_store *st;
    kq_error err;
    uint64_t next_job, next_worker;

    memset(l, 0, sizeof *l);
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    CHECK_INT(kq_store_load(st, on_env_job, on_env, l, &next_job, &next_worker, &err), 0);
    kq_store_close(st);
}

static void test_environments(void)
{
    static const char *const a[] = {"HOME=/home/a", "PATH=/a/venv/bin:/usr/bin"};
    static const char *const b[] = {"PATH=/usr/bin"};
    kq_store *st;
    kq_jobs t;
    kq_envs envs;
    kq_error err;
    kq_job *j[4];
    env_loaded l;

    unlink(path);
    unlink(journal_path);
    kq_envs_init(&envs);
    kq_jobs_init(&t, 0);
    t.track = true;
    t.envs = &envs;
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    j[0] = add_job_env(&t, &envs, a, 2);
    j[1] = add_job_env(&t, &envs, a, 2);
    j[2] = add_job(&t, "plain");
    CHECK(j[0]->env == j[1]->env);
    CHECK_INT(envs.count, 1);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    j[3] = add_job_env(&t, &envs, b, 1);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    kq_store_close(st);
    load_envs(&l);
    CHECK_INT(l.envs, 2);
    CHECK_INT(l.vars[0], 2);
    CHECK_INT(l.vars[1], 1);
    CHECK_INT(l.jobs, 4);
    CHECK(l.job_env[0] == l.env_ids[0] && l.job_env[1] == l.env_ids[0]);
    CHECK_INT(l.job_env[2], 0);
    CHECK(l.job_env[3] == l.env_ids[1]);
    /* The last job of an environment goes: so does its row. */
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    kq_jobs_delete(&t, j[3]);
    CHECK_INT(envs.ndropped, 1);
    kq_jobs_delete(&t, j[0]);
    CHECK_INT(envs.count, 1);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    CHECK_INT(envs.ndropped, 0);
    kq_store_close(st);
    load_envs(&l);
    CHECK_INT(l.envs, 1);
    CHECK_INT(l.jobs, 2);
    CHECK(l.job_env[0] == l.env_ids[0]);
    kq_jobs_free(&t);
    CHECK_INT(envs.count, 0);
    kq_envs_free(&envs);
}

static void test_clean_close(void)
{
    static const char out[] = "line\0with NUL\n";
    kq_store *st;
    kq_jobs t;
    kq_error err;
    kq_job *jobs[3];
    uint64_t next_job;
    loaded l;

    unlink(path);
    unlink(journal_path);
    kq_jobs_init(&t, 0);
    t.track = true;
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    for (int i = 0; i < 3; i++)
        jobs[i] = add_job(&t, i == 0 ? "zero" : i == 1 ? "one" : "two");
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    set_running(&t, jobs[1]);
    set_running(&t, jobs[2]);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    set_finished(&t, jobs[2], out, sizeof out - 1);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    CHECK(kq_store_log_bytes(st) > 0);
    kq_store_close(st);
    kq_jobs_free(&t);
    /* Closing folded all of it and emptied the journal. */
    CHECK_INT(frames_in_journal(), 0);
    reopen(&l, &next_job);
    CHECK_INT(l.n, 3);
    CHECK_INT(next_job, 3);
    CHECK_INT(l.tag[0], KQ_JOB_STATUS_PENDING);
    CHECK_INT(l.tag[1], KQ_JOB_STATUS_RUNNING);
    CHECK_INT(l.tag[2], KQ_JOB_STATUS_FINISHED);
    CHECK_STR(l.word[1], "one");
    CHECK(l.out[1].ptr == NULL);
    CHECK(l.out[2].len == sizeof out - 1 && memcmp(l.out[2].ptr, out, sizeof out - 1) == 0);
    drop(&l);
}

static int crash_after_commits(void)
{
    kq_store *st;
    kq_jobs t;
    kq_error err;
    kq_job *c, *d;

    kq_jobs_init(&t, 0);
    t.track = true;
    if (kq_store_open(path, false, &st, &err) < 0)
        return 1;
    add_job(&t, "a");
    if (kq_store_commit(st, &t, 4, &err) < 0)
        return 2;
    set_running(&t, add_job(&t, "b"));
    if (kq_store_commit(st, &t, 4, &err) < 0)
        return 3;
    /* Folded in one batch: rows written twice or more, and removed. */
    c = add_job(&t, "c");
    if (kq_store_commit(st, &t, 4, &err) < 0)
        return 4;
    set_running(&t, c);
    if (kq_store_commit(st, &t, 4, &err) < 0)
        return 5;
    set_finished(&t, c, "out", 3);
    d = add_job(&t, "d");
    if (kq_store_commit(st, &t, 4, &err) < 0)
        return 6;
    kq_jobs_delete(&t, d);
    return kq_store_commit(st, &t, 4, &err) < 0 ? 7 : 0;
}

static void test_crash_replayed(void)
{
    uint64_t next_job;
    loaded l;

    unlink(path);
    unlink(journal_path);
    in_crashing_child(crash_after_commits);
    CHECK_INT(frames_in_journal(), 6);
    reopen(&l, &next_job);
    CHECK_INT(l.n, 3);
    CHECK_STR(l.word[1], "b");
    CHECK_INT(l.tag[0], KQ_JOB_STATUS_PENDING);
    CHECK_INT(l.tag[1], KQ_JOB_STATUS_RUNNING);
    CHECK_INT(l.tag[2], KQ_JOB_STATUS_FINISHED);
    CHECK(l.out[2].len == 3 && memcmp(l.out[2].ptr, "out", 3) == 0);
    /* Job 3 was removed; its id is not given again. */
    CHECK_INT(next_job, 4);
    drop(&l);
    CHECK_INT(frames_in_journal(), 0);
}

/* The JSON of an allocation queue with this many max_workers. */
static void queue_json(kq_buf *b, uint64_t id, uint64_t max_workers)
{
    kq_alloc_queue q;

    kq_alloc_queue_init(&q);
    q.queue_id = id;
    q.backend = kq_str_view("slurm");
    q.max_workers = max_workers;
    q.server_address = kq_str_view("h:1");
    q.worker_program = kq_str_view("w");
    q.worker_config = kq_str_view("/c");
    kq_buf_clear(b);
    CHECK_INT(kq_alloc_queue_encode(&q, b), 0);
}

static int crash_after_queues(void)
{
    kq_buf b = KQ_BUF_INIT;
    kq_store *st;
    kq_jobs t;
    kq_error err;

    kq_jobs_init(&t, 0);
    t.track = true;
    if (kq_store_open(path, false, &st, &err) < 0)
        return 1;
    queue_json(&b, 1, 4);
    if (kq_store_put_queue(st, 1, 2, kq_buf_ptr(&b), b.len) < 0)
        return 2;
    queue_json(&b, 2, 8);
    if (kq_store_put_queue(st, 2, 5, kq_buf_ptr(&b), b.len) < 0 ||
        kq_store_commit(st, &t, 4, &err) < 0)
        return 3;
    /* Queue 1 changes, queue 2 goes, a job comes: one turn. */
    queue_json(&b, 1, 6);
    add_job(&t, "a");
    if (kq_store_put_queue(st, 1, 3, kq_buf_ptr(&b), b.len) < 0 ||
        kq_store_put_queue(st, 2, 0, NULL, 0) < 0 || kq_store_commit(st, &t, 4, &err) < 0)
        return 4;
    /* Nothing staged, nothing written. */
    return kq_store_commit(st, &t, 4, &err) < 0 ? 5 : 0;
}

typedef struct queues_seen {
    int n;
    uint64_t id, next_alloc, max_workers;
} queues_seen;

static int on_queue(void *ctx, kq_alloc_queue *q, uint64_t next_alloc)
{
    queues_seen *seen = ctx;

    seen->n++;
    seen->id = q->queue_id;
    seen->next_alloc = next_alloc;
    seen->max_workers = q->max_workers;
    return 0;
}

static void test_queues(void)
{
    queues_seen seen = {0};
    uint64_t next_job, next_worker;
    kq_store *st;
    kq_error err;
    loaded l;

    unlink(path);
    unlink(journal_path);
    in_crashing_child(crash_after_queues);
    CHECK_INT(frames_in_journal(), 2);
    reopen(&l, &next_job);
    CHECK_INT(l.n, 1);
    drop(&l);
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    memset(&l, 0, sizeof l);
    CHECK_INT(kq_store_load(st, on_job, no_env, &l, &next_job, &next_worker, &err), 0);
    drop(&l);
    CHECK_INT(kq_store_load_queues(st, on_queue, &seen, &err), 0);
    kq_store_close(st);
    CHECK_INT(seen.n, 1);
    CHECK_INT(seen.id, 1);
    CHECK_INT(seen.next_alloc, 3);
    CHECK_INT(seen.max_workers, 6);
}

static int crash_after_drains(void)
{
    kq_store *st;
    kq_jobs t;
    kq_error err;

    kq_jobs_init(&t, 0);
    t.track = true;
    if (kq_store_open(path, false, &st, &err) < 0)
        return 1;
    if (kq_store_put_drain(st, "node1", 5, true) < 0 ||
        kq_store_put_drain(st, "node2", 5, true) < 0 || kq_store_commit(st, &t, 4, &err) < 0)
        return 2;
    /* node2 undrained, node3 drained and undrained, node4 undrained and
     * drained: each in order. */
    if (kq_store_put_drain(st, "node2", 5, false) < 0 ||
        kq_store_put_drain(st, "node3", 5, true) < 0 ||
        kq_store_put_drain(st, "node3", 5, false) < 0 ||
        kq_store_put_drain(st, "node4", 5, false) < 0 ||
        kq_store_put_drain(st, "node4", 5, true) < 0 || kq_store_commit(st, &t, 4, &err) < 0)
        return 3;
    return 0;
}

static int on_drained(void *ctx, const char *name, size_t len)
{
    kq_buf *names = ctx;

    CHECK_INT(strlen(name), len);
    kq_buf_printf(names, "%s;", name);
    return 0;
}

/* The drained names in the store at path, each followed by ';'. */
static void check_drained(const char *want)
{
    kq_buf names = KQ_BUF_INIT;
    kq_store *st;
    kq_error err;

    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    CHECK_INT(kq_store_load_drained(st, on_drained, &names, &err), 0);
    kq_store_close(st);
    kq_buf_putc(&names, '\0');
    CHECK_STR(kq_buf_ptr(&names), want);
    kq_buf_free(&names);
}

static int64_t schema_version(void)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    int64_t v = -1;

    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(sqlite3_prepare_v2(db, "SELECT value FROM kueue_meta WHERE key='schema_version'",
                                 -1, &q, NULL), SQLITE_OK);
    if (sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* Opens the store at path, drains or undrains name in one commit, and
 * closes it cleanly. */
static void put_drain_and_close(const char *name, bool drain)
{
    kq_store *st;
    kq_jobs t;
    kq_error err;

    kq_jobs_init(&t, 0);
    t.track = true;
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    CHECK_INT(kq_store_put_drain(st, name, strlen(name), drain), 0);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    kq_store_close(st);
    kq_jobs_free(&t);
}

static void test_drained(void)
{
    sqlite3 *db;

    unlink(path);
    unlink(journal_path);
    /* A crash: the journal's two frames are replayed at open. */
    in_crashing_child(crash_after_drains);
    CHECK_INT(frames_in_journal(), 2);
    check_drained("node1;node4;");
    /* Folded and closed cleanly: from the table. */
    CHECK_INT(frames_in_journal(), 0);
    check_drained("node1;node4;");
    /* Undrained, closed cleanly. */
    put_drain_and_close("node1", false);
    check_drained("node4;");
    /* A version 5 file (no table of drained workers) is upgraded. */
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "DROP TABLE drained_workers;"
                               "UPDATE kueue_meta SET value = 5 WHERE key = 'schema_version';",
                           NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    check_drained("");
    CHECK_INT(schema_version(), KQ_STORE_SCHEMA_VERSION);
    CHECK_INT(KQ_STORE_SCHEMA_VERSION, 6);
    put_drain_and_close("node5", true);
    check_drained("node5;");
}

enum { BIG = 15u << 20, NBIG = 5 };

static int crash_after_a_huge_turn(void)
{
    char *out = malloc(BIG);
    kq_store *st;
    kq_jobs t;
    kq_error err;
    int rc;

    kq_jobs_init(&t, 0);
    t.track = true;
    if (!out || kq_store_open(path, false, &st, &err) < 0)
        return 1;
    for (int i = 0; i < NBIG; i++) {
        memset(out, 'a' + i, BIG);
        set_finished(&t, add_job(&t, "big"), out, BIG);
    }
    rc = kq_store_commit(st, &t, 4, &err);
    free(out);
    return rc < 0 ? 2 : 0;
}

static void test_huge_turn_split(void)
{
    uint64_t next_job;
    loaded l;

    unlink(path);
    unlink(journal_path);
    in_crashing_child(crash_after_a_huge_turn);
    /* 75 MiB of output: a frame at the first record past 64 MiB. */
    CHECK_INT(frames_in_journal(), 2);
    reopen(&l, &next_job);
    CHECK_INT(l.n, NBIG);
    for (int i = 0; i < l.n; i++)
        CHECK(l.out[i].len == BIG && l.out[i].ptr[0] == 'a' + i &&
              l.out[i].ptr[BIG - 1] == 'a' + i);
    drop(&l);
}

static void test_offer_writes_nothing(void)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_OFFERED};
    struct stat before, after;
    kq_store *s;
    kq_jobs t;
    kq_error err;
    kq_job *job;

    unlink(path);
    unlink(journal_path);
    kq_jobs_init(&t, 0);
    t.track = true;
    CHECK_INT(kq_store_open(path, false, &s, &err), 0);
    job = add_job(&t, "x");
    CHECK_INT(kq_store_commit(s, &t, 4, &err), 0);
    CHECK_INT(stat(journal_path, &before), 0);
    st.offered.issued = kq_job_issued(job);
    set_str(&st.offered.worker, "node1", 5);
    kq_jobs_set_status(&t, job, &st, (kq_time){1700000001, 0});
    CHECK_INT(kq_store_commit(s, &t, 4, &err), 0);
    CHECK(t.dirty_head == NULL);
    CHECK_INT(stat(journal_path, &after), 0);
    CHECK_INT(after.st_size, before.st_size);
    kq_store_close(s);
    kq_jobs_free(&t);
}

/* Polls for up to 10 s until SQLite holds less than limit bytes. */
static bool sqlite_memory_below(sqlite3_int64 limit)
{
    for (int i = 0; i < 500 && sqlite3_memory_used() >= limit; i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    return sqlite3_memory_used() < limit;
}

/* Folding thousands of jobs fills SQLite's page cache (2 MiB by default);
 * once the folder has folded everything at idle time, it is given back. */
static void test_idle_gives_memory_back(void)
{
    kq_store *st;
    kq_jobs t;
    kq_error err;

    unlink(path);
    unlink(journal_path);
    kq_jobs_init(&t, 0);
    t.track = true;
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    CHECK_INT(kq_store_start_folding(st, 1u << 30, &err), 0);
    /* The folder owns the database now: the loads refuse (the server read
     * its allocation queues after starting it). */
    CHECK_INT(kq_store_load_queues(st, on_queue, NULL, &err), -EBUSY);
    CHECK_INT(kq_store_load_drained(st, on_drained, NULL, &err), -EBUSY);
    for (int turn = 0; turn < 10; turn++) {
        for (int i = 0; i < 1000; i++)
            add_job(&t, "job");
        CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    }
    CHECK(kq_store_log_bytes(st) > 0);
    for (int i = 0; i < 500 && kq_store_log_bytes(st); i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    CHECK_INT(kq_store_log_bytes(st), 0);
    CHECK(sqlite_memory_below(512 << 10));
    if (sqlite3_memory_used() >= 512 << 10)
        fprintf(stderr, "SQLite holds %lld bytes when idle\n",
                (long long)sqlite3_memory_used());
    kq_store_close(st);
    kq_jobs_free(&t);
}

static int count_rows(const char *table)
{
    char sql[64];
    sqlite3 *db;
    sqlite3_stmt *q;
    int n = -1;

    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return n;
}

/* Removes the journals a salvage set aside; how many there were. */
static int remove_set_aside(void)
{
    char name[sizeof dir + sizeof ((struct dirent *)0)->d_name + 1];
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "state.sqlite3-changes.damaged-", 30) != 0)
            continue;
        snprintf(name, sizeof name, "%s/%s", dir, e->d_name);
        unlink(name);
        n++;
    }
    if (d)
        closedir(d);
    return n;
}

static void damage_byte(uint64_t off)
{
    int fd = open(journal_path, O_RDWR);
    unsigned char c = 0;

    CHECK(pread(fd, &c, 1, (off_t)off) == 1);
    c ^= 0x20;
    CHECK(pwrite(fd, &c, 1, (off_t)off) == 1);
    close(fd);
}

/* A frame damaged after it was written and before it was folded: the
 * folder folds the frames before it and stops; commits go on after it,
 * the first one with the next ids; the next open refuses the journal, and
 * a salvage keeps everything but the damaged frame. */
static void test_damage_found_by_the_folder(void)
{
    char why[600];
    kq_store *st;
    kq_jobs t;
    kq_error err;
    kq_job *a;
    struct stat sb;
    uint64_t third, next_job;
    loaded l;

    unlink(path);
    unlink(journal_path);
    kq_jobs_init(&t, 0);
    t.track = true;
    CHECK_INT(kq_store_open(path, false, &st, &err), 0);
    a = add_job(&t, "a");
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    add_job(&t, "b");
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    CHECK_INT(stat(journal_path, &sb), 0);
    third = (uint64_t)sb.st_size;
    add_job(&t, "c");
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    damage_byte(third + 8 + 30);
    CHECK(!kq_store_damaged(st, why, sizeof why));
    CHECK_INT(kq_store_start_folding(st, 1u << 30, &err), 0);
    for (int i = 0; i < 500 && !kq_store_damaged(st, why, sizeof why); i++)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    CHECK(kq_store_damaged(st, why, sizeof why));
    CHECK(strstr(why, "no new jobs until it is restarted with --salvage"));
    CHECK(strstr(why, "is damaged"));
    /* Stored after the damage: the ids, then a's output. */
    set_running(&t, a);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    set_finished(&t, a, "kept", 4);
    CHECK_INT(kq_store_commit(st, &t, 4, &err), 0);
    kq_store_close(st);
    kq_jobs_free(&t);
    /* a and b were folded, c was not. */
    CHECK_INT(count_rows("jobs"), 2);
    CHECK_INT(kq_store_open(path, false, &st, &err), -EPROTO);
    CHECK(strstr(err.msg, "is damaged and more follows"));
    CHECK_INT(remove_set_aside(), 0);
    CHECK_INT(kq_store_open(path, true, &st, &err), 0);
    kq_store_close(st);
    CHECK_INT(remove_set_aside(), 1);
    reopen(&l, &next_job);
    CHECK_INT(l.n, 2);
    CHECK_STR(l.word[1], "b");
    CHECK_INT(l.tag[0], KQ_JOB_STATUS_FINISHED);
    CHECK(l.out[0].len == 4 && memcmp(l.out[0].ptr, "kept", 4) == 0);
    /* c's id is not given again. */
    CHECK_INT(next_job, 3);
    drop(&l);
}

/* Salvaging skips a malformed frame (one that passes its check) too. */
static void test_salvage_skips_a_malformed_frame(void)
{
    static const char bad[] = "\x07malformed";
    /* next_job_id 10, next_worker_id 4 */
    static const char ids[17] = {5, 10, 0, 0, 0, 0, 0, 0, 0, 4};
    kq_store *st;
    kq_jobs t;
    kq_error err;
    kq_journal j;
    uint64_t next_job;
    loaded l;

    unlink(path);
    unlink(journal_path);
    in_crashing_child(crash_after_commits);
    CHECK_INT(kq_journal_open(&j, journal_path, &err), 0);
    CHECK_INT(kq_journal_append(&j, bad, sizeof bad - 1, &err), 0);
    /* After it, a frame the salvage keeps. */
    CHECK_INT(kq_journal_append(&j, ids, sizeof ids, &err), 0);
    kq_journal_close(&j);
    kq_jobs_init(&t, 0);
    CHECK_INT(kq_store_open(path, false, &st, &err), -EPROTO);
    CHECK(strstr(err.msg, "is malformed"));
    CHECK_INT(kq_store_open(path, true, &st, &err), 0);
    kq_store_close(st);
    kq_jobs_free(&t);
    CHECK_INT(remove_set_aside(), 1);
    reopen(&l, &next_job);
    CHECK_INT(l.n, 3);
    CHECK_INT(next_job, 10);
    drop(&l);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/kq-store-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/state.sqlite3", dir);
    snprintf(journal_path, sizeof journal_path, "%s-changes", path);
    test_clean_close();
    test_environments();
    test_crash_replayed();
    test_queues();
    test_drained();
    test_huge_turn_split();
    test_offer_writes_nothing();
    test_idle_gives_memory_back();
    test_damage_found_by_the_folder();
    test_salvage_skips_a_malformed_frame();
    for (const char *suffix = ""; suffix; suffix = *suffix ? NULL : "-changes") {
        char p[192];

        snprintf(p, sizeof p, "%s%s", path, suffix);
        unlink(p);
    }
    rmdir(dir);
    KQ_TEST_DONE();
}
