// SPDX-License-Identifier: GPL-2.0-only
/*
 * jws_verify — the reading half of jws.h: a compact JWS taken apart strictly and its signature
 * checked against the key of its own x5c[0]. Whether that certificate is to be trusted is the
 * caller's question (verify.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "error.h"
#include "jcs.h"
#include "jws.h"
#include "jws_int.h"
#include "kakunin_limits.h"

/* More certificates than any real chain: x5c is read before anything is trusted. */
#define X5C_MAX 8

int kk_jws_ssl_error(struct kk_error *e, int code, const char *what, const char *fmt, ...)
{
	unsigned long l = ERR_peek_error();
	char why[200], ssl[120] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (l)
		snprintf(ssl, sizeof(ssl), " (%s)",
			 ERR_reason_error_string(l) ? ERR_reason_error_string(l) : "OpenSSL error");
	ERR_clear_error();
	return kk_error_set(e, code, what, "%s%s", why, ssl);
}

/* Standard base64 with padding, nothing else (RFC 7515 4.1.6), into a certificate. */
static int x5c_cert(const char *b64, X509 **out)
{
	size_t len = strlen(b64), i, pad = 0;
	const unsigned char *p;
	unsigned char *der;
	int n;

	if (!len || len % 4)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = b64[i];

		if (c == '=' && i >= len - 2) {
			pad++;
			continue;
		}
		if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -EINVAL;
	}
	der = malloc(len / 4 * 3);
	if (!der)
		return -ENOMEM;
	n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len);
	n -= (int)pad;
	p = der;
	*out = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
	if (*out && p != der + n) { /* trailing bytes after the certificate */
		X509_free(*out);
		*out = NULL;
	}
	free(der);
	ERR_clear_error();
	return *out ? 0 : -EINVAL;
}

static int read_x5c(const cJSON *h, STACK_OF(X509) * *out, struct kk_error *e)
{
	const cJSON *x5c = cJSON_GetObjectItemCaseSensitive(h, "x5c"), *c;
	STACK_OF(X509) * sk;
	int i = 0, err;
	X509 *x;

	if (!cJSON_IsArray(x5c) || !x5c->child)
		return kk_error_set(e, -EINVAL, "JWS header", "x5c missing or empty");
	if (cJSON_GetArraySize(x5c) > X5C_MAX)
		return kk_error_set(e, -EINVAL, "JWS header", "x5c has more than %d certificates",
				    X5C_MAX);
	sk = sk_X509_new_null();
	if (!sk)
		return kk_error_set(e, -ENOMEM, "JWS", "out of memory");
	for (c = x5c->child; c; c = c->next, i++) {
		err = cJSON_IsString(c) ? x5c_cert(c->valuestring, &x) : -EINVAL;
		if (!err && !sk_X509_push(sk, x)) {
			X509_free(x);
			err = -ENOMEM;
		}
		if (err) {
			sk_X509_pop_free(sk, X509_free);
			return kk_error_set(e, err, "JWS header", "x5c[%d]: %s", i,
					    err == -ENOMEM ? "out of memory"
							   : "not base64 of a DER certificate");
		}
	}
	*out = sk;
	return 0;
}

/* The header's alg: one of the three this format uses, before anything else is read. */
static int check_alg_name(const cJSON *h, const char **alg, struct kk_error *e)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(h, "alg");

	if (!cJSON_IsString(a))
		return kk_error_set(e, -EINVAL, "JWS header", "alg missing or not a string");
	if (!strcmp(a->valuestring, "none"))
		return kk_error_set(e, -EINVAL, "JWS header", "alg \"none\" refused: unsigned");
	if (!strncmp(a->valuestring, "HS", 2))
		return kk_error_set(e, -EINVAL, "JWS header",
				    "alg \"%.16s\" refused: HMAC cannot be tied to a certificate",
				    a->valuestring);
	if (strcmp(a->valuestring, "ES256") && strcmp(a->valuestring, "PS256") &&
	    strcmp(a->valuestring, "EdDSA"))
		return kk_error_set(e, -EINVAL, "JWS header", "alg \"%.16s\" not supported",
				    a->valuestring);
	*alg = a->valuestring;
	return 0;
}

/* The alg against the leaf's key: the key decides, the header may only agree. */
static int check_alg_key(const char *alg, X509 *leaf, struct kk_error *e)
{
	const char *want = kk_jws_alg_for_key(X509_get0_pubkey(leaf));

	if (!want)
		return kk_error_set(e, -EINVAL, "JWS header",
				    "x5c[0]'s key is not EC P-256, RSA >= 2048 bits or Ed25519");
	if (strcmp(want, alg))
		return kk_error_set(e, -EINVAL, "JWS header",
				    "alg \"%s\" does not match the certificate's key (%s)", alg,
				    want);
	return 0;
}

/* JOSE r||s back to DER for OpenSSL. */
static int raw_to_der(const unsigned char *raw, size_t len, unsigned char **der, size_t *dlen)
{
	ECDSA_SIG *sig;
	BIGNUM *r, *s;
	int n;

	if (len != 64)
		return -EBADMSG;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, 32, NULL);
	s = BN_bin2bn(raw + 32, 32, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return -ENOMEM;
	}
	*der = NULL;
	n = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return -ENOMEM;
	*dlen = n;
	return 0;
}

int kk_jws_verify_key(const char *alg, EVP_PKEY *key, const char *input, size_t ilen,
		      const unsigned char *sig, size_t slen, struct kk_error *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	size_t dlen = slen;
	int err = 0, ok;

	if (!ctx)
		return kk_error_set(e, -ENOMEM, "JWS", "out of memory");
	if (!strcmp(alg, "ES256"))
		err = raw_to_der(sig, slen, &der, &dlen);
	if (err == -EBADMSG)
		kk_error_set(e, err, "JWS signature", "ES256 signature is %zu bytes, not 64", slen);
	else if (err)
		kk_error_set(e, err, "JWS", "out of memory");
	else if (kk_jws_ctx_init(ctx, alg, key, false))
		err = kk_jws_ssl_error(e, -EIO, "JWS", "cannot set up %s verification", alg);
	if (!err) {
		ok = EVP_DigestVerify(ctx, der ? der : sig, dlen, (const unsigned char *)input,
				      ilen);
		ERR_clear_error();
		if (ok != 1)
			err = kk_error_set(e, -EBADMSG, "JWS signature",
					   "does not verify with x5c[0]'s key");
	}
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return err;
}

/* The protected header: base64url of a strict JSON object with no "crit". */
static int read_header(const char *s, size_t len, cJSON **out, struct kk_error *e)
{
	unsigned char *raw;
	size_t rlen;
	int err;

	if (!len || kk_b64url_decode(s, len, &raw, &rlen))
		return kk_error_set(e, -EINVAL, "JWS header", "not base64url");
	err = kk_jcs_parse((const char *)raw, rlen, out, e);
	free(raw);
	if (err) {
		char why[sizeof(e->why)];

		snprintf(why, sizeof(why), "%s", e->why);
		return kk_error_set(e, -EINVAL, "JWS header", "not JSON: %s", why);
	}
	if (!cJSON_IsObject(*out))
		err = kk_error_set(e, -EINVAL, "JWS header", "not a JSON object");
	else if (cJSON_GetObjectItemCaseSensitive(*out, "crit"))
		err = kk_error_set(e, -EINVAL, "JWS header",
				   "\"crit\" refused: no extension is "
				   "understood");
	if (err) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	return err;
}

/* Split at the two dots: three parts, exactly. */
static int split(const char *c, size_t len, size_t dot[2], struct kk_error *e)
{
	const char *a = memchr(c, '.', len), *b = a ? memchr(a + 1, '.', len - (a + 1 - c)) : NULL;

	if (!a || !b || memchr(b + 1, '.', len - (b + 1 - c)))
		return kk_error_set(e, -EINVAL, "JWS", "not three dot-separated parts");
	dot[0] = a - c;
	dot[1] = b - c;
	return 0;
}

int kk_jws_parse_verify(const char *compact, size_t len, struct kk_jws *out, struct kk_error *e)
{
	unsigned char *sig = NULL;
	size_t dot[2] = { 0 }, slen = 0;
	struct kk_jws j = { 0 };
	int err;

	memset(out, 0, sizeof(*out));
	if (len > KK_JWS_MAX)
		return kk_error_set(e, -E2BIG, "JWS", "%zu bytes, more than the %d allowed", len,
				    KK_JWS_MAX);
	err = split(compact, len, dot, e);
	if (!err)
		err = read_header(compact, dot[0], &j.header, e);
	if (!err)
		err = check_alg_name(j.header, &j.alg, e);
	if (!err)
		err = read_x5c(j.header, &j.chain, e);
	if (!err)
		err = check_alg_key(j.alg, sk_X509_value(j.chain, 0), e);
	if (!err &&
	    kk_b64url_decode(compact + dot[0] + 1, dot[1] - dot[0] - 1, &j.payload, &j.payload_len))
		err = kk_error_set(e, -EINVAL, "JWS payload", "not base64url");
	if (!err && (dot[1] + 1 == len ||
		     kk_b64url_decode(compact + dot[1] + 1, len - dot[1] - 1, &sig, &slen)))
		err = kk_error_set(e, -EINVAL, "JWS signature", "empty or not base64url");
	if (!err)
		err = kk_jws_verify_key(j.alg, X509_get0_pubkey(sk_X509_value(j.chain, 0)), compact,
					dot[1], sig, slen, e);
	free(sig);
	if (err) {
		kk_jws_free(&j);
		return err;
	}
	*out = j;
	return 0;
}

void kk_jws_free(struct kk_jws *j)
{
	if (!j)
		return;
	cJSON_Delete(j->header);
	free(j->payload);
	sk_X509_pop_free(j->chain, X509_free);
	memset(j, 0, sizeof(*j));
}
