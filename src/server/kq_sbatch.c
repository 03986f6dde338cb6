/*
 * kq_sbatch.c - one Slurm allocation's submission (see kq_sbatch.h).
 */
#include "kq_sbatch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kq_duration.h"

static bool plain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-_./=:,+@%", c);
}

void kq_sbatch_quote(kq_buf *out, const char *text)
{
    bool plain = *text != '\0';

    for (const char *p = text; *p && plain; p++)
        plain = plain_char(*p);
    if (plain) {
        kq_buf_puts(out, text);
        return;
    }
    kq_buf_putc(out, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'')
            kq_buf_puts(out, "'\\''");
        else
            kq_buf_putc(out, *p);
    }
    kq_buf_putc(out, '\'');
}

void kq_sbatch_time(kq_buf *out, uint64_t seconds)
{
    kq_buf_printf(out, "%llu-%02llu:%02llu:%02llu", (unsigned long long)(seconds / 86400),
                  (unsigned long long)(seconds / 3600 % 24),
                  (unsigned long long)(seconds / 60 % 60), (unsigned long long)(seconds % 60));
}

static bool token_ok(const char *token)
{
    if (!*token)
        return false;
    for (const char *p = token; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* The worker's command line, quoted: the worker itself, or srun starting
 * one per node. */
static void worker_command(kq_buf *b, const kq_alloc_queue *q)
{
    if (q->workers_per_alloc > 1)
        kq_buf_printf(b, "srun --nodes=%llu --ntasks-per-node=1 --cpus-per-task=\"$SLURM_CPUS_ON_NODE\" "
                         "--mem=0 --kill-on-bad-exit=0 \\\n    ",
                      (unsigned long long)q->workers_per_alloc);
    kq_sbatch_quote(b, q->worker_program.ptr);
    kq_buf_puts(b, " -c ");
    kq_sbatch_quote(b, q->worker_config.ptr);
    kq_buf_puts(b, " --server ");
    kq_sbatch_quote(b, q->server_address.ptr);
    kq_buf_puts(b, " \\\n    --lifetime ");
    kq_duration_format(b, q->time_limit_seconds);
    kq_buf_puts(b, " --idle-exit ");
    kq_duration_format(b, q->idle_exit_seconds);
    if (q->has_margin_seconds) {
        kq_buf_puts(b, " --margin ");
        kq_duration_format(b, q->margin_seconds);
    }
    kq_buf_putc(b, '\n');
}

int kq_sbatch_make(const kq_alloc_queue *q, uint64_t alloc_no, const char *token,
                   const char *log_dir, kq_sbatch *out)
{
    kq_buf *b = &out->script;
    size_t n = 0;

    memset(out, 0, sizeof *out);
    if (!token_ok(token))
        return -EINVAL;
    out->argv = calloc(q->backend_args.len + 3, sizeof *out->argv);
    if (!out->argv)
        return -ENOMEM;
    if (!(out->argv[n++] = strdup("sbatch")) || !(out->argv[n++] = strdup("--parsable")))
        goto oom;
    for (size_t i = 0; i < q->backend_args.len; i++)
        if (!(out->argv[n++] = strdup(q->backend_args.items[i].ptr)))
            goto oom;
    kq_buf_puts(b, "#!/bin/sh\n");
    kq_buf_printf(b, "#SBATCH --job-name=%s\n#SBATCH --time=", token);
    kq_sbatch_time(b, q->time_limit_seconds);
    kq_buf_printf(b, "\n#SBATCH --nodes=%llu\n", (unsigned long long)q->workers_per_alloc);
    /* An allocation that is requeued would start a second time under the
     * same name. */
    kq_buf_puts(b, "#SBATCH --no-requeue\n#SBATCH --output=");
    kq_buf_puts(b, log_dir);
    kq_buf_puts(b, "/%x-%j.out\n");
    kq_buf_printf(b, "# Kueue-C: allocation %llu of allocation queue %llu, submitted by "
                     "kueue_server\n"
                     "# (kueue alloc list/events %llu).  The workers read the shared secret "
                     "from their\n# configuration file; it is never on a command line.\n",
                  (unsigned long long)alloc_no, (unsigned long long)q->queue_id,
                  (unsigned long long)q->queue_id);
    kq_buf_printf(b, "export %s=%s\nexec ", KQ_SBATCH_ENV, token);
    worker_command(b, q);
    if (b->oom)
        goto oom;
    return 0;
oom:
    kq_sbatch_free(out);
    return -ENOMEM;
}

void kq_sbatch_free(kq_sbatch *sb)
{
    for (size_t i = 0; sb->argv && sb->argv[i]; i++)
        free(sb->argv[i]);
    free(sb->argv);
    kq_buf_free(&sb->script);
    memset(sb, 0, sizeof *sb);
}

void kq_sbatch_describe(const kq_sbatch *sb, kq_buf *out)
{
    for (size_t i = 0; sb->argv[i]; i++) {
        if (i)
            kq_buf_putc(out, ' ');
        kq_sbatch_quote(out, sb->argv[i]);
    }
    kq_buf_puts(out, " <<'EOF'\n");
    kq_buf_append(out, kq_buf_ptr(&sb->script), sb->script.len);
    kq_buf_puts(out, "EOF\n");
}
