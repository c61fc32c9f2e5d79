#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 65 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# File rules in the kernel: read/write/create by the most specific rule, path hooks, links and
# renames that would widen access, /proc/self/fd reopen, long paths, io_uring. Each case asserts
# the exact errno and, for denials, the event.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
	P=$BATS_FILE_TMPDIR/files.json
	policy "$P" '"data_access": {
		"/data/in/*": ["read"],
		"/data/out/*": ["read", "write"],
		"/data/out/private/*": [],
		"/data/wo/*": ["write"],
		"/usr/*": ["read", "exec"] }'
	export P
}

teardown_file() {
	kk_unload --force
}

setup() {
	rm -rf /data
	mkdir -p /data/in/sub /data/out/private /data/wo
	echo in >/data/in/f
	echo out >/data/out/f
	echo secret >/data/out/private/k
	echo wo >/data/wo/b
	drain_events
}

@test "read is allowed below a read rule, and on the directory itself" {
	try_bound "$P" open /data/in/f
	[ "$output" = ok ]
	try_bound "$P" open /data/in directory
	[ "$output" = ok ]
	try_bound "$P" open /data/in/sub directory
	[ "$output" = ok ]
}

@test "write, read-write and truncating opens of a read-only file get EACCES and an event" {
	for f in wronly rdwr "rdonly trunc" "wronly append"; do
		try_bound "$P" --pid open /data/in/f $f
		[ "${lines[1]}" = EACCES ]
	done
	[ "$(cat /data/in/f)" = in ]
	[ "$(event_field "${lines[0]}" 'e["action"], e["reason"], e["errno"], e["hook"], e["event_type"]')" = \
		"{'path': '/data/in/f', 'access': 'write'}, access not granted by the path's rule, EACCES, file_open, action.denied" ]
}

@test "creating a file where writes are allowed works; where not, EACCES and nothing is created" {
	try_bound "$P" open /data/out/new wronly creat
	[ "$output" = ok ]
	[ -f /data/out/new ]
	try_bound "$P" --pid open /data/in/new wronly creat
	[ "${lines[1]}" = EACCES ]
	[ ! -e /data/in/new ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["path"]')" = "path_mknod, /data/in/new" ]
}

@test "a path no rule covers is not in scope; an explicit [] denies inside a writable tree" {
	try_bound "$P" --pid open /etc/shadow
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["reason"]')" = "path not in scope" ]
	try_bound "$P" --pid open /data/out/private/k
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["reason"]')" = "path explicitly denied" ]
}

@test "a symlink or .. into a denied file is decided on the resolved path" {
	ln -s /etc/shadow /data/out/s
	try_bound "$P" --pid open /data/out/s
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["action"]["path"]')" = /etc/shadow ]
	try_bound "$P" open /data/in/../out/private/k
	[ "$output" = EACCES ]
	try_bound "$P" open /data/in/sub/../f
	[ "$output" = ok ]
}

@test "a hard link of a read-only or secret file into a writable directory is refused" {
	try_bound "$P" --pid link /data/in/f /data/out/f2
	[ "${lines[1]}" = EACCES ]
	[ ! -e /data/out/f2 ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["reason"], e["action"]["path"], e["action"]["source"]')" = \
		"path_link, link or rename would widen the file's access, /data/out/f2, /data/in/f" ]
	try_bound "$P" link /data/out/private/k /data/out/k2
	[ "$output" = EACCES ]
	[ ! -e /data/out/k2 ]
	try_bound "$P" link /data/out/f /data/out/f3
	[ "$output" = ok ]
}

@test "rename needs write on both names and may not widen access; RENAME_EXCHANGE too" {
	try_bound "$P" rename /data/in/f /data/out/f4
	[ "$output" = EACCES ]
	try_bound "$P" rename /data/out/f /data/in/f5
	[ "$output" = EACCES ]
	try_bound "$P" --pid rename /data/wo/b /data/out/b
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["reason"]')" = "link or rename would widen the file's access" ]
	try_bound "$P" exchange /data/out/f /data/wo/b
	[ "$output" = EACCES ]
	[ "$(cat /data/out/f)" = out ]
	try_bound "$P" rename /data/out/f /data/out/g
	[ "$output" = ok ]
	[ -f /data/out/g ]
}

@test "unlink, mkdir, rmdir, symlink, mknod, truncate and chmod need write" {
	for op in "unlink /data/in/f" "mkdir /data/in/d" "rmdir /data/in/sub" \
		"symlink /x /data/in/l" "mknod /data/in/p" "truncate /data/in/f" "chmod /data/in/f"; do
		try_bound "$P" $op
		[ "$output" = EACCES ] || { echo "$op: $output"; false; }
	done
	[ "$(cat /data/in/f)" = in ]
	for op in "mkdir /data/out/d" "rmdir /data/out/d" "symlink /x /data/out/l" \
		"mknod /data/out/p" "truncate /data/out/f" "chmod /data/out/f" "unlink /data/out/f"; do
		try_bound "$P" $op
		[ "$output" = ok ] || { echo "$op: $output"; false; }
	done
}

@test "reopening an fd through /proc/self/fd for write is decided again (also O_PATH, unlinked)" {
	try_bound "$P" reopen /data/in/f wronly
	[ "$output" = EACCES ]
	try_bound "$P" reopen /data/out/private/k opath rdonly
	[ "$output" = EACCES ]
	try_bound "$P" reopen /etc/shadow opath rdonly
	[ "$output" = EACCES ]
	try_bound "$P" reopen /data/out/f wronly
	[ "$output" = ok ]
}

@test "an unlinked read-only file reopened for write through /proc/self/fd gets EACCES" {
	# The unlink itself is refused under /data/in, so the file is unlinked from /data/wo,
	# where the agent may write but not read: the reopen for reading must fail.
	try_bound "$P" reopen-unlinked /data/wo/b rdonly
	[ "$output" = "setup-EACCES" ]
	ln /data/in/f /data/out/hard
	try_bound "$P" reopen /data/in/f wronly
	[ "$output" = EACCES ]
}

@test "a path longer than the LPM key is decided by its deepest directory rule" {
	local d=/data/out/$(printf 'a%.0s' $(seq 200))/$(printf 'b%.0s' $(seq 200))
	mkdir -p "$d" /data/in/long
	echo deep >"$d/f"
	try_bound "$P" open "$d/f" rdwr
	[ "$output" = ok ]
	local e=/data/in/long/$(printf 'c%.0s' $(seq 250))
	mkdir -p "$e"
	echo x >"$e/f"
	try_bound "$P" open "$e/f"
	[ "$output" = ok ]
	try_bound "$P" open "$e/f" wronly
	[ "$output" = EACCES ]
	mkdir -p "/data/out/private/$(printf 'd%.0s' $(seq 250))"
	try_bound "$P" open "/data/out/private/$(printf 'd%.0s' $(seq 250))" directory
	[ "$output" = EACCES ]
}

@test "a descriptor keeps its open's decision: moved out of scope, writes through it go on" {
	# Marked at open (kk_files): reads and writes through it are not decided again on the path,
	# which the move made read-only; a new open of that path is.
	bound_start "$P" sh -c 'exec 3<>/data/out/f && : >/data/out/ready
		while [ ! -e /data/out/go ]; do sleep 0.05; done
		if echo more >&3; then echo write-ok; else echo write-refused; fi
		if echo again 2>/dev/null >>/data/in/moved; then echo reopen-ok; else echo reopen-refused; fi'
	for _ in $(seq 200); do [ -e /data/out/ready ] && break; sleep 0.05; done
	mv /data/out/f /data/in/moved
	touch /data/out/go
	bound_wait
	[ "$output" = "$(printf 'write-ok\nreopen-refused')" ]
	[ "$(cat /data/in/moved)" = more ]
}

@test "io_uring openat on a worker thread is decided like open" {
	try_bound "$P" uring-open /data/in/f wronly
	[ "$output" = EACCES ]
	try_bound "$P" uring-open /etc/shadow
	[ "$output" = EACCES ]
	try_bound "$P" uring-open /data/out/f rdwr
	[ "$output" = ok ]
}

@test "a child and a grandchild of the bound process are bound, an unbound shell is not" {
	bound_run "$P" sh -c '"$TRY" open /etc/shadow; sh -c "\"\$TRY\" open /etc/shadow"'
	[ "$output" = "$(printf 'EACCES\nEACCES')" ]
	run "$TRY" open /data/out/private/k
	[ "$output" = ok ]
}
