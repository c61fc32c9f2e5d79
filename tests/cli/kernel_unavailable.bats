#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# On a kernel that cannot run BPF-LSM (the development and CI machines refuse the loads), the
# loader must say so in one line and exit 3, never dump libbpf output.
bats_require_minimum_version 1.5.0
load helpers

lsm_usable() {
	[ -r /sys/kernel/security/lsm ] && grep -qw bpf /sys/kernel/security/lsm
}

@test "load on a kernel that refuses BPF-LSM exits 3 with one line" {
	lsm_usable && skip "this host kernel has BPF LSM active; the VM suite covers exit 3"
	run --separate-stderr "$KK" load
	[ "$status" -eq 3 ]
	assert_one_stderr_line "kakunin-bpf: load: BPF LSM unavailable: "
	[[ "$stderr" == *"refuses to load BPF LSM programs"* ||
	   "$stderr" == *"bpf is not an active LSM"* ||
	   "$stderr" == *"no BPF LSM hooks"* || "$stderr" == *"has no BTF"* ]]
	[[ "$stderr" != *libbpf* ]]
	[ -z "$output" ]
	# Installed users have no scripts/vmtest.sh: the line says what to check on this host.
	[[ "$stderr" != *vmtest* ]]
	if [[ "$stderr" == *"(bpf(BPF_PROG_LOAD): Operation not permitted)"* ]]; then
		[[ "$stderr" == *"(bpf(BPF_PROG_LOAD): Operation not permitted): check /sys/kernel/security/lockdown (not confidentiality), bpf in /sys/kernel/security/lsm (boot with lsm=...,bpf), and run on the host" ]]
	fi
}

@test "events when nothing is loaded fails in one line" {
	[ -e /sys/fs/bpf/kakunin ] && skip "kakunin-bpf is loaded on this host"
	run --separate-stderr "$KK" events
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf is not loaded"
	[[ "$stderr" == *"run 'kakunin-bpf load' first"* ]]
	for ring in "" --from-ring; do
		run --separate-stderr "$KK" events --json $ring
		[ "$status" -eq 1 ]
		assert_json_error ENOENT "" "run 'kakunin-bpf load' first"
	done
}

@test "unload when nothing is loaded is harmless" {
	[ -e /sys/fs/bpf/kakunin ] && skip "kakunin-bpf is loaded on this host"
	run --separate-stderr "$KK" unload
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: not loaded, nothing to do" ]
}
