#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `audit verify` on a torn last line (a crash during a write), as docs/audit.md describes it:
# the complete lines verify, the torn one is named with its line number, exit 1.
bats_require_minimum_version 1.5.0
load helpers

BB=${KAKUNIN_BENCH_BIN:-$BATS_TEST_DIRNAME/../../build/bench}

@test "audit verify: a torn last line is named (no final newline), the lines before it verified" {
	local f=$BATS_TEST_TMPDIR/a.jsonl
	"$BB/kk-evpipe" 3 "$f" >/dev/null
	run --separate-stderr "$KK" audit verify "$f"
	[ "$status" -eq 0 ]
	truncate -s -20 "$f"
	run --separate-stderr "$KK" audit verify "$f"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: audit: $f:3: no final newline: the last line is incomplete (a truncated write)" ]
	run --separate-stderr "$KK" audit verify --json "$f"
	[ "$status" -eq 1 ]
	python3 - "$output" "$f" <<'PY'
import json, sys
e = json.loads(sys.argv[1])["error"]
assert e["what"] == sys.argv[2] + ":3" and e["lines_verified"] == 2, e
assert e["why"] == "no final newline: the last line is incomplete (a truncated write)", e
PY
}
