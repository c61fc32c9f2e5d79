// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the pure argument checks: kk_path_check (user/paths.c), kk_parse_pid
 * (user/op.c) and kk_lsm_list_has_bpf (user/lsm.c).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "kakunin.h"
#include "cli.h"
#include "lsm.h"
#include "op.h"
#include "paths.h"
#include "unit.h"

/* The max the checks below use: bytes with the NUL, so the longest accepted path has 255. */
#define PATH_TEST_MAX 256

static char why[128];

/* kk_path_check(p, PATH_TEST_MAX) with why[] cleared first. */
static int path_check(const char *p)
{
	memset(why, 0, sizeof(why));
	return kk_path_check(p, PATH_TEST_MAX, why, sizeof(why));
}

/* Each CHECK_PATH_* line names the path in its failure diagnostic. */
#define CHECK_PATH_OK(p) CHECK_EQ_INT(path_check(p), 0)
#define CHECK_PATH_EINVAL(p)                          \
	do {                                          \
		CHECK_EQ_INT(path_check(p), -EINVAL); \
		CHECK(why[0] != '\0');                \
	} while (0)

UNIT_TEST(path_valid)
{
	CHECK_PATH_OK("/");
	CHECK_PATH_OK("/data/secret");
	CHECK_PATH_OK("/data");
	CHECK_PATH_OK("/a/b/c");
	/* Dots inside a component name are not "." or "..". */
	CHECK_PATH_OK("/.hidden");
	CHECK_PATH_OK("/...");
	CHECK_PATH_OK("/a/..b");
	CHECK_PATH_OK("/a/b..");
	CHECK_PATH_OK("/a/.b/c.");
}

UNIT_TEST(path_relative_or_empty)
{
	CHECK_PATH_EINVAL("data");
	CHECK_PATH_EINVAL("data/secret");
	CHECK_PATH_EINVAL("./data");
	CHECK_PATH_EINVAL("");
}

UNIT_TEST(path_empty_component)
{
	CHECK_PATH_EINVAL("/a//b");
	CHECK_PATH_EINVAL("//a");
	CHECK_PATH_EINVAL("//");
}

UNIT_TEST(path_dot_components)
{
	CHECK_PATH_EINVAL("/a/./b");
	CHECK_PATH_EINVAL("/a/../b");
	CHECK_PATH_EINVAL("/..");
	CHECK_PATH_EINVAL("/.");
	CHECK_PATH_EINVAL("/a/.");
	CHECK_PATH_EINVAL("/a/..");
	CHECK_PATH_EINVAL("/./a");
}

UNIT_TEST(path_trailing_slash)
{
	CHECK_PATH_EINVAL("/a/");
	CHECK_PATH_EINVAL("/a/b/");
}

UNIT_TEST(path_length_limit)
{
	char p[PATH_TEST_MAX + 2];

	/* "/" and 254 'a': 255 bytes, 256 with the NUL, which is max. */
	memset(p, 'a', sizeof(p));
	p[0] = '/';
	p[PATH_TEST_MAX - 1] = '\0';
	CHECK_EQ_INT(strlen(p), 255);
	CHECK_EQ_INT(path_check(p), 0);

	p[PATH_TEST_MAX - 1] = 'a';
	p[PATH_TEST_MAX] = '\0';
	CHECK_EQ_INT(strlen(p), 256);
	CHECK_EQ_INT(path_check(p), -ENAMETOOLONG);
	CHECK(why[0] != '\0');
	CHECK_EQ_STR(why, "longer than 255 bytes");
}

/* The limit the policy code uses: a rule path must fit an LPM key with its NUL or '/'. */
UNIT_TEST(path_length_limit_rule)
{
	char p[KK_RULE_PATH_MAX + 2];

	memset(p, 'r', sizeof(p));
	p[0] = '/';
	p[KK_RULE_PATH_MAX] = '\0';
	CHECK_EQ_INT(strlen(p), KK_RULE_PATH_MAX);
	memset(why, 0, sizeof(why));
	CHECK_EQ_INT(kk_path_check(p, KK_RULE_PATH_MAX + 1, why, sizeof(why)), 0);

	p[KK_RULE_PATH_MAX] = 'r';
	p[KK_RULE_PATH_MAX + 1] = '\0';
	memset(why, 0, sizeof(why));
	CHECK_EQ_INT(kk_path_check(p, KK_RULE_PATH_MAX + 1, why, sizeof(why)), -ENAMETOOLONG);
	CHECK_EQ_STR(why, "longer than 251 bytes");
}

UNIT_TEST(path_why_truncated_safely)
{
	char small[4];

	memset(small, 'Z', sizeof(small));
	CHECK_EQ_INT(kk_path_check("rel", 256, small, sizeof(small)), -EINVAL);
	CHECK_EQ_INT(strnlen(small, sizeof(small)), 3);
}

/* kk_parse_pid's result, pid set to -2 first so a success that stores nothing shows. */
static int pid;

static int parse_pid(const char *s)
{
	pid = -2;
	return kk_parse_pid(s, &pid);
}

UNIT_TEST(pid_valid)
{
	CHECK_EQ_INT(parse_pid("1"), 0);
	CHECK_EQ_INT(pid, 1);
	CHECK_EQ_INT(parse_pid("123"), 0);
	CHECK_EQ_INT(pid, 123);
	CHECK_EQ_INT(parse_pid("2147483647"), 0);
	CHECK_EQ_INT(pid, INT_MAX);
}

UNIT_TEST(pid_invalid)
{
	CHECK_EQ_INT(parse_pid("0"), -EINVAL);
	CHECK_EQ_INT(parse_pid("-1"), -EINVAL);
	CHECK_EQ_INT(parse_pid(""), -EINVAL);
	CHECK_EQ_INT(parse_pid("12a"), -EINVAL);
	CHECK_EQ_INT(parse_pid(" 1"), -EINVAL);
	CHECK_EQ_INT(parse_pid("1 "), -EINVAL);
	CHECK_EQ_INT(parse_pid("+1"), -EINVAL);
	CHECK_EQ_INT(parse_pid("0x10"), -EINVAL);
	CHECK_EQ_INT(parse_pid("2147483648"), -EINVAL);
	CHECK_EQ_INT(parse_pid("4294967297"), -EINVAL);
	CHECK_EQ_INT(parse_pid("99999999999999999999999"), -EINVAL);
	CHECK_EQ_INT(parse_pid(NULL), -EINVAL);
}

UNIT_TEST(lsm_list_with_bpf)
{
	CHECK(kk_lsm_list_has_bpf("lockdown,capability,bpf"));
	CHECK(kk_lsm_list_has_bpf("bpf"));
	CHECK(kk_lsm_list_has_bpf("bpf\n"));
	CHECK(kk_lsm_list_has_bpf("bpf,landlock"));
	CHECK(kk_lsm_list_has_bpf("landlock,bpf,yama"));
	CHECK(kk_lsm_list_has_bpf("lockdown,capability,landlock,yama,apparmor,tomoyo,bpf\n"));
}

UNIT_TEST(lsm_list_without_bpf)
{
	CHECK(!kk_lsm_list_has_bpf("landlock,bpfx"));
	CHECK(!kk_lsm_list_has_bpf("xbpf"));
	CHECK(!kk_lsm_list_has_bpf("bp"));
	CHECK(!kk_lsm_list_has_bpf(""));
	CHECK(!kk_lsm_list_has_bpf("\n"));
	CHECK(!kk_lsm_list_has_bpf("lockdown,capability,landlock,yama,apparmor\n"));
}

int main(void)
{
	UNIT_RUN(path_valid);
	UNIT_RUN(path_relative_or_empty);
	UNIT_RUN(path_empty_component);
	UNIT_RUN(path_dot_components);
	UNIT_RUN(path_trailing_slash);
	UNIT_RUN(path_length_limit);
	UNIT_RUN(path_length_limit_rule);
	UNIT_RUN(path_why_truncated_safely);
	UNIT_RUN(pid_valid);
	UNIT_RUN(pid_invalid);
	UNIT_RUN(lsm_list_with_bpf);
	UNIT_RUN(lsm_list_without_bpf);
	return unit_done();
}
