/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lsm — can this kernel enforce? BPF LSM must be both loadable (the kernel accepts an LSM
 * program) and active (bpf in /sys/kernel/security/lsm): a kernel with BPF LSM built in but not
 * in the active list accepts and attaches our programs, then never calls them.
 */
#ifndef KK_LSM_H
#define KK_LSM_H

#include <stdbool.h>
#include <stddef.h>

#define KK_LSM_LIST_FILE "/sys/kernel/security/lsm"

/* Does a comma-separated LSM list (as in KK_LSM_LIST_FILE) name "bpf"? */
bool kk_lsm_list_has_bpf(const char *list);

/*
 * 0 when BPF LSM is usable; otherwise -errno with why[] holding one line that says what is
 * missing and how to fix it (the caller exits 3).
 */
int kk_lsm_check(char *why, size_t len);

#endif
