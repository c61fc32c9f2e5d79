#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 135 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Revocation in a real kernel: what an agent holds open stops working, its processes stopped
# (or killed, or with --no-stop left running), binds refused, persistence across unload/load,
# the in-kernel tripwire (and the daemon stopping its agent), --issuer, revocation through the
# daemon's control socket (and a bound task refused there).
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
	kk_unload --force
}

setup() {
	rm -rf /data && mkdir -p /data && echo d >/data/f
	drain_events
}

teardown() {
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
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
	# --no-stop: the agent runs on, to show that each of its next calls is refused.
	run --separate-stderr "$KK" revoke --serial "$(serial_of "$cert")" --reason "key compromise" --no-stop
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: revoked serial $(serial_of "$cert") (any issuer): 1 binding" ]
	touch /data/go
	bound_wait
	[ "$status" -eq 31 ]
	run "$KK" events --from-ring --json
	[[ "$output" == *'"event_type":"agent.revoked","agent_id":"agent","agent_cert_serial":"'"$(serial_of "$cert")"'"'*'"reason":"key compromise"'* ]]
	[[ "$output" == *'"decision":"deny","reason":"certificate revoked","errno":"EACCES"'* ]]
}

@test "revoke --kill terminates the bound tasks" {
	local cert
	cert=$(fresh_cert)
	KK_CERT=$cert bound_start "$P" sleep 60
	run --separate-stderr "$KK" revoke --serial "$(serial_of "$cert")" --kill
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: revoked serial $(serial_of "$cert") (any issuer): 1 binding, 1 task killed" ]
	bound_wait
	[ "$status" -eq 137 ]
}

# children_of PID N: until PID has N children (at most 10 s); prints them.
children_of() {
	local i
	for i in $(seq 200); do
		[ "$(pgrep -P "$1" | wc -l)" -eq "$2" ] && { pgrep -P "$1"; return 0; }
		sleep 0.05
	done
	return 1
}

@test "revoke stops every process of the certificate: nothing moves through a shared mapping; --kill ends them" {
	local cert serial kids k
	cert=$(fresh_cert)
	serial=$(serial_of "$cert")
	echo original >/data/m
	# Two children, one of which holds /data/m mapped shared and writes through it 5 s after
	# it is ready: stores through a mapping pass no hook, only a stopped task makes none.
	KK_CERT=$cert bound_start "$P" sh -c 'sleep 60 & python3 -c "
import mmap, os, time
f = open(\"/data/m\", \"r+b\"); m = mmap.mmap(f.fileno(), 0)
open(\"/data/ready\", \"w\").close(); time.sleep(5); m[:4] = b\"LEAK\"; m.flush()" & wait'
	kids=$(children_of "$BOUND_PID" 2)
	for i in $(seq 200); do [ -e /data/ready ] && break; sleep 0.05; done
	run --separate-stderr "$KK" revoke --serial "$serial"
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: revoked serial $serial (any issuer): 1 binding, 3 tasks stopped" ]
	[ -z "$stderr" ] # stopped: no mapping warning
	wait_stopped "$BOUND_PID"
	for k in $kids; do wait_stopped "$k"; done
	sleep 6
	[ "$(cat /data/m)" = original ]
	run --separate-stderr "$KK" revoke --serial "$serial" --kill
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: revoked serial $serial (any issuer): 1 binding, 3 tasks killed" ]
	bound_wait
	[ "$status" -eq 137 ]
	sleep 0.5
	for k in $kids; do ! kill -0 "$k" 2>/dev/null; done
	[ "$(cat /data/m)" = original ]
}

@test "a revoked certificate cannot be bound again, also after unload and load" {
	local cert
	cert=$(fresh_cert)
	"$KK" revoke --serial "$(serial_of "$cert")" --reason stolen
	sleep 300 & # outlives an unload and a load (each ~15 s under emulation); killed below
	local pid=$!
	run --separate-stderr "$KK" bind --pid "$pid" --cert "$cert" --ca "$PKI/ca.pem" --policy "$P" --offline
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: bind: certificate serial $(serial_of "$cert") is revoked (stolen)" ]
	kk_unload --force
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
	run "$KK" events --from-ring --json
	[[ "$output" == *'"event_type":"agent.revoked"'*'"reason":"auto_revoke"'* ]]
	[[ "$output" == *'"reason":"certificate revoked"'* ]]
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$cert")"'","revoked_at":'*'"source":"auto_revoke"'* ]]
}

@test "the daemon, with the systemd unit's capabilities only, stops an agent of another user that the tripwire revoked" {
	local cert serial D=$BATS_TEST_TMPDIR pid kid slot
	cert=$(fresh_cert)
	serial=$(serial_of "$cert")
	echo secret >/var/tmp/kk-out # readable by anyone, outside the policy
	chmod 644 /var/tmp/kk-out
	policy "$D/t.json" '"exec": ["/usr/bin/dash", "/usr/bin/sleep"], "data_access": {"/data/*": ["read"]},
		"auto_revoke": {"max_denials": 3, "window_seconds": 60}'
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"}\n' "$D" "$D" >"$D/daemon.json"
	# As dist/kakunin-bpf.service runs it: no_new_privs, CapabilityBoundingSet= of the unit.
	setpriv --no-new-privs --bounding-set=-all,+bpf,+perfmon,+dac_read_search,+kill \
		"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" 3>&- &
	DPID=$!
	for i in $(seq 100); do [ -S "$D/ev.sock" ] && break; sleep 0.05; done
	# The agent runs as nobody: bound while stopped, it starts a sleep and stops again until
	# that runs; then its third denied open revokes it in the kernel and it waits on its sleep
	# (no hook there) until the daemon stops them both.
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'kill -STOP $$; sleep 60 & kill -STOP $$
		for i in 1 2 3; do read -r l 2>/dev/null </var/tmp/kk-out; done; wait' </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	wait_stopped "$pid"
	slot=$("$KK" bind --pid "$pid" --cert "$cert" --ca "$PKI/ca.pem" --policy "$D/t.json" --offline |
		sed -n 's/.*binding \([0-9]*\),.*/\1/p')
	kill -CONT "$pid"
	kid=$(children_of "$pid" 1)
	for i in $(seq 200); do [ "$(cat "/proc/$kid/comm")" = sleep ] && break; sleep 0.05; done
	wait_stopped "$pid"
	kill -CONT "$pid"
	for i in $(seq 200); do grep -q auto_revoke "$D/daemon.out" && break; sleep 0.05; done
	[ "$(grep auto_revoke "$D/daemon.out")" = "kakunin-bpf: daemon: auto_revoke of agent agent (binding $slot, serial $serial): 2 tasks stopped" ]
	wait_stopped "$pid"
	wait_stopped "$kid"
	kill -9 "$pid" "$kid"
	rm -f /var/tmp/kk-out
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
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
	run "$KK" events --from-ring --json
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

@test "rotate refuses to move a revoked binding: the move would lift the revocation" {
	local a b
	a=$(fresh_cert); mv "$a" "$BATS_TEST_TMPDIR/old.pem"; a=$BATS_TEST_TMPDIR/old.pem
	b=$(fresh_cert)
	KK_CERT=$a bound_start "$P" sleep 30
	"$KK" revoke --serial "$(serial_of "$a")" --no-stop >/dev/null
	run --separate-stderr "$KK" rotate --serial "$(serial_of "$a")" --cert "$b" --ca "$PKI/ca.pem"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: rotate: binding $BOUND_SLOT (agent agent): certificate serial $(serial_of "$a") is revoked" ]
	[ -z "$output" ]
	run "$KK" status --json
	python3 - "$output" "$BOUND_SLOT" "$(serial_of "$a")" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
b = [b for b in s["bindings"] if b["binding"] == int(sys.argv[2])]
assert len(b) == 1 and b[0]["serial"] == sys.argv[3] and b[0]["state"] == "revoked", s
PY
	kill "$BOUND_PID"
}

# ctl SOCKET JSON: one revoke request {"revoke": JSON} on the daemon's control socket; prints
# the answer line. Run by a bound process too, so python3 (which the policies let run).
CTL='import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall((json.dumps({"revoke": json.loads(sys.argv[2])}) + "\n").encode())
print(s.makefile().readline().strip())'

# daemon_start: the daemon with its sockets in $BATS_TEST_TMPDIR (control.sock among them).
daemon_start() {
	local D=$BATS_TEST_TMPDIR i
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"}\n' "$D" "$D" >"$D/daemon.json"
	"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" 3>&- &
	DPID=$!
	for i in $(seq 200); do [ -S "$D/control.sock" ] && return 0; sleep 0.05; done
	cat "$D/daemon.err" >&2
	return 1
}

@test "revoke through the daemon's control socket: the agent is refused at once, stopped, the revocation kept" {
	local cert serial D=$BATS_TEST_TMPDIR
	cert=$(fresh_cert)
	serial=$(serial_of "$cert")
	daemon_start
	[ "$(stat -c %a "$D/control.sock")" = 600 ]
	# tasks keep: the agent runs on, so that its next open shows the kernel refusing it.
	KK_CERT=$cert bound_start "$P" python3 -c '
import errno, os, sys, time
open("/data/ready", "w").close()
while not os.path.exists("/data/go"): time.sleep(0.02)
try: open("/data/f")
except OSError as e: sys.exit(e.errno)'
	for i in $(seq 100); do [ -e /data/ready ] && break; sleep 0.05; done
	run python3 -c "$CTL" "$D/control.sock" '{"serial": "'"$serial"'", "reason": "risk score", "tasks": "keep"}'
	[ "$status" -eq 0 ]
	[[ "$output" == '{"serial":"'"$serial"'","issuer":"*","reason":"risk score","bindings":1,"tasks":"keep","signalled":0,"flip_us":'* ]]
	touch /data/go
	bound_wait
	[ "$status" -eq 13 ] # EACCES
	grep -q "\"$serial\"" "$KAKUNIN_STATE_DIR/revocations.json"
	grep -q "revoked serial $serial on request of pid" "$D/daemon.out"
	# The default: stopped. A second connection, kept for two requests, as the signer would.
	rm -f /data/ready /data/go
	local b
	b=$(fresh_cert)
	KK_CERT=$b bound_start "$P" sleep 60
	run python3 -c 'import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile()
for r in sys.argv[2:]:
    s.sendall((json.dumps({"revoke": json.loads(r)}) + "\n").encode()); print(f.readline().strip())' \
		"$D/control.sock" '{"serial": "zz"}' '{"serial": "'"$(serial_of "$b")"'"}'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"error":{"code":-22,"errno":"EINVAL","what":"--serial '"'zz'"'","why":"not a hex serial number (up to 20 bytes)"}}' ]
	[[ "${lines[1]}" == '{"serial":"'"$(serial_of "$b")"'","issuer":"*","reason":"","bindings":1,"tasks":"stop","signalled":1,'* ]]
	wait_stopped "$BOUND_PID"
	kill -9 "$BOUND_PID"
}

@test "a bound task cannot revoke through the control socket, though its policy lets it connect" {
	local victim agent D=$BATS_TEST_TMPDIR
	victim=$(fresh_cert); mv "$victim" "$D/victim.pem"; victim=$D/victim.pem
	agent=$(fresh_cert)
	daemon_start
	policy "$D/c.json" '"exec": ["/usr/bin/python3", "/usr/bin/sleep"],
		"data_access": {"/data/*": ["read", "write"], "'"$D"'/*": ["read", "write"]}'
	KK_CERT=$victim bound_start "$P" sleep 60
	local vpid=$BOUND_PID
	# Bound when it connects: the kernel's record on the socket names its binding.
	KK_CERT=$agent bound_run "$D/c.json" python3 -c "$CTL" "$D/control.sock" '{"serial": "'"$(serial_of "$victim")"'"}'
	[ "$status" -eq 0 ]
	[[ "$output" == '{"error":{"code":-13,"errno":"EACCES","what":"","why":"the caller was bound (binding '*') when it connected: a bound task cannot revoke"}}' ]]
	# Connected before it was bound: the credentials of its request name a bound process.
	python3 -c 'import json, os, signal, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
os.kill(os.getpid(), signal.SIGSTOP)
s.sendall((json.dumps({"revoke": {"serial": sys.argv[2]}}) + "\n").encode())
print(s.makefile().readline().strip())' "$D/control.sock" "$(serial_of "$victim")" >"$D/late.out" 2>&1 &
	local pid=$!
	wait_stopped "$pid"
	"$KK" bind --pid "$pid" --cert "$agent" --ca "$PKI/ca.pem" --policy "$D/c.json" --offline >/dev/null
	kill -CONT "$pid"
	wait "$pid"
	[[ "$(cat "$D/late.out")" == '{"error":{"code":-13,"errno":"EACCES","what":"","why":"the sending process '"$pid"' is bound (binding '*'): a bound task cannot revoke"}}' ]]
	# The victim is untouched: active, running, not on the list.
	run "$KK" status --json
	python3 - "$output" "$(serial_of "$victim")" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
b = [b for b in s["bindings"] if b["serial"] == sys.argv[2]]
assert len(b) == 1 and b[0]["state"] == "active", s
assert all(r["serial"] != sys.argv[2] for r in s.get("revocations", [])), s
PY
	kill -0 "$vpid"
	[ "$(grep -c 'revoke request of pid' "$D/daemon.err")" -eq 2 ]
	kill -9 "$vpid"
}
