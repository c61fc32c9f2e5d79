#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 142 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# bind --replace on live agents: the new rule holds from the first open after the command
# returns, no out-of-scope open ever succeeds while policies are switched back and forth, a
# refused replace leaves the old rules, cgroup bindings, and the daemon following a policy file
# (--watch) through a Kubernetes-style symlink swap.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	export KAKUNIN_STATE_DIR=$BATS_FILE_TMPDIR/state
	"$KK" load
	R=/rtest
	mkdir -p $R/a $R/b $R/s
	echo a >$R/a/f && echo b >$R/b/f && echo s >$R/s/f && echo 0 >$R/gen
	PA=$BATS_FILE_TMPDIR/pa.json
	PB=$BATS_FILE_TMPDIR/pb.json
	policy "$PA" '"version": "A", "data_access": {"/usr/*": ["read", "exec"], "/rtest/gen": ["read"], "/rtest/a/*": ["read"]}'
	policy "$PB" '"version": "B", "data_access": {"/usr/*": ["read", "exec"], "/rtest/gen": ["read"], "/rtest/b/*": ["read"]}'
	# The agent: forever read the marker, then open a, b and s (never in scope); one line each.
	# (`true`, not `:`: a failed redirection of a special builtin ends a POSIX shell.)
	LOOP='exec 2>/dev/null; while :; do read -r g </rtest/gen
if true </rtest/a/f; then a=ok; else a=no; fi
if true </rtest/b/f; then b=ok; else b=no; fi
if true </rtest/s/f; then s=ok; else s=no; fi
echo "$g $a $b $s"; done'
	# The same, about 20 times a second: each denial is an event, and where the test reads
	# events or runs the daemon, a ring filled by the fast loop would lose the ones it checks.
	LOOP_SLOW=${LOOP%done}'sleep 0.05; done'
	export R PA PB LOOP LOOP_SLOW
}

teardown_file() {
	kk_unload --force
}

setup() {
	D=$BATS_TEST_TMPDIR
	echo 0 >$R/gen
}

teardown() {
	[ -n "${BOUND_PID:-}" ] && kill -9 "$BOUND_PID" 2>/dev/null || true
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	return 0
}

# mark N: the agent's next iterations read N: they began after this point.
mark() {
	echo "$1" >$R/gen.tmp && mv $R/gen.tmp $R/gen
}

# wait_mark N: until the agent has printed a whole line of marker N (at most 30 s).
wait_mark() {
	local i
	for i in $(seq 300); do
		grep -Eq "^$1 (ok|no) (ok|no) (ok|no)$" "$D/bound.out" && return 0
		sleep 0.1
	done
	echo "the agent printed no line of marker $1; its last lines:" >&2
	tail -n 5 "$D/bound.out" >&2
	return 1
}

# first_line N: the a/b/s results of the first iteration that began after mark N.
first_line() {
	grep -E "^$1 (ok|no) (ok|no) (ok|no)$" "$D/bound.out" | head -n 1 | cut -d' ' -f2-
}

@test "replace: 16 replaces on a busy agent, and no out-of-scope open ever succeeds" {
	bound_start "$PA" sh -c "$LOOP"
	wait_mark 0
	[ "$(first_line 0)" = "ok no no" ]
	local i pol
	for i in $(seq 1 16); do
		if [ $((i % 2)) = 1 ]; then pol=$PB; else pol=$PA; fi
		run --separate-stderr "$KK" bind --replace --pid "$BOUND_PID" --policy "$pol" --offline
		[ "$status" -eq 0 ]
		[[ "$output" == "kakunin-bpf: replaced the policy of PID $BOUND_PID (binding $BOUND_SLOT, agent agent, serial $(serial_of "$PKI/agent.pem")): policy "* ]]
		mark "$i"
		wait_mark "$i"
	done
	kill -9 "$BOUND_PID"
	# Every iteration was recorded; the out-of-scope file never opened, the in-scope ones did
	# (a under A, b under B). That the first open after a replace has the new rules is checked
	# on the slower agent of the --watch test, whose markers this busy loop makes unreliable.
	python3 - "$D/bound.out" <<'PY'
import re, sys
rows = [l.split() for l in open(sys.argv[1]) if re.fullmatch(r"\d+ (ok|no) (ok|no) (ok|no)\n", l)]
assert len(rows) >= 17, len(rows)
assert sum(r[3] == "ok" for r in rows) == 0, [r for r in rows if r[3] == "ok"]
assert sum(r[1] == "ok" for r in rows) > 0 and sum(r[2] == "ok" for r in rows) > 0
print(len(rows), "iterations", file=sys.stderr)
PY
}

@test "replace: status, --json and agent.bound name the new policy; the identity stays" {
	bound_start "$PA" sh -c "$LOOP_SLOW"
	drain_events
	run --separate-stderr "$KK" bind --replace --pid "$BOUND_PID" --policy "$PB" --offline --json
	[ "$status" -eq 0 ]
	python3 - "$output" "$BOUND_PID" "$BOUND_SLOT" "$(serial_of "$PKI/agent.pem")" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
assert o["pid"] == int(sys.argv[2]) and o["binding"] == int(sys.argv[3]), o
assert o["agent"] == "agent" and o["serial"] == sys.argv[4], o
assert o["policy_version"] == "B" and o["previous_policy_version"] == "A", o
assert o["replaced"] is True and o["watch"] is None, o
assert len(o["policy_hash"]) == 64 and o["policy_hash"] != o["previous_policy_hash"], o
PY
	local hash
	hash=$(echo "$output" | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy_hash"])')
	run "$KK" status --json
	python3 - "$output" "$BOUND_SLOT" "$hash" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
b = [b for b in s["bindings"] if b["binding"] == int(sys.argv[2])][0]
assert b["policy_version"] == "B" and b["policy_hash"] == sys.argv[3], b
PY
	run "$KK" events --from-ring --json
	[[ "$output" == *'"event_type":"agent.bound","agent_id":"agent"'*'"policy_version":"B"'*'"reason":"policy replaced"'* ]]
	# The state directory's copy is the new policy, under the same slot and generation.
	local rec=$KAKUNIN_STATE_DIR/bindings/$BOUND_SLOT.json copy
	copy=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["policy"])' "$rec")
	[ "$(sha256sum <"$copy" | cut -d' ' -f1)" = "$hash" ]
	grep -q "\"policy_hash\":[[:space:]]*\"$hash\"" "$rec"
	# The same policy again changes nothing.
	run --separate-stderr "$KK" bind --replace --pid "$BOUND_PID" --policy "$PB" --offline
	[ "$status" -eq 0 ]
	[[ "$output" == *"has policy B ${hash:0:12} already: nothing replaced" ]]
}

@test "a refused replace leaves the old rules in force" {
	bound_start "$PA" sh -c "$LOOP_SLOW"
	wait_mark 0
	printf '{"agent_id": "agent", "version": "C",\n "data_access": {"/rtest/*": ["red"]}}\n' >"$D/bad.json"
	run --separate-stderr "$KK" bind --replace --pid "$BOUND_PID" --policy "$D/bad.json" --offline
	[ "$status" -eq 1 ]
	[[ "$stderr" == "$D/bad.json:2:"*"unknown permission \"red\""* ]]
	# Another agent's policy; another certificate of the agent (rotate changes identities).
	policy "$D/other.json" '"data_access": {"/rtest/*": ["read"]}'
	sed -i 's/"agent_id": "agent"/"agent_id": "other"/' "$D/other.json"
	run --separate-stderr "$KK" bind --replace --pid "$BOUND_PID" --policy "$D/other.json" --offline
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$stderr" | grep -c '')" -eq 1 ]
	run --separate-stderr "$KK" bind --replace --pid "$BOUND_PID" --policy "$PB" --offline \
		--cert "$(fresh_cert)" --ca "$PKI/ca.pem"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: bind: binding $BOUND_SLOT (agent agent): certificate serial "*" is not this binding's (serial $(serial_of "$PKI/agent.pem")): --replace keeps the identity; \`kakunin-bpf rotate\` changes it" ]]
	# A process that is not bound is not bound by --replace.
	sleep 30 &
	local free=$!
	run --separate-stderr "$KK" bind --replace --pid "$free" --policy "$PB" --offline --json
	kill "$free"
	[ "$status" -eq 1 ]
	[[ "$output" == '{"error":{"code":-2,"errno":"ENOENT","what":"PID '"$free"'","why":"not bound (bind it without --replace)"}}' ]]
	mark 1
	wait_mark 1
	[ "$(first_line 1)" = "ok no no" ]
	run "$KK" status --json
	python3 - "$output" "$BOUND_SLOT" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
b = [b for b in s["bindings"] if b["binding"] == int(sys.argv[2])][0]
assert b["policy_version"] == "A", b
PY
}

@test "replace --cgroup: every task of the cgroup, now and later, gets the new policy" {
	local cg=/sys/fs/cgroup/kk-replace
	mkdir -p "$cg"
	sh -c 'echo $$ >'"$cg"'/cgroup.procs; exec sleep 60' &
	local inside=$!
	sleep 0.2
	run --separate-stderr "$KK" bind --cgroup "$cg" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$PA" --offline
	[ "$status" -eq 0 ]
	# A task in a bound cgroup is replaced through its cgroup, not alone.
	run --separate-stderr "$KK" bind --replace --pid "$inside" --policy "$PB" --offline
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"PID $inside: bound through the binding "*" of its cgroup: replace that with --cgroup" ]]
	run --separate-stderr "$KK" bind --replace --cgroup "$cg" --policy "$PB" --offline --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"cgroup":"'"$cg"'"'*'"policy_version":"B"'*'"replaced":true'* ]]
	run sh -c 'echo $$ >'"$cg"'/cgroup.procs; "$TRY" open /rtest/b/f; "$TRY" open /rtest/a/f; "$TRY" open /rtest/s/f'
	[ "$output" = "$(printf 'ok\nEACCES\nEACCES')" ]
	"$KK" unbind --cgroup "$cg"
	kill "$inside"
	wait "$inside" 2>/dev/null || true
	rmdir "$cg"
}

# start_daemon: a daemon writing $D/audit.jsonl, socket $D/ev.sock.
start_daemon() {
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"}\n' "$D" "$D" >"$D/daemon.json"
	"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" &
	DPID=$!
	for i in $(seq 100); do [ -S "$D/ev.sock" ] && return 0; sleep 0.05; done
	cat "$D/daemon.err" >&2
	return 1
}

# configmap DIR N FILE: DIR/policy.json now shows FILE, the way the kubelet updates a mounted
# ConfigMap: a new timestamped directory, then the ..data symlink swapped onto it by rename.
configmap() {
	mkdir -p "$1/..v$2"
	cp "$3" "$1/..v$2/policy.json"
	ln -s "..v$2" "$1/..data_tmp"
	mv -T "$1/..data_tmp" "$1/..data"
	[ -L "$1/policy.json" ] || ln -s ..data/policy.json "$1/policy.json"
}

@test "--watch: the daemon follows a ConfigMap-style file; a broken one leaves the policy in force" {
	local cm=$D/cm
	configmap "$cm" 1 "$PA"
	start_daemon
	sh -c 'kill -STOP $$; exec sh -c "$0"' "$LOOP_SLOW" >"$D/bound.out" 2>&1 </dev/null &
	BOUND_PID=$!
	wait_stopped "$BOUND_PID"
	run --separate-stderr "$KK" bind --pid "$BOUND_PID" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$cm/policy.json" --offline --watch
	[ "$status" -eq 0 ]
	kill -CONT "$BOUND_PID"
	wait_mark 0
	[ "$(first_line 0)" = "ok no no" ]
	configmap "$cm" 2 "$PB"
	local i
	for i in $(seq 100); do grep -q "follows $cm/policy.json: policy B" "$D/daemon.out" && break; sleep 0.1; done
	grep -q "follows $cm/policy.json: policy B" "$D/daemon.out"
	mark 1
	wait_mark 1
	[ "$(first_line 1)" = "no ok no" ]
	# A broken update: one error line, one agent.warning, and B stays in force.
	printf '{"agent_id": "agent", "version": "C", "data_access": {' >"$D/broken.json"
	configmap "$cm" 3 "$D/broken.json"
	sleep 3
	[ "$(grep -c 'not applied' "$D/daemon.err")" -eq 1 ]
	grep -q "binding [0-9]* (agent agent): $cm/policy.json not applied, policy B stays in force: $cm/policy.json:1:" "$D/daemon.err"
	mark 2
	wait_mark 2
	[ "$(first_line 2)" = "no ok no" ]
	# Fixed again: followed again; then a replace without --watch stops the following.
	configmap "$cm" 4 "$PA"
	for i in $(seq 100); do grep -q "follows $cm/policy.json: policy A" "$D/daemon.out" && break; sleep 0.1; done
	mark 3
	wait_mark 3
	[ "$(first_line 3)" = "ok no no" ]
	"$KK" bind --replace --pid "$BOUND_PID" --policy "$PB" --offline
	configmap "$cm" 5 "$PA"
	sleep 2.5
	mark 4
	wait_mark 4
	[ "$(first_line 4)" = "no ok no" ]
	kill -TERM "$DPID"
	wait "$DPID" || true
	DPID=
	grep -q '"event_type":"agent.warning","agent_id":"agent".*"reason":"policy file '"$cm"'/policy.json not applied: ' "$D/audit.jsonl"
	[ "$(grep -c '"reason":"policy replaced"' "$D/audit.jsonl")" -ge 2 ]
	# The whole time, s never opened.
	[ "$(grep -c ' ok$' "$D/bound.out")" -eq 0 ]
}
