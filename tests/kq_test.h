/*
 * kq_test.h - the few assertions the unit tests need.
 *
 * A failed check prints file:line and the values and marks the test failed;
 * the test goes on so one run shows every failure.  main() ends with
 * KQ_TEST_DONE() which turns the tally into the exit status CTest reads.
 * Leaks are caught by running the same tests under ASan/LSan.
 */
#ifndef KQ_TEST_H
#define KQ_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int kq_test_failures;
static int kq_test_checks;

#define CHECK(cond)                                                          \
    do {                                                                     \
        kq_test_checks++;                                                    \
        if (!(cond)) {                                                       \
            kq_test_failures++;                                              \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
                    #cond);                                                  \
        }                                                                    \
    } while (0)

#define CHECK_INT(a, b)                                                       \
    do {                                                                      \
        long long kq_a_ = (long long)(a), kq_b_ = (long long)(b);             \
        kq_test_checks++;                                                     \
        if (kq_a_ != kq_b_) {                                                 \
            kq_test_failures++;                                               \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",       \
                    __FILE__, __LINE__, #a, kq_a_, #b, kq_b_);                \
        }                                                                     \
    } while (0)

#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *kq_a_ = (a), *kq_b_ = (b);                               \
        kq_test_checks++;                                                    \
        if (!kq_a_ || !kq_b_ || strcmp(kq_a_, kq_b_) != 0) {                 \
            kq_test_failures++;                                              \
            fprintf(stderr, "%s:%d: %s\n  got:      \"%s\"\n  expected: \"%s\"\n", \
                    __FILE__, __LINE__, #a, kq_a_ ? kq_a_ : "(null)",          \
                    kq_b_ ? kq_b_ : "(null)");                               \
        }                                                                    \
    } while (0)

#define KQ_TEST_DONE()                                                       \
    do {                                                                     \
        if (kq_test_failures) {                                              \
            fprintf(stderr, "%d of %d checks failed\n", kq_test_failures,    \
                    kq_test_checks);                                         \
            return 1;                                                        \
        }                                                                    \
        printf("%d checks passed\n", kq_test_checks);                        \
        return 0;                                                            \
    } while (0)

/* A small deterministic generator (xorshift64) for randomized checks: the
 * same seed gives the same sequence on every run, so a failure repeats.
 * *state must not be 0. */
static inline uint64_t kq_test_rng(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

#endif
