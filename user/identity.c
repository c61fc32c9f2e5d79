// SPDX-License-Identifier: GPL-2.0-only
/*
 * identity — load an agent certificate into struct kk_identity, and free it (see identity.h).
 * Reading certificate files and the OpenSSL helpers every identity_*.c and revocation_*.c
 * shares are in identity_util.c (identity_int.h); what is extracted from a certificate is in
 * identity_fields.c, chain verification in identity_verify.c, agent_id, policy-hash and serial
 * text handling in identity_match.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "identity_int.h"

int kk_identity_load(const char *cert_path, struct kk_identity *id, char *why, size_t wlen)
{
	STACK_OF(X509) *extra = NULL;
	X509 *leaf = NULL;
	int err;

	memset(id, 0, sizeof(*id));
	/* Only errors of this call may end up in why[]. */
	ERR_clear_error();
	err = kk_id_read_certs(cert_path, &leaf, &extra, why, wlen);
	if (err)
		goto out;
	err = kk_id_fill(cert_path, leaf, id, why, wlen);
out:
	X509_free(leaf);
	sk_X509_pop_free(extra, X509_free);
	if (err)
		kk_identity_free(id);
	return err;
}

void kk_identity_free(struct kk_identity *id)
{
	size_t i;

	if (!id)
		return;
	free(id->issuer);
	free(id->subject_cn);
	for (i = 0; id->san_uris && i < id->n_san_uris; i++)
		free(id->san_uris[i]);
	free(id->san_uris);
	memset(id, 0, sizeof(*id));
}
