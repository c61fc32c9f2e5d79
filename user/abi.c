// SPDX-License-Identifier: GPL-2.0-only
/* abi — the ABI stamp of the pinned maps and its comparison (see abi.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "kakunin.h"

/*
 * FNV-1a over the sizes, in order: a size that changes, or a struct added or moved in the list,
 * changes the hash. Computed, not written down, so it cannot be forgotten like a bump can.
 */
static uint32_t layout_hash(void)
{
	static const uint32_t sizes[] = { KK_ABI_SIZES };
	uint32_t h = 2166136261u;
	size_t i, b;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (b = 0; b < 4; b++) {
			h ^= (sizes[i] >> (8 * b)) & 0xff;
			h *= 16777619u;
		}
	return h;
}

struct kk_abi_stamp kk_abi_this(void)
{
	return (struct kk_abi_stamp){ .format = KK_RULESET_FORMAT, .layout = layout_hash() };
}

struct kk_abi_stamp kk_abi_of_config(const void *value, size_t value_size)
{
	struct kk_abi_stamp s = { 0 };
	struct kk_config cfg;

	if (!value || value_size != sizeof(cfg))
		return s;
	memcpy(&cfg, value, sizeof(cfg));
	s.format = cfg.format;
	s.layout = cfg.layout;
	return s;
}

int kk_abi_check(const struct kk_abi_stamp *pinned, char *why, size_t wlen)
{
	struct kk_abi_stamp self = kk_abi_this();

	if (pinned->format == self.format && pinned->layout == self.layout)
		return 0;
	snprintf(why, wlen, "pinned maps are format %u (layout %08x), this build is format %u "
		 "(layout %08x): `load --upgrade` keeps only maps of its own layout; run "
		 "`kakunin-bpf unload --force` (bindings end), then `kakunin-bpf load` with this build",
		 pinned->format, pinned->layout, self.format, self.layout);
	return -EPROTO;
}
