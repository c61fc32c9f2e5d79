// SPDX-License-Identifier: GPL-2.0-only
/*
 * signer_check — may this request be signed? The checks, in order, each failing with its own
 * refusal reason (actions.h's enum kk_refusal, the wire names):
 *   attestation   the kernel's record on the accepted socket (kk_maps_peer): the caller was
 *                 bound when it connected (unbound) and that binding still stands (binding_ended)
 *   certificate   the binding's identity is the certificate of a key the signer holds
 *                 (other_certificate: the same agent_id under another certificate; no_key)
 *   state         the identity slot: revoked, blocked, expired (also the certificate's not_after)
 *   hours         the policy's allowed_hours, as the kernel reads them (outside_hours)
 *   revocation    with revocation_check.enabled, an OCSP answer younger than cache_ttl_seconds
 *                 (revoked; revocation_unknown unless fail_open)
 *   scope         the policy's "actions" (unknown_action, out_of_scope), then the certificate's
 *                 scope extension when it has one (out_of_certificate_scope)
 *   rate          the action's rate_limit (rate_limited)
 *   risk          the agent's own history (behavioral_anomaly, and the identity is revoked)
 * The attestation is read per request, not per connection: a binding that ended or was revoked
 * since the connect is seen at the next request.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "actions.h"
#include "error.h"
#include "log.h"
#include "maps.h"
#include "policy.h"
#include "revocation.h"
#include "revoke.h"
#include "risk.h"
#include "signer.h"

#define OCSP_RETRY_S 10 /* a failed revocation query is asked again after at most this */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kk_signer_attest(struct kk_signer *s, struct kk_sign_req *r, char *why, size_t wlen)
{
	struct kk_peer peer;
	int i, err;

	err = kk_maps_peer(&s->maps, r->fd, &peer);
	if (err == -ENOENT) {
		snprintf(why, wlen, "the caller was not bound to a certificate when it connected");
		return KK_REF_UNBOUND;
	}
	if (err == -ESTALE) {
		snprintf(why, wlen, "the caller's binding %u has ended since it connected",
			 peer.binding);
		return KK_REF_BINDING_ENDED;
	}
	if (err) {
		snprintf(why, wlen, "cannot read the socket's attestation: %s", strerror(-err));
		return KK_REF_INTERNAL;
	}
	err = kk_maps_binding_get(&s->maps, peer.binding, &r->rec);
	if (err == -ENOENT || (!err && r->rec.binding.gen != peer.gen)) {
		snprintf(why, wlen, "the caller's binding %u has ended", peer.binding);
		return KK_REF_BINDING_ENDED;
	}
	if (err || !r->rec.ident_ok) {
		snprintf(why, wlen, "cannot read binding %u: %s", peer.binding,
			 strerror(err ? -err : EIO));
		return KK_REF_INTERNAL;
	}
	r->bound = true;
	if (!r->pid) /* a TCP caller has no SO_PEERCRED: the kernel's record names it */
		r->pid = (int32_t)peer.tgid;
	r->slot = peer.binding;
	r->gen = peer.gen;
	for (i = 0; i < s->n_agents; i++)
		if (!memcmp(&s->agents[i].key, &r->rec.ident.key, sizeof(r->rec.ident.key))) {
			r->agent = &s->agents[i];
			return KK_REF_NONE;
		}
	for (i = 0; i < s->n_agents; i++)
		if (!strcmp(s->agents[i].policy->agent_id, r->rec.binding.agent_id)) {
			snprintf(why, wlen, "bound to certificate serial %s; the signer holds the "
				 "key of serial %s for agent %s", r->rec.ident.serial,
				 s->agents[i].id.serial, r->rec.binding.agent_id);
			return KK_REF_OTHER_CERT;
		}
	snprintf(why, wlen, "the signer holds no key for certificate serial %s (agent %s)",
		 r->rec.ident.serial, r->rec.binding.agent_id);
	return KK_REF_NO_KEY;
}

static int check_state(struct kk_signer *s, struct kk_sign_req *r, char *why, size_t wlen)
{
	const struct kk_signer_agent *a = r->agent;
	struct kk_policy_slot ps;

	switch (r->rec.ident.state) {
	case KK_STATE_ACTIVE:
		break;
	case KK_STATE_REVOKED:
		snprintf(why, wlen, "certificate serial %s is revoked", r->rec.ident.serial);
		return KK_REF_REVOKED;
	case KK_STATE_EXPIRED:
		snprintf(why, wlen, "certificate serial %s has expired", r->rec.ident.serial);
		return KK_REF_EXPIRED;
	default: /* blocked, or a state this build does not know: fail closed */
		snprintf(why, wlen, "certificate serial %s is blocked (revocation status unknown)",
			 r->rec.ident.serial);
		return KK_REF_BLOCKED;
	}
	if (time(NULL) >= a->id.not_after) {
		snprintf(why, wlen, "certificate serial %s expired", a->id.serial);
		return KK_REF_EXPIRED;
	}
	if (time(NULL) < a->id.not_before) {
		snprintf(why, wlen, "certificate serial %s is not valid yet", a->id.serial);
		return KK_REF_EXPIRED;
	}
	/* The claims name the signer's policy: the caller must be bound under that very policy. */
	if (kk_maps_policy_read(&s->maps, r->rec.binding.policy, &ps) == 0 &&
	    memcmp(ps.hash, a->policy->hash, sizeof(ps.hash))) {
		snprintf(why, wlen, "bound under another policy than the signer's %s for this "
			 "certificate", a->cfg->policy);
		return KK_REF_SCOPE;
	}
	return KK_REF_NONE;
}

/* allowed_hours as the kernel reads them (kk_outside_hours): minutes after 00:00 UTC. */
static bool outside_hours(const struct kk_policy *p)
{
	time_t t = time(NULL);
	unsigned int m = (unsigned int)((t / 60) % 1440);

	if (!p->has_hours)
		return false;
	if (p->hours_start < p->hours_end)
		return m < p->hours_start || m >= p->hours_end;
	return m < p->hours_start && m >= p->hours_end;
}

/*
 * The certificate's revocation status, fresh within the policy's cache_ttl_seconds: asked at
 * most once per TTL (under the agent's lock, so concurrent requests wait for one answer).
 */
static int check_revocation(struct kk_signer *s, struct kk_signer_agent *a, char *why,
			    size_t wlen)
{
	const struct kk_policy *p = a->policy;
	const struct kk_signer_cfg *c = s->cfg;
	struct kk_ocsp_result res;
	time_t now = time(NULL);
	int err, ref = KK_REF_NONE;

	if (!p->revocation_enabled)
		return KK_REF_NONE;
	pthread_mutex_lock(&a->lock);
	if (!a->ocsp_at || now >= a->ocsp_until) {
		err = kk_ocsp_query(a->cfg->cert, c->ca[0] ? c->ca : NULL,
				    c->ocsp_url[0] ? c->ocsp_url : NULL, c->ocsp_timeout_ms, now,
				    &res, a->ocsp_why, sizeof(a->ocsp_why));
		a->ocsp_at = now;
		a->ocsp_status = err ? -1 : (int)res.status;
		if (!err && res.status == KK_OCSP_UNKNOWN)
			snprintf(a->ocsp_why, sizeof(a->ocsp_why), "the responder does not know "
				 "certificate serial %s", a->id.serial);
		a->ocsp_until = now + (a->ocsp_status == KK_OCSP_GOOD ||
						       a->ocsp_status == KK_OCSP_REVOKED
					       ? (time_t)p->revocation_ttl_s
					       : (p->revocation_ttl_s < OCSP_RETRY_S
							  ? (time_t)p->revocation_ttl_s
							  : OCSP_RETRY_S));
	}
	if (a->ocsp_status == KK_OCSP_REVOKED) {
		snprintf(why, wlen, "OCSP: certificate serial %s is revoked", a->id.serial);
		ref = KK_REF_REVOKED;
	} else if (a->ocsp_status != KK_OCSP_GOOD && !p->revocation_fail_open) {
		snprintf(why, wlen, "no fresh revocation status (fail closed): %s", a->ocsp_why);
		ref = KK_REF_REVOCATION_UNKNOWN;
	}
	pthread_mutex_unlock(&a->lock);
	return ref;
}

static int check_scope(struct kk_sign_req *r, char *why, size_t wlen)
{
	struct kk_signer_agent *a = r->agent;
	cJSON *empty = NULL;
	const cJSON *pl = r->payload;
	int ref;

	if (!pl)
		pl = empty = cJSON_CreateObject(); /* a raw payload has no fields to check */
	if (!a->policy->actions) {
		snprintf(why, wlen, "policy %s has no \"actions\" section: nothing may be signed",
			 a->cfg->policy);
		ref = KK_REF_UNKNOWN_ACTION;
	} else {
		ref = kk_actions_check(a->policy->actions, r->type, pl, why, wlen);
	}
	if (ref == KK_REF_NONE && a->scope_ext) {
		ref = kk_actions_check(a->scope_ext, r->type, pl, why, wlen);
		if (ref != KK_REF_NONE)
			ref = KK_REF_CERT_SCOPE;
	}
	cJSON_Delete(empty);
	r->scope_passed = ref == KK_REF_NONE;
	return ref;
}

/* Revoke the caller's identity as `revoke --serial` does, with reason behavioral_anomaly. */
static void revoke_identity(struct kk_signer *s, struct kk_sign_req *r)
{
	struct kk_revoke_req q = {
		.key = r->rec.ident.key,
		.reason = "behavioral_anomaly",
		.source = KK_REV_AUTO,
		.tasks = KK_REVOKE_STOP,
	};
	bool flipped[KK_MAX_IDENTS] = { false };
	struct kk_error e = { 0 };
	int bindings = 0, tasks = 0, n, err;

	snprintf(q.serial, sizeof(q.serial), "%s", r->rec.ident.serial);
	q.at = time(NULL);
	/* The map writes first, without waiting for the maps lock (a bind may hold it): the
	 * agent is refused from here on. A failure is retried and reported by kk_revoke. */
	kk_revoke_flip(&s->maps, &q, NULL, flipped, &n, &e);
	pthread_mutex_lock(&s->revoke_lock);
	err = kk_maps_lock_e(&s->maps, &e);
	if (!err) {
		err = kk_revoke(&s->maps, &q, &bindings, &tasks, &e);
		kk_maps_unlock(&s->maps);
	}
	pthread_mutex_unlock(&s->revoke_lock);
	if (err)
		kk_err("signer", "cannot revoke certificate serial %s: %s%s%s", q.serial, e.what,
		       *e.what ? ": " : "", e.why);
	else
		kk_info("kakunin-bpf: signer: revoked certificate serial %s (behavioral_anomaly): "
			"%d binding%s, %d process%s stopped", q.serial, bindings,
			bindings == 1 ? "" : "s", tasks, tasks == 1 ? "" : "es");
}

/*
 * The rate limit, then the risk: above the action's refuse_above the request is refused; above
 * revoke_above the identity is revoked too (and its history forgotten: a new certificate
 * starts afresh).
 */
static int check_rate_risk(struct kk_signer *s, struct kk_sign_req *r, char *why, size_t wlen)
{
	struct kk_signer_agent *a = r->agent;
	const struct kk_actions *act = a->policy->actions;
	double revoke = 0, refuse = 0;
	bool revoking = false;
	size_t n;
	int ref;

	pthread_mutex_lock(&a->lock);
	ref = kk_actions_take(a->policy->actions, r->type, now_ms());
	if (ref != KK_REF_NONE)
		snprintf(why, wlen, "rate_limit of action \"%s\" used up", r->type);
	if (ref == KK_REF_NONE && r->payload) {
		r->risk = kk_risk_score(s->risk, a->policy->agent_id, r->type, r->payload, why,
					wlen);
		revoke = kk_actions_revoke_above(act, r->type);
		refuse = kk_actions_refuse_above(act, r->type);
		revoking = revoke > 0 && r->risk > revoke;
		if (revoking || (refuse > 0 && r->risk > refuse))
			ref = KK_REF_RISK;
		if (revoking)
			kk_risk_forget(s->risk, a->policy->agent_id);
	}
	pthread_mutex_unlock(&a->lock);
	if (ref == KK_REF_RISK) {
		n = strlen(why);
		snprintf(why + n, wlen - n, "%srisk %.3f above %s %.3f%s", n ? ": " : "", r->risk,
			 revoking ? "revoke_above" : "refuse_above", revoking ? revoke : refuse,
			 revoking ? ": identity revoked" : "");
	}
	if (revoking)
		revoke_identity(s, r);
	return ref;
}

int kk_signer_check_caller(struct kk_signer *s, struct kk_sign_req *r, bool revocation,
			   char *why, size_t wlen)
{
	int ref = KK_REF_NONE;

	if (!r->agent)
		ref = kk_signer_attest(s, r, why, wlen);
	if (ref == KK_REF_NONE)
		ref = check_state(s, r, why, wlen);
	if (ref == KK_REF_NONE && outside_hours(r->agent->policy)) {
		snprintf(why, wlen, "outside allowed_hours %02u:%02u-%02u:%02u UTC",
			 r->agent->policy->hours_start / 60, r->agent->policy->hours_start % 60,
			 r->agent->policy->hours_end / 60, r->agent->policy->hours_end % 60);
		ref = KK_REF_OUTSIDE_HOURS;
	}
	if (ref == KK_REF_NONE && revocation)
		ref = check_revocation(s, r->agent, why, wlen);
	return ref;
}

int kk_signer_check(struct kk_signer *s, struct kk_sign_req *r, char *why, size_t wlen)
{
	int ref = kk_signer_check_caller(s, r, true, why, wlen);

	if (ref == KK_REF_NONE)
		ref = check_scope(r, why, wlen);
	if (ref == KK_REF_NONE)
		ref = check_rate_risk(s, r, why, wlen);
	return ref;
}

void kk_signer_record(struct kk_signer *s, struct kk_sign_req *r)
{
	if (!r->agent || !r->payload)
		return;
	pthread_mutex_lock(&r->agent->lock);
	kk_risk_record(s->risk, r->agent->policy->agent_id, r->type, r->payload);
	pthread_mutex_unlock(&r->agent->lock);
}
