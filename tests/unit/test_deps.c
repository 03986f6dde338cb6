/*
 * test_deps.c - the dependency graph: waiting, settling, keeping, and the
 * hash table under many jobs against a plain model.
 */
#include <stdlib.h>

#include "kq_deps.h"
#include "kq_test.h"

static void basics(void)
{
    kq_deps d;
    kq_dep_edge *e;
    size_t n;

    kq_deps_init(&d);
    CHECK(kq_deps_empty(&d));
    /* 3 waits for 1 (strict) and 2 (any); 2 has ended already. */
    CHECK_INT(kq_deps_link(&d, 3, 1, false, true), 0);
    CHECK_INT(kq_deps_link(&d, 3, 2, true, false), 0);
    CHECK_INT(kq_deps_unmet(&d, 3), 1);
    CHECK(kq_deps_kept(&d, 1));
    CHECK(kq_deps_kept(&d, 2));
    CHECK(!kq_deps_kept(&d, 3));
    CHECK(kq_deps_known(&d, 3));
    /* 4 waits for 1 too. */
    CHECK_INT(kq_deps_link(&d, 4, 1, true, true), 0);
    n = kq_deps_take_dependents(&d, 1, &e);
    CHECK_INT(n, 2);
    CHECK_INT(e[0].id, 3);
    CHECK(!e[0].any);
    CHECK_INT(e[1].id, 4);
    CHECK(e[1].any);
    free(e);
    CHECK_INT(kq_deps_take_dependents(&d, 1, &e), 0);
    CHECK(e == NULL);
    CHECK_INT(kq_deps_met(&d, 3), 0);
    CHECK_INT(kq_deps_met(&d, 3), 0); /* nothing left: stays 0 */
    kq_deps_forget_unmet(&d, 4);
    CHECK_INT(kq_deps_unmet(&d, 4), 0);
    /* 1 and 2 are kept until 3 and 4 end. */
    CHECK(kq_deps_kept(&d, 1));
    kq_deps_unlink(&d, 1); /* 3 ended */
    kq_deps_unlink(&d, 2);
    CHECK(kq_deps_kept(&d, 1));
    CHECK(!kq_deps_kept(&d, 2));
    kq_deps_unlink(&d, 1); /* 4 ended */
    CHECK(!kq_deps_kept(&d, 1));
    kq_deps_unlink(&d, 1); /* one too many: ignored */
    CHECK(kq_deps_empty(&d));
    kq_deps_free(&d);
}

/* A chain 0 <- 1 <- ... and a fan 0 -> many: every node goes away once
 * everything settled. */
static void chain_and_fan(void)
{
    enum { N = 20000 };
    kq_deps d;
    kq_dep_edge *e;

    kq_deps_init(&d);
    for (uint64_t i = 1; i < N; i++)
        CHECK_INT(kq_deps_link(&d, i, i - 1, false, true), 0);
    for (uint64_t i = 0; i < N; i++) {
        size_t n = kq_deps_take_dependents(&d, i, &e);

        if (i + 1 < N) {
            CHECK_INT(n, 1);
            CHECK_INT(e[0].id, i + 1);
            CHECK_INT(kq_deps_met(&d, i + 1), 0);
        }
        free(e);
        if (i > 0)
            kq_deps_unlink(&d, i - 1);
    }
    CHECK(kq_deps_empty(&d));
    for (uint64_t i = 1; i < N; i++)
        CHECK_INT(kq_deps_link(&d, N + i, N, false, true), 0);
    CHECK_INT(kq_deps_take_dependents(&d, N, &e), N - 1);
    free(e);
    for (uint64_t i = 1; i < N; i++) {
        CHECK_INT(kq_deps_met(&d, N + i), 0);
        kq_deps_unlink(&d, N);
    }
    CHECK(kq_deps_empty(&d));
    CHECK_INT(d.cap, 64); /* shrank back */
    kq_deps_free(&d);
}

/* Random links and settlements against counts kept by hand. */
static void random_model(void)
{
    enum { IDS = 3000 };
    static uint64_t unmet[IDS], keepers[IDS], waiting_on[IDS];
    kq_deps d;
    unsigned seed = 7;
    int bad = 0;

    kq_deps_init(&d);
    for (int step = 0; step < 200000; step++) {
        uint64_t a, b;

        seed = seed * 1103515245 + 12345;
        a = (seed >> 8) % IDS;
        seed = seed * 1103515245 + 12345;
        b = (seed >> 8) % IDS;
        switch ((seed >> 4) % 4) {
        case 0:
        case 1:
            if (a == b)
                break;
            CHECK_INT(kq_deps_link(&d, a, b, false, (seed >> 6) & 1), 0);
            keepers[b]++;
            if ((seed >> 6) & 1) {
                unmet[a]++;
                waiting_on[b]++;
            }
            break;
        case 2: {
            kq_dep_edge *e;
            size_t n = kq_deps_take_dependents(&d, a, &e);

            bad += n != waiting_on[a];
            waiting_on[a] = 0;
            for (size_t i = 0; i < n; i++) {
                uint64_t left = kq_deps_met(&d, e[i].id);

                unmet[e[i].id]--;
                bad += left != unmet[e[i].id];
            }
            free(e);
            break;
        }
        default:
            if (keepers[a]) {
                kq_deps_unlink(&d, a);
                keepers[a]--;
            }
            break;
        }
    }
    for (uint64_t id = 0; id < IDS; id++) {
        bad += kq_deps_unmet(&d, id) != unmet[id];
        bad += kq_deps_kept(&d, id) != (keepers[id] > 0);
        bad += kq_deps_known(&d, id) != (unmet[id] || keepers[id] || waiting_on[id]);
    }
    CHECK_INT(bad, 0);
    kq_deps_free(&d);
}

int main(void)
{
    basics();
    chain_and_fan();
    random_model();
    KQ_TEST_DONE();
}
