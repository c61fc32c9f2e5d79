// SPDX-License-Identifier: GPL-2.0-only
/*
 * revocation_fetch — where CRLs come from for the daemon: the http:// CRL Distribution Points of
 * a certificate, and an HTTP GET of one CRL (DER). The CRL is signed: TLS would add no trust
 * that plain HTTP lacks; what is fetched is verified by kk_crl_load_mem like a CRL file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/x509v3.h>

#include "revocation_int.h"

int kk_crl_cdp_urls(const char *cert_path, char (*urls)[KK_CRL_URL_MAX], size_t max, size_t *n)
{
	STACK_OF(DIST_POINT) *dps;
	kk_x509s *extra = NULL;
	X509 *leaf = NULL;
	char tmp[256];
	int err, i, j, crit = -1;

	*n = 0;
	err = kk_id_read_certs(cert_path, &leaf, &extra, tmp, sizeof(tmp));
	if (err)
		return err;
	dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, &crit, NULL);
	if (!dps && crit != -1)
		err = -EINVAL; /* present but malformed */
	for (i = 0; i < sk_DIST_POINT_num(dps) && *n < max; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

		/* Only a full name: a name relative to the issuer is no URL to fetch. */
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
			const char *u;
			int len;

			if (gn->type != GEN_URI || *n >= max)
				continue;
			u = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
			len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
			/* http only (ldap:// and the like are not fetched); no NUL inside. */
			if (len < 8 || len >= KK_CRL_URL_MAX || strncasecmp(u, "http://", 7) ||
			    memchr(u, 0, len))
				continue;
			memcpy(urls[*n], u, len);
			urls[*n][len] = 0;
			(*n)++;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	X509_free(leaf);
	sk_X509_pop_free(extra, X509_free);
	ERR_clear_error();
	return err;
}

int kk_crl_fetch(const char *url, int timeout_ms, unsigned char **buf, size_t *len, char *why,
		 size_t wlen)
{
	/* OSSL_HTTP_get bounds its waits in whole seconds: round up, never "no timeout" (0). */
	int timeout_s = timeout_ms > 0 ? (timeout_ms + 999) / 1000 : 1;
	char *data = NULL;
	long n;
	BIO *b;

	*buf = NULL;
	*len = 0;
	if (strncasecmp(url, "http://", 7)) {
		kk_id_why(why, wlen, false, "CRL %s: only http:// URLs are supported", url);
		return -EPROTONOSUPPORT;
	}
	ERR_clear_error();
	/*
	 * proxy "": reached directly, never through a proxy named by the environment. As ASN.1:
	 * OpenSSL then reads the whole body, bounded by the size and the timeout (otherwise it
	 * hands back the socket to read on). A CRL over HTTP is DER (RFC 5280, 4.2.1.13).
	 */
	b = OSSL_HTTP_get(url, "", NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 1,
			  KK_CRL_FETCH_MAX, timeout_s);
	if (!b) {
		kk_id_why(why, wlen, true, "CRL %s: cannot fetch", url);
		ERR_clear_error();
		return -EPROTO;
	}
	n = BIO_get_mem_data(b, &data);
	if (n > 0)
		*buf = malloc(n);
	if (n > 0 && *buf) {
		memcpy(*buf, data, n);
		*len = n;
	}
	BIO_free_all(b);
	if (n <= 0) {
		kk_id_why(why, wlen, false, "CRL %s: empty answer", url);
		return -EPROTO;
	}
	if (!*buf) {
		kk_id_why(why, wlen, false, "CRL %s: out of memory", url);
		return -ENOMEM;
	}
	return 0;
}
