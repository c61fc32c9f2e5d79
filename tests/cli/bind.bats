#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `kakunin-bpf bind`: argument checks, and every bad certificate or policy refused in one line
# before any kernel access (certificates made by tests/unit/make-certs.sh with the openssl CLI).
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

bind_() {
	run --separate-stderr "$KK" bind --offline --region eu-west-1 "$@"
}

@test "bind needs --pid, --cert and --policy (usage errors, exit 2)" {
	bind_ --cert "$C/leaf.pem" --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "bind: --pid or --cgroup is required"
	bind_ --pid "$TARGET" --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "bind: --cert is required"
	bind_ --pid "$TARGET" --cert "$C/leaf.pem"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "bind: --policy is required"
	bind_ --pid --cert x
	[ "$status" -eq 2 ]
}

@test "bind --pid must be a positive decimal process id" {
	for bad in 0 -1 abc 12x ' 5' 2147483648 ''; do
		bind_ --pid "$bad" --cert "$C/leaf.pem" --policy "$POL"
		[ "$status" -eq 2 ]
		assert_one_stderr_line "--pid '$bad': not a process id"
	done
}

@test "a certificate that cannot be read or parsed is refused in one line" {
	bind_ --pid "$TARGET" --cert "$C/missing.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: certificate $C/missing.pem"
	bind_ --pid "$TARGET" --cert "$C/garbled.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: certificate $C/garbled.pem"
}

@test "an expired, not yet valid, or foreign certificate is refused" {
	bind_ --pid "$TARGET" --cert "$C/expired.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "expired"
	bind_ --pid "$TARGET" --cert "$C/future.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "not valid before"
	bind_ --pid "$TARGET" --cert "$C/wrongca.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: certificate $C/wrongca.pem"
}

@test "a certificate for another agent is refused (CN or SAN URI must be the agent_id)" {
	bind_ --pid "$TARGET" --cert "$C/cnother.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "does not match the policy's agent_id \"trading_bot_v2\""
}

@test "a SAN URI names the agent only whole: CN=wrong_bot with .../sa/trading_bot_v2 is refused" {
	bind_ --pid "$TARGET" --cert "$C/wrongbot.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: certificate CN \"wrong_bot\" (and SAN URIs \"spiffe://example.org/ns/dev/sa/trading_bot_v2\") does not match the policy's agent_id \"trading_bot_v2\" (a SAN URI matches only whole: set the policy's spiffe_id)"
}

@test "with spiffe_id, a SAN URI must equal it and the CN is not enough" {
	python3 - "$POL" "$BATS_TEST_TMPDIR/prod.json" spiffe://example.org/ns/prod/sa/trading_bot_v2 <<'PY'
import json, re, sys
text = re.sub(r"//[^\n]*", "", open(sys.argv[1]).read())
p = json.loads(text); p["spiffe_id"] = sys.argv[3]
json.dump(p, open(sys.argv[2], "w"))
PY
	bind_ --pid "$TARGET" --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/prod.json"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: certificate has no SAN URI to match the policy's spiffe_id \"spiffe://example.org/ns/prod/sa/trading_bot_v2\" (its CN does not count when spiffe_id is set)"
	bind_ --pid "$TARGET" --cert "$C/wrongbot.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/prod.json"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: certificate SAN URI \"spiffe://example.org/ns/dev/sa/trading_bot_v2\" does not match the policy's spiffe_id \"spiffe://example.org/ns/prod/sa/trading_bot_v2\""
}

@test "a certificate pinning another policy hash is refused" {
	sed 's/"version": "1.0.0"/"version": "1.0.1"/' "$POL" >"$BATS_TEST_TMPDIR/other.json"
	bind_ --pid "$TARGET" --cert "$C/pinned.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/other.json"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: bind: "
	[[ "$stderr" == *"506bd317137ff267a6ec7e1adf5c42bad512dcbcb3ba600dfd29ae017ae5f9cf"* ]]
}

@test "policy errors are reported as FILE:LINE:COL lines and nothing is bound" {
	printf '{"agent_id": "trading_bot_v2", "version": "1", "mode": "x"}' >"$BATS_TEST_TMPDIR/bad.json"
	bind_ --pid "$TARGET" --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
	[ "$stderr" = "$BATS_TEST_TMPDIR/bad.json:1:56: mode: must be \"enforce\" or \"audit\"" ]
}

@test "with a good certificate and policy: PID 1, our parent and missing PIDs are refused" {
	bind_ --pid 1 --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "PID 1 cannot be bound"
	run --separate-stderr sh -c 'exec "$0" bind --offline --region eu-west-1 --pid $$ --cert "$1" --ca "$2" --policy "$3"' \
		"$KK" "$C/leaf.pem" "$C/root.pem" "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "is kakunin-bpf itself or its parent"
	bind_ --pid 2147483000 --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "PID 2147483000: no such process"
}

@test "bind refuses a kernel thread" {
	local kt
	kt=$(pgrep -x kthreadd || true)
	[ -n "$kt" ] || skip "no kthreadd visible in this PID namespace"
	bind_ --pid "$kt" --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "is a kernel thread"
}

@test "a pinned certificate with its own policy gets as far as the kernel" {
	[ -e /sys/fs/bpf/kakunin ] && skip "kakunin-bpf is loaded on this host"
	bind_ --pid "$TARGET" --cert "$C/pinned.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf is not loaded"
}

@test "allowed_regions: the host's region must be known and listed" {
	run --separate-stderr "$KK" bind --offline --pid "$TARGET" --cert "$C/pinned.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "the policy allows only the regions eu-west-1, and this host's region is unknown"
	[[ "$stderr" == *"pass --region, set KAKUNIN_REGION or write /etc/kakunin/host.json" ]]
	bind_ --region us-east-1 --pid "$TARGET" --cert "$C/pinned.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "this host's region \"us-east-1\" is not in the policy's allowed_regions (eu-west-1)"
	KAKUNIN_REGION=ap-south-1 run --separate-stderr "$KK" bind --offline --pid "$TARGET" --cert "$C/pinned.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "region \"ap-south-1\" is not in"
}

@test "--pid and --cgroup exclude each other; --tree needs --pid" {
	bind_ --pid "$TARGET" --cgroup /sys/fs/cgroup --cert "$C/leaf.pem" --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "--pid and --cgroup exclude each other"
	bind_ --tree --cgroup /sys/fs/cgroup --cert "$C/leaf.pem" --policy "$POL"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "--tree goes with --pid"
}

@test "bind --cgroup of something that is not a cgroup v2 directory is refused" {
	bind_ --cgroup /etc --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$POL"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "cgroup /etc: not a cgroup v2 directory"
}
