// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of network_rules.listen (user/policy_listen.c, user/policy_fold.c): every entry
 * form with what it parses to and its canonical text, every error with its exact position and
 * message, the policy hash, and the kk_net_listen entries the compiler makes: keys, folded
 * ports, and the wildcard addresses 0.0.0.0 and :: that a CIDR must not open. A longest-match
 * lookup over the compiled entries, as the kernel's LPM trie does it, checks what a bind would
 * get.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "kakunin.h"
#include "policy.h"
#include "test_policy.h"
#include "unit.h"

#define L(list)	 DOC("\"network_rules\": {\"listen\": [" list "]}")
#define NL(list) NB("\"network_rules\": {\"listen\": [" list "]}")
/* The first entry of L() starts at 2:30. */

struct form_case {
	const char *text;
	const char *addr; /* inet_pton AF_INET6 form */
	int prefix;	  /* over 128 bits */
	uint16_t port;	  /* 0: every port */
	const char *canonical;
};

static const struct form_case forms[] = {
	{ "8080", "::", 0, 8080, "8080" },
	{ "1", "::", 0, 1, "1" },
	{ "65535", "::", 0, 65535, "65535" },
	{ "00080", "::", 0, 80, "80" },
	{ "127.0.0.1:8080", "::ffff:127.0.0.1", 128, 8080, "127.0.0.1:8080" },
	{ "[::1]:8080", "::1", 128, 8080, "[::1]:8080" },
	{ "10.0.0.0/8:9000", "::ffff:10.0.0.0", 104, 9000, "10.0.0.0/8:9000" },
	{ "[fd00::/8]:9000", "fd00::", 8, 9000, "[fd00::/8]:9000" },
	{ "127.0.0.1", "::ffff:127.0.0.1", 128, 0, "127.0.0.1" },
	{ "10.1.0.0/16", "::ffff:10.1.0.0", 112, 0, "10.1.0.0/16" },
	{ "[::1]", "::1", 128, 0, "::1" },
	{ "::1", "::1", 128, 0, "::1" },
	{ "[FD00::1]:443", "fd00::1", 128, 443, "[fd00::1]:443" },
	{ "0.0.0.0:8080", "::ffff:0.0.0.0", 128, 8080, "0.0.0.0:8080" },
	{ "0.0.0.0", "::ffff:0.0.0.0", 128, 0, "0.0.0.0" },
	{ "[::]:8080", "::", 128, 8080, "[::]:8080" },
	{ "[::]", "::", 128, 0, "::" },
	{ "[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 128, 80, "10.0.0.1:80" },
	{ "[::/0]:80", "::", 0, 80, "80" },
	{ "[::/0]", "::", 0, 0, "::/0" },
	{ "0.0.0.0/0:53", "::ffff:0.0.0.0", 96, 53, "0.0.0.0/0:53" },
};

UNIT_TEST(entry_forms)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		const struct form_case *t = &forms[i];
		struct kk_errors e;
		struct kk_policy p;
		uint8_t want[16];
		char doc[256], in_canon[128];
		const struct kk_host_rule *h;
		int rc;

		snprintf(doc, sizeof(doc), L("\"%s\""), t->text);
		snprintf(in_canon, sizeof(in_canon), "\"listen\":[\"%s\"]", t->canonical);
		inet_pton(AF_INET6, t->addr, want);
		rc = parse_doc(doc, &p, &e);
		h = rc == 0 && p.n_listen == 1 ? &p.listen[0] : NULL;
		if (!h || h->kind != KK_HOST_ADDR || memcmp(h->addr, want, 16) ||
		    h->prefix != t->prefix || h->port != t->port || strcmp(h->text, t->text) ||
		    h->line != 2 || h->col != 30 || h->index != 0 ||
		    !strstr(p.canonical, in_canon)) {
			unit_fail_begin(__FILE__, __LINE__);
			printf("\"%s\": rc %d, %zu error(s), canonical %s\n", t->text, rc, e.n,
			       rc ? "-" : p.canonical);
		}
		kk_policy_free(&p);
		kk_errors_free(&e);
	}
}

#define NOT_PA "not a port or address"

static const struct doc_case error_cases[] = {
	{ "listen a string", DOC("\"network_rules\": {\"listen\": \"8080\"}"), 0,
	  "2:29: network_rules.listen: must be an array of ports and local addresses", 1 },
	{ "listen an object", DOC("\"network_rules\": {\"listen\": {}}"), 0,
	  "2:29: network_rules.listen: must be an array of ports and local addresses", 1 },
	{ "entry a number", L("\"80\", 8080"), 0,
	  "2:36: network_rules.listen[1]: must be a string", 1 },
	{ "a word", L("\"80\", \"abc\""), 0, "2:36: network_rules.listen[1]: \"abc\": " NOT_PA, 1 },
	{ "a hostname", L("\"api.example.com\""), 0,
	  "2:30: network_rules.listen[0]: \"api.example.com\": " NOT_PA, 1 },
	{ "a hostname with a port", L("\"localhost:8080\""), 0,
	  "2:30: network_rules.listen[0]: \"localhost:8080\": " NOT_PA, 1 },
	{ "a hex-looking name", L("\"dead.beef:80\""), 0,
	  "2:30: network_rules.listen[0]: \"dead.beef:80\": " NOT_PA, 1 },
	{ "a wildcard", L("\"*.example.com:80\""), 0,
	  "2:30: network_rules.listen[0]: \"*.example.com:80\": " NOT_PA, 1 },
	{ "empty", L("\"\""), 0, "2:30: network_rules.listen[0]: \"\": " NOT_PA, 1 },
	{ "a space", L("\" 80\""), 0, "2:30: network_rules.listen[0]: \" 80\": " NOT_PA, 1 },
	{ "a negative port", L("\"-1\""), 0, "2:30: network_rules.listen[0]: \"-1\": " NOT_PA, 1 },
	{ "port 0", L("\"0\""), 0,
	  "2:30: network_rules.listen[0]: \"0\": port 0 is not a port (1 to 65535)", 1 },
	{ "port 65536", L("\"65536\""), 0,
	  "2:30: network_rules.listen[0]: \"65536\": port \"65536\" is not a number from 1 to "
	  "65535",
	  1 },
	{ "address with port 0", L("\"10.0.0.1:0\""), 0,
	  "2:30: network_rules.listen[0]: \"10.0.0.1:0\": port 0 is not a port (1 to 65535)", 1 },
	{ "address with a bad port", L("\"10.0.0.1:http\""), 0,
	  "2:30: network_rules.listen[0]: \"10.0.0.1:http\": port \"http\" is not a number from 1 "
	  "to 65535",
	  1 },
	{ "bad IPv4", L("\"10.0.0.256:80\""), 0,
	  "2:30: network_rules.listen[0]: \"10.0.0.256:80\": \"10.0.0.256\" is not a valid IPv4 "
	  "address",
	  1 },
	{ "host bits", L("\"10.0.0.1/8:80\""), 0,
	  "2:30: network_rules.listen[0]: \"10.0.0.1/8:80\": address has bits set beyond /8 (host "
	  "bits must be zero)",
	  1 },
	{ "prefix too long", L("\"[fd00::/129]:80\""), 0,
	  "2:30: network_rules.listen[0]: \"[fd00::/129]:80\": prefix length \"/129\" must be 0 "
	  "to 128",
	  1 },
	{ "unclosed bracket", L("\"[::1:80\""), 0,
	  "2:30: network_rules.listen[0]: \"[::1:80\": '[' without a closing ']'", 1 },
	{ "IPv4 in brackets", L("\"[10.0.0.1]:80\""), 0,
	  "2:30: network_rules.listen[0]: \"[10.0.0.1]:80\": [...] is only for IPv6 addresses", 1 },
	{ "a scope id", L("\"[fe80::1%eth0]:80\""), 0,
	  "2:30: network_rules.listen[0]: \"[fe80::1%eth0]:80\": \"fe80::1%eth0\" is not a valid "
	  "IPv6 address",
	  1 },
	{ "a duplicate", L("\"8080\", \"443\", \"8080\""), 0,
	  "2:45: network_rules.listen[2]: \"8080\" duplicates the network_rules.listen entry "
	  "\"8080\"",
	  1 },
	{ "the same rule spelled twice", L("\"10.0.0.1:80\", \"[::ffff:10.0.0.1]:80\""), 0,
	  "2:45: network_rules.listen[1]: \"[::ffff:10.0.0.1]:80\" duplicates the "
	  "network_rules.listen entry \"10.0.0.1:80\"",
	  1 },
	{ "every address, written twice", L("\"[::/0]:80\", \"80\""), 0,
	  "2:43: network_rules.listen[1]: \"80\" duplicates the network_rules.listen entry "
	  "\"[::/0]:80\"",
	  1 },
	{ "two bad entries", L("\"x\", \"0\""), 0, "2:30: network_rules.listen[0]: \"x\": " NOT_PA,
	  2 },
};

UNIT_TEST(entry_errors)
{
	check_doc_cases(error_cases, ARRAY_SIZE(error_cases));
}

/* The policy hash of doc, or "" when it does not parse. */
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

	/* Absent and [] are the same policy, hashed as before the field existed. */
	hash_of(DOC("\"network_rules\": {}"), none);
	hash_of(L(""), empty);
	CHECK(is_hash(none));
	CHECK_EQ_STR(empty, none);
	/* Order and spelling do not matter; a port, an address or a prefix does. */
	hash_of(L("\"8080\", \"10.0.0.0/8:9000\", \"[::]:80\""), a);
	hash_of(L("\"[::]:80\", \"[::ffff:10.0.0.0/104]:9000\", \"[::/0]:8080\""), b);
	CHECK(is_hash(a));
	CHECK_EQ_STR(a, b);
	CHECK(strcmp(a, none));
	hash_of(L("\"8081\", \"10.0.0.0/8:9000\", \"[::]:80\""), c);
	CHECK(is_hash(c) && strcmp(c, a));
	hash_of(L("\"8080\", \"10.0.0.0/7:9000\", \"[::]:80\""), c);
	CHECK(is_hash(c) && strcmp(c, a));
	hash_of(L("\"8080\", \"10.0.0.0/8:9000\", \"0.0.0.0:80\""), c);
	CHECK(is_hash(c) && strcmp(c, a));
	/* listen is not allowed_hosts: the same entry there is another policy. */
	hash_of(DOC("\"network_rules\": {\"allowed_hosts\": [\"10.0.0.0/8:9000\"]}"), b);
	hash_of(L("\"10.0.0.0/8:9000\""), c);
	CHECK(is_hash(b) && is_hash(c) && strcmp(b, c));
	/* Sorted canonical strings, after the other network_rules members. */
	CHECK_EQ_INT(parse_doc(L("\"[::]:80\", \"8080\", \"10.0.0.0/8:9000\""), &p, &e), 0);
	CHECK(strstr(p.canonical, "\"network_rules\":{\"allowed_hosts\":[],\"denied_hosts\":[],"
				  "\"listen\":[\"10.0.0.0/8:9000\",\"8080\",\"[::]:80\"]}"));
	kk_policy_free(&p);
}

/* The listen entry for addr (inet_pton AF_INET6 form) / prefix, or NULL. */
static const struct kk_net_entry *listen_entry(const struct compiled *c, const char *addr,
					       int prefix)
{
	uint8_t a[16];
	size_t i;

	if (inet_pton(AF_INET6, addr, a) != 1)
		return NULL;
	for (i = 0; i < c->rs.n_listen; i++) {
		const struct kk_net_entry *e = &c->rs.listen[i];

		if (e->key.prefixlen == 32u + prefix && !memcmp(e->key.addr, a, 16))
			return e;
	}
	return NULL;
}

/*
 * What the kernel gets for a bind to addr:port: the longest entry containing addr, as a
 * lookup with prefixlen 32 + 128 in the LPM trie finds it, then its ports.
 */
static bool may_bind(const struct compiled *c, const char *addr, uint16_t port)
{
	const struct kk_net_entry *best = NULL;
	uint8_t a[16];
	size_t i;
	int k;

	if (inet_pton(AF_INET6, addr, a) != 1)
		return false;
	for (i = 0; i < c->rs.n_listen; i++) {
		const struct kk_net_entry *e = &c->rs.listen[i];
		unsigned bits = e->key.prefixlen - 32, full = bits / 8, rest = bits % 8;

		if (memcmp(e->key.addr, a, full) ||
		    (rest && ((e->key.addr[full] ^ a[full]) & (0xff00 >> rest))))
			continue;
		if (!best || e->key.prefixlen > best->key.prefixlen)
			best = e;
	}
	if (!best)
		return false;
	for (k = 0; k < best->val.nports; k++)
		if (best->val.ports[k] == port)
			return true;
	return best->val.any_port;
}

UNIT_TEST(port_alone)
{
	static const uint16_t p8080[] = { 8080 };
	const struct kk_net_entry *e;
	struct compiled c;
	uint8_t zero[16] = { 0 };

	CHECK_EQ_INT(compile(&c, NL("\"8080\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 1);
	CHECK_EQ_INT(c.rs.n_net, 0);
	e = &c.rs.listen[0];
	/* No address: only the policy id is matched, so every address finds it. */
	CHECK_EQ_INT(e->key.prefixlen, 32);
	CHECK_EQ_INT(e->key.policy_id, 0);
	CHECK(!memcmp(e->key.addr, zero, 16));
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p8080, 1));
	CHECK_EQ_INT(e->val.flags, 0);
	CHECK(!e->deny);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_POLICY);
	CHECK_EQ_STR(e->source, "8080");
	CHECK(may_bind(&c, "::ffff:0.0.0.0", 8080));
	CHECK(may_bind(&c, "::", 8080));
	CHECK(may_bind(&c, "::ffff:192.0.2.1", 8080));
	CHECK(may_bind(&c, "2001:db8::1", 8080));
	CHECK(!may_bind(&c, "::ffff:0.0.0.0", 8081));
	done(&c);
}

/* listen and allowed_hosts are separate lists: neither takes the other's ports. */
UNIT_TEST(separate_from_hosts)
{
	static const uint16_t p443[] = { 443 }, p8080[] = { 8080 };
	const struct kk_net_entry *e;
	struct compiled c;

	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"allowed_hosts\": [\"10.0.0.0/8:443\"], "
				"\"listen\": [\"8080\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.n_net, 1);
	CHECK(has_ports(&c.rs.net[0], p443, 1));
	CHECK_EQ_INT(c.rs.n_listen, 1);
	e = listen_entry(&c, "::", 0);
	CHECK(e != NULL);
	CHECK(has_ports(e, p8080, 1));
	done(&c);
	/* No listen: no entry, so nothing may be bound (the seed policy has none). */
	CHECK_EQ_INT(compile(&c, SEED, true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 0);
	CHECK(!may_bind(&c, "::ffff:127.0.0.1", 8080));
	done(&c);
	CHECK_EQ_INT(compile(&c, L(""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 0);
	done(&c);
}

UNIT_TEST(fold)
{
	static const uint16_t p8080[] = { 8080 }, p9000_8080[] = { 9000, 8080 };
	const struct kk_net_entry *e;
	struct compiled c;

	CHECK_EQ_INT(compile(&c, NL("\"10.0.0.0/8:9000\", \"8080\", \"10.1.2.3\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 3);
	e = listen_entry(&c, "::", 0);
	CHECK(e != NULL);
	CHECK(has_ports(e, p8080, 1));
	/* The CIDR carries the ports of the rule for every address too. */
	e = listen_entry(&c, "::ffff:10.0.0.0", 104);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p9000_8080, 2));
	CHECK_EQ_STR(e->source, "10.0.0.0/8:9000");
	e = listen_entry(&c, "::ffff:10.1.2.3", 128);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0);
	CHECK(may_bind(&c, "::ffff:10.9.9.9", 9000));
	CHECK(may_bind(&c, "::ffff:10.9.9.9", 8080));
	CHECK(!may_bind(&c, "::ffff:10.9.9.9", 22));
	CHECK(may_bind(&c, "::ffff:10.1.2.3", 22));
	CHECK(!may_bind(&c, "::ffff:192.0.2.1", 9000));
	/* 10.0.0.0/8 does not contain 0.0.0.0: binding the wildcard is the rule without address. */
	CHECK(listen_entry(&c, "::ffff:0.0.0.0", 128) == NULL);
	CHECK(may_bind(&c, "::ffff:0.0.0.0", 8080));
	CHECK(!may_bind(&c, "::ffff:0.0.0.0", 9000));
	done(&c);
}

/* A CIDR containing 0.0.0.0 or :: does not let the agent bind the wildcard address. */
UNIT_TEST(wildcard_not_opened_by_cidr)
{
	static const uint16_t p8080[] = { 8080 }, p9000_8080[] = { 9000, 8080 };
	const struct kk_net_entry *e;
	struct compiled c;

	CHECK_EQ_INT(compile(&c, NL("\"0.0.0.0/0:9000\", \"8080\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 3);
	e = listen_entry(&c, "::ffff:0.0.0.0", 96);
	CHECK(e != NULL);
	CHECK(has_ports(e, p9000_8080, 2));
	e = listen_entry(&c, "::ffff:0.0.0.0", 128);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p8080, 1));
	CHECK_EQ_STR(e->source, "wildcard address: only rules naming it or no address");
	CHECK(may_bind(&c, "::ffff:192.0.2.1", 9000));
	CHECK(!may_bind(&c, "::ffff:0.0.0.0", 9000));
	CHECK(may_bind(&c, "::ffff:0.0.0.0", 8080));
	done(&c);

	/* ::/1 holds both :: and ::ffff:0.0.0.0; with no rule for every address, no port at all. */
	CHECK_EQ_INT(compile(&c, NL("\"[::/1]:9000\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 3);
	e = listen_entry(&c, "::", 128);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0);
	e = listen_entry(&c, "::ffff:0.0.0.0", 128);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0);
	CHECK(may_bind(&c, "::1", 9000));
	CHECK(!may_bind(&c, "::", 9000));
	CHECK(!may_bind(&c, "::ffff:0.0.0.0", 9000));
	done(&c);

	/* An address (every port) or CIDR holding no wildcard needs no extra entry. */
	CHECK_EQ_INT(compile(&c, NL("\"[fd00::/8]\", \"127.0.0.0/8:80\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 2);
	CHECK(!may_bind(&c, "::", 80));
	done(&c);
}

/* A rule naming the wildcard gets its own ports and those of rules without an address only. */
UNIT_TEST(wildcard_named)
{
	static const uint16_t p80_443[] = { 80, 443 }, p9000_443[] = { 9000, 443 };
	const struct kk_net_entry *e;
	struct compiled c;

	CHECK_EQ_INT(compile(&c,
			     NL("\"0.0.0.0:80\", \"0.0.0.0/0:9000\", \"443\", \"[::]:8443\", "
				"\"[::/0]:443\""),
			     false, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1); /* "[::/0]:443" is "443" */
	done(&c);
	CHECK_EQ_INT(compile(&c, NL("\"0.0.0.0:80\", \"0.0.0.0/0:9000\", \"443\", \"[::]:8443\""),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.n_listen, 4);
	e = listen_entry(&c, "::ffff:0.0.0.0", 128);
	CHECK(e != NULL);
	CHECK(has_ports(e, p80_443, 2));
	CHECK_EQ_STR(e->source, "0.0.0.0:80");
	e = listen_entry(&c, "::ffff:0.0.0.0", 96);
	CHECK(e != NULL);
	CHECK(has_ports(e, p9000_443, 2));
	e = listen_entry(&c, "::", 128);
	CHECK(e != NULL);
	CHECK(has_ports(e, (const uint16_t[]){ 8443, 443 }, 2));
	CHECK(may_bind(&c, "::ffff:0.0.0.0", 80));
	CHECK(!may_bind(&c, "::ffff:0.0.0.0", 9000));
	CHECK(!may_bind(&c, "::ffff:0.0.0.0", 8443));
	CHECK(may_bind(&c, "::", 8443));
	CHECK(!may_bind(&c, "::", 80));
	CHECK(may_bind(&c, "::ffff:10.0.0.1", 9000));
	CHECK(!may_bind(&c, "::ffff:10.0.0.1", 80));
	done(&c);
	/* "0.0.0.0" alone: the wildcard on every port, not any other address. */
	CHECK_EQ_INT(compile(&c, NL("\"0.0.0.0\""), true, NULL), 0);
	CHECK(may_bind(&c, "::ffff:0.0.0.0", 1234));
	CHECK(!may_bind(&c, "::ffff:127.0.0.1", 1234));
	CHECK(!may_bind(&c, "::", 1234));
	done(&c);
}

#define PORTS16                                                                               \
	"\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\", \"10\", \"11\", \"12\", " \
	"\"13\", \"14\", \"15\", \"16\""

UNIT_TEST(too_many_ports)
{
	struct compiled c;

	CHECK_EQ_INT(compile(&c, NL(PORTS16), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_listen, 1);
	CHECK_EQ_INT(c.rs.listen[0].val.nports, KK_NET_PORTS_MAX);
	done(&c);
	/* 16 for every address and one more on an address: too many once folded. */
	CHECK_EQ_INT(compile(&c, NL(PORTS16 ", \"10.0.0.1:17\""), true, NULL), -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_STR(first_error(&c), "0:0: network_rules.listen: more than 16 ports apply to "
				      "10.0.0.1 (from \"10.0.0.1:17\"): the kernel entry holds 16");
	CHECK(c.rs.listen == NULL && c.rs.n_listen == 0);
	done(&c);
	/* The wildcard entry a CIDR needs takes them all too: still 16, fine. */
	CHECK_EQ_INT(compile(&c, NL(PORTS16 ", \"0.0.0.0/0\""), true, NULL), 0);
	CHECK(may_bind(&c, "::ffff:10.0.0.1", 17));
	CHECK(!may_bind(&c, "::ffff:0.0.0.0", 17));
	CHECK(may_bind(&c, "::ffff:0.0.0.0", 16));
	done(&c);
}

int main(void)
{
	UNIT_RUN(entry_forms);
	UNIT_RUN(entry_errors);
	UNIT_RUN(hash);
	UNIT_RUN(port_alone);
	UNIT_RUN(separate_from_hosts);
	UNIT_RUN(fold);
	UNIT_RUN(wildcard_not_opened_by_cidr);
	UNIT_RUN(wildcard_named);
	UNIT_RUN(too_many_ports);
	return unit_done();
}
