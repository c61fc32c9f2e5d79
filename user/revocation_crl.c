// SPDX-License-Identifier: GPL-2.0-only
/*
 * revocation_crl — import a CRL: every certificate it revokes, keyed as the kernel keys
 * identities, once the CRL is proven to come from a CA of the bundle and to be current. Also the
 * helpers revocation_ocsp.c shares (the CA bundle, the issuer key).
 *
 * A CRL only ever adds revocations, so what goes wrong with a bad one is denial, not privilege:
 * still, a forged or stale CRL must not be taken for the CA's word, and what cannot be keyed
 * faithfully is refused or left out rather than keyed wrongly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "revocation_int.h"

/* Large CAs publish CRLs of tens of MiB; anything larger is not one worth reading. */
#define KK_CRL_FILE_MAX (64u << 20)

/* CRL reason code 8: in a delta CRL, "this entry is no longer revoked" (it was on hold). */
#define KK_CRL_REMOVE_FROM_CRL 8

int kk_rev_read_bundle(const char *bundle, kk_x509s **out, char *why, size_t wlen)
{
	size_t blen;
	char tmp[1024];
	X509 *first = NULL;
	int err;

	*out = NULL;
	if (!bundle)
		bundle = KK_DEFAULT_CA;
	err = kk_id_read_certs(bundle, &first, out, tmp, sizeof(tmp));
	if (err) {
		/* Its errors say "certificate B: ..."; this file is a bundle, say so. */
		blen = strlen(bundle);
		if (!strncmp(tmp, "certificate ", 12) && !strncmp(tmp + 12, bundle, blen) &&
		    !strncmp(tmp + 12 + blen, ": ", 2))
			kk_id_why(why, wlen, false, "CA bundle %s: %s", bundle, tmp + 14 + blen);
		else
			kk_id_why(why, wlen, false, "CA bundle %s: %s", bundle, tmp);
		return err;
	}
	if (!sk_X509_insert(*out, first, 0)) {
		X509_free(first);
		sk_X509_pop_free(*out, X509_free);
		*out = NULL;
		kk_id_why(why, wlen, true, "CA bundle %s: out of memory", bundle);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Must hash exactly what fill_issuer() in identity_fields.c hashes (the DER of the name as
 * encoded, first 8 bytes of SHA-256): that function is static there, test_crl checks that both
 * agree on the same issuer.
 */
/* At most KK_CRL_FILE_MAX bytes of path into *buf (malloc'd) and *len. */
static int read_crl_file(const char *path, unsigned char **buf, size_t *len, char *why, size_t wlen)
{
	unsigned char *b = NULL, *nb;
	size_t n = 0, cap = 0;
	ssize_t r = 1;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		kk_id_why(why, wlen, false, "CRL %s: cannot open: %s", path, strerror(-err));
		return err;
	}
	while (r > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = cap <= 2 * KK_CRL_FILE_MAX ? realloc(b, cap) : NULL;
			if (!nb) {
				err = -ENOMEM;
				kk_id_why(why, wlen, false, "CRL %s: out of memory", path);
				break;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR) {
			r = 1;
			continue;
		}
		if (r < 0) {
			err = -errno;
			kk_id_why(why, wlen, false, "CRL %s: cannot read: %s", path,
				  strerror(-err));
			break;
		}
		n += r;
		if (n > KK_CRL_FILE_MAX) {
			err = -EFBIG;
			kk_id_why(why, wlen, false, "CRL %s: larger than %u bytes", path,
				  KK_CRL_FILE_MAX);
			break;
		}
	}
	close(fd);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* A CRL is never encrypted; never prompt on the terminal for a password. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int parse_pem(const char *path, const unsigned char *buf, size_t len, X509_CRL **crl,
		     char *why, size_t wlen)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	X509_CRL *next = NULL;
	unsigned long e;
	int err = 0;

	if (!bio) {
		kk_id_why(why, wlen, true, "CRL %s: out of memory", path);
		return -ENOMEM;
	}
	*crl = PEM_read_bio_X509_CRL(bio, NULL, no_password, NULL);
	if (!*crl) {
		e = ERR_peek_last_error();
		err = -EINVAL;
		if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
			kk_id_why(why, wlen, true, "CRL %s: no X509 CRL block in the PEM file",
				  path);
		else
			kk_id_why(why, wlen, true, "CRL %s: not a valid PEM CRL", path);
	} else if ((next = PEM_read_bio_X509_CRL(bio, NULL, no_password, NULL))) {
		/* Which of two CRLs is the current one is not for this module to guess. */
		err = -EINVAL;
		kk_id_why(why, wlen, false, "CRL %s: more than one CRL in the PEM file", path);
	}
	X509_CRL_free(next);
	BIO_free(bio);
	return err;
}

static int parse_crl(const char *path, const unsigned char *buf, size_t len, X509_CRL **crl,
		     char *why, size_t wlen)
{
	const unsigned char *p = buf;

	*crl = NULL;
	if (!len) {
		kk_id_why(why, wlen, false, "CRL %s: empty file", path);
		return -EINVAL;
	}
	if (memmem(buf, len, "-----BEGIN ", 11))
		return parse_pem(path, buf, len, crl, why, wlen);
	if (buf[0] != 0x30) {
		kk_id_why(why, wlen, false, "CRL %s: not a CRL (neither PEM nor DER)", path);
		return -EINVAL;
	}
	*crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (!*crl) {
		kk_id_why(why, wlen, true, "CRL %s: not a valid DER CRL", path);
		return -EINVAL;
	}
	if (p != buf + len) {
		kk_id_why(why, wlen, false, "CRL %s: %zu bytes of trailing data after the DER CRL",
			  path, (size_t)(buf + len - p));
		return -EINVAL;
	}
	return 0;
}

/*
 * The CA of the bundle that signed crl: by name, then by key (several CAs may share a name, as
 * across a key rollover). It must be allowed to sign CRLs.
 */
static int check_signer(const char *path, const char *bundle, X509_CRL *crl, kk_x509s *cas,
			char *why, size_t wlen)
{
	const X509_NAME *iss = X509_CRL_get_issuer(crl);
	bool named = false, signer_no_crlsign = false;
	char dn[512];
	X509 *ca;
	int i;

	for (i = 0; i < sk_X509_num(cas); i++) {
		ca = sk_X509_value(cas, i);
		if (X509_NAME_cmp(X509_get_subject_name(ca), iss))
			continue;
		named = true;
		if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) != 1)
			continue;
		if ((X509_get_extension_flags(ca) & EXFLAG_KUSAGE) &&
		    !(X509_get_key_usage(ca) & KU_CRL_SIGN)) {
			signer_no_crlsign = true;
			continue;
		}
		ERR_clear_error();
		return 0;
	}
	kk_id_name(iss, dn, sizeof(dn));
	if (signer_no_crlsign)
		kk_id_why(why, wlen, false,
			  "CRL %s: issuer \"%s\" in %s may not sign CRLs (its keyUsage lacks "
			  "cRLSign)",
			  path, dn, bundle);
	else if (named)
		kk_id_why(why, wlen, false,
			  "CRL %s: bad signature: not signed by the key of \"%s\" in %s", path, dn,
			  bundle);
	else
		kk_id_why(why, wlen, false, "CRL %s: issuer \"%s\" is not in CA bundle %s", path,
			  dn, bundle);
	return -EKEYREJECTED;
}

/*
 * Entries are keyed under the CRL's issuer: a CRL whose entries may belong to other issuers
 * (indirect CRL, certificateIssuer) would key them wrongly. The critical extensions accepted are
 * those OpenSSL's own CRL checks handle.
 */
static int check_extensions(const char *path, X509_CRL *crl, char *why, size_t wlen)
{
	ISSUING_DIST_POINT *idp;
	X509_EXTENSION *ext;
	char oid[80];
	int i, nid, crit = -1;

	idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
	if (!idp && crit != -1) {
		kk_id_why(why, wlen, true, "CRL %s: malformed issuingDistributionPoint", path);
		return -EINVAL;
	}
	i = idp && idp->indirectCRL;
	ISSUING_DIST_POINT_free(idp);
	if (i) {
		kk_id_why(why, wlen, false,
			  "CRL %s: indirect CRL (entries of other issuers) is not supported", path);
		return -EINVAL;
	}
	for (i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		ext = X509_CRL_get_ext(crl, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (!X509_EXTENSION_get_critical(ext) || nid == NID_issuing_distribution_point ||
		    nid == NID_authority_key_identifier || nid == NID_delta_crl)
			continue;
		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 0);
		kk_id_why(why, wlen, false, "CRL %s: critical extension %s is not supported", path,
			  oid);
		return -EINVAL;
	}
	return 0;
}

static int check_dates(const char *path, X509_CRL *crl, int64_t now, char *why, size_t wlen)
{
	const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);
	int64_t this_update, next_update;
	char when[40];

	if (kk_id_asn1_time(X509_CRL_get0_lastUpdate(crl), &this_update) ||
	    (nu && kk_id_asn1_time(nu, &next_update))) {
		kk_id_why(why, wlen, true, "CRL %s: malformed thisUpdate or nextUpdate", path);
		return -EINVAL;
	}
	if (this_update > now) {
		kk_id_time_str(this_update, when, sizeof(when));
		kk_id_why(why, wlen, false, "CRL %s: not valid yet: thisUpdate %s is in the future",
			  path, when);
		return -EKEYEXPIRED;
	}
	/* As for a certificate's notAfter, nextUpdate itself is the first stale second. */
	if (nu && next_update <= now) {
		kk_id_time_str(next_update, when, sizeof(when));
		kk_id_why(why, wlen, false, "CRL %s: stale: nextUpdate %s passed", path, when);
		return -EKEYEXPIRED;
	}
	return 0;
}

/* 1: an entry no identity can have (negative, or over 20 bytes), left out. */
static int entry_serial(const ASN1_INTEGER *ai, struct kk_revoked *r)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
	char *h = NULL;
	int err = 1;

	if (!bn)
		return -ENOMEM;
	if (!BN_is_negative(bn) && BN_num_bytes(bn) <= KK_SERIAL_MAX) {
		/* Through kk_serial_parse: the very canonical form kk_identity.serial has. */
		h = BN_bn2hex(bn);
		err = h ? kk_serial_parse(h, r->serial, &r->serial_len, r->serial_hex) : -ENOMEM;
	}
	OPENSSL_free(h);
	BN_free(bn);
	return err;
}

/* Fill r from entry i; 1 when it is left out. */
static int fill_entry(const char *path, int i, X509_REVOKED *rev, struct kk_revoked *r, char *why,
		      size_t wlen)
{
	ASN1_ENUMERATED *reason;
	X509_EXTENSION *ext;
	int err, j, crit = -1;

	for (j = 0; j < X509_REVOKED_get_ext_count(rev); j++) {
		ext = X509_REVOKED_get_ext(rev, j);
		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) == NID_certificate_issuer) {
			kk_id_why(why, wlen, false,
				  "CRL %s: entry %d names another issuer (certificateIssuer): "
				  "indirect CRLs are not supported",
				  path, i + 1);
			return -EINVAL;
		}
	}
	err = entry_serial(X509_REVOKED_get0_serialNumber(rev), r);
	if (err) {
		if (err < 0)
			kk_id_why(why, wlen, true, "CRL %s: out of memory", path);
		return err;
	}
	r->reason = -1;
	reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
	if (reason) {
		r->reason = (int)ASN1_ENUMERATED_get(reason);
		ASN1_ENUMERATED_free(reason);
	}
	if ((!reason && crit != -1) || (reason && r->reason < 0) ||
	    kk_id_asn1_time(X509_REVOKED_get0_revocationDate(rev), &r->revoked_at)) {
		kk_id_why(why, wlen, true,
			  "CRL %s: entry %d (serial %s): malformed reason code or revocationDate",
			  path, i + 1, r->serial_hex);
		return -EINVAL;
	}
	return r->reason == KK_CRL_REMOVE_FROM_CRL;
}

static int collect(const char *path, X509_CRL *crl, struct kk_revoked **out, size_t *n, char *why,
		   size_t wlen)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
	int i, err, count = sk_X509_REVOKED_num(revs);
	uint8_t key[8];

	if (count <= 0)
		return 0;
	if (kk_id_name_key(X509_CRL_get_issuer(crl), key)) {
		kk_id_why(why, wlen, true, "CRL %s: cannot encode the issuer name", path);
		return -EINVAL;
	}
	*out = calloc(count, sizeof(**out));
	if (!*out) {
		kk_id_why(why, wlen, false, "CRL %s: out of memory", path);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		err = fill_entry(path, i, sk_X509_REVOKED_value(revs, i), &(*out)[*n], why, wlen);
		if (err < 0)
			return err;
		if (err)
			continue;
		memcpy((*out)[*n].issuer_key, key, sizeof(key));
		(*n)++;
	}
	if (!*n) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

int kk_crl_load_mem(const char *name, const unsigned char *buf, size_t len, const char *ca_bundle,
		    int64_t now, struct kk_revoked **out, size_t *n, int64_t *next_update,
		    char *why, size_t wlen)
{
	kk_x509s *cas = NULL;
	X509_CRL *crl = NULL;
	const ASN1_TIME *nu;
	int err;

	*out = NULL;
	*n = 0;
	if (next_update)
		*next_update = 0;
	ERR_clear_error();
	if (!ca_bundle)
		ca_bundle = KK_DEFAULT_CA;
	err = parse_crl(name, buf, len, &crl, why, wlen);
	if (!err)
		err = kk_rev_read_bundle(ca_bundle, &cas, why, wlen);
	if (!err)
		err = check_signer(name, ca_bundle, crl, cas, why, wlen);
	if (!err)
		err = check_extensions(name, crl, why, wlen);
	if (!err)
		err = check_dates(name, crl, now, why, wlen);
	if (!err)
		err = collect(name, crl, out, n, why, wlen);
	nu = crl ? X509_CRL_get0_nextUpdate(crl) : NULL;
	if (!err && nu && next_update)
		kk_id_asn1_time(nu, next_update); /* check_dates parsed it already */
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	X509_CRL_free(crl);
	sk_X509_pop_free(cas, X509_free);
	ERR_clear_error();
	return err;
}

int kk_crl_load(const char *crl_path, const char *ca_bundle, int64_t now, struct kk_revoked **out,
		size_t *n, char *why, size_t wlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = read_crl_file(crl_path, &buf, &len, why, wlen);
	if (!err)
		err = kk_crl_load_mem(crl_path, buf, len, ca_bundle, now, out, n, NULL, why, wlen);
	free(buf);
	return err;
}
