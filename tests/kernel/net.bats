#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 82 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Network rules in the kernel: allow/deny with ports over IPv4, IPv6 and IPv4-mapped IPv6,
# unconnected UDP, TCP Fast Open, unix sockets by path, refused socket types, io_uring.
# A connect the policy allows reaches the kernel's TCP stack: ECONNREFUSED on a closed port.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
	P=$BATS_FILE_TMPDIR/net.json
	policy "$P" '"exec": ["/usr/bin/python3"],
		"data_access": { "/run/kk-ok.sock": ["write"] },
		"network_rules": {
			"allowed_hosts": ["127.0.0.0/8:8081", "[::1]:8082", "127.0.0.1:9053"],
			"denied_hosts": ["127.0.0.2"] }'
	export P
	python3 - <<'PY' &
import os, socket, time
for p in ("/run/kk-ok.sock", "/run/kk-denied.sock"):
    try: os.unlink(p)
    except FileNotFoundError: pass
socks = []
for p in ("/run/kk-ok.sock", "/run/kk-denied.sock"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(p); s.listen(16); socks.append(s)
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); a.bind("\0kk-abstract"); a.listen(4)
time.sleep(3600)
PY
	echo $! >"$BATS_FILE_TMPDIR/listener.pid"
	for i in $(seq 100); do [ -S /run/kk-denied.sock ] && break; sleep 0.05; done
}

teardown_file() {
	kill "$(cat "$BATS_FILE_TMPDIR/listener.pid")" 2>/dev/null || true
	kk_unload --force
}

setup() {
	drain_events
}

@test "TCP to an allowed address and port reaches the stack; other ports get EACCES" {
	try_bound "$P" connect tcp 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
	try_bound "$P" connect tcp 127.0.0.9 8081
	[ "$output" = ECONNREFUSED ]
	try_bound "$P" --pid connect tcp 127.0.0.1 8083
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"], e["reason"]')" = \
		"socket_connect, {'address': '127.0.0.1', 'port': 8083, 'protocol': 'tcp'}, destination not in allowed_hosts" ]
}

@test "denied_hosts beats a broader allow" {
	try_bound "$P" --pid connect tcp 127.0.0.2 8081
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["reason"]')" = "destination in denied_hosts" ]
}

@test "IPv6 is decided on its own rules" {
	try_bound "$P" connect tcp ::1 8082
	[ "$output" = ECONNREFUSED ]
	try_bound "$P" --pid connect tcp ::1 8081
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["action"]["address"]')" = "::1" ]
}

@test "an IPv4-mapped IPv6 destination meets the IPv4 rules, deny included" {
	try_bound "$P" connect tcp ::ffff:127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
	try_bound "$P" --pid connect tcp ::ffff:127.0.0.2 8081
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["action"]["address"], e["reason"]')" = \
		"127.0.0.2, destination in denied_hosts" ]
	try_bound "$P" connect tcp ::ffff:10.9.9.9 8081
	[ "$output" = EACCES ]
}

@test "egress: the upstream is denied on every port though allowed_hosts allows it; its listener is allowed" {
	local e=$BATS_TEST_TMPDIR/egress.json
	policy "$e" '"network_rules": { "allowed_hosts": ["127.0.0.0/8:8081"] },
		"egress": { "127.0.0.3:8081": { "listen": "127.0.0.4:8084", "ca": "/etc/kk-ca.pem" },
			    "localhost:8081": { "listen": "127.0.0.4:8085", "ca": "/etc/kk-ca.pem" } }'
	# allowed_hosts still reach the stack elsewhere in 127.0.0.0/8.
	try_bound "$e" connect tcp 127.0.0.5 8081
	[ "$output" = ECONNREFUSED ]
	try_bound "$e" --pid connect tcp 127.0.0.3 8081
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["action"]["address"], e["action"]["port"], e["reason"]')" = \
		"127.0.0.3, 8081, destination in denied_hosts" ]
	try_bound "$e" connect tcp 127.0.0.3 443
	[ "$output" = EACCES ]
	try_bound "$e" connect tcp ::ffff:127.0.0.3 8081
	[ "$output" = EACCES ]
	# The listeners: allowed on their ports only.
	try_bound "$e" connect tcp 127.0.0.4 8084
	[ "$output" = ECONNREFUSED ]
	try_bound "$e" connect tcp 127.0.0.4 8085
	[ "$output" = ECONNREFUSED ]
	try_bound "$e" connect tcp 127.0.0.4 8086
	[ "$output" = EACCES ]
	# A hostname upstream is resolved at bind like allowed_hosts names: localhost's 127.0.0.1
	# (reachable on 8081 under the same allowed_hosts without egress, first test) is denied.
	try_bound "$e" connect tcp 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ] # --offline: the name stays symbolic, not enforced
	KK_RESOLVE=1 try_bound "$e" connect tcp 127.0.0.1 8081
	[ "$output" = EACCES ]
	KK_RESOLVE=1 try_bound "$e" connect tcp 127.0.0.4 8085
	[ "$output" = ECONNREFUSED ]
}

@test "unconnected UDP sendto is decided per destination" {
	try_bound "$P" --pid sendto 127.0.0.1 9999
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["protocol"]')" = "socket_sendmsg, udp" ]
	try_bound "$P" sendto 127.0.0.1 9053
	[ "$output" = ok ]
}

@test "TCP Fast Open carries its destination in sendmsg and is decided there" {
	try_bound "$P" fastopen 127.0.0.1 9999
	[ "$output" = EACCES ]
	try_bound "$P" fastopen 127.0.0.3 8081
	[ "$output" != EACCES ]
}

@test "a unix socket needs write on its path; abstract sockets are refused" {
	try_bound "$P" unix /run/kk-ok.sock
	[ "$output" = ok ]
	try_bound "$P" --pid unix /run/kk-denied.sock
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["path"], e["reason"]')" = \
		"unix_stream_connect, /run/kk-denied.sock, path not in scope" ]
	try_bound "$P" --pid unix-abstract kk-abstract
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["reason"]')" = "abstract unix socket" ]
}

@test "raw, packet and netlink sockets cannot be created; a UDP socket can" {
	for k in raw packet netlink; do
		try_bound "$P" socket $k
		[ "$output" = EACCES ] || { echo "$k: $output"; false; }
	done
	try_bound "$P" --pid socket netlink
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["family"], e["reason"]')" = \
		"socket_create, netlink, raw, packet or netlink socket" ]
	try_bound "$P" socket udp
	[ "$output" = ok ]
	# NETLINK_ROUTE comes with the baseline (getaddrinfo's AI_ADDRCONFIG), and only with it.
	try_bound "$P" socket netlink-route
	[ "$output" = ok ]
	policy "$BATS_TEST_TMPDIR/nb.json" '"baseline": false, "data_access": {"/usr/*": ["read"],
		"/lib/*": ["read"], "/lib64/*": ["read"], "/etc/ld.so.cache": ["read"]}'
	try_bound "$BATS_TEST_TMPDIR/nb.json" --pid socket netlink-route
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["family"]')" = "socket_create, netlink" ]
}

@test "allowed_socket_types lets the policy have raw, packet and netlink sockets" {
	local k
	policy "$BATS_TEST_TMPDIR/raw.json" \
		'"network_rules": {"allowed_socket_types": ["raw", "packet", "netlink"]}'
	for k in raw packet netlink; do
		try_bound "$BATS_TEST_TMPDIR/raw.json" socket $k
		[ "$output" = ok ] || { echo "$k: $output"; false; }
	done
	# One type does not bring the others.
	policy "$BATS_TEST_TMPDIR/nl.json" '"network_rules": {"allowed_socket_types": ["netlink"]}'
	try_bound "$BATS_TEST_TMPDIR/nl.json" socket netlink
	[ "$output" = ok ]
	try_bound "$BATS_TEST_TMPDIR/nl.json" socket raw
	[ "$output" = EACCES ]
	try_bound "$BATS_TEST_TMPDIR/nl.json" --pid socket packet
	[ "${lines[1]}" = EACCES ]
	[ "$(event_field "${lines[0]}" 'e["hook"], e["action"]["family"]')" = \
		"socket_create, packet" ]
}

@test "io_uring connect on a worker thread is decided like connect" {
	try_bound "$P" uring-connect 127.0.0.1 9999
	[ "$output" = EACCES ]
	try_bound "$P" uring-connect 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
}

@test "a bound python resolves names with getaddrinfo, AI_ADDRCONFIG without a denial" {
	try_bound "$P" --pid exec /usr/bin/python3 -c 'import socket; print(socket.getaddrinfo("localhost", 8081, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)[0][4][1])'
	[ "${lines[1]}" = 8081 ]
	[ -z "$(events_for_pid "${lines[0]}" | grep '"hook":"socket_create"')" ]
}
