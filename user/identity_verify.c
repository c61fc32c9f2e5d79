// SPDX-License-Identifier: GPL-2.0-only
/*
 * identity_verify — is this certificate one the CA bundle vouches for, now? OpenSSL's
 * X509_verify_cert does the chain work; this file picks what it is given (leaf, intermediates,
 * bundle, time) and turns its verdict into one line a person can act on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "identity_int.h"

/* What a certificate must be to act as an agent's identity, beyond its chain. */
static int check_leaf(const char *path, X509 *leaf, const struct kk_identity *id, char *why,
		      size_t wlen)
{
	uint32_t flags = X509_get_extension_flags(leaf);
	const char *ca = NULL;
	ASN1_OBJECT *oid;
	int i;

	/* A CA certificate can mint its own agents: binding one would hand that power out. */
	if (flags & EXFLAG_CA)
		ca = "basicConstraints CA:TRUE";
	else if ((flags & EXFLAG_KUSAGE) && (X509_get_key_usage(leaf) & KU_KEY_CERT_SIGN))
		ca = "keyUsage keyCertSign";
	if (ca) {
		kk_id_why(why, wlen, false,
			  "certificate %s: is a CA certificate, not an agent certificate (%s)",
			  path, ca);
		return -EKEYREJECTED;
	}
	if (id->serial_len == 1 && id->serial_bin[0] == 0) {
		kk_id_why(why, wlen, false,
			  "certificate %s: serial number is 0 (RFC 5280 requires a positive "
			  "serial)",
			  path);
		return -EINVAL;
	}
	oid = kk_id_policy_oid();
	if (!oid) {
		kk_id_why(why, wlen, true, "certificate %s: out of memory", path);
		return -ENOMEM;
	}
	i = X509_get_ext_by_OBJ(leaf, oid, -1);
	ASN1_OBJECT_free(oid);
	/* Critical, every other verifier of the certificate (a TLS peer...) would have to fail. */
	if (i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(leaf, i))) {
		kk_id_why(why, wlen, false,
			  "certificate %s: policy-hash extension (%s) is marked critical; it must "
			  "be non-critical",
			  path, KK_POLICY_HASH_OID);
		return -EKEYREJECTED;
	}
	return 0;
}

/* The bundle's certificates are the trust anchors; say plainly when there are none. */
static int load_bundle(const char *bundle, X509_STORE **out, char *why, size_t wlen)
{
	X509_STORE *store = NULL;
	struct stat st;
	int fd, i, n = 0, err = 0;

	/* X509_STORE_load_file reports only "system lib": find the errno ourselves first. */
	fd = open(bundle, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		kk_id_why(why, wlen, false, "CA bundle %s: cannot open: %s", bundle,
			  strerror(-err));
		goto out;
	}
	if (S_ISDIR(st.st_mode) || st.st_size == 0) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		kk_id_why(why, wlen, false, "CA bundle %s: %s", bundle,
			  err == -EISDIR ? "is a directory" : "empty file, no CA certificate");
		goto out;
	}
	store = X509_STORE_new();
	if (!store) {
		err = -ENOMEM;
		kk_id_why(why, wlen, true, "CA bundle %s: out of memory", bundle);
		goto out;
	}
	if (X509_STORE_load_file(store, bundle) != 1) {
		err = -EINVAL;
		kk_id_why(why, wlen, true, "CA bundle %s: no PEM certificate could be loaded",
			  bundle);
		goto out;
	}
	for (i = 0; i < sk_X509_OBJECT_num(X509_STORE_get0_objects(store)); i++)
		n += X509_OBJECT_get_type(sk_X509_OBJECT_value(X509_STORE_get0_objects(store),
							       i)) == X509_LU_X509;
	if (!n) {
		err = -EINVAL;
		kk_id_why(why, wlen, false, "CA bundle %s: contains no certificate", bundle);
	}
out:
	if (fd >= 0)
		close(fd);
	if (err)
		X509_STORE_free(store);
	else
		*out = store;
	return err;
}

/* "" for the leaf itself, else "issuer certificate \"DN\" (chain depth N) ". */
static void who(X509_STORE_CTX *ctx, char *buf, size_t len)
{
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	char dn[512];

	buf[0] = '\0';
	if (depth <= 0 || !cur)
		return;
	kk_id_name(X509_get_subject_name(cur), dn, sizeof(dn));
	snprintf(buf, len, "issuer certificate \"%s\" (chain depth %d) ", dn, depth);
}

/* The critical extensions of x OpenSSL does not handle, as OIDs or names: "1.2.3, 4.5.6". */
static void unknown_critical(X509 *x, char *buf, size_t len)
{
	X509_EXTENSION *ext;
	size_t off = 0;
	char oid[80];
	int i;

	buf[0] = '\0';
	for (i = 0; x && i < X509_get_ext_count(x); i++) {
		ext = X509_get_ext(x, i);
		if (!X509_EXTENSION_get_critical(ext) || X509_supported_extension(ext))
			continue;
		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 0);
		if (off + 1 < len)
			off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", oid);
	}
}

/* Turn X509_verify_cert's verdict into why[] and an errno. */
static int explain(const char *path, const char *bundle, X509_STORE_CTX *ctx, char *why,
		   size_t wlen)
{
	int e = X509_STORE_CTX_get_error(ctx);
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	const char *es = X509_verify_cert_error_string(e);
	char w[600], dn[512] = "", when[40] = "?", list[256];
	const ASN1_TIME *at;
	bool expired;
	int64_t t;

	who(ctx, w, sizeof(w));
	if (cur)
		kk_id_name(X509_get_issuer_name(cur), dn, sizeof(dn));
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		expired = e == X509_V_ERR_CERT_HAS_EXPIRED;
		if (cur) {
			at = expired ? X509_get0_notAfter(cur) : X509_get0_notBefore(cur);
			if (!kk_id_asn1_time(at, &t))
				kk_id_time_str(t, when, sizeof(when));
		}
		kk_id_why(why, wlen, false, "certificate %s: %s%s %s (%s)", path, w,
			  expired ? "expired on" : "not valid before", when, es);
		return -EKEYEXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		kk_id_why(why, wlen, false,
			  "certificate %s: %snot signed by a CA in %s (%s; issuer \"%s\")", path, w,
			  bundle, es, dn);
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		kk_id_why(why, wlen, false,
			  "certificate %s: chain ends in a self-signed certificate "
			  "\"%s\" that is not in %s (%s)",
			  path, dn, bundle, es);
		break;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		kk_id_why(why, wlen, false,
			  "certificate %s: %sbad signature: not signed by the key of "
			  "its issuer \"%s\" in %s (%s)",
			  path, w, dn, bundle, es);
		break;
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
		unknown_critical(cur, list, sizeof(list));
		kk_id_why(why, wlen, false,
			  "certificate %s: %scarries a critical extension this "
			  "verifier does not know: %s (%s)",
			  path, w, list, es);
		break;
	case X509_V_ERR_INVALID_CA:
		kk_id_why(why, wlen, false, "certificate %s: %sis used as a CA but is not one (%s)",
			  path, w, es);
		break;
	default:
		kk_id_why(why, wlen, false, "certificate %s: %sverification against %s failed: %s",
			  path, w, bundle, es);
		break;
	}
	return -EKEYREJECTED;
}

static int verify_chain(const char *path, const char *bundle, X509_STORE *store, X509 *leaf,
			kk_x509s *extra, int64_t now, char *why, size_t wlen)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc, err = 0;

	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, extra)) {
		err = -ENOMEM;
		kk_id_why(why, wlen, true, "certificate %s: cannot set up verification", path);
		goto out;
	}
	/* Tests pin the clock; X509_V_FLAG_USE_CHECK_TIME comes with it. */
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)now);
	rc = X509_verify_cert(ctx);
	if (rc > 0)
		goto out;
	if (rc < 0 || X509_STORE_CTX_get_error(ctx) == X509_V_OK) {
		err = -EKEYREJECTED;
		kk_id_why(why, wlen, true, "certificate %s: verification against %s failed", path,
			  bundle);
		goto out;
	}
	err = explain(path, bundle, ctx, why, wlen);
	ERR_clear_error();
out:
	X509_STORE_CTX_free(ctx);
	return err;
}

int kk_identity_verify(const char *cert_path, const char *ca_bundle, int64_t now,
		       struct kk_identity *id, char *why, size_t wlen)
{
	STACK_OF(X509) *extra = NULL;
	X509_STORE *store = NULL;
	X509 *leaf = NULL;
	int err;

	memset(id, 0, sizeof(*id));
	ERR_clear_error();
	if (!ca_bundle)
		ca_bundle = KK_DEFAULT_CA;
	err = kk_id_read_certs(cert_path, &leaf, &extra, why, wlen);
	if (!err)
		err = kk_id_fill(cert_path, leaf, id, why, wlen);
	if (!err)
		err = check_leaf(cert_path, leaf, id, why, wlen);
	if (!err)
		err = load_bundle(ca_bundle, &store, why, wlen);
	if (!err)
		err = verify_chain(cert_path, ca_bundle, store, leaf, extra, now, why, wlen);
	X509_STORE_free(store);
	X509_free(leaf);
	sk_X509_pop_free(extra, X509_free);
	if (err)
		kk_identity_free(id);
	return err;
}
