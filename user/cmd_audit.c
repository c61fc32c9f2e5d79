// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_audit — `kakunin-bpf audit verify [--any-start] FILE...`: recompute the hash chain of
 * audit files given oldest first (audit.jsonl.2 audit.jsonl.1 audit.jsonl), one chain across
 * them. Exit 0 with the line count, or 1 naming the first edited, deleted, inserted or
 * reordered line.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "log.h"

static const char usage[] =
	"usage: kakunin-bpf audit verify [--any-start] FILE...\n\n"
	"Verify the hash chain of audit files, oldest first (audit.jsonl.1 audit.jsonl).\n"
	"--any-start accepts a first line that continues an older file no longer given\n"
	"(rotated away); without it the chain must start from zero.\n";

static const struct option opts[] = {
	{ "any-start", no_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int cmd_audit(int argc, char **argv)
{
	bool any_start = false;
	uint64_t lines = 0;
	char why[1024];
	int c, err;

	if (argc < 2 || strcmp(argv[1], "verify")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
			return fputs(usage, stdout), KK_EXIT_OK;
		return kk_usage_error("audit", argc < 2 ? "missing subcommand (verify)" :
				      "unknown subcommand '%s' (verify)", argc < 2 ? "" : argv[1]);
	}
	argc--, argv++;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'a')
			any_start = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option("audit", c, argv);
	}
	if (optind >= argc)
		return kk_usage_error("audit", "verify needs at least one FILE");
	err = kk_audit_verify((const char *const *)argv + optind, argc - optind, any_start, &lines,
			      why, sizeof(why));
	if (err) {
		kk_err("audit", "%s", why);
		return KK_EXIT_FAIL;
	}
	kk_info("kakunin-bpf: %llu line%s verified, hash chain intact", (unsigned long long)lines,
		lines == 1 ? "" : "s");
	return KK_EXIT_OK;
}
