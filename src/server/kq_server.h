/*
 * kq_server.h - kueue_server: the job queue, serving clients and workers.
 *
 * Single-threaded on a select() loop; every behaviour of the reference
 * server (sections 2 and 3 of the reference) with its bugs fixed.
 */
#ifndef KQ_SERVER_H
#define KQ_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_config.h"
#include "kq_error.h"

typedef struct kq_server_opts {
    size_t max_message;     /* bound on one incoming message; 0 = default */
    const char *state_path; /* SQLite state file, or NULL for memory only */
    bool salvage;           /* open a damaged state journal (kq_store_open) */
} kq_server_opts;

typedef struct kq_server kq_server;

/* Binds and prepares; cfg must outlive the server.  0 or -errno with err. */
KQ_NODISCARD int kq_server_new(kq_config *cfg, const kq_server_opts *opts,
                               kq_server **out, kq_error *err);

/* Serves until SIGINT or SIGTERM, then says "Bye" to every peer.  Returns
 * the process exit code. */
int kq_server_run(kq_server *srv);

void kq_server_free(kq_server *srv);

#endif
