// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of what the daemon's CRL fetcher is made of (user/revocation_fetch.c,
 * kk_crl_load_mem in user/revocation_crl.c): the CRL Distribution Points of a certificate made by
 * the openssl CLI, a CRL verified from memory with its nextUpdate, and an HTTP GET against a
 * one-shot server forked here (the CRL's bytes, unchanged), https and a closed port refused.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "revocation.h"
#include "unit.h"

#define DIR_TEMPLATE "/tmp/kk-crlf-XXXXXX"
#include "cert_fixture.h"

static char why[1024];

/* The whole file at path into *buf (malloc'd); its length, or -1. */
static long slurp(const char *path, unsigned char **buf)
{
	FILE *f = fopen(path, "rb");
	long n = -1;

	*buf = NULL;
	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		*buf = malloc(n);
		if (!*buf || fread(*buf, 1, n, f) != (size_t)n)
			n = -1;
	}
	if (f)
		fclose(f);
	return n;
}

UNIT_TEST(cdp_urls)
{
	char urls[3][KK_CRL_URL_MAX];
	size_t n = 99;

	CHECK_EQ_INT(kk_crl_cdp_urls(P("cdp.pem"), urls, 3, &n), 0);
	CHECK_EQ_INT(n, 2); /* the ldap:// one is not fetched */
	CHECK_EQ_STR(urls[0], "http://crl.example/ca.crl");
	if (n == 2)
		CHECK_EQ_STR(urls[1], "HTTP://127.0.0.1:9/b.crl");
	CHECK_EQ_INT(kk_crl_cdp_urls(P("cdp.pem"), urls, 1, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(kk_crl_cdp_urls(P("leaf1.pem"), urls, 3, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK(kk_crl_cdp_urls(P("crl.pem"), urls, 3, &n) < 0);
	CHECK_EQ_INT(kk_crl_cdp_urls(P("nonexistent.pem"), urls, 3, &n), -ENOENT);
}

UNIT_TEST(load_mem)
{
	struct kk_revoked *v = NULL;
	unsigned char *buf;
	int64_t nu = -1, now = time(NULL);
	size_t n = 0;
	long len = slurp(P("crl.der"), &buf);

	CHECK(len > 0);
	CHECK_EQ_INT(kk_crl_load_mem("http://x/c.crl", buf, len, P("ca.pem"), now, &v, &n, &nu, why,
				     sizeof(why)), 0);
	CHECK_EQ_INT(n, 3);
	/* default_crl_days = 7 in the fixture's ca.cnf */
	CHECK(nu > now + 7 * 86400 - 120 && nu <= now + 7 * 86400);
	free(v);
	free(buf);
	len = slurp(P("forged.crl.pem"), &buf);
	CHECK_EQ_INT(kk_crl_load_mem("http://x/f.crl", buf, len, P("ca.pem"), now, &v, &n, &nu, why,
				     sizeof(why)), -EKEYREJECTED);
	CHECK(!v && !n && !nu);
	CHECK(!strncmp(why, "CRL http://x/f.crl: bad signature: not signed by the key of", 59));
	free(buf);
}

/* A server on 127.0.0.1 that answers one request with body (len bytes); its port. */
static int serve_once(const unsigned char *body, long len, pid_t *pid)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	char req[4096], hdr[128];
	int s = socket(AF_INET, SOCK_STREAM, 0), c;

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&a, &al))
		return -1;
	*pid = fork();
	if (*pid) {
		close(s);
		return *pid < 0 ? -1 : ntohs(a.sin_port);
	}
	c = accept(s, NULL, NULL);
	if (c >= 0 && read(c, req, sizeof(req)) > 0) {
		snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl"
			 "\r\nContent-Length: %ld\r\n\r\n", len);
		if (write(c, hdr, strlen(hdr)) < 0 || write(c, body, len) < 0)
			_exit(1);
	}
	_exit(0);
}

UNIT_TEST(fetch)
{
	unsigned char *crl, *got = NULL;
	long len = slurp(P("crl.der"), &crl);
	char url[64];
	size_t glen = 0;
	pid_t pid = 0;
	int port = serve_once(crl, len, &pid);

	CHECK(port > 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ca.crl", port);
	if (kk_crl_fetch(url, 2000, &got, &glen, why, sizeof(why)))
		printf("# %s\n", why);
	CHECK_EQ_INT(glen, len);
	CHECK(got && !memcmp(got, crl, len));
	if (pid > 0)
		waitpid(pid, NULL, 0);
	free(got);
	free(crl);

	CHECK_EQ_INT(kk_crl_fetch("https://127.0.0.1/ca.crl", 2000, &got, &glen, why, sizeof(why)),
		     -EPROTONOSUPPORT);
	CHECK_EQ_STR(why, "CRL https://127.0.0.1/ca.crl: only http:// URLs are supported");
	/* The port the server listened on is closed now. */
	CHECK(kk_crl_fetch(url, 1000, &got, &glen, why, sizeof(why)) < 0);
	CHECK(!got && !glen);
	CHECK(!strncmp(why, "CRL ", 4) && strstr(why, ": cannot fetch") && one_line(why));
}

UNIT_TEST(fixtures)
{
	CHECK_EQ_INT(make_certs("make-revocation-certs.sh", "crl", NULL), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	UNIT_RUN(fixtures);
	if (unit_failed) {
		remove_fixtures();
		return unit_done();
	}
	UNIT_RUN(cdp_urls);
	UNIT_RUN(load_mem);
	UNIT_RUN(fetch);
	remove_fixtures();
	return unit_done();
}
