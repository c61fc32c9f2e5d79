// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_ocsp — the daemon's OCSP poller, on a thread of its own so that a slow responder never
 * holds up the event ring. For every binding whose policy has revocation_check.enabled it asks
 * the responder (the daemon's ocsp_url, else the certificate's AIA URL) every
 * cache_ttl_seconds:
 *   good      the identity is active (a blocked one is unblocked: agent.warning says so);
 *   revoked   revoked, like `revoke` (source ocsp);
 *   no valid answer (unreachable, bad signature, stale, unknown) for longer than the TTL
 *             since the last good one (or the bind): with fail_open false the identity is
 *             blocked — every scoped action denied, agent.blocked — until a good answer; with
 *             fail_open true it stays allowed and agent.warning is emitted once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "events.h"
#include "error.h"
#include "log.h"
#include "maps.h"
#include "revocation.h"
#include "revoke.h"
#include "state.h"
#include "daemon_watch.h"

struct ocsp_state {
	uint32_t gen;
	time_t next, last_good;
	bool blocked, warned;
};

/*
 * The last answer about an identity (slot of kk_idents, which all bindings of one certificate
 * share): a binding due within its TTL of it takes that answer instead of asking again, so a
 * certificate bound N times costs one query per TTL, not N.
 */
struct ocsp_answer {
	struct kk_ident_key key; /* whose answer: the slot may hold another identity since */
	time_t at;		 /* 0: none */
	bool valid;
	struct kk_ocsp_result res;
	char why[512];
};

struct kk_ocsp_poller {
	const struct kk_daemon_cfg *cfg;
	struct kk_maps m;
	pthread_t thread;
	volatile bool stop;
	struct ocsp_state st[KK_MAX_BINDINGS];
	struct ocsp_answer ans[KK_MAX_IDENTS];
};

/* An agent.blocked / agent.warning event about binding slot. */
static void agent_event(struct kk_maps *m, uint32_t type, uint32_t slot,
			const struct kk_binding *b, const char *serial, const char *reason)
{
	struct kk_event ev;

	if (!kk_event_agent(&ev, type, slot, b->gen, b->pid, b->agent_id, serial,
			    b->policy_version, reason))
		kk_maps_emit(&ev);
}

/* Set identity state from what the responder said (under the maps lock). */
static void apply(struct kk_ocsp_poller *p, uint32_t slot, const struct kk_binding *b,
		  const struct kk_ident *id, const struct kk_ocsp_result *res, bool valid,
		  const struct kk_binding_meta *meta, const char *why)
{
	struct ocsp_state *s = &p->st[slot];
	time_t now = time(NULL);
	char msg[300];

	if (valid && res->status == KK_OCSP_REVOKED) {
		struct kk_revoke_req r = { .key = id->key, .source = KK_REV_OCSP,
					   .reason = "ocsp: revoked" };
		struct kk_error e;
		int bindings, tasks;

		snprintf(r.serial, sizeof(r.serial), "%s", id->serial);
		if (!kk_revoke(&p->m, &r, &bindings, &tasks, &e))
			kk_info("kakunin-bpf: daemon: OCSP says serial %s is revoked: %d "
				"binding%s, %d task%s stopped", id->serial, bindings,
				bindings == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s");
		else
			kk_error_print("daemon", &e, false);
		return;
	}
	if (valid && res->status == KK_OCSP_GOOD) {
		__atomic_store_n(&s->last_good, now, __ATOMIC_RELAXED); /* read by the metrics */
		s->warned = false;
		if (s->blocked && id->state == KK_STATE_BLOCKED &&
		    !kk_maps_ident_set_state(&p->m, b->ident, KK_STATE_ACTIVE))
			agent_event(&p->m, KK_EV_AGENT_WARNING, slot, b, id->serial,
				    "ocsp: good answer again, unblocked");
		s->blocked = false;
		return;
	}
	if (now - s->last_good <= (time_t)meta->ttl_s)
		return; /* the last good answer still holds */
	snprintf(msg, sizeof(msg), "ocsp: no valid answer for %lds (%s)",
		 (long)(now - s->last_good), valid ? "status unknown" : why);
	if (!meta->fail_open && !s->blocked && id->state == KK_STATE_ACTIVE &&
	    !kk_maps_ident_set_state(&p->m, b->ident, KK_STATE_BLOCKED)) {
		s->blocked = true;
		agent_event(&p->m, KK_EV_AGENT_BLOCKED, slot, b, id->serial, msg);
	} else if (meta->fail_open && !s->warned) {
		s->warned = true;
		strncat(msg, "; fail_open: still allowed", sizeof(msg) - strlen(msg) - 1);
		agent_event(&p->m, KK_EV_AGENT_WARNING, slot, b, id->serial, msg);
	}
}

/* The answer about r's identity: the last one if younger than ttl_s, else a new query. */
static struct ocsp_answer *ask(struct kk_ocsp_poller *p, const struct kk_binding_rec *r,
			       const struct kk_binding_meta *meta, time_t now)
{
	struct ocsp_answer *a = &p->ans[r->binding.ident];

	if (a->at && !memcmp(&a->key, &r->ident.key, sizeof(a->key)) &&
	    now - a->at < (time_t)(meta->ttl_s ? meta->ttl_s : 300))
		return a;
	memset(a, 0, sizeof(*a));
	a->key = r->ident.key;
	a->at = now;
	/* The copies made at bind (state.h): the user's certificate file may be gone by now. */
	a->valid = kk_ocsp_query(meta->cert, meta->ca[0] ? meta->ca : NULL,
				 p->cfg->ocsp_url[0] ? p->cfg->ocsp_url : NULL,
				 p->cfg->ocsp_timeout_ms, now, &a->res, a->why,
				 sizeof(a->why)) == 0;
	if (!a->valid)
		kk_err("daemon", "ocsp for binding %u (%s): %s", r->slot, r->binding.agent_id,
		       a->why);
	return a;
}

static void poll_binding(struct kk_ocsp_poller *p, const struct kk_binding_rec *r)
{
	const struct kk_binding *b = &r->binding;
	uint32_t slot = r->slot, ident = b->ident;
	struct ocsp_state *s = &p->st[slot];
	struct kk_binding_meta meta;
	struct ocsp_answer *a;
	struct kk_binding_rec cur;
	time_t now = time(NULL);
	struct kk_error e;

	if (ident >= KK_MAX_IDENTS || !r->ident_ok || kk_meta_load(slot, &meta) ||
	    meta.gen != b->gen || !meta.ocsp)
		return;
	if (s->gen != b->gen) { /* a new binding: the bind is its last known-good moment */
		memset(s, 0, sizeof(*s));
		__atomic_store_n(&s->last_good, (time_t)b->bound_at, __ATOMIC_RELAXED);
		__atomic_store_n(&s->gen, b->gen, __ATOMIC_RELEASE);
	}
	if (now < s->next)
		return;
	s->next = now + (meta.ttl_s ? meta.ttl_s : 300);
	a = ask(p, r, &meta, now);
	if (kk_maps_lock_e(&p->m, &e)) {
		kk_error_print("daemon", &e, false);
		return;
	}
	/*
	 * Re-read under the lock: the binding may have ended or changed meanwhile — or been
	 * rotated to another certificate, which the answer about the old one does not concern.
	 */
	if (!kk_maps_binding_get(&p->m, slot, &cur) && cur.binding.gen == s->gen &&
	    cur.binding.ident == ident && cur.ident_ok)
		apply(p, slot, &cur.binding, &cur.ident, &a->res, a->valid, &meta, a->why);
	kk_maps_unlock(&p->m);
}

/* Poll binding r if it is due; 1 (end the walk) when the poller is stopping. */
static int poll_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct kk_ocsp_poller *p = ctx;

	(void)m;
	if (p->stop)
		return 1;
	poll_binding(p, r);
	return 0;
}

static void *poller(void *arg)
{
	struct kk_ocsp_poller *p = arg;

	/* A slot that cannot be read is polled at a later round, when it can. */
	while (!p->stop) {
		kk_maps_each_binding(&p->m, poll_one, p);
		sleep(1);
	}
	return NULL;
}

struct kk_ocsp_poller *kk_ocsp_poller_start(const struct kk_daemon_cfg *cfg)
{
	static struct kk_ocsp_poller p;
	struct kk_error e;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	if (kk_maps_open_e(&p.m, &e)) {
		kk_error_print("daemon", &e, false);
		return NULL;
	}
	if (pthread_create(&p.thread, NULL, poller, &p)) {
		kk_err("daemon", "cannot start the OCSP poller: %s", strerror(errno));
		kk_maps_close(&p.m);
		return NULL;
	}
	return &p;
}

/*
 * Read while the poller thread writes: gen and last_good are each loaded atomically; an age
 * read just as a slot changes binding is about the old one for one scrape at most.
 */
void kk_ocsp_poller_ages(struct kk_ocsp_poller *p, int64_t age[], uint32_t gen[])
{
	time_t now = time(NULL);
	uint32_t i;

	for (i = 0; i < KK_MAX_BINDINGS; i++) {
		gen[i] = p ? __atomic_load_n(&p->st[i].gen, __ATOMIC_ACQUIRE) : 0;
		age[i] = gen[i] ? now - __atomic_load_n(&p->st[i].last_good, __ATOMIC_RELAXED) : -1;
	}
}

void kk_ocsp_poller_stop(struct kk_ocsp_poller *p)
{
	if (!p)
		return;
	p->stop = true;
	pthread_join(p->thread, NULL);
	kk_maps_close(&p->m);
}
