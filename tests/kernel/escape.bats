#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 57 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# The escape suite: a bound agent whose code is compromised tries every way around its scope that
# DESIGN.md's threat model names, one test per attempt. The policy is the issue's: read /data/in,
# write /data/out, connect only to 127.0.0.1:8081, exec only /usr/bin/python3 (and the two test
# helpers that stand in for agent code). Each test asserts the exact errno, or that nothing
# reached its target (a real listener, file or cgroup counts), and that the denial was reported:
# an event with the exact hook, reason and errno. The attempts run inside kk-try and kk-escape
# (tests/helpers/), bound before their first instruction; events are read once from the ring
# (or from the daemon's audit file while a daemon consumes it) and then matched. This file holds
# the file and exec attempts (1-15); escape-live.bats the network, the live channels and
# revocation (16-26); escape-files/-net/-self.bats the classes issue 14 added.
bats_require_minimum_version 1.5.0
load helpers
load escape_helpers

@test "1. a read-only file opened with O_WRONLY, O_RDWR or O_TRUNC gets EACCES" {
	esc_run "$P" open /data/in/f wronly + open /data/in/f rdwr + open /data/in/f rdonly,trunc \
		+ open /data/in/f wronly,append + truncate /data/in/f
	lines_are EACCES EACCES EACCES EACCES EACCES
	[ "$(cat /data/in/f)" = in ]
	want file_open "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want file_open "$NG" EACCES 'a == {"path": "/data/in/f", "access": "read,write"}'
	want path_truncate "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	check_events
}

@test "2. a write-only directory: O_RDONLY gets EACCES, O_WRONLY|O_CREAT works" {
	esc_run "$P" open /data/out/f rdonly + open /data/out/f rdwr + open /data/out/new wronly,creat \
		+ open /data/out/f wronly,trunc
	lines_are EACCES EACCES ok ok
	[ -f /data/out/new ]
	[ ! -s /data/out/f ]
	want file_open "$NG" EACCES 'a == {"path": "/data/out/f", "access": "read"}'
	want file_open "$NG" EACCES 'a == {"path": "/data/out/f", "access": "read,write"}'
	check_events
}

@test "3. .. and a symlink /data/out/s -> /etc/shadow get EACCES on the resolved path" {
	local sum
	sum=$(sha256sum </etc/shadow)
	ln -s /etc/shadow /data/out/s
	mkdir /data/inx # shares the prefix "/data/in" without being below it
	echo x >/data/inx/f
	esc_run "$P" open /data/out/s rdonly + open /data/out/s wronly \
		+ open /data/out/../../etc/shadow rdonly + open /data/out/../in/f wronly \
		+ symlink /etc/shadow /data/out/s2 + open /data/out/s2 wronly,trunc \
		+ open /proc/self/root/etc/shadow rdonly + open /data/inx/f rdonly
	lines_are EACCES EACCES EACCES EACCES ok EACCES EACCES EACCES
	[ "$(sha256sum </etc/shadow)" = "$sum" ]
	want file_open "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	want file_open "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "write"}'
	want file_open "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want file_open "$NS" EACCES 'a == {"path": "/data/inx/f", "access": "read"}'
	check_events
}

@test "4. reopening /proc/self/fd/N for write gets EACCES, also for an unlinked file" {
	esc_run "$P" reopen /data/in/f rdonly wronly + reopen /data/in/f rdonly rdwr \
		+ unlink-reopen /data/out/x wronly,creat rdonly
	lines_are EACCES EACCES EACCES
	want file_open "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	want file_open "$NG" EACCES 'a == {"path": "/data/out/x (deleted)", "access": "read"}'
	# A read-only file the agent holds open is unlinked by someone else, then reopened for write.
	echo g >/data/in/g
	bound_start "$P" "$ESC" gone-reopen /data/in/g wronly
	wait_line "$BATS_TEST_TMPDIR/bound.out" ready
	rm /data/in/g
	bound_wait
	collect_events
	lines_are ready EACCES
	want file_open "$NG" EACCES 'a == {"path": "/data/in/g (deleted)", "access": "write"}'
	check_events
}

@test "5. an O_PATH fd of a denied file reopened through /proc/self/fd gets EACCES" {
	esc_run "$P" reopen /etc/shadow path rdonly + reopen /data/out/f path rdonly \
		+ reopen /data/in/f path wronly + open /etc/shadow path
	lines_are EACCES EACCES EACCES ok
	want file_open "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	want file_open "$NG" EACCES 'a == {"path": "/data/out/f", "access": "read"}'
	want file_open "$NG" EACCES 'a == {"path": "/data/in/f", "access": "write"}'
	check_events
}

@test "6. open_by_handle_at with a handle of a denied file gets EPERM (no CAP_DAC_READ_SEARCH)" {
	echo secret >/dev/shm/kk-esc-secret
	local h
	h=$("$ESC" handle /dev/shm/kk-esc-secret)
	run "$ESC" open-handle /dev/shm "$h" # unbound: the handle is good
	[ "$output" = ok ]
	esc_run "$P" open-handle /dev/shm "$h"
	[ "$output" = EPERM ]
	want capable "$PROT" EPERM 'a == {"capability": 2}'
	check_events
}

@test "7. a hard link of /etc/passwd (or /etc/shadow, /data/in/f) into /data/out is refused" {
	# Also through an O_PATH fd: linkat of /proc/self/fd/N, and linkat(AT_EMPTY_PATH), which
	# needs CAP_DAC_READ_SEARCH (refused: the kernel then says ENOENT).
	esc_run "$P" link /etc/passwd /data/out/p + link /etc/shadow /data/out/s \
		+ link /data/in/f /data/out/f2 + fdlink /etc/passwd /data/out/p2 \
		+ fdlink-empty /etc/passwd /data/out/p3
	lines_are EACCES EACCES EACCES EACCES ENOENT
	[ ! -e /data/out/p ]
	[ ! -e /data/out/s ]
	[ ! -e /data/out/f2 ]
	[ ! -e /data/out/p2 ]
	[ ! -e /data/out/p3 ]
	local w="link or rename would widen the file's access"
	want path_link "$w" EACCES 'a["path"] == "/data/out/p" and a["source"] == "/etc/passwd"'
	want path_link "$w" EACCES 'a["path"] == "/data/out/s" and a["source"] == "/etc/shadow"'
	want path_link "$w" EACCES 'a["path"] == "/data/out/f2" and a["source"] == "/data/in/f"'
	want path_link "$w" EACCES 'a["path"] == "/data/out/p2" and a["source"] == "/etc/passwd"'
	want capable "$PROT" EPERM 'a == {"capability": 2}'
	check_events
}

@test "8. rename and RENAME_EXCHANGE between /data/in, /data/out and outside are refused" {
	echo o >/tmp/kk-esc-o
	esc_run "$P" rename /data/in/f /data/out/f2 + rename /data/out/f /data/in/f2 \
		+ rename /data/out/f /tmp/kk-esc-f + rename /tmp/kk-esc-o /data/out/o \
		+ exchange /data/out/f /data/in/f + exchange /data/in/f /data/out/f \
		+ exchange /data/out/f /tmp/kk-esc-o
	lines_are EACCES EACCES EACCES EACCES EACCES EACCES EACCES
	[ "$(cat /data/in/f)" = in ]
	[ "$(cat /data/out/f)" = out ]
	[ "$(cat /tmp/kk-esc-o)" = o ]
	[ ! -e /data/out/f2 ]
	[ ! -e /data/in/f2 ]
	[ ! -e /tmp/kk-esc-f ]
	[ ! -e /data/out/o ]
	want path_rename "$NG" EACCES 'a["path"] == "/data/out/f2" and a["source"] == "/data/in/f"'
	want path_rename "$NG" EACCES 'a["path"] == "/data/in/f2" and a["source"] == "/data/out/f"'
	want path_rename "$NS" EACCES 'a["path"] == "/tmp/kk-esc-f" and a["source"] == "/data/out/f"'
	want path_rename "$NS" EACCES 'a["path"] == "/data/out/o" and a["source"] == "/tmp/kk-esc-o"'
	want path_rename "$NG" EACCES 'a["path"] == "/data/in/f" and a["source"] == "/data/out/f"'
	want path_rename "$NG" EACCES 'a["path"] == "/data/out/f" and a["source"] == "/data/in/f"'
	want path_rename "$NS" EACCES 'a["path"] == "/tmp/kk-esc-o" and a["source"] == "/data/out/f"'
	check_events
}

@test "9. unshare -Urm, unshare(CLONE_NEWNS), clone and mount(2) over /data/out get EPERM" {
	esc_run "$P" unshare user,mount + unshare mount + clone user,mount + clone mount \
		+ mount /data/in /data/out + mount tmpfs /data/out tmpfs + open /data/out/f wronly,trunc
	lines_are EPERM EPERM EPERM EPERM EPERM EPERM ok
	[ -z "$(grep ' /data/out ' /proc/self/mountinfo)" ]
	[ ! -s /data/out/f ] # the agent's write went to the real /data/out
	want userns_create "$PROT" EPERM
	want capable "$PROT" EPERM 'a == {"capability": 21}'
	want task_alloc "new namespace or cgroup at clone: not allowed" EPERM \
		'a == {"clone_namespace_flags": 1}'
	want sb_mount "$PROT" EPERM
	check_events
}

@test "10. a path longer than 256 bytes, or than PATH_MAX, to a denied file gets EACCES" {
	local a
	a=$(printf 'a%.0s' $(seq 250))
	mkdir -p "/data/out/$a/$a" "/tmp/kk-esc/$a/$a"
	echo x >"/data/out/$a/$a/f"
	echo x >"/tmp/kk-esc/$a/$a/f"
	# 18 levels of 251 bytes: more than PATH_MAX, inside the readable /data/in.
	run "$ESC" deep-mk /data/in "$a" 18 f
	[ "$output" = ok ]
	esc_run "$P" open "/data/out/$a/$a/f" rdonly + open "/tmp/kk-esc/$a/$a/f" rdonly \
		+ deep-open /data/in "$a" 18 f rdonly + open "/data/out/$a/$a/f" wronly
	lines_are EACCES EACCES EACCES ok
	want file_open "$NG" EACCES "a == {'path': '/data/out/$a/$a/f', 'access': 'read'}"
	want file_open "$NS" EACCES "a == {'path': '/tmp/kk-esc/$a/$a/f', 'access': 'read'}"
	want file_open "path could not be resolved (fail closed)" EACCES 'a == {"access": "read"}'
	check_events
}

@test "11. an fd of a denied file passed over SCM_RIGHTS is refused: no fd, MSG_CTRUNC (also io_uring)" {
	"$ESC" scm-serve /data/out/scm.sock r:/etc/shadow r:/data/in/f rw:/data/in/f \
		>"$BATS_TEST_TMPDIR/scm.out" 2>&1 &
	local spid=$!
	wait_line "$BATS_TEST_TMPDIR/scm.out" listening
	esc_run "$P" scm-recv /data/out/scm.sock 3
	wait "$spid" || true
	lines_are ctrunc "fd read=ok write=EBADF" ctrunc
	want file_receive "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	want file_receive "$NG" EACCES 'a == {"path": "/data/in/f", "access": "read,write"}'
	check_events
	# The io_uring way to pass an fd: the helper takes the agent's ring (pidfd_getfd) and
	# installs its /etc/shadow into the ring's fixed-file table (IORING_MSG_SEND_FD). Nothing of
	# the file may reach the agent, and the refusal must be reported.
	bound_start "$P" "$ESC" msgring-recv
	wait_line "$BATS_TEST_TMPDIR/bound.out" "ring $BOUND_PID [0-9]+"
	run "$ESC" msgring-send "$BOUND_PID" "$(awk '{ print $3; exit }' "$BATS_TEST_TMPDIR/bound.out")" \
		/etc/shadow
	bound_wait
	collect_events
	[ "${lines[2]}" != "read ok" ] || {
		echo "the agent read /etc/shadow through a file installed by IORING_MSG_SEND_FD"
		false
	}
	want "*" "$NS" EACCES 'a.get("path") == "/etc/shadow"'
	check_events
}

@test "12. exec of /bin/sh, copied or hard-linked python3 gets EACCES; python3 -> python3.X runs" {
	local py
	py=$(readlink -f /usr/bin/python3)
	cp "$py" /tmp/kk-esc-py3
	cp "$py" /data/out/py3
	cp "$py" /data/in/py3
	ln "$py" /data/in/py3link
	esc_run "$P" exec /bin/sh -c 'echo escaped' + exec /tmp/kk-esc-py3 -c 'print("escaped")' \
		+ exec /data/out/py3 -c 'print("escaped")' + exec /data/in/py3 -c 'print("escaped")' \
		+ exec /data/in/py3link -c 'print("escaped")' + link "$py" /data/out/py3link
	lines_are EACCES EACCES EACCES EACCES EACCES EACCES
	local nl="executable not in the exec list"
	want bprm_check_security "$nl" EACCES 'a == {"exec": "/usr/bin/dash"}'
	want file_open "$NS" EACCES 'a == {"path": "/tmp/kk-esc-py3", "access": "read"}'
	want file_open "$NG" EACCES 'a == {"path": "/data/out/py3", "access": "read"}'
	want bprm_check_security "$nl" EACCES 'a == {"exec": "/data/in/py3"}'
	want bprm_check_security "$nl" EACCES 'a == {"exec": "/data/in/py3link"}'
	want path_link "link or rename would widen the file's access" EACCES \
		"a['path'] == '/data/out/py3link' and a['source'] == '$py'"
	check_events
	try_run "$P" exec /usr/bin/python3 -c 'print("py-ok")'
	[ "$status" -eq 0 ]
	[ "$output" = py-ok ]
}

@test "13. a #! script in /data/out, and ld-linux-x86-64.so.2 /bin/sh, get EACCES" {
	printf '#!/usr/bin/python3\nprint("escaped")\n' >/data/out/s.py
	printf '#!/usr/bin/python3\nprint("escaped")\n' >/data/in/s.py
	printf '#!/bin/sh\necho escaped\n' >/data/in/s.sh
	chmod 755 /data/out/s.py /data/in/s.py /data/in/s.sh
	esc_run "$P" exec /data/out/s.py + exec /data/in/s.py + exec /data/in/s.sh \
		+ exec /lib64/ld-linux-x86-64.so.2 /bin/sh -c 'echo escaped'
	lines_are EACCES EACCES EACCES EACCES
	local nl="executable not in the exec list"
	want file_open "$NG" EACCES 'a == {"path": "/data/out/s.py", "access": "read"}'
	want bprm_check_security "$nl" EACCES 'a == {"exec": "/data/in/s.py"}'
	want bprm_check_security "$nl" EACCES 'a == {"exec": "/data/in/s.sh"}'
	want bprm_check_security "$nl" EACCES \
		"a == {'exec': '$(readlink -f /lib64/ld-linux-x86-64.so.2)'}"
	check_events
}

@test "14. memfd_create + execveat(AT_EMPTY_PATH), fexecve and exec of a deleted file get EACCES" {
	esc_run "$P" memfd-execveat /usr/bin/python3 -c 'print("escaped")' \
		+ memfd-procexec /usr/bin/python3 -c 'print("escaped")'
	lines_are EACCES EACCES
	want file_open "$NS" EACCES 'a == {"path": "/memfd:kk (deleted)", "access": "read"}'
	try_run "$P" memfd-exec /usr/bin/python3 -c 'print("escaped")' # glibc fexecve
	[ "$output" = EACCES ]
	want file_open "$NS" EACCES 'a == {"path": "/memfd:kk (deleted)", "access": "read"}'
	# A readable copy, held open by the agent, deleted by someone else, exec'd through its fd.
	cp "$(readlink -f /usr/bin/python3)" /data/in/py
	bound_start "$P" "$ESC" gone-fdexec /data/in/py -c 'print("escaped")'
	wait_line "$BATS_TEST_TMPDIR/bound.out" ready
	rm /data/in/py
	bound_wait
	collect_events
	lines_are ready EACCES
	want bprm_check_security "memfd, deleted or unlinked executable" EACCES \
		'a == {"exec": "/data/in/py (deleted)"}'
	check_events
}

@test "15. ctypes.CDLL of a library the agent may write gets EACCES at its executable mapping" {
	local lib
	lib=$(readlink -f /usr/lib/x86_64-linux-gnu/libz.so.1)
	mkdir -p /data/rw
	cp "$lib" /data/rw/libkk.so
	cp "$lib" /data/in/libkk.so
	bound_run "$RW" /usr/bin/python3 -c '
import ctypes, errno, os
def out(*a): print(*a, flush=True)
# dlopen() in glibc reports no errno for a refused segment mapping: its message says what failed,
# the event and the direct mmap() below give the errno.
for path in ("/data/rw/libkk.so", "/data/in/libkk.so"):
    try:
        ctypes.CDLL(path); out("cdll ok")
    except OSError as e:
        out("cdll", "OSError" if "failed to map segment from shared object" in str(e) else e)
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
fd = os.open("/data/rw/libkk.so", os.O_RDONLY)
failed = ctypes.c_void_p(-1).value
p = libc.mmap(None, 4096, 5, 2, fd, 0)  # PROT_READ | PROT_EXEC, MAP_PRIVATE
out("mmap", "ok" if p != failed else errno.errorcode[ctypes.get_errno()])
p = libc.mmap(None, 4096, 1, 2, fd, 0)  # PROT_READ, then mprotect to PROT_EXEC
out("mprotect", "ok" if libc.mprotect(p, 4096, 5) == 0 else errno.errorcode[ctypes.get_errno()])'
	collect_events
	lines_are "cdll OSError" "cdll ok" "mmap EACCES" "mprotect EACCES"
	local wx="executable is writable by the agent (W^X)"
	want mmap_file "$wx" EACCES 'a == {"path": "/data/rw/libkk.so", "access": "exec"}'
	want file_mprotect "$wx" EACCES 'a == {"path": "/data/rw/libkk.so", "access": "exec"}'
	check_events
	# One refused mapping for the CDLL, one for the mmap() call.
	[ "$(grep -c '"hook":"mmap_file","action":{"path":"/data/rw/libkk.so"' "$EVF")" -ge 2 ]
}
