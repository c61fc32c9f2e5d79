// SPDX-License-Identifier: GPL-2.0-only
/* hooks — the hook manifest against the running kernel's BTF and links (see hooks.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "error.h"
#include "hooks.h"

#define LSM_FUNC_PREFIX "bpf_lsm_"

static const struct {
	const char *name;
	enum kk_hook_class class;
} manifest[] = {
/* { "file_open", KK_HOOK_DECIDE }, ... generated from bpf/hooks.manifest by the Makefile */
#include "hooks_manifest.h"
};

int kk_hooks_class(const char *hook)
{
	size_t i;

	for (i = 0; i < sizeof(manifest) / sizeof(manifest[0]); i++)
		if (strcmp(manifest[i].name, hook) == 0)
			return manifest[i].class;
	return -ENOENT;
}

const char *kk_hooks_section_hook(const char *section)
{
	static const char *const prefixes[] = { "lsm/", "lsm.s/" };
	size_t i, n;

	for (i = 0; section && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(section, prefixes[i], n) == 0 && section[n])
			return section + n;
	}
	return NULL;
}

bool kk_hooks_btf_has(const struct btf *btf, const char *hook)
{
	char name[128];

	if ((size_t)snprintf(name, sizeof(name), LSM_FUNC_PREFIX "%s", hook) >= sizeof(name))
		return false;
	return btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

/*
 * on[id] = true for the BTF id of every function an LSM link pinned in dir is attached to.
 * The kernel reports the target itself, so a stale or foreign pin cannot count as a hook.
 */
static int mark_attached(const char *dir, bool *on, __u32 n)
{
	char path[PATH_MAX];
	struct dirent *de;
	int fd, err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (de = readdir(d))) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			break;
		}
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			err = -errno;
		else if (info.type == BPF_LINK_TYPE_TRACING &&
			 info.tracing.attach_type == BPF_LSM_MAC && info.tracing.target_btf_id < n)
			on[info.tracing.target_btf_id] = true;
		close(fd);
	}
	closedir(d);
	return err;
}

static int add_unclassified(struct kk_hooks_cov *cov, const char *hook)
{
	char **names = realloc(cov->unclassified, (cov->n_unclassified + 1) * sizeof(*names));

	if (!names)
		return -ENOMEM;
	cov->unclassified = names;
	names[cov->n_unclassified] = strdup(hook);
	if (!names[cov->n_unclassified])
		return -ENOMEM;
	cov->n_unclassified++;
	return 0;
}

int kk_hooks_coverage(const struct btf *btf, const char *links_dir, struct kk_hooks_cov *cov)
{
	const size_t plen = strlen(LSM_FUNC_PREFIX);
	__u32 n = btf__type_cnt(btf), id;
	bool *on;
	int err;

	memset(cov, 0, sizeof(*cov));
	on = calloc(n, sizeof(*on));
	if (!on)
		return -ENOMEM;
	err = mark_attached(links_dir, on, n);
	for (id = 1; !err && id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name = btf__name_by_offset(btf, t->name_off);

		if (!btf_is_func(t) || !name || strncmp(name, LSM_FUNC_PREFIX, plen) != 0)
			continue;
		cov->kernel++;
		cov->attached += on[id];
		if (kk_hooks_class(name + plen) >= 0)
			cov->classified++;
		else
			err = add_unclassified(cov, name + plen);
	}
	free(on);
	if (err)
		kk_hooks_cov_free(cov);
	return err;
}

int kk_hooks_running(const char *links_dir, struct kk_hooks_cov *cov, struct kk_error *e)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int err;

	memset(cov, 0, sizeof(*cov));
	if (!btf) {
		err = -errno;
		return kk_error_set(e, err, "/sys/kernel/btf/vmlinux",
				    "cannot read the kernel's BTF: %s", strerror(-err));
	}
	err = kk_hooks_coverage(btf, links_dir, cov);
	if (err)
		kk_error_set(e, err, links_dir, "cannot count the hooks attached: %s",
			     strerror(-err));
	btf__free(btf);
	return err;
}

void kk_hooks_cov_free(struct kk_hooks_cov *cov)
{
	int i;

	for (i = 0; i < cov->n_unclassified; i++)
		free(cov->unclassified[i]);
	free(cov->unclassified);
	memset(cov, 0, sizeof(*cov));
}
