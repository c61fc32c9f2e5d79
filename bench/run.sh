#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh — `make bench`: what kakunin-bpf costs, measured side by side in one run.
#
#   bench/run.sh [--reps N] [--minutes M] [--rev-trials N] [--rev-cmd-trials N]
#                [--rev-seconds S] [--floor-reps N] [--scale F] [--out DIR]
#
# 1. On this machine (real hardware, no kernel needed): policy compile time and peak memory
#    (`kakunin-bpf policy check` at 10, 1,000 and 10,000 path rules, median of 5 runs).
# 2. Where BPF-LSM runs: natively when this kernel can load the programs, else inside the test
#    VM (scripts/vmtest.sh; TCG software emulation, the report labels every figure "emulated"):
#    - kk-bench loops (open, denied open, loopback connect, fork+exec of /bin/true) under
#      baseline (nothing loaded), landlock10/1000/10000 (Landlock, the same rules), unbound
#      (loaded, task not bound) and bound10/1000/10000. Every repetition measures all of them:
#      the unloaded phase (baseline, Landlock) and the loaded one (unbound, bound) back to back,
#      in alternating order so that each repetition loads or unloads once, every process in a
#      fresh random order within its phase. Repetitions run until --reps (default 30) or until
#      --minutes (default 12) have passed, at least 3. The opens run on two fixture trees,
#      labelled: a tmpfs, and the root filesystem (the VM's overlayfs); an N-rule configuration
#      opens 100 files spread over its N rule directories, baseline and unbound each such set;
#    - the mean run time of the file_open program per call (kernel.bpf_stats_enabled);
#    - the floor (bench/kk-floor.c, kakunin-bpf not loaded): what the least program costs on
#      the same hooks, beside Landlock with 10 rules, --floor-reps repetitions (default 30),
#      and the revocation floor (--rev-trials trials of a reader seeing a store made on another
#      CPU); the report shows each floor beside the target it bounds;
#    - revocation latency (bench/kk-revlat.c: a bound process spinning on pread(); --rev-trials
#      map-update trials, default 1,000, alone, then --rev-cmd-trials (default as many) with
#      the `revoke` command and one fork+exec of /bin/true, the process-start floor;
#      --rev-seconds stops starting trials after that long, and the report shows the counts);
#    - audit throughput: two bound producer threads of denials into the daemon's audit file,
#      as fast as they can and paced at half of that (at most 100k/s), the ring drained before
#      each run, with every produced event accounted for: written, lost in the ring, or taken
#      from the ring and not written (the daemon's /metrics counters);
#    - signing latency through the real signer (bench/kk-signlat.c socket: a bound client's
#      round trip: connect, attestation, checks, ES256, self-verify, reply);
#    - the egress (bench/kk-egresslat.c): a new connection and one request through it, and
#      MiB/s through one connection, against the same directly over TLS 1.3, in one run;
#    On this machine also: the daemon's per-event work without a kernel (bench/kk-evpipe.c:
#    decode, JSON, hash chain, batched writes), the consumer's ceiling on real hardware; and
#    the signer's per-request work (kk-signlat work: RFC 8785, ES256 sign, verify, a socketpair
#    round trip), the part of the 1 ms target that does not need the kernel; and revocation's
#    userspace (kk-revlat host: `revoke` from exec to its map write, the daemon's control
#    socket from a request's arrival to its write), against this build's maps, no programs.
# 3. bench/report.py turns the raw lines into $OUT/latest.json, latest.md and latest.png: every
#    ratio the mean of per-repetition ratios with a 95 % t-interval, every target met, missed,
#    or not decidable at this noise.
#
# --scale multiplies every iteration count (0.01 for a smoke run); --out defaults to
# bench/results. --only PART measures one kernel-side part alone (bpfstats, revocation, sign,
# egress, throughput or floor: load, that part, unload; the floor with nothing loaded; none of
# the host's), e.g. with --out bench/results/egress so that the full run's report stays. Needs
# root; writes only under --out and /tmp/kkbench (in the VM: its /tmp), where it mounts a tmpfs
# for the run.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KK=$top/build/kakunin-bpf
BB=$top/build/bench
reps=30 floor_reps=30 minutes=12 rev_trials=1000 rev_cmd_trials=1000 rev_seconds=0 creps=5 scale=1 out=$top/bench/results inside="" only=""
W=/tmp/kkbench
SIZES="10 1000 10000"
PORT=18600

while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=${2:?}; shift 2 ;;
	--scale) scale=${2:?}; shift 2 ;;
	--minutes) minutes=${2:?}; shift 2 ;;
	--rev-trials) rev_trials=${2:?}; shift 2 ;;
	--rev-cmd-trials) rev_cmd_trials=${2:?}; shift 2 ;;
	--rev-seconds) rev_seconds=${2:?}; shift 2 ;;
	--floor-reps) floor_reps=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--inside) inside=${2:?}; shift 2 ;;
	--only)
		case "${2:-}" in
		bpfstats|revocation|sign|egress|throughput|floor) only=$2; shift 2 ;;
		*) echo "bench: --only takes bpfstats, revocation, sign, egress, throughput or floor, not '${2:-}'" >&2; exit 2 ;;
		esac ;;
	-h|--help) sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

log() { printf 'bench: %s %s\n' "$(date +%T)" "$*" >&2; }
iters() { awk -v n="$1" -v s="$scale" 'BEGIN { n = int(n * s); print (n < 2 ? 2 : n) }'; }

# --- shared fixtures: N-rule policies, their directories, a PKI ---------------------------------

# Two fixture trees, each measured and labelled: "tmpfs" (a tmpfs mounted for the bench) and
# "root" (a directory of the root filesystem: the VM's overlay over 9p, where file_open runs a
# second time for the overlay's own open of the file beneath, which Landlock does not pay).
# Each tree: data/d0 .. data/d9999, the files the path sets open (below), denied/f.
TREES="tmpfs root"
tree_dir() { echo "$W/$1"; }

# policy N TREE: the N-rule policy ($W/p$N-$TREE.json): read beneath TREE/data/d0 .. d(N-1), the
# denied file outside all of them; /usr and the bench binaries readable and executable, /etc
# readable (the dynamic loader), the loopback listener the connect loop uses (which the bound
# bench process runs itself: it may listen there, and its accepted peer 127.0.0.1 is an allowed
# host), and $W/shm (the revocation probe's shared page).
make_policy() {
	python3 - "$1" "$(tree_dir "$2")" "$W" "$BB" "$PORT" >"$W/p$1-$2.json" <<'PY'
import json, sys
n, t, w, bb, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
da = {f"{t}/data/d{i}/*": ["read"] for i in range(n)}
da.update({"/usr/*": ["read", "exec"], "/etc/*": ["read"], bb + "/*": ["read", "exec"],
           f"{w}/shm/*": ["read", "write"]})
json.dump({"agent_id": "bench", "version": f"bench-{n}", "data_access": da,
           "network_rules": {"allowed_hosts": [f"127.0.0.1:{port}"],
                             "listen": [f"127.0.0.1:{port}"]}}, sys.stdout, indent=1)
PY
}

# paths N TREE: the files an N-rule configuration opens, spread over its whole rule set: for
# N >= 100 the file f of 100 directories evenly spaced over d0 .. d(N-1), for N = 10 the ten
# files of each of d0 .. d9 (100 paths either way; every one allowed by the N-rule policy).
paths() {
	local n=$1 d i j
	d=$(tree_dir "$2")/data
	if [ "$n" -ge 100 ]; then
		for i in $(seq 0 99); do echo "$d/d$((i * n / 100))/f"; done
	else
		for i in $(seq 0 $((n - 1))); do for j in $(seq 0 9); do echo "$d/d$i/f$j"; done; done
	fi
}

unmount_tmpfs() { ! mountpoint -q "$W/tmpfs" || umount "$W/tmpfs"; }

fixtures() {
	unmount_tmpfs
	rm -rf "$W"
	mkdir -p "$W/shm" "$W/pki" "$W/tmpfs" "$W/root"
	local t n
	for t in $TREES; do for n in $SIZES; do make_policy "$n" "$t"; done; done
	(
		cd "$W/pki"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=kakunin bench CA" -keyout ca.key -out ca.pem 2>/dev/null
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=bench" \
			-keyout bench.key -out bench.csr 2>/dev/null
		openssl x509 -req -in bench.csr -CA ca.pem -CAkey ca.key -days 1 \
			-set_serial "0x4b$(openssl rand -hex 7)" -out bench.pem 2>/dev/null
	)
}

# The trees themselves (kernel side only: it mounts the tmpfs, which needs root).
declare -A FSTYPE
tree_fixtures() {
	local t n
	mount -t tmpfs -o mode=0755,size=256m kkbench "$W/tmpfs"
	for t in $TREES; do
		for n in $SIZES; do paths "$n" "$t" >"$W/paths-$n-$t"; done
		# every rule's directory (Landlock opens each), files only where a path set opens one
		python3 - "$(tree_dir "$t")" "$W"/paths-*-"$t" <<'PY'
import os, sys
t = sys.argv[1]
for i in range(10000):
    os.makedirs(f"{t}/data/d{i}")
os.makedirs(f"{t}/denied")
with open(f"{t}/denied/f", "w") as f:
    f.write("denied\n")
for lst in sys.argv[2:]:
    for p in open(lst).read().split():
        with open(p, "w") as f:
            f.write("allowed\n")
PY
		FSTYPE[$t]=$(stat -f -c %T "$(tree_dir "$t")")
	done
	counts
}

# --- 1. compile time and peak memory (host) ---------------------------------------------------

# One `policy check` in a fresh Python whose only child it is: wall seconds and the child's
# peak RSS (ru_maxrss of RUSAGE_CHILDREN, KiB), process start-up included.
compile_once() {
	python3 - "$KK" "$1" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run([sys.argv[1], "policy", "check", "--offline", sys.argv[2]],
                   stdout=subprocess.DEVNULL)
dt = time.perf_counter() - t
if r.returncode:
    sys.exit(1)
print(f"{dt:.6f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PY
}

# The daemon's per-event work on this machine's CPU, without a kernel (bench/kk-evpipe.c).
bench_pipeline() {
	local i
	for i in $(seq "$creps"); do
		printf '{"kind": "pipeline", "where": "%s", "rep": %d, %s\n' "$1" "$i" \
			"$("$BB/kk-evpipe" "$(iters 200000)" "$W/evpipe.jsonl" | sed 's/^{//')"
	done
	rm -f "$W/evpipe.jsonl"
}

# Revocation's userspace on this machine's CPU (bench/revlat_host.c): 3 runs of `kk-revlat host`,
# 1,000 trials each, a full table of identities. It needs BPF maps and a bpffs, not BPF LSM;
# where it cannot make them, its targets say "not measured".
bench_revlat_host() {
	local i res
	for i in 1 2 3; do
		res=$(PATH=$top/build:$PATH "$BB/kk-revlat" host "$(iters 1000)" 1024 2>"$W/revlat.err") ||
			{ log "revoke's userspace not measured: $(tail -n 1 "$W/revlat.err")"; return 0; }
		python3 -c 'import json, sys
d = json.loads(sys.argv[3])
d = {k: v for k, v in d.items() if not k.endswith("_stats")}
print(json.dumps(dict(d, kind="revlat_host", where=sys.argv[1], rep=int(sys.argv[2]))))' \
			"$1" "$i" "$res"
	done
}

bench_compile() {
	local n i m
	for n in $SIZES; do
		for i in $(seq "$creps"); do
			read -r s m < <(compile_once "$W/p$n-root.json") || { log "policy check failed"; exit 1; }
			printf '{"kind": "compile", "where": "%s", "rules": %d, "rep": %d, "seconds": %s, "maxrss_kib": %s}\n' \
				"$1" "$n" "$i" "$s" "$m"
		done
	done
}

# --- 2. the kernel side -------------------------------------------------------------------------

# kk-bench segments, appended to SEGS without a subshell (in the VM every fork costs tens of ms
# and would land between the configurations). Iteration counts and path sets are computed once.
SEGS=()
counts() { N_OPEN=$(iters 4000) N_CONN=$(iters 1000) N_FE=$(iters 20); }
# open_seg N TREE: the N-rule path set of TREE; denied_seg TREE; net_seg: connect and fork+exec
open_seg() {
	local p
	mapfile -t p <"$W/paths-$1-$2"
	SEGS+=(--json "\"fs\": \"$2\", \"fstype\": \"${FSTYPE[$2]}\", \"set\": $1" open "$N_OPEN"
	       "${p[@]}" --)
}
denied_seg() {
	SEGS+=(--json "\"fs\": \"$1\", \"fstype\": \"${FSTYPE[$1]}\"" open-denied "$N_OPEN"
	       "$W/$1/denied/f" --)
}
net_seg() { SEGS+=(connect "$N_CONN" 127.0.0.1 "$PORT" -- forkexec "$N_FE" /usr/bin/true --); }

# group CONFIG [TREE]: the kk-bench segments of one process of CONFIG. baseline and unbound
# open every path set in both trees in one process; an N-rule configuration (Landlock or bound)
# opens its own path set, one process per tree; connect and fork+exec run in the tmpfs one.
group() {
	local cfg=$1 t n
	SEGS=()
	case "$cfg" in
	baseline|unbound)
		for t in $TREES; do
			for n in $SIZES; do open_seg "$n" "$t"; done
			denied_seg "$t"
		done
		net_seg ;;
	*)
		open_seg "${cfg//[a-z]/}" "$2"
		denied_seg "$2"
		[ "$2" != tmpfs ] || net_seg ;;
	esac
	unset 'SEGS[${#SEGS[@]}-1]' # the last "--"
}

# measure REP CONFIG [TREE]: one process of CONFIG, one raw line per segment.
measure() {
	local rep=$1 cfg=$2 t=${3:-} n pre=() res line
	n=${cfg//[a-z]/}
	case "$cfg" in
	landlock*) pre=("$BB/kk-bench" --landlock "$n" "$W/$t/data") ;;
	bound*) pre=("$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
		--policy "$W/p$n-$t.json" -- "$BB/kk-bench") ;;
	*) pre=("$BB/kk-bench") ;;
	esac
	group "$cfg" "$t"
	res=$("${pre[@]}" "${SEGS[@]}" </dev/null) || { log "$cfg $t failed: $res"; exit 1; }
	while IFS= read -r line; do
		printf '{"kind": "op", "config": "%s", "rep": %d, %s\n' "$cfg" "$rep" "${line#\{}"
	done <<<"$res"
}

load() { "$KK" load >/dev/null; }
unload() { "$KK" unload --force >/dev/null 2>&1 || true; }

# phase REP loaded|unloaded: every process of the phase once, in a fresh random order.
phase() {
	local rep=$1 g n t
	{
		if [ "$2" = unloaded ]; then
			echo baseline
			for n in $SIZES; do for t in $TREES; do echo "landlock$n $t"; done; done
		else
			echo unbound
			for n in $SIZES; do for t in $TREES; do echo "bound$n $t"; done; done
		fi
	} | shuf >"$W/order"
	while read -r g; do
		printf 'bench: %(%T)T   %s\n' -1 "$g" >&2 # a builtin: no fork between configurations
		# shellcheck disable=SC2086
		measure "$rep" $g
	done <"$W/order"
}

# Every repetition measures all four kinds of configuration: baseline and Landlock with no
# program loaded, unbound and bound with the programs loaded. Baseline must run without the
# programs, so each repetition loads or unloads once: the phases alternate (unloaded, loaded |
# loaded, unloaded | ...), which halves the load/unload cost (~17 s and ~13 s emulated) against
# a load and an unload per repetition and puts both phases of a repetition next to each other.
# Repetitions run until --reps of them, or until --minutes have gone by (at least 3).
bench_ops() {
	local rep=0 state t_end
	t_end=$(($(date +%s) + minutes * 60))
	unload
	state=unloaded
	while [ "$rep" -lt "$reps" ] && { [ "$rep" -lt 3 ] || [ "$(date +%s)" -lt "$t_end" ]; }; do
		rep=$((rep + 1))
		log "repetition $rep of at most $reps ($state first)"
		phase "$rep" "$state"
		if [ "$state" = unloaded ]; then
			log "  load"; load; state=loaded
		else
			log "  unload"; unload; state=unloaded
		fi
		phase "$rep" "$state"
	done
	printf '{"kind": "ops_done", "reps": %d}\n' "$rep"
}

# bench_bpfstats: the file_open program's time per call, cache on and off (bench/bpfstats.sh).
. "$top/bench/bpfstats.sh"

# The floor: the least a program costs on the hooks kakunin-bpf runs, beside Landlock
# (bench/kk-floor.c, its own programs). Only while kakunin-bpf is not loaded.
bench_floor() {
	"$BB/kk-floor" --reps "$floor_reps" --ops "$(iters 50000)" --trials "$rev_trials" \
		"$(tree_dir tmpfs)/floor"
}

# A bound process spinning on pread() of an open file, revoked and restored --rev-trials times
# (default 1,000) by a map update, then --rev-cmd-trials times by the `revoke` command, each of
# those beside one fork+exec of /bin/true (the process-start floor).
bench_revocation() {
	local serial pid res f
	f=$(tree_dir root)/data/d0/f
	serial=$(openssl x509 -in "$W/pki/bench.pem" -noout -serial | cut -d= -f2)
	rm -f "$W/shm/revlat"
	sh -c 'kill -STOP $$; exec "$@"' spin "$BB/kk-revlat" spin "$f" "$W/shm/revlat" &
	pid=$!
	until [ "$(awk '{ sub(/.*\) /, ""); print $1 }' /proc/$pid/stat)" = T ]; do sleep 0.01; done
	"$KK" bind --pid "$pid" --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
		--policy "$W/p10-root.json" >/dev/null
	kill -CONT "$pid"
	res=$(PATH=$top/build:$PATH "$BB/kk-revlat" measure "$W/shm/revlat" "$serial" "$rev_trials" \
		"$rev_cmd_trials" "$rev_seconds") ||
		{ log "revocation latency: $res"; kill "$pid"; exit 1; }
	wait "$pid" || true
	"$KK" unbind --serial "$serial" >/dev/null 2>&1 || true
	echo "$res" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["kind"]="revocation"; d["probe"]="pread"; print(json.dumps(d))'
}

# Signing latency through the real signer: a bound client, n requests of one trade each
# (connect, attestation, checks, ES256, self-verify, reply); the key in the custody directory.
bench_sign_socket() {
	local n sock=$W/signer/signer.sock keydir=/etc/kakunin/keys spid res
	n=$(iters 2000)
	mkdir -p -m 0755 "$W/signer" && mkdir -p -m 0700 "$keydir"
	install -m 0600 "$W/pki/bench.key" "$keydir/kkbench.key"
	python3 - "$W" "$sock" "$BB" >"$W/psign.json" <<'PY'
import json, sys
w, sock, bb = sys.argv[1], sys.argv[2], sys.argv[3]
json.dump({"agent_id": "bench", "version": "bench-sign",
           "data_access": {sock: ["write"], bb + "/*": ["read", "exec"],
                           "/usr/*": ["read", "exec"], "/etc/*": ["read"]},
           "actions": {"trade": {"fields": {"side": {"in": ["buy", "sell"]},
                                            "symbol": {"in": ["BTC"]}, "qty": {"max": 5}},
                                 "rate_limit": "1000000/hour"}}}, sys.stdout)
PY
	printf '{"socket": "%s", "ca": "%s", "agents": [{"certificate": "%s", "key": "%s", "policy": "%s"}]}\n' \
		"$sock" "$W/pki/ca.pem" "$W/pki/bench.pem" "$keydir/kkbench.key" "$W/psign.json" \
		>"$W/signer.json"
	"$KK" signer --config "$W/signer.json" >"$W/signer.err" 2>&1 &
	spid=$!
	until [ -S "$sock" ] || ! kill -0 "$spid" 2>/dev/null; do sleep 0.1; done
	res=$("$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
		--policy "$W/psign.json" -- "$BB/kk-signlat" socket "$n" "$sock") ||
		{ log "signing latency: $res $(cat "$W/signer.err")"; kill "$spid"; exit 1; }
	kill -TERM "$spid"
	wait "$spid" || true
	rm -f "$keydir/kkbench.key"
	echo "$res" | sed 's/^{/{"where": "'"$1"'", /'
}

# The egress against direct TLS, in one run (bench/kk-egresslat.c): upstreams on 127.0.0.2 (an
# echo on EPORT, a sink on EPORT+1, Python's ssl, client certificates required); a bound client
# through the egress (new connection + one request each, then MiB through one connection), and
# the same unbound, directly over TLS 1.3 with the agent's key.
bench_egress() {
	local n mib keydir=/etc/kakunin/keys up=$W/up ep=18640 epid res p
	n=$(iters 200) mib=$(iters 32)
	mkdir -p "$up" -m 0700 "$keydir"
	[ -f "$up/server.pem" ] || sh "$top/tests/unit/make-egress-certs.sh" "$up"
	install -m 0600 "$W/pki/bench.key" "$keydir/kkbench-egress.key"
	for p in echo:$ep sink:$((ep + 1)); do
		python3 "$top/tests/unit/egress-server.py" "${p%%:*}" "$up/server.pem" "$up/server.key" \
			"$W/pki/ca.pem" "${p#*:}" 127.0.0.2 >"$W/up-${p%%:*}.port" 2>>"$W/up.err" &
		echo $! >>"$W/up.pids"
	done
	python3 - "$up" "$ep" "$BB" >"$W/pegress.json" <<'PY'
import json, sys
up, ep, bb = sys.argv[1], int(sys.argv[2]), sys.argv[3]
# The bound client runs from bench/ (read, exec) with the dynamic loader's /usr and /etc.
json.dump({"agent_id": "bench", "version": "bench-egress",
           "data_access": {"/usr/*": ["read", "exec"], "/etc/*": ["read"],
                           bb + "/*": ["read", "exec"]},
           "egress": {"127.0.0.2:%d" % (ep + i): {"listen": "127.0.0.1:%d" % (18620 + i),
                                                  "ca": up + "/ca.pem"} for i in (0, 1)}},
          sys.stdout)
PY
	printf '{"agents": [{"certificate": "%s", "key": "%s", "policy": "%s"}]}\n' \
		"$W/pki/bench.pem" "$keydir/kkbench-egress.key" "$W/pegress.json" >"$W/egress.json"
	for p in $(seq 300); do [ -s "$W/up-sink.port" ] && break; sleep 0.1; done
	"$KK" egress --config "$W/egress.json" >"$W/egress.err" 2>&1 &
	epid=$!
	until grep -q 'egress: relaying' "$W/egress.err" || ! kill -0 "$epid" 2>/dev/null; do
		sleep 0.1
	done
	res=$("$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
		--policy "$W/pegress.json" -- "$BB/kk-egresslat" relay "$n" 18620 "$mib" &&
		"$BB/kk-egresslat" direct "$n" 127.0.0.2 "$ep" "$mib" "$up/ca.pem" "$W/pki/bench.pem" \
			"$W/pki/bench.key") ||
		{ log "egress: $res $(cat "$W/egress.err" "$W/up.err")"; res=; }
	kill -TERM "$epid"
	wait "$epid" || true
	kill $(cat "$W/up.pids") 2>/dev/null || true
	rm -f "$keydir/kkbench-egress.key" "$W/up.pids"
	[ -n "$res" ] && echo "$res" | sed 's/^{/{"where": "'"$1"'", /'
	return 0
}

# The signer's per-request work on this machine's CPU, without a kernel (bench/kk-signlat.c).
bench_sign_work() {
	"$BB/kk-signlat" work "$(iters 5000)" "$W/pki/bench.key" "$W/pki/bench.pem" |
		sed 's/^{/{"where": "'"$1"'", /'
}

# bench_throughput: audit events/s through the daemon, the books balanced (bench/throughput.sh).
. "$top/bench/throughput.sh"

kernel_side() {
	local where=$1
	printf '{"kind": "env", "where": "%s", "emulated": %s, "kernel": "%s", "cpus": %d, "cpu": "%s", "reps": %d, "minutes": %s, "scale": %s}\n' \
		"$where" "$([ "$where" = vm ] && echo true || echo false)" "$(uname -r)" "$(nproc)" \
		"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" "$reps" "$minutes" "$scale"
	log "fixture trees"
	tree_fixtures
	if [ -n "$only" ]; then
		if [ "$only" = floor ]; then unload; else load; fi # the floor: nothing of kakunin-bpf
		log "$only (alone)"
		case "$only" in
		floor) bench_floor ;;
		bpfstats) bench_bpfstats ;;
		revocation) bench_revocation ;;
		sign) bench_sign_socket "$where" ;;
		egress) bench_egress "$where" ;;
		throughput) bench_throughput ;;
		esac
		unload
		unmount_tmpfs
		return 0
	fi
	bench_ops
	unload
	log "the floor"
	bench_floor
	load
	log "bpf_stats"
	bench_bpfstats
	log "revocation latency"
	bench_revocation
	log "signing latency"
	bench_sign_socket "$where"
	log "egress"
	bench_egress "$where"
	log "audit throughput"
	bench_throughput
	unload
	unmount_tmpfs
	log "kernel side done"
	return 0
}

# --- orchestration -------------------------------------------------------------------------------

if [ -n "$inside" ]; then
	fixtures
	kernel_side vm >"$inside"
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "bench: run as root (it loads BPF-LSM programs)" >&2; exit 1; }
for b in "$KK" "$BB/kk-bench" "$BB/kk-revlat" "$BB/kk-evpipe" "$BB/kk-signlat" "$BB/kk-egresslat" \
	"$BB/kk-floor"; do
	[ -x "$b" ] || { echo "bench: $b is missing: run 'make bench'" >&2; exit 1; }
done
mkdir -p "$out"
raw=$out/raw-$(date -u +%Y%m%dT%H%M%SZ).jsonl
fixtures
: >"$raw"
if [ -z "$only" ]; then
	log "policy compile time and the daemon's event pipeline on this machine"
	bench_compile host >>"$raw"
	bench_pipeline host >>"$raw"
	bench_sign_work host >>"$raw"
	log "revoke's userspace on this machine"
	bench_revlat_host host >>"$raw"
fi
set +e
msg=$("$KK" load 2>&1)
rc=$?
set -e
if [ "$rc" = 0 ]; then
	log "this kernel runs BPF-LSM: measuring natively"
	kernel_side native >>"$raw"
elif [ "$rc" = 3 ]; then
	log "this kernel cannot run BPF-LSM (${msg#*: BPF LSM unavailable: }): measuring in the test VM (emulated)"
	vm=$(mktemp -d /tmp/kkbench-vm.XXXXXX)
	KAKUNIN_VM_MEM=${KAKUNIN_VM_MEM:-3072} "$top/scripts/vmtest.sh" --timeout 5400 --results "$vm" \
		-- bash "$top/bench/run.sh" --reps "$reps" --minutes "$minutes" --rev-trials "$rev_trials" \
		--rev-cmd-trials "$rev_cmd_trials" --rev-seconds "$rev_seconds" --floor-reps "$floor_reps" --scale "$scale" ${only:+--only "$only"} \
		--inside /run/kakunin-vm/raw.jsonl
	cat "$vm/raw.jsonl" >>"$raw"
	rm -rf "$vm"
else
	echo "$msg" >&2
	exit 1
fi
ln -sf "$(basename "$raw")" "$out/latest-raw.jsonl"
python3 "$top/bench/report.py" "$raw" "$out"
