/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * verify — the receiver's side of issue 17: is this compact JWS (jws.h) a signature the signer
 * made for an agent whose certificate chains to our CA, is valid and unrevoked now, over an
 * action that is fresh, not seen before, and within the certificate's scope? The checks run in
 * a fixed order and the first that fails decides; what was checked is in the result. An
 * operation: request in, result and one error record out, nothing printed. No libbpf.
 */
#ifndef KK_VERIFY_H
#define KK_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kakunin_limits.h"

struct kk_error;

/* The checks, in the order they run; kk_verify_check_name gives the wire names. */
enum kk_verify_check {
	KK_VC_FORMAT,	 /* "format": three base64url parts, JSON header, alg, x5c */
	KK_VC_SIGNATURE, /* "signature": verifies with x5c[0]'s key */
	KK_VC_CHAIN,	 /* "chain": x5c[0] chains to the CA (x5c[1..] as untrusted) */
	KK_VC_VALIDITY,	 /* "validity": every certificate of the chain valid now */
	KK_VC_CLAIMS, /* "claims": typ, kid = the leaf's serial, iat, jti as the signer writes them
		       */
	KK_VC_REVOCATION, /* "revocation": OCSP (the leaf's AIA) or a CRL file; fail closed */
	KK_VC_FRESHNESS,  /* "freshness": iat within max_age, at most KK_VERIFY_SKEW ahead */
	KK_VC_REPLAY,	  /* "replay": jti not in the replay file */
	KK_VC_SCOPE,	  /* "scope": the payload against the certificate's scope extension */
	KK_VC_MAX
};

enum kk_verify_status { KK_VS_NOT_RUN = 0, KK_VS_OK, KK_VS_SKIPPED, KK_VS_FAILED };

enum kk_verify_rev { KK_VREV_NONE = 0, KK_VREV_OCSP, KK_VREV_CRL };

/* Seconds an iat may lie in the future (clocks of signer and receiver differ). */
#define KK_VERIFY_SKEW		  30
#define KK_VERIFY_MAX_AGE_DEFAULT 60
#define KK_VERIFY_OCSP_TIMEOUT_MS 5000
/* How long an OCSP answer is reused within one process (capped by its nextUpdate). */
#define KK_VERIFY_OCSP_TTL 60

struct kk_verify_req {
	const char *jws; /* compact JWS, len bytes (no trailing newline) */
	size_t len;
	const char *ca; /* CA bundle, PEM (required) */
	enum kk_verify_rev revocation;
	const char *crl;     /* with KK_VREV_CRL: the CRL file (PEM or DER), signed by a CA of ca */
	int ocsp_timeout_ms; /* 0: KK_VERIFY_OCSP_TIMEOUT_MS */
	int64_t max_age;     /* seconds; 0: KK_VERIFY_MAX_AGE_DEFAULT */
	const char *replay_db; /* NULL: no replay check (reported "skipped") */
	int64_t now;	       /* Unix seconds; 0: time(NULL) */
};

struct kk_verify_res {
	bool valid;
	enum kk_verify_check failed; /* the failing check when !valid */
	enum kk_verify_status status[KK_VC_MAX];
	/* From the header and the leaf, once read ("" before). */
	char alg[8];
	char agent_id[KK_AGENT_ID_SIZE];
	char action[64];
	char host[256];
	char policy_hash[65];
	char jti[33];
	char serial[KK_SERIAL_HEX_SIZE];
	char subject_cn[128];
	char revocation_via[520]; /* "ocsp http://...", "crl FILE" or "" */
	int64_t iat;
	bool payload_json; /* cty "json" */
};

/* "format", "signature", ... */
const char *kk_verify_check_name(enum kk_verify_check c);
/* "ok", "skipped", "failed", "not run" */
const char *kk_verify_status_name(enum kk_verify_status s);

/*
 * Run the checks. 0 when all pass (res->valid); else -errno with res->failed and e (what names
 * the check's object, why the reason: "certificate serial 1a revoked at 2026-... (OCSP)").
 * -EINVAL for a malformed request.
 */
int kk_verify(const struct kk_verify_req *req, struct kk_verify_res *res, struct kk_error *e);

#endif
