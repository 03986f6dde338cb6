/*
 * test_auth.c - kq_auth: the reference's response vectors, exact-match
 * checking (no padding, no prefixes, no case folding), and the alphabet and
 * rough uniformity of generated salts and secrets.
 */
#include <string.h>

#include "kq_auth.h"
#include "kq_test.h"

#define SALT "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab"
#define SECRET "keep private!"
#define ANSWER "t32XpQPto3ceuNGGh1XVXi4pbLHOMk4ewBb5WsM0WCI"
#define EMPTY_ANSWER "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"

static void test_response(void)
{
    char out[KQ_AUTH_RESPONSE_LEN + 1];

    CHECK_INT(strlen(SALT), KQ_AUTH_SALT_LEN);
    CHECK_INT(kq_auth_response(SECRET, strlen(SECRET), SALT, strlen(SALT),
                               out),
              0);
    CHECK_STR(out, ANSWER);
    CHECK_INT(kq_auth_response("", 0, "", 0, out), 0);
    CHECK_STR(out, EMPTY_ANSWER);

    /* secret || salt is one message: only the concatenation matters. */
    CHECK_INT(kq_auth_response("keep", 4, " private!" SALT,
                               strlen(" private!" SALT), out),
              0);
    CHECK_STR(out, ANSWER);

    /* Lengths are honoured, not NULs. */
    CHECK_INT(kq_auth_response(SECRET "junk", strlen(SECRET), SALT "junk",
                               strlen(SALT), out),
              0);
    CHECK_STR(out, ANSWER);
    CHECK_INT(kq_auth_response("a\0b", 3, "", 0, out), 0);
    CHECK(strcmp(out, EMPTY_ANSWER) != 0);
    CHECK_INT(strlen(out), KQ_AUTH_RESPONSE_LEN);
}

static bool check(const char *response, size_t len)
{
    return kq_auth_check(SECRET, strlen(SECRET), SALT, strlen(SALT), response,
                         len);
}

static void test_check(void)
{
    char wrong[KQ_AUTH_RESPONSE_LEN + 1];

    CHECK(check(ANSWER, strlen(ANSWER)));
    CHECK(kq_auth_check("", 0, "", 0, EMPTY_ANSWER, strlen(EMPTY_ANSWER)));

    CHECK(!check(ANSWER "=", strlen(ANSWER) + 1));
    CHECK(!check(ANSWER "x", strlen(ANSWER) + 1));
    CHECK(!check(ANSWER, strlen(ANSWER) - 1));
    CHECK(!check(ANSWER, 0));
    CHECK(!check("", 0));
    CHECK(!check(EMPTY_ANSWER, strlen(EMPTY_ANSWER)));
    CHECK(!check("T32XpQPto3ceuNGGh1XVXi4pbLHOMk4ewBb5WsM0WCI", 43));
    CHECK(!kq_auth_check("keep private?", 13, SALT, strlen(SALT), ANSWER,
                         strlen(ANSWER)));
    CHECK(!kq_auth_check(SECRET, strlen(SECRET), SALT, strlen(SALT) - 1,
                         ANSWER, strlen(ANSWER)));

    /* A difference at any single position is caught. */
    for (size_t i = 0; i < KQ_AUTH_RESPONSE_LEN; i++) {
        memcpy(wrong, ANSWER, sizeof wrong);
        wrong[i] = wrong[i] == 'A' ? 'B' : 'A';
        CHECK(!check(wrong, KQ_AUTH_RESPONSE_LEN));
    }
}

static bool is_alnum_ascii(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9');
}

/* Every generated character is in [A-Za-z0-9] and, over many draws, each
 * of the 62 appears close to 1/62 of the time. */
static void test_random(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    long counts[128] = {0};
    char a[KQ_AUTH_SALT_LEN + 1], b[KQ_AUTH_SALT_LEN + 1];
    const int rounds = 4000;
    int bad = 0;
    double expected;

    for (int r = 0; r < rounds; r++) {
        CHECK_INT(kq_auth_salt(a), 0);
        CHECK_INT(kq_auth_random_secret(b), 0);
        if (strlen(a) != KQ_AUTH_SALT_LEN || strlen(b) != KQ_AUTH_SALT_LEN)
            bad++;
        for (int i = 0; i < KQ_AUTH_SALT_LEN; i++) {
            if (!is_alnum_ascii(a[i]) || !is_alnum_ascii(b[i])) {
                bad++;
                continue;
            }
            counts[(unsigned char)a[i]]++;
            counts[(unsigned char)b[i]]++;
        }
    }
    CHECK_INT(bad, 0);
    CHECK(strcmp(a, b) != 0);

    /* 512000 draws: each count is ~8258 with sigma ~90; a modulo bias of
     * 256 % 62 would put the first eight symbols ~25% high. */
    expected = 2.0 * rounds * KQ_AUTH_SALT_LEN / 62.0;
    for (int i = 0; i < 62; i++) {
        long n = counts[(unsigned char)alphabet[i]];

        if (n < expected * 0.93 || n > expected * 1.07) {
            fprintf(stderr, "'%c' drawn %ld times, expected ~%.0f\n",
                    alphabet[i], n, expected);
            bad++;
        }
    }
    CHECK_INT(bad, 0);

    /* Fresh salts answer differently. */
    {
        char r1[KQ_AUTH_RESPONSE_LEN + 1], r2[KQ_AUTH_RESPONSE_LEN + 1];

        CHECK_INT(kq_auth_salt(a), 0);
        CHECK_INT(kq_auth_salt(b), 0);
        CHECK_INT(kq_auth_response(SECRET, 13, a, KQ_AUTH_SALT_LEN, r1), 0);
        CHECK_INT(kq_auth_response(SECRET, 13, b, KQ_AUTH_SALT_LEN, r2), 0);
        CHECK(strcmp(r1, r2) != 0);
        CHECK(kq_auth_check(SECRET, 13, a, KQ_AUTH_SALT_LEN, r1, 43));
        CHECK(!kq_auth_check(SECRET, 13, b, KQ_AUTH_SALT_LEN, r1, 43));
    }
}

int main(void)
{
    test_response();
    test_check();
    test_random();
    KQ_TEST_DONE();
}
