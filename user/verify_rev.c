// SPDX-License-Identifier: GPL-2.0-only
/*
 * verify_rev — the revocation check of verify: the project's own OCSP client and CRL reader
 * (revocation.h), fail closed: a responder that cannot be reached, a stale or unsigned answer,
 * or an unreadable CRL fails the check, since "could not find out" must not read as "good".
 * OCSP answers are kept in the process for KK_VERIFY_OCSP_TTL seconds (never past their
 * nextUpdate) so a long-lived receiver using the C API does not ask once per signature.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "revocation.h"
#include "verify_int.h"

#define OCSP_CACHE_SLOTS 64

/* The cache: (issuer key, serial) -> answer, until `until`. Not thread-safe, like the API. */
static struct {
	uint8_t issuer_key[KK_ISSUER_KEY_LEN];
	char serial[KK_SERIAL_HEX_SIZE];
	struct kk_ocsp_result res;
	int64_t until;
} cache[OCSP_CACHE_SLOTS];

static struct kk_ocsp_result *cache_get(const struct kk_identity *id, int64_t now)
{
	for (int i = 0; i < OCSP_CACHE_SLOTS; i++)
		if (cache[i].until > now && !strcmp(cache[i].serial, id->serial) &&
		    !memcmp(cache[i].issuer_key, id->issuer_key, KK_ISSUER_KEY_LEN))
			return &cache[i].res;
	return NULL;
}

static void cache_put(const struct kk_identity *id, const struct kk_ocsp_result *r, int64_t now)
{
	int i, slot = 0;
	int64_t until = now + KK_VERIFY_OCSP_TTL;

	if (r->next_update && r->next_update < until)
		until = r->next_update;
	for (i = 0; i < OCSP_CACHE_SLOTS; i++)
		if (cache[i].until < cache[slot].until)
			slot = i; /* the oldest, or an expired one */
	memcpy(cache[slot].issuer_key, id->issuer_key, KK_ISSUER_KEY_LEN);
	snprintf(cache[slot].serial, sizeof(cache[slot].serial), "%s", id->serial);
	cache[slot].res = *r;
	cache[slot].until = until;
}

static void time_str(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "%" PRId64, t);
}

static int revoked(const struct kk_identity *id, int64_t at, int reason, const char *via,
		   struct kk_error *e)
{
	char when[40], what[64];

	time_str(at, when, sizeof(when));
	snprintf(what, sizeof(what), "certificate serial %s", id->serial);
	if (reason >= 0)
		return kk_error_set(e, -EKEYREVOKED, what, "revoked at %s (reason code %d, %s)",
				    when, reason, via);
	return kk_error_set(e, -EKEYREVOKED, what, "revoked at %s (%s)", when, via);
}

static int by_ocsp(const struct kk_verify_req *req, const char *cert_path,
		   const struct kk_identity *id, int64_t now, struct kk_verify_res *res,
		   struct kk_error *e)
{
	int timeout = req->ocsp_timeout_ms ? req->ocsp_timeout_ms : KK_VERIFY_OCSP_TIMEOUT_MS;
	struct kk_ocsp_result r, *c;
	char url[KK_CRL_URL_MAX], why[512];
	int err;

	err = kk_ocsp_url(cert_path, url, sizeof(url));
	if (err)
		return kk_error_set(
			e, err, "OCSP",
			err == -ENOENT ? "the certificate has no OCSP URL (authorityInfoAccess)"
				       : "cannot read the certificate's OCSP URL: %s",
			strerror(-err));
	snprintf(res->revocation_via, sizeof(res->revocation_via), "ocsp %.500s", url);
	c = cache_get(id, now);
	if (c) {
		r = *c;
	} else {
		err = kk_ocsp_query(cert_path, req->ca, url, timeout, now, &r, why, sizeof(why));
		if (err) /* fail closed: no answer is not a good answer */
			return kk_error_split(e, err, why);
		cache_put(id, &r, now);
	}
	if (r.status == KK_OCSP_REVOKED)
		return revoked(id, r.revoked_at, r.reason, "OCSP", e);
	if (r.status != KK_OCSP_GOOD)
		return kk_error_set(e, -ENOKEY, "OCSP", "responder %s does not know serial %s", url,
				    id->serial);
	return 0;
}

static int by_crl(const struct kk_verify_req *req, const struct kk_identity *id, int64_t now,
		  struct kk_verify_res *res, struct kk_error *e)
{
	struct kk_revoked *v = NULL;
	char why[512];
	size_t n = 0, i;
	int err;

	snprintf(res->revocation_via, sizeof(res->revocation_via), "crl %.500s", req->crl);
	err = kk_crl_load(req->crl, req->ca, now, &v, &n, why, sizeof(why));
	if (err)
		return kk_error_split(e, err, why);
	for (i = 0; i < n && !err; i++)
		if (v[i].serial_len == id->serial_len &&
		    !memcmp(v[i].serial, id->serial_bin, id->serial_len) &&
		    !memcmp(v[i].issuer_key, id->issuer_key, KK_ISSUER_KEY_LEN))
			err = revoked(id, v[i].revoked_at, v[i].reason, "CRL", e);
	free(v);
	return err;
}

int kk_verify_revocation(const struct kk_verify_req *req, const char *cert_path,
			 const struct kk_identity *id, int64_t now, struct kk_verify_res *res,
			 struct kk_error *e)
{
	if (req->revocation == KK_VREV_OCSP)
		return by_ocsp(req, cert_path, id, now, res, e);
	if (req->revocation == KK_VREV_CRL)
		return by_crl(req, id, now, res, e);
	return 0;
}
