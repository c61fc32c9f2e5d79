// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy compiler's path entries (user/policy_compile.c): LPM keys and flags,
 * which rule wins a key (exact over a directory entry, policy over baseline), the baseline
 * itself, the exec list and the constants. Network entries are in test_policy_net.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
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

UNIT_TEST(subtree_rule)
{
	struct compiled c;
	const struct kk_path_entry *e;

	CHECK_EQ_INT(compile(&c, NB("\"data_access\": {\"/data/in/*\": [\"read\"]}"), true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.format, KK_RULESET_FORMAT);
	CHECK_EQ_INT(c.rs.n_paths, 2);
	e = path_entry(&c, "/data/in/", 9);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 8 * 9);
	CHECK_EQ_INT(e->val.flags, KK_PATH_F_SUBTREE);
	CHECK_EQ_INT(e->val.perms, KK_ACCESS_READ);
	CHECK_EQ_INT(e->val.rule, 0);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_POLICY);
	CHECK_EQ_STR(e->pattern, "/data/in/*");
	e = path_entry(&c, "/data/in", 9);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 8 * 9);
	CHECK_EQ_INT(e->val.flags, KK_PATH_F_DIR_SELF);
	CHECK_EQ_INT(e->val.perms, KK_ACCESS_READ);
	CHECK_EQ_STR(e->pattern, "/data/in/*");
	done(&c);
}

UNIT_TEST(exact_and_root_rules)
{
	struct compiled c;
	const struct kk_path_entry *e;

	CHECK_EQ_INT(compile(&c,
			     NB("\"data_access\": {\"/etc/x\": [\"write\", \"read\"], \"/*\": "
				"[\"exec\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.n_paths, 3);
	e = path_entry(&c, "/etc/x", 7);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 8 * 7);
	CHECK_EQ_INT(e->val.flags, 0);
	CHECK_EQ_INT(e->val.perms, KK_ACCESS_READ | KK_ACCESS_WRITE);
	CHECK_EQ_INT(e->val.rule, 0);
	/* The root: "/" below, "/\0" for the root directory itself. */
	e = path_entry(&c, "/", 1);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.flags, KK_PATH_F_SUBTREE);
	CHECK_EQ_INT(e->val.perms, KK_ACCESS_EXEC);
	CHECK_EQ_INT(e->val.rule, 1);
	e = path_entry(&c, "/", 2);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.flags, KK_PATH_F_DIR_SELF);
	done(&c);
}

/* The longest directory a rule may name (251 bytes): both keys fill the kernel's 252 bytes. */
UNIT_TEST(longest_rule)
{
	char dir[KK_RULE_PATH_MAX + 1], below[KK_LPM_PATH_LEN + 1], doc[512];
	const struct kk_path_entry *e;
	struct compiled c;

	memset(dir, 'a', KK_RULE_PATH_MAX);
	dir[0] = '/';
	dir[KK_RULE_PATH_MAX] = '\0';
	snprintf(doc, sizeof(doc), NB("\"data_access\": {\"%s/*\": [\"read\"]}"), dir);
	CHECK_EQ_INT(compile(&c, doc, true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_paths, 2);
	e = path_entry(&c, dir, KK_LPM_PATH_LEN);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 8 * KK_LPM_PATH_LEN);
	CHECK_EQ_INT(e->val.flags, KK_PATH_F_DIR_SELF);
	snprintf(below, sizeof(below), "%s/", dir);
	e = path_entry(&c, below, KK_LPM_PATH_LEN);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->key.prefixlen, 32 + 8 * KK_LPM_PATH_LEN);
	CHECK_EQ_INT(e->val.flags, KK_PATH_F_SUBTREE);
	done(&c);
}

/* An exact rule takes the "dir\0" key from the subtree rule of the same directory. */
UNIT_TEST(exact_beats_dir_self)
{
	static const char *const docs[] = {
		NB("\"data_access\": {\"/data/*\": [\"read\"], \"/data\": [\"write\"]}"),
		NB("\"data_access\": {\"/data\": [\"write\"], \"/data/*\": [\"read\"]}"),
		NB("\"data_access\": {\"/*\": [\"read\"], \"/\": []}"),
	};
	struct compiled c;
	const struct kk_path_entry *e;
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK_EQ_INT(compile(&c, docs[i], true, NULL), 0);
		CHECK_EQ_INT(c.rs.n_paths, 2);
		e = path_entry(&c, "/data", 6);
		CHECK(e != NULL);
		CHECK_EQ_INT(e->val.flags, 0);
		CHECK_EQ_INT(e->val.perms, KK_ACCESS_WRITE);
		CHECK_EQ_STR(e->pattern, "/data");
		CHECK_EQ_INT(e->val.rule, i == 0 ? 1 : 0);
		e = path_entry(&c, "/data/", 6);
		CHECK(e != NULL);
		CHECK_EQ_INT(e->val.perms, KK_ACCESS_READ);
		done(&c);
	}
	CHECK_EQ_INT(compile(&c, docs[2], true, NULL), 0);
	CHECK_EQ_INT(c.rs.n_paths, 2);
	e = path_entry(&c, "/", 2);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.flags, 0);
	CHECK_EQ_INT(e->val.perms, 0);
	done(&c);
}

/* The baseline as docs/policy.md lists it, in the compiler's order (rule indices). */
static const char *const baseline[] = {
	"/usr/*",
	"/lib/*",
	"/lib64/*",
	"/etc/ld.so.cache",
	"/etc/ld.so.conf",
	"/etc/ld.so.conf.d/*",
	"/etc/locale.alias",
	"/etc/localtime",
	"/etc/timezone",
	"/etc/ssl/certs/*",
	"/etc/ssl/openssl.cnf",
	"/etc/resolv.conf",
	"/etc/hosts",
	"/etc/host.conf",
	"/etc/nsswitch.conf",
	"/etc/gai.conf",
	"/etc/services",
	"/etc/protocols",
	"/etc/passwd",
	"/etc/group",
	"/dev/null",
	"/dev/zero",
	"/dev/urandom",
	"/dev/random",
	"/proc/self/*",
	"/sys/devices/system/cpu/*",
};

static bool baseline_entry_ok(const struct kk_path_entry *e, const char *pat, size_t i,
			      uint8_t flags)
{
	uint8_t perms =
		strcmp(pat, "/dev/null") ? KK_ACCESS_READ : KK_ACCESS_READ | KK_ACCESS_WRITE;

	return e && e->val.perms == perms && e->val.flags == flags && e->val.rule == i &&
	       e->origin == KK_ORIGIN_BASELINE && !strcmp(e->pattern, pat);
}

/* Rule i of the baseline: its one or two entries, read-only but /dev/null, never exec. */
static void check_baseline_rule(const struct compiled *c, size_t i)
{
	const char *pat = baseline[i];
	size_t len = strlen(pat);
	uint8_t proc = strcmp(pat, "/proc/self/*") ? 0 : KK_PATH_F_PROC_SELF;
	char dir[64];
	bool ok;

	if (pat[len - 1] != '*') {
		ok = baseline_entry_ok(path_entry(c, pat, len + 1), pat, i, 0);
	} else {
		/* "dir/" below, and "dir\0", as long, for the directory itself. */
		snprintf(dir, sizeof(dir), "%.*s", (int)(len - 2), pat);
		ok = baseline_entry_ok(path_entry(c, pat, len - 1), pat, i,
				       KK_PATH_F_SUBTREE | proc) &&
		     baseline_entry_ok(path_entry(c, dir, len - 1), pat, i,
				       KK_PATH_F_DIR_SELF | proc);
	}
	if (!ok) {
		unit_fail_begin(__FILE__, __LINE__);
		printf("baseline rule %zu \"%s\": entries missing or different\n", i, pat);
	}
}

UNIT_TEST(baseline_entries)
{
	struct compiled c;
	size_t i;

	CHECK_EQ_INT(compile(&c, "{\"agent_id\": \"a\", \"version\": \"1\"}", true, resolv), 0);
	CHECK_EQ_INT(c.rs.n_paths, N_BASELINE);
	for (i = 0; i < ARRAY_SIZE(baseline); i++)
		check_baseline_rule(&c, i);
	done(&c);
}

/* A policy rule replaces the baseline entry with the same key, whatever its kind. */
UNIT_TEST(policy_beats_baseline)
{
	struct compiled c;
	const struct kk_path_entry *e;

	CHECK_EQ_INT(compile(&c,
			     DOC("\"data_access\": {\"/etc/hosts\": [], \"/usr/*\": [], "
				 "\"/lib\": [\"write\"], \"/x\": [\"read\"]}"),
			     true, resolv),
		     0);
	CHECK_EQ_INT(c.rs.n_paths, N_BASELINE + 1);
	e = path_entry(&c, "/etc/hosts", 11);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.perms, 0);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_POLICY);
	CHECK_EQ_INT(e->val.rule, 0);
	CHECK_EQ_STR(e->pattern, "/etc/hosts");
	e = path_entry(&c, "/usr/", 5);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.perms, 0);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_POLICY);
	e = path_entry(&c, "/usr", 5);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.perms, 0);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_POLICY);
	/* The policy's exact "/lib" over the baseline's "/lib\0" directory entry. */
	e = path_entry(&c, "/lib", 5);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->val.perms, KK_ACCESS_WRITE);
	CHECK_EQ_INT(e->val.flags, 0);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_POLICY);
	e = path_entry(&c, "/lib/", 5);
	CHECK(e != NULL);
	CHECK_EQ_INT(e->origin, KK_ORIGIN_BASELINE);
	CHECK_EQ_INT(e->val.rule, 4 + 1);
	done(&c);
}

UNIT_TEST(no_baseline)
{
	struct compiled c;

	CHECK_EQ_INT(compile(&c, NB("\"data_access\": {\"/x\": [\"read\"]}"), true, resolv), 0);
	CHECK_EQ_INT(c.rs.n_paths, 1);
	CHECK_EQ_INT(c.rs.n_net, 0);
	CHECK(path_entry(&c, "/x", 3) != NULL);
	done(&c);
}

UNIT_TEST(exec_entries)
{
	char dir[64], file[96], link[96], doc[512], real[PATH_MAX];
	struct compiled c;
	int fd;

	strcpy(dir, "/tmp/kk-test-exec-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(file, sizeof(file), "%s/tool-1.2", dir);
	snprintf(link, sizeof(link), "%s/tool", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0755);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(symlink("tool-1.2", link), 0);
	snprintf(doc, sizeof(doc),
		 NB("\"exec\": [\"%s\", \"/nonexistent-kk/bin/tool\", "
		    "\"/usr/bin/python3\"]"),
		 link);
	compile(&c, doc, true, NULL);
	unlink(link);
	unlink(file);
	rmdir(dir);
	CHECK_EQ_INT(c.rc, 0);
	CHECK_EQ_INT(c.rs.n_exec, 3);
	CHECK(c.rs.exec[0].path == c.p.exec[0]);
	CHECK_EQ_STR(c.rs.exec[0].resolved, file);
	CHECK_EQ_STR(c.rs.exec[1].path, "/nonexistent-kk/bin/tool");
	CHECK(c.rs.exec[1].resolved == NULL);
	/* On this machine, when it has one: the interpreter behind the link. */
	if (realpath("/usr/bin/python3", real))
		CHECK_EQ_STR(c.rs.exec[2].resolved, real);
	else
		CHECK(c.rs.exec[2].resolved == NULL);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_HAS_EXEC);
	/* The kernel keys, policy id left to the map writer: resolved file, then the listed path. */
	CHECK(c.rs.n_exec_keys >= 4);
	CHECK_EQ_STR(c.rs.exec_keys[0].path, file);
	CHECK_EQ_STR(c.rs.exec_keys[1].path, link);
	CHECK_EQ_STR(c.rs.exec_keys[2].path, "/nonexistent-kk/bin/tool");
	CHECK_EQ_INT(c.rs.exec_keys[0].policy, 0);
	CHECK_EQ_STR(c.rs.exec_keys[c.rs.n_exec_keys - 1].path, "/usr/bin/python3");
	done(&c);
}

/* allowed_socket_types into flags; NETLINK_ROUTE with the baseline; canonical only when set. */
UNIT_TEST(socket_types)
{
	struct compiled c;
	char *canon;

	CHECK_EQ_INT(compile(&c, NB("\"network_rules\": {\"allowed_socket_types\": [\"raw\", "
				    "\"netlink\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_SOCK_RAW | KK_POL_SOCK_NETLINK);
	CHECK(strstr(c.p.canonical, "\"allowed_socket_types\":[\"netlink\",\"raw\"]") != NULL);
	canon = strdup(c.p.canonical);
	done(&c);
	/* The order written does not change the hash. */
	CHECK_EQ_INT(compile(&c, NB("\"network_rules\": {\"allowed_socket_types\": [\"netlink\", "
				    "\"raw\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_STR(c.p.canonical, canon);
	free(canon);
	done(&c);
	CHECK_EQ_INT(compile(&c, NB("\"network_rules\": {\"allowed_socket_types\": [\"packet\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_SOCK_PACKET);
	done(&c);
	/* sctp is its own bit, not the one after netlink (that is NETLINK_ROUTE). */
	CHECK_EQ_INT(compile(&c, NB("\"network_rules\": {\"allowed_socket_types\": [\"sctp\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_SOCK_SCTP);
	CHECK(strstr(c.p.canonical, "\"allowed_socket_types\":[\"sctp\"]") != NULL);
	done(&c);
	CHECK_EQ_INT(compile(&c, DOC("\"network_rules\": {\"allowed_socket_types\": [\"sctp\", "
				     "\"packet\", \"raw\", \"netlink\"]}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_SOCK_RAW | KK_POL_SOCK_PACKET | KK_POL_SOCK_NETLINK |
						KK_POL_SOCK_SCTP | KK_POL_NETLINK_ROUTE);
	CHECK(strstr(c.p.canonical, "\"allowed_socket_types\":[\"netlink\",\"packet\",\"raw\","
				    "\"sctp\"]") != NULL);
	done(&c);
	/* Empty or absent: nothing in the canonical form, so older hashes stay valid. */
	CHECK_EQ_INT(compile(&c, NB("\"network_rules\": {\"allowed_socket_types\": []}"), true,
			     NULL),
		     0);
	CHECK_EQ_INT(c.rs.consts.flags, 0);
	CHECK(strstr(c.p.canonical, "socket_types") == NULL);
	done(&c);
	CHECK_EQ_INT(compile(&c, DOC("\"mode\": \"enforce\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_NETLINK_ROUTE);
	done(&c);
}

UNIT_TEST(consts)
{
	struct compiled c;

	CHECK_EQ_INT(compile(&c, NB("\"mode\": \"enforce\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, 0);
	CHECK_EQ_INT(c.rs.n_exec, 0);
	done(&c);
	CHECK_EQ_INT(compile(&c, NB("\"mode\": \"audit\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_AUDIT_MODE);
	done(&c);
	CHECK_EQ_INT(compile(&c, NB("\"audit\": \"all\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_AUDIT_ALL);
	done(&c);
	CHECK_EQ_INT(compile(&c, NB("\"exec\": []"), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_HAS_EXEC);
	done(&c);
	CHECK_EQ_INT(compile(&c, NB("\"allow_jit\": true"), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_ALLOW_JIT);
	done(&c);
	CHECK_EQ_INT(compile(&c, NB("\"ipc\": \"none\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_IPC_NONE);
	done(&c);
	CHECK_EQ_INT(compile(&c, NB("\"allow_jit\": false, \"ipc\": \"own\""), true, NULL), 0);
	CHECK_EQ_INT(c.rs.consts.flags, 0);
	done(&c);
	CHECK_EQ_INT(compile(&c,
			     NB("\"mode\": \"audit\", \"audit\": \"all\", \"exec\": [],\n"
				"\"execution_constraints\": {\"allowed_hours\": \"22:30-06:00 "
				"UTC\", \"max_concurrent_trades\": 7, \"rate_limit\": "
				"\"30 t/minute\"},\n\"auto_revoke\": {\"max_denials\": 20, "
				"\"window_seconds\": 60}"),
			     true, NULL),
		     0);
	CHECK_EQ_INT(c.rs.consts.flags,
		     KK_POL_AUDIT_MODE | KK_POL_AUDIT_ALL | KK_POL_HAS_EXEC | KK_POL_HAS_HOURS);
	CHECK_EQ_INT(c.rs.consts.hours_start, 22 * 60 + 30);
	CHECK_EQ_INT(c.rs.consts.hours_end, 6 * 60);
	CHECK_EQ_INT(c.rs.consts.max_concurrent, 7);
	CHECK_EQ_INT(c.rs.consts.rate_count, 30);
	CHECK_EQ_INT(c.rs.consts.rate_period_s, 60);
	CHECK_EQ_INT(c.rs.consts.auto_revoke_max, 20);
	CHECK_EQ_INT(c.rs.consts.auto_revoke_window_s, 60);
	done(&c);
}

/* The seed policy offline: 4 subtree rules over the baseline, 5 network entries, 2 symbolic. */
UNIT_TEST(seed_policy)
{
	struct compiled c;

	CHECK_EQ_INT(compile(&c, SEED, true, resolv), 0);
	CHECK_EQ_INT(c.rs.n_paths, 8 + N_BASELINE);
	CHECK_EQ_INT(c.rs.n_net, 3 + 3);
	CHECK_EQ_INT(c.rs.n_symbolic, 2);
	CHECK_EQ_INT(c.rs.n_exec, 1);
	CHECK(net_entry(&c, "::ffff:169.254.169.254", 128, true) != NULL);
	CHECK(net_entry(&c, "::ffff:10.1.0.0", 112, false) != NULL);
	CHECK(net_entry(&c, "2001:db8::1", 128, false) != NULL);
	CHECK_EQ_INT(c.rs.consts.flags, KK_POL_HAS_EXEC | KK_POL_HAS_HOURS | KK_POL_NETLINK_ROUTE);
	CHECK_EQ_INT(c.rs.consts.rate_period_s, 3600);
	done(&c);
}

int main(void)
{
	if (tmp_text_file(resolv, RESOLV_CONF)) {
		printf("Bail out! cannot write a temporary resolv.conf\n");
		return 1;
	}
	UNIT_RUN(subtree_rule);
	UNIT_RUN(exact_and_root_rules);
	UNIT_RUN(longest_rule);
	UNIT_RUN(exact_beats_dir_self);
	UNIT_RUN(baseline_entries);
	UNIT_RUN(policy_beats_baseline);
	UNIT_RUN(no_baseline);
	UNIT_RUN(exec_entries);
	UNIT_RUN(socket_types);
	UNIT_RUN(consts);
	UNIT_RUN(seed_policy);
	unlink(resolv);
	return unit_done();
}
