/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hooks — bpf/hooks.manifest (compiled in at build time) against the running kernel: which of
 * its LSM hooks (the bpf_lsm_* functions of its BTF) the manifest classifies, which programs
 * of the object the kernel can take, and on how many hooks a kakunin-bpf link is attached.
 * scripts/hooks-check is the full check; this is what `status` reports and `load` needs.
 */
#ifndef KK_HOOKS_H
#define KK_HOOKS_H

#include <stdbool.h>

struct btf;

/* The classes of bpf/hooks.manifest. */
enum kk_hook_class {
	KK_HOOK_DECIDE,
	KK_HOOK_DENY,
	KK_HOOK_REVOKED,
	KK_HOOK_ALLOW,
	KK_HOOK_NA,
};

/* The manifest's class of hook, or -ENOENT when it does not list hook. */
int kk_hooks_class(const char *hook);

/* The hook of an LSM program's section ("lsm/file_open", "lsm.s/..."), NULL for others. */
const char *kk_hooks_section_hook(const char *section);

/* Does btf have the function bpf_lsm_<hook> (does this kernel build the hook)? */
bool kk_hooks_btf_has(const struct btf *btf, const char *hook);

struct kk_hooks_cov {
	int kernel;	/* bpf_lsm_* functions of the kernel's BTF */
	int classified; /* of those, the ones the manifest classifies */
	int attached;	/* of those, hooks with a live link pinned in the links directory */
	int n_unclassified;
	char **unclassified; /* their names, in BTF order */
};

/*
 * Coverage of the manifest over btf's hooks, and the hooks of the links pinned in links_dir
 * (every entry a pinned LSM link; a missing directory attaches nothing). 0 or -errno; free
 * with kk_hooks_cov_free.
 */
int kk_hooks_coverage(const struct btf *btf, const char *links_dir, struct kk_hooks_cov *cov);
struct kk_error;
/* The same for the running kernel (/sys/kernel/btf/vmlinux); errors fill *e. */
int kk_hooks_running(const char *links_dir, struct kk_hooks_cov *cov, struct kk_error *e);
void kk_hooks_cov_free(struct kk_hooks_cov *cov);

#endif
