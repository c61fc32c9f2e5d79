// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_verify — the verify operation (user/verify*.c) with a CA and leaves made here: the order
 * of the checks and each one failing alone, where the command-line tests cannot reach (a
 * non-canonical JSON payload, a kid that is not the serial, the clock moved past the
 * certificate, the replay file not written when a later check fails).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "identity.h"
#include "jws.h"
#include "unit.h"
#include "verify.h"

static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca, *leaf, *scoped, *other_ca;
static char dir[] = "/tmp/kk-verify-test-XXXXXX", ca_path[64], other_path[64], db_path[64];
static int64_t t0;

static bool add_ext(X509 *x, X509 *issuer, const char *name, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf(NULL, &ctx, name, value);
	ok = ext && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key, issued by issuer (NULL: self-signed CA), serial, valid a day. */
static X509 *cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, long serial, const char *cn,
		  const char *scope)
{
	X509 *x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	X509_set_pubkey(x, key);
	if (!issuer) {
		add_ext(x, x, "basicConstraints", "critical,CA:TRUE");
		add_ext(x, x, "keyUsage", "critical,keyCertSign,cRLSign");
	}
	if (scope && !add_ext(x, issuer, KK_SCOPE_OID, scope))
		return NULL;
	if (!X509_sign(x, issuer ? ikey : key, EVP_sha256()))
		return NULL;
	return x;
}

static bool write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");
	bool ok = f && PEM_write_X509(f, x);

	return f && !fclose(f) && ok;
}

static bool setup(void)
{
	EVP_PKEY *ok2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!ok2 || !ca_key || !leaf_key || !mkdtemp(dir))
		return false;
	ca = cert(ca_key, NULL, NULL, 1, "test CA", NULL);
	other_ca = cert(ok2, NULL, NULL, 2, "other CA", NULL);
	leaf = cert(leaf_key, ca, ca_key, 0x1234, "trader-1", NULL);
	scoped = cert(leaf_key, ca, ca_key, 0x1235, "trader-1",
		      "ASN1:UTF8String:{\"trade\":{\"fields\":{\"size\":{\"max\":10}}}}");
	EVP_PKEY_free(ok2);
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	snprintf(other_path, sizeof(other_path), "%s/other.pem", dir);
	snprintf(db_path, sizeof(db_path), "%s/replay", dir);
	t0 = time(NULL);
	return ca && other_ca && leaf && scoped && write_pem(ca_path, ca) &&
	       write_pem(other_path, other_ca);
}

struct opts {
	X509 *cert;
	const char *kid, *jti, *payload;
	bool json;
	int64_t iat;
};

static char *sign(const struct opts *o)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	const char *p = o->payload ? o->payload : "{\"size\":10}";
	struct kk_jws_sign_in in = {
		.key = leaf_key,
		.chain = chain,
		.kid = o->kid ? o->kid : "1234",
		.agent_id = "trader-1",
		.policy_hash = "00",
		.host = "h",
		.action = "trade",
		.iat = o->iat ? o->iat : t0,
		.jti = o->jti ? o->jti : "0123456789abcdef0123456789abcdef",
		.payload = (const unsigned char *)p,
		.payload_len = strlen(p),
		.payload_json = o->json,
	};
	struct kk_error e = { 0 };
	char *out = NULL;

	sk_X509_push(chain, o->cert ? o->cert : leaf);
	if (kk_jws_sign(&in, &out, &e))
		printf("# sign: %s: %s\n", e.what, e.why);
	sk_X509_free(chain);
	return out;
}

/* kk_verify of jws (freed) with req's other fields from r; the error and result out. */
static int verify(char *jws, struct kk_verify_req r, struct kk_verify_res *res, struct kk_error *e)
{
	int err;

	r.jws = jws;
	r.len = jws ? strlen(jws) : 0;
	r.ca = r.ca ? r.ca : ca_path;
	r.now = r.now ? r.now : t0 + 1;
	err = kk_verify(&r, res, e);
	free(jws);
	return err;
}

UNIT_TEST(valid_verdict)
{
	struct kk_verify_res res;
	struct kk_error e = { 0 };

	CHECK_EQ_INT(
		verify(sign(&(struct opts){ .json = true }), (struct kk_verify_req){ 0 }, &res, &e),
		0);
	CHECK(res.valid);
	CHECK_EQ_STR(res.serial, "1234");
	CHECK_EQ_STR(res.agent_id, "trader-1");
	CHECK_EQ_STR(res.subject_cn, "trader-1");
	CHECK_EQ_STR(res.alg, "ES256");
	CHECK_EQ_INT(res.iat, t0);
	CHECK(res.payload_json);
	for (int c = 0; c < KK_VC_MAX; c++)
		CHECK_EQ_INT(res.status[c],
			     c == KK_VC_REVOCATION || c == KK_VC_REPLAY || c == KK_VC_SCOPE
				     ? KK_VS_SKIPPED
				     : KK_VS_OK);
}

/* Fails check c with code and a why containing why; checks before c passed, after: not run. */
static void fails(char *jws, struct kk_verify_req r, enum kk_verify_check c, int code,
		  const char *why)
{
	struct kk_verify_res res;
	struct kk_error e = { 0 };

	CHECK_EQ_INT(verify(jws, r, &res, &e), code);
	CHECK(!res.valid);
	CHECK_EQ_STR(kk_verify_check_name(res.failed), kk_verify_check_name(c));
	if (!strstr(e.why, why))
		printf("# why: %s\n", e.why);
	CHECK(strstr(e.why, why));
	CHECK_EQ_INT(res.status[c], KK_VS_FAILED);
	CHECK(c == KK_VC_FORMAT || res.status[KK_VC_FORMAT] == KK_VS_OK);
	CHECK(c == KK_VC_SCOPE || res.status[KK_VC_SCOPE] == KK_VS_NOT_RUN);
}

UNIT_TEST(claims)
{
	struct kk_verify_req r = { 0 };

	fails(sign(&(struct opts){ .kid = "1235", .json = true }), r, KK_VC_CLAIMS, -EINVAL,
	      "kid is not the certificate's serial 1234");
	fails(sign(&(struct opts){ .jti = "not-hex", .json = true }), r, KK_VC_CLAIMS, -EINVAL,
	      "jti is not 32 lowercase hex digits");
	/* signed as JSON but not in canonical form: what a receiver parses may differ */
	fails(sign(&(struct opts){ .payload = "{\"size\":10, \"market\":\"x\"}", .json = true }), r,
	      KK_VC_CLAIMS, -EINVAL, "not in RFC 8785 canonical form");
	fails(sign(&(struct opts){ .payload = "{\"a\":1,\"a\":2}", .json = true }), r, KK_VC_CLAIMS,
	      -EINVAL, "duplicate member name");
}

UNIT_TEST(raw_payload)
{
	struct kk_verify_res res;
	struct kk_error e = { 0 };

	CHECK_EQ_INT(verify(sign(&(struct opts){ .payload = "\x01 not json" }),
			    (struct kk_verify_req){ 0 }, &res, &e),
		     0);
	CHECK(!res.payload_json);
}

UNIT_TEST(chain_validity_freshness)
{
	struct kk_verify_req r = { .ca = other_path };

	fails(sign(&(struct opts){ .json = true }), r, KK_VC_CHAIN, -EKEYREJECTED,
	      "not signed by a CA in");
	r = (struct kk_verify_req){ .now = t0 + 2 * 86400 };
	fails(sign(&(struct opts){ .json = true, .iat = t0 + 2 * 86400 }), r, KK_VC_VALIDITY,
	      -EKEYEXPIRED, "expired");
	r = (struct kk_verify_req){ .now = t0 + 61 };
	fails(sign(&(struct opts){ .json = true }), r, KK_VC_FRESHNESS, -ETIME,
	      "61 s old, more than the 60 s allowed");
	r = (struct kk_verify_req){ .now = t0 - 31 };
	fails(sign(&(struct opts){ .json = true }), r, KK_VC_FRESHNESS, -ETIME,
	      "31 s in the future");
	r = (struct kk_verify_req){ .now = t0 + 61, .max_age = 120 };
	struct kk_verify_res res;
	struct kk_error e = { 0 };
	CHECK_EQ_INT(verify(sign(&(struct opts){ .json = true }), r, &res, &e), 0);
}

static bool file_has(const char *path, const char *s)
{
	char buf[4096] = "";
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, s);
}

UNIT_TEST(replay_and_scope)
{
	struct kk_verify_req r = { .replay_db = db_path };
	struct kk_verify_res res;
	struct kk_error e = { 0 };
	const char *j1 = "11111111111111111111111111111111",
		   *j2 = "22222222222222222222222222222222";

	unlink(db_path);
	CHECK_EQ_INT(verify(sign(&(struct opts){ .jti = j1, .json = true }), r, &res, &e), 0);
	CHECK_EQ_INT(res.status[KK_VC_REPLAY], KK_VS_OK);
	CHECK(file_has(db_path, j1));
	fails(sign(&(struct opts){ .jti = j1, .json = true }), r, KK_VC_REPLAY, -EALREADY,
	      "already seen (replay)");
	/* out of the certificate's scope: refused, and the jti is not recorded */
	fails(sign(&(struct opts){ .cert = scoped,
				   .kid = "1235",
				   .jti = j2,
				   .json = true,
				   .payload = "{\"size\":11}" }),
	      r, KK_VC_SCOPE, -EPERM, "action \"trade\": out_of_scope: ");
	CHECK(!file_has(db_path, j2));
	/* once past its expiry the entry is dropped and the jti is accepted again */
	r.now = t0 + 100;
	r.max_age = 200;
	CHECK_EQ_INT(verify(sign(&(struct opts){ .jti = j1, .json = true }), r, &res, &e), 0);
}

/* The certificate's scope extension against the payload (h-actions' kk_actions_check). */
UNIT_TEST(certificate_scope)
{
	struct kk_verify_req r = { 0 };
	struct kk_verify_res res;
	struct kk_error e = { 0 };

	CHECK_EQ_INT(verify(sign(&(struct opts){ .cert = scoped,
						 .kid = "1235",
						 .json = true,
						 .payload = "{\"size\":10}" }),
			    r, &res, &e),
		     0);
	CHECK_EQ_INT(res.status[KK_VC_SCOPE], KK_VS_OK);
	fails(sign(&(struct opts){ .cert = scoped,
				   .kid = "1235",
				   .json = true,
				   .payload = "{\"market\":\"x\",\"size\":10}" }),
	      r, KK_VC_SCOPE, -EPERM, "out_of_scope: ");
	fails(sign(&(struct opts){ .cert = scoped, .kid = "1235", .payload = "size=1" }), r,
	      KK_VC_SCOPE, -EPERM, "a raw (octet) payload cannot be checked against it");
}

UNIT_TEST(format_and_signature)
{
	struct kk_verify_req r = { 0 };
	char *jws = sign(&(struct opts){ .json = true });

	jws[strlen(jws) - 2] = jws[strlen(jws) - 2] == 'A' ? 'B' : 'A';
	fails(jws, r, KK_VC_SIGNATURE, -EBADMSG, "does not verify");
	fails(strdup("a.b"), r, KK_VC_FORMAT, -EINVAL, "not three dot-separated parts");
}

static int rm(const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return unlink(p);
}

int main(void)
{
	if (!setup()) {
		printf("Bail out! cannot make the test certificates\n");
		return 1;
	}
	UNIT_RUN(valid_verdict);
	UNIT_RUN(claims);
	UNIT_RUN(raw_payload);
	UNIT_RUN(chain_validity_freshness);
	UNIT_RUN(replay_and_scope);
	UNIT_RUN(certificate_scope);
	UNIT_RUN(format_and_signature);
	rm("ca.pem");
	rm("other.pem");
	rm("replay");
	rmdir(dir);
	return unit_done();
}
