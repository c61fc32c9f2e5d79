// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps_bind — the binding tables: policy slots and their rules, identity slots, binding slots
 * and the one walker over them, cgroup bindings (see maps.h; the task marks are maps_mark.c).
 * Callers hold the maps lock; every function leaves the maps as it found them when it fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "maps.h"
#include "maps_int.h"

/* --- policy slots --- */

static int path_insert(struct kk_maps *m, const struct kk_ruleset *rs, uint32_t slot, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct kk_path_key k = rs->paths[i].key;

		k.policy_id = slot;
		if (bpf_map_update_elem(m->fd[KK_MAP_PATHS], &k, &rs->paths[i].val, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int net_insert(struct kk_maps *m, const struct kk_ruleset *rs, uint32_t slot, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct kk_net_key k = rs->net[i].key;
		int fd = m->fd[rs->net[i].deny ? KK_MAP_NET_DENY : KK_MAP_NET_ALLOW];

		k.policy_id = slot;
		if (bpf_map_update_elem(fd, &k, &rs->net[i].val, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* network_rules.listen: one trie, no baseline entries. */
static int listen_insert(struct kk_maps *m, const struct kk_ruleset *rs, uint32_t slot)
{
	size_t i;

	for (i = 0; i < rs->n_listen; i++) {
		struct kk_net_key k = rs->listen[i].key;

		k.policy_id = slot;
		if (bpf_map_update_elem(m->fd[KK_MAP_NET_LISTEN], &k, &rs->listen[i].val, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int exec_insert(struct kk_maps *m, const struct kk_ruleset *rs, uint32_t slot, size_t n)
{
	__u8 one = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		struct kk_exec_key key = rs->exec_keys[i];

		key.policy = slot;
		if (bpf_map_update_elem(m->fd[KK_MAP_EXEC], &key, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Delete every key of map fd whose policy field (at off) is slot. */
static int delete_policy_keys(int fd, size_t key_size, size_t off, uint32_t slot)
{
	char *keys = NULL, *cur = malloc(key_size), *next = malloc(key_size);
	size_t n = 0, cap = 0, i;
	void *prev = NULL;
	int err = 0;

	while (cur && next && bpf_map_get_next_key(fd, prev, next) == 0) {
		uint32_t pol;

		memcpy(cur, next, key_size);
		prev = cur;
		memcpy(&pol, cur + off, sizeof(pol));
		if (pol != slot)
			continue;
		if (n == cap) {
			char *k = realloc(keys, (cap = cap ? cap * 2 : 256) * key_size);

			if (!k) {
				err = -ENOMEM;
				goto out;
			}
			keys = k;
		}
		memcpy(keys + n++ * key_size, cur, key_size);
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * key_size) && errno != ENOENT)
			err = -errno;
out:
	free(keys);
	free(cur);
	free(next);
	return err;
}

/*
 * kk_paths entries of slot changed: file_open's cached decisions made under it before are void
 * (bpf/pathcache.bpf.h). Bumped after the change, so an entry made from a half-changed rule set
 * is void too. The loader is the entry's only writer (under the maps lock); programs read it.
 */
static int pcache_policy_bump(struct kk_maps *m, uint32_t slot)
{
	__u32 idx = KK_PCACHE_POLICY_EPOCH + slot;
	__u64 v;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_PCACHE_CTL], &idx, &v))
		return -errno;
	v++;
	return bpf_map_update_elem(m->fd[KK_MAP_PCACHE_CTL], &idx, &v, BPF_ANY) ? -errno : 0;
}

int kk_maps_pcache_mode(struct kk_maps *m, uint32_t mode)
{
	__u32 idx = KK_PCACHE_MODE;
	__u64 v = mode;

	if (mode >= KK_PCACHE_MODE_MAX)
		return -EINVAL;
	return bpf_map_update_elem(m->fd[KK_MAP_PCACHE_CTL], &idx, &v, BPF_ANY) ? -errno : 0;
}

static int policy_rules_delete(struct kk_maps *m, uint32_t slot)
{
	int err;

	err = delete_policy_keys(m->fd[KK_MAP_PATHS], sizeof(struct kk_path_key),
				 offsetof(struct kk_path_key, policy_id), slot);
	err = delete_policy_keys(m->fd[KK_MAP_NET_ALLOW], sizeof(struct kk_net_key),
				 offsetof(struct kk_net_key, policy_id), slot) ?: err;
	err = delete_policy_keys(m->fd[KK_MAP_NET_DENY], sizeof(struct kk_net_key),
				 offsetof(struct kk_net_key, policy_id), slot) ?: err;
	err = delete_policy_keys(m->fd[KK_MAP_NET_LISTEN], sizeof(struct kk_net_key),
				 offsetof(struct kk_net_key, policy_id), slot) ?: err;
	err = delete_policy_keys(m->fd[KK_MAP_EXEC], sizeof(struct kk_exec_key),
				 offsetof(struct kk_exec_key, policy), slot) ?: err;
	return pcache_policy_bump(m, slot) ?: err;
}

int kk_maps_policy_get(struct kk_maps *m, const struct kk_ruleset *rs, const uint8_t hash[32],
		       uint32_t *slot)
{
	struct kk_policy_slot p;
	uint32_t i, free_slot = KK_MAX_POLICIES;
	int err;

	for (i = 0; i < KK_MAX_POLICIES; i++) {
		if (bpf_map_lookup_elem(m->fd[KK_MAP_POLICIES], &i, &p))
			return -errno;
		if (p.refs && !memcmp(p.hash, hash, sizeof(p.hash))) {
			p.refs++;
			*slot = i;
			return bpf_map_update_elem(m->fd[KK_MAP_POLICIES], &i, &p, BPF_ANY) ? -errno
											     : 0;
		}
		if (!p.refs && free_slot == KK_MAX_POLICIES)
			free_slot = i;
	}
	if (free_slot == KK_MAX_POLICIES)
		return -ENOSPC;
	/* Stale rules of a slot whose cleanup was interrupted must not leak into this policy. */
	err = policy_rules_delete(m, free_slot);
	err = err ?: path_insert(m, rs, free_slot, rs->n_paths);
	err = err ?: pcache_policy_bump(m, free_slot);
	err = err ?: net_insert(m, rs, free_slot, rs->n_net);
	err = err ?: listen_insert(m, rs, free_slot);
	err = err ?: exec_insert(m, rs, free_slot, rs->n_exec_keys);
	if (!err) {
		memset(&p, 0, sizeof(p));
		p.consts = rs->consts;
		p.refs = 1;
		memcpy(p.hash, hash, sizeof(p.hash));
		if (bpf_map_update_elem(m->fd[KK_MAP_POLICIES], &free_slot, &p, BPF_ANY))
			err = -errno;
	}
	if (err) {
		policy_rules_delete(m, free_slot);
		return err == -E2BIG || err == -ENOMEM ? -ENOSPC : err;
	}
	*slot = free_slot;
	return 0;
}

int kk_maps_policy_put(struct kk_maps *m, uint32_t slot)
{
	struct kk_policy_slot p;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_POLICIES], &slot, &p))
		return -errno;
	if (p.refs > 1) {
		p.refs--;
		return bpf_map_update_elem(m->fd[KK_MAP_POLICIES], &slot, &p, BPF_ANY) ? -errno : 0;
	}
	/* Free the slot first: no binding references it, and a half-deleted rule set is unused. */
	memset(&p, 0, sizeof(p));
	if (bpf_map_update_elem(m->fd[KK_MAP_POLICIES], &slot, &p, BPF_ANY))
		return -errno;
	return policy_rules_delete(m, slot);
}

/* --- identity slots --- */

/* The slot of key in ids (all of kk_idents), or a free one: -ENOSPC when there is neither. */
static int ident_find(const struct kk_ident *ids, const struct kk_ident_key *key, uint32_t *slot)
{
	uint32_t i, free_slot = KK_MAX_IDENTS;

	for (i = 0; i < KK_MAX_IDENTS; i++) {
		if (ids[i].refs && !memcmp(&ids[i].key, key, sizeof(*key))) {
			*slot = i;
			return 0;
		}
		if (!ids[i].refs && free_slot == KK_MAX_IDENTS)
			free_slot = i;
	}
	*slot = free_slot;
	return free_slot == KK_MAX_IDENTS ? -ENOSPC : 0;
}

int kk_maps_ident_get(struct kk_maps *m, const struct kk_ident_key *key, const char *serial,
		      uint32_t *slot)
{
	struct kk_ident *ids = malloc(KK_MAX_IDENTS * sizeof(*ids)), *id;
	int lock, err;

	if (!ids)
		return -ENOMEM;
	/* The identity-slot lock (maps_int.h): `revoke` flips states without the maps lock. */
	lock = kk_maps_idents_lock();
	err = lock < 0 ? lock : kk_maps_idents_read(m, ids);
	err = err ?: ident_find(ids, key, slot);
	if (!err) {
		id = &ids[*slot];
		if (id->refs) {
			id->refs++;
		} else {
			memset(id, 0, sizeof(*id));
			id->state = KK_STATE_ACTIVE;
			id->refs = 1;
			id->key = *key;
			strncpy(id->serial, serial, sizeof(id->serial) - 1);
		}
		if (bpf_map_update_elem(m->fd[KK_MAP_IDENTS], slot, id, BPF_ANY))
			err = -errno;
	}
	kk_maps_idents_unlock(lock);
	free(ids);
	return err;
}

int kk_maps_ident_put(struct kk_maps *m, uint32_t slot)
{
	struct kk_ident id;
	int lock, err = 0;

	lock = kk_maps_idents_lock();
	if (lock < 0)
		return lock;
	if (bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &slot, &id))
		err = -errno;
	else if (id.refs > 1)
		id.refs--;
	else
		memset(&id, 0, sizeof(id));
	if (!err && bpf_map_update_elem(m->fd[KK_MAP_IDENTS], &slot, &id, BPF_ANY))
		err = -errno;
	kk_maps_idents_unlock(lock);
	return err;
}

/* --- binding slots --- */

static void reset_counts(struct kk_maps *m, uint32_t slot)
{
	__u64 zero = 0;
	uint32_t i;

	for (i = 0; i < KK_HOOK_SLOTS * 2; i++) {
		uint32_t idx = slot * KK_HOOK_SLOTS * 2 + i;

		bpf_map_update_elem(m->fd[KK_MAP_COUNTS], &idx, &zero, BPF_ANY);
	}
}

/* Read slot into *r, in use or not; the identity only for a slot in use. */
static int rec_read(struct kk_maps *m, uint32_t slot, struct kk_binding_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->slot = slot;
	if (bpf_map_lookup_elem(m->fd[KK_MAP_BINDINGS], &slot, &r->binding))
		return -errno;
	r->binding.agent_id[sizeof(r->binding.agent_id) - 1] = '\0';
	r->binding.policy_version[sizeof(r->binding.policy_version) - 1] = '\0';
	if (!r->binding.in_use)
		return 0;
	r->ident_ok = !bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &r->binding.ident, &r->ident);
	if (!r->ident_ok)
		memset(&r->ident, 0, sizeof(r->ident));
	r->ident.serial[sizeof(r->ident.serial) - 1] = '\0';
	return 0;
}

int kk_maps_binding_get(struct kk_maps *m, uint32_t slot, struct kk_binding_rec *r)
{
	int err = rec_read(m, slot, r);

	return err ?: r->binding.in_use ? 0 : -ENOENT;
}

/* The one loop over the binding table: the slots in use, or (free_slots) the free ones. */
static int walk(struct kk_maps *m, bool free_slots, kk_binding_fn fn, void *ctx)
{
	struct kk_binding_rec r;
	int rc, unread = 0;
	uint32_t slot;

	for (slot = 0; slot < KK_MAX_BINDINGS; slot++) {
		rc = rec_read(m, slot, &r);
		if (rc) {
			unread = unread ?: rc;
			continue;
		}
		if (!r.binding.in_use != free_slots)
			continue;
		rc = fn(m, &r, ctx);
		if (rc)
			return rc;
	}
	return unread;
}

int kk_maps_each_binding(struct kk_maps *m, kk_binding_fn fn, void *ctx)
{
	return walk(m, false, fn, ctx);
}

struct add_ctx {
	const struct kk_binding *b;
	uint32_t *slot, *gen;
};

/* Take free slot r for the new binding; 1 (stop) when written, else -errno. */
static int add_free(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct add_ctx *a = ctx;
	struct kk_binding cur;
	uint32_t i = r->slot;

	reset_counts(m, i);
	*a->slot = i;
	*a->gen = r->binding.gen + 1 ?: 1; /* tasks never carry gen 0 */
	cur = *a->b;
	cur.gen = *a->gen;
	cur.in_use = 1;
	return bpf_map_update_elem(m->fd[KK_MAP_BINDINGS], &i, &cur, BPF_ANY) ? -errno : 1;
}

int kk_maps_binding_add(struct kk_maps *m, const struct kk_binding *b, uint32_t *slot,
			uint32_t *gen)
{
	struct add_ctx a = { b, slot, gen };
	int rc;

	/*
	 * An unreadable slot is never taken (it may be in use); a later free one is. Only when
	 * none is free does its error count (the table may not be full after all).
	 */
	rc = walk(m, true, add_free, &a);
	return rc == 1 ? 0 : rc ?: -ENOSPC;
}

int kk_maps_binding_del(struct kk_maps *m, uint32_t slot)
{
	struct kk_binding b;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_BINDINGS], &slot, &b))
		return -errno;
	/* A new gen ends the binding for every task still carrying the old one. */
	memset((char *)&b + sizeof(b.gen), 0, sizeof(b) - sizeof(b.gen));
	b.gen = b.gen + 1 ?: 1;
	return bpf_map_update_elem(m->fd[KK_MAP_BINDINGS], &slot, &b, BPF_ANY) ? -errno : 0;
}

int kk_maps_ident_state(struct kk_maps *m, uint32_t slot, uint32_t *state)
{
	struct kk_ident id;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &slot, &id))
		return -errno;
	*state = id.state;
	return 0;
}

int kk_maps_binding_read(struct kk_maps *m, uint32_t slot, struct kk_binding *b)
{
	return bpf_map_lookup_elem(m->fd[KK_MAP_BINDINGS], &slot, b) ? -errno : 0;
}

int kk_maps_ident_read(struct kk_maps *m, uint32_t slot, struct kk_ident *id)
{
	return bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &slot, id) ? -errno : 0;
}

int kk_maps_counts(struct kk_maps *m, uint32_t slot, uint64_t out[KK_HOOK_SLOTS][2])
{
	uint32_t h, d;

	for (h = 0; h < KK_HOOK_SLOTS; h++) {
		for (d = 0; d < 2; d++) {
			uint32_t idx = (slot * KK_HOOK_SLOTS + h) * 2 + d;

			out[h][d] = 0;
			if (bpf_map_lookup_elem(m->fd[KK_MAP_COUNTS], &idx, &out[h][d]))
				return -errno;
		}
	}
	return 0;
}

int kk_maps_policy_read(struct kk_maps *m, uint32_t slot, struct kk_policy_slot *p)
{
	return bpf_map_lookup_elem(m->fd[KK_MAP_POLICIES], &slot, p) ? -errno : 0;
}

static int add_level(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	const struct kk_binding *b = &r->binding;
	__u64 *levels = ctx;

	(void)m;
	if ((b->flags & KK_BIND_CGROUP) && b->cgroup_level < 64)
		*levels |= 1ULL << b->cgroup_level;
	return 0;
}

int kk_maps_cgroup_levels(struct kk_maps *m)
{
	struct kk_config cfg = { 0 };
	__u32 zero = 0;
	__u64 levels = 0;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_CONFIG], &zero, &cfg))
		return -errno;
	/*
	 * A slot that cannot be read may be a cgroup binding: keep the levels already set, or
	 * the kernel would stop looking at its level and its new tasks would run unbound. An
	 * extra level only costs a lookup.
	 */
	if (kk_maps_each_binding(m, add_level, &levels))
		levels |= cfg.cgroup_levels;
	cfg.cgroup_levels = levels;
	return bpf_map_update_elem(m->fd[KK_MAP_CONFIG], &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int kk_maps_cgroup_add(struct kk_maps *m, uint64_t cgid, uint32_t slot, uint32_t gen)
{
	struct kk_mark mark = { .binding = slot, .gen = gen };
	struct kk_live live = { .gen = gen };

	if (bpf_map_update_elem(m->fd[KK_MAP_LIVE], &slot, &live, BPF_ANY) ||
	    bpf_map_update_elem(m->fd[KK_MAP_CGROUPS], &cgid, &mark, BPF_NOEXIST))
		return errno == E2BIG ? -ENOSPC : -errno;
	return kk_maps_cgroup_levels(m);
}

int kk_maps_cgroup_del(struct kk_maps *m, uint64_t cgid)
{
	if (bpf_map_delete_elem(m->fd[KK_MAP_CGROUPS], &cgid) && errno != ENOENT)
		return -errno;
	return kk_maps_cgroup_levels(m);
}

int kk_maps_binding_set(struct kk_maps *m, uint32_t slot, const struct kk_binding *b)
{
	return bpf_map_update_elem(m->fd[KK_MAP_BINDINGS], &slot, b, BPF_ANY) ? -errno : 0;
}

/* Is net key k (of policy slot) among the entries of rs for its trie? */
static bool net_wanted(const struct kk_ruleset *rs, bool deny, const struct kk_net_key *k)
{
	size_t i;

	for (i = 0; i < rs->n_net; i++)
		if (rs->net[i].deny == deny && rs->net[i].key.prefixlen == k->prefixlen &&
		    !memcmp(rs->net[i].key.addr, k->addr, sizeof(k->addr)))
			return true;
	return false;
}

/* Delete the keys of policy slot in one network trie that rs no longer has. */
static void net_prune(struct kk_maps *m, const struct kk_ruleset *rs, uint32_t slot, bool deny)
{
	int fd = m->fd[deny ? KK_MAP_NET_DENY : KK_MAP_NET_ALLOW];
	struct kk_net_key key, next, *prev = NULL, *dead = NULL;
	size_t n = 0, cap = 0, i;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.policy_id != slot || net_wanted(rs, deny, &key))
			continue;
		if (n == cap) {
			struct kk_net_key *d = realloc(dead, (cap = cap ? 2 * cap : 16) * sizeof(*d));

			if (!d)
				break;
			dead = d;
		}
		dead[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &dead[i]);
	free(dead);
}

int kk_maps_policy_net_refresh(struct kk_maps *m, uint32_t slot, const struct kk_ruleset *rs)
{
	/* New addresses first, stale ones after: no moment where an allowed host is missing. */
	int err = net_insert(m, rs, slot, rs->n_net);

	if (err)
		return err;
	net_prune(m, rs, slot, false);
	net_prune(m, rs, slot, true);
	return 0;
}
