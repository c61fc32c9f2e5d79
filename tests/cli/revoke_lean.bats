#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# kakunin-revoke, the lean binary of `kakunin-bpf revoke` (user/main_revoke.c): the same
# command, so for every invocation the same stdout, stderr and exit code, byte for byte; and
# linked without the libraries revocation does not need at start.
bats_require_minimum_version 1.5.0
load helpers

KR=${KAKUNIN_REVOKE_BIN:-$(dirname "$KK")/kakunin-revoke}
BB=${KAKUNIN_BENCH_BIN:-$BATS_TEST_DIRNAME/../../build/bench}

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/c"
	sh "$BATS_TEST_DIRNAME/../unit/make-certs.sh" "$BATS_FILE_TMPDIR/c"
}

setup() {
	C=$BATS_FILE_TMPDIR/c
}

# same ARGS...: `kakunin-revoke ARGS` and `kakunin-bpf revoke ARGS` write the same bytes to stdout
# and to stderr and exit with the same code; then $status, $output and $stderr are
# kakunin-revoke's (as `run --separate-stderr` sets them).
same() {
	local d=$BATS_TEST_TMPDIR big lean
	"$KK" revoke "$@" >"$d/big.out" 2>"$d/big.err" && big=0 || big=$?
	"$KR" "$@" >"$d/lean.out" 2>"$d/lean.err" && lean=0 || lean=$?
	[ "$lean" -eq "$big" ] || { echo "exit $lean, kakunin-bpf revoke $big" >&2; return 1; }
	cmp "$d/big.out" "$d/lean.out"
	cmp "$d/big.err" "$d/lean.err"
	run --separate-stderr "$KR" "$@"
}

@test "kakunin-revoke --help: revoke's usage, exit 0" {
	same --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${lines[0]}" = "usage: kakunin-bpf revoke --serial HEX [--issuer CA_CERT] [--reason TEXT]" ]
	[ "${lines[-1]}" = "With --json the result, or the error, is one JSON object on stdout." ]
}

@test "kakunin-revoke: usage errors are revoke's, one line and exit 2 (JSON with --json)" {
	same
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: give exactly one of --serial and --crl (see 'kakunin-bpf revoke --help')"
	same --bogus
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: unknown option '--bogus' (see 'kakunin-bpf revoke --help')"
	same -v --serial 01
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: unknown option '-v' (see 'kakunin-bpf revoke --help')"
	same --serial
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: option '--serial' needs a value (see 'kakunin-bpf revoke --help')"
	same --serial zz
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: --serial 'zz': not a hex serial number (up to 20 bytes) (see 'kakunin-bpf revoke --help')"
	same --serial 01 extra
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: unexpected argument 'extra' (see 'kakunin-bpf revoke --help')"
	same --serial 01 --ca "$C/root.pem"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: --ca goes with --crl (see 'kakunin-bpf revoke --help')"
	same --json --serial 01 --kill --no-stop
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--kill and --no-stop exclude each other"
}

@test "kakunin-revoke: failures are revoke's, one line and exit 1 (JSON with --json)" {
	same --serial 01 --issuer "$C/garbled.pem"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: revoke: --issuer: certificate $C/garbled.pem: "
	same --crl "$C/root.pem" --ca "$C/root.pem"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: revoke: CRL $C/root.pem: no X509 CRL block in the PEM file"
	same --json --crl "$BATS_TEST_TMPDIR/none.pem"
	[ "$status" -eq 1 ]
	assert_json_error ENOENT "CRL $BATS_TEST_TMPDIR/none.pem" "cannot open"
}

@test "kakunin-revoke with nothing loaded: revoke's error line and exit 1" {
	not_loaded_host
	same --serial 01
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: revoke: /sys/fs/bpf/kakunin/maps/kk_task: kakunin-bpf is not loaded: run 'kakunin-bpf load' first"
	same --serial 01 --issuer "$C/root.pem" --json
	[ "$status" -eq 1 ]
	assert_json_error ENOENT /sys/fs/bpf/kakunin/maps/ "kakunin-bpf is not loaded"
}

@test "kakunin-revoke on this build's maps (sandbox): the same revocations as kakunin-bpf revoke" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a mount namespace and bpf())"
	"$BB/kk-revlat" sandbox 1 true 2>/dev/null || skip "no BPF maps or bpffs on this host"
	# A current CRL of the test root revoking one certificate, for --crl.
	(cd "$C" && openssl ca -config ca.cnf -cert root.pem -keyfile root.key \
		-revoke expired.pem -crl_reason keyCompromise &&
		openssl ca -config ca.cnf -cert root.pem -keyfile root.key -gencrl -crldays 1 \
			-out crl.pem) 2>/dev/null
	export C KK KR
	# Each revocation by kakunin-revoke first, then the same by kakunin-bpf (idempotent).
	run --separate-stderr "$BB/kk-revlat" sandbox 8 bash -c '
	for args in "--serial $KK_SERIAL --no-stop" "--serial $KK_SERIAL --no-stop --json" \
		"--serial 7e57000001 --issuer $C/root.pem --reason r --no-stop --json" \
		"--crl $C/crl.pem --ca $C/root.pem --no-stop"; do
		"$KR" $args 2>/dev/null; echo "exit $?"
		"$KK" revoke $args 2>/dev/null; echo "exit $?"
	done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "kakunin-bpf: revoked serial 7e57000007 (any issuer): 1 binding" ]
	[ "${lines[4]}" = '{"serial":"7e57000007","issuer":"*","reason":"","bindings":1,"tasks":"keep","signalled":0}' ]
	[[ "${lines[8]}" == '{"serial":"7e57000001","issuer":"'"$C/root.pem"'","reason":"r","bindings":0,'* ]]
	[[ "${lines[12]}" == "kakunin-bpf: imported 1 revocation from $C/crl.pem: 0 bindings revoked" ]]
	for i in 0 4 8 12; do
		[ "${lines[i + 1]}" = "exit 0" ]
		[ "${lines[i + 2]}" = "${lines[i]}" ]
		[ "${lines[i + 3]}" = "exit 0" ]
	done
	[ "${#lines[@]}" -eq 16 ]
}

@test "kakunin-revoke needs neither OpenSSL nor libsystemd nor libbpf from the loader" {
	run readelf -d "$KR"
	[ "$status" -eq 0 ]
	needed=$(printf '%s\n' "$output" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
	[ "$needed" = "libc.so.6 libcjson.so.1 " ]
	# kakunin-bpf does need them: the comparison is not vacuous.
	run readelf -d "$KK"
	[[ "$output" == *"libbpf.so"* && "$output" == *"libcrypto.so"* && "$output" == *"libsystemd.so"* ]]
}
