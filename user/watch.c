// SPDX-License-Identifier: GPL-2.0-only
/* watch — the daemon's periodic work (see watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"
#include "policy.h"
#include "revoke.h"
#include "state.h"

#include "bind.h"
#include "daemon.h"
#include "maps.h"
#include "watch.h"

#define REAP_EVERY_S 5

struct kk_watch {
	const struct kk_daemon_cfg *cfg;
	time_t last_reap, last_dns;
};

/*
 * The policy binding meta was made with: its canonical copy in the state directory (the user's
 * file may have changed or gone since), or for a record of before the copies the user's file,
 * which must still hash the same. -errno, reported.
 */
static int bound_policy(const struct kk_binding_meta *meta, struct kk_policy *p)
{
	struct kk_errors e = { 0 };
	int err;

	err = meta->canonical ? kk_policy_load_canonical(meta->policy, p, &e) :
				kk_policy_load(meta->policy, p, &e);
	if (err)
		kk_err("daemon", "%s: addresses of binding %u not refreshed: %s", meta->policy,
		       meta->slot, e.n ? e.v[0].reason : strerror(-err));
	else if (strcmp(p->hash, meta->policy_hash)) {
		kk_err("daemon", "%s changed since binding %u: addresses not refreshed (bind again "
		       "to apply the new policy)", meta->policy, meta->slot);
		kk_policy_free(p);
		err = -ESTALE;
	}
	kk_errors_free(&e);
	return err;
}

/*
 * Re-resolve the hostnames of bound policies (their addresses change; the hash does not), from
 * the policy each was bound with: an edited policy file is another policy, applied by a bind.
 */
/* Refresh the policy of binding r unless seen (ctx) already has it refreshed. */
static int dns_refresh_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct kk_policy_opts opts = { .offline = false };
	const struct kk_binding *b = &r->binding;
	struct kk_binding_meta meta;
	struct kk_errors e = { 0 };
	struct kk_ruleset rs;
	struct kk_policy p;
	bool *seen = ctx;

	if (b->policy >= KK_MAX_POLICIES || seen[b->policy] || kk_meta_load(r->slot, &meta) ||
	    meta.gen != b->gen || meta.offline)
		return 0;
	if (bound_policy(&meta, &p))
		return 0; /* another binding of the policy may do */
	seen[b->policy] = true;
	if (kk_policy_compile(&p, &opts, &rs, &e) == 0) {
		if (kk_maps_policy_net_refresh(m, b->policy, &rs))
			kk_err("daemon", "refreshing the addresses of binding %u (%s) failed",
			       r->slot, meta.policy);
		kk_ruleset_free(&rs);
	} else if (e.n) {
		kk_err("daemon", "%s: addresses of binding %u not refreshed: %s", meta.policy,
		       r->slot, e.v[0].reason);
	}
	kk_errors_free(&e);
	kk_policy_free(&p);
	return 0;
}

static void dns_refresh(struct kk_maps *m)
{
	static bool seen[KK_MAX_POLICIES];

	memset(seen, 0, sizeof(seen));
	/* A slot that cannot be read keeps its addresses until the next refresh. */
	kk_maps_each_binding(m, dns_refresh_one, seen);
}

struct kk_watch *kk_watch_new(const struct kk_daemon_cfg *cfg)
{
	struct kk_watch *w = calloc(1, sizeof(*w));

	if (w) {
		w->cfg = cfg;
		w->last_dns = time(NULL); /* bind just resolved them */
	}
	return w;
}

/* Rotations whose grace period is over: revoke the old certificate now. */
static void rotation_timers(struct kk_maps *m, time_t now)
{
	struct kk_timer *t;
	size_t n, i;

	if (kk_timers_take_due(now, &t, &n))
		kk_err("daemon", "cannot update the rotation timers in %s", kk_state_dir());
	for (i = 0; i < n; i++) {
		struct kk_revoke_req req = { .key = t[i].key, .source = KK_REV_ROTATION,
					     .reason = "rotated: grace period over" };
		struct kk_error e;
		int bindings, tasks;

		snprintf(req.serial, sizeof(req.serial), "%s", t[i].serial);
		if (!kk_revoke(m, &req, &bindings, &tasks, &e))
			kk_info("kakunin-bpf: daemon: grace over, revoked serial %s: %d "
				"binding%s, %d task%s stopped", t[i].serial, bindings,
				bindings == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s");
		else
			kk_error_print("daemon", &e, false);
	}
	free(t);
}

void kk_watch_tick(struct kk_watch *w, struct kk_maps *m)
{
	time_t now = time(NULL);

	if (!w || kk_maps_lock(m))
		return;
	rotation_timers(m, now);
	kk_watch_policies(m);
	if (w->cfg->dns_refresh_s && now - w->last_dns >= w->cfg->dns_refresh_s) {
		w->last_dns = now;
		dns_refresh(m);
	}
	if (now - w->last_reap >= REAP_EVERY_S) {
		w->last_reap = now;
		kk_maps_sync_clock(m); /* NTP may have set the TAI offset since load */
		kk_reap_bindings(m);   /* also records what the tripwire revoked */
	}
	kk_maps_unlock(m);
}

void kk_watch_free(struct kk_watch *w)
{
	free(w);
}
