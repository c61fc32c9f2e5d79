// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps_revoke — the revocation list and identity states (see maps.h), and the short lock that
 * makes each read-modify-write of an identity slot whole (maps_int.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "maps.h"
#include "maps_int.h"

int kk_maps_revoked_put(struct kk_maps *m, const struct kk_ident_key *key,
			const struct kk_revocation *rev)
{
	if (bpf_map_update_elem(m->fd[KK_MAP_REVOKED], key, rev, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

/* The revocation of key: an entry for its issuer, or one for any issuer (zero issuer). */
int kk_maps_revoked_get(struct kk_maps *m, const struct kk_ident_key *key,
			struct kk_revocation *rev)
{
	struct kk_ident_key any = *key;

	if (!bpf_map_lookup_elem(m->fd[KK_MAP_REVOKED], key, rev))
		return 0;
	memset(any.issuer, 0, sizeof(any.issuer));
	return bpf_map_lookup_elem(m->fd[KK_MAP_REVOKED], &any, rev) ? -ENOENT : 0;
}

int kk_maps_revoked_each(struct kk_maps *m,
			 int (*fn)(const struct kk_ident_key *, const struct kk_revocation *, void *),
			 void *ctx)
{
	struct kk_ident_key key, next, *prev = NULL;
	struct kk_revocation rev;
	int err;

	while (bpf_map_get_next_key(m->fd[KK_MAP_REVOKED], prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->fd[KK_MAP_REVOKED], &key, &rev))
			continue;
		err = fn(&key, &rev, ctx);
		if (err)
			return err;
	}
	return 0;
}

/* key matches ident key k: same serial, and same issuer unless key's issuer is zero (any). */
bool kk_ident_key_matches(const struct kk_ident_key *key, const struct kk_ident_key *k)
{
	static const uint8_t zero[8];

	if (key->serial_len != k->serial_len || memcmp(key->serial, k->serial, k->serial_len))
		return false;
	return !memcmp(key->issuer, zero, 8) || !memcmp(key->issuer, k->issuer, 8);
}

/*
 * The identity-slot lock: flock on the maps' pin directory, another file than the maps lock
 * (kk_maps_lock_e), held only for the few bpf() calls of one read-modify-write. A bpf() map
 * update writes a whole value, so two writers that each read a slot, change their field and
 * write it back would lose one change — a revocation's state, or a bind's reference — and a
 * writer that read a slot before it was freed and reused would write the old identity over the
 * new one. Every userspace writer of kk_idents takes this lock (maps_bind.c, this file), so
 * `revoke` can flip states before it takes the maps lock, which a bind holds for long. The
 * kernel writes .state only, and only to REVOKED (the tripwire), in place.
 */
int kk_maps_idents_lock(void)
{
	int fd = open(PIN_MAPS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void kk_maps_idents_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int kk_maps_idents_read(struct kk_maps *m, struct kk_ident *ids)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t keys[KK_MAX_IDENTS], out, n = KK_MAX_IDENTS, i;

	/* One bpf() for the whole array; reaching its end is ENOENT, with every slot read. */
	if (!bpf_map_lookup_batch(m->fd[KK_MAP_IDENTS], NULL, &out, keys, ids, &n, &opts) ||
	    errno == ENOENT)
		if (n == KK_MAX_IDENTS)
			return 0;
	/* No batch operations (a kernel before 5.6), or a short batch: slot by slot. */
	for (i = 0; i < KK_MAX_IDENTS; i++)
		if (bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &i, &ids[i]))
			return -errno;
	return 0;
}

int kk_maps_idents_copy(struct kk_maps *m, struct kk_ident *ids)
{
	return kk_maps_idents_read(m, ids);
}

/*
 * Set REVOKED on every slot in use of ids that key names. With reread, ids is an older copy
 * (the daemon's): each such slot is read again, and written only if it still holds key. The
 * caller holds the identity-slot lock.
 */
static int flip_slots(struct kk_maps *m, const struct kk_ident_key *key, const struct kk_ident *ids,
		      bool reread, bool *flipped, int *n)
{
	struct kk_ident id;
	uint32_t slot;

	for (slot = 0; slot < KK_MAX_IDENTS; slot++) {
		if (!ids[slot].refs || !kk_ident_key_matches(key, &ids[slot].key))
			continue;
		id = ids[slot];
		if (reread && (bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &slot, &id) || !id.refs ||
			       !kk_ident_key_matches(key, &id.key)))
			continue; /* freed or reused since: the full read finds what is there now */
		if (!flipped[slot])
			++*n;
		flipped[slot] = true;
		if (id.state == KK_STATE_REVOKED)
			continue; /* idempotent: an earlier flip, another revoke, the tripwire */
		id.state = KK_STATE_REVOKED;
		if (bpf_map_update_elem(m->fd[KK_MAP_IDENTS], &slot, &id, BPF_ANY))
			return -errno;
	}
	return 0;
}

int kk_maps_revoke_flip(struct kk_maps *m, const struct kk_ident_key *key,
			const struct kk_revocation *rev, const struct kk_ident *known,
			bool *flipped, int *n)
{
	struct kk_ident *ids = known ? NULL : malloc(KK_MAX_IDENTS * sizeof(*ids));
	int lock, err, lerr;

	*n = 0;
	if (!known && !ids)
		return -ENOMEM;
	/*
	 * The list first: a bind checks it under the maps lock before it takes an identity slot,
	 * so a bind that misses this entry took its slot before or during the flip below, and the
	 * caller's second flip under the maps lock finds it. A full list (-ENOSPC) still flips:
	 * the bound agents stop now, and the caller reports the error.
	 */
	lerr = kk_maps_revoked_put(m, key, rev);
	lock = kk_maps_idents_lock();
	if (lock < 0) {
		free(ids);
		return lock;
	}
	err = known ? 0 : kk_maps_idents_read(m, ids);
	err = err ?: flip_slots(m, key, known ?: ids, known, flipped, n);
	kk_maps_idents_unlock(lock);
	free(ids);
	return err ?: lerr;
}

int kk_maps_ident_set_state(struct kk_maps *m, uint32_t slot, uint32_t state)
{
	struct kk_ident id;
	int lock, err = 0;

	lock = kk_maps_idents_lock();
	if (lock < 0)
		return lock;
	/* Only .state changes; one map update, seen by every binding using the slot. */
	if (bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &slot, &id))
		err = -errno;
	id.state = state;
	if (!err && bpf_map_update_elem(m->fd[KK_MAP_IDENTS], &slot, &id, BPF_ANY))
		err = -errno;
	kk_maps_idents_unlock(lock);
	return err;
}
