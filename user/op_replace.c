// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_replace — `bind --replace`: a new policy for a live binding, with no moment in which its
 * tasks run unconfined. The binding keeps its slot and generation (so every task keeps carrying
 * it) and its identity; the new rules go into a policy slot of their own first, then the binding
 * is pointed at that slot in one write of its map entry (as rotate moves the identity), and only
 * then is the old slot released. A hook that ran just before the write decided on the old rules,
 * one just after on the new ones; none runs without rules. Every refusal comes before the write,
 * so a failed replace leaves the old policy in force and the maps as they were.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "events.h"
#include "hex.h"
#include "maps.h"
#include "op.h"
#include "state.h"

int kk_watch_path(const char *file, char *buf, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	/* Not realpath(): a ConfigMap's file is a symlink whose target changes on every update. */
	if (file[0] == '/') {
		n = snprintf(buf, len, "%s", file);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		n = snprintf(buf, len, "%s/%s", cwd, file);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The binding of cgroup id ctx->cgid (a cgroup binding, not a task that is in it). */
struct find_cg {
	uint64_t cgid;
	uint32_t slot;
};

static int cg_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct find_cg *f = ctx;

	(void)m;
	if (!(r->binding.flags & KK_BIND_CGROUP) || r->binding.cgroup_id != f->cgid)
		return 0;
	f->slot = r->slot;
	return 1;
}

/*
 * The binding of the cgroup of process pid, or of the nearest ancestor cgroup bound: a task of
 * a bound cgroup carries the binding only from its first checked action on. 0 and *slot.
 */
static int cgroup_binding_of(struct kk_maps *m, int pid, uint32_t *slot)
{
	char path[PATH_MAX + 16], line[PATH_MAX], why[256], *p = NULL, *cut;
	struct find_cg f;
	uint32_t level;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	while (!p && fgets(line, sizeof(line), fp))
		if (!strncmp(line, "0::/", 4))
			p = line + 3;
	fclose(fp);
	if (!p)
		return -ENOENT;
	p[strcspn(p, "\n")] = '\0';
	for (; *p; *cut = '\0') {
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s", p);
		if (!kk_cgroup_resolve(path, &f.cgid, &level, why, sizeof(why)) &&
		    kk_maps_each_binding(m, cg_one, &f) == 1) {
			*slot = f.slot;
			return 0;
		}
		cut = strrchr(p, '/');
	}
	return -ENOENT;
}

/* The binding slot (and gen) the target of r carries; pidfd for --pid. -errno and e. */
static int find_binding(struct kk_maps *m, const struct kk_bind_req *r, int pidfd,
			struct kk_binding_rec *rec, struct kk_error *e)
{
	struct find_cg f = { .cgid = r->cgid };
	char what[sizeof(e->what)];
	int err;

	if (r->cgroup) {
		snprintf(what, sizeof(what), "cgroup %s", r->cgroup);
		err = kk_maps_each_binding(m, cg_one, &f) == 1 ? 0 : -ENOENT;
	} else {
		snprintf(what, sizeof(what), "PID %d", r->pid);
		err = kk_maps_task_binding(m, pidfd, &f.slot) ? -ENOENT : 0;
		if (err && !cgroup_binding_of(m, r->pid, &f.slot))
			err = 0; /* refused below, as a cgroup's */
	}
	if (err)
		return kk_error_set(e, err, what, "not bound (bind it without --replace)");
	err = kk_maps_binding_get(m, f.slot, rec);
	if (err)
		return kk_error_set(e, err, what, "binding %u: %s", f.slot,
				    err == -ENOENT ? "ended meanwhile" : strerror(-err));
	/* --pid names a process binding: a cgroup's is changed for all its tasks, by --cgroup. */
	if (!r->cgroup && (rec->binding.flags & KK_BIND_CGROUP))
		return kk_error_set(e, -EINVAL, what, "bound through the binding %u of its cgroup: "
				    "replace that with --cgroup", rec->slot);
	return 0;
}

/* May binding rec take the policy r prepared? The identity and the agent stay as they are. */
static int check_same_agent(const struct kk_bind_req *r, const struct kk_binding_rec *rec,
			    struct kk_error *e)
{
	const struct kk_binding *b = &rec->binding;
	struct kk_ident_key key;
	char what[sizeof(e->what)];

	snprintf(what, sizeof(what), "binding %u (agent %s)", rec->slot, b->agent_id);
	kk_identity_key(&r->id, &key);
	if (!rec->ident_ok || memcmp(&key, &rec->ident.key, sizeof(key)))
		return kk_error_set(e, -EACCES, what, "certificate serial %s is not this binding's "
				    "(serial %s): --replace keeps the identity; "
				    "`kakunin-bpf rotate` changes it",
				    r->id.serial, rec->ident.serial);
	/* A revoked or blocked binding stays so; a new policy would not lift that anyway. */
	if (kk_ident_state_check(rec->ident.state, rec->ident.serial, what, e))
		return -EACCES;
	if (strcmp(b->agent_id, r->pol.agent_id))
		return kk_error_set(e, -EACCES, what, "the policy is for agent %s: --replace keeps "
				    "the agent", r->pol.agent_id);
	return 0;
}

/*
 * The binding's record follows: its policy copy (same path: slot and gen are unchanged),
 * revocation_check settings, hash and the followed file. Not fatal, as at bind.
 */
static void record(const struct kk_bind_req *r, uint32_t slot, uint32_t gen,
		   struct kk_replace_res *res)
{
	struct kk_binding_meta b;
	int err;

	err = kk_meta_load(slot, &b);
	if (!err && b.gen != gen)
		err = -ESTALE;
	if (!err) {
		b.offline = r->offline;
		b.ocsp = r->pol.revocation_enabled;
		b.ttl_s = r->pol.revocation_ttl_s;
		b.fail_open = r->pol.revocation_fail_open;
		b.canonical = true;
		kk_policy_hash_hex(&r->pol, b.policy_hash);
		snprintf(b.watch, sizeof(b.watch), "%s", r->watch);
		/* The copy first, the record naming its hash last (written atomically, both). */
		err = kk_meta_copy_policy(&b, r->pol.canonical) ?: kk_meta_save(&b);
	}
	if (err)
		snprintf(res->warning, sizeof(res->warning),
			 "cannot update the record of binding %u in %s (OCSP polling and DNS "
			 "refresh use it): %s", slot, kk_state_dir(),
			 err == -ENOENT ? "it has none" :
			 err == -ESTALE ? "it is of another binding" : strerror(-err));
}

/* Point binding rec at the new policy slot np in one write; the old slot is released. */
static int switch_policy(struct kk_maps *m, const struct kk_bind_req *r,
			 const struct kk_binding_rec *rec, struct kk_replace_res *res,
			 struct kk_error *e)
{
	struct kk_binding b = rec->binding;
	uint32_t np, old = b.policy;
	struct kk_event ev;
	int err;

	err = kk_maps_policy_get(m, &r->rs, r->pol.hash, &np);
	if (err)
		return kk_error_set(e, err, r->policy, "%s", err == -ENOSPC ?
				    "the policy table is full" : strerror(-err));
	b.policy = np;
	snprintf(b.policy_version, sizeof(b.policy_version), "%s", r->pol.version);
	err = kk_maps_binding_set(m, rec->slot, &b);
	if (err) {
		kk_maps_policy_put(m, np);
		return kk_error_set(e, err, NULL, "binding %u: %s", rec->slot, strerror(-err));
	}
	/* A slot not released only costs a slot: the binding no longer uses its rules. */
	if (kk_maps_policy_put(m, old))
		snprintf(res->warning, sizeof(res->warning), "binding %u: its old policy slot %u "
			 "was not released", rec->slot, old);
	if (kk_event_agent(&ev, KK_EV_AGENT_BOUND, rec->slot, b.gen, b.pid, b.agent_id,
			   rec->ident.serial, b.policy_version, "policy replaced") ||
	    kk_maps_emit(&ev))
		snprintf(res->warning, sizeof(res->warning),
			 "could not send agent.bound for binding %u", rec->slot);
	return 0;
}

int kk_replace_slot(struct kk_maps *m, struct kk_bind_req *r, uint32_t slot, uint32_t gen,
		    struct kk_replace_res *res, struct kk_error *e)
{
	struct kk_binding_rec rec;
	struct kk_policy_slot old;
	char what[32];
	int err;

	memset(res, 0, sizeof(*res));
	snprintf(what, sizeof(what), "binding %u", slot);
	err = kk_maps_binding_get(m, slot, &rec);
	if (err == -ENOENT || (!err && rec.binding.gen != gen))
		return kk_error_set(e, -ESRCH, what, "ended meanwhile; nothing replaced");
	err = err ?: kk_maps_policy_read(m, rec.binding.policy, &old);
	if (err)
		return kk_error_set(e, err, what, "%s", strerror(-err));
	err = check_same_agent(r, &rec, e);
	if (err)
		return err;
	snprintf(res->old_version, sizeof(res->old_version), "%s", rec.binding.policy_version);
	kk_hex_encode(old.hash, sizeof(old.hash), res->old_hash);
	r->slot = slot;
	r->gen = gen;
	res->unchanged = !memcmp(old.hash, r->pol.hash, sizeof(old.hash));
	err = res->unchanged ? 0 : switch_policy(m, r, &rec, res, e);
	if (!err)
		record(r, slot, gen, res);
	return err;
}

/*
 * Without --cert, the binding's own certificate and CA bundle: the copies bind made in the
 * state directory (never the user's files, which may have changed since).
 */
static int use_copies(struct kk_bind_req *r, const struct kk_binding_rec *rec,
		      struct kk_binding_meta *meta, struct kk_error *e)
{
	char what[sizeof(e->what)];

	snprintf(what, sizeof(what), "binding %u", rec->slot);
	if (kk_meta_load(rec->slot, meta) || meta->gen != rec->binding.gen || !meta->cert[0])
		return kk_error_set(e, -ENOENT, what, "no copy of its certificate in %s: pass "
				    "--cert", kk_state_dir());
	r->cert = meta->cert;
	if (!r->ca)
		r->ca = meta->ca;
	return 0;
}

/*
 * Find the binding; without --cert, verify its copies and compile now (outside the lock: DNS);
 * then switch under the lock.
 */
static int replace(struct kk_maps *m, struct kk_bind_req *r, int pidfd,
		   struct kk_replace_res *res, struct kk_error *e)
{
	const char *ca = r->ca;
	struct kk_binding_meta meta;
	struct kk_binding_rec rec;
	int err;

	err = find_binding(m, r, pidfd, &rec, e);
	if (!err && !r->cert) {
		err = use_copies(r, &rec, &meta, e) ?: kk_bind_prepare(r, e);
		/* The copies' paths live here: the request names the user's options again. */
		r->cert = NULL;
		r->ca = ca;
	}
	err = err ?: kk_maps_lock_e(m, e);
	if (err)
		return err;
	kk_maps_sync_clock(m);
	kk_reap_bindings(m);
	return kk_replace_slot(m, r, rec.slot, rec.binding.gen, res, e);
}

int kk_op_replace(struct kk_bind_req *r, struct kk_replace_res *res, struct kk_error *e)
{
	char why[512];
	struct kk_maps m;
	int pidfd = -1, err;

	memset(res, 0, sizeof(*res));
	if (geteuid() != 0)
		return kk_error_set(e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	if (r->cgroup) {
		err = kk_cgroup_resolve(r->cgroup, &r->cgid, &r->cglevel, why, sizeof(why));
		if (err)
			return kk_error_split(e, err, why);
	}
	/* With --cert, verify and compile first, as bind does: a refusal touches no maps. */
	err = r->cert ? kk_bind_prepare(r, e) : 0;
	err = err ?: kk_op_open(&m, false, e);
	if (err)
		return err;
	err = r->cgroup ? 0 : kk_open_target(r->pid, &pidfd, e);
	err = err ?: replace(&m, r, pidfd, res, e);
	if (pidfd >= 0)
		close(pidfd);
	kk_maps_close(&m);
	return err;
}
