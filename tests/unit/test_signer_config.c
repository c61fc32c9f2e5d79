// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the signer's configuration file (user/signer_config.c): defaults, every key
 * taken, and every refusal with its position (unknown keys, missing members, wrong types,
 * values out of range, too many agents or chain certificates), as the daemon's file is checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "signer.h"
#include "unit.h"

static struct kk_signer_cfg c; /* large */

/* Parse text; the errors formatted as lines into got (joined by '\n'). */
static int parse(const char *text, char *got, size_t len)
{
	struct kk_errors e = { 0 };
	char line[512];
	size_t i, n = 0;
	int err = kk_signer_config_parse("s.json", text, strlen(text), &c, &e);

	got[0] = '\0';
	for (i = 0; i < e.n; i++) {
		kk_errors_format("s.json", &e.v[i], line, sizeof(line));
		n += snprintf(got + n, n < len ? len - n : 0, "%s%s", i ? "\n" : "", line);
	}
	kk_errors_free(&e);
	return err;
}

#define AGENT "{\"certificate\": \"/c.pem\", \"key\": \"/k.pem\", \"policy\": \"/p.json\"}"

UNIT_TEST(minimal_and_defaults)
{
	char got[2048];

	CHECK_EQ_INT(parse("{\"agents\": [" AGENT "]}", got, sizeof(got)), 0);
	CHECK_EQ_STR(got, "");
	CHECK_EQ_INT(c.n_agents, 1);
	CHECK_EQ_STR(c.agents[0].cert, "/c.pem");
	CHECK_EQ_STR(c.agents[0].key, "/k.pem");
	CHECK_EQ_STR(c.agents[0].policy, "/p.json");
	CHECK_EQ_INT(c.agents[0].n_chain, 0);
	CHECK_EQ_STR(c.socket_path, KK_SIGNER_SOCKET);
	CHECK_EQ_STR(c.ca, KK_DEFAULT_CA);
	CHECK_EQ_STR(c.ocsp_url, "");
	CHECK_EQ_INT((int)c.max_payload, KK_SIGN_PAYLOAD_MAX);
	CHECK_EQ_INT(c.ocsp_timeout_ms, 5000);
	CHECK(kk_signer_line_max(c.max_payload) == (size_t)KK_SIGN_PAYLOAD_MAX * 4 / 3 + 1024);
}

UNIT_TEST(every_key_taken)
{
	char got[2048];

	CHECK_EQ_INT(parse("{ // comments, as in every kakunin JSONC file\n"
			   "\"socket\": \"/run/s.sock\", \"max_payload\": 1024, \"ca\": \"/ca.pem\","
			   " \"ocsp_url\": \"http://127.0.0.1:8888\", \"ocsp_timeout_ms\": 100,"
			   " \"agents\": [" AGENT ", {\"certificate\": \"/b.pem\", \"chain\": "
			   "[\"/i1.pem\", \"/i2.pem\"], \"key\": \"pkcs11:token=kakunin;object=a\","
			   " \"policy\": \"/q.json\"}]}", got, sizeof(got)), 0);
	CHECK_EQ_STR(got, "");
	CHECK_EQ_STR(c.socket_path, "/run/s.sock");
	CHECK_EQ_INT((int)c.max_payload, 1024);
	CHECK_EQ_STR(c.ca, "/ca.pem");
	CHECK_EQ_STR(c.ocsp_url, "http://127.0.0.1:8888");
	CHECK_EQ_INT(c.ocsp_timeout_ms, 100);
	CHECK_EQ_INT(c.n_agents, 2);
	CHECK_EQ_STR(c.agents[1].key, "pkcs11:token=kakunin;object=a");
	CHECK_EQ_INT(c.agents[1].n_chain, 2);
	CHECK_EQ_STR(c.agents[1].chain[0], "/i1.pem");
	CHECK_EQ_STR(c.agents[1].chain[1], "/i2.pem");
}

/* Every problem, positioned and named, in document order. */
UNIT_TEST(positioned_errors)
{
	static const char text[] =
		"{\"socket\": 7, \"colour\": 1,\n"
		" \"max_payload\": 65537,\n"
		" \"agents\": [{\"certificate\": \"/c.pem\", \"key\": \"\"},\n"
		"  {\"certificate\": \"/c.pem\", \"key\": \"/k\", \"policy\": \"/p\", \"chain\": "
		"\"/i.pem\", \"kye\": 1}]}";
	static const char want[] =
		"s.json:1:12: socket: must be a non-empty string shorter than 108 bytes\n"
		"s.json:1:15: colour: unknown key (expected: socket, agents, max_payload, ca, "
		"ocsp_url, ocsp_timeout_ms, egress_max_connections, egress_handshake_timeout_ms, "
		"egress_idle_timeout_s)\n"
		"s.json:2:17: max_payload: must be an integer from 1 to 65536\n"
		"s.json:3:13: agents[0]: needs \"policy\"\n"
		"s.json:3:46: agents[0].key: must be a non-empty string shorter than 1024 bytes\n"
		"s.json:4:67: agents[1].chain: must be a list of at most 4 certificate files "
		"(intermediates, the leaf's issuer first)\n"
		"s.json:4:77: agents[1].kye: unknown key (expected: certificate, chain, key, "
		"policy)";
	char got[4096];

	CHECK_EQ_INT(parse(text, got, sizeof(got)), -EINVAL);
	CHECK_EQ_STR(got, want);
}

UNIT_TEST(refusals)
{
	char got[4096], many[4096];
	int i, n;

	CHECK_EQ_INT(parse("{}", got, sizeof(got)), -EINVAL);
	CHECK_EQ_STR(got, "s.json:1:1: needs \"agents\": the certificates and keys to sign with");
	CHECK_EQ_INT(parse("{\"agents\": []}", got, sizeof(got)), -EINVAL);
	CHECK_EQ_STR(got, "s.json:1:12: agents: must be a list of 1 to 16 agents");
	CHECK_EQ_INT(parse("{\"agents\": [7]}", got, sizeof(got)), -EINVAL);
	CHECK_EQ_STR(got, "s.json:1:13: agents[0]: must be an object {\"certificate\", \"key\", "
		     "\"policy\", \"chain\"}");
	CHECK_EQ_INT(parse("[1]", got, sizeof(got)), -EINVAL);
	CHECK_EQ_STR(got, "s.json:1:1: the configuration must be a JSON object");
	CHECK_EQ_INT(parse("{\"agents\": [" AGENT "], \"max_payload\": 0}", got, sizeof(got)),
		     -EINVAL);
	CHECK_EQ_INT(parse("{\"agents\": [" AGENT "], \"max_payload\": 1.5}", got, sizeof(got)),
		     -EINVAL);
	CHECK_EQ_INT(parse("{\"agents\": [" AGENT "], \"ocsp_timeout_ms\": 99}", got,
			   sizeof(got)), -EINVAL);
	CHECK_EQ_INT(parse("{\"agents\": [" AGENT "], \"agents\": [" AGENT "]}", got, sizeof(got)),
		     -EINVAL);
	CHECK(strstr(got, "agents: duplicate key") != NULL);
	/* 17 agents: one too many. */
	n = snprintf(many, sizeof(many), "{\"agents\": [");
	for (i = 0; i <= KK_SIGNER_AGENTS; i++)
		n += snprintf(many + n, sizeof(many) - n, "%s" AGENT, i ? ", " : "");
	snprintf(many + n, sizeof(many) - n, "]}");
	CHECK_EQ_INT(parse(many, got, sizeof(got)), -EINVAL);
	/* A syntax error, at its position. */
	CHECK_EQ_INT(parse("{\"agents\" [", got, sizeof(got)), -EINVAL);
	CHECK_EQ_STR(got, "s.json:1:11: expected ':' after the key");
	CHECK_EQ_INT(kk_signer_config("/nonexistent/signer.json", &c), -ENOENT);
}

int main(void)
{
	UNIT_RUN(minimal_and_defaults);
	UNIT_RUN(every_key_taken);
	UNIT_RUN(positioned_errors);
	UNIT_RUN(refusals);
	return unit_done();
}
