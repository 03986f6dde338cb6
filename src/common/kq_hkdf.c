/*
 * kq_hkdf.c - HMAC-SHA256 and HKDF-SHA256 (see kq_hkdf.h).
 */
#include "kq_hkdf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* The direct SHA-256 functions are deprecated in OpenSSL 3 in favour of
 * EVP, whose first use is what this module avoids. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#define BLOCK 64 /* SHA-256's block */

/* The keyed inner and outer hash contexts of an HMAC key. */
typedef struct hmac {
    SHA256_CTX inner, outer;
} hmac;

static bool hmac_init(hmac *h, const void *key, size_t key_len)
{
    unsigned char k[BLOCK] = {0}, pad[BLOCK];
    bool ok = true;

    /* A key longer than a block is replaced by its hash. */
    if (key_len > BLOCK) {
        SHA256_CTX c;

        ok = SHA256_Init(&c) == 1 && SHA256_Update(&c, key, key_len) == 1 &&
             SHA256_Final(k, &c) == 1;
        OPENSSL_cleanse(&c, sizeof c);
    } else if (key_len) {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    ok = ok && SHA256_Init(&h->inner) == 1 && SHA256_Update(&h->inner, pad, BLOCK) == 1;
    for (size_t i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    ok = ok && SHA256_Init(&h->outer) == 1 && SHA256_Update(&h->outer, pad, BLOCK) == 1;
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok;
}

/* Finishes the HMAC whose message went into h->inner; consumes h. */
static bool hmac_final(hmac *h, unsigned char out[KQ_HKDF_HASH_LEN])
{
    unsigned char d[KQ_HKDF_HASH_LEN];
    bool ok = SHA256_Final(d, &h->inner) == 1 && SHA256_Update(&h->outer, d, sizeof d) == 1 &&
              SHA256_Final(out, &h->outer) == 1;

    OPENSSL_cleanse(d, sizeof d);
    return ok;
}

int kq_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   unsigned char out[KQ_HKDF_HASH_LEN])
{
    hmac h;
    bool ok = hmac_init(&h, key, key_len) && SHA256_Update(&h.inner, msg, msg_len) == 1 &&
              hmac_final(&h, out);

    OPENSSL_cleanse(&h, sizeof h);
    return ok ? 0 : -EIO;
}

int kq_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
                   const void *info, size_t info_len, unsigned char *out, size_t out_len)
{
    unsigned char prk[KQ_HKDF_HASH_LEN], t[KQ_HKDF_HASH_LEN] = {0};
    size_t done = 0, t_len = 0;
    unsigned char counter = 0;
    hmac key, h;
    bool ok;

    if (out_len > KQ_HKDF_MAX_OUT)
        return -EINVAL;
    /* Extract: PRK = HMAC(salt, IKM). */
    ok = kq_hmac_sha256(salt, salt_len, ikm, ikm_len, prk) == 0 &&
         hmac_init(&key, prk, sizeof prk);
    /* Expand: T(i) = HMAC(PRK, T(i-1) || info || i), keyed once. */
    while (ok && done < out_len) {
        size_t n = out_len - done < sizeof t ? out_len - done : sizeof t;

        counter++;
        h = key;
        ok = SHA256_Update(&h.inner, t, t_len) == 1 &&
             SHA256_Update(&h.inner, info, info_len) == 1 &&
             SHA256_Update(&h.inner, &counter, 1) == 1 && hmac_final(&h, t);
        t_len = sizeof t;
        if (ok)
            memcpy(out + done, t, n);
        done += n;
    }
    OPENSSL_cleanse(prk, sizeof prk);
    OPENSSL_cleanse(t, sizeof t);
    OPENSSL_cleanse(&key, sizeof key);
    OPENSSL_cleanse(&h, sizeof h);
    if (!ok) {
        OPENSSL_cleanse(out, out_len);
        return -EIO;
    }
    return 0;
}
