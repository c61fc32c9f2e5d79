// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of `bind --replace` and `--watch` without a kernel (user/op_replace.c, op_bind.c,
 * state.c): the request (what --replace needs, what it refuses), the followed path made absolute
 * without resolving symlinks (a ConfigMap's file is one), and the binding record keeping the
 * followed file, or dropping it, across a save and load.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "op.h"
#include "state.h"
#include "unit.h"

static struct kk_error e;

UNIT_TEST(replace_request)
{
	struct kk_bind_req r;
	struct kk_bind_opts o = { .pid = "42", .replace = true, .policy = "p.json" };

	/* The identity stays: no --cert needed (the binding's copy is verified). */
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), 0);
	CHECK(r.replace && r.cert == NULL && r.pid == 42);
	CHECK_EQ_STR(r.watch, "");
	o.tree = true;
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK(strstr(e.why, "--tree and --replace exclude each other") == e.why);
	o = (struct kk_bind_opts){ .replace = true, .policy = "p.json" };
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--pid or --cgroup is required");
	o = (struct kk_bind_opts){ .replace = true, .cgroup = "/sys/fs/cgroup/a" };
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--policy is required");
	/* Without --replace, --cert is required as before. */
	o = (struct kk_bind_opts){ .pid = "42", .policy = "p.json", .watch = true };
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), -EINVAL);
	CHECK_EQ_STR(e.why, "--cert is required");
}

UNIT_TEST(watch_request_path_is_absolute_not_resolved)
{
	char cwd[PATH_MAX], want[PATH_MAX + 32], buf[16];
	struct kk_bind_req r;
	struct kk_bind_opts o = { .cgroup = "/sys/fs/cgroup/a", .replace = true, .watch = true,
				  .policy = "cm/policy.json" };

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), 0);
	snprintf(want, sizeof(want), "%s/cm/policy.json", cwd);
	CHECK_EQ_STR(r.watch, want);
	/* An absolute path is kept as written: ..data/ stays a symlink the daemon re-resolves. */
	o.policy = "/etc/kakunin/cm/..data/policy.json";
	CHECK_EQ_INT(kk_bind_req_init(&r, &o, &e), 0);
	CHECK_EQ_STR(r.watch, "/etc/kakunin/cm/..data/policy.json");
	CHECK_EQ_INT(kk_watch_path("/a/path/of/sixteen+", buf, sizeof(buf)), -ENAMETOOLONG);
	CHECK_EQ_INT(kk_watch_path("/short", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "/short");
}

UNIT_TEST(record_keeps_the_followed_file)
{
	char dir[] = "/tmp/kk-replace-XXXXXX", sub[sizeof(dir) + 16];
	struct kk_binding_meta b = { .slot = 3, .gen = 9, .canonical = true }, got;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/bindings", dir);
	setenv("KAKUNIN_STATE_DIR", dir, 1);
	snprintf(b.policy_hash, sizeof(b.policy_hash), "%064d", 0);
	snprintf(b.watch, sizeof(b.watch), "/etc/kakunin/cm/policy.json");
	CHECK_EQ_INT(kk_meta_save(&b), 0);
	CHECK_EQ_INT(kk_meta_load(3, &got), 0);
	CHECK_EQ_INT(got.gen, 9);
	CHECK_EQ_STR(got.watch, "/etc/kakunin/cm/policy.json");
	/* --replace without --watch: the record follows no file any more. */
	b.watch[0] = '\0';
	CHECK_EQ_INT(kk_meta_save(&b), 0);
	CHECK_EQ_INT(kk_meta_load(3, &got), 0);
	CHECK_EQ_STR(got.watch, "");
	kk_meta_remove(3);
	CHECK_EQ_INT(kk_meta_load(3, &got), -ENOENT);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	UNIT_RUN(replace_request);
	UNIT_RUN(watch_request_path_is_absolute_not_resolved);
	UNIT_RUN(record_keeps_the_followed_file);
	return unit_done();
}
