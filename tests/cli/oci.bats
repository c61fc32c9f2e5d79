#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `kakunin-bpf oci-hook`: the container state on stdin, annotations and their resolution, and
# `--add-to`, before any kernel access (the binding itself: tests/kernel/oci.bats).
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/c"
	sh "$BATS_TEST_DIRNAME/../unit/make-certs.sh" "$BATS_FILE_TMPDIR/c"
}

setup() {
	C=$BATS_FILE_TMPDIR/c
	D=$BATS_TEST_TMPDIR
	mkdir -p "$D/pol" "$D/certs" "$D/outside"
	echo '{"agent_id": "trading_bot_v2", "version": "1"}' >"$D/pol/bot.json"
	echo '{"agent_id": "data_processor", "version": "1"}' >"$D/pol/dp.json"
	echo '{"agent_id": "trading_bot_v2", "version": ' >"$D/pol/broken.json"
	echo '{"agent_id": "trading_bot_v2", "version": "1"}' >"$D/outside/evil.json"
	ln -s ../outside/evil.json "$D/pol/link.json"
	cp "$C/leaf.pem" "$D/certs/bot.pem"
	echo "{\"policy_dir\": \"$D/pol\", \"cert_dir\": \"$D/certs\", \"ca\": \"$C/root.pem\"," \
		"\"offline\": true}" >"$D/hook.json"
}

# state ANNOTATIONS-JSON [EXTRA-MEMBERS]: a createRuntime state of container c1.
state() {
	printf '{"ociVersion": "1.0.2", "id": "c1", "status": "creating", "pid": %s, ' "$$"
	printf '"bundle": "%s", "annotations": %s%s}\n' "$D" "$1" "${2:+, $2}"
}

hook() {
	run --separate-stderr "$KK" oci-hook --config "$D/hook.json" "$@"
}

ANN='"kakunin.io/agent-id": "trading_bot_v2", "kakunin.io/certificate": "bot"'

@test "oci-hook: no kakunin.io/agent-id annotation: exit 0, nothing printed" {
	hook <<<"$(state '{"other": "x"}')"
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
	# Not ours, whatever else is wrong with it (a stopped container without a pid).
	hook <<<'{"ociVersion": "9.9", "id": "c2", "status": "stopped", "annotations": {}}'
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
	# Without "annotations" in the state they are read from the bundle's config.json.
	echo '{"ociVersion": "1.0.2", "annotations": {"x": "y"}}' >"$D/config.json"
	hook <<<"{\"ociVersion\": \"1.0.2\", \"id\": \"c3\", \"status\": \"creating\", \"pid\": $$, \"bundle\": \"$D\"}"
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
}

@test "oci-hook: a Kubernetes pod's sandbox is left alone, though it has the pod's annotations" {
	for t in '"io.kubernetes.cri.container-type": "sandbox"' \
		'"io.kubernetes.cri-o.ContainerType": "sandbox"'; do
		# Everything else about it would be refused: the policy does not exist.
		hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"nosuch\", $t}")"
		[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
		echo "{\"annotations\": {$ANN, $t}}" >"$D/config.json"
		cp "$D/config.json" "$D/orig.json"
		run --separate-stderr "$KK" oci-hook --add-to "$D/config.json"
		[ "$status" -eq 0 ]
		cmp "$D/config.json" "$D/orig.json"
	done
	# The containers of the pod are bound: here it fails on the missing policy.
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"nosuch\", \"io.kubernetes.cri.container-type\": \"container\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "annotation kakunin.io/policy 'nosuch': "
}

@test "oci-hook: a state that is not JSON, has no id or no annotations to read: one line, exit 1" {
	hook <<<'not json'
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: oci-hook: state on stdin: not a JSON object"
	hook <<<'{"ociVersion": "1.0.2", "pid": 1}'
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: state on stdin: no \"id\" string (the container id)"
	hook <<<'{"ociVersion": "1.0.2", "id": "c1", "pid": 1}'
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: state on stdin: no \"annotations\" and no \"bundle\""
	hook <<<"{\"id\": \"c1\", \"bundle\": \"$D/none\"}"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: $D/none/config.json: cannot read it: No such file"
	hook <<<'{"id": "c1", "annotations": {"kakunin.io/agent-id": 7}}'
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: state on stdin: annotation kakunin.io/agent-id is not a string"
}

@test "oci-hook: an annotated state needs ociVersion 1.x, status creating, a pid, policy and cert" {
	hook <<<"$(state "{$ANN}" | sed 's/"pid": [0-9]*, //')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: oci-hook: c1: state on stdin: no \"pid\" (the container's init process)"
	hook <<<"$(state "{$ANN}" | sed 's/"pid": [0-9]*/"pid": "12"/')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: state on stdin: \"pid\" is not a process id"
	hook <<<"$(state "{$ANN}" | sed 's/1.0.2/2.0.0/')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: state on stdin: ociVersion '2.0.0' is not 1.x (unknown state format)"
	hook <<<"$(state "{$ANN}" | sed 's/creating/running/')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: state on stdin: status is 'running', not 'creating' or 'created'"
	hook <<<"$(state '{"kakunin.io/agent-id": "trading_bot_v2", "kakunin.io/certificate": "bot"}')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: annotation kakunin.io/policy is required with kakunin.io/agent-id"
	# Unknown members of the state are ignored, as the runtime-spec asks.
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"dp\"}" '"future": {"x": 1}')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: "
	[[ "$stderr" != *state* ]]
}

@test "oci-hook: a policy or certificate annotation resolves only inside its directory" {
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"../outside/evil\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: oci-hook: c1: annotation kakunin.io/policy '../outside/evil': '..' is not allowed (the file must be in $D/pol)"
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"$D/pol/../outside/evil.json\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "'..' is not allowed"
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"$D/outside/evil.json\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "annotation kakunin.io/policy '$D/outside/evil.json': $D/outside/evil.json is outside $D/pol"
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"link\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "annotation kakunin.io/policy 'link': $D/outside/evil.json is outside $D/pol"
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"sub/bot\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "annotation kakunin.io/policy 'sub/bot': neither a name"
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"nosuch\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "annotation kakunin.io/policy 'nosuch': $D/pol/nosuch.json: No such file or directory"
	hook <<<"$(state '{"kakunin.io/agent-id": "trading_bot_v2", "kakunin.io/policy": "bot", "kakunin.io/certificate": "/etc/passwd"}')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "annotation kakunin.io/certificate '/etc/passwd': /etc/passwd is outside $D/certs"
	# kakunin.io/ca resolves in ca_dir (here the default, which does not exist).
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"bot\", \"kakunin.io/ca\": \"../c/root\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "annotation kakunin.io/ca '../c/root': '..' is not allowed"
}

@test "oci-hook: the annotation's agent must be the policy's; a bad policy is one line" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (the hook checks it before the files)"
	hook <<<"$(state '{"kakunin.io/agent-id": "someone_else", "kakunin.io/policy": "bot.json", "kakunin.io/certificate": "bot"}')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: oci-hook: c1: annotation kakunin.io/agent-id: 'someone_else' is not the policy's agent_id 'trading_bot_v2'"
	hook <<<"$(state "{$ANN, \"kakunin.io/policy\": \"broken\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: oci-hook: c1: $D/pol/broken.json"
	# The certificate names trading_bot_v2, the policy data_processor.
	hook <<<"$(state '{"kakunin.io/agent-id": "data_processor", "kakunin.io/policy": "dp", "kakunin.io/certificate": "bot"}')"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: oci-hook: c1: "
	[[ "$stderr" == *data_processor* ]]
}

@test "oci-hook: a hook configuration that is not right is one line, exit 1" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (the hook checks it before its configuration)"
	echo '{"policy_dir": "relative"}' >"$D/bad.json"
	run --separate-stderr "$KK" oci-hook --config "$D/bad.json" <<<"$(state "{$ANN, \"kakunin.io/policy\": \"bot\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: c1: hook configuration $D/bad.json: \"policy_dir\" is not an absolute path"
	echo '{"polcy_dir": "/x"}' >"$D/bad.json"
	run --separate-stderr "$KK" oci-hook --config "$D/bad.json" <<<"$(state "{$ANN, \"kakunin.io/policy\": \"bot\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "unknown key \"polcy_dir\""
	run --separate-stderr "$KK" oci-hook --config "$D/none.json" <<<"$(state "{$ANN, \"kakunin.io/policy\": \"bot\"}")"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "hook configuration $D/none.json: cannot read it: No such file"
}

@test "oci-hook --add-to: only an annotated config.json, once, everything else kept" {
	cat >"$D/config.json" <<'J'
{"ociVersion": "1.0.2", "process": {"args": ["sh"], "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1048576}]},
 "annotations": {"kakunin.io/agent-id": "a"},
 "hooks": {"createRuntime": [{"path": "/usr/bin/other", "args": ["other"]}], "poststop": [{"path": "/x"}]}}
J
	chmod 0640 "$D/config.json"
	run --separate-stderr "$KK" oci-hook --add-to "$D/config.json" --hook-path /usr/local/bin/kakunin-bpf
	[ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
	cp "$D/config.json" "$D/once.json"
	run --separate-stderr "$KK" oci-hook --add-to "$D/config.json" --hook-path /usr/local/bin/kakunin-bpf
	[ "$status" -eq 0 ]
	cmp "$D/config.json" "$D/once.json"
	[ "$(stat -c %a "$D/config.json")" = 640 ]
	python3 - "$D/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["hooks"]["createRuntime"] == [
    {"path": "/usr/bin/other", "args": ["other"]},
    {"path": "/usr/local/bin/kakunin-bpf", "args": ["kakunin-bpf", "oci-hook"]}], c["hooks"]
assert c["hooks"]["poststop"] == [{"path": "/x"}]
assert c["process"]["rlimits"][0]["hard"] == 1048576
assert c["annotations"] == {"kakunin.io/agent-id": "a"}
PY
	# prestart, and the path defaults to the binary's own.
	run --separate-stderr "$KK" oci-hook --add-to "$D/config.json" --stage prestart
	[ "$status" -eq 0 ]
	python3 - "$D/config.json" "$(readlink -f "$KK")" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["hooks"]["prestart"] == [{"path": sys.argv[2], "args": ["kakunin-bpf", "oci-hook"]}], c
PY
}

@test "oci-hook --add-to: an unannotated or unusable config.json is left as it is" {
	echo '{"ociVersion": "1.0.2", "annotations": {"x": "y"}}' >"$D/config.json"
	cp "$D/config.json" "$D/orig.json"
	run --separate-stderr "$KK" oci-hook --add-to "$D/config.json"
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
	cmp "$D/config.json" "$D/orig.json"
	echo '{"annotations": {"kakunin.io/agent-id": "a"}, "hooks": []}' >"$D/config.json"
	cp "$D/config.json" "$D/orig.json"
	run --separate-stderr "$KK" oci-hook --add-to "$D/config.json"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: oci-hook: $D/config.json: \"hooks\" or \"hooks.createRuntime\" is not what the runtime-spec says"
	cmp "$D/config.json" "$D/orig.json"
	echo '{"annotations": {"kakunin.io/agent-id": "a"}, "x": 18446744073709551615}' >"$D/config.json"
	cp "$D/config.json" "$D/orig.json"
	run --separate-stderr "$KK" oci-hook --add-to "$D/config.json"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "cannot be rewritten exactly (beyond 2^53)"
	cmp "$D/config.json" "$D/orig.json"
	run --separate-stderr "$KK" oci-hook --add-to "$D/config.json" --stage poststart
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: --stage 'poststart': createRuntime or prestart"
	run --separate-stderr "$KK" oci-hook --add-to "$D/none.json"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "oci-hook: $D/none.json: cannot read it: No such file or directory"
	[ ! -e "$D/none.json" ]
	[ -z "$(ls "$D" | grep kakunin)" ]
}

@test "kakunin-runc: the hook is added to create's bundle, then the real runc runs as called" {
	printf '#!/bin/sh\necho "runc $*"\n' >"$D/fake-runc"
	chmod +x "$D/fake-runc"
	echo '{"annotations": {"kakunin.io/agent-id": "a"}}' >"$D/config.json"
	run env KAKUNIN_RUNC="$D/fake-runc" KAKUNIN_BPF="$KK" \
		"$BATS_TEST_DIRNAME/../../deploy/oci/kakunin-runc" --root /run/x --log /l create \
		--bundle "$D" --pid-file /p c1
	[ "$status" -eq 0 ]
	[ "$output" = "runc --root /run/x --log /l create --bundle $D --pid-file /p c1" ]
	grep -q '"oci-hook"' "$D/config.json"
	# From the working directory, and not for other subcommands.
	echo '{"annotations": {"kakunin.io/agent-id": "a"}}' >"$D/config.json"
	cp "$D/config.json" "$D/orig.json"
	(cd "$D" && env KAKUNIN_RUNC="$D/fake-runc" KAKUNIN_BPF="$KK" \
		"$BATS_TEST_DIRNAME/../../deploy/oci/kakunin-runc" start c1)
	cmp "$D/config.json" "$D/orig.json"
	(cd "$D" && env KAKUNIN_RUNC="$D/fake-runc" KAKUNIN_BPF="$KK" \
		"$BATS_TEST_DIRNAME/../../deploy/oci/kakunin-runc" run c1)
	grep -q '"oci-hook"' "$D/config.json"
	# An annotated bundle the hook cannot be added to is not started.
	echo '{"annotations": {"kakunin.io/agent-id": "a"}, "hooks": 1}' >"$D/config.json"
	run env KAKUNIN_RUNC="$D/fake-runc" KAKUNIN_BPF="$KK" \
		"$BATS_TEST_DIRNAME/../../deploy/oci/kakunin-runc" run -b "$D" c1
	[ "$status" -eq 1 ]
	[[ "$output" != *"runc run"* ]]
	[[ "$output" == *"kakunin-runc: $D/config.json: cannot add the kakunin-bpf hook"* ]]
}
