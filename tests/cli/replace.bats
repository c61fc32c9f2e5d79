#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `kakunin-bpf bind --replace` and `--watch` without a kernel: the argument checks (exit 2), and
# a policy or certificate refused in one line before any kernel access (tests/kernel/replace.bats
# has the replace itself).
bats_require_minimum_version 1.5.0
load helpers

POL=$BATS_TEST_DIRNAME/../../policies/trading-bot.json

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/c"
	sh "$BATS_TEST_DIRNAME/../unit/make-certs.sh" "$BATS_FILE_TMPDIR/c"
}

setup() {
	C=$BATS_FILE_TMPDIR/c
	sleep 300 &
	TARGET=$!
}

teardown() {
	kill "$TARGET" 2>/dev/null || true
}

replace_() {
	run --separate-stderr "$KK" bind --replace --offline --region eu-west-1 "$@"
}

@test "bind --replace needs a target and --policy, not --cert (usage errors, exit 2)" {
	replace_ --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: bind: --pid or --cgroup is required"
	replace_ --pid "$TARGET"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: bind: --policy is required"
	replace_ --pid "$TARGET" --cgroup /sys/fs/cgroup --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "--pid and --cgroup exclude each other"
	replace_ --pid 0 --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "--pid '0': not a process id"
	replace_ --pid "$TARGET" --policy "$POL" extra
	[ "$status" -eq 2 ]
	assert_one_stderr_line "unexpected argument 'extra'"
	# Without --replace, --cert is still required.
	run --separate-stderr "$KK" bind --pid "$TARGET" --policy "$POL" --watch
	[ "$status" -eq 2 ]
	assert_one_stderr_line "bind: --cert is required"
}

@test "bind --replace --tree is a usage error: the binding's processes all get the policy" {
	replace_ --pid "$TARGET" --tree --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: bind: --tree and --replace exclude each other"
}

@test "bind --replace usage errors as JSON with --json" {
	replace_ --pid "$TARGET" --tree --policy "$POL" --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--tree and --replace exclude each other"
	replace_ --policy "$POL" --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--pid or --cgroup is required"
}

@test "bind --replace --cert: a broken policy is refused as FILE:LINE:COL, before the kernel" {
	printf '{"agent_id": "trading_bot_v2", "version": "1", "mode": "x"}' >"$BATS_TEST_TMPDIR/bad.json"
	replace_ --pid "$TARGET" --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$BATS_TEST_TMPDIR/bad.json:1:56: mode: must be \"enforce\" or \"audit\"" ]
	replace_ --pid "$TARGET" --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/bad.json" --json
	[ "$status" -eq 1 ]
	python3 - "$output" <<'PY'
import json, sys
e = json.loads(sys.argv[1])["error"]
assert e["errno"] == "EINVAL" and e["errors"][0]["line"] == 1, e
PY
}

@test "bind --replace --cert: a certificate for another agent is refused before the kernel" {
	replace_ --pid "$TARGET" --cert "$C/missing.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: certificate $C/missing.pem"
	replace_ --pid "$TARGET" --cert "$C/cnother.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "trading_bot_v2"
}

@test "bind --replace without a loaded kakunin-bpf says so in one line" {
	not_loaded_host
	replace_ --pid "$TARGET" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf is not loaded"
	replace_ --pid "$TARGET" --policy "$POL" --json
	[ "$status" -eq 1 ]
	assert_json_error ENOENT "" "not loaded"
}

@test "bind --help documents --replace and --watch" {
	run "$KK" bind --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"kakunin-bpf bind --replace (--pid PID | --cgroup PATH) --policy FILE"* ]]
	[[ "$output" == *"--watch makes the daemon follow FILE"* ]]
}
