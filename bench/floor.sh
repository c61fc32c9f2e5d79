#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# floor.sh — what the least BPF-LSM program costs here, next to Landlock: is a hot-path target
# reachable at all on this machine? Run where BPF-LSM loads (in the VM:
# `scripts/vmtest.sh -- bench/floor.sh [--reps N] ...`); needs root, kakunin-bpf not loaded;
# writes only /tmp/kk-floor.
#
#   bench/floor.sh [--reps N] [--ops N] [--trials N] [--hit-parts] [--out FILE]
#
# build/bench/kk-floor (bench/kk-floor.c says what each configuration is) runs, on a tmpfs,
# every configuration once per repetition in a random order; this prints, over repetitions,
# each one's time per operation and the paired differences and ratios that bound the targets:
#   a program with no body on file_open, and one that only finds its task's storage (a bound
#   decision's first step), against Landlock's 10 rules;
#   a program with no body on file_permission: entering and leaving one program run;
#   connect() with a no-body program on each hook kakunin-bpf runs on it, measured, and
#   estimated as runs per connect x the per-run cost;
#   the revocation floor: how long a reader spinning on pread() takes to see a store made on
#   another CPU, --trials times (p50, p99 with its interval);
#   with --hit-parts, two parts of kakunin-bpf's cache hit after the bound floor: the per-inode
#   entry and the file's mark.
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
	--reps|--ops|--trials)
		[[ "${2:-}" =~ ^[1-9][0-9]{0,6}$ ]] ||
			die "$1 ${2:-}: not a count (a whole number from 1)"
		args+=("$1" "$2"); shift 2 ;;
	--out) [ -n "${2:-}" ] || die "--out needs a file"; out=$2; shift 2 ;;
	--hit-parts) args+=("$1"); shift ;;
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
"$KF" "${args[@]}" "$W/t" >"$out"
python3 "$top/bench/floor.py" "$out"
echo "(emulated when run in the VM; raw lines: $out)"
