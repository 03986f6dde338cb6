/*
 * test_child.c - helper programs run from the loop: output and exit
 * status, stdin fed, a program that does not exist, a time limit, output
 * beyond the bound, a forgotten child, several at once, and children
 * killed when the set is freed.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kq_child.h"
#include "kq_test.h"

typedef struct outcome {
    int done;
    int status, timed_out;
    char out[256], err[256];
    size_t out_len;
    char why[160];
} outcome;

static void on_done(void *arg, const kq_child_result *res)
{
    outcome *o = arg;

    o->done++;
    o->status = res->status;
    o->timed_out = res->timed_out;
    o->out_len = res->out_len;
    snprintf(o->out, sizeof o->out, "%s", res->out);
    snprintf(o->err, sizeof o->err, "%s", res->err);
    kq_child_describe(res, o->why, sizeof o->why);
}

static void run_until(kq_loop *loop, const outcome *o, int want)
{
    for (int i = 0; i < 2000 && o->done < want; i++)
        CHECK_INT(kq_loop_turn(loop, 10), 0);
    CHECK_INT(o->done, want);
}

static void test_output_status_and_stdin(kq_loop *loop, kq_children *cs)
{
    char *argv[] = {"sh", "-c", "read x; echo \"out $x\"; echo err >&2; exit 3", NULL};
    outcome o = {0};

    CHECK(kq_child_run(cs, argv, "hello\n", 6, 10000, on_done, &o) > 0);
    CHECK_INT(kq_children_running(cs), 1);
    run_until(loop, &o, 1);
    CHECK(WIFEXITED(o.status));
    CHECK_INT(WEXITSTATUS(o.status), 3);
    CHECK_STR(o.out, "out hello\n");
    CHECK_STR(o.err, "err\n");
    CHECK_STR(o.why, "exit status 3");
    CHECK_INT(kq_children_running(cs), 0);
}

static void test_missing_program(kq_loop *loop, kq_children *cs)
{
    char *argv[] = {"kq-no-such-program-anywhere", NULL};
    outcome o = {0};

    CHECK(kq_child_run(cs, argv, NULL, 0, 10000, on_done, &o) > 0);
    CHECK_INT(o.done, 0); /* reported from a callback, never at once */
    run_until(loop, &o, 1);
    CHECK_INT(o.status, -ENOENT);
    CHECK_STR(o.why, "cannot run it: No such file or directory");
}

static void test_time_limit(kq_loop *loop, kq_children *cs)
{
    char *argv[] = {"sleep", "30", NULL};
    outcome o = {0};

    CHECK(kq_child_run(cs, argv, NULL, 0, 50, on_done, &o) > 0);
    run_until(loop, &o, 1);
    CHECK(o.timed_out);
    CHECK(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGKILL);
    CHECK_STR(o.why, "killed at its time limit");
}

/* More than the bound is read and dropped: the child is not stalled on a
 * full pipe. */
static void test_output_bound(kq_loop *loop, kq_children *cs)
{
    char *argv[] = {"sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x", NULL};
    outcome o = {0};

    CHECK(kq_child_run(cs, argv, NULL, 0, 20000, on_done, &o) > 0);
    run_until(loop, &o, 1);
    CHECK(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
    CHECK_INT(o.out_len, KQ_CHILD_OUTPUT_MAX);
}

/* A program that exits without reading a big stdin does not stall the
 * loop (its pipe is closed on EPIPE). */
static void test_unread_stdin(kq_loop *loop, kq_children *cs)
{
    char *argv[] = {"true", NULL};
    size_t n = 1u << 20;
    char *big = malloc(n);
    outcome o = {0};

    memset(big, 'y', n);
    CHECK(kq_child_run(cs, argv, big, n, 10000, on_done, &o) > 0);
    free(big);
    run_until(loop, &o, 1);
    CHECK(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
}

static void test_forget_and_many(kq_loop *loop, kq_children *cs)
{
    char *slow[] = {"sleep", "30", NULL};
    char *fast[] = {"echo", "x", NULL};
    outcome forgotten = {0}, o = {0};
    uint64_t id = kq_child_run(cs, slow, NULL, 0, 60000, on_done, &forgotten);

    for (int i = 0; i < 5; i++)
        CHECK(kq_child_run(cs, fast, NULL, 0, 10000, on_done, &o) > 0);
    kq_child_forget(cs, id);
    CHECK_INT(kq_children_running(cs), 5);
    run_until(loop, &o, 5);
    for (int i = 0; i < 50; i++)
        CHECK_INT(kq_loop_turn(loop, 5), 0);
    CHECK_INT(forgotten.done, 0);
    CHECK_INT(kq_children_running(cs), 0);
}

int main(void)
{
    kq_loop *loop = NULL;
    kq_children *cs = NULL;
    char *slow[] = {"sleep", "30", NULL};
    outcome never = {0};

    signal(SIGPIPE, SIG_IGN);
    CHECK_INT(kq_loop_new(&loop), 0);
    CHECK_INT(kq_children_new(loop, &cs), 0);
    test_output_status_and_stdin(loop, cs);
    test_missing_program(loop, cs);
    test_time_limit(loop, cs);
    test_output_bound(loop, cs);
    test_unread_stdin(loop, cs);
    test_forget_and_many(loop, cs);
    /* Freed with a child still running: it is killed and reaped, without
     * its callback. */
    CHECK(kq_child_run(cs, slow, NULL, 0, 60000, on_done, &never) > 0);
    kq_children_free(cs);
    CHECK_INT(never.done, 0);
    CHECK_INT(waitpid(-1, NULL, WNOHANG), -1);
    kq_loop_free(loop);
    KQ_TEST_DONE();
}
