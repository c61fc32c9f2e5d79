// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/hooks.c: the manifest compiled into the binary is bpf/hooks.manifest, a
 * program's section names its hook, and the coverage of a kernel's BTF (built here with
 * libbpf's BTF writer: bpf_lsm_* functions, some of them unclassified). Run from the
 * repository root (scripts/check.sh does), where bpf/hooks.manifest is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>

#include "hooks.h"
#include "unit.h"

static int class_of(const char *word)
{
	static const char *const names[] = { "decide", "deny", "revoked", "allow", "n/a" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(word, names[i]) == 0)
			return i;
	return -1;
}

UNIT_TEST(compiled_manifest_is_the_file)
{
	char line[512], name[128], cls[16];
	FILE *f = fopen("bpf/hooks.manifest", "r");
	int n = 0, bad = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %127s %15s", name, cls) != 2 || name[0] == '#')
			continue;
		n++;
		if (kk_hooks_class(name) != class_of(cls)) {
			printf("# %s: compiled class %d, file says %s\n", name,
			       kk_hooks_class(name), cls);
			bad++;
		}
	}
	fclose(f);
	CHECK(n > 200);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(kk_hooks_class("file_open"), KK_HOOK_DECIDE);
	CHECK_EQ_INT(kk_hooks_class("path_chroot"), KK_HOOK_DENY);
	CHECK_EQ_INT(kk_hooks_class("task_free"), KK_HOOK_ALLOW);
	CHECK_EQ_INT(kk_hooks_class("vm_enough_memory"), KK_HOOK_NA);
	CHECK_EQ_INT(kk_hooks_class("inode_set_acl"), -ENOENT);
	CHECK_EQ_INT(kk_hooks_class(""), -ENOENT);
}

UNIT_TEST(section_names_their_hook)
{
	CHECK_EQ_STR(kk_hooks_section_hook("lsm/file_open"), "file_open");
	CHECK_EQ_STR(kk_hooks_section_hook("lsm.s/bprm_check_security"), "bprm_check_security");
	CHECK(kk_hooks_section_hook("lsm/") == NULL);
	CHECK(kk_hooks_section_hook("syscall") == NULL);
	CHECK(kk_hooks_section_hook("iter/task") == NULL);
	CHECK(kk_hooks_section_hook("fentry/bpf_lsm_file_open") == NULL);
	CHECK(kk_hooks_section_hook(NULL) == NULL);
}

/* A kernel's BTF in miniature: funcs (NULL-terminated) of type void(void), and one struct. */
static struct btf *fake_btf(const char *const *funcs)
{
	struct btf *btf = btf__new_empty();
	int proto;

	if (!btf)
		return NULL;
	proto = btf__add_func_proto(btf, 0);
	/* A type, not a function, of the same prefix: not a hook. */
	if (proto < 0 || btf__add_struct(btf, "bpf_lsm_not_a_func", 0) < 0)
		goto fail;
	for (; *funcs; funcs++)
		if (btf__add_func(btf, *funcs, BTF_FUNC_GLOBAL, proto) < 0)
			goto fail;
	return btf;
fail:
	btf__free(btf);
	return NULL;
}

UNIT_TEST(btf_has_only_lsm_functions)
{
	static const char *const funcs[] = { "bpf_lsm_file_open", "security_task_free", NULL };
	struct btf *btf = fake_btf(funcs);
	bool open, task_free, not_func;

	CHECK(btf != NULL);
	open = kk_hooks_btf_has(btf, "file_open");
	task_free = kk_hooks_btf_has(btf, "task_free");
	not_func = kk_hooks_btf_has(btf, "not_a_func");
	btf__free(btf);
	CHECK(open);
	CHECK(!task_free);
	CHECK(!not_func);
}

UNIT_TEST(coverage_counts_and_names_unclassified_hooks)
{
	static const char *const funcs[] = {
		"bpf_lsm_file_open", "bpf_lsm_inode_set_acl",	  "security_file_open",
		"bpf_lsm_task_free", "bpf_lsm_bdev_setintegrity", NULL,
	};
	struct btf *btf = fake_btf(funcs);
	struct kk_hooks_cov cov;
	int err;

	CHECK(btf != NULL);
	/* No links directory: nothing is attached, which is not an error. */
	err = kk_hooks_coverage(btf, "/nonexistent/kakunin/links", &cov);
	btf__free(btf);
	CHECK_EQ_INT(err, 0);
	CHECK_EQ_INT(cov.kernel, 4);
	CHECK_EQ_INT(cov.classified, 2);
	CHECK_EQ_INT(cov.attached, 0);
	CHECK_EQ_INT(cov.n_unclassified, 2);
	CHECK_EQ_STR(cov.unclassified[0], "inode_set_acl");
	CHECK_EQ_STR(cov.unclassified[1], "bdev_setintegrity");
	kk_hooks_cov_free(&cov);
	CHECK_EQ_INT(cov.n_unclassified, 0);
	CHECK(cov.unclassified == NULL);
}

int main(void)
{
	UNIT_RUN(compiled_manifest_is_the_file);
	UNIT_RUN(section_names_their_hook);
	UNIT_RUN(btf_has_only_lsm_functions);
	UNIT_RUN(coverage_counts_and_names_unclassified_hooks);
	return unit_done();
}
