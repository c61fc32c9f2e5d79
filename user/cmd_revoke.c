// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_revoke — `kakunin-bpf revoke --serial HEX [--issuer CA] [--reason TEXT]
 * [--no-stop | --kill]`. One write per identity flips every binding of the certificate to
 * revoked, then their processes are stopped (or killed, or with --no-stop left running) before
 * the command returns; the revocation is kept in the pinned list and the state directory for
 * later binds, restarts and reboots.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "identity.h"
#include "log.h"
#include "maps.h"
#include "revocation.h"
#include "revoke.h"
#include "state.h"

static const char usage[] =
	"usage: kakunin-bpf revoke --serial HEX [--issuer CA_CERT] [--reason TEXT]\n"
	"                          [--no-stop | --kill]\n"
	"       kakunin-bpf revoke --crl FILE [--ca BUNDLE] [--no-stop | --kill]\n\n"
	"Revoke the certificate with serial HEX (colons and 0x allowed): issued by the CA\n"
	"certificate CA_CERT, or by any issuer without --issuer. Every action of its bound\n"
	"tasks fails with EACCES from the moment this returns, reads and writes on what they\n"
	"hold open included, and they are stopped (SIGSTOP): some channels (vmsplice, tee,\n"
	"splice between pipes, POSIX message queues, shared mappings) pass no hook.\n"
	"--no-stop leaves them running; --kill kills them. The revocation persists\n"
	"(" KK_STATE_DIR ") and later binds of the certificate are refused. --crl imports\n"
	"every certificate of a CRL whose signature verifies with a CA of BUNDLE (default\n"
	"/etc/kakunin/ca.pem) and which is current (not past its nextUpdate).\n";

static const struct option opts[] = {
	{ "serial", required_argument, NULL, 's' },
	{ "issuer", required_argument, NULL, 'i' },
	{ "reason", required_argument, NULL, 'r' },
	{ "kill", no_argument, NULL, 'k' },
	{ "no-stop", no_argument, NULL, 'n' },
	{ "crl", required_argument, NULL, 'c' },
	{ "ca", required_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* ", 3 tasks stopped": what became of the revoked bindings' processes (nothing said with
 * --no-stop or when no binding was revoked). */
static const char *tasks_done(enum kk_revoke_tasks what, int bindings, int n, char *buf, size_t len)
{
	if (what == KK_REVOKE_KEEP || !bindings)
		return "";
	snprintf(buf, len, ", %d task%s %s", n, n == 1 ? "" : "s",
		 what == KK_REVOKE_KILL ? "killed" : "stopped");
	return buf;
}

/* Every entry of a verified CRL into the list (and onto any bound identity it names). */
static int import_crl(const char *crl, const char *ca, enum kk_revoke_tasks what)
{
	struct kk_revoked *v = NULL;
	int err, bindings = 0, tasks = 0;
	char done[64];
	struct kk_maps m;
	char why[512];
	size_t n = 0, i;

	err = kk_crl_load(crl, ca ? ca : KK_DEFAULT_CA, time(NULL), &v, &n, why, sizeof(why));
	if (err) {
		kk_err("revoke", "%s", why);
		return err;
	}
	err = kk_require_root("revoke") ?: kk_maps_open(&m);
	if (err) {
		free(v);
		return err;
	}
	err = kk_maps_lock(&m);
	for (i = 0; !err && i < n; i++) {
		struct kk_revoke_req r = { .source = KK_REV_CRL, .tasks = what };
		char reason[64];
		int b = 0, k = 0;

		kk_ident_key_set(&r.key, v[i].issuer_key, v[i].serial, v[i].serial_len);
		snprintf(r.serial, sizeof(r.serial), "%s", v[i].serial_hex);
		snprintf(reason, sizeof(reason), "crl%s%s", *kk_crl_reason_name(v[i].reason) ? ": " :
			 "", kk_crl_reason_name(v[i].reason));
		r.reason = reason;
		err = kk_revoke(&m, &r, &b, &k);
		bindings += b;
		tasks += k;
	}
	kk_maps_close(&m);
	free(v);
	if (!err)
		kk_info("kakunin-bpf: imported %zu revocation%s from %s: %d binding%s revoked%s", n,
			n == 1 ? "" : "s", crl, bindings, bindings == 1 ? "" : "s",
			tasks_done(what, bindings, tasks, done, sizeof(done)));
	return err;
}

int cmd_revoke(int argc, char **argv)
{
	struct kk_revoke_req req = { .source = KK_REV_CLI };
	const char *serial = NULL, *issuer = NULL, *crl = NULL, *ca = NULL;
	int c, err, bindings = 0, tasks = 0;
	bool no_stop = false, kill = false;
	struct kk_maps m;
	char why[512], done[64];

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			serial = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 'r':
			req.reason = optarg;
			break;
		case 'k':
			kill = true;
			break;
		case 'n':
			no_stop = true;
			break;
		case 'c':
			crl = optarg;
			break;
		case 'a':
			ca = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return KK_EXIT_OK;
		default:
			return kk_bad_option("revoke", c, argv);
		}
	}
	if (optind < argc)
		return kk_usage_error("revoke", "unexpected argument '%s'", argv[optind]);
	if (!!serial == !!crl)
		return kk_usage_error("revoke", "give exactly one of --serial and --crl");
	if (kill && no_stop)
		return kk_usage_error("revoke", "--kill and --no-stop exclude each other");
	req.tasks = kill ? KK_REVOKE_KILL : no_stop ? KK_REVOKE_KEEP : KK_REVOKE_STOP;
	if (crl && (issuer || req.reason))
		return kk_usage_error("revoke", "--issuer and --reason go with --serial (a CRL "
				      "names its issuer and reasons)");
	if (ca && !crl)
		return kk_usage_error("revoke", "--ca goes with --crl");
	if (crl)
		return import_crl(crl, ca, req.tasks) ? KK_EXIT_FAIL : KK_EXIT_OK;
	if (kk_serial_key(serial, &req.key, req.serial))
		return kk_usage_error("revoke", "--serial '%s': not a hex serial number (up to 20 "
				      "bytes)", serial);
	if (req.reason && strlen(req.reason) >= sizeof(((struct kk_revocation *)0)->reason))
		return kk_usage_error("revoke", "--reason: at most 63 bytes");
	if (issuer && kk_identity_subject_key(issuer, req.key.issuer, why, sizeof(why))) {
		kk_err("revoke", "--issuer: %s", why);
		return KK_EXIT_FAIL;
	}
	if (kk_require_root("revoke") || kk_maps_open(&m))
		return KK_EXIT_FAIL;
	err = kk_maps_lock(&m) ?: kk_revoke(&m, &req, &bindings, &tasks);
	kk_maps_close(&m);
	if (err)
		return KK_EXIT_FAIL;
	kk_info("kakunin-bpf: revoked serial %s%s: %d binding%s%s", req.serial,
		issuer ? "" : " (any issuer)", bindings, bindings == 1 ? "" : "s",
		tasks_done(req.tasks, bindings, tasks, done, sizeof(done)));
	return KK_EXIT_OK;
}
