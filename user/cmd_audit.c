// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_audit — `kakunin-bpf audit verify [--any-start] [--anchor HASH] [--json] FILE...`:
 * recompute the hash chain of audit files given oldest first (audit.jsonl.2 audit.jsonl.1
 * audit.jsonl), one chain across them. Exit 0 with the line count and the last line's hash (to
 * keep elsewhere and give back as --anchor next time), or 1 naming the first edited, deleted,
 * inserted or reordered line, or the anchor no line carries.
 */
#include <ctype.h>
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
	"usage: kakunin-bpf audit verify [--any-start] [--anchor HASH] [--json] FILE...\n\n"
	"Verify the hash chain of audit files, oldest first (audit.jsonl.1 audit.jsonl), and\n"
	"print the hash of the last line. --any-start accepts a first line that continues an\n"
	"older file no longer given (rotated away); without it the chain must start from zero.\n"
	"--anchor HASH (a last hash printed before, kept off the host) fails unless a line of\n"
	"the chain still has that hash. With --json the result, or the error, is one JSON\n"
	"object on stdout.\n";

static const struct option opts[] = {
	{ "any-start", no_argument, NULL, 'a' },
	{ "anchor", required_argument, NULL, 'A' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_json(char *const *files, int n, const struct kk_audit_result *r)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char *text;
	int i;

	cJSON_AddBoolToObject(o, "intact", true);
	cJSON_AddNumberToObject(o, "lines", (double)r->lines);
	cJSON_AddStringToObject(o, "last_hash", r->last);
	if (r->anchor_line)
		cJSON_AddNumberToObject(o, "anchor_line", (double)r->anchor_line);
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

/* An anchor is a hash as verify prints it: 64 hex digits (either case), kept in lowercase. */
static int set_anchor(struct kk_audit_result *r, const char *arg)
{
	size_t i, n = strlen(arg);

	if (n != KK_AUDIT_HASH_HEX || strspn(arg, "0123456789abcdefABCDEF") != n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		r->anchor[i] = (char)tolower((unsigned char)arg[i]);
	r->anchor[n] = '\0';
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	bool any_start = false, json = kk_argv_has(argc, argv, "--json");
	struct kk_audit_result res = { 0 };
	struct kk_error e;
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
		else if (c == 'A' && set_anchor(&res, optarg))
			return usage_error(json, "--anchor: not a hash (64 hex digits, as verify "
					   "prints it)");
		else if (c == 'A')
			continue;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("audit", c, argv, json);
	}
	if (optind >= argc)
		return usage_error(json, "verify needs at least one FILE");
	err = kk_audit_verify_full((const char *const *)argv + optind, argc - optind, any_start,
				   &res, why, sizeof(why));
	if (err) {
		/* "FILE:LINE: what" (or "anchor HASH: what"): the part before becomes what. */
		kk_error_split(&e, err, why);
		kk_error_print_with("audit", &e, json, "lines_verified",
				    json ? cJSON_CreateNumber((double)res.lines) : NULL);
		return KK_EXIT_FAIL;
	}
	if (json)
		print_json(argv + optind, argc - optind, &res);
	else if (res.anchor_line)
		kk_info("kakunin-bpf: %llu line%s verified, hash chain intact, anchor at line "
			"%llu, last hash %s", (unsigned long long)res.lines, res.lines == 1 ? "" : "s",
			(unsigned long long)res.anchor_line, res.last);
	else
		kk_info("kakunin-bpf: %llu line%s verified, hash chain intact, last hash %s",
			(unsigned long long)res.lines, res.lines == 1 ? "" : "s", res.last);
	return KK_EXIT_OK;
}
