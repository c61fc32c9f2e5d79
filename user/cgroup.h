/* SPDX-License-Identifier: GPL-2.0-only */
/* cgroup — naming a cgroup v2 directory the way the kernel's BPF helpers do. */
#ifndef KK_CGROUP_H
#define KK_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/*
 * The id (as bpf_get_current_cgroup_id) and hierarchy level (the root is 0) of the cgroup v2
 * directory path. -errno with why[] naming the problem (not a directory, not cgroup v2, ...).
 */
int kk_cgroup_resolve(const char *path, uint64_t *id, uint32_t *level, char *why, size_t wlen);

/*
 * Whether the cgroup with this id still exists: 1 yes, 0 removed, -errno when it cannot be told
 * (open_by_handle_at needs CAP_DAC_READ_SEARCH; no cgroup2 mount at /sys/fs/cgroup).
 */
int kk_cgroup_exists(uint64_t id);

#endif
