// SPDX-License-Identifier: GPL-2.0-only
/*
 * jws — base64url and the signing half of jws.h; jws_verify.c parses and verifies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "error.h"
#include "jcs.h"
#include "jws.h"
#include "jws_int.h"

char *kk_b64url(const unsigned char *buf, size_t len)
{
	size_t n = 4 * ((len + 2) / 3), i, o = 0;
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, buf, (int)len);
	for (i = 0; i < n && s[i] != '='; i++)
		s[o++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	s[o] = '\0';
	return s;
}

int kk_b64url_decode(const char *s, size_t len, unsigned char **out, size_t *olen)
{
	size_t i, n = len + (4 - len % 4) % 4, pad = n - len;
	char *t = NULL, *back = NULL;
	unsigned char *o = NULL;
	int dn, err = -EINVAL;

	*out = NULL;
	*olen = 0;
	if (len % 4 == 1)
		return -EINVAL;
	t = malloc(n + 1);
	o = malloc(n / 4 * 3 + 1);
	if (!t || !o) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			goto out;
		t[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(t + len, '=', pad);
	t[n] = '\0';
	dn = EVP_DecodeBlock(o, (unsigned char *)t, (int)n);
	if (dn < 0)
		goto out;
	dn -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	/* Canonical only: the unused trailing bits must be zero, so one text per value. */
	back = kk_b64url(o, dn);
	if (!back) {
		err = -ENOMEM;
		goto out;
	}
	if (strlen(back) != len || memcmp(back, s, len))
		goto out;
	o[dn] = '\0';
	*out = o;
	*olen = dn;
	o = NULL;
	err = 0;
out:
	free(t);
	free(o);
	free(back);
	return err;
}

const char *kk_jws_alg_for_key(EVP_PKEY *key)
{
	char group[32];

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL))
			return NULL;
		return strcmp(group, "prime256v1") && strcmp(group, "P-256") ? NULL : "ES256";
	case EVP_PKEY_RSA:
		return EVP_PKEY_get_bits(key) >= 2048 ? "PS256" : NULL;
	case EVP_PKEY_ED25519:
		return "EdDSA";
	default:
		return NULL;
	}
}

int kk_jws_ctx_init(EVP_MD_CTX *ctx, const char *alg, EVP_PKEY *key, bool sign)
{
	const EVP_MD *md = strcmp(alg, "EdDSA") ? EVP_sha256() : NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, key)
		  : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key);
	if (ok != 1)
		return -EIO;
	if (!strcmp(alg, "PS256") &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1))
		return -EIO;
	return 0;
}

/* DER ECDSA-Sig-Value to JOSE's fixed-width r||s. */
static int der_to_raw(const unsigned char *der, size_t len, unsigned char raw[64])
{
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, (long)len);
	const BIGNUM *r, *s;
	int ok;

	if (!sig)
		return -EIO;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -EIO;
}

/* Sign input with key as alg; the JOSE signature into *sig (malloc'd). */
static int sign_raw(EVP_PKEY *key, const char *alg, const char *input, unsigned char **sig,
		    size_t *slen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	size_t dlen = 0;
	int err = -EIO;

	*sig = NULL;
	if (!ctx)
		return -ENOMEM;
	if (kk_jws_ctx_init(ctx, alg, key, true) ||
	    EVP_DigestSign(ctx, NULL, &dlen, (const unsigned char *)input, strlen(input)) != 1)
		goto out;
	der = malloc(dlen > 64 ? dlen : 64);
	if (!der) {
		err = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, der, &dlen, (const unsigned char *)input, strlen(input)) != 1)
		goto out;
	if (!strcmp(alg, "ES256")) {
		unsigned char raw[64];

		if (der_to_raw(der, dlen, raw))
			goto out;
		memcpy(der, raw, 64);
		dlen = 64;
	}
	*sig = der;
	*slen = dlen;
	der = NULL;
	err = 0;
out:
	free(der);
	EVP_MD_CTX_free(ctx);
	return err;
}

/* x5c: standard base64 (padded) of each certificate's DER, RFC 7515 4.1.6. */
static cJSON *x5c_of(STACK_OF(X509) * chain)
{
	cJSON *a = cJSON_CreateArray();
	unsigned char *der;
	char *b64;
	int i, n;

	for (i = 0; a && i < sk_X509_num(chain); i++) {
		der = NULL;
		n = i2d_X509(sk_X509_value(chain, i), &der);
		b64 = n > 0 ? malloc(4 * ((n + 2) / 3) + 1) : NULL;
		if (b64)
			EVP_EncodeBlock((unsigned char *)b64, der, n);
		OPENSSL_free(der);
		if (!b64 || !cJSON_AddItemToArray(a, cJSON_CreateString(b64))) {
			free(b64);
			cJSON_Delete(a);
			return NULL;
		}
		free(b64);
	}
	return a;
}

static bool add_str(cJSON *h, const char *k, const char *v)
{
	return !v || cJSON_AddStringToObject(h, k, v);
}

/* The protected header; kk_jcs orders its members. */
static cJSON *header_of(const struct kk_jws_sign_in *in, const char *alg)
{
	cJSON *h = cJSON_CreateObject(), *x5c = x5c_of(in->chain);

	if (!h || !x5c || !add_str(h, "alg", alg) || !add_str(h, "action", in->action) ||
	    !add_str(h, "agent_id", in->agent_id) ||
	    !add_str(h, "cty", in->payload_json ? "json" : "octet") ||
	    !add_str(h, "host", in->host) || !cJSON_AddNumberToObject(h, "iat", (double)in->iat) ||
	    !add_str(h, "jti", in->jti) || !add_str(h, "kid", in->kid) ||
	    !add_str(h, "policy_hash", in->policy_hash) || !add_str(h, "typ", KK_JWS_TYP) ||
	    !cJSON_AddItemToObject(h, "x5c", x5c)) {
		cJSON_Delete(h);
		cJSON_Delete(x5c);
		return NULL;
	}
	return h;
}

static int assemble(const char *hdr, const unsigned char *payload, size_t plen, char **input)
{
	char *h64 = kk_b64url((const unsigned char *)hdr, strlen(hdr));
	char *p64 = kk_b64url(payload, plen);
	int err = -ENOMEM;

	*input = NULL;
	if (h64 && p64 && asprintf(input, "%s.%s", h64, p64) >= 0)
		err = 0;
	free(h64);
	free(p64);
	return err;
}

int kk_jws_sign(const struct kk_jws_sign_in *in, char **out, struct kk_error *e)
{
	const char *alg = in->key ? kk_jws_alg_for_key(in->key) : NULL;
	char *hdr = NULL, *input = NULL, *s64 = NULL;
	unsigned char *sig = NULL;
	size_t slen = 0;
	cJSON *h = NULL;
	int err;

	*out = NULL;
	if (!alg)
		return kk_error_set(e, -EINVAL, "signing key",
				    "not EC P-256, RSA of 2048 bits or more, or Ed25519");
	if (!in->chain || !sk_X509_num(in->chain) || !in->kid || !in->jti ||
	    (!in->payload && in->payload_len))
		return kk_error_set(e, -EINVAL, "JWS", "certificate chain, kid, jti required");
	h = header_of(in, alg);
	if (!h)
		return kk_error_set(e, -ENOMEM, "JWS", "out of memory");
	hdr = kk_jcs(h, e);
	cJSON_Delete(h);
	if (!hdr)
		return e->code;
	err = assemble(hdr, in->payload ? in->payload : (const unsigned char *)"", in->payload_len,
		       &input);
	if (!err)
		err = sign_raw(in->key, alg, input, &sig, &slen);
	if (!err && !(s64 = kk_b64url(sig, slen)))
		err = -ENOMEM;
	if (!err && asprintf(out, "%s.%s", input, s64) < 0) {
		*out = NULL;
		err = -ENOMEM;
	}
	if (err == -EIO)
		kk_jws_ssl_error(e, err, "signing key", "%s signature failed", alg);
	else if (err)
		kk_error_set(e, err, "JWS", "out of memory");
	free(hdr);
	free(input);
	free(sig);
	free(s64);
	return err;
}
