// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_expiry — on the daemon's tick, under the maps lock: a bound identity whose certificate's
 * not_after has passed is set to KK_STATE_EXPIRED, the one map write that denies every scoped
 * action of all its bindings (as revoke and the OCSP block do), with agent.expired per binding;
 * expiry_warning_seconds ahead, agent.expiring once per binding and daemon run. An expired
 * identity stays so: only a rotation to a renewed certificate moves its bindings on (op_rotate.c),
 * and an OCSP "good" never lifts it (the poller unblocks KK_STATE_BLOCKED only).
 *
 * not_after comes from the binding's record (expiry.h), read once per binding and identity.
 * A binding whose record cannot say (none, or rotate could not update it) is reported once and
 * retried every RETRY_S; it is not blocked, as the OCSP poller leaves a binding without a record
 * alone: `bind` and `rotate` warn when they cannot write the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "events.h"
#include "expiry.h"
#include "log.h"
#include "maps.h"
#include "output.h"
#include "daemon_watch.h"

#define RETRY_S 60

struct slot_state {
	uint32_t gen, ident;
	bool seen;    /* gen and ident are this binding's, not_after (or the failure) known */
	bool known;   /* not_after read */
	bool warned;  /* agent.expiring sent */
	bool expired; /* agent.expired sent, or the identity was expired when first seen */
	int64_t not_after;
	time_t retry; /* when not known: next attempt */
};

struct kk_expiry {
	int64_t warn_s;
	time_t now;
	struct slot_state st[KK_MAX_BINDINGS];
};

struct kk_expiry *kk_expiry_new(int64_t warn_s)
{
	struct kk_expiry *x = calloc(1, sizeof(*x));

	if (x)
		x->warn_s = warn_s;
	return x;
}

void kk_expiry_free(struct kk_expiry *x)
{
	free(x);
}

static void agent_event(uint32_t type, const struct kk_binding_rec *r, const char *reason)
{
	const struct kk_binding *b = &r->binding;
	struct kk_event ev;

	if (kk_event_agent(&ev, type, r->slot, b->gen, b->pid, b->agent_id, r->ident.serial,
			   b->policy_version, reason) ||
	    kk_maps_emit(&ev))
		kk_err("daemon", "could not send %s for binding %u", kk_event_type_name(type),
		       r->slot);
}

/* Read not_after of binding r into s (first sight of this binding and identity, or a retry). */
static void learn(struct kk_expiry *x, struct slot_state *s, const struct kk_binding_rec *r)
{
	char why[700];

	if (!s->seen || s->gen != r->binding.gen || s->ident != r->binding.ident) {
		memset(s, 0, sizeof(*s));
		s->seen = true;
		s->gen = r->binding.gen;
		s->ident = r->binding.ident;
		/* Expired before this daemon started: agent.expired was sent then. */
		s->expired = r->ident.state == KK_STATE_EXPIRED;
	} else if (s->known || x->now < s->retry) {
		return;
	}
	if (!kk_binding_not_after(r->slot, r->binding.gen, &r->ident.key, &s->not_after, why,
				  sizeof(why))) {
		s->known = true;
		return;
	}
	if (!s->retry) /* reported once per binding and identity */
		kk_err("daemon", "expiry of binding %u (%s) not watched: %s", r->slot,
		       r->binding.agent_id, why);
	s->retry = x->now + RETRY_S;
}

static int check_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct kk_expiry *x = ctx;
	struct slot_state *s = &x->st[r->slot];
	char when[40], msg[96];

	if (!r->ident_ok || r->slot >= KK_MAX_BINDINGS)
		return 0;
	learn(x, s, r);
	if (!s->known || r->ident.state == KK_STATE_REVOKED)
		return 0;
	kk_format_rfc3339(s->not_after * 1000000000LL, when, sizeof(when));
	if (x->now >= s->not_after) { /* as OpenSSL, which refuses a bind at notAfter */
		if (r->ident.state != KK_STATE_EXPIRED &&
		    kk_maps_ident_set_state(m, r->binding.ident, KK_STATE_EXPIRED)) {
			kk_err("daemon", "binding %u (%s): could not block the expired identity %s",
			       r->slot, r->binding.agent_id, r->ident.serial);
			return 0; /* the next tick tries again */
		}
		if (s->expired)
			return 0;
		s->expired = true;
		snprintf(msg, sizeof(msg), "certificate expired at %s", when);
		agent_event(KK_EV_AGENT_EXPIRED, r, msg);
		kk_info("kakunin-bpf: daemon: binding %u (%s): certificate serial %s expired at %s: "
			"every scoped action is denied until it is rotated",
			r->slot, r->binding.agent_id, r->ident.serial, when);
	} else if (x->warn_s && !s->warned && x->now >= s->not_after - x->warn_s) {
		s->warned = true;
		snprintf(msg, sizeof(msg), "certificate expires at %s (in %llds)", when,
			 (long long)(s->not_after - x->now));
		agent_event(KK_EV_AGENT_EXPIRING, r, msg);
		kk_info("kakunin-bpf: daemon: binding %u (%s): certificate serial %s expires at %s "
			"(in %llds): rotate it",
			r->slot, r->binding.agent_id, r->ident.serial, when,
			(long long)(s->not_after - x->now));
	}
	return 0;
}

void kk_expiry_check(struct kk_expiry *x, struct kk_maps *m, time_t now)
{
	if (!x)
		return;
	x->now = now;
	/* A slot that cannot be read is checked at a later tick, when it can. */
	kk_maps_each_binding(m, check_one, x);
}
