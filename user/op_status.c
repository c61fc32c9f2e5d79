// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_status — the model `status` shows: what is loaded, the manifest's coverage of this kernel,
 * every binding with its agent, identity, state, policy, processes and per-hook counters, the
 * revocation list and the global counters (lost events, fail-closed decisions).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "bind.h"
#include "expiry.h"
#include "maps.h"
#include "op.h"
#include "revoke.h"
#include "state.h"

/*
 * The one write of status. A binding whose processes have all exited (or whose cgroup was
 * removed) enforces nothing any more, yet holds its slot, its identity and its policy until
 * someone ends it; nothing in the kernel tells userspace when the last task goes. The commands
 * that look at the table end such bindings first (bind, so that a slot is free; the daemon on
 * its timer; status, so that it never lists a dead agent as bound), each emitting
 * agent.unbound "exited" or "cgroup removed". Done under the maps lock; when the lock cannot
 * be had, status still reads (a stale row beats no answer).
 */
static void reap_ended(struct kk_maps *m, struct kk_error *e)
{
	if (!kk_maps_lock_e(m, e))
		kk_reap_bindings(m);
}

static int add_pid(struct kk_maps *m, int pid, int pidfd, uint32_t slot, void *ctx)
{
	struct kk_status *s = ctx;
	struct kk_status_binding *b;
	size_t i;
	int *p;

	for (i = 0; i < s->n && s->bindings[i].slot != slot; i++)
		;
	if (i == s->n)
		return 0; /* bound after the table was read */
	b = &s->bindings[i];
	p = realloc(b->pids, (b->n_pids + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	b->pids = p;
	b->pids[b->n_pids++] = pid;
	return 0;
}

/* One binding's row: its identity, its policy and its counters. */
/* (An identity that cannot be read shows as an empty serial, state 0.) */
static int read_binding(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct kk_status *s = ctx;
	struct kk_status_binding *b = &s->bindings[s->n++];
	struct kk_policy_slot pol = { 0 };
	char why[700];

	b->slot = r->slot;
	b->b = r->binding;
	b->counts = calloc(KK_HOOK_SLOTS, sizeof(*b->counts));
	if (!b->counts)
		return 1; /* out of memory: ends the walk */
	kk_maps_policy_read(m, r->binding.policy, &pol);
	kk_maps_counts(m, r->slot, b->counts);
	memcpy(b->serial, r->ident.serial, sizeof(b->serial));
	b->state = r->ident.state;
	b->audit = pol.consts.flags & KK_POL_AUDIT_MODE;
	memcpy(b->policy_hash, pol.hash, sizeof(b->policy_hash));
	/* The copy the daemon watches (expiry.h); none: unknown, shown as such. */
	if (!r->ident_ok || kk_binding_not_after(r->slot, r->binding.gen, &r->ident.key,
						 &b->not_after, why, sizeof(why)))
		b->not_after = 0;
	return 0;
}

static int read_bindings(struct kk_maps *m, struct kk_status *s, bool pids)
{
	int err;

	/* One row per slot at most: KK_MAX_BINDINGS rows, as many as the table has slots. */
	s->bindings = calloc(KK_MAX_BINDINGS, sizeof(*s->bindings));
	if (!s->bindings)
		return -ENOMEM;
	/* A slot that cannot be read is left out of the report, as a free one. */
	if (kk_maps_each_binding(m, read_binding, s) > 0)
		return -ENOMEM;
	if (!pids)
		return 0;
	/* A process of a binding is found by its live mark, in one walk of /proc. */
	err = kk_maps_for_each_bound(m, add_pid, s);
	return err == -ENOMEM ? err : 0;
}

/*
 * Nothing pinned: a result with its reason. Pins of another build's ABI stay an error (EPROTO,
 * the line that names the fix): something is loaded, and this build cannot read it.
 */
static int not_loaded(int err, struct kk_status *s, const struct kk_error *e)
{
	if (err != -ENOENT)
		return err;
	s->loaded = false;
	snprintf(s->reason, sizeof(s->reason), "nothing pinned at %s: run 'kakunin-bpf load'",
		 e->what);
	return 0;
}

/* What the daemon saved of the records it consumed: none when it never ran here. */
static void records_read(struct kk_status *s)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", kk_state_dir(), KK_RECORDS_FILE);
	s->has_records = !kk_records_load(path, &s->records);
}

int kk_op_status(const struct kk_status_req *r, struct kk_status *s, struct kk_error *e)
{
	struct kk_maps m;
	int err;

	memset(s, 0, sizeof(*s));
	err = kk_op_open(&m, false, e);
	if (err)
		return not_loaded(err, s, e);
	s->loaded = true;
	err = r->counters_only ? 0 : kk_hooks_running(KK_PIN_LINKS, &s->cov, e);
	if (err)
		goto out;
	if (r->reap)
		reap_ended(&m, e);
	s->programs = kk_maps_program_count();
	err = read_bindings(&m, s, !r->counters_only);
	if (!err && !r->counters_only) {
		s->revocations = kk_revocations_json(&m);
		err = s->revocations ? 0 : -ENOMEM;
	}
	if (!err) {
		kk_maps_read_stats(&m, s->stats);
		/* A ring that cannot be mapped shows as size 0: the rest is still worth having. */
		kk_maps_ring_fill(&m, &s->ring_used, &s->ring_size);
		records_read(s);
	}
	if (err)
		kk_error_set(e, err, NULL, "out of memory");
out:
	kk_maps_close(&m);
	if (err)
		kk_status_free(s);
	return err;
}

void kk_status_free(struct kk_status *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->bindings[i].pids);
		free(s->bindings[i].counts);
	}
	free(s->bindings);
	cJSON_Delete(s->revocations);
	kk_hooks_cov_free(&s->cov);
	memset(s, 0, sizeof(*s));
}
