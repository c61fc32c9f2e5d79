/* SPDX-License-Identifier: GPL-2.0-only */
/* keyref_int.h — what keyref.c and keyref_pkcs11.c share; not for other modules. */
#ifndef KK_KEYREF_INT_H
#define KK_KEYREF_INT_H

#include <stddef.h>
#include <openssl/evp.h>

#include "error.h"

/*
 * kk_error_set, then ": " and the reasons left in OpenSSL's error queue ("PEM routines: no
 * start line; ..."), which it empties. Returns code.
 */
int kk_key_fail(struct kk_error *e, int code, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Read a secret file (a key or a PIN file) under the custody rules of keyref.h: no symbolic
 * link, a regular file, owned by root or the effective uid, no group/other mode bits, at most
 * max bytes. 0 and *buf (NUL-terminated, *len bytes; free with kk_key_free_secret), or -errno
 * with e naming what ("key /etc/k.pem").
 */
int kk_key_read_secret(const char *path, const char *what, size_t max, char **buf, size_t *len,
		       struct kk_error *e);
void kk_key_free_secret(char *buf, size_t len);

/* The "pkcs11:" half of kk_key_load (keyref_pkcs11.c). */
int kk_key_load_pkcs11(const char *uri, EVP_PKEY **out, struct kk_error *e);

#endif
