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
