#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# status, health and the daemon's metrics configuration without a kernel: "not loaded" is an
# answer (loaded:false with its reason, kakunin_loaded 0), health says not ready in one line,
# daemon.json's metrics.listen takes loopback addresses only, and lines written to the journal
# carry their priority. (The host has nothing pinned under /sys/fs/bpf/kakunin.)
bats_require_minimum_version 1.5.0
load helpers

@test "status --json when not loaded: {loaded: false, reason}, exit 1, nothing on stderr" {
	not_loaded_host
	run --separate-stderr "$KK" status --json
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 - "$output" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
assert list(o) == ["loaded", "reason"], o
assert o["loaded"] is False, o
assert o["reason"] == ("nothing pinned at /sys/fs/bpf/kakunin/maps/kk_task: "
                       "run 'kakunin-bpf load'"), o
PY
	run --separate-stderr "$KK" status --format json
	[ "$status" -eq 1 ]
	[[ "$output" == '{"loaded":false,"reason":"nothing pinned at '* ]]
}

@test "status (text) when not loaded: one line on stdout saying so, exit 1" {
	not_loaded_host
	run --separate-stderr "$KK" status
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[ "$output" = "kakunin-bpf: not loaded: nothing pinned at /sys/fs/bpf/kakunin/maps/kk_task: run 'kakunin-bpf load'" ]
}

@test "status --format prometheus when not loaded: kakunin_loaded 0 and nothing else, exit 0" {
	not_loaded_host
	run --separate-stderr "$KK" status --format prometheus
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "# HELP kakunin_loaded 1 when the BPF-LSM programs are pinned by a build of this ABI, else 0.
# TYPE kakunin_loaded gauge
kakunin_loaded 0" ]
}

@test "status --format: a format it does not know is a usage error (2); --json form too" {
	run --separate-stderr "$KK" status --format xml
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: status: --format: 'xml' is not text, json or prometheus"
	run --separate-stderr "$KK" status --format
	[ "$status" -eq 2 ]
	run --separate-stderr "$KK" status --json --format xml
	[ "$status" -eq 2 ]
	assert_json_error EINVAL "--format" "'xml' is not text, json or prometheus"
}

@test "health when not loaded: exit 1, one line naming the failed check; --json" {
	not_loaded_host
	run --separate-stderr "$KK" health --socket "$BATS_TEST_TMPDIR/none.sock"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	assert_one_stderr_line "kakunin-bpf: health: not ready: /sys/fs/bpf/kakunin/maps/kk_task: kakunin-bpf is not loaded"
	run --separate-stderr "$KK" health --no-daemon --json
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 - "$output" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
assert o == {"ready": False, "loaded": False, "programs": 0, "daemon": None,
             "reason": "/sys/fs/bpf/kakunin/maps/kk_task: kakunin-bpf is not loaded: "
                       "run 'kakunin-bpf load' first"}, o
PY
}

@test "health: bad arguments are usage errors; without root it says so" {
	run --separate-stderr "$KK" health --timeout 0
	[ "$status" -eq 2 ]
	assert_one_stderr_line "kakunin-bpf: health: --timeout: '0' is not a number of milliseconds from 1 to 60000"
	run --separate-stderr "$KK" health extra
	[ "$status" -eq 2 ]
	assert_one_stderr_line "unexpected argument 'extra'"
	[ "$(id -u)" -eq 0 ] || skip "needs root to drop to another user"
	command -v setpriv >/dev/null || skip "no setpriv"
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$KK" health --no-daemon
	[ "$status" -eq 1 ]
	assert_one_stderr_line "kakunin-bpf: health: must run as root"
}

@test "daemon.json metrics.listen: a non-loopback address is refused in one line, before root" {
	local f=$BATS_TEST_TMPDIR/daemon.json
	for a in 0.0.0.0:9471 10.1.2.3:9471 '[::]:9471' localhost:9471; do
		printf '{"metrics": {"listen": "%s"}}\n' "$a" >"$f"
		run --separate-stderr "$KK" daemon --config "$f"
		[ "$status" -eq 1 ]
		assert_one_stderr_line "kakunin-bpf: daemon: $f:1:24: metrics.listen: '$a' is not a loopback address: use 127.0.0.1:PORT (127.0.0.0/8), [::1]:PORT or unix:PATH"
	done
	printf '{"metrics": {"listen": "127.0.0.1:99999"}}\n' >"$f"
	run --separate-stderr "$KK" daemon --config "$f"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "metrics.listen: '127.0.0.1:99999': the port must be a number from 1 to 65535"
	printf '{"metrics": {"port": 9471}}\n' >"$f"
	run --separate-stderr "$KK" daemon --config "$f"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "$f:1:14: metrics.port: unknown key (expected: listen)"
	# health reads the daemon's socket from the same file, and refuses it the same way.
	printf '{"metrics": {"listen": "0.0.0.0:1"}}\n' >"$f"
	run --separate-stderr "$KK" health --config "$f"
	[ "$status" -eq 1 ]
	assert_one_stderr_line "metrics.listen: '0.0.0.0:1' is not a loopback address"
}

@test "stderr that is the journal (JOURNAL_STREAM) gets sd-daemon priority prefixes" {
	local f=$BATS_TEST_TMPDIR/daemon.json err=$BATS_TEST_TMPDIR/err
	printf '{"colour": 1}\n' >"$f"
	: >"$err"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$err") "$KK" daemon --config "$f" 2>"$err" || true
	[ "$(cat "$err")" = "<3>kakunin-bpf: daemon: $f:1:2: colour: unknown key (expected: audit_file, max_file_bytes, keep_files, max_unwritten_bytes, syslog, socket, ocsp_timeout_ms, ocsp_url, dns_refresh_seconds, expiry_warning_seconds, metrics, crl_urls, crl_from_certificates)" ]
	# Another stream (a terminal, a file that is not the journal's): no prefix.
	JOURNAL_STREAM=1:2 "$KK" daemon --config "$f" 2>"$err" || true
	[[ "$(cat "$err")" == "kakunin-bpf: daemon: $f:1:2: colour: unknown key"* ]]
}
