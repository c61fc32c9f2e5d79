// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_bind — `kakunin-bpf bind --pid PID --cert CERT --policy FILE [--ca BUNDLE] [--json]`: argv
 * to a bind request, the operation (op_bind.c), its result or error as text or JSON.
 *
 * The certificate is verified (chain, validity, agent_id, pinned policy hash), the policy
 * compiled, and only then is anything written: the policy's rules, the identity, the binding,
 * and last the mark on the task (through a pidfd, so a recycled PID is never bound by
 * mistake), after which every child it creates inherits the binding in the kernel. Any failure
 * undoes what was written: nothing is half-bound.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "bind.h"
#include "cli.h"
#include "log.h"
#include "op.h"

static const char usage[] =
	"usage: kakunin-bpf bind (--pid PID [--tree] | --cgroup PATH) --cert CERT --policy FILE\n"
	"                        [--ca BUNDLE] [--region R] [--offline] [--watch] [--json]\n"
	"       kakunin-bpf bind --replace (--pid PID | --cgroup PATH) --policy FILE\n"
	"                        [--cert CERT] [--ca BUNDLE] [--region R] [--offline] [--watch]\n"
	"                        [--json]\n\n"
	"Bind process PID (every thread of it) and every child it creates from now on — with\n"
	"--tree its existing descendants too — or every task of the cgroup v2 PATH, now and\n"
	"later, to the agent certificate CERT and the scope policy FILE. CERT must chain to a\n"
	"CA in BUNDLE (default /etc/kakunin/ca.pem), be valid now, name the policy's agent_id\n"
	"(CN or SAN URI) and, if it pins a policy hash, pin this policy's. --offline keeps\n"
	"hostnames unresolved. --tree binds 32 generations below PID: a deeper tree is\n"
	"refused and nothing is bound. With --json the result, or the error, is one JSON\n"
	"object on stdout.\n\n"
	"--replace gives the binding that PID carries (every process of it), or the cgroup's,\n"
	"the policy FILE without unbinding: the new rules are installed, then the binding is\n"
	"switched to them in one map write, so its tasks are never unconfined; if anything is\n"
	"refused the old policy stays in force. The identity stays: CERT, if given, must be the\n"
	"binding's certificate (rotate changes it); else its copy in the state directory is\n"
	"verified again. --watch makes the daemon follow FILE from then on: when it changes\n"
	"(also by a symlink swap, as Kubernetes updates a ConfigMap) it is replaced the same\n"
	"way; a new FILE that is refused is one error line and an agent.warning event, and\n"
	"the policy in force stays. --replace without --watch stops following a file.\n";

static const struct option opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "tree", no_argument, NULL, 't' },
	{ "cgroup", required_argument, NULL, 'g' },
	{ "cert", required_argument, NULL, 'c' },
	{ "policy", required_argument, NULL, 'P' },
	{ "ca", required_argument, NULL, 'a' },
	{ "offline", no_argument, NULL, 'o' },
	{ "region", required_argument, NULL, 'r' },
	{ "replace", no_argument, NULL, 'R' },
	{ "watch", no_argument, NULL, 'w' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

void kk_bind_print_error(const char *cmd, const struct kk_bind_req *r, const struct kk_error *e,
			 bool json)
{
	/* A policy's errors keep their FILE:LINE:COL lines; JSON gets them as a list. */
	if (r->perrs.n && !json)
		kk_errors_print(stderr, r->policy, &r->perrs);
	else
		kk_error_print_with(cmd, e, json, "errors",
				    r->perrs.n ? kk_errors_json(r->policy, &r->perrs) : NULL);
}

void kk_bind_print_warnings(const char *cmd, const struct kk_bind_req *r)
{
	char line[8192];
	size_t i;

	for (i = 0; i < r->pwarns.n; i++) {
		kk_errors_format(r->policy, &r->pwarns.v[i], line, sizeof(line));
		kk_err(cmd, "warning: %s", line);
	}
}

static void print_json(const struct kk_bind_req *r)
{
	char hash[KK_POLICY_HASH_HEX];
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "binding", r->slot);
	cJSON_AddNumberToObject(o, "gen", r->gen);
	if (r->cgroup) {
		cJSON_AddStringToObject(o, "cgroup", r->cgroup);
	} else {
		cJSON_AddNumberToObject(o, "pid", r->pid);
		cJSON_AddBoolToObject(o, "tree", r->tree);
	}
	cJSON_AddStringToObject(o, "agent", r->pol.agent_id);
	cJSON_AddStringToObject(o, "serial", r->id.serial);
	cJSON_AddStringToObject(o, "policy_version", r->pol.version);
	cJSON_AddStringToObject(o, "policy_hash", kk_policy_hash_hex(&r->pol, hash));
	cJSON_AddItemToObject(o, "warnings", kk_errors_json(r->policy, &r->pwarns));
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

static void print_text(const struct kk_bind_req *r)
{
	char hash[KK_POLICY_HASH_HEX];

	kk_policy_hash_hex(&r->pol, hash);
	if (r->cgroup)
		kk_info("kakunin-bpf: bound cgroup %s as agent %s (serial %s, binding %u, policy "
			"%s %.12s)", r->cgroup, r->pol.agent_id, r->id.serial, r->slot,
			r->pol.version, hash);
	else
		kk_info("kakunin-bpf: bound PID %d as agent %s (serial %s, binding %u, policy %s "
			"%.12s)", r->pid, r->pol.agent_id, r->id.serial, r->slot, r->pol.version,
			hash);
}

static void print_replace_json(const struct kk_bind_req *r, const struct kk_replace_res *res)
{
	char hash[KK_POLICY_HASH_HEX];
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "binding", r->slot);
	cJSON_AddNumberToObject(o, "gen", r->gen);
	if (r->cgroup)
		cJSON_AddStringToObject(o, "cgroup", r->cgroup);
	else
		cJSON_AddNumberToObject(o, "pid", r->pid);
	cJSON_AddStringToObject(o, "agent", r->pol.agent_id);
	cJSON_AddStringToObject(o, "serial", r->id.serial);
	cJSON_AddStringToObject(o, "policy_version", r->pol.version);
	cJSON_AddStringToObject(o, "policy_hash", kk_policy_hash_hex(&r->pol, hash));
	cJSON_AddBoolToObject(o, "replaced", !res->unchanged);
	cJSON_AddStringToObject(o, "previous_policy_version", res->old_version);
	cJSON_AddStringToObject(o, "previous_policy_hash", res->old_hash);
	if (r->watch[0])
		cJSON_AddStringToObject(o, "watch", r->watch);
	else
		cJSON_AddNullToObject(o, "watch");
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

static void print_replace_text(const struct kk_bind_req *r, const struct kk_replace_res *res)
{
	char target[PATH_MAX + 16], hash[KK_POLICY_HASH_HEX];

	kk_policy_hash_hex(&r->pol, hash);
	if (r->cgroup)
		snprintf(target, sizeof(target), "cgroup %s", r->cgroup);
	else
		snprintf(target, sizeof(target), "PID %d", r->pid);
	if (res->unchanged)
		kk_info("kakunin-bpf: %s (binding %u, agent %s) has policy %s %.12s already: "
			"nothing replaced%s", target, r->slot, r->pol.agent_id, r->pol.version,
			hash, r->watch[0] ? "; the daemon follows the file" : "");
	else
		kk_info("kakunin-bpf: replaced the policy of %s (binding %u, agent %s, serial %s): "
			"policy %s %.12s, was %s %.12s%s", target, r->slot, r->pol.agent_id,
			r->id.serial, r->pol.version, hash, res->old_version, res->old_hash,
			r->watch[0] ? "; the daemon follows the file" : "");
}

static int do_replace(struct kk_bind_req *r, bool json)
{
	struct kk_replace_res res;
	struct kk_error e;
	int rc = KK_EXIT_OK;

	if (kk_op_replace(r, &res, &e)) {
		kk_bind_print_error("bind", r, &e, json);
		rc = KK_EXIT_FAIL;
	} else if (json) {
		print_replace_json(r, &res);
	} else {
		print_replace_text(r, &res);
	}
	if (!rc && *res.warning) /* replaced; its record or event did not follow */
		kk_err("bind", "%s", res.warning);
	kk_bind_release(r);
	return rc;
}

/* One option into o; false for what getopt rejected. */
static bool take_option(int c, struct kk_bind_opts *o, bool *json)
{
	switch (c) {
	case 'p':
		o->pid = optarg;
		break;
	case 'c':
		o->cert = optarg;
		break;
	case 't':
		o->tree = true;
		break;
	case 'g':
		o->cgroup = optarg;
		break;
	case 'P':
		o->policy = optarg;
		break;
	case 'a':
		o->ca = optarg;
		break;
	case 'o':
		o->offline = true;
		break;
	case 'r':
		o->region = optarg;
		break;
	case 'R':
		o->replace = true;
		break;
	case 'w':
		o->watch = true;
		break;
	case 'j':
		*json = true;
		break;
	default:
		return false;
	}
	return true;
}

int cmd_bind(int argc, char **argv)
{
	bool json = kk_argv_has(argc, argv, "--json");
	struct kk_bind_opts o = { 0 };
	struct kk_bind_req req;
	struct kk_error e;
	int c, rc = KK_EXIT_OK;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		if (!take_option(c, &o, &json))
			return kk_bad_option_json("bind", c, argv, json);
	}
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
		return kk_usage_print("bind", &e, json);
	}
	if (kk_bind_req_init(&req, &o, &e))
		return kk_usage_print("bind", &e, json);
	if (o.replace)
		return do_replace(&req, json);
	if (kk_op_bind(&req, &e)) {
		kk_bind_print_error("bind", &req, &e, json);
		rc = KK_EXIT_FAIL;
	} else if (json) {
		print_json(&req);
	} else {
		kk_bind_print_warnings("bind", &req);
		print_text(&req);
	}
	if (*req.warning) /* bound; the record for the daemon could not be written */
		kk_err("bind", "%s", req.warning);
	kk_bind_release(&req);
	return rc;
}
