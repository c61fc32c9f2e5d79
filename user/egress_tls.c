// SPDX-License-Identifier: GPL-2.0-only
/*
 * egress_tls — the egress's TLS client (egress.h). One SSL_CTX per rule: TLS 1.2 at least, the
 * agent's leaf and intermediates, its private key as keyref.h loaded it (a pkcs11: key signs in
 * the token), and as the only trust anchors the rule's pinned CA bundle — never the system's
 * store, so a certificate any public CA would vouch for is not enough. Per connection the name
 * to verify: a DNS name (also sent as SNI) or an IP literal (matched against the IP SANs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "egress.h"
#include "error.h"
#include "policy.h"

bool kk_egress_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

const char *kk_egress_server_name(const struct kk_egress_rule *r)
{
	return r->server_name && *r->server_name ? r->server_name : r->host;
}

/* The first error in OpenSSL's queue as text (and the queue emptied). */
static void ssl_err(char *why, size_t wlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(why, wlen, "%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

static int ctx_identity(SSL_CTX *ctx, struct kk_signer_agent *a, struct kk_error *e)
{
	STACK_OF(X509) *chain = a->chain;
	char why[320];
	int i;

	if (SSL_CTX_use_certificate(ctx, a->leaf) != 1) {
		ssl_err(why, sizeof(why), "the certificate");
		return kk_error_set(e, -EINVAL, a->cfg->cert, "%s", why);
	}
	for (i = 1; i < sk_X509_num(chain); i++)
		if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) != 1) {
			ssl_err(why, sizeof(why), "the chain");
			return kk_error_set(e, -EINVAL, a->cfg->chain[i - 1], "%s", why);
		}
	if (SSL_CTX_use_PrivateKey(ctx, a->pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(why, sizeof(why), "the key");
		return kk_error_set(e, -EINVAL, "key", "%s", why);
	}
	return 0;
}

int kk_egress_tls_ctx(struct kk_egress_listener *l, struct kk_error *e)
{
	const struct kk_egress_rule *r = l->rule;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char why[320];
	int err;

	if (!ctx)
		return kk_error_set(e, -ENOMEM, NULL, "out of memory");
	l->ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * Renegotiation is refused: a relay never needs it. An upstream that closes TCP without
	 * close_notify (many HTTP servers do) ends the stream as a TCP relay would, not as an error.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ERR_clear_error();
	if (SSL_CTX_load_verify_file(ctx, r->ca) != 1) {
		ssl_err(why, sizeof(why), "not a PEM CA bundle");
		return kk_error_set(e, -EINVAL, r->ca, "%s", why);
	}
	err = ctx_identity(ctx, l->agent, e);
	if (err)
		return err;
	return 0;
}

int kk_egress_tls_new(struct kk_egress_conn *c)
{
	const char *name = kk_egress_server_name(c->l->rule);
	SSL *ssl = SSL_new(c->l->ctx);
	int ok;

	if (!ssl)
		return -ENOMEM;
	c->ssl = ssl;
	if (SSL_set_fd(ssl, c->ufd) != 1)
		return -ENOMEM;
	SSL_set_connect_state(ssl);
	if (kk_egress_is_ip(name)) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	} else {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		ok = SSL_set_tlsext_host_name(ssl, name) == 1 && SSL_set1_host(ssl, name) == 1;
	}
	return ok ? 0 : -EINVAL;
}

void kk_egress_tls_why(struct kk_egress_conn *c, char *why, size_t wlen)
{
	long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;

	if (v != X509_V_OK) {
		snprintf(why, wlen, "TLS: upstream certificate not accepted: %s (server_name %s, "
			 "CA %s)", X509_verify_cert_error_string(v),
			 kk_egress_server_name(c->l->rule), c->l->rule->ca);
		ERR_clear_error();
		return;
	}
	ssl_err(why, wlen, "TLS");
}
