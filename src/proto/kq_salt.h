/*
 * kq_salt.h - authentication salts from OpenSSL's random generator.
 *
 * Only the server draws salts; this sits apart from kq_auth so that the
 * client and the worker do not link the generator (its start-up is a good
 * part of a short-lived `kueue` run).
 */
#ifndef KQ_SALT_H
#define KQ_SALT_H

#include "kq_auth.h"

/* Fills out with a fresh salt (64 alphanumerics from RAND_bytes) and a
 * NUL.  0, or -EIO if the random source failed. */
KQ_NODISCARD int kq_auth_salt(char out[KQ_AUTH_SALT_LEN + 1]);

#endif
