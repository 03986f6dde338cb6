/*
 * test_idle.c - the idle-worker index: the rank, the best worker against
 * a plain scan while workers come, change and go, skip sets, the bound.
 */
#include <stdlib.h>
#include <string.h>

#include "kq_idle.h"
#include "kq_resources.h"
#include "kq_test.h"

enum { NW = 3000 };

typedef struct fake {
    kq_idle_worker iw;
    kq_resources free;
    kq_idset skip;
    bool registered;
} fake;

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state % n;
}

static void test_copies(void)
{
    kq_resources free = {16, 12, 64000};

    CHECK(kq_idle_copies(&free, &(kq_resources){1, 1, 100}) == 12);
    CHECK(kq_idle_copies(&free, &(kq_resources){1, 0, 32000}) == 2);
    CHECK(kq_idle_copies(&free, &(kq_resources){0, 4, 0}) == 3);
    CHECK(kq_idle_copies(&free, &(kq_resources){0, 0, 0}) == 16);
    CHECK(kq_idle_copies(&free, &(kq_resources){0, 0, 128000}) == 0.5);
}

/* The worker the rules give, by looking at every one. */
static fake *scan(fake *w, size_t n, const kq_resources *need, uint64_t job,
                  bool *fits_some)
{
    fake *best = NULL;

    *fits_some = false;
    for (size_t i = 0; i < n; i++) {
        if (!w[i].registered || !w[i].iw.idle || !kq_resources_fit(need, &w[i].free))
            continue;
        *fits_some = true;
        if (kq_idset_has(&w[i].skip, job))
            continue;
        if (!best || kq_idle_copies(&w[i].free, need) > kq_idle_copies(&best->free, need))
            best = &w[i];
    }
    return best;
}

static void test_against_scan(void)
{
    static fake w[NW];
    kq_idle x;
    size_t n = 0;
    int bad = 0;

    kq_idle_init(&x);
    for (int round = 0; round < 60000; round++) {
        uint64_t op = rnd(10);

        if (op < 3 && n < NW) {
            w[n].iw.id = 100 + 3 * n;
            w[n].iw.free = &w[n].free;
            w[n].iw.skip[0] = &w[n].skip;
            CHECK_INT(kq_idle_add(&x, &w[n].iw), 0);
            w[n].registered = true;
            n++;
        } else if (op < 6 && n) {
            fake *f = &w[rnd(n)];

            if (!f->registered)
                continue;
            /* Few distinct values, so that ties are common. */
            f->free = (kq_resources){rnd(4) * 4, rnd(5) * 4, rnd(3) * 8000};
            kq_idle_set(&x, &f->iw, rnd(5) != 0);
        } else if (op == 6 && n) {
            fake *f = &w[rnd(n)];

            if (f->registered && rnd(3) == 0) {
                kq_idle_remove(&x, &f->iw);
                f->registered = false;
            } else if (f->registered) {
                CHECK_INT(kq_idset_add(&f->skip, rnd(4)), 0);
            }
        } else {
            kq_resources need = {rnd(3), rnd(4) * 2, rnd(3) * 3000};
            uint64_t job = rnd(4);
            bool fits, want_fits;
            kq_idle_worker *got = kq_idle_best(&x, &need, job, &fits);
            fake *want = scan(w, n, &need, job, &want_fits);

            if (got != (want ? &want->iw : NULL) || fits != want_fits)
                bad++;
        }
    }
    CHECK_INT(bad, 0);
    /* Removals were compacted away. */
    CHECK(x.holes < 64 || 2 * x.holes < x.used);
    for (size_t i = 0; i < n; i++)
        kq_idset_free(&w[i].skip);
    kq_idle_free(&x);
}

static void test_bound_and_ties(void)
{
    fake a = {0}, b = {0};
    kq_idle x;
    kq_resources max;
    bool fits;

    kq_idle_init(&x);
    CHECK(!kq_idle_bound(&x, &max));
    CHECK(kq_idle_best(&x, &(kq_resources){1, 1, 1}, 0, &fits) == NULL && !fits);
    a.iw.id = 1;
    a.iw.free = &a.free;
    b.iw.id = 2;
    b.iw.free = &b.free;
    CHECK_INT(kq_idle_add(&x, &a.iw), 0);
    CHECK_INT(kq_idle_add(&x, &b.iw), 0);
    CHECK(!kq_idle_bound(&x, &max));
    a.free = (kq_resources){4, 1, 9000};
    b.free = (kq_resources){2, 8, 100};
    kq_idle_set(&x, &a.iw, true);
    kq_idle_set(&x, &b.iw, true);
    CHECK(kq_idle_bound(&x, &max));
    CHECK_INT(max.job_slots, 4);
    CHECK_INT(max.cpus, 8);
    CHECK_INT(max.ram_mb, 9000);
    /* Fits the bound, but no single worker. */
    CHECK(kq_idle_best(&x, &(kq_resources){1, 2, 1000}, 0, &fits) == NULL && !fits);
    /* Equal copies: the lower id. */
    b.free = (kq_resources){4, 1, 9000};
    kq_idle_set(&x, &b.iw, true);
    CHECK(kq_idle_best(&x, &(kq_resources){1, 1, 100}, 0, &fits) == &a.iw && fits);
    kq_idle_set(&x, &a.iw, false);
    CHECK(kq_idle_best(&x, &(kq_resources){1, 1, 100}, 0, &fits) == &b.iw);
    kq_idle_free(&x);
}

/* Horizons only fit, never rank: the roomiest worker whose horizon holds
 * the need wins; a worker without one (NULL) holds every need. */
static void test_horizons(void)
{
    fake a = {0}, b = {0}, c = {0};
    uint64_t ua[KQ_IDLE_TIMES] = {5000, 2000}, ub[KQ_IDLE_TIMES] = {9000, 0};
    uint64_t until[KQ_IDLE_TIMES];
    kq_resources need = {1, 1, 100};
    kq_idle x;
    bool fits;

    kq_idle_init(&x);
    a.iw.id = 1, a.iw.free = &a.free, a.iw.until = ua;
    b.iw.id = 2, b.iw.free = &b.free, b.iw.until = ub;
    c.iw.id = 3, c.iw.free = &c.free;
    a.free = (kq_resources){8, 8, 8000};
    b.free = (kq_resources){4, 4, 4000};
    c.free = (kq_resources){2, 2, 2000};
    CHECK_INT(kq_idle_add(&x, &a.iw), 0);
    CHECK_INT(kq_idle_add(&x, &b.iw), 0);
    CHECK_INT(kq_idle_add(&x, &c.iw), 0);
    kq_idle_set(&x, &a.iw, true);
    kq_idle_set(&x, &b.iw, true);
    kq_idle_set(&x, &c.iw, true);
    kq_idle_bound_until(&x, until);
    CHECK(until[KQ_IDLE_LIMITED] == UINT64_MAX && until[KQ_IDLE_OPEN] == UINT64_MAX);
    CHECK(kq_idle_best_until(&x, &need, (uint64_t[]){5000, 0}, 0, &fits) == &a.iw);
    CHECK(kq_idle_best_until(&x, &need, (uint64_t[]){5001, 0}, 0, &fits) == &b.iw);
    CHECK(kq_idle_best_until(&x, &need, (uint64_t[]){9001, 0}, 0, &fits) == &c.iw);
    CHECK(kq_idle_best_until(&x, &need, (uint64_t[]){0, 1}, 0, &fits) == &a.iw);
    CHECK(kq_idle_best_until(&x, &need, (uint64_t[]){0, 2001}, 0, &fits) == &c.iw);
    kq_idle_set(&x, &c.iw, false);
    CHECK(kq_idle_best_until(&x, &need, (uint64_t[]){9001, 0}, 0, &fits) == NULL && !fits);
    kq_idle_bound_until(&x, until);
    CHECK_INT(until[KQ_IDLE_LIMITED], 9000);
    CHECK_INT(until[KQ_IDLE_OPEN], 2000);
    kq_idle_free(&x);
}

int main(void)
{
    test_copies();
    test_bound_and_ties();
    test_horizons();
    test_against_scan();
    KQ_TEST_DONE();
}
