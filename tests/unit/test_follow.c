/*
 * test_follow.c - kueue follow's output: the last lines of what a job
 * wrote so far, and both streams marked line by line (an unfinished line
 * waits for its newline, or ends with one added).
 */
#include <stdlib.h>

#include "kq_follow.h"
#include "kq_test.h"

static void test_last_lines(void)
{
    const char *t = "a\nb\nc\n";

    CHECK_INT(kq_follow_last_lines(t, 6, 0), 6);
    CHECK_INT(kq_follow_last_lines(t, 6, 1), 4);
    CHECK_INT(kq_follow_last_lines(t, 6, 2), 2);
    CHECK_INT(kq_follow_last_lines(t, 6, 3), 0);
    CHECK_INT(kq_follow_last_lines(t, 6, 99), 0);
    /* A last line without its newline counts. */
    CHECK_INT(kq_follow_last_lines("a\nb\nc", 5, 1), 4);
    CHECK_INT(kq_follow_last_lines("a\nb\nc", 5, 2), 2);
    CHECK_INT(kq_follow_last_lines("", 0, 5), 0);
    CHECK_INT(kq_follow_last_lines("\n\n", 2, 1), 1);
}

static void test_marked(void)
{
    char *text = NULL;
    size_t len = 0;
    kq_follow_out o = {open_memstream(&text, &len), true, {KQ_BUF_INIT, KQ_BUF_INIT}};

    kq_follow_write(&o, 0, "one\ntw", 6);
    kq_follow_write(&o, 1, "oops", 4);
    kq_follow_write(&o, 0, "o\nthree\nfo", 10);
    kq_follow_write(&o, 1, "!\n", 2);
    kq_follow_end(&o);
    fclose(o.fp);
    CHECK_STR(text, "[stdout] one\n[stdout] two\n[stdout] three\n[stderr] oops!\n"
                    "[stdout] fo\n");
    free(text);
}

static void test_plain(void)
{
    char *text = NULL;
    size_t len = 0;
    kq_follow_out o = {open_memstream(&text, &len), false, {KQ_BUF_INIT, KQ_BUF_INIT}};

    kq_follow_write(&o, 0, "par", 3);
    kq_follow_write(&o, 0, "tial", 4);
    kq_follow_end(&o);
    fclose(o.fp);
    CHECK_STR(text, "partial");
    free(text);
}

int main(void)
{
    test_last_lines();
    test_marked();
    test_plain();
    KQ_TEST_DONE();
}
