#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 26 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Exec in the kernel: the exec list matched on the resolved file, W^X, memfd and deleted files,
# scripts decided with their interpreter, exec permission when there is no list.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
	P=$BATS_FILE_TMPDIR/exec.json
	policy "$P" '"exec": ["/usr/bin/python3"],
		"data_access": { "/data/out/*": ["read", "write"], "/opt/tools/*": ["read", "exec"] }'
	N=$BATS_FILE_TMPDIR/noexec-list.json
	policy "$N" '"data_access": { "/opt/tools/*": ["read", "exec"],
		"/data/wx/*": ["read", "write", "exec"] }'
	export P N
}

teardown_file() {
	kk_unload --force
}

setup() {
	rm -rf /data /opt/tools
	mkdir -p /data/out /data/wx /opt/tools
	cp /bin/true /opt/tools/t
	cp /bin/true /data/wx/t
	printf '#!/bin/sh\necho script-ran\n' >/data/out/s.sh
	printf '#!/usr/bin/python3\nprint("py-script-ran")\n' >/data/out/s.py
	chmod +x /data/out/s.sh /data/out/s.py
	drain_events
}

@test "the listed interpreter runs, matched on the file it resolves to (python3 -> python3.X)" {
	try_bound "$P" exec /usr/bin/python3 -c 'print("py-ok")'
	[ "$status" -eq 0 ]
	[ "$output" = py-ok ]
}

@test "a binary not on the list gets EACCES, with the exec event" {
	try_bound "$P" --pid exec /bin/sh -c 'echo should-not-run'
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"], e["reason"], e["errno"]')" = \
		"bprm_check_security, {'exec': '/usr/bin/dash'}, executable not in the exec list, EACCES" ]
}

@test "a memfd copy of an allowed binary cannot be executed (fexecve)" {
	try_bound "$P" --pid memfd-exec /usr/bin/python3 -c 'print(1)'
	[ "${lines[1]}" = EACCES ]
	# Even where every path is readable, so that opening it for exec passes, the exec does not.
	policy "$BATS_TEST_TMPDIR/r.json" '"exec": ["/usr/bin/python3"], "data_access": {"/*": ["read"]}'
	try_bound "$BATS_TEST_TMPDIR/r.json" --pid memfd-exec /usr/bin/python3 -c 'print(1)'
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["exec"], e["reason"]')" = \
		"bprm_check_security, /memfd:kk (deleted), memfd, deleted or unlinked executable" ]
}

@test "a script in a writable directory is refused even though its interpreter is listed" {
	try_bound "$P" --pid exec /data/out/s.py
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["action"]["exec"], e["reason"]')" = \
		"/data/out/s.py, executable is writable by the agent (W^X)" ]
}

@test "python3 reading a script from a read-only path runs it; the script itself is not exec'd" {
	mkdir -p /opt/tools && cp /data/out/s.py /opt/tools/s.py
	try_bound "$P" exec /usr/bin/python3 /opt/tools/s.py
	[ "$output" = py-script-ran ]
}

@test "a script whose interpreter is not listed is refused at the interpreter" {
	cp /data/out/s.sh /opt/tools/s.sh
	try_bound "$N" --pid exec /opt/tools/s.sh
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["action"]["exec"], e["reason"]')" = \
		"/usr/bin/dash, access not granted by the path's rule" ]
}

@test "without an exec list, exec needs the exec permission of the file's rule" {
	try_bound "$N" exec /opt/tools/t
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	try_bound "$N" exec /usr/bin/true
	[ "$output" = EACCES ]
}

@test "a file the agent may write cannot be executed even with exec permission (W^X)" {
	try_bound "$N" --pid exec /data/wx/t
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["reason"]')" = "executable is writable by the agent (W^X)" ]
}
