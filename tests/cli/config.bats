#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# daemon.json is validated like a policy: every problem, one line each with its position, and
# the daemon does not start.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "daemon.json: duplicate keys, wrong types, unknown keys, each with LINE:COL; exit 1" {
	printf '{\n  "keep_files": 3,\n  "syslog": "yes",\n  "audit_file": "a.jsonl", // a comment\n  "keep_files": 4,\n  "metrix": true\n}\n' >daemon.json
	run --separate-stderr "$KK" daemon --config daemon.json
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${stderr_lines[0]}" = "kakunin-bpf: daemon: daemon.json:3:13: syslog: must be true or false" ]
	[ "${stderr_lines[1]}" = "kakunin-bpf: daemon: daemon.json:5:3: keep_files: duplicate key (first at 2:3)" ]
	[[ "${stderr_lines[2]}" == "kakunin-bpf: daemon: daemon.json:6:3: metrix: unknown key (expected: audit_file, "* ]]
	[ "${#stderr_lines[@]}" -eq 3 ]
}

@test "daemon.json: a syntax error names its position" {
	printf '{"keep_files": 3\n "syslog": true}' >daemon.json
	run --separate-stderr "$KK" daemon --config daemon.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: daemon: daemon.json:2:2: expected ',' or '}' after a member" ]
}
