#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# floor.sh — what the least BPF-LSM program costs here, next to Landlock: is a hot-path target
# reachable at all on this machine? Run where BPF-LSM loads (in the VM:
# `scripts/vmtest.sh -- bench/floor.sh [--reps N] [--ops N]`); needs root, kakunin-bpf not
# loaded; writes only /tmp/kk-floor.
#
#   bench/floor.sh [--reps N] [--ops N] [--out FILE]
#
# build/bench/kk-floor (bench/kk-floor.c says what each configuration is) runs, on a tmpfs,
# every configuration once per repetition in a random order; this prints, over repetitions,
# each one's time per operation and the paired differences and ratios that bound the targets:
#   a program with no body on file_open, and one that only finds its task's storage (a bound
#   decision's first step), against Landlock's 10 rules;
#   a program with no body on file_permission: entering and leaving one program run;
#   connect() with a no-body program on each hook kakunin-bpf runs on it, measured, and
#   estimated as runs per connect x the per-run cost.
# Mean [95 % t-interval] (bench/report.py's interval); emulated in the VM, where only these
# paired figures of one run mean anything. --out keeps the raw lines (default
# /tmp/kk-floor/raw.jsonl; in the VM, under /run/kakunin-vm with vmtest's --results).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KF=$top/build/bench/kk-floor
W=/tmp/kk-floor
args=() out=""
die() { echo "floor: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--reps|--ops)
		[[ "${2:-}" =~ ^[1-9][0-9]{0,6}$ ]] ||
			die "$1 ${2:-}: not a count (a whole number from 1)"
		args+=("$1" "$2"); shift 2 ;;
	--out) [ -n "${2:-}" ] || die "--out needs a file"; out=$2; shift 2 ;;
	-h|--help) sed -n '9p' "$0" | sed 's/^# *//; s/^/usage: /'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "floor: run as root (it loads BPF-LSM programs)" >&2; exit 1; }
[ -x "$KF" ] || { echo "floor: $KF is missing: run 'make bench-bins'" >&2; exit 1; }
[ ! -e /sys/fs/bpf/kakunin ] ||
	{ echo "floor: kakunin-bpf is loaded: its programs would run too (unload it first)" >&2; exit 1; }
out=${out:-$W/raw.jsonl}
mkdir -p "$W/t"
{ : >"$out"; } 2>/dev/null || { echo "floor: $out: cannot be written" >&2; exit 1; }
mountpoint -q "$W/t" || mount -t tmpfs kk-floor "$W/t"
trap '! mountpoint -q "$W/t" || umount "$W/t"' EXIT
for i in $(seq 0 9); do
	mkdir -p "$W/t/d$i"
	for j in $(seq 0 9); do echo x >"$W/t/d$i/f$j"; done
done
echo x >"$W/t/r"

"$KF" "${args[@]}" "$W/t" >"$out"

python3 - "$top/bench" "$out" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from report import interval  # the bench's own mean and 95 % t-interval
by, runs = {}, None
for l in open(sys.argv[2]):
    j = json.loads(l)
    if "runs_per_connect" in j:
        runs = j["runs_per_connect"]
    else:
        by.setdefault(j["config"], {})[j["rep"]] = j["ns_per_op"]
def show(xs, f):
    iv = interval(xs)
    if iv["lo"] is None:
        return f % iv["mean"], iv
    return (f + " [" + f + ", " + f + "]") % (iv["mean"], iv["lo"], iv["hi"]), iv
def paired(a, b, op):
    return [op(by[a][r], by[b][r]) for r in by[a] if r in by[b]]
def verdict(iv, goal):
    if iv["lo"] is None:
        return "not decidable (one repetition)"
    if iv["lo"] > goal:
        return "above %.2f: the target cannot be met here by any program on these hooks" % goal
    if iv["hi"] <= goal:
        return "at or under %.2f" % goal
    return "not decidable at this noise"
print("ns per operation, mean [95 % interval]:")
for c in sorted(by):
    print("  %-14s %s" % (c, show(list(by[c].values()), "%.0f")[0]))
print("paired differences, ns per operation:")
for a, b, what in (("open-noop", "open-none", "entering a program on file_open"),
                   ("open-task", "open-none", "+ finding the task's storage (bound floor)"),
                   ("open-landlock", "open-none", "Landlock, 10 rules"),
                   ("read-noop", "read-none", "entering a program on file_permission"),
                   ("connect-noop", "connect-none", "no-body programs on connect's hooks")):
    print("  %-14s - %-13s %s  (%s)" % (a, b, show(paired(a, b, lambda x, y: x - y), "%.0f")[0],
                                         what))
print("paired ratios:")
for a, b, goal in (("open-task", "open-landlock", 1.0), ("open-noop", "open-landlock", 1.0),
                   ("connect-noop", "connect-none", 1.03)):
    text, iv = show(paired(a, b, lambda x, y: x / y), "%.3f")
    print("  %-14s / %-13s %s: %s" % (a, b, text, verdict(iv, goal)))
if runs:
    est = [1 + runs * (by["read-noop"][r] - by["read-none"][r]) / by["connect-none"][r]
           for r in by["read-noop"] if r in by["read-none"] and r in by["connect-none"]]
    text, iv = show(est, "%.3f")
    print("  connect floor = 1 + %.2f runs x (read-noop - read-none) / connect-none: %s: %s" % (
        runs, text, verdict(iv, 1.03)))
print("(%d repetitions; emulated when run in the VM; raw lines: %s)" % (
    max(len(x) for x in by.values()), sys.argv[2]))
PY
