// SPDX-License-Identifier: GPL-2.0-only
/* cgroup — cgroup v2 id and level of a directory (see cgroup.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"

/* The cgroup v2 mount point holding real (longest match in /proc/self/mountinfo). */
static int cgroup2_root(const char *real, char *root, size_t len)
{
	char line[4096], mnt[PATH_MAX], fstype[64];
	size_t best = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		size_t n;

		/* fields: id parent maj:min root mountpoint ... - fstype source options */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		n = strlen(mnt);
		if (n > best && !strncmp(real, mnt, n) && (real[n] == '/' || real[n] == '\0' ||
							   n == 1)) {
			best = n;
			snprintf(root, len, "%s", mnt);
		}
	}
	fclose(f);
	return best ? 0 : -ENOENT;
}

int kk_cgroup_resolve(const char *path, uint64_t *id, uint32_t *level, char *why, size_t wlen)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	char real[PATH_MAX], root[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	int mount_id;
	const char *p;

	if (!realpath(path, real) || stat(real, &st) != 0) {
		snprintf(why, wlen, "cgroup %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || statfs(real, &sfs) != 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, wlen, "cgroup %s: not a cgroup v2 directory", path);
		return -EINVAL;
	}
	/* The file handle of a cgroup2 directory is its id, what the BPF helpers return. */
	if (name_to_handle_at(AT_FDCWD, real, &h.fh, &mount_id, 0) != 0 ||
	    h.fh.handle_bytes != sizeof(uint64_t)) {
		snprintf(why, wlen, "cgroup %s: cannot read its id: %s", path, strerror(errno));
		return -EIO;
	}
	*id = h.id;
	if (cgroup2_root(real, root, sizeof(root))) {
		snprintf(why, wlen, "cgroup %s: no cgroup2 mount holds it", path);
		return -ENOENT;
	}
	/* One level per component below the mount point. */
	*level = 0;
	for (p = strcmp(root, "/") ? real + strlen(root) : real; *p; p++)
		*level += *p == '/' && p[1];
	return 0;
}

/* FILEID_KERNFS: the handle type of cgroup2 directories (the 64-bit id is the handle). */
#define KK_FILEID_KERNFS 0xfe

int kk_cgroup_exists(uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t), .fh.handle_type = KK_FILEID_KERNFS, .id = id };
	char root[PATH_MAX];
	int mfd, fd, err;

	if (cgroup2_root("/sys/fs/cgroup", root, sizeof(root)))
		return -ENOENT;
	mfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	err = fd >= 0 ? 1 : (errno == ESTALE || errno == ENOENT) ? 0 : -errno;
	if (fd >= 0)
		close(fd);
	close(mfd);
	return err;
}
