/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * abi — the stamp `load` pins in kk_config (KK_RULESET_FORMAT and a hash of KK_ABI_SIZES, both
 * from include/kakunin.h), and the comparison every later command makes before it reads pinned
 * maps: a build must never read or write maps another layout created. Pure: no libbpf, so the
 * comparison is tested without a kernel; maps.c reads and writes the stamp.
 */
#ifndef KK_ABI_H
#define KK_ABI_H

#include <stddef.h>
#include <stdint.h>

struct kk_abi_stamp {
	uint32_t format; /* KK_RULESET_FORMAT; 0: maps pinned before stamps existed */
	uint32_t layout; /* hash of KK_ABI_SIZES */
};

/* The stamp of this build. */
struct kk_abi_stamp kk_abi_this(void);

/*
 * The stamp in a kk_config value of value_size bytes as the kernel holds it. A value of another
 * size than this build's struct kk_config (maps pinned before stamps existed) is stamp {0, 0}.
 */
struct kk_abi_stamp kk_abi_of_config(const void *value, size_t value_size);

/*
 * 0 when pinned is this build's stamp; otherwise -EPROTO and one line in why[] saying what the
 * pinned maps are, what this build is, and what to do (unload --force, then load: load --upgrade
 * cannot keep them).
 */
int kk_abi_check(const struct kk_abi_stamp *pinned, char *why, size_t wlen);

#endif
