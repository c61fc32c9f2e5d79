// SPDX-License-Identifier: GPL-2.0-only
/*
 * kakunin-bpf — runtime binding of AI agents to X.509 identities, enforced by BPF-LSM.
 * main: global options and the command table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "log.h"

#ifndef KK_VERSION
#define KK_VERSION "0.0.0-dev"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "load", cmd_load, "load, attach and pin the BPF-LSM programs" },
	{ "unload", cmd_unload, "detach everything and remove the pins" },
	{ "bind", cmd_bind, "bind a process (and its future children) to a scope" },
	{ "run", cmd_run, "run a command bound from its first instruction" },
	{ "unbind", cmd_unbind, "end a binding (by process or certificate serial)" },
	{ "revoke", cmd_revoke, "revoke a certificate: its agents stop at once" },
	{ "rotate", cmd_rotate, "move bindings to a new certificate, revoke the old one" },
	{ "status", cmd_status, "bindings, their state and counters" },
	{ "health", cmd_health, "readiness: programs loaded, daemon answering" },
	{ "events", cmd_events, "print decision events from the kernel" },
	{ "policy", cmd_policy, "check a policy, or show what it compiles to" },
	{ "daemon", cmd_daemon, "consume events: audit file, syslog, socket, timers" },
	{ "audit", cmd_audit, "verify the hash chain of audit files" },
	{ "signer", cmd_signer, "sign agents' actions for bound callers (holds the keys)" },
	{ "sign", cmd_sign, "have the signer sign an action (JWS)" },
	{ "egress", cmd_egress, "relay bound agents' connections over mutual TLS (holds the keys)" },
	{ "verify", cmd_verify, "verify an action's JWS signature, certificate and freshness" },
	{ "oci-hook", cmd_oci_hook, "OCI runtime hook: bind annotated containers" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: kakunin-bpf [-v] COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'kakunin-bpf COMMAND --help' describes one command.\n"
		   "Exit codes: 0 ok, 1 failure, 2 usage error, 3 BPF LSM unavailable.\n"
		   "-v (or KAKUNIN_DEBUG=1) also prints libbpf's own messages.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	kk_cli_debug_env();
	argv++, argc--;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-v") || !strcmp(argv[0], "--verbose")) {
			kk_log_set_verbose(true);
		} else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			usage(stdout);
			return KK_EXIT_OK;
		} else if (!strcmp(argv[0], "--version")) {
			printf("kakunin-bpf %s\n", KK_VERSION);
			return KK_EXIT_OK;
		} else {
			fprintf(stderr,
				"kakunin-bpf: unknown option '%s' (see 'kakunin-bpf --help')\n",
				argv[0]);
			return KK_EXIT_USAGE;
		}
		argv++, argc--;
	}
	if (argc == 0) {
		usage(stderr);
		return KK_EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			return kk_cli_run(commands[i].name, commands[i].fn, argc, argv);
	fprintf(stderr, "kakunin-bpf: unknown command '%s' (see 'kakunin-bpf --help')\n", argv[0]);
	return KK_EXIT_USAGE;
}
