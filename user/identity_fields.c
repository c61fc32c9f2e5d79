// SPDX-License-Identifier: GPL-2.0-only
/*
 * identity_fields — what a binding is keyed and checked by, taken out of one certificate: the
 * identity key (issuer, serial), the names agent_id is matched against, fingerprint, validity
 * and the pinned policy hash. Anything this module cannot represent faithfully is refused here,
 * so kk_identity_load and kk_identity_verify see the same certificate the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hex.h"
#include "identity_int.h"

static int fill_serial(const char *path, X509 *x, struct kk_identity *id, char *why, size_t wlen)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h;
	int n, err = -EINVAL;

	if (!bn) {
		kk_id_why(why, wlen, true, "certificate %s: unreadable serial number", path);
		return err;
	}
	/* The identity key holds the magnitude only: -5 would alias 5. */
	if (BN_is_negative(bn)) {
		h = BN_bn2hex(bn);
		kk_id_why(why, wlen, false,
			  "certificate %s: serial number %s is negative (RFC 5280 requires a "
			  "positive serial)",
			  path, h ? h : "");
		OPENSSL_free(h);
		goto out;
	}
	n = BN_num_bytes(bn);
	if (n > KK_SERIAL_MAX) {
		kk_id_why(why, wlen, false,
			  "certificate %s: serial number is %d bytes long, more than the %d "
			  "RFC 5280 allows",
			  path, n, KK_SERIAL_MAX);
		goto out;
	}
	if (n == 0) {
		id->serial_bin[0] = 0;
		id->serial_len = 1;
	} else {
		BN_bn2bin(bn, id->serial_bin);
		id->serial_len = n;
	}
	kk_hex_encode(id->serial_bin, id->serial_len, id->serial);
	err = 0;
out:
	BN_free(bn);
	return err;
}

int kk_id_name_key(const X509_NAME *name, uint8_t key[KK_ISSUER_KEY_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	int n = i2d_X509_NAME(name, &der);

	if (n < 0 || !EVP_Digest(der, n, md, NULL, EVP_sha256(), NULL)) {
		OPENSSL_free(der);
		return -EINVAL;
	}
	OPENSSL_free(der);
	memcpy(key, md, 8);
	return 0;
}

static int fill_issuer(const char *path, X509 *x, struct kk_identity *id, char *why, size_t wlen)
{
	const X509_NAME *name = X509_get_issuer_name(x);
	unsigned long h;
	char dn[1024];
	int ok = 0;

	if (kk_id_name_key(name, id->issuer_key)) {
		kk_id_why(why, wlen, true, "certificate %s: cannot encode the issuer name", path);
		return -EINVAL;
	}
	h = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (!ok) {
		kk_id_why(why, wlen, true, "certificate %s: cannot hash the issuer name", path);
		return -EINVAL;
	}
	snprintf(id->issuer_hash, sizeof(id->issuer_hash), "%08lx", h & 0xffffffffUL);
	kk_id_name(name, dn, sizeof(dn));
	id->issuer = strdup(dn);
	if (!id->issuer) {
		kk_id_why(why, wlen, false, "certificate %s: out of memory", path);
		return -ENOMEM;
	}
	return 0;
}

/* s as a C string; refused when it holds a NUL ("bot\0evil" must not pass as "bot"). */
static int asn1_to_str(const char *path, const char *what, const ASN1_STRING *s, bool utf8,
		       char **out, char *why, size_t wlen)
{
	unsigned char *u = NULL;
	int n, err = 0;

	if (utf8) {
		n = ASN1_STRING_to_UTF8(&u, s);
	} else {
		n = ASN1_STRING_length(s);
		u = (unsigned char *)ASN1_STRING_get0_data(s);
	}
	if (n < 0) {
		kk_id_why(why, wlen, true, "certificate %s: %s is not a valid string", path, what);
		return -EINVAL;
	}
	if (memchr(u, '\0', n)) {
		kk_id_why(why, wlen, false, "certificate %s: %s contains a NUL byte", path, what);
		err = -EINVAL;
	} else if (!(*out = strndup((const char *)u, n))) {
		kk_id_why(why, wlen, false, "certificate %s: out of memory", path);
		err = -ENOMEM;
	}
	if (utf8)
		OPENSSL_free(u);
	return err;
}

static int fill_cn(const char *path, X509 *x, struct kk_identity *id, char *why, size_t wlen)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);

	if (i < 0)
		return 0;
	/* Which of two CNs names the agent is anyone's guess: refuse rather than pick one. */
	if (X509_NAME_get_index_by_NID(subj, NID_commonName, i) >= 0) {
		kk_id_why(why, wlen, false, "certificate %s: subject has more than one CN", path);
		return -EINVAL;
	}
	return asn1_to_str(path, "CN", X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i)), true,
			   &id->subject_cn, why, wlen);
}

static int fill_san(const char *path, X509 *x, struct kk_identity *id, char *why, size_t wlen)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	int i, crit = -1, err = 0;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (!gens) {
		if (crit == -1)
			return 0;
		if (crit == -2)
			kk_id_why(why, wlen, false,
				  "certificate %s: more than one subjectAltName extension", path);
		else
			kk_id_why(why, wlen, true,
				  "certificate %s: malformed subjectAltName extension", path);
		return -EINVAL;
	}
	id->san_uris = calloc(sk_GENERAL_NAME_num(gens) + 1, sizeof(*id->san_uris));
	if (!id->san_uris) {
		kk_id_why(why, wlen, false, "certificate %s: out of memory", path);
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_URI)
			continue;
		err = asn1_to_str(path, "subjectAltName URI", g->d.uniformResourceIdentifier, false,
				  &id->san_uris[id->n_san_uris], why, wlen);
		if (err)
			goto out;
		id->n_san_uris++;
	}
out:
	GENERAL_NAMES_free(gens);
	return err;
}

/* The policy-hash extension, looked up by its OID: a DER OCTET STRING of exactly 32 bytes. */
static int fill_policy_hash(const char *path, X509 *x, struct kk_identity *id, char *why,
			    size_t wlen)
{
	ASN1_OBJECT *oid = kk_id_policy_oid();
	ASN1_OCTET_STRING *val = NULL;
	const ASN1_OCTET_STRING *raw;
	const unsigned char *p, *end;
	int i, err = -EINVAL;

	if (!oid) {
		kk_id_why(why, wlen, true, "certificate %s: out of memory", path);
		return -ENOMEM;
	}
	i = X509_get_ext_by_OBJ(x, oid, -1);
	if (i < 0) {
		err = 0;
		goto out;
	}
	if (X509_get_ext_by_OBJ(x, oid, i) >= 0) {
		kk_id_why(why, wlen, false,
			  "certificate %s: more than one policy-hash extension (%s)", path,
			  KK_POLICY_HASH_OID);
		goto out;
	}
	raw = X509_EXTENSION_get_data(X509_get_ext(x, i));
	p = ASN1_STRING_get0_data(raw);
	end = p + ASN1_STRING_length(raw);
	val = d2i_ASN1_OCTET_STRING(NULL, &p, end - p);
	if (!val || p != end) {
		kk_id_why(why, wlen, !val,
			  "certificate %s: policy-hash extension (%s) is not a DER OCTET STRING",
			  path, KK_POLICY_HASH_OID);
		goto out;
	}
	if (ASN1_STRING_length(val) != 32) {
		kk_id_why(why, wlen, false,
			  "certificate %s: policy-hash extension (%s) holds %d bytes, not the 32 "
			  "of a SHA-256 hash",
			  path, KK_POLICY_HASH_OID, ASN1_STRING_length(val));
		goto out;
	}
	kk_hex_encode(ASN1_STRING_get0_data(val), 32, id->policy_hash);
	id->has_policy_hash = true;
	err = 0;
out:
	ASN1_OCTET_STRING_free(val);
	ASN1_OBJECT_free(oid);
	return err;
}

static int fill_digest_dates(const char *path, X509 *x, struct kk_identity *id, char *why,
			     size_t wlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32) {
		kk_id_why(why, wlen, true, "certificate %s: cannot compute the fingerprint", path);
		return -EINVAL;
	}
	kk_hex_encode(md, n, id->fingerprint);
	if (kk_id_asn1_time(X509_get0_notBefore(x), &id->not_before) ||
	    kk_id_asn1_time(X509_get0_notAfter(x), &id->not_after)) {
		kk_id_why(why, wlen, true, "certificate %s: malformed validity period", path);
		return -EINVAL;
	}
	return 0;
}

int kk_id_fill(const char *path, X509 *x, struct kk_identity *id, char *why, size_t wlen)
{
	int err;

	err = fill_serial(path, x, id, why, wlen);
	if (!err)
		err = fill_issuer(path, x, id, why, wlen);
	if (!err)
		err = fill_cn(path, x, id, why, wlen);
	if (!err)
		err = fill_san(path, x, id, why, wlen);
	if (!err)
		err = fill_digest_dates(path, x, id, why, wlen);
	if (!err)
		err = fill_policy_hash(path, x, id, why, wlen);
	return err;
}

int kk_identity_subject_key(const char *cert_path, uint8_t key[KK_ISSUER_KEY_LEN], char *why,
			    size_t wlen)
{
	STACK_OF(X509) *extra = NULL;
	X509 *x = NULL;
	int err;

	err = kk_id_read_certs(cert_path, &x, &extra, why, wlen);
	if (err)
		return err;
	if (kk_id_name_key(X509_get_subject_name(x), key)) {
		kk_id_why(why, wlen, true, "certificate %s: cannot encode the subject name",
			  cert_path);
		err = -EINVAL;
	}
	X509_free(x);
	sk_X509_pop_free(extra, X509_free);
	return err;
}
