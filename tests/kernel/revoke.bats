#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Revocation in a real kernel: what an agent holds open stops working, --kill, binds refused,
# persistence across unload/load, the in-kernel tripwire, --issuer.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	export KAKUNIN_STATE_DIR=$BATS_FILE_TMPDIR/state
	"$KK" load
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"exec": ["/usr/bin/python3", "/usr/bin/dash", "/usr/bin/sleep"],
		"data_access": {"/data/*": ["read", "write"]},
		"network_rules": {"allowed_hosts": ["127.0.0.1:9999"]}'
	export P
}

teardown_file() {
	"$KK" unload --force
}

setup() {
	rm -rf /data && mkdir -p /data && echo d >/data/f
	drain_events
}

@test "after revoke returns, reads and writes on open files and sockets fail, and new opens" {
	local cert
	cert=$(fresh_cert)
	# Exit status bits: what failed with EACCES after the revocation.
	KK_CERT=$cert bound_start "$P" python3 -c '
import errno, os, socket, sys, time
f = open("/data/f", "r+"); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.0.1", 9999))
open("/data/ready", "w").close()
while not os.path.exists("/data/go"): time.sleep(0.02)
bits = 0
for i, op in enumerate([lambda: f.read(), lambda: (f.seek(0), f.write("x"), f.flush()), lambda: s.send(b"x"), lambda: s.recv(1, socket.MSG_DONTWAIT), lambda: open("/data/f")]):
    try: op()
    except OSError as e:
        if e.errno == errno.EACCES: bits |= 1 << i
sys.exit(bits)'
	for i in $(seq 100); do [ -e /data/ready ] && break; sleep 0.05; done
	run --separate-stderr "$KK" revoke --serial "$(serial_of "$cert")" --reason "key compromise"
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: revoked serial $(serial_of "$cert") (any issuer): 1 binding" ]
	touch /data/go
	bound_wait
	[ "$status" -eq 31 ]
	run "$KK" events --json
	[[ "$output" == *'"event_type":"agent.revoked","agent_id":"agent","agent_cert_serial":"'"$(serial_of "$cert")"'"'*'"reason":"key compromise"'* ]]
	[[ "$output" == *'"decision":"deny","reason":"certificate revoked","errno":"EACCES"'* ]]
}

@test "revoke --kill terminates the bound tasks" {
	local cert
	cert=$(fresh_cert)
	KK_CERT=$cert bound_start "$P" sleep 60
	run --separate-stderr "$KK" revoke --serial "$(serial_of "$cert")" --kill
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 binding, tasks killed" ]]
	bound_wait
	[ "$status" -eq 137 ]
}

@test "a revoked certificate cannot be bound again, also after unload and load" {
	local cert
	cert=$(fresh_cert)
	"$KK" revoke --serial "$(serial_of "$cert")" --reason stolen
	sleep 30 &
	local pid=$!
	run --separate-stderr "$KK" bind --pid "$pid" --cert "$cert" --ca "$PKI/ca.pem" --policy "$P" --offline
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: bind: certificate serial $(serial_of "$cert") is revoked (stolen)" ]
	"$KK" unload --force
	[ -s "$KAKUNIN_STATE_DIR/revocations.json" ]
	"$KK" load
	run --separate-stderr "$KK" bind --pid "$pid" --cert "$cert" --ca "$PKI/ca.pem" --policy "$P" --offline
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"is revoked (stolen)" ]]
	kill "$pid"
}

@test "--issuer limits the revocation to that CA's certificate" {
	local cert other
	cert=$(fresh_cert)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=another CA" -keyout "$BATS_TEST_TMPDIR/o.key" -out "$BATS_TEST_TMPDIR/o.pem" 2>/dev/null
	"$KK" revoke --serial "$(serial_of "$cert")" --issuer "$BATS_TEST_TMPDIR/o.pem"
	KK_CERT=$cert try_bound "$P" open /data/f
	[ "$output" = ok ]
	"$KK" revoke --serial "$(serial_of "$cert")" --issuer "$PKI/ca.pem"
	KK_CERT=$cert bound_start "$P" "$TRY" open /data/f || true
	run --separate-stderr "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$cert")"'"'* ]]
}

@test "the tripwire revokes in the kernel after max_denials denials" {
	local cert
	cert=$(fresh_cert)
	policy "$BATS_TEST_TMPDIR/t.json" '"exec": ["/usr/bin/dash"], "data_access": {"/data/*": ["read"]},
		"auto_revoke": {"max_denials": 3, "window_seconds": 60}'
	KK_CERT=$cert bound_run "$BATS_TEST_TMPDIR/t.json" sh -c 'for i in 1 2 3; do "$TRY" open /etc/shadow; done; "$TRY" open /data/f; "$TRY" open /data/f'
	# The third denial revokes at once: that kk-try cannot even write its answer any more.
	[ "$output" = "$(printf 'EACCES\nEACCES')" ]
	run "$KK" events --json
	[[ "$output" == *'"event_type":"agent.revoked"'*'"reason":"auto_revoke"'* ]]
	[[ "$output" == *'"reason":"certificate revoked"'* ]]
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$cert")"'","revoked_at":'*'"source":"auto_revoke"'* ]]
}

@test "rotate moves a binding to a new certificate and revokes the old one" {
	local a b
	a=$(fresh_cert); mv "$a" "$BATS_TEST_TMPDIR/old.pem"; a=$BATS_TEST_TMPDIR/old.pem
	b=$(fresh_cert)
	KK_CERT=$a bound_start "$P" sh -c 'sleep 2; "$TRY" open /data/f'
	run --separate-stderr "$KK" rotate --serial "$(serial_of "$a")" --cert "$b" --ca "$PKI/ca.pem"
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: rotated 1 binding from serial $(serial_of "$a") to $(serial_of "$b"); old certificate revoked" ]
	bound_wait
	[ "$output" = ok ] # the agent goes on, under the new identity
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$a")"'","revoked_at":'*'"source":"rotation"'* ]]
	run "$KK" events --json
	[[ "$output" == *'"event_type":"agent.bound","agent_id":"agent","agent_cert_serial":"'"$(serial_of "$b")"'"'*'"reason":"rotated"'* ]]
}

@test "rotate with a grace period: the daemon revokes the old certificate when it ends" {
	local a b
	a=$(fresh_cert); mv "$a" "$BATS_TEST_TMPDIR/old.pem"; a=$BATS_TEST_TMPDIR/old.pem
	b=$(fresh_cert)
	KK_CERT=$a bound_start "$P" sleep 30
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"}\n' "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/d.json"
	"$KK" daemon --config "$BATS_TEST_TMPDIR/d.json" 2>/dev/null &
	local dpid=$!
	run --separate-stderr "$KK" rotate --serial "$(serial_of "$a")" --cert "$b" --ca "$PKI/ca.pem" --grace 2
	[ "$status" -eq 0 ]
	[[ "$output" == *"revoked when the grace period ends" ]]
	run "$KK" status --json
	[[ "$output" != *'"serial":"'"$(serial_of "$a")"'","revoked_at"'* ]]
	sleep 4
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$a")"'","revoked_at":'*'"source":"rotation"'* ]]
	kill "$dpid" "$BOUND_PID"
}

@test "rotate refuses a certificate for another agent" {
	local a
	a=$(fresh_cert)
	KK_CERT=$a bound_start "$P" sleep 30
	run --separate-stderr "$KK" rotate --serial "$(serial_of "$a")" --cert "$PKI/other.pem" --ca "$PKI/ca.pem"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: rotate: binding "*" (agent agent): "*"does not match the policy's agent_id \"agent\""* ]]
	kill "$BOUND_PID"
}
