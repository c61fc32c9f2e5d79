// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_audit — `kakunin-bpf audit verify [--any-start] [--json] FILE...`: recompute the hash
 * chain of audit files given oldest first (audit.jsonl.2 audit.jsonl.1 audit.jsonl), one chain
 * across them. Exit 0 with the line count, or 1 naming the first edited, deleted, inserted or
 * reordered line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "audit.h"
#include "cli.h"
#include "error.h"
#include "log.h"

static const char usage[] =
	"usage: kakunin-bpf audit verify [--any-start] [--json] FILE...\n\n"
	"Verify the hash chain of audit files, oldest first (audit.jsonl.1 audit.jsonl).\n"
	"--any-start accepts a first line that continues an older file no longer given\n"
	"(rotated away); without it the chain must start from zero. With --json the result,\n"
	"or the error, is one JSON object on stdout.\n";

static const struct option opts[] = {
	{ "any-start", no_argument, NULL, 'a' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_json(char *const *files, int n, uint64_t lines)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char *text;
	int i;

	cJSON_AddBoolToObject(o, "intact", true);
	cJSON_AddNumberToObject(o, "lines", (double)lines);
	arr = cJSON_AddArrayToObject(o, "files");
	for (i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(files[i]));
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

static int usage_error(bool json, const char *why)
{
	struct kk_error e;

	kk_error_set(&e, -EINVAL, NULL, "%s", why);
	return kk_usage_print("audit", &e, json);
}

int cmd_audit(int argc, char **argv)
{
	bool any_start = false, json = kk_argv_has(argc, argv, "--json");
	struct kk_error e;
	uint64_t lines = 0;
	char why[1024];
	int c, err;

	if (argc < 2 || strcmp(argv[1], "verify")) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
			return fputs(usage, stdout), KK_EXIT_OK;
		snprintf(why, sizeof(why), argc < 2 ? "missing subcommand (verify)" :
			 "unknown subcommand '%s' (verify)", argc < 2 ? "" : argv[1]);
		return usage_error(json, why);
	}
	argc--, argv++;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'a')
			any_start = true;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("audit", c, argv, json);
	}
	if (optind >= argc)
		return usage_error(json, "verify needs at least one FILE");
	err = kk_audit_verify((const char *const *)argv + optind, argc - optind, any_start, &lines,
			      why, sizeof(why));
	if (err) {
		/* "FILE:LINE: what": the file and line become the record's what. */
		kk_error_split(&e, err, why);
		kk_error_print_with("audit", &e, json, "lines_verified",
				    json ? cJSON_CreateNumber((double)lines) : NULL);
		return KK_EXIT_FAIL;
	}
	if (json)
		print_json(argv + optind, argc - optind, lines);
	else
		kk_info("kakunin-bpf: %llu line%s verified, hash chain intact",
			(unsigned long long)lines, lines == 1 ? "" : "s");
	return KK_EXIT_OK;
}
