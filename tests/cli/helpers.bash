# SPDX-License-Identifier: GPL-2.0-only
# Shared by tests/cli/*.bats: the binary under test and one-line-error assertions.
KK=${KAKUNIN_BIN:-$BATS_TEST_DIRNAME/../../build/kakunin-bpf}

# Assert that the last `run` wrote exactly one line to stderr and that it contains $1.
# (bats 1.8 `run --separate-stderr` puts stderr in $stderr.)
assert_one_stderr_line() {
	local n
	n=$(printf '%s' "$stderr" | grep -c '')
	if [ "$n" != 1 ]; then
		echo "expected one stderr line, got $n:" >&2
		printf '%s\n' "$stderr" >&2
		return 1
	fi
	if [[ "$stderr" != *"$1"* ]]; then
		echo "stderr does not contain '$1': $stderr" >&2
		return 1
	fi
}

# Skip unless this host has nothing pinned under /sys/fs/bpf/kakunin and we are root (otherwise
# the commands stop at 'must run as root' before they find out).
not_loaded_host() {
	[ -e /sys/fs/bpf/kakunin ] && skip "kakunin-bpf is loaded on this host"
	[ "$(id -u)" -eq 0 ] || skip "needs root (otherwise the commands stop at 'must run as root')"
}

# The last run printed exactly one JSON error object on stdout and nothing on stderr; $1 is the
# errno name, $2 a string its what must contain, $3 one its why must contain.
assert_json_error() {
	[ -z "$stderr" ] || { echo "stderr not empty: $stderr" >&2; return 1; }
	[ "$(printf '%s\n' "$output" | grep -c '')" -eq 1 ] || { echo "not one line: $output" >&2; return 1; }
	python3 - "$output" "$1" "$2" "$3" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
assert list(o) == ["error"], o
e = o["error"]
assert set(e) == {"code", "errno", "what", "why"}, e
assert isinstance(e["code"], int) and e["code"] < 0, e
assert e["errno"] == sys.argv[2], e
assert sys.argv[3] in e["what"] and sys.argv[4] in e["why"], e
PY
}
