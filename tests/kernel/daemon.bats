#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 171 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# The daemon end to end: the hash-chained audit file, `events` through the daemon with filters,
# rotation keeping the chain, lost events reported, a full disk, SIGHUP reopening; DNS refresh
# from the state directory's copies of what a binding was made with; one consumer of the ring
# (a second daemon, events --from-ring); events that name their agent after the binding ended.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load --ringbuf-size 8192 # small: easy to overflow on purpose
	P=$BATS_FILE_TMPDIR/p.json
	policy "$P" '"exec": ["/usr/bin/dash"], "data_access": {"/data/*": ["read"]}, "audit": "all"'
	export P
}

teardown_file() {
	kk_unload --force
}

setup() {
	D=$BATS_TEST_TMPDIR
	mkdir -p /data && echo d >/data/f
	drain_events
}

teardown() {
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
	umount "$BATS_TEST_TMPDIR/full" 2>/dev/null || true
}

# start_daemon [JSON-MEMBERS]: a daemon writing $D/audit.jsonl, socket $D/ev.sock.
start_daemon() {
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"%s%s}\n' "$D" "$D" "${1:+, }" "${1:-}" >"$D/daemon.json"
	"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" &
	DPID=$!
	for i in $(seq 100); do [ -S "$D/ev.sock" ] && return 0; sleep 0.05; done
	cat "$D/daemon.err" >&2
	return 1
}

stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID"
	DPID=
}

@test "the daemon writes every event to a 0600 audit file whose chain verifies" {
	start_daemon
	try_bound "$P" --pid open /etc/shadow
	local pid=${lines[0]}
	try_bound "$P" open /data/f
	sleep 1.5
	stop_daemon
	[ "$(stat -c %a "$D/audit.jsonl")" = 600 ]
	run "$KK" audit verify "$D/audit.jsonl"
	[ "$status" -eq 0 ]
	[[ "$output" == "kakunin-bpf: "*" lines verified, hash chain intact, last hash "[0-9a-f]* ]]
	grep -q "\"pid\":$pid,.*\"action\":{\"path\":\"/etc/shadow\",\"access\":\"read\"},\"decision\":\"deny\"" "$D/audit.jsonl"
	grep -q '"event_type":"agent.bound","agent_id":"agent"' "$D/audit.jsonl"
	# seq counts 1, 2, 3 ... without gaps
	python3 - "$D/audit.jsonl" <<'PY'
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
assert seqs == list(range(1, len(seqs) + 1)), seqs
PY
	# An edited line is caught, with its line number.
	sed -i '2s/"pid":[0-9]*/"pid":1/' "$D/audit.jsonl"
	run --separate-stderr "$KK" audit verify "$D/audit.jsonl"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: audit: $D/audit.jsonl:2: "* ]]
}

@test "events --follow through the daemon, filtered by agent and type" {
	start_daemon
	"$KK" events --follow --socket "$D/ev.sock" --type action.denied --agent agent --json >"$D/f.out" &
	local fpid=$!
	sleep 0.5
	try_bound "$P" open /data/f
	try_bound "$P" --pid open /etc/shadow
	local pid=${lines[0]}
	sleep 1
	kill -INT "$fpid"
	wait "$fpid" || true
	[ "$(wc -l <"$D/f.out")" -eq 1 ]
	grep -q "\"event_type\":\"action.denied\",\"agent_id\":\"agent\".*\"pid\":$pid," "$D/f.out"
	# Without --follow: the recent events, filtered, then the command ends.
	run "$KK" events --socket "$D/ev.sock" --type agent --text
	[ "$status" -eq 0 ]
	[[ "$output" == *"agent.bound pid="*"agent=agent"* ]]
	[[ "$output" != *"action."* ]]
}

@test "rotation keeps one hash chain across the files" {
	start_daemon '"max_file_bytes": 4096, "keep_files": 100'
	for i in $(seq 12); do try_bound "$P" open /etc/shadow; sleep 0.3; done
	sleep 1.5
	stop_daemon
	[ -e "$D/audit.jsonl.1" ]
	files=$(ls "$D"/audit.jsonl.* | sort -t. -k3 -n -r | tr '\n' ' ')
	run "$KK" audit verify $files "$D/audit.jsonl"
	[ "$status" -eq 0 ]
	# A later file alone does not start a chain, unless told it continues an older one.
	run --separate-stderr "$KK" audit verify "$D/audit.jsonl.1"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"prev_hash of the first line is not 64 zeros"* ]]
	run "$KK" audit verify --any-start "$D/audit.jsonl.1" "$D/audit.jsonl"
	[ "$status" -eq 0 ]
}

@test "an overflowing ring becomes an events.lost line with the count" {
	start_daemon
	kill -STOP "$DPID"
	bound_run "$P" sh -c 'i=0; while [ $i -lt 300 ]; do read -r l </etc/shadow 2>/dev/null; i=$((i + 1)); done; exit 0'
	kill -CONT "$DPID"
	sleep 2
	stop_daemon
	run python3 - "$D/audit.jsonl" <<'PY'
import json, sys
lost = [json.loads(l) for l in open(sys.argv[1]) if '"events.lost"' in l]
assert lost and lost[0]["count"] > 0, lost
assert lost[0]["reason"] == "event ring full", lost
print(lost[0]["count"])
PY
	[ "$status" -eq 0 ]
	run "$KK" status --json
	[[ "$output" == *'"events_lost":'[1-9]* ]]
	run "$KK" audit verify "$D/audit.jsonl"
	[ "$status" -eq 0 ]
}

@test "a full disk is reported once; enforcement goes on; the events follow when space returns" {
	mkdir -p "$D/full"
	mount -t tmpfs -o size=256k tmpfs "$D/full"
	head -c 262144 /dev/zero >"$D/full/filler" || true
	# Denials only (no "audit": "all"), so what is kept in memory fits once space returns.
	policy "$D/quiet.json" '"exec": ["/usr/bin/dash"], "data_access": {"/data/*": ["read"]}'
	printf '{"audit_file": "%s/full/audit.jsonl", "socket": "%s/ev.sock"}\n' "$D" "$D" >"$D/daemon.json"
	"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" &
	DPID=$!
	sleep 0.5
	for i in $(seq 20); do try_bound "$D/quiet.json" open /etc/shadow; [ "$output" = EACCES ]; done
	sleep 1.5
	kill -0 "$DPID"
	[ "$(grep -c 'writing the audit file .* failed: No space left on device' "$D/daemon.err")" -eq 1 ]
	rm "$D/full/filler"
	sleep 2
	stop_daemon
	grep -q 'works again' "$D/daemon.err"
	[ "$(grep -c '"/etc/shadow"' "$D/full/audit.jsonl")" -ge 20 ]
	run "$KK" audit verify "$D/full/audit.jsonl"
	[ "$status" -eq 0 ]
	umount "$D/full"
}

# fsize PID SOFT: set the soft RLIMIT_FSIZE of PID from outside (an operator's mistake, say).
fsize() {
	prlimit --pid "$1" --fsize="$2":unlimited
	[ "$(prlimit --pid "$1" --fsize --noheadings --output SOFT | tr -d " ")" = "$2" ]
}

@test "a file size limit of 0 on the daemon: it lives on, and what it could not write is events.lost with the reason" {
	# Denials only, and 4 KiB for unwritten lines: most of the 41 events cannot wait. (2>/dev/null
	# first: the shell's complaint about the refused open goes there, not to bound.out.)
	policy "$D/quiet.json" '"exec": ["/usr/bin/dash"], "data_access": {"/data/*": ["read"]}'
	start_daemon '"max_unwritten_bytes": 4096'
	fsize "$DPID" 0
	bound_start "$D/quiet.json" sh -c 'n=0; i=0; while [ $i -lt 40 ]; do read -r l 2>/dev/null </etc/shadow || n=$((n + 1)); i=$((i + 1)); done; echo $n; kill -STOP $$'
	local pid=$BOUND_PID
	wait_stopped "$pid"
	sleep 1.5
	# No SIGXFSZ death, nothing written, and enforcement went on: 40 reads refused.
	kill -0 "$DPID"
	[ ! -s "$D/audit.jsonl" ]
	[ "$(cat "$D/bound.out")" = 40 ]
	fsize "$DPID" unlimited
	sleep 2
	kill -9 "$pid"
	stop_daemon
	grep -q 'writing the audit file .* works again' "$D/daemon.err"
	# Every one of the 41 events (agent.bound, 40 denials) is a line or counted as lost.
	run python3 - "$D/audit.jsonl" "$pid" <<'PY'
import json, sys
pid = int(sys.argv[2])
ev = [json.loads(l) for l in open(sys.argv[1])]
assert [e["seq"] for e in ev] == list(range(1, len(ev) + 1)), "seq has gaps"
lost = [e for e in ev if e["event_type"] == "events.lost"]
write = [e for e in lost if e["reason"] == "write failed: File too large"]
assert len(write) == 1 and write[0]["count"] > 0, lost
mine = [e for e in ev if e["pid"] == pid and (e["event_type"] == "agent.bound" or
        (e["event_type"] == "action.denied" and e["action"].get("path") == "/etc/shadow"))]
assert len(mine) + sum(e["count"] for e in lost) == 41, (len(mine), lost)
print(write[0]["count"])
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" -gt 20 ]
	run "$KK" audit verify "$D/audit.jsonl"
	[ "$status" -eq 0 ]
}

@test "SIGHUP reopens the audit file by name; the chain continues in the new file" {
	start_daemon
	try_bound "$P" open /etc/shadow
	sleep 1.5
	mv "$D/audit.jsonl" "$D/audit.jsonl.old"
	kill -HUP "$DPID"
	sleep 0.5
	try_bound "$P" open /etc/shadow
	sleep 1.5
	stop_daemon
	[ -s "$D/audit.jsonl" ]
	run "$KK" audit verify "$D/audit.jsonl.old" "$D/audit.jsonl"
	[ "$status" -eq 0 ]
}

@test "the daemon re-resolves the hostnames of bound policies" {
	cp /etc/hosts "$D/hosts.orig"
	echo "127.0.0.5 kk-dyn.test" >>/etc/hosts
	policy "$D/dns.json" '"exec": ["/usr/bin/dash", "/usr/bin/sleep"], "network_rules": {"allowed_hosts": ["kk-dyn.test:8081"]}'
	start_daemon '"dns_refresh_seconds": 1'
	sh -c 'kill -STOP $$; exec sh -c "sleep 3; \"\$TRY\" connect tcp 127.0.0.5 8081; \"\$TRY\" connect tcp 127.0.0.6 8081"' >"$D/o" 2>&1 &
	local pid=$!
	wait_stopped "$pid"
	"$KK" bind --pid "$pid" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$D/dns.json"
	sed -i 's/^127.0.0.5 kk-dyn.test$/127.0.0.6 kk-dyn.test/' /etc/hosts
	kill -CONT "$pid"
	wait "$pid" || true
	cp "$D/hosts.orig" /etc/hosts
	[ "$(cat "$D/o")" = "$(printf 'EACCES\nECONNREFUSED')" ]
}

@test "bind takes a name that does not resolve yet (one warning line); the refresh adds it" {
	cp /etc/hosts "$D/hosts.orig"
	policy "$D/later.json" '"exec": ["/usr/bin/dash", "/usr/bin/sleep"], "network_rules": {"allowed_hosts": ["kk-later.invalid:8081"]}'
	start_daemon '"dns_refresh_seconds": 1'
	# Connects once (its answer shows in $D/o), then again once the name has had time to appear.
	sh -c 'kill -STOP $$; exec sh -c "\"\$TRY\" connect tcp 127.0.0.5 8081; sleep 4; \"\$TRY\" connect tcp 127.0.0.5 8081"' >"$D/o" 2>&1 &
	local pid=$!
	wait_stopped "$pid"
	run --separate-stderr "$KK" bind --pid "$pid" --cert "$PKI/agent.pem" --ca "$PKI/ca.pem" --policy "$D/later.json"
	[ "$status" -eq 0 ]
	[[ "$stderr" == "kakunin-bpf: bind: warning: $D/later.json:"*": network_rules.allowed_hosts[0]: \"kk-later.invalid\" does not resolve (getaddrinfo: "*"): bound without addresses for now; the daemon's DNS refresh adds them once it resolves" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$output" == "kakunin-bpf: bound PID $pid as agent "* ]]
	kill -CONT "$pid"
	for i in $(seq 200); do [ -s "$D/o" ] && break; sleep 0.05; done
	echo "127.0.0.5 kk-later.invalid" >>/etc/hosts
	wait "$pid" || true
	cp "$D/hosts.orig" /etc/hosts
	[ "$(cat "$D/o")" = "$(printf 'EACCES\nECONNREFUSED')" ]
}

@test "the daemon refreshes from its copies: the user's policy, certificate and CA may go" {
	local state=${KAKUNIN_STATE_DIR:-/var/lib/kakunin}/bindings slot out
	cp /etc/hosts "$D/hosts.orig"
	echo "127.0.0.5 kk-dyn.test" >>/etc/hosts
	policy "$D/dns.json" '"exec": ["/usr/bin/dash", "/usr/bin/sleep"], "network_rules": {"allowed_hosts": ["kk-dyn.test:8081"]}'
	cp "$PKI/agent.pem" "$PKI/ca.pem" "$D/"
	start_daemon '"dns_refresh_seconds": 1'
	sh -c 'kill -STOP $$; exec sh -c "sleep 3; \"\$TRY\" connect tcp 127.0.0.5 8081; \"\$TRY\" connect tcp 127.0.0.6 8081"' >"$D/o" 2>&1 &
	local pid=$!
	wait_stopped "$pid"
	out=$("$KK" bind --pid "$pid" --cert "$D/agent.pem" --ca "$D/ca.pem" --policy "$D/dns.json")
	slot=$(echo "$out" | sed -n 's/.*binding \([0-9]*\),.*/\1/p')
	# The record names the copies, private to root, not the user's files.
	grep -Eq "\"policy\":[[:space:]]*\"$state/$slot-[0-9]+\.policy\.json\"" "$state/$slot.json"
	grep -Eq "\"cert\":[[:space:]]*\"$state/$slot-[0-9]+\.cert\.pem\"" "$state/$slot.json"
	[ "$(stat -c %a "$state" "$state/$slot.json" "$state/$slot"-*.* | sort -u | tr '\n' ' ')" = "600 700 " ]
	rm "$D/dns.json" "$D/agent.pem" "$D/ca.pem"
	sed -i 's/^127.0.0.5 kk-dyn.test$/127.0.0.6 kk-dyn.test/' /etc/hosts
	kill -CONT "$pid"
	wait "$pid" || true
	# Until it is reaped the binding is refreshed on, and kk-dyn.test resolves no more below.
	cp "$D/daemon.err" "$D/daemon.err.bound"
	cp "$D/hosts.orig" /etc/hosts
	[ "$(cat "$D/o")" = "$(printf 'EACCES\nECONNREFUSED')" ]
	[ -z "$(grep 'not refreshed' "$D/daemon.err.bound")" ]
	# The binding ended with its process: its record and copies go with it; who it was stays,
	# retained for its events still in the ring.
	for i in $(seq 40); do [ -e "$state/$slot.json" ] || break; "$KK" status >/dev/null; sleep 0.25; done
	[ ! -e "$state/$slot.json" ]
	[ -z "$(find "$state" -maxdepth 1 -name "$slot-*")" ]
	grep -q '"agent_id":"agent"' "$state/ended/$slot-"*.json
}

# check_named FILE PID: the action.denied of PID in FILE (JSON lines) names agent "agent" with
# agent.pem's serial, policy version t1, this host and kk-try as its executable.
check_named() {
	python3 - "$1" "$2" "$(serial_of "$PKI/agent.pem")" "$(hostname)" "$(readlink -f "$TRY")" <<'PY'
import json, sys
path, pid, serial, host, exe = sys.argv[1:6]
evs = [json.loads(l) for l in open(path) if l.startswith("{")]
d = [e for e in evs if e["pid"] == int(pid) and e["event_type"] == "action.denied"]
assert len(d) == 1, evs
e = d[0]
assert e["action"] == {"path": "/etc/shadow", "access": "read"}, e
assert e["agent_id"] == "agent" and e["agent_cert_serial"] == serial, e
assert e["policy_version"] == "t1" and e["host"] == host and e["exe"] == exe, e
PY
}

@test "read from the ring after the binding ended, a denial names agent, serial, version, host, exe" {
	try_bound "$P" --pid open /etc/shadow
	local pid=${lines[0]}
	"$KK" unbind --serial "$(serial_of "$PKI/agent.pem")"
	run --separate-stderr "$KK" events --from-ring --json
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$D/ring.out"
	check_named "$D/ring.out" "$pid"
	# Retained, not deleted, with the binding's copies.
	ls "${KAKUNIN_STATE_DIR:-/var/lib/kakunin}/bindings/ended/" | grep -q "^$BOUND_SLOT-[0-9]*\.json\$"
}

@test "a daemon started after the binding ended names the agent of what it finds in the ring" {
	bound_start "$P" sh -c 'while [ ! -e "$1" ]; do :; done; exec "$2" --pid open /etc/shadow' \
		sh "$D/go" "$TRY"
	drain_events # agent.bound, which would tell the daemon who the binding was, is gone
	touch "$D/go"
	bound_wait
	local pid=${lines[0]}
	"$KK" unbind --serial "$(serial_of "$PKI/agent.pem")"
	start_daemon
	sleep 1.5
	stop_daemon
	check_named "$D/audit.jsonl" "$pid"
}

@test "a second daemon exits 1 naming the first; the first keeps its socket and its chain" {
	start_daemon
	local ino
	ino=$(stat -c %i "$D/ev.sock")
	printf '{"audit_file": "%s/audit2.jsonl", "socket": "%s/ev.sock"}\n' "$D" "$D" >"$D/two.json"
	run --separate-stderr timeout 10 "$KK" daemon --config "$D/two.json"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: daemon: the event ring already has its consumer, pid $DPID (it holds ${KAKUNIN_STATE_DIR:-/var/lib/kakunin}/consumer.lock): one daemon per host" ]
	[ ! -e "$D/audit2.jsonl" ]
	[ "$(stat -c %i "$D/ev.sock")" = "$ino" ]
	try_bound "$P" --pid open /etc/shadow
	local pid=${lines[0]}
	sleep 1
	run "$KK" events --socket "$D/ev.sock" --type action.denied --json
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"pid\":$pid,"* ]]
	stop_daemon
	run "$KK" audit verify "$D/audit.jsonl"
	[ "$status" -eq 0 ]
}

@test "events without a daemon fails and says how; --from-ring is refused while a daemon runs" {
	run --separate-stderr "$KK" events --socket "$D/none.sock"
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: events: $D/none.sock: no daemon answers: start \`kakunin-bpf daemon\`, or read the kernel's ring directly with \`kakunin-bpf events --from-ring\`" ]
	run --separate-stderr "$KK" events --json --socket "$D/none.sock"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 -c 'import json, sys; e = json.loads(sys.argv[1])["error"]; assert e["errno"] == "ECONNREFUSED" and "--from-ring" in e["why"], e' "$output"
	start_daemon
	run --separate-stderr "$KK" events --from-ring --json
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 -c 'import json, sys; e = json.loads(sys.argv[1])["error"]; assert e["errno"] == "EBUSY" and e["why"].startswith("pid %s consumes it" % sys.argv[2]), e' "$output" "$DPID"
	# Nothing was taken from the ring: the denial made now reaches the audit file.
	try_bound "$P" --pid open /etc/shadow
	local pid=${lines[0]}
	sleep 1.5
	stop_daemon
	grep -q "\"pid\":$pid,.*\"decision\":\"deny\"" "$D/audit.jsonl"
	# --from-ring holds the ring in turn: a daemon started meanwhile is refused.
	"$KK" events --from-ring --follow --json >"$D/f.out" &
	local fpid=$!
	sleep 0.5
	run --separate-stderr timeout 10 "$KK" daemon --config "$D/daemon.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"already has its consumer, pid $fpid "* ]]
	kill -INT "$fpid"
	wait "$fpid"
}

@test "a torn last line at start: the file is moved aside whole, one line says so, a new chain" {
	printf '{"seq":1,"event_type":"action.den' >"$D/audit.jsonl"
	start_daemon
	try_bound "$P" open /etc/shadow
	sleep 1.5
	stop_daemon
	local aside
	aside=$(ls "$D"/audit.jsonl.broken-*)
	[ "$(cat "$aside")" = '{"seq":1,"event_type":"action.den' ]
	grep -Fqx "kakunin-bpf: daemon: $D/audit.jsonl: last line: no final newline: the last line is incomplete (a truncated write); moved to $aside, starting a new chain" "$D/daemon.err"
	run "$KK" audit verify "$D/audit.jsonl"
	[ "$status" -eq 0 ]
}

@test "a torn last line that cannot be moved aside: the daemon refuses to start, file untouched" {
	printf '{"seq":1,"x' >"$D/audit.jsonl"
	mount --bind "$D/audit.jsonl" "$D/audit.jsonl" # a mount point: rename() says EBUSY
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"}\n' "$D" "$D" >"$D/daemon.json"
	run --separate-stderr timeout 20 "$KK" daemon --config "$D/daemon.json"
	umount "$D/audit.jsonl"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: daemon: $D/audit.jsonl: last line: no final newline: the last line is incomplete (a truncated write); cannot move it to $D/audit.jsonl.broken-"*": Device or resource busy" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(cat "$D/audit.jsonl")" = '{"seq":1,"x' ]
}

@test "DNS refresh resolves without the maps lock: a revoke does not wait for a hung resolver" {
	local cert serial pid ns t0 t1
	cp /etc/resolv.conf "$D/resolv.orig"
	cert=$(fresh_cert)
	serial=$(serial_of "$cert")
	policy "$D/slow.json" '"exec": ["/usr/bin/dash", "/usr/bin/sleep"], "network_rules": {"allowed_hosts": ["kk-a.invalid", "kk-b.invalid"]}'
	sleep 60 &
	pid=$!
	# Bound while nothing resolves (no resolver answers fast: the names are pending).
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >/etc/resolv.conf
	"$KK" bind --pid "$pid" --cert "$cert" --ca "$PKI/ca.pem" --policy "$D/slow.json" 2>/dev/null
	# Now a resolver that takes every query and never answers: each refresh waits 2 x 4 s.
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.53", 53))
while True: s.recvfrom(512)' &
	ns=$!
	printf 'nameserver 127.0.0.53\noptions timeout:4 attempts:1\n' >/etc/resolv.conf
	start_daemon '"dns_refresh_seconds": 1'
	sleep 2.5 # the first refresh (1 s after start) is waiting on the resolver
	t0=$(date +%s%N)
	run --separate-stderr "$KK" revoke --serial "$serial" --no-stop
	t1=$(date +%s%N)
	cp "$D/resolv.orig" /etc/resolv.conf
	kill "$ns" "$pid" 2>/dev/null || true
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: revoked serial $serial (any issuer): 1 binding" ]
	# Under the lock it would have waited for the rest of the refresh (up to 8 s).
	echo "revoke took $(((t1 - t0) / 1000000)) ms" >&2
	[ $(((t1 - t0) / 1000000)) -lt 2500 ]
}
