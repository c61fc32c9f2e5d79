// SPDX-License-Identifier: GPL-2.0-only
/*
 * revocation_ocsp — ask the CA's OCSP responder whether one certificate is revoked. The answer
 * decides whether an agent keeps its bindings, so only an answer that provably comes from the
 * CA (or the responder it delegated), for this very request (nonce), and current, counts;
 * anything else is an error the caller fails closed on.
 *
 * Transport is plain HTTP through OpenSSL's non-blocking HTTP client, on a socket connected
 * here: OpenSSL 3.0 bounds its waits in whole seconds only and would pick a proxy from the
 * environment, while the caller's timeout is in milliseconds and the responder is to be reached
 * directly. The response is signed, so HTTP adds no trust and TLS would add none either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "revocation_int.h"

/* An OCSP response for one certificate is a few KiB; OpenSSL's default cap is 100 KiB. */
#define KK_OCSP_RESP_MAX (100u * 1024)

/* What one query works with; kk_ocsp_query frees it. */
struct query {
	const char *cert, *bundle, *url;
	X509 *leaf, *issuer;
	kk_x509s *extra, *cas;
	OCSP_REQUEST *req;
	OCSP_CERTID *id;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	int64_t deadline; /* CLOCK_MONOTONIC, ms */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The text OpenSSL attached to its last error (the chain verdict, "code=500,reason=..."), which
 * kk_id_why leaves out; valid until the error queue is cleared.
 */
static const char *last_error_data(void)
{
	const char *data = NULL;
	int flags = 0;

	if (!ERR_peek_last_error_data(&data, &flags) || !(flags & ERR_TXT_STRING) || !data)
		return "";
	return data;
}

/* The first http:// OCSP URL of x's authorityInfoAccess, else its first; NULL when none. */
static char *aia_url(X509 *x)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(x);
	char *u, *pick = NULL;
	int i;

	for (i = 0; i < sk_OPENSSL_STRING_num(urls); i++) {
		u = sk_OPENSSL_STRING_value(urls, i);
		if (!strncasecmp(u, "http://", 7)) {
			pick = u;
			break;
		}
	}
	if (!pick && sk_OPENSSL_STRING_num(urls) > 0)
		pick = sk_OPENSSL_STRING_value(urls, 0);
	pick = pick ? strdup(pick) : NULL;
	X509_email_free(urls);
	return pick;
}

int kk_ocsp_url(const char *cert_path, char *buf, size_t len)
{
	kk_x509s *extra = NULL;
	X509 *leaf = NULL;
	char tmp[256], *u;
	int err;

	err = kk_id_read_certs(cert_path, &leaf, &extra, tmp, sizeof(tmp));
	if (err)
		return err;
	u = aia_url(leaf);
	if (!u)
		err = -ENOENT;
	else if (strlen(u) >= len)
		err = -ERANGE;
	else
		memcpy(buf, u, strlen(u) + 1);
	free(u);
	X509_free(leaf);
	sk_X509_pop_free(extra, X509_free);
	ERR_clear_error();
	return err;
}

/* The certificate that signed q->leaf: from the bundle, else from the leaf's own file. */
static int find_issuer(struct query *q, char *why, size_t wlen)
{
	kk_x509s *sets[2] = { q->cas, q->extra };
	char dn[512];
	X509 *c;
	int s, i;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < sk_X509_num(sets[s]); i++) {
			c = sk_X509_value(sets[s], i);
			if (X509_check_issued(c, q->leaf) == X509_V_OK &&
			    X509_verify(q->leaf, X509_get0_pubkey(c)) == 1) {
				q->issuer = c;
				ERR_clear_error();
				return 0;
			}
		}
	}
	kk_id_name(X509_get_issuer_name(q->leaf), dn, sizeof(dn));
	kk_id_why(why, wlen, false,
		  "certificate %s: its issuer \"%s\" is neither in CA bundle %s nor in %s", q->cert,
		  dn, q->bundle, q->cert);
	return -EKEYREJECTED;
}

static int build_request(struct query *q, char *why, size_t wlen)
{
	OCSP_CERTID *dup = NULL;

	q->req = OCSP_REQUEST_new();
	q->id = OCSP_cert_to_id(NULL, q->leaf, q->issuer);
	if (q->req && q->id)
		dup = OCSP_CERTID_dup(q->id);
	if (!dup || !OCSP_request_add0_id(q->req, dup)) {
		OCSP_CERTID_free(dup);
		kk_id_why(why, wlen, true, "certificate %s: cannot build the OCSP request",
			  q->cert);
		return -ENOMEM;
	}
	/* A fresh random nonce the response must echo: no replay of an older "good". */
	if (!OCSP_request_add1_nonce(q->req, NULL, -1)) {
		kk_id_why(why, wlen, true, "certificate %s: cannot add the OCSP nonce", q->cert);
		return -ENOMEM;
	}
	return 0;
}

/* Connect a non-blocking socket to one address before q->deadline. */
static int connect_one(const struct query *q, const struct addrinfo *ai, int *fdp)
{
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t sl = sizeof(int);
	int fd, rc, soerr = 0;
	int64_t left;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
		goto done;
	if (errno != EINPROGRESS) {
		soerr = errno;
		goto done;
	}
	pfd.fd = fd;
	do {
		left = q->deadline - mono_ms();
		rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
	} while (rc < 0 && errno == EINTR);
	if (rc <= 0)
		soerr = rc ? errno : ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
		soerr = errno;
done:
	if (soerr) {
		close(fd);
		return -soerr;
	}
	*fdp = fd;
	return 0;
}

static int connect_responder(const struct query *q, const char *host, const char *port, int *fdp,
			     char *why, size_t wlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ais, *ai;
	char name[256];
	size_t hl = strlen(host);
	int rc, err = -EHOSTUNREACH;

	/* OSSL_HTTP_parse_url keeps the brackets of an IPv6 literal. */
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']')
		snprintf(name, sizeof(name), "%.*s", (int)(hl - 2), host + 1);
	else
		snprintf(name, sizeof(name), "%s", host);
	rc = getaddrinfo(name, port, &hints, &ais);
	if (rc) {
		kk_id_why(why, wlen, false, "OCSP responder %s: cannot resolve \"%s\": %s", q->url,
			  name, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = ais; ai; ai = ai->ai_next) {
		err = connect_one(q, ai, fdp);
		if (!err || err == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(ais);
	if (err == -ETIMEDOUT)
		kk_id_why(why, wlen, false, "OCSP responder %s: no connection within the timeout",
			  q->url);
	else if (err)
		kk_id_why(why, wlen, false, "OCSP responder %s: cannot connect: %s", q->url,
			  strerror(-err));
	return err;
}

/*
 * Writing to a socket the responder has closed raises SIGPIPE, which would kill the daemon:
 * hold it blocked while OpenSSL writes, and discard only one raised meanwhile.
 */
static void sigpipe_hold(sigset_t *old, bool *was_pending)
{
	sigset_t set;

	sigemptyset(&set);
	sigpending(&set);
	*was_pending = sigismember(&set, SIGPIPE);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void sigpipe_release(const sigset_t *old, bool was_pending)
{
	struct timespec zero = { 0 };
	sigset_t set;

	sigemptyset(&set);
	sigpending(&set);
	if (!was_pending && sigismember(&set, SIGPIPE)) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		sigtimedwait(&set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* POST the request, read the response, each wait bounded by what is left of the timeout. */
static int http_exchange(struct query *q, BIO *bio, int fd, const char *hosthdr, const char *path,
			 char *why, size_t wlen)
{
	struct pollfd pfd = { .fd = fd };
	OSSL_HTTP_REQ_CTX *rctx = OSSL_HTTP_REQ_CTX_new(bio, bio, 0);
	int rv = 0, err = 0;
	const char *d;
	unsigned long e;
	int64_t left;

	if (!rctx || !OSSL_HTTP_REQ_CTX_set_request_line(rctx, 1, NULL, NULL, path) ||
	    !OSSL_HTTP_REQ_CTX_add1_header(rctx, "Host", hosthdr) ||
	    !OSSL_HTTP_REQ_CTX_set_expected(rctx, "application/ocsp-response", 1, 0, 0) ||
	    !OSSL_HTTP_REQ_CTX_set1_req(rctx, "application/ocsp-request",
					ASN1_ITEM_rptr(OCSP_REQUEST), (ASN1_VALUE *)q->req)) {
		kk_id_why(why, wlen, true, "OCSP responder %s: cannot build the HTTP request",
			  q->url);
		OSSL_HTTP_REQ_CTX_free(rctx);
		return -ENOMEM;
	}
	OSSL_HTTP_REQ_CTX_set_max_response_length(rctx, KK_OCSP_RESP_MAX);
	while ((rv = OSSL_HTTP_REQ_CTX_nbio_d2i(rctx, (ASN1_VALUE **)&q->resp,
						ASN1_ITEM_rptr(OCSP_RESPONSE))) == -1) {
		pfd.events = BIO_should_read(bio) ? POLLIN : POLLOUT;
		left = q->deadline - mono_ms();
		rv = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (rv < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		if (!rv) {
			err = -ETIMEDOUT;
			break;
		}
	}
	OSSL_HTTP_REQ_CTX_free(rctx);
	if (err == -ETIMEDOUT) {
		kk_id_why(why, wlen, false, "OCSP responder %s: no answer within the timeout",
			  q->url);
	} else if (err || rv != 1) {
		/* A socket error is the errno it carries; anything else is a bad answer. */
		e = ERR_peek_error();
		if (!err && ERR_SYSTEM_ERROR(e) && ERR_GET_REASON(e))
			err = -(int)ERR_GET_REASON(e);
		if (!err)
			err = -EPROTO;
		d = last_error_data();
		kk_id_why(why, wlen, true,
			  "OCSP responder %s: no valid OCSP response over HTTP%s%s", q->url,
			  d[0] ? ": " : "", d);
	}
	return err;
}

static int fetch(struct query *q, char *why, size_t wlen)
{
	char *host = NULL, *port = NULL, *path = NULL, *query = NULL, *full = NULL, *hosthdr = NULL;
	bool was_pending;
	BIO *bio = NULL;
	sigset_t old;
	int ssl = 0, fd = -1, err = -ENOMEM;

	if (!OSSL_HTTP_parse_url(q->url, &ssl, NULL, &host, &port, NULL, &path, &query, NULL) ||
	    !host[0]) {
		kk_id_why(why, wlen, true, "OCSP responder %s: not a valid URL", q->url);
		err = -EINVAL;
		goto out;
	}
	if (ssl) {
		kk_id_why(why, wlen, false, "OCSP responder %s: only http:// URLs are supported",
			  q->url);
		err = -EPROTONOSUPPORT;
		goto out;
	}
	if (asprintf(&full, "%s%s%s", path, query[0] ? "?" : "", query) < 0)
		full = NULL; /* asprintf leaves it undefined on failure */
	/* The Host header with the port: what HTTP/1.1 servers and virtual hosts expect. */
	if (asprintf(&hosthdr, "%s:%s", host, port) < 0)
		hosthdr = NULL;
	if (!full || !hosthdr) {
		kk_id_why(why, wlen, false, "OCSP responder %s: out of memory", q->url);
		goto out;
	}
	err = connect_responder(q, host, port, &fd, why, wlen);
	if (err)
		goto out;
	bio = BIO_new_socket(fd, BIO_CLOSE);
	if (!bio) {
		close(fd);
		err = -ENOMEM;
		kk_id_why(why, wlen, true, "OCSP responder %s: out of memory", q->url);
		goto out;
	}
	sigpipe_hold(&old, &was_pending);
	err = http_exchange(q, bio, fd, hosthdr, full, why, wlen);
	sigpipe_release(&old, was_pending);
out:
	BIO_free(bio);
	free(full);
	free(hosthdr);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	OPENSSL_free(query);
	return err;
}

/* The subject of the response's signer, "?" when it is not to be found. */
static void signer_name(struct query *q, kk_x509s *untrusted, char *buf, size_t len)
{
	X509 *signer = NULL;

	snprintf(buf, len, "?");
	if (OCSP_resp_get0_signer(q->bs, &signer, untrusted) == 1 && signer)
		kk_id_name(X509_get_subject_name(signer), buf, len);
}

/* The response answers this request, for this CA: successful, signed by the CA or its delegate. */
static int check_response(struct query *q, kk_x509s *untrusted, X509_STORE *store, char *why,
			  size_t wlen)
{
	int st = OCSP_response_status(q->resp);
	const char *d;
	char dn[256];

	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		kk_id_why(why, wlen, false, "OCSP responder %s: answered \"%s\" (status %d)",
			  q->url, OCSP_response_status_str(st), st);
		return -EPROTO;
	}
	q->bs = OCSP_response_get1_basic(q->resp);
	if (!q->bs) {
		kk_id_why(why, wlen, true, "OCSP responder %s: not a basic OCSP response", q->url);
		return -EPROTO;
	}
	/*
	 * NOEXPLICIT: the signer must be the CA of this certificate or a responder it issued with
	 * OCSPSigning, never merely some certificate under a root of the bundle.
	 */
	if (OCSP_basic_verify(q->bs, untrusted, store, OCSP_NOEXPLICIT) <= 0) {
		signer_name(q, untrusted, dn, sizeof(dn));
		/* A signer that chains but is not this CA's responder leaves no error. */
		d = last_error_data();
		if (!d[0] && !ERR_peek_error())
			d = "not the CA of this certificate, nor a responder it authorized";
		kk_id_why(why, wlen, true,
			  "OCSP responder %s: signer \"%s\" not trusted for %s under %s%s%s",
			  q->url, dn, q->cert, q->bundle, d[0] ? ": " : "", d);
		return -EKEYREJECTED;
	}
	switch (OCSP_check_nonce(q->req, q->bs)) {
	case 1:
		return 0;
	case -1:
		kk_id_why(why, wlen, false,
			  "OCSP responder %s: response carries no nonce, so it could be a replay",
			  q->url);
		return -EPROTO;
	case 0:
		kk_id_why(why, wlen, false,
			  "OCSP responder %s: response nonce does not match the request's (a "
			  "replay, or an answer to another request)",
			  q->url);
		return -EPROTO;
	default:
		kk_id_why(why, wlen, false, "OCSP responder %s: response nonce check failed",
			  q->url);
		return -EPROTO;
	}
}

/* Our certificate's status, current at now (OCSP_check_validity reads the wall clock). */
static int read_status(struct query *q, int64_t now, struct kk_ocsp_result *res, char *why,
		       size_t wlen)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	int status = -1, reason = -1;
	char when[40];

	if (OCSP_resp_find_status(q->bs, q->id, &status, &reason, &rev, &thisupd, &nextupd) != 1) {
		kk_id_why(why, wlen, false, "OCSP responder %s: response has no status for %s",
			  q->url, q->cert);
		return -EPROTO;
	}
	if (kk_id_asn1_time(thisupd, &res->this_update) ||
	    (nextupd && kk_id_asn1_time(nextupd, &res->next_update)) ||
	    (status == V_OCSP_CERTSTATUS_REVOKED && kk_id_asn1_time(rev, &res->revoked_at)) ||
	    (nextupd && res->next_update < res->this_update)) {
		kk_id_why(why, wlen, true, "OCSP responder %s: malformed times in the response",
			  q->url);
		return -EPROTO;
	}
	if (res->this_update > now + KK_OCSP_LEEWAY) {
		kk_id_time_str(res->this_update, when, sizeof(when));
		kk_id_why(why, wlen, false,
			  "OCSP responder %s: answer not valid yet: thisUpdate %s is in the future",
			  q->url, when);
		return -EKEYEXPIRED;
	}
	if (nextupd && res->next_update < now - KK_OCSP_LEEWAY) {
		kk_id_time_str(res->next_update, when, sizeof(when));
		kk_id_why(why, wlen, false, "OCSP responder %s: stale answer: nextUpdate %s passed",
			  q->url, when);
		return -EKEYEXPIRED;
	}
	res->status = KK_OCSP_UNKNOWN;
	if (status == V_OCSP_CERTSTATUS_GOOD)
		res->status = KK_OCSP_GOOD;
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		res->status = KK_OCSP_REVOKED;
		res->reason = reason;
	}
	return 0;
}

/* The bundle as the trust store, its clock set to now, and every certificate as a helper. */
static int verify_setup(struct query *q, int64_t now, X509_STORE **store, kk_x509s **untrusted,
			char *why, size_t wlen)
{
	int i;

	*store = X509_STORE_new();
	*untrusted = sk_X509_new_null();
	if (!*store || !*untrusted)
		goto oom;
	for (i = 0; i < sk_X509_num(q->cas); i++)
		if (!X509_STORE_add_cert(*store, sk_X509_value(q->cas, i)) ||
		    !sk_X509_push(*untrusted, sk_X509_value(q->cas, i)))
			goto oom;
	for (i = 0; i < sk_X509_num(q->extra); i++)
		if (!sk_X509_push(*untrusted, sk_X509_value(q->extra, i)))
			goto oom;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(*store), (time_t)now);
	return 0;
oom:
	kk_id_why(why, wlen, true, "OCSP: out of memory");
	return -ENOMEM;
}

static int query_run(struct query *q, int timeout_ms, int64_t now, struct kk_ocsp_result *res,
		     char *why, size_t wlen)
{
	kk_x509s *untrusted = NULL;
	X509_STORE *store = NULL;
	char *aia = NULL;
	int err;

	err = kk_id_read_certs(q->cert, &q->leaf, &q->extra, why, wlen);
	if (!err)
		err = kk_rev_read_bundle(q->bundle, &q->cas, why, wlen);
	if (!err)
		err = find_issuer(q, why, wlen);
	if (!err && !q->url) {
		q->url = aia = aia_url(q->leaf);
		if (!aia) {
			kk_id_why(why, wlen, false,
				  "certificate %s: no OCSP URL in its authorityInfoAccess",
				  q->cert);
			err = -ENOENT;
		}
	}
	if (!err)
		err = verify_setup(q, now, &store, &untrusted, why, wlen);
	if (!err)
		err = build_request(q, why, wlen);
	if (!err) {
		q->deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
		err = fetch(q, why, wlen);
	}
	if (!err)
		err = check_response(q, untrusted, store, why, wlen);
	if (!err)
		err = read_status(q, now, res, why, wlen);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	free(aia);
	q->url = NULL;
	return err;
}

int kk_ocsp_query(const char *cert_path, const char *ca_bundle, const char *url, int timeout_ms,
		  int64_t now, struct kk_ocsp_result *res, char *why, size_t wlen)
{
	struct query q = { .cert = cert_path, .bundle = ca_bundle ?: KK_DEFAULT_CA, .url = url };
	int err;

	memset(res, 0, sizeof(*res));
	res->reason = -1;
	ERR_clear_error();
	err = query_run(&q, timeout_ms, now, res, why, wlen);
	OCSP_BASICRESP_free(q.bs);
	OCSP_RESPONSE_free(q.resp);
	OCSP_CERTID_free(q.id);
	OCSP_REQUEST_free(q.req);
	X509_free(q.leaf);
	sk_X509_pop_free(q.extra, X509_free);
	sk_X509_pop_free(q.cas, X509_free);
	if (err) {
		memset(res, 0, sizeof(*res));
		res->reason = -1;
	}
	ERR_clear_error();
	return err;
}
