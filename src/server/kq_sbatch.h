/*
 * kq_sbatch.h - what one Slurm allocation of an allocation queue is: the
 * sbatch command and the batch script it reads on stdin (kueue alloc
 * dry-run shows both).
 *
 * The script sets the job's name to the allocation's token, its time
 * limit, node count and output file in #SBATCH lines (the queue's own
 * sbatch arguments come on the command line, which overrides them), puts
 * the token in KUEUE_ALLOCATION for the worker to tell the server, and
 * execs kueue_worker with the queue's configuration file, the server's
 * address, the allocation's lifetime and the idle exit (one worker, or
 * one per node through srun).  The shared secret is never on a command
 * line: the worker reads it from the configuration file.
 *
 * Pure functions: no I/O; owns only what it returns.
 */
#ifndef KQ_SBATCH_H
#define KQ_SBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_compiler.h"
#include "kq_protocol.h"

/* The environment variable that names a worker's allocation. */
#define KQ_SBATCH_ENV "KUEUE_ALLOCATION"

typedef struct kq_sbatch {
    char **argv;        /* "sbatch", "--parsable", the queue's arguments, NULL */
    kq_buf script;      /* fed to sbatch's stdin */
} kq_sbatch;

/*
 * The submission of allocation alloc_no of q, named token (its job name and
 * KUEUE_ALLOCATION; letters, digits, '.', '-' and '_' only), its output
 * going to log_dir (the batch system writes it there as token-JOBID.out).
 * 0, -EINVAL for a token with other characters, or -ENOMEM; out owns
 * nothing on failure.
 */
KQ_NODISCARD int kq_sbatch_make(const kq_alloc_queue *q, uint64_t alloc_no, const char *token,
                                const char *log_dir, kq_sbatch *out);
void kq_sbatch_free(kq_sbatch *sb);

/* Appends what a person would type for sb: the command, quoted for sh,
 * reading the script from a here-document. */
void kq_sbatch_describe(const kq_sbatch *sb, kq_buf *out);

/* Appends seconds as Slurm's time limit D-HH:MM:SS. */
void kq_sbatch_time(kq_buf *out, uint64_t seconds);

/* Appends text quoted for sh: as it is when it needs no quotes, else in
 * single quotes ('\'' for a quote). */
void kq_sbatch_quote(kq_buf *out, const char *text);

#endif
