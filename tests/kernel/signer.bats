#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The signer in a real kernel: it signs only for a caller the kernel attests is bound to the
# certificate of a key it holds (kk_peers on the accepted socket), refuses everyone else with
# the exact reason, checks scope, rate and risk (a risk above revoke_above revokes the identity
# in the kernel), reads the attestation per request (a connection leaked to another process
# after a revocation or an unbind gets nothing), signs with a key in SoftHSM, and every decision
# is an action.signed / action.refused event. The bound agents are kakunin-bpf sign and a small
# Python client; the signer runs unbound, as root, as its unit does.
bats_require_minimum_version 1.5.0
load helpers

D=/run/kk-signer-test
SOCK=$D/signer.sock
KEYDIR=/etc/kakunin/keys

setup_file() {
	pki_setup
	"$KK" load
	mkdir -p "$D" "$KEYDIR"
	chmod 0755 "$D"
	cp "$PKI/agent.key" "$KEYDIR/kk-signer-test-agent.pem"
	chmod 0600 "$KEYDIR/kk-signer-test-agent.pem"
	local build
	build=$(dirname "$(readlink -f "$KK")")
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd -P)
	export REPO
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"exec": ["/usr/bin/python3", "/usr/bin/dash", "'"$build/kakunin-bpf"'"],
		"data_access": {"'"$D"'/*": ["read", "write"], "'"$build"'/*": ["read", "exec"],
			"'"$REPO"'/clients/python/*": ["read"]},
		"actions": {"trade": {"fields": {"market": {"in": ["EUR_USD", "GBP_USD"]},
			"size": {"max": 50000, "min": 1}, "side": {"in": ["buy", "sell"]}},
			"rate_limit": "100/hour", "risk": {"revoke_above": 0.85}},
		"quote": {"fields": {"n": {"max": 10}}, "rate_limit": "2/hour"}, "blob": {}}'
	OTHERP=$BATS_FILE_TMPDIR/other.json
	sed 's/"agent_id": "agent"/"agent_id": "other"/' "$P" >"$OTHERP"
	# The bound agent: connect once, send each line of FILE, print each reply line; --hold:
	# print the socket's fd number and keep it (a test then leaks it to another process).
	cat >"$D/agent.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect", e.strerror, flush=True)
    sys.exit(3)
if sys.argv[2] == "--hold":
    print("fd", s.fileno(), flush=True)
    while True:
        time.sleep(1)
f = s.makefile("rb")
for line in open(sys.argv[2], "rb"):
    try:
        s.sendall(line)
    except OSError:
        pass  # the signer may have refused and closed: its reply says why
    try:
        r = f.readline()
    except OSError as e:
        print("error", e.strerror, flush=True)
        sys.exit(4)
    if not r:
        print("closed", flush=True)
        sys.exit(0)
    print(r.decode().rstrip("\n"), flush=True)
PY
	export P OTHERP
}

teardown_file() {
	kk_unload --force
	rm -rf "$D" "$KEYDIR/kk-signer-test-agent.pem"
}

setup() {
	SIGNER_PID=
	HOLD_PID=
	drain_events
}

teardown() {
	local p
	for p in $SIGNER_PID $HOLD_PID; do
		kill -9 "$p" 2>/dev/null || true
	done
	[ -z "$SIGNER_PID" ] || wait "$SIGNER_PID" 2>/dev/null || true
	"$KK" status >/dev/null 2>&1 || true
}

# signer_start CERT KEY POLICY [MEMBERS]: a signer for that one agent on $SOCK (MEMBERS: more
# configuration, JSON members), listening on return.
signer_start() {
	printf '{"socket": "%s", "agents": [{"certificate": "%s", "key": "%s", "policy": "%s"}]%s%s}\n' \
		"$SOCK" "$1" "$2" "$3" "${4:+, }" "${4:-}" >"$BATS_TEST_TMPDIR/signer.json"
	rm -f "$SOCK"
	"$KK" signer --config "$BATS_TEST_TMPDIR/signer.json" >"$BATS_TEST_TMPDIR/signer.out" 2>&1 &
	SIGNER_PID=$!
	for _ in $(seq 400); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/signer.out" >&2
	return 1
}

# requests LINE...: the lines into $D/req (one request each) for agent.py.
requests() {
	printf '%s\n' "$@" >"$D/req"
}

# reasons: the reason of each reply in $output ("ok" for a signature), one per line.
reasons() {
	printf '%s\n' "$output" | python3 -c '
import json, sys
for l in sys.stdin:
    l = l.strip()
    if not l.startswith("{"):
        print(l)
        continue
    r = json.loads(l)
    print("ok" if r["ok"] else r["reason"])'
}

# signer_events TYPE: the signer's events of that type still in the ring (consumes it).
signer_events() {
	consumer_free
	"$KK" events --from-ring --json | grep -F "\"event_type\":\"$1\"" || true
}

# leak_send PID FD LINE: take fd FD of process PID (pidfd_getfd, as root) and send LINE on it;
# print the reply line. What a bound agent's attested connection is worth in other hands.
leak_send() {
	python3 - "$@" <<'PY'
import ctypes, os, socket, sys
pid, fd, line = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
n = libc.syscall(438, os.pidfd_open(pid), fd, 0)  # pidfd_getfd
if n < 0:
    print("pidfd_getfd", os.strerror(ctypes.get_errno()))
    sys.exit(1)
s = socket.socket(fileno=n)
s.sendall(line.encode() + b"\n")
print(s.makefile("rb").readline().decode().rstrip("\n"))
PY
}

# hold_start POLICY: agent.py --hold bound to POLICY (KK_CERT as bound_start); HOLD_PID and
# HOLD_FD once it has connected.
hold_start() {
	bound_start "$1" python3 "$D/agent.py" "$SOCK" --hold || return 1
	HOLD_PID=$BOUND_PID
	for _ in $(seq 400); do
		HOLD_FD=$(sed -n 's/^fd //p' "$BATS_TEST_TMPDIR/bound.out")
		[ -n "$HOLD_FD" ] && return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/bound.out" >&2
	return 1
}

TRADE='{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":1000}}'

@test "a bound agent's trade is signed: canonical payload, claims, x5c; verify and a plain JOSE check accept it; action.signed" {
	local serial jws
	serial=$(serial_of "$PKI/agent.pem")
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	printf '{"size": 1000,\n "side": "buy", "market": "EUR_USD"}\n' >"$D/trade.json"
	bound_run "$P" dash -c 'exec "$0" sign --socket "$1" --type trade <"$2"' "$KK" "$SOCK" \
		"$D/trade.json"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jws=${lines[0]}
	# Not our code: the receiver's own check (demo/jws_verify.py, python3-cryptography).
	python3 - "$jws" "$serial" "$PKI/ca.pem" "$REPO/demo" <<'PY'
import sys
sys.path.insert(0, sys.argv[4])
import jws_verify
body = b'{"market":"EUR_USD","side":"buy","size":1000}'
H = jws_verify.verify(sys.argv[1], open(sys.argv[3], "rb").read(), payload=body)
assert (H["alg"], H["typ"], H["cty"], H["action"], H["agent_id"], H["kid"]) == \
    ("ES256", "kakunin-action+jws", "json", "trade", "agent", sys.argv[2]), H
assert len(H["jti"]) == 32 and int(H["jti"], 16) >= 0 and len(H["policy_hash"]) == 64, H
assert H["host"] and isinstance(H["iat"], int), H
import base64
from cryptography import x509
leaf = x509.load_der_x509_certificate(base64.b64decode(H["x5c"][0]))
assert format(leaf.serial_number, "x").lstrip("0") == sys.argv[2].lstrip("0"), H
PY
	run "$KK" verify --ca "$PKI/ca.pem" --max-age 300 "$jws"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"valid":true'* ]]
	# The audit event: the caller's binding, what was signed, and that it verified.
	run events_for_pid "$BOUND_PID"
	python3 - "$output" "$serial" <<'PY'
import hashlib, json, sys
ev = [json.loads(l) for l in sys.argv[1].splitlines() if '"action.signed"' in l]
assert len(ev) == 1, sys.argv[1]
e = ev[0]
a = e["action"]
assert (e["agent_id"], e["agent_cert_serial"], a["type"]) == ("agent", sys.argv[2], "trade"), e
assert a["payload_sha256"] == hashlib.sha256(b'{"market":"EUR_USD","side":"buy","size":1000}').hexdigest(), e
assert a["fields"] == {"market": "EUR_USD", "side": "buy", "size": 1000}, e
assert e["signature_valid"] is True and e["scope_check_passed"] is True and e["risk"] == 0, e
assert "reason" not in e and e["duration_ms"] >= 0, e
PY
}

@test "an unbound caller is refused 'unbound' whatever it sends; action.refused says so" {
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	run --separate-stderr "$KK" sign --socket "$SOCK" <<<'{"market": "EUR_USD", "side": "buy", "size": 1}'
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: sign: refused: unbound: the caller was not bound to a certificate when it connected" ]
	run --separate-stderr "$KK" sign --socket "$SOCK" --raw <<<'garbage'
	[ "$status" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: sign: refused: unbound: "* ]]
	run signer_events action.refused
	[ "${#lines[@]}" -eq 2 ]
	python3 -c '
import json, sys
e = json.loads(sys.argv[1])
assert e["reason"] == "unbound" and e["agent_id"] is None and e["signature_valid"] is False, e
assert e["action"]["type"] == "", e' "${lines[0]}"
}

@test "a caller bound to another certificate: no_key (another agent), other_certificate (the agent's id, another certificate)" {
	local cert
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	requests "$TRADE"
	KK_CERT=$PKI/other.pem bound_run "$OTHERP" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$status" -eq 0 ]
	[ "$(reasons)" = no_key ]
	[[ "$output" == *'"why":"the signer holds no key for certificate serial '"$(serial_of "$PKI/other.pem")"' (agent other)"'* ]]
	cert=$(fresh_cert)
	KK_CERT=$cert bound_run "$P" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$status" -eq 0 ]
	[ "$(reasons)" = other_certificate ]
	run signer_events action.refused
	[[ "$output" == *'"agent_id":"other"'*'"reason":"no_key"'* ]]
	[[ "$output" == *'"agent_cert_serial":"'"$(serial_of "$cert")"'"'*'"reason":"other_certificate"'* ]]
}

@test "scope, unknown actions and bad requests: one refusal line each, the connection still served" {
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	requests '{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":60000}}' \
		'{"type":"trade","payload":{"market":"JPY_USD","side":"buy","size":10}}' \
		'{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":10,"leverage":5}}' \
		'{"type":"withdraw","payload":{"amount":1}}' \
		'{"type":"trade","payload":{"size":1,"size":2}}' \
		'not json at all' \
		'{"type":"Trade!","payload":{}}' \
		'{"type":"trade","payload":[1]}' \
		'{"type":"trade","payload":{},"extra":1}' \
		'{"type":"blob","payload_b64":"not base64!"}' \
		'{"type":"blob","payload_b64":"aGk="}' \
		'{"type":"trade","payload":{"market":"EUR_USD","side":"sell","size":5}}'
	bound_run "$P" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$status" -eq 0 ]
	[ "$(reasons | tr '\n' ' ')" = "out_of_scope out_of_scope out_of_scope unknown_action bad_request bad_request bad_request bad_request bad_request bad_request ok ok " ]
	[[ "${lines[0]}" == *'"why":"'*'60000'*'50000'* ]]
	run events_for_pid "$BOUND_PID"
	[ "$(grep -c '"action.refused"' <<<"$output")" -eq 10 ]
	[ "$(grep -c '"action.signed"' <<<"$output")" -eq 2 ]
	[[ "$output" == *'"type":"trade","payload_sha256":"'*'"reason":"out_of_scope"'*'"scope_check_passed":false'* ]]
}

@test "an oversized payload is bad_request and the connection goes on; an overlong line is refused and closed" {
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	python3 - "$D/req" "$TRADE" <<'PY'
import base64, sys
with open(sys.argv[1], "w") as f:
    f.write('{"type":"blob","payload_b64":"%s"}\n' % base64.b64encode(b"x" * 65537).decode())
    f.write(sys.argv[2] + "\n")
    f.write('{"type":"blob","payload_b64":"%s"}\n' % ("A" * 100000))
    f.write(sys.argv[2] + "\n")
PY
	bound_run "$P" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ "$(reasons | tr '\n' ' ')" = "bad_request ok bad_request closed " ]
	[[ "${lines[0]}" == *'"why":"payload of 65537 bytes above max_payload 65536"'* ]]
	[[ "${lines[2]}" == *'"why":"request line longer than 88405 bytes"'* ]]
	kill -0 "$SIGNER_PID"
}

@test "the Python client (standard library only), bound: a signature, and Refused with .reason" {
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	cat >"$D/client.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import kakunin_signer
r = kakunin_signer.sign("trade", {"market": "GBP_USD", "side": "sell", "size": 7}, socket_path=sys.argv[2])
print(r["jws"].count("."), r["headers"]["X-Agent-Signature"] == r["jws"], r["risk"])
try:
    kakunin_signer.sign("trade", {"market": "GBP_USD", "side": "sell", "size": 0}, socket_path=sys.argv[2])
except kakunin_signer.Refused as e:
    print(e.reason)
PY
	PYTHONDONTWRITEBYTECODE=1 bound_run "$P" python3 "$D/client.py" "$REPO/clients/python" "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ "$output" = "$(printf '2 True 0\nout_of_scope')" ]
}

@test "rate_limit: the third quote within the hour is rate_limited" {
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	requests '{"type":"quote","payload":{"n":1}}' '{"type":"quote","payload":{"n":2}}' \
		'{"type":"quote","payload":{"n":3}}' "$TRADE"
	bound_run "$P" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$status" -eq 0 ]
	[ "$(reasons | tr '\n' ' ')" = "ok ok rate_limited ok " ]
}

@test "risk: ten normal trades, then one ten times their size: behavioral_anomaly, and the identity is revoked in the kernel" {
	local cert serial i
	cert=$(fresh_cert)
	chmod 0600 "$BATS_TEST_TMPDIR/a.key"
	serial=$(serial_of "$cert")
	signer_start "$cert" "$BATS_TEST_TMPDIR/a.key" "$P"
	for i in $(seq 10); do
		printf '{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":%d}}\n' $((1000 + i))
	done >"$D/req"
	printf '{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":10055}}\n' >>"$D/req"
	KK_CERT=$cert bound_start "$P" python3 "$D/agent.py" "$SOCK" "$D/req"
	# Revoking stops the agent (as revoke does) before it reads the refusal.
	wait_stopped "$BOUND_PID"
	[ "$(grep -c '"ok": *true' "$BATS_TEST_TMPDIR/bound.out")" -eq 10 ]
	kill -9 "$BOUND_PID"
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$serial"'","revoked_at":'*'"reason":"behavioral_anomaly"'* ]]
	run events_for_pid "$BOUND_PID"
	python3 - "$output" <<'PY'
import json, sys
ev = [json.loads(l) for l in sys.argv[1].splitlines()]
ref = [e for e in ev if e["event_type"] == "action.refused"]
assert len(ref) == 1 and ref[0]["reason"] == "behavioral_anomaly", ref
assert ref[0]["risk"] > 0.85 and ref[0]["action"]["fields"]["size"] == 10055, ref
assert "identity revoked" in ref[0]["why"], ref
rev = [e for e in ev if e["event_type"] == "agent.revoked"]
assert len(rev) == 1 and rev[0]["reason"] == "behavioral_anomaly", rev
assert len([e for e in ev if e["event_type"] == "action.signed"]) == 10
PY
}

@test "the attestation is read per request: a connection leaked after revoke or unbind gets revoked / binding_ended" {
	local cert
	cert=$(fresh_cert)
	chmod 0600 "$BATS_TEST_TMPDIR/a.key"
	signer_start "$cert" "$BATS_TEST_TMPDIR/a.key" "$P"
	KK_CERT=$cert hold_start "$P"
	run leak_send "$HOLD_PID" "$HOLD_FD" "$TRADE"
	[[ "$output" == '{"ok":true,'* ]]
	"$KK" revoke --serial "$(serial_of "$cert")" --no-stop
	run leak_send "$HOLD_PID" "$HOLD_FD" "$TRADE"
	[ "$output" = '{"ok":false,"reason":"revoked","why":"certificate serial '"$(serial_of "$cert")"' is revoked"}' ]
	kill -9 "$HOLD_PID"
	kill -9 "$SIGNER_PID"
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	hold_start "$P"
	"$KK" unbind --pid "$HOLD_PID"
	run leak_send "$HOLD_PID" "$HOLD_FD" "$TRADE"
	[[ "$output" == '{"ok":false,"reason":"binding_ended",'* ]]
}

@test "key custody: a bound agent cannot read the signer's key file (self-protection, EPERM), even with its policy granting it" {
	policy "$BATS_TEST_TMPDIR/k.json" '"data_access": {"'"$KEYDIR"'/*": ["read"]}'
	try_bound "$BATS_TEST_TMPDIR/k.json" open "$KEYDIR/kk-signer-test-agent.pem"
	[ "$output" = EPERM ]
	[ "$status" -eq 1 ]
	try_bound "$P" open "$KEYDIR/kk-signer-test-agent.pem"
	[ "$output" = EPERM ]
	run "$TRY" open "$KEYDIR/kk-signer-test-agent.pem"
	[ "$output" = ok ]
}

@test "PKCS#11: the signer signs with a key in SoftHSM, and verify accepts it" {
	local hsm uri jws
	command -v softhsm2-util >/dev/null || skip "softhsm2 not installed"
	hsm=$BATS_FILE_TMPDIR/hsm
	uri=$("$BATS_TEST_DIRNAME/../unit/make-hsm.sh" "$hsm")
	export SOFTHSM2_CONF=$hsm/softhsm2.conf
	sed 's/"agent_id": "agent"/"agent_id": "trading_bot_v2"/' "$P" >"$BATS_TEST_TMPDIR/h.json"
	signer_start "$hsm/agent.pem" "$uri" "$BATS_TEST_TMPDIR/h.json"
	requests "$TRADE"
	PKI=$hsm KK_CERT=$hsm/agent.pem bound_run "$BATS_TEST_TMPDIR/h.json" python3 "$D/agent.py" \
		"$SOCK" "$D/req"
	[ "$status" -eq 0 ]
	[ "$(reasons)" = ok ]
	jws=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["jws"])' "${lines[0]}")
	run "$KK" verify --ca "$hsm/ca.pem" --max-age 300 "$jws"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"serial":"4b4b01"'* ]]
}

# ocsp_responder INDEX-LINE: `openssl ocsp` on 127.0.0.1:18890 for the test CA, its index holding
# that one line, signing with the CA's own key; OCSP_PID.
ocsp_responder() {
	printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/index.txt"
	openssl ocsp -index "$BATS_TEST_TMPDIR/index.txt" -port 18890 -rsigner "$PKI/ca.pem" \
		-rkey "$PKI/ca.key" -CA "$PKI/ca.pem" -ignore_err >/dev/null 2>&1 &
	OCSP_PID=$!
	HOLD_PID="$HOLD_PID $OCSP_PID"
	# Ready when it answers (a bare connect would wedge it: it serves one client at a time).
	for _ in $(seq 100); do
		openssl ocsp -issuer "$PKI/ca.pem" -cert "$PKI/agent.pem" -CAfile "$PKI/ca.pem" \
			-url http://127.0.0.1:18890 -timeout 2 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

@test "revocation freshness: OCSP good signs, revoked is refused, no answer is revocation_unknown unless fail_open" {
	local serial up
	serial=$(serial_of "$PKI/agent.pem" | tr a-f A-F)
	sed 's/"agent_id": "agent",/"agent_id": "agent", "revocation_check": {"enabled": true, "cache_ttl_seconds": 60, "fail_open": false},/' \
		"$P" >"$BATS_TEST_TMPDIR/r.json"
	sed 's/"fail_open": false/"fail_open": true/' "$BATS_TEST_TMPDIR/r.json" >"$BATS_TEST_TMPDIR/ro.json"
	up='"ocsp_url": "http://127.0.0.1:18890", "ocsp_timeout_ms": 2000, "ca": "'"$PKI/ca.pem"'"'
	requests "$TRADE"
	# No responder: fail closed.
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$BATS_TEST_TMPDIR/r.json" "$up"
	bound_run "$BATS_TEST_TMPDIR/r.json" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$(reasons)" = revocation_unknown ]
	[[ "$output" == *'"why":"no fresh revocation status (fail closed): '* ]]
	kill -9 "$SIGNER_PID"
	# The same with fail_open: signed.
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$BATS_TEST_TMPDIR/ro.json" "$up"
	bound_run "$BATS_TEST_TMPDIR/ro.json" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$(reasons)" = ok ]
	kill -9 "$SIGNER_PID"
	# The responder says good: signed (fail closed policy).
	ocsp_responder "$(printf 'V\t301231235959Z\t\t%s\tunknown\t/CN=agent' "$serial")"
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$BATS_TEST_TMPDIR/r.json" "$up"
	bound_run "$BATS_TEST_TMPDIR/r.json" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$(reasons)" = ok ]
	kill -9 "$SIGNER_PID" "$OCSP_PID"
	wait "$OCSP_PID" 2>/dev/null || true
	# The responder says revoked: refused, though the kernel still has the identity active.
	ocsp_responder "$(printf 'R\t301231235959Z\t240101000000Z\t%s\tunknown\t/CN=agent' "$serial")"
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$BATS_TEST_TMPDIR/r.json" "$up"
	bound_run "$BATS_TEST_TMPDIR/r.json" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$(reasons)" = revoked ]
	[[ "$output" == *'"why":"OCSP: certificate serial '*' is revoked"'* ]]
}

@test "allowed_hours: a request after the window closed is outside_hours (on a connection made inside it)" {
	local now m start end
	# A window of the current minute; too close to its end: the next one.
	now=$(date -u +%s)
	if [ $((now % 60)) -gt 45 ]; then
		sleep $((61 - now % 60))
		now=$(date -u +%s)
	fi
	m=$(((now / 60) % 1440))
	start=$(printf '%02d:%02d' $((m / 60)) $((m % 60)))
	end=$(printf '%02d:%02d' $(((m + 1) % 1440 / 60)) $(((m + 1) % 60)))
	sed 's/"agent_id": "agent",/"agent_id": "agent", "execution_constraints": {"allowed_hours": "'"$start-$end"' UTC"},/' \
		"$P" >"$BATS_TEST_TMPDIR/h.json"
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$BATS_TEST_TMPDIR/h.json"
	hold_start "$BATS_TEST_TMPDIR/h.json"
	run leak_send "$HOLD_PID" "$HOLD_FD" "$TRADE"
	[[ "$output" == '{"ok":true,'* ]]
	# Until the window closes, a request every 10 s keeps the connection from its idle timeout.
	while [ $(($(date -u +%s) / 60 % 1440)) -eq "$m" ]; do
		sleep 10
		run leak_send "$HOLD_PID" "$HOLD_FD" "$TRADE"
		[[ "$output" == '{"ok":'* ]]
	done
	sleep 1
	run leak_send "$HOLD_PID" "$HOLD_FD" "$TRADE"
	[[ "$output" == '{"ok":false,"reason":"outside_hours","why":"outside allowed_hours '* ]] ||
		{ echo "$output; window $start-$end, now $(date -u)" >&2; return 1; }
}

@test "a blocked identity (the daemon found no OCSP answer, fail closed) is refused 'blocked'" {
	local cert serial i state= dpid
	cert=$(fresh_cert)
	chmod 0600 "$BATS_TEST_TMPDIR/a.key"
	serial=$(serial_of "$cert")
	sed 's/"agent_id": "agent",/"agent_id": "agent", "revocation_check": {"enabled": true, "cache_ttl_seconds": 4, "fail_open": false},/' \
		"$P" >"$BATS_TEST_TMPDIR/b.json"
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock", "ocsp_url": "http://127.0.0.1:9", "ocsp_timeout_ms": 200}\n' \
		"$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/d.json"
	signer_start "$cert" "$BATS_TEST_TMPDIR/a.key" "$BATS_TEST_TMPDIR/b.json" \
		'"ocsp_url": "http://127.0.0.1:9", "ocsp_timeout_ms": 200'
	# Connected while active; only then the daemon, whose OCSP poller blocks the identity.
	KK_CERT=$cert hold_start "$BATS_TEST_TMPDIR/b.json"
	"$KK" daemon --config "$BATS_TEST_TMPDIR/d.json" >/dev/null 2>&1 &
	dpid=$!
	HOLD_PID="$HOLD_PID $dpid"
	for i in $(seq 120); do
		state=$("$KK" status --json | python3 -c 'import json, sys
print([b["state"] for b in json.load(sys.stdin)["bindings"] if b["serial"] == sys.argv[1]][0])' "$serial")
		[ "$state" = blocked ] && break
		sleep 0.25
	done
	[ "$state" = blocked ]
	run leak_send "$BOUND_PID" "$HOLD_FD" "$TRADE"
	[ "$output" = '{"ok":false,"reason":"blocked","why":"certificate serial '"$serial"' is blocked (revocation status unknown)"}' ]
}

@test "the certificate's scope extension narrows the policy's: out_of_certificate_scope" {
	local ext=$BATS_TEST_TMPDIR/ext.cnf
	printf '%s\n' '[scoped]' 'basicConstraints = CA:FALSE' \
		'2.25.243117301337387610220934576524076285139 = ASN1:UTF8String:{\"trade\": {\"fields\": {\"market\": {\"in\": [\"EUR_USD\"]}, \"side\": {\"in\": [\"buy\", \"sell\"]}, \"size\": {\"max\": 100}}}}' >"$ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=agent" \
		-keyout "$BATS_TEST_TMPDIR/s.key" -out "$BATS_TEST_TMPDIR/s.csr" 2>/dev/null
	openssl x509 -req -in "$BATS_TEST_TMPDIR/s.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$ext" -extensions scoped \
		-out "$BATS_TEST_TMPDIR/s.pem" 2>/dev/null
	chmod 0600 "$BATS_TEST_TMPDIR/s.key"
	signer_start "$BATS_TEST_TMPDIR/s.pem" "$BATS_TEST_TMPDIR/s.key" "$P"
	requests '{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":50}}' \
		'{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":1000}}' \
		'{"type":"trade","payload":{"market":"GBP_USD","side":"buy","size":50}}' \
		'{"type":"quote","payload":{"n":1}}' \
		'{"type":"trade","payload":{"market":"EUR_USD","side":"buy","size":60000}}'
	KK_CERT=$BATS_TEST_TMPDIR/s.pem bound_run "$P" python3 "$D/agent.py" "$SOCK" "$D/req"
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	[ "$(reasons | tr '\n' ' ')" = "ok out_of_certificate_scope out_of_certificate_scope out_of_certificate_scope out_of_scope " ]
}

@test "at most 64 connections at once: the 65th gets one 'internal' line and is closed; a freed one is served again" {
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	run python3 - "$SOCK" "$TRADE" <<'PY'
import socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    return s
held = [conn() for _ in range(64)]
time.sleep(2)  # every one accepted and counted
extra = conn()
print(extra.makefile("rb").readline().decode().strip(), extra.recv(1) == b"")
held.pop().close()
time.sleep(2)
again = conn()
again.sendall(sys.argv[2].encode() + b"\n")
print(again.makefile("rb").readline().decode().strip())
PY
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"ok":false,"reason":"internal","why":"too many connections"} True' ]
	[[ "${lines[1]}" == '{"ok":false,"reason":"unbound",'* ]]
}

@test "a connection without a request for 30 s is closed" {
	signer_start "$PKI/agent.pem" "$KEYDIR/kk-signer-test-agent.pem" "$P"
	run python3 - "$SOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
t = time.monotonic()
print(s.recv(1) == b"", 29 <= time.monotonic() - t <= 45)
PY
	[ "$output" = "True True" ]
}
