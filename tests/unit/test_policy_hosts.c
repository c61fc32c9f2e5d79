// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of network_rules (user/policy_fields.c, user/policy_net.c): every host entry form
 * with what it parses to (kind, 128-bit address, prefix, port, canonical text), and every error
 * an entry or a list can have, with its exact position and message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "policy.h"
#include "test_policy.h"
#include "unit.h"

#define A "\"network_rules\": {\"allowed_hosts\": ["
#define D "\"network_rules\": {\"denied_hosts\": ["
/* An allowed entry first, so that a wildcard may be denied. */
#define AD  "\"network_rules\": {\"allowed_hosts\": [\"ok.example\"], \"denied_hosts\": ["
#define END "]}"
/* The first allowed entry is at 2:37, the first denied one at 2:36 (after AD: 2:69). */

#define S10	"aaaaaaaaaa"
#define S60	S10 S10 S10 S10 S10 S10
#define LABEL63 S60 "bbb"
#define NAME253 LABEL63 "." LABEL63 "." LABEL63 "." S60 "c" /* 63*3 + 61 + 3 dots */

static const struct doc_case host_error_cases[] = {
	{ "socket types not an array", DOC("\"network_rules\": {\"allowed_socket_types\": \"raw\"}"),
	  0, "2:43: network_rules.allowed_socket_types: must be an array of \"raw\", \"packet\", "
	  "\"netlink\", \"sctp\"", 1 },
	{ "socket type unknown",
	  DOC("\"network_rules\": {\"allowed_socket_types\": [\"raw\", \"icmp\", 3]}"), 0,
	  "2:51: network_rules.allowed_socket_types: unknown socket type \"icmp\" (expected raw, "
	  "packet, netlink, sctp)", 2 },
	{ "socket type in capitals",
	  DOC("\"network_rules\": {\"allowed_socket_types\": [\"SCTP\"]}"), 0,
	  "2:44: network_rules.allowed_socket_types: unknown socket type \"SCTP\" (expected raw, "
	  "packet, netlink, sctp)", 1 },
	{ "socket type twice",
	  DOC("\"network_rules\": {\"allowed_socket_types\": [\"netlink\", \"netlink\"]}"), 0,
	  "2:55: network_rules.allowed_socket_types: duplicate socket type \"netlink\"", 1 },
	{ "network_rules an array", DOC("\"network_rules\": []"), 0,
	  "2:18: network_rules: must be an object", 1 },
	{ "network_rules unknown key", DOC("\"network_rules\": {\"hosts\": []}"), 0,
	  "2:19: network_rules.hosts: unknown key (expected: allowed_hosts, denied_hosts, "
	  "allowed_socket_types, listen)", 1 },
	{ "allowed_hosts a string", DOC("\"network_rules\": {\"allowed_hosts\": \"a.com\"}"), 0,
	  "2:36: network_rules.allowed_hosts: must be an array of host strings", 1 },
	{ "denied_hosts an object", DOC("\"network_rules\": {\"denied_hosts\": {}}"), 0,
	  "2:35: network_rules.denied_hosts: must be an array of host strings", 1 },
	{ "entry a number", DOC(A "\"a.com\", 443" END), 0,
	  "2:46: network_rules.allowed_hosts[1]: must be a string", 1 },
	{ "allowed wildcard", DOC(A "\"*.x.com\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"*.x.com\": wildcards cannot be allowed (the "
	  "kernel sees addresses, not names); list the hostnames",
	  1 },
	{ "wildcard without allowed_hosts", DOC(D "\"1.2.3.4\", \"*.x.com\"" END), 0,
	  "2:47: network_rules.denied_hosts[1]: \"*.x.com\" is enforced by default-deny, which "
	  "needs allowed_hosts (without them every host is denied already)",
	  1 },
	{ "wildcard with empty allowed_hosts",
	  DOC("\"network_rules\": {\"allowed_hosts\": [], \"denied_hosts\": [\"*.x.com\"]}"), 0,
	  "2:57: network_rules.denied_hosts[0]: \"*.x.com\" is enforced by default-deny, which "
	  "needs allowed_hosts (without them every host is denied already)",
	  1 },
	{ "duplicate name", DOC(A "\"a.example\", \"A.Example.\"" END), 0,
	  "2:50: network_rules.allowed_hosts[1]: \"A.Example.\" duplicates the "
	  "network_rules.allowed_hosts entry \"a.example\"",
	  1 },
	{ "three copies", DOC(A "\"a.com\", \"a.com\", \"a.com\"" END), 0,
	  "2:46: network_rules.allowed_hosts[1]: \"a.com\" duplicates the "
	  "network_rules.allowed_hosts entry \"a.com\"",
	  2 },
	{ "duplicate mapped address", DOC(A "\"10.0.0.1:80\", \"[::ffff:10.0.0.1]:80\"" END), 0,
	  "2:52: network_rules.allowed_hosts[1]: \"[::ffff:10.0.0.1]:80\" duplicates the "
	  "network_rules.allowed_hosts entry \"10.0.0.1:80\"",
	  1 },
	{ "duplicate CIDR spelled as IPv6", DOC(A "\"10.0.0.0/8\", \"::ffff:10.0.0.0/104\"" END), 0,
	  "2:51: network_rules.allowed_hosts[1]: \"::ffff:10.0.0.0/104\" duplicates the "
	  "network_rules.allowed_hosts entry \"10.0.0.0/8\"",
	  1 },
	{ "allowed and denied", DOC(AD "\"::ffff:10.0.0.1\", \"OK.example\"" END), 0,
	  "2:88: network_rules.denied_hosts[1]: \"OK.example\" conflicts with the "
	  "network_rules.allowed_hosts entry \"ok.example\"",
	  1 },
	{ "duplicate wildcard, no allowed", DOC(D "\"*.x.com\", \"*.X.com\"" END), 0,
	  "2:36: network_rules.denied_hosts[0]: \"*.x.com\" is enforced by default-deny, which "
	  "needs allowed_hosts (without them every host is denied already)",
	  2 },
	/* kk_host_parse: each reason, quoted after the entry. */
	{ "empty entry", DOC(A "\"\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"\": empty host", 1 },
	{ "port without host", DOC(A "\":443\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \":443\": empty host", 1 },
	{ "empty port", DOC(A "\"a.com:\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"a.com:\": empty port after ':'", 1 },
	{ "port a name", DOC(A "\"a.com:https\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"a.com:https\": port \"https\" is not a number "
	  "from 1 to 65535",
	  1 },
	{ "port 65536", DOC(A "\"10.0.0.1:65536\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"10.0.0.1:65536\": port \"65536\" is not a "
	  "number from 1 to 65535",
	  1 },
	{ "port 0", DOC(A "\"a.com:0\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"a.com:0\": port 0 is not a port (1 to 65535)",
	  1 },
	{ "bracket port 00", DOC(A "\"[::1]:00\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"[::1]:00\": port 0 is not a port (1 to 65535)",
	  1 },
	{ "unclosed bracket", DOC(A "\"[::1\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"[::1\": '[' without a closing ']'", 1 },
	{ "text after bracket", DOC(A "\"[::1]443\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"[::1]443\": expected ':port' after ']'", 1 },
	{ "bracketed IPv4", DOC(A "\"[10.0.0.1]:80\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"[10.0.0.1]:80\": [...] is only for IPv6 "
	  "addresses",
	  1 },
	{ "bracketed name", DOC(A "\"[a.com]\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"[a.com]\": [...] is only for IPv6 addresses",
	  1 },
	{ "address too long",
	  DOC(A "\"[1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb]\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"[1111:2222:3333:4444:5555:6666:7777:8888:9999:"
	  "aaaa:bbbb]\": not an IP address",
	  1 },
	{ "bad IPv6", DOC(A "\"2001:db8::g\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"2001:db8::g\": \"2001:db8::g\" is not a valid "
	  "IPv6 address",
	  1 },
	{ "IPv6 with a port, no brackets", DOC(A "\"::1/128:53\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"::1/128:53\": prefix length \"/128:53\" must be "
	  "0 to 128",
	  1 },
	{ "three-part IPv4", DOC(A "\"1.2.3\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"1.2.3\": \"1.2.3\" is not a valid IPv4 address",
	  1 },
	{ "IPv4 octet 256", DOC(A "\"256.1.1.1:80\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"256.1.1.1:80\": \"256.1.1.1\" is not a valid "
	  "IPv4 address",
	  1 },
	{ "IPv4 prefix 33", DOC(A "\"10.0.0.0/33\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"10.0.0.0/33\": prefix length \"/33\" must be 0 "
	  "to 32",
	  1 },
	{ "IPv4 prefix 08", DOC(A "\"10.0.0.0/08\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"10.0.0.0/08\": prefix length \"/08\" must be 0 "
	  "to 32",
	  1 },
	{ "IPv4 empty prefix", DOC(A "\"10.0.0.0/\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"10.0.0.0/\": prefix length \"/\" must be 0 to "
	  "32",
	  1 },
	{ "IPv6 prefix 129", DOC(A "\"[2001:db8::/129]:443\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"[2001:db8::/129]:443\": prefix length \"/129\" "
	  "must be 0 to 128",
	  1 },
	{ "IPv4 host bits", DOC(A "\"10.0.0.1/8\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"10.0.0.1/8\": address has bits set beyond /8 "
	  "(host bits must be zero)",
	  1 },
	{ "IPv6 host bits", DOC(D "\"2001:db8::1/32\"" END), 0,
	  "2:36: network_rules.denied_hosts[0]: \"2001:db8::1/32\": address has bits set beyond "
	  "/32 (host bits must be zero)",
	  1 },
	{ "hostname of 254 characters", DOC(A "\"" NAME253 "d\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"" NAME253 "d\": hostname must be 1 to 253 "
	  "characters",
	  1 },
	{ "entry of 300 characters", DOC(A "\"" S60 S60 S60 S60 S60 "\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"" S60 S60 S60 S60 S60 "\": entry too long", 1 },
	{ "label of 64 characters", DOC(A "\"" LABEL63 "c.com\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"" LABEL63 "c.com\": hostname labels must be 1 "
	  "to 63 characters",
	  1 },
	{ "empty label", DOC(A "\"a..com\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"a..com\": hostname labels must be 1 to 63 "
	  "characters",
	  1 },
	{ "label starting with '-'", DOC(A "\"-a.com\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"-a.com\": hostname labels cannot start or end "
	  "with '-'",
	  1 },
	{ "label ending with '-'", DOC(A "\"a-.com:80\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"a-.com:80\": hostname labels cannot start or "
	  "end with '-'",
	  1 },
	{ "underscore", DOC(A "\"a_b.com\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"a_b.com\": '_' is not allowed in a hostname",
	  1 },
	{ "space", DOC(A "\"a b\"" END), 0,
	  "2:37: network_rules.allowed_hosts[0]: \"a b\": ' ' is not allowed in a hostname", 1 },
	{ "star inside a name", DOC(AD "\"api.*.com\"" END), 0,
	  "2:69: network_rules.denied_hosts[0]: \"api.*.com\": '*' is only allowed as a leading "
	  "\"*.\" label",
	  1 },
	{ "bare star", DOC(AD "\"*\"" END), 0,
	  "2:69: network_rules.denied_hosts[0]: \"*\": '*' is only allowed as a leading \"*.\" "
	  "label",
	  1 },
	{ "two stars", DOC(AD "\"*.*.com\"" END), 0,
	  "2:69: network_rules.denied_hosts[0]: \"*.*.com\": '*' is not allowed in a hostname", 1 },
	{ "star and dot only", DOC(AD "\"*.\"" END), 0,
	  "2:69: network_rules.denied_hosts[0]: \"*.\": hostname must be 1 to 253 characters", 1 },
	/* An all-numeric name after "*." is taken for an IPv4 address. */
	{ "numeric wildcard", DOC(AD "\"*.123\"" END), 0,
	  "2:69: network_rules.denied_hosts[0]: \"*.123\": \"123\" is not a valid IPv4 address",
	  1 },
};

UNIT_TEST(host_errors)
{
	check_doc_cases(host_error_cases, ARRAY_SIZE(host_error_cases));
}

struct host_case {
	const char *text;
	bool deny;
	enum kk_host_kind kind;
	const char *name; /* KK_HOST_NAME, KK_HOST_WILDCARD */
	const char *addr; /* KK_HOST_ADDR: inet_pton(AF_INET6) form */
	int prefix;
	int port;
	const char *canonical; /* in the canonical JSON */
};

static const struct host_case host_cases[] = {
	{ "api.exchange.com", false, KK_HOST_NAME, "api.exchange.com", NULL, 0, 0,
	  "api.exchange.com" },
	{ "API.Exchange.COM.", false, KK_HOST_NAME, "api.exchange.com", NULL, 0, 0,
	  "api.exchange.com" },
	{ "api.exchange.com:443", false, KK_HOST_NAME, "api.exchange.com", NULL, 0, 443,
	  "api.exchange.com:443" },
	{ "localhost:65535", false, KK_HOST_NAME, "localhost", NULL, 0, 65535, "localhost:65535" },
	{ "xn--bcher-kva.example", false, KK_HOST_NAME, "xn--bcher-kva.example", NULL, 0, 0,
	  "xn--bcher-kva.example" },
	{ "1a.example", false, KK_HOST_NAME, "1a.example", NULL, 0, 0, "1a.example" },
	{ NAME253, false, KK_HOST_NAME, NAME253, NULL, 0, 0, NAME253 },
	{ "*.Internal-Network.local", true, KK_HOST_WILDCARD, "internal-network.local", NULL, 0, 0,
	  "*.internal-network.local" },
	{ "*.x.com:443", true, KK_HOST_WILDCARD, "x.com", NULL, 0, 443, "*.x.com:443" },
	{ "10.1.2.3", false, KK_HOST_ADDR, NULL, "::ffff:10.1.2.3", 128, 0, "10.1.2.3" },
	{ "10.1.2.3:8443", false, KK_HOST_ADDR, NULL, "::ffff:10.1.2.3", 128, 8443,
	  "10.1.2.3:8443" },
	{ "10.1.0.0/16", false, KK_HOST_ADDR, NULL, "::ffff:10.1.0.0", 112, 0, "10.1.0.0/16" },
	{ "10.0.0.0/8:443", false, KK_HOST_ADDR, NULL, "::ffff:10.0.0.0", 104, 443,
	  "10.0.0.0/8:443" },
	{ "0.0.0.0/0", true, KK_HOST_ADDR, NULL, "::ffff:0.0.0.0", 96, 0, "0.0.0.0/0" },
	{ "169.254.169.254", true, KK_HOST_ADDR, NULL, "::ffff:169.254.169.254", 128, 0,
	  "169.254.169.254" },
	{ "2001:db8::1", false, KK_HOST_ADDR, NULL, "2001:db8::1", 128, 0, "2001:db8::1" },
	{ "2001:DB8:0::1", false, KK_HOST_ADDR, NULL, "2001:db8::1", 128, 0, "2001:db8::1" },
	{ "2001:db8::/32", false, KK_HOST_ADDR, NULL, "2001:db8::", 32, 0, "2001:db8::/32" },
	{ "[2001:db8::1]:443", false, KK_HOST_ADDR, NULL, "2001:db8::1", 128, 443,
	  "[2001:db8::1]:443" },
	{ "[2001:db8::/32]:443", false, KK_HOST_ADDR, NULL, "2001:db8::", 32, 443,
	  "[2001:db8::/32]:443" },
	{ "[::1]", false, KK_HOST_ADDR, NULL, "::1", 128, 0, "::1" },
	{ "::/0", true, KK_HOST_ADDR, NULL, "::", 0, 0, "::/0" },
	{ "::ffff:1.2.3.4", false, KK_HOST_ADDR, NULL, "::ffff:1.2.3.4", 128, 0, "1.2.3.4" },
	{ "[::ffff:1.2.3.4]:80", false, KK_HOST_ADDR, NULL, "::ffff:1.2.3.4", 128, 80,
	  "1.2.3.4:80" },
	{ "::ffff:10.0.0.0/104", false, KK_HOST_ADDR, NULL, "::ffff:10.0.0.0", 104, 0,
	  "10.0.0.0/8" },
	/* Without brackets every ':' belongs to the address: this is 2001:db8::1:443, no port. */
	{ "2001:db8::1:443", false, KK_HOST_ADDR, NULL, "2001:db8::1:443", 128, 0,
	  "2001:db8::1:443" },
};

/* One entry alone in its list (a denied one next to an allowed "ok.example"). */
static void check_host_case(const struct host_case *t)
{
	struct kk_errors e;
	struct kk_policy p;
	const struct kk_host_rule *h;
	char doc[1024], want[512];
	uint8_t addr[16] = { 0 };
	int rc;

	snprintf(doc, sizeof(doc), t->deny ? DOC(AD "\"%s\"" END) : DOC(A "\"%s\"" END), t->text);
	rc = parse_doc(doc, &p, &e);
	if (rc || e.n) {
		unit_fail_begin(__FILE__, __LINE__);
		printf("%s: rc %d, %zu errors, first %s\n", t->text, rc, e.n,
		       e.n ? e.v[0].reason : "-");
		goto out;
	}
	if (t->addr)
		inet_pton(AF_INET6, t->addr, addr);
	snprintf(want, sizeof(want),
		 t->deny ? "\"denied_hosts\":[\"%s\"]" : "\"allowed_hosts\":[\"%s\"]",
		 t->canonical);
	h = &p.hosts[t->deny ? 1 : 0];
	if (p.n_hosts != (t->deny ? 2u : 1u) || strcmp(h->text, t->text) || h->deny != t->deny ||
	    h->kind != t->kind || h->origin != KK_ORIGIN_POLICY || h->port != t->port ||
	    (t->name ? !h->name || strcmp(h->name, t->name) : h->name != NULL) ||
	    (t->addr && (h->prefix != t->prefix || memcmp(h->addr, addr, 16))) || h->line != 2 ||
	    h->col != (t->deny ? 69 : 37) || !strstr(p.canonical, want)) {
		unit_fail_begin(__FILE__, __LINE__);
		printf("%s: kind %d name %s prefix %u port %u at %d:%d; canonical %s\n", t->text,
		       h->kind, h->name ? h->name : "NULL", h->prefix, h->port, h->line, h->col,
		       p.canonical);
	}
out:
	kk_policy_free(&p);
	kk_errors_free(&e);
}

UNIT_TEST(host_forms)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(host_cases); i++)
		check_host_case(&host_cases[i]);
}

/* Entries keep their list order and their own position; denied ones come after allowed ones. */
UNIT_TEST(host_lists)
{
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(parse_doc(DOC("\"network_rules\": {\n"
				   "  \"denied_hosts\": [\"10.0.0.0/8\"],\n"
				   "  \"allowed_hosts\": [\"b.example\", \"a.example:80\"]\n}"),
			       &p, &e),
		     0);
	kk_errors_free(&e);
	CHECK_EQ_INT(p.n_hosts, 3);
	CHECK_EQ_STR(p.hosts[0].text, "b.example");
	CHECK_EQ_INT(p.hosts[0].line, 4);
	CHECK_EQ_INT(p.hosts[0].col, 21);
	CHECK_EQ_STR(p.hosts[1].text, "a.example:80");
	CHECK_EQ_INT(p.hosts[1].col, 34);
	CHECK_EQ_STR(p.hosts[2].text, "10.0.0.0/8");
	CHECK(p.hosts[2].deny);
	CHECK_EQ_INT(p.hosts[2].line, 3);
	CHECK_EQ_INT(p.hosts[2].col, 20);
	CHECK(strstr(p.canonical, "\"network_rules\":{\"allowed_hosts\":[\"a.example:80\","
				  "\"b.example\"],\"denied_hosts\":[\"10.0.0.0/8\"]}"));
	kk_policy_free(&p);
}

int main(void)
{
	UNIT_RUN(host_errors);
	UNIT_RUN(host_forms);
	UNIT_RUN(host_lists);
	return unit_done();
}
