#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 127 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# The hook manifest on the running kernel: scripts/hooks-check against its BTF, the object and
# the pinned links; status reports the coverage; programs of hooks the kernel does not build
# are left out of the load.
bats_require_minimum_version 1.5.0
load helpers

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CHECK=$TOP/scripts/hooks-check
OBJ=$(dirname "$KK")/kakunin.bpf.o
BTF=/sys/kernel/btf/vmlinux
LINKS=/sys/fs/bpf/kakunin/links

setup_file() {
	"$KK" load
}

teardown_file() {
	kk_unload --force
}

# The kernel's hooks, and the hooks of the object's programs (one per lsm/<hook> section).
kernel_hooks() {
	bpftool btf dump file "$BTF" | sed -n "s/^\[[0-9]*\] FUNC 'bpf_lsm_\([a-z0-9_]*\)'.*/\1/p" |
		sort
}
object_hooks() {
	llvm-readelf -SW "$OBJ" | sed -n 's|.* lsm\(\.s\)\{0,1\}/\([a-z0-9_]*\) .*|\2|p' | sort
}
# The programs (functions) of the object in section lsm/HOOK.
programs_of() {
	local idx
	idx=$(llvm-readelf -SW "$OBJ" | sed -n "s|^ *\[ *\([0-9]*\)\] lsm\(\.s\)\{0,1\}/$1 .*|\1|p")
	[ -n "$idx" ] && llvm-readelf -sW "$OBJ" | awk -v i="$idx" '$4 == "FUNC" && $7 == i { print $8 }'
}

@test "hooks-check: every hook of this kernel classified, every program it needs attached" {
	n=$(kernel_hooks | wc -l)
	progs=$(comm -12 <(kernel_hooks) <(object_hooks) | wc -l)
	[ "$progs" -eq "$(ls "$LINKS" | wc -l)" ]
	run --separate-stderr "$CHECK" --btf "$BTF" --object "$OBJ" --attached "$LINKS"
	[ "$stderr" = "" ]
	[ "$status" -eq 0 ]
	[[ "$output" == "$n/$n hooks classified ("*"), 0 unclassified"*"; $progs programs, $progs attached" ]]
}

# status --json's hooks.attached
attached_hooks() {
	"$KK" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hooks"]["attached"])'
}

@test "a program whose link is gone: hooks-check --attached names it, status counts one less" {
	pins=$(ls "$LINKS" | wc -l)
	[ "$(attached_hooks)" -eq "$pins" ]
	rm "$LINKS/kk_file_open" # the pin was the link's last reference: detached
	run --separate-stderr "$CHECK" --btf "$BTF" --object "$OBJ" --attached "$LINKS"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"hooks-check: not attached: file_open (program kk_file_open, no live link $LINKS/kk_file_open)"* ]]
	[[ "$output" == *", $((pins - 1)) attached" ]]
	[ "$(attached_hooks)" -eq $((pins - 1)) ]
	"$KK" load # attaches the whole set again
	[ "$(attached_hooks)" -eq "$pins" ]
	run --separate-stderr "$CHECK" --btf "$BTF" --object "$OBJ" --attached "$LINKS"
	[[ "$stderr" != *"not attached"* ]]
	[[ "$output" == *"; $pins programs, $pins attached" ]]
}

@test "status reports the manifest's coverage of this kernel; --json too" {
	n=$(kernel_hooks | wc -l)
	a=$(comm -12 <(kernel_hooks) <(object_hooks) | wc -l)
	[ "$(bpftool link show | grep -c 'attach_type lsm_mac')" -eq "$a" ]
	run --separate-stderr "$KK" status
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 2p)" = "hooks: $n/$n classified, $a attached" ]
	run --separate-stderr "$KK" status --json
	[ "$status" -eq 0 ]
	python3 - "$output" "$n" "$a" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
want = {"kernel": int(sys.argv[2]), "classified": int(sys.argv[2]), "unclassified": [],
        "attached": int(sys.argv[3])}
assert s["hooks"] == want, (s["hooks"], want)
assert s["programs"] >= want["attached"], s
PY
}

@test "programs of hooks this kernel does not build are left out: load succeeds without them" {
	# watch_key and post_notification need CONFIG_WATCH_QUEUE, which Debian's 6.1 lacks.
	absent=$(comm -13 <(kernel_hooks) <(object_hooks))
	[ "$(echo $absent)" = "post_notification watch_key" ]
	for h in $absent; do
		p=$(programs_of "$h")
		[ -n "$p" ]
		[ ! -e "$LINKS/$p" ]
		[ ! -e "/sys/fs/bpf/kakunin/progs/$p" ]
		! bpftool prog show | grep -q "name $p "
	done
	run --separate-stderr "$KK" load
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: already loaded (/sys/fs/bpf/kakunin)" ]
}
