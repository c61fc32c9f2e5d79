// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_unbind — `kakunin-bpf unbind (--pid PID | --cgroup PATH | --serial HEX) [--json]`: argv to
 * an unbind request, the operation (op_unbind.c), its result or error as text or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "log.h"
#include "op.h"

static const char usage[] =
	"usage: kakunin-bpf unbind (--pid PID | --cgroup PATH | --serial HEX) [--json]\n\n"
	"End the binding of process PID, of the cgroup PATH, or every binding of the\n"
	"certificate with serial HEX (colons and a 0x prefix allowed). The tasks of a binding\n"
	"are free from their next action on; agent.unbound is emitted for each binding ended.\n"
	"With --json the result, or the error, is one JSON object on stdout.\n";

static const struct option opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "serial", required_argument, NULL, 's' },
	{ "cgroup", required_argument, NULL, 'g' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_json(const struct kk_unbind_req *r, const struct kk_unbind_res *res)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "unbound", res->n);
	if (r->by == KK_UNBIND_PID) {
		cJSON_AddNumberToObject(o, "binding", res->slot);
		cJSON_AddNumberToObject(o, "pid", r->pid);
	} else if (r->by == KK_UNBIND_CGROUP) {
		cJSON_AddNumberToObject(o, "binding", res->slot);
		cJSON_AddStringToObject(o, "cgroup", r->cgroup);
	} else {
		cJSON_AddStringToObject(o, "serial", r->serial_hex);
	}
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

static void print_text(const struct kk_unbind_req *r, const struct kk_unbind_res *res)
{
	if (r->by == KK_UNBIND_PID)
		kk_info("kakunin-bpf: unbound binding %u (PID %d)", res->slot, r->pid);
	else if (r->by == KK_UNBIND_CGROUP)
		kk_info("kakunin-bpf: unbound binding %u (cgroup %s)", res->slot, r->cgroup);
	else
		kk_info("kakunin-bpf: unbound %d binding%s of serial %s", res->n,
			res->n == 1 ? "" : "s", r->serial_hex);
}

int cmd_unbind(int argc, char **argv)
{
	const char *pid = NULL, *serial = NULL, *cgroup = NULL;
	bool json = kk_argv_has(argc, argv, "--json");
	struct kk_unbind_req req;
	struct kk_unbind_res res;
	struct kk_error e;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'p')
			pid = optarg;
		else if (c == 's')
			serial = optarg;
		else if (c == 'g')
			cgroup = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("unbind", c, argv, json);
	}
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
		return kk_usage_print("unbind", &e, json);
	}
	if (kk_unbind_req_init(&req, pid, cgroup, serial, &e))
		return kk_usage_print("unbind", &e, json);
	if (kk_op_unbind(&req, &res, &e)) {
		kk_error_print("unbind", &e, json);
		return KK_EXIT_FAIL;
	}
	if (json)
		print_json(&req, &res);
	else
		print_text(&req, &res);
	return KK_EXIT_OK;
}
