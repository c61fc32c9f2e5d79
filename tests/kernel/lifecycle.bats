#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 39 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Who a binding covers and for how long: threads made before the bind, --tree, a double-forked
# daemon, cgroups (now and later), `run` from the first instruction, the loader killed with -9,
# and bindings ended when their processes are gone.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"exec": ["/usr/bin/python3", "/usr/bin/dash", "/usr/bin/sleep", "/usr/bin/setsid"],
		"data_access": {"/data/*": ["read", "write"]}'
	export P
}

teardown_file() {
	kk_unload --force
}

setup() {
	rm -rf /data && mkdir -p /data
	drain_events
}

bind_pid() {
	"$KK" bind --pid "$1" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline "${@:2}"
}

@test "a thread started before the bind is bound too" {
	python3 -c '
import os, threading, time
def t():
    while not os.path.exists("/data/go"): time.sleep(0.05)
    try: open("/etc/shadow"); r = "ok"
    except PermissionError: r = "EACCES"
    open("/data/res", "w").write(r)
threading.Thread(target=t).start()
' &
	local pid=$! i
	# Its second thread runs before the bind (python3 starts slowly under emulation).
	for ((i = 0; i < 200; i++)); do
		[ "$(ls /proc/$pid/task | wc -l)" -ge 2 ] && break
		sleep 0.05
	done
	[ "$(ls /proc/$pid/task | wc -l)" -ge 2 ]
	bind_pid "$pid"
	touch /data/go
	wait "$pid"
	[ "$(cat /data/res)" = EACCES ]
}

@test "--tree binds the children a process already has; without it they stay free" {
	for tree in "" --tree; do
		rm -f /data/go /data/res
		sh -c '(while [ ! -e /data/go ]; do sleep 0.05; done; "$TRY" open /etc/shadow >/data/res) & wait' &
		local pid=$!
		sleep 0.3
		bind_pid "$pid" $tree
		touch /data/go
		wait "$pid"
		if [ -n "$tree" ]; then
			[ "$(cat /data/res)" = EACCES ]
		else
			[ "$(cat /data/res)" = ok ]
		fi
		"$KK" unbind --pid "$pid" 2>/dev/null || true
	done
}

# chain N: a python process whose descendants go N generations down (one child each); each
# waits for /data/go, then writes what open(/etc/shadow) gave to /data/res.DEPTH. The deepest
# creates /data/ready. Sets CHAIN to the root's PID.
chain() {
	python3 -c '
import os, sys, time
n, level, child = int(sys.argv[1]), 0, 0
for i in range(n):
    child = os.fork()
    if child:
        break
    level += 1
if level == n:
    open("/data/ready", "w").close()
while not os.path.exists("/data/go"):
    time.sleep(0.1)
try:
    open("/etc/shadow"); r = "ok"
except PermissionError:
    r = "EACCES"
open("/data/res.%d" % level, "w").write(r + "\n")
if child:
    os.waitpid(child, 0)
' "$1" >/dev/null 2>&1 &
	CHAIN=$!
	for i in $(seq 300); do [ -e /data/ready ] && return 0; sleep 0.1; done
	return 1
}

@test "bind --tree refuses a tree deeper than 32 generations and binds none of it" {
	chain 40
	run --separate-stderr bind_pid "$CHAIN" --tree
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: bind: PID $CHAIN: 8 processes are more than 32 generations below it, deeper than --tree binds; nothing bound" ]
	[ -z "$output" ]
	# No binding left of it (the slot was freed), and no process of the chain is enforced.
	"$KK" status --json | python3 -c 'import json, sys
assert not [b for b in json.load(sys.stdin)["bindings"] if b["pid"] == int(sys.argv[1])]' "$CHAIN"
	touch /data/go
	wait "$CHAIN"
	[ "$(cat /data/res.* | sort | uniq -c | awk '{ print $1, $2 }')" = "41 ok" ]
}

@test "bind --tree binds a tree exactly 32 generations deep" {
	chain 32
	bind_pid "$CHAIN" --tree
	touch /data/go
	wait "$CHAIN"
	[ "$(cat /data/res.* | sort | uniq -c | awk '{ print $1, $2 }')" = "33 EACCES" ]
	"$KK" unbind --pid "$CHAIN" 2>/dev/null || true
}

@test "a double-forked daemon of a bound process stays bound" {
	bound_run "$P" sh -c 'setsid sh -c "sleep 1; \"\$TRY\" open /etc/shadow >/data/res" </dev/null >/dev/null 2>&1 &'
	for i in $(seq 60); do [ -s /data/res ] && break; sleep 0.1; done
	[ "$(cat /data/res)" = EACCES ]
}

@test "run starts the command bound: exit status, signals, and its own exec are enforced" {
	run "$KK" run --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline -- sh -c '"$TRY" open /etc/shadow; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = EACCES ]
	run "$KK" run --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline -- /usr/bin/true
	[ "$status" -eq 126 ]
	[[ "$output" == *"/usr/bin/true: Permission denied"* ]]
	"$KK" run --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline -- sleep 30 &
	local rpid=$!
	sleep 1
	local cmd
	cmd=$(pgrep -P "$rpid")
	[ -n "$cmd" ]
	kill -TERM "$rpid"
	local st=0
	wait "$rpid" || st=$?
	[ "$st" -eq 143 ]
	# The command got the signal (forwarded), not only run.
	sleep 0.2
	! kill -0 "$cmd" 2>/dev/null
}

@test "run closes the descriptors it inherited beyond 0-2; --keep-fds passes them on" {
	echo secret >/data/fd7
	run "$KK" run --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline -- "$TRY" fd 7 7</data/fd7
	[ "$status" -eq 1 ]
	[ "$output" = EBADF ]
	run "$KK" run --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline --keep-fds -- "$TRY" fd 7 7</data/fd7
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	# 0-2 stay: stdin is read from what run was given.
	run "$KK" run --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline -- "$TRY" fd 0 </data/fd7
	[ "$output" = ok ]
}

@test "killing the loader with -9 leaves the command bound" {
	"$KK" run --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline -- \
		sh -c 'sleep 2; "$TRY" open /etc/shadow >/data/res' &
	local rpid=$!
	sleep 1
	kill -9 "$rpid"
	for i in $(seq 60); do [ -s /data/res ] && break; sleep 0.1; done
	[ "$(cat /data/res)" = EACCES ]
}

@test "a cgroup binding covers its tasks, tasks that join later, and follows them out" {
	local cg=/sys/fs/cgroup/kk-test
	mkdir -p "$cg"
	sh -c 'while [ ! -e /data/go ]; do sleep 0.05; done; "$TRY" open /etc/shadow >/data/res1' &
	local inside=$!
	echo "$inside" >"$cg/cgroup.procs"
	run --separate-stderr "$KK" bind --cgroup "$cg" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline
	[ "$status" -eq 0 ]
	[[ "$output" == "kakunin-bpf: bound cgroup $cg as agent agent"* ]]
	sh -c 'while [ ! -e /data/go ]; do sleep 0.05; done; "$TRY" open /etc/shadow >/data/res2; sleep 1; "$TRY" open /etc/shadow >/data/res3' &
	local later=$!
	echo "$later" >"$cg/cgroup.procs"
	sleep 0.3
	touch /data/go
	wait "$inside" || true # kk-try exits 1 on EACCES
	sleep 0.5
	echo "$later" >/sys/fs/cgroup/cgroup.procs # leaving the cgroup does not unbind
	wait "$later" || true
	[ "$(cat /data/res1)" = EACCES ]
	[ "$(cat /data/res2)" = EACCES ]
	[ "$(cat /data/res3)" = EACCES ]
	run "$TRY" open /etc/shadow
	[ "$output" = ok ]
	run --separate-stderr "$KK" unbind --cgroup "$cg"
	[ "$status" -eq 0 ]
	rmdir "$cg"
}

@test "a cgroup binding ends when its cgroup is removed (agent.unbound, cgroup removed)" {
	local cg=/sys/fs/cgroup/kk-gone
	mkdir -p "$cg"
	run --separate-stderr "$KK" bind --cgroup "$cg" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline
	[ "$status" -eq 0 ]
	local slot
	slot=$(echo "$output" | sed -n 's/.*binding \([0-9]*\),.*/\1/p')
	# Still there: status keeps it.
	run "$KK" status --json
	python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert int(sys.argv[2]) in [b["binding"] for b in s["bindings"]], s' "$output" "$slot"
	drain_events
	rmdir "$cg"
	run "$KK" status --json
	python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert int(sys.argv[2]) not in [b["binding"] for b in s["bindings"]], s' "$output" "$slot"
	run "$KK" events --from-ring --json
	[[ "$output" == *'"event_type":"agent.unbound"'*'"reason":"cgroup removed"'* ]]
	# A new cgroup at the same path is a different cgroup: not bound.
	mkdir "$cg"
	sh -c 'echo $$ >'"$cg"'/cgroup.procs; exec "$TRY" open /etc/shadow' >"$BATS_TEST_TMPDIR/r"
	[ "$(cat "$BATS_TEST_TMPDIR/r")" = ok ]
	rmdir "$cg"
}

@test "a process binding whose tasks have all exited is ended (agent.unbound, exited)" {
	bound_run "$P" "$TRY" open /data/x wronly creat
	[ "$output" = ok ]
	run "$KK" status --json
	python3 - "$output" "$BOUND_SLOT" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert int(sys.argv[2]) not in [b["binding"] for b in s["bindings"]], s
PY
	run "$KK" events --from-ring --json
	[[ "$output" == *'"event_type":"agent.unbound"'*'"reason":"exited"'* ]]
}
