#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The signer and its clients on the host (no BPF here: what a signer decides is tested in the VM,
# tests/kernel/signer.bats). Here: the configuration's errors with positions, what it checks of
# each agent before it needs the kernel (keys, certificates, policies), argv and usage, and the
# clients (kakunin-bpf sign, the Python module) against a stand-in signer that records the
# request line and answers with a given reply.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=kakunin test CA" -keyout ca.key -out ca.pem 2>/dev/null
	for a in agent other; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$a" \
			-keyout $a.key -out $a.csr 2>/dev/null
		openssl x509 -req -in $a.csr -CA ca.pem -CAkey ca.key -set_serial 0x$(openssl rand -hex 8) \
			-days 2 -out $a.pem 2>/dev/null
		chmod 600 $a.key
	done
	printf '{"agent_id": "agent", "version": "1", "actions": {"trade": {"fields": {"size": {"max": 10}}}}}\n' >p.json
}

config() {
	printf '{"socket": "%s/s.sock", "agents": [{"certificate": "%s", "key": "%s", "policy": "p.json"}]}\n' \
		"$BATS_TEST_TMPDIR" "$1" "$2" >signer.json
}

@test "signer.json: unknown keys, wrong types, missing members, each with LINE:COL; exit 1" {
	printf '{\n  "max_payload": 0,\n  "agents": [{"certificate": "a.pem", "kee": "k"}],\n  "sockett": "/x"\n}\n' >signer.json
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kakunin-bpf: signer: signer.json:2:18: max_payload: must be an integer from 1 to 65536" ]
	[ "${stderr_lines[1]}" = 'kakunin-bpf: signer: signer.json:3:14: agents[0]: needs "key"' ]
	[ "${stderr_lines[2]}" = 'kakunin-bpf: signer: signer.json:3:14: agents[0]: needs "policy"' ]
	[ "${stderr_lines[3]}" = "kakunin-bpf: signer: signer.json:3:39: agents[0].kee: unknown key (expected: certificate, chain, key, policy)" ]
	[ "${stderr_lines[4]}" = "kakunin-bpf: signer: signer.json:4:3: sockett: unknown key (expected: socket, agents, max_payload, ca, ocsp_url, ocsp_timeout_ms, egress_max_connections, egress_handshake_timeout_ms, egress_idle_timeout_s)" ]
	[ "${#stderr_lines[@]}" -eq 5 ]
}

@test "signer.json: a syntax error, a missing file, no agents: one line each" {
	printf '{"agents" []}' >signer.json
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: signer: signer.json:1:11: expected ':' after the key" ]
	run --separate-stderr "$KK" signer --config nosuch.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: signer: nosuch.json: No such file or directory" ]
	echo '{}' >signer.json
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	[ "$stderr" = 'kakunin-bpf: signer: signer.json:1:1: needs "agents": the certificates and keys to sign with' ]
}

@test "signer: a key that is not the certificate's is refused before anything listens" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	config agent.pem other.key
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: signer: "
	[[ "$stderr" == *"other.key"* ]]
	[ ! -e s.sock ]
}

@test "signer: a key file others may read is refused (key custody), naming the file" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	chmod 644 agent.key
	config agent.pem agent.key
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	assert_one_stderr_line "agent.key"
	[ ! -e s.sock ]
}

@test "signer: a policy for another agent than the certificate names is refused" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	config other.pem other.key
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	assert_one_stderr_line "other.pem"
	[[ "$stderr" == *'agent_id "agent"'* ]]
}

@test "signer: a policy with errors is refused with its first error's position" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	printf '{"agent_id": "agent", "version": "1", "actions": {"trade": {"fieldz": {}}}}\n' >p.json
	config agent.pem agent.key
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	assert_one_stderr_line "p.json"
	[[ "$stderr" == *"1:"*"fieldz"* ]]
}

@test "signer: everything loads, then no kernel here: one line, exit 1, no socket left" {
	not_loaded_host
	config agent.pem agent.key
	run --separate-stderr "$KK" signer --config signer.json
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf is not loaded"
	[ ! -e s.sock ]
}

@test "signer and sign: usage errors exit 2 with one line; --help exits 0" {
	run --separate-stderr "$KK" signer --bogus
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: signer: "
	run --separate-stderr "$KK" signer extra
	[ "$status" -eq 2 ]
	assert_one_stderr_line "unexpected argument 'extra'"
	run --separate-stderr "$KK" signer --socket ""
	[ "$status" -eq 2 ]
	run "$KK" signer --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: kakunin-bpf signer"* ]]
	run --separate-stderr "$KK" sign --type 'Bad Type' </dev/null
	[ "$status" -eq 2 ]
	assert_one_stderr_line "--type"
	run --separate-stderr "$KK" sign payload.json
	[ "$status" -eq 2 ]
	assert_one_stderr_line "unexpected argument 'payload.json'"
	run --separate-stderr "$KK" sign --json --bogus
	[ "$status" -eq 2 ]
	[ -z "$stderr" ]
	python3 -c 'import json, sys; assert "error" in json.loads(sys.argv[1])' "$output"
	run "$KK" sign --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: kakunin-bpf sign"* ]]
}

@test "sign: no signer on the socket: one line naming the socket, exit 1" {
	run --separate-stderr "$KK" sign --socket "$BATS_TEST_TMPDIR/none.sock" <<<'{"size": 1}'
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: sign: $BATS_TEST_TMPDIR/none.sock: cannot connect to the signer: No such file or directory"
}

# fake_signer REPLY: a stand-in signer on ./f.sock that writes the request line it gets to
# ./request and answers REPLY; waits until it listens.
fake_signer() {
	rm -f f.sock request
	python3 - "$1" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("f.sock"); s.listen(1)
c, _ = s.accept()
buf = b""
while b"\n" not in buf:
    buf += c.recv(65536)
open("request", "wb").write(buf)
c.sendall(sys.argv[1].encode() + b"\n")
c.close()
PY
	FAKE=$!
	for _ in $(seq 100); do [ -S f.sock ] && return 0; sleep 0.05; done
	return 1
}

@test "sign: sends one request line (a JSON payload as written, on one line) and prints the JWS" {
	fake_signer '{"ok": true, "jws": "a.b.c", "headers": {"X-Agent-Signature": "a.b.c", "X-Agent-Certificate": "QQ==", "X-Agent-Timestamp": "1"}, "risk": 0}'
	run --separate-stderr "$KK" sign --socket f.sock --type trade <<<$'{"size":\n 5}'
	wait "$FAKE"
	[ "$status" -eq 0 ]
	[ "$output" = "a.b.c" ]
	[ "$(cat request)" = '{"type":"trade","payload":{"size":  5} }' ]
}

@test "sign --raw: the bytes go base64; --json prints the reply line as is" {
	local reply='{"ok": true, "jws": "x.y.z", "headers": {"X-Agent-Signature": "x.y.z", "X-Agent-Certificate": "QQ==", "X-Agent-Timestamp": "7"}, "risk": 0.25}'
	fake_signer "$reply"
	run --separate-stderr "$KK" sign --socket f.sock --type blob --raw --json < <(printf 'hi\0there')
	wait "$FAKE"
	[ "$status" -eq 0 ]
	[ "$output" = "$reply" ]
	[ "$(cat request)" = '{"type":"blob","payload_b64":"aGkAdGhlcmU="}' ]
}

@test "sign: a refusal is one line 'sign: refused: REASON: WHY', exit 1; with --json the reply" {
	fake_signer '{"ok": false, "reason": "out_of_scope", "why": "size 60000 above max 50000"}'
	run --separate-stderr "$KK" sign --socket f.sock <<<'{"size": 60000}'
	wait "$FAKE"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "kakunin-bpf: sign: refused: out_of_scope: size 60000 above max 50000" ]
	fake_signer '{"ok": false, "reason": "unbound", "why": "w"}'
	run --separate-stderr "$KK" sign --socket f.sock --json <<<'{"size": 1}'
	wait "$FAKE"
	[ "$status" -eq 1 ]
	[ "$output" = '{"ok": false, "reason": "unbound", "why": "w"}' ]
	[ -z "$stderr" ]
}

@test "sign: a malformed reply is one line, exit 1" {
	fake_signer 'not json'
	run --separate-stderr "$KK" sign --socket f.sock <<<'{"size": 1}'
	wait "$FAKE"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "malformed reply from the signer"
}

@test "python client: the request line, the reply, and Refused with .reason" {
	local py=$BATS_TEST_DIRNAME/../../clients/python
	fake_signer '{"ok": true, "jws": "a.b.c", "headers": {"X-Agent-Signature": "a.b.c"}, "risk": 0}'
	run python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import kakunin_signer as k
r = k.sign("trade", {"size": 5, "market": "EUR_USD"}, socket_path="f.sock"); print(r["jws"])' "$py"
	wait "$FAKE"
	[ "$status" -eq 0 ]
	[ "$output" = "a.b.c" ]
	[ "$(cat request)" = '{"type":"trade","payload":{"size":5,"market":"EUR_USD"}}' ]
	fake_signer '{"ok": false, "reason": "rate_limited", "why": "used up"}'
	run python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import kakunin_signer as k
try:
    k.sign("blob", b"\x00\x01", socket_path="f.sock")
except k.Refused as e:
    print(e.reason, e.why)' "$py"
	wait "$FAKE"
	[ "$output" = "rate_limited used up" ]
	[ "$(cat request)" = '{"type":"blob","payload_b64":"AAE="}' ]
	run python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import kakunin_signer as k
try:
    k.sign("trade", {}, socket_path="nosuch.sock")
except k.SignerError as e:
    print("SignerError")' "$py"
	[ "$output" = "SignerError" ]
}

@test "the signer's systemd unit: Type=notify, its own socket directory, passes systemd-analyze verify" {
	local unit=$BATS_TEST_DIRNAME/../../dist/kakunin-signer.service
	grep -qx 'Type=notify' "$unit"
	grep -qx 'ExecStart=/usr/sbin/kakunin-bpf signer --config /etc/kakunin/signer.json' "$unit"
	grep -qx 'RuntimeDirectory=kakunin-signer' "$unit"
	grep -qx 'RuntimeDirectoryMode=0755' "$unit"
	grep -qx 'Requires=kakunin-bpf.service' "$unit"
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	printf '[Service]\nExecStart=/bin/true\n' >kk-probe.service
	systemd-analyze verify --man=no kk-probe.service >/dev/null 2>&1 ||
		skip "systemd-analyze verify does not work in this environment"
	mkdir u
	sed "s|=/usr/sbin/kakunin-bpf|=$KK|" "$unit" >u/kakunin-signer.service
	sed "s|=/usr/sbin/kakunin-bpf|=$KK|" "$BATS_TEST_DIRNAME/../../dist/kakunin-bpf.service" \
		>u/kakunin-bpf.service
	run systemd-analyze verify --man=no u/kakunin-signer.service
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
