// SPDX-License-Identifier: GPL-2.0-only
/*
 * kakunin-revoke — `kakunin-bpf revoke` as a program of its own, for the callers that need the
 * revocation to reach the kernel soonest (scripts, a risk engine's kill switch): the same
 * command (cmd_revoke), options, output and exit codes, in a binary that starts faster. Most of
 * kakunin-bpf's start is the dynamic loader mapping and relocating a dozen libraries (OpenSSL,
 * libsystemd and theirs) before main(); this one is linked from the library archive, which
 * brings in only the objects revocation reaches, with libbpf, libelf, zlib and libcrypto
 * linked in statically (Makefile: KK_REVOKE_STATIC), leaving libc and libcjson to the loader.
 */
#include "cli.h"

int main(int argc, char **argv)
{
	char name[] = "revoke";

	if (argc < 1) /* an exec without argv[0]: nothing to run as a command */
		return KK_EXIT_USAGE;
	kk_cli_debug_env();
	/* argv[0] as kakunin-bpf's table passes it: the command's name, not the program's. */
	argv[0] = name;
	return kk_cli_run(name, cmd_revoke, argc, argv);
}
