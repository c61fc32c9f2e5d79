/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to jws*.c. */
#ifndef KK_JWS_INT_H
#define KK_JWS_INT_H

#include <stdbool.h>
#include <openssl/evp.h>

struct kk_error;

/* Set up ctx to sign (or verify) with key as JOSE alg ("ES256", "PS256", "EdDSA"). 0 or -EIO. */
int kk_jws_ctx_init(EVP_MD_CTX *ctx, const char *alg, EVP_PKEY *key, bool sign);
/* kk_error_set with OpenSSL's first queued error appended (" (reason)"); clears the queue. */
int kk_jws_ssl_error(struct kk_error *e, int code, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
