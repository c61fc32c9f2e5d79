// SPDX-License-Identifier: GPL-2.0-only
/* bind — verify, compile, then bind in one all-or-nothing step (see bind.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bind.h"
#include "cgroup.h"
#include "error.h"
#include "log.h"
#include "events.h"
#include "maps.h"
#include "revoke.h"
#include "state.h"

#define KK_HOST_CONFIG "/etc/kakunin/host.json"

/* The "region" of /etc/kakunin/host.json into buf; -errno with why[]. */
static int host_config_region(char *buf, size_t len, char *why, size_t wlen)
{
	char text[4096];
	cJSON *root, *reg;
	size_t n;
	FILE *f = fopen(KK_HOST_CONFIG, "re");

	if (!f) {
		snprintf(why, wlen, "%s: %s", KK_HOST_CONFIG, strerror(errno));
		return -errno;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	root = cJSON_Parse(text);
	reg = cJSON_GetObjectItemCaseSensitive(root, "region");
	if (!cJSON_IsString(reg) || !reg->valuestring[0]) {
		snprintf(why, wlen, "%s: %s", KK_HOST_CONFIG, root ? "no \"region\" string in it" :
			 "not JSON");
		cJSON_Delete(root);
		return -EINVAL;
	}
	snprintf(buf, len, "%s", reg->valuestring);
	cJSON_Delete(root);
	return 0;
}

/* With allowed_regions, the host's region must be known and listed. */
static int check_region(struct kk_bind_req *r, struct kk_error *e)
{
	const char *region = r->region ?: getenv("KAKUNIN_REGION");
	char buf[128], why[300], list[512] = "";
	size_t i, used = 0;

	if (!r->pol.n_regions)
		return 0;
	for (i = 0; i < r->pol.n_regions; i++)
		used += snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, "%s%s",
				 i ? ", " : "", r->pol.regions[i]);
	if (!region || !*region) {
		if (host_config_region(buf, sizeof(buf), why, sizeof(why)))
			return kk_error_set(e, -EINVAL, NULL, "the policy allows only the regions "
					    "%s, and this host's region is unknown (%s): pass "
					    "--region, set KAKUNIN_REGION or write %s", list, why,
					    KK_HOST_CONFIG);
		region = buf;
	}
	for (i = 0; i < r->pol.n_regions; i++)
		if (!strcmp(region, r->pol.regions[i]))
			return 0;
	return kk_error_set(e, -EACCES, NULL, "this host's region \"%s\" is not in the policy's "
			    "allowed_regions (%s)", region, list);
}

/* A policy that did not load or compile: e names its first error, r->perrs holds them all. */
static int policy_failed(struct kk_bind_req *r, int err, struct kk_error *e)
{
	if (!r->perrs.n)
		kk_errors_add(&r->perrs, 0, 0, "", "%s", strerror(-err));
	return kk_errors_record(r->policy, &r->perrs, err, e);
}

int kk_bind_prepare(struct kk_bind_req *r, struct kk_error *e)
{
	char hash[KK_POLICY_HASH_HEX];
	/* A name that does not resolve yet is no reason to leave the agent unconfined. */
	struct kk_policy_opts opts = { .offline = r->offline, .pending_ok = true,
				       .warnings = &r->pwarns };
	char why[512];
	int err;

	err = kk_identity_verify(r->cert, r->ca, time(NULL), &r->id, why, sizeof(why));
	if (err)
		return kk_error_split(e, err, why);
	r->have_id = true;
	err = kk_policy_load(r->policy, &r->pol, &r->perrs);
	if (!err) {
		r->have_pol = true;
		err = kk_policy_compile(&r->pol, &opts, &r->rs, &r->perrs);
		r->have_rs = !err;
	}
	if (err)
		return policy_failed(r, err, e);
	err = kk_identity_match_agent(&r->id, r->pol.agent_id, r->pol.spiffe_id, why,
				      sizeof(why));
	if (!err)
		err = kk_identity_check_policy_hash(&r->id, kk_policy_hash_hex(&r->pol, hash),
						    why, sizeof(why));
	if (err)
		return kk_error_split(e, err, why);
	return check_region(r, e);
}

void kk_bind_release(struct kk_bind_req *r)
{
	if (r->have_rs)
		kk_ruleset_free(&r->rs);
	if (r->have_pol)
		kk_policy_free(&r->pol);
	if (r->have_id)
		kk_identity_free(&r->id);
	kk_errors_free(&r->perrs);
	kk_errors_free(&r->pwarns);
	r->have_rs = r->have_pol = r->have_id = false;
}

static const char *table_error(int err, const char *what)
{
	static char buf[128];

	if (err == -ENOSPC)
		snprintf(buf, sizeof(buf), "the %s table is full", what);
	else
		snprintf(buf, sizeof(buf), "writing the %s failed: %s", what, strerror(-err));
	return buf;
}

/* Write policy, identity and binding; on success r->slot and r->gen name the binding. */
static int write_binding(struct kk_maps *m, struct kk_bind_req *r, uint32_t *pslot,
			 uint32_t *islot, struct kk_error *e)
{
	struct kk_ident_key key = { 0 };
	struct kk_binding b = { 0 };
	struct kk_revocation rev;
	uint32_t state = 0;
	int err;

	err = kk_maps_policy_get(m, &r->rs, r->pol.hash, pslot);
	if (err)
		return kk_error_set(e, err, r->policy, "%s", table_error(err, "policy"));
	kk_identity_key(&r->id, &key);
	if (kk_maps_revoked_get(m, &key, &rev) == 0) {
		rev.reason[sizeof(rev.reason) - 1] = '\0';
		err = kk_error_set(e, -EACCES, NULL, "certificate serial %s is revoked%s%s%s",
				   r->id.serial, *rev.reason ? " (" : "", rev.reason,
				   *rev.reason ? ")" : "");
		goto put_policy;
	}
	err = kk_maps_ident_get(m, &key, r->id.serial, islot);
	if (!err)
		err = kk_maps_ident_state(m, *islot, &state);
	if (!err && state != KK_STATE_ACTIVE) {
		kk_error_set(e, -EACCES, NULL, "certificate serial %s is %s", r->id.serial,
			     state == KK_STATE_REVOKED ? "revoked"
						       : "blocked (revocation status unknown)");
		kk_maps_ident_put(m, *islot);
		err = -EACCES;
	} else if (err) {
		kk_error_set(e, err, NULL, "%s", table_error(err, "identity"));
	}
	if (err)
		goto put_policy;
	b.ident = *islot;
	b.policy = *pslot;
	b.pid = r->pid;
	if (r->cgroup) {
		b.flags = KK_BIND_CGROUP | (r->at_exec ? KK_BIND_AT_EXEC : 0);
		b.cgroup_id = r->cgid;
		b.cgroup_level = r->cglevel;
	}
	b.bound_at = time(NULL);
	snprintf(b.agent_id, sizeof(b.agent_id), "%s", r->pol.agent_id);
	snprintf(b.policy_version, sizeof(b.policy_version), "%s", r->pol.version);
	err = kk_maps_binding_add(m, &b, &r->slot, &r->gen);
	if (!err)
		return 0;
	kk_error_set(e, err, NULL, "%s", table_error(err, "binding"));
	kk_maps_ident_put(m, *islot);
put_policy:
	kk_maps_policy_put(m, *pslot);
	return err;
}

/* The binding is what counts; an event that cannot be sent is reported, never fatal. */
static void emit_agent(uint32_t type, uint32_t slot, uint32_t gen, uint32_t pid,
		       const char *agent_id, const char *serial, const char *version,
		       const char *reason)
{
	struct kk_event ev;
	int err;

	err = kk_event_agent(&ev, type, slot, gen, pid, agent_id, serial, version, reason);
	err = err ?: kk_maps_emit(&ev);
	if (err)
		kk_warn("could not send %s for binding %u: %s", kk_event_type_name(type), slot,
			strerror(-err));
}

/*
 * What the daemon needs later (OCSP, DNS refresh): the canonical policy, the certificate and the
 * CA bundle copied into the state directory, which it works from, and the record naming them.
 * The user's files may then change or go away without the daemon noticing. Failing to save is
 * reported only: the binding itself holds.
 */
static void save_meta(struct kk_bind_req *r)
{
	struct kk_binding_meta b = {
		.slot = r->slot,
		.gen = r->gen,
		.canonical = true,
		.offline = r->offline,
		.ocsp = r->pol.revocation_enabled,
		.ttl_s = r->pol.revocation_ttl_s,
		.fail_open = r->pol.revocation_fail_open,
	};
	struct kk_who_rec who = { 0 };
	char why[PATH_MAX + 128] = "";
	int err;

	kk_policy_hash_hex(&r->pol, b.policy_hash);
	snprintf(b.watch, sizeof(b.watch), "%s", r->watch);
	/* Whatever an earlier binding of this slot left (it may have died mid-way) goes first. */
	kk_meta_remove(r->slot);
	/* Who it is, for its events read after it ended (state.h): even if the rest fails. */
	snprintf(who.agent_id, sizeof(who.agent_id), "%s", r->pol.agent_id);
	snprintf(who.serial, sizeof(who.serial), "%s", r->id.serial);
	snprintf(who.policy_version, sizeof(who.policy_version), "%s", r->pol.version);
	err = kk_who_save(r->slot, r->gen, &who);
	if (err)
		snprintf(why, sizeof(why), "%s/bindings: %s", kk_state_dir(), strerror(-err));
	if (!err && (err = kk_meta_copy_policy(&b, r->pol.canonical)))
		snprintf(why, sizeof(why), "%s: %s", b.policy, strerror(-err));
	err = err ?: kk_meta_copy_cert(&b, r->cert, r->ca, r->id.fingerprint, why, sizeof(why));
	if (!err && (err = kk_meta_save(&b)))
		snprintf(why, sizeof(why), "%s", strerror(-err));
	if (!err)
		return;
	kk_meta_remove(r->slot);
	snprintf(r->warning, sizeof(r->warning), "cannot record binding %u in %s (OCSP polling, "
		 "DNS refresh and events read after it ended need it): %s", r->slot, kk_state_dir(),
		 why);
}

static void save_who(uint32_t slot, const struct kk_binding_rec *r)
{
	struct kk_who_rec who = { 0 };

	snprintf(who.agent_id, sizeof(who.agent_id), "%s", r->binding.agent_id);
	snprintf(who.serial, sizeof(who.serial), "%s", r->ident_ok ? r->ident.serial : "");
	snprintf(who.policy_version, sizeof(who.policy_version), "%s", r->binding.policy_version);
	kk_who_save(slot, r->binding.gen, &who);
}

int kk_unbind_slot(struct kk_maps *m, uint32_t slot, const char *reason)
{
	struct kk_binding_rec r;
	const struct kk_binding *b = &r.binding;
	int err;

	err = kk_maps_binding_get(m, slot, &r);
	if (err)
		return err;
	err = kk_maps_binding_del(m, slot);
	if (err)
		return err;
	kk_maps_ident_put(m, b->ident);
	kk_maps_policy_put(m, b->policy);
	save_who(slot, &r); /* as it is now (rotate changes the serial), then retained */
	kk_meta_remove(slot);
	emit_agent(KK_EV_AGENT_UNBOUND, slot, b->gen, b->pid, b->agent_id, r.ident.serial,
		   b->policy_version, reason);
	return 0;
}

/* End binding r when its cgroup is gone or its processes have all exited. */
static int reap_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	const struct kk_binding *b = &r->binding;
	int32_t tasks;

	(void)ctx;
	if (b->flags & KK_BIND_CGROUP) {
		/* A removed cgroup (the pod is gone) ends its binding; when it cannot be
		 * told (no CAP_DAC_READ_SEARCH), the binding stays. */
		if (kk_cgroup_exists(b->cgroup_id) == 0 && !kk_maps_cgroup_del(m, b->cgroup_id) &&
		    !kk_unbind_slot(m, r->slot, "cgroup removed"))
			kk_maps_cgroup_levels(m);
		return 0;
	}
	if (!kk_maps_live_tasks(m, r->slot, b->gen, &tasks) && tasks <= 0)
		kk_unbind_slot(m, r->slot, "exited");
	return 0;
}

void kk_reap_bindings(struct kk_maps *m)
{
	/* Keep what the tripwire revoked before its bindings, and identities, go away. */
	kk_revocations_sync(m);
	/* A slot that cannot be read is not reaped: it stays bound until a later reap. */
	kk_maps_each_binding(m, reap_one, NULL);
}

/*
 * Mark the process (and with --tree its descendants); the leader must end up marked, and with
 * --tree no process below it be left unbound for being too deep (the caller then undoes it all).
 */
static int commit_process(struct kk_maps *m, struct kk_bind_req *r, int pidfd,
			  struct kk_error *e)
{
	char what[32];

	uint32_t marked = 0, deep = 0, cur;
	int err;

	err = kk_maps_mark_process(m, r->pid, r->tree, r->slot, r->gen, &marked, &deep);
	if (!err && (kk_maps_task_binding(m, pidfd, &cur) || cur != r->slot))
		err = -ESRCH;
	snprintf(what, sizeof(what), "PID %d", r->pid);
	if (!err && deep)
		return kk_error_set(e, -E2BIG, what, "%u process%s more than %d generations below "
				    "it, deeper than --tree binds; nothing bound", deep,
				    deep == 1 ? " is" : "es are", KK_TREE_DEPTH);
	if (err)
		kk_error_set(e, err, what, "%s", err == -ESRCH ?
			     "the process exited before it could be bound" : strerror(-err));
	return err;
}

static int commit_cgroup(struct kk_maps *m, struct kk_bind_req *r, struct kk_error *e)
{
	int err = kk_maps_cgroup_add(m, r->cgid, r->slot, r->gen);
	char what[sizeof(e->what)];

	snprintf(what, sizeof(what), "cgroup %s", r->cgroup);
	if (err)
		kk_error_set(e, err, what, "%s", err == -EEXIST ? "already bound" :
			     err == -ENOSPC ? "the cgroup table is full" : strerror(-err));
	return err;
}

int kk_bind_commit(struct kk_bind_req *r, int pidfd, struct kk_error *e)
{
	uint32_t pslot, islot, cur;
	struct kk_maps m;
	int err;

	err = kk_maps_open_e(&m, e);
	if (err)
		return err;
	err = kk_maps_lock_e(&m, e);
	if (err)
		goto out;
	kk_maps_sync_clock(&m);
	kk_reap_bindings(&m);
	if (pidfd >= 0 && kk_maps_task_binding(&m, pidfd, &cur) == 0) {
		err = kk_error_set(e, -EEXIST, NULL, "PID %d is already bound (binding %u)",
				   r->pid, cur);
		goto out;
	}
	err = write_binding(&m, r, &pslot, &islot, e);
	if (err)
		goto out;
	err = pidfd >= 0 ? commit_process(&m, r, pidfd, e) : commit_cgroup(&m, r, e);
	if (err) {
		kk_maps_binding_del(&m, r->slot);
		kk_maps_ident_put(&m, islot);
		kk_maps_policy_put(&m, pslot);
		if (r->cgroup)
			kk_maps_cgroup_levels(&m);
		goto out;
	}
	emit_agent(KK_EV_AGENT_BOUND, r->slot, r->gen, r->pid, r->pol.agent_id, r->id.serial,
		   r->pol.version, "");
	save_meta(r);
out:
	kk_maps_close(&m);
	return err;
}
