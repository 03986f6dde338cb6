/*
 * test_outname.c - kq_outname: placeholders in output file names, as the
 * worker fills them in and the client checks them.
 */
#include <errno.h>

#include "kq_outname.h"
#include "kq_test.h"

static void check_expand(const char *pattern, const uint64_t *index, const char *want,
                         const char *error)
{
    kq_buf out = KQ_BUF_INIT, why = KQ_BUF_INIT;

    CHECK_INT(kq_outname_expand(&out, pattern, 42, "vm", index, &why), want ? 0 : -EINVAL);
    CHECK_STR(want ? kq_buf_ptr(&out) : kq_buf_ptr(&why), want ? want : error);
    kq_buf_free(&out);
    kq_buf_free(&why);
}

static void test_expand(void)
{
    uint64_t seven = 7;

    check_expand("out-{id}.log", NULL, "out-42.log", NULL);
    check_expand("{worker}/{id}-{id}", NULL, "vm/42-42", NULL);
    check_expand("plain.txt", NULL, "plain.txt", NULL);
    check_expand("", NULL, "", NULL);
    check_expand("{{id}}.txt", NULL, "{id}.txt", NULL);
    check_expand("a}}b{{", NULL, "a}b{", NULL);
    check_expand("part-{index}", &seven, "part-7", NULL);
    check_expand("out-{index}.log", NULL, NULL,
                 "output file out-{index}.log: {index}: job 42 is not part of an array");
    check_expand("x{ID}", NULL, NULL, "output file x{ID}: unknown placeholder {ID} (known: "
                                      "{id}, {worker}, {index}; {{ and }} for braces)");
    check_expand("x{}", NULL, NULL, "output file x{}: unknown placeholder {} (known: {id}, "
                                    "{worker}, {index}; {{ and }} for braces)");
    check_expand("a{b", NULL, NULL, "output file a{b: a lone {: write {{ for a brace");
    check_expand("a}b", NULL, NULL, "output file a}b: a lone }: write }} for a brace");
    check_expand("{{{id}}}", NULL, "{42}", NULL);
}

static void test_check(void)
{
    kq_buf why = KQ_BUF_INIT;

    CHECK_INT(kq_outname_check("log-{id}-{worker}-{index}.txt", &why), 0);
    CHECK_INT(kq_outname_check("log-{job}.txt", &why), -EINVAL);
    CHECK_STR(kq_buf_ptr(&why), "output file log-{job}.txt: unknown placeholder {job} (known: "
                                "{id}, {worker}, {index}; {{ and }} for braces)");
    kq_buf_free(&why);
}

int main(void)
{
    test_expand();
    test_check();
    KQ_TEST_DONE();
}
