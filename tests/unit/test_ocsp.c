// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kk_ocsp_query and kk_ocsp_url (user/revocation_ocsp.c) against a real responder:
 * `openssl ocsp -index ... -port P` on the CA database tests/unit/make-revocation-certs.sh makes
 * in a fresh directory under /tmp (removed at the end), restarted for each responder setup
 * (OpenSSL 3.0's responder does not re-read its index after a revocation). A fake responder
 * forked here replays canned answers (no nonce, another nonce, garbage) and a socket that is
 * never accepted plays a responder that does not answer. Every child is killed at the end, and
 * dies with this program anyway (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "revocation.h"
#include "unit.h"

#define DIR_TEMPLATE "/tmp/kk-ocsp-XXXXXX"
#include "cert_fixture.h"
#define TIMEOUT_MS 5000
static char why[1024], url[64];
static struct kk_ocsp_result res;
static int aia_port;			/* in aia.pem's authorityInfoAccess */
static pid_t responder = -1, fake = -1; /* children, killed by stop() */

#define CHECK_WHY(sub)                                        \
	do {                                                  \
		if (!strstr(why, (sub)) || !one_line(why)) {  \
			unit_fail_begin(__FILE__, __LINE__);  \
			printf("expected why[] containing "); \
			unit_put_str(sub);                    \
			printf(", got ");                     \
			unit_put_str(why);                    \
			printf("\n");                         \
			return;                               \
		}                                             \
	} while (0)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Ask about cert (in dir) at u (NULL: the certificate's AIA URL). */
static int query_at(const char *cert, const char *bundle, const char *u, int timeout_ms,
		    int64_t now)
{
	memset(why, 0, sizeof(why));
	memset(&res, 0x55, sizeof(res));
	return kk_ocsp_query(P(cert), P(bundle), u, timeout_ms, now, &res, why, sizeof(why));
}

static int query(const char *cert, const char *bundle)
{
	return query_at(cert, bundle, url, TIMEOUT_MS, time(NULL));
}

/* A TCP port on 127.0.0.1 free right now: bound to port 0, learnt, closed. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &sl))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* A listening socket on a free 127.0.0.1 port into *port. */
static int listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void kill_child(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

static void stop(void)
{
	kill_child(&responder);
	kill_child(&fake);
}

/* In a child: die with the parent, even if it already died before this call. */
static void die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(127);
}

/*
 * `openssl ocsp` answering for CA ca from its database on port (0: a free one), signing with
 * rsigner (NAME.pem, NAME.key); opt: one more option and its value, or NULL. Ready once it logs
 * that it waits for clients: probing it with a bare connect would wedge it (3.0 spins on a
 * connection closed without a request).
 */
static int start(const char *ca, const char *rsigner, int port, const char *opt, const char *val)
{
	char index[PATH_MAX], pem[PATH_MAX], key[PATH_MAX], cacert[PATH_MAX], ports[16], buf[4096];
	const char *log = P("responder.log");
	pid_t parent = getpid();
	int fd, i;
	ssize_t n;

	stop();
	port = port ? port : free_port();
	snprintf(ports, sizeof(ports), "%d", port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	snprintf(index, sizeof(index), "%s/%s.d/index.txt", dir, ca);
	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, rsigner);
	snprintf(key, sizeof(key), "%s/%s.key", dir, rsigner);
	snprintf(cacert, sizeof(cacert), "%s/%s.pem", dir, ca);
	/* Not the previous responder's "waiting" line: the log is made anew by this one. */
	unlink(log);
	fflush(stdout);
	responder = fork();
	if (responder < 0)
		return -1;
	if (!responder) {
		die_with_parent(parent);
		fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execlp("openssl", "openssl", "ocsp", "-index", index, "-port", ports, "-rsigner",
		       pem, "-rkey", key, "-CA", cacert, "-nrequest", "50", opt, val, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		fd = open(log, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if (strstr(buf, "waiting for OCSP client connections"))
			return 0;
		if (waitpid(responder, NULL, WNOHANG) == responder) {
			responder = -1;
			break;
		}
		usleep(10000);
	}
	print_log(log);
	printf("# openssl ocsp responder did not start\n");
	stop();
	return -1;
}

/* --- the real responder --- */

UNIT_TEST(url_from_aia)
{
	char buf[64], want[64];

	snprintf(want, sizeof(want), "http://127.0.0.1:%d", aia_port);
	CHECK_EQ_INT(kk_ocsp_url(P("aia.pem"), buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, want);
	CHECK_EQ_INT(kk_ocsp_url(P("aia.pem"), buf, strlen(want)), -ERANGE);
	CHECK_EQ_INT(kk_ocsp_url(P("good.pem"), buf, sizeof(buf)), -ENOENT);
	CHECK_EQ_INT(kk_ocsp_url(P("missing.pem"), buf, sizeof(buf)), -ENOENT);
	CHECK_EQ_INT(kk_ocsp_url(P("ca.d"), buf, sizeof(buf)), -EISDIR);
	CHECK_EQ_INT(kk_ocsp_url(P("ca.cnf"), buf, sizeof(buf)), -EINVAL);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

UNIT_TEST(good_unknown_and_aia)
{
	int64_t t = time(NULL);

	CHECK_EQ_INT(start("ca", "ocsp", aia_port, NULL, NULL), 0);
	CHECK_EQ_INT(query("good.pem", "ca.pem"), 0);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(res.status, KK_OCSP_GOOD);
	CHECK(res.this_update >= t - 60 && res.this_update <= time(NULL));
	CHECK_EQ_INT(res.next_update, 0); /* no -ndays/-nmin: no nextUpdate */
	CHECK_EQ_INT(res.revoked_at, 0);
	CHECK_EQ_INT(res.reason, -1);
	/* Not yet revoked. */
	CHECK_EQ_INT(query("revoked.pem", "ca.pem"), 0);
	CHECK_EQ_INT(res.status, KK_OCSP_GOOD);
	/* Signed by the CA, but not in its database. */
	CHECK_EQ_INT(query("unknown.pem", "ca.pem"), 0);
	CHECK_EQ_INT(res.status, KK_OCSP_UNKNOWN);
	CHECK_EQ_INT(query_at("aia.pem", "ca.pem", NULL, TIMEOUT_MS, time(NULL)), 0);
	CHECK_EQ_INT(res.status, KK_OCSP_GOOD);
	CHECK_EQ_INT(query_at("good.pem", "ca.pem", NULL, TIMEOUT_MS, time(NULL)), -ENOENT);
	CHECK_WHY("good.pem: no OCSP URL in its authorityInfoAccess");
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/*
 * The responder answers "unknown" about another CA's certificate, signed by this CA's
 * delegate: not a responder the other CA authorized, so no valid answer at all.
 */
UNIT_TEST(answer_about_other_ca_refused)
{
	CHECK_EQ_INT(start("ca", "ocsp", 0, NULL, NULL), 0);
	CHECK_EQ_INT(query("oleaf.pem", "bundle-two.pem"), -EKEYREJECTED);
	CHECK_WHY("signer \"CN=OCSP responder\" not trusted for ");
	CHECK_WHY("bundle-two.pem: not the CA of this certificate, nor a responder it authorized");
	CHECK_EQ_INT(query("eleaf.pem", "ca.pem"), -EKEYREJECTED);
	CHECK_WHY("eleaf.pem: its issuer \"CN=Evil CA,O=kakunin test\" is neither in CA bundle ");
	CHECK_EQ_INT(query("ileaf.pem", "ca.pem"), -EKEYREJECTED);
	CHECK_WHY("is neither in CA bundle");
}

UNIT_TEST(revoked_after_restart)
{
	char cmd[3 * PATH_MAX];
	int64_t t = time(NULL);

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && KK_CA=ca.d openssl ca -batch -config ca.cnf -cert ca.pem "
		 "-keyfile ca.key -revoke revoked.pem -crl_reason keyCompromise >revoke.log 2>&1",
		 dir);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(start("ca", "ocsp", 0, NULL, NULL), 0);
	CHECK_EQ_INT(query("revoked.pem", "ca.pem"), 0);
	CHECK_EQ_INT(res.status, KK_OCSP_REVOKED);
	CHECK(res.revoked_at >= t - 60 && res.revoked_at <= time(NULL));
	CHECK_EQ_INT(res.reason, 1);
	CHECK_EQ_INT(query("good.pem", "ca.pem"), 0);
	CHECK_EQ_INT(res.status, KK_OCSP_GOOD);
}

/* -nmin 1: nextUpdate a minute on; the clock passed in is the one checked. */
UNIT_TEST(freshness)
{
	int64_t t = time(NULL);

	CHECK_EQ_INT(start("ca", "ocsp", 0, "-nmin", "1"), 0);
	CHECK_EQ_INT(query("good.pem", "ca.pem"), 0);
	CHECK_EQ_INT(res.next_update - res.this_update, 60);
	CHECK_EQ_INT(query_at("good.pem", "ca.pem", url, TIMEOUT_MS, t + 3600), -EKEYEXPIRED);
	CHECK_WHY("stale answer: nextUpdate ");
	CHECK_EQ_INT(query_at("good.pem", "ca.pem", url, TIMEOUT_MS, t + 60 + KK_OCSP_LEEWAY - 30),
		     0);
	CHECK_EQ_INT(query_at("good.pem", "ca.pem", url, TIMEOUT_MS, t - 3600), -EKEYEXPIRED);
	CHECK_WHY("answer not valid yet: thisUpdate ");
	CHECK_EQ_INT(query_at("good.pem", "ca.pem", url, TIMEOUT_MS, t - KK_OCSP_LEEWAY + 30), 0);
}

struct signer_case {
	const char *name, *ca, *rsigner, *cert, *bundle;
	int err;
	const char *why;
};

static const struct signer_case signer_cases[] = {
	{ "signed_by_ca_itself", "ca", "ca", "good.pem", "ca.pem", 0, "" },
	{ "intermediate_from_leaf_file", "inter", "inter", "ileaf-chain.pem", "ca.pem", 0, "" },
	{ "refuse_signer_of_untrusted_ca", "ca", "eocsp", "good.pem", "ca.pem", -EKEYREJECTED,
	  ": Verify error: unable to get local issuer certificate (error:" },
	{ "refuse_delegate_of_other_ca", "ca", "oocsp", "good.pem", "bundle-two.pem", -EKEYREJECTED,
	  "bundle-two.pem: not the CA of this certificate, nor a responder it authorized" },
	{ "refuse_delegate_without_eku", "ca", "ocspnoeku", "good.pem", "ca.pem", -EKEYREJECTED,
	  "missing ocspsigning usage" },
};

static const struct signer_case *cur_signer;

static void run_signer(void)
{
	const struct signer_case *c = cur_signer;

	CHECK_EQ_INT(start(c->ca, c->rsigner, 0, NULL, NULL), 0);
	CHECK_EQ_INT(query(c->cert, c->bundle), c->err);
	if (!c->err) {
		CHECK_EQ_STR(why, "");
		CHECK_EQ_INT(res.status, KK_OCSP_GOOD);
	} else {
		CHECK_WHY(c->why);
		CHECK(res.status == KK_OCSP_GOOD && res.this_update == 0 && res.reason == -1);
	}
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* --- no responder, a silent one, and a fake one --- */

UNIT_TEST(refused)
{
	int64_t t0 = now_ms();

	stop();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", free_port());
	CHECK_EQ_INT(query("good.pem", "ca.pem"), -ECONNREFUSED);
	CHECK(now_ms() - t0 < TIMEOUT_MS);
	CHECK_WHY(": cannot connect: Connection refused");
}

/* Connected (the kernel completes it into the backlog), never answered. */
UNIT_TEST(timeout)
{
	int port, fd = listener(&port);
	int64_t t0 = now_ms(), dt;
	int err;

	CHECK(fd >= 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	err = query_at("good.pem", "ca.pem", url, 300, time(NULL));
	dt = now_ms() - t0;
	close(fd);
	CHECK_EQ_INT(err, -ETIMEDOUT);
	CHECK_WHY(": no answer within the timeout");
	CHECK(dt >= 300 && dt < 2000);
}

/* Serve body (with status line st) to every connection, in a child; st NULL: hang up. */
static int serve(const char *st, const void *body, size_t len)
{
	char hdr[256], req[8192];
	pid_t parent = getpid();
	int port, lfd = listener(&port), c, h;

	if (lfd < 0)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", port);
	h = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.0 %s\r\nContent-Type: application/ocsp-response\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     st ? st : "", len);
	kill_child(&fake);
	fflush(stdout);
	fake = fork();
	if (fake) {
		close(lfd);
		return fake < 0 ? -1 : 0;
	}
	die_with_parent(parent);
	for (;;) {
		c = accept(lfd, NULL, NULL);
		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			_exit(1);
		/* One read gets the small request; the client waits for the answer anyway. */
		if (st && read(c, req, sizeof(req)) > 0 && write(c, hdr, h) == h &&
		    write(c, body, len) == (ssize_t)len)
			shutdown(c, SHUT_WR);
		close(c);
	}
}

static int serve_file(const char *name)
{
	static unsigned char body[16384];
	int fd = open(P(name), O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, body, sizeof(body)) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? serve("200 OK", body, n) : -1;
}

struct fake_case {
	const char *name, *file; /* file: a canned response made by the fixture script */
	const char *status, *body;
	size_t len;
	int err;
	const char *why;
};

static const struct fake_case fake_cases[] = {
	{ "refuse_response_without_nonce", "nononce.resp", "200 OK", NULL, 0, -EPROTO,
	  "response carries no nonce, so it could be a replay" },
	{ "refuse_replayed_response", "nonce.resp", "200 OK", NULL, 0, -EPROTO,
	  "response nonce does not match the request's" },
	{ "refuse_try_later", NULL, "200 OK", "\x30\x03\x0a\x01\x03", 5, -EPROTO,
	  "answered \"trylater\" (status 3)" },
	{ "refuse_garbage_response", NULL, "200 OK", "\x30\x03\x02\x01\x00", 5, -EPROTO,
	  ": no valid OCSP response over HTTP: Field=responseStatus, Type=OCSP_RESPONSE (error:" },
	{ "refuse_inconsistent_length", NULL, "200 OK", "\x30\x03garbage", 10, -EPROTO,
	  ": no valid OCSP response over HTTP: ASN.1 length=5, Content-Length=10 (error:" },
	{ "refuse_http_error", NULL, "500 Internal Server Error", "oops", 4, -EPROTO,
	  ": no valid OCSP response over HTTP: code=500, reason=Internal Server Error (error:" },
	{ "refuse_empty_response", NULL, "200 OK", "", 0, -EPROTO,
	  ": no valid OCSP response over HTTP (error:" },
};

static const struct fake_case *cur_fake;

static void run_fake(void)
{
	const struct fake_case *c = cur_fake;

	if (c->file)
		CHECK_EQ_INT(serve_file(c->file), 0);
	else
		CHECK_EQ_INT(serve(c->status, c->body, c->len), 0);
	CHECK_EQ_INT(query("good.pem", "ca.pem"), c->err);
	CHECK_WHY(c->why);
	CHECK(res.status == KK_OCSP_GOOD && res.this_update == 0 && res.reason == -1);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* Hung up on at once: an error, and no SIGPIPE taking the caller down. */
UNIT_TEST(responder_hangs_up)
{
	int err;

	CHECK_EQ_INT(serve(NULL, "", 0), 0);
	err = query("good.pem", "ca.pem");
	CHECK(err == -EPROTO || err == -ECONNRESET || err == -EPIPE);
	CHECK_WHY("OCSP responder http://127.0.0.1:");
	stop();
}

UNIT_TEST(bad_arguments)
{
	CHECK_EQ_INT(query_at("good.pem", "ca.pem", "https://127.0.0.1:1/", 100, 0),
		     -EPROTONOSUPPORT);
	CHECK_WHY("only http:// URLs are supported");
	CHECK_EQ_INT(query_at("good.pem", "ca.pem", "ldap://x/", 100, 0), -EINVAL);
	CHECK_WHY("OCSP responder ldap://x/: not a valid URL (error:");
	CHECK_EQ_INT(query_at("missing.pem", "ca.pem", url, 100, 0), -ENOENT);
	CHECK_WHY("missing.pem: cannot open: No such file or directory");
	CHECK_EQ_INT(query_at("good.pem", "missing.pem", url, 100, 0), -ENOENT);
	CHECK_WHY("CA bundle ");
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* --- fixtures (cert_fixture.h), with the port aia.pem names in its authorityInfoAccess --- */

static int make_fixtures(void)
{
	char port[16];

	aia_port = free_port();
	snprintf(port, sizeof(port), "%d", aia_port);
	return make_certs("make-revocation-certs.sh", "ocsp", port);
}

/* Stop the children, then remove the fixtures; also run at exit, so no responder is left. */
static void cleanup(void)
{
	stop();
	remove_fixtures();
}

UNIT_TEST(fixtures)
{
	CHECK_EQ_INT(make_fixtures(), 0);
}

int main(void)
{
	size_t i;

	/* A responder that closed early must not kill the test with SIGPIPE either. */
	atexit(cleanup);
	UNIT_RUN(fixtures);
	if (unit_failed) {
		cleanup();
		return unit_done();
	}
	UNIT_RUN(url_from_aia);
	UNIT_RUN(good_unknown_and_aia);
	UNIT_RUN(answer_about_other_ca_refused);
	UNIT_RUN(revoked_after_restart);
	UNIT_RUN(freshness);
	for (i = 0; i < sizeof(signer_cases) / sizeof(signer_cases[0]); i++) {
		cur_signer = &signer_cases[i];
		unit_run(cur_signer->name, run_signer);
	}
	UNIT_RUN(refused);
	UNIT_RUN(timeout);
	for (i = 0; i < sizeof(fake_cases) / sizeof(fake_cases[0]); i++) {
		cur_fake = &fake_cases[i];
		unit_run(cur_fake->name, run_fake);
	}
	UNIT_RUN(responder_hangs_up);
	UNIT_RUN(bad_arguments);
	cleanup();
	return unit_done();
}
