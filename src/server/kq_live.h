/*
 * kq_live.h - live output on the server (issue 15): the last bytes of each
 * running job's stdout and stderr as its worker sends them (OutputChunk),
 * and the clients that follow a job (FollowJob), who get its output as it
 * comes (JobOutput) and each change of the job (JobUpdated) until its
 * output is complete.
 *
 * Owns the live records (one per job that has output held or followers,
 * found by id in a hash), their rings (kq_textring, at most
 * live_output_buffer_bytes per stream) and the followers (each also on
 * its client's list, kq_peer.follows).  Never owns jobs, peers or workers,
 * and never writes the store: what it holds promises nothing and is gone
 * after a restart; a job's final output (UpdateJobResults) replaces it.
 *
 * A slow follower holds up nobody: output is queued to a follower only
 * while less than KQ_LIVE_FOLLOWER_QUEUE of its own waits to be written.
 * Past that it falls behind, and once its queue has drained it gets what
 * the ring still holds from where it stopped; what the ring no longer
 * holds is skipped, which the gap in the offsets tells its client.  Once
 * the job ended and its final output is stored, each follower gets the
 * rest of it the same way, in pieces as its queue allows (nothing of it
 * is skipped: it is all there), then the end.  Live output goes out as
 * unheld (kq_conn_queued_unheld): it does not wait for the turn's journal
 * write, and nothing of it is ever written there; the final output and
 * the end of a follow are held as any answer is.
 */
#ifndef KQ_LIVE_H
#define KQ_LIVE_H

#include <stddef.h>

#include "kq_compiler.h"
#include "kq_server_int.h"

/* Output waiting to be written to a follower beyond which it gets no more
 * until it has caught up with half of it. */
#define KQ_LIVE_FOLLOWER_QUEUE (256u << 10)
/* The most of a job's final output sent to a follower in one message. */
#define KQ_LIVE_FINAL_PIECE (256u << 10)
/* How often followers that fell behind are looked at. */
#define KQ_LIVE_LAG_POLL_MS 50

typedef struct kq_live kq_live;

/* Live output for srv, keeping the last keep bytes of each stream (0:
 * none).  0 or -ENOMEM. */
KQ_NODISCARD int kq_live_new(kq_server *srv, size_t keep, kq_live **out);
void kq_live_free(kq_live *l);

/* FollowJob from client p (answered here). */
void kq_live_follow(kq_peer *p, const kq_c2s_follow_job *req);

/* OutputChunk from worker w: kept and forwarded if the job runs there;
 * otherwise, or past the worker's output limit, ignored with a log line
 * (at most one a second per worker); the connection stays. */
void kq_live_chunk(kq_server *srv, kq_worker *w, const kq_w2s_output_chunk *m);

/* The job's status changed (called by kq_srv_notify): followers get the
 * JobUpdated; a new run starts its streams at 0; a job no longer running
 * drops what was held; a canceled job's follows end. */
void kq_live_changed(kq_server *srv, kq_job *job);

/* The job's final output was stored: its followers get the rest of it and
 * their follows end. */
void kq_live_results(kq_server *srv, kq_job *job);

/* Client p is gone: its follows end. */
void kq_live_client_closed(kq_peer *p);

/*
 * The output held so far of a running job's stream (0 stdout, 1 stderr),
 * for ShowJob: NULL ptr when there is none; a note first line when its
 * start is no longer held.  *out is the caller's.  0 or -ENOMEM.
 */
KQ_NODISCARD int kq_live_so_far(kq_server *srv, const kq_job *job, int stream, kq_str *out);

#endif
