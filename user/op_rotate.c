// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_rotate — move every binding of certificate OLD to NEW, after the same checks as bind
 * (chain, validity, agent_id, pinned policy hash, not revoked, identity neither revoked nor
 * blocked). Each binding changes its identity in one write; its tasks keep running. OLD is
 * revoked at once, or when the grace period ends (the daemon keeps the timer in the state
 * directory, across restarts).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "hex.h"
#include "identity.h"
#include "maps.h"
#include "op.h"
#include "policy.h"
#include "revoke.h"
#include "state.h"

int kk_rotate_req_init(struct kk_rotate_req *r, const char *serial, const char *cert,
		       const char *grace, struct kk_error *e)
{
	char what[sizeof(e->what)];
	char *end;

	memset(r, 0, sizeof(*r));
	if (grace) {
		snprintf(what, sizeof(what), "--grace '%s'", grace);
		r->grace = strtol(grace, &end, 10);
		if (!*grace || *end || r->grace < 0 || r->grace > 365L * 86400)
			return kk_error_set(e, -EINVAL, what, "seconds, 0 to 31536000");
	}
	if (!serial || !cert)
		return kk_error_set(e, -EINVAL, NULL,
				    "--serial and --cert (or --watch) are required");
	snprintf(what, sizeof(what), "--serial '%s'", serial);
	if (kk_serial_key(serial, &r->old, r->old_serial))
		return kk_error_set(e, -EINVAL, what, "not a hex serial number");
	r->cert = cert;
	return 0;
}

struct rot {
	const struct kk_rotate_req *req;
	struct kk_ident_key old; /* req->old with the --issuer key */
	struct kk_ident_key nkey;
	struct kk_identity id;
	struct kk_rotate_res *res;
	struct kk_error *e;
	bool move; /* each_old: move the bindings, not only check them */
	int err;   /* each_old: the refusal or failure that stopped the walk */
};

/*
 * The spiffe_id of the policy binding slot was made with (*out NULL when it has none). The
 * kernel keeps no policy text: it comes from the binding's record (state.h), whose policy must
 * still hash as the kernel's policy slot says. Without it the new certificate cannot be matched,
 * and the rotation is refused. -errno, why[]
 */
static int bound_spiffe_id(uint32_t slot, const struct kk_binding *b,
			   const struct kk_policy_slot *pol, char **out, char *why, size_t wlen)
{
	struct kk_binding_meta meta;
	struct kk_errors errs = { 0 };
	struct kk_policy p;
	int err;

	*out = NULL;
	err = kk_meta_load(slot, &meta);
	if (!err && meta.gen != b->gen)
		err = -ESTALE;
	if (err) {
		snprintf(why, wlen,
			 "no record of the binding in %s (%s): cannot check its policy's spiffe_id",
			 kk_state_dir(), strerror(-err));
		return err;
	}
	err = meta.canonical ? kk_policy_load_canonical(meta.policy, &p, &errs) :
			       kk_policy_load(meta.policy, &p, &errs);
	if (!err && memcmp(p.hash, pol->hash, sizeof(p.hash)))
		err = -ESTALE;
	if (err)
		snprintf(why, wlen, "%.300s: %s: cannot check its policy's spiffe_id", meta.policy,
			 err == -ESTALE ? "not the policy it was bound with" :
			 errs.n ? errs.v[0].reason : strerror(-err));
	else if (p.spiffe_id && !(*out = strdup(p.spiffe_id)))
		err = -ENOMEM;
	kk_policy_free(&p); /* also what a failed load left: it starts from a zeroed policy */
	kk_errors_free(&errs);
	return err;
}

/* May binding b move to the new certificate? Fills e with why not. */
static int check_binding(struct kk_maps *m, struct rot *r, uint32_t slot,
			 const struct kk_binding *b, const struct kk_ident *old)
{
	struct kk_policy_slot pol;
	char why[512], hash[65], what[sizeof(r->e->what)];
	char *spiffe_id = NULL;
	int err;

	snprintf(what, sizeof(what), "binding %u (agent %s)", slot, b->agent_id);
	/*
	 * A revoked or blocked binding stays so: moving it would lift its state by the side. An
	 * expired one may move: a renewed certificate, checked as a bind checks it, is the cure.
	 */
	if (old->state != KK_STATE_EXPIRED &&
	    kk_ident_state_check(old->state, r->req->old_serial, what, r->e))
		return -EACCES;
	if (kk_maps_policy_read(m, b->policy, &pol)) {
		snprintf(why, sizeof(why), "its policy slot %u cannot be read", b->policy);
		goto bad;
	}
	err = bound_spiffe_id(slot, b, &pol, &spiffe_id, why, sizeof(why));
	err = err ?: kk_identity_match_agent(&r->id, b->agent_id, spiffe_id, why, sizeof(why));
	free(spiffe_id);
	if (err)
		goto bad;
	kk_hex_encode(pol.hash, sizeof(pol.hash), hash);
	if (kk_identity_check_policy_hash(&r->id, hash, why, sizeof(why)))
		goto bad;
	return 0;
bad:
	return kk_error_set(r->e, -EACCES, what, "%s", why);
}

/* Point binding slot at identity slot nid; the old identity loses a reference. */
static int move_binding(struct kk_maps *m, struct rot *r, uint32_t slot, struct kk_binding *b,
			uint32_t nid)
{
	char why[512];
	struct kk_event ev;
	uint32_t old = b->ident;
	int err;

	b->ident = nid;
	err = kk_maps_binding_set(m, slot, b);
	if (err)
		return err;
	kk_maps_ident_put(m, old);
	/*
	 * The daemon's OCSP checks read the binding's copies (state.c), never the user's files:
	 * give it copies of the new certificate and its CA. Not fatal, as at bind: the binding
	 * has moved; the warning says the record could not follow.
	 */
	if (kk_meta_rotate(slot, r->req->cert, r->req->ca, r->id.fingerprint, why, sizeof(why)) &&
	    !r->res->warning[0])
		snprintf(r->res->warning, sizeof(r->res->warning), "binding %u: %s", slot, why);
	if (!kk_event_agent(&ev, KK_EV_AGENT_BOUND, slot, b->gen, b->pid, b->agent_id, r->id.serial,
			    b->policy_version, "rotated") &&
	    kk_maps_emit(&ev))
		snprintf(r->res->warning, sizeof(r->res->warning),
			 "could not send agent.bound for binding %u", slot);
	return 0;
}

/* Check (r->move false) or move binding rec if it is one of OLD. */
static int old_one(struct kk_maps *m, const struct kk_binding_rec *rec, void *ctx)
{
	struct rot *r = ctx;
	struct kk_binding b = rec->binding;
	char what[32];
	uint32_t n;
	int err;

	if (!rec->ident_ok || !kk_ident_key_matches(&r->old, &rec->ident.key))
		return 0;
	if (!r->move) {
		r->err = check_binding(m, r, rec->slot, &b, &rec->ident);
		if (!r->err)
			r->res->moved++;
		return r->err;
	}
	err = kk_maps_ident_get(m, &r->nkey, r->id.serial, &n);
	err = err ?: move_binding(m, r, rec->slot, &b, n);
	if (err) {
		snprintf(what, sizeof(what), "binding %u", rec->slot);
		r->err = kk_error_set(r->e, err, what, "%s", strerror(-err));
	}
	return r->err;
}

/*
 * The bindings of OLD, all checked (move is false) or all moved to a slot of the new identity.
 * A binding that cannot be read is neither: it stays on OLD, revoked with it after the grace.
 */
static int each_old(struct kk_maps *m, struct rot *r, bool move)
{
	r->move = move;
	r->err = 0;
	kk_maps_each_binding(m, old_one, r);
	return r->err;
}

static int rotate(struct kk_maps *m, struct rot *r)
{
	struct kk_revocation rev;
	uint32_t nid, state = 0;
	int err;

	kk_identity_key(&r->id, &r->nkey);
	if (!kk_maps_revoked_get(m, &r->nkey, &rev))
		return kk_error_set(r->e, -EACCES, NULL, "certificate serial %s is revoked",
				    r->id.serial);
	/* Every binding is checked before the first moves: a refusal changes nothing. */
	err = each_old(m, r, false);
	if (err)
		return err;
	if (!r->res->moved)
		return kk_error_set(r->e, -ENOENT, NULL, "no binding of certificate serial %s",
				    r->req->old_serial);
	/*
	 * The new identity may be in use already, and blocked or revoked (bind refuses both).
	 * The reference taken to look is held until the bindings hold their own.
	 */
	err = kk_maps_ident_get(m, &r->nkey, r->id.serial, &nid);
	err = err ?: kk_maps_ident_state(m, nid, &state);
	if (err)
		return kk_error_set(r->e, err, "identity table", "%s", strerror(-err));
	err = kk_ident_state_check(state, r->id.serial, NULL, r->e);
	err = err ?: each_old(m, r, true);
	kk_maps_ident_put(m, nid);
	return err;
}

static int finish(struct kk_maps *m, struct rot *r)
{
	struct kk_revoke_req req = { .key = r->old,
				     .source = KK_REV_ROTATION,
				     .reason = "rotated" };
	struct kk_timer t = { .key = r->old, .due = time(NULL) + r->req->grace };
	int bindings, tasks, err;

	snprintf(req.serial, sizeof(req.serial), "%s", r->req->old_serial);
	if (!r->req->grace) {
		err = kk_revoke(m, &req, &bindings, &tasks, r->e);
		if (err) /* prefixed with the serial: the bindings have moved, OLD is not revoked */
			kk_error_set(r->e, err, NULL,
				     "certificate serial %s: could not revoke it: %s",
				     r->req->old_serial, strerror(-err));
		return err;
	}
	snprintf(t.serial, sizeof(t.serial), "%s", r->req->old_serial);
	if (kk_timer_add(&t))
		return kk_error_set(r->e, -EIO, NULL, "cannot record the grace timer in %s: %s",
				    kk_state_dir(), strerror(errno));
	return 0;
}

int kk_op_rotate(const struct kk_rotate_req *req, struct kk_rotate_res *res, struct kk_error *e)
{
	struct rot r = { .req = req, .old = req->old, .res = res, .e = e };
	struct kk_maps m;
	char why[512];
	int err;

	memset(res, 0, sizeof(*res));
	err = req->issuer ? kk_identity_subject_key(req->issuer, r.old.issuer, why, sizeof(why))
			  : 0;
	if (err)
		return kk_error_set(e, err, "--issuer", "%s", why);
	err = kk_identity_verify(req->cert, req->ca, time(NULL), &r.id, why, sizeof(why));
	if (err) {
		kk_identity_free(&r.id);
		return kk_error_split(e, err, why);
	}
	snprintf(res->new_serial, sizeof(res->new_serial), "%s", r.id.serial);
	err = kk_op_open(&m, true, e);
	if (!err) {
		err = rotate(&m, &r) ?: finish(&m, &r);
		kk_maps_close(&m);
	}
	kk_identity_free(&r.id);
	return err;
}

int kk_rotate_ready(struct kk_error *e)
{
	struct kk_maps m;
	int err = kk_op_open(&m, false, e);

	if (!err)
		kk_maps_close(&m);
	return err;
}
