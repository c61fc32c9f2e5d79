/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to the identity module and the revocation module built on it (identity*.c,
 * revocation*.c): certificate reading and OpenSSL helpers, defined in identity_util.c, and the
 * field extraction of identity_fields.c (kk_id_fill, kk_id_name_key). Everyone else includes
 * identity.h only and sees no OpenSSL type.
 */
#ifndef KK_IDENTITY_INT_H
#define KK_IDENTITY_INT_H

#include <openssl/x509.h>

#include "identity.h"

/* STACK_OF(X509), named so that clang-format can read the prototypes. */
typedef STACK_OF(X509) kk_x509s;

/* Read path: its first certificate into *leaf, any further ones (PEM only) into *extra. */
int kk_id_read_certs(const char *path, X509 **leaf, kk_x509s **extra, char *why, size_t wlen);
/* Fill *id from x (read from path, named in errors). */
int kk_id_fill(const char *path, X509 *x, struct kk_identity *id, char *why, size_t wlen);
/* Format into why; with ssl, append OpenSSL's queued errors " (e1; e2)". Clears the queue. */
void kk_id_why(char *why, size_t wlen, bool ssl, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* name as one RFC 2253 line into buf ("" when empty or unprintable). */
void kk_id_name(const X509_NAME *name, char *buf, size_t len);
/* "YYYY-MM-DD HH:MM:SS UTC" */
void kk_id_time_str(int64_t t, char *buf, size_t len);
int kk_id_asn1_time(const ASN1_TIME *t, int64_t *out);
/* First 8 bytes of SHA-256 over name's DER: the issuer key of its certificates. */
int kk_id_name_key(const X509_NAME *name, uint8_t key[KK_ISSUER_KEY_LEN]);
/* The policy-hash extension's OID as an object (caller frees); NULL when out of memory. */
ASN1_OBJECT *kk_id_policy_oid(void);

#endif
