/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bind — the steps of binding shared by `bind` and `run`: verify and compile everything first
 * (kk_bind_prepare, no kernel access), then write it in one locked, all-or-nothing step
 * (kk_bind_commit).
 */
#ifndef KK_BIND_H
#define KK_BIND_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "identity.h"
#include "policy.h"

struct kk_error;
struct kk_maps;

struct kk_bind_req {
	/* in */
	int pid;		/* or 0 with cgroup */
	bool tree;		/* also existing descendants of pid */
	const char *cgroup;	/* bind a cgroup v2 instead of a process */
	uint64_t cgid;
	uint32_t cglevel;
	bool at_exec;		/* with cgroup: its tasks are bound at their next exec (oci-hook) */
	const char *cert, *policy, *ca;
	const char *region;	/* --region; else KAKUNIN_REGION; else /etc/kakunin/host.json */
	bool offline;
	bool replace;		/* bind --replace: a new policy for the target's binding */
	char watch[PATH_MAX];	/* --watch: the policy file, absolute, for the daemon; "" */
	/* prepared */
	struct kk_identity id;
	struct kk_policy pol;
	struct kk_ruleset rs;
	bool have_id, have_pol, have_rs;
	struct kk_errors perrs; /* the policy's errors, with positions, when it failed */
	struct kk_errors pwarns; /* what compiled but deserves a line (a name not resolving yet) */
	/* committed */
	uint32_t slot, gen;
	char warning[PATH_MAX + 256]; /* bound, but the state record failed; "" */
};

/*
 * Verify the certificate, compile the policy, check they belong together. -errno and e; a
 * policy that failed also leaves every error of it in r->perrs (e names the first).
 */
int kk_bind_prepare(struct kk_bind_req *r, struct kk_error *e);
/*
 * Bind the process behind pidfd (r->pid, r->tree) or, with pidfd -1, the cgroup r->cgid.
 * -errno and e; nothing left behind on failure. An event that cannot be sent is still
 * reported here (never fatal).
 */
int kk_bind_commit(struct kk_bind_req *r, int pidfd, struct kk_error *e);
/* End process bindings none of whose tasks is alive any more (agent.unbound "exited"). */
void kk_reap_bindings(struct kk_maps *m);
/* Free what prepare made (the policy's error list too). */
void kk_bind_release(struct kk_bind_req *r);

/* End binding slot: its tasks are free at their next hook; emits agent.unbound. -errno. */
int kk_unbind_slot(struct kk_maps *m, uint32_t slot, const char *reason);

#endif
