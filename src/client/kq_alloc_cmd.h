/*
 * kq_alloc_cmd.h - kueue alloc: allocation queues (add, list, remove,
 * events, dry-run), through the Kueue-C requests AddAllocQueue,
 * ListAllocQueues and RemoveAllocQueue.
 *
 * add fills in what the command line left out (the server's address and
 * this configuration file, as the workers on the nodes will use them; the
 * kueue_worker installed beside kueue) and prints the new queue's id; the
 * others print the server's answer as text, or with --json as the answer
 * message itself.  An original server, which closes the connection on
 * these requests, is "this server does not support alloc".
 */
#ifndef KQ_ALLOC_CMD_H
#define KQ_ALLOC_CMD_H

#include "kq_buf.h"
#include "kq_cli.h"
#include "kq_config.h"
#include "kq_error.h"
#include "kq_print.h"

/* Runs `kueue alloc ...`: the exit status (0), or -errno with err for the
 * caller to print as "Error: <err>". */
int kq_alloc_cmd_run(const kq_cli_args *args, const kq_config *cfg, kq_error *err);

/* The text of alloc list (every queue of list) and of alloc events (the
 * events of its queues). */
void kq_alloc_print_list(kq_buf *out, const kq_alloc_queue_list *list, const kq_print_opts *o);
void kq_alloc_print_events(kq_buf *out, const kq_alloc_queue_list *list,
                           const kq_print_opts *o);

#endif
