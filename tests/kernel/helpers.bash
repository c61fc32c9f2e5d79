# SPDX-License-Identifier: GPL-2.0-only
# Shared by tests/kernel/*.bats (run as root inside the VM by scripts/vmtest.sh).
KK=${KAKUNIN_BIN:-$BATS_TEST_DIRNAME/../../build/kakunin-bpf}
TRY=${KAKUNIN_TESTS_BIN:-$BATS_TEST_DIRNAME/../../build/tests}/kk-try
export TRY

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

# bound_start PREFIX CMD...: start CMD bound to a deny-prefix before it runs one instruction of
# its own: a shell stops itself, is bound by PID, continued, then execs CMD. Sets BOUND_PID and
# BOUND_ID (the binding id); CMD's output goes to $BATS_TEST_TMPDIR/bound.out.
bound_start() {
	local prefix=$1 out
	shift
	sh -c 'kill -STOP $$; exec "$@"' kk-bound "$@" >"$BATS_TEST_TMPDIR/bound.out" 2>&1 \
		</dev/null &
	BOUND_PID=$!
	wait_stopped "$BOUND_PID" || return 1
	out=$("$KK" bind --pid "$BOUND_PID" --deny-prefix "$prefix") || {
		kill -9 "$BOUND_PID"
		return 1
	}
	BOUND_ID=$(echo "$out" | sed -n 's/.* as binding \([0-9]*\) .*/\1/p')
	kill -CONT "$BOUND_PID"
}

# bound_wait: wait for the bound_start'ed command; sets $status and $output like bats' run.
bound_wait() {
	status=0
	wait "$BOUND_PID" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/bound.out")
	mapfile -t lines <<<"$output"
}

# bound_run PREFIX CMD...: bound_start + bound_wait.
bound_run() {
	bound_start "$@" || return 1
	bound_wait
}

# event_for PID: the JSON event lines of PID still waiting in the ring (consumes the ring).
events_for_pid() {
	"$KK" events --json | grep -F "\"pid\":$1,"
}
