// SPDX-License-Identifier: GPL-2.0-only
/* daemon_watch — the daemon's periodic work (see daemon_watch.h). */
#include <errno.h>
#include <limits.h>
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
#include "daemon_watch.h"

#define REAP_EVERY_S 5

struct kk_watch {
	const struct kk_daemon_cfg *cfg;
	time_t last_reap, last_dns;
	struct kk_expiry *expiry;
};

/*
 * The policy binding meta was made with: its canonical copy in the state directory (the user's
 * file may have changed or gone since), or for a record of before the copies the user's file,
 * which must still hash the same. -errno, reported.
 */
static int bound_policy(const struct kk_binding_meta *meta, struct kk_policy *p)
{
	char hash[KK_POLICY_HASH_HEX];
	struct kk_errors e = { 0 };
	int err;

	err = meta->canonical ? kk_policy_load_canonical(meta->policy, p, &e) :
				kk_policy_load(meta->policy, p, &e);
	if (err)
		kk_err("daemon", "%s: addresses of binding %u not refreshed: %s", meta->policy,
		       meta->slot, e.n ? e.v[0].reason : strerror(-err));
	else if (strcmp(kk_policy_hash_hex(p, hash), meta->policy_hash)) {
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
 * Name resolution can take seconds (a resolver that does not answer): it runs without the maps
 * lock, so a revoke or bind never waits on DNS. Under the lock the bindings are noted; without
 * it each policy is loaded and compiled once; under the lock again its addresses are written if
 * the binding noted still holds that policy.
 */
struct dns_job {
	uint32_t slot, gen, policy;
	bool have_rs;
	struct kk_ruleset rs;
	char file[PATH_MAX]; /* for messages */
};

struct dns_jobs {
	struct dns_job *v;
	size_t n;
};

/* Note binding r (the lock held). */
static int dns_note_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct dns_jobs *j = ctx;
	struct dns_job *v;

	(void)m;
	if (r->binding.policy >= KK_MAX_POLICIES)
		return 0;
	v = realloc(j->v, (j->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM; /* this refresh covers the bindings noted so far */
	j->v = v;
	memset(&v[j->n], 0, sizeof(v[j->n]));
	v[j->n].slot = r->slot;
	v[j->n].gen = r->binding.gen;
	v[j->n].policy = r->binding.policy;
	j->n++;
	return 0;
}

/* Compile job's policy with fresh addresses (no lock held): true when job->rs is ready. */
static bool dns_compile(struct dns_job *job)
{
	/* A name that does not resolve yet stays without addresses until a later refresh. */
	struct kk_policy_opts opts = { .pending_ok = true };
	struct kk_binding_meta meta;
	struct kk_errors e = { 0 };
	struct kk_policy p;

	if (kk_meta_load(job->slot, &meta) || meta.gen != job->gen || meta.offline)
		return false;
	if (bound_policy(&meta, &p))
		return false; /* another binding of the policy may do */
	snprintf(job->file, sizeof(job->file), "%s", meta.policy);
	job->have_rs = kk_policy_compile(&p, &opts, &job->rs, &e) == 0;
	if (!job->have_rs && e.n)
		kk_err("daemon", "%s: addresses of binding %u not refreshed: %s", meta.policy,
		       job->slot, e.v[0].reason);
	kk_errors_free(&e);
	kk_policy_free(&p);
	return job->have_rs;
}

static void dns_refresh(struct kk_maps *m, struct dns_jobs *j)
{
	static bool done[KK_MAX_POLICIES];
	struct kk_binding b;
	struct kk_error e;
	size_t i;

	memset(done, 0, sizeof(done));
	for (i = 0; i < j->n; i++)
		if (!done[j->v[i].policy])
			done[j->v[i].policy] = dns_compile(&j->v[i]);
	if (kk_maps_lock_e(m, &e)) {
		kk_error_print("daemon", &e, false);
	} else {
		for (i = 0; i < j->n; i++) {
			struct dns_job *job = &j->v[i];

			/* Unbound or rebound meanwhile: the slot may hold another policy now. */
			if (!job->have_rs || kk_maps_binding_read(m, job->slot, &b) || !b.in_use ||
			    b.gen != job->gen || b.policy != job->policy)
				continue;
			if (kk_maps_policy_net_refresh(m, job->policy, &job->rs))
				kk_err("daemon", "refreshing the addresses of binding %u (%s) "
				       "failed", job->slot, job->file);
		}
		kk_maps_unlock(m);
	}
	for (i = 0; i < j->n; i++)
		if (j->v[i].have_rs)
			kk_ruleset_free(&j->v[i].rs);
	free(j->v);
	j->v = NULL;
	j->n = 0;
}

struct kk_watch *kk_watch_new(const struct kk_daemon_cfg *cfg)
{
	struct kk_watch *w = calloc(1, sizeof(*w));

	if (w) {
		w->cfg = cfg;
		w->last_dns = time(NULL); /* bind just resolved them */
		w->expiry = kk_expiry_new(cfg->expiry_warning_s);
		if (!w->expiry) {
			free(w);
			w = NULL;
		}
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
	struct kk_error e;

	struct dns_jobs dns = { 0 };
	bool dns_due;

	if (!w)
		return;
	if (kk_maps_lock_e(m, &e)) {
		kk_error_print("daemon", &e, false);
		return;
	}
	rotation_timers(m, now);
	kk_expiry_check(w->expiry, m, now);
	kk_watch_policies(m);
	dns_due = w->cfg->dns_refresh_s && now - w->last_dns >= w->cfg->dns_refresh_s;
	if (dns_due) {
		w->last_dns = now;
		/* A slot that cannot be read keeps its addresses until the next refresh. */
		kk_maps_each_binding(m, dns_note_one, &dns);
	}
	if (now - w->last_reap >= REAP_EVERY_S) {
		w->last_reap = now;
		kk_maps_sync_clock(m); /* NTP may have set the TAI offset since load */
		kk_reap_bindings(m);   /* also records what the tripwire revoked */
	}
	kk_maps_unlock(m);
	if (dns_due)
		dns_refresh(m, &dns); /* resolves without the lock */
}

void kk_watch_free(struct kk_watch *w)
{
	if (w)
		kk_expiry_free(w->expiry);
	free(w);
}
