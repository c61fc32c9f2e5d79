#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 34 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# Execution constraints in the kernel: allowed_hours (a window set around the VM's clock),
# rate_limit, max_concurrent_trades; audit mode and "audit": "all".
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
}

teardown_file() {
	kk_unload --force
}

teardown() {
	[ -n "${BOUND_PID:-}" ] && kill -9 "$BOUND_PID" 2>/dev/null || true
	[ -n "${LISTEN_PID:-}" ] && kill -9 "$LISTEN_PID" 2>/dev/null || true
}

setup() {
	rm -rf /data
	mkdir -p /data/out
	echo x >/data/out/f
	drain_events
}

# A "HH:MM-HH:MM UTC" window starting $1 minutes from now and lasting $2 minutes.
window() {
	local s=$(($(date -u +%s) / 60 + $1)) e
	e=$((s + $2))
	printf '%02d:%02d-%02d:%02d UTC' $((s / 60 % 24)) $((s % 60)) $((e / 60 % 24)) $((e % 60))
}

net='"network_rules": {"allowed_hosts": ["127.0.0.1:8081"]}'
files='"data_access": {"/data/out/*": ["read", "write"], "/usr/*": ["read", "exec"]}'

@test "inside allowed_hours connects and writes are allowed" {
	policy "$BATS_TEST_TMPDIR/in.json" "\"execution_constraints\": {\"allowed_hours\": \"$(window -60 120)\"}, $net, $files"
	try_bound "$BATS_TEST_TMPDIR/in.json" connect tcp 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
	try_bound "$BATS_TEST_TMPDIR/in.json" open /data/out/f wronly
	[ "$output" = ok ]
}

@test "outside allowed_hours connects, writes and execs are denied, reads are not" {
	# Writes to open files stop too, the agent's stdout included: the outcome is in the events
	# ("audit": "all" reports the allowed read).
	policy "$BATS_TEST_TMPDIR/out.json" "\"audit\": \"all\", \"execution_constraints\": {\"allowed_hours\": \"$(window 60 120)\"}, $net, $files"
	try_late "$BATS_TEST_TMPDIR/out.json" connect tcp 127.0.0.1 8081
	[ "$(hook_event "${lines[0]}" socket_connect 'e["decision"], e["reason"]')" = \
		"deny, outside allowed hours" ]
	try_late "$BATS_TEST_TMPDIR/out.json" open /data/out/f wronly
	[ "$(hook_event "${lines[0]}" file_open 'e["decision"], e["reason"]')" = \
		"deny, outside allowed hours" ]
	try_late "$BATS_TEST_TMPDIR/out.json" open /data/out/f
	run events_for_pid "${lines[0]}"
	[[ "$output" == *'"hook":"file_open","action":{"path":"/data/out/f","access":"read"},"decision":"allow"'* ]]
	[[ "$output" == *'"hook":"file_permission","action":{"path":"'*'bound.out","access":"write"},"decision":"deny","reason":"outside allowed hours"'* ]]
	try_late "$BATS_TEST_TMPDIR/out.json" exec /usr/bin/true
	[ "$(hook_event "${lines[0]}" bprm_check_security 'e["decision"], e["reason"]')" = \
		"deny, outside allowed hours" ]
}

@test "an overnight window that contains now allows" {
	policy "$BATS_TEST_TMPDIR/night.json" "\"execution_constraints\": {\"allowed_hours\": \"$(window -720 1380)\"}, $net"
	try_bound "$BATS_TEST_TMPDIR/night.json" connect tcp 127.0.0.1 8081
	[ "$output" = ECONNREFUSED ]
}

@test "rate_limit spends one token per outbound connection, then EACCES" {
	policy "$BATS_TEST_TMPDIR/rate.json" "\"execution_constraints\": {\"rate_limit\": \"2 trades/hour\"}, $net, $files"
	bound_run "$BATS_TEST_TMPDIR/rate.json" sh -c 'for i in 1 2 3; do "$TRY" connect tcp 127.0.0.1 8081; done'
	[ "$output" = "$(printf 'ECONNREFUSED\nECONNREFUSED\nEACCES')" ]
	run "$KK" events --from-ring --json
	[[ "$output" == *'"reason":"rate limit exceeded"'* ]]
}

@test "max_concurrent_trades counts live sockets and frees them when they close" {
	policy "$BATS_TEST_TMPDIR/conc.json" "\"execution_constraints\": {\"max_concurrent_trades\": 1}, $net, $files"
	bound_run "$BATS_TEST_TMPDIR/conc.json" sh -c '
		"$TRY" hold-connect 127.0.0.1 8081 3 & sleep 1
		"$TRY" connect tcp 127.0.0.1 8081
		wait; "$TRY" connect tcp 127.0.0.1 8081'
	[ "$output" = "$(printf 'ECONNREFUSED\nEACCES\nECONNREFUSED')" ]
	run "$KK" events --from-ring --json
	[[ "$output" == *'"reason":"too many concurrent connections"'* ]]
}

# ends.py: the bound side of the test below. One place (max_concurrent_trades 1); each case makes
# one counted socket, ends it one way, then a probe connect to 127.0.0.1:8081 (no listener)
# must get ECONNREFUSED, not EACCES, within 3 s (a closed TCP connection is freed by its FIN
# exchange, in softirq). The first socket is made before the bind (no storage then) and
# connected with sctp_connectx, a path that records no peer on the socket.
ends_py() {
	cat <<'PY'
import errno, os, signal, socket, struct, time
def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))
def probe():
    end = time.time() + 3
    while True:
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", 8081))
            r = "ok"
        except OSError as e:
            r = name(e)
        s.close()
        if r != "EACCES" or time.time() > end:
            return r
        time.sleep(0.05)
def case(label, make, end):
    try:
        s = make()
    except OSError as e:
        print(label, "made", name(e), flush=True)
        return
    end(s)
    print(label, probe(), flush=True)
def connect(fam, typ, addr, proto=0, opts=()):
    s = socket.socket(fam, typ, proto)
    for o in opts:
        s.setsockopt(socket.SOL_SOCKET, o, 1)
    if opts:
        s.bind((addr[0], 0))
    try:
        s.connect(addr)
    except ConnectionRefusedError:
        pass
    return s
def connectx(s):
    sa = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 8083) + socket.inet_aton("127.0.0.1")
    try:
        s.setsockopt(socket.IPPROTO_SCTP, 110, sa + bytes(8)) # SCTP_SOCKOPT_CONNECTX
    except ConnectionRefusedError:
        pass
    return s
def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
def peer_first(s):
    s.send(b"q") # the listener closes when it reads
    s.recv(1)
    s.close()
pre = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
os.kill(os.getpid(), signal.SIGSTOP) # bound here
print("start", probe(), flush=True)
case("sctp-connectx-prebind", lambda: connectx(pre), lambda s: s.close())
tcp = (socket.AF_INET, socket.SOCK_STREAM)
case("tcp-refused", lambda: connect(*tcp, ("127.0.0.1", 8081)), lambda s: s.close())
case("tcp-we-close", lambda: connect(*tcp, ("127.0.0.1", 8082)), lambda s: s.close())
case("tcp-peer-closes", lambda: connect(*tcp, ("127.0.0.1", 8082)), peer_first)
case("tcp-reset", lambda: connect(*tcp, ("127.0.0.1", 8082)), linger0)
case("tcp6", lambda: connect(socket.AF_INET6, socket.SOCK_STREAM, ("::1", 8082)), lambda s: s.close())
case("udp", lambda: connect(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 8081)), lambda s: s.close())
case("udp-reuseport", lambda: connect(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 8081),
     opts=(socket.SO_REUSEPORT,)), lambda s: s.close())
case("sctp", lambda: connect(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 8083),
     socket.IPPROTO_SCTP), lambda s: s.close())
held = connect(*tcp, ("127.0.0.1", 8082))
print("held", probe(), flush=True)
PY
}

# listen_py: an unbound listener on 127.0.0.1:8082 and [::1]:8082 that closes a connection when
# it reads from it (or sees it close).
listen_py() {
	cat <<'PY'
import select, socket
ls = [socket.create_server(("127.0.0.1", 8082)),
      socket.create_server(("::1", 8082), family=socket.AF_INET6)]
print("ready", flush=True)
conns = []
while True:
    r, _, _ = select.select(ls + conns, [], [])
    for s in r:
        if s in ls:
            conns.append(s.accept()[0])
        else:
            try:
                s.recv(1)
            except OSError:
                pass
            conns.remove(s)
            s.close()
PY
}

@test "max_concurrent_trades: every way a counted socket ends gives its place back" {
	modprobe sctp
	policy "$BATS_TEST_TMPDIR/ends.json" "\"execution_constraints\": {\"max_concurrent_trades\": 1}, \"network_rules\": {\"allowed_hosts\": [\"127.0.0.1:8081\", \"127.0.0.1:8082\", \"127.0.0.1:8083\", \"[::1]:8082\"], \"allowed_socket_types\": [\"sctp\"]}, $files"
	listen_py >"$BATS_TEST_TMPDIR/listen.py"
	ends_py >"$BATS_TEST_TMPDIR/ends.py"
	python3 "$BATS_TEST_TMPDIR/listen.py" >"$BATS_TEST_TMPDIR/listen.out" 2>&1 3>&- &
	LISTEN_PID=$!
	local i
	for i in $(seq 200); do grep -q ready "$BATS_TEST_TMPDIR/listen.out" && break; sleep 0.05; done
	python3 "$BATS_TEST_TMPDIR/ends.py" >"$BATS_TEST_TMPDIR/bound.out" 2>&1 </dev/null 3>&- &
	BOUND_PID=$!
	wait_stopped "$BOUND_PID"
	"$KK" bind --pid "$BOUND_PID" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" \
		--policy "$BATS_TEST_TMPDIR/ends.json" --offline
	kill -CONT "$BOUND_PID"
	bound_wait
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' "start ECONNREFUSED" "sctp-connectx-prebind ECONNREFUSED" \
		"tcp-refused ECONNREFUSED" "tcp-we-close ECONNREFUSED" "tcp-peer-closes ECONNREFUSED" \
		"tcp-reset ECONNREFUSED" "tcp6 ECONNREFUSED" "udp ECONNREFUSED" \
		"udp-reuseport ECONNREFUSED" "sctp ECONNREFUSED" "held EACCES")" ]
}

@test "audit mode allows what enforce would deny, and reports it as action.audited" {
	policy "$BATS_TEST_TMPDIR/audit.json" "\"mode\": \"audit\", $files"
	try_bound "$BATS_TEST_TMPDIR/audit.json" --pid open /etc/shadow
	[ "${lines[1]}" = ok ]
	[ "$(event_field "${lines[0]}" 'e["event_type"], e["decision"], e["reason"], e["errno"]')" = \
		"action.audited, audit, path not in scope, EACCES" ]
}

@test "\"audit\": \"all\" also reports allowed actions" {
	policy "$BATS_TEST_TMPDIR/all.json" "\"audit\": \"all\", $files"
	try_bound "$BATS_TEST_TMPDIR/all.json" --pid open /data/out/f
	[ "${lines[1]}" = ok ]
	[ "$(event_field "${lines[0]}" 'e["event_type"], e["decision"], e["action"]["path"], e["errno"]')" = \
		"action.allowed, allow, /data/out/f, None" ]
}
