/*
 * kq_store.h - the server's durable state in SQLite.
 *
 * Every accepted job, status change and result is kept in one SQLite file
 * (WAL mode, exclusive to this server).  Each turn of the event loop, the
 * server marks what changed, and kq_store_commit appends it as one frame
 * to the store's journal (PATH-changes, kq_journal) before any answer of
 * that turn leaves, so a client sees AcceptJob only for a stored job.  The
 * journal is folded into one row per job by the store's folder thread
 * (kq_store_start_folding) when the server has time, and at open and
 * close.  A job is stored as its protocol JSON
 * (JobInfo) with its captured output; offers are not stored (an offered
 * job is pending again after a restart).  Environments (kq_envs) are
 * stored once each, and a job's row names its environment's id.
 * Allocation queues and the names of drained workers are stored too.
 *
 * The file carries its schema version; a file that is not a Kueue-C store,
 * is corrupt, or comes from a newer version is refused with a clear
 * message and never modified, and so is a journal that is damaged (unless
 * asked to salvage it) or belongs to another file.  A frame damaged under
 * a running store stops the folder there (kq_store_damaged).  Owns the
 * database handle and the journal; never owns jobs.
 */
#ifndef KQ_STORE_H
#define KQ_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_error.h"
#include "kq_jobs.h"

typedef struct kq_store kq_store;

/* The schema version this build writes. */
#define KQ_STORE_SCHEMA_VERSION 6

/*
 * Opens the store at path and its journal, creating them (mode 0600, and
 * the directory) if missing, and folds what the journal holds.  A damaged
 * journal is refused unless salvage is set: then the frames that can be
 * read are folded, damaged and malformed ones skipped (and what follows a
 * damaged frame whose length is lost), the damaged journal is kept as
 * PATH-changes.damaged-TIME and an empty one takes its place.  0, or
 * -errno with err naming the file and the reason.
 */
KQ_NODISCARD int kq_store_open(const char *path, bool salvage, kq_store **out,
                               kq_error *err);
void kq_store_close(kq_store *st);

/* One job read back: the caller takes over info, stdout_text, stderr_text;
 * env_id names its environment (0: none), given to kq_store_env_fn
 * before. */
typedef int kq_store_load_fn(void *ctx, kq_job_info *info, uint64_t env_id,
                             kq_str *stdout_text, kq_str *stderr_text, kq_time done_at);
/* One environment read back, under its id; the caller takes over env. */
typedef int kq_store_env_fn(void *ctx, uint64_t id, kq_job_env *env);

/* Reads every environment in id order (env_fn), then every job in id
 * order (fn), and the next ids to use.  0, a negative value returned by
 * a callback, or -EIO or -EPROTO with err. */
KQ_NODISCARD int kq_store_load(kq_store *st, kq_store_load_fn *fn, kq_store_env_fn *env_fn,
                               void *ctx, uint64_t *next_job_id, uint64_t *next_worker_id,
                               kq_error *err);

/* Allocation queues (kq_alloc.c), one row each: the queue, whose
 * queue_id is set from the row, and the number of its next allocation.
 * fn takes over what it keeps of queue (zeroing it). */
typedef int kq_store_queue_fn(void *ctx, kq_alloc_queue *queue, uint64_t next_alloc);

/* Reads every allocation queue in id order, before kq_store_start_folding.
 * 0, a negative value returned by fn, or -errno with err (-EPROTO: a row
 * that does not decode; -EBUSY: the folder thread runs). */
KQ_NODISCARD int kq_store_load_queues(kq_store *st, kq_store_queue_fn *fn, void *ctx,
                                      kq_error *err);

/* Stages the row of allocation queue id for the next commit, which writes
 * it with the jobs of its turn: its JSON (len bytes) and next_alloc, or,
 * json NULL, its removal.  0 or -ENOMEM (then the next commit fails and
 * the turn's answers wait). */
KQ_NODISCARD int kq_store_put_queue(kq_store *st, uint64_t id, uint64_t next_alloc,
                                    const char *json, size_t len);

/* One drained worker's name read back (len bytes, NUL-terminated, valid
 * during the call only). */
typedef int kq_store_drained_fn(void *ctx, const char *name, size_t len);

/* Reads the names of the drained workers (kq_srv_drain.c) in byte order,
 * before kq_store_start_folding.  0, a negative value returned by fn, or
 * -errno with err (-EBUSY: the folder thread runs). */
KQ_NODISCARD int kq_store_load_drained(kq_store *st, kq_store_drained_fn *fn, void *ctx,
                                       kq_error *err);

/* Stages, for the next commit, which writes it with the jobs of its turn,
 * that the workers named name (len bytes) are drained, or no longer are.
 * 0 or -ENOMEM (then the next commit fails and the turn's answers wait). */
KQ_NODISCARD int kq_store_put_drain(kq_store *st, const char *name, size_t len, bool drained);

/* Appends every job kq_jobs marked as changed (or removed) since the last
 * commit, the environments they need that are not stored yet, the
 * removal of those that went (jobs->envs), the queue and drain rows
 * staged, and the next ids, to the journal as one frame.  0, or -errno
 * with err; on failure the marks are kept for the next attempt.  The
 * server's thread only (kq_jobs is its). */
KQ_NODISCARD int kq_store_commit(kq_store *st, kq_jobs *jobs,
                                 uint64_t next_worker_id, kq_error *err);

/* A turn's records beyond this size go in more than one frame. */
#define KQ_STORE_FRAME_SPLIT (64u << 20)
/* Journal folded per transaction (at least one frame): a few
 * milliseconds of work. */
#define KQ_STORE_FOLD_BYTES (1u << 20)
/* The journal is folded once no commit wrote for this long, or, busy or
 * not, while it holds more than the limit given to kq_store_start_folding;
 * once all of it is folded and the tables synced, it is emptied. */
#define KQ_STORE_IDLE_MS 1000
/* WAL pages beyond which a fold checkpoints at once (32 MiB). */
#define KQ_STORE_WAL_MAX_PAGES 8192

/*
 * Starts the folder: a thread of the store's own that folds the journal
 * into the tables and checkpoints them as said above (log_max: the
 * journal's limit in bytes), so that the server's loop only ever appends.
 * From then on only kq_store_commit, kq_store_log_bytes and
 * kq_store_close may be called (kq_store_close stops it first).  0, or
 * -errno with err.
 */
KQ_NODISCARD int kq_store_start_folding(kq_store *st, uint64_t log_max, kq_error *err);

/* Bytes of the journal not yet folded; 0 when all are. */
uint64_t kq_store_log_bytes(kq_store *st);

/* The store's identity (meta row store_id): a random number drawn when the
 * file was created (or upgraded to version 3) and kept for its life; also
 * the owner the journal names.  Copies of the file share it.  Never 0. */
uint64_t kq_store_id(const kq_store *st);

/* The folder logs the damage it found this often while the server runs. */
#define KQ_STORE_DAMAGE_LOG_MS 60000

/*
 * True once the folder found a frame it cannot fold (damaged since it was
 * written, or malformed): the start that follows would refuse the journal
 * (kq_store_open salvages it on request), so the server must accept no new
 * job; why (n bytes) says so for a client.  Commits go on after the damage
 * (a salvage keeps them, the first one with the next ids); the folder
 * stops and logs the damage once a minute.  Any thread.
 */
bool kq_store_damaged(kq_store *st, char *why, size_t n);

#endif
