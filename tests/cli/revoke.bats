#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# revoke's userspace on this host, without BPF LSM: `kk-revlat sandbox` creates this build's
# maps (no program) in a private bpffs with 8 identities, one of them bound (serial $KK_SERIAL),
# and runs a script there. The command's flip and the daemon's control socket are checked
# against those maps; what the kernel does with the state is tests/kernel/revoke.bats'.
bats_require_minimum_version 1.5.0
load helpers

BB=${KAKUNIN_BENCH_BIN:-$BATS_TEST_DIRNAME/../../build/bench}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a mount namespace and bpf())"
	# A host that cannot create BPF maps or mount a bpffs has nothing to run this on.
	"$BB/kk-revlat" sandbox 1 true 2>/dev/null || skip "no BPF maps or bpffs on this host"
	export PATH=$(dirname "$KK"):$PATH
}

# sandbox SCRIPT: run the shell script in the sandbox; $status, $output, $stderr as `run`.
sandbox() {
	run --separate-stderr "$BB/kk-revlat" sandbox 8 bash -c "$1"
}

@test "revoke flips the bound identity and records it; a second revoke is idempotent" {
	sandbox '
	kakunin-bpf revoke --serial "$KK_SERIAL" --reason stolen --no-stop 2>/dev/null
	kakunin-bpf revoke --serial "$KK_SERIAL" --reason stolen --no-stop --json 2>/dev/null
	python3 -c "import json, sys; l = json.load(open(sys.argv[1])); print(len(l), l[0][\"serial\"], l[0][\"reason\"], l[0][\"source\"])" "$KAKUNIN_STATE_DIR/revocations.json"
	kakunin-bpf revoke --serial 7e57000000 --no-stop 2>/dev/null'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "kakunin-bpf: revoked serial 7e57000007 (any issuer): 1 binding" ]]
	[ "${lines[1]}" = '{"serial":"7e57000007","issuer":"*","reason":"stolen","bindings":1,"tasks":"keep","signalled":0}' ]
	[ "${lines[2]}" = "1 7e57000007 stolen cli" ]
	# An identity in the table without a binding: revoked, no binding to announce.
	[ "${lines[3]}" = "kakunin-bpf: revoked serial 7e57000000 (any issuer): 0 bindings" ]
}

@test "the daemon's control socket: answers each request on a kept connection, refuses malformed ones" {
	sandbox '
	D=$KAKUNIN_STATE_DIR
	printf "{\"audit_file\": \"%s/audit.jsonl\", \"socket\": \"%s/ev.sock\"}\n" "$D" "$D" >"$D/d.json"
	kakunin-bpf daemon --config "$D/d.json" >"$D/out" 2>"$D/err" &
	for i in $(seq 200); do [ -S "$D/control.sock" ] && break; sleep 0.05; done
	stat -c %a "$D/control.sock"
	python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile()
for r in sys.argv[2:]:
    s.sendall((r + \"\n\").encode()); print(f.readline().strip())" "$D/control.sock" \
		"not json" "{\"revoke\": {\"serial\": \"0a\", \"pid\": 1}}" \
		"{\"revoke\": {\"serial\": \"0a\", \"tasks\": \"pause\"}}" "{\"revoke\": {}}" \
		"{\"revoke\": {\"serial\": 10}}" "{\"revoke\": {\"serial\": \"0a\", \"tasks\": \"kill\", \"reason\": \"r\"}, \"x\": 1}" \
		"{\"revoke\": {\"serial\": \"$KK_SERIAL\", \"reason\": \"risk\", \"tasks\": \"keep\"}}"
	# Not root: the socket is 0600, nobody cannot even connect.
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "
import socket, sys
try: socket.socket(socket.AF_UNIX).connect(sys.argv[1])
except PermissionError: print(\"EACCES\")" "$D/control.sock"
	kill -TERM %1; wait %1
	grep -c "revoke request of pid" "$D/err"
	grep "revoked serial" "$D/out"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 600 ]
	[ "${lines[1]}" = '{"error":{"code":-22,"errno":"EINVAL","what":"request","why":"not {\"revoke\": {...}} on one line"}}' ]
	[ "${lines[2]}" = '{"error":{"code":-22,"errno":"EINVAL","what":"pid","why":"unknown member of revoke"}}' ]
	[ "${lines[3]}" = '{"error":{"code":-22,"errno":"EINVAL","what":"tasks","why":"'"'pause'"' is none of stop, keep, kill"}}' ]
	[ "${lines[4]}" = '{"error":{"code":-22,"errno":"EINVAL","what":"serial","why":"missing"}}' ]
	[ "${lines[5]}" = '{"error":{"code":-22,"errno":"EINVAL","what":"request","why":"serial, issuer, reason and tasks are strings"}}' ]
	[ "${lines[6]}" = '{"error":{"code":-22,"errno":"EINVAL","what":"request","why":"not {\"revoke\": {...}} on one line"}}' ]
	[[ "${lines[7]}" == '{"serial":"7e57000007","issuer":"*","reason":"risk","bindings":1,"tasks":"keep","signalled":0,"flip_us":'* ]]
	[ "${lines[8]}" = EACCES ]
	[ "${lines[9]}" = 6 ]
	[[ "${lines[10]}" == *"daemon: revoked serial 7e57000007 on request of pid "*": 1 binding, 0 tasks stopped" ]]
}

@test "kk-revlat host: the revocation's userspace timed, every series complete" {
	run --separate-stderr "$BB/kk-revlat" host 3 8
	[ "$status" -eq 0 ]
	python3 -c '
import json, os, sys
d = json.loads(sys.argv[1])
assert d["idents"] == 8
for k in ("flip_us", "total_us", "floor_us", "start_us", "lean_flip_us", "lean_total_us",
          "lean_start_us", "inproc_us", "socket_us", "daemon_us"):
    s = d[k + "_stats"]
    assert len(d[k]) == 3 and s["n"] == 3 and 0 < s["min"] <= s["p50"] <= s["max"], (k, s)
assert d["flip_us_stats"]["min"] <= d["total_us_stats"]["max"]
assert d["lean_flip_us_stats"]["min"] <= d["lean_total_us_stats"]["max"]
# The reader on the first CPU it may use, what it starts on the others (none with one CPU).
cpus = sorted(os.sched_getaffinity(0))
want = {"reader": cpus[0], "started": cpus[1:]} if len(cpus) > 1 else None
assert d["cpus"] == want, (d["cpus"], want)' "$output"
}

@test "kk-revlat host: what it starts runs on the other CPUs, apart from its reader" {
	local others
	others=$(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0))[1:])))')
	[ -n "$others" ] || skip "one CPU: nothing to keep apart"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	# What each start may run on, as the kernel says it (taskset -c's list).
	printf '#!/bin/sh\ntaskset -cp $$ >>"%s"\nexec "%s" "$@"\n' \
		"$BATS_TEST_TMPDIR/cpus" "$KK" >"$BATS_TEST_TMPDIR/bin/kakunin-bpf"
	chmod +x "$BATS_TEST_TMPDIR/bin/kakunin-bpf"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run --separate-stderr "$BB/kk-revlat" host 2 4
	[ "$status" -eq 0 ]
	# The daemon, then per round one revoke and one --version: 5 starts, each on those CPUs.
	[ "$(wc -l <"$BATS_TEST_TMPDIR/cpus")" -eq 5 ]
	run python3 -c '
import sys
def cpus(text):
    out = set()
    for part in text.split(","):
        a, _, b = part.partition("-")
        out |= set(range(int(a), int(b or a) + 1))
    return out
got = {frozenset(cpus(l.rsplit(":", 1)[1].strip())) for l in open(sys.argv[1])}
print(got == {frozenset(map(int, sys.argv[2].split()))})' "$BATS_TEST_TMPDIR/cpus" "$others"
	[ "$output" = True ]
}

@test "kk-revlat host: a daemon that cannot start is named in one line, exit 1" {
	PATH=/usr/bin:/bin run --separate-stderr "$BB/kk-revlat" host 1 2
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[[ "$stderr" == "kk-revlat: host: the daemon exited with 127 before it made its control socket; is kakunin-bpf in PATH? (see /tmp/kk-revlat."*"/daemon.log)" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	local dir=${stderr##*(see }
	rm -rf "${dir%/daemon.log)}"
}
