// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy compiler's network entries (user/policy_net.c): nameservers of the
 * baseline, folding of ports into contained entries (allow and deny apart), the 16-port limit,
 * hostnames kept symbolic offline, resolved, or failing to resolve.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kakunin.h"
#include "policy.h"
#include "test_policy.h"
#include "unit.h"

/* Nameservers of the resolv.conf given to the compiler: 10.0.0.53, fe80::1 and 10.0.0.54. */
#define RESOLV_CONF                                                                               \
	"nameserver 10.0.0.53\nnameserver fe80::1%eth0\n# nameserver 1.1.1.1\nnameserver bogus\n" \
	"search example.com\n  nameserver\t10.0.0.54\n"

static char resolv[64];

UNIT_TEST(nameservers)
{
	static const uint16_t dns[] = { 53 };
	struct compiled c;
	const struct kk_net_entry *e;

	CHECK_EQ_INT(compile(&c, DOC("\"mode\": \"enforce\""), true, resolv), 0);
	CHECK_EQ_INT(c.rs.n_net, 3);
	e = net_entry(&c, "::ffff:10.0.0.53", 128, false);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, dns, 1));
	CHECK_EQ_INT(e->origin, KK_ORIGIN_BASELINE);
	CHECK_EQ_INT(e->val.flags, KK_NET_F_BASELINE); /* the compiler decides, maps only write */
	CHECK_EQ_STR(e->source, "baseline: nameserver");
	/* fe80::1%eth0: the scope is not part of the address. */
	e = net_entry(&c, "fe80::1", 128, false);
	CHECK(e != NULL);
	CHECK(has_ports(e, dns, 1));
	CHECK(net_entry(&c, "::ffff:10.0.0.54", 128, false) != NULL);
	done(&c);
	/* No resolv.conf: no nameserver to allow. */
	CHECK_EQ_INT(compile(&c, DOC("\"mode\": \"enforce\""), true, "/nonexistent-kk/resolv"), 0);
	CHECK_EQ_INT(c.rs.n_net, 0);
	CHECK_EQ_INT(c.rs.n_paths, N_BASELINE);
	done(&c);
}

/*
 * resolv.conf is not ours: a nameserver token longer than any address must be skipped without
 * writing past the buffer it is scanned into (run under valgrind or ASan).
 */
UNIT_TEST(nameserver_too_long)
{
	char path[64], line[160];
	struct compiled c;
	int fd;

	strcpy(path, "/tmp/kk-test-resolv-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	snprintf(line, sizeof(line), "nameserver %.63s\nnameserver 10.9.9.9\n",
		 "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee");
	CHECK_EQ_INT(write(fd, line, strlen(line)), strlen(line));
	close(fd);
	compile(&c, DOC("\"mode\": \"enforce\""), true, path);
	unlink(path);
	CHECK_EQ_INT(c.rc, 0);
	CHECK_EQ_INT(c.rs.n_net, 1);
	CHECK(net_entry(&c, "::ffff:10.9.9.9", 128, false) != NULL);
	done(&c);
}

#define ALLOW(list) NB("\"network_rules\": {\"allowed_hosts\": [" list "]}")

UNIT_TEST(fold_ports)
{
	static const uint16_t p443[] = { 443 }, p80_443[] = { 80, 443 };
	struct compiled c;
	const struct kk_net_entry *e;
	char buf[64];

	CHECK_EQ_INT(compile(&c, ALLOW("\"10.0.0.0/8:443\", \"10.1.2.3:80\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_net, 2);
	e = net_entry(&c, "::ffff:10.0.0.0", 104, false);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 96 + 8);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p443, 1));
	CHECK_EQ_STR(e->source, "10.0.0.0/8:443");
	CHECK_EQ_INT(kk_net_entry_addr(e, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "10.0.0.0/8");
	e = net_entry(&c, "::ffff:10.1.2.3", 128, false);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 128);
	CHECK_EQ_INT(e->key.policy_id, 0);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p80_443, 2));
	CHECK_EQ_INT(e->origin, KK_ORIGIN_POLICY);
	CHECK_EQ_INT(e->val.flags, 0);
	CHECK_EQ_INT(kk_net_entry_addr(e, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "10.1.2.3");
	done(&c);

	/* A broader entry for every port makes the narrower one any-port. */
	CHECK_EQ_INT(compile(&c, ALLOW("\"10.1.2.3:80\", \"10.0.0.0/8\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_net, 2);
	e = net_entry(&c, "::ffff:10.1.2.3", 128, false);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0); /* every port: the list no longer matters */
	e = net_entry(&c, "::ffff:10.0.0.0", 104, false);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0);
	done(&c);

	/* The same address spelled twice is one entry with both ports; ::/0 covers IPv4 too. */
	CHECK_EQ_INT(compile(&c,
			     ALLOW("\"10.0.0.1:80\", \"[::ffff:10.0.0.1]:443\", \"[::/0]:53\", "
				   "\"[2001:db8::/32]:443\", \"2001:db8::1\""),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.n_net, 4);
	e = net_entry(&c, "::ffff:10.0.0.1", 128, false);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, (const uint16_t[]){ 80, 443, 53 }, 3));
	e = net_entry(&c, "2001:db8::1", 128, false);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0);
	e = net_entry(&c, "::", 0, false);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32);
	CHECK_EQ_INT(kk_net_entry_addr(e, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "::/0");
	done(&c);
}

/* Each entry gets the ports of every entry containing it, and only those. */
UNIT_TEST(fold_nested)
{
	static const struct {
		const char *addr;
		int prefix;
		uint16_t ports[4];
		int n;
	} want[] = {
		{ "::ffff:9.255.255.255", 128, { 6 }, 1 },
		{ "::ffff:10.0.0.0", 103, { 8 }, 1 },
		{ "::ffff:10.0.0.0", 104, { 1, 8 }, 2 },
		{ "::ffff:10.1.0.0", 112, { 2, 1, 8 }, 3 },
		{ "::ffff:10.1.2.3", 128, { 3, 2, 1, 8 }, 4 },
		{ "::ffff:10.2.0.0", 112, { 4, 1, 8 }, 3 },
		{ "::ffff:10.2.0.1", 128, { 5, 4, 1, 8 }, 4 },
		{ "::ffff:11.0.0.0", 104, { 7, 8 }, 2 },
	};
	const struct kk_net_entry *e;
	struct compiled c;
	size_t i;

	CHECK_EQ_INT(compile(&c,
			     ALLOW("\"10.2.0.1:5\", \"10.0.0.0/8:1\", \"10.1.0.0/16:2\", "
				   "\"10.1.2.3:3\", \"10.2.0.0/16:4\", \"9.255.255.255:6\", "
				   "\"11.0.0.0/8:7\", \"10.0.0.0/7:8\""),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.n_net, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		e = net_entry(&c, want[i].addr, want[i].prefix, false);
		if (!e || e->val.any_port || !has_ports(e, want[i].ports, want[i].n)) {
			unit_fail_begin(__FILE__, __LINE__);
			printf("%s/%d: %s\n", want[i].addr, want[i].prefix,
			       e ? "other ports" : "missing");
		}
	}
	done(&c);
}

/* Deny entries go to their own trie and are folded only with deny entries. */
UNIT_TEST(fold_deny_separately)
{
	static const uint16_t p80[] = { 80 }, p443[] = { 443 };
	struct compiled c;
	const struct kk_net_entry *e;

	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"allowed_hosts\": [\"10.0.0.0/8:443\", "
				"\"10.1.2.3:80\"], \"denied_hosts\": [\"10.1.2.3:25\", "
				"\"10.1.0.0/16\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.n_net, 4);
	e = net_entry(&c, "::ffff:10.1.2.3", 128, true);
	CHECK(e != NULL);
	CHECK(e->deny);
	CHECK(e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0);
	CHECK_EQ_STR(e->source, "10.1.2.3:25");
	e = net_entry(&c, "::ffff:10.1.0.0", 112, true);
	CHECK(e != NULL);
	CHECK(e->val.any_port);
	CHECK_EQ_INT(e->val.nports, 0);
	e = net_entry(&c, "::ffff:10.1.2.3", 128, false);
	CHECK(e != NULL);
	CHECK(!e->deny);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, (const uint16_t[]){ 80, 443 }, 2));
	e = net_entry(&c, "::ffff:10.0.0.0", 104, false);
	CHECK(e != NULL);
	CHECK(has_ports(e, p443, 1));
	done(&c);

	/* A deny entry does not take ports from an allow entry containing it. */
	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"allowed_hosts\": [\"10.0.0.0/8\"], "
				"\"denied_hosts\": [\"10.0.0.9:80\"]}"),
			     true, NULL),
		     0);
	e = net_entry(&c, "::ffff:10.0.0.9", 128, true);
	CHECK(e != NULL);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p80, 1));
	done(&c);
}

#define PORTS16(a)                                                                           \
	"\"" a ":1\", \"" a ":2\", \"" a ":3\", \"" a ":4\", \"" a ":5\", \"" a ":6\", \"" a \
	":7\", \"" a ":8\", \"" a ":9\", \"" a ":10\", \"" a ":11\", \"" a ":12\", \"" a     \
	":13\", \"" a ":14\", \"" a ":15\", \"" a ":16\""

UNIT_TEST(too_many_ports)
{
	struct compiled c;
	const struct kk_net_entry *e;

	CHECK_EQ_INT(compile(&c, ALLOW(PORTS16("10.0.0.1")), true, NULL), 0);
	e = net_entry(&c, "::ffff:10.0.0.1", 128, false);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.nports, KK_NET_PORTS_MAX);
	done(&c);

	CHECK_EQ_INT(compile(&c, ALLOW(PORTS16("10.0.0.1") ", \"10.0.0.1:17\""), true, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_STR(first_error(&c),
		     "0:0: network_rules.allowed_hosts: more than 16 ports apply "
		     "to 10.0.0.1 (from \"10.0.0.1:1\"): the kernel entry holds 16");
	/* A failed compile leaves an empty rule set, safe to free again. */
	CHECK_EQ_INT(c.rs.n_paths + c.rs.n_net + c.rs.n_exec, 0);
	CHECK(c.rs.paths == NULL && c.rs.net == NULL);
	done(&c);

	/* 16 on a /8 and one more on an address inside it: too many once folded. */
	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"denied_hosts\": [" PORTS16(
				     "10.0.0.0/8") ", \"10.0.0.1:17\"]}"),
			     true, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_STR(first_error(&c),
		     "0:0: network_rules.denied_hosts: more than 16 ports apply "
		     "to 10.0.0.1 (from \"10.0.0.1:17\"): the kernel entry holds 16");
	done(&c);
}

/* An any-port entry needs no port list: redundant ports beyond 16 are not an error. */
UNIT_TEST(any_port_needs_no_ports)
{
	const struct kk_net_entry *e;
	struct compiled c;
	char err[512];
	bool any;

	compile(&c, ALLOW("\"10.0.0.1\", \"10.0.0.1:17\", " PORTS16("10.0.0.0/8")), true, NULL);
	strcpy(err, first_error(&c));
	e = net_entry(&c, "::ffff:10.0.0.1", 128, false);
	any = e && e->val.any_port;
	done(&c);
	CHECK_EQ_STR(err, "(none)");
	CHECK(any);
}

UNIT_TEST(hostnames_offline)
{
	struct compiled c;

	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"allowed_hosts\": [\"a.example\", "
				"\"b.example:443\"], \"denied_hosts\": [\"*.x.example\", "
				"\"10.0.0.1\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.n_resolved, 0);
	CHECK_EQ_INT(c.rs.n_net, 1);
	CHECK_EQ_INT(c.rs.n_symbolic, 3);
	CHECK_EQ_STR(c.rs.symbolic[0].text, "a.example");
	CHECK(!c.rs.symbolic[0].deny);
	CHECK_EQ_STR(c.rs.symbolic[0].why, "offline: not resolved, so not enforced as allowed");
	CHECK_EQ_STR(c.rs.symbolic[1].text, "b.example:443");
	CHECK_EQ_STR(c.rs.symbolic[2].text, "*.x.example");
	CHECK(c.rs.symbolic[2].deny);
	CHECK_EQ_STR(c.rs.symbolic[2].why, "wildcard: enforced by default-deny");
	done(&c);
}

/* A denied name kept symbolic is not enforced as denied: the reason must not say "allowed". */
UNIT_TEST(hostnames_offline_denied)
{
	struct compiled c;
	char why[128] = "";

	compile(&c,
		NB("\"network_rules\": {\"allowed_hosts\": [\"10.0.0.1\"], "
		   "\"denied_hosts\": [\"bad.example\"]}"),
		true, NULL);
	if (c.rc == 0 && c.rs.n_symbolic == 1 && c.rs.symbolic[0].deny &&
	    !strcmp(c.rs.symbolic[0].text, "bad.example"))
		snprintf(why, sizeof(why), "%s", c.rs.symbolic[0].why);
	done(&c);
	CHECK_EQ_STR(why, "offline: not resolved, so not enforced as denied");
}

UNIT_TEST(hostnames_resolved)
{
	static const uint16_t p8080[] = { 8080 };
	struct compiled c;
	static const char pre[] = "\"no-such-host.invalid\" does not resolve (getaddrinfo: ";
	static const char post[] = ")";
	const struct kk_net_entry *e;
	const char *r;

	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"allowed_hosts\": [\"localhost:8080\"], "
				"\"denied_hosts\": [\"*.x.example\"]}"),
			     false, NULL),
		     0);
	CHECK(c.rs.n_resolved >= 1);
	CHECK_EQ_INT(c.rs.n_symbolic, 1);
	e = net_entry(&c, "::ffff:127.0.0.1", 128, false);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 128);
	CHECK(!e->val.any_port);
	CHECK(has_ports(e, p8080, 1));
	CHECK_EQ_STR(e->source, "localhost:8080");
	done(&c);

	CHECK_EQ_INT(compile(&c, ALLOW("\"127.0.0.1\", \"no-such-host.invalid:80\""), false, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_INT(c.e.v[0].line, 2);
	CHECK_EQ_INT(c.e.v[0].col, 50);
	CHECK_EQ_STR(c.e.v[0].field, "network_rules.allowed_hosts[1]");
	/* The resolver's own message (no such name, or no DNS at all) sits between the two. */
	r = c.e.v[0].reason;
	CHECK(!strncmp(r, pre, sizeof(pre) - 1));
	CHECK(strlen(r) > sizeof(pre) - 1 + sizeof(post) - 1);
	CHECK_EQ_STR(r + strlen(r) - (sizeof(post) - 1), post);
	done(&c);

	/* A denied name must resolve too. */
	CHECK_EQ_INT(compile(&c,
			     NB("\"network_rules\": {\"allowed_hosts\": [\"127.0.0.1\"], "
				"\"denied_hosts\": [\"no-such-host.invalid\"]}"),
			     false, NULL),
		     -EINVAL);
	CHECK_EQ_INT(c.e.n, 1);
	CHECK_EQ_STR(c.e.v[0].field, "network_rules.denied_hosts[0]");
	CHECK(!strncmp(c.e.v[0].reason, pre, sizeof(pre) - 1));
	done(&c);
}

/*
 * bind (pending_ok): a name that does not resolve yet is kept without addresses, with a
 * positioned warning, and the rest compiles; the daemon's refresh adds it later.
 */
UNIT_TEST(hostnames_pending)
{
	static const char pre[] = "\"kk-later.invalid\" does not resolve (getaddrinfo: ";
	static const char post[] = "): bound without addresses for now; the daemon's DNS "
				   "refresh adds them once it resolves";
	static const char doc[] = "{\"agent_id\": \"a\", \"version\": \"1\", \"baseline\": false,\n"
				  "\"network_rules\": {\"allowed_hosts\": [\"127.0.0.1\", "
				  "\"kk-later.invalid:80\"]}}";
	struct kk_errors warns = { 0 };
	struct kk_policy_opts o = { .pending_ok = true, .warnings = &warns };
	struct compiled c;
	const char *r;

	memset(&c, 0, sizeof(c));
	CHECK_EQ_INT(kk_policy_parse("p.json", doc, strlen(doc), &c.p, &c.e), 0);
	CHECK_EQ_INT(kk_policy_compile(&c.p, &o, &c.rs, &c.e), 0);
	CHECK_EQ_INT(c.e.n, 0);
	CHECK_EQ_INT(c.rs.n_net, 1);
	CHECK_EQ_INT(c.rs.n_symbolic, 1);
	CHECK_EQ_STR(c.rs.symbolic[0].text, "kk-later.invalid:80");
	CHECK_EQ_STR(c.rs.symbolic[0].why,
		     "does not resolve yet: no address allowed until it does");
	CHECK_EQ_INT(warns.n, 1);
	CHECK_EQ_INT(warns.v[0].line, 2);
	CHECK_EQ_INT(warns.v[0].col, 50);
	CHECK_EQ_STR(warns.v[0].field, "network_rules.allowed_hosts[1]");
	r = warns.v[0].reason;
	CHECK(!strncmp(r, pre, sizeof(pre) - 1));
	CHECK(strlen(r) > sizeof(pre) - 1 + sizeof(post) - 1);
	CHECK_EQ_STR(r + strlen(r) - (sizeof(post) - 1), post);
	kk_errors_free(&warns);
	done(&c);
}

int main(void)
{
	if (tmp_text_file(resolv, RESOLV_CONF)) {
		printf("Bail out! cannot write a temporary resolv.conf\n");
		return 1;
	}
	UNIT_RUN(nameservers);
	UNIT_RUN(nameserver_too_long);
	UNIT_RUN(fold_ports);
	UNIT_RUN(fold_nested);
	UNIT_RUN(fold_deny_separately);
	UNIT_RUN(too_many_ports);
	UNIT_RUN(any_port_needs_no_ports);
	UNIT_RUN(hostnames_offline);
	UNIT_RUN(hostnames_offline_denied);
	UNIT_RUN(hostnames_resolved);
	UNIT_RUN(hostnames_pending);
	unlink(resolv);
	return unit_done();
}
