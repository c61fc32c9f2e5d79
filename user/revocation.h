/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * revocation — is an agent certificate revoked? Two sources: a CRL file (every revoked entry,
 * for the revocation map) and an OCSP responder (the status of one certificate). What comes out
 * is keyed as the kernel keys identities: (issuer_key, serial), as user/identity.h defines them.
 * OpenSSL and libc only: no libbpf here.
 *
 * Every function that can fail returns 0 or -errno and, where it takes why/wlen, puts one line
 * naming what and why into why[] ("CRL ca.crl: stale: nextUpdate 2026-01-08 00:00:00 UTC
 * passed"), with OpenSSL's own error text appended when OpenSSL failed. Errors: -ENOENT,
 * -EACCES, -EISDIR... (a file could not be read), -EINVAL (not a CRL or certificate, or one this
 * module refuses), -EKEYREJECTED (signature, issuer or responder checks), -EKEYEXPIRED (stale,
 * or not valid yet), -EPROTO (malformed or unusable OCSP answer), -ETIMEDOUT, -ECONNREFUSED...
 * (the responder could not be reached), -ENOMEM.
 */
#ifndef KK_REVOCATION_H
#define KK_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kakunin_limits.h"

/*
 * One revoked certificate as the kernel keys identities: issuer_key and serial exactly as
 * kk_identity.issuer_key and kk_identity.serial_bin/serial_len/serial of that certificate.
 */
struct kk_revoked {
	/* first 8 bytes of SHA-256 over the DER of the CRL's issuer name */
	uint8_t issuer_key[KK_ISSUER_KEY_LEN];
	uint8_t serial[KK_SERIAL_MAX]; /* big-endian magnitude */
	size_t serial_len;
	char serial_hex[KK_SERIAL_HEX_SIZE]; /* same canonical form as kk_identity.serial */
	int64_t revoked_at;  /* revocationDate, Unix seconds */
	int reason;	     /* CRL reason code (1 keyCompromise...), -1 when absent */
};

/*
 * Load a CRL (PEM or DER, detected), find its issuer among the certificates of ca_bundle (PEM,
 * one or more; NULL = KK_DEFAULT_CA) by subject name, and verify the CRL's signature with that
 * CA's key (with several CAs of that name, any one whose key verifies it). Its dates are checked
 * at `now`: a thisUpdate in the future or a nextUpdate at or before `now` (stale) are refused
 * with -EKEYEXPIRED. Also refused: an issuer not in the bundle and a bad signature
 * (-EKEYREJECTED), a CA whose keyUsage lacks cRLSign (-EKEYREJECTED), an indirect CRL or an
 * entry naming another issuer (certificateIssuer), since entries are keyed under the CRL's
 * issuer, and critical extensions this module does not handle (-EINVAL). A delta CRL is read
 * like a full one. Entries it cannot key (a negative serial or one over 20 bytes: kk_identity
 * refuses such certificates, so none is bound) and removeFromCRL entries are left out. On
 * success *out and *n hold every other entry, in CRL order (*out is NULL when there is none; the
 * caller frees it). On error *out is NULL and *n 0.
 */
int kk_crl_load(const char *crl_path, const char *ca_bundle, int64_t now, struct kk_revoked **out,
		size_t *n, char *why, size_t wlen);

/*
 * The same over a CRL already in memory (buf, len; named name in messages, e.g. its URL), and
 * its nextUpdate into *next_update (0 when it has none; next_update may be NULL).
 */
int kk_crl_load_mem(const char *name, const unsigned char *buf, size_t len, const char *ca_bundle,
		    int64_t now, struct kk_revoked **out, size_t *n, int64_t *next_update,
		    char *why, size_t wlen);

#define KK_CRL_URL_MAX 512	      /* a CRL URL, with its NUL */
#define KK_CRL_FETCH_MAX (10u << 20) /* the largest CRL the daemon fetches */

/*
 * The http:// URLs of the CRL Distribution Points (full names) of the certificate in cert_path,
 * in certificate order, at most max into urls[] and their count into *n (0 when it has none).
 * -errno when the file cannot be read or is not a certificate, -EINVAL when the extension is
 * malformed.
 */
int kk_crl_cdp_urls(const char *cert_path, char (*urls)[KK_CRL_URL_MAX], size_t max, size_t *n);

/*
 * GET the DER CRL at url (http:// only: -EPROTONOSUPPORT otherwise; no proxy; redirects
 * followed; a distribution point serves DER, RFC 5280 4.2.1.13, so PEM is refused) into *buf
 * (malloc'd) and *len, at most KK_CRL_FETCH_MAX bytes, within timeout_ms rounded up to whole
 * seconds. -errno and why[] when it cannot be fetched.
 */
int kk_crl_fetch(const char *url, int timeout_ms, unsigned char **buf, size_t *len, char *why,
		 size_t wlen);

enum kk_ocsp_status { KK_OCSP_GOOD = 0, KK_OCSP_REVOKED = 1, KK_OCSP_UNKNOWN = 2 };

struct kk_ocsp_result {
	enum kk_ocsp_status status;
	int64_t this_update, next_update; /* Unix seconds; next_update 0 when absent */
	int64_t revoked_at;		  /* for REVOKED, else 0 */
	int reason;			  /* for REVOKED, -1 when absent */
};

/* Clock skew allowed on the thisUpdate and nextUpdate of an OCSP answer, seconds. */
#define KK_OCSP_LEEWAY 300

/*
 * Ask an OCSP responder about the certificate in cert_path. Its issuer must be in ca_bundle
 * (NULL = KK_DEFAULT_CA) or follow it in cert_path. url: "http://host[:port][/path]", or NULL
 * for the first http OCSP URL of the certificate's authorityInfoAccess (-ENOENT when it has
 * none). Plain HTTP (the answer is signed); no proxy; timeout_ms bounds connect and the whole
 * exchange together, to the millisecond (name resolution is not bounded; timeout_ms <= 0 times
 * out at once). The request carries a nonce the response must echo.
 * The response must be signed by the issuing CA or by a responder certificate the CA issued with
 * the OCSPSigning extended key usage (OCSP_basic_verify against the bundle, at `now`), and be
 * fresh at `now` give or take KK_OCSP_LEEWAY seconds.
 *
 * 0 with *res filled on a valid answer: good, revoked or unknown. Else -errno and why[]:
 * -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH... (unreachable), -EKEYREJECTED (signature, signer
 * not trusted or not authorized for this CA, or issuer not found), -EKEYEXPIRED (stale or not
 * valid yet), -EPROTO (malformed, HTTP error, unsuccessful OCSP status, nonce missing or
 * mismatched, no status for this certificate), -EPROTONOSUPPORT (not an http:// URL).
 */
int kk_ocsp_query(const char *cert_path, const char *ca_bundle, const char *url, int timeout_ms,
		  int64_t now, struct kk_ocsp_result *res, char *why, size_t wlen);

/*
 * The certificate's OCSP URL (authorityInfoAccess; the first http:// one, else the first) into
 * buf. -ENOENT when it has none (or the file does not exist), -ERANGE when buf is too small,
 * other -errno when the file cannot be read or is not a certificate.
 */
int kk_ocsp_url(const char *cert_path, char *buf, size_t len);

/*
 * The revocation list's state file (revocation_list.c): a JSON array of
 * {"issuer": hex or "*", "serial": hex, "revoked_at": s, "source": "cli"|..., "reason": text}.
 */
struct cJSON;
struct kk_error;
struct kk_ident_key;
struct kk_revocation;
/* One entry as a JSON object (caller owns it); NULL when out of memory. */
struct cJSON *kk_revlist_entry_json(const struct kk_ident_key *k, const struct kk_revocation *r);
/* An entry back: 0, or -EINVAL when it is malformed (no serial, bad hex, bad issuer). */
int kk_revlist_entry_parse(const struct cJSON *e, struct kk_ident_key *key,
			   struct kk_revocation *rev);
/*
 * Read the file at path into *arr (caller frees): 0 with *arr NULL when there is none,
 * -EINVAL and e when it is not a JSON array, -errno and e when unreadable.
 */
int kk_revlist_read(const char *path, struct cJSON **arr, struct kk_error *e);

#endif
