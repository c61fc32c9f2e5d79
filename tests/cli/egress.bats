#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The egress on the host (no BPF here: what it relays and refuses is tested in the VM,
# tests/kernel/egress.bats, and its TLS client in tests/unit/test_egress.c). Here: argv and
# usage, the configuration's errors under "egress", and what it checks before it needs the
# kernel: the agents (keys, certificates, policies), that some policy has an "egress" section,
# each rule's CA bundle, and that each listener can listen.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=kakunin test CA" -keyout ca.key -out ca.pem 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=agent" \
		-keyout agent.key -out agent.csr 2>/dev/null
	openssl x509 -req -in agent.csr -CA ca.pem -CAkey ca.key -set_serial 0x$(openssl rand -hex 8) \
		-days 2 -out agent.pem 2>/dev/null
	chmod 600 agent.key
	printf '{"agents": [{"certificate": "agent.pem", "key": "agent.key", "policy": "p.json"}]}\n' \
		>egress.json
}

# pol EGRESS: p.json for agent "agent" with that "egress" section ("" for none).
pol() {
	printf '{"agent_id": "agent", "version": "1"%s}\n' "${1:+, \"egress\": $1}" >p.json
}

@test "egress: usage errors exit 2; --help exits 0" {
	run --separate-stderr "$KK" egress --bogus
	[ "$status" -eq 2 ]
	[[ "$stderr" == "kakunin-bpf: egress: "*"--bogus"* ]]
	run --separate-stderr "$KK" egress extra
	[ "$status" -eq 2 ]
	[[ "$stderr" == "kakunin-bpf: egress: unexpected argument 'extra'"* ]]
	run "$KK" egress --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: kakunin-bpf egress [--config FILE]" ]]
}

@test "egress: the configuration's problems are named under egress, with positions; exit 1" {
	printf '{"agents": [{"certificate": "a", "key": "k", "policy": "p"}],\n "egress_idle_timeout_s": 0}\n' >bad.json
	run --separate-stderr "$KK" egress --config bad.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: egress: bad.json:2:27: egress_idle_timeout_s: must be an integer from 1 to 86400" ]
	run --separate-stderr "$KK" egress --config nosuch.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: egress: nosuch.json: No such file or directory" ]
}

@test "egress: no policy with an egress section, a CA that is not one, a listener in use: one line, exit 1" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	pol ""
	run --separate-stderr "$KK" egress --config egress.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: egress: no agent's policy has an \"egress\" section: nothing to relay" ]
	echo garbage >bad-ca.pem
	pol "{\"127.0.0.2:443\": {\"listen\": \"127.0.0.1:18791\", \"ca\": \"$BATS_TEST_TMPDIR/bad-ca.pem\"}}"
	run --separate-stderr "$KK" egress --config egress.json
	[ "$status" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: egress: $BATS_TEST_TMPDIR/bad-ca.pem: not a PEM CA bundle: "* ]]
	python3 -c 'import socket, time; s = socket.socket(); s.bind(("127.0.0.1", 18792)); s.listen(); open("busy", "w").close(); time.sleep(30)' &
	local busy=$!
	for _ in $(seq 100); do [ -e busy ] && break; sleep 0.1; done
	pol "{\"127.0.0.2:443\": {\"listen\": \"127.0.0.1:18792\", \"ca\": \"$BATS_TEST_TMPDIR/ca.pem\"}}"
	run --separate-stderr "$KK" egress --config egress.json
	kill "$busy"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: egress: 127.0.0.1:18792: cannot listen (for 127.0.0.2:443): Address already in use" ]
}
