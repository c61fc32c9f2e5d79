// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_revoke — `kakunin-bpf revoke --serial HEX [--issuer CA] [--reason TEXT] [--kill]`.
 * One write per identity flips every binding of the certificate to revoked before the command
 * returns; the revocation is kept in the pinned list and the state directory for later binds,
 * restarts and reboots.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "identity.h"
#include "log.h"
#include "maps.h"
#include "revoke.h"

static const char usage[] =
	"usage: kakunin-bpf revoke --serial HEX [--issuer CA_CERT] [--reason TEXT] [--kill]\n\n"
	"Revoke the certificate with serial HEX (colons and 0x allowed): issued by the CA\n"
	"certificate CA_CERT, or by any issuer without --issuer. Every action of its bound\n"
	"tasks fails with EACCES from the moment this returns, reads and writes on what they\n"
	"hold open included; --kill also kills them. The revocation persists (" KK_STATE_DIR ")\n"
	"and later binds of the certificate are refused.\n";

static const struct option opts[] = {
	{ "serial", required_argument, NULL, 's' },
	{ "issuer", required_argument, NULL, 'i' },
	{ "reason", required_argument, NULL, 'r' },
	{ "kill", no_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int cmd_revoke(int argc, char **argv)
{
	struct kk_revoke_req req = { .source = KK_REV_CLI };
	const char *serial = NULL, *issuer = NULL;
	uint8_t bin[KK_SERIAL_MAX];
	int c, err, bindings = 0, killed = 0;
	struct kk_maps m;
	char why[512];
	size_t len;

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
			req.kill = true;
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
	if (!serial)
		return kk_usage_error("revoke", "--serial is required");
	if (kk_serial_parse(serial, bin, &len, req.serial))
		return kk_usage_error("revoke", "--serial '%s': not a hex serial number (up to 20 "
				      "bytes)", serial);
	if (req.reason && strlen(req.reason) >= sizeof(((struct kk_revocation *)0)->reason))
		return kk_usage_error("revoke", "--reason: at most 63 bytes");
	req.key.serial_len = len;
	memcpy(req.key.serial, bin, len);
	if (issuer && kk_identity_subject_key(issuer, req.key.issuer, why, sizeof(why))) {
		kk_err("revoke", "--issuer: %s", why);
		return KK_EXIT_FAIL;
	}
	if (kk_require_root("revoke") || kk_maps_open(&m))
		return KK_EXIT_FAIL;
	err = kk_maps_lock(&m) ?: kk_revoke(&m, &req, &bindings, &killed);
	kk_maps_close(&m);
	if (err)
		return KK_EXIT_FAIL;
	kk_info("kakunin-bpf: revoked serial %s%s: %d binding%s%s", req.serial,
		issuer ? "" : " (any issuer)", bindings, bindings == 1 ? "" : "s",
		req.kill ? (killed ? ", tasks killed" : ", no task to kill") : "");
	return KK_EXIT_OK;
}
