/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps — the only module that loads programs and writes BPF maps. `load` goes through the
 * libbpf skeleton and pins programs, links and maps under KK_PIN_ROOT; every later command
 * reopens the pinned maps, so enforcement and state outlive the loader process.
 */
#ifndef KK_MAPS_H
#define KK_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "kakunin.h"
#include "ruleset.h"

/* One pinned link per attached program, named after the program. */
#define KK_PIN_LINKS KK_PIN_ROOT "/links"

/* The pinned maps, in the order of the names table in maps.c. */
enum kk_map_id {
	KK_MAP_TASK,
	KK_MAP_BINDINGS,
	KK_MAP_IDENTS,
	KK_MAP_POLICIES,
	KK_MAP_RUNTIME,
	KK_MAP_PATHS,
	KK_MAP_NET_ALLOW,
	KK_MAP_NET_DENY,
	KK_MAP_NET_LISTEN,
	KK_MAP_EXEC,
	KK_MAP_CONNS,
	KK_MAP_CONFIG,
	KK_MAP_EVENTS,
	KK_MAP_STATS,
	KK_MAP_COUNTS,
	KK_MAP_PENDING,
	KK_MAP_CGROUPS,
	KK_MAP_BINDREQ,
	KK_MAP_LIVE,
	KK_MAP_REVOKED,
	KK_MAP_PEERS,
	KK_MAP_PCACHE_CTL,
	KK_MAP_COUNT,
};

struct kk_maps {
	int fd[KK_MAP_COUNT];
	int lock_fd; /* held while changing bindings, so concurrent commands do not interleave */
};

/*
 * Load, attach and pin everything. *already is set when a complete earlier load is still
 * pinned (then nothing changes). Maps that are already pinned are reused, so bindings survive
 * a reload. ringbuf_size (bytes, a power of two of at least a page; 0 = KK_RINGBUF_SIZE) sizes
 * a new event ring. On failure nothing new stays pinned. -errno and e (the caller prints it).
 */
struct kk_error;
int kk_maps_load(uint32_t ringbuf_size, bool *already, struct kk_error *e);

/* What `load --upgrade` did to one program, named as its pins are. */
enum kk_prog_change {
	KK_PROG_REPLACED, /* attached before and after: this build's program runs instead */
	KK_PROG_ADDED,	  /* only this build has it: attached */
	KK_PROG_REMOVED,  /* only the old build had it: detached */
};

struct kk_maps_upgrade {
	int n; /* entries of prog[] */
	struct {
		char name[KK_PROG_NAME_SIZE];
		enum kk_prog_change change;
	} prog[KK_MAX_PROGRAMS];
	uint64_t overlap_us; /* from the first new link attached to the last old one let go */
};

/*
 * Replace the attached programs (the link pins) with this build's, keeping every pinned map, so
 * bindings, identities and revocations stay in force. Make before break: all new programs are
 * attached before any old link is let go (see maps_upgrade.c). Refused (-EPROTO and e, nothing
 * changed) when a pinned map's layout differs from this build's; on any failure every old link
 * is back in place. ringbuf_size 0 keeps the pinned event ring; another size is refused. The
 * caller checked that kakunin-bpf is loaded with this build's ABI stamp.
 */
int kk_maps_upgrade(uint32_t ringbuf_size, struct kk_maps_upgrade *u, struct kk_error *e);

/*
 * Remove every pin (detaching the programs). *was_loaded tells whether there was anything.
 * -errno and e: the last pin that could not be removed (the others are still removed).
 */
int kk_maps_unload(bool *was_loaded, struct kk_error *e);

/*
 * Open the pinned maps; -ENOENT when kakunin-bpf is not loaded, -EPROTO (e says: unload
 * --force, then load) when another build with another ABI stamp (abi.h) pinned them. Fills e;
 * the caller prints it under its own name.
 */
int kk_maps_open_e(struct kk_maps *m, struct kk_error *e);
/*
 * The same for the maps of mask only (KK_MAP_BIT(id) | ...; kk_config, whose stamp is checked,
 * always): a command that needs few maps does not pay a bpf(BPF_OBJ_GET) for each of the others,
 * whose fds stay -1 (a use of one fails with -EBADF, it never reads another map).
 */
#define KK_MAP_BIT(id) (1u << (id))
#define KK_MAPS_ALL    ((1u << KK_MAP_COUNT) - 1)
_Static_assert(KK_MAP_COUNT <= 32, "a map mask is 32 bits");
int kk_maps_open_some(struct kk_maps *m, uint32_t mask, struct kk_error *e);
/* Compare the pinned maps' ABI stamp with this build's: 0, or -errno with one line in why[]. */
int kk_maps_pinned_stamp(char *why, size_t wlen);
void kk_maps_close(struct kk_maps *m);
/* Take the exclusive lock for changing bindings (released by kk_maps_close). */
int kk_maps_lock_e(struct kk_maps *m, struct kk_error *e);
void kk_maps_unlock(struct kk_maps *m);

/* Sum the per-CPU counters of kk_stats. */
int kk_maps_read_stats(struct kk_maps *m, __u64 out[KK_STAT_MAX]);

/* Set how file_open uses its path decision cache (enum kk_pcache_mode; maps_bind.c). */
int kk_maps_pcache_mode(struct kk_maps *m, uint32_t mode);

/* Tell the kernel how to read UTC from its TAI clock (allowed_hours). */
int kk_maps_sync_clock(struct kk_maps *m);

/* --- bindings (maps_bind.c); the caller holds the lock --- */

/*
 * Install a compiled policy in a policy slot, or share the slot of an identical one (same
 * hash); refs counts the bindings using it. Nothing is left behind on failure.
 */
int kk_maps_policy_get(struct kk_maps *m, const struct kk_ruleset *rs,
		       const uint8_t hash[KK_POLICY_HASH_LEN], uint32_t *slot);
/*
 * Replace the allow/deny network entries of policy slot by those of rs (DNS refresh); the
 * listen entries hold no names, so they stay as installed.
 */
int kk_maps_policy_net_refresh(struct kk_maps *m, uint32_t slot, const struct kk_ruleset *rs);
/* Drop one reference; the last one removes the policy's rules and frees the slot. */
int kk_maps_policy_put(struct kk_maps *m, uint32_t slot);

/* The identity slot for key (shared by its bindings), created ACTIVE if new. */
int kk_maps_ident_get(struct kk_maps *m, const struct kk_ident_key *key, const char *serial,
		      uint32_t *slot);
int kk_maps_ident_put(struct kk_maps *m, uint32_t slot);
int kk_maps_ident_state(struct kk_maps *m, uint32_t slot, uint32_t *state);
int kk_maps_binding_read(struct kk_maps *m, uint32_t slot, struct kk_binding *b);

/*
 * A binding slot as userspace uses it: the binding and its identity, their text fields
 * (agent_id, policy_version, serial) NUL-terminated here, so no caller has to. ident_ok is
 * false when the identity slot could not be read; ident is then all zero (empty serial).
 */
struct kk_binding_rec {
	uint32_t slot;
	struct kk_binding binding;
	struct kk_ident ident;
	bool ident_ok;
};

/* Binding slot with its identity: 0, -ENOENT when the slot is free, -errno when unreadable. */
int kk_maps_binding_get(struct kk_maps *m, uint32_t slot, struct kk_binding_rec *r);
/*
 * fn for every in-use binding slot, in slot order, each read when it is reached (fn may end or
 * change bindings as it goes). Stops at the first nonzero fn return and returns it. A slot that
 * cannot be read is skipped and the walk goes on: the first such -errno is returned at the end,
 * so each caller chooses what an unknown slot means for it (see the callers).
 */
typedef int (*kk_binding_fn)(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx);
int kk_maps_each_binding(struct kk_maps *m, kk_binding_fn fn, void *ctx);
/* Overwrite a live binding entry (same gen: its tasks keep it), e.g. to change its identity. */
int kk_maps_binding_set(struct kk_maps *m, uint32_t slot, const struct kk_binding *b);
int kk_maps_ident_read(struct kk_maps *m, uint32_t slot, struct kk_ident *id);
int kk_maps_policy_read(struct kk_maps *m, uint32_t slot, struct kk_policy_slot *p);
/* Per-hook [allowed, denied] counters of a binding slot. */
int kk_maps_counts(struct kk_maps *m, uint32_t slot, uint64_t out[KK_HOOK_SLOTS][2]);
/*
 * Put an event the loader made (agent.bound, agent.unbound, ...) into the kernel's event ring,
 * behind the decisions already there.
 */
int kk_maps_emit(const struct kk_event *ev);
/* Number of attached programs (pinned links). */
int kk_maps_program_count(void);
/*
 * Fill of the event ring (maps_ring.c): bytes the kernel has reserved that no consumer has
 * taken yet (producer minus consumer position), and the ring's size. Read-only mapping of its
 * position pages: consumes nothing. 0 or -errno.
 */
int kk_maps_ring_fill(struct kk_maps *m, uint64_t *used, uint64_t *size);

/* A free binding slot filled from *b (gen and in_use set here); *slot, *gen out. */
int kk_maps_binding_add(struct kk_maps *m, const struct kk_binding *b, uint32_t *slot,
			uint32_t *gen);
/* End a binding: its tasks are unbound at their next hook, the slot is reusable. */
int kk_maps_binding_del(struct kk_maps *m, uint32_t slot);

/* --- task marks (maps_mark.c); the caller holds the lock --- */

/*
 * Mark every thread of process tgid (with tree, every task below it too) as bound to (slot,
 * gen), with no window in which a fork escapes: while marking, forks of the process's unmarked
 * threads inherit the binding too (kk_pending). *marked counts the tasks marked; *too_deep the
 * unbound processes more than KK_TREE_DEPTH generations below tgid, left unmarked (last pass).
 */
int kk_maps_mark_process(struct kk_maps *m, uint32_t tgid, bool tree, uint32_t slot,
			 uint32_t gen, uint32_t *marked, uint32_t *too_deep);
/* Tasks alive under binding slot (of generation gen). */
int kk_maps_live_tasks(struct kk_maps *m, uint32_t slot, uint32_t gen, int32_t *tasks);
/* Bind every task of the cgroup (id at level), present and future, to (slot, gen). */
int kk_maps_cgroup_add(struct kk_maps *m, uint64_t cgid, uint32_t slot, uint32_t gen);
int kk_maps_cgroup_del(struct kk_maps *m, uint64_t cgid);
/* Recompute kk_config.cgroup_levels from the cgroup bindings. */
int kk_maps_cgroup_levels(struct kk_maps *m);
/* The live binding of the task behind pidfd: 0 and *slot, or -ENOENT. */
int kk_maps_task_binding(struct kk_maps *m, int pidfd, uint32_t *slot);
/*
 * fn for every process (thread-group leader in /proc) that carries a live mark, with a pidfd
 * valid during the call and its binding slot; stops at the first nonzero fn return, which it
 * returns. -errno when /proc cannot be read.
 */
typedef int (*kk_bound_fn)(struct kk_maps *m, int pid, int pidfd, uint32_t slot, void *ctx);
int kk_maps_for_each_bound(struct kk_maps *m, kk_bound_fn fn, void *ctx);

/* --- caller attestation (maps_peer.c) --- */

/*
 * The binding recorded on accepted socket sock_fd by the kernel when its peer connected — a unix
 * stream or seqpacket socket, or a TCP socket whose caller connected from this host (loopback,
 * IPv4-mapped loopback or the host's own address; bpf/attest.bpf.c): 0 and *out filled;
 * -ENOENT: the caller was not bound when it connected (or its connect was not allowed in full,
 * or the socket came from socketpair(), or is not one a listener accepted, or the TCP caller
 * was elsewhere or its handshake's entry was lost: fail closed); -ESTALE: its binding has ended since (slot free or gen moved on);
 * other -errno from bpf(2) (-EBADF, -ENOTSOCK). The binding's identity and state: read
 * kk_maps_binding_get(m, out->binding, ...) after this, and check its gen again.
 */
int kk_maps_peer(struct kk_maps *m, int sock_fd, struct kk_peer *out);

/* --- revocation (maps_revoke.c) --- */

int kk_maps_revoked_put(struct kk_maps *m, const struct kk_ident_key *key,
			const struct kk_revocation *rev);
/* 0 and *rev when key is revoked (for its issuer or for any issuer), else -ENOENT. */
int kk_maps_revoked_get(struct kk_maps *m, const struct kk_ident_key *key,
			struct kk_revocation *rev);
/* Call fn for every entry of the revocation list; stops at the first non-zero return. */
int kk_maps_revoked_each(struct kk_maps *m,
			 int (*fn)(const struct kk_ident_key *, const struct kk_revocation *, void *),
			 void *ctx);
/* Does revocation key (zero issuer: any issuer) name identity k? */
bool kk_ident_key_matches(const struct kk_ident_key *key, const struct kk_ident_key *k);
/*
 * Revoke key in the maps at once, without the maps lock: its entry in the revocation list, then
 * every identity slot in use that it names set to REVOKED (one batch lookup, one update per
 * identity not yet revoked). flipped[slot] is set for each slot it names (KK_MAX_IDENTS entries,
 * left as they were for the others), *n counts them. Idempotent: run it again under the maps
 * lock to catch a slot a racing bind took meanwhile. -ENOSPC when the list is full (the slots
 * are flipped all the same), other -errno.
 * known: instead of the batch lookup, an earlier copy of kk_idents (a long-running caller's,
 * kk_maps_idents_copy): only the slots it says hold key are read again, and flipped if they
 * still do — a few bpf() calls instead of reading the table; what the copy misses (a slot taken
 * since) the caller must flip by a call without known.
 */
int kk_maps_revoke_flip(struct kk_maps *m, const struct kk_ident_key *key,
			const struct kk_revocation *rev, const struct kk_ident *known,
			bool *flipped, int *n);
/* A copy of all KK_MAX_IDENTS identity slots into ids (one batch lookup). 0 or -errno. */
int kk_maps_idents_copy(struct kk_maps *m, struct kk_ident *ids);
/* Set the state of an identity slot: the one write that revokes or blocks all its bindings. */
int kk_maps_ident_set_state(struct kk_maps *m, uint32_t slot, uint32_t state);

#endif
