#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh — `make bench`: what kakunin-bpf costs, measured side by side in one run.
#
#   bench/run.sh [--reps N] [--scale F] [--out DIR]
#
# 1. On this machine (real hardware, no kernel needed): policy compile time and peak memory
#    (`kakunin-bpf policy check` at 10, 1,000 and 10,000 path rules, median of --reps runs).
# 2. Where BPF-LSM runs: natively when this kernel can load the programs, else inside the test
#    VM (scripts/vmtest.sh; TCG software emulation, the report labels every figure "emulated"):
#    - kk-bench loops (open, denied open, loopback connect, fork+exec of /bin/true) under
#      baseline (nothing loaded), landlock10/1000/10000 (Landlock, the same rules), unbound
#      (loaded, task not bound) and bound10/1000/10000, interleaved: each repetition runs every
#      configuration once, in a fresh random order within the unloaded and the loaded phase;
#    - the mean run time of the file_open program per call (kernel.bpf_stats_enabled);
#    - revocation latency (bench/kk-revlat.c, --reps*20 trials, at least 100);
#    - audit throughput: two bound producer threads of denials into the daemon's audit file,
#      as fast as they can and paced at 100k events/s, with the lost counts.
#    - signing latency through the real signer (bench/kk-signlat.c socket: a bound client's
#      round trip: connect, attestation, checks, ES256, self-verify, reply);
#    - the egress (bench/kk-egresslat.c): a new connection and one request through it, and
#      MiB/s through one connection, against the same directly over TLS 1.3, in one run;
#    On this machine also: the daemon's per-event work without a kernel (bench/kk-evpipe.c:
#    decode, JSON, hash chain, batched writes), the consumer's ceiling on real hardware; and
#    the signer's per-request work (kk-signlat work: RFC 8785, ES256 sign, verify, a socketpair
#    round trip), the part of the 1 ms target that does not need the kernel.
# 3. bench/report.py turns the raw lines into $OUT/latest.json, latest.md and latest.png.
#
# --scale multiplies every iteration count (0.01 for a smoke run); --out defaults to
# bench/results. Needs root; writes only under --out and /tmp/kkbench (in the VM: its /tmp).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KK=$top/build/kakunin-bpf
BB=$top/build/bench
reps=5 scale=1 out=$top/bench/results inside=""
W=/tmp/kkbench
SIZES="10 1000 10000"
PORT=18600

while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=${2:?}; shift 2 ;;
	--scale) scale=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--inside) inside=${2:?}; shift 2 ;;
	-h|--help) sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

log() { printf 'bench: %s\n' "$*" >&2; }
iters() { awk -v n="$1" -v s="$scale" 'BEGIN { n = int(n * s); print (n < 2 ? 2 : n) }'; }

# --- shared fixtures: N-rule policies, their directories, a PKI ---------------------------------

# policy N: the N-rule policy ($W/p$N.json): read beneath $W/data/d0 .. d(N-1), the denied file
# outside all of them; /usr and the bench binaries readable and executable, /etc readable (the
# dynamic loader), the loopback listener the connect loop uses (which the bound bench process runs
# itself: it may listen there, and its accepted peer 127.0.0.1 is an allowed host).
make_policy() {
	python3 - "$1" "$W" "$BB" "$PORT" >"$W/p$1.json" <<'PY'
import json, sys
n, w, bb, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
da = {f"{w}/data/d{i}/*": ["read"] for i in range(n)}
da.update({"/usr/*": ["read", "exec"], "/etc/*": ["read"], bb + "/*": ["read", "exec"],
           f"{w}/shm/*": ["read", "write"]})
json.dump({"agent_id": "bench", "version": f"bench-{n}", "data_access": da,
           "network_rules": {"allowed_hosts": [f"127.0.0.1:{port}"],
                             "listen": [f"127.0.0.1:{port}"]}}, sys.stdout, indent=1)
PY
}

fixtures() {
	rm -rf "$W"
	mkdir -p "$W/data" "$W/denied" "$W/shm" "$W/pki"
	python3 -c 'import os, sys
for i in range(int(sys.argv[2])): os.mkdir(f"{sys.argv[1]}/d{i}")' "$W/data" 10000
	echo allowed >"$W/data/d0/f"
	echo denied >"$W/denied/f"
	for n in $SIZES; do make_policy "$n"; done
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
	for i in $(seq "$reps"); do
		printf '{"kind": "pipeline", "where": "%s", "rep": %d, %s\n' "$1" "$i" \
			"$("$BB/kk-evpipe" "$(iters 200000)" "$W/evpipe.jsonl" | sed 's/^{//')"
	done
	rm -f "$W/evpipe.jsonl"
}

bench_compile() {
	local n i m
	for n in $SIZES; do
		for i in $(seq "$reps"); do
			read -r s m < <(compile_once "$W/p$n.json") || { log "policy check failed"; exit 1; }
			printf '{"kind": "compile", "where": "%s", "rules": %d, "rep": %d, "seconds": %s, "maxrss_kib": %s}\n' \
				"$1" "$n" "$i" "$s" "$m"
		done
	done
}

# --- 2. the kernel side -------------------------------------------------------------------------

# workload NAME: kk-bench arguments (iterations scaled)
workload() {
	case "$1" in
	open) echo "open $(iters 40000) $W/data/d0/f" ;;
	open-denied) echo "open-denied $(iters 40000) $W/denied/f" ;;
	connect) echo "connect $(iters 4000) 127.0.0.1 $PORT" ;;
	forkexec) echo "forkexec $(iters 100) /usr/bin/true" ;;
	esac
}
WORKLOADS="open open-denied connect forkexec"

# measure CONFIG REP: every workload once under CONFIG, one raw line each.
measure() {
	local cfg=$1 rep=$2 w pre=() res
	case "$cfg" in
	landlock*) pre=("$BB/kk-bench" --landlock "${cfg#landlock}" "$W/data") ;;
	bound*) pre=("$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
		--policy "$W/p${cfg#bound}.json" -- "$BB/kk-bench") ;;
	*) pre=("$BB/kk-bench") ;;
	esac
	for w in $WORKLOADS; do
		# shellcheck disable=SC2046
		res=$("${pre[@]}" $(workload "$w")) || { log "$cfg $w failed: $res"; exit 1; }
		printf '{"kind": "op", "config": "%s", "rep": %d, %s\n' "$cfg" "$rep" "${res#\{}"
	done
}

load() { "$KK" load >/dev/null; }
unload() { "$KK" unload --force >/dev/null 2>&1 || true; }

bench_ops() {
	local rep cfg
	for rep in $(seq "$reps"); do
		log "repetition $rep of $reps"
		unload
		for cfg in $(printf '%s\n' baseline landlock10 landlock1000 landlock10000 | shuf); do
			measure "$cfg" "$rep"
		done
		load
		for cfg in $(printf '%s\n' unbound bound10 bound1000 bound10000 | shuf); do
			measure "$cfg" "$rep"
		done
	done
}

# The mean time of one run of the file_open program while a bound task opens in a loop
# (bpf_stats adds a little of its own, which is why it is a separate pass).
bench_bpfstats() {
	local n before after
	prog_stats() {
		bpftool -j prog show name kk_file_open |
			python3 -c 'import json,sys; p=json.load(sys.stdin); p = p[0] if isinstance(p, list) else p; print(p.get("run_cnt", 0), p.get("run_time_ns", 0))'
	}
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	for n in unbound $SIZES; do
		before=$(prog_stats)
		if [ "$n" = unbound ]; then
			"$BB/kk-bench" $(workload open) >/dev/null
		else
			"$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
				--policy "$W/p$n.json" -- "$BB/kk-bench" $(workload open) >/dev/null
		fi
		after=$(prog_stats)
		printf '{"kind": "bpfstats", "config": "%s", "prog": "kk_file_open", "run_cnt": %d, "run_time_ns": %d}\n' \
			"$([ "$n" = unbound ] && echo unbound || echo "bound$n")" \
			$((${after% *} - ${before% *})) $((${after#* } - ${before#* }))
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}

# A bound process spinning on open(), revoked and restored --reps*20 times (at least 100).
bench_revocation() {
	local serial pid n=$((reps * 20)) res
	[ "$n" -ge 100 ] || n=100
	serial=$(openssl x509 -in "$W/pki/bench.pem" -noout -serial | cut -d= -f2)
	rm -f "$W/shm/revlat"
	sh -c 'kill -STOP $$; exec "$@"' spin "$BB/kk-revlat" spin "$W/data/d0/f" "$W/shm/revlat" &
	pid=$!
	until [ "$(awk '{ sub(/.*\) /, ""); print $1 }' /proc/$pid/stat)" = T ]; do sleep 0.01; done
	"$KK" bind --pid "$pid" --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
		--policy "$W/p10.json" >/dev/null
	kill -CONT "$pid"
	res=$(PATH=$top/build:$PATH "$BB/kk-revlat" measure "$W/shm/revlat" "$serial" "$n") ||
		{ log "revocation latency: $res"; kill "$pid"; exit 1; }
	wait "$pid" || true
	"$KK" unbind --serial "$serial" >/dev/null 2>&1 || true
	echo "$res" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["kind"]="revocation"; print(json.dumps(d))'
}

# Signing latency through the real signer: a bound client, n requests of one trade each
# (connect, attestation, checks, ES256, self-verify, reply); the key in the custody directory.
bench_sign_socket() {
	local n sock=$W/signer/signer.sock keydir=/etc/kakunin/keys spid res
	n=$(iters 2000)
	mkdir -p -m 0755 "$W/signer" && mkdir -p -m 0700 "$keydir"
	install -m 0600 "$W/pki/bench.key" "$keydir/kkbench.key"
	python3 - "$W" "$sock" >"$W/psign.json" <<'PY'
import json, sys
w, sock = sys.argv[1], sys.argv[2]
json.dump({"agent_id": "bench", "version": "bench-sign", "data_access": {sock: ["write"]},
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
	python3 - "$up" "$ep" >"$W/pegress.json" <<'PY'
import json, sys
up, ep = sys.argv[1], int(sys.argv[2])
json.dump({"agent_id": "bench", "version": "bench-egress",
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

# Audit events per second: two bound threads of denied opens, the daemon writing the audit file.
bench_throughput() {
	local mode rate n lost0 lost1 t0 t1 lines0 lines prev res want stall cfg=$W/daemon.json dpid
	mkdir -p "$W/audit"
	printf '{"audit_file": "%s", "max_file_bytes": 4294967296}\n' "$W/audit/audit.jsonl" >"$cfg"
	"$KK" daemon --config "$cfg" >"$W/daemon.err" 2>&1 &
	dpid=$!
	# Ready once it serves its socket (the audit file appears with the first event).
	until [ -S /run/kakunin/events.sock ] || ! kill -0 "$dpid" 2>/dev/null; do sleep 0.1; done
	kill -0 "$dpid" 2>/dev/null || { log "the daemon did not start: $(cat "$W/daemon.err")"; exit 1; }
	audit_lines() { cat "$W"/audit/audit.jsonl* 2>/dev/null | wc -l; }
	counter() { "$KK" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["events_lost"])'; }
	for mode in max paced; do
		n=$(iters 100000) rate=()
		[ "$mode" = paced ] && rate=(--rate 100000)
		lost0=$(counter)
		lines0=$(audit_lines)
		t0=$(date +%s.%N)
		res=$("$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
			--policy "$W/p10.json" -- "$BB/kk-bench" --threads 2 "${rate[@]}" \
			open-denied "$n" "$W/denied/f")
		# The daemon writes a batch each time it has drained the ring: it is done when every
		# denial is in the file, or when nothing more came for 5 s (some were lost).
		want=$(echo "$res" | python3 -c 'import json,sys; print(json.load(sys.stdin)["eacces"])')
		prev=$lines0 t1=$t0 stall=0
		while [ "$stall" -lt 50 ]; do
			lines=$(audit_lines)
			if [ "$lines" != "$prev" ]; then
				t1=$(date +%s.%N) prev=$lines stall=0
				[ $((lines - lines0)) -ge "$want" ] && break
			else
				stall=$((stall + 1))
			fi
			sleep 0.1
		done
		lost1=$(counter)
		printf '{"kind": "throughput", "mode": "%s", "target_rate": %s, "producer": %s, "written": %d, "seconds": %s, "lost": %d}\n' \
			"$mode" "$([ "$mode" = paced ] && echo 100000 || echo null)" "$res" \
			$((lines - lines0)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" $((lost1 - lost0))
	done
	kill -TERM "$dpid"
	wait "$dpid" || true
}

kernel_side() {
	local where=$1
	printf '{"kind": "env", "where": "%s", "emulated": %s, "kernel": "%s", "cpus": %d, "cpu": "%s", "reps": %d, "scale": %s}\n' \
		"$where" "$([ "$where" = vm ] && echo true || echo false)" "$(uname -r)" "$(nproc)" \
		"$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" "$reps" "$scale"
	bench_ops
	unload
	load
	bench_bpfstats
	bench_revocation
	bench_sign_socket "$where"
	bench_egress "$where"
	bench_throughput
	unload
	[ "$where" = vm ] && bench_compile vm
	return 0
}

# --- orchestration -------------------------------------------------------------------------------

if [ -n "$inside" ]; then
	fixtures
	kernel_side vm >"$inside"
	exit 0
fi

[ "$(id -u)" = 0 ] || { echo "bench: run as root (it loads BPF-LSM programs)" >&2; exit 1; }
for b in "$KK" "$BB/kk-bench" "$BB/kk-revlat" "$BB/kk-evpipe" "$BB/kk-signlat" "$BB/kk-egresslat"; do
	[ -x "$b" ] || { echo "bench: $b is missing: run 'make bench'" >&2; exit 1; }
done
mkdir -p "$out"
raw=$out/raw-$(date -u +%Y%m%dT%H%M%SZ).jsonl
fixtures
log "policy compile time and the daemon's event pipeline on this machine"
bench_compile host >"$raw"
bench_pipeline host >>"$raw"
bench_sign_work host >>"$raw"
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
		-- bash "$top/bench/run.sh" --reps "$reps" --scale "$scale" --inside /run/kakunin-vm/raw.jsonl
	cat "$vm/raw.jsonl" >>"$raw"
	rm -rf "$vm"
else
	echo "$msg" >&2
	exit 1
fi
ln -sf "$(basename "$raw")" "$out/latest-raw.jsonl"
python3 "$top/bench/report.py" "$raw" "$out"
