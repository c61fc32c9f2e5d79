/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * actions — the scope of the actions a signer signs for an agent: the policy's "actions"
 * section (docs/policy.md), parsed by the policy module (policy_actions.c) or from a
 * certificate's scope extension (identity_scope.c), and checked here against a request's payload:
 * the closed-world field check, the per-type rate limit (a token bucket in this struct's memory)
 * and the per-type risk limits that the risk module's score is compared with.
 *
 * No locking: one thread (the signer's loop) uses a struct kk_actions at a time.
 */
#ifndef KK_ACTIONS_H
#define KK_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h> /* X509, without the rest of OpenSSL */

struct cJSON;
struct kk_error;

/* Limits of the section, so that a policy (or a certificate) cannot make the signer's memory or
 * time per request unbounded. */
#define KK_ACTION_TYPES_MAX	 256 /* types in one section */
#define KK_ACTION_NAME_MAX	 64  /* a type name: [a-z0-9_.-]{1,64} */
#define KK_ACTION_FIELDS_MAX	 64  /* fields listed under one type (also what risk tracks) */
#define KK_ACTION_FIELD_NAME_MAX 64
#define KK_ACTION_IN_MAX	 1024 /* values of one "in" list */
#define KK_RISK_WINDOW_MIN	 5
#define KK_RISK_WINDOW_MAX	 10000
#define KK_RISK_WINDOW_DEFAULT	 100

struct kk_actions; /* parsed; kept in struct kk_policy as `actions` (NULL: the policy has none) */

/* Why the signer refuses; one distinct reason each, the names are the wire strings. */
enum kk_refusal {
	KK_REF_NONE,
	KK_REF_UNBOUND,		   /* "unbound" */
	KK_REF_OTHER_CERT,	   /* "other_certificate" */
	KK_REF_BINDING_ENDED,	   /* "binding_ended" */
	KK_REF_REVOKED,		   /* "revoked" */
	KK_REF_BLOCKED,		   /* "blocked" */
	KK_REF_EXPIRED,		   /* "expired" */
	KK_REF_OUTSIDE_HOURS,	   /* "outside_hours" */
	KK_REF_REVOCATION_UNKNOWN, /* "revocation_unknown" */
	KK_REF_UNKNOWN_ACTION,	   /* "unknown_action" */
	KK_REF_SCOPE,		   /* "out_of_scope" */
	KK_REF_CERT_SCOPE,	   /* "out_of_certificate_scope" */
	KK_REF_RATE,		   /* "rate_limited" */
	KK_REF_RISK,		   /* "behavioral_anomaly" */
	KK_REF_BAD_REQUEST,	   /* "bad_request" */
	KK_REF_NO_KEY,		   /* "no_key" */
	KK_REF_INTERNAL,	   /* "internal" */
	/* the egress (egress.h) */
	KK_REF_OTHER_AGENT,	   /* "other_agent": another agent's listener */
	KK_REF_BUSY,		   /* "too_many_connections" */
	KK_REF_UPSTREAM,	   /* "upstream_failed": unreachable, unverified, handshake */
	KK_REF_MAX
};

/* "out_of_scope" for KK_REF_SCOPE; "none" for KK_REF_NONE; "internal" for values out of range. */
const char *kk_refusal_name(enum kk_refusal r);

/*
 * Scope: payload (a JSON object) of action `type` against a. KK_REF_NONE; KK_REF_BAD_REQUEST
 * (payload not an object, or a listed field twice in it); KK_REF_UNKNOWN_ACTION (a NULL, or no
 * such type); KK_REF_SCOPE with why = "size 60000 above max 50000", "market missing",
 * "field \"x\" not allowed". Top-level members only: nested values are checked by nothing but
 * "in" (which no object or array equals) and other_fields.
 */
enum kk_refusal kk_actions_check(const struct kk_actions *a, const char *type,
				 const struct cJSON *payload, char *why, size_t wlen);
/*
 * rate_limit of `type`: a token bucket of capacity N refilled N per period, continuously, by
 * now_ms (CLOCK_MONOTONIC milliseconds; the first call fills it). KK_REF_NONE (a token taken, or
 * the type has no rate_limit), KK_REF_RATE when empty, KK_REF_UNKNOWN_ACTION. The bucket lives in
 * a: one per parsed section (so per loaded policy), starting full again when it is reparsed.
 */
enum kk_refusal kk_actions_take(struct kk_actions *a, const char *type, int64_t now_ms);
/* The type's risk limits; 0: none. refuse_above <= revoke_above when both are set. */
double kk_actions_revoke_above(const struct kk_actions *a, const char *type);
double kk_actions_refuse_above(const struct kk_actions *a, const char *type);
/* The type's risk window in samples (KK_RISK_WINDOW_DEFAULT when it sets none); 0: no such type. */
unsigned int kk_actions_risk_window(const struct kk_actions *a, const char *type);
/* Number of types, and the name of the i-th (in byte order), for listing. */
size_t kk_actions_count(const struct kk_actions *a);
const char *kk_actions_type_name(const struct kk_actions *a, size_t i);
void kk_actions_free(struct kk_actions *a);

/*
 * The certificate's scope extension (OID KK_SCOPE_OID in identity.h): a DER UTF8String holding
 * an "actions" section's JSON ({"trade": {...}}), parsed as the policy's section is. 0 and *out
 * (NULL when the certificate has none); -EINVAL when it is malformed, duplicated, or invalid
 * (e names cert_path_or_NULL and the first error "LINE:COL: actions.x: reason"); -ENOMEM.
 * The implementation is identity_scope.c.
 */
int kk_scope_ext_get(const char *cert_path_or_NULL, X509 *cert, struct kk_actions **out,
		     struct kk_error *e);

#endif
