/*
 * kq_store.h - the server's durable state in SQLite.
 *
 * Every accepted job, status change and result is kept in one SQLite file
 * (WAL mode, exclusive to this server).  Each turn of the event loop, the
 * server marks what changed, and kq_store_commit appends it as one frame
 * to the store's journal (PATH-changes, kq_journal) before any answer of
 * that turn leaves, so a client sees AcceptJob only for a stored job.  The
 * journal is folded into one row per job (kq_store_fold) when the server
 * has time, at open and at close.  A job is stored as its protocol JSON
 * (JobInfo) with its captured output; offers are not stored (an offered
 * job is pending again after a restart).
 *
 * The file carries its schema version; a file that is not a Kueue-C store,
 * is corrupt, or comes from a newer version is refused with a clear
 * message and never modified, and so is a journal that is damaged or
 * belongs to another file.  Owns the database handle and the journal;
 * never owns jobs.
 */
#ifndef KQ_STORE_H
#define KQ_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_error.h"
#include "kq_jobs.h"

typedef struct kq_store kq_store;

/* The schema version this build writes. */
#define KQ_STORE_SCHEMA_VERSION 3

/*
 * Opens the store at path and its journal, creating them (mode 0600, and
 * the directory) if missing, and folds what the journal holds.  0, or
 * -errno with err naming the file and the reason.
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

/* Appends every job kq_jobs marked as changed (or removed) since the last
 * commit, and the next ids, to the journal as one frame.  0, or -errno
 * with err; on failure the marks are kept for the next attempt. */
KQ_NODISCARD int kq_store_commit(kq_store *st, kq_jobs *jobs,
                                 uint64_t next_worker_id, kq_error *err);

/* A turn's records beyond this size go in more than one frame. */
#define KQ_STORE_FRAME_SPLIT (64u << 20)

/* Journal folded per transaction (at least one frame): a few milliseconds
 * of work, so that the server can fold between turns without keeping
 * anyone waiting long. */
#define KQ_STORE_FOLD_BYTES (1u << 20)
/* Beyond this much journal the server folds every turn, not only when
 * idle, and empties the journal once all of it is folded. */
#define KQ_STORE_LOG_MAX (256u << 20)

/* Folds the oldest unfolded frames, about KQ_STORE_FOLD_BYTES of them,
 * into the tables in one transaction: the number of frames folded (0:
 * nothing left), or -errno with err (-EPROTO: a damaged or malformed
 * frame; the tables are left as they were). */
KQ_NODISCARD int kq_store_fold(kq_store *st, kq_error *err);
/* Bytes of the journal not yet folded; 0 when all are. */
uint64_t kq_store_log_bytes(const kq_store *st);
/* Bytes the journal file holds, folded or not. */
uint64_t kq_store_journal_bytes(const kq_store *st);

/* WAL pages beyond which a write checkpoints at once (32 MiB). */
#define KQ_STORE_WAL_MAX_PAGES 8192
/* Whether the WAL holds pages a checkpoint would copy into the file, or
 * the journal frames it would drop. */
bool kq_store_checkpoint_pending(const kq_store *st);
/* Copies the WAL into the file and empties it, then empties the journal
 * if it is folded to its end (fsyncs: for idle time).  0 or -errno with
 * err. */
KQ_NODISCARD int kq_store_checkpoint(kq_store *st, kq_error *err);

#endif
