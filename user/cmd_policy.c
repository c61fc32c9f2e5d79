// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_policy — `kakunin-bpf policy check FILE...` and `kakunin-bpf policy show FILE [--json]`.
 * Both validate and compile (resolving hostnames unless --offline); neither needs root or a
 * kernel.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "log.h"
#include "output.h"
#include "policy.h"

static const char usage[] =
	"usage: kakunin-bpf policy check [--offline] FILE...\n"
	"       kakunin-bpf policy show [--offline] [--json] FILE\n\n"
	"check  validate and compile each policy: one summary line per file, or every error\n"
	"       as FILE:LINE:COL: field: reason (exit 1)\n"
	"show   the compiled rules (baseline and resolved addresses included) and the hash\n"
	"--offline  keep hostnames symbolic instead of resolving them (reported)\n";

static const struct option opts[] = {
	{ "offline", no_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Load and compile file; on failure print its errors and return non-zero. */
static int load_compiled(const char *file, bool offline, struct kk_policy *p,
			 struct kk_ruleset *rs)
{
	struct kk_policy_opts o = { .offline = offline };
	struct kk_errors e = { 0 };
	int err;

	err = kk_policy_load(file, p, &e);
	if (!err)
		err = kk_policy_compile(p, &o, rs, &e);
	if (err) {
		if (!e.n)
			kk_errors_add(&e, 0, 0, "", "%s", strerror(-err));
		kk_errors_print(stderr, file, &e);
		kk_policy_free(p);
	}
	kk_errors_free(&e);
	return err;
}

static int check_one(const char *file, bool offline)
{
	struct kk_policy p;
	struct kk_ruleset rs;

	if (load_compiled(file, offline, &p, &rs))
		return -1;
	printf("%s: ok: agent %s version %s, %s, %zu path rules, %zu exec, %zu network rules "
	       "(%zu addresses resolved, %zu symbolic), %zu kernel entries, hash %s\n",
	       file, p.agent_id, p.version, p.mode == KK_MODE_AUDIT ? "audit" : "enforce",
	       p.n_paths, p.n_exec, p.n_hosts, rs.n_resolved,
	       rs.n_symbolic, rs.n_paths + rs.n_net + rs.n_listen, p.hash);
	kk_ruleset_free(&rs);
	kk_policy_free(&p);
	return 0;
}

static int show_one(const char *file, bool offline, bool json)
{
	struct kk_policy p;
	struct kk_ruleset rs;
	int err;

	if (load_compiled(file, offline, &p, &rs))
		return -1;
	err = kk_policy_print(stdout, &p, &rs, json);
	if (err)
		kk_err("policy", "printing %s failed: %s", file, strerror(-err));
	kk_ruleset_free(&rs);
	kk_policy_free(&p);
	return err;
}

int cmd_policy(int argc, char **argv)
{
	bool offline = false, json = false;
	const char *sub;
	int c, i, failed = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? KK_EXIT_USAGE : KK_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "check") && strcmp(sub, "show"))
		return kk_usage_error("policy", "unknown subcommand '%s' (check or show)", sub);
	argc--, argv++;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			offline = true;
			break;
		case 'j':
			if (!strcmp(sub, "check"))
				return kk_usage_error("policy", "--json is an option of 'policy show'");
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return KK_EXIT_OK;
		default:
			return kk_bad_option("policy", c, argv);
		}
	}
	if (optind >= argc)
		return kk_usage_error("policy", "%s needs a policy FILE", sub);
	if (!strcmp(sub, "show")) {
		if (argc - optind > 1)
			return kk_usage_error("policy", "show takes one FILE");
		return show_one(argv[optind], offline, json) ? KK_EXIT_FAIL : KK_EXIT_OK;
	}
	for (i = optind; i < argc; i++)
		failed |= check_one(argv[i], offline) != 0;
	return failed ? KK_EXIT_FAIL : KK_EXIT_OK;
}
