#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 53 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# The escape suite, files and memory (issue 14): what a bound agent reaches without opening a
# path — descriptors from before its bind, attributes and extended attributes, inotify, System V
# IPC and keys, its own /proc entry in a pid namespace, memory made executable. Same fixture
# and policy as escape.bats (read /data/in, write /data/out); every attempt asserts the exact
# errno and the denial event, and what it targeted is checked to be unchanged.
bats_require_minimum_version 1.5.0
load helpers
load escape_helpers

FOREIGN="IPC object or key not created under this binding"
WX="anonymous or memfd memory made executable (W^X)"

@test "descriptors from before the bind: read, write, mmap, getdents, ioctl, futimens decided on the path" {
	mkdir -p /tmp/kk-esc-dir
	echo s >/tmp/kk-esc-dir/f
	# Opened by the unbound shell, inherited across the bind into the agent.
	bound_start "$P" "$ESC" fd-read 5 + fd-write 6 + fd-read 6 + fd-mmap 5 + fd-dents 7 \
		+ fd-setflags 6 + fd-futimens 6 + fd-mmap-shared-rw 6 + fd-write 8 + fd-read 9 \
		5</etc/shadow 6<>/data/in/f 7</tmp/kk-esc-dir 8>>/data/out/f 9</data/in/f
	bound_wait
	collect_events
	lines_are EACCES EACCES ok EACCES EACCES EACCES EACCES EACCES ok ok
	[ "$(cat /data/in/f)" = in ]
	want file_permission "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	want file_permission "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want mmap_file "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	want file_permission "$NS" EACCES 'a == {"path": "/tmp/kk-esc-dir", "access": "read"}'
	want file_ioctl "$NG" EACCES 'a["path"] == "/data/in/f" and a["access"] == "write"'
	want inode_setattr "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want mmap_file "$NG" EACCES 'a == {"path": "/data/in/f", "access": "read,write"}'
	check_events
}

@test "descriptors 0-2 handed over at the bind stay usable; a pre-bind file dup'ed over them is not" {
	# Every test shows the first half: the agent's stdout is a file outside its scope
	# ($BATS_TEST_TMPDIR/bound.out), opened by the operator's shell and written by the agent.
	bound_start "$P" "$ESC" fd-read 0 + dup2 3 0 + fd-read 0 + fd-read 3 3</etc/shadow
	bound_wait
	collect_events
	lines_are ok ok EACCES EACCES # stdin is /dev/null: read 0 bytes
	want file_permission "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	check_events
}

@test "setxattr (an ACL), removexattr, utimensat, getxattr, listxattr, inotify are decided on the path" {
	touch -d 2001-01-01 /data/in/f
	local before
	before=$(stat -c %Y /data/in/f)
	esc_run "$P" setxattr /data/in/f system.posix_acl_access acl-rw \
		+ removexattr /data/in/f system.posix_acl_access + utimens /data/in/f \
		+ utimens /etc/shadow + getxattr /etc/shadow system.posix_acl_access \
		+ listxattr /etc/shadow + inotify /etc + utimens /data/out/f \
		+ getxattr /data/in/f system.posix_acl_access + inotify /data/in
	lines_are EACCES EACCES EACCES EACCES EACCES EACCES EACCES ok ok ok
	[ "$(stat -c %Y /data/in/f)" = "$before" ]
	run python3 -c 'import os; print(os.getxattr("/data/in/f", "system.posix_acl_access"))'
	[ "$status" -ne 0 ] # no ACL was set
	want inode_setxattr "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want inode_removexattr "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want inode_setattr "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want inode_setattr "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "write"}'
	want inode_getxattr "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	want inode_listxattr "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	want path_notify "$NS" EACCES 'a == {"path": "/etc", "access": "read"}'
	check_events
}

@test "System V IPC and keys made outside the binding are refused; its own work" {
	local ids shm msg sem key
	ids=$("$ESC" ipc-make 0x4b4b0001 secret)
	shm=$(echo "$ids" | sed -n 's/.*shm=\([0-9]*\).*/\1/p')
	msg=$(echo "$ids" | sed -n 's/.*msg=\([0-9]*\).*/\1/p')
	sem=$(echo "$ids" | sed -n 's/.*sem=\([0-9]*\).*/\1/p')
	key=$("$ESC" key-make kk-esc-secret topsecret)
	# Reading a key by id searches the caller's keyrings first (the session keyring, not the
	# agent's either): refused there, the kernel reports ENOKEY.
	esc_run "$P" shm-get 0x4b4b0001 + msg-get 0x4b4b0001 + sem-get 0x4b4b0001 + shm-read "$shm" \
		+ msg-recv "$msg" + sem-up "$sem" + key-read "$key" + ipc-own + key-own
	"$ESC" ipc-rm 0x4b4b0001 >/dev/null
	lines_are EACCES EACCES EACCES EACCES EACCES EACCES ENOKEY ok ok
	want ipc_permission "$FOREIGN" EACCES "a.get('ipc_id') == $shm"
	want ipc_permission "$FOREIGN" EACCES "a.get('ipc_id') == $msg"
	want ipc_permission "$FOREIGN" EACCES "a.get('ipc_id') == $sem"
	want key_permission "$FOREIGN" EACCES 'a["ipc"] == "key"'
	check_events
	run "$ESC" key-read "$key" # unbound: the key is still there, unread by the agent
	[ "$output" = "ok topsecret" ]
}

@test "W^X: anonymous RWX, RW then RX, memfd PROT_EXEC, /proc/self/mem, SHM_EXEC, READ_IMPLIES_EXEC" {
	esc_run "$P" anon-wx + anon-mprotect + memfd-map-exec + self-mem + shmat-exec
	lines_are EACCES EACCES EACCES EACCES EACCES
	want mmap_file "$WX" EACCES 'a == {"access": "exec"}'
	want file_mprotect "$WX" EACCES 'a == {"access": "exec"}'
	want mmap_file "$WX" EACCES 'a.get("path", "").startswith("/memfd:kk-jit")'
	want file_open "$WX" EACCES 'a.get("path", "").endswith("/mem") and a["access"] == "read,write"'
	want shm_shmat "$WX" EACCES 'a["ipc"] == "shm"'
	check_events
	# personality(READ_IMPLIES_EXEC) makes brk(2)'s heap executable, which no hook sees: the
	# task may do nothing further.
	esc_run "$P" read-implies-exec
	[ "$status" -eq 42 ] # its open got EACCES (stdout is refused too, so the status tells)
	want file_open "$WX" EACCES 'a == {"path": "/data/in/f", "access": "read"}'
	check_events
}

@test "/proc/<pid> in a pid namespace: its own entry by its namespace pid, never another's by its host pid" {
	# An unbound launcher makes a pid namespace with its own /proc, as a container runtime
	# does, and starts the agent there stopped; the test binds it by its host pid N; then the
	# launcher gives a second process the namespace pid N (ns_last_pid), and the agent reads
	# /proc/N/cmdline and its own /proc/<namespace pid>/status.
	local d=$BATS_TEST_TMPDIR pid="" p i
	mkfifo "$d/host" # the agent's stdin: it learns its host pid there
	unshare --pid --fork --mount-proc bash -c '
		sh -c "kill -STOP \$\$; exec \"\$0\" proc-pidns" "$1" <>"$2/host" >"$2/ns.out" 2>&1 &
		a=$!
		while [ ! -s "$2/ns-want" ]; do sleep 0.02; done
		echo $(( $(cat "$2/ns-want") - 1 )) >/proc/sys/kernel/ns_last_pid
		sleep 30 &
		echo $! >"$2/ns-victim"
		wait $a' kk-esc-launcher "$ESC" "$d" &
	for i in $(seq 500); do
		for p in /proc/[0-9]*; do
			grep -qa proc-pidns "$p/cmdline" 2>/dev/null && grep -q '^State:.*T' "$p/status" &&
				pid=${p#/proc/} && break 2
		done
		sleep 0.02
	done
	[ -n "$pid" ]
	"$KK" bind --pid "$pid" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$P" --offline
	echo "$pid" >"$d/ns-want"
	for i in $(seq 500); do [ -s "$d/ns-victim" ] && break; sleep 0.02; done
	[ "$(cat "$d/ns-victim")" = "$pid" ] # the victim has the agent's host pid in the namespace
	echo "$pid" >"$d/host"
	kill -CONT "$pid"
	wait_line "$d/ns.out" 'other=.*'
	BOUND_PID=$pid
	collect_events
	[ "$(cat "$d/ns.out")" = "other=EACCES self=ok" ]
	want file_open "$NS" EACCES "a == {'path': '/proc/$pid/cmdline', 'access': 'read'}"
	check_events
}

@test "a socket passed over SCM_RIGHTS is received and decided on its peer, not refused as a path" {
	start_listener tcp:127.0.0.1:8081 tcp:127.0.0.1:8082
	"$ESC" scm-serve /data/out/scm.sock tcp:127.0.0.1:8081 tcp:127.0.0.1:8082 \
		>"$BATS_TEST_TMPDIR/scm.out" 2>&1 &
	local spid=$!
	wait_line "$BATS_TEST_TMPDIR/scm.out" listening
	esc_run "$P" scm-recv /data/out/scm.sock 2
	wait "$spid" || true
	# Connected to the allowed 127.0.0.1:8081: usable. To 8082: refused where it is received.
	lines_are "sock send=ok write=ok" ctrunc
	want file_receive "$HOST" EACCES 'a == {"address": "127.0.0.1", "port": 8082, "protocol": "tcp"}'
	check_events
}
