#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check.sh — run the test suites and sum them up.
#   scripts/check.sh [all | unit | cli | fuzz | kernel]...
# Suites: unit (C programs in $OUTPUT/tests/unit, host), cli (tests/cli/*.bats, host), fuzz (the
# policy libFuzzer target for $FUZZ_SECONDS, default 20, host; built here with clang), kernel
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
[ "$1" = all ] && set -- unit cli fuzz kernel

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

# Build the policy fuzzer and run it for FUZZ_SECONDS (make fuzz: ASan, UBSan, leak check). One
# test: a failed build, a crash, a leak, a timeout or a missing "Done N runs" summary fails it.
run_fuzz() {
	local out=$tapdir/fuzz.tap log=$tapdir/fuzz.log secs=${FUZZ_SECONDS:-20} rc runs art report
	printf '1..1\n' >"$out"
	make --no-print-directory -s OUTPUT="$OUTPUT" fuzz-bin >"$log" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "not ok 1 - fuzz_policy: build failed (make fuzz-bin, exit $rc)" >>"$out"
		report=$(grep -m10 -E 'error|Error' "$log")
		echo "${report:-$(tail -n 10 "$log")}" | sed 's/^/# /' >>"$out"
	else
		make --no-print-directory -s OUTPUT="$OUTPUT" FUZZ_SECONDS="$secs" fuzz >"$log" 2>&1
		rc=$?
		runs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) seconds?.*/\1 runs in \2 s/p' \
			"$log")
		if [ "$rc" = 0 ] && [ -n "$runs" ]; then
			echo "ok 1 - fuzz_policy: $runs, no crash" >>"$out"
			grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 |
				sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]*/# /' >>"$out"
		else
			[ "$rc" != 0 ] || rc=1
			art=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -n 1)
			echo "not ok 1 - fuzz_policy: ${runs:-crash or failure} (exit $rc)" >>"$out"
			echo "# reproducer: ${art:-none written}; full log: $log" >>"$out"
			report=$(grep -m1 -A14 -E '^==[0-9]+== ?ERROR|runtime error' "$log")
			echo "${report:-$(tail -n 10 "$log")}" | sed 's/^/# /' >>"$out"
		fi
	fi
	grep -E '^(not ok|#)' "$out" || true
	tally fuzz "$out" "$rc"
}

# One VM boot per suite (or shard); the guest writes TAP into the results share. The console goes
# to $tapdir/<name>.log, or streams when log is "-".
run_vm() {
	local name=$1 append=$2 log=$3 out=$tapdir/$1.tap res rc
	shift 3
	res=$(mktemp -d /tmp/kakunin-check.XXXXXX)
	KAKUNIN_VM_TIMEOUT=${KAKUNIN_VM_TIMEOUT:-1800} KAKUNIN_VM_APPEND=$append scripts/vmtest.sh --results "$res" -- bash -c \
		'KAKUNIN_BIN=$PWD/'"$OUTPUT"'/kakunin-bpf KAKUNIN_TESTS_BIN=$PWD/'"$OUTPUT"'/tests \
		KAKUNIN_PATH_CACHE=shadow KK_SHADOW_LOG=/run/kk-shadow.log \
		bats --tap --timing "$@" | tee "$KAKUNIN_VM_RESULTS/suite.tap"; exit ${PIPESTATUS[0]}' \
		bats "$@" >"$([ "$log" = - ] && echo /dev/stdout || echo "$log")" 2>&1
	rc=$?
	if [ -f "$res/suite.tap" ]; then cp "$res/suite.tap" "$out"; else : >"$out"; fi
	rm -rf "$res"
	if [ ! -s "$out" ] && [ "$rc" = 0 ]; then rc=1; fi
	echo "$rc" >"$tapdir/$name.rc"
}

# The kernel suite in KAKUNIN_VM_SHARDS guests at once (default 2), each with one vCPU
# (KAKUNIN_VM_SMP, default 1 here). One guest keeps about one host core busy: it verifies on one
# vCPU, and every attach and detach waits out a tasks-RCU grace period (ftrace direct calls on 6.1,
# ~130 ms each, ~25 s per load/unload of ~90 programs). Measured on a 2-core host: one 2-vCPU
# guest 23 min; two 2-vCPU guests ran every test ~3x slower (vCPUs outnumbering cores); two 1-vCPU
# guests 13 min. Files are dealt heaviest first to the lightest shard. A file weighs what its
# tests took in a 1-vCPU guest, from its "# vm-seconds: N" line (a new file without one: 10 s a
# test), plus 25 s for the load/unload of its setup_file: test counts alone left one shard 75 %
# heavier than the other (upgrade, replace and CRL tests take a minute each). The suite's TAP is
# the shards' TAPs in order; their consoles are printed one after the other once all are done.
# A shard's guest is stopped after KAKUNIN_VM_TIMEOUT seconds (here 3600 by default, CI allows
# 90 min for everything): a slower CI machine must not turn a whole shard's tail into failures.
run_kernel_sharded() {
	local n=${KAKUNIN_VM_SHARDS:-2} out=$tapdir/kernel.tap f i w best rc=0
	local -a files sum
	for f in tests/kernel/*.bats; do
		[ "$f" = tests/kernel/zz-shadow.bats ] && continue # last in every shard, below
		w=$(sed -nE 's/^# vm-seconds: ([0-9]+).*/\1/p' "$f" | head -n 1)
		files+=("${w:-$((10 * $(grep -c '^@test ' "$f")))} $f")
	done
	scripts/vmtest.sh --prepare || { tally kernel /dev/null 1; return; }
	for ((i = 0; i < n; i++)); do sum[i]=0; eval "shard_$i=()"; done
	while read -r w f; do
		best=0
		for ((i = 1; i < n; i++)); do
			[ "${sum[i]}" -lt "${sum[best]}" ] && best=$i
		done
		sum[best]=$((sum[best] + w + 25))
		eval "shard_$best+=(\"\$f\")"
	done < <(printf '%s\n' "${files[@]}" | sort -rn)
	for ((i = 0; i < n; i++)); do
		eval "set -- \"\${shard_$i[@]}\""
		[ $# -gt 0 ] || continue
		set -- "$@" tests/kernel/zz-shadow.bats
		KAKUNIN_VM_TIMEOUT=${KAKUNIN_VM_TIMEOUT:-3600} KAKUNIN_VM_SMP=${KAKUNIN_VM_SMP:-1} \
			run_vm "kernel-$i" "" "$tapdir/kernel-$i.log" "$@" &
	done
	wait
	: >"$out"
	for ((i = 0; i < n; i++)); do
		[ -f "$tapdir/kernel-$i.rc" ] || continue
		echo "# kernel shard $i"
		cat "$tapdir/kernel-$i.log"
		cat "$tapdir/kernel-$i.tap" >>"$out"
		[ "$(cat "$tapdir/kernel-$i.rc")" = 0 ] || rc=1
		rm -f "$tapdir/kernel-$i.rc"
	done
	tally kernel "$out" "$rc"
}

for suite in "$@"; do
	case "$suite" in
	unit) run_unit ;;
	cli) run_cli ;;
	fuzz) run_fuzz ;;
	kernel)
		rm -f "$tapdir"/kernel-*.rc
		run_kernel_sharded
		run_vm nolsm "lsm=lockdown,capability,landlock,yama,apparmor,tomoyo" - \
			tests/kernel/boot-nolsm
		tally nolsm "$tapdir/nolsm.tap" "$(cat "$tapdir/nolsm.rc")"
		rm -f "$tapdir/nolsm.rc"
		;;
	*) echo "check: unknown suite '$suite' (unit, cli, fuzz, kernel, all)" >&2; exit 2 ;;
	esac
done

[ "$total_skip" = 0 ] || echo "($total_skip skipped)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ] && [ "$total_pass" -gt 0 ]
