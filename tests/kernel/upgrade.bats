#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 176 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# load --upgrade in a real kernel: new programs replace the running ones (new program and link
# ids) while bindings, identities and revocations stay in force, with no instant in which a bound
# task is unconfined; programs only the old build had are detached; a changed map layout is
# refused with nothing changed.
bats_require_minimum_version 1.5.0
load helpers

LINKS=/sys/fs/bpf/kakunin/links

# all_programs: the programs load --upgrade replaces: the LSM ones (lsm_programs) and the
# tracing ones (fentry/ and fexit/ sections: attest.bpf.c, pathcache.bpf.c), whose links are
# pinned in trace_links/.
all_programs() {
	echo $(($(lsm_programs) + $(llvm-readelf -SW "$(dirname "$KK")/kakunin.bpf.o" |
		grep -cE ' f(entry|exit)/')))
}

setup_file() {
	pki_setup
	export KAKUNIN_STATE_DIR=$BATS_FILE_TMPDIR/state
	"$KK" load
}

teardown_file() {
	kk_unload --force
}

teardown() {
	[ -n "${BOUND_PID:-}" ] && kill -9 "$BOUND_PID" 2>/dev/null || true
}

# prog_of NAME: the id of the program the pinned link NAME runs.
prog_of() {
	bpftool -j link show pinned "$LINKS/$1" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["prog_id"])'
}

# lsm_loaded: how many kk_ LSM programs the kernel has (old ones go when their links do).
lsm_loaded() {
	bpftool prog show | grep -c "lsm  name kk_"
}

# settles N: until the kernel has N kk_ LSM programs (a detached program is freed after an RCU
# grace period), at most 10 s.
settles() {
	local i
	for i in $(seq 200); do
		[ "$(lsm_loaded)" -eq "$1" ] && return 0
		sleep 0.05
	done
	echo "kk_ LSM programs: $(lsm_loaded), want $1" >&2
	return 1
}

# json_get JSON EXPR: EXPR evaluated on the parsed JSON (bound as j), printed; the items of a
# tuple separated by spaces.
json_get() {
	python3 -c '
import json, sys
j = json.loads(sys.argv[1])
r = eval(sys.argv[2])
print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"
}

@test "load --upgrade replaces every program; a task bound before is confined throughout" {
	local n before after out lines_at ms
	n=$(lsm_programs)
	before=$(prog_of kk_file_open)
	policy "$BATS_TEST_TMPDIR/p.json" '"data_access": {"/usr/*": ["read", "exec"]}'
	# Out of scope, then in scope, over and over, across the upgrade.
	bound_start "$BATS_TEST_TMPDIR/p.json" sh -c \
		'while :; do "$TRY" open /etc/shadow; "$TRY" open /usr/bin/env; sleep 0.05; done'
	sleep 1
	run --separate-stderr "$KK" load --upgrade --json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(json_get "$output" 'j["upgraded"], j["replaced"], j["added"], j["removed"]')" = \
		"True $(all_programs) [] []" ]
	ms=$(json_get "$output" 'j["took_ms"]')
	echo "# load --upgrade took $ms ms, $(json_get "$output" 'j["overlap_ms"]') ms of overlap" >&3
	lines_at=$(wc -l <"$BATS_TEST_TMPDIR/bound.out")
	after=$(prog_of kk_file_open)
	[ "$after" != "$before" ]
	[ "$(ls "$LINKS" | wc -l)" -eq "$n" ]
	settles "$n"
	# The old program is gone from the kernel, the new one runs.
	! bpftool prog show id "$before" 2>/dev/null
	bpftool prog show id "$after" | grep -q "lsm  name kk_file_open"
	# The bound task goes on after the upgrade, still bound: a few more rounds, then stop it.
	for i in $(seq 200); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/bound.out")" -gt $((lines_at + 6)) ] && break
		sleep 0.05
	done
	kill -9 "$BOUND_PID"
	bound_wait
	[ "${#lines[@]}" -gt $((lines_at + 6)) ]
	# Every round, before, during and after: shadow refused, /usr allowed (the last round may
	# have been cut short by the kill).
	out=$(printf '%s\n' "${lines[@]:0:$((${#lines[@]} / 2 * 2))}" | paste -d' ' - - | sort -u)
	[ "$out" = "EACCES ok" ]
	run --separate-stderr "$KK" status --json
	[ "$status" -eq 0 ]
}

@test "revocations made before an upgrade stay in force, and revoke works after it" {
	local old new
	policy "$BATS_TEST_TMPDIR/p.json" '"data_access": {"/usr/*": ["read", "exec"]}'
	old=$(fresh_cert)
	cp "$old" "$BATS_TEST_TMPDIR/old.pem"
	old=$BATS_TEST_TMPDIR/old.pem
	"$KK" revoke --serial "$(serial_of "$old")" --reason "before" >/dev/null
	new=$(fresh_cert)
	# One process (a revoked task cannot exec, nor write), opening an allowed file every 50 ms
	# until that fails: its exit status is the errno.
	KK_CERT=$new bound_start "$BATS_TEST_TMPDIR/p.json" python3 -c '
import sys, time
while True:
    try:
        open("/usr/bin/env").close()
    except OSError as e:
        sys.exit(e.errno)
    time.sleep(0.05)'
	run --separate-stderr "$KK" load --upgrade
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == "kakunin-bpf: upgraded in "*" ms: $(all_programs) programs replaced, 0 added, 0 removed; bindings kept" ]]
	# The revocation list was kept: the certificate revoked before still cannot bind.
	sleep 30 &
	run --separate-stderr "$KK" bind --pid $! --cert "$old" --ca "$PKI/ca.pem" \
		--policy "$BATS_TEST_TMPDIR/p.json" --offline
	kill $!
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: bind: certificate serial $(serial_of "$old") is revoked (before)" ]
	# The identity bound before the upgrade is still known, and revoking it reaches its task.
	kill -0 "$BOUND_PID" # opened the allowed file all through the upgrade
	run --separate-stderr "$KK" revoke --serial "$(serial_of "$new")" --reason after --no-stop
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: revoked serial $(serial_of "$new") (any issuer): 1 binding" ]
	for i in $(seq 100); do kill -0 "$BOUND_PID" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$BOUND_PID" 2>/dev/null || true
	bound_wait
	[ "$status" -eq 13 ] # EACCES
}

@test "programs only the old build had are detached, programs it lacked are attached" {
	local n id
	n=$(lsm_programs)
	# An old build with a program this one lacks (kk_gone) and without kk_file_permission.
	id=$(bpftool -j link show pinned "$LINKS/kk_file_open" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
	bpftool link pin id "$id" "$LINKS/kk_gone"
	bpftool prog pin id "$(prog_of kk_file_open)" /sys/fs/bpf/kakunin/progs/kk_gone
	rm "$LINKS/kk_file_permission"
	run --separate-stderr "$KK" load --upgrade --json
	[ "$status" -eq 0 ]
	[ "$(json_get "$output" 'j["replaced"], j["added"], j["removed"]')" = \
		"$(($(all_programs) - 1)) ['kk_file_permission'] ['kk_gone']" ]
	[ ! -e "$LINKS/kk_gone" ]
	[ ! -e /sys/fs/bpf/kakunin/progs/kk_gone ]
	[ -e "$LINKS/kk_file_permission" ]
	[ "$(ls "$LINKS" | wc -l)" -eq "$n" ]
	settles "$n"
	[ ! -e /sys/fs/bpf/kakunin/upgrade_links ]
}

@test "a pinned map of another layout is refused in one line, and nothing changes" {
	local before maps=/sys/fs/bpf/kakunin/maps
	before=$(prog_of kk_file_open)
	# A pinned kk_conns of another shape, as a build with another layout would have left.
	mv "$maps/kk_conns" /sys/fs/bpf/kk_conns_real
	bpftool map create "$maps/kk_conns" type hash key 4 value 4 entries 7 name kk_conns
	run --separate-stderr "$KK" load --upgrade
	rm "$maps/kk_conns"
	mv /sys/fs/bpf/kk_conns_real "$maps/kk_conns"
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: load: kk_conns: pinned with key 4, value 4, 7 entries, this build has "*": --upgrade keeps only maps of an unchanged layout; run \`kakunin-bpf unload --force\` (bindings end), then \`kakunin-bpf load\`" ]]
	[ "$(prog_of kk_file_open)" = "$before" ]
	[ ! -e /sys/fs/bpf/kakunin/upgrade_links ]
	run --separate-stderr "$KK" load --upgrade --ringbuf-size 8192 --json
	[ "$status" -eq 1 ]
	[[ "$output" == '{"error":{"code":-22,"errno":"EINVAL","what":"--ringbuf-size","why":"the pinned event ring is '*' bytes and --upgrade keeps it: leave --ringbuf-size out"}'* ]]
	[ "$(prog_of kk_file_open)" = "$before" ]
}

@test "maps of another ABI stamp: load --upgrade is refused, naming what to do" {
	local cfg=/sys/fs/bpf/kakunin/maps/kk_config val orig before
	before=$(prog_of kk_file_open)
	orig=$(bpftool -j map lookup pinned "$cfg" key 0 0 0 0 |
		python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["value"]))')
	val=$(echo "$orig" | python3 -c '
import sys
v = [int(b, 16) for b in sys.stdin.read().split()]
v[20:24] = (99).to_bytes(4, "little")
print(" ".join("%02x" % b for b in v))')
	bpftool map update pinned "$cfg" key 0 0 0 0 value hex $val
	run --separate-stderr "$KK" load --upgrade
	bpftool map update pinned "$cfg" key 0 0 0 0 value $orig
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: load: pinned maps are format 99 (layout "*"): \`load --upgrade\` keeps only maps of its own layout; run \`kakunin-bpf unload --force\` (bindings end), then \`kakunin-bpf load\` with this build" ]]
	[ "$(prog_of kk_file_open)" = "$before" ]
}

# unmarked: kk_ctl[KK_CTL_CONNS_UNMARKED] (bpf/maps.bpf.h), 0 or 1.
unmarked() {
	bpftool -j map lookup pinned /sys/fs/bpf/kakunin/maps/kk_ctl key 0 0 0 0 |
		python3 -c 'import json, sys; print(int(json.load(sys.stdin)["value"][0], 16))'
}

@test "an upgrade from a build that gave counted sockets no storage looks every freed socket up until none is left" {
	# fentry/sk_destruct finds a counted socket without storage only by looking it up.
	policy "$BATS_TEST_TMPDIR/p.json" '"execution_constraints": {"max_concurrent_trades": 1}, "network_rules": {"allowed_hosts": ["127.0.0.1:8081"]}'
	bound_start "$BATS_TEST_TMPDIR/p.json" "$TRY" hold-connect 127.0.0.1 8081 600
	for i in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/bound.out" ] && break; sleep 0.05; done
	# From a build like this one: its counted sockets all have storage.
	run --separate-stderr "$KK" load --upgrade
	[ "$status" -eq 0 ]
	[ "$(unmarked)" = 0 ]
	# From a build without kk_ctl (its pin gone), a socket still counted: every socket is looked up.
	rm /sys/fs/bpf/kakunin/maps/kk_ctl
	run --separate-stderr "$KK" load --upgrade
	[ "$status" -eq 0 ]
	[ "$(unmarked)" = 1 ]
	# Kept by the next upgrade while that socket lives.
	run --separate-stderr "$KK" load --upgrade
	[ "$status" -eq 0 ]
	[ "$(unmarked)" = 1 ]
	kill "$BOUND_PID"
	bound_wait
	[ "$output" = ECONNREFUSED ]
	# The held socket was freed under the new build: its place is given back.
	try_bound "$BATS_TEST_TMPDIR/p.json" connect tcp 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
	# Nothing counted any more: the next upgrade stops looking.
	run --separate-stderr "$KK" load --upgrade
	[ "$status" -eq 0 ]
	[ "$(unmarked)" = 0 ]
}

@test "load --upgrade with nothing loaded is a plain load" {
	kk_unload --force
	run --separate-stderr "$KK" load --upgrade --json
	[ "$status" -eq 0 ]
	[ "$(json_get "$output" 'j["loaded"], j["already"], j["upgraded"], "replaced" in j')" = \
		"True False False False" ]
	[ "$(ls "$LINKS" | wc -l)" -eq "$(lsm_programs)" ]
}
