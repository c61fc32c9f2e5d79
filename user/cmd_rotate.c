// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_rotate — `kakunin-bpf rotate --serial OLD --cert NEW [--ca BUNDLE] [--issuer CA]
 * [--grace SECONDS]`: move every binding of certificate OLD to NEW, after the same checks as
 * bind (chain, validity, agent_id, pinned policy hash, not revoked). Each binding changes its
 * identity in one write; its tasks keep running. OLD is revoked at once, or when the grace
 * period ends (the daemon keeps the timer in the state directory, across restarts).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "events.h"
#include "identity.h"
#include "log.h"
#include "maps.h"
#include "revoke.h"
#include "state.h"

static const char usage[] =
	"usage: kakunin-bpf rotate --serial OLD --cert NEW [--ca BUNDLE] [--issuer CA_CERT]\n"
	"                          [--grace SECONDS]\n\n"
	"Move every binding of the certificate with serial OLD to the certificate NEW (checked\n"
	"as by bind), then revoke OLD: at once, or after SECONDS (kept by the daemon).\n";

static const struct option opts[] = {
	{ "serial", required_argument, NULL, 's' },
	{ "cert", required_argument, NULL, 'c' },
	{ "ca", required_argument, NULL, 'a' },
	{ "issuer", required_argument, NULL, 'i' },
	{ "grace", required_argument, NULL, 'g' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct rot {
	struct kk_ident_key old;
	char old_serial[44];
	const char *cert, *ca;
	long grace;
	struct kk_identity id;
};

/* May binding b move to the new certificate? Reports why not. */
static int check_binding(struct kk_maps *m, struct rot *r, uint32_t slot, struct kk_binding *b)
{
	struct kk_policy_slot pol;
	char why[512], hash[65];
	int i;

	b->agent_id[sizeof(b->agent_id) - 1] = '\0';
	if (kk_identity_match_agent(&r->id, b->agent_id, why, sizeof(why)) ||
	    kk_maps_policy_read(m, b->policy, &pol))
		goto bad;
	for (i = 0; i < 32; i++)
		snprintf(hash + 2 * i, 3, "%02x", pol.hash[i]);
	if (kk_identity_check_policy_hash(&r->id, hash, why, sizeof(why)))
		goto bad;
	return 0;
bad:
	kk_err("rotate", "binding %u (agent %s): %s", slot, b->agent_id, why);
	return -EACCES;
}

/* Point binding slot at identity slot nid; the old identity loses a reference. */
static int move_binding(struct kk_maps *m, struct rot *r, uint32_t slot, struct kk_binding *b,
			uint32_t nid)
{
	struct kk_binding_meta meta;
	struct kk_event ev;
	uint32_t old = b->ident;
	int err;

	b->ident = nid;
	err = kk_maps_binding_set(m, slot, b);
	if (err)
		return err;
	kk_maps_ident_put(m, old);
	if (!kk_meta_load(slot, &meta)) {
		if (!realpath(r->cert, meta.cert))
			snprintf(meta.cert, sizeof(meta.cert), "%s", r->cert);
		kk_meta_save(&meta);
	}
	b->policy_version[sizeof(b->policy_version) - 1] = '\0';
	if (!kk_event_agent(&ev, KK_EV_AGENT_BOUND, slot, b->gen, b->pid, b->agent_id,
			    r->id.serial, b->policy_version, "rotated") &&
	    kk_maps_emit(&ev))
		kk_err("events", "could not send agent.bound for binding %u", slot);
	return 0;
}

static int rotate(struct kk_maps *m, struct rot *r, int *moved)
{
	struct kk_ident_key nkey = { 0 };
	struct kk_revocation rev;
	struct kk_binding b;
	struct kk_ident id;
	uint32_t slot, nid;
	int err;

	memcpy(nkey.issuer, r->id.issuer_key, 8);
	nkey.serial_len = r->id.serial_len;
	memcpy(nkey.serial, r->id.serial_bin, r->id.serial_len);
	if (!kk_maps_revoked_get(m, &nkey, &rev)) {
		kk_err("rotate", "certificate serial %s is revoked", r->id.serial);
		return -EACCES;
	}
	*moved = 0;
	for (slot = 0; slot < KK_MAX_BINDINGS; slot++) {
		if (kk_maps_binding_read(m, slot, &b) || !b.in_use ||
		    kk_maps_ident_read(m, b.ident, &id) || !kk_ident_key_matches(&r->old, &id.key))
			continue;
		err = check_binding(m, r, slot, &b);
		err = err ?: kk_maps_ident_get(m, &nkey, r->id.serial, &nid);
		err = err ?: move_binding(m, r, slot, &b, nid);
		if (err)
			return err;
		(*moved)++;
	}
	if (!*moved) {
		kk_err("rotate", "no binding of certificate serial %s", r->old_serial);
		return -ENOENT;
	}
	return 0;
}

static int finish(struct kk_maps *m, struct rot *r)
{
	struct kk_revoke_req req = { .key = r->old, .source = KK_REV_ROTATION,
				     .reason = "rotated" };
	struct kk_timer t = { .key = r->old, .due = time(NULL) + r->grace };
	int bindings, tasks;

	snprintf(req.serial, sizeof(req.serial), "%s", r->old_serial);
	if (!r->grace)
		return kk_revoke(m, &req, &bindings, &tasks);
	snprintf(t.serial, sizeof(t.serial), "%s", r->old_serial);
	if (kk_timer_add(&t)) {
		kk_err("rotate", "cannot record the grace timer in %s: %s", kk_state_dir(),
		       strerror(errno));
		return -EIO;
	}
	return 0;
}

static int parse(int argc, char **argv, struct rot *r, const char **issuer)
{
	const char *serial = NULL;
	uint8_t bin[KK_SERIAL_MAX];
	size_t len;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 's')
			serial = optarg;
		else if (c == 'c')
			r->cert = optarg;
		else if (c == 'a')
			r->ca = optarg;
		else if (c == 'i')
			*issuer = optarg;
		else if (c == 'g' && ((r->grace = strtol(optarg, &end, 10)) < 0 || *end ||
				      r->grace > 365L * 86400 || !*optarg))
			return kk_usage_error("rotate", "--grace '%s': seconds, 0 to 31536000", optarg);
		else if (c == 'h')
			return fputs(usage, stdout), -1;
		else if (c != 'g')
			return kk_bad_option("rotate", c, argv);
	}
	if (optind < argc)
		return kk_usage_error("rotate", "unexpected argument '%s'", argv[optind]);
	if (!serial || !r->cert)
		return kk_usage_error("rotate", "--serial and --cert are required");
	if (kk_serial_parse(serial, bin, &len, r->old_serial))
		return kk_usage_error("rotate", "--serial '%s': not a hex serial number", serial);
	r->old.serial_len = len;
	memcpy(r->old.serial, bin, len);
	return 0;
}

int cmd_rotate(int argc, char **argv)
{
	static struct rot r;
	const char *issuer = NULL;
	struct kk_maps m;
	char why[512];
	int rc, err, moved = 0;

	rc = parse(argc, argv, &r, &issuer);
	if (rc)
		return rc < 0 ? KK_EXIT_OK : rc;
	if (issuer && kk_identity_subject_key(issuer, r.old.issuer, why, sizeof(why))) {
		kk_err("rotate", "--issuer: %s", why);
		return KK_EXIT_FAIL;
	}
	if (kk_identity_verify(r.cert, r.ca, time(NULL), &r.id, why, sizeof(why))) {
		kk_err("identity", "%s", why);
		return KK_EXIT_FAIL;
	}
	err = kk_require_root("rotate") ?: kk_maps_open(&m);
	if (!err) {
		err = kk_maps_lock(&m) ?: rotate(&m, &r, &moved);
		err = err ?: finish(&m, &r);
		kk_maps_close(&m);
	}
	if (!err)
		kk_info("kakunin-bpf: rotated %d binding%s from serial %s to %s; old certificate %s",
			moved, moved == 1 ? "" : "s", r.old_serial, r.id.serial,
			r.grace ? "revoked when the grace period ends" : "revoked");
	kk_identity_free(&r.id);
	return err ? KK_EXIT_FAIL : KK_EXIT_OK;
}
