/*
 * kq_auth.c - the reference's shared-secret challenge-response:
 * base64(SHA-256(secret || salt)) without padding, compared in constant
 * time, and uniform random alphanumerics from the kernel's generator
 * (getrandom).  OpenSSL's RAND_bytes would drag its random-generator and
 * provider machinery into the server (2.3 MB of code, 0.75 MB of it
 * relocated at every start, and 1.8 MB more resident after its first use)
 * for what the kernel gives in one system call.
 */
#include "kq_auth.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* OpenSSL 3 deprecates the direct SHA-256 functions in favour of EVP, but
 * the first EVP use loads the provider machinery, about a millisecond that
 * every short-lived `kueue` process would pay for one 100-byte hash. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

static const char alphanumeric[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#define ALPHABET_SIZE 62
/* The largest multiple of 62 that fits in a byte: bytes at or above it are
 * dropped so that byte % 62 is uniform. */
#define ACCEPT_BELOW (4 * ALPHABET_SIZE)

int kq_auth_alphanumeric(char out[KQ_AUTH_SALT_LEN + 1],
                         int (*fill)(unsigned char *p, size_t n))
{
    unsigned char pool[KQ_AUTH_SALT_LEN + 16];
    size_t filled = 0;
    int rc = 0;

    while (filled < KQ_AUTH_SALT_LEN) {
        if (fill(pool, sizeof pool) < 0) {
            rc = -EIO;
            break;
        }
        for (size_t i = 0; i < sizeof pool && filled < KQ_AUTH_SALT_LEN; i++) {
            if (pool[i] < ACCEPT_BELOW)
                out[filled++] = alphanumeric[pool[i] % ALPHABET_SIZE];
        }
    }
    OPENSSL_cleanse(pool, sizeof pool);
    if (rc < 0) {
        OPENSSL_cleanse(out, KQ_AUTH_SALT_LEN + 1);
        return rc;
    }
    out[KQ_AUTH_SALT_LEN] = '\0';
    return 0;
}


int kq_auth_kernel_random(unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);

        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

int kq_auth_random_secret(char out[KQ_AUTH_SALT_LEN + 1])
{
    return kq_auth_alphanumeric(out, kq_auth_kernel_random);
}

int kq_auth_salt(char out[KQ_AUTH_SALT_LEN + 1])
{
    return kq_auth_alphanumeric(out, kq_auth_kernel_random);
}

void kq_auth_base64_nopad(const unsigned char digest[32],
                          char out[KQ_AUTH_RESPONSE_LEN + 1])
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i;
    unsigned long v;

    for (i = 0; i + 3 <= 32; i += 3) {
        v = (unsigned long)digest[i] << 16 | (unsigned long)digest[i + 1] << 8
            | digest[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = b64[v & 63];
    }
    /* 32 = 10 * 3 + 2: the last two bytes give three characters. */
    v = (unsigned long)digest[30] << 16 | (unsigned long)digest[31] << 8;
    out[o++] = b64[v >> 18 & 63];
    out[o++] = b64[v >> 12 & 63];
    out[o++] = b64[v >> 6 & 63];
    out[o] = '\0';
}

/* Not the one-shot SHA256(), whose object file goes through EVP and links
 * the provider machinery in. */
int kq_auth_sha256(const void *p, size_t n, unsigned char out[32])
{
    SHA256_CTX ctx;
    int ok = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, p, n) == 1 &&
             SHA256_Final(out, &ctx) == 1;

    OPENSSL_cleanse(&ctx, sizeof ctx);
    return ok ? 0 : -EIO;
}

/* SHA-256 over secret then salt, fed as two updates so the secret is never
 * copied into a scratch buffer. */
int kq_auth_response(const char *secret, size_t secret_len, const char *salt,
                     size_t salt_len, char out[KQ_AUTH_RESPONSE_LEN + 1])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx;
    int ok;

    ok = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, secret, secret_len) == 1 &&
         SHA256_Update(&ctx, salt, salt_len) == 1 && SHA256_Final(digest, &ctx) == 1;
    if (ok)
        kq_auth_base64_nopad(digest, out);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    OPENSSL_cleanse(digest, sizeof digest);
    return ok ? 0 : -EIO;
}

/*
 * Compares a fixed 43 bytes with CRYPTO_memcmp and folds the length check
 * into the same verdict, so neither the content nor the position of a
 * difference shows in the timing.  The candidate is copied into a
 * zero-padded buffer first because it may be shorter than 43 bytes.
 */
bool kq_auth_check(const char *secret, size_t secret_len, const char *salt,
                   size_t salt_len, const char *response, size_t response_len)
{
    char expected[KQ_AUTH_RESPONSE_LEN + 1];
    char given[KQ_AUTH_RESPONSE_LEN] = {0};
    size_t n = response_len < KQ_AUTH_RESPONSE_LEN ? response_len
                                                   : KQ_AUTH_RESPONSE_LEN;
    int diff;

    if (kq_auth_response(secret, secret_len, salt, salt_len, expected) < 0)
        return false;
    if (n)
        memcpy(given, response, n);
    diff = CRYPTO_memcmp(expected, given, KQ_AUTH_RESPONSE_LEN);
    diff |= response_len != KQ_AUTH_RESPONSE_LEN;
    OPENSSL_cleanse(expected, sizeof expected);
    OPENSSL_cleanse(given, sizeof given);
    return diff == 0;
}
