#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 30 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Files on an overlayfs mount, as containers use them: an open is decided once, on the overlay
# path the agent named. The layer's real file that overlayfs opens inside it (FMODE_NOACCOUNT,
# bpf/file.bpf.h kk_kernel_file) is the kernel's, not a second decision: with "audit": "all" a
# bound open reports exactly one file_open event. Denials keep their exact errno and event.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
	mkdir -p /ovl
	mount -t tmpfs tmpfs /ovl
	mkdir -p /ovl/lower/in /ovl/lower/out/private /ovl/upper/out /ovl/work /ovl/m
	echo lower-in >/ovl/lower/in/f
	echo lower-out >/ovl/lower/out/f
	echo secret >/ovl/lower/out/private/k
	echo upper-out >/ovl/upper/out/u
	mount -t overlay overlay -o lowerdir=/ovl/lower,upperdir=/ovl/upper,workdir=/ovl/work /ovl/m
	P=$BATS_FILE_TMPDIR/ovl.json
	policy "$P" '"audit": "all", "data_access": {
		"/ovl/m/in/*": ["read"],
		"/ovl/m/out/*": ["read", "write"],
		"/ovl/m/out/private/*": [],
		"/usr/*": ["read", "exec"] }'
	export P
}

teardown_file() {
	umount /ovl/m /ovl 2>/dev/null || true
	kk_unload --force
}

setup() {
	drain_events
}

# open_events PID PATH: the file_open events of PID on PATH, one "decision access [reason of a denial]" a line
# (agent.* events of PID have no hook: skipped).
open_events() {
	events_for_pid "$1" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    a = e.get("action") or {}
    if e.get("hook") == "file_open" and isinstance(a, dict) and a.get("path") == sys.argv[1]:
        print(e["decision"], a["access"], *([] if e["decision"] == "allow" else [e["reason"]]))' "$2"
}

@test "a read through the overlay (file in the lower layer) is decided once, on the overlay path" {
	try_bound "$P" --pid open /ovl/m/in/f
	[ "${lines[1]}" = ok ]
	[ "$(open_events "${lines[0]}" /ovl/m/in/f)" = "allow read" ]
	bound_run "$P" cat /ovl/m/in/f
	[ "$status" = 0 ]
	[ "$output" = lower-in ]
}

@test "a write to an upper-layer file through the overlay is decided once and lands in the upper layer" {
	try_bound "$P" --pid open /ovl/m/out/u wronly append
	[ "${lines[1]}" = ok ]
	[ "$(open_events "${lines[0]}" /ovl/m/out/u)" = "allow write" ]
	bound_run "$P" sh -c 'echo more >>/ovl/m/out/u'
	[ "$status" = 0 ]
	[ "$(cat /ovl/upper/out/u)" = "upper-out
more" ]
}

@test "a write to a read-only overlay file gets EACCES, one event, and no copy-up" {
	try_bound "$P" --pid open /ovl/m/in/f wronly
	[ "${lines[1]}" = EACCES ]
	[ "$(open_events "${lines[0]}" /ovl/m/in/f)" = \
		"deny write access not granted by the path's rule" ]
	[ ! -e /ovl/upper/in/f ]
	[ "$(cat /ovl/lower/in/f)" = lower-in ]
}

@test "an explicitly denied file and a path out of scope behind the overlay get EACCES" {
	try_bound "$P" --pid open /ovl/m/out/private/k
	[ "${lines[1]}" = EACCES ]
	[ "$(open_events "${lines[0]}" /ovl/m/out/private/k)" = \
		"deny read path explicitly denied" ]
	try_bound "$P" --pid open /ovl/lower/in/f
	[ "${lines[1]}" = EACCES ]
	[ "$(open_events "${lines[0]}" /ovl/lower/in/f)" = "deny read path not in scope" ]
}
