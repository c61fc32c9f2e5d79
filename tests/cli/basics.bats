#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The command line without a kernel: usage, exit codes and one-line errors.
bats_require_minimum_version 1.5.0
load helpers

@test "--help lists every command and the exit codes" {
	run --separate-stderr "$KK" --help
	[ "$status" -eq 0 ]
	for c in load unload bind events; do
		[[ "$output" == *"  $c "* ]]
	done
	[[ "$output" == *"3 BPF LSM unavailable"* ]]
}

@test "--version prints the version" {
	run --separate-stderr "$KK" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "kakunin-bpf "?* ]]
}

@test "no command is a usage error (exit 2)" {
	run --separate-stderr "$KK"
	[ "$status" -eq 2 ]
	[[ "$stderr" == usage:* ]]
}

@test "an unknown command is a usage error naming it" {
	run --separate-stderr "$KK" frobnicate
	[ "$status" -eq 2 ]
	assert_one_stderr_line "unknown command 'frobnicate'"
}

@test "an unknown global option is a usage error naming it" {
	run --separate-stderr "$KK" --frob load
	[ "$status" -eq 2 ]
	assert_one_stderr_line "unknown option '--frob'"
}

@test "an unknown command option is a usage error naming it" {
	run --separate-stderr "$KK" load --force
	[ "$status" -eq 2 ]
	assert_one_stderr_line "load: unknown option '--force'"
	run --separate-stderr "$KK" events -x
	[ "$status" -eq 2 ]
	assert_one_stderr_line "events: unknown option '-x'"
}

@test "every command has --help (exit 0, usage on stdout)" {
	for c in load unload bind events; do
		run --separate-stderr "$KK" "$c" --help
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: kakunin-bpf $c"* ]]
		[ -z "$stderr" ]
	done
}

@test "unexpected arguments are refused" {
	run --separate-stderr "$KK" load now
	[ "$status" -eq 2 ]
	assert_one_stderr_line "unexpected argument 'now'"
}

@test "commands that touch the kernel need root (exit 1, one line)" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	for c in load unload events; do
		run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$KK" "$c"
		[ "$status" -eq 1 ]
		assert_one_stderr_line "$c: must run as root"
	done
}

@test "the non-root error names exactly the capabilities of the shipped systemd unit" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	local unit caps named
	unit=$BATS_TEST_DIRNAME/../../dist/kakunin-bpf.service
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sort | tr '\n' ' ')
	[ -n "$caps" ]
	# Root in the unit: no AmbientCapabilities= to add, no User= to drop to.
	! grep -Eq '^(AmbientCapabilities|User)=' "$unit"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$KK" load
	[ "$status" -eq 1 ]
	assert_one_stderr_line "load: must run as root (the shipped systemd unit runs it as root with only "
	named=$(printf '%s' "$stderr" | grep -o 'CAP_[A-Z_]*' | sort | tr '\n' ' ')
	[ "$named" = "$caps" ]
}

@test "events --json and --text exclude each other" {
	run --separate-stderr "$KK" events --text --follow --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--json and --text exclude each other"
}

@test "events: usage errors are one text line, or one JSON object with --json" {
	run --separate-stderr "$KK" events --from-ring --socket /x.sock
	[ "$status" -eq 2 ]
	assert_one_stderr_line "events: --from-ring and --socket exclude each other"
	run --separate-stderr "$KK" events --json --bogus
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unknown option '--bogus'"
	run --separate-stderr "$KK" events --json extra
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unexpected argument 'extra'"
}

@test "revoke --kill and --no-stop exclude each other" {
	run --separate-stderr "$KK" revoke --serial 01 --kill --no-stop
	[ "$status" -eq 2 ]
	assert_one_stderr_line "revoke: --kill and --no-stop exclude each other"
}
