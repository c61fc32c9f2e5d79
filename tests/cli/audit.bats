#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# audit verify without a kernel: the last hash it prints, --anchor (a hash kept elsewhere that a
# line of the chain must still carry), and a torn last line (a crash during a write), as
# docs/audit.md describes it. The chain is docs/audit.md's example.
bats_require_minimum_version 1.5.0
load helpers

H1=96c0d923bfccce17d16fe1bf9cbaab45a9184a71e797a490c1565d61f5cd23e9
H2=ed72b6353511402e81b0ae50fef0bcf7621855a226e96c0026df28fed221508f
H3=b526a6482d5e45ebbbc055067c21c0c7449a17f787d5a0e3c2e4513595f4c16d

setup() {
	A=$BATS_TEST_TMPDIR/audit.jsonl
	sed -n '30,32p' "$BATS_TEST_DIRNAME/../../docs/audit.md" >"$A"
	grep -q "\"hash\":\"$H3\"}\$" "$A" # the doc's example is still where it was
}

@test "audit verify prints the last hash, as text and as JSON" {
	run --separate-stderr "$KK" audit verify "$A"
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: 3 lines verified, hash chain intact, last hash $H3" ]
	run --separate-stderr "$KK" audit verify --json "$A"
	[ "$status" -eq 0 ]
	[ "$output" = "{\"intact\":true,\"lines\":3,\"last_hash\":\"$H3\",\"files\":[\"$A\"]}" ]
}

@test "audit verify --anchor: any line of the chain may carry it, the last one too" {
	run --separate-stderr "$KK" audit verify --anchor "$H2" "$A"
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: 3 lines verified, hash chain intact, anchor at line 2, last hash $H3" ]
	# Upper case is the same hash.
	run --separate-stderr "$KK" audit verify --json --anchor "${H3^^}" "$A"
	[ "$status" -eq 0 ]
	[ "$output" = "{\"intact\":true,\"lines\":3,\"last_hash\":\"$H3\",\"anchor_line\":3,\"files\":[\"$A\"]}" ]
}

@test "audit verify --anchor fails when the log was cut before the anchored line" {
	sed -i '3d' "$A" # still a valid chain of two lines
	run "$KK" audit verify "$A"
	[ "$status" -eq 0 ]
	run --separate-stderr "$KK" audit verify --anchor "$H3" "$A"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: audit: anchor $H3: no line of the chain has this hash"
	run --separate-stderr "$KK" audit verify --json --anchor "$H3" "$A"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 - "$output" "$H3" <<'PY'
import json, sys
e = json.loads(sys.argv[1])["error"]
assert e["errno"] == "ENOENT" and e["what"] == "anchor " + sys.argv[2], e
assert e["lines_verified"] == 2, e
PY
}

@test "audit verify --anchor: a broken chain is reported before the anchor" {
	sed -i '2s/"café"/"cafe"/' "$A"
	run --separate-stderr "$KK" audit verify --anchor "$H1" "$A"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: audit: $A:2: "
}

@test "audit verify --anchor refuses what is not a hash, exit 2" {
	run --separate-stderr "$KK" audit verify --anchor abc "$A"
	[ "$status" -eq 2 ]
	assert_one_stderr_line "--anchor: not a hash (64 hex digits, as verify prints it)"
	run --separate-stderr "$KK" audit verify --json --anchor "${H1:0:63}g" "$A"
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "" "--anchor: not a hash"
}

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
