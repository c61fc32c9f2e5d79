#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh — run the test suites and sum them up.
#   scripts/check.sh [all | unit | cli | kernel]...
# Suites: unit (C programs in $OUTPUT/tests/unit, host), cli (tests/cli/*.bats, host), kernel
# (tests/kernel/*.bats in the VM, plus tests/kernel/boot-nolsm/ in a VM booted without bpf in
# lsm=). Every suite writes TAP to $OUTPUT/tap/<suite>.tap. The last line printed is always
# "N passed, N failed" over every suite run; the exit status is non-zero when anything failed,
# a suite broke down (counted as a failure), or nothing was tested at all.
set -uo pipefail

cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
tapdir=$OUTPUT/tap
mkdir -p "$tapdir"

[ $# -gt 0 ] || set -- all
[ "$1" = all ] && set -- unit cli kernel

total_pass=0 total_fail=0 total_skip=0

# Count one TAP file. A runner that exits non-zero without reporting a failing test, or a plan
# that promises more tests than ran, is a broken suite: each missing test counts as a failure.
tally() {
	local suite=$1 file=$2 rc=$3 pass fail skip planned ran
	pass=$(grep -cE '^ok [0-9]+' "$file" | head -1)
	skip=$(grep -cE '^ok [0-9]+.*# [Ss][Kk][Ii][Pp]' "$file" | head -1)
	fail=$(grep -cE '^not ok [0-9]+' "$file" | head -1)
	pass=$((pass - skip))
	planned=$(grep -oE '^1\.\.[0-9]+' "$file" | sed 's/^1\.\.//' | awk '{s+=$1} END {print s+0}')
	ran=$((pass + fail + skip))
	if [ "$planned" -gt "$ran" ]; then
		echo "check: $suite: $((planned - ran)) planned tests did not run" >&2
		fail=$((fail + planned - ran))
	fi
	if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		echo "check: $suite: runner failed (exit $rc) without a failing test" >&2
		fail=1
	fi
	printf '%-8s %d passed, %d failed, %d skipped\n' "$suite:" "$pass" "$fail" "$skip"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
}

run_unit() {
	local out=$tapdir/unit.tap rc=0 t n=0
	: >"$out"
	for t in "$OUTPUT"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		n=$((n + 1))
		echo "# $(basename "$t")" >>"$out"
		"$t" >>"$out" 2>&1 || rc=1
	done
	[ "$n" -gt 0 ] || { echo "check: unit: no unit test programs in $OUTPUT/tests/unit" >&2; rc=1; }
	grep -E '^(not ok|# )' "$out" | grep -vE '^# test_' || true
	tally unit "$out" "$rc"
}

run_cli() {
	local out=$tapdir/cli.tap rc
	KAKUNIN_BIN=$PWD/$OUTPUT/kakunin-bpf bats --tap tests/cli >"$out" 2>&1
	rc=$?
	grep -E '^(not ok|#)' "$out" || true
	tally cli "$out" "$rc"
}

# One VM boot per kernel suite; the guest writes TAP into the results share.
run_vm_suite() {
	local suite=$1 dir=$2 append=$3 out=$tapdir/$1.tap res rc
	res=$(mktemp -d /tmp/kakunin-check.XXXXXX)
	KAKUNIN_VM_APPEND=$append scripts/vmtest.sh --results "$res" -- bash -c \
		'KAKUNIN_BIN=$PWD/'"$OUTPUT"'/kakunin-bpf KAKUNIN_TESTS_BIN=$PWD/'"$OUTPUT"'/tests \
		bats --tap '"$dir"' | tee "$KAKUNIN_VM_RESULTS/suite.tap"; exit ${PIPESTATUS[0]}'
	rc=$?
	if [ -f "$res/suite.tap" ]; then cp "$res/suite.tap" "$out"; else : >"$out"; fi
	rm -rf "$res"
	if [ ! -s "$out" ] && [ "$rc" = 0 ]; then rc=1; fi
	tally "$suite" "$out" "$rc"
}

for suite in "$@"; do
	case "$suite" in
	unit) run_unit ;;
	cli) run_cli ;;
	kernel)
		run_vm_suite kernel tests/kernel ""
		run_vm_suite nolsm tests/kernel/boot-nolsm \
			"lsm=lockdown,capability,landlock,yama,apparmor,tomoyo"
		;;
	*) echo "check: unknown suite '$suite' (unit, cli, kernel, all)" >&2; exit 2 ;;
	esac
done

[ "$total_skip" = 0 ] || echo "($total_skip skipped)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ] && [ "$total_pass" -gt 0 ]
