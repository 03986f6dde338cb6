/*
 * test_sbatch.c - one Slurm allocation's submission: the command, the
 * batch script (its #SBATCH lines, the token, the worker's command line,
 * quoting, srun for several workers), the dry-run text, Slurm's time
 * format and shell quoting; no secret anywhere.
 */
#include <errno.h>
#include <string.h>

#include "kq_sbatch.h"
#include "kq_test.h"

static kq_str_list args_of(kq_str *items, size_t n)
{
    return (kq_str_list){n, items};
}

static void queue_init(kq_alloc_queue *q, kq_str *args, size_t nargs)
{
    kq_alloc_queue_init(q);
    q->queue_id = 3;
    q->backend = kq_str_view("slurm");
    q->max_workers = 8;
    q->workers_per_alloc = 1;
    q->time_limit_seconds = 7200;
    q->idle_exit_seconds = 300;
    q->server_address = kq_str_view("login1:11236");
    q->worker_program = kq_str_view("/home/alice/.local/bin/kueue_worker");
    q->worker_config = kq_str_view("/home/alice/.config/kueue/config.toml");
    q->backend_args = args_of(args, nargs);
}

static const char *text(const kq_buf *b)
{
    return b->len ? kq_buf_ptr(b) : "";
}

static void test_script(void)
{
    kq_str args[] = {kq_str_view("--partition=short"), kq_str_view("--account=lab42")};
    kq_alloc_queue q;
    kq_sbatch sb;
    kq_buf d = KQ_BUF_INIT;

    queue_init(&q, args, 2);
    CHECK_INT(kq_sbatch_make(&q, 7, "kq3.7-0123abcd", "/home/alice/.local/share/kueue/alloc-logs",
                             &sb), 0);
    CHECK_STR(sb.argv[0], "sbatch");
    CHECK_STR(sb.argv[1], "--parsable");
    CHECK_STR(sb.argv[2], "--partition=short");
    CHECK_STR(sb.argv[3], "--account=lab42");
    CHECK(sb.argv[4] == NULL);
    CHECK_STR(text(&sb.script),
              "#!/bin/sh\n"
              "#SBATCH --job-name=kq3.7-0123abcd\n"
              "#SBATCH --time=0-02:00:00\n"
              "#SBATCH --nodes=1\n"
              "#SBATCH --no-requeue\n"
              "#SBATCH --output=/home/alice/.local/share/kueue/alloc-logs/%x-%j.out\n"
              "# Kueue-C: allocation 7 of allocation queue 3, submitted by kueue_server\n"
              "# (kueue alloc list/events 3).  The workers read the shared secret from their\n"
              "# configuration file; it is never on a command line.\n"
              "export KUEUE_ALLOCATION=kq3.7-0123abcd\n"
              "exec /home/alice/.local/bin/kueue_worker -c /home/alice/.config/kueue/config.toml "
              "--server login1:11236 \\\n"
              "    --lifetime 2h --idle-exit 5m\n");
    kq_sbatch_describe(&sb, &d);
    CHECK(strncmp(text(&d), "sbatch --parsable --partition=short --account=lab42 <<'EOF'\n#!/bin/sh\n",
                  strlen("sbatch --parsable --partition=short --account=lab42 <<'EOF'\n#!/bin/sh\n")) == 0);
    CHECK(d.len > 4 && strcmp(text(&d) + d.len - 4, "EOF\n") == 0);
    kq_buf_free(&d);
    kq_sbatch_free(&sb);
}

/* Paths that need quotes get them; several workers run through srun. */
static void test_quoting_and_srun(void)
{
    kq_str args[] = {kq_str_view("--constraint=a b"), kq_str_view("--comment=it's")};
    kq_alloc_queue q;
    kq_sbatch sb;
    kq_buf d = KQ_BUF_INIT;

    queue_init(&q, args, 2);
    q.workers_per_alloc = 4;
    q.has_margin_seconds = true;
    q.margin_seconds = 1800;
    q.worker_program = kq_str_view("/opt/my kueue/kueue_worker");
    q.worker_config = kq_str_view("/home/o'neil/config.toml");
    CHECK_INT(kq_sbatch_make(&q, 1, "kq3.1-0123abcd", "/logs", &sb), 0);
    CHECK(strstr(text(&sb.script), "#SBATCH --nodes=4\n"));
    CHECK(strstr(text(&sb.script), "--lifetime 2h --idle-exit 5m --margin 30m\n"));
    CHECK(strstr(text(&sb.script),
                 "exec srun --nodes=4 --ntasks-per-node=1 --cpus-per-task=\"$SLURM_CPUS_ON_NODE\" "
                 "--mem=0 --kill-on-bad-exit=0 \\\n    '/opt/my kueue/kueue_worker' -c "
                 "'/home/o'\\''neil/config.toml' --server login1:11236"));
    /* argv goes to sbatch as it is; only the text for people is quoted. */
    CHECK_STR(sb.argv[2], "--constraint=a b");
    kq_sbatch_describe(&sb, &d);
    CHECK(strstr(text(&d), "sbatch --parsable '--constraint=a b' '--comment=it'\\''s' <<'EOF'\n"));
    kq_buf_free(&d);
    kq_sbatch_free(&sb);
    /* A token the script could not hold as it is. */
    CHECK_INT(kq_sbatch_make(&q, 1, "kq3.1 x", "/logs", &sb), -EINVAL);
    CHECK_INT(kq_sbatch_make(&q, 1, "", "/logs", &sb), -EINVAL);
    CHECK(sb.argv == NULL && sb.script.len == 0);
}

static void test_time_and_quote(void)
{
    kq_buf b = KQ_BUF_INIT;

    kq_sbatch_time(&b, 60);
    kq_buf_putc(&b, ' ');
    kq_sbatch_time(&b, 90061);
    kq_buf_putc(&b, ' ');
    kq_sbatch_time(&b, 3 * 86400 + 59);
    CHECK_STR(text(&b), "0-00:01:00 1-01:01:01 3-00:00:59");
    kq_buf_clear(&b);
    kq_sbatch_quote(&b, "plain-path/x_y.z:1,2+3@4%5=6");
    kq_buf_putc(&b, ' ');
    kq_sbatch_quote(&b, "");
    kq_buf_putc(&b, ' ');
    kq_sbatch_quote(&b, "$HOME `x` \"y\"");
    CHECK_STR(text(&b), "plain-path/x_y.z:1,2+3@4%5=6 '' '$HOME `x` \"y\"'");
    kq_buf_free(&b);
}

int main(void)
{
    test_script();
    test_quoting_and_srun();
    test_time_and_quote();
    KQ_TEST_DONE();
}
