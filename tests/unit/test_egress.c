// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the egress (user/egress*.c) without a kernel: its configuration keys in the
 * signer's file, the buffers, names and event details, and one connection driven on the host
 * through the real TLS client against a Python TLS server requiring client certificates
 * (tests/unit/egress-server.py, PKI by make-egress-certs.sh): the server sees the agent's CN;
 * a wrong pinned CA or server_name, garbage, a reset and a silent upstream are refused with
 * their reasons within the handshake timeout. (Attestation needs the kernel: egress.bats.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "actions.h"
#include "egress.h"
#include "error.h"
#include "keyref.h"
#include "policy.h"
#include "signer.h"
#include "unit.h"

static char dir[] = "/tmp/kk-egress-XXXXXX";
static struct kk_signer_agent_cfg acfg;
static struct kk_signer_agent agent;
static struct kk_signer_cfg cfg;

static const char *P(const char *name)
{
	static char bufs[4][256];
	static int n;
	char *b = bufs[n++ % 4];

	snprintf(b, 256, "%s/%s", dir, name);
	return b;
}

UNIT_TEST(config_keys)
{
	struct kk_errors e = { 0 };
	const char *t = "{\"agents\": [{\"certificate\": \"/c\", \"key\": \"/k\", \"policy\": "
			"\"/p\"}], \"egress_max_connections\": 3, \"egress_handshake_timeout_ms\": "
			"500, \"egress_idle_timeout_s\": 7}";
	const char *bad = "{\"agents\": [{\"certificate\": \"/c\", \"key\": \"/k\", \"policy\": "
			  "\"/p\"}], \"egress_max_connections\": 0}";
	char line[256];

	CHECK_EQ_INT(kk_signer_config_parse("s.json", t, strlen(t), &cfg, &e), 0);
	CHECK_EQ_INT(cfg.egress_connections, 3);
	CHECK_EQ_INT(cfg.egress_handshake_ms, 500);
	CHECK_EQ_INT(cfg.egress_idle_s, 7);
	t = "{\"agents\": [{\"certificate\": \"/c\", \"key\": \"/k\", \"policy\": \"/p\"}]}";
	CHECK_EQ_INT(kk_signer_config_parse("s.json", t, strlen(t), &cfg, &e), 0);
	CHECK_EQ_INT(cfg.egress_connections, 64);
	CHECK_EQ_INT(cfg.egress_handshake_ms, 10000);
	CHECK_EQ_INT(cfg.egress_idle_s, 300);
	CHECK_EQ_INT(kk_signer_config_parse("s.json", bad, strlen(bad), &cfg, &e), -EINVAL);
	CHECK_EQ_INT((int)e.n, 1);
	kk_errors_format("s.json", &e.v[0], line, sizeof(line));
	CHECK_EQ_STR(line, "s.json:1:92: egress_max_connections: must be an integer from 1 to "
			   "1024");
	kk_errors_free(&e);
}

UNIT_TEST(buffers)
{
	static struct kk_egress_buf b;

	CHECK_EQ_INT(kk_egress_buf_room(&b), KK_EGRESS_BUF);
	memcpy(b.d, "abcdef", 6);
	b.len = 6;
	kk_egress_buf_take(&b, 4);
	CHECK_EQ_INT(b.off, 4);
	CHECK_EQ_INT(kk_egress_buf_room(&b), KK_EGRESS_BUF - 2); /* moved to the front */
	CHECK_EQ_INT(b.off, 0);
	CHECK(!memcmp(b.d, "ef", 2));
	kk_egress_buf_take(&b, 2);
	CHECK_EQ_INT(b.off, 0);
	CHECK_EQ_INT(b.len, 0);
}

UNIT_TEST(names)
{
	struct kk_egress_rule r = { .host = "10.1.2.3", .listen_port = 18443, .listen_v4 = true };
	char s[64];

	r.listen_addr[10] = r.listen_addr[11] = 0xff;
	r.listen_addr[12] = 127;
	r.listen_addr[15] = 1;
	kk_egress_listen_str(&r, s, sizeof(s));
	CHECK_EQ_STR(s, "127.0.0.1:18443");
	memset(r.listen_addr, 0, 16);
	r.listen_addr[15] = 1;
	r.listen_v4 = false;
	kk_egress_listen_str(&r, s, sizeof(s));
	CHECK_EQ_STR(s, "[::1]:18443");
	CHECK(kk_egress_is_ip("10.1.2.3"));
	CHECK(kk_egress_is_ip("::1"));
	CHECK(!kk_egress_is_ip("api.exchange.com"));
	CHECK(!kk_egress_is_ip("10.1.2"));
	CHECK_EQ_STR(kk_egress_server_name(&r), "10.1.2.3");
	r.server_name = "api.exchange.com";
	CHECK_EQ_STR(kk_egress_server_name(&r), "api.exchange.com");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_UPSTREAM), "upstream_failed");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_OTHER_AGENT), "other_agent");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_BUSY), "too_many_connections");
}

UNIT_TEST(details)
{
	struct kk_egress_rule r = { .upstream = "api.exchange.com:443" };
	struct kk_egress_listener l = { .rule = &r, .listen = "127.0.0.1:18443" };
	struct kk_egress_conn c = { .l = &l, .up = 12, .down = 3456, .start_ms = 1000 };
	char *d = kk_egress_details(&c, KK_REF_NONE, "", "closed", 1250);

	CHECK_EQ_STR(d, "{\"upstream\":\"api.exchange.com:443\",\"listen\":\"127.0.0.1:18443\","
			"\"bytes_up\":12,\"bytes_down\":3456,\"end\":\"closed\",\"duration_ms\":250}");
	free(d);
	d = kk_egress_details(&c, KK_REF_UNBOUND, "not bound", NULL, 1001);
	CHECK_EQ_STR(d, "{\"upstream\":\"api.exchange.com:443\",\"listen\":\"127.0.0.1:18443\","
			"\"reason\":\"unbound\",\"why\":\"not bound\",\"duration_ms\":1}");
	free(d);
}

/* --- one connection through the real TLS client --- */

static pid_t server_pid;

/* egress-server.py MODE in the background, clients verified against CA; its port. */
static int server_ca(const char *mode, const char *ca)
{
	char cmd[1024];
	int port = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "python3 %s/egress-server.py %s %s %s %s & echo $!",
		 getenv("KK_UNIT_DIR") ? getenv("KK_UNIT_DIR") : "tests/unit", mode,
		 P("server.pem"), P("server.key"), ca);
	f = popen(cmd, "r");
	if (!f || fscanf(f, "%d %d", &server_pid, &port) != 2)
		port = 0;
	if (f)
		pclose(f);
	return port;
}

static int server(const char *mode)
{
	return server_ca(mode, P("ca.pem"));
}

static void server_stop(void)
{
	if (server_pid > 0)
		kill(server_pid, SIGKILL);
	server_pid = 0;
}

/*
 * Relay send through a connection for rule (the agent's side a socketpair), the agent ending
 * its side after sending; what came back into got. The refusal (0: relayed) and why.
 */
static int relay(struct kk_egress_rule *r, const char *send, char *got, size_t glen, char *why,
		 size_t wlen, int64_t timeout_ms)
{
	struct kk_egress_listener l = { .agent = &agent, .rule = r };
	struct kk_egress_conn *c = calloc(1, sizeof(*c));
	struct kk_error e = { 0 };
	const char *end = NULL;
	int sv[2], rc = -1;
	size_t n = 0;
	ssize_t k;

	if (!c || kk_egress_tls_ctx(&l, &e) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return snprintf(why, wlen, "setup: %s", e.why), -2;
	*c = (struct kk_egress_conn){ .l = &l, .cfd = sv[0], .ufd = -1 };
	c->start_ms = c->io_ms = kk_egress_now_ms();
	c->deadline_ms = c->start_ms + timeout_ms;
	if (write(sv[1], send, strlen(send)) != (ssize_t)strlen(send))
		return -2;
	shutdown(sv[1], SHUT_WR);
	rc = kk_egress_conn_start(c, why, wlen);
	while (!rc && kk_egress_now_ms() < c->start_ms + 10000) {
		struct pollfd p[2] = { { .fd = c->cfd }, { .fd = c->ufd } };

		kk_egress_conn_events(c, &p[0].events, &p[1].events);
		poll(p, 2, c->again ? 0 : 50);
		rc = kk_egress_conn_pump(c, kk_egress_now_ms(), &end, why, wlen);
	}
	if (rc == -1)
		rc = strcmp(end, "closed") ? -3 : 0;
	while (n + 1 < glen && (k = read(sv[1], got + n, glen - 1 - n)) > 0)
		n += (size_t)k;
	got[n] = '\0';
	close(sv[1]);
	kk_egress_conn_free(c);
	SSL_CTX_free(l.ctx);
	return rc;
}

/* The agent: certificate dir/CERT, key KEY (a path or a pkcs11: URI). */
static int load_agent_from(const char *cert, const char *key)
{
	struct kk_error e = { 0 };
	EVP_PKEY *k = NULL;
	FILE *f;

	EVP_PKEY_free(agent.pkey);
	X509_free(agent.leaf);
	if (agent.chain)
		sk_X509_pop_free(agent.chain, X509_free);
	memset(&agent, 0, sizeof(agent));
	snprintf(acfg.cert, sizeof(acfg.cert), "%s", cert);
	agent.cfg = &acfg;
	f = fopen(cert, "r");
	agent.leaf = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	agent.chain = sk_X509_new_null();
	if (!agent.leaf || !agent.chain)
		return -1;
	X509_up_ref(agent.leaf);
	sk_X509_push(agent.chain, agent.leaf);
	if (kk_key_load(key, &k, &e))
		return printf("# key: %s: %s\n", e.what, e.why), -1;
	agent.pkey = k;
	return 0;
}

static int load_agent(void)
{
	chmod(P("agent.key"), 0600);
	return load_agent_from(P("agent.pem"), P("agent.key"));
}

UNIT_TEST(tls_relay)
{
	struct kk_egress_rule r = { .upstream = "127.0.0.1:?", .host = "127.0.0.1" };
	char got[256], why[512] = "", cmd[512];
	int port;

	snprintf(cmd, sizeof(cmd), "sh %s/make-egress-certs.sh %s egress-unit-agent",
		 getenv("KK_UNIT_DIR") ? getenv("KK_UNIT_DIR") : "tests/unit", dir);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(load_agent(), 0);
	port = server("echo");
	CHECK(port > 0);
	r.port = (uint16_t)port;
	r.ca = strdup(P("ca.pem"));
	/* The IP literal, verified against the IP SAN; the server sees the agent's CN. */
	CHECK_EQ_INT(relay(&r, "hello\nworld\n", got, sizeof(got), why, sizeof(why), 5000), 0);
	CHECK_EQ_STR(got, "CN=egress-unit-agent hello\nCN=egress-unit-agent world\n");
	/* A DNS name given as server_name. */
	r.server_name = "upstream.test";
	CHECK_EQ_INT(relay(&r, "x\n", got, sizeof(got), why, sizeof(why), 5000), 0);
	CHECK_EQ_STR(got, "CN=egress-unit-agent x\n");
	/* Another name: refused, nothing relayed. */
	r.server_name = "other.test";
	CHECK_EQ_INT(relay(&r, "x\n", got, sizeof(got), why, sizeof(why), 5000), KK_REF_UPSTREAM);
	CHECK_EQ_STR(got, "");
	CHECK(strstr(why, "hostname mismatch") != NULL);
	/* Another pinned CA. */
	r.server_name = NULL;
	free(r.ca);
	r.ca = strdup(P("other.pem"));
	CHECK_EQ_INT(relay(&r, "x\n", got, sizeof(got), why, sizeof(why), 5000), KK_REF_UPSTREAM);
	CHECK(strstr(why, "upstream certificate not accepted") != NULL);
	free(r.ca);
	server_stop();
}

/*
 * The key in a PKCS#11 token (SoftHSM, tests/unit/make-hsm.sh): the handshake's signature is
 * made in the token, EC (ECDSA) and RSA (RSA-PSS in TLS 1.3) alike.
 */
UNIT_TEST(pkcs11_key)
{
	struct kk_egress_rule r = { .upstream = "127.0.0.1:?", .host = "127.0.0.1" };
	char got[256], why[512] = "", cmd[1024], uri[512], hsm[300], ca[300];
	int port;
	FILE *f;

	snprintf(hsm, sizeof(hsm), "%s/hsm", dir);
	snprintf(cmd, sizeof(cmd), "sh %s/make-hsm.sh %s >/dev/null",
		 getenv("KK_UNIT_DIR") ? getenv("KK_UNIT_DIR") : "tests/unit", hsm);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(setenv("SOFTHSM2_CONF", P("hsm/softhsm2.conf"), 1), 0);
	f = fopen(P("hsm/uri"), "r");
	CHECK(f && fgets(uri, sizeof(uri), f));
	fclose(f);
	uri[strcspn(uri, "\n")] = '\0';
	/* The server: our server certificate, the HSM agents' CA for the clients. */
	snprintf(cmd, sizeof(cmd), "cat %s/ca.pem %s/ca.pem >%s/clients.pem", dir, hsm, dir);
	CHECK_EQ_INT(system(cmd), 0);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	r.ca = ca;
	port = server_ca("echo", P("clients.pem"));
	CHECK(port > 0);
	r.port = (uint16_t)port;
	CHECK_EQ_INT(load_agent_from(P("hsm/agent.pem"), uri), 0);
	CHECK_EQ_INT(relay(&r, "ec\n", got, sizeof(got), why, sizeof(why), 5000), 0);
	CHECK_EQ_STR(got, "CN=trading_bot_v2 ec\n");
	*strstr(uri, "object=agent") = '\0';
	snprintf(cmd, sizeof(cmd), "%sobject=agent-rsa;type=private?pin-value=1234", uri);
	CHECK_EQ_INT(load_agent_from(P("hsm/agent-rsa.pem"), cmd), 0);
	CHECK_EQ_INT(relay(&r, "rsa\n", got, sizeof(got), why, sizeof(why), 5000), 0);
	CHECK_EQ_STR(got, "CN=trading_bot_v2 rsa\n");
	server_stop();
}

/* Hostile upstreams: each refused within the handshake timeout, with its reason. */
UNIT_TEST(bad_upstreams)
{
	static const char *const modes[] = { "garbage", "reset", "silent" };
	struct kk_egress_rule r = { .upstream = "127.0.0.1:?", .host = "127.0.0.1" };
	char got[64], why[512];
	int64_t t0;
	size_t i;
	int rc;

	r.ca = strdup(P("ca.pem")); /* P()'s buffers rotate */
	for (i = 0; i < 3; i++) {
		r.port = (uint16_t)server(modes[i]);
		CHECK(r.port > 0);
		why[0] = '\0';
		t0 = kk_egress_now_ms();
		rc = relay(&r, "x\n", got, sizeof(got), why, sizeof(why), 700);
		printf("# %s: %s\n", modes[i], why);
		CHECK_EQ_INT(rc, KK_REF_UPSTREAM);
		CHECK(kk_egress_now_ms() - t0 < 3000);
		if (i == 2)
			CHECK(strstr(why, "handshake timeout") != NULL);
		else
			CHECK(strstr(why, "TLS") != NULL);
		server_stop();
	}
	/* Nobody listening: the connect fails. */
	r.port = 1;
	CHECK_EQ_INT(relay(&r, "x\n", got, sizeof(got), why, sizeof(why), 700), KK_REF_UPSTREAM);
	CHECK(strstr(why, "cannot connect to 127.0.0.1:?") != NULL);
	free(r.ca);
}

int main(void)
{
	char cmd[64];
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	UNIT_RUN(config_keys);
	UNIT_RUN(buffers);
	UNIT_RUN(names);
	UNIT_RUN(details);
	UNIT_RUN(tls_relay);
	UNIT_RUN(bad_upstreams);
	UNIT_RUN(pkcs11_key);
	server_stop();
	rc = unit_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		rc = 1;
	return rc;
}
