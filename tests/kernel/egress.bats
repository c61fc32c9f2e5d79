#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 85 (measured: 8 tests in a 1-vCPU guest)
# The egress in a real kernel: a bound agent talks plain TCP to its loopback listener and a real
# TLS server requiring client certificates (tests/unit/egress-server.py, Python's ssl) sees the
# agent's certificate (CN=agent), while the agent cannot read the key; an unbound process and
# another agent are refused at the listener; a revocation cuts a live stream (the delay after
# `revoke` returns is printed); the agent's direct connection to the upstream is refused by the
# kernel; a wrong pinned CA or server_name is refused; garbage, reset and silent upstreams do
# not hold up a good connection. Every connection is an action.connected or action.refused
# event. The egress runs unbound, as root, as its unit does.
bats_require_minimum_version 1.5.0
load helpers

D=/run/kk-egress-test
KEYDIR=/etc/kakunin/keys
KEY=$KEYDIR/kk-egress-test-agent.pem

# up MODE [ADDR]: an upstream server of that mode on ADDR (127.0.0.2; client CA: the agents');
# its port.
up() {
	python3 "$REPO/tests/unit/egress-server.py" "$1" "$UP/server.pem" "$UP/server.key" \
		"$PKI/ca.pem" 0 "${2:-127.0.0.2}" >"$BATS_FILE_TMPDIR/up-$1.port" 2>>"$BATS_FILE_TMPDIR/up.log" &
	echo $! >>"$BATS_FILE_TMPDIR/up.pids"
	wait_for "$BATS_FILE_TMPDIR/up-$1.port" ''
	cat "$BATS_FILE_TMPDIR/up-$1.port"
}

# wait_for FILE TEXT [PID]: until FILE holds TEXT (and is not empty), at most 20 s (by the
# clock: starting processes is slow in the emulated VM), or PID is gone.
wait_for() {
	local end=$((SECONDS + 20)) text
	while ((SECONDS < end)); do
		text=
		[ ! -e "$1" ] || text=$(<"$1")
		[[ -n "$text" && "$text" == *"$2"* ]] && return 0
		[ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

setup_file() {
	pki_setup
	"$KK" load
	mkdir -p "$D" "$KEYDIR"
	cp "$PKI/agent.key" "$KEY"
	chmod 0600 "$KEY"
	REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd -P)
	UP=$BATS_FILE_TMPDIR/up
	mkdir -p "$UP"
	sh "$REPO/tests/unit/make-egress-certs.sh" "$UP"
	export REPO UP
	ECHO=$(up echo 0.0.0.0) STREAM=$(up stream) GARBAGE=$(up garbage) RESET=$(up reset)
	SILENT=$(up silent)
	export ECHO STREAM GARBAGE RESET SILENT
	# The bound client: connect to 127.0.0.1:PORT; "say LINE...": send the lines, end, print
	# what comes back until the end; "stream": print the first line, then at the end "eof T"
	# (T: time.time() when the end of file came) and how many lines came.
	cat >"$D/client.py" <<'PY'
import socket, sys, time
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    print("connect", e.strerror, flush=True)
    sys.exit(3)
if sys.argv[2] == "say":
    try:  # a refused connection may be closed before we are done sending
        s.sendall("".join(l + "\n" for l in sys.argv[3:]).encode())
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError as e:
        out += ("[%s]" % e.strerror).encode()
    sys.stdout.write(out.decode() if out else "[nothing]\n")
    sys.exit(0)
f = s.makefile("rb")
n = 0
try:
    first = f.readline()
except OSError:
    first = b""
print("first", first.decode().strip(), flush=True)
try:
    for line in f:
        n += 1
except OSError:
    pass
print("eof %.6f %d" % (time.time(), n), flush=True)
PY
	cat >"$BATS_FILE_TMPDIR/members" <<EOF
"exec": ["/usr/bin/python3"],
"data_access": {"$D/*": ["read"], "$REPO/tests/*": ["read"]},
"network_rules": {"allowed_hosts": ["127.0.0.0/8"]},
"egress": {
	"127.0.0.2:$ECHO": {"listen": "127.0.0.1:18443", "ca": "$UP/ca.pem"},
	"127.0.0.2:$STREAM": {"listen": "127.0.0.1:18444", "ca": "$UP/ca.pem"},
	"127.0.0.2:$GARBAGE": {"listen": "127.0.0.1:18445", "ca": "$UP/ca.pem"},
	"127.0.0.2:$RESET": {"listen": "127.0.0.1:18446", "ca": "$UP/ca.pem"},
	"127.0.0.2:$SILENT": {"listen": "127.0.0.1:18447", "ca": "$UP/ca.pem"},
	"127.0.0.3:$ECHO": {"listen": "127.0.0.1:18448", "ca": "$UP/other.pem",
		"server_name": "upstream.test"},
	"127.0.0.4:$ECHO": {"listen": "127.0.0.1:18449", "ca": "$UP/ca.pem",
		"server_name": "wrong.test"}
}
EOF
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" "$(cat "$BATS_FILE_TMPDIR/members")"
	export P
}

teardown_file() {
	local p
	for p in $(cat "$BATS_FILE_TMPDIR/up.pids" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null || true
	done
	kk_unload --force
	rm -rf "$D" "$KEY"
}

setup() {
	EGRESS_PID=
	drain_events
}

teardown() {
	[ -z "$EGRESS_PID" ] || kill -9 "$EGRESS_PID" 2>/dev/null || true
	[ -z "$EGRESS_PID" ] || wait "$EGRESS_PID" 2>/dev/null || true
	[ -z "${BOUND_PID:-}" ] || kill -9 "$BOUND_PID" 2>/dev/null || true
}

# egress_start CERT KEY POLICY [AGENTS]: the egress for that agent (or AGENTS: an "agents"
# member), listening on return.
egress_start() {
	local agents
	agents=$(printf '"agents": [{"certificate": "%s", "key": "%s", "policy": "%s"}]' "$1" "$2" "$3")
	printf '{%s, "egress_handshake_timeout_ms": %d}\n' "${4:-$agents}" "${HANDSHAKE_MS:-3000}" \
		>"$BATS_TEST_TMPDIR/egress.json"
	"$KK" egress --config "$BATS_TEST_TMPDIR/egress.json" >"$BATS_TEST_TMPDIR/egress.out" 2>&1 &
	EGRESS_PID=$!
	wait_for "$BATS_TEST_TMPDIR/egress.out" 'egress: relaying' "$EGRESS_PID" && return 0
	cat "$BATS_TEST_TMPDIR/egress.out" >&2
	return 1
}

# egress_events TYPE: the egress's events of that type still in the ring (consumes it).
egress_events() {
	consumer_free
	"$KK" events --from-ring --json | grep -F "\"event_type\":\"$1\"" || true
}

@test "a bound agent's plain connection reaches the upstream as mutual TLS: the server sees CN=agent; action.connected with bytes and duration" {
	egress_start "$PKI/agent.pem" "$KEY" "$P"
	bound_run "$P" python3 "$D/client.py" 18443 say hello "second line"
	[ "$status" -eq 0 ] || { echo "output: $output" >&2; cat "$BATS_TEST_TMPDIR/egress.out" >&2 2>/dev/null; false; }
	[ "$output" = "$(printf 'CN=agent hello\nCN=agent second line')" ] || { echo "output: $output" >&2; cat "$BATS_TEST_TMPDIR/egress.out" >&2 2>/dev/null; false; }
	run egress_events action.connected
	[ "${#lines[@]}" -eq 1 ]
	python3 - "${lines[0]}" "$(serial_of "$PKI/agent.pem")" "$ECHO" "$BOUND_PID" <<'PY'
import json, sys
e = json.loads(sys.argv[1])
assert (e["agent_id"], e["agent_cert_serial"], e["pid"]) == ("agent", sys.argv[2], int(sys.argv[4])), e
assert e["action"] == {"upstream": "127.0.0.2:" + sys.argv[3], "listen": "127.0.0.1:18443"}, e
assert (e["bytes_up"], e["bytes_down"], e["end"]) == (18, 36, "closed"), e
assert e["duration_ms"] >= 0 and "reason" not in e, e
PY
}

@test "the agent cannot read the key the egress presents for it" {
	egress_start "$PKI/agent.pem" "$KEY" "$P"
	try_bound "$P" open "$KEY" rdonly
	[ "$output" = EPERM ] || { echo "output: $output" >&2; cat "$BATS_TEST_TMPDIR/egress.out" >&2 2>/dev/null; false; }
	bound_run "$P" python3 "$D/client.py" 18443 say still
	[ "$output" = "CN=agent still" ] || { echo "output: $output" >&2; cat "$BATS_TEST_TMPDIR/egress.out" >&2 2>/dev/null; false; }
}

@test "an unbound process gets nothing from the listener: closed at once, action.refused unbound" {
	egress_start "$PKI/agent.pem" "$KEY" "$P"
	run python3 "$D/client.py" 18443 say hello
	[ "$status" -eq 0 ]
	[[ "$output" == "[nothing]" || "$output" == "[Connection reset by peer]" ]]
	run egress_events action.refused
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *'"agent_id":null'*'"upstream":"127.0.0.2:'"$ECHO"'"'* ]]
	[[ "${lines[0]}" == *'"reason":"unbound","why":"the caller was not bound to a certificate when it connected"'* ]]
}

@test "another agent is refused at this agent's listener (other_agent), served at its own" {
	local op=$BATS_TEST_TMPDIR/other.json
	# "other" may connect to agent's listener (allowed_hosts); its own relays to the same echo.
	sed 's/"agent_id": "agent"/"agent_id": "other"/' "$P" | python3 -c '
import json, sys
p = json.load(sys.stdin)
p["egress"] = {k: dict(v, listen="127.0.0.1:18450") for k, v in p["egress"].items() if v["listen"] == "127.0.0.1:18443"}
p["network_rules"] = {"allowed_hosts": ["127.0.0.0/8"]}
json.dump(p, sys.stdout)' >"$op"
	cp "$PKI/other.key" "$BATS_TEST_TMPDIR/other.key"
	chmod 0600 "$BATS_TEST_TMPDIR/other.key"
	egress_start "$PKI/agent.pem" "$KEY" "$P" "$(printf '"agents": [{"certificate": "%s", "key": "%s", "policy": "%s"}, {"certificate": "%s", "key": "%s", "policy": "%s"}]' \
		"$PKI/agent.pem" "$KEY" "$P" "$PKI/other.pem" "$BATS_TEST_TMPDIR/other.key" "$op")"
	KK_CERT=$PKI/other.pem bound_run "$op" python3 "$D/client.py" 18443 say hello
	[[ "$output" == "[nothing]" || "$output" == "[Connection reset by peer]" ]]
	KK_CERT=$PKI/other.pem bound_run "$op" python3 "$D/client.py" 18450 say hello
	[ "$output" = "CN=other hello" ] || { echo "output: $output" >&2; cat "$BATS_TEST_TMPDIR/egress.out" >&2 2>/dev/null; false; }
	run egress_events action.refused
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *'"agent_id":"other"'*'"reason":"other_agent","why":"bound as agent other (certificate serial '"$(serial_of "$PKI/other.pem")"'); this listener is agent agent'"'"'s"'* ]]
}

@test "revoke cuts a live stream within 100 ms of returning; action.connected ends 'revoked'" {
	local cert serial t0 t_rev t_cut ms
	cert=$(fresh_cert)
	chmod 0600 "$BATS_TEST_TMPDIR/a.key"
	serial=$(serial_of "$cert")
	egress_start "$cert" "$BATS_TEST_TMPDIR/a.key" "$P"
	KK_CERT=$cert bound_start "$P" python3 "$D/client.py" 18444 stream
	wait_for "$BATS_TEST_TMPDIR/bound.out" 'first tick'
	grep -q '^first tick' "$BATS_TEST_TMPDIR/bound.out" || { cat "$BATS_TEST_TMPDIR/bound.out" >&2; false; }
	sleep 0.3
	t0=$EPOCHREALTIME # a builtin: no process to start in the emulated VM
	"$KK" revoke --serial "$serial" --no-stop
	t_rev=$EPOCHREALTIME
	# Measured at the upstream (its next send after the egress closed fails; ticks every
	# 10 ms): once revoked, the kernel refuses the agent's reads and drops what comes to its
	# sockets, our end of file too, so the agent's side cannot tell when the egress cut it.
	wait_for "$BATS_FILE_TMPDIR/up.log" "stream cut"
	kill -9 "$BOUND_PID"
	wait "$BOUND_PID" || true
	t_cut=$(sed -n 's/^stream cut \([0-9.]*\)$/\1/p' "$BATS_FILE_TMPDIR/up.log" | tail -n 1)
	[ -n "$t_cut" ]
	ms=$(python3 -c 'import sys; print(int((float(sys.argv[1]) - float(sys.argv[2])) * 1000))' "$t_cut" "$t_rev")
	echo "# egress: stream cut ${ms} ms after revoke returned ($(python3 -c 'import sys; print(int((float(sys.argv[1]) - float(sys.argv[2])) * 1000))' "$t_cut" "$t0") ms after it started; seen by the upstream)" >&3
	[ "$ms" -le 100 ]
	run egress_events action.connected
	[[ "$output" == *'"agent_cert_serial":"'"$serial"'"'*'"end":"revoked","why":"certificate serial '"$serial"' is revoked"'* ]]
}

@test "the agent's direct connection to the upstream is refused by the kernel, though allowed_hosts has all of 127.0.0.0/8" {
	try_bound "$P" connect tcp 127.0.0.2 "$ECHO"
	[ "$output" = EACCES ]
	try_bound "$P" connect tcp 127.0.0.3 443
	[ "$output" = EACCES ]
	try_bound "$P" connect tcp 127.0.0.1 "$ECHO"
	[ "$output" = ok ] || { echo "output: $output" >&2; cat "$BATS_TEST_TMPDIR/egress.out" >&2 2>/dev/null; false; }
}

@test "a wrong pinned CA or server_name: refused upstream_failed, nothing relayed" {
	egress_start "$PKI/agent.pem" "$KEY" "$P"
	bound_run "$P" python3 "$D/client.py" 18448 say hello
	[[ "$output" == "[nothing]" || "$output" == "[Connection reset by peer]" ]]
	bound_run "$P" python3 "$D/client.py" 18449 say hello
	[[ "$output" == "[nothing]" || "$output" == "[Connection reset by peer]" ]]
	run egress_events action.refused
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'"agent_id":"agent"'*'"reason":"upstream_failed","why":"TLS: upstream certificate not accepted: '*'(server_name upstream.test, CA '"$UP"'/other.pem)"'* ]]
	[[ "${lines[1]}" == *'"reason":"upstream_failed","why":"TLS: upstream certificate not accepted: hostname mismatch (server_name wrong.test, CA '"$UP"'/ca.pem)"'* ]]
}

@test "garbage, reset and silent upstreams do not hold up a good connection; each refused in time" {
	local pids=() silent=() t0 ms p
	HANDSHAKE_MS=20000 egress_start "$PKI/agent.pem" "$KEY" "$P"
	for port in 18445 18446 18447 18447 18447; do
		bound_start "$P" python3 "$D/client.py" "$port" say x
		pids+=("$BOUND_PID")
		[ "$port" != 18447 ] || silent+=("$BOUND_PID")
		mv "$BATS_TEST_TMPDIR/bound.out" "$BATS_TEST_TMPDIR/bound-$port-$BOUND_PID.out"
	done
	t0=$(date +%s%N)
	bound_run "$P" python3 "$D/client.py" 18443 say good
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "# egress: good connection (with its bound start) in ${ms} ms beside 3 silent upstreams" >&3
	[ "$output" = "CN=agent good" ]
	# The silent ones are still waiting for their handshakes: they held nothing up.
	for p in "${silent[@]}"; do
		kill -0 "$p"
	done || { echo "output: $output" >&2; cat "$BATS_TEST_TMPDIR/egress.out" >&2 2>/dev/null; false; }
	for p in "${pids[@]}"; do
		wait "$p"
	done
	run egress_events action.refused
	[ "$(grep -c '"reason":"upstream_failed"' <<<"$output")" -eq 5 ]
	[ "$(grep -c 'within the handshake timeout' <<<"$output")" -eq 3 ]
	[[ "$output" == *'wrong version number'* ]]
	kill -0 "$EGRESS_PID"
}
