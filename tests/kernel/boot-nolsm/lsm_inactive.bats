#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Run by scripts/check.sh in a VM booted with an lsm= list that leaves bpf out: the kernel then
# accepts and attaches BPF-LSM programs but never calls them, so `load` must refuse (exit 3).
bats_require_minimum_version 1.5.0
load ../helpers

@test "this VM really runs without bpf in the active LSM list" {
	run cat /sys/kernel/security/lsm
	[ "$status" -eq 0 ]
	[[ ",$output," != *",bpf,"* ]]
}

@test "load exits 3 with one line naming the active LSMs and the lsm= fix" {
	run --separate-stderr "$KK" load
	[ "$status" -eq 3 ]
	[ "$(printf '%s' "$stderr" | grep -c '')" = 1 ]
	[[ "$stderr" == "kakunin-bpf: load: BPF LSM unavailable: bpf is not an active LSM (active: "* ]]
	[[ "$stderr" == *"lsm="*",bpf"* ]]
	[ ! -e /sys/fs/bpf/kakunin ]
}
