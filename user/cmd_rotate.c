// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_rotate — `kakunin-bpf rotate --serial OLD --cert NEW [--ca BUNDLE] [--issuer CA]
 * [--grace SECONDS] [--json]`: argv to a rotate request, the operation (op_rotate.c), its
 * result or error as text or JSON.
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
	"usage: kakunin-bpf rotate --serial OLD --cert NEW [--ca BUNDLE] [--issuer CA_CERT]\n"
	"                          [--grace SECONDS] [--json]\n\n"
	"Move every binding of the certificate with serial OLD to the certificate NEW (checked\n"
	"as by bind), then revoke OLD: at once, or after SECONDS (kept by the daemon).\n"
	"With --json the result, or the error, is one JSON object on stdout.\n";

static const struct option opts[] = {
	{ "serial", required_argument, NULL, 's' },
	{ "cert", required_argument, NULL, 'c' },
	{ "ca", required_argument, NULL, 'a' },
	{ "issuer", required_argument, NULL, 'i' },
	{ "grace", required_argument, NULL, 'g' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_json(const struct kk_rotate_req *r, const struct kk_rotate_res *res)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "rotated", res->moved);
	cJSON_AddStringToObject(o, "old_serial", r->old_serial);
	cJSON_AddStringToObject(o, "new_serial", res->new_serial);
	cJSON_AddNumberToObject(o, "grace", r->grace);
	cJSON_AddBoolToObject(o, "old_revoked", !r->grace);
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

int cmd_rotate(int argc, char **argv)
{
	const char *serial = NULL, *cert = NULL, *ca = NULL, *issuer = NULL, *grace = NULL;
	bool json = kk_argv_has(argc, argv, "--json");
	struct kk_rotate_req req;
	struct kk_rotate_res res;
	struct kk_error e;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 's')
			serial = optarg;
		else if (c == 'c')
			cert = optarg;
		else if (c == 'a')
			ca = optarg;
		else if (c == 'i')
			issuer = optarg;
		else if (c == 'g')
			grace = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("rotate", c, argv, json);
	}
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
		return kk_usage_print("rotate", &e, json);
	}
	if (kk_rotate_req_init(&req, serial, cert, grace, &e))
		return kk_usage_print("rotate", &e, json);
	req.ca = ca;
	req.issuer = issuer;
	c = kk_op_rotate(&req, &res, &e);
	if (*res.warning) /* the rotation holds; its event or its record did not follow */
		kk_err("rotate", "%s", res.warning);
	if (c) {
		kk_error_print("rotate", &e, json);
		return KK_EXIT_FAIL;
	}
	if (json)
		print_json(&req, &res);
	else
		kk_info("kakunin-bpf: rotated %d binding%s from serial %s to %s; old certificate %s",
			res.moved, res.moved == 1 ? "" : "s", req.old_serial, res.new_serial,
			req.grace ? "revoked when the grace period ends" : "revoked");
	return KK_EXIT_OK;
}
