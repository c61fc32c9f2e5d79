#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# connect-hooks.sh — where an unbound loopback connect()'s overhead goes: the programs' own
# run time, or the cost of entering them. Run where BPF-LSM loads (in the VM:
# `scripts/vmtest.sh -- bench/connect-hooks.sh [REPS] [N] [SETTLE_S]`); needs root, writes only /tmp.
#
# 1. Loaded, kernel.bpf_stats_enabled on: which programs one connect (kk-bench's loop:
#    socket, SO_LINGER, connect, close; the acceptor thread's accept and close) runs, how often,
#    and their own run time per connect (bpf_stats, which adds a little of its own).
# 2. REPS repetitions (default 10) of four configurations, N connects each (default 3000),
#    bpf_stats off, each after a pause that lets a load's or unload's deferred work finish:
#      loaded    every program attached;
#      detached  then the links of exactly the programs step 1 saw run are unpinned (detached,
#                by name: a load numbers its programs anew);
#      none      then every other link too: the programs and maps are loaded, nothing runs;
#      baseline  nothing loaded.
#    They follow a load in that order (a detach cannot be undone without one); baseline comes
#    before the load in odd repetitions and after the unload in even ones.
#    loaded - detached is what those programs cost a connect, entry and body; minus their run
#    time from step 1, the rest is entering and leaving them (the BPF trampoline), per program
#    run. none - baseline is what being loaded costs a connect when no program runs. Every
#    figure is emulated when run in the VM; the interval is printed with it.
# 3. A check that step 2 measured what it says: loaded, the step 1 programs detached, a
#    connect run must not run any of them (else the script fails).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KK=$top/build/kakunin-bpf
KB=$top/build/bench/kk-bench
if [ "${1:-}" = --help ]; then
	echo "usage: bench/connect-hooks.sh [REPS [N [SETTLE_S]]]  (defaults 10 3000 5; root, BPF-LSM)"
	exit 0
fi
[ $# -le 3 ] || { echo "connect-hooks: at most three counts: REPS N SETTLE_S (see --help)" >&2; exit 2; }
for a in "$@"; do
	[[ "$a" =~ ^[1-9][0-9]{0,6}$ ]] ||
		{ echo "connect-hooks: $a: not a count (a whole number from 1)" >&2; exit 2; }
done
reps=${1:-10} n=${2:-3000} settle=${3:-5} port=18650
out=/tmp/kk-connect-hooks
mkdir -p "$out"
: >"$out/raw.jsonl"

stats() { # prog id, run_cnt, run_time_ns, one line per kakunin program
	bpftool -j prog show | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name", "").startswith("kk_"):
        print(p["id"], p["name"], p.get("run_cnt", 0), p.get("run_time_ns", 0))'
}

connect_ns() { # one kk-bench connect run; its ns_per_op
	"$KB" connect "$n" 127.0.0.1 "$((port++))" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["ns_per_op"])'
}

"$KK" unload --force >/dev/null 2>&1 || true
"$KK" load >/dev/null
echo 1 >/proc/sys/kernel/bpf_stats_enabled
# Two snapshots with nothing between them: what taking one costs (bpftool's own bpf() calls,
# its process start), taken off the connect run's difference.
stats >"$out/s0"
stats >"$out/s1"
connect_ns >/dev/null
stats >"$out/s2"
echo 0 >/proc/sys/kernel/bpf_stats_enabled
# The programs the connects ran (at least once in ten), their runs and own time per connect
# (the warm-up's n/20+1 included).
python3 - "$out/s0" "$out/s1" "$out/s2" "$((n + n / 20 + 1))" >"$out/progs" <<'EOF'
import sys
s = [{l.split()[0]: l.split() for l in open(f)} for f in sys.argv[1:4]]
total = int(sys.argv[4])
for i, (_, name, cnt, ns) in s[2].items():
    d = [int(s[k + 1][i][j]) - int(s[k][i][j]) for k in (0, 1) for j in (2, 3)]
    runs, own = d[2] - d[0], d[3] - d[1]
    if runs >= total / 10:
        print(i, name, "%.2f" % (runs / total), "%.0f" % (own / total))
EOF
names=$(awk '{print $2}' "$out/progs")

detach() { # unpin the links of the programs named $@ (all: every link)
	bpftool -j -f prog show | python3 -c '
import json, subprocess, sys, os
names = set(sys.argv[1:])
ids = {str(p["id"]) for p in json.load(sys.stdin)
       if p.get("name", "").startswith("kk_") and ("all" in names or p["name"] in names)}
links = json.loads(subprocess.check_output(["bpftool", "-j", "-f", "link", "show"]))
for l in links:
    if str(l.get("prog_id")) in ids:
        for p in l.get("pinned", []):
            os.unlink(p)' "$@"
}

measure() { # measure REP CONFIG
	sleep "$settle"
	printf '{"rep": %d, "config": "%s", "ns_per_op": %s}\n' "$1" "$2" "$(connect_ns)" \
		>>"$out/raw.jsonl"
}

for r in $(seq 1 "$reps"); do
	"$KK" unload --force >/dev/null 2>&1 || true
	[ $((r % 2)) = 0 ] || measure "$r" baseline
	"$KK" load >/dev/null
	measure "$r" loaded
	# shellcheck disable=SC2086
	detach $names
	measure "$r" detached
	detach all
	measure "$r" none
	"$KK" unload --force >/dev/null 2>&1 || true
	[ $((r % 2)) = 1 ] || measure "$r" baseline
done

# 3. The detach detaches: not one run of those programs in a connect run after it.
"$KK" load >/dev/null
# shellcheck disable=SC2086
detach $names
echo 1 >/proc/sys/kernel/bpf_stats_enabled
stats >"$out/v0"
stats >"$out/v1"
connect_ns >/dev/null
stats >"$out/v2"
echo 0 >/proc/sys/kernel/bpf_stats_enabled
"$KK" unload --force >/dev/null 2>&1 || true
# shellcheck disable=SC2086
python3 - "$out/v0" "$out/v1" "$out/v2" $names <<'EOF'
import sys
s = [{l.split()[1]: int(l.split()[2]) for l in open(f)} for f in sys.argv[1:4]]
ran = {n: (s[2][n] - s[1][n]) - (s[1][n] - s[0][n]) for n in sys.argv[4:]}
bad = {n: r for n, r in ran.items() if r > 0}
if bad:
    sys.exit("connect-hooks: detached programs still ran: %s" % bad)
print("check: after the detach, the %d programs ran 0 times in a connect run" % len(ran))
EOF

python3 - "$top/bench" "$out/progs" "$out/raw.jsonl" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
from report import interval  # the bench's own mean and 95 % t-interval
progs = [l.split() for l in open(sys.argv[2])]
runs = sum(float(p[2]) for p in progs)
body = sum(float(p[3]) for p in progs)
print("programs one connect runs (runs per connect, own ns per connect, bpf_stats on):")
for p in progs:
    print("  %-28s %5s %7s" % (p[1], p[2], p[3]))
print("  %-28s %5.2f %7.0f" % ("all", runs, body))
by = {}
for l in open(sys.argv[3]):
    j = json.loads(l)
    by.setdefault(j["rep"], {})[j["config"]] = j["ns_per_op"]
def ci(xs, f="%.0f"):
    iv = interval(xs)
    if iv["lo"] is None:
        return f % iv["mean"]
    return (f + " [" + f + ", " + f + "]") % (iv["mean"], iv["lo"], iv["hi"])
reps = [r for r in by.values() if len(r) == 4]
for k in ("baseline", "loaded", "detached", "none"):
    print("%-9s ns/connect %s" % (k, ci([r[k] for r in reps])))
cost = [r["loaded"] - r["detached"] for r in reps]
print("loaded / baseline, paired: %s" % ci([r["loaded"] / r["baseline"] for r in reps], "%.3f"))
print("loaded - detached (those programs, entry and body), paired: %s ns" % ci(cost))
print("entry and exit per program run: (loaded - detached - own time) / runs = %s ns" %
      ci([(c - body) / runs for c in cost]))
print("detached - none (every other program attached, none of them runs), paired: %s ns" %
      ci([r["detached"] - r["none"] for r in reps]))
print("none - baseline (loaded, nothing attached), paired: %s ns" %
      ci([r["none"] - r["baseline"] for r in reps]))
print("(n = %d repetitions; emulated when run in the VM)" % len(reps))
EOF
