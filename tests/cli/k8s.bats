#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# What deploy/kubernetes/README.md claims about kakunin-bpf, checked against the code: every
# command line it shows is accepted, its numbers and paths are the code's, and what it says
# ends a cgroup binding is what the code does.
bats_require_minimum_version 1.5.0
load helpers

ROOT=$BATS_TEST_DIRNAME/../..
K8S=$ROOT/deploy/kubernetes

@test "k8s README: every 'kakunin-bpf CMD --option' it shows is an option of CMD" {
	local n=0 cmd opt
	while read -r cmd opt; do
		n=$((n + 1))
		if [ "$cmd" = policy ]; then
			"$KK" policy --help | grep -q -- "$opt" || { echo "policy: $opt" >&2; return 1; }
		else
			"$KK" "$cmd" --help | grep -q -- "$opt" || { echo "$cmd: $opt" >&2; return 1; }
		fi
	done < <(grep -o 'kakunin-bpf [a-z]\+\( [a-z]\+\)\?\( [^`|]*\)\?' "$K8S/README.md" |
		awk '{ for (i = 3; i <= NF; i++) if ($i ~ /^--[a-z-]+$/) print $2, $i }' | sort -u)
	[ "$n" -ge 5 ]
}

@test "k8s README: the cgroup depth limit and the probes' command are the code's" {
	local levels max
	levels=$(sed -n 's/^#define KK_CGROUP_LEVELS *\([0-9]*\).*/\1/p' "$ROOT/include/kakunin_limits.h")
	max=$(grep -o 'At most [0-9]* levels deep' "$K8S/README.md" | grep -o '[0-9]*')
	[ "$max" -eq $((levels - 1)) ]
	# Both probes run `health`, a command this build has, with options it takes.
	[ "$(grep -c 'command: \["/usr/sbin/kakunin-bpf", "health"' "$K8S/daemonset.yaml")" -eq 2 ]
	run "$KK" health --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--timeout"* ]]
	grep -q 'Both probes run `kakunin-bpf health`' "$K8S/README.md"
}

@test "k8s README: a cgroup binding ends when its cgroup is removed, as the code does it" {
	# The reason the README names is the one the reaper writes (tests/kernel/lifecycle.bats
	# checks the event in the VM); it must not claim that only process bindings are reaped.
	grep -q 'reason `cgroup removed`' "$K8S/README.md"
	grep -q 'kk_unbind_slot(m, r->slot, "cgroup removed")' "$ROOT/user/bind.c"
	! grep -q 'only reaps process bindings' "$K8S/README.md"
	# Revocations are per node: the README must not promise more.
	! grep -q 'everywhere at once' "$K8S/README.md"
	# The copies the daemon works from, as save_meta makes them.
	grep -q 'kk_meta_copy_cert(&b, r->cert, r->ca' "$ROOT/user/bind.c"
}
