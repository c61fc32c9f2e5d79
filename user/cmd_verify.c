// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_verify — `kakunin-bpf verify --ca CA [--ocsp | --crl FILE] [--max-age S]
 * [--replay-db PATH] [--json] JWS|-`: the receiver's check of a signature the signer made
 * (verify.h). Needs no root, no kernel: a receiver is usually another host.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "error.h"
#include "verify.h"

static const char usage[] =
	"usage: kakunin-bpf verify --ca CA [--ocsp | --crl FILE] [--max-age SECONDS]\n"
	"                          [--replay-db PATH] [--json] JWS|-\n"
	"Verify a compact JWS from the signer (- reads it from standard input). Checks, in order:\n"
	"format, signature (x5c[0]'s key), chain (to CA, x5c[1..] as intermediates), validity,\n"
	"claims (typ, kid, iat, jti, cty; a JSON payload in RFC 8785 form), revocation,\n"
	"freshness (iat), replay (jti) and scope (the certificate's scope extension).\n"
	"--ca CA          trusted CA certificates, PEM (required)\n"
	"--ocsp           ask the OCSP responder of the certificate's authorityInfoAccess; no\n"
	"                 answer fails the check\n"
	"--crl FILE       look the certificate up in FILE (PEM or DER), signed by a CA of --ca\n"
	"--max-age S      oldest iat accepted, seconds (default 60; up to 30 s ahead accepted)\n"
	"--replay-db PATH refuse a jti seen before; record accepted ones (\"jti expiry\" lines)\n"
	"--json           a failure as a JSON verdict on stdout too\n"
	"Exit 0 with the JSON verdict on stdout; 1 naming the failing check; 2 usage.\n";

static const struct option opts[] = {
	{ "ca", required_argument, NULL, 'c' },
	{ "ocsp", no_argument, NULL, 'o' },
	{ "crl", required_argument, NULL, 'r' },
	{ "max-age", required_argument, NULL, 'm' },
	{ "replay-db", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int usage_error(bool json, const char *fmt, const char *arg)
{
	struct kk_error e;

	kk_error_set(&e, -EINVAL, NULL, fmt, arg);
	return kk_usage_print("verify", &e, json);
}

/* Standard input, at most KK_JWS_MAX + 1 bytes (one more tells kk_verify it is too long). */
static int read_stdin(char **out, size_t *len)
{
	size_t cap = KK_JWS_MAX + 2, n = 0;
	char *b = malloc(cap);
	ssize_t r;

	if (!b)
		return -ENOMEM;
	while (n < cap - 1 && (r = read(STDIN_FILENO, b + n, cap - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return -errno;
		}
		n += r;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

static cJSON *checks_json(const struct kk_verify_res *res)
{
	cJSON *c = cJSON_CreateObject();

	for (int i = 0; c && i < KK_VC_MAX; i++)
		cJSON_AddStringToObject(c, kk_verify_check_name(i),
					kk_verify_status_name(res->status[i]));
	return c;
}

static void print_json(cJSON *o)
{
	char *t = cJSON_PrintUnformatted(o);

	puts(t ? t : "{}");
	free(t);
	cJSON_Delete(o);
}

static void print_ok(const struct kk_verify_res *res)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "valid", true);
	cJSON_AddStringToObject(o, "agent_id", res->agent_id);
	cJSON_AddStringToObject(o, "serial", res->serial);
	cJSON_AddStringToObject(o, "subject_cn", res->subject_cn);
	cJSON_AddStringToObject(o, "action", res->action);
	cJSON_AddStringToObject(o, "host", res->host);
	cJSON_AddStringToObject(o, "policy_hash", res->policy_hash);
	cJSON_AddNumberToObject(o, "iat", (double)res->iat);
	cJSON_AddStringToObject(o, "jti", res->jti);
	cJSON_AddStringToObject(o, "alg", res->alg);
	cJSON_AddStringToObject(o, "cty", res->payload_json ? "json" : "octet");
	cJSON_AddStringToObject(o, "revocation", res->revocation_via);
	cJSON_AddItemToObject(o, "checks", checks_json(res));
	print_json(o);
}

static void print_fail(const struct kk_verify_res *res, const struct kk_error *e, bool json)
{
	const char *check = kk_verify_check_name(res->failed);
	char why[sizeof(e->what) + sizeof(e->why) + 2];
	cJSON *o;

	snprintf(why, sizeof(why), "%s%s%s", e->what, e->what[0] ? ": " : "", e->why);
	if (!json) {
		fprintf(stderr, "kakunin-bpf: verify: %s failed: %s\n", check, why);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "valid", false);
	cJSON_AddStringToObject(o, "check", check);
	cJSON_AddStringToObject(o, "why", why);
	cJSON_AddItemToObject(o, "checks", checks_json(res));
	print_json(o);
}

static int parse_opts(int argc, char **argv, struct kk_verify_req *req, bool *json)
{
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			req->ca = optarg;
			break;
		case 'j':
			*json = true;
			break;
		case 'd':
			req->replay_db = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		case 'o':
		case 'r':
			if (req->revocation != KK_VREV_NONE)
				return usage_error(*json, "%s", "one of --ocsp and --crl, once");
			req->revocation = c == 'o' ? KK_VREV_OCSP : KK_VREV_CRL;
			req->crl = c == 'r' ? optarg : NULL;
			break;
		case 'm':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 86400 * 365)
				return usage_error(*json,
						   "--max-age '%s': not a number of seconds "
						   "from 1 to 31536000",
						   optarg);
			req->max_age = v;
			break;
		default:
			return kk_bad_option_json("verify", c, argv, *json);
		}
	}
	if (!req->ca)
		return usage_error(*json, "%s", "--ca CA is required");
	if (optind != argc - 1)
		return usage_error(*json, "%s", "one JWS (or - for standard input) is required");
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	struct kk_verify_req req = { 0 };
	struct kk_verify_res res;
	bool json = kk_argv_has(argc, argv, "--json");
	struct kk_error e = { 0 };
	char *buf = NULL;
	int rc;

	rc = parse_opts(argc, argv, &req, &json);
	if (rc)
		return rc < 0 ? KK_EXIT_OK : rc;
	if (!strcmp(argv[optind], "-")) {
		rc = read_stdin(&buf, &req.len);
		if (rc) {
			kk_error_set(&e, rc, "standard input", "cannot read: %s", strerror(-rc));
			kk_error_print("verify", &e, json);
			return KK_EXIT_FAIL;
		}
		req.jws = buf;
	} else {
		req.jws = argv[optind];
		req.len = strlen(req.jws);
	}
	/* a trailing newline (echo, a file) is not part of the JWS */
	while (req.len && req.jws[req.len - 1] && strchr("\n\r \t", req.jws[req.len - 1]))
		req.len--;
	rc = kk_verify(&req, &res, &e);
	if (rc)
		print_fail(&res, &e, json);
	else
		print_ok(&res);
	free(buf);
	return rc ? KK_EXIT_FAIL : KK_EXIT_OK;
}
