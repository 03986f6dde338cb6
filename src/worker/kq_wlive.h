/*
 * kq_wlive.h - a running job's output, sent to the server while it is
 * written (issue 15): OutputChunk messages with the new text of each
 * stream, only to a server that speaks the extension (never to an
 * original one).  A job that clients follow (the server says so:
 * WatchOutput) sends its output when there is new output, at most every
 * KQ_WLIVE_INTERVAL_MS; any other at most every KQ_WLIVE_TAIL_INTERVAL_MS
 * and no more of each stream than the server keeps
 * (kq_wsession_output_keep): the server's work then grows with the output
 * clients follow, not with all output.
 *
 * A piece is the text of the bytes a run captured since the last piece
 * (kq_runner_captured), invalid UTF-8 repaired; bytes that may be the
 * start of a character wait for the next piece (kq_utf8_incomplete_tail),
 * so the pieces of a stream joined are exactly the job's final text.  At
 * the output limit the last piece ends as the final text does (the cut
 * character dropped, then the truncation note) and nothing follows.  While
 * more than KQ_WLIVE_BACKLOG waits to be written to the server, pieces
 * wait and grow (fewer, bigger ones), so live output never queues more
 * than that (and one message) ahead of a job's report.  What a piece
 * misses when a connection breaks is skipped (the next piece's offset says
 * how much).
 *
 * Owns a timer per job and the scratch text; never owns runs, jobs or the
 * session.
 */
#ifndef KQ_WLIVE_H
#define KQ_WLIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_compiler.h"
#include "kq_loop.h"
#include "kq_runner.h"
#include "kq_wsession.h"

/* Shortest time between two chunks of one job, followed or not. */
#define KQ_WLIVE_INTERVAL_MS 200
#define KQ_WLIVE_TAIL_INTERVAL_MS 1000
/* Captured bytes per stream in one chunk (a chunk escaped stays far below
 * the 16 MiB a server takes). */
#define KQ_WLIVE_PIECE_MAX (256u << 10)
/* Output waiting to be written to the server beyond which chunks wait. */
#define KQ_WLIVE_BACKLOG (256u << 10)

/* Where one stream's live output stands. */
typedef struct kq_wlive_stream {
    size_t raw_sent;    /* captured bytes sent (or skipped) */
    uint64_t text_sent; /* text position after them */
    bool ended;         /* the truncation note went out: nothing follows */
} kq_wlive_stream;

/*
 * Appends to text the next piece of a stream that captured cap so far:
 * at most max_raw of its bytes, without an incomplete character at the end
 * (unless the stream reached its limit: then the note ends it).  *offset
 * is the piece's position.  True if there is a piece.
 */
bool kq_wlive_piece(kq_wlive_stream *st, const kq_run_capture *cap, size_t max_raw,
                    kq_buf *text, uint64_t *offset);

/*
 * Skips what the next piece would carry beyond the last keep bytes (about:
 * a character is not cut): its text only moves the stream's position on
 * (scratch is used to measure it).  For a job nobody follows.
 */
void kq_wlive_skip(kq_wlive_stream *st, const kq_run_capture *cap, size_t keep,
                   kq_buf *scratch);

typedef struct kq_wlive kq_wlive;

/* Whether the job whose arg this is may be told to the server now (it
 * belongs to the server's state). */
typedef bool kq_wlive_allowed_fn(void *arg);

/* One running job's live output. */
typedef struct kq_wlive_job {
    kq_wlive *live;          /* NULL until started */
    uint64_t job_id;
    const kq_run *run;
    void *arg;               /* for the allowed callback */
    kq_wlive_stream s[2];    /* stdout, stderr */
    uint64_t timer;          /* a chunk is due */
    uint64_t last_ms;        /* loop time the last chunk went out */
    bool watched;            /* clients follow it */
} kq_wlive_job;

/* Live output on loop through session (both outlive it), for the jobs
 * allowed says may go to the current server.  0 or -ENOMEM. */
KQ_NODISCARD int kq_wlive_new(kq_loop *loop, kq_wsession *session,
                              kq_wlive_allowed_fn *allowed, kq_wlive **out);
void kq_wlive_free(kq_wlive *l);

/* Starts j for job_id, whose run is run (valid until kq_wlive_stop), and
 * which clients follow if watched; arg goes to the allowed callback. */
void kq_wlive_start(kq_wlive *l, kq_wlive_job *j, uint64_t job_id, const kq_run *run,
                    bool watched, void *arg);

/* The run captured new output, or the session is ready again: a chunk
 * goes out now, or its interval after the last one. */
void kq_wlive_output(kq_wlive_job *j);

/* Clients follow the job from now (what it wrote since the last chunk
 * goes out at once), or no longer. */
void kq_wlive_watch(kq_wlive_job *j, bool watched);

/* The run is over (its final output goes in the report): no more chunks.
 * Safe on a job never started, and to repeat. */
void kq_wlive_stop(kq_wlive_job *j);

#endif
