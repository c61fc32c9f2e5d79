/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * state — what the daemon needs to know about bindings and timers beyond the kernel's maps,
 * kept in the state directory (KAKUNIN_STATE_DIR, /var/lib/kakunin; 0700, every file 0600):
 *   bindings/<slot>.json           the record of a binding: where its copies are, and its
 *                                  revocation_check settings (for OCSP polling and DNS refresh);
 *   bindings/<slot>-<gen>.policy.json  the canonical policy it was bound with;
 *   bindings/<slot>-<gen>.cert.pem     its certificate (as given: leaf, then any intermediates);
 *   bindings/<slot>-<gen>.ca.pem       the CA bundle it was verified against;
 *   bindings/<slot>-<gen>.who.json     who it is: agent_id, certificate serial, policy version;
 *   bindings/ended/<slot>-<gen>.json   the same, retained after the binding ended, so an event
 *                                  read late (the ring holds it until a consumer comes) still
 *                                  names its agent: kept KK_WHO_KEEP_S after the end, at most
 *                                  the KK_WHO_KEEP newest (mtime = when it ended);
 *   timers.json                    rotations whose old certificate is revoked when the grace ends.
 * The daemon works from the copies only: the user may edit, move or delete the files a binding
 * was made from. Copies are per binding (slot and generation), not shared by content, so ending a
 * binding removes exactly its own files and nothing needs reference counting; a new binding of a
 * slot never sees the files of the one before. Records of format 1 (before the copies) name the
 * user's files; they still load (meta.canonical false), so the daemon keeps serving bindings made
 * before an upgrade as it did then: refusing them would end their OCSP polling, silently.
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
	/* The copies; in a format 1 record, the user's files it was bound with. */
	char cert[PATH_MAX], ca[PATH_MAX], policy[PATH_MAX];
	bool canonical;		/* policy is a canonical copy (kk_policy_load_canonical) */
	bool offline;
	bool ocsp;		/* revocation_check.enabled */
	uint32_t ttl_s;		/* revocation_check.cache_ttl_seconds */
	bool fail_open;
	char policy_hash[KK_POLICY_HASH_HEX];
	/*
	 * bind --watch: the policy file the daemon follows (absolute, symlinks not resolved, so a
	 * ConfigMap's symlink swap is seen); "" when the binding follows no file.
	 */
	char watch[PATH_MAX];
};

/* The record of b->slot; written last, once its copies are in place. -errno */
int kk_meta_save(const struct kk_binding_meta *b);
/* 0 and *b, -ENOENT when the slot has none. */
int kk_meta_load(uint32_t slot, struct kk_binding_meta *b);
/*
 * Remove the record of slot and every copy of any generation of it; who each generation was
 * is retained (kk_who_retain).
 */
void kk_meta_remove(uint32_t slot);

/* Write the canonical policy text as b's policy copy; b->policy names it. -errno */
int kk_meta_copy_policy(struct kk_binding_meta *b, const char *canonical);
/*
 * Copy the certificate file cert and the CA bundle ca (NULL: KK_DEFAULT_CA) as b's copies; b->cert
 * and b->ca name them. The certificate copy must be the one verified, whose SHA-256 fingerprint
 * (lowercase hex) is given: a file replaced since is refused with -ESTALE and the copy it would
 * have replaced is kept. -errno, why[] names the file.
 */
int kk_meta_copy_cert(struct kk_binding_meta *b, const char *cert, const char *ca,
		      const char *fingerprint, char *why, size_t wlen);
/*
 * For rotate: binding slot now runs as the certificate cert (fingerprint as above), verified
 * against ca. Replaces its copies and updates its record (a format 1 record becomes one with
 * copies of the certificate; its policy stays the user's file). -ENOENT without a record.
 */
int kk_meta_rotate(uint32_t slot, const char *cert, const char *ca, const char *fingerprint,
		   char *why, size_t wlen);

/* Who binding (slot, gen) is, for events about it (struct kk_who's strings). */
struct kk_who_rec {
	char agent_id[KK_AGENT_ID_SIZE];
	char serial[KK_SERIAL_TEXT_SIZE];
	char policy_version[KK_POLICY_VERSION_SIZE];
};

/*
 * Retained records of ended bindings: a slot's generation only grows while the maps are
 * pinned, and a new load starts over, so an old record is replaced by the bind that reuses its
 * (slot, gen). The bounds keep the directory small (a record is ~200 bytes).
 */
#define KK_WHO_KEEP   1024
#define KK_WHO_KEEP_S (30 * 24 * 3600)

/* Write (or rewrite, at rotate and unbind) the record of a live binding. -errno */
int kk_who_save(uint32_t slot, uint32_t gen, const struct kk_who_rec *w);
/* The record of (slot, gen), live or retained: 0 and *w, or -ENOENT. */
int kk_who_load(uint32_t slot, uint32_t gen, struct kk_who_rec *w);
/*
 * For kk_meta_remove: move the live record name (in the bindings directory bindings_dfd) to
 * ended/, and prune ended/ to its bounds.
 */
void kk_who_retain(int bindings_dfd, const char *name);

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
