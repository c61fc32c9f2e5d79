// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_signer — `kakunin-bpf signer [--config FILE] [--socket PATH]`: the signing service
 * (signer.h; its configuration: signer_config.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "signer.h"

static const char usage[] =
	"usage: kakunin-bpf signer [--config FILE] [--socket PATH]\n\n"
	"Hold the agents' private keys and sign actions (JWS, docs/signing.md) for callers on\n"
	"the unix socket (default " KK_SIGNER_SOCKET ", mode 0666) that the kernel attests are\n"
	"bound to the certificate of one of those keys, whose identity is active, inside its\n"
	"allowed_hours, with a fresh revocation status, and whose action is within the policy's\n"
	"\"actions\" scope, rate and risk. Every decision is an action.signed or action.refused\n"
	"event in the audit stream. A risk above the action's revoke_above revokes the identity.\n"
	"Config (JSON, default " KK_SIGNER_CONFIG "): socket, agents (a list of {certificate,\n"
	"chain, key, policy}; key is a PEM file only root may read, or a pkcs11: URI), max_payload,\n"
	"ca, ocsp_url, ocsp_timeout_ms. --socket overrides the configured socket.\n"
	"SIGTERM stops it.\n";

static const struct option opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "socket", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int cmd_signer(int argc, char **argv)
{
	static struct kk_signer_cfg cfg; /* large: not on the stack */
	const char *file = KK_SIGNER_CONFIG, *sock = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'c')
			file = optarg;
		else if (c == 's')
			sock = optarg;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option("signer", c, argv);
	}
	if (optind < argc)
		return kk_usage_error("signer", "unexpected argument '%s'", argv[optind]);
	if (sock && (!*sock || strlen(sock) >= sizeof(cfg.socket_path)))
		return kk_usage_error("signer", "--socket must be a path of 1 to %zu bytes",
				      sizeof(cfg.socket_path) - 1);
	if (kk_signer_config(file, &cfg))
		return KK_EXIT_FAIL;
	if (sock)
		strcpy(cfg.socket_path, sock);
	if (kk_require_root("signer"))
		return KK_EXIT_FAIL;
	return kk_signer_run(&cfg);
}
