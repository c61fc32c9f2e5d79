// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-signlat — signing latency, two ways, each printed as one JSON line with its percentiles:
 *
 *   kk-signlat socket N [SOCKET]      N requests to the running signer through the C client
 *                                     (connect, one request line, the reply: the whole round
 *                                     trip an agent sees, attestation and checks included).
 *                                     Run bound (the signer refuses anyone else): where
 *                                     BPF-LSM runs, natively or in the test VM.
 *   kk-signlat work N KEY CERT        the signer's per-request work without a kernel, on this
 *                                     machine's real CPU: canonicalize the payload (RFC 8785),
 *                                     sign (JWS, the key's algorithm: ES256 for P-256) and
 *                                     verify the result once more, as the signer does before it
 *                                     replies, plus a unix socketpair round trip of the reply.
 *
 * Prints {"kind": "sign", "mode", "n", "p50_us", "p90_us", "p99_us", "max_us", "mean_us"}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/pem.h>

#include "error.h"
#include "jcs.h"
#include "jws.h"
#include "sign_client.h"
#include "lat.h"

static const char payload[] = "{\"side\": \"buy\", \"symbol\": \"BTC\", \"qty\": 0.1}";

static void report(const char *mode, double *lat, long n)
{
	double sum = 0;
	long i;

	qsort(lat, n, sizeof(*lat), cmp);
	for (i = 0; i < n; i++)
		sum += lat[i];
	printf("{\"kind\": \"sign\", \"mode\": \"%s\", \"n\": %ld, \"p50_us\": %.1f, "
	       "\"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"mean_us\": %.1f}\n",
	       mode, n, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], lat[n - 1], sum / n);
}

static int over_socket(long n, const char *sock, double *lat)
{
	struct kk_sign_reply r;
	struct kk_error e = { 0 };
	long i;
	double t;

	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		t = now_us();
		if (kk_sign_request(sock, "trade", payload, sizeof(payload) - 1, true, &r, &e)) {
			fprintf(stderr, "kk-signlat: %s: %s\n", e.what, e.why);
			return 1;
		}
		lat[i] = now_us() - t;
		if (!r.ok) {
			fprintf(stderr, "kk-signlat: refused: %s: %s\n", r.reason, r.why);
			kk_sign_reply_free(&r);
			return 1;
		}
		kk_sign_reply_free(&r);
	}
	return 0;
}

/* One request's work as the signer does it, and the reply through a socketpair. */
static int one_request(struct kk_jws_sign_in *in, const int sv[2], char *buf, size_t blen)
{
	struct kk_error e = { 0 };
	struct kk_jws j = { 0 };
	char *canon = NULL, *jws = NULL;
	int err;
	size_t len;

	err = kk_jcs_text(payload, sizeof(payload) - 1, &canon, &e);
	if (!err) {
		in->payload = (const unsigned char *)canon;
		in->payload_len = strlen(canon);
		in->iat = time(NULL);
		err = kk_jws_sign(in, &jws, &e);
	}
	if (!err)
		err = kk_jws_parse_verify(jws, strlen(jws), &j, &e);
	if (!err) {
		len = strlen(jws) < blen ? strlen(jws) : blen;
		if (write(sv[0], jws, len) != (ssize_t)len || read(sv[1], buf, blen) <= 0)
			err = -errno ?: -EIO;
	}
	if (err)
		fprintf(stderr, "kk-signlat: %s: %s\n", e.what, e.why);
	kk_jws_free(&j);
	free(jws);
	free(canon);
	return err;
}

static int work(long n, const char *keyf, const char *certf, double *lat)
{
	struct kk_jws_sign_in in = { .kid = "1000", .agent_id = "bench", .host = "bench",
				     .action = "trade", .payload_json = true,
				     .jti = "00112233445566778899aabbccddeeff",
				     .policy_hash = "00" };
	static char buf[1 << 16];
	FILE *f = NULL;
	X509 *cert = NULL;
	int sv[2] = { -1, -1 }, err = 1;
	long i;
	double t;

	in.chain = sk_X509_new_null();
	if ((f = fopen(keyf, "r")))
		in.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (f)
		fclose(f);
	if ((f = fopen(certf, "r")))
		cert = PEM_read_X509(f, NULL, NULL, NULL);
	if (f)
		fclose(f);
	if (!in.key || !cert || !in.chain || !sk_X509_push(in.chain, cert) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		fprintf(stderr, "kk-signlat: cannot read %s / %s\n", keyf, certf);
		goto out;
	}
	for (i = 0; i < n; i++) {
		t = now_us();
		if (one_request(&in, sv, buf, sizeof(buf)))
			goto out;
		lat[i] = now_us() - t;
	}
	err = 0;
out:
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	sk_X509_pop_free(in.chain, X509_free);
	EVP_PKEY_free(in.key);
	return err;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	double *lat;
	int err;

	bool sock = (argc == 3 || argc == 4) && !strcmp(argv[1], "socket");
	bool wk = argc == 5 && !strcmp(argv[1], "work");

	if (n <= 0 || (!sock && !wk)) {
		fprintf(stderr, "usage: kk-signlat socket N [SOCKET] | kk-signlat work N KEY CERT\n");
		return 2;
	}
	lat = calloc(n, sizeof(*lat));
	if (!lat)
		return 1;
	if (sock)
		err = over_socket(n, argc == 4 ? argv[3] : NULL, lat);
	else
		err = work(n, argv[3], argv[4], lat);
	if (!err)
		report(argv[1], lat, n);
	free(lat);
	return err ? 1 : 0;
}
