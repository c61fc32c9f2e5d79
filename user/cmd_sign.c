// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_sign — `kakunin-bpf sign [--type TYPE] [--socket PATH] [--raw] [--json] < PAYLOAD`: ask
 * the signer (sign_client.h) to sign the payload on standard input; print the JWS, or the
 * refusal as one line and exit 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "kakunin_limits.h"
#include "sign_client.h"

static const char usage[] =
	"usage: kakunin-bpf sign [--type TYPE] [--socket PATH] [--raw] [--json] < PAYLOAD\n\n"
	"Ask the signer (default socket " KK_SIGNER_SOCKET ") to sign the action on standard\n"
	"input: a JSON object (canonicalized by the signer, RFC 8785), or with --raw any bytes.\n"
	"TYPE (default trade) names the action in the policy's \"actions\" section. Prints the\n"
	"JWS; with --json the signer's whole reply (the JWS, the HTTP headers X-Agent-Signature,\n"
	"X-Agent-Certificate, X-Agent-Timestamp, and the risk). A refusal is one line\n"
	"'sign: refused: REASON: WHY' and exit 1. Only a process bound to the certificate of a\n"
	"key the signer holds gets a signature.\n";

static const struct option opts[] = {
	{ "type", required_argument, NULL, 't' },
	{ "socket", required_argument, NULL, 's' },
	{ "raw", no_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Standard input, at most max bytes: 0, or -EMSGSIZE when there is more. */
static int read_stdin(size_t max, char **out, size_t *len)
{
	char *buf = malloc(max + 1);
	size_t n = 0, r;

	if (!buf)
		return -ENOMEM;
	while (n <= max && (r = fread(buf + n, 1, max + 1 - n, stdin)) > 0)
		n += r;
	if (ferror(stdin)) {
		free(buf);
		return -EIO;
	}
	if (n > max) {
		free(buf);
		return -EMSGSIZE;
	}
	*out = buf;
	*len = n;
	return 0;
}

static bool type_ok(const char *t)
{
	size_t n = strlen(t);

	return n && n <= 64 && strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int cmd_sign(int argc, char **argv)
{
	const char *type = "trade", *sock = NULL;
	bool raw = false, json = kk_argv_has(argc, argv, "--json");
	struct kk_sign_reply rep;
	struct kk_error e = { 0 };
	char *payload = NULL;
	size_t len = 0;
	int c, err;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 't')
			type = optarg;
		else if (c == 's')
			sock = optarg;
		else if (c == 'r')
			raw = true;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("sign", c, argv, json);
	}
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s' (the payload is read "
			     "from standard input)", argv[optind]);
		return kk_usage_print("sign", &e, json);
	}
	if (!type_ok(type)) {
		kk_error_set(&e, -EINVAL, "--type", "an action type is 1 to 64 characters "
			     "a-z 0-9 _ . -");
		return kk_usage_print("sign", &e, json);
	}
	err = read_stdin(KK_SIGN_PAYLOAD_MAX * 2, &payload, &len);
	if (err) {
		kk_error_set(&e, err, "standard input", "%s", err == -EMSGSIZE ?
			     "payload larger than twice the largest the signer signs" :
			     strerror(-err));
		kk_error_print("sign", &e, json);
		return KK_EXIT_FAIL;
	}
	err = kk_sign_request(sock, type, payload, len, !raw, &rep, &e);
	free(payload);
	if (err) {
		kk_error_print("sign", &e, json);
		return KK_EXIT_FAIL;
	}
	if (json)
		puts(rep.line);
	else if (rep.ok)
		puts(rep.jws);
	else
		fprintf(stderr, "kakunin-bpf: sign: refused: %s: %s\n", rep.reason, rep.why);
	err = rep.ok ? KK_EXIT_OK : KK_EXIT_FAIL;
	kk_sign_reply_free(&rep);
	return err;
}
