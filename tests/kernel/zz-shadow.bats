#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 1 (its tests in a 1-vCPU guest; scripts/check.sh runs it last in every guest)
# The kernel suite runs with file_open's path cache in shadow mode (scripts/check.sh sets
# KAKUNIN_PATH_CACHE=shadow): every cached decision was decided again and compared. Every test
# file's kk_unload logged its load's counters; across all of them, no difference.
load helpers

@test "path cache, shadow mode: over this guest's tests no cached decision differed from deciding again" {
	[ -n "${KK_SHADOW_LOG:-}" ] || skip "not run by scripts/check.sh (KK_SHADOW_LOG unset)"
	[ -s "$KK_SHADOW_LOG" ]
	read -r hits mism < <(awk '{ h += $1; m += $2 } END { print h + 0, m + 0 }' "$KK_SHADOW_LOG")
	echo "# path cache shadow mode: $hits hits decided again, $mism differed, over" \
		"$(wc -l <"$KK_SHADOW_LOG") loads" >&3
	[ "$mism" = 0 ]
	[ "$hits" -gt 0 ]
}
