/*
 * kq_store.h - the server's durable state in SQLite.
 *
 * Every accepted job, status change and result is written to one SQLite
 * file (WAL mode, exclusive to this server) in one transaction per turn of
 * the event loop: the server marks what changed, and kq_store_commit
 * appends it to a log before any answer of that turn leaves (so a client
 * sees AcceptJob only for a committed job).  The log is folded into one
 * row per job (kq_store_fold) when the server has time, at open and at
 * close.  A job is stored as its protocol JSON (JobInfo) with its captured
 * output; offers are not stored (an offered job is pending again after a
 * restart).
 *
 * The file carries its schema version; a file that is not a Kueue-C store,
 * is corrupt, or comes from a newer version is refused with a clear
 * message and never modified.  Owns the database handle; never owns jobs.
 */
#ifndef KQ_STORE_H
#define KQ_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_error.h"
#include "kq_jobs.h"

typedef struct kq_store kq_store;

/* The schema version this build writes. */
#define KQ_STORE_SCHEMA_VERSION 2

/*
 * Opens the store at path, creating it (mode 0600, and its directory) if
 * missing.  0, or -errno with err naming the file and the reason.
 */
KQ_NODISCARD int kq_store_open(const char *path, kq_store **out, kq_error *err);
void kq_store_close(kq_store *st);

/* One job read back: the caller takes over info, stdout_text, stderr_text. */
typedef int kq_store_load_fn(void *ctx, kq_job_info *info, kq_str *stdout_text,
                             kq_str *stderr_text, kq_time done_at);

/* Reads every job in id order, and the next ids to use.  0, a negative
 * value returned by fn, or -EIO with err. */
KQ_NODISCARD int kq_store_load(kq_store *st, kq_store_load_fn *fn, void *ctx,
                               uint64_t *next_job_id, uint64_t *next_worker_id,
                               kq_error *err);

/* Appends, in one transaction, every job kq_jobs marked as changed (or
 * removed) since the last commit, and the next ids, to the log.  0, or
 * -EIO / -ENOMEM with err; on failure the marks are kept for the next
 * attempt. */
KQ_NODISCARD int kq_store_commit(kq_store *st, kq_jobs *jobs,
                                 uint64_t next_worker_id, kq_error *err);

/* Log folded per transaction (at least one row): a few milliseconds of
 * work, so that the server can fold between turns without keeping anyone
 * waiting long. */
#define KQ_STORE_FOLD_BYTES (1u << 20)
/* Beyond this much log the server folds every turn, not only when idle. */
#define KQ_STORE_LOG_MAX (256u << 20)

/* Folds the oldest log rows, about KQ_STORE_FOLD_BYTES of them, into the
 * tables in one transaction: the number of rows folded (0: the log is
 * empty), or -EIO / -EPROTO with err (the log is left as it was). */
KQ_NODISCARD int kq_store_fold(kq_store *st, kq_error *err);
/* About how much the log holds, in bytes; 0 when empty. */
uint64_t kq_store_log_bytes(const kq_store *st);

/* WAL pages beyond which a write checkpoints at once (32 MiB). */
#define KQ_STORE_WAL_MAX_PAGES 8192
/* Whether the WAL holds pages a checkpoint would copy into the file. */
bool kq_store_wal_pending(const kq_store *st);
/* Copies the WAL into the file and empties it (an fsync: for idle time).
 * 0 or -EIO with err. */
KQ_NODISCARD int kq_store_checkpoint(kq_store *st, kq_error *err);

#endif
