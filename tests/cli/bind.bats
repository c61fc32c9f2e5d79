#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `kakunin-bpf bind` argument checks, all decided before any kernel access.
bats_require_minimum_version 1.5.0
load helpers

@test "bind without --pid is a usage error" {
	run --separate-stderr "$KK" bind --deny-prefix /data
	[ "$status" -eq 2 ]
	assert_one_stderr_line "bind: --pid is required"
}

@test "bind --pid must be a positive decimal process id" {
	for bad in 0 -1 abc 12x ' 5' 2147483648 ''; do
		run --separate-stderr "$KK" bind --pid "$bad" --deny-prefix /data
		[ "$status" -eq 2 ]
		assert_one_stderr_line "--pid '$bad': not a process id"
	done
}

@test "bind --pid without a value says the option needs one" {
	run --separate-stderr "$KK" bind --pid
	[ "$status" -eq 2 ]
	assert_one_stderr_line "option '--pid' needs a value"
}

@test "bind without --deny-prefix is a usage error" {
	run --separate-stderr "$KK" bind --pid 100
	[ "$status" -eq 2 ]
	assert_one_stderr_line "bind: --deny-prefix is required"
}

@test "bind --deny-prefix must be absolute and normalized" {
	local -A cases=(
		[data]="must be an absolute path"
		[/data/]="must not end with '/'"
		[/data//x]="empty path component"
		[/data/./x]="'.' and '..' components are not allowed"
		[/data/../etc]="'.' and '..' components are not allowed"
	)
	for p in "${!cases[@]}"; do
		run --separate-stderr "$KK" bind --pid 100 --deny-prefix "$p"
		[ "$status" -eq 2 ]
		assert_one_stderr_line "--deny-prefix '$p': ${cases[$p]}"
	done
}

@test "bind --deny-prefix longer than the kernel key is refused with the limit" {
	local long=/$(printf 'a%.0s' $(seq 255))
	run --separate-stderr "$KK" bind --pid 100 --deny-prefix "$long"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "longer than 255 bytes"
}

@test "bind refuses PID 1" {
	run --separate-stderr "$KK" bind --pid 1 --deny-prefix /data
	[ "$status" -eq 1 ]
	assert_one_stderr_line "PID 1 cannot be bound"
}

@test "bind refuses its own parent" {
	# bats runs the binary from this shell: $$ of `sh -c` is the parent of kakunin-bpf.
	run --separate-stderr sh -c 'exec "$0" bind --pid $$ --deny-prefix /data' "$KK"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "is kakunin-bpf itself or its parent"
}

@test "bind refuses a PID that does not exist" {
	local pid=2147483000
	run --separate-stderr "$KK" bind --pid "$pid" --deny-prefix /data
	[ "$status" -eq 1 ]
	assert_one_stderr_line "PID $pid: no such process"
}

@test "bind refuses a kernel thread" {
	local kt
	kt=$(pgrep -x kthreadd || true)
	[ -n "$kt" ] || skip "no kthreadd visible in this PID namespace"
	run --separate-stderr "$KK" bind --pid "$kt" --deny-prefix /data
	[ "$status" -eq 1 ]
	assert_one_stderr_line "is a kernel thread"
}
