/*
 * test_hkdf.c - kq_hkdf: HMAC-SHA256 against RFC 4231 (a key longer than
 * a block), HKDF-SHA256 against RFC 5869 (test cases 1 and 3: two blocks
 * of output, empty salt and info), the TLS key derivation of the README's
 * Python (a secret longer than a block), and the output bound.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kq_hkdf.h"
#include "kq_test.h"
#include "kq_tls.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void test_hmac(void)
{
    static const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";
    unsigned char key[131], out[KQ_HKDF_HASH_LEN];
    char text[2 * sizeof out + 1];

    memset(key, 0xaa, sizeof key);
    CHECK_INT(kq_hmac_sha256(key, sizeof key, msg, strlen(msg), out), 0);
    hex(out, sizeof out, text);
    CHECK_STR(text, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_rfc5869(void)
{
    unsigned char ikm[22], salt[13], info[10], okm[42];
    char text[2 * sizeof okm + 1];

    memset(ikm, 0x0b, sizeof ikm);
    for (unsigned i = 0; i < sizeof salt; i++)
        salt[i] = (unsigned char)i;
    for (unsigned i = 0; i < sizeof info; i++)
        info[i] = (unsigned char)(0xf0 + i);
    CHECK_INT(kq_hkdf_sha256(salt, sizeof salt, ikm, sizeof ikm, info, sizeof info, okm,
                             sizeof okm),
              0);
    hex(okm, sizeof okm, text);
    CHECK_STR(text, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                    "34007208d5b887185865");
    CHECK_INT(kq_hkdf_sha256("", 0, ikm, sizeof ikm, "", 0, okm, sizeof okm), 0);
    hex(okm, sizeof okm, text);
    CHECK_STR(text, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                    "9d201395faa4b61a96c8");
    CHECK_INT(kq_hkdf_sha256("", 0, ikm, sizeof ikm, "", 0, okm, KQ_HKDF_MAX_OUT + 1),
              -EINVAL);
}

/* prk = hmac.new(b"kueue-c tls", secret.encode(), hashlib.sha256).digest()
 * key = hmac.new(prk, b"kueue-c tls13 psk v1\x01", hashlib.sha256).digest() */
static void test_tls_key(void)
{
    char secret[201], text[2 * KQ_TLS_KEY_LEN + 1];
    unsigned char key[KQ_TLS_KEY_LEN];

    memset(secret, 'x', 200);
    secret[200] = '\0';
    CHECK_INT(kq_tls_derive_key(secret, strlen(secret), key), 0);
    hex(key, sizeof key, text);
    CHECK_STR(text, "c5c0b20f31abeff8ec79a2a6bc0dda682dfaac75da4d180146cdfa79eb4d7d5f");
}

int main(void)
{
    test_hmac();
    test_rfc5869();
    test_tls_key();
    KQ_TEST_DONE();
}
