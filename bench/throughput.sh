# SPDX-License-Identifier: GPL-2.0-only
# throughput.sh — sourced by bench/run.sh (its W, KK, BB, iters, tree_dir and log): audit events
# per second into the daemon's file, with every produced event accounted for.

# The counters the balance needs, from the daemon's /metrics: the kernel's ring losses, the
# ring's fill, and the daemon's written and lost-by-reason (every reason but "ring" is a record
# the daemon took from the ring and did not write). One JSON object.
METRICS=127.0.0.1:9471
scrape() {
	python3 - "$METRICS" <<'PY'
import json, re, sys, urllib.request
body = urllib.request.urlopen(f"http://{sys.argv[1]}/metrics", timeout=10).read().decode()
out = {}
for line in body.splitlines():
    m = re.match(r'^(kakunin_[a-z_]+)(\{[^}]*\})? ([0-9.e+]+)$', line)
    if m:
        out[m.group(1) + (m.group(2) or "")] = int(float(m.group(3)))
print(json.dumps(out))
PY
}

# Audit events per second: two bound threads of denied opens, the daemon writing the audit file.
# Before each run the ring is drained (the denials of the runs before, which no daemon read);
# after it the books must balance: produced = written + lost in the ring + taken but not written.
bench_throughput() {
	local mode rate n res t0 t1 c0 c1 lines0 lines prev want stall cfg=$W/daemon.json dpid
	local denied prate=0 p0 tf
	denied=$(tree_dir tmpfs)/denied/f
	mkdir -p "$W/audit"
	printf '{"audit_file": "%s", "max_file_bytes": 4294967296, "metrics": {"listen": "%s"}}\n' \
		"$W/audit/audit.jsonl" "$METRICS" >"$cfg"
	"$KK" daemon --config "$cfg" >"$W/daemon.err" 2>&1 &
	dpid=$!
	until [ -S /run/kakunin/events.sock ] || ! kill -0 "$dpid" 2>/dev/null; do sleep 0.1; done
	kill -0 "$dpid" 2>/dev/null || { log "the daemon did not start: $(cat "$W/daemon.err")"; exit 1; }
	audit_lines() { cat "$W"/audit/audit.jsonl* 2>/dev/null | wc -l; }
	path_lines() { cat "$W"/audit/audit.jsonl* 2>/dev/null | grep -cF "\"$denied\"" || true; }
	# drained: the ring empty and the file still for a second
	drain() {
		local a b i
		for i in $(seq 600); do
			a=$(audit_lines)
			sleep 1
			b=$(audit_lines)
			[ "$a" != "$b" ] || [ "$(scrape | python3 -c 'import json,sys; print(json.load(sys.stdin).get("kakunin_ring_used_bytes", 0))')" != 0 ] || return 0
		done
		log "the event ring did not drain"
	}
	for mode in max paced; do
		n=$(iters 100000) rate=()
		# paced: half of what the two producers reached flat out (at most 100,000/s), a rate
		# they can sustain; the daemon must keep up with it without a loss.
		if [ "$mode" = paced ]; then
			rate=$(awk -v r="$prate" 'BEGIN { r = int(r * 0.5); print (r > 100000 ? 100000 : r) }')
			rate=(--rate "$rate")
		fi
		drain
		c0=$(scrape)
		lines0=$(audit_lines) p0=$(path_lines)
		t0=$(date +%s.%N)
		res=$("$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
			--policy "$W/p10-tmpfs.json" -- "$BB/kk-bench" --threads 2 "${rate[@]}" \
			open-denied "$n" "$denied")
		want=$(echo "$res" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["eacces"] + d.get("warmup_eacces", 0))')
		[ "$mode" = max ] && prate=$(echo "$res" | python3 -c 'import json,sys; print(1e9 / json.load(sys.stdin)["ns_per_op"])')
		# Done when every denial is in the file, or when nothing more came for 5 s. The rate
		# counts from the first line the file grew by (the producer's start-up is not the
		# daemon's time) to the last.
		prev=$lines0 t1=$t0 stall=0 tf=""
		while [ "$stall" -lt 50 ]; do
			lines=$(audit_lines)
			if [ "$lines" != "$prev" ]; then
				t1=$(date +%s.%N) prev=$lines stall=0
				[ -n "$tf" ] || tf=$t1
				[ $((lines - lines0)) -ge "$want" ] && break
			else
				stall=$((stall + 1))
			fi
			sleep 0.1
		done
		drain
		c1=$(scrape)
		printf '{"kind": "throughput", "mode": "%s", "target_rate": %s, "producer": %s, "written": %d, "written_path": %d, "seconds": %s, "counters_before": %s, "counters_after": %s}\n' \
			"$mode" "$([ "$mode" = paced ] && echo "${rate[1]}" || echo null)" "$res" \
			$(($(audit_lines) - lines0)) $(($(path_lines) - p0)) \
			"$(awk -v a="${tf:-$t0}" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$c0" "$c1"
	done
	kill -TERM "$dpid"
	wait "$dpid" || true
}
