/*
 * test_envs.c - kq_envs: environments checked and sorted, kept once by
 * content with counted references, restored under their ids, and the ids
 * of stored ones that went.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_envs.h"
#include "kq_test.h"

/* An environment of the n variables (copied). */
static kq_job_env make(const char *const *vars, size_t n, bool adds)
{
    kq_job_env env = {0};

    env.add_to_worker = adds;
    env.variables.items = calloc(n ? n : 1, sizeof *env.variables.items);
    env.variables.len = n;
    for (size_t i = 0; i < n; i++)
        CHECK_INT(kq_str_set(&env.variables.items[i], vars[i], strlen(vars[i])), 0);
    return env;
}

static void check_refused(const char *const *vars, size_t n, const char *want)
{
    kq_job_env env = make(vars, n, false);
    char why[200] = "";

    CHECK_INT(kq_envs_check(&env, why, sizeof why), -EINVAL);
    CHECK_STR(why, want);
    kq_job_env_free(&env);
}

static void test_check(void)
{
    static const char *const unsorted[] = {"PATH=/bin", "HOME=/h", "A=", "AB=1"};
    static const char *const twice[] = {"X=1", "Y=2", "X=3"};
    static const char *const no_eq[] = {"X=1", "JUSTNAME"};
    static const char *const no_name[] = {"=value"};
    kq_job_env env = make(unsorted, 4, false);
    char why[200];

    CHECK_INT(kq_envs_check(&env, why, sizeof why), 0);
    CHECK_STR(env.variables.items[0].ptr, "A=");
    CHECK_STR(env.variables.items[1].ptr, "AB=1");
    CHECK_STR(env.variables.items[2].ptr, "HOME=/h");
    CHECK_STR(env.variables.items[3].ptr, "PATH=/bin");
    kq_job_env_free(&env);
    check_refused(twice, 3, "Environment variable X is given twice.");
    check_refused(no_eq, 2, "Environment variable 2 is not NAME=VALUE: \"JUSTNAME\".");
    check_refused(no_name, 1, "Environment variable 1 is not NAME=VALUE: \"=value\".");
    env = make(no_name, 1, false);
    env.variables.items[0].ptr[3] = '\0';
    CHECK_INT(kq_envs_check(&env, why, sizeof why), -EINVAL);
    CHECK_STR(why, "Environment variable 1 holds a NUL character.");
    kq_job_env_free(&env);
}

static void test_intern(void)
{
    static const char *const a[] = {"HOME=/h", "PATH=/bin"};
    static const char *const b[] = {"HOME=/h", "PATH=/usr/bin"};
    kq_envs t;
    kq_job_env env;
    kq_env *e1, *e2, *e3, *e4;

    kq_envs_init(&t);
    env = make(a, 2, false);
    e1 = kq_envs_intern(&t, &env);
    CHECK(e1 && env.variables.items == NULL);
    env = make(a, 2, false);
    e2 = kq_envs_intern(&t, &env);
    CHECK(e2 == e1 && e1->refs == 2);
    env = make(b, 2, false);
    e3 = kq_envs_intern(&t, &env);
    env = make(a, 2, true); /* adding to the worker's is another one */
    e4 = kq_envs_intern(&t, &env);
    CHECK(e3 != e1 && e4 != e1 && e4 != e3);
    CHECK_INT(t.count, 3);
    CHECK(e1->id && e3->id > e1->id && e4->id > e3->id);
    /* Many distinct ones: the table grows. */
    for (int i = 0; i < 200; i++) {
        char var[32];
        const char *v[] = {var};

        snprintf(var, sizeof var, "N=%d", i);
        env = make(v, 1, false);
        CHECK(kq_envs_intern(&t, &env) != NULL);
    }
    CHECK_INT(t.count, 203);
    /* Unstored ones go without a trace; stored ones leave their id. */
    e3->stored = true;
    kq_env_unref(e3);
    CHECK_INT(t.count, 202);
    CHECK_INT(t.ndropped, 1);
    kq_env_unref(e1);
    CHECK_INT(t.count, 202);
    kq_env_unref(e1);
    kq_env_unref(e4);
    CHECK_INT(t.count, 200);
    CHECK_INT(t.ndropped, 1);
    kq_envs_clear_dropped(&t);
    kq_envs_free(&t);
}

static void test_restore(void)
{
    static const char *const a[] = {"HOME=/h"};
    kq_envs t;
    kq_job_env env;
    kq_env *kept, *unused, *again;

    kq_envs_init(&t);
    env = make(a, 1, false);
    kept = kq_envs_restore(&t, 7, &env);
    env = make(a, 1, true);
    unused = kq_envs_restore(&t, 9, &env);
    CHECK(kept && unused && kept->stored && kept->refs == 0 && kept->id == 7);
    kq_env_ref(kept);
    /* A job submitted now with the same content shares it. */
    env = make(a, 1, false);
    again = kq_envs_intern(&t, &env);
    CHECK(again == kept && kept->refs == 2);
    /* New ones come after the highest id read back. */
    env = make(a + 0, 0, false);
    CHECK(kq_envs_intern(&t, &env)->id == 10);
    kq_envs_drop_unused(&t);
    CHECK_INT(t.count, 2);
    CHECK_INT(t.ndropped, 1);
    CHECK_INT(t.dropped[0], 9);
    kq_envs_free(&t);
}

int main(void)
{
    test_check();
    test_intern();
    test_restore();
    KQ_TEST_DONE();
}
