#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 105 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# The daemon's CRL fetcher (user/daemon_crl.c) with a real `openssl ca` and a CRL served by
# python3 -m http.server on 127.0.0.1: crl_urls refreshed at nextUpdate (clamped to 60 s) revoke
# a bound agent and stop it; a CRL of another CA is refused with one line; the certificate's own
# CRL Distribution Point is fetched without crl_urls.
bats_require_minimum_version 1.5.0
load helpers

PORT=18890

setup_file() {
	CA=$BATS_FILE_TMPDIR/ca
	WWW=$BATS_FILE_TMPDIR/www
	mkdir -p "$CA/certs" "$WWW"
	cd "$CA"
	: >index.txt
	echo 2000 >serial
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
[cdp]
basicConstraints = CA:FALSE
crlDistributionPoints = URI:http://127.0.0.1:$PORT/cdp.crl
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kk crl CA" \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem 2>/dev/null
	export CA WWW
	"$KK" load
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"data_access": {"/data/*": ["read"], "/usr/*": ["read", "exec"]}'
	export P
	python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WWW" \
		>/dev/null 2>"$BATS_FILE_TMPDIR/http.log" &
	echo $! >"$BATS_FILE_TMPDIR/http.pid"
	for i in $(seq 100); do grep -q "Serving HTTP" "$BATS_FILE_TMPDIR/http.log" && break; sleep 0.05; done
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/http.pid")" 2>/dev/null || true
	kk_unload --force
}

# issue NAME SECTION: a certificate in the CA's index (openssl ca).
issue() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=agent \
		-keyout "$CA/$1.key" -out "$CA/$1.csr" 2>/dev/null
	openssl ca -batch -notext -config "$CA/ca.cnf" -extensions "$2" -in "$CA/$1.csr" \
		-out "$CA/$1.pem" 2>/dev/null
}

# crl FILE [openssl ca -gencrl ARGS]: the CA's current CRL, DER, as WWW/FILE.
crl() {
	local f=$1
	shift
	openssl ca -config "$CA/ca.cnf" -gencrl -out "$D/crl.pem" "$@" 2>/dev/null
	openssl crl -in "$D/crl.pem" -outform DER -out "$WWW/$f.tmp"
	mv "$WWW/$f.tmp" "$WWW/$f"
}

setup() {
	mkdir -p /data && echo d >/data/f
	D=$BATS_TEST_TMPDIR
	drain_events
}

teardown() {
	[ -n "${DPID:-}" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	[ -n "${BOUND_PID:-}" ] && kill -9 "$BOUND_PID" 2>/dev/null || true
}

# daemon [JSON-MEMBERS]: the daemon with its audit file and socket in the test's directory.
daemon() {
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock", "ocsp_timeout_ms": 2000%s%s}\n' \
		"$D" "$D" "${1:+, }" "${1:-}" >"$D/d.json"
	"$KK" daemon --config "$D/d.json" >"$D/daemon.out" 2>"$D/daemon.err" &
	DPID=$!
	for i in $(seq 100); do [ -S "$D/ev.sock" ] && return 0; sleep 0.05; done
	return 1
}

state_of() {
	"$KK" status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print([b["state"] for b in s["bindings"] if b["serial"] == sys.argv[1]][0])' "$1"
}

gets() {
	grep -c "GET /$1 " "$BATS_FILE_TMPDIR/http.log" || true
}

@test "crl_urls: fetched once, again at nextUpdate (60 s at least), and a revocation stops the agent" {
	# The daemon's revocation is revoke's (op_revoke.c): EACCES on every scoped action of a
	# revoked identity is revoke.bats' and ocsp.bats' to show; here, that the refresh does it.
	issue r1 leaf
	crl ca.crl -crlsec 5 # nextUpdate in 5 s: refreshed after the 60 s minimum
	KK_CERT=$CA/r1.pem PKI=$CA bound_start "$P" sleep 300
	local before
	before=$(gets ca.crl)
	daemon '"crl_urls": ["http://127.0.0.1:'$PORT'/ca.crl"], "crl_from_certificates": false'
	sleep 4
	# One GET in 4 s: a current CRL is not fetched again before its (clamped) nextUpdate.
	[ "$(( $(gets ca.crl) - before ))" -eq 1 ]
	[ ! -s "$D/daemon.err" ]
	[ "$(state_of "$(serial_of "$CA/r1.pem")")" = active ]
	openssl ca -config "$CA/ca.cnf" -revoke "$CA/r1.pem" -crl_reason keyCompromise 2>/dev/null
	crl ca.crl -crlhours 1
	for i in $(seq 90); do grep -q '"event_type":"agent.revoked"' "$D/audit.jsonl" && break; sleep 1; done
	[ "$(state_of "$(serial_of "$CA/r1.pem")")" = revoked ] || {
		"$KK" status >&2; cat "$D/daemon.out" "$D/daemon.err" "$D/audit.jsonl" >&2; false; }
	wait_stopped "$BOUND_PID"
	[ "$(( $(gets ca.crl) - before ))" -eq 2 ]
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$CA/r1.pem")"'","revoked_at":'*'"source":"crl","reason":"crl: keyCompromise"'* ]]
	grep -q '"event_type":"agent.revoked".*"reason":"crl: keyCompromise"' "$D/audit.jsonl"
	grep -qx "kakunin-bpf: daemon: CRL http://127.0.0.1:$PORT/ca.crl: 1 new revocation: 1 binding, 1 task stopped" \
		<(cat "$D/daemon.out" "$D/daemon.err")
	[ ! -s "$D/daemon.err" ]
}

@test "a CRL signed by another CA is refused with one line and not imported" {
	mkdir -p "$D/other/certs"
	sed "s#^dir = .*#dir = $D/other#" "$CA/ca.cnf" >"$D/other/ca.cnf"
	: >"$D/other/index.txt"
	echo 2000 >"$D/other/serial"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kk other CA" \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout "$D/other/ca.key" -out "$D/other/ca.pem" 2>/dev/null
	issue r2 leaf
	# The other CA revokes a certificate of the same serial as r2.
	openssl x509 -req -in "$CA/r2.csr" -CA "$D/other/ca.pem" -CAkey "$D/other/ca.key" \
		-set_serial "0x$(serial_of "$CA/r2.pem")" -days 1 -out "$D/other/r2.pem" 2>/dev/null
	openssl ca -config "$D/other/ca.cnf" -cert "$D/other/ca.pem" -keyfile "$D/other/ca.key" -revoke "$D/other/r2.pem" 2>/dev/null || true
	openssl ca -config "$D/other/ca.cnf" -cert "$D/other/ca.pem" -keyfile "$D/other/ca.key" -gencrl -out "$D/other.pem" 2>/dev/null
	openssl crl -in "$D/other.pem" -outform DER -out "$WWW/other.crl"
	KK_CERT=$CA/r2.pem PKI=$CA bound_start "$P" sleep 120
	daemon '"crl_urls": ["http://127.0.0.1:'$PORT'/other.crl"]'
	sleep 4
	run cat "$D/daemon.err"
	[ "${#lines[@]}" -eq 1 ] # one line for the streak, not one per try
	[[ "${lines[0]}" == "kakunin-bpf: daemon: CRL http://127.0.0.1:$PORT/other.crl: issuer \"CN=kk other CA\" is not in CA bundle /"*"/bindings/$BOUND_SLOT-"*".ca.pem" ]]
	[ "$(state_of "$(serial_of "$CA/r2.pem")")" = active ]
}

@test "crl_from_certificates: the bound certificate's CRL Distribution Point, without crl_urls" {
	issue r3 cdp
	openssl x509 -in "$CA/r3.pem" -noout -ext crlDistributionPoints | grep -q "http://127.0.0.1:$PORT/cdp.crl"
	openssl ca -config "$CA/ca.cnf" -revoke "$CA/r3.pem" -crl_reason superseded 2>/dev/null
	crl cdp.crl
	# The list knows nothing of it yet: the bind succeeds.
	KK_CERT=$CA/r3.pem PKI=$CA bound_start "$P" sleep 120
	daemon
	for i in $(seq 40); do [ "$(state_of "$(serial_of "$CA/r3.pem")")" = revoked ] && break; sleep 0.25; done
	[ "$(state_of "$(serial_of "$CA/r3.pem")")" = revoked ]
	wait_stopped "$BOUND_PID"
	run "$KK" status --json
	[[ "$output" == *'"serial":"'"$(serial_of "$CA/r3.pem")"'","revoked_at":'*'"source":"crl","reason":"crl: superseded"'* ]]
	# Not with crl_from_certificates false: a new binding of the next certificate stays active.
	kill -9 "$BOUND_PID"; BOUND_PID=
	kill "$DPID"; wait "$DPID" 2>/dev/null || true
	issue r4 cdp
	openssl ca -config "$CA/ca.cnf" -revoke "$CA/r4.pem" 2>/dev/null
	crl cdp.crl
	KK_CERT=$CA/r4.pem PKI=$CA bound_start "$P" sleep 120
	daemon '"crl_from_certificates": false'
	sleep 3
	[ "$(state_of "$(serial_of "$CA/r4.pem")")" = active ]
}
