#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 94 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Revocation sources with a real openssl CA: CRL import (valid, forged, stale) and OCSP polling
# by the daemon against `openssl ocsp` — good, revoked, unreachable fail-closed and
# fail-open, and back; polling from the state directory's copies of the certificate and CA.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	CA=$BATS_FILE_TMPDIR/ca
	mkdir -p "$CA/certs"
	cd "$CA"
	: >index.txt
	echo 1000 >serial
	cat >ca.cnf <<CNF
[ca]
default_ca = d
[d]
dir = $CA
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/certs
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 2
default_crl_days = 1
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
[ocsp]
basicConstraints = CA:FALSE
extendedKeyUsage = OCSPSigning
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kk ocsp CA" \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem 2>/dev/null
	issue ocsp ocsp
	export CA
	"$KK" load
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"data_access": {"/data/*": ["read"], "/usr/*": ["read", "exec"]},
		"revocation_check": {"enabled": true, "cache_ttl_seconds": 2, "fail_open": false}'
	sed 's/"fail_open": false/"fail_open": true/' "$P" >"$BATS_FILE_TMPDIR/open.json"
	export P
}

teardown_file() {
	kk_unload --force
}

# issue NAME SECTION [CN]: a certificate in the CA's index (openssl ca).
issue() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=${3:-agent}" \
		-keyout "$CA/$1.key" -out "$CA/$1.csr" 2>/dev/null
	openssl ca -batch -notext -config "$CA/ca.cnf" -extensions "$2" -in "$CA/$1.csr" \
		-out "$CA/$1.pem" 2>/dev/null
}

setup() {
	mkdir -p /data && echo d >/data/f
	D=$BATS_TEST_TMPDIR
	drain_events
}

teardown() {
	[ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null || true
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
}

responder() {
	openssl ocsp -index "$CA/index.txt" -port 18888 -rsigner "$CA/ocsp.pem" -rkey "$CA/ocsp.key" \
		-CA "$CA/ca.pem" -nmin 5 >"$D/resp.log" 2>&1 &
	RPID=$!
	for i in $(seq 100); do grep -qi "waiting for OCSP client connections" "$D/resp.log" && return 0; sleep 0.05; done
	cat "$D/resp.log" >&2
	return 1
}

daemon() {
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock", "ocsp_url": "http://127.0.0.1:18888", "ocsp_timeout_ms": 500}\n' "$D" "$D" >"$D/d.json"
	"$KK" daemon --config "$D/d.json" >/dev/null 2>"$D/daemon.err" &
	DPID=$!
	for i in $(seq 100); do [ -S "$D/ev.sock" ] && return 0; sleep 0.05; done
	return 1
}

state_of() {
	"$KK" status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print([b["state"] for b in s["bindings"] if b["serial"] == sys.argv[1]][0])' "$1"
}

@test "revoke --crl imports a signed, current CRL and revokes the bound certificate" {
	issue c1 leaf
	KK_CERT=$CA/c1.pem PKI=$CA bound_start "$P" sh -c 'sleep 2; "$TRY" open /data/f' || true
	openssl ca -config "$CA/ca.cnf" -revoke "$CA/c1.pem" -crl_reason keyCompromise 2>/dev/null
	openssl ca -config "$CA/ca.cnf" -gencrl -out "$D/crl.pem" 2>/dev/null
	# --no-stop: the agent runs on, to show that its next call is refused.
	run --separate-stderr "$KK" revoke --crl "$D/crl.pem" --ca "$CA/ca.pem" --no-stop
	[ "$status" -eq 0 ]
	[[ "$output" == "kakunin-bpf: imported 1 revocation from $D/crl.pem: 1 binding revoked" ]]
	bound_wait
	[ -z "$output" ] # kk-try could not even write its EACCES: writes are refused too
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$CA/c1.pem")"'","revoked_at":'*'"source":"crl","reason":"crl: keyCompromise"'* ]]
}

@test "a CRL signed by another CA of the same name, or a stale one, is refused" {
	mkdir -p "$D/fake/certs"
	cp "$CA/ca.cnf" "$D/fake/"
	sed -i "s#^dir = .*#dir = $D/fake#" "$D/fake/ca.cnf"
	: >"$D/fake/index.txt"
	echo 01 >"$D/fake/crlnumber"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kk ocsp CA" \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout "$D/fake/ca.key" -out "$D/fake/ca.pem" 2>/dev/null
	openssl ca -config "$D/fake/ca.cnf" -gencrl -out "$D/forged.pem" 2>/dev/null
	run --separate-stderr "$KK" revoke --crl "$D/forged.pem" --ca "$CA/ca.pem"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: revoke: "* ]]
	openssl ca -config "$CA/ca.cnf" -gencrl -crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z \
		-out "$D/stale.pem" 2>/dev/null
	run --separate-stderr "$KK" revoke --crl "$D/stale.pem" --ca "$CA/ca.pem"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"stale"* ]]
}

@test "OCSP: good keeps the agent active, revoked revokes it and the daemon stops it" {
	issue c2 leaf
	responder
	daemon
	KK_CERT=$CA/c2.pem PKI=$CA bound_start "$P" sleep 60
	sleep 3
	[ "$(state_of "$(serial_of "$CA/c2.pem")")" = active ]
	openssl ca -config "$CA/ca.cnf" -revoke "$CA/c2.pem" 2>/dev/null
	kill "$RPID"; wait "$RPID" 2>/dev/null || true
	responder # it does not re-read its index
	for i in $(seq 40); do [ "$(state_of "$(serial_of "$CA/c2.pem")")" = revoked ] && break; sleep 0.25; done
	[ "$(state_of "$(serial_of "$CA/c2.pem")")" = revoked ]
	run "$KK" status --json
	[[ "$output" == *'"source":"ocsp","reason":"ocsp: revoked"'* ]]
	wait_stopped "$BOUND_PID"
	kill -9 "$BOUND_PID"
}

@test "OCSP unreachable past the TTL blocks a fail-closed agent, and a good answer unblocks it" {
	issue c3 leaf
	mkfifo /data/go
	daemon # no responder
	# A background sleep keeps the binding alive; the shell waits on the fifo (its open was
	# decided before the block) and then tries to start kk-try.
	KK_CERT=$CA/c3.pem PKI=$CA bound_start "$P" sh -c 'sleep 60 & read x </data/go; "$TRY" open /data/f; wait'
	for i in $(seq 60); do [ "$(state_of "$(serial_of "$CA/c3.pem")")" = blocked ] && break; sleep 0.25; done
	[ "$(state_of "$(serial_of "$CA/c3.pem")")" = blocked ]
	# The shell's read is refused, and so is the fork to start kk-try: it may be gone before the
	# fifo is written (EPIPE, and SIGPIPE would end this test's shell: a subshell ignores it).
	(trap '' PIPE; echo go >/data/go) || true
	sleep 1
	run "$KK" events --socket "$D/ev.sock" --json
	[[ "$output" == *'"event_type":"agent.blocked","agent_id":"agent"'*'"reason":"ocsp: no valid answer for '* ]]
	# A blocked identity starts no new task.
	[[ "$output" == *'"hook":"task_alloc","action":{},"decision":"deny","reason":"revocation status unknown (fail closed)","errno":"EPERM"'* ]]
	responder
	for i in $(seq 40); do [ "$(state_of "$(serial_of "$CA/c3.pem")")" = active ] && break; sleep 0.25; done
	[ "$(state_of "$(serial_of "$CA/c3.pem")")" = active ]
	pkill -P "$BOUND_PID" sleep || true
	rm -f /data/go
}

@test "OCSP unreachable with fail_open: the agent stays allowed, one agent.warning" {
	issue c4 leaf
	daemon
	KK_CERT=$CA/c4.pem PKI=$CA bound_start "$BATS_FILE_TMPDIR/open.json" sh -c 'sleep 6; "$TRY" open /data/f'
	bound_wait
	[ "$output" = ok ]
	[ "$(state_of "$(serial_of "$CA/c4.pem")")" = active ] || true
	run "$KK" events --socket "$D/ev.sock" --type agent.warning --json
	[ "$(printf '%s\n' "$output" | grep -c 'fail_open: still allowed')" -eq 1 ]
}

@test "OCSP polls from the copies: the user's certificate and CA bundle deleted after bind" {
	issue c5 leaf
	mkdir -p "$D/user"
	cp "$CA/c5.pem" "$CA/ca.pem" "$D/user/"
	responder
	daemon
	KK_CERT=$D/user/c5.pem PKI=$D/user bound_start "$P" sleep 60
	rm "$D/user/c5.pem" "$D/user/ca.pem"
	sleep 3 # past the TTL: fail-closed, a query that could not read its files would block it
	[ "$(state_of "$(serial_of "$CA/c5.pem")")" = active ]
	openssl ca -config "$CA/ca.cnf" -revoke "$CA/c5.pem" 2>/dev/null
	kill "$RPID"; wait "$RPID" 2>/dev/null || true
	responder
	for i in $(seq 40); do [ "$(state_of "$(serial_of "$CA/c5.pem")")" = revoked ] && break; sleep 0.25; done
	[ "$(state_of "$(serial_of "$CA/c5.pem")")" = revoked ]
	wait_stopped "$BOUND_PID"
	kill -9 "$BOUND_PID"
}

@test "OCSP queries are shared per certificate: four bindings of one cost one query per TTL" {
	local n pids=()
	issue c6 leaf
	responder
	# A proxy in front of the responder that counts the queries about c6 it passes on (other
	# tests' bindings may still be polled through it until they are reaped).
	python3 - "$D/queries" "$(serial_of "$CA/c6.pem")" <<'PY' &
import http.server, sys, urllib.request
log = sys.argv[1]
sb = bytes.fromhex(sys.argv[2].rjust(len(sys.argv[2]) + len(sys.argv[2]) % 2, "0"))
sb = (b"\0" + sb) if sb[0] & 0x80 else sb
needle = bytes([2, len(sb)]) + sb  # the CertID's serialNumber INTEGER
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if needle in body:
            open(log, "a").write("q\n")
        req = urllib.request.Request("http://127.0.0.1:18888/", body,
                                     {"Content-Type": "application/ocsp-request"})
        data = urllib.request.urlopen(req, timeout=5).read()
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", 18889), H).serve_forever()
PY
	local proxy=$!
	sleep 1
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock", "ocsp_url": "http://127.0.0.1:18889", "ocsp_timeout_ms": 2000}\n' "$D" "$D" >"$D/d.json"
	for i in 1 2 3 4; do
		KK_CERT=$CA/c6.pem PKI=$CA bound_start "$P" sleep 60
		pids+=("$BOUND_PID")
	done
	: >"$D/queries"
	"$KK" daemon --config "$D/d.json" >/dev/null 2>"$D/daemon.err" &
	DPID=$!
	sleep 7 # cache_ttl_seconds 2: about 4 rounds
	kill "$DPID"; wait "$DPID" 2>/dev/null || true
	DPID=
	n=$(wc -l <"$D/queries")
	echo "$n queries for 4 bindings in 7 s" >&2
	[ "$(state_of "$(serial_of "$CA/c6.pem")")" = active ]
	kill "$proxy" "${pids[@]}" 2>/dev/null || true
	# Asked apart, 4 bindings every 2 s would make 14 or more.
	[ "$n" -ge 2 ]
	[ "$n" -le 6 ]
}
