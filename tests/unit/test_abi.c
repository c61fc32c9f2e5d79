// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/abi.c: the ABI stamp kk_maps_open compares with the one pinned in
 * kk_config before any command reads the maps. Reading and writing the stamp in a real kk_config
 * map is the kernel suite's (tests/kernel/load.bats).
 */
#include <errno.h>
#include <string.h>

#include "abi.h"
#include "kakunin.h"
#include "unit.h"

static char why[512];

UNIT_TEST(this_build_passes)
{
	struct kk_abi_stamp s = kk_abi_this();

	CHECK_EQ_INT(s.format, KK_RULESET_FORMAT);
	CHECK(s.layout != 0);
	why[0] = '\0';
	CHECK_EQ_INT(kk_abi_check(&s, why, sizeof(why)), 0);
	CHECK_EQ_STR(why, "");
}

UNIT_TEST(other_format_refused)
{
	struct kk_abi_stamp s = kk_abi_this();
	char want[512];

	s.format = KK_RULESET_FORMAT + 1;
	CHECK_EQ_INT(kk_abi_check(&s, why, sizeof(why)), -EPROTO);
	snprintf(want, sizeof(want), "pinned maps are format %u (layout %08x), this build is "
		 "format %u (layout %08x): `load --upgrade` keeps only maps of its own layout; run "
		 "`kakunin-bpf unload --force` (bindings end), then `kakunin-bpf load` with this build",
		 KK_RULESET_FORMAT + 1, s.layout, KK_RULESET_FORMAT, s.layout);
	CHECK_EQ_STR(why, want);
}

/* A layout change the format bump forgot is still caught. */
UNIT_TEST(other_layout_refused)
{
	struct kk_abi_stamp s = kk_abi_this();

	s.layout ^= 1;
	CHECK_EQ_INT(kk_abi_check(&s, why, sizeof(why)), -EPROTO);
	CHECK(strstr(why, "unload --force") != NULL);
}

UNIT_TEST(config_value_read)
{
	struct kk_config cfg = { .pending = 3, .format = 7, .layout = 0x1234abcd };
	struct kk_abi_stamp s = kk_abi_of_config(&cfg, sizeof(cfg));

	CHECK_EQ_INT(s.format, 7);
	CHECK_EQ_INT(s.layout, 0x1234abcd);
}

/* Maps pinned before stamps existed: a 24-byte kk_config, read as format 0 and refused. */
UNIT_TEST(unstamped_config_refused)
{
	unsigned char old[24];
	struct kk_abi_stamp s;

	memset(old, 0xff, sizeof(old));
	s = kk_abi_of_config(old, sizeof(old));
	CHECK_EQ_INT(s.format, 0);
	CHECK_EQ_INT(s.layout, 0);
	CHECK_EQ_INT(kk_abi_check(&s, why, sizeof(why)), -EPROTO);
	CHECK(strstr(why, "pinned maps are format 0 (layout 00000000)") == why);
	s = kk_abi_of_config(NULL, sizeof(struct kk_config));
	CHECK_EQ_INT(s.format, 0);
}

int main(void)
{
	UNIT_RUN(this_build_passes);
	UNIT_RUN(other_format_refused);
	UNIT_RUN(other_layout_refused);
	UNIT_RUN(config_value_read);
	UNIT_RUN(unstamped_config_refused);
	return unit_done();
}
