// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_revoke — `kakunin-bpf revoke --serial HEX [--issuer CA] [--reason TEXT] [--no-stop |
 * --kill] [--json]` and `revoke --crl FILE [--ca BUNDLE]`: argv to a revoke request, the
 * operation (op_revoke.c), its result or error as text or JSON. One write per identity flips
 * every binding of the certificate to revoked, then their processes are stopped (or killed, or with --no-stop left running) before
 * the command returns; the revocation is kept in the pinned list and the state directory for
 * later binds, restarts and reboots.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "log.h"
#include "op.h"
#include "state.h"

static const char usage[] =
	"usage: kakunin-bpf revoke --serial HEX [--issuer CA_CERT] [--reason TEXT]\n"
	"                          [--no-stop | --kill] [--json]\n"
	"       kakunin-bpf revoke --crl FILE [--ca BUNDLE] [--no-stop | --kill] [--json]\n\n"
	"Revoke the certificate with serial HEX (colons and 0x allowed): issued by the CA\n"
	"certificate CA_CERT, or by any issuer without --issuer. Every action of its bound\n"
	"tasks fails with EACCES from the moment this returns, reads and writes on what they\n"
	"hold open included, and they are stopped (SIGSTOP): some channels (vmsplice, tee,\n"
	"splice between pipes, POSIX message queues, shared mappings) pass no hook.\n"
	"--no-stop leaves them running; --kill kills them. The revocation persists\n"
	"(" KK_STATE_DIR ") and later binds of the certificate are refused. --crl imports\n"
	"every certificate of a CRL whose signature verifies with a CA of BUNDLE (default\n"
	"/etc/kakunin/ca.pem) and which is current (not past its nextUpdate).\n"
	"With --json the result, or the error, is one JSON object on stdout.\n";

static const struct option opts[] = {
	{ "serial", required_argument, NULL, 's' },
	{ "issuer", required_argument, NULL, 'i' },
	{ "reason", required_argument, NULL, 'r' },
	{ "kill", no_argument, NULL, 'k' },
	{ "no-stop", no_argument, NULL, 'n' },
	{ "crl", required_argument, NULL, 'c' },
	{ "ca", required_argument, NULL, 'a' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* ", 3 tasks stopped": what became of the revoked bindings' processes (nothing said with
 * --no-stop or when no binding was revoked). */
static const char *tasks_done(enum kk_revoke_tasks what, int bindings, int n, char *buf, size_t len)
{
	if (what == KK_REVOKE_KEEP || !bindings)
		return "";
	snprintf(buf, len, ", %d task%s %s", n, n == 1 ? "" : "s",
		 what == KK_REVOKE_KILL ? "killed" : "stopped");
	return buf;
}

static void print_text(const struct kk_revoke_op_req *r, const struct kk_revoke_op_res *res)
{
	char buf[64];
	const char *done = tasks_done(r->rev.tasks, res->bindings, res->tasks, buf, sizeof(buf));

	if (r->crl)
		kk_info("kakunin-bpf: imported %zu revocation%s from %s: %d binding%s revoked%s",
			res->imported, res->imported == 1 ? "" : "s", r->crl, res->bindings,
			res->bindings == 1 ? "" : "s", done);
	else
		kk_info("kakunin-bpf: revoked serial %s%s: %d binding%s%s", r->rev.serial,
			r->issuer ? "" : " (any issuer)", res->bindings,
			res->bindings == 1 ? "" : "s", done);
}

static void print_json(const struct kk_revoke_op_req *r, const struct kk_revoke_op_res *res)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	if (r->crl) {
		cJSON_AddStringToObject(o, "crl", r->crl);
		cJSON_AddNumberToObject(o, "imported", (double)res->imported);
	} else {
		cJSON_AddStringToObject(o, "serial", r->rev.serial);
		cJSON_AddStringToObject(o, "issuer", r->issuer ? r->issuer : "*");
		cJSON_AddStringToObject(o, "reason", r->rev.reason ? r->rev.reason : "");
	}
	cJSON_AddNumberToObject(o, "bindings", res->bindings);
	cJSON_AddStringToObject(o, "tasks", kk_revoke_tasks_name(r->rev.tasks));
	cJSON_AddNumberToObject(o, "signalled", res->tasks);
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

int cmd_revoke(int argc, char **argv)
{
	bool json = kk_argv_has(argc, argv, "--json");
	struct kk_revoke_opts o = { 0 };
	struct kk_revoke_op_req req;
	struct kk_revoke_op_res res;
	struct kk_error e;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.serial = optarg;
			break;
		case 'i':
			o.issuer = optarg;
			break;
		case 'r':
			o.reason = optarg;
			break;
		case 'k':
			o.kill = true;
			break;
		case 'n':
			o.no_stop = true;
			break;
		case 'c':
			o.crl = optarg;
			break;
		case 'a':
			o.ca = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return KK_EXIT_OK;
		default:
			return kk_bad_option_json("revoke", c, argv, json);
		}
	}
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
		return kk_usage_print("revoke", &e, json);
	}
	if (kk_revoke_op_req_init(&req, &o, &e))
		return kk_usage_print("revoke", &e, json);
	if (kk_op_revoke(&req, &res, &e)) {
		kk_error_print("revoke", &e, json);
		return KK_EXIT_FAIL;
	}
	if (json)
		print_json(&req, &res);
	else
		print_text(&req, &res);
	return KK_EXIT_OK;
}
