#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# bpf/hooks.manifest is a checked property (scripts/hooks-check): every LSM hook of the VM's 6.1
# kernel is classified, a newer kernel's new hooks show up as unclassified, a bad manifest line
# is named by its number, and every decide/deny/revoked hook needs a program in the object.
# The kernels' BTF comes from their Debian packages (scripts/kernel-btf.sh), nothing is booted.
bats_require_minimum_version 1.5.0
load helpers

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CHECK=$TOP/scripts/hooks-check
MANIFEST=$TOP/bpf/hooks.manifest
OBJ=$(dirname "$KK")/kakunin.bpf.o

setup_file() {
	BTF61=$("$TOP/scripts/kernel-btf.sh" vm)
	BTF612=$("$TOP/scripts/kernel-btf.sh" 6.12)
	export BTF61 BTF612
}

# The hooks of a BTF file, read without hooks-check.
hooks_of() {
	bpftool btf dump file "$1" | sed -n "s/^\[[0-9]*\] FUNC 'bpf_lsm_\([a-z0-9_]*\)'.*/\1/p" |
		sort
}

@test "the manifest classifies every LSM hook of the VM's 6.1 kernel" {
	[[ "$(basename "$BTF61")" == 6.1.* ]]
	n=$(hooks_of "$BTF61" | wc -l)
	[ "$n" -gt 200 ]
	run --separate-stderr "$CHECK" --btf "$BTF61"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[[ "$output" =~ ^$n/$n\ hooks\ classified\ \([0-9]+\ decide,\ [0-9]+\ deny,\ [0-9]+\ revoked,\ [0-9]+\ allow,\ [0-9]+\ n/a\),\ 0\ unclassified ]]
}

@test "6.12's BTF fails the check, naming exactly the hooks 6.12 added to 6.1" {
	[[ "$(basename "$BTF612")" == 6.12.* ]]
	added=$(comm -13 <(hooks_of "$BTF61") <(hooks_of "$BTF612"))
	# What Debian's 6.12 adds to its 6.1 (the same amd64 configuration).
	[ "$(echo $added)" = "backing_file_alloc backing_file_free bdev_alloc_security \
bdev_free_security bdev_setintegrity bpf_map_create bpf_map_free bpf_prog_free bpf_prog_load \
bpf_token_capable bpf_token_cmd bpf_token_create bpf_token_free file_post_open file_release \
file_truncate get_retval_range getselfattr initramfs_populated inode_free_security_rcu \
inode_get_acl inode_post_create_tmpfile inode_post_remove_acl inode_post_removexattr \
inode_post_set_acl inode_post_setattr inode_remove_acl inode_set_acl inode_setintegrity \
inode_xattr_skipcap is_trusted key_post_create_or_update mmap_backing_file mptcp_add_subflow \
path_post_mknod setselfattr" ]
	run --separate-stderr "$CHECK" --btf "$BTF612"
	[ "$status" -eq 1 ]
	expected=$(for h in $added; do
		echo "hooks-check: unclassified: $h (in $BTF612, not in $MANIFEST)"
	done)
	[ "$stderr" = "$expected" ]
	total=$(hooks_of "$BTF612" | wc -l)
	n=$(echo $added | wc -w)
	[[ "$output" == "$((total - n))/$total hooks classified ("*"), $n unclassified"* ]]
}

@test "every decide/deny/revoked hook of 6.1 has a program in the BPF object" {
	run --separate-stderr "$CHECK" --btf "$BTF61" --object "$OBJ"
	[ "$stderr" = "" ]
	[ "$status" -eq 0 ]
	# One program per lsm/<hook> section; hooks 6.1 does not build are not counted.
	progs=$(comm -12 <(hooks_of "$BTF61") <(llvm-readelf -SW "$OBJ" |
		sed -n 's|.* lsm\(\.s\)\{0,1\}/\([a-z0-9_]*\) .*|\2|p' | sort) | wc -l)
	[ "$progs" -gt 40 ]
	[[ "$output" == *", 0 unclassified"*"; $progs programs" ]]
}

@test "a decide/deny/revoked hook without a program fails; hooks the kernel lacks do not" {
	# Every hook allow, except two with programs, two without and one 6.1 does not build.
	awk '/^[a-z]/ { $2 = "allow" } { print }' "$MANIFEST" >"$BATS_TEST_TMPDIR/m"
	sed -i -E -e 's/^(file_open|inode_getattr) allow/\1 decide/' -e 's/^bpf allow/bpf deny/' \
		-e 's/^capget allow/capget revoked/' -e 's/^watch_key allow/watch_key deny/' \
		"$BATS_TEST_TMPDIR/m"
	! hooks_of "$BTF61" | grep -qx watch_key
	run --separate-stderr "$CHECK" --manifest "$BATS_TEST_TMPDIR/m" --btf "$BTF61" --object "$OBJ"
	[ "$status" -eq 1 ]
	[ "$stderr" = "hooks-check: no program: capget (revoked): no section lsm/capget in $OBJ
hooks-check: no program: inode_getattr (decide): no section lsm/inode_getattr in $OBJ" ]
	n=$(hooks_of "$BTF61" | wc -l)
	[[ "$output" == "$n/$n hooks classified (2 decide, 1 deny, 1 revoked, $((n - 4)) allow, 0 n/a), 0 unclassified"* ]]
}

@test "a program for a hook the manifest does not list fails, as does the hook itself" {
	grep -v '^task_free ' "$MANIFEST" >"$BATS_TEST_TMPDIR/m"
	run --separate-stderr "$CHECK" --manifest "$BATS_TEST_TMPDIR/m" --btf "$BTF61" --object "$OBJ"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"hooks-check: unclassified: task_free (in $BTF61, not in $BATS_TEST_TMPDIR/m)"* ]]
	[[ "$stderr" == *"hooks-check: program for an unlisted hook: lsm/task_free (kk_"*") is not in $BATS_TEST_TMPDIR/m"* ]]
}

@test "bad manifest lines are named by file and line number, nothing else is checked" {
	m=$BATS_TEST_TMPDIR/m
	cp "$MANIFEST" "$m"
	# Append the bad lines so their numbers are known; file_open is already classified.
	base=$(wc -l <"$m")
	printf '%s\n' "file_open allow  again" "task_free sometimes  bookkeeping" \
		"task_kill decide" "Bad-Name deny  refused" "sb_mount" "# a comment" "" >>"$m"
	run --separate-stderr "$CHECK" --manifest "$m" --btf "$BTF612"
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	first=$(grep -n '^file_open ' "$MANIFEST" | cut -d: -f1)
	[ "$stderr" = "hooks-check: $m:$((base + 1)): file_open: classified again (first on line $first)
hooks-check: $m:$((base + 2)): task_free: unknown class 'sometimes' (one of decide, deny, revoked, allow, n/a)
hooks-check: $m:$((base + 3)): task_kill: no reason after the class
hooks-check: $m:$((base + 4)): 'Bad-Name' is not a hook name (lowercase letters, digits, _)
hooks-check: $m:$((base + 5)): sb_mount: no class (one of decide, deny, revoked, allow, n/a)" ]
}

@test "hooks-check: unreadable inputs are one line, exit 1; a missing --btf is a usage error" {
	run --separate-stderr "$CHECK" --btf "$BATS_TEST_TMPDIR/none"
	[ "$status" -eq 1 ]
	[ "$stderr" = "hooks-check: cannot read BTF $BATS_TEST_TMPDIR/none: no such file" ]
	run --separate-stderr "$CHECK" --btf "$MANIFEST"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "hooks-check: cannot read BTF $MANIFEST: "
	run --separate-stderr "$CHECK" --btf "$BTF61" --object "$MANIFEST"
	[ "$status" -eq 1 ]
	[ "$stderr" = "hooks-check: $MANIFEST is not a 64-bit little-endian ELF object" ]
	run --separate-stderr "$CHECK" --manifest "$BATS_TEST_TMPDIR/none" --btf "$BTF61"
	[ "$status" -eq 1 ]
	[ "$stderr" = "hooks-check: cannot read $BATS_TEST_TMPDIR/none: No such file or directory" ]
	run --separate-stderr "$CHECK"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"the following arguments are required: --btf"* ]]
}

@test "kernel-btf.sh: a version without packages or cache is one line, exit 1; bad usage exit 2" {
	run --separate-stderr env KAKUNIN_BTF_CACHE="$BATS_TEST_TMPDIR/c" \
		"$TOP/scripts/kernel-btf.sh" 2.4
	[ "$status" -eq 1 ]
	[ "$stderr" = "kernel-btf: no linux-image-2.4.*-amd64-unsigned in the apt sources and none cached in $BATS_TEST_TMPDIR/c (offline?)" ]
	run --separate-stderr "$TOP/scripts/kernel-btf.sh" latest
	[ "$status" -eq 2 ]
	[ "$stderr" = "kernel-btf: 'latest' is not 'vm' or a kernel version like 6.12" ]
}
