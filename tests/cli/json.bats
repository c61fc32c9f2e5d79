#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# --json on revoke, bind, run, load, unload, policy and audit without a kernel: a failure is one
# {"error": {code, errno, what, why}} object on stdout and nothing on stderr (exit 1, or 2 for
# usage errors), and the text forms keep their one line on stderr under the command's own name.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/c"
	sh "$BATS_TEST_DIRNAME/../unit/make-certs.sh" "$BATS_FILE_TMPDIR/c"
}

setup() {
	C=$BATS_FILE_TMPDIR/c
}

@test "revoke --json: usage errors are JSON objects, exit 2" {
	run --separate-stderr "$KK" revoke --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "give exactly one of --serial and --crl"
	run --separate-stderr "$KK" revoke --serial zz --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "--serial 'zz'" "not a hex serial number (up to 20 bytes)"
	run --separate-stderr "$KK" revoke --json --serial 0a --kill --no-stop
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--kill and --no-stop exclude each other"
	run --separate-stderr "$KK" revoke --json --serial 0a --reason "$(printf 'r%.0s' $(seq 64))"
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "--reason" "at most 63 bytes"
	run --separate-stderr "$KK" revoke --bogus --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unknown option '--bogus'"
	run --separate-stderr "$KK" revoke --serial 0a --ca x.pem
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: revoke: --ca goes with --crl (see 'kakunin-bpf revoke --help')"
}

@test "revoke --crl with a file that is no CRL: exit 1, before root or kernel" {
	printf 'garbage\n' >"$BATS_TEST_TMPDIR/crl.pem"
	run --separate-stderr "$KK" revoke --json --crl "$BATS_TEST_TMPDIR/crl.pem" --ca "$C/root.pem"
	[ "$status" -eq 1 ]
	assert_json_error EINVAL "CRL $BATS_TEST_TMPDIR/crl.pem" "not a CRL"
	run --separate-stderr "$KK" revoke --crl "$BATS_TEST_TMPDIR/crl.pem" --ca "$C/root.pem"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: revoke: CRL $BATS_TEST_TMPDIR/crl.pem: not a CRL"
	[ -z "$output" ]
}

@test "revoke --issuer that cannot be read, and revoke when not loaded" {
	run --separate-stderr "$KK" revoke --json --serial 0a --issuer "$C/missing.pem"
	[ "$status" -eq 1 ]
	assert_json_error ENOENT "--issuer" "certificate $C/missing.pem: cannot open"
	not_loaded_host
	run --separate-stderr "$KK" revoke --json --serial 0a
	[ "$status" -eq 1 ]
	assert_json_error ENOENT /sys/fs/bpf/kakunin/maps/ "kakunin-bpf is not loaded"
	run --separate-stderr "$KK" revoke --serial 0a
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: revoke: /sys/fs/bpf/kakunin/maps/"
}

@test "load and unload: usage errors as JSON; exit 3 with a JSON error where BPF-LSM cannot run" {
	run --separate-stderr "$KK" load --json --ringbuf-size 5000
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "--ringbuf-size '5000'" "a power of two from 4096 to 1073741824 bytes"
	run --separate-stderr "$KK" load --ringbuf-size 5000
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: load: --ringbuf-size '5000': a power of two from 4096 to 1073741824 bytes (see 'kakunin-bpf load --help')"
	run --separate-stderr "$KK" unload extra --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unexpected argument 'extra'"
	run --separate-stderr "$KK" unload --bogus --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unknown option '--bogus'"
	[ -r /sys/kernel/security/lsm ] && grep -qw bpf /sys/kernel/security/lsm &&
		skip "this host kernel has BPF LSM active; the VM suite covers exit 3"
	[ "$(id -u)" -eq 0 ] || skip "needs root (otherwise load stops at 'must run as root')"
	run --separate-stderr "$KK" load --json
	[ "$status" -eq 3 ]
	assert_json_error "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["error"]["errno"])' "$output")" "" "BPF LSM unavailable: "
}

@test "unload --json when nothing is loaded: one object, exit 0" {
	not_loaded_host
	run --separate-stderr "$KK" unload --json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = '{"unloaded":false,"live_bindings":0,"pin_root":"/sys/fs/bpf/kakunin"}' ]
}

# The last run printed one JSON error object whose "errors" list holds $1 positioned entries,
# the first at line $2 col $3 of field $4; nothing on stderr.
assert_json_policy_error() {
	[ -z "$stderr" ] || { echo "stderr not empty: $stderr" >&2; return 1; }
	python3 - "$output" "$@" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
e = o["error"]
assert set(e) == {"code", "errno", "what", "why", "errors"}, e
assert e["errno"] == "EINVAL" and len(e["errors"]) == int(sys.argv[2]), e
x = e["errors"][0]
assert set(x) == {"file", "line", "col", "field", "why"}, x
assert x["file"] == e["what"], e
assert (x["line"], x["col"], x["field"]) == (int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]), x
PY
}

@test "bind and run --json: a bad certificate is a JSON error under no library's name" {
	local pol=$BATS_TEST_DIRNAME/../../policies/trading-bot.json
	run --separate-stderr "$KK" bind --json --offline --pid 1 --cert "$C/missing.pem" --policy "$pol"
	[ "$status" -eq 1 ]
	assert_json_error ENOENT "certificate $C/missing.pem" "cannot open"
	run --separate-stderr "$KK" run --json --offline --cert "$C/wrongca.pem" --ca "$C/root.pem" --policy "$pol" -- true
	[ "$status" -eq 1 ]
	assert_json_error EKEYREJECTED "certificate $C/wrongca.pem" "not signed by a CA in $C/root.pem"
	run --separate-stderr "$KK" run --offline --cert "$C/missing.pem" --policy "$pol" -- true
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: run: certificate $C/missing.pem: cannot open"
	[ -z "$output" ]
}

@test "bind and run --json: usage errors are JSON objects, exit 2" {
	run --separate-stderr "$KK" bind --json --cert x.pem --policy p.json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--pid or --cgroup is required"
	run --separate-stderr "$KK" bind --pid 0x1 --cert x.pem --policy p.json --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "--pid '0x1'" "not a process id (1 to 2147483647)"
	run --separate-stderr "$KK" bind --bogus --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unknown option '--bogus'"
	run --separate-stderr "$KK" run --json --cert x.pem
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--policy is required"
	run --separate-stderr "$KK" run --json --cert x.pem --policy p.json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "no command given (put it after --)"
}

@test "bind and run --json: policy errors come as a list with their positions" {
	printf '{"agent_id": "trading_bot_v2", "version": "1", "mode": "x", "colour": 1}' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr "$KK" bind --json --offline --pid 1 --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
	assert_json_policy_error 2 1 56 mode
	run --separate-stderr "$KK" run --json --offline --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/bad.json" -- true
	[ "$status" -eq 1 ]
	assert_json_policy_error 2 1 56 mode
	run --separate-stderr "$KK" run --offline --cert "$C/leaf.pem" --ca "$C/root.pem" --policy "$BATS_TEST_TMPDIR/bad.json" -- true
	[ "$status" -eq 1 ]
	[[ "$stderr" == "$BATS_TEST_TMPDIR/bad.json:1:56: mode: must be \"enforce\" or \"audit\""* ]]
}

@test "bind --json when nothing is loaded" {
	not_loaded_host
	sleep 300 &
	local pid=$!
	run --separate-stderr "$KK" bind --json --offline --region eu-west-1 --pid "$pid" --cert "$C/leaf.pem" --ca "$C/root.pem" \
		--policy "$BATS_TEST_DIRNAME/../../policies/trading-bot.json"
	kill "$pid"
	[ "$status" -eq 1 ]
	assert_json_error ENOENT /sys/fs/bpf/kakunin/maps/ "kakunin-bpf is not loaded"
}

@test "policy check --json: one object per file, errors with their positions, exit 1" {
	cd "$BATS_TEST_TMPDIR"
	printf '{"agent_id": "a", "version": "1"}' >good.json
	printf '{"agent_id": "a", "version": 7, "mode": "x"}' >bad.json
	run --separate-stderr "$KK" policy check --offline --json good.json bad.json
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	python3 - "${lines[0]}" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
assert o["file"] == "good.json" and o["agent_id"] == "a" and o["mode"] == "enforce", o
assert len(o["hash"]) == 64, o
PY
	output=${lines[1]}
	assert_json_policy_error 2 1 30 version
	run --separate-stderr "$KK" policy show --json bad.json
	[ "$status" -eq 1 ]
	assert_json_policy_error 2 1 30 version
	run --separate-stderr "$KK" policy check --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "check needs a policy FILE"
	run --separate-stderr "$KK" policy check --offline bad.json
	[ "$status" -eq 1 ]
	[[ "$stderr" == "bad.json:1:30: version: "* ]]
}

@test "audit verify --json: a broken chain names file and line; usage errors as JSON" {
	printf '{"a":1}\n' >"$BATS_TEST_TMPDIR/a.jsonl"
	run --separate-stderr "$KK" audit verify --json "$BATS_TEST_TMPDIR/a.jsonl"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 - "$output" "$BATS_TEST_TMPDIR/a.jsonl" <<'PY'
import json, sys
e = json.loads(sys.argv[1])["error"]
assert e["errno"] == "EINVAL" and e["what"] == sys.argv[2] + ":1" and e["lines_verified"] == 0, e
PY
	run --separate-stderr "$KK" audit verify "$BATS_TEST_TMPDIR/a.jsonl"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: audit: $BATS_TEST_TMPDIR/a.jsonl:1: "
	: >"$BATS_TEST_TMPDIR/e.jsonl"
	run --separate-stderr "$KK" audit verify --json "$BATS_TEST_TMPDIR/e.jsonl"
	[ "$status" -eq 0 ]
	[ "$output" = "{\"intact\":true,\"lines\":0,\"last_hash\":\"$(printf '0%.0s' $(seq 64))\",\"files\":[\"$BATS_TEST_TMPDIR/e.jsonl\"]}" ]
	run --separate-stderr "$KK" audit verify --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "verify needs at least one FILE"
	run --separate-stderr "$KK" audit verify --bogus --json
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "unknown option '--bogus'"
}
