// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-egresslat — the egress's cost against a direct TLS connection, in one run, each way
 * printed as one JSON line:
 *
 *   kk-egresslat relay N PORT MB      through the egress listening on 127.0.0.1:PORT: N times a
 *                                     new connection and one request line, its reply line
 *                                     (connect, attestation, the egress's TLS handshake, the
 *                                     round trip); then MB MiB through one connection to a sink
 *                                     upstream (tests/unit/egress-server.py sink) for MB/s.
 *                                     Run bound to the egress's agent.
 *   kk-egresslat direct N ADDR PORT MB CA CERT KEY
 *                                     the same, directly over TLS 1.3 with the agent's
 *                                     certificate and key files (unbound: a bound agent may not).
 *
 * The upstream answers each line with one line (egress-server.py echo) on PORT; on PORT + 1 it
 * reads a length line and that many bytes, then says how many it got (egress-server.py sink).
 * Prints {"kind": "egress", "mode", "n", "p50_us", "p90_us", "p99_us", "max_us", "mean_us",
 * "mib", "mib_per_s"}.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lat.h"

struct conn {
	int fd;
	SSL *ssl; /* NULL: plain (through the egress) */
};

static SSL_CTX *ctx;
static const char *addr = "127.0.0.1";

static int dial(int port, struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;

	inet_pton(AF_INET, addr, &sa.sin_addr);
	c->ssl = NULL;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!ctx)
		return 0;
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	return SSL_connect(c->ssl) == 1 ? 0 : -1;
}

static long io(struct conn *c, void *buf, size_t len, int wr)
{
	if (c->ssl)
		return wr ? SSL_write(c->ssl, buf, (int)len) : SSL_read(c->ssl, buf, (int)len);
	return wr ? write(c->fd, buf, len) : read(c->fd, buf, len);
}

static void hang_up(struct conn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
}

/* One connection, one line, its reply line. */
static int request(int port)
{
	char buf[256];
	struct conn c;
	long n, got = 0;

	if (dial(port, &c) || io(&c, "ping\n", 5, 1) != 5)
		return -1;
	while (got < (long)sizeof(buf) && (n = io(&c, buf + got, sizeof(buf) - got, 0)) > 0) {
		got += n;
		if (memchr(buf, '\n', got))
			break;
	}
	hang_up(&c);
	return got > 0 && memchr(buf, '\n', got) ? 0 : -1;
}

/* MiB through one connection to the sink; its MiB/s, < 0 on failure. */
static double bulk(int port, long mib)
{
	static char buf[65536];
	struct conn c;
	double t;
	long i, n;

	if (dial(port, &c))
		return -1;
	t = now_us();
	n = snprintf(buf, sizeof(buf), "%ld\n", mib << 20); /* how much is coming */
	if (io(&c, buf, (size_t)n, 1) != n)
		return -1;
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < mib * 16; i++)
		if (io(&c, buf, sizeof(buf), 1) != (long)sizeof(buf))
			return -1;
	n = io(&c, buf, sizeof(buf) - 1, 0); /* the sink's "N\n" once it has everything */
	t = now_us() - t;
	buf[n > 0 ? n : 0] = '\0';
	hang_up(&c);
	return atol(buf) == mib << 20 ? mib / (t / 1e6) : -1;
}

static int run(const char *mode, long n, int port, long mib)
{
	double *lat = calloc(n, sizeof(*lat)), sum = 0, t, rate;
	long i;

	for (i = 0; lat && i < n; i++) {
		t = now_us();
		if (request(port)) {
			fprintf(stderr, "kk-egresslat: %s: request %ld failed\n", mode, i);
			return 1;
		}
		lat[i] = now_us() - t;
		sum += lat[i];
	}
	rate = lat ? bulk(port + 1, mib) : -1;
	if (rate < 0) {
		fprintf(stderr, "kk-egresslat: %s: bulk transfer failed\n", mode);
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp);
	printf("{\"kind\": \"egress\", \"mode\": \"%s\", \"n\": %ld, \"p50_us\": %.1f, "
	       "\"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"mean_us\": %.1f, "
	       "\"mib\": %ld, \"mib_per_s\": %.1f}\n",
	       mode, n, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], lat[n - 1], sum / n, mib,
	       rate);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "relay"))
		return run("relay", atol(argv[2]), atoi(argv[3]), atol(argv[4]));
	if (argc == 9 && !strcmp(argv[1], "direct")) {
		ctx = SSL_CTX_new(TLS_client_method());
		addr = argv[3];
		if (!ctx || SSL_CTX_load_verify_file(ctx, argv[6]) != 1 ||
		    SSL_CTX_use_certificate_file(ctx, argv[7], SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, argv[8], SSL_FILETYPE_PEM) != 1) {
			ERR_print_errors_fp(stderr);
			return 1;
		}
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		return run("direct", atol(argv[2]), atoi(argv[4]), atol(argv[5]));
	}
	fprintf(stderr, "usage: kk-egresslat relay N PORT MIB | direct N ADDR PORT MIB CA CERT KEY\n");
	return 2;
}
