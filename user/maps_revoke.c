// SPDX-License-Identifier: GPL-2.0-only
/* maps_revoke — the revocation list and identity states (see maps.h). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "maps.h"

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

int kk_maps_ident_set_state(struct kk_maps *m, uint32_t slot, uint32_t state)
{
	struct kk_ident id;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_IDENTS], &slot, &id))
		return -errno;
	/* Only .state changes; one map update, seen by every binding using the slot. */
	id.state = state;
	return bpf_map_update_elem(m->fd[KK_MAP_IDENTS], &slot, &id, BPF_ANY) ? -errno : 0;
}
