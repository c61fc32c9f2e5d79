// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_egress — `kakunin-bpf egress [--config FILE]`: the mutual-TLS egress (egress.h). It reads
 * the signer's configuration file (signer_config.c): the same agents, certificates and keys.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "egress.h"

static const char usage[] =
	"usage: kakunin-bpf egress [--config FILE]\n\n"
	"Relay bound agents' connections to their upstreams over mutual TLS (docs/egress.md):\n"
	"for each rule of each agent's policy \"egress\" section, listen on its loopback address;\n"
	"a connection the kernel attests comes from a task bound to that agent's certificate, with\n"
	"an active identity, is relayed over TLS 1.2/1.3 to the upstream with the agent's chain and\n"
	"key (which the agent never holds), the upstream verified against the rule's pinned CA and\n"
	"server_name. Live connections are checked again every 20 ms: a revocation cuts them.\n"
	"Each connection is an action.connected or action.refused event in the audit stream.\n"
	"Config (JSON, default " KK_SIGNER_CONFIG "): the signer's file: agents (a list of\n"
	"{certificate, chain, key, policy}; key is a PEM file only root may read, or a pkcs11: URI),\n"
	"ca, ocsp_url, ocsp_timeout_ms, egress_max_connections (64), egress_handshake_timeout_ms\n"
	"(10000), egress_idle_timeout_s (300).\n"
	"SIGTERM stops it.\n";

static const struct option opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int cmd_egress(int argc, char **argv)
{
	static struct kk_signer_cfg cfg; /* large: not on the stack */
	const char *file = KK_SIGNER_CONFIG;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'c')
			file = optarg;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option("egress", c, argv);
	}
	if (optind < argc)
		return kk_usage_error("egress", "unexpected argument '%s'", argv[optind]);
	if (kk_signer_config_as("egress", file, &cfg))
		return KK_EXIT_FAIL;
	if (kk_require_root("egress"))
		return KK_EXIT_FAIL;
	return kk_egress_run(&cfg);
}
