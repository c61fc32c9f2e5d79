#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 90 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
#
# oci-hook with the real runc (Debian's): an annotated container's command is bound from its
# first instruction, an unannotated one is untouched, a bad annotation stops the container before
# its command runs, a restarted container is bound again, `runc exec` processes are bound.
load helpers

ROOT=$BATS_TEST_DIRNAME/../..

setup_file() {
	command -v runc >/dev/null || skip "runc is not installed (scripts/deps.sh installs it)"
	pki_setup
	"$KK" load
	O=$BATS_FILE_TMPDIR/oci
	mkdir -p "$O/policies" "$O/certs" "$O/rootfs/bin" "$O/rootfs/data"
	for d in proc dev sys tmp etc; do mkdir -p "$O/rootfs/$d"; done
	cp "$(readlink -f /bin/busybox)" "$O/rootfs/bin/busybox"
	echo secret-content >"$O/rootfs/data/secret"
	echo ok-content >"$O/rootfs/data/ok"
	# Paths as the container sees them: bpf_d_path resolves from the task's root.
	cat >"$O/policies/c.json" <<'J'
{"agent_id": "agent", "version": "c1", "exec": ["/bin/busybox"],
 "data_access": {"/bin/*": ["read", "exec"], "/data/ok": ["read"]}}
J
	sed 's/"agent"/"other"/' "$O/policies/c.json" >"$O/policies/other.json"
	sed 's|"exec": \["/bin/busybox"\]|"exec": ["/bin/sh"]|' "$O/policies/c.json" >"$O/policies/noexec.json"
	echo '{"agent_id": "agent", "version": ' >"$O/policies/broken.json"
	cp "$PKI/agent.pem" "$O/certs/agent.pem"
	cp "$PKI/other.pem" "$O/certs/other.pem"
	echo "{\"policy_dir\": \"$O/policies\", \"cert_dir\": \"$O/certs\", \"ca\": \"$PKI/ca.pem\"," \
		"\"offline\": true}" >"$O/hook.json"
	export O
}

teardown_file() {
	rm -f /etc/kakunin/oci-hook.json
	kk_unload --force
}

setup() {
	drain_events
}

teardown() {
	local id
	for id in $(runc list -q 2>/dev/null); do runc delete -f "$id" 2>/dev/null || true; done
}

# bundle DIR ANNOTATIONS-JSON ARG...: a bundle whose rootfs is the shared one, running ARGs, with
# these annotations and the hook at createRuntime (unless HOOK=none).
bundle() {
	local dir=$1 ann=$2
	shift 2
	mkdir -p "$dir"
	rm -f "$dir/config.json"
	runc spec -b "$dir"
	python3 - "$dir/config.json" "$O/rootfs" "$ann" "$KK" "$O/hook.json" "${HOOK:-yes}" \
		"${CGPATH:-/kk-oci/${dir##*/}}" "$@" <<'PY'
import json, sys
path, rootfs, ann, kk, cfg, hook, cgpath = sys.argv[1:8]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = sys.argv[8:]
c["annotations"] = json.loads(ann)
c["linux"]["cgroupsPath"] = cgpath
if hook == "yes":
    c["hooks"] = {"createRuntime": [{"path": kk, "args": ["kakunin-bpf", "oci-hook", "--config", cfg]}]}
json.dump(c, open(path, "w"), indent=1)
PY
}

ANN='{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "c", "kakunin.io/certificate": "agent"}'

# crun ID BUNDLE: `runc create` + `runc start`, waiting for the container to stop; CPID is its
# init's PID on the host, $output what it printed.
crun() {
	local id=$1 b=$2 i
	runc create --bundle "$b" "$id" >"$BATS_TEST_TMPDIR/$id.out" 2>&1 </dev/null || {
		cat "$BATS_TEST_TMPDIR/$id.out" >&2
		return 1
	}
	CPID=$(runc state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
	runc start "$id" || true
	for i in $(seq 600); do
		runc state "$id" | grep -q '"status": "stopped"' && break
		sleep 0.05
	done
	output=$(cat "$BATS_TEST_TMPDIR/$id.out")
	runc delete "$id"
}

@test "an annotated container is bound from its first instruction: its first open is EACCES" {
	bundle "$BATS_TEST_TMPDIR/b1" "$ANN" /bin/busybox cat /data/secret /data/ok
	crun b1 "$BATS_TEST_TMPDIR/b1"
	[[ "$output" == *"can't open '/data/secret': Permission denied"* ]]
	[[ "$output" == *ok-content* ]]
	[[ "$output" != *secret-content* ]]
	[ "$(hook_event "$CPID" file_open 'e["event_type"], e["agent_id"], e["action"], e["errno"]')" = \
		"action.denied, agent, {'path': '/data/secret', 'access': 'read'}, EACCES" ]
}

@test "the container's exec of its command is itself decided by the policy" {
	bundle "$BATS_TEST_TMPDIR/nx" '{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "noexec",
		"kakunin.io/certificate": "agent"}' /bin/busybox echo RAN
	grep -q '"/bin/sh"' "$O/policies/noexec.json"
	crun nx "$BATS_TEST_TMPDIR/nx"
	[[ "$output" != *RAN* ]]
	[ "$(hook_event "$CPID" bprm_check_security 'e["event_type"], e["action"], e["reason"], e["errno"]')" = \
		"action.denied, {'exec': '/bin/busybox'}, executable not in the exec list, EACCES" ]
}

@test "an unannotated container is untouched, though the hook runs for it" {
	bundle "$BATS_TEST_TMPDIR/b2" '{}' /bin/busybox cat /data/secret
	crun b2 "$BATS_TEST_TMPDIR/b2"
	[ "$output" = secret-content ]
	run events_for_pid "$CPID"
	[ "$output" = "" ]
}

# refused ID ANNOTATIONS WHAT: runc run fails, with the hook's line in its error, and the
# container's command (which would print RAN) never runs; nothing stays bound.
refused() {
	bundle "$BATS_TEST_TMPDIR/$1" "$2" /bin/busybox echo RAN
	run runc run --bundle "$BATS_TEST_TMPDIR/$1" "$1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"kakunin-bpf: oci-hook: $1: $3"* ]]
	[[ "$output" != *RAN* ]]
	run "$KK" status --json
	[[ "$output" != *'"agent_id":"agent"'* ]]
}

@test "a bad annotation makes runc refuse to start the container, with the hook's line" {
	refused r1 '{"kakunin.io/agent-id": "nobody", "kakunin.io/policy": "c",
		"kakunin.io/certificate": "agent"}' \
		"annotation kakunin.io/agent-id: 'nobody' is not the policy's agent_id 'agent'"
	refused r2 '{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "c",
		"kakunin.io/certificate": "other"}' ""
	refused r3 '{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "broken",
		"kakunin.io/certificate": "agent"}' ""
	refused r4 '{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "../../../etc/passwd",
		"kakunin.io/certificate": "agent"}' \
		"annotation kakunin.io/policy '../../../etc/passwd': '..' is not allowed"
	refused r5 '{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "/etc/passwd",
		"kakunin.io/certificate": "agent"}' \
		"annotation kakunin.io/policy '/etc/passwd': /etc/passwd is outside"
	refused r6 '{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "nosuch",
		"kakunin.io/certificate": "agent"}' "annotation kakunin.io/policy 'nosuch': "
}

@test "a container in a cgroup shared with another process is refused; that process stays free" {
	mkdir -p /sys/fs/cgroup/kk-shared
	sh -c 'echo $$ >/sys/fs/cgroup/kk-shared/cgroup.procs; exec sleep 60' &
	local other=$!
	for _ in $(seq 100); do
		[ "$(cat /proc/$other/cgroup)" = "0::/kk-shared" ] && break
		sleep 0.05
	done
	CGPATH=/kk-shared bundle "$BATS_TEST_TMPDIR/sh" "$ANN" /bin/busybox echo RAN
	run runc run --bundle "$BATS_TEST_TMPDIR/sh" sh
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"kakunin-bpf: oci-hook: sh: PID "*": cgroup /sys/fs/cgroup/kk-shared holds 1 other process (PID $other): binding it would bind them too"* ]]
	[[ "$output" != *RAN* ]]
	run "$KK" status --json
	[[ "$output" != *'"agent_id":"agent"'* ]]
	kill "$other"
	wait "$other" || true
	rmdir /sys/fs/cgroup/kk-shared
}

@test "a revoked certificate makes runc refuse to start the container" {
	local cert
	cert=$(fresh_cert)
	cp "$cert" "$O/certs/fresh.pem"
	"$KK" revoke --serial "$(serial_of "$cert")"
	refused rv '{"kakunin.io/agent-id": "agent", "kakunin.io/policy": "c",
		"kakunin.io/certificate": "fresh"}' "certificate serial $(serial_of "$cert") is revoked"
}

@test "a container run again under the same id is bound again" {
	bundle "$BATS_TEST_TMPDIR/rs" "$ANN" /bin/busybox cat /data/secret
	run runc run --bundle "$BATS_TEST_TMPDIR/rs" rs
	[ "$status" -eq 1 ]
	[[ "$output" == *"can't open '/data/secret': Permission denied"* ]]
	run runc run --bundle "$BATS_TEST_TMPDIR/rs" rs
	[ "$status" -eq 1 ]
	[[ "$output" == *"can't open '/data/secret': Permission denied"* ]]
}

@test "runc exec into a bound container: the exec'd process is bound" {
	bundle "$BATS_TEST_TMPDIR/ex" "$ANN" /bin/busybox sleep 60
	runc run -d --bundle "$BATS_TEST_TMPDIR/ex" ex >/dev/null 2>&1 </dev/null
	run runc exec ex /bin/busybox cat /data/secret
	[ "$status" -eq 1 ]
	[[ "$output" == *"can't open '/data/secret': Permission denied"* ]]
	run runc exec ex /bin/busybox cat /data/ok
	[ "$status" -eq 0 ]
	[ "$output" = ok-content ]
}

@test "kakunin-runc adds the hook to an annotated bundle and the container is bound" {
	mkdir -p /etc/kakunin
	cp "$O/hook.json" /etc/kakunin/oci-hook.json
	HOOK=none bundle "$BATS_TEST_TMPDIR/w" "$ANN" /bin/busybox cat /data/secret
	run env KAKUNIN_BPF="$KK" "$ROOT/deploy/oci/kakunin-runc" run --bundle "$BATS_TEST_TMPDIR/w" w
	[ "$status" -eq 1 ]
	[[ "$output" == *"can't open '/data/secret': Permission denied"* ]]
	python3 - "$BATS_TEST_TMPDIR/w/config.json" "$(readlink -f "$KK")" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["hooks"]["createRuntime"]
assert h == [{"path": sys.argv[2], "args": ["kakunin-bpf", "oci-hook"]}], h
PY
}
