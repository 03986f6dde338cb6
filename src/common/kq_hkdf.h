/*
 * kq_hkdf.h - HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) on
 * OpenSSL's direct SHA-256 functions.
 *
 * Why not EVP_KDF: its first fetch builds the provider's methods and name
 * tables, about 150 us that every short-lived `kueue` over TLS paid for
 * one 32-byte key (README, Performance, TLS).  The hash is the same
 * SHA-256 code, so the result is the same bytes.
 *
 * Owns nothing; never allocates; wipes its intermediate state (the keyed
 * hash contexts and the pseudo-random key) before returning.
 */
#ifndef KQ_HKDF_H
#define KQ_HKDF_H

#include <stddef.h>

#include "kq_compiler.h"

#define KQ_HKDF_HASH_LEN 32
/* RFC 5869: at most 255 blocks of output. */
#define KQ_HKDF_MAX_OUT (255 * KQ_HKDF_HASH_LEN)

/* HMAC-SHA256 of msg[0..msg_len) with key[0..key_len) into out.  0 or
 * -EIO (OpenSSL's hash failed). */
KQ_NODISCARD int kq_hmac_sha256(const void *key, size_t key_len, const void *msg,
                                size_t msg_len, unsigned char out[KQ_HKDF_HASH_LEN]);

/* HKDF-SHA256: extract with salt over the input keying material ikm, then
 * expand with info to out_len bytes into out (out_len at most
 * KQ_HKDF_MAX_OUT).  0, -EINVAL (out_len too large) or -EIO. */
KQ_NODISCARD int kq_hkdf_sha256(const void *salt, size_t salt_len, const void *ikm,
                                size_t ikm_len, const void *info, size_t info_len,
                                unsigned char *out, size_t out_len);

#endif
