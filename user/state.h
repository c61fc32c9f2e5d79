/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * state — what the daemon needs to know about bindings and timers beyond the kernel's maps,
 * kept as small JSON files in the state directory (KAKUNIN_STATE_DIR, /var/lib/kakunin):
 *   bindings/<slot>.json  the certificate, CA bundle and policy file of a binding, and its
 *                         revocation_check settings (for OCSP polling and DNS refresh);
 *   timers.json           rotations whose old certificate is revoked when the grace ends.
 * Written atomically (temporary file, fsync, rename); a missing file means nothing to do.
 */
#ifndef KK_STATE_H
#define KK_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "kakunin.h"

/*
 * The state directory: these files, and revoke's revocations.json. KAKUNIN_STATE_DIR overrides
 * it (tests); kk_state_dir() says which applies.
 */
#define KK_STATE_DIR "/var/lib/kakunin"
const char *kk_state_dir(void);

struct kk_binding_meta {
	uint32_t slot, gen;
	char cert[PATH_MAX], ca[PATH_MAX], policy[PATH_MAX];
	bool offline;
	bool ocsp;		/* revocation_check.enabled */
	uint32_t ttl_s;		/* revocation_check.cache_ttl_seconds */
	bool fail_open;
	char policy_hash[65];
};

int kk_meta_save(const struct kk_binding_meta *b);
/* 0 and *b, -ENOENT when the slot has none. */
int kk_meta_load(uint32_t slot, struct kk_binding_meta *b);
void kk_meta_remove(uint32_t slot);

struct kk_timer {
	struct kk_ident_key key; /* the old certificate */
	char serial[KK_SERIAL_TEXT_SIZE];
	int64_t due;		 /* Unix seconds */
};

/* Add one rotation timer. */
int kk_timer_add(const struct kk_timer *t);
/* Remove and return (in *out, caller frees) the timers due at now. */
int kk_timers_take_due(int64_t now, struct kk_timer **out, size_t *n);

#endif
