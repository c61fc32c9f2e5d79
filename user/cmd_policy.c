// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_policy — `kakunin-bpf policy check FILE... [--json]` and `kakunin-bpf policy show FILE
 * [--json]`.
 * Both validate and compile; neither needs root, a kernel or DNS: hostnames are resolved by
 * bind, and here only with --resolve.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "error.h"
#include "output.h"
#include "policy.h"

static const char usage[] =
	"usage: kakunin-bpf policy check [--resolve] [--json] FILE...\n"
	"       kakunin-bpf policy show [--resolve] [--json] FILE\n"
	"FILE - reads the policy from standard input (named <stdin> in messages)\n\n"
	"check  validate and compile each policy: one summary line per file, or every error\n"
	"       as FILE:LINE:COL: field: reason (exit 1)\n"
	"show   the compiled rules (baseline and resolved addresses included) and the hash\n"
	"--resolve  also resolve hostnames now (an error when one does not resolve); without it\n"
	"           they stay symbolic (reported): bind resolves them. --offline: the default\n"
	"--json     check: one JSON object per file, one per line; show: the rules as JSON;\n"
	"           errors as JSON error objects on stdout, each policy error with its position\n";

/* How a file is named in messages: "-" is standard input. */
static const char *shown(const char *file)
{
	return strcmp(file, "-") ? file : "<stdin>";
}

static const struct option opts[] = {
	{ "offline", no_argument, NULL, 'o' },
	{ "resolve", no_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/*
 * Load and compile file; on failure print its errors (the FILE:LINE:COL lines, or with json
 * one error object listing them) and return non-zero.
 */
static int load_compiled(const char *file, bool offline, bool json, struct kk_policy *p,
			 struct kk_ruleset *rs)
{
	struct kk_policy_opts o = { .offline = offline };
	struct kk_errors errs = { 0 };
	struct kk_error e;
	int err;

	err = kk_policy_load(file, p, &errs);
	if (!err)
		err = kk_policy_compile(p, &o, rs, &errs);
	if (err) {
		if (!errs.n)
			kk_errors_add(&errs, 0, 0, "", "%s", strerror(-err));
		if (json) {
			kk_errors_record(shown(file), &errs, err, &e);
			kk_error_print_with("policy", &e, true, "errors",
					    kk_errors_json(shown(file), &errs));
		} else {
			kk_errors_print(stderr, shown(file), &errs);
		}
		kk_policy_free(p);
	}
	kk_errors_free(&errs);
	return err;
}

/*
 * What is valid but will not work as written on this host: an exec entry with no file behind
 * it (another host may have it, so not an error; nothing can run as it here until it exists),
 * an egress ca that is not a PEM certificate here (the egress would refuse that upstream).
 */
static void check_warnings(const struct kk_policy *p, const struct kk_ruleset *rs,
			   struct kk_errors *w)
{
	size_t i;

	for (i = 0; i < rs->n_exec && i < p->n_exec; i++) {
		char field[32];

		if (rs->exec[i].resolved)
			continue;
		snprintf(field, sizeof(field), "exec[%zu]", i);
		kk_errors_add(w, p->exec_pos ? p->exec_pos[i].line : 0,
			      p->exec_pos ? p->exec_pos[i].col : 0, field,
			      "\"%s\" does not exist on this host", rs->exec[i].path);
	}
	for (i = 0; i < p->n_egress; i++) {
		char field[340], why[400];

		if (!kk_egress_ca_check(&p->egress[i], why, sizeof(why)))
			continue;
		snprintf(field, sizeof(field), "egress[\"%s\"].ca", p->egress[i].upstream);
		kk_errors_add(w, p->egress_pos[i].ca.line, p->egress_pos[i].ca.col, field, "%s",
			      why);
	}
}

/* "FILE:LINE:COL: warning: field: reason", one line each. */
static void print_warnings(const char *file, const struct kk_errors *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		const struct kk_policy_error *x = &w->v[i];

		if (x->line)
			fprintf(stderr, "%s:%d:%d: warning: %s: %s\n", file, x->line, x->col,
				x->field, x->reason);
		else
			fprintf(stderr, "%s: warning: %s: %s\n", file, x->field, x->reason);
	}
}

static void check_json(const char *file, const struct kk_policy *p, const struct kk_ruleset *rs,
		       const struct kk_errors *w)
{
	char hash[KK_POLICY_HASH_HEX];
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(o, "file", file);
	cJSON_AddStringToObject(o, "agent_id", p->agent_id);
	if (p->spiffe_id)
		cJSON_AddStringToObject(o, "spiffe_id", p->spiffe_id);
	cJSON_AddStringToObject(o, "version", p->version);
	cJSON_AddStringToObject(o, "mode", p->mode == KK_MODE_AUDIT ? "audit" : "enforce");
	cJSON_AddNumberToObject(o, "path_rules", (double)p->n_paths);
	cJSON_AddNumberToObject(o, "exec", (double)p->n_exec);
	cJSON_AddNumberToObject(o, "network_rules", (double)p->n_hosts);
	cJSON_AddNumberToObject(o, "addresses_resolved", (double)rs->n_resolved);
	cJSON_AddNumberToObject(o, "symbolic", (double)rs->n_symbolic);
	cJSON_AddNumberToObject(o, "kernel_entries", (double)(rs->n_paths + rs->n_net +
							       rs->n_listen));
	cJSON_AddStringToObject(o, "hash", kk_policy_hash_hex(p, hash));
	cJSON_AddItemToObject(o, "warnings", kk_errors_json(file, w));
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

static int check_one(const char *file, bool offline, bool json)
{
	char hash[KK_POLICY_HASH_HEX];
	struct kk_errors w = { 0 };
	struct kk_policy p;
	struct kk_ruleset rs;

	if (load_compiled(file, offline, json, &p, &rs))
		return -1;
	check_warnings(&p, &rs, &w);
	file = shown(file);
	if (json) {
		check_json(file, &p, &rs, &w);
	} else {
		print_warnings(file, &w);
		printf("%s: ok: agent %s version %s, %s, %zu path rules, %zu exec, %zu network "
		       "rules (%zu addresses resolved, %zu symbolic), %zu kernel entries, "
		       "hash %s\n",
		       file, p.agent_id, p.version, p.mode == KK_MODE_AUDIT ? "audit" : "enforce",
		       p.n_paths, p.n_exec, p.n_hosts, rs.n_resolved,
		       rs.n_symbolic, rs.n_paths + rs.n_net + rs.n_listen,
		       kk_policy_hash_hex(&p, hash));
	}
	kk_errors_free(&w);
	kk_ruleset_free(&rs);
	kk_policy_free(&p);
	return 0;
}

static int show_one(const char *file, bool offline, bool json)
{
	struct kk_policy p;
	struct kk_ruleset rs;
	struct kk_error e;
	int err;

	if (load_compiled(file, offline, json, &p, &rs))
		return -1;
	err = kk_policy_print(stdout, &p, &rs, json);
	if (err) {
		kk_error_set(&e, err, NULL, "printing %s failed: %s", shown(file), strerror(-err));
		kk_error_print("policy", &e, json);
	}
	kk_ruleset_free(&rs);
	kk_policy_free(&p);
	return err;
}

static int usage_error(bool json, const char *fmt, const char *arg)
{
	struct kk_error e;

	kk_error_set(&e, -EINVAL, NULL, fmt, arg);
	return kk_usage_print("policy", &e, json);
}

int cmd_policy(int argc, char **argv)
{
	bool offline = true, json = kk_argv_has(argc, argv, "--json");
	const char *sub;
	int c, i, failed = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? KK_EXIT_USAGE : KK_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "check") && strcmp(sub, "show"))
		return usage_error(json, "unknown subcommand '%s' (check or show)", sub);
	argc--, argv++;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'o' || c == 'R')
			offline = c == 'o';
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("policy", c, argv, json);
	}
	if (optind >= argc)
		return usage_error(json, "%s needs a policy FILE", sub);
	if (!strcmp(sub, "show")) {
		if (argc - optind > 1)
			return usage_error(json, "%s", "show takes one FILE");
		return show_one(argv[optind], offline, json) ? KK_EXIT_FAIL : KK_EXIT_OK;
	}
	for (i = optind; i < argc; i++)
		failed |= check_one(argv[i], offline, json) != 0;
	return failed ? KK_EXIT_FAIL : KK_EXIT_OK;
}
