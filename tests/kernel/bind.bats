#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 40 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Bindings in a real kernel: bind, status, unbind, agent.* events, inheritance, refusals, and a
# binding whose kernel entry is unusable failing closed.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"data_access": {"/usr/*": ["read", "exec"], "/data/*": ["read"]}'
	export P
}

teardown_file() {
	kk_unload --force
}

setup() {
	mkdir -p /data && echo d >/data/f
	drain_events
}

@test "bind reports the agent and emits agent.bound with the identity" {
	sleep 30 &
	local pid=$!
	run --separate-stderr "$KK" bind --pid "$pid" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline
	[ "$status" -eq 0 ]
	[[ "$output" == "kakunin-bpf: bound PID $pid as agent agent (serial $(serial_of "$PKI/agent.pem"), binding "* ]]
	run "$KK" events --from-ring --json
	python3 - "$output" "$pid" "$(serial_of "$PKI/agent.pem")" <<'PY'
import json, sys
ev = [json.loads(l) for l in sys.argv[1].splitlines()]
b = [e for e in ev if e["event_type"] == "agent.bound"]
assert len(b) == 1, ev
e = b[0]
assert e["pid"] == int(sys.argv[2]) and e["agent_id"] == "agent", e
assert e["agent_cert_serial"] == sys.argv[3] and e["policy_version"] == "t1", e
PY
	"$KK" unbind --pid "$pid"
	kill "$pid"
}

# reads_decided: the binding's file_permission "allowed" count (reads decided on their path).
reads_decided() {
	"$KK" status --json | python3 -c '
import json, sys
b = [b for b in json.load(sys.stdin)["bindings"] if int(sys.argv[1]) in b["pids"]]
assert len(b) == 1, b
print(b[0]["hooks"].get("file_permission", {}).get("allowed", 0))' "$1"
}

@test "a descriptor's reads are decided once: an inherited one at its first read, an own one at its open" {
	printf 'l\n%.0s' $(seq 60) >/data/lines
	exec 5</data/lines
	# Each phase ends with the process stopping itself, so the count is read between phases:
	# 25 reads of the inherited fd 5, 25 more, then 25 of a file it opens (read(2) per byte).
	bound_start "$P" sh -c 'kill -STOP $$
		r() { i=0; while [ $i -lt 25 ]; do read -r l <&$1; i=$((i + 1)); done; }
		r 5; kill -STOP $$; r 5; kill -STOP $$; exec 6</data/lines; r 6; kill -STOP $$
		echo "read: $l"' 3>&-
	exec 5<&-
	local c
	for c in 0 1 2 3; do
		wait_stopped "$BOUND_PID"
		n[$c]=$(reads_decided "$BOUND_PID")
		kill -CONT "$BOUND_PID"
	done
	bound_wait
	[ "$status" -eq 0 ]
	[ "$output" = "read: l" ]
	# The first read of fd 5 was decided on its path, and marked (kk_files): the 99 after it
	# and the 50 through fd 6, marked at its open, were not decided again.
	[ "${n[1]}" -eq $((n[0] + 1)) ]
	[ "${n[2]}" -eq "${n[1]}" ]
	[ "${n[3]}" -eq "${n[2]}" ]
}

@test "status lists the binding with its pids, state and counters; --json too" {
	bound_start "$P" sh -c '"$TRY" open /etc/shadow; "$TRY" open /data/f; exec sleep 60'
	sleep 1
	run --separate-stderr "$KK" status --json
	[ "$status" -eq 0 ]
	python3 - "$output" "$BOUND_PID" "$(lsm_programs)" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert s["loaded"] is True and s["programs"] == int(sys.argv[3]), s
b = [b for b in s["bindings"] if int(sys.argv[2]) in b["pids"]]
assert len(b) == 1, s
b = b[0]
assert b["agent_id"] == "agent" and b["state"] == "active" and b["mode"] == "enforce", b
assert b["policy_version"] == "t1" and len(b["policy_hash"]) == 64, b
assert b["hooks"]["file_open"]["denied"] >= 1 and b["hooks"]["file_open"]["allowed"] >= 1, b
assert b["denied"] >= 1 and b["allowed"] >= 2, b
assert set(s["counters"]) >= {"events_lost", "path_unresolved", "binding_invalid", "denied"}
PY
	run --separate-stderr "$KK" status
	[ "$status" -eq 0 ]
	[[ "$output" == *"agent"*"active"*"enforce"*"t1"*"$BOUND_PID"* ]]
	"$KK" unbind --pid "$BOUND_PID"
	kill "$BOUND_PID"
	bound_wait
}

@test "a second bind of a bound process is refused; unbind frees it and emits agent.unbound" {
	bound_start "$P" sh -c 'sleep 2; "$TRY" open /etc/shadow'
	run --separate-stderr "$KK" bind --pid "$BOUND_PID" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: bind: PID $BOUND_PID is already bound (binding $BOUND_SLOT)" ]
	run --separate-stderr "$KK" unbind --pid "$BOUND_PID"
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: unbound binding $BOUND_SLOT (PID $BOUND_PID)" ]
	bound_wait
	[ "$output" = ok ]
	run "$KK" events --from-ring --json
	[[ "$output" == *'"event_type":"agent.unbound","agent_id":"agent"'*'"reason":"unbind"'* ]]
	run --separate-stderr "$KK" unbind --pid "$BOUND_PID"
	[ "$status" -eq 1 ]
}

@test "unbind --serial ends every binding of that certificate" {
	bound_start "$P" sleep 30
	local a=$BOUND_PID
	bound_start "$P" sleep 30
	local b=$BOUND_PID
	run --separate-stderr "$KK" unbind --serial "$(serial_of "$PKI/agent.pem" | sed 's/../&:/g; s/:$//')"
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: unbound 2 bindings of serial $(serial_of "$PKI/agent.pem")" ]
	run "$KK" status --json
	[[ "$output" == *'"bindings":[]'* ]]
	kill "$a" "$b"
}

@test "two agents with different certificates are bound independently" {
	policy "$BATS_TEST_TMPDIR/o.json" '"data_access": {"/usr/*": ["read", "exec"]}'
	sed -i 's/"agent_id": "agent"/"agent_id": "other"/' "$BATS_TEST_TMPDIR/o.json"
	KK_CERT=$PKI/other.pem try_bound "$BATS_TEST_TMPDIR/o.json" --pid open /data/f
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["agent_id"]')" = other ]
	try_bound "$P" open /data/f
	[ "$output" = ok ]
}

@test "a bound task whose binding entry is unusable is denied everything (fail closed)" {
	sh -c 'kill -STOP $$; read -r l </data/f || echo denied' >"$BATS_TEST_TMPDIR/o" 2>&1 &
	local pid=$!
	wait_stopped "$pid"
	"$KK" bind --pid "$pid" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline >/dev/null
	slot=$("$KK" status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print([b["binding"] for b in s["bindings"] if '"$pid"' in b["pids"]][0])')
	# Clear in_use (bytes 4-7) of the binding entry, keeping its generation.
	val=$(bpftool -j map lookup pinned /sys/fs/bpf/kakunin/maps/kk_bindings key $slot 0 0 0 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; v[4:8]=["0x00"]*4; print(" ".join(str(int(x,16)) for x in v))')
	bpftool map update pinned /sys/fs/bpf/kakunin/maps/kk_bindings key $slot 0 0 0 value $val
	kill -CONT "$pid"
	wait "$pid" || true
	# Even its error message cannot be written: writes to open files are refused as well.
	[ ! -s "$BATS_TEST_TMPDIR/o" ]
	run events_for_pid "$pid"
	[[ "$output" == *'"hook":"file_open","action":{"path":"/data/f","access":"read"},"decision":"deny","reason":"binding unusable (fail closed)"'* ]]
	[[ "$output" == *'"hook":"file_permission","action":{"path":"'*'/o","access":"write"},"decision":"deny","reason":"binding unusable (fail closed)"'* ]]
}

# The kk_net_listen entries as "POLICY PREFIXLEN ADDRESS PORTS" lines (IPv4-mapped addresses in
# IPv4 form, ports "any" or a,b,...).
listen_entries() {
	bpftool -j map dump pinned /sys/fs/bpf/kakunin/maps/kk_net_listen | python3 -c '
import ipaddress, json, struct, sys
for e in json.load(sys.stdin):
    k = bytes(int(x, 16) for x in e["key"])
    v = bytes(int(x, 16) for x in e["value"])
    plen, pol = struct.unpack("<II", k[:8])
    ports = "any" if v[0] else ",".join(str(p) for p in struct.unpack("<16H", v[4:36])[:v[1]])
    a = ipaddress.IPv6Address(k[8:24])
    print(pol, plen, a.ipv4_mapped or a, ports)'
}

@test "listen rules are in kk_net_listen under the policy's slot while it is bound, and gone after" {
	policy "$BATS_TEST_TMPDIR/l.json" '"network_rules": {"listen": ["7777", "192.0.2.77:7778", "[2001:db8::77]"]}'
	sleep 30 &
	local pid=$!
	"$KK" bind --pid "$pid" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$BATS_TEST_TMPDIR/l.json" --offline >/dev/null
	run listen_entries
	[ "$status" -eq 0 ]
	local pol
	pol=$(echo "$output" | awk '$2 == 32 && $4 == "7777" { print $1 }')
	[ -n "$pol" ]
	[ "$(echo "$output" | awk -v p="$pol" '$1 == p' | LC_ALL=C sort)" = "$pol 160 192.0.2.77 7778,7777
$pol 160 2001:db8::77 any
$pol 32 :: 7777" ]
	"$KK" unbind --pid "$pid"
	run listen_entries
	[ "$status" -eq 0 ]
	[ -z "$(echo "$output" | awk -v p="$pol" '$1 == p')" ]
	kill "$pid"
}
