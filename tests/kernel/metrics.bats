#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 25 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Metrics and health in a real kernel: the daemon's loopback /metrics shows the kernel's
# per-binding denial counter equal to the denials a bound task was made to hit, and the same as
# `status --format prometheus`; a silent scraper does not hold up the daemon; status reports the
# real load state; health is ready only while the daemon answers; sd_notify READY=1, WATCHDOG=1
# and STOPPING=1 reach NOTIFY_SOCKET.
bats_require_minimum_version 1.5.0
load helpers

PORT=9471

setup_file() {
	pki_setup
	"$KK" load
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"exec": ["/usr/bin/dash"], "data_access": {"/data/*": ["read"]}'
	export P
}

teardown_file() {
	kk_unload --force
}

setup() {
	D=$BATS_TEST_TMPDIR
	mkdir -p /data && echo d >/data/f
	rm -f /data/fifo
	drain_events
}

teardown() {
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	[ -n "${BOUND_PID:-}" ] && kill -9 "$BOUND_PID" 2>/dev/null || true
	[ -n "${LPID:-}" ] && kill "$LPID" 2>/dev/null || true
	rm -f /data/fifo
}

# start_daemon [JSON-MEMBERS]: a daemon writing $D/audit.jsonl, socket $D/ev.sock, metrics on
# 127.0.0.1:$PORT.
start_daemon() {
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock", "metrics": {"listen": "127.0.0.1:%s"}%s%s}\n' \
		"$D" "$D" "$PORT" "${1:+, }" "${1:-}" >"$D/daemon.json"
	"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" &
	DPID=$!
	for i in $(seq 100); do [ -S "$D/ev.sock" ] && return 0; sleep 0.05; done
	cat "$D/daemon.err" >&2
	return 1
}

# scrape [PATH]: GET PATH (default /metrics) from the daemon with bash's /dev/tcp, whole answer.
scrape() {
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "${1:-/metrics}" >&5
	timeout 15 cat <&5
	exec 5<&-
}

# metric TEXT NAME{LABELS}: the value of that exact series in TEXT, or nothing.
metric() {
	printf '%s\n' "$1" | awk -v s="$2" 'index($0, s " ") == 1 { print $NF }'
}

@test "/metrics counts the denials of a bound task, as status --format prometheus does" {
	start_daemon
	mkfifo /data/fifo
	# Three denied opens, then the agent waits on the fifo (an allowed open) so that its
	# binding stays live while we look. Its stderr is closed: no write is decided.
	bound_start "$P" /usr/bin/dash -c \
		'for i in 1 2 3; do read x </etc/shadow; done 2>&-; read x </data/fifo'
	local slot=$BOUND_SLOT
	[ -n "$slot" ]
	for i in $(seq 100); do
		"$KK" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
b = [b for b in s["bindings"] if b["binding"] == int(sys.argv[1])][0]
sys.exit(0 if b["denied"] == 3 else 1)' "$slot" && break
		sleep 0.1
	done
	run scrape
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "HTTP/1.0 200 OK"* ]]
	[[ "$output" == *"Content-Type: text/plain; version=0.0.4; charset=utf-8"* ]]
	local m=$output series
	series="kakunin_decisions_total{agent=\"agent\",serial=\"$(serial_of "$PKI/agent.pem")\",binding=\"$slot\",hook=\"file_open\",decision=\"denied\"}"
	[ "$(metric "$m" "$series")" = 3 ]
	# Every denial of this binding is one of the three (no other hook counted one).
	[ "$(printf '%s\n' "$m" | grep "binding=\"$slot\"" | grep 'decision="denied"' | wc -l)" -eq 1 ]
	[ "$(metric "$m" kakunin_loaded)" = 1 ]
	[ "$(metric "$m" 'kakunin_identities{state="active"}')" -ge 1 ]
	[ "$(metric "$m" kakunin_ring_size_bytes)" = 4194304 ]
	[ -n "$(metric "$m" kakunin_daemon_events_written_total)" ]
	# The command for node_exporter's textfile collector shows the same kernel counters.
	run --separate-stderr "$KK" status --format prometheus
	[ "$status" -eq 0 ]
	[ "$(metric "$output" "$series")" = 3 ]
	[ "$(metric "$output" kakunin_denials_total)" = "$(metric "$m" kakunin_denials_total)" ]
	[ "$(metric "$output" kakunin_denials_total)" -ge 3 ]
	[[ "$output" != *kakunin_daemon_* ]]
	echo >/data/fifo
	bound_wait
	# Another path is 404.
	run scrape /other
	[[ "${lines[0]}" == "HTTP/1.0 404 Not Found"* ]]
}

@test "a scraper that sends nothing does not hold up events or the next scrape" {
	start_daemon
	exec 4<>"/dev/tcp/127.0.0.1/$PORT" # connected, silent
	try_bound "$P" --pid open /etc/shadow
	local pid=${lines[0]} t0=$SECONDS
	[ "${lines[1]}" = EACCES ]
	# The event reaches the audit file while the silent client holds the connection.
	for i in $(seq 50); do grep -q "\"pid\":$pid," "$D/audit.jsonl" 2>/dev/null && break; sleep 0.1; done
	grep -q "\"event_type\":\"action.denied\".*\"pid\":$pid," "$D/audit.jsonl"
	# The next scrape is answered once the silent one is dropped (5 s at most).
	run scrape
	exec 4<&-
	[[ "${lines[0]}" == "HTTP/1.0 200 OK"* ]]
	[ $((SECONDS - t0)) -le 8 ]
}

@test "status --json reports the real load state; health follows the daemon" {
	run --separate-stderr "$KK" status --json
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["loaded"] is True and "reason" not in s, s
assert s["ring"]["size"] == 4194304 and 0 <= s["ring"]["used"] <= s["ring"]["size"], s
' "$output"
	start_daemon
	run --separate-stderr "$KK" health --config "$D/daemon.json"
	[ "$status" -eq 0 ]
	[[ "$output" == "ready: loaded, "*" programs attached, daemon answering" ]]
	run --separate-stderr "$KK" health --json --socket "$D/ev.sock"
	[ "$status" -eq 0 ]
	python3 -c '
import json, sys
h = json.loads(sys.argv[1])
assert h["ready"] is True and h["loaded"] is True and h["daemon"] is True, h
assert h["programs"] > 0 and h["reason"] == "", h
' "$output"
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
	run --separate-stderr "$KK" health --config "$D/daemon.json"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: health: not ready: the daemon does not answer on $D/ev.sock: Connection refused" ]
	run --separate-stderr "$KK" health --no-daemon
	[ "$status" -eq 0 ]
}

@test "the daemon tells systemd READY=1, pings the watchdog, and says STOPPING=1" {
	python3 - "$D/notify.sock" "$D/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "a") as f:
    try:
        while True:
            m = s.recv(4096).decode()
            f.write(m.replace("\n", "|") + "\n")
            f.flush()
            if "STOPPING=1" in m:
                break
    except socket.timeout:
        pass
PY
	LPID=$!
	for i in $(seq 100); do [ -S "$D/notify.sock" ] && break; sleep 0.05; done
	NOTIFY_SOCKET=$D/notify.sock WATCHDOG_USEC=2000000 start_daemon
	for i in $(seq 100); do grep -q WATCHDOG=1 "$D/notify.log" 2>/dev/null && break; sleep 0.05; done
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
	wait "$LPID"
	LPID=
	cat "$D/notify.log" >&2
	[ "$(sed -n 1p "$D/notify.log")" = "READY=1|STATUS=consuming events" ]
	grep -qx "WATCHDOG=1" "$D/notify.log"
	[ "$(tail -n 1 "$D/notify.log")" = "STOPPING=1|STATUS=stopping: flushing the audit file" ]
}
