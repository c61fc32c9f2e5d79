#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 130 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# file_open's path decision cache (bpf/pathcache.bpf.h) against a userspace oracle: a bound
# agent opens a fixed set of names for read and for write, again and again, while the test
# renames files and directories (plain and RENAME_EXCHANGE), links and unlinks, bind-mounts and
# unmounts, swaps the agent's policy, and runs a second agent in another mount namespace. After
# every change each outcome must be what the longest rule for the name's realpath says (or
# ENOENT). Run with the cache on (what the agent gets) and in shadow mode (every hit decided
# again: the kernel counts the hits, and the differences, which must be 0).
bats_require_minimum_version 1.5.0
load helpers

OPENS=${KAKUNIN_TESTS_BIN:-$BATS_TEST_DIRNAME/../../build/tests}/kk-opens

setup_file() {
	pki_setup
	"$KK" load
}

teardown_file() {
	kk_unload --force
}

# rules T PERMS-OF-rw PERMS-OF-ro: the data_access members of the test's policy.
rules() {
	printf '"%s/rw/*": %s, "%s/ro/*": %s, "%s/no/*": [], "%s/ipc/*": ["read", "write"], "/usr/*": ["read", "exec"]' \
		"$1" "$2" "$1" "$3" "$1" "$1"
}

# oracle POLICY NAME...: "NAME R W" per name, from the longest rule of POLICY for its realpath.
oracle() {
	python3 - "$@" <<'PY'
import json, os, sys
rules = json.load(open(sys.argv[1]))["data_access"]
def perms(p):
    best, got = -1, set()
    for pat, ps in rules.items():
        d = pat[:-1]  # "/dir/*" -> "/dir/"
        if p.startswith(d) and len(d) > best:
            best, got = len(d), set(ps)
    return got
for n in sys.argv[2:]:
    if not os.path.exists(n):
        print(n, "ENOENT", "ENOENT")
        continue
    g = perms(os.path.realpath(n))
    print(n, "ok" if "read" in g else "EACCES", "ok" if "write" in g else "EACCES")
print("end")
PY
}

# round FD-CTL FD-RES: one pass of the agent's opens; its lines on stdout.
round() {
	local l
	echo go >&"$1"
	while read -r -t 60 l <&"$2"; do
		echo "$l"
		[ "$l" = end ] && return 0
	done
	return 1
}

# check POLICY WHAT: the agent's round equals the oracle's (NAMES set by the caller).
check() {
	local got want
	got=$(round 7 8)
	want=$(oracle "$1" "${NAMES[@]}")
	if [ "$got" != "$want" ]; then
		echo "after: $2" >&2
		diff <(echo "$want") <(echo "$got") >&2
		return 1
	fi
}

# fresh BASE: BASE empty, no mount left below it by an earlier test that failed half-way.
fresh() {
	awk -v b="$1/" 'index($2, b) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount
	rm -rf "$1"
}

# scenario BASE: the fixture under BASE, an agent, and every change; checked after each.
scenario() {
	local T=$1 pa pb
	fresh "$T" && mkdir -p "$T"/rw "$T"/ro "$T"/no "$T"/ipc
	echo x >"$T"/rw/x && echo w >"$T"/rw/w && echo y >"$T"/ro/y && echo z >"$T"/no/z
	mkdir "$T"/rw/m && mount -t tmpfs m "$T"/rw/m && echo f >"$T"/rw/m/f
	mkfifo "$T"/ipc/ctl "$T"/ipc/res
	pa=$BATS_TEST_TMPDIR/pa.json pb=$BATS_TEST_TMPDIR/pb.json
	policy "$pa" "\"data_access\": {$(rules "$T" '["read", "write"]' '["read"]')}"
	policy "$pb" "\"data_access\": {$(rules "$T" '["read"]' '["read", "write"]')}"
	NAMES=("$T"/rw/x "$T"/rw/y "$T"/rw/y2 "$T"/rw/w "$T"/ro/x "$T"/ro/y "$T"/ro/w "$T"/no/x
		"$T"/no/y2 "$T"/no/z "$T"/rw/m/f "$T"/no/m/f)
	bound_start "$pa" "$OPENS" "$T"/ipc/ctl "$T"/ipc/res "${NAMES[@]}"
	exec 7>"$T"/ipc/ctl 8<"$T"/ipc/res
	check "$pa" "first opens"
	check "$pa" "the same again (cached)"
	mkdir "$T"/no/m && mount --move "$T"/rw/m "$T"/no/m
	check "$pa" "a mount moved from rw to no (same mount, same dentries, another path)"
	mv "$T"/rw/x "$T"/ro/x
	check "$pa" "a file renamed into a read-only directory"
	mv "$T"/ro "$T"/tmp && mv "$T"/rw "$T"/ro && mv "$T"/tmp "$T"/rw
	check "$pa" "the two directories swapped by renames"
	ln "$T"/rw/y "$T"/rw/y2
	check "$pa" "a second link"
	rm "$T"/rw/y
	check "$pa" "the first name unlinked (one link left, under another name)"
	mount --bind "$T"/rw "$T"/no
	check "$pa" "rw bind-mounted over no"
	umount "$T"/no
	check "$pa" "unmounted"
	mv "$T"/rw/x "$T"/rw/w
	check "$pa" "renamed within its directory over another file"
	"$TRY" exchange "$T"/rw/w "$T"/ro/w >/dev/null
	check "$pa" "two files exchanged (RENAME_EXCHANGE)"
	"$TRY" exchange "$T"/rw "$T"/ro >/dev/null
	check "$pa" "the two directories exchanged (RENAME_EXCHANGE)"
	"$KK" bind --replace --pid "$BOUND_PID" --policy "$pb" --cert "$PKI/agent.pem" \
		--ca "$PKI/ca.pem" --offline >/dev/null
	check "$pb" "the policy swapped (rw read-only, ro writable)"
	mv "$T"/ro "$T"/tmp && mv "$T"/rw "$T"/ro && mv "$T"/tmp "$T"/rw
	check "$pb" "the directories swapped again, under the new policy"
	exec 7>&- 8<&-
	bound_wait
	[ "$status" = 0 ]
	umount "$T"/no/m
}

# ns_scenario BASE: a second agent in its own mount namespace sees no bind-mounted over by rw
# (a mount the first agent's namespace does not have); both agents open the same inodes.
ns_scenario() {
	local T=$1 pa out pid want got
	fresh "$T" && mkdir -p "$T"/rw "$T"/ro "$T"/no "$T"/ipc
	echo x >"$T"/rw/x && echo z >"$T"/no/z
	mkfifo "$T"/ipc/ctl "$T"/ipc/res "$T"/ipc/c2 "$T"/ipc/r2
	pa=$BATS_TEST_TMPDIR/pa.json
	policy "$pa" "\"data_access\": {$(rules "$T" '["read", "write"]' '["read"]')}"
	NAMES=("$T"/rw/x "$T"/no/x "$T"/no/z)
	bound_start "$pa" "$OPENS" "$T"/ipc/ctl "$T"/ipc/res "${NAMES[@]}"
	exec 7>"$T"/ipc/ctl 8<"$T"/ipc/res
	check "$pa" "first agent, first opens"
	unshare -m --propagation private sh -c 'mount --bind "$1/rw" "$1/no" && kill -STOP $$ &&
		exec "$2" "$1/ipc/c2" "$1/ipc/r2" "$1/rw/x" "$1/no/x" "$1/no/z"' ns "$T" "$OPENS" \
		>"$BATS_TEST_TMPDIR/ns.out" 2>&1 </dev/null &
	pid=$!
	wait_stopped "$pid"
	"$KK" bind --pid "$pid" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$pa" \
		--offline >/dev/null
	kill -CONT "$pid"
	exec 5>"$T"/ipc/c2 6<"$T"/ipc/r2
	for i in 1 2; do
		want=$(nsenter -t "$pid" -m bash -c "$(declare -f oracle); oracle \"\$@\"" o "$pa" \
			"${NAMES[@]}")
		got=$(round 5 6)
		[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got") >&2; return 1; }
		check "$pa" "first agent, after the second agent's round $i"
	done
	exec 5>&- 6<&- 7>&- 8<&-
	wait "$pid"
	bound_wait
}

shadow_stat() {
	"$KK" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["'"$1"'"])'
}

@test "cache on, tmpfs: every outcome is the oracle's through renames, links, mounts and a policy swap" {
	"$KK" load --path-cache on
	mkdir -p /pc && mount -t tmpfs pc /pc
	scenario /pc/t
	umount /pc
}

@test "cache on, overlayfs root: the same" {
	"$KK" load --path-cache on
	scenario /pco
	rm -rf /pco
}

@test "cache on: an agent in another mount namespace, same inodes, other paths" {
	"$KK" load --path-cache on
	mkdir -p /pc && mount -t tmpfs pc /pc
	ns_scenario /pc/n
	umount /pc
}

@test "shadow mode: the same scenarios hit the cache, and deciding again never differs" {
	"$KK" load --path-cache shadow
	mkdir -p /pc && mount -t tmpfs pc /pc
	h0=$(shadow_stat path_cache_shadow_hits)
	scenario /pc/t
	ns_scenario /pc/n
	scenario /pco
	umount /pc
	rm -rf /pco
	[ "$(shadow_stat path_cache_shadow_mismatches)" = 0 ]
	[ "$(shadow_stat path_cache_shadow_hits)" -gt $((h0 + 20)) ]
}

@test "load --path-cache: a bad mode is refused in one line, exit 2; a running mode changes only when asked" {
	local T=/pcm pa h
	"$KK" load --path-cache shadow
	run -2 "$KK" load --path-cache sometimes
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *"--path-cache: 'sometimes' is not a mode: on, off or shadow"* ]]
	run -2 env KAKUNIN_PATH_CACHE=bogus "$KK" load
	[ "${#lines[@]}" = 1 ]
	[[ "$output" == *"KAKUNIN_PATH_CACHE: 'bogus' is not a mode"* ]]
	fresh $T && mkdir -p $T/rw $T/ro $T/no $T/ipc && echo x >$T/rw/x && mkfifo $T/ipc/ctl $T/ipc/res
	pa=$BATS_TEST_TMPDIR/pa.json
	policy "$pa" "\"data_access\": {$(rules $T '["read", "write"]' '["read"]')}"
	NAMES=($T/rw/x)
	bound_start "$pa" "$OPENS" $T/ipc/ctl $T/ipc/res "${NAMES[@]}"
	exec 7>$T/ipc/ctl 8<$T/ipc/res
	check "$pa" "first opens"
	h=$(shadow_stat path_cache_shadow_hits)
	check "$pa" "again"
	[ "$(shadow_stat path_cache_shadow_hits)" = $((h + 2)) ]
	# Already loaded: the environment's default leaves the running mode alone.
	KAKUNIN_PATH_CACHE=off "$KK" load
	check "$pa" "after a load with KAKUNIN_PATH_CACHE=off"
	[ "$(shadow_stat path_cache_shadow_hits)" = $((h + 4)) ]
	"$KK" load --path-cache off
	check "$pa" "after load --path-cache off"
	[ "$(shadow_stat path_cache_shadow_hits)" = $((h + 4)) ]
	exec 7>&- 8<&-
	bound_wait
	rm -rf $T
}

@test "cache on: a file opened (and cached) again and again is refused at once after revoke" {
	local T=/pcr pa
	"$KK" load --path-cache on
	fresh $T && mkdir -p $T/rw $T/ro $T/no $T/ipc && echo x >$T/rw/x
	pa=$BATS_TEST_TMPDIR/pa.json
	policy "$pa" "\"data_access\": {$(rules $T '["read", "write"]' '["read"]')}"
	KK_CERT=$(fresh_cert)
	bound_start "$pa" sh -c 'while :; do true <'$T'/rw/x; sleep 0.05; done'
	sleep 1
	drain_events
	"$KK" revoke --serial "$(serial_of "$KK_CERT")" --no-stop >/dev/null 2>&1
	sleep 1
	run events_for_pid "$BOUND_PID"
	kill -9 "$BOUND_PID" 2>/dev/null || true # a revoked sh may end itself (fork refused)
	python3 - "$output" "$T/rw/x" <<'PY'
import json, sys
ev = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
hit = [e for e in ev if e.get("hook") == "file_open" and e.get("action", {}).get("path") == sys.argv[2]]
assert hit, ev
assert all(e["reason"] == "certificate revoked" and e["errno"] == "EACCES" for e in hit), hit
PY
	rm -rf $T
}

# A file reached through a descriptor on a mount of another namespace: its path is that
# namespace's, which can change (a mount moved there) without any event in the agent's own.
# Such a file is never cached, so the move is seen at the next open.
@test "cache on: a file on another namespace's mount is decided on its path at every open" {
	local T=/pc/f pa pid want
	"$KK" load --path-cache on
	mkdir -p /pc && mount -t tmpfs pc /pc
	mkdir -p $T/a $T/b $T/ipc && mkfifo $T/ipc/ctl $T/ipc/res
	unshare -m --propagation private sh -c 'mount -t tmpfs fa "$1/a" && mkdir "$1/a/in" &&
		echo f >"$1/a/in/f" && kill -STOP $$' ns $T </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	wait_stopped "$pid"
	exec 5<"/proc/$pid/root$T/a"
	pa=$BATS_TEST_TMPDIR/pa.json
	policy "$pa" "\"data_access\": {\"$T/a/*\": [\"read\"], \"$T/b/*\": [],
		\"$T/ipc/*\": [\"read\", \"write\"], \"/usr/*\": [\"read\", \"exec\"]}"
	bound_start "$pa" "$OPENS" $T/ipc/ctl $T/ipc/res /proc/self/fd/5/in/f
	exec 7>$T/ipc/ctl 8<$T/ipc/res
	want=$(printf '/proc/self/fd/5/in/f ok EACCES\nend')
	[ "$(round 7 8)" = "$want" ]
	[ "$(round 7 8)" = "$want" ]
	nsenter -t "$pid" -m mount --move $T/a $T/b
	want=$(printf '/proc/self/fd/5/in/f EACCES EACCES\nend')
	[ "$(round 7 8)" = "$want" ]
	exec 5<&- 7>&- 8<&-
	bound_wait
	kill -9 "$pid"
	wait "$pid" || true
	umount /pc
}
