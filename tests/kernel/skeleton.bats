#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Walking skeleton, end to end in a real kernel: load/pin, a bound task and its children are
# denied under the deny prefix with EACCES, unbound tasks are not, and every denial is a JSON
# event with the right pid and path.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	"$KK" load
	mkdir -p /data/secret /data/open
	echo secret >/data/secret/x
	echo open >/data/open/y
	echo near >/data/secretsX
}

teardown_file() {
	"$KK" unload
}

@test "load pins programs, links and maps; a second load is harmless" {
	for p in links/kk_file_open links/kk_task_alloc progs/kk_file_open progs/kk_task_alloc \
		maps/kk_task maps/kk_bindings maps/kk_events maps/kk_stats; do
		[ -e "/sys/fs/bpf/kakunin/$p" ]
	done
	run --separate-stderr "$KK" load
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: already loaded (/sys/fs/bpf/kakunin)" ]
	bpftool prog show name kk_file_open | grep -q "lsm  name kk_file_open"
	bpftool prog show name kk_task_alloc | grep -q "lsm  name kk_task_alloc"
}

@test "a bound shell's own open under the prefix fails with EACCES" {
	bound_run /data/secret sh -c 'read -r l </data/secret/x || echo failed; read -r l </data/open/y && echo "open=$l"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sh: 1: cannot open /data/secret/x: Permission denied" ]
	[ "${lines[1]}" = failed ]
	[ "${lines[2]}" = open=open ]
}

@test "a child and a grandchild of the bound shell get EACCES" {
	bound_run /data/secret sh -c '"$TRY" open /data/secret/x; sh -c "\"\$TRY\" open /data/secret/x"'
	[ "$output" = "$(printf 'EACCES\nEACCES')" ]
}

@test "an unbound task opens the file while a bound one is denied" {
	bound_start /data/secret sh -c 'sleep 1; "$TRY" open /data/secret/x'
	run "$TRY" open /data/secret/x
	[ "$output" = ok ]
	bound_wait
	[ "$output" = EACCES ]
	[ "$status" -eq 1 ]
}

@test "the prefix covers itself and what is below it, on component boundaries" {
	bound_run /data/secret sh -c '"$TRY" open /data/secret directory; "$TRY" open /data/secretsX; "$TRY" open /data/open/y'
	[ "$output" = "$(printf 'EACCES\nok\nok')" ]
}

@test "writes and creates under the prefix are denied too" {
	bound_run /data/secret sh -c '"$TRY" open /data/secret/x wronly; "$TRY" open /data/secret/new wronly creat; "$TRY" open /data/secret/x rdwr trunc'
	[ "$output" = "$(printf 'EACCES\nEACCES\nEACCES')" ]
	# O_TRUNC truncates only after file_open allowed the open: the content is intact.
	[ "$(cat /data/secret/x)" = secret ]
}

@test "a denied open is one JSON event with the right pid, path and fields" {
	bound_run /data/secret "$TRY" --pid open /data/secret/x wronly
	[ "${lines[1]}" = EACCES ]
	pid=${lines[0]}
	run events_for_pid "$pid"
	[ "${#lines[@]}" -eq 1 ]
	python3 - "$pid" "$BOUND_ID" "${lines[0]}" <<'PY'
import json, re, sys
pid, bid, ev = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
assert ev["event_type"] == "action.denied", ev
assert ev["pid"] == pid and ev["tid"] == pid, ev
assert ev["binding_id"] == bid, ev
assert ev["comm"] == "kk-try", ev
assert ev["hook"] == "file_open", ev
assert ev["action"] == {"path": "/data/secret/x", "access": "write"}, ev
assert ev["decision"] == "deny" and ev["errno"] == "EACCES", ev
assert ev["uid"] == 0 and ev["seq"] >= 1, ev
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", ev["timestamp"]), ev
PY
}

@test "events --text prints one readable line per event" {
	bound_run /data/secret "$TRY" --pid open /data/secret/x
	pid=${lines[0]}
	run "$KK" events --text
	[ "$status" -eq 0 ]
	line=$(printf '%s\n' "$output" | grep " pid=$pid ")
	[[ "$line" == *"action.denied file_open pid=$pid comm=kk-try"*"path=/data/secret/x access=read -> deny EACCES"* ]]
}

@test "bind refuses a process that is already bound" {
	bound_start /data/secret sh -c 'sleep 1'
	run --separate-stderr "$KK" bind --pid "$BOUND_PID" --deny-prefix /data/open
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: bind: PID $BOUND_PID is already bound (binding $BOUND_ID)" ]
	bound_wait
}

@test "a bound task whose binding entry vanished is denied everything (fail closed)" {
	# Only shell builtins after the continue: exec'ing a program needs an open, denied too.
	sh -c 'kill -STOP $$; read -r l </data/open/y || echo denied' >"$BATS_TEST_TMPDIR/o" 2>&1 &
	pid=$!
	wait_stopped "$pid"
	id=$("$KK" bind --pid "$pid" --deny-prefix /data/secret | sed -n 's/.* as binding \([0-9]*\) .*/\1/p')
	bpftool map delete pinned /sys/fs/bpf/kakunin/maps/kk_bindings key "$id" 0 0 0
	kill -CONT "$pid"
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = "$(printf 'sh: 1: cannot open /data/open/y: Permission denied\ndenied')" ]
	run events_for_pid "$pid"
	[[ "$output" == *'"reason":"binding entry missing (fail closed)"'* ]]
	[[ "$output" == *'"path":"/data/open/y"'* ]]
}

@test "unload detaches the programs: a bound task is no longer denied" {
	bound_start /data/secret sh -c 'sleep 1; "$TRY" open /data/secret/x'
	run "$KK" unload
	[ "$status" -eq 0 ]
	[ ! -e /sys/fs/bpf/kakunin ]
	! grep -q kk_file_open <(bpftool prog show)
	bound_wait
	[ "$output" = ok ]
	"$KK" load
}
