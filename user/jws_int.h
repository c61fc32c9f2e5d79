/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to jws*.c. */
#ifndef KK_JWS_INT_H
#define KK_JWS_INT_H

#include <stdbool.h>
#include <openssl/evp.h>

struct kk_error;

/* Set up ctx to sign (or verify) with key as JOSE alg ("ES256", "PS256", "EdDSA"). 0 or -EIO. */
int kk_jws_ctx_init(EVP_MD_CTX *ctx, const char *alg, EVP_PKEY *key, bool sign);
/*
 * The JOSE signature sig over input[0..ilen) with key as alg (ES256 raw r||s): 0, or -EBADMSG
 * ("does not verify with x5c[0]'s key"), -ENOMEM, -EIO. The caller matched alg to key.
 */
int kk_jws_verify_key(const char *alg, EVP_PKEY *key, const char *input, size_t ilen,
		      const unsigned char *sig, size_t slen, struct kk_error *e);
/* kk_error_set with OpenSSL's first queued error appended (" (reason)"); clears the queue. */
int kk_jws_ssl_error(struct kk_error *e, int code, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
