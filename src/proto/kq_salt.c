/*
 * kq_salt.c - authentication salts from RAND_bytes (see kq_salt.h).
 */
#include "kq_salt.h"

#include <errno.h>
#include <limits.h>

#include <openssl/rand.h>

static int openssl_random(unsigned char *p, size_t n)
{
    return n <= INT_MAX && RAND_bytes(p, (int)n) == 1 ? 0 : -EIO;
}

int kq_auth_salt(char out[KQ_AUTH_SALT_LEN + 1])
{
    return kq_auth_alphanumeric(out, openssl_random);
}
