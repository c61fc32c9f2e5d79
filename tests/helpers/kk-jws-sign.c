// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-jws-sign — a test-only signer for tests/cli/verify.bats: signs standard input with a PEM key
 * file through kk_jws_sign (user/jws.h), as the signer would, without the signer's checks, so the
 * verify tests can make good and bad signatures at will (old iat, chosen jti, raw payloads).
 *
 *   kk-jws-sign --key KEY --cert CHAIN [--agent ID] [--action TYPE] [--iat N] [--jti HEX]
 *               [--raw] < payload
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>

#include "error.h"
#include "identity.h"
#include "jcs.h"
#include "jws.h"

static STACK_OF(X509) * read_chain(const char *path)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	FILE *f = fopen(path, "r");
	X509 *x;

	while (f && sk && (x = PEM_read_X509(f, NULL, NULL, NULL)))
		sk_X509_push(sk, x);
	if (f)
		fclose(f);
	return sk;
}

int main(int argc, char **argv)
{
	static const struct option o[] = {
		{ "key", 1, NULL, 'k' },   { "cert", 1, NULL, 'c' },
		{ "agent", 1, NULL, 'a' }, { "action", 1, NULL, 't' },
		{ "iat", 1, NULL, 'i' },   { "jti", 1, NULL, 'n' },
		{ "raw", 0, NULL, 'r' },   { 0 },
	};
	struct kk_jws_sign_in in = { .agent_id = "trader-1",
				     .action = "trade",
				     .policy_hash = "00",
				     .host = "testhost",
				     .payload_json = true,
				     .jti = "0123456789abcdef0123456789abcdef",
				     .iat = time(NULL) };
	const char *key = NULL, *cert = NULL;
	static char buf[1 << 20];
	struct kk_identity id;
	struct kk_error e = { 0 };
	char why[512], *canon = NULL, *out;
	size_t n;
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'a':
			in.agent_id = optarg;
			break;
		case 't':
			in.action = optarg;
			break;
		case 'i':
			in.iat = strtoll(optarg, NULL, 10);
			break;
		case 'n':
			in.jti = optarg;
			break;
		case 'r':
			in.payload_json = false;
			break;
		default:
			return 2;
		}
	}
	if (!key || !cert)
		return fprintf(stderr, "kk-jws-sign: --key and --cert required\n"), 2;
	f = fopen(key, "r");
	in.key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	in.chain = read_chain(cert);
	if (!in.key || !in.chain || kk_identity_load(cert, &id, why, sizeof(why)))
		return fprintf(stderr, "kk-jws-sign: cannot read the key or certificate\n"), 1;
	in.kid = id.serial;
	n = fread(buf, 1, sizeof(buf), stdin);
	if (in.payload_json && kk_jcs_text(buf, n, &canon, &e))
		return fprintf(stderr, "kk-jws-sign: payload: %s\n", e.why), 1;
	in.payload = (const unsigned char *)(canon ? canon : buf);
	in.payload_len = canon ? strlen(canon) : n;
	if (kk_jws_sign(&in, &out, &e))
		return fprintf(stderr, "kk-jws-sign: %s: %s\n", e.what, e.why), 1;
	puts(out);
	return 0;
}
