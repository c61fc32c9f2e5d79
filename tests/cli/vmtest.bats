#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The VM harness itself (host side): a guest's exit status comes back, the guest sees the
# kernel filesystems the kernel suite needs, and a hung guest is killed with a clear line.
bats_require_minimum_version 1.5.0
load helpers

VMTEST=$BATS_TEST_DIRNAME/../../scripts/vmtest.sh

@test "vmtest returns the guest command's exit status and output" {
	run --separate-stderr "$VMTEST" -- sh -c 'echo "in-guest $(uname -r)"; exit 7'
	[ "$status" -eq 7 ]
	[[ "$output" == *"in-guest "*-amd64* ]]
}

@test "vmtest guests have BPF LSM active and securityfs, cgroup2, bpffs, tracefs mounted" {
	run --separate-stderr "$VMTEST" -- sh -c 'cat /sys/kernel/security/lsm; echo; \
		for t in securityfs cgroup2 bpf tracefs; do grep -q " $t " /proc/mounts && echo "m:$t"; done; \
		touch /usr/kk-overlay-write && echo overlay-writable'
	[ "$status" -eq 0 ]
	[[ "$output" == *",bpf"* ]]
	for t in securityfs cgroup2 bpf tracefs; do [[ "$output" == *"m:$t"* ]]; done
	[[ "$output" == *overlay-writable* ]]
	# The guest's writes land in its tmpfs overlay, never on the host.
	[ ! -e /usr/kk-overlay-write ]
}

@test "vmtest kills a hung guest after --timeout with one clear line (exit 124)" {
	run --separate-stderr "$VMTEST" --timeout 12 -- sleep 600
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"vmtest: guest killed after 12s timeout"* ]]
}
