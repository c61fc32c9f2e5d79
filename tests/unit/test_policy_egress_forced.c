// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the forced path the compiler makes for the policy's "egress" section
 * (user/policy_egress.c): each listener allowed on its port, every address of each upstream
 * denied on every port, deny winning over allowed_hosts as the kernel's lookup order makes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/*
 * What the kernel decides for a connect to addr:port (inet_pton AF_INET6 form): the longest
 * deny entry containing addr refuses when it holds the port, then the longest allow entry
 * allows when it holds it; anything else is refused (bpf/net.bpf.c's order).
 */
static const struct kk_net_entry *longest(const struct compiled *c, const uint8_t a[16], bool deny)
{
	const struct kk_net_entry *best = NULL;
	size_t i;

	for (i = 0; i < c->rs.n_net; i++) {
		const struct kk_net_entry *e = &c->rs.net[i];
		unsigned bits = e->key.prefixlen - 32, full = bits / 8, rest = bits % 8;

		if (e->deny != deny || memcmp(e->key.addr, a, full) ||
		    (rest && ((e->key.addr[full] ^ a[full]) & (0xff00 >> rest))))
			continue;
		if (!best || e->key.prefixlen > best->key.prefixlen)
			best = e;
	}
	return best;
}

static bool holds(const struct kk_net_entry *e, uint16_t port)
{
	int k;

	for (k = 0; e && k < e->val.nports; k++)
		if (e->val.ports[k] == port)
			return true;
	return e && e->val.any_port;
}

static bool may_connect(const struct compiled *c, const char *addr, uint16_t port)
{
	uint8_t a[16];

	if (inet_pton(AF_INET6, addr, a) != 1)
		return false;
	if (holds(longest(c, a, true), port))
		return false;
	return holds(longest(c, a, false), port);
}

UNIT_TEST(forced_path)
{
	static const uint16_t p18443[] = { 18443 };
	const struct kk_net_entry *e;
	struct compiled c;

	/* allowed_hosts names the upstream and its network: the deny still wins, on every port. */
	CHECK_EQ_INT(compile(&c,
			     NE("\"network_rules\": {\"allowed_hosts\": [\"192.0.2.10:443\", "
				"\"192.0.2.0/24\"]},\n",
				ENTRY("192.0.2.10:443", "127.0.0.1:18443")),
			     true, NULL),
		     0);
	e = net_entry(&c, "::ffff:127.0.0.1", 128, false);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p18443, 1));
	CHECK_EQ_INT(e->origin, KK_ORIGIN_EGRESS);
	CHECK_EQ_STR(e->source, "192.0.2.10:443");
	e = net_entry(&c, "::ffff:192.0.2.10", 128, true);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_EGRESS);
	CHECK_EQ_STR(e->source, "192.0.2.10:443");
	CHECK(!may_connect(&c, "::ffff:192.0.2.10", 443));
	CHECK(!may_connect(&c, "::ffff:192.0.2.10", 80));
	CHECK(may_connect(&c, "::ffff:192.0.2.11", 443));
	CHECK(may_connect(&c, "::ffff:127.0.0.1", 18443));
	CHECK(!may_connect(&c, "::ffff:127.0.0.1", 18444));
	CHECK_EQ_INT(c.rs.n_symbolic, 0);
	done(&c);

	/* Without the section the same allowed_hosts reach the upstream directly. */
	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"allowed_hosts\": [\"192.0.2.10:443\", "
				"\"192.0.2.0/24\"]}"),
			     true, NULL),
		     0);
	CHECK(may_connect(&c, "::ffff:192.0.2.10", 443));
	CHECK(!may_connect(&c, "::ffff:127.0.0.1", 18443));
	done(&c);

	/* IPv6 both sides; an upstream in a denied_hosts CIDR keeps every port denied. */
	CHECK_EQ_INT(compile(&c,
			     NE("\"network_rules\": {\"allowed_hosts\": [\"[2001:db8::/64]:443\"], "
				"\"denied_hosts\": [\"[2001:db8::/120]:22\"]},\n",
				ENTRY("[2001:db8::1]:443", "[::1]:9000")),
			     true, NULL),
		     0);
	e = net_entry(&c, "2001:db8::1", 128, true);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK(!may_connect(&c, "2001:db8::1", 443));
	CHECK(!may_connect(&c, "2001:db8::1", 22));
	CHECK(!may_connect(&c, "2001:db8::2", 22));
	CHECK(may_connect(&c, "2001:db8::2", 443));
	CHECK(may_connect(&c, "::1", 9000));
	CHECK(!may_connect(&c, "::ffff:127.0.0.1", 9000));
	done(&c);
}

UNIT_TEST(forced_path_names)
{
	static const char pre[] = "\"no-such-host.invalid\" does not resolve (getaddrinfo: ";
	struct kk_errors warns = { 0 };
	struct kk_policy_opts o = { .pending_ok = true, .warnings = &warns };
	const struct kk_net_entry *e;
	struct compiled c;
	char doc[512];

	/* Offline: kept symbolic, and said not to be enforced; the listener is allowed anyway. */
	CHECK_EQ_INT(
		compile(&c, NE("", ENTRY("api.exchange.com:443", "127.0.0.1:18443")), true, NULL),
		0);
	CHECK_EQ_INT(c.rs.n_net, 1);
	CHECK(may_connect(&c, "::ffff:127.0.0.1", 18443));
	CHECK_EQ_INT(c.rs.n_symbolic, 1);
	CHECK_EQ_STR(c.rs.symbolic[0].text, "api.exchange.com:443");
	CHECK(c.rs.symbolic[0].deny);
	CHECK_EQ_STR(c.rs.symbolic[0].why, "offline: not resolved, so not enforced as denied");
	done(&c);

	/* Resolved as allowed_hosts names are: every address denied on every port. */
	CHECK_EQ_INT(compile(&c, NE("", ENTRY("localhost:443", "127.0.0.2:18443")), false, NULL),
		     0);
	CHECK(c.rs.n_resolved >= 1);
	e = net_entry(&c, "::ffff:127.0.0.1", 128, true);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK_EQ_STR(e->source, "localhost:443");
	CHECK(!may_connect(&c, "::ffff:127.0.0.1", 443));
	CHECK(may_connect(&c, "::ffff:127.0.0.2", 18443));
	done(&c);

	/* A name that does not resolve: an error named after the entry, at its key. */
	CHECK_EQ_INT(compile(&c, NE("", ENTRY("no-such-host.invalid:443", "127.0.0.1:18443")),
			     false, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_INT(c.e.v[0].line, 2);
	CHECK_EQ_INT(c.e.v[0].col, 12);
	CHECK_EQ_STR(c.e.v[0].field, "egress[\"no-such-host.invalid:443\"]");
	CHECK(!strncmp(c.e.v[0].reason, pre, sizeof(pre) - 1));
	done(&c);

	/* bind (pending_ok): kept without addresses, with a warning; the daemon refreshes it. */
	snprintf(doc, sizeof(doc), "%s", NE("", ENTRY("no-such-host.invalid:443", "127.0.0.1:1")));
	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(kk_policy_parse("p.json", doc, strlen(doc), &c.p, &c.e), 0);
	CHECK_EQ_INT(kk_policy_compile(&c.p, &o, &c.rs, &c.e), 0);
	CHECK_EQ_INT(c.rs.n_symbolic, 1);
	CHECK_EQ_STR(c.rs.symbolic[0].why, "does not resolve yet, so not enforced as denied");
	CHECK_EQ_INT(warns.n, 1);
	CHECK_EQ_STR(warns.v[0].field, "egress[\"no-such-host.invalid:443\"]");
	kk_errors_free(&warns);
	done(&c);
}

/* A listener the deny trie would refuse is an error: the agent could not reach its egress. */
UNIT_TEST(listener_denied)
{
	struct compiled c;

	/* The upstream is the listener's address (written, or resolved). */
	CHECK_EQ_INT(compile(&c, NE("", ENTRY("127.0.0.1:443", "127.0.0.1:18443")), true, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_STR(first_error(&c),
		     "2:40: egress[\"127.0.0.1:443\"].listen: \"127.0.0.1:18443\" is an address of "
		     "the upstream egress[\"127.0.0.1:443\"], denied on every port: the agent "
		     "could not reach this listener");
	done(&c);
	CHECK_EQ_INT(compile(&c,
			     NE("", ENTRY("192.0.2.1:443", "[::1]:1") ", " ENTRY("localhost:443",
										 "127.0.0.1:2")),
			     false, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_STR(
		first_error(&c),
		"2:109: egress[\"localhost:443\"].listen: \"127.0.0.1:2\" is an address of the "
		"upstream egress[\"localhost:443\"], denied on every port: the agent could not "
		"reach this listener");
	done(&c);
	/* denied_hosts covering the listener and its port (or every port). */
	CHECK_EQ_INT(compile(&c,
			     NE("\"network_rules\": {\"denied_hosts\": [\"127.0.0.0/8\"]},\n",
				ENTRY("a.example:443", "127.0.0.1:18443")),
			     true, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_STR(first_error(&c),
		     "3:40: egress[\"a.example:443\"].listen: \"127.0.0.1:18443\" is denied by "
		     "\"127.0.0.0/8\" (deny wins): the agent could not reach this listener");
	done(&c);
	/* Another port of that network denied: the listener stays reachable. */
	CHECK_EQ_INT(compile(&c,
			     NE("\"network_rules\": {\"denied_hosts\": [\"127.0.0.0/8:22\"]},\n",
				ENTRY("a.example:443", "127.0.0.1:18443")),
			     true, NULL),
		     0);
	CHECK(may_connect(&c, "::ffff:127.0.0.1", 18443));
	CHECK(!may_connect(&c, "::ffff:127.0.0.1", 22));
	done(&c);
}

/* A listener the agent could bind itself (network_rules.listen) is refused. */
UNIT_TEST(listener_bindable)
{
	static const struct {
		const char *listen;
		const char *source; /* NULL: compiles */
	} cases[] = {
		{ "\"18443\"", "18443" },
		{ "\"127.0.0.1\"", "127.0.0.1" },
		{ "\"127.0.0.0/8:18443\"", "127.0.0.0/8:18443" },
		{ "\"0.0.0.0:18443\"", "0.0.0.0:18443" },
		{ "\"[::]:18443\"", "[::]:18443" },
		{ "\"127.0.0.1:8080\", \"18444\", \"10.0.0.0/8:18443\"", NULL },
		{ "\"0.0.0.0/0:18443\"", "0.0.0.0/0:18443" }, /* a CIDR holding 127.0.0.1 */
	};
	char doc[512], want[512];
	struct compiled c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(doc, sizeof(doc),
			 NE("\"network_rules\": {\"listen\": [%s]},\n",
			    ENTRY("a.example:443", "127.0.0.1:18443")),
			 cases[i].listen);
		snprintf(
			want, sizeof(want),
			"3:40: egress[\"a.example:443\"].listen: \"127.0.0.1:18443\" may be bound "
			"by "
			"the agent itself (network_rules.listen \"%s\"): it could stand in for the "
			"egress",
			cases[i].source ? cases[i].source : "");
		compile(&c, doc, true, NULL);
		if (cases[i].source ? c.rc != -EINVAL || c.e.n != 1 || strcmp(first_error(&c), want)
				    : c.rc != 0) {
			unit_fail_begin(__FILE__, __LINE__);
			printf("listen [%s]: rc %d, %zu error(s), first %s\n", cases[i].listen,
			       c.rc, c.e.n, first_error(&c));
		}
		done(&c);
	}
}

int main(void)
{
	UNIT_RUN(forced_path);
	UNIT_RUN(forced_path_names);
	UNIT_RUN(listener_denied);
	UNIT_RUN(listener_bindable);
	return unit_done();
}
