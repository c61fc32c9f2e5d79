// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the OCI hook's pure parts (user/oci.c): the state, the annotations (sandboxes
 * left alone) and where an annotation may resolve.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "oci.h"
#include "unit.h"

static struct kk_oci_state st;
static struct kk_error e;

static int parse(const char *text)
{
	return kk_oci_state_parse(text, strlen(text), &st, &e);
}

UNIT_TEST(state_members)
{
	CHECK_EQ_INT(parse("{\"ociVersion\": \"1.1.0\", \"id\": \"c\", \"status\": \"creating\", "
			   "\"pid\": 42, \"bundle\": \"/b\", \"new\": [1], \"annotations\": "
			   "{\"kakunin.io/agent-id\": \"a\", \"kakunin.io/policy\": \"p\", "
			   "\"kakunin.io/certificate\": \"c\", \"x\": \"y\"}}"), 0);
	CHECK_EQ_STR(st.id, "c");
	CHECK_EQ_INT(st.pid, 42);
	CHECK_EQ_STR(st.bundle, "/b");
	CHECK(st.have_annotations && st.annotated && !st.sandbox);
	CHECK_EQ_STR(st.agent, "a");
	CHECK_EQ_STR(st.policy, "p");
	CHECK_EQ_STR(st.ca, "");
	CHECK_EQ_INT(kk_oci_state_check(&st, &e), 0);
}

UNIT_TEST(state_bad)
{
	CHECK_EQ_INT(parse(""), -EINVAL);
	CHECK_EQ_STR(e.why, "empty");
	CHECK_EQ_INT(parse("[1]"), -EINVAL);
	CHECK_EQ_INT(parse("{\"id\": \"\"}"), -EINVAL);
	CHECK_EQ_INT(parse("{\"id\": 5}"), -EINVAL);
	/* A pid that is no process id is kept as -1, for the check to name. */
	CHECK_EQ_INT(parse("{\"id\": \"c\", \"pid\": 1.5}"), 0);
	CHECK_EQ_INT(st.pid, -1);
	CHECK_EQ_INT(parse("{\"id\": \"c\", \"pid\": 0}"), 0);
	CHECK_EQ_INT(st.pid, -1);
	CHECK_EQ_INT(parse("{\"id\": \"c\", \"annotations\": []}"), -EINVAL);
	CHECK_EQ_STR(e.why, "\"annotations\" is not an object");
}

UNIT_TEST(state_sandbox)
{
	CHECK_EQ_INT(parse("{\"id\": \"c\", \"annotations\": {\"kakunin.io/agent-id\": \"a\", "
			   "\"io.kubernetes.cri.container-type\": \"sandbox\"}}"), 0);
	CHECK(st.sandbox && !st.annotated);
	CHECK_EQ_INT(parse("{\"id\": \"c\", \"annotations\": {\"kakunin.io/agent-id\": \"a\", "
			   "\"io.kubernetes.cri-o.ContainerType\": \"container\"}}"), 0);
	CHECK(!st.sandbox && st.annotated);
}

static char dir[64], out[PATH_MAX], why[PATH_MAX + 64];

static int resolve(const char *value)
{
	out[0] = '\0';
	return kk_oci_resolve(dir, value, ".json", out, sizeof(out), why, sizeof(why));
}

UNIT_TEST(resolve_inside_only)
{
	char path[PATH_MAX], real[PATH_MAX];

	snprintf(dir, sizeof(dir), "/tmp/kk-oci-unit-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/esc.json", dir);
	if (symlink("/etc/passwd", path))
		CHECK(0);
	CHECK(realpath(dir, real) != NULL);
	strcat(real, "/p.json");
	CHECK_EQ_INT(resolve("p"), 0);
	CHECK_EQ_STR(out, real);
	CHECK_EQ_INT(resolve("p.json"), 0);
	CHECK_EQ_STR(out, real);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	CHECK_EQ_INT(resolve(path), 0);
	CHECK_EQ_INT(resolve(".."), -EACCES);
	CHECK_EQ_INT(resolve("../x"), -EACCES);
	snprintf(path, sizeof(path), "%s/../%s/p.json", dir, dir + 5);
	CHECK_EQ_INT(resolve(path), -EACCES);
	CHECK_EQ_INT(resolve("esc"), -EACCES); /* a symlink out of the directory */
	CHECK_EQ_INT(resolve(dir), -EACCES);   /* the directory itself is not in it */
	CHECK_EQ_INT(resolve("/etc/passwd"), -EACCES);
	CHECK_EQ_INT(resolve(".hidden"), -EINVAL);
	CHECK_EQ_INT(resolve("a/b"), -EINVAL);
	CHECK_EQ_INT(resolve(""), -EINVAL);
	CHECK_EQ_INT(resolve("a..b"), -ENOENT); /* a name, only not there */
	CHECK_EQ_INT(resolve("missing"), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK_EQ_INT(system(path), 0);
}

UNIT_TEST(cgroup_alone)
{
	char cg[64], path[128], why2[256];
	FILE *f;

	snprintf(cg, sizeof(cg), "/tmp/kk-oci-cg-%d", (int)getpid());
	mkdir(cg, 0700);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	CHECK_EQ_INT(kk_oci_cgroup_alone(cg, 42, why2, sizeof(why2)), -ENOENT);
	f = fopen(path, "w");
	fputs("42\n", f);
	fclose(f);
	CHECK_EQ_INT(kk_oci_cgroup_alone(cg, 42, why2, sizeof(why2)), 0);
	f = fopen(path, "w");
	fputs("7\n42\n9\n", f);
	fclose(f);
	CHECK_EQ_INT(kk_oci_cgroup_alone(cg, 42, why2, sizeof(why2)), -EBUSY);
	CHECK(strstr(why2, "holds 2 other processes (PID 7, 9): binding it would bind them too"));
	unlink(path);
	rmdir(cg);
}

int main(void)
{
	UNIT_RUN(state_members);
	UNIT_RUN(state_bad);
	UNIT_RUN(state_sandbox);
	UNIT_RUN(resolve_inside_only);
	UNIT_RUN(cgroup_alone);
	return unit_done();
}
