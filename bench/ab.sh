#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# ab.sh — builds of kakunin-bpf side by side on a bound task's file hot path, in one run, paired
# by repetition: what a change to file_open or file_permission saves, or that noise cannot tell.
# Run where BPF-LSM loads (in the VM: `scripts/vmtest.sh -- bench/ab.sh A=BIN B=BIN ...`); needs
# root, writes only /tmp/kk-ab.
#
#   bench/ab.sh [--reps N] [--ops N] [--out FILE] NAME=KAKUNIN_BPF NAME=KAKUNIN_BPF [...]
#
# Each NAME is a kakunin-bpf binary of this tree (a patched copy's `make build/kakunin-bpf`).
# Every repetition (--reps, default 6) loads every build once, in a fresh random order, and
# under it, with bpf_stats on, measures:
#   kk_file_open        the mean own run time per call while a bound kk-bench opens 100 files of
#                       a 10-rule policy --ops times (default 8000): the first open of each file
#                       decides it on its path, every later one is a path decision cache hit;
#   kk_file_permission  the same while a bound `dd bs=1` reads a file and writes its stdout
#                       --ops bytes: reads of a file decided at its open (kk_files), writes to a
#                       descriptor handed over at the bind (kk_stdio).
# Two snapshots with nothing between them come first, and their own runs are taken off. Per
# build: the mean over repetitions with a 95 % t-interval; per later build: its ratio to the
# first, the mean of per-repetition ratios with its interval. Emulated in the VM: only such
# ratios of one run mean anything. --out: where the raw lines go (default /tmp/kk-ab/raw.jsonl;
# in the VM, under /run/kakunin-vm to keep them: scripts/vmtest.sh --results DIR).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KB=$top/build/bench/kk-bench
W=/tmp/kk-ab
reps=6 ops=8000 out="" names=() bins=()
die() { echo "ab: $*" >&2; exit 2; }
count() {
	[ -n "$2" ] || die "$1 needs a count"
	[[ "$2" =~ ^[1-9][0-9]{0,6}$ ]] || die "$1 $2: not a count (a whole number from 1)"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--reps) count "$1" "${2:-}"; reps=$2; shift 2 ;;
	--ops) count "$1" "${2:-}"; ops=$2; shift 2 ;;
	--out) [ -n "${2:-}" ] || die "--out needs a file"; out=$2; shift 2 ;;
	-h|--help) sed -n '9p' "$0" | sed 's/^# *usage: *//; s/^# *//; s/^/usage: /'; exit 0 ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*=*)
		[[ "${1%%=*}" =~ ^[A-Za-z0-9_-]{1,32}$ ]] ||
			die "${1%%=*}: not a build name (1-32 letters, digits, '-' or '_')"
		for n in "${names[@]}"; do [ "$n" != "${1%%=*}" ] || die "${1%%=*}: named twice"; done
		if [ ! -f "${1#*=}" ] || [ ! -x "${1#*=}" ]; then die "${1#*=}: not an executable file"; fi
		names+=("${1%%=*}"); bins+=("$(cd "$(dirname "${1#*=}")" && pwd)/$(basename "${1#*=}")")
		shift ;;
	*) die "$1: not NAME=KAKUNIN_BPF (see --help)" ;;
	esac
done
[ ${#names[@]} -ge 2 ] || die "at least two builds to compare, each as NAME=KAKUNIN_BPF"
[ "$(id -u)" = 0 ] || { echo "ab: run as root (it loads BPF-LSM programs)" >&2; exit 1; }
[ -x "$KB" ] || { echo "ab: $KB is missing: run 'make bench-bins'" >&2; exit 1; }
out=${out:-$W/raw.jsonl}
mkdir -p "$W"
{ : >"$out"; } 2>/dev/null || { echo "ab: $out: cannot be written" >&2; exit 1; }

# Fixtures: a tmpfs of 10 rule directories with 10 files each and one file to read; a CA, a
# certificate and a policy that allows them, /usr (dd, the loader) and the bench binaries.
mkdir -p "$W/t"
mountpoint -q "$W/t" || mount -t tmpfs kk-ab "$W/t"
trap 'echo 0 >/proc/sys/kernel/bpf_stats_enabled; "${bins[0]}" unload --force >/dev/null 2>&1 || true; ! mountpoint -q "$W/t" || umount "$W/t"' EXIT
for i in $(seq 0 9); do
	mkdir -p "$W/t/d$i"
	for j in $(seq 0 9); do echo x >"$W/t/d$i/f$j"; done
done
head -c $((ops + 1)) /dev/zero >"$W/t/d0/big"
(
	cd "$W"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=kakunin ab CA" -keyout ca.key -out ca.pem 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=ab" \
		-keyout ab.key -out ab.csr 2>/dev/null
	openssl x509 -req -in ab.csr -CA ca.pem -CAkey ca.key -days 1 -out ab.pem 2>/dev/null
)
python3 - "$W" "$top/build/bench" >"$W/policy.json" <<'EOF'
import json, sys
w, bb = sys.argv[1], sys.argv[2]
da = {f"{w}/t/d{i}/*": ["read"] for i in range(10)}
da.update({"/usr/*": ["read", "exec"], "/etc/*": ["read"], bb + "/*": ["read", "exec"]})
json.dump({"agent_id": "ab", "version": "ab", "data_access": da}, sys.stdout)
EOF
mapfile -t paths < <(for i in $(seq 0 9); do for j in $(seq 0 9); do echo "$W/t/d$i/f$j"; done; done)

. "$top/bench/bpfstats.sh" # prog_stats

# measure REP NAME BIN PROG CMD...: one raw line, the snapshots' own runs taken off.
measure() {
	local rep=$1 name=$2 bin=$3 prog=$4 s0 s1 s2
	shift 4
	s0=$(prog_stats "$prog")
	s1=$(prog_stats "$prog")
	"$bin" run --cert "$W/ab.pem" --ca "$W/ca.pem" --offline --policy "$W/policy.json" -- \
		"$@" >/dev/null
	s2=$(prog_stats "$prog")
	python3 - "$rep" "$name" "$prog" "$s0" "$s1" "$s2" <<'EOF'
import json, sys
rep, name, prog = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = [[int(x) for x in a.split()] for a in sys.argv[4:7]]
runs = (s[2][0] - s[1][0]) - (s[1][0] - s[0][0])
ns = (s[2][1] - s[1][1]) - (s[1][1] - s[0][1])
print(json.dumps({"rep": rep, "build": name, "prog": prog, "runs": runs, "ns": ns,
                  "ns_per_call": ns / runs if runs > 0 else None}))
EOF
}

for r in $(seq 1 "$reps"); do
	for i in $(seq 0 $((${#names[@]} - 1)) | shuf); do
		"${bins[$i]}" unload --force >/dev/null 2>&1 || true
		"${bins[$i]}" load >/dev/null
		echo 1 >/proc/sys/kernel/bpf_stats_enabled
		measure "$r" "${names[$i]}" "${bins[$i]}" kk_file_open "$KB" open "$ops" "${paths[@]}" \
			>>"$out"
		measure "$r" "${names[$i]}" "${bins[$i]}" kk_file_permission \
			dd if="$W/t/d0/big" bs=1 count="$ops" status=none >>"$out"
		echo 0 >/proc/sys/kernel/bpf_stats_enabled
		"${bins[$i]}" unload --force >/dev/null 2>&1
	done
done

python3 - "$top/bench" "$out" "${names[@]}" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
from report import interval  # the bench's own mean and 95 % t-interval
names = sys.argv[3:]
by = {}
for l in open(sys.argv[2]):
    j = json.loads(l)
    by.setdefault(j["prog"], {}).setdefault(j["build"], {})[j["rep"]] = j["ns_per_call"]
def ci(xs, f):
    iv = interval(xs)
    if iv["lo"] is None:
        return f % iv["mean"], iv
    return (f + " [" + f + ", " + f + "]") % (iv["mean"], iv["lo"], iv["hi"]), iv
for prog, b in by.items():
    print("%s, own ns per call (bpf_stats on), mean [95 %% interval]:" % prog)
    for n in names:
        print("  %-12s %s" % (n, ci([v for v in b[n].values() if v], "%.0f")[0]))
    for n in names[1:]:
        reps = [r for r in b[n] if b[n][r] and b[names[0]].get(r)]
        text, iv = ci([b[n][r] / b[names[0]][r] for r in reps], "%.3f")
        tell = "" if iv["lo"] is None or iv["lo"] > 1 or iv["hi"] < 1 else ", not decidable"
        print("  %s / %s, paired: %s%s" % (n, names[0], text, tell))
print("(%d repetitions; emulated when run in the VM; raw lines: %s)" % (
    max(len(x) for b in by.values() for x in b.values()), sys.argv[2]))
EOF
