// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy's "egress" section (user/policy_egress.c): what each entry parses to
 * (struct kk_egress_rule, normalized), every error with its exact position and message, the
 * limit KK_EGRESS_MAX, the policy hash and canonical text (read back by
 * kk_policy_load_canonical to the same hash) and the ca check. The forced path the compiler
 * makes is in test_policy_egress_forced.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kakunin.h"
#include "policy.h"
#include "test_policy.h"
#include "unit.h"

/* The egress object's members start at 2:12 (the first key's opening quote). */
#define E(entries)	     DOC("\"egress\": {" entries "}")
#define NE(members, entries) NB(members "\"egress\": {" entries "}")
#define CA		     "\"ca\": \"/etc/kakunin/ca.pem\""
/* A valid entry for upstream U on listener L. */
#define ENTRY(u, l) "\"" u "\": {\"listen\": \"" l "\", " CA "}"

static bool addr_is(const uint8_t a[16], const char *text)
{
	uint8_t want[16];

	return inet_pton(AF_INET6, text, want) == 1 && !memcmp(a, want, 16);
}

UNIT_TEST(entry_fields)
{
	const struct kk_egress_rule *r;
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(parse_doc(E(ENTRY("api.exchange.com:443", "127.0.0.1:18443")), &p, &e), 0);
	CHECK_EQ_INT(p.n_egress, 1);
	r = &p.egress[0];
	CHECK_EQ_STR(r->upstream, "api.exchange.com:443");
	CHECK_EQ_STR(r->host, "api.exchange.com");
	CHECK_EQ_INT(r->port, 443);
	CHECK(addr_is(r->listen_addr, "::ffff:127.0.0.1"));
	CHECK_EQ_INT(r->listen_port, 18443);
	CHECK(r->listen_v4);
	CHECK_EQ_STR(r->ca, "/etc/kakunin/ca.pem");
	CHECK_EQ_STR(r->server_name, "api.exchange.com"); /* the host when not given */
	CHECK(!r->http_events);
	CHECK_EQ_INT(p.egress_pos[0].upstream.line, 2);
	CHECK_EQ_INT(p.egress_pos[0].upstream.col, 12);
	CHECK_EQ_INT(p.egress_pos[0].listen.line, 2);
	CHECK_EQ_INT(p.egress_pos[0].listen.col, 47);
	kk_policy_free(&p);
	kk_errors_free(&e);

	/* IPv6 upstream (no brackets in host, lowercase), IPv6 listener, the options set. */
	CHECK_EQ_INT(parse_doc(E("\"[2001:DB8::1]:8443\": {\"listen\": \"[::1]:9000\", " CA
				 ", \"server_name\": \"Exchange.Example.\", "
				 "\"http_events\": true}"),
			       &p, &e),
		     0);
	CHECK_EQ_INT(p.n_egress, 1);
	r = &p.egress[0];
	CHECK_EQ_STR(r->upstream, "[2001:DB8::1]:8443");
	CHECK_EQ_STR(r->host, "2001:db8::1");
	CHECK_EQ_INT(r->port, 8443);
	CHECK(addr_is(r->listen_addr, "::1"));
	CHECK_EQ_INT(r->listen_port, 9000);
	CHECK(!r->listen_v4);
	CHECK_EQ_STR(r->server_name, "exchange.example");
	CHECK(r->http_events);
	kk_policy_free(&p);
	kk_errors_free(&e);

	/*
	 * An IP literal: the name checked is the address (an IP SAN); a hostname in upper case;
	 * IPv4-mapped spellings are IPv4; any 127/8 address listens.
	 */
	CHECK_EQ_INT(
		parse_doc(E(ENTRY("192.0.2.10:443", "127.1.2.3:1") ", " ENTRY(
				  "API.Exchange.COM.:443",
				  "[::ffff:127.0.0.1]:65535") ", "
							      "\"[::ffff:192.0.2.11]:443\": "
							      "{\"listen\": \"127.0.0.1:2\", " CA
							      ", \"server_name\": "
							      "\"[::FFFF:192.0.2.12]\"}"),
			  &p, &e),
		0);
	CHECK_EQ_INT(p.n_egress, 3);
	CHECK_EQ_STR(p.egress[0].host, "192.0.2.10");
	CHECK_EQ_STR(p.egress[0].server_name, "192.0.2.10");
	CHECK(addr_is(p.egress[0].listen_addr, "::ffff:127.1.2.3"));
	CHECK_EQ_INT(p.egress[0].listen_port, 1);
	CHECK_EQ_STR(p.egress[1].upstream, "API.Exchange.COM.:443");
	CHECK_EQ_STR(p.egress[1].host, "api.exchange.com");
	CHECK(p.egress[1].listen_v4);
	CHECK(addr_is(p.egress[1].listen_addr, "::ffff:127.0.0.1"));
	CHECK_EQ_INT(p.egress[1].listen_port, 65535);
	CHECK_EQ_STR(p.egress[2].host, "192.0.2.11");
	CHECK_EQ_STR(p.egress[2].server_name, "192.0.2.12");
	kk_policy_free(&p);
	kk_errors_free(&e);

	/* Absent and {} both mean no egress. */
	CHECK_EQ_INT(parse_doc(E(""), &p, &e), 0);
	CHECK_EQ_INT(p.n_egress, 0);
	kk_policy_free(&p);
	kk_errors_free(&e);
}

#define AT(col) "2:" #col ": "
#define UP(key) "egress[\"" key "\"]"
#define LOOP_REASON                                                                             \
	"must be a loopback address (127.0.0.0/8 or [::1]): only this host's agents reach the " \
	"egress"

static const struct doc_case error_cases[] = {
	{ "egress a list", DOC("\"egress\": []"), 0,
	  AT(11) "egress: must be an object of \"HOST:PORT\": {\"listen\", \"ca\"}", 1 },
	{ "entry a string", E("\"a.example:443\": \"127.0.0.1:1\""), 0,
	  AT(29) UP("a.example:443") ": must be an object {\"listen\": \"127.0.0.1:PORT\", \"ca\": "
				     "\"/PATH.pem\"}",
	  1 },
	{ "no port", E(ENTRY("api.exchange.com", "127.0.0.1:1")), 0,
	  AT(12) UP("api.exchange.com") ": needs a port: \"HOST:PORT\" or \"[IPv6]:PORT\"", 1 },
	{ "bare IPv6, no port", E(ENTRY("2001:db8::1", "127.0.0.1:1")), 0,
	  AT(12) UP("2001:db8::1") ": needs a port: \"HOST:PORT\" or \"[IPv6]:PORT\"", 1 },
	{ "port 0", E(ENTRY("a.example:0", "127.0.0.1:1")), 0,
	  AT(12) UP("a.example:0") ": port 0 is not a port (1 to 65535)", 1 },
	{ "port a name", E(ENTRY("a.example:https", "127.0.0.1:1")), 0,
	  AT(12) UP("a.example:https") ": port \"https\" is not a number from 1 to 65535", 1 },
	{ "empty port", E(ENTRY("a.example:", "127.0.0.1:1")), 0,
	  AT(12) UP("a.example:") ": empty port after ':'", 1 },
	{ "a wildcard", E(ENTRY("*.example.com:443", "127.0.0.1:1")), 0,
	  AT(12) UP("*.example.com:443") ": an upstream is one host, not a wildcard", 1 },
	{ "a CIDR", E(ENTRY("10.0.0.0/8:443", "127.0.0.1:1")), 0,
	  AT(12) UP("10.0.0.0/8:443") ": an upstream is one host, not a CIDR", 1 },
	{ "unspecified", E(ENTRY("0.0.0.0:443", "127.0.0.1:1")), 0,
	  AT(12) UP("0.0.0.0:443") ": the unspecified address is not an upstream", 1 },
	{ "unspecified v6", E(ENTRY("[::]:443", "127.0.0.1:1")), 0,
	  AT(12) UP("[::]:443") ": the unspecified address is not an upstream", 1 },
	{ "bad hostname", E(ENTRY("a_b.example:443", "127.0.0.1:1")), 0,
	  AT(12) UP("a_b.example:443") ": '_' is not allowed in a hostname", 1 },
	{ "bad IPv4", E(ENTRY("10.0.0.256:443", "127.0.0.1:1")), 0,
	  AT(12) UP("10.0.0.256:443") ": \"10.0.0.256\" is not a valid IPv4 address", 1 },
	{ "empty key", E(ENTRY("", "127.0.0.1:1")), 0, AT(12) UP("") ": empty host", 1 },
	{ "listen missing", E("\"a.example:443\": {" CA "}"), 0,
	  AT(29) UP("a.example:443") ".listen: required", 1 },
	{ "ca missing", E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\"}"), 0,
	  AT(29) UP("a.example:443") ".ca: required", 1 },
	{ "both missing", E("\"a.example:443\": {}"), 0, AT(29) UP("a.example:443") ".ca: required",
	  2 },
	{ "listen a number", E("\"a.example:443\": {\"listen\": 18443, " CA "}"), 0,
	  AT(40) UP("a.example:443") ".listen: must be a string \"127.0.0.1:PORT\"", 1 },
	{ "listen a hostname", E(ENTRY("a.example:443", "localhost:18443")), 0,
	  AT(40) UP("a.example:443") ".listen: \"localhost:18443\": must be a loopback address and "
				     "port (127.0.0.1:PORT or [::1]:PORT), not a hostname",
	  1 },
	{ "listen not loopback", E(ENTRY("a.example:443", "10.0.0.1:18443")), 0,
	  AT(40) UP("a.example:443") ".listen: \"10.0.0.1:18443\": " LOOP_REASON, 1 },
	{ "listen on every address", E(ENTRY("a.example:443", "0.0.0.0:18443")), 0,
	  AT(40) UP("a.example:443") ".listen: \"0.0.0.0:18443\": " LOOP_REASON, 1 },
	{ "listen on another IPv6", E(ENTRY("a.example:443", "[::2]:18443")), 0,
	  AT(40) UP("a.example:443") ".listen: \"[::2]:18443\": " LOOP_REASON, 1 },
	{ "listen a CIDR", E(ENTRY("a.example:443", "127.0.0.0/8:18443")), 0,
	  AT(40) UP("a.example:443") ".listen: \"127.0.0.0/8:18443\": must be one address and "
				     "port, not a CIDR",
	  1 },
	{ "listen without port", E(ENTRY("a.example:443", "127.0.0.1")), 0,
	  AT(40) UP("a.example:443") ".listen: \"127.0.0.1\": needs a port (127.0.0.1:PORT or "
				     "[::1]:PORT)",
	  1 },
	{ "listen a port alone", E(ENTRY("a.example:443", "18443")), 0,
	  AT(40) UP("a.example:443") ".listen: \"18443\": \"18443\" is not a valid IPv4 address",
	  1 },
	{ "listen port 0", E(ENTRY("a.example:443", "127.0.0.1:0")), 0,
	  AT(40) UP("a.example:443") ".listen: \"127.0.0.1:0\": port 0 is not a port (1 to "
				     "65535)",
	  1 },
	{ "ca relative", E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", \"ca\": \"ca.pem\"}"),
	  0, AT(61) UP("a.example:443") ".ca: \"ca.pem\": must be an absolute path", 1 },
	{ "ca with ..",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", \"ca\": \"/etc/../ca\"}"), 0,
	  AT(61) UP("a.example:443") ".ca: \"/etc/../ca\": '.' and '..' components are not "
				     "allowed",
	  1 },
	{ "ca a list", E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", \"ca\": [\"/ca\"]}"), 0,
	  AT(61) UP("a.example:443") ".ca: must be a string: the absolute path of a PEM file", 1 },
	{ "server_name with a port",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", " CA ", \"server_name\": \"a:1\"}"),
	  0,
	  AT(99) UP("a.example:443") ".server_name: \"a:1\": must be a hostname or an IP address, "
				     "without port or wildcard",
	  1 },
	{ "server_name a wildcard",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", " CA ", \"server_name\": \"*.a\"}"),
	  0,
	  AT(99) UP("a.example:443") ".server_name: \"*.a\": must be a hostname or an IP address, "
				     "without port or wildcard",
	  1 },
	{ "server_name empty",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", " CA ", \"server_name\": \"\"}"), 0,
	  AT(99) UP("a.example:443") ".server_name: \"\": empty host", 1 },
	{ "server_name null",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", " CA ", \"server_name\": null}"), 0,
	  AT(99) UP("a.example:443") ".server_name: must be a string: a hostname or an IP address",
	  1 },
	{ "http_events a string",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", " CA ", \"http_events\": \"yes\"}"),
	  0, AT(99) UP("a.example:443") ".http_events: must be true or false", 1 },
	{ "unknown key",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", " CA ", \"sni\": \"a\"}"), 0,
	  AT(84) UP("a.example:443") ".sni: unknown key (expected: ca, http_events, listen, "
				     "server_name)",
	  1 },
	{ "duplicate key in an entry",
	  E("\"a.example:443\": {\"listen\": \"127.0.0.1:1\", " CA
	    ", \"listen\": \"127.0.0.1:2\"}"),
	  0, AT(84) UP("a.example:443") ".listen: duplicate key (first at 2:30)", 1 },
	{ "duplicate upstream key",
	  E(ENTRY("a.example:443", "127.0.0.1:1") ", " ENTRY("a.example:443", "127.0.0.1:2")), 0,
	  AT(85) UP("a.example:443") ": duplicate key (first at 2:12)", 1 },
	{ "the same upstream spelled twice",
	  E(ENTRY("a.example:443", "127.0.0.1:1") ", " ENTRY("A.Example.:443", "127.0.0.1:2")), 0,
	  AT(85) UP("A.Example.:443") ": the same upstream as egress[\"a.example:443\"]", 1 },
	{ "the same address spelled twice",
	  E(ENTRY("10.0.0.1:443", "127.0.0.1:1") ", " ENTRY("[::ffff:10.0.0.1]:443",
							    "127.0.0.1:2")),
	  0, AT(84) UP("[::ffff:10.0.0.1]:443") ": the same upstream as egress[\"10.0.0.1:443\"]",
	  1 },
	{ "two upstreams on one listener",
	  E(ENTRY("a.example:443", "127.0.0.1:18443") ", " ENTRY("b.example:443",
								 "[::ffff:127.0.0.1]:18443")),
	  0,
	  AT(117) UP("b.example:443") ".listen: \"127.0.0.1:18443\" is already the listener of "
				      "egress[\"a.example:443\"]: one upstream per listener",
	  1 },
	{ "every problem of an entry",
	  E("\"a.example\": {\"listen\": \"10.0.0.1:1\", \"ca\": \"x\", \"http_events\": 1}"), 0,
	  AT(12) UP("a.example") ": needs a port: \"HOST:PORT\" or \"[IPv6]:PORT\"", 4 },
};

UNIT_TEST(entry_errors)
{
	check_doc_cases(error_cases, ARRAY_SIZE(error_cases));
}

/* n entries "hN.example:443" on 127.0.0.1:(1000 + N), as the text of an "egress" object. */
static void many(char *buf, size_t len, int n)
{
	size_t used = 0;
	int i;

	used += snprintf(buf + used, len - used, DOC("\"egress\": {"));
	used -= 2; /* DOC's closing "\n}" */
	for (i = 0; i < n; i++)
		used += snprintf(buf + used, len - used,
				 "%s\"h%d.example:443\": {\"listen\": \"127.0.0.1:%d\", " CA "}",
				 i ? ", " : "", i, 1000 + i);
	snprintf(buf + used, len - used, "}\n}");
}

UNIT_TEST(limit)
{
	static char doc[8192];
	struct kk_errors e;
	struct kk_policy p;
	char got[256];

	CHECK_EQ_INT(KK_EGRESS_MAX, 16);
	many(doc, sizeof(doc), KK_EGRESS_MAX);
	CHECK_EQ_INT(parse_doc(doc, &p, &e), 0);
	CHECK_EQ_INT(p.n_egress, KK_EGRESS_MAX);
	CHECK_EQ_INT(p.egress[15].listen_port, 1015);
	kk_policy_free(&p);
	kk_errors_free(&e);
	many(doc, sizeof(doc), KK_EGRESS_MAX + 1);
	CHECK_EQ_INT(parse_doc(doc, &p, &e), -EINVAL);
	CHECK_EQ_INT(e.n, 1);
	CHECK_EQ_STR(fmt_error(&e.v[0], got, sizeof(got)),
		     "2:11: egress: 17 upstreams; at most 16");
	kk_policy_free(&p);
	kk_errors_free(&e);
}

static void hash_of(const char *doc, char out[65])
{
	struct kk_errors e;
	struct kk_policy p;

	out[0] = '\0';
	if (parse_doc(doc, &p, &e) == 0)
		strcpy(out, hash_hex(&p));
	kk_policy_free(&p);
	kk_errors_free(&e);
}

UNIT_TEST(hash)
{
	char none[65], empty[65], a[65], b[65], c[65];
	struct kk_errors e;
	struct kk_policy p;
	char path[64];

	/* Absent and {} are the same policy, hashed as before the section existed. */
	hash_of(DOC("\"mode\": \"enforce\""), none);
	hash_of(E(""), empty);
	CHECK(is_hash(none));
	CHECK_EQ_STR(empty, none);
	/* Order, spelling and written defaults do not matter. */
	hash_of(E(ENTRY("a.example:443", "127.0.0.1:1") ", " ENTRY("[2001:db8::1]:443", "[::1]:2")),
		a);
	hash_of(E("\"[2001:DB8:0::1]:443\": {\"ca\": \"/etc/kakunin/ca.pem\", \"listen\": "
		  "\"[::1]:2\", \"http_events\": false}, \"A.example.:443\": {\"listen\": "
		  "\"[::ffff:127.0.0.1]:1\", " CA ", \"server_name\": \"a.example\"}"),
		b);
	CHECK(is_hash(a));
	CHECK_EQ_STR(a, b);
	CHECK(strcmp(a, none));
	/* Each field is enforced, so each one changes the hash. */
	hash_of(E(ENTRY("a.example:443", "127.0.0.1:1") ", " ENTRY("[2001:db8::1]:444", "[::1]:2")),
		c);
	CHECK(is_hash(c) && strcmp(c, a));
	hash_of(E(ENTRY("a.example:443", "127.0.0.2:1") ", " ENTRY("[2001:db8::1]:443", "[::1]:2")),
		c);
	CHECK(is_hash(c) && strcmp(c, a));
	hash_of(E(ENTRY("a.example:443",
			"127.0.0.1:1") ", \"[2001:db8::1]:443\": {\"listen\": "
				       "\"[::1]:2\", \"ca\": \"/etc/kakunin/ca2.pem\"}"),
		c);
	CHECK(is_hash(c) && strcmp(c, a));
	hash_of(E(ENTRY("a.example:443", "127.0.0.1:1") ", \"[2001:db8::1]:443\": {\"listen\": "
							"\"[::1]:2\", " CA
							", \"server_name\": \"b.example\"}"),
		c);
	CHECK(is_hash(c) && strcmp(c, a));
	hash_of(E(ENTRY("a.example:443", "127.0.0.1:1") ", \"[2001:db8::1]:443\": {\"listen\": "
							"\"[::1]:2\", " CA
							", \"http_events\": true}"),
		c);
	CHECK(is_hash(c) && strcmp(c, a));

	/* The canonical text: keys sorted, defaults written, between data_access and exec. */
	CHECK_EQ_INT(parse_doc(E(ENTRY("b.example:443",
				       "127.0.0.1:2") ", " ENTRY("[2001:DB8::1]:443", "[::1]:2")),
			       &p, &e),
		     0);
	CHECK(strstr(p.canonical,
		     "\"data_access\":{},\"egress\":{\"[2001:db8::1]:443\":{\"ca\":"
		     "\"/etc/kakunin/ca.pem\",\"http_events\":false,\"listen\":\"[::1]:2\","
		     "\"server_name\":\"2001:db8::1\"},\"b.example:443\":{\"ca\":"
		     "\"/etc/kakunin/ca.pem\",\"http_events\":false,\"listen\":\"127.0.0.1:2\","
		     "\"server_name\":\"b.example\"}},\"exec\":"));
	strcpy(a, hash_hex(&p));
	/* Read back from the canonical form (the state directory's copy): the same policy. */
	CHECK_EQ_INT(tmp_text_file(path, p.canonical), 0);
	kk_policy_free(&p);
	kk_errors_free(&e);
	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(kk_policy_load_canonical(path, &p, &e), 0);
	unlink(path);
	CHECK_EQ_STR(hash_hex(&p), a);
	CHECK_EQ_INT(p.n_egress, 2);
	kk_policy_free(&p);
	kk_errors_free(&e);
}

/* policy check's warning: the ca must be a PEM certificate on this host to be served. */
UNIT_TEST(ca_check)
{
	struct kk_egress_rule r = { 0 };
	char path[64], why[400];

	CHECK_EQ_INT(tmp_text_file(path, "-----BEGIN CERTIFICATE-----\nMIIB\n"
					 "-----END CERTIFICATE-----\n"),
		     0);
	r.ca = path;
	CHECK_EQ_INT(kk_egress_ca_check(&r, why, sizeof(why)), 0);
	unlink(path);
	CHECK_EQ_INT(kk_egress_ca_check(&r, why, sizeof(why)), -ENOENT);
	CHECK(strstr(why, "on this host: No such file or directory") != NULL);
	CHECK_EQ_INT(tmp_text_file(path, "-----BEGIN PRIVATE KEY-----\n"), 0);
	CHECK_EQ_INT(kk_egress_ca_check(&r, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "holds no PEM certificate") != NULL);
	unlink(path);
	r.ca = (char *)"/tmp";
	CHECK_EQ_INT(kk_egress_ca_check(&r, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "\"/tmp\" is not a regular file");
}

int main(void)
{
	UNIT_RUN(entry_fields);
	UNIT_RUN(entry_errors);
	UNIT_RUN(limit);
	UNIT_RUN(hash);
	UNIT_RUN(ca_check);
	return unit_done();
}
