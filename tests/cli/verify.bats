#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `kakunin-bpf verify`: JWS made by the test signer (tests/helpers/kk-jws-sign.c, the project's
# kk_jws_sign) with certificates from a real openssl CA, checked against that CA: the verdict, and
# each check failing on its own (chain, validity, signature, freshness, replay, revocation by CRL
# and by a live `openssl ocsp` responder on loopback, scope), malformed input and usage.
bats_require_minimum_version 1.5.0
load helpers

SIGN=${KK_JWS_SIGN:-$BATS_TEST_DIRNAME/../../build/tests/kk-jws-sign}
SCOPE_OID=2.25.243117301337387610220934576524076285139

setup_file() {
	CA=$BATS_FILE_TMPDIR/ca
	mkdir -p "$CA/certs"
	cd "$CA"
	: >index.txt
	echo 1000 >serial
	# A free loopback port for the OCSP responder, written into the leaves' AIA.
	OCSP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$OCSP_PORT
[scoped]
basicConstraints = CA:FALSE
# (openssl's config strips unescaped quotes)
$SCOPE_OID = ASN1:UTF8String:{\"trade\": {\"fields\": {\"size\": {\"max\": 10}}}}
[ocsp]
basicConstraints = CA:FALSE
extendedKeyUsage = OCSPSigning
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=kk verify CA" \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=other CA" \
		-addext keyUsage=critical,keyCertSign,cRLSign -keyout other.key -out other.pem 2>/dev/null
	issue ocsp ocsp "ec -pkeyopt ec_paramgen_curve:P-256" ocsp
	issue agent leaf "ec -pkeyopt ec_paramgen_curve:P-256" trader-1
	issue rsa leaf "rsa -pkeyopt rsa_keygen_bits:2048" trader-1
	issue ed leaf ed25519 trader-1
	issue scoped scoped "ec -pkeyopt ec_paramgen_curve:P-256" trader-1
	issue old leaf "ec -pkeyopt ec_paramgen_curve:P-256" trader-1 \
		-startdate 20200101000000Z -enddate 20200102000000Z
	issue revoked leaf "ec -pkeyopt ec_paramgen_curve:P-256" trader-1
	openssl ca -config ca.cnf -revoke revoked.pem -crl_reason keyCompromise 2>/dev/null
	openssl ca -config ca.cnf -gencrl -out crl.pem 2>/dev/null
	export CA OCSP_PORT
}

# issue NAME SECTION KEYALG CN [openssl ca options]: a certificate in the CA's index.
issue() {
	local name=$1 sect=$2 alg=$3 cn=${4:-agent}
	shift 4
	# shellcheck disable=SC2086
	openssl req -newkey $alg -nodes -subj "/CN=$cn" -keyout "$CA/$name.key" \
		-out "$CA/$name.csr" 2>/dev/null
	openssl ca -batch -notext -config "$CA/ca.cnf" -extensions "$sect" -in "$CA/$name.csr" \
		-out "$CA/$name.pem" "$@" 2>/dev/null
}

setup() {
	D=$BATS_TEST_TMPDIR
	PAYLOAD='{"size": 10, "market": "EUR_USD", "side": "buy"}'
}

teardown() {
	[ -n "${RPID:-}" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null || true
}

# sign NAME [kk-jws-sign options]: a JWS over $PAYLOAD with NAME's key and certificate.
sign() {
	local name=$1
	shift
	printf '%s' "$PAYLOAD" | "$SIGN" --key "$CA/$name.key" --cert "$CA/$name.pem" "$@"
}

serial_of() {
	openssl x509 -in "$CA/$1.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}

responder() {
	openssl ocsp -index "$CA/index.txt" -port "$OCSP_PORT" -rsigner "$CA/ocsp.pem" \
		-rkey "$CA/ocsp.key" -CA "$CA/ca.pem" -nmin 5 >"$D/resp.log" 2>&1 &
	RPID=$!
	for i in $(seq 100); do grep -qi "waiting for OCSP client connections" "$D/resp.log" && return 0; sleep 0.05; done
	cat "$D/resp.log" >&2
	return 1
}

# The last run failed with exit 1 and one stderr line naming check $1 and containing $2.
assert_failed() {
	[ "$status" -eq 1 ] || { echo "status $status: $output $stderr" >&2; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output" >&2; return 1; }
	assert_one_stderr_line "kakunin-bpf: verify: $1 failed: "
	assert_one_stderr_line "$2"
}

@test "verify: an ES256 JWS from a certificate of the CA verifies: exit 0, the JSON verdict" {
	jws=$(sign agent --action trade --jti 00112233445566778899aabbccddeeff)
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$jws"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	python3 - "$output" "$(serial_of agent)" <<'PY'
import json, sys, time
o = json.loads(sys.argv[1])
assert o["valid"] is True, o
assert o["agent_id"] == "trader-1" and o["subject_cn"] == "trader-1", o
assert o["serial"] == sys.argv[2], (o, sys.argv[2])
assert o["action"] == "trade" and o["alg"] == "ES256" and o["cty"] == "json", o
assert o["host"] == "testhost" and o["policy_hash"] == "00", o
assert o["jti"] == "00112233445566778899aabbccddeeff", o
assert abs(o["iat"] - time.time()) < 30, o
assert o["checks"] == {"format": "ok", "signature": "ok", "chain": "ok", "validity": "ok",
                       "claims": "ok", "revocation": "skipped", "freshness": "ok",
                       "replay": "skipped", "scope": "skipped"}, o
PY
}

@test "verify: PS256 (RSA 2048) and EdDSA (Ed25519) signatures verify, from standard input too" {
	sign rsa >"$D/rsa.jws"
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" - <"$D/rsa.jws"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"alg":"PS256"'* ]]
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign ed)"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"alg":"EdDSA"'* ]]
}

@test "verify: x5c carries an intermediate CA: verifies to the root; without it the chain fails" {
	cd "$BATS_TEST_TMPDIR"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kk intermediate" \
		-keyout int.key -out int.csr 2>/dev/null
	openssl x509 -req -in int.csr -CA "$CA/ca.pem" -CAkey "$CA/ca.key" -set_serial 0x77 -days 1 \
		-extfile <(printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n') \
		-out int.pem 2>/dev/null
	openssl req -newkey ed25519 -nodes -subj "/CN=trader-1" -keyout l.key -out l.csr 2>/dev/null
	openssl x509 -req -in l.csr -CA int.pem -CAkey int.key -set_serial 0x78 -days 1 \
		-extfile <(printf 'basicConstraints=CA:FALSE\n') -out l.pem 2>/dev/null
	cat l.pem int.pem >chain.pem
	jws=$(printf '{}' | "$SIGN" --key l.key --cert chain.pem)
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$jws"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"serial":"78"'* ]]
	jws=$(printf '{}' | "$SIGN" --key l.key --cert l.pem)
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$jws"
	assert_failed chain "x5c"
}

@test "verify: the payload travels as its RFC 8785 canonical bytes" {
	jws=$(sign agent)
	p=$(printf '%s' "$jws" | cut -d. -f2 | python3 -c 'import base64,sys; s=sys.stdin.read().strip(); print(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode())')
	[ "$p" = '{"market":"EUR_USD","side":"buy","size":10}' ]
}

@test "verify: a certificate of another CA fails the chain check" {
	run --separate-stderr "$KK" verify --ca "$CA/other.pem" "$(sign agent)"
	assert_failed chain "not signed by a CA in $CA/other.pem"
}

@test "verify: an expired certificate fails the validity check" {
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign old)"
	assert_failed validity "expired"
}

@test "verify: a changed payload, header or signature fails the signature check" {
	jws=$(sign agent)
	IFS=. read -r h p s <<<"$jws"
	other=$(printf '{"market":"EUR_USD","side":"buy","size":9000}' | basenc --base64url | tr -d '=\n')
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$h.$other.$s"
	assert_failed signature "does not verify with x5c[0]'s key"
	other=$(sign agent --agent trader-2 | cut -d. -f1)
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$other.$p.$s"
	assert_failed signature "does not verify"
	if [ "${s:0:1}" = A ]; then t=B${s:1}; else t=A${s:1}; fi
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$h.$p.$t"
	assert_failed signature "does not verify"
}

@test "verify: an iat older than --max-age, or too far ahead, fails the freshness check" {
	now=$(date +%s)
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign agent --iat $((now - 120)))"
	assert_failed freshness "s old, more than the 60 s allowed"
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --max-age 300 "$(sign agent --iat $((now - 120)))"
	[ "$status" -eq 0 ]
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign agent --iat $((now + 100)))"
	assert_failed freshness "in the future"
}

@test "verify: --replay-db accepts a jti once; the second verify fails check=replay" {
	jws=$(sign agent --jti aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --replay-db "$D/replay" "$jws"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"replay":"ok"'* ]]
	grep -Eq '^aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa [0-9]+$' "$D/replay"
	run --separate-stderr "$KK" verify --json --ca "$CA/ca.pem" --replay-db "$D/replay" "$jws"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 - "$output" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
assert o["valid"] is False and o["check"] == "replay", o
assert o["why"] == "jti: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa already seen (replay)", o
assert o["checks"]["replay"] == "failed" and o["checks"]["scope"] == "not run", o
PY
	# another jti passes; an entry past its expiry is dropped
	echo "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 1000" >>"$D/replay"
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --replay-db "$D/replay" "$(sign agent --jti cccccccccccccccccccccccccccccccc)"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$D/replay")" -eq 2 ]
	! grep -q bbbb "$D/replay"
	# a file that is not "jti expiry" lines fails closed
	echo "garbage" >>"$D/replay"
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --replay-db "$D/replay" "$(sign agent --jti dddddddddddddddddddddddddddddddd)"
	assert_failed replay "line 3 malformed"
}

@test "verify --replay-db: concurrent verifiers accept a jti once and lose no other jti" {
	jws=$(sign agent --jti eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee)
	for i in $(seq 12); do
		(rc=0; "$KK" verify --ca "$CA/ca.pem" --replay-db "$D/replay" "$jws" >/dev/null 2>&1 || rc=$?; echo $rc) &
	done >"$D/rcs"
	wait
	[ "$(sort "$D/rcs" | uniq -c | tr -s ' ')" = "$(printf ' 1 0\n 11 1')" ]
	for i in $(seq 12); do
		j=$(printf '%032x' "$i")
		(rc=0; sign agent --jti "$j" | "$KK" verify --ca "$CA/ca.pem" --replay-db "$D/replay" - >/dev/null 2>&1 || rc=$?; echo $rc) &
	done >"$D/rcs2"
	wait
	[ "$(sort -u "$D/rcs2")" = 0 ]
	[ "$(wc -l <"$D/replay")" -eq 13 ]
	[ "$(stat -c %a "$D/replay")" = 600 ]
}

@test "verify --crl: a revoked certificate fails the revocation check; others pass" {
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --crl "$CA/crl.pem" "$(sign revoked)"
	assert_failed revocation "certificate serial $(serial_of revoked): revoked at "
	assert_one_stderr_line "(reason code 1, CRL)"
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --crl "$CA/crl.pem" "$(sign agent)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"revocation\":\"crl $CA/crl.pem\""* ]]
	[[ "$output" == *'"revocation":"ok"'* ]]
	# a CRL the CA did not sign is no answer: fail closed
	openssl ca -config "$CA/ca.cnf" -gencrl -keyfile "$CA/other.key" -cert "$CA/other.pem" -out "$D/forged.pem" 2>/dev/null
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --crl "$D/forged.pem" "$(sign agent)"
	assert_failed revocation "CRL"
}

@test "verify --ocsp: good, revoked, and no responder (fail closed) against openssl ocsp" {
	responder
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --ocsp "$(sign agent)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"revocation\":\"ocsp http://127.0.0.1:$OCSP_PORT\""* ]]
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --ocsp "$(sign revoked)"
	assert_failed revocation "certificate serial $(serial_of revoked): revoked at "
	assert_one_stderr_line "OCSP)"
	kill "$RPID" && wait "$RPID" 2>/dev/null || true
	RPID=
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --ocsp "$(sign agent)"
	assert_failed revocation "OCSP responder http://127.0.0.1:$OCSP_PORT: cannot connect"
}

@test "verify: the certificate's scope extension is checked against the payload" {
	PAYLOAD='{"size": 10}'
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign scoped)"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
	[[ "$output" == *'"scope":"ok"'* ]]
	PAYLOAD='{"size": 11}'
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign scoped)"
	assert_failed scope 'certificate scope: action "trade": out_of_scope: size 11 above max 10'
	PAYLOAD='{"size": 10, "market": "EUR_USD"}'
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign scoped)"
	assert_failed scope 'action "trade": out_of_scope: '
	assert_one_stderr_line 'market'
	PAYLOAD='{"size": 10}'
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign scoped --action withdraw)"
	assert_failed scope 'action "withdraw": unknown_action'
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign scoped --raw)"
	assert_failed scope "a raw (octet) payload cannot be checked against it"
	# without the extension there is nothing to check
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$(sign agent)"
	[[ "$output" == *'"scope":"skipped"'* ]]
}

@test "verify: malformed input fails the format check with one line (or JSON with --json)" {
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "not-a-jws"
	assert_failed format "JWS: not three dot-separated parts"
	jws=$(sign agent)
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "${jws%%.*}=.x.y"
	assert_failed format "JWS header: not base64url"
	run --separate-stderr "$KK" verify --json --ca "$CA/ca.pem" "YQ.b.c"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[[ "$output" == '{"valid":false,"check":"format","why":"JWS header: not JSON: line 1 column 1: unexpected character '"'a'"'","checks":{"format":"failed",'* ]]
	head -c 300000 /dev/zero | tr '\0' A >"$D/big"
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" - <"$D/big"
	assert_failed format "bytes, more than the 262144 allowed"
	hdr=$(printf '{"alg":"none","x5c":[]}' | basenc --base64url | tr -d '=\n')
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" "$hdr.e30."
	assert_failed format "alg \"none\" refused"
}

@test "verify: usage errors exit 2" {
	run --separate-stderr "$KK" verify "$(sign agent)"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "--ca CA is required"
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --ocsp --crl "$CA/crl.pem" x.y.z
	[ "$status" -eq 2 ]
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --max-age 0 x.y.z
	[ "$status" -eq 2 ]
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem"
	[ "$status" -eq 2 ]
	run --separate-stderr "$KK" verify --ca "$CA/ca.pem" --bogus x.y.z
	[ "$status" -eq 2 ]
	run --separate-stderr "$KK" verify --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: kakunin-bpf verify --ca CA"* ]]
}
