# SPDX-License-Identifier: GPL-2.0-only
# Shared by tests/kernel/*.bats (run as root inside the VM by scripts/vmtest.sh).
KK=${KAKUNIN_BIN:-$BATS_TEST_DIRNAME/../../build/kakunin-bpf}
TRY=${KAKUNIN_TESTS_BIN:-$BATS_TEST_DIRNAME/../../build/tests}/kk-try
export TRY

# lsm_programs: how many LSM programs of the built object the running kernel has hooks for,
# which is how many `load` attaches (scripts/hooks-check counts them).
lsm_programs() {
	"$BATS_TEST_DIRNAME/../../scripts/hooks-check" --btf /sys/kernel/btf/vmlinux \
		--object "$(dirname "$KK")/kakunin.bpf.o" 2>/dev/null |
		sed -n 's/.*; \([0-9]*\) programs.*/\1/p'
}

# kk_unload ARGS...: "$KK" unload, after adding this load's path cache shadow counters ("HITS
# MISMATCHES") to $KK_SHADOW_LOG when it is set: scripts/check.sh runs the kernel suite with
# KAKUNIN_PATH_CACHE=shadow, and zz-shadow.bats, last in every guest, sums them.
kk_unload() {
	[ -z "${KK_SHADOW_LOG:-}" ] || "$KK" status --json 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin).get("counters", {})
print(c.get("path_cache_shadow_hits", 0), c.get("path_cache_shadow_mismatches", 0))' \
		>>"$KK_SHADOW_LOG" 2>/dev/null || true
	"$KK" unload "$@"
}

# make_pki DIR [AGENT...]: a CA (DIR/ca.pem) and one certificate per agent id (DIR/AGENT.pem,
# CN = the agent id), made with the openssl CLI. Valid 30 days: longer than the daemon's
# default expiry_warning_seconds (7 days), so no test sees an agent.expiring it did not ask for.
make_pki() {
	local dir=$1 a
	shift
	mkdir -p "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 31 \
		-subj "/CN=kakunin test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
	for a in "$@"; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$a" \
			-keyout "$dir/$a.key" -out "$dir/$a.csr" 2>/dev/null
		openssl x509 -req -in "$dir/$a.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-set_serial "0x$(openssl rand -hex 8)" -days 30 -out "$dir/$a.pem" 2>/dev/null
	done
}

# pki_setup: the PKI of a test file, once (setup_file). Agent "agent" is the default.
pki_setup() {
	PKI=$BATS_FILE_TMPDIR/pki
	[ -f "$PKI/agent.pem" ] || make_pki "$PKI" agent other
	export PKI
}

# policy FILE JSON-MEMBERS: a policy for agent "agent" with the given members. The test
# helpers' directory is added with read and exec (and to an exec list), since every bound test
# process is a kk-try or a shell exec'ing one.
policy() {
	printf '{"agent_id": "agent", "version": "t1"%s%s}\n' "${2:+, }" "$2" >"$1.in"
	python3 - "$1.in" "$1" "$(dirname "$(readlink -f "$TRY")")" "$(readlink -f "$TRY")" <<'PY'
import json, sys
src, dst, tdir, tbin = sys.argv[1:5]
p = json.load(open(src))
p.setdefault("data_access", {}).setdefault(tdir + "/*", ["read", "exec"])
if "exec" in p:
    p["exec"].append(tbin)
json.dump(p, open(dst, "w"), indent=1)
PY
	rm -f "$1.in"
}

# wait_stopped PID: until the process is in state T (stopped), at most 10 s.
wait_stopped() {
	local i state
	for i in $(seq 1000); do
		state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)
		[ "$state" = T ] && return 0
		sleep 0.01
	done
	echo "process $1 never stopped (state '$state')" >&2
	return 1
}

# bound_start POLICY CMD...: start CMD bound to POLICY as agent "agent" before it runs one
# instruction of its own: a shell stops itself, is bound by PID, continued, then execs CMD.
# Sets BOUND_PID and BOUND_SLOT; CMD's output goes to $BATS_TEST_TMPDIR/bound.out.
# KK_CERT overrides the certificate; KK_RESOLVE=1 binds without --offline (names resolved).
bound_start() {
	local pol=$1 out
	shift
	sh -c 'kill -STOP $$; exec "$@"' kk-bound "$@" >"$BATS_TEST_TMPDIR/bound.out" 2>&1 \
		</dev/null &
	BOUND_PID=$!
	wait_stopped "$BOUND_PID" || return 1
	out=$("$KK" bind --pid "$BOUND_PID" --cert "${KK_CERT:-$PKI/agent.pem}" --ca "$PKI/ca.pem" \
		--policy "$pol" $([ -n "${KK_RESOLVE:-}" ] || echo --offline)) || {
		kill -9 "$BOUND_PID"
		return 1
	}
	BOUND_SLOT=$(echo "$out" | sed -n 's/.*binding \([0-9]*\),.*/\1/p')
	kill -CONT "$BOUND_PID"
}

# bound_wait: wait for the bound_start'ed command; sets $status, $output and $lines.
bound_wait() {
	status=0
	wait "$BOUND_PID" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/bound.out")
	mapfile -t lines <<<"$output"
}

# bound_run POLICY CMD...: bound_start + bound_wait.
bound_run() {
	bound_start "$@" || return 1
	bound_wait
}

# try_bound POLICY KK-TRY-ARGS...: kk-try bound to POLICY; $output is its one word.
try_bound() {
	local pol=$1
	shift
	bound_run "$pol" "$TRY" "$@"
}

# try_late POLICY KK-TRY-ARGS...: like try_bound, but kk-try is bound after it was exec'd (for
# policies under which the bound task could not exec it, e.g. outside allowed_hours).
try_late() {
	local pol=$1 out
	shift
	"$TRY" --pid --stop "$@" >"$BATS_TEST_TMPDIR/bound.out" 2>&1 </dev/null &
	BOUND_PID=$!
	wait_stopped "$BOUND_PID" || return 1
	out=$("$KK" bind --pid "$BOUND_PID" --cert "${KK_CERT:-$PKI/agent.pem}" --ca "$PKI/ca.pem" \
		--policy "$pol" --offline) || {
		kill -9 "$BOUND_PID"
		return 1
	}
	kill -CONT "$BOUND_PID"
	bound_wait
}

# A daemon a test has just sent SIGTERM still holds the ring's consumer lock while it writes what
# is left; wait (at most 10 s) until it lets go, so --from-ring is not refused for it.
consumer_free() {
	local f=${KAKUNIN_STATE_DIR:-/var/lib/kakunin}/consumer.lock i
	for ((i = 0; i < 100; i++)); do
		[ -e "$f" ] || return 0
		flock -n "$f" true && return 0
		sleep 0.1
	done
}

# events_for_pid PID: the JSON event lines of PID still waiting in the ring (consumes it).
events_for_pid() {
	consumer_free
	"$KK" events --from-ring --json | grep -F "\"pid\":$1,"
}

# event_field PID PY-EXPR: evaluate PY-EXPR on the last event of PID (bound as `e`) and print
# it; a tuple prints as its members joined by ", ".
event_field() {
	events_for_pid "$1" | tail -n 1 | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(", ".join(map(str, v)) if isinstance(v, tuple) else v)' "$2"
}

# hook_event PID HOOK PY-EXPR: like event_field, on the first event of PID from HOOK.
hook_event() {
	events_for_pid "$1" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["hook"] == sys.argv[1]:
        v = eval(sys.argv[2])
        print(", ".join(map(str, v)) if isinstance(v, tuple) else v)
        break' "$2" "$3"
}

# Drain the ring so a test only sees its own events.
drain_events() {
	consumer_free
	"$KK" events --from-ring --json >/dev/null
}

# serial_of CERT: its serial as kakunin-bpf prints it (lowercase hex).
serial_of() {
	openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr A-F a-f
}

# fresh_cert: a new agent certificate from the test CA, for a test that revokes it; its path.
fresh_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=agent" \
		-keyout "$BATS_TEST_TMPDIR/a.key" -out "$BATS_TEST_TMPDIR/a.csr" 2>/dev/null
	openssl x509 -req -in "$BATS_TEST_TMPDIR/a.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -out "$BATS_TEST_TMPDIR/a.pem" 2>/dev/null
	echo "$BATS_TEST_TMPDIR/a.pem"
}
