#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 293 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Caller attestation (kk_peers) and the signer's key custody. A unix or TCP listener (kk-peer
# serve, unbound, as the signer and the egress are) asks the kernel who connected, by the
# accepted socket's fd: the connecting task's binding as it was at the connect, never a PID
# looked up afterwards. TCP: over 127.0.0.0/8, ::1, IPv4-mapped and the host's own address. And a
# bound agent cannot reach the signer's keys: no ptrace or process_vm_readv of it, nothing under
# the key-custody directories (KK_KEY_DIRS) whatever its policy grants.
bats_require_minimum_version 1.5.0
load helpers

PEER=${KAKUNIN_TESTS_BIN:-$BATS_TEST_DIRNAME/../../build/tests}/kk-peer
D=/run/kk-attest

setup_file() {
	pki_setup
	"$KK" load
	mkdir -p "$D"
	P=$BATS_FILE_TMPDIR/attest.json
	policy "$P" '"data_access": { "'"$D"'/*": ["write"] },
		"network_rules": {
			"allowed_hosts": ["127.0.0.1:18101", "[::1]:18102", "127.0.0.1:18103",
				"127.0.0.1:18104", "10.203.0.1:18105"],
			"listen": ["127.0.0.1:18198", "127.0.0.1:18199"] }'
	# The same agent, another certificate (and agent id): what the signer must tell apart.
	OTHER=$BATS_FILE_TMPDIR/other.json
	sed 's/"agent_id": "agent"/"agent_id": "other"/' "$P" >"$OTHER"
	# Audit mode, the socket not in scope: the connect goes through, audited, not allowed.
	AUDIT=$BATS_FILE_TMPDIR/audit.json
	policy "$AUDIT" '"mode": "audit"'
	export P OTHER AUDIT
}

teardown_file() {
	kk_unload --force
	rm -rf "$D"
}

setup() {
	rm -f "$D"/*
	SERVE_PID=
	HOLD_PIDS=()
}

teardown() {
	local p
	for p in $SERVE_PID "${HOLD_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	# Bindings of processes that have exited end here, so each test starts with none.
	"$KK" status >/dev/null 2>&1 || true
}

# wait_lines FILE N: until FILE has at least N lines, at most 10 s.
wait_lines() {
	local i
	for i in $(seq 1000); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.01
	done
	echo "$1 never had $2 lines:" >&2
	cat "$1" >&2
	return 1
}

# serve_start ARGS...: kk-peer serve ARGS in the background, listening when this returns.
serve_start() {
	"$PEER" serve "$@" >"$BATS_TEST_TMPDIR/serve.out" 2>&1 &
	SERVE_PID=$!
	wait_lines "$BATS_TEST_TMPDIR/serve.out" 1
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/serve.out")" = listening ]
}

# serve_line N: the Nth answer of the listener (1-based), waiting for it.
serve_line() {
	wait_lines "$BATS_TEST_TMPDIR/serve.out" $(($1 + 1))
	sed -n "$(($1 + 1))p" "$BATS_TEST_TMPDIR/serve.out"
}

# jf JSON PY-EXPR: evaluate PY-EXPR on the JSON object (bound as `j`); tuples joined by ", ".
jf() {
	python3 -c '
import json, sys
j = json.loads(sys.argv[1])
v = eval(sys.argv[2])
print(", ".join(map(str, v)) if isinstance(v, tuple) else v)' "$1" "$2"
}

# slot_gen SLOT: the gen of binding slot SLOT, from the pinned kk_bindings.
slot_gen() {
	bpftool -j map lookup pinned /sys/fs/bpf/kakunin/maps/kk_bindings \
		key $(($1 & 255)) $(($1 >> 8 & 255)) 0 0 |
		python3 -c 'import json, sys; v = json.load(sys.stdin)["value"]
print(int("".join(reversed(v[0:4])).replace("0x", ""), 16))'
}

# attested SLOT CERT: the expected answer for a caller of binding SLOT with certificate CERT.
attested() {
	echo "ok, $1, $(slot_gen "$1"), $(serial_of "$2")"
}

@test "a bound agent's stream connect is attested: its binding, gen, PID, agent and serial" {
	serve_start "$D/s.sock" 1
	bound_run "$P" "$PEER" connect "$D/s.sock"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	line=$(serve_line 1)
	[ "$(jf "$line" 'j["result"], j["binding"], j["gen"], j["serial"]')" = \
		"$(attested "$BOUND_SLOT" "$PKI/agent.pem")" ]
	[ "$(jf "$line" 'j["tgid"], j["agent"]')" = "$BOUND_PID, agent" ]
	wait "$SERVE_PID"
}

@test "seqpacket connects are attested the same way" {
	serve_start --seqpacket "$D/q.sock" 1
	bound_run "$P" "$PEER" connect --seqpacket "$D/q.sock"
	[ "$output" = ok ]
	line=$(serve_line 1)
	[ "$(jf "$line" 'j["result"], j["binding"], j["gen"], j["serial"]')" = \
		"$(attested "$BOUND_SLOT" "$PKI/agent.pem")" ]
	[ "$(jf "$line" 'j["tgid"]')" = "$BOUND_PID" ]
}

@test "an unbound caller has no attestation: ENOENT" {
	serve_start "$D/s.sock" 1
	run "$PEER" connect "$D/s.sock"
	[ "$output" = ok ]
	[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
	serve_start --seqpacket "$D/q.sock" 1
	run "$PEER" connect --seqpacket "$D/q.sock"
	[ "$output" = ok ]
	[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
}

@test "a caller bound to another certificate is attested with its own binding and serial" {
	serve_start "$D/s.sock" 2
	bound_run "$P" "$PEER" connect "$D/s.sock"
	[ "$output" = ok ]
	local agent="$BOUND_SLOT $(slot_gen "$BOUND_SLOT")"
	# The first agent has exited: its slot may be reused, with another gen.
	KK_CERT=$PKI/other.pem bound_run "$OTHER" "$PEER" connect "$D/s.sock"
	[ "$output" = ok ]
	[ "$BOUND_SLOT $(slot_gen "$BOUND_SLOT")" != "$agent" ]
	[ "$(jf "$(serve_line 1)" 'j["serial"], j["agent"]')" = "$(serial_of "$PKI/agent.pem"), agent" ]
	line=$(serve_line 2)
	[ "$(jf "$line" 'j["result"], j["binding"], j["gen"], j["serial"]')" = \
		"$(attested "$BOUND_SLOT" "$PKI/other.pem")" ]
	[ "$(jf "$line" 'j["agent"]')" = other ]
	[ "$(serial_of "$PKI/other.pem")" != "$(serial_of "$PKI/agent.pem")" ]
}

@test "revoked after the connect: the same binding (the signer checks its state), no new connect; unbound: ESTALE" {
	local cert serial slot gen
	cert=$(fresh_cert)
	serial=$(serial_of "$cert")
	serve_start "$D/s.sock" 1 "$D/go1" "$D/go2"
	KK_CERT=$cert bound_start "$P" "$PEER" connect --hold --again "$D/s.sock"
	HOLD_PIDS+=("$BOUND_PID")
	wait_lines "$BATS_TEST_TMPDIR/bound.out" 1
	[ "$(cat "$BATS_TEST_TMPDIR/bound.out")" = ok ]
	slot=$BOUND_SLOT
	gen=$(slot_gen "$slot")
	"$KK" revoke --serial "$serial" --reason "test" --no-stop
	touch "$D/go1"
	[ "$(jf "$(serve_line 1)" 'j["result"], j["binding"], j["gen"], j["serial"], j["tgid"]')" = \
		"ok, $slot, $gen, $serial, $BOUND_PID" ]
	# What the signer reads next: the identity's state, revoked.
	[ "$("$KK" status --json | python3 -c 'import json, sys
print([b["state"] for b in json.load(sys.stdin)["bindings"] if b["binding"] == '"$slot"'][0])')" = revoked ]
	# A new connect of the revoked agent is refused, so never attested (exit status: EACCES).
	kill -USR1 "$BOUND_PID"
	local st=0
	wait "$BOUND_PID" || st=$?
	[ "$st" -eq 13 ]
	"$KK" unbind --serial "$serial"
	touch "$D/go2"
	[ "$(serve_line 2)" = '{"result":"ESTALE"}' ]
}

@test "PID reuse: the attestation names the binding that connected, not what now has the PID" {
	local i pid agent_slot agent_gen line
	serve_start "$D/s.sock" 1 "$D/go1" "$D/go2"
	# The connecting child exits; its bound parent stays, so the binding lives on.
	bound_start "$P" "$PEER" connect --fork --hold "$D/s.sock"
	HOLD_PIDS+=("$BOUND_PID")
	wait_lines "$BATS_TEST_TMPDIR/bound.out" 2
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/bound.out")" = ok ]
	pid=$(sed -n 2p "$BATS_TEST_TMPDIR/bound.out")
	[ ! -e "/proc/$pid" ]
	agent_slot=$BOUND_SLOT
	agent_gen=$(slot_gen "$agent_slot")
	# The connector's PID goes to a process bound to the other certificate.
	for i in $(seq 20); do
		echo $((pid - 1)) >/proc/sys/kernel/ns_last_pid
		KK_CERT=$PKI/other.pem bound_start "$OTHER" "$PEER" hold
		HOLD_PIDS+=("$BOUND_PID")
		[ "$BOUND_PID" = "$pid" ] && break
	done
	[ "$BOUND_PID" = "$pid" ]
	[ "$BOUND_SLOT" != "$agent_slot" ]
	touch "$D/go1"
	line=$(serve_line 1)
	[ "$(jf "$line" 'j["result"], j["binding"], j["gen"], j["tgid"], j["serial"], j["agent"]')" = \
		"ok, $agent_slot, $agent_gen, $pid, $(serial_of "$PKI/agent.pem"), agent" ]
	# The connector's binding ends (its last process exits, status reaps it): stale, still not
	# the binding of the process that has the PID now.
	kill -9 "${HOLD_PIDS[0]}"
	wait "${HOLD_PIDS[0]}" 2>/dev/null || true
	"$KK" status >/dev/null
	touch "$D/go2"
	[ "$(serve_line 2)" = '{"result":"ESTALE"}' ]
}

@test "an unbound caller's connection handed to a bound process (SCM_RIGHTS) stays unattested" {
	local child
	serve_start "$D/s.sock" 1 "$D/go"
	"$PEER" pass "$D/s.sock" >"$BATS_TEST_TMPDIR/pass.out" 2>&1 &
	HOLD_PIDS+=($!)
	wait_lines "$BATS_TEST_TMPDIR/pass.out" 1
	child=$(head -n 1 "$BATS_TEST_TMPDIR/pass.out")
	wait_stopped "$child"
	"$KK" bind --pid "$child" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline
	kill -CONT "$child"
	wait "${HOLD_PIDS[0]}"
	# The bound child received the caller's socket and used it (its peer is in scope).
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/pass.out")" = ok ]
	touch "$D/go"
	[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
}

@test "abstract sockets: a bound agent cannot connect (no path to decide), an unbound one is unattested" {
	serve_start --abstract kk-attest-abstract 1
	bound_run "$P" "$PEER" connect --abstract kk-attest-abstract
	[ "$status" -eq 1 ]
	[ "$output" = EACCES ]
	run "$PEER" connect --abstract kk-attest-abstract
	[ "$output" = ok ]
	[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
}

@test "only an allowed connect is attested: audit mode's would-be denial is not" {
	serve_start "$D/s.sock" 1
	bound_run "$AUDIT" "$PEER" connect "$D/s.sock"
	[ "$output" = ok ]
	[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
}

# trace_link_id: the id of the link of fentry/tcp_connect (attest.bpf.c).
trace_link_id() {
	bpftool -j link show pinned /sys/fs/bpf/kakunin/trace_links/kk_tcp_connect |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

@test "load --upgrade keeps the attestations of accepted connections, and the new programs attest" {
	local first_slot first_gen link
	link=$(trace_link_id)
	serve_start "$D/s.sock" 2 "$D/go"
	bound_start "$P" "$PEER" connect --hold "$D/s.sock"
	HOLD_PIDS+=("$BOUND_PID")
	wait_lines "$BATS_TEST_TMPDIR/bound.out" 1
	first_slot=$BOUND_SLOT
	first_gen=$(slot_gen "$first_slot")
	run --separate-stderr "$KK" load --upgrade
	[ "$status" -eq 0 ]
	bound_run "$P" "$PEER" connect "$D/s.sock"
	[ "$output" = ok ]
	touch "$D/go"
	[ "$(jf "$(serve_line 1)" 'j["result"], j["binding"], j["gen"], j["serial"]')" = \
		"ok, $first_slot, $first_gen, $(serial_of "$PKI/agent.pem")" ]
	[ "$(jf "$(serve_line 2)" 'j["result"], j["binding"], j["gen"], j["serial"]')" = \
		"$(attested "$BOUND_SLOT" "$PKI/agent.pem")" ]
	# TCP too: the tracing link was switched (a new link), and the new programs attest.
	[ "$(trace_link_id)" != "$link" ]
	serve_start --tcp 127.0.0.1:18101 1
	bound_run "$P" "$PEER" connect --tcp 127.0.0.1:18101
	[ "$output" = ok ]
	[ "$(jf "$(serve_line 1)" 'j["result"], j["binding"], j["gen"], j["serial"]')" = \
		"$(attested "$BOUND_SLOT" "$PKI/agent.pem")" ]
}

# The signer's key custody: a bound agent whose policy reads all of /etc and /var/lib still
# reaches nothing under the key-custody directories; an unbound root process does.
@test "key custody: nothing under /etc/kakunin/keys or the SoftHSM token store, whatever the policy" {
	local k=/etc/kakunin/keys t=/var/lib/softhsm/tokens/kk-attest pol=$BATS_TEST_TMPDIR/wide.json
	mkdir -p "$k" "$t" /var/lib/kk-attest-w
	echo key >"$k/kk-attest.key"
	echo token >"$t/token.object"
	echo readable >/etc/kakunin/keys.kk-attest
	policy "$pol" '"data_access": { "/etc/*": ["read"], "/var/lib/*": ["read"],
		"/var/lib/kk-attest-w/*": ["read", "write"] }'
	try_bound "$pol" open /etc/kakunin/keys.kk-attest
	[ "$output" = ok ]
	try_bound "$pol" --pid open "$k/kk-attest.key"
	[ "${lines[1]}" = EPERM ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["path"], e["reason"], e["errno"]')" = \
		"file_open, $k/kk-attest.key, self-protection: not allowed to a bound agent, EPERM" ]
	try_bound "$pol" open "$t/token.object"
	[ "$output" = EPERM ]
	try_bound "$pol" open /var/lib/softhsm/tokens directory
	[ "$output" = EPERM ]
	try_bound "$pol" open "$k" directory
	[ "$output" = EPERM ]
	# A second name outside the directory would be a way around it.
	try_bound "$pol" link "$k/kk-attest.key" /var/lib/kk-attest-w/l
	[ "$output" = EPERM ]
	[ ! -e /var/lib/kk-attest-w/l ]
	run "$TRY" open "$k/kk-attest.key"
	[ "$output" = ok ]
	rm -rf "$k/kk-attest.key" "$t" /etc/kakunin/keys.kk-attest /var/lib/kk-attest-w
}

@test "a bound agent cannot ptrace or process_vm_readv an unbound root process (the signer)" {
	local scope= target addr
	# Yama (scope 1) would refuse before us: make ours the check that matters.
	if [ -e /proc/sys/kernel/yama/ptrace_scope ]; then
		scope=$(cat /proc/sys/kernel/yama/ptrace_scope)
		echo 0 >/proc/sys/kernel/yama/ptrace_scope
	fi
	sleep 1000 &
	target=$!
	HOLD_PIDS+=("$target")
	addr=$(head -n 1 "/proc/$target/maps" | cut -d- -f1)
	bound_run "$P" "$PEER" ptrace "$target"
	local traced=$output
	bound_run "$P" "$PEER" vm-read "$target" "$addr"
	local read=$output
	run "$PEER" vm-read "$target" "$addr"
	local unbound_read=$output
	run "$PEER" ptrace "$target"
	local unbound_trace=$output
	[ -z "$scope" ] || echo "$scope" >/proc/sys/kernel/yama/ptrace_scope
	[ "$traced" = EPERM ]
	[ "$read" = EPERM ]
	[ "$unbound_read" = ok ]
	[ "$unbound_trace" = ok ]
}

# --- TCP: callers of a listener on this host (bpf/attest.bpf.c) ---

# tcp_bound_ok ADDR LINE: a bound agent connects to ADDR; the listener's answer LINE names it.
tcp_bound_ok() {
	bound_run "$P" "$PEER" connect --tcp "$1"
	[ "$output" = ok ]
	line=$(serve_line "$2")
	[ "$(jf "$line" 'j["result"], j["binding"], j["gen"], j["serial"]')" = \
		"$(attested "$BOUND_SLOT" "$PKI/agent.pem")" ]
	[ "$(jf "$line" 'j["tgid"], j["agent"]')" = "$BOUND_PID, agent" ]
}

@test "tcp: a bound agent's connect over 127.0.0.1 and ::1 is attested: binding, gen, PID, agent, serial" {
	serve_start --tcp 127.0.0.1:18101 1
	tcp_bound_ok 127.0.0.1:18101 1
	wait "$SERVE_PID"
	serve_start --tcp "[::1]:18102" 1
	tcp_bound_ok "[::1]:18102" 1
	wait "$SERVE_PID"
}

@test "tcp: IPv4-mapped: an IPv6 socket to ::ffff:127.0.0.1, and IPv4 to a dual-stack listener" {
	serve_start --tcp "[::]:18103" 2
	tcp_bound_ok "[::ffff:127.0.0.1]:18103" 1
	tcp_bound_ok 127.0.0.1:18103 2
	wait "$SERVE_PID"
}

@test "tcp: an unbound caller has no attestation: ENOENT (IPv4, IPv6, IPv4-mapped)" {
	local a
	for a in 127.0.0.1:18101 "[::1]:18102" "[::ffff:127.0.0.1]:18103"; do
		serve_start --tcp "${a/::ffff:127.0.0.1/::}" 1
		run "$PEER" connect --tcp "$a"
		[ "$output" = ok ]
		[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
		wait "$SERVE_PID"
	done
}

@test "tcp: only an allowed connect is attested: audit mode's would-be denial is not" {
	serve_start --tcp 127.0.0.1:18101 1
	bound_run "$AUDIT" "$PEER" connect --tcp 127.0.0.1:18101
	[ "$output" = ok ]
	[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
}

@test "tcp: a caller bound to another certificate is attested with its own binding and serial" {
	local line
	serve_start --tcp "[::1]:18102" 2
	bound_run "$P" "$PEER" connect --tcp "[::1]:18102"
	[ "$output" = ok ]
	KK_CERT=$PKI/other.pem bound_run "$OTHER" "$PEER" connect --tcp "[::1]:18102"
	[ "$output" = ok ]
	[ "$(jf "$(serve_line 1)" 'j["serial"], j["agent"]')" = "$(serial_of "$PKI/agent.pem"), agent" ]
	line=$(serve_line 2)
	[ "$(jf "$line" 'j["result"], j["binding"], j["gen"], j["serial"], j["tgid"]')" = \
		"$(attested "$BOUND_SLOT" "$PKI/other.pem"), $BOUND_PID" ]
	[ "$(jf "$line" 'j["agent"]')" = other ]
}

@test "tcp: revoked after the connect: the same binding, no new connect; unbound: ESTALE (IPv4, IPv6)" {
	local a cert serial slot gen
	for a in 127.0.0.1:18101 "[::1]:18102"; do
		rm -f "$D"/go*
		cert=$(fresh_cert)
		serial=$(serial_of "$cert")
		serve_start --tcp "$a" 1 "$D/go1" "$D/go2"
		KK_CERT=$cert bound_start "$P" "$PEER" connect --tcp --hold --again "$a"
		HOLD_PIDS+=("$BOUND_PID")
		wait_lines "$BATS_TEST_TMPDIR/bound.out" 1
		[ "$(cat "$BATS_TEST_TMPDIR/bound.out")" = ok ]
		slot=$BOUND_SLOT
		gen=$(slot_gen "$slot")
		"$KK" revoke --serial "$serial" --reason "test" --no-stop
		touch "$D/go1"
		[ "$(jf "$(serve_line 1)" 'j["result"], j["binding"], j["gen"], j["serial"], j["tgid"]')" = \
			"ok, $slot, $gen, $serial, $BOUND_PID" ]
		kill -USR1 "$BOUND_PID"
		local st=0
		wait "$BOUND_PID" || st=$?
		[ "$st" -eq 13 ]
		"$KK" unbind --serial "$serial"
		touch "$D/go2"
		[ "$(serve_line 2)" = '{"result":"ESTALE"}' ]
		wait "$SERVE_PID"
	done
}

@test "tcp: a bound connect that reached no listener never attests a later unbound one on the same 4-tuple" {
	# The bound agent's entry stays behind: port 18104 has no listener yet (RST).
	bound_run "$P" "$PEER" connect --tcp --from 18199 127.0.0.1:18104
	[ "$output" = ECONNREFUSED ]
	serve_start --tcp 127.0.0.1:18104 2
	run "$PEER" connect --tcp --from 18199 127.0.0.1:18104
	[ "$output" = ok ]
	[ "$(serve_line 1)" = '{"result":"ENOENT"}' ]
	# The same way from the bound agent (another source port): attested.
	bound_run "$P" "$PEER" connect --tcp --from 18198 127.0.0.1:18104
	[ "$output" = ok ]
	[ "$(jf "$(serve_line 2)" 'j["result"], j["binding"], j["tgid"]')" = "ok, $BOUND_SLOT, $BOUND_PID" ]
}

@test "tcp: to the host's own address (not loopback): attested; unbound: ENOENT" {
	ip addr add 10.203.0.1/32 dev lo
	serve_start --tcp 10.203.0.1:18105 2
	bound_run "$P" "$PEER" connect --tcp 10.203.0.1:18105
	local bound=$output
	run "$PEER" connect --tcp 10.203.0.1:18105
	ip addr del 10.203.0.1/32 dev lo
	[ "$bound" = ok ]
	[ "$output" = ok ]
	[ "$(jf "$(serve_line 1)" 'j["result"], j["binding"], j["tgid"]')" = "ok, $BOUND_SLOT, $BOUND_PID" ]
	[ "$(serve_line 2)" = '{"result":"ENOENT"}' ]
}

@test "tcp: Fast Open: sendto(MSG_FASTOPEN) and TCP_FASTOPEN_CONNECT's first write are attested" {
	local m i=0
	serve_start --tcp 127.0.0.1:18101 4
	for m in --fastopen --fastopen-connect; do
		bound_run "$P" "$PEER" connect --tcp "$m" 127.0.0.1:18101
		[ "$output" = ok ]
		i=$((i + 1))
		[ "$(jf "$(serve_line $i)" 'j["result"], j["binding"], j["tgid"]')" = \
			"ok, $BOUND_SLOT, $BOUND_PID" ]
		run "$PEER" connect --tcp "$m" 127.0.0.1:18101
		[ "$output" = ok ]
		i=$((i + 1))
		[ "$(serve_line $i)" = '{"result":"ENOENT"}' ]
	done
}
