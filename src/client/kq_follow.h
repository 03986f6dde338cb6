/*
 * kq_follow.h - kueue follow ID and kueue log [-f] ID (issue 15): a job's
 * output as it is written.
 *
 * One session: FollowJob (a Kueue-C extension request; an original server
 * closes the connection: "this server does not support follow"), then the
 * server's JobUpdated and JobOutput messages until the output is done.
 * The first JobOutput holds the last of what the job wrote so far, of
 * which the last --lines lines are printed; every later piece is printed
 * whole, as it comes.  A gap between where a stream stood and where a
 * piece starts (the terminal was slower than the job, or the server no
 * longer had the start) is said on stderr with the number of bytes.
 *
 * One stream (stdout by default, or --stderr) is written to stdout byte
 * for byte as the job wrote it (invalid UTF-8 repaired, as in its final
 * output); with --both every line is written once complete, marked
 * "[stdout] " or "[stderr] ".  Notes for people (waiting for the job to
 * start, a new run, skipped bytes, where a redirected stream goes, that a
 * worker does not send live output) go to stderr, prefixed "kueue: ".
 * stdout is flushed after each piece: a line is on the screen as soon as
 * it arrived.
 *
 * Owns its session and buffers; writes only stdout and stderr.
 */
#ifndef KQ_FOLLOW_H
#define KQ_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kq_buf.h"
#include "kq_cli.h"
#include "kq_config.h"
#include "kq_error.h"

/* Lines printed first unless --lines says otherwise. */
#define KQ_FOLLOW_LINES 20
/* How long the end of the output may take once the job ended. */
#define KQ_FOLLOW_END_MS 10000

/*
 * Runs follow, or log (-f: follow).  Returns the exit status: the job's
 * return code as wait-job gives it when following to the end (a line on
 * stderr for a canceled or failed job), 0 for log without -f; -errno with
 * err when the job is unknown or the server fails or goes away.
 */
int kq_follow_run(const kq_cli_args *args, const kq_config *cfg, kq_error *err);

/* Where the last n lines of text[0..len) start: a last line without its
 * newline counts; len when n is 0. */
size_t kq_follow_last_lines(const char *text, size_t len, uint64_t n);

/* The output of a follow: one stream as it is, or both, marked by line. */
typedef struct kq_follow_out {
    FILE *fp;
    bool mark;          /* --both */
    kq_buf partial[2];  /* marked: the unfinished line of each stream */
} kq_follow_out;

/* Writes text of stream (0 stdout, 1 stderr) to o->fp: as it is, or
 * marked by complete line (the rest waits for its newline). */
void kq_follow_write(kq_follow_out *o, int stream, const char *text, size_t len);

/* Ends the unfinished lines (marked, with a newline added) and frees the
 * buffers. */
void kq_follow_end(kq_follow_out *o);

#endif
