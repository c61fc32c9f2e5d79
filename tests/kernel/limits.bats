#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 34 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Execution constraints in the kernel: allowed_hours (a window set around the VM's clock),
# rate_limit, max_concurrent_trades; audit mode and "audit": "all".
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
}

teardown_file() {
	kk_unload --force
}

setup() {
	rm -rf /data
	mkdir -p /data/out
	echo x >/data/out/f
	drain_events
}

# A "HH:MM-HH:MM UTC" window starting $1 minutes from now and lasting $2 minutes.
window() {
	local s=$(($(date -u +%s) / 60 + $1)) e
	e=$((s + $2))
	printf '%02d:%02d-%02d:%02d UTC' $((s / 60 % 24)) $((s % 60)) $((e / 60 % 24)) $((e % 60))
}

net='"network_rules": {"allowed_hosts": ["127.0.0.1:8081"]}'
files='"data_access": {"/data/out/*": ["read", "write"], "/usr/*": ["read", "exec"]}'

@test "inside allowed_hours connects and writes are allowed" {
	policy "$BATS_TEST_TMPDIR/in.json" "\"execution_constraints\": {\"allowed_hours\": \"$(window -60 120)\"}, $net, $files"
	try_bound "$BATS_TEST_TMPDIR/in.json" connect tcp 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
	try_bound "$BATS_TEST_TMPDIR/in.json" open /data/out/f wronly
	[ "$output" = ok ]
}

@test "outside allowed_hours connects, writes and execs are denied, reads are not" {
	# Writes to open files stop too, the agent's stdout included: the outcome is in the events
	# ("audit": "all" reports the allowed read).
	policy "$BATS_TEST_TMPDIR/out.json" "\"audit\": \"all\", \"execution_constraints\": {\"allowed_hours\": \"$(window 60 120)\"}, $net, $files"
	try_late "$BATS_TEST_TMPDIR/out.json" connect tcp 127.0.0.1 8081
	[ "$(hook_event "${lines[0]}" socket_connect 'e["decision"], e["reason"]')" = \
		"deny, outside allowed hours" ]
	try_late "$BATS_TEST_TMPDIR/out.json" open /data/out/f wronly
	[ "$(hook_event "${lines[0]}" file_open 'e["decision"], e["reason"]')" = \
		"deny, outside allowed hours" ]
	try_late "$BATS_TEST_TMPDIR/out.json" open /data/out/f
	run events_for_pid "${lines[0]}"
	[[ "$output" == *'"hook":"file_open","action":{"path":"/data/out/f","access":"read"},"decision":"allow"'* ]]
	[[ "$output" == *'"hook":"file_permission","action":{"path":"'*'bound.out","access":"write"},"decision":"deny","reason":"outside allowed hours"'* ]]
	try_late "$BATS_TEST_TMPDIR/out.json" exec /usr/bin/true
	[ "$(hook_event "${lines[0]}" bprm_check_security 'e["decision"], e["reason"]')" = \
		"deny, outside allowed hours" ]
}

@test "an overnight window that contains now allows" {
	policy "$BATS_TEST_TMPDIR/night.json" "\"execution_constraints\": {\"allowed_hours\": \"$(window -720 1380)\"}, $net"
	try_bound "$BATS_TEST_TMPDIR/night.json" connect tcp 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
}

@test "rate_limit spends one token per outbound connection, then EACCES" {
	policy "$BATS_TEST_TMPDIR/rate.json" "\"execution_constraints\": {\"rate_limit\": \"2 trades/hour\"}, $net, $files"
	bound_run "$BATS_TEST_TMPDIR/rate.json" sh -c 'for i in 1 2 3; do "$TRY" connect tcp 127.0.0.1 8081; done'
	[ "$output" = "$(printf 'ECONNREFUSED\nECONNREFUSED\nEACCES')" ]
	run "$KK" events --from-ring --json
	[[ "$output" == *'"reason":"rate limit exceeded"'* ]]
}

@test "max_concurrent_trades counts live sockets and frees them when they close" {
	policy "$BATS_TEST_TMPDIR/conc.json" "\"execution_constraints\": {\"max_concurrent_trades\": 1}, $net, $files"
	bound_run "$BATS_TEST_TMPDIR/conc.json" sh -c '
		"$TRY" hold-connect 127.0.0.1 8081 3 & sleep 1
		"$TRY" connect tcp 127.0.0.1 8081
		wait; "$TRY" connect tcp 127.0.0.1 8081'
	[ "$output" = "$(printf 'ECONNREFUSED\nEACCES\nECONNREFUSED')" ]
	run "$KK" events --from-ring --json
	[[ "$output" == *'"reason":"too many concurrent connections"'* ]]
}

@test "audit mode allows what enforce would deny, and reports it as action.audited" {
	policy "$BATS_TEST_TMPDIR/audit.json" "\"mode\": \"audit\", $files"
	try_bound "$BATS_TEST_TMPDIR/audit.json" --pid open /etc/shadow
	[ "${lines[1]}" = ok ]
	[ "$(event_field "${lines[0]}" 'e["event_type"], e["decision"], e["reason"], e["errno"]')" = \
		"action.audited, audit, path not in scope, EACCES" ]
}

@test "\"audit\": \"all\" also reports allowed actions" {
	policy "$BATS_TEST_TMPDIR/all.json" "\"audit\": \"all\", $files"
	try_bound "$BATS_TEST_TMPDIR/all.json" --pid open /data/out/f
	[ "${lines[1]}" = ok ]
	[ "$(event_field "${lines[0]}" 'e["event_type"], e["decision"], e["action"]["path"], e["errno"]')" = \
		"action.allowed, allow, /data/out/f, None" ]
}
