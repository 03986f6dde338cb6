/*
 * kq_auth.h - the shared-secret challenge-response of the reference.
 *
 * Salt: 64 characters drawn uniformly from [A-Za-z0-9] with the kernel's
 * getrandom (rejection sampling, no modulo bias).  Response:
 * base64 (standard alphabet, no padding) of SHA-256(secret || salt), always
 * 43 characters.  Comparison runs in constant time.
 */
#ifndef KQ_AUTH_H
#define KQ_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_compiler.h"

#define KQ_AUTH_SALT_LEN 64
#define KQ_AUTH_RESPONSE_LEN 43

/* Fills out with 64 alphanumerics drawn uniformly (rejection sampling, no
 * modulo bias) from the bytes fill writes, and a NUL.  fill returns 0 or
 * a negative errno.  0 or -EIO. */
KQ_NODISCARD int kq_auth_alphanumeric(char out[KQ_AUTH_SALT_LEN + 1],
                                      int (*fill)(unsigned char *p, size_t n));

/* Fills p[0..n) from the kernel's CSPRNG (getrandom, which OpenSSL seeds
 * from too), retrying after signals.  0 or -errno. */
KQ_NODISCARD int kq_auth_kernel_random(unsigned char *p, size_t n);

/* A new shared secret: 64 alphanumerics from the kernel's random source
 * (getrandom).  0 or -EIO. */
KQ_NODISCARD int kq_auth_random_secret(char out[KQ_AUTH_SALT_LEN + 1]);

/* A fresh salt for a challenge: drawn as kq_auth_random_secret does.  0 or
 * -EIO. */
KQ_NODISCARD int kq_auth_salt(char out[KQ_AUTH_SALT_LEN + 1]);

/* SHA-256 of p[0..n) into out, through OpenSSL's direct functions: no
 * provider machinery is loaded (see kq_auth.c).  0 or -EIO. */
KQ_NODISCARD int kq_auth_sha256(const void *p, size_t n, unsigned char out[32]);

/* Standard-alphabet base64 of a 32-byte digest without the trailing '='
 * (43 characters and a NUL). */
void kq_auth_base64_nopad(const unsigned char digest[32],
                          char out[KQ_AUTH_RESPONSE_LEN + 1]);

/* Computes the response for secret and salt into out (NUL-terminated).
 * 0, or -EIO if OpenSSL failed. */
KQ_NODISCARD int kq_auth_response(const char *secret, size_t secret_len,
                                  const char *salt, size_t salt_len,
                                  char out[KQ_AUTH_RESPONSE_LEN + 1]);

/* True if response[0..response_len) is the right answer.  Runs in time
 * independent of where the first difference is. */
bool kq_auth_check(const char *secret, size_t secret_len, const char *salt,
                   size_t salt_len, const char *response, size_t response_len);

#endif
