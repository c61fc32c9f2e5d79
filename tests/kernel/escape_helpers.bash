# SPDX-License-Identifier: GPL-2.0-only
# escape_helpers.bash — the fixture of tests/kernel/escape.bats and what its attempts run with:
# the suite's policy, bound runs of kk-escape and kk-try, the events they caused and the matching
# of them, listeners that count what reached them, a daemon, and the exact-lines check.

ESC=${KAKUNIN_TESTS_BIN:-$BATS_TEST_DIRNAME/../../build/tests}/kk-escape

# escape_policy FILE [DATA-ACCESS-MEMBERS]: the suite's policy, with more data_access rules.
escape_policy() {
	python3 - "$1" "$(dirname "$(readlink -f "$TRY")")" "$(readlink -f "$TRY")" \
		"$(readlink -f "$ESC")" "${2:-}" <<'PY'
import json, sys
dst, tdir, try_bin, esc_bin, extra = sys.argv[1:6]
p = {"agent_id": "agent", "version": "escape-1",
     "exec": ["/usr/bin/python3", try_bin, esc_bin],
     "data_access": {"/data/in/*": ["read"], "/data/out/*": ["write"], tdir + "/*": ["read"]},
     "network_rules": {"allowed_hosts": ["127.0.0.1:8081"]}}
p["data_access"].update(json.loads("{" + extra + "}"))
json.dump(p, open(dst, "w"), indent=1)
PY
}

# The suite's fixture: kakunin-bpf loaded once with a small ring, fresh /data for each test,
# and whatever a test left running killed.
setup_file() {
	pki_setup
	export KAKUNIN_STATE_DIR=$BATS_FILE_TMPDIR/state
	"$KK" load --ringbuf-size 8192 # small: test 26 overflows it on purpose
	P=$BATS_FILE_TMPDIR/escape.json
	escape_policy "$P"
	RW=$BATS_FILE_TMPDIR/escape-rw.json # test 15: a library the agent may read and write
	escape_policy "$RW" '"/data/rw/*": ["read", "write"]'
	export P RW ESC
}

teardown_file() {
	kk_unload --force
}

setup() {
	rm -rf /data /tmp/kk-esc*
	mkdir -p /data/in /data/out
	echo in >/data/in/f
	echo out >/data/out/f
	EVF=$BATS_TEST_TMPDIR/events.jsonl
	: >"$EVF"
	: >"$BATS_TEST_TMPDIR/want"
	DPID= SCOPE=
	drain_events
}

teardown() {
	local job
	[ -z "$DPID" ] || stop_daemon || true
	# Whatever this test started and is still running: a bound agent, a listener, a server.
	for job in $(jobs -p); do
		kill -9 "$job" 2>/dev/null || true
	done
	[ -z "$SCOPE" ] || echo "$SCOPE" >/proc/sys/kernel/yama/ptrace_scope
	rmdir /sys/fs/cgroup/kk-esc-other 2>/dev/null || true
	rm -f /dev/shm/kk-esc-secret /run/docker.sock
}

# Move the events waiting in the ring into the test's event file (the ring is consumed once).
# While a daemon runs it is the ring's only reader: its audit file has the events then.
collect_events() {
	[ -n "$DPID" ] || "$KK" events --from-ring --json >>"$EVF"
}

# esc_run POLICY ARGS... / try_run POLICY ARGS...: kk-escape / kk-try bound to POLICY from its
# first instruction ($output, $lines, $status, $BOUND_PID), then collect its events.
esc_run() {
	local pol=$1
	shift
	bound_run "$pol" "$ESC" "$@"
	collect_events
}

try_run() {
	local pol=$1
	shift
	bound_run "$pol" "$TRY" "$@"
	collect_events
}

# want HOOK REASON ERRNO [PY-CONDITION]: a denial event of $BOUND_PID from HOOK ("*": any) with
# exactly this reason and errno must be found by check_events; the condition sees the event as
# `e` and its action as `a`.
want() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$BOUND_PID" "$1" "$2" "$3" "${4:-}" >>"$BATS_TEST_TMPDIR/want"
}

# check_events [FILE]: every event wanted since the last check is in FILE (default: the collected
# ring events).
check_events() {
	[ -n "${1:-}" ] || collect_events
	mv "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/wanted"
	: >"$BATS_TEST_TMPDIR/want"
	python3 - "${1:-$EVF}" "$BATS_TEST_TMPDIR/wanted" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
missing = 0
for w in open(sys.argv[2]):
    pid, hook, reason, err, cond = w.rstrip("\n").split("\t")
    mine = [e for e in events if str(e.get("pid")) == pid]
    def match(e):
        return (hook in ("*", e.get("hook")) and e.get("decision") == "deny" and
                e.get("reason") == reason and (e.get("errno") or "") == err and
                eval(cond or "True", {"e": e, "a": e.get("action") or {}}))
    if not any(match(e) for e in mine):
        missing += 1
        print("missing event: pid %s, hook %s, reason %r, errno %s%s" %
              (pid, hook, reason, err, ", " + cond if cond else ""))
        for e in mine:
            print("  pid %s has: %s" % (pid, json.dumps(
                {k: e.get(k) for k in ("event_type", "comm", "hook", "action", "reason", "errno")})))
sys.exit(1 if missing else 0)
PY
}

# wait_line FILE REGEX: until FILE has a line matching REGEX (at most 30 s).
wait_line() {
	local i
	for i in $(seq 1500); do
		grep -qxE "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	echo "no line '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

# start_listener SPEC...: an unbound kk-escape listener (tcp:ADDR:PORT udp:ADDR:PORT unix:PATH)
# logging every connection and datagram to $LOG; stopped in teardown.
start_listener() {
	LOG=$BATS_TEST_TMPDIR/listener.log
	"$ESC" listen "$LOG" "$@" 2>>"$LOG" &
	wait_line "$LOG" ready
}

# saw ADDR:PORT|PATH: connections accepted and datagrams received there.
saw() {
	sleep 0.2 # let the listener log what the kernel already delivered
	grep -cE "^(accept|data) [a-z0-9]+ $1( |\$)" "$LOG" || true
}

# start_daemon: a daemon consuming the ring into $D/audit.jsonl ($DPID).
start_daemon() {
	local i
	D=$BATS_TEST_TMPDIR
	printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/ev.sock"}\n' "$D" "$D" >"$D/daemon.json"
	"$KK" daemon --config "$D/daemon.json" >"$D/daemon.out" 2>"$D/daemon.err" &
	DPID=$!
	for i in $(seq 500); do [ -S "$D/ev.sock" ] && return 0; sleep 0.02; done
	cat "$D/daemon.err" >&2
	return 1
}

stop_daemon() {
	kill -CONT "$DPID" 2>/dev/null || true
	kill -TERM "$DPID"
	wait "$DPID" || true
	DPID=
}

counter() {
	"$KK" status --json | sed -n 's/.*"'"$1"'":\([0-9]*\).*/\1/p'
}

# note TEXT: a line in the TAP output (measurements worth seeing when the test passes).
note() {
	echo "# $*" >&3
}

lines_are() {
	[ "$output" = "$(printf '%s\n' "$@")" ] || {
		echo "expected:"; printf '  %s\n' "$@"; echo "got:"; printf '  %s\n' "${lines[@]}"
		return 1
	}
}

NG="access not granted by the path's rule"
NS="path not in scope"
PROT="self-protection: not allowed to a bound agent"
HOST="destination not in allowed_hosts"
