#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 130 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Identity you can trust (issue 16): a SAN URI names an agent only whole (or as the policy's
# spiffe_id), rotate checks the bound policy's spiffe_id; a certificate that expires blocks its
# binding through the daemon (agent.expiring ahead, agent.expired, EACCES), and
# `rotate --watch` follows a certificate renewed in place, before or after the expiry.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	export KAKUNIN_STATE_DIR=$BATS_FILE_TMPDIR/state
	"$KK" load
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"exec": ["/usr/bin/python3"], "data_access": {"/data/*": ["read"]}'
	export P
}

teardown_file() {
	kk_unload --force
}

setup() {
	D=$BATS_TEST_TMPDIR
	rm -rf /data && mkdir -p /data && echo d >/data/f
	drain_events
}

teardown() {
	[ -n "${WPID:-}" ] && kill -TERM "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null || true
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	[ -n "${BOUND_PID:-}" ] && kill -9 "$BOUND_PID" 2>/dev/null || true
}

# short_cert OUT SECONDS [CN [SAN-URI]]: a certificate of the test CA valid from a minute ago
# to SECONDS from now (`openssl ca`: OpenSSL 3.0's `x509 -req` only has -days).
short_cert() {
	local out=$1 secs=$2 cn=${3:-agent} san=${4:-} d=$BATS_TEST_TMPDIR/ca.d now
	mkdir -p "$d"
	[ -f "$d/index.txt" ] || : >"$d/index.txt"
	openssl rand -hex 8 | sed 's/^./4/' >"$d/serial"
	cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = kk
[kk]
dir = $d
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
unique_subject = no
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
${san:+subjectAltName = URI:$san}
EOF
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$cn" \
		-keyout "$out.key" -out "$out.csr" 2>/dev/null
	now=$(date +%s)
	openssl ca -batch -notext -config "$d/ca.cnf" -cert "$PKI/ca.pem" -keyfile "$PKI/ca.key" \
		-in "$out.csr" -startdate "$(date -u -d "@$((now - 60))" +%Y%m%d%H%M%SZ)" \
		-enddate "$(date -u -d "@$((now + secs))" +%Y%m%d%H%M%SZ)" -out "$out" 2>"$out.err" ||
		{ cat "$out.err" >&2; return 1; }
}

# not_after CERT: its notAfter in Unix seconds.
not_after() {
	date -u -d "$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')" +%s
}

# start_daemon [JSON-MEMBERS]: a daemon writing $D/audit.jsonl, socket $D/ev.sock.
start_daemon() {
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"%s%s}\n' "$D" "$D" \
		"${1:+, }" "${1:-}" >"$D/daemon.json"
	"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" &
	DPID=$!
	for i in $(seq 100); do [ -S "$D/ev.sock" ] && return 0; sleep 0.05; done
	cat "$D/daemon.err" >&2
	return 1
}

# wait_for FILE TEXT SECONDS: until FILE contains TEXT.
wait_for() {
	local i
	for i in $(seq $(($3 * 10))); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "no '$2' in $1 after $3 s:" >&2
	cat "$1" >&2
	return 1
}

# binding_field PY-EXPR: PY-EXPR on the status --json binding of $BOUND_SLOT (as `b`).
binding_field() {
	"$KK" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
b = [b for b in s["bindings"] if b["binding"] == int(sys.argv[1])][0]
print(eval(sys.argv[2]))' "$BOUND_SLOT" "$1"
}

# The agent: opens /data/f every 0.2 s for SECONDS. Exit 0 if it never failed; the errno of
# the first failure if it never recovered; 100 + that errno if an open worked again after it
# (then it runs on until /data/stop exists, 60 s at most, for the test to look at its binding,
# still bound: a fixed 8 s ran out under a loaded host between three status calls).
AGENT='
import os, sys, time
end, first, back = time.time() + float(sys.argv[1]), 0, False
while time.time() < end:
    try:
        open("/data/f").close()
        if first and not back: back, end = True, time.time() + 60
    except OSError as e:
        first = first or e.errno
    if back and os.path.exists("/data/stop"): break
    time.sleep(0.2)
os._exit(100 + first if back else first)'

@test "a SAN URI names an agent only whole; spiffe_id binds it, and rotate checks it too" {
	local wrong="$D/wrong.pem" good="$D/good.pem" cnonly="$D/cn.pem"
	short_cert "$wrong" 3600 wrong_bot spiffe://example.org/ns/dev/sa/agent
	# Issue 16: CN=wrong_bot with a SPIFFE ID whose last segment is the agent id.
	KK_CERT=$wrong run --separate-stderr bound_start "$P" "$TRY" open /data/f
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"certificate CN \"wrong_bot\" (and SAN URIs \"spiffe://example.org/ns/dev/sa/agent\") does not match the policy's agent_id \"agent\" (a SAN URI matches only whole: set the policy's spiffe_id)"* ]]
	# With the whole SPIFFE ID as spiffe_id it binds, and the CN does not matter.
	policy "$D/s.json" '"exec": ["/usr/bin/python3"], "data_access": {"/data/*": ["read"]},
		"spiffe_id": "spiffe://example.org/ns/dev/sa/agent"'
	KK_CERT=$wrong bound_start "$D/s.json" python3 -c "$AGENT" 60
	[ -n "$BOUND_SLOT" ]
	# A renewal with the right CN but without the SAN URI may not take the binding over.
	short_cert "$cnonly" 3600 agent
	run --separate-stderr "$KK" rotate --serial "$(serial_of "$wrong")" --cert "$cnonly" --ca "$PKI/ca.pem"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: rotate: binding $BOUND_SLOT (agent agent): certificate has no SAN URI to match the policy's spiffe_id \"spiffe://example.org/ns/dev/sa/agent\" (its CN does not count when spiffe_id is set)" ]
	[ "$(binding_field 'b["serial"]')" = "$(serial_of "$wrong")" ]
	# One with the SAN URI may.
	short_cert "$good" 3600 other spiffe://example.org/ns/dev/sa/agent
	run "$KK" rotate --serial "$(serial_of "$wrong")" --cert "$good" --ca "$PKI/ca.pem"
	[ "$status" -eq 0 ]
	[ "$(binding_field 'b["serial"]')" = "$(serial_of "$good")" ]
	kill -9 "$BOUND_PID"
}

@test "an expired certificate blocks its binding (agent.expired, EACCES) until rotate --watch sees the renewal" {
	local a="$D/a.pem" b="$D/b.pem" f="$D/svid.pem" na left
	short_cert "$a" 40
	na=$(not_after "$a")
	cp "$a" "$f"
	start_daemon '"expiry_warning_seconds": 3600'
	"$KK" rotate --watch "$f" --serial "$(serial_of "$a")" --ca "$PKI/ca.pem" >"$D/watch.out" 2>&1 &
	WPID=$!
	KK_CERT=$f bound_start "$P" python3 -c "$AGENT" 200
	# status shows when the certificate expires, and how long is left.
	[ "$(binding_field 'b["not_after"]')" = "$(date -u -d "@$na" +%Y-%m-%dT%H:%M:%S).000000Z" ]
	left=$(binding_field 'b["seconds_left"]')
	[ "$left" -gt 0 ] && [ "$left" -le 40 ]
	# Within expiry_warning_seconds: agent.expiring, once.
	wait_for "$D/audit.jsonl" '"event_type":"agent.expiring","agent_id":"agent","agent_cert_serial":"'"$(serial_of "$a")"'"' 10
	grep -q 'kakunin-bpf: daemon: binding '"$BOUND_SLOT"' (agent): certificate serial .* expires at' "$D/daemon.out"
	# Past not_after: blocked, agent.expired, the agent's opens denied with EACCES.
	while [ "$(date +%s)" -le "$na" ]; do sleep 0.5; done
	wait_for "$D/audit.jsonl" '"event_type":"agent.expired","agent_id":"agent","agent_cert_serial":"'"$(serial_of "$a")"'"' 10
	wait_for "$D/audit.jsonl" '"decision":"deny","reason":"certificate expired","errno":"EACCES"' 10
	[ "$(grep -c '"event_type":"agent.expiring","agent_id":"agent","agent_cert_serial":"'"$(serial_of "$a")"'"' "$D/audit.jsonl")" -eq 1 ]
	[ "$(binding_field 'b["state"]')" = expired ]
	[ "$(binding_field 'b["seconds_left"] < 0')" = True ]
	run "$KK" status
	[[ "$output" == *" agent "*" expired "*" expired "* ]]
	# The renewal, written in place: the watcher rotates, the agent's opens work again.
	short_cert "$b" 86400
	cat "$b" >"$f"
	wait_for "$D/watch.out" "kakunin-bpf: rotated 1 binding from serial $(serial_of "$a") to $(serial_of "$b"); old certificate revoked" 20
	[ "$(binding_field 'b["state"]')" = active ]
	[ "$(binding_field 'b["serial"]')" = "$(serial_of "$b")" ]
	left=$(binding_field 'b["seconds_left"]')
	[ "$left" -gt 86000 ]
	touch /data/stop
	bound_wait
	[ "$status" -eq $((100 + 13)) ]
	# SIGTERM ends the watcher, exit 0.
	kill -TERM "$WPID"
	wait "$WPID"
	WPID=
}

@test "rotate --watch before the expiry: the agent is never denied; a bad renewal changes nothing" {
	local a="$D/a.pem" b="$D/b.pem" f="$D/svid.pem" na
	short_cert "$a" 40
	na=$(not_after "$a")
	cp "$a" "$f"
	start_daemon
	"$KK" rotate --watch "$f" --serial "$(serial_of "$a")" --ca "$PKI/ca.pem" >"$D/watch.out" 2>&1 &
	WPID=$!
	KK_CERT=$f bound_start "$P" python3 -c "$AGENT" $((na - $(date +%s) + 6))
	# A file that is not a certificate: one error line, the binding stays on the old one.
	echo garbage >"$D/tmp" && mv "$D/tmp" "$f"
	wait_for "$D/watch.out" "kakunin-bpf: rotate: certificate $f: " 10
	[ "$(grep -c "kakunin-bpf: rotate: certificate $f: " "$D/watch.out")" -eq 1 ]
	[ "$(binding_field 'b["serial"]')" = "$(serial_of "$a")" ]
	# The renewal, renamed over the file (as a SPIRE helper writes it).
	short_cert "$b" 86400
	cp "$b" "$D/tmp" && mv "$D/tmp" "$f"
	wait_for "$D/watch.out" "kakunin-bpf: rotated 1 binding from serial $(serial_of "$a") to $(serial_of "$b")" 20
	while [ "$(date +%s)" -le $((na + 2)) ]; do sleep 0.5; done
	[ "$(binding_field 'b["state"]')" = active ]
	[ "$(binding_field 'b["serial"]')" = "$(serial_of "$b")" ]
	bound_wait
	[ "$status" -eq 0 ]
	! grep -q '"event_type":"agent.expired"' "$D/audit.jsonl"
}
