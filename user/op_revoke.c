// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_revoke — revoke one certificate by serial (of one issuer or any), or every certificate of
 * a verified, current CRL. The list, identity states, events and tasks are revoke.c's; this
 * checks the request, resolves --issuer, verifies the CRL and takes the maps lock around it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "identity.h"
#include "maps.h"
#include "op.h"
#include "revocation.h"

const char *kk_revoke_tasks_name(enum kk_revoke_tasks t)
{
	return t == KK_REVOKE_KILL ? "kill" : t == KK_REVOKE_KEEP ? "keep" : "stop";
}

/* The combinations `revoke` refuses, in the order the command always checked them. */
static int check_combination(const struct kk_revoke_opts *o, struct kk_error *e)
{
	if (!!o->serial == !!o->crl)
		return kk_error_set(e, -EINVAL, NULL, "give exactly one of --serial and --crl");
	if (o->kill && o->no_stop)
		return kk_error_set(e, -EINVAL, NULL, "--kill and --no-stop exclude each other");
	if (o->crl && (o->issuer || o->reason))
		return kk_error_set(e, -EINVAL, NULL, "--issuer and --reason go with --serial (a "
				    "CRL names its issuer and reasons)");
	if (o->ca && !o->crl)
		return kk_error_set(e, -EINVAL, NULL, "--ca goes with --crl");
	return 0;
}

int kk_revoke_op_req_init(struct kk_revoke_op_req *r, const struct kk_revoke_opts *o,
			  struct kk_error *e)
{
	char what[sizeof(e->what)];

	memset(r, 0, sizeof(*r));
	if (check_combination(o, e))
		return -EINVAL;
	r->rev.tasks = o->kill ? KK_REVOKE_KILL : o->no_stop ? KK_REVOKE_KEEP : KK_REVOKE_STOP;
	if (o->crl) {
		r->rev.source = KK_REV_CRL;
		r->crl = o->crl;
		r->ca = o->ca;
		return 0;
	}
	r->rev.source = KK_REV_CLI;
	snprintf(what, sizeof(what), "--serial '%s'", o->serial);
	if (kk_serial_key(o->serial, &r->rev.key, r->rev.serial))
		return kk_error_set(e, -EINVAL, what, "not a hex serial number (up to 20 bytes)");
	if (o->reason && strlen(o->reason) >= sizeof(((struct kk_revocation *)0)->reason))
		return kk_error_set(e, -EINVAL, "--reason", "at most %zu bytes",
				    sizeof(((struct kk_revocation *)0)->reason) - 1);
	r->rev.reason = o->reason;
	r->issuer = o->issuer;
	return 0;
}

int kk_revoke_crl_entries(struct kk_maps *m, const struct kk_revoked *v, size_t n,
			  enum kk_revoke_tasks tasks, bool only_new, struct kk_revoke_op_res *res,
			  struct kk_error *e)
{
	struct kk_revocation known;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		struct kk_revoke_req q = { .source = KK_REV_CRL, .tasks = tasks };
		const char *name = kk_crl_reason_name(v[i].reason);
		char reason[64];
		int b = 0, k = 0;

		kk_ident_key_set(&q.key, v[i].issuer_key, v[i].serial, v[i].serial_len);
		if (only_new && !kk_maps_revoked_get(m, &q.key, &known))
			continue;
		snprintf(q.serial, sizeof(q.serial), "%s", v[i].serial_hex);
		snprintf(reason, sizeof(reason), "crl%s%s", *name ? ": " : "", name);
		q.reason = reason;
		err = kk_revoke(m, &q, &b, &k, e);
		res->bindings += b;
		res->tasks += k;
		if (err)
			return err;
		res->imported++;
	}
	return 0;
}

static int revoke_crl(const struct kk_revoke_op_req *r, struct kk_revoke_op_res *res,
		      struct kk_error *e)
{
	struct kk_revoked *v = NULL;
	struct kk_maps m;
	char why[512];
	size_t n = 0;
	int err;

	/* The CRL is checked first: a forged or stale one is refused without root or kernel. */
	err = kk_crl_load(r->crl, r->ca ? r->ca : KK_DEFAULT_CA, time(NULL), &v, &n, why,
			  sizeof(why));
	if (err)
		return kk_error_split(e, err, why);
	err = kk_op_open_some(&m, KK_REVOKE_MAPS, e);
	if (!err) {
		err = kk_maps_lock_e(&m, e);
		err = err ?: kk_revoke_crl_entries(&m, v, n, r->rev.tasks, false, res, e);
		kk_maps_close(&m);
	}
	free(v);
	return err;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* r's revocation request, with the key of --issuer's subject when there is one. */
static int resolve(const struct kk_revoke_op_req *r, struct kk_revoke_req *q, struct kk_error *e)
{
	char why[512];
	int err;

	*q = r->rev;
	err = r->issuer ? kk_identity_subject_key(r->issuer, q->key.issuer, why, sizeof(why)) : 0;
	if (err)
		return kk_error_set(e, err, "--issuer", "%s", why);
	q->at = time(NULL); /* one entry, whichever of the writes stays */
	return 0;
}

/*
 * The flip first, without the maps lock (a bind may hold it for long): the bound agents are
 * refused from here on. Then, under the lock, kk_revoke flips again (a bind that raced the
 * first flip) and does the rest: events, stopping the tasks, the state file.
 */
static int revoke_on(struct kk_maps *m, const struct kk_revoke_req *q,
		     const struct kk_ident *known, struct kk_revoke_op_res *res,
		     struct kk_error *e)
{
	bool flipped[KK_MAX_IDENTS] = { false };
	int err, n;

	err = known ? kk_revoke_flip(m, q, known, flipped, &n, e) : 0;
	res->flipped_ns = mono_ns();
	err = err ?: kk_revoke_flip(m, q, NULL, flipped, &n, e);
	if (!known)
		res->flipped_ns = mono_ns();
	err = err ?: kk_maps_lock_e(m, e);
	err = err ?: kk_revoke(m, q, &res->bindings, &res->tasks, e);
	kk_maps_unlock(m);
	return err;
}

int kk_op_revoke_on(struct kk_maps *m, const struct kk_revoke_op_req *r,
		    const struct kk_ident *known, struct kk_revoke_op_res *res, struct kk_error *e)
{
	struct kk_revoke_req q;

	memset(res, 0, sizeof(*res));
	return resolve(r, &q, e) ?: revoke_on(m, &q, known, res, e);
}

/* --issuer is read before the maps are opened: a bad file is refused without root or kernel. */
static int revoke_serial(const struct kk_revoke_op_req *r, struct kk_revoke_op_res *res,
			 struct kk_error *e)
{
	struct kk_revoke_req q;
	struct kk_maps m;
	int err;

	err = resolve(r, &q, e) ?: kk_op_open_some(&m, KK_REVOKE_MAPS, e);
	if (err)
		return err;
	err = revoke_on(&m, &q, NULL, res, e);
	kk_maps_close(&m);
	return err;
}

int kk_op_revoke(const struct kk_revoke_op_req *r, struct kk_revoke_op_res *res,
		 struct kk_error *e)
{
	memset(res, 0, sizeof(*res));
	return r->crl ? revoke_crl(r, res, e) : revoke_serial(r, res, e);
}
