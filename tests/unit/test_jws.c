// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_jws — user/jws*.c: base64url (RFC 4648 vectors, strictness), sign and verify round trips
 * for the three key types with keys and self-signed certificates made here, and what verify
 * must refuse: a changed header, payload or signature (-EBADMSG), and the algorithm games
 * ("none", HMAC, an alg that does not match the certificate's key, "crit") and malformed input
 * (-EINVAL).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"
#include "jws.h"
#include "jws_int.h"
#include "unit.h"

UNIT_TEST(b64url_vectors)
{
	static const char *const v[][2] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "-_8" },
	};
	unsigned char *d;
	size_t i, n;
	char *s;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = kk_b64url((const unsigned char *)v[i][0], strlen(v[i][0]));
		CHECK_EQ_STR(s, v[i][1]);
		free(s);
		CHECK_EQ_INT(kk_b64url_decode(v[i][1], strlen(v[i][1]), &d, &n), 0);
		CHECK_EQ_INT(n, strlen(v[i][0]));
		CHECK(!memcmp(d, v[i][0], n));
		free(d);
	}
	/* padding, the standard alphabet, whitespace, an impossible length, non-zero spare bits */
	static const char *const bad[] = { "Zg==", "+/8", "Zm9 v", "Zm9vY", "Zh" };
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(kk_b64url_decode(bad[i], strlen(bad[i]), &d, &n), -EINVAL);
		CHECK(d == NULL);
	}
}

static EVP_PKEY *keygen(const char *type)
{
	if (!strcmp(type, "EC"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!strcmp(type, "RSA"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

/* A self-signed certificate for key, valid for a day. */
static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n;

	if (!x)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"agent", -1, -1,
				   0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	if (!X509_sign(x, key,
		       EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

struct signer {
	EVP_PKEY *key;
	STACK_OF(X509) * chain;
};

static bool signer_new(struct signer *s, const char *type)
{
	X509 *x;

	s->key = keygen(type);
	x = s->key ? self_signed(s->key) : NULL;
	s->chain = sk_X509_new_null();
	return x && s->chain && sk_X509_push(s->chain, x);
}

static void signer_free(struct signer *s)
{
	EVP_PKEY_free(s->key);
	sk_X509_pop_free(s->chain, X509_free);
}

static const char payload[] = "{\"market\":\"EUR_USD\",\"side\":\"buy\",\"size\":1000}";

static int sign(struct signer *s, char **out, struct kk_error *e)
{
	struct kk_jws_sign_in in = {
		.key = s->key,
		.chain = s->chain,
		.kid = "1234",
		.agent_id = "trader-1",
		.policy_hash = "ab",
		.host = "h1",
		.action = "trade",
		.iat = 1700000000,
		.jti = "00112233445566778899aabbccddeeff",
		.payload = (const unsigned char *)payload,
		.payload_len = strlen(payload),
		.payload_json = true,
	};

	return kk_jws_sign(&in, out, e);
}

/* The decoded protected header of a compact JWS. */
static char *header_text(const char *jws)
{
	unsigned char *h;
	size_t n;

	if (kk_b64url_decode(jws, strcspn(jws, "."), &h, &n))
		return NULL;
	return (char *)h;
}

static void round_trip(const char *type, const char *alg)
{
	struct kk_error e = { 0 };
	struct kk_jws j;
	struct signer s;
	char *jws = NULL, *h, want[128];

	CHECK(signer_new(&s, type));
	CHECK_EQ_INT(sign(&s, &jws, &e), 0);
	h = header_text(jws);
	/* RFC 8785 member order: "action" < "agent_id" < "alg" */
	snprintf(want, sizeof(want),
		 "{\"action\":\"trade\",\"agent_id\":\"trader-1\",\"alg\":\"%s\","
		 "\"cty\":\"json\",\"host\":\"h1\",\"iat\":1700000000,\"jti\":\"0011",
		 alg);
	CHECK(h && !strncmp(h, want, strlen(want)));
	CHECK(strstr(h, "\"kid\":\"1234\",\"policy_hash\":\"ab\",\"typ\":\"kakunin-action+jws\","
			"\"x5c\":[\""));
	free(h);
	CHECK_EQ_INT(kk_jws_parse_verify(jws, strlen(jws), &j, &e), 0);
	CHECK_EQ_STR(j.alg, alg);
	CHECK_EQ_INT(j.payload_len, strlen(payload));
	CHECK(!memcmp(j.payload, payload, j.payload_len));
	CHECK_EQ_INT(sk_X509_num(j.chain), 1);
	CHECK_EQ_INT(X509_cmp(sk_X509_value(j.chain, 0), sk_X509_value(s.chain, 0)), 0);
	CHECK_EQ_STR(cJSON_GetObjectItem(j.header, "agent_id")->valuestring, "trader-1");
	kk_jws_free(&j);
	free(jws);
	signer_free(&s);
}

UNIT_TEST(round_trip_es256)
{
	round_trip("EC", "ES256");
}
UNIT_TEST(round_trip_ps256)
{
	round_trip("RSA", "PS256");
}
UNIT_TEST(round_trip_eddsa)
{
	round_trip("ED25519", "EdDSA");
}

/* ES256 signatures are the raw 64 bytes, not DER (RFC 7518 3.4). */
UNIT_TEST(es256_raw_signature)
{
	struct kk_error e = { 0 };
	struct signer s;
	unsigned char *sig;
	size_t n;
	char *jws = NULL;

	CHECK(signer_new(&s, "EC"));
	CHECK_EQ_INT(sign(&s, &jws, &e), 0);
	CHECK_EQ_INT(
		kk_b64url_decode(strrchr(jws, '.') + 1, strlen(strrchr(jws, '.') + 1), &sig, &n),
		0);
	CHECK_EQ_INT(n, 64);
	free(sig);
	free(jws);
	signer_free(&s);
}

/* RFC 7515 Appendix A.3: the published ES256 example verifies with the example's public key
 * (x, y of its JWK): JOSE's raw r||s, not DER, read as the RFC means it. */
UNIT_TEST(rfc7515_a3_es256)
{
	static const char input[] =
		"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9"
		"leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
	static const char sig64[] = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8I"
				    "SlSApmWQxfKTUJqPP3-Kg6NU1Q";
	static const char x64[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
			  y64[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
	unsigned char pub[65] = { 0x04 }, *x, *y, *sig;
	size_t xn, yn, sn;
	struct kk_error e = { 0 };
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	OSSL_PARAM params[3];

	CHECK_EQ_INT(kk_b64url_decode(x64, strlen(x64), &x, &xn), 0);
	CHECK_EQ_INT(kk_b64url_decode(y64, strlen(y64), &y, &yn), 0);
	CHECK_EQ_INT(kk_b64url_decode(sig64, strlen(sig64), &sig, &sn), 0);
	CHECK(xn == 32 && yn == 32 && sn == 64);
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	params[2] = OSSL_PARAM_construct_end();
	CHECK(pc && EVP_PKEY_fromdata_init(pc) == 1 &&
	      EVP_PKEY_fromdata(pc, &key, EVP_PKEY_PUBLIC_KEY, params) == 1);
	CHECK_EQ_STR(kk_jws_alg_for_key(key), "ES256");
	CHECK_EQ_INT(kk_jws_verify_key("ES256", key, input, strlen(input), sig, sn, &e), 0);
	/* one bit of the payload, or of s */
	CHECK_EQ_INT(kk_jws_verify_key("ES256", key, input, strlen(input) - 1, sig, sn, &e),
		     -EBADMSG);
	sig[63] ^= 1;
	CHECK_EQ_INT(kk_jws_verify_key("ES256", key, input, strlen(input), sig, sn, &e), -EBADMSG);
	CHECK_EQ_INT(kk_jws_verify_key("ES256", key, input, strlen(input), sig, 63, &e), -EBADMSG);
	CHECK_EQ_STR(e.why, "ES256 signature is 63 bytes, not 64");
	free(x);
	free(y);
	free(sig);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(pc);
}

/* jws with part k (0 header, 1 payload, 2 signature) replaced by repl. */
static char *replace_part(const char *jws, int k, const char *repl)
{
	const char *d1 = strchr(jws, '.'), *d2 = strchr(d1 + 1, '.');
	char *out = NULL;

	int n;

	if (k == 0)
		n = asprintf(&out, "%s%s", repl, d1);
	else if (k == 1)
		n = asprintf(&out, "%.*s.%s%s", (int)(d1 - jws), jws, repl, d2);
	else
		n = asprintf(&out, "%.*s.%s", (int)(d2 - jws), jws, repl);
	return n < 0 ? NULL : out;
}

static void expect(const char *jws, int code, const char *why)
{
	struct kk_error e = { 0 };
	struct kk_jws j;

	CHECK_EQ_INT(kk_jws_parse_verify(jws, strlen(jws), &j, &e), code);
	CHECK(j.header == NULL && j.chain == NULL && j.payload == NULL);
	if (why)
		CHECK_EQ_STR(e.why, why);
}

static void tamper(const char *type)
{
	struct kk_error e = { 0 };
	struct signer s;
	char *jws = NULL, *t, *h, *p, *sig;

	CHECK(signer_new(&s, type));
	CHECK_EQ_INT(sign(&s, &jws, &e), 0);
	/* the payload: size 1000 -> 9000 */
	p = kk_b64url(
		(const unsigned char *)"{\"market\":\"EUR_USD\",\"side\":\"buy\",\"size\":9000}",
		strlen(payload));
	t = replace_part(jws, 1, p);
	expect(t, -EBADMSG, "does not verify with x5c[0]'s key");
	free(t);
	free(p);
	/* a header claim: agent_id */
	h = header_text(jws);
	memcpy(strstr(h, "trader-1"), "trader-2", 8);
	p = kk_b64url((const unsigned char *)h, strlen(h));
	t = replace_part(jws, 0, p);
	expect(t, -EBADMSG, "does not verify with x5c[0]'s key");
	free(t);
	free(p);
	free(h);
	/* the signature: its first byte */
	sig = strdup(strrchr(jws, '.') + 1);
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	t = replace_part(jws, 2, sig);
	expect(t, -EBADMSG, NULL);
	free(t);
	free(sig);
	free(jws);
	signer_free(&s);
}

UNIT_TEST(tamper_es256)
{
	tamper("EC");
}
UNIT_TEST(tamper_ps256)
{
	tamper("RSA");
}
UNIT_TEST(tamper_eddsa)
{
	tamper("ED25519");
}

/* A JWS whose header is hdr_fmt with %s = x5c's one certificate (of s). */
static char *forge(struct signer *s, const char *hdr_fmt, const char *sig)
{
	unsigned char *der = NULL;
	char *b64, *hdr = NULL, *h64, *out = NULL;
	int n = i2d_X509(sk_X509_value(s->chain, 0), &der);

	b64 = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, der, n);
	if (asprintf(&hdr, hdr_fmt, b64) < 0)
		hdr = NULL;
	h64 = hdr ? kk_b64url((const unsigned char *)hdr, strlen(hdr)) : NULL;
	if (!h64 || asprintf(&out, "%s.eyJhIjoxfQ.%s", h64, sig) < 0)
		out = NULL;
	OPENSSL_free(der);
	free(b64);
	free(hdr);
	free(h64);
	return out;
}

UNIT_TEST(alg_games)
{
	static const struct {
		const char *hdr, *why;
	} v[] = {
		{ "{\"alg\":\"none\",\"x5c\":[\"%s\"]}", "alg \"none\" refused: unsigned" },
		{ "{\"alg\":\"HS256\",\"x5c\":[\"%s\"]}",
		  "alg \"HS256\" refused: HMAC cannot be tied to a certificate" },
		{ "{\"alg\":\"ES256\",\"x5c\":[\"%s\"]}",
		  "alg \"ES256\" does not match the certificate's key (PS256)" },
		{ "{\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", "alg \"RS256\" not supported" },
		{ "{\"x5c\":[\"%s\"]}", "alg missing or not a string" },
		{ "{\"alg\":\"PS256\",\"crit\":[\"exp\"],\"x5c\":[\"%s\"]}",
		  "\"crit\" refused: no extension is understood" },
		{ "{\"alg\":\"PS256\",\"x5c\":[]%.0s}", "x5c missing or empty" },
		{ "{\"alg\":\"PS256\",\"x5c\":[\"%s \"]}",
		  "x5c[0]: not base64 of a DER certificate" },
		{ "{\"alg\":\"PS256\",\"x5c\":[\"AAAA\",\"%s\"]}",
		  "x5c[0]: not base64 of a DER certificate" },
		{ "{\"alg\":\"PS256\",\"alg\":\"PS256\",\"x5c\":[\"%s\"]}",
		  "not JSON: line 1 column 16: duplicate member name \"alg\"" },
		{ "[\"%s\"]", "not a JSON object" },
	};
	struct signer s;
	size_t i;
	char *t;

	CHECK(signer_new(&s, "RSA"));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t = forge(&s, v[i].hdr, "c2ln");
		expect(t, -EINVAL, v[i].why);
		free(t);
	}
	/* well-formed, right alg, but a signature of garbage */
	t = forge(&s, "{\"alg\":\"PS256\",\"x5c\":[\"%s\"]}", "c2ln");
	expect(t, -EBADMSG, "does not verify with x5c[0]'s key");
	free(t);
	signer_free(&s);
}

UNIT_TEST(malformed)
{
	char *big = malloc(262146);

	expect("", -EINVAL, "not three dot-separated parts");
	expect("a.b", -EINVAL, "not three dot-separated parts");
	expect("a.b.c.d", -EINVAL, "not three dot-separated parts");
	expect("..", -EINVAL, "not base64url");
	expect("e30=.e30.c2ln", -EINVAL, "not base64url");
	expect("e30.e30.c2ln", -EINVAL, "alg missing or not a string");
	CHECK(big);
	memset(big, 'A', 262145);
	big[262145] = '\0';
	expect(big, -E2BIG, "262145 bytes, more than the 262144 allowed");
	free(big);
}

UNIT_TEST(unsupported_keys)
{
	struct kk_error e = { 0 };
	struct signer s;
	char *jws = (char *)1;

	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	CHECK(k);
	CHECK(kk_jws_alg_for_key(k) == NULL);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	CHECK(k);
	CHECK(kk_jws_alg_for_key(k) == NULL);
	CHECK(signer_new(&s, "EC"));
	EVP_PKEY_free(s.key);
	s.key = k;
	CHECK_EQ_INT(sign(&s, &jws, &e), -EINVAL);
	CHECK(jws == NULL);
	CHECK_EQ_STR(e.why, "not EC P-256, RSA of 2048 bits or more, or Ed25519");
	signer_free(&s);
}

int main(void)
{
	UNIT_RUN(b64url_vectors);
	UNIT_RUN(round_trip_es256);
	UNIT_RUN(round_trip_ps256);
	UNIT_RUN(round_trip_eddsa);
	UNIT_RUN(es256_raw_signature);
	UNIT_RUN(rfc7515_a3_es256);
	UNIT_RUN(tamper_es256);
	UNIT_RUN(tamper_ps256);
	UNIT_RUN(tamper_eddsa);
	UNIT_RUN(alg_games);
	UNIT_RUN(malformed);
	UNIT_RUN(unsupported_keys);
	return unit_done();
}
