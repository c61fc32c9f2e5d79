#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# vm-seconds: 64 (its tests in a 1-vCPU guest; scripts/check.sh balances shards by it)
# load/unload in a real kernel: pins, idempotence, and enforcement stopping at unload.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	pki_setup
	"$KK" load
}

teardown_file() {
	kk_unload --force
}

@test "load attaches every program and pins programs, links and maps; a second load is harmless" {
	for p in kk_file_open kk_file_permission kk_path_link kk_path_rename kk_path_unlink \
		kk_path_mkdir kk_path_rmdir kk_path_symlink kk_path_mknod kk_path_truncate \
		kk_path_chmod kk_path_chown kk_bprm_check kk_socket_connect kk_socket_sendmsg \
		kk_socket_recvmsg kk_socket_create kk_unix_stream_connect kk_unix_may_send \
		kk_task_alloc kk_task_free kk_bpf kk_perf_event_open kk_kernel_read_file \
		kk_kernel_load_data kk_locked_down kk_ptrace_access_check kk_ptrace_traceme \
		kk_task_kill kk_sb_mount kk_sb_umount kk_move_mount kk_sb_pivotroot kk_path_chroot \
		kk_userns_create kk_capable kk_file_receive kk_mmap_file kk_file_mprotect \
		kk_file_fcntl kk_file_ioctl kk_socket_post_create kk_socket_bind kk_socket_listen \
		kk_socket_accept kk_sock_rcv_skb kk_socket_setsockopt kk_sctp_bind_connect; do
		[ -e "/sys/fs/bpf/kakunin/links/$p" ]
		[ -e "/sys/fs/bpf/kakunin/progs/$p" ]
	done
	for p in kk_tcp_connect kk_sk_destruct; do # fentry: tracing links
		[ -e "/sys/fs/bpf/kakunin/trace_links/$p" ]
		[ -e "/sys/fs/bpf/kakunin/progs/$p" ]
	done
	for m in kk_task kk_bindings kk_idents kk_policies kk_paths kk_net_allow kk_net_deny kk_net_listen \
		kk_exec kk_conns kk_events kk_stats; do
		[ -e "/sys/fs/bpf/kakunin/maps/$m" ]
	done
	local n
	n=$(lsm_programs)
	[ "$n" -gt 80 ]
	[ "$(bpftool prog show | grep -c "lsm  name kk_")" -eq "$n" ]
	run --separate-stderr "$KK" load
	[ "$status" -eq 0 ]
	[ "$output" = "kakunin-bpf: already loaded (/sys/fs/bpf/kakunin)" ]
	[ "$(bpftool prog show | grep -c "lsm  name kk_")" -eq "$n" ]
}

@test "unload is refused while bindings are live; --force detaches: the task is free" {
	policy "$BATS_TEST_TMPDIR/p.json" '"data_access": {"/usr/*": ["read", "exec"]}'
	bound_start "$BATS_TEST_TMPDIR/p.json" sh -c '"$TRY" open /etc/shadow; sleep 2; "$TRY" open /etc/shadow'
	run --separate-stderr "$KK" unload
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: unload: 1 binding is live: their agents would run unconfined; unbind them first or use --force" ]
	[ -e /sys/fs/bpf/kakunin/links/kk_file_open ]
	run "$KK" unload --force
	[ "$status" -eq 0 ]
	[ ! -e /sys/fs/bpf/kakunin ]
	! bpftool prog show | grep -q 'name kk_'
	bound_wait
	[ "$output" = "$(printf 'EACCES\nok')" ]
	"$KK" load
}

@test "maps pinned by a build of another layout are refused with one line that names the fix" {
	local cfg=/sys/fs/bpf/kakunin/maps/kk_config val fix format
	format=$(sed -n 's/^#define KK_RULESET_FORMAT *\([0-9]*\).*/\1/p' "$BATS_TEST_DIRNAME/../../include/kakunin.h")
	[ -n "$format" ]
	# kk_config's format field (offset 20) rewritten as if another build had pinned the maps.
	val=$(bpftool -j map lookup pinned "$cfg" key 0 0 0 0 | python3 -c '
import json, sys
v = [int(b, 16) for b in json.load(sys.stdin)["value"]]
v[20:24] = (99).to_bytes(4, "little")
print(" ".join("%02x" % b for b in v))')
	bpftool map update pinned "$cfg" key 0 0 0 0 value hex $val
	fix='`load --upgrade` keeps only maps of its own layout; run `kakunin-bpf unload --force` (bindings end), then `kakunin-bpf load` with this build'
	run --separate-stderr "$KK" status
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "kakunin-bpf: status: pinned maps are format 99 (layout "*"), this build is format $format (layout "*"): $fix" ]]
	run --separate-stderr "$KK" status --json
	[ "$status" -eq 1 ]
	[[ "$output" == '{"error":{"code":-71,"errno":"EPROTO",'*"pinned maps are format 99"* ]]
	run --separate-stderr "$KK" load
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"pinned maps are format 99 (layout "*"$fix" ]]
	run --separate-stderr "$KK" unload
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"pinned maps are format 99"* ]]
	kk_unload --force
	[ ! -e /sys/fs/bpf/kakunin ]
	"$KK" load
	run "$KK" status
	[ "$status" -eq 0 ]
}
