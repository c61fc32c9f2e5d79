// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of what a valid policy parses to (user/policy.c, user/policy_fields.c), of the
 * canonical form and policy hash (user/policy_canon.c) and of kk_policy_load.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "hex.h"
#include "kakunin.h"
#include "policy.h"
#include "test_policy.h"
#include "unit.h"

#define MINIMAL "{\"agent_id\": \"a\", \"version\": \"1\"}"
#define MINIMAL_CANONICAL                                                                     \
	"{\"agent_id\":\"a\",\"audit\":\"denials\",\"auto_revoke\":null,\"baseline\":true,"   \
	"\"data_access\":{},\"exec\":null,\"execution_constraints\":{\"allowed_hours\":null," \
	"\"allowed_regions\":null,\"max_concurrent_trades\":null,\"rate_limit\":null},"       \
	"\"format\":\"kakunin-policy/1\",\"mode\":\"enforce\",\"network_rules\":{"            \
	"\"allowed_hosts\":[],\"denied_hosts\":[]},\"revocation_check\":{"                    \
	"\"cache_ttl_seconds\":300,\"enabled\":false,\"fail_open\":false},\"version\":\"1\"}"

UNIT_TEST(defaults)
{
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(parse_doc(MINIMAL, &p, &e), 0);
	CHECK_EQ_INT(e.n, 0);
	CHECK_EQ_STR(p.file, "p.json");
	CHECK_EQ_STR(p.agent_id, "a");
	CHECK_EQ_STR(p.version, "1");
	CHECK_EQ_INT(p.mode, KK_MODE_ENFORCE);
	CHECK_EQ_INT(p.audit, KK_AUDIT_DENIALS);
	CHECK(p.baseline);
	CHECK(p.regions == NULL);
	CHECK_EQ_INT(p.n_regions, 0);
	CHECK(!p.has_hours);
	CHECK_EQ_INT(p.max_concurrent, 0);
	CHECK_EQ_INT(p.rate_count, 0);
	CHECK_EQ_INT(p.rate_period_s, 0);
	CHECK(p.rate_unit == NULL);
	CHECK_EQ_INT(p.n_paths, 0);
	CHECK(!p.has_exec);
	CHECK_EQ_INT(p.n_exec, 0);
	CHECK_EQ_INT(p.n_hosts, 0);
	CHECK(!p.revocation_enabled);
	CHECK(!p.revocation_fail_open);
	CHECK_EQ_INT(p.revocation_ttl_s, 300);
	CHECK_EQ_INT(p.auto_revoke_max, 0);
	CHECK_EQ_INT(p.auto_revoke_window_s, 0);
	CHECK(!p.allow_jit);
	CHECK_EQ_INT(p.ipc, KK_IPC_OWN);
	CHECK_EQ_INT(p.n_listen, 0);
	CHECK_EQ_STR(p.canonical, MINIMAL_CANONICAL);
	kk_policy_free(&p);
}

UNIT_TEST(seed_values)
{
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(parse_doc(SEED, &p, &e), 0);
	CHECK_EQ_STR(p.agent_id, "trading_bot_v2");
	CHECK_EQ_STR(p.version, "1.0.0");
	CHECK_EQ_INT(p.mode, KK_MODE_ENFORCE);
	CHECK_EQ_INT(p.n_regions, 1);
	CHECK_EQ_STR(p.regions[0], "eu-west-1");
	CHECK(p.has_hours);
	CHECK_EQ_INT(p.hours_start, 8 * 60);
	CHECK_EQ_INT(p.hours_end, 17 * 60);
	CHECK_EQ_INT(p.max_concurrent, 5);
	CHECK_EQ_INT(p.rate_count, 100);
	CHECK_EQ_INT(p.rate_period_s, 3600);
	CHECK_EQ_STR(p.rate_unit, "trades");
	CHECK_EQ_INT(p.n_paths, 4);
	CHECK_EQ_STR(p.paths[0].pattern, "/data/market-feeds/*");
	CHECK_EQ_STR(p.paths[0].dir, "/data/market-feeds");
	CHECK(p.paths[0].subtree);
	CHECK_EQ_INT(p.paths[0].perms, KK_ACCESS_READ);
	CHECK_EQ_INT(p.paths[1].perms, KK_ACCESS_READ | KK_ACCESS_WRITE);
	CHECK_EQ_INT(p.paths[2].perms, KK_ACCESS_WRITE);
	CHECK_EQ_STR(p.paths[3].dir, "/secrets");
	CHECK_EQ_INT(p.paths[3].perms, 0);
	CHECK(p.has_exec);
	CHECK_EQ_INT(p.n_exec, 1);
	CHECK_EQ_STR(p.exec[0], "/usr/bin/python3");
	CHECK_EQ_INT(p.n_hosts, 5);
	CHECK_EQ_INT(p.hosts[0].kind, KK_HOST_NAME);
	CHECK_EQ_INT(p.hosts[3].kind, KK_HOST_WILDCARD);
	CHECK(p.hosts[4].deny);
	CHECK(p.revocation_enabled);
	CHECK_EQ_INT(p.revocation_ttl_s, 5);
	CHECK(!p.revocation_fail_open);
	CHECK_EQ_INT(p.auto_revoke_max, 20);
	CHECK_EQ_INT(p.auto_revoke_window_s, 60);
	/* Pinned: certificates carry this hash, so it may only change with the format name. */
	CHECK_EQ_STR(hash_hex(&p), "506bd317137ff267a6ec7e1adf5c42bad512dcbcb3ba600dfd29ae017ae5f9cf");
	kk_policy_free(&p);
}

UNIT_TEST(identity_values)
{
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(parse_doc(DOC("\"mode\": \"audit\", \"audit\": \"all\", \"baseline\": false"),
			       &p, &e),
		     0);
	CHECK_EQ_INT(p.mode, KK_MODE_AUDIT);
	CHECK_EQ_INT(p.audit, KK_AUDIT_ALL);
	CHECK(!p.baseline);
	kk_policy_free(&p);
	CHECK_EQ_INT(parse_doc(DOC("\"audit\": \"denials\", \"baseline\": true"), &p, &e), 0);
	CHECK_EQ_INT(p.audit, KK_AUDIT_DENIALS);
	CHECK(p.baseline);
	kk_policy_free(&p);
	/* Set: in the canonical form, each at its place in key order. */
	CHECK_EQ_INT(parse_doc(DOC("\"ipc\": \"none\", \"allow_jit\": true"), &p, &e), 0);
	CHECK(p.allow_jit);
	CHECK_EQ_INT(p.ipc, KK_IPC_NONE);
	CHECK(strstr(p.canonical, "{\"agent_id\":\"a\",\"allow_jit\":true,\"audit\":"));
	CHECK(strstr(p.canonical, ",\"format\":\"kakunin-policy/1\",\"ipc\":\"none\",\"mode\":"));
	kk_policy_free(&p);
	/* Their defaults written out: not in the canonical form, which stays MINIMAL's. */
	CHECK_EQ_INT(parse_doc("{\"agent_id\": \"a\", \"version\": \"1\", \"allow_jit\": false, "
			       "\"ipc\": \"own\"}",
			       &p, &e),
		     0);
	CHECK(!p.allow_jit);
	CHECK_EQ_INT(p.ipc, KK_IPC_OWN);
	CHECK_EQ_STR(p.canonical, MINIMAL_CANONICAL);
	kk_policy_free(&p);
}

/* hours "X", and the minutes it must give (start, end). */
static void check_hours(const char *hours, int start, int end)
{
	struct kk_errors e;
	struct kk_policy p;
	char doc[256];

	snprintf(doc, sizeof(doc), DOC("\"execution_constraints\": {\"allowed_hours\": \"%s\"}"),
		 hours);
	CHECK_EQ_INT(parse_doc(doc, &p, &e), 0);
	CHECK(p.has_hours);
	CHECK_EQ_INT(p.hours_start, start);
	CHECK_EQ_INT(p.hours_end, end);
	kk_policy_free(&p);
}

UNIT_TEST(hours_values)
{
	check_hours("22:00-06:00 UTC", 22 * 60, 6 * 60);
	check_hours("00:00-23:59 UTC", 0, 23 * 60 + 59);
	check_hours("23:59-00:00 UTC", 23 * 60 + 59, 0);
	check_hours("08:30-17:45 UTC", 8 * 60 + 30, 17 * 60 + 45);
}

static void check_rate(const char *rate, uint32_t count, uint32_t period, const char *unit)
{
	struct kk_errors e;
	struct kk_policy p;
	char doc[256];

	snprintf(doc, sizeof(doc), DOC("\"execution_constraints\": {\"rate_limit\": \"%s\"}"),
		 rate);
	CHECK_EQ_INT(parse_doc(doc, &p, &e), 0);
	CHECK_EQ_INT(p.rate_count, count);
	CHECK_EQ_INT(p.rate_period_s, period);
	CHECK_EQ_STR(p.rate_unit, unit);
	kk_policy_free(&p);
}

UNIT_TEST(rate_values)
{
	check_rate("1 x/second", 1, 1, "x");
	check_rate("60 calls/minute", 60, 60, "calls");
	check_rate("100 trades/hour", 100, 3600, "trades");
	check_rate("5 big-orders_2/day", 5, 86400, "big-orders_2");
	check_rate("4294967295 t/second", 4294967295u, 1, "t");
	check_rate("007 t/hour", 7, 3600, "t");
}

UNIT_TEST(constraint_values)
{
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(parse_doc(DOC("\"execution_constraints\": {\"allowed_regions\": [\"us\", "
				   "\"eu-west-1\"], \"max_concurrent_trades\": 65535},\n"
				   "\"revocation_check\": {\"fail_open\": true},\n"
				   "\"auto_revoke\": {\"window_seconds\": 4294967295, "
				   "\"max_denials\": 1}"),
			       &p, &e),
		     0);
	CHECK_EQ_INT(p.n_regions, 2);
	CHECK_EQ_STR(p.regions[0], "us");
	CHECK_EQ_STR(p.regions[1], "eu-west-1");
	CHECK_EQ_INT(p.max_concurrent, 65535);
	CHECK(!p.has_hours);
	CHECK(p.revocation_fail_open);
	CHECK(!p.revocation_enabled);
	CHECK_EQ_INT(p.revocation_ttl_s, 300);
	CHECK_EQ_INT(p.auto_revoke_max, 1);
	CHECK_EQ_INT(p.auto_revoke_window_s, 4294967295u);
	kk_policy_free(&p);
}

UNIT_TEST(path_values)
{
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(
		parse_doc(DOC("\"data_access\": {\"/data/in/*\": [\"read\"], \"/etc/x\": "
			      "[\"write\", \"read\"], \"/*\": [\"exec\", \"read\", \"write\"], "
			      "\"/\": [], \"/a/.b/*\": []}"),
			  &p, &e),
		0);
	CHECK_EQ_INT(p.n_paths, 5);
	CHECK_EQ_STR(p.paths[0].pattern, "/data/in/*");
	CHECK_EQ_STR(p.paths[0].dir, "/data/in");
	CHECK(p.paths[0].subtree);
	CHECK_EQ_INT(p.paths[0].perms, KK_ACCESS_READ);
	CHECK_EQ_INT(p.paths[0].origin, KK_ORIGIN_POLICY);
	CHECK_EQ_STR(p.paths[1].dir, "/etc/x");
	CHECK(!p.paths[1].subtree);
	CHECK_EQ_INT(p.paths[1].perms, KK_ACCESS_READ | KK_ACCESS_WRITE);
	CHECK_EQ_STR(p.paths[2].dir, "/");
	CHECK(p.paths[2].subtree);
	CHECK_EQ_INT(p.paths[2].perms, KK_ACCESS_READ | KK_ACCESS_WRITE | KK_ACCESS_EXEC);
	CHECK_EQ_STR(p.paths[3].pattern, "/");
	CHECK_EQ_STR(p.paths[3].dir, "/");
	CHECK(!p.paths[3].subtree);
	CHECK_EQ_INT(p.paths[3].perms, 0);
	CHECK_EQ_STR(p.paths[4].dir, "/a/.b");
	CHECK(strstr(p.canonical, "\"data_access\":{\"/\":[],\"/*\":[\"read\",\"write\",\"exec\"],"
				  "\"/a/.b/*\":[],\"/data/in/*\":[\"read\"],\"/etc/x\":[\"read\","
				  "\"write\"]}"));
	kk_policy_free(&p);
}

UNIT_TEST(exec_values)
{
	struct kk_errors e;
	struct kk_policy p;

	CHECK_EQ_INT(parse_doc(DOC("\"exec\": [\"/usr/bin/python3\", \"/bin/sh\"]"), &p, &e), 0);
	CHECK(p.has_exec);
	CHECK_EQ_INT(p.n_exec, 2);
	CHECK_EQ_STR(p.exec[0], "/usr/bin/python3");
	CHECK_EQ_STR(p.exec[1], "/bin/sh");
	CHECK(strstr(p.canonical, "\"exec\":[\"/bin/sh\",\"/usr/bin/python3\"]"));
	kk_policy_free(&p);
	CHECK_EQ_INT(parse_doc(DOC("\"exec\": []"), &p, &e), 0);
	CHECK(p.has_exec);
	CHECK_EQ_INT(p.n_exec, 0);
	CHECK(strstr(p.canonical, "\"exec\":[]"));
	kk_policy_free(&p);
}

/* SHA-256 of s in lowercase hex. */
static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	out[0] = '\0';
	if (!EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL) || len != 32)
		return;
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

UNIT_TEST(hash_is_sha256_of_canonical)
{
	static const char *const docs[] = { MINIMAL, SEED, DOC("\"exec\": []") };
	struct kk_errors e;
	struct kk_policy p;
	char want[65], text[65];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(docs); i++) {
		CHECK_EQ_INT(parse_doc(docs[i], &p, &e), 0);
		CHECK(is_hash(hash_hex(&p)));
		sha256_hex(p.canonical, want);
		CHECK_EQ_STR(hash_hex(&p), want);
		/* The bytes the kernel slot is keyed by are the same hash. */
		CHECK_EQ_STR(kk_hex_encode(p.hash, sizeof(p.hash), text), want);
		kk_policy_free(&p);
	}
	/* The minimal document's canonical form is MINIMAL_CANONICAL: its hash, by value. */
	sha256_hex(MINIMAL_CANONICAL, want);
	CHECK_EQ_INT(parse_doc(MINIMAL, &p, &e), 0);
	CHECK_EQ_STR(hash_hex(&p), want);
	kk_policy_free(&p);
}

/*
 * POL(constraints, data_access, exec, network, extra members): BASE and its variants. Each
 * variant either means the same policy (same hash) or enforces something else (another hash).
 */
#define POLV(ver, ec, da, ex, net, extra)                                                          \
	"{\"agent_id\": \"a\", \"version\": \"" ver "\", " extra "\"execution_constraints\": {" ec \
	"}, \"data_access\": {" da "}, \"exec\": [" ex "], \"network_rules\": {" net "}}"
#define POL(ec, da, ex, net, extra) POLV("1", ec, da, ex, net, extra)

/* The base policy's members. */
#define EC0 "\"allowed_regions\": [\"eu\", \"us\"], \"allowed_hours\": \"08:00-17:00 UTC\""
#define DA0 "\"/d/*\": [\"read\", \"write\"], \"/e\": []"
#define EX0 "\"/bin/a\", \"/bin/b\""
#define NET0                                                                      \
	"\"allowed_hosts\": [\"10.0.0.1\", \"a.example:443\", \"10.2.0.0/16\"], " \
	"\"denied_hosts\": [\"*.x.example\"]"
#define BASE POL(EC0, DA0, EX0, NET0, "")

struct hash_case {
	const char *name;
	const char *doc;
	bool same;
};

static const struct hash_case hash_cases[] = {
	{ "identical", BASE, true },
	{ "key order, whitespace and comments",
	  "// the same policy\n{\n\t\"network_rules\": {\"denied_hosts\": [\"*.x.example\"],\n"
	  "\t\t\"allowed_hosts\": [\"10.0.0.1\", \"a.example:443\", \"10.2.0.0/16\"]},\n"
	  "\t\"exec\": [\"/bin/a\", \"/bin/b\"], /* c */ \"version\" : \"1\",\n"
	  "\t\"data_access\": {\"/d/*\": [\"read\", \"write\"], \"/e\": []}, \"agent_id\": \"a\",\n"
	  "\t\"execution_constraints\": {\"allowed_hours\": \"08:00-17:00 UTC\",\n"
	  "\t\t\"allowed_regions\": [\"eu\", \"us\"]}\r\n}\r\n",
	  true },
	{ "permission order",
	  POL(EC0, "\"/d/*\": [\"write\", \"read\"], \"/e\": []", EX0, NET0, ""), true },
	{ "rule order", POL(EC0, "\"/e\": [], \"/d/*\": [\"read\", \"write\"]", EX0, NET0, ""),
	  true },
	{ "exec order", POL(EC0, DA0, "\"/bin/b\", \"/bin/a\"", NET0, ""), true },
	{ "region order",
	  POL("\"allowed_hours\": \"08:00-17:00 UTC\", \"allowed_regions\": "
	      "[\"us\", \"eu\"]",
	      DA0, EX0, NET0, ""),
	  true },
	{ "host order",
	  POL(EC0, DA0, EX0,
	      "\"denied_hosts\": [\"*.x.example\"], \"allowed_hosts\": "
	      "[\"10.2.0.0/16\", \"a.example:443\", \"10.0.0.1\"]",
	      ""),
	  true },
	{ "address spelling",
	  POL(EC0, DA0, EX0,
	      "\"allowed_hosts\": [\"::ffff:10.0.0.1\", "
	      "\"A.Example.:443\", \"::ffff:10.2.0.0/112\"], "
	      "\"denied_hosts\": [\"*.X.example\"]",
	      ""),
	  true },
	{ "defaults written out",
	  POL(EC0, DA0, EX0, NET0,
	      "\"mode\": \"enforce\", \"baseline\": "
	      "true, \"audit\": \"denials\", \"revocation_check\": "
	      "{\"enabled\": false, \"cache_ttl_seconds\": 300, "
	      "\"fail_open\": false}, "),
	  true },
	{ "empty revocation_check", POL(EC0, DA0, EX0, NET0, "\"revocation_check\": {}, "), true },
	{ "a permission", POL(EC0, "\"/d/*\": [\"read\"], \"/e\": []", EX0, NET0, ""), false },
	{ "a deny becomes an allow",
	  POL(EC0, "\"/d/*\": [\"read\", \"write\"], \"/e\": [\"read\"]", EX0, NET0, ""), false },
	{ "a path", POL(EC0, "\"/d2/*\": [\"read\", \"write\"], \"/e\": []", EX0, NET0, ""),
	  false },
	{ "a subtree becomes exact",
	  POL(EC0, "\"/d\": [\"read\", \"write\"], \"/e\": []", EX0, NET0, ""), false },
	{ "mode", POL(EC0, DA0, EX0, NET0, "\"mode\": \"audit\", "), false },
	{ "audit", POL(EC0, DA0, EX0, NET0, "\"audit\": \"all\", "), false },
	{ "baseline", POL(EC0, DA0, EX0, NET0, "\"baseline\": false, "), false },
	{ "allow_jit false written out", POL(EC0, DA0, EX0, NET0, "\"allow_jit\": false, "), true },
	{ "ipc own written out", POL(EC0, DA0, EX0, NET0, "\"ipc\": \"own\", "), true },
	{ "allow_jit", POL(EC0, DA0, EX0, NET0, "\"allow_jit\": true, "), false },
	{ "ipc none", POL(EC0, DA0, EX0, NET0, "\"ipc\": \"none\", "), false },
	{ "version", POLV("2", EC0, DA0, EX0, NET0, ""), false },
	{ "a port",
	  POL(EC0, DA0, EX0,
	      "\"allowed_hosts\": [\"10.0.0.1\", \"a.example:444\", "
	      "\"10.2.0.0/16\"], \"denied_hosts\": [\"*.x.example\"]",
	      ""),
	  false },
	{ "a prefix",
	  POL(EC0, DA0, EX0,
	      "\"allowed_hosts\": [\"10.0.0.1\", \"a.example:443\", "
	      "\"10.2.0.0/15\"], \"denied_hosts\": [\"*.x.example\"]",
	      ""),
	  false },
	{ "allowed becomes denied",
	  POL(EC0, DA0, EX0,
	      "\"allowed_hosts\": [\"a.example:443\", "
	      "\"10.2.0.0/16\"], \"denied_hosts\": [\"*.x.example\", "
	      "\"10.0.0.1\"]",
	      ""),
	  false },
	{ "an exec path", POL(EC0, DA0, "\"/bin/a\", \"/bin/c\"", NET0, ""), false },
	{ "hours",
	  POL("\"allowed_regions\": [\"eu\", \"us\"], \"allowed_hours\": \"08:00-17:01 "
	      "UTC\"",
	      DA0, EX0, NET0, ""),
	  false },
	{ "a region",
	  POL("\"allowed_regions\": [\"eu\"], \"allowed_hours\": \"08:00-17:00 UTC\"", DA0, EX0,
	      NET0, ""),
	  false },
	{ "a rate", POL(EC0 ", \"rate_limit\": \"1 x/second\"", DA0, EX0, NET0, ""), false },
	{ "max_concurrent", POL(EC0 ", \"max_concurrent_trades\": 2", DA0, EX0, NET0, ""), false },
	{ "revocation ttl",
	  POL(EC0, DA0, EX0, NET0,
	      "\"revocation_check\": {\"cache_ttl_seconds\": "
	      "301}, "),
	  false },
	{ "auto_revoke",
	  POL(EC0, DA0, EX0, NET0,
	      "\"auto_revoke\": {\"max_denials\": 1, "
	      "\"window_seconds\": 1}, "),
	  false },
};

UNIT_TEST(hash_properties)
{
	struct kk_errors e;
	struct kk_policy p;
	char base[65];
	size_t i;

	CHECK_EQ_INT(parse_doc(BASE, &p, &e), 0);
	strcpy(base, hash_hex(&p));
	kk_policy_free(&p);
	for (i = 0; i < ARRAY_SIZE(hash_cases); i++) {
		const struct hash_case *t = &hash_cases[i];
		int rc = parse_doc(t->doc, &p, &e);

		if (rc || e.n || (strcmp(hash_hex(&p), base) != 0) == t->same) {
			unit_fail_begin(__FILE__, __LINE__);
			printf("case %s: rc %d, %zu errors, expected %s hash\n", t->name, rc, e.n,
			       t->same ? "the same" : "another");
		}
		kk_policy_free(&p);
		kk_errors_free(&e);
	}
}

/* An absent exec list (anything with exec permission may run) is not an empty one. */
UNIT_TEST(hash_exec_absent_or_empty)
{
	struct kk_errors e;
	struct kk_policy p;
	char absent[65];

	CHECK_EQ_INT(parse_doc(MINIMAL, &p, &e), 0);
	strcpy(absent, hash_hex(&p));
	kk_policy_free(&p);
	CHECK_EQ_INT(parse_doc(DOC("\"exec\": []"), &p, &e), 0);
	CHECK(strcmp(hash_hex(&p), absent) != 0);
	kk_policy_free(&p);
}

/* A temporary file holding len bytes of text (a sparse one of size bytes when text is NULL). */
static int tmp_file(char *path, const char *text, size_t len, off_t size)
{
	int fd;

	strcpy(path, "/tmp/kk-test-policy-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if ((text && write(fd, text, len) != (ssize_t)len) || (!text && ftruncate(fd, size))) {
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* kk_policy_load's result; its single error formatted into msg[] (line 0 as "0:0"). */
static int load(const char *file, struct kk_policy *p, char *msg, size_t len, size_t *n)
{
	struct kk_errors e = { 0 };
	int rc = kk_policy_load(file, p, &e);

	*n = e.n;
	msg[0] = '\0';
	if (e.n)
		fmt_error(&e.v[0], msg, len);
	kk_errors_free(&e);
	return rc;
}

UNIT_TEST(load_errors)
{
	struct kk_policy p;
	char path[64], msg[256];
	size_t n;
	int rc;

	CHECK_EQ_INT(load("/nonexistent-kk/policy.json", &p, msg, sizeof(msg), &n), -ENOENT);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(msg, "0:0: cannot read: No such file or directory");
	CHECK(p.file == NULL && p.canonical == NULL);
	kk_policy_free(&p);

	CHECK_EQ_INT(load("/tmp", &p, msg, sizeof(msg), &n), -EINVAL);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(msg, "0:0: not a regular file");
	kk_policy_free(&p);

	/* 16 MiB is the limit: one byte more is refused unread, 16 MiB itself is parsed. */
	CHECK_EQ_INT(tmp_file(path, NULL, 0, (16 << 20) + 1), 0);
	rc = load(path, &p, msg, sizeof(msg), &n);
	unlink(path);
	kk_policy_free(&p);
	CHECK_EQ_INT(rc, -EINVAL);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(msg, "0:0: larger than 16777216 bytes");
	CHECK_EQ_INT(tmp_file(path, NULL, 0, 16 << 20), 0);
	rc = load(path, &p, msg, sizeof(msg), &n);
	unlink(path);
	kk_policy_free(&p);
	CHECK_EQ_INT(rc, -EINVAL);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(msg, "1:1: expected a value (object, array, string, number, true, false or "
			  "null)");
}

UNIT_TEST(load_file)
{
	struct kk_errors e;
	struct kk_policy p;
	char path[64], msg[256], hash[65];
	size_t n;

	CHECK_EQ_INT(parse_doc(SEED, &p, &e), 0);
	strcpy(hash, hash_hex(&p));
	kk_policy_free(&p);
	CHECK_EQ_INT(tmp_file(path, SEED, strlen(SEED), 0), 0);
	CHECK_EQ_INT(load(path, &p, msg, sizeof(msg), &n), 0);
	unlink(path);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_STR(p.file, path);
	CHECK_EQ_STR(hash_hex(&p), hash);
	kk_policy_free(&p);

	CHECK_EQ_INT(tmp_file(path, "{\n \"agent_id\": 1}", 17, 0), 0);
	CHECK_EQ_INT(load(path, &p, msg, sizeof(msg), &n), -EINVAL);
	unlink(path);
	kk_policy_free(&p);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(msg, "1:1: version: required");
}

int main(void)
{
	UNIT_RUN(defaults);
	UNIT_RUN(seed_values);
	UNIT_RUN(identity_values);
	UNIT_RUN(hours_values);
	UNIT_RUN(rate_values);
	UNIT_RUN(constraint_values);
	UNIT_RUN(path_values);
	UNIT_RUN(exec_values);
	UNIT_RUN(hash_is_sha256_of_canonical);
	UNIT_RUN(hash_properties);
	UNIT_RUN(hash_exec_absent_or_empty);
	UNIT_RUN(load_errors);
	UNIT_RUN(load_file);
	return unit_done();
}
