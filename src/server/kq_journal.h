/*
 * kq_journal.h - an append-only file of checksummed frames.
 *
 * The store's intake: each loop turn's changes go in as one frame with one
 * write(), which costs about the bytes themselves (a database commit
 * rewrites whole pages, several per turn), and are folded into the database
 * later.  Like SQLite's WAL with synchronous=NORMAL, a frame survives the
 * server's crash at once (it is in the page cache) and a power loss once
 * synced.
 *
 * File: a header of KQ_JOURNAL_HEADER bytes
 *     "KQJOURN1", owner (u64), generation (u64), checksum of the 24 bytes
 *     before it (u64)
 * then frames
 *     payload length (u32, > 0), checksum of length and payload (u32),
 *     payload
 * all little-endian.  The owner names the database the journal belongs to;
 * the generation counts resets, and seeds every checksum, so that a frame
 * of an older generation never passes for a new one.
 *
 * A frame that fails its check at the end of the file (a write cut short by
 * a crash) is cut off when the file is opened, with a warning; one followed
 * by more data means the file was damaged, and opening refuses it untouched
 * unless asked to salvage it: then a damaged frame whose length leads to a
 * frame that passes is skipped (a gap), and the rest of the file from one
 * that cannot be skipped is dropped.  The file is locked (flock) while
 * open.  The struct is the caller's; the functions own the descriptor, the
 * path and the gaps.
 */
#ifndef KQ_JOURNAL_H
#define KQ_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_error.h"

#define KQ_JOURNAL_HEADER 32
/* Frames of more than this are refused on write and taken as damage on
 * read. */
#define KQ_JOURNAL_FRAME_MAX (1u << 30)

/* A damaged frame skipped when salvaging: len bytes from off. */
typedef struct kq_journal_gap {
    uint64_t off, len;
} kq_journal_gap;

typedef struct kq_journal {
    int fd;
    char *path;
    uint64_t owner, generation; /* 0, 0 until the file has a header */
    uint64_t end;               /* bytes of header and valid frames */
    bool created;               /* the file did not exist before open */
    bool torn;                  /* bytes past end, cut off before the next write */
    /* Salvaged at open: damaged frames skipped, and the bytes dropped
     * from dropped_at on (0: none). */
    kq_journal_gap *gaps;
    size_t ngaps;
    uint64_t dropped_at, dropped;
} kq_journal;

/* How kq_journal_open_from checks the file. */
typedef struct kq_journal_scan {
    /* The frames of this generation below from (a frame boundary: where
     * they are folded up to) are not checked: damage there costs nothing. */
    uint64_t generation, from;
    bool salvage;               /* skip and drop damage instead of refusing */
} kq_journal_scan;

/*
 * Opens the journal at path, creating it (mode 0600) if missing, locks it,
 * checks every frame and cuts off a torn last one.  A missing or empty file
 * has no header yet (end 0): kq_journal_reset gives it one.  0; -EBUSY when
 * another process holds it; -EPROTO when it is not a journal or is damaged
 * (left untouched); -errno otherwise; err says which file and why.
 */
KQ_NODISCARD int kq_journal_open(kq_journal *j, const char *path, kq_error *err);
/* kq_journal_open, checking the file as how says (NULL: every frame, no
 * salvage).  When salvaging, a damaged file opens with its gaps and what
 * was dropped noted in j (the file is not changed until the next write
 * cuts the dropped bytes off). */
KQ_NODISCARD int kq_journal_open_from(kq_journal *j, const char *path,
                                      const kq_journal_scan *how, kq_error *err);
/* Closes the file; j may be zeroed or failed to open. */
void kq_journal_close(kq_journal *j);

/* off moved past the gaps that start there. */
uint64_t kq_journal_skip_gaps(const kq_journal *j, uint64_t off);

/*
 * Keeps the file as it is under the name aside (which must not exist) and
 * puts an empty, locked file in its place, synced, with no header yet
 * (kq_journal_reset gives it one).  0 or -errno with err; on failure the
 * journal is unchanged.
 */
KQ_NODISCARD int kq_journal_set_aside(kq_journal *j, const char *aside, kq_error *err);

/*
 * Empties the journal and writes a header with owner and generation, then
 * syncs it, so that frames appended afterwards never follow the old ones
 * even after a power loss.  0 or -errno with err.
 */
KQ_NODISCARD int kq_journal_reset(kq_journal *j, uint64_t owner, uint64_t generation,
                                  kq_error *err);

/*
 * Appends one frame of n bytes (0 < n <= KQ_JOURNAL_FRAME_MAX) with one
 * write.  On failure the file is cut back to what it was.  0 or -errno
 * with err.
 */
KQ_NODISCARD int kq_journal_append(kq_journal *j, const void *p, size_t n, kq_error *err);

/*
 * Reads the frame at *off (a frame boundary below end), appends its
 * payload to out and moves *off past it.  0, -EPROTO if it fails its check (the
 * file changed under us), -errno, with err.
 */
KQ_NODISCARD int kq_journal_read(kq_journal *j, uint64_t *off, kq_buf *out, kq_error *err);

#endif
