#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 28 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# The escape suite, other processes and the kernel (issue 14): the operator's terminal, the
# audit daemon's scheduling and limits, module autoloading, the kernel log, and what a revoked
# agent still tries. Same fixture and policy as escape.bats; exact errnos and denial events, and
# the target is checked to be untouched.
bats_require_minimum_version 1.5.0
load helpers
load escape_helpers

OUTSIDE="target outside the agent's binding"

# on_tty ARGS...: run `kakunin-bpf run ... -- kk-escape ARGS` in a new session whose controlling
# terminal is a pty (the operator's terminal); print what the agent printed, then "typed: X"
# with what arrived on that terminal's input (b'' when nothing).
on_tty() {
	python3 - "$KK" "$PKI" "$P" "$ESC" "$@" <<'PY'
import fcntl, os, pty, select, sys, termios, tty
kk, pki, pol, esc, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
m, s = pty.openpty()
tty.setraw(s)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(s, termios.TIOCSCTTY, 0)
    os.dup2(s, 0)
    os.dup2(w, 1)
    os.execv(kk, [kk, "run", "--cert", pki + "/agent.pem", "--ca", pki + "/ca.pem",
                  "--policy", pol, "--offline", "--", esc] + args)
os.close(w)
out = b""
while True:
    b = os.read(r, 4096)
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
ready, _, _ = select.select([s], [], [], 0.5)
print("typed:", os.read(s, 64) if ready else b"")
PY
}

@test "TIOCSTI, TIOCSPGRP, TIOCSCTTY on the operator's terminal get EPERM; nothing typed arrives" {
	run on_tty pid + tiocsti + tiocspgrp + tiocsctty
	[ "$status" -eq 0 ]
	BOUND_PID=${lines[0]}
	[ "${lines[1]}" = EPERM ]
	[ "${lines[2]}" = EPERM ]
	[ "${lines[3]}" = EPERM ]
	[ "${lines[4]}" = "typed: b''" ]
	want file_ioctl "$PROT" EPERM 'a == {"ioctl_cmd": 0x5412}'
	want file_ioctl "$PROT" EPERM 'a == {"ioctl_cmd": 0x5410}'
	want file_ioctl "$PROT" EPERM 'a == {"ioctl_cmd": 0x540e}'
	check_events
}

@test "renice, SCHED_IDLE, ioprio, affinity, prlimit(RLIMIT_FSIZE=0) of another process get EPERM; its own work" {
	sleep 60 &
	local victim=$!
	esc_run "$P" renice "$victim" + sched-idle "$victim" + ioprio "$victim" + affinity "$victim" \
		+ prlimit-fsize "$victim" + renice 0 + affinity 0
	lines_are EPERM EPERM EPERM EPERM EPERM ok ok
	[ "$(ps -o ni= -p "$victim" | tr -d ' ')" = 0 ]
	[ "$(grep -c 'Max file size *unlimited' "/proc/$victim/limits")" = 1 ]
	want task_setnice "$OUTSIDE" EPERM "a == {'target_pid': $victim}"
	want task_setscheduler "$OUTSIDE" EPERM "a == {'target_pid': $victim}"
	want task_setioprio "$OUTSIDE" EPERM "a == {'target_pid': $victim}"
	want task_setrlimit "$OUTSIDE" EPERM "a == {'target_pid': $victim}"
	check_events
}

@test "the audit daemon: prlimit(RLIMIT_FSIZE=0) and renice are refused; it goes on writing" {
	start_daemon
	esc_run "$P" prlimit-fsize "$DPID" + renice "$DPID" + open /etc/shadow rdonly
	lines_are EPERM EPERM EACCES
	sleep 0.5
	kill -0 "$DPID"
	want task_setrlimit "$OUTSIDE" EPERM "a == {'target_pid': $DPID}"
	want task_setnice "$OUTSIDE" EPERM "a == {'target_pid': $DPID}"
	want file_open "$NS" EACCES 'a == {"path": "/etc/shadow", "access": "read"}'
	stop_daemon
	check_events "$D/audit.jsonl"
}

@test "a module the agent makes the kernel look for (an unknown binary format) is refused; so is the kernel log" {
	# exec of a file with an unknown, non-text magic: the kernel asks modprobe for
	# binfmt-<bytes 2..3> before giving up with ENOEXEC.
	local pol=$BATS_TEST_TMPDIR/binfmt.json
	mkdir -p /data/x
	printf '\001\002\003\004%0252d' 0 >/data/x/blob
	chmod 755 /data/x/blob
	policy "$pol" '"data_access": {"/data/x/*": ["read", "exec"]}'
	local dr
	dr=$(cat /proc/sys/kernel/dmesg_restrict)
	echo 0 >/proc/sys/kernel/dmesg_restrict # so that only kakunin-bpf can refuse syslog(2)
	bound_run "$pol" "$ESC" syslog + exec /data/x/blob
	echo "$dr" >/proc/sys/kernel/dmesg_restrict
	collect_events
	lines_are EPERM ENOEXEC
	want kernel_module_request "$PROT" EPERM 'a == {"module": "binfmt-0403"}'
	want syslog "$PROT" EPERM 'a == {"syslog_type": 3}'
	check_events
}

@test "revoked (--no-stop): a new mmap of an fd from before, msgsnd, flock, fork, any ioctl are refused" {
	local cert
	cert=$(fresh_cert)
	KK_CERT=$cert bound_start "$P" "$ESC" open-at 5 /data/in/f rdonly + msgq-make \
		+ wait-go "$BATS_TEST_TMPDIR/go" + after-revoke 5
	wait_line "$BATS_TEST_TMPDIR/bound.out" ready
	run --separate-stderr "$KK" revoke --serial "$(serial_of "$cert")" --no-stop
	[ "$status" -eq 0 ]
	touch "$BATS_TEST_TMPDIR/go"
	bound_wait
	collect_events
	lines_are ok ok ready
	[ "$status" -eq 63 ] # mmap, msgsnd, flock, fork, TIOCSTI, read: each refused (see more.c)
	local r="certificate revoked"
	want mmap_file "$r" EACCES 'a == {"access": "read"}'
	want ipc_permission "$r" EACCES
	want file_lock "$r" EACCES
	want task_alloc "$r" EPERM
	want file_ioctl "$r" EPERM 'a == {"ioctl_cmd": 0x5412}'
	want file_permission "$r" EACCES 'a == {"path": "/data/in/f", "access": "read"}'
	check_events
}

@test "revoked: an agent pushing data into a pipe with vmsplice (no LSM hook) is stopped at once" {
	local cert n1 n2 i
	cert=$(fresh_cert)
	# fd 3: a pipe to an unbound reader outside the binding, as a shell pipeline would give.
	KK_CERT=$cert bound_start "$P" "$ESC" vmsplice-loop 3 3> >(cat >"$BATS_TEST_TMPDIR/piped")
	for i in $(seq 500); do grep -q '^tick 3$' "$BATS_TEST_TMPDIR/piped" && break; sleep 0.02; done
	run --separate-stderr "$KK" revoke --serial "$(serial_of "$cert")"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 task stopped"* ]]
	wait_stopped "$BOUND_PID"
	n1=$(wc -l <"$BATS_TEST_TMPDIR/piped")
	sleep 1
	n2=$(wc -l <"$BATS_TEST_TMPDIR/piped")
	[ "$n1" = "$n2" ]
	kill -9 "$BOUND_PID"
}
