#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# unbind, status and rotate without a kernel: every error is one text line on stderr naming what
# and why, or with --json one {"error": {code, errno, what, why}} object on stdout and nothing on
# stderr; exit 1 for failures, 2 for usage errors. (The host has nothing pinned under
# /sys/fs/bpf/kakunin, so the commands that get past their arguments fail as "not loaded".)
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/c"
	sh "$BATS_TEST_DIRNAME/../unit/make-certs.sh" "$BATS_FILE_TMPDIR/c"
}

setup() {
	C=$BATS_FILE_TMPDIR/c
}

@test "unbind and rotate when nothing is loaded: exit 1, one line naming what and why" {
	not_loaded_host
	# (status answers "not loaded" as its result: tests/cli/metrics.bats)
	run --separate-stderr "$KK" unbind --pid "$$"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: unbind: /sys/fs/bpf/kakunin/maps/"
	[[ "$stderr" == *"kakunin-bpf is not loaded"* ]]
	run --separate-stderr "$KK" unbind --serial 0a:0b
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: unbind: /sys/fs/bpf/kakunin/maps/"
	run --separate-stderr "$KK" rotate --serial 0a --cert "$C/leaf.pem" --ca "$C/root.pem"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: rotate: /sys/fs/bpf/kakunin/maps/"
	[[ "$stderr" == *"kakunin-bpf is not loaded"* ]]
	[ -z "$output" ]
}

@test "--json: not loaded is one JSON error object on stdout (ENOENT, the pin, why)" {
	not_loaded_host
	run --separate-stderr "$KK" unbind --json --cgroup /sys/fs/cgroup
	[ "$status" -eq 1 ]
	assert_json_error ENOENT /sys/fs/bpf/kakunin/maps/ "run 'kakunin-bpf load' first"
	run --separate-stderr "$KK" rotate --serial 0a --cert "$C/leaf.pem" --ca "$C/root.pem" --json
	[ "$status" -eq 1 ]
	assert_json_error ENOENT /sys/fs/bpf/kakunin/maps/ "kakunin-bpf is not loaded"
}

@test "rotate refuses a bad certificate before the kernel, under its own name; --json too" {
	run --separate-stderr "$KK" rotate --serial 0a --cert "$C/missing.pem"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: rotate: certificate $C/missing.pem: cannot open: "
	run --separate-stderr "$KK" rotate --json --serial 0a --cert "$C/wrongca.pem" --ca "$C/root.pem"
	[ "$status" -eq 1 ]
	assert_json_error EKEYREJECTED "certificate $C/wrongca.pem" "not signed by a CA in $C/root.pem"
	run --separate-stderr "$KK" rotate --serial 0a --cert "$C/leaf.pem" --issuer "$C/missing.pem" --json
	[ "$status" -eq 1 ]
	assert_json_error ENOENT "--issuer" "certificate $C/missing.pem: cannot open"
}

@test "rotate refuses an expired certificate before the kernel" {
	run --separate-stderr "$KK" rotate --serial 0a --cert "$C/expired.pem" --ca "$C/root.pem"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: rotate: certificate $C/expired.pem: expired on 2020-01-02 00:00:00 UTC"
}

@test "rotate --watch: --cert excludes it; without a kernel it says so and ends at once" {
	run --separate-stderr "$KK" rotate --serial 0a --cert "$C/leaf.pem" --watch "$C/leaf.pem"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: rotate: --cert and --watch exclude each other"
	not_loaded_host
	run --separate-stderr timeout 10 "$KK" rotate --serial 0a --watch "$C/leaf.pem" --ca "$C/root.pem"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: rotate: /sys/fs/bpf/kakunin/maps/"
	[[ "$stderr" == *"kakunin-bpf is not loaded"* ]]
	run --separate-stderr timeout 10 "$KK" rotate --json --serial 0a --watch "$C/leaf.pem"
	[ "$status" -eq 1 ]
	assert_json_error ENOENT /sys/fs/bpf/kakunin/maps/ "kakunin-bpf is not loaded"
}

@test "usage errors exit 2 in one text line, or one JSON object with --json" {
	run --separate-stderr "$KK" unbind
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: unbind: give exactly one of --pid, --cgroup and --serial (see 'kakunin-bpf unbind --help')"
	run --separate-stderr "$KK" unbind --json --pid 1 --serial 0a
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "give exactly one of --pid, --cgroup and --serial"
	run --separate-stderr "$KK" unbind --pid 0x10
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: unbind: --pid '0x10': not a process id (see"
	run --separate-stderr "$KK" rotate --json --serial 0a
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--serial and --cert (or --watch) are required"
	run --separate-stderr "$KK" rotate --serial 0a --cert x.pem --grace -5
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: rotate: --grace '-5': seconds, 0 to 31536000 (see 'kakunin-bpf rotate --help')"
	run --separate-stderr "$KK" status extra --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unexpected argument 'extra'"
	run --separate-stderr "$KK" status --bogus
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: status: unknown option '--bogus' (see 'kakunin-bpf status --help')"
}

@test "an unknown option before --json is a JSON usage error too" {
	run --separate-stderr "$KK" rotate --bogus --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unknown option '--bogus'"
	run --separate-stderr "$KK" unbind --pid
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: unbind: option '--pid' needs a value"
}

@test "a bad serial is a usage error naming the option: unbind and rotate" {
	for s in zz 0x '' ffffffffffffffffffffffffffffffffffffffffff; do
		run --separate-stderr "$KK" unbind --serial "$s"
		[ "$status" -eq 2 ]
		assert_one_stderr_line "kakunin-bpf: unbind: --serial '$s': not a hex serial number (up to 20 bytes)"
		run --separate-stderr "$KK" unbind --serial "$s" --json
		[ "$status" -eq 2 ]
		assert_json_error EINVAL "--serial '$s'" "not a hex serial number"
		run --separate-stderr "$KK" rotate --serial "$s" --cert x.pem --json
		[ "$status" -eq 2 ]
		assert_json_error EINVAL "--serial '$s'" "not a hex serial number"
	done
}

@test "without root the commands say so in one line; --json as an EPERM object" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to drop to another user"
	command -v setpriv >/dev/null || skip "no setpriv"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$KK" unbind --pid 1
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: unbind: must run as root"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$KK" status --json
	[ "$status" -eq 1 ]
	assert_json_error EPERM "" "must run as root"
}
