# SPDX-License-Identifier: GPL-2.0-only
# bpfstats.sh — sourced by bench/run.sh (its W, KK, BB, SIZES, iters and paths): the file_open
# program's run time per call, with the path decision cache on and off.

# prog_stats NAME: "run_cnt run_time_ns" of the loaded program NAME (bpf_stats counts them while
# kernel.bpf_stats_enabled is 1). Also sourced by bench/ab.sh.
prog_stats() {
	bpftool -j prog show name "$1" |
		python3 -c 'import json,sys; p=json.load(sys.stdin); p = p[0] if isinstance(p, list) else p; print(p.get("run_cnt", 0), p.get("run_time_ns", 0))'
}

# The mean time of one run of the file_open program while a task opens the tmpfs path set in a
# loop (bpf_stats adds a little of its own, which is why it is a separate pass); the bound ones
# also with the path decision cache off ("boundN-nocache"): what the cache saves, same run.
bench_bpfstats() {
	bpfstats_pass ""
	"$KK" load --path-cache off >/dev/null
	bpfstats_pass -nocache
	"$KK" load --path-cache on >/dev/null
}

# bpfstats_pass SUFFIX: unbound (without a suffix only) and every bound size, one line each.
bpfstats_pass() {
	local n before after sfx=$1
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	for n in unbound $SIZES; do
		[ -z "$sfx" ] || [ "$n" != unbound ] || continue
		before=$(prog_stats kk_file_open)
		if [ "$n" = unbound ]; then
			# shellcheck disable=SC2046
			"$BB/kk-bench" open "$(iters 4000)" $(paths 10000 tmpfs) >/dev/null
		else
			# shellcheck disable=SC2046
			"$KK" run --cert "$W/pki/bench.pem" --ca "$W/pki/ca.pem" --offline \
				--policy "$W/p$n-tmpfs.json" -- "$BB/kk-bench" open "$(iters 4000)" \
				$(paths "$n" tmpfs) >/dev/null
		fi
		after=$(prog_stats kk_file_open)
		printf '{"kind": "bpfstats", "config": "%s", "fs": "tmpfs", "prog": "kk_file_open", "run_cnt": %d, "run_time_ns": %d}\n' \
			"$([ "$n" = unbound ] && echo unbound || echo "bound$n$sfx")" \
			$((${after% *} - ${before% *})) $((${after#* } - ${before#* }))
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}
