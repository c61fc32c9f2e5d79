#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# make install / make uninstall with DESTDIR and PREFIX: every file in place with its mode, the
# systemd unit pointing at the installed binary, and nothing left behind by uninstall.
bats_require_minimum_version 1.5.0
load helpers

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	OUT=${OUTPUT:-build}
	BUILT=$OUT/kakunin-bpf
	[[ $OUT == /* ]] || BUILT=$ROOT/$OUT/kakunin-bpf
	[ -x "$BUILT" ] || skip "no $BUILT: run make first"
	DEST=$BATS_TEST_TMPDIR/root
}

# make in the source tree without rebuilding the binary (-o): these tests are about copying.
mk() {
	make -s --no-print-directory -C "$ROOT" -o "$OUT/kakunin-bpf" -o "$OUT/kakunin-revoke" "$@"
}

# Fail unless $1 is a regular file with mode $2 (octal, as stat prints it).
assert_mode() {
	local mode
	[ -f "$1" ] || { echo "missing: $1" >&2; return 1; }
	mode=$(stat -c %a "$1")
	[ "$mode" = "$2" ] || { echo "$1: mode $mode, expected $2" >&2; return 1; }
}

# The files `make install PREFIX=$1 [SBINDIR=$2]` must create, relative to DESTDIR, sorted.
expected_files() {
	local prefix=$1 sbindir=${2:-$1/sbin} f
	{
		echo "$sbindir/kakunin-bpf"
		echo "$sbindir/kakunin-revoke"
		echo "$prefix/share/man/man8/kakunin-bpf.8"
		echo "$prefix/share/bash-completion/completions/kakunin-bpf"
		for f in "$ROOT"/policies/*.json; do
			echo "$prefix/share/kakunin-bpf/policies/${f##*/}"
		done
		echo "$prefix/lib/systemd/system/kakunin-bpf.service"
		echo "$prefix/lib/systemd/system/kakunin-signer.service"
		echo "$prefix/lib/systemd/system/kakunin-egress.service"
		echo "$prefix/lib/tmpfiles.d/kakunin-bpf.conf"
	} | sort
}

# Install with PREFIX=$1 (and SBINDIR=$2 when given), check every file, its mode and content.
check_install() {
	local prefix=$1 sbindir=${2:-$1/sbin} unit f
	local vars=(DESTDIR="$DEST" PREFIX="$prefix")
	[ -z "${2:-}" ] || vars+=(SBINDIR="$sbindir")
	run mk install "${vars[@]}"
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }

	diff <(expected_files "$prefix" "$sbindir") <(cd "$DEST" && find . -type f | sed 's|^\.||' | sort)

	assert_mode "$DEST$sbindir/kakunin-bpf" 755
	cmp "$BUILT" "$DEST$sbindir/kakunin-bpf"
	assert_mode "$DEST$sbindir/kakunin-revoke" 755
	cmp "${BUILT%/*}/kakunin-revoke" "$DEST$sbindir/kakunin-revoke"
	assert_mode "$DEST$prefix/share/man/man8/kakunin-bpf.8" 644
	cmp "$ROOT/docs/kakunin-bpf.8" "$DEST$prefix/share/man/man8/kakunin-bpf.8"
	assert_mode "$DEST$prefix/share/bash-completion/completions/kakunin-bpf" 644
	cmp "$ROOT/completion/kakunin-bpf.bash" \
		"$DEST$prefix/share/bash-completion/completions/kakunin-bpf"
	for f in "$ROOT"/policies/*.json; do
		assert_mode "$DEST$prefix/share/kakunin-bpf/policies/${f##*/}" 644
		cmp "$f" "$DEST$prefix/share/kakunin-bpf/policies/${f##*/}"
	done
	[ "$(stat -c %a "$DEST$prefix/share/kakunin-bpf/policies")" = 755 ]
	assert_mode "$DEST$prefix/lib/tmpfiles.d/kakunin-bpf.conf" 644
	cmp "$ROOT/dist/kakunin-bpf.tmpfiles" "$DEST$prefix/lib/tmpfiles.d/kakunin-bpf.conf"

	# The unit: the shipped one with every path to the binary replaced by the installed one.
	unit=$DEST$prefix/lib/systemd/system/kakunin-bpf.service
	assert_mode "$unit" 644
	grep -qx "ExecStartPre=$sbindir/kakunin-bpf load" "$unit"
	grep -qx "ExecStart=$sbindir/kakunin-bpf daemon" "$unit"
	if grep '^Exec[A-Za-z]*=.*kakunin-bpf' "$unit" | grep -v "=$sbindir/kakunin-bpf "; then
		echo "a command line of the unit does not run $sbindir/kakunin-bpf" >&2
		return 1
	fi
	diff <(sed "s|/usr/sbin/kakunin-bpf|$sbindir/kakunin-bpf|g" "$ROOT/dist/kakunin-bpf.service") "$unit"
	unit=$DEST$prefix/lib/systemd/system/kakunin-signer.service
	assert_mode "$unit" 644
	grep -qx "ExecStart=$sbindir/kakunin-bpf signer --config /etc/kakunin/signer.json" "$unit"
	diff <(sed "s|/usr/sbin/kakunin-bpf|$sbindir/kakunin-bpf|g" "$ROOT/dist/kakunin-signer.service") "$unit"
	unit=$DEST$prefix/lib/systemd/system/kakunin-egress.service
	assert_mode "$unit" 644
	grep -qx "ExecStart=$sbindir/kakunin-bpf egress --config /etc/kakunin/signer.json" "$unit"
	diff <(sed "s|/usr/sbin/kakunin-bpf|$sbindir/kakunin-bpf|g" "$ROOT/dist/kakunin-egress.service") "$unit"
}

# Uninstall with the same variables: no file may remain, nor share/kakunin-bpf.
check_uninstall() {
	local prefix=$1
	local vars=(DESTDIR="$DEST" PREFIX="$prefix")
	[ -z "${2:-}" ] || vars+=(SBINDIR="$2")
	run mk uninstall "${vars[@]}"
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	run find "$DEST" -type f
	[ -z "$output" ] || { echo "left behind: $output" >&2; return 1; }
	[ ! -e "$DEST$prefix/share/kakunin-bpf" ]
	# A second uninstall has nothing to do and still succeeds.
	run mk uninstall "${vars[@]}"
	[ "$status" -eq 0 ]
}

@test "make install PREFIX=/usr: binary 0755, man page, completion, policies, unit and tmpfiles 0644" {
	check_install /usr
}

@test "make install PREFIX=/usr: the unit's ExecStart and ExecStartPre run /usr/sbin/kakunin-bpf" {
	check_install /usr
	unit=$DEST/usr/lib/systemd/system/kakunin-bpf.service
	[ "$(grep -c '^ExecStart' "$unit")" -eq 2 ]
	grep -qx 'ExecStartPre=/usr/sbin/kakunin-bpf load' "$unit"
	grep -qx 'ExecStart=/usr/sbin/kakunin-bpf daemon' "$unit"
}

@test "make uninstall PREFIX=/usr removes every file install put" {
	check_install /usr
	check_uninstall /usr
}

@test "make install and uninstall with PREFIX=/opt/kk" {
	check_install /opt/kk
	grep -qx 'ExecStart=/opt/kk/sbin/kakunin-bpf daemon' "$DEST/opt/kk/lib/systemd/system/kakunin-bpf.service"
	grep -qx 'ExecStartPre=/opt/kk/sbin/kakunin-bpf load' "$DEST/opt/kk/lib/systemd/system/kakunin-bpf.service"
	check_uninstall /opt/kk
}

@test "SBINDIR moves the binary, and the unit follows it" {
	check_install /usr /usr/bin
	check_uninstall /usr /usr/bin
}

@test "uninstall keeps files it did not install (a policy added by the admin)" {
	check_install /usr
	echo '{}' >"$DEST/usr/share/kakunin-bpf/policies/mine.json"
	run mk uninstall DESTDIR="$DEST" PREFIX=/usr
	[ "$status" -eq 0 ]
	[ "$(cd "$DEST" && find . -type f)" = ./usr/share/kakunin-bpf/policies/mine.json ]
}

@test "the installed unit passes systemd-analyze verify, its man page found under the prefix" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	# Does verify work at all here (unit directories present)? Check a trivial unit first.
	printf '[Service]\nExecStart=/bin/true\n' >"$BATS_TEST_TMPDIR/kk-probe.service"
	systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/kk-probe.service" >/dev/null 2>&1 ||
		skip "systemd-analyze verify does not work in this environment"
	check_install /usr
	mkdir "$BATS_TEST_TMPDIR/u"
	sed "s|=/usr/sbin/kakunin-bpf|=$DEST/usr/sbin/kakunin-bpf|" \
		"$DEST/usr/lib/systemd/system/kakunin-bpf.service" >"$BATS_TEST_TMPDIR/u/kakunin-bpf.service"
	run env MANPATH="$DEST/usr/share/man" systemd-analyze verify "$BATS_TEST_TMPDIR/u/kakunin-bpf.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
