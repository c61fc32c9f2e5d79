// SPDX-License-Identifier: GPL-2.0-only
/*
 * verify — the checks of verify.h, in order. The chain, validity and revocation checks reuse the
 * identity and revocation modules, which read certificates from files: the x5c chain is written
 * to a private temporary PEM file for them (and removed), and its name is replaced by "x5c" in
 * what they report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/pem.h>

#include "actions.h"
#include "error.h"
#include "jcs.h"
#include "jws.h"
#include "verify_int.h"

static const char *const check_names[KK_VC_MAX] = {
	[KK_VC_FORMAT] = "format",	 [KK_VC_SIGNATURE] = "signature",
	[KK_VC_CHAIN] = "chain",	 [KK_VC_VALIDITY] = "validity",
	[KK_VC_CLAIMS] = "claims",	 [KK_VC_REVOCATION] = "revocation",
	[KK_VC_FRESHNESS] = "freshness", [KK_VC_REPLAY] = "replay",
	[KK_VC_SCOPE] = "scope",
};

const char *kk_verify_check_name(enum kk_verify_check c)
{
	return c < KK_VC_MAX ? check_names[c] : "unknown";
}

const char *kk_verify_status_name(enum kk_verify_status s)
{
	static const char *const n[] = { "not run", "ok", "skipped", "failed" };

	return s <= KK_VS_FAILED ? n[s] : "unknown";
}

/* One verification's working state. */
struct run {
	const struct kk_verify_req *req;
	struct kk_verify_res *res;
	struct kk_error *e;
	int64_t now, max_age;
	struct kk_jws jws;
	struct kk_identity id;
	char path[64]; /* the x5c chain as PEM, "" when not written */
};

static int fail(struct run *r, enum kk_verify_check c, int err)
{
	r->res->failed = c;
	r->res->status[c] = KK_VS_FAILED;
	return err;
}

/* Replace every "<temp path>" in s by "x5c". */
static void unname(char *s, const char *path)
{
	char *p;
	size_t pl = strlen(path);

	while (pl && (p = strstr(s, path))) {
		memcpy(p, "x5c", 3);
		memmove(p + 3, p + pl, strlen(p + pl) + 1);
	}
}

static void unname_error(struct run *r)
{
	unname(r->e->what, r->path);
	unname(r->e->why, r->path);
}

static int write_chain(struct run *r)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	int fd, i, ok = 1;

	snprintf(r->path, sizeof(r->path), "%s/kk-verify-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	fd = mkstemp(r->path);
	if (fd < 0) {
		r->path[0] = '\0';
		return kk_error_set(r->e, -errno, "x5c", "cannot write a temporary file: %s",
				    strerror(errno));
	}
	f = fdopen(fd, "w");
	for (i = 0; f && ok && i < sk_X509_num(r->jws.chain); i++)
		ok = PEM_write_X509(f, sk_X509_value(r->jws.chain, i));
	if (!f)
		close(fd);
	if (!f || !ok || fclose(f))
		return kk_error_set(r->e, -EIO, "x5c", "cannot write a temporary file");
	return 0;
}

static void copy_str(const cJSON *h, const char *k, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, k);

	if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
}

static int check_format(struct run *r)
{
	const cJSON *h, *iat;
	int err;

	err = kk_jws_parse_verify(r->req->jws, r->req->len, &r->jws, r->e);
	if (err == -EBADMSG) {
		r->res->status[KK_VC_FORMAT] = KK_VS_OK;
		return fail(r, KK_VC_SIGNATURE, err);
	}
	if (err)
		return fail(r, KK_VC_FORMAT, err);
	r->res->status[KK_VC_FORMAT] = r->res->status[KK_VC_SIGNATURE] = KK_VS_OK;
	h = r->jws.header;
	snprintf(r->res->alg, sizeof(r->res->alg), "%s", r->jws.alg);
	copy_str(h, "agent_id", r->res->agent_id, sizeof(r->res->agent_id));
	copy_str(h, "action", r->res->action, sizeof(r->res->action));
	copy_str(h, "host", r->res->host, sizeof(r->res->host));
	copy_str(h, "policy_hash", r->res->policy_hash, sizeof(r->res->policy_hash));
	copy_str(h, "jti", r->res->jti, sizeof(r->res->jti));
	iat = cJSON_GetObjectItemCaseSensitive(h, "iat");
	if (cJSON_IsNumber(iat))
		r->res->iat = (int64_t)iat->valuedouble;
	return 0;
}

static int check_chain(struct run *r)
{
	char why[512];
	int err;

	err = write_chain(r);
	if (err)
		return fail(r, KK_VC_CHAIN, err);
	err = kk_identity_verify(r->path, r->req->ca, r->now, &r->id, why, sizeof(why));
	if (err) {
		kk_error_split(r->e, err, why);
		unname_error(r);
		if (err == -EKEYEXPIRED) {
			r->res->status[KK_VC_CHAIN] = KK_VS_OK;
			return fail(r, KK_VC_VALIDITY, err);
		}
		return fail(r, KK_VC_CHAIN, err);
	}
	r->res->status[KK_VC_CHAIN] = r->res->status[KK_VC_VALIDITY] = KK_VS_OK;
	snprintf(r->res->serial, sizeof(r->res->serial), "%s", r->id.serial);
	if (r->id.subject_cn)
		snprintf(r->res->subject_cn, sizeof(r->res->subject_cn), "%s", r->id.subject_cn);
	return 0;
}

static bool is_hex32(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 32;
}

/* A JSON payload must be exactly its RFC 8785 form: what was signed is what is meant. */
static int check_payload(struct run *r)
{
	char *canon = NULL;
	int err;

	err = kk_jcs_text((const char *)r->jws.payload, r->jws.payload_len, &canon, r->e);
	if (err) {
		char why[sizeof(r->e->why)];

		snprintf(why, sizeof(why), "%s", r->e->why);
		return kk_error_set(r->e, -EINVAL, "payload", "cty json but not I-JSON: %s", why);
	}
	if (strlen(canon) != r->jws.payload_len ||
	    memcmp(canon, r->jws.payload, r->jws.payload_len))
		err = kk_error_set(r->e, -EINVAL, "payload", "not in RFC 8785 canonical form");
	free(canon);
	return err;
}

/* The members the signer always writes, in the form it writes them. */
static int check_claims(struct run *r)
{
	const cJSON *h = r->jws.header, *v;
	char *what = "JWS header";
	const char *s;
	int err = -EINVAL;

	v = cJSON_GetObjectItemCaseSensitive(h, "typ");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, KK_JWS_TYP))
		return fail(r, KK_VC_CLAIMS,
			    kk_error_set(r->e, err, what, "typ is not \"%s\"", KK_JWS_TYP));
	v = cJSON_GetObjectItemCaseSensitive(h, "kid");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, r->id.serial))
		return fail(r, KK_VC_CLAIMS,
			    kk_error_set(r->e, err, what, "kid is not the certificate's serial %s",
					 r->id.serial));
	v = cJSON_GetObjectItemCaseSensitive(h, "iat");
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    fabs(v->valuedouble) > 9007199254740991.0)
		return fail(r, KK_VC_CLAIMS,
			    kk_error_set(r->e, err, what, "iat missing or not an integer"));
	v = cJSON_GetObjectItemCaseSensitive(h, "jti");
	if (!cJSON_IsString(v) || !is_hex32(v->valuestring))
		return fail(r, KK_VC_CLAIMS,
			    kk_error_set(r->e, err, what, "jti is not 32 lowercase hex digits"));
	v = cJSON_GetObjectItemCaseSensitive(h, "agent_id");
	if (!cJSON_IsString(v) || !*v->valuestring)
		return fail(r, KK_VC_CLAIMS, kk_error_set(r->e, err, what, "agent_id missing"));
	v = cJSON_GetObjectItemCaseSensitive(h, "cty");
	s = cJSON_IsString(v) ? v->valuestring : "";
	if (strcmp(s, "json") && strcmp(s, "octet"))
		return fail(r, KK_VC_CLAIMS,
			    kk_error_set(r->e, err, what, "cty is not \"json\" or \"octet\""));
	r->res->payload_json = !strcmp(s, "json");
	if (r->res->payload_json && check_payload(r))
		return fail(r, KK_VC_CLAIMS, r->e->code);
	r->res->status[KK_VC_CLAIMS] = KK_VS_OK;
	return 0;
}

static int check_freshness(struct run *r)
{
	int64_t age = r->now - r->res->iat;

	if (age > r->max_age)
		return fail(r, KK_VC_FRESHNESS,
			    kk_error_set(r->e, -ETIME, "iat",
					 "%lld is %lld s old, more than the %lld s allowed",
					 (long long)r->res->iat, (long long)age,
					 (long long)r->max_age));
	if (-age > KK_VERIFY_SKEW)
		return fail(
			r, KK_VC_FRESHNESS,
			kk_error_set(r->e, -ETIME, "iat",
				     "%lld is %lld s in the future (more than %d s of clock skew)",
				     (long long)r->res->iat, (long long)-age, KK_VERIFY_SKEW));
	r->res->status[KK_VC_FRESHNESS] = KK_VS_OK;
	return 0;
}

/*
 * The certificate's scope extension (actions.h): the CA's word on what this key may sign. Its
 * fields are JSON fields, so a raw payload under a scoped certificate is refused, not waved
 * through.
 */
static int scope_of(struct run *r, const struct kk_actions *a)
{
	const char *type = r->res->action[0] ? r->res->action : NULL;
	char why[200] = "";
	enum kk_refusal ref;
	cJSON *payload;
	int err;

	if (!r->res->payload_json)
		return kk_error_set(r->e, -EPERM, "certificate scope",
				    "a raw (octet) payload cannot be checked against it");
	err = kk_jcs_parse((const char *)r->jws.payload, r->jws.payload_len, &payload, r->e);
	if (err)
		return err;
	ref = kk_actions_check(a, type, payload, why, sizeof(why));
	cJSON_Delete(payload);
	if (ref == KK_REF_NONE)
		return 0;
	return kk_error_set(r->e, -EPERM, "certificate scope", "action \"%s\": %s%s%s",
			    type ? type : "", kk_refusal_name(ref), why[0] ? ": " : "", why);
}

static int check_scope(struct run *r)
{
	struct kk_actions *a = NULL;
	int err;

	err = kk_scope_ext_get(NULL, sk_X509_value(r->jws.chain, 0), &a, r->e);
	if (err)
		return fail(r, KK_VC_SCOPE, err);
	if (!a) {
		r->res->status[KK_VC_SCOPE] = KK_VS_SKIPPED; /* no scope attested */
		return 0;
	}
	err = scope_of(r, a);
	kk_actions_free(a);
	if (err)
		return fail(r, KK_VC_SCOPE, err);
	r->res->status[KK_VC_SCOPE] = KK_VS_OK;
	return 0;
}

static int run_checks(struct run *r, struct kk_replay *rp)
{
	int err;

	err = check_format(r);
	if (!err)
		err = check_chain(r);
	if (!err)
		err = check_claims(r);
	if (!err) {
		err = kk_verify_revocation(r->req, r->path, &r->id, r->now, r->res, r->e);
		unname_error(r);
		if (err)
			return fail(r, KK_VC_REVOCATION, err);
		r->res->status[KK_VC_REVOCATION] =
			r->req->revocation == KK_VREV_NONE ? KK_VS_SKIPPED : KK_VS_OK;
		err = check_freshness(r);
	}
	if (!err && r->req->replay_db) {
		err = kk_verify_replay_check(rp, r->req->replay_db, r->res->jti, r->now, r->e);
		if (err)
			return fail(r, KK_VC_REPLAY, err);
		r->res->status[KK_VC_REPLAY] = KK_VS_OK;
	} else if (!err) {
		r->res->status[KK_VC_REPLAY] = KK_VS_SKIPPED;
	}
	if (!err)
		err = check_scope(r);
	return err;
}

int kk_verify(const struct kk_verify_req *req, struct kk_verify_res *res, struct kk_error *e)
{
	struct run r = { .req = req, .res = res, .e = e };
	struct kk_replay rp = { .fd = -1 };
	int err, err2;

	memset(res, 0, sizeof(*res));
	if (!req->jws || !req->ca || (req->revocation == KK_VREV_CRL && !req->crl) ||
	    req->max_age < 0)
		return fail(&r, KK_VC_FORMAT,
			    kk_error_set(e, -EINVAL, "request",
					 "JWS and CA required, a CRL file with CRL revocation"));
	r.now = req->now ? req->now : (int64_t)time(NULL);
	r.max_age = req->max_age ? req->max_age : KK_VERIFY_MAX_AGE_DEFAULT;
	err = run_checks(&r, &rp);
	/* The jti is recorded only for a signature accepted in full, under the same lock. */
	err2 = kk_verify_replay_close(&rp, res->jti, res->iat + r.max_age + KK_VERIFY_SKEW, !err,
				      err ? NULL : e);
	if (!err && err2)
		err = fail(&r, KK_VC_REPLAY, err2);
	res->valid = !err;
	if (r.path[0])
		unlink(r.path);
	kk_jws_free(&r.jws);
	kk_identity_free(&r.id);
	return err;
}
