/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * revoke — making a certificate stop being trusted: the revocation list (kk_revoked, and its
 * copy revocations.json in the state directory of state.h, so it survives reboots), the
 * identity slots flipped to REVOKED, agent.revoked events, and stopping (or killing) the bound
 * tasks.
 */
#ifndef KK_REVOKE_H
#define KK_REVOKE_H

#include <stdbool.h>
#include <stdint.h>

#include "kakunin.h"

struct kk_error;
struct kk_maps;

/*
 * What becomes of the tasks of a revoked identity's bindings, after the map write. Some channels
 * pass no LSM hook on 6.1 (vmsplice, tee, splice between pipes, POSIX message queue sends, stores
 * through shared mappings made before), so only a task that no longer runs moves nothing.
 */
enum kk_revoke_tasks {
	KK_REVOKE_STOP = 0, /* SIGSTOP every one of them: the default */
	KK_REVOKE_KEEP,	    /* --no-stop: they run on, refused every hooked call */
	KK_REVOKE_KILL,	    /* --kill: SIGKILL */
};

struct kk_revoke_req {
	struct kk_ident_key key; /* zero issuer: the serial under any issuer */
	char serial[KK_SERIAL_TEXT_SIZE]; /* canonical hex, for messages and events */
	const char *reason;
	uint32_t source;	    /* enum kk_rev_source */
	enum kk_revoke_tasks tasks; /* stop (default), keep running, or kill */
	int64_t at;		    /* revoked_at in the list (Unix seconds); 0: now */
};

/*
 * The map writes of a revocation, without the maps lock: r in the revocation list, then every
 * identity slot it names set to REVOKED (one write per identity, seen by all its bindings at
 * once). flipped[slot] set for each (an array of KK_MAX_IDENTS, cleared by the caller), *n
 * counts them. For the callers that want the kernel to refuse at once and may wait for the
 * maps lock afterwards; kk_revoke (under the lock) then does it again and the rest (revoke.c
 * argues why this order is safe). known: NULL, or an earlier copy of the identity slots
 * (kk_maps_revoke_flip), for a first flip of only the slots it names. -errno and e.
 */
struct kk_ident;
int kk_revoke_flip(struct kk_maps *m, const struct kk_revoke_req *r, const struct kk_ident *known,
		   bool *flipped, int *n, struct kk_error *e);

/*
 * Flip as kk_revoke_flip does (again, when the caller did before taking the lock), emit
 * agent.revoked for each binding, stop or kill their tasks as r->tasks says, and save the list
 * in the state file. *bindings and *tasks say how many bindings were revoked and processes
 * stopped or killed. The caller holds the maps lock.
 * -errno and e (the caller prints it); a warning about writable shared mappings (KEEP) and an
 * event that could not be sent are still printed here.
 */
int kk_revoke(struct kk_maps *m, const struct kk_revoke_req *r, int *bindings, int *tasks,
	      struct kk_error *e);

/*
 * Stop or kill (r->tasks; KEEP only warns of writable shared mappings) every process bound to a
 * binding of an identity slot i with idents[i] set, through pidfds, walking again until a walk
 * finds none new (a fork racing the first). *n counts the processes signalled. -errno.
 */
int kk_revoke_tasks(struct kk_maps *m, const bool *idents, const struct kk_revoke_req *r, int *n);

/*
 * RFC 5280 CRLReason codes run from 0 (unspecified) to 10 (aACompromise); 7 is unused. Only
 * user/revoke.c names them, which OpenSSL's CRL and OCSP parsers give as numbers.
 */
#define KK_CRL_REASON_COUNT 11
/* RFC 5280 CRLReason name ("keyCompromise"), "" for -1/unknown codes. */
const char *kk_crl_reason_name(int code);

/*
 * Refill the list from the state file (at load, after a reboot emptied the maps). -errno and e
 * when the file is unreadable or some entries could not be restored (the others are).
 */
int kk_revocations_restore(struct kk_maps *m, struct kk_error *e);

/* Record in the list identities the kernel revoked itself (tripwire) that it does not hold. */
int kk_revocations_sync(struct kk_maps *m);

/* The revocation list as a JSON array of {issuer, serial, revoked_at, source, reason}. */
struct cJSON *kk_revocations_json(struct kk_maps *m);

#endif
