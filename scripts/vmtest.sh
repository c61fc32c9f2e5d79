#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vmtest.sh — run a command as root inside a real Linux kernel (Debian 12's, unpacked from its
# package, never installed) booted under QEMU with software emulation. The host's / is shared
# read-only over virtio-9p with a tmpfs overlay on top, so the guest sees the freshly built tree,
# bash, bats and openssl at the same paths as the host.
#
# usage: scripts/vmtest.sh [--refresh] [--prepare] [--timeout SECS] [--results DIR] [--] [CMD [ARG...]]
#   default CMD: bats --tap tests/kernel  (run from the repository root)
#   --prepare: fetch the kernel and build the initramfs, then exit (before starting guests at once)
#
# The guest's stdout/stderr stream to ours; its exit status becomes ours. A hung guest is killed
# after --timeout seconds (default 1200, env KAKUNIN_VM_TIMEOUT) with exit 124 and a clear line.
# KAKUNIN_VM_APPEND adds kernel parameters (e.g. an lsm= list without bpf).
# Cache: $KAKUNIN_VM_CACHE (default ~/.cache/kakunin-bpf/vm). After the first download every run
# works offline; --refresh fetches the newest linux-image-amd64 of the configured apt sources.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KAKUNIN_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kakunin-bpf/vm}
timeout_s=${KAKUNIN_VM_TIMEOUT:-1200}
mem=${KAKUNIN_VM_MEM:-2048}
smp=${KAKUNIN_VM_SMP:-2}
refresh=0
prepare=0
results=""
die() { echo "vmtest: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--refresh) refresh=1; shift ;;
	--prepare) prepare=1; shift ;;
	--timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
	--results) results=${2:?--results needs a directory}; shift 2 ;;
	--help|-h) sed -n '3,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) echo "vmtest: unknown option '$1' (see --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- bats --tap tests/kernel

for t in qemu-system-x86_64 cpio gzip /bin/busybox; do
	command -v "$t" >/dev/null || die "'$t' not found: run scripts/deps.sh"
done
[ "$(id -u)" = 0 ] || die "must run as root: 9p with security_model=none needs root to map \
file ownership for the guest's root user"

# The kernel: cached, else downloaded once (scripts/vm-kernel.sh, which says why it failed).
kdir=$(KAKUNIN_VM_CACHE=$cache "$top/scripts/vm-kernel.sh" $([ "$refresh" = 0 ] || echo --refresh)) ||
	exit 1

# The initramfs depends on the module set and on the init script: rebuild when either changes.
initrd_src="$top/scripts/vm-initramfs-init.sh"
stamp=$(cat "$initrd_src" /bin/busybox "$kdir/modules/order" | sha256sum | cut -c1-16)
initrd="$kdir/initramfs-$stamp.cpio.gz"
if [ ! -f "$initrd" ]; then
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,mnt/lower,mnt/rw,newroot,lib/modules}
	cp /bin/busybox "$root/bin/busybox"
	cp "$kdir"/modules/*.ko "$root/lib/modules/"
	cp "$kdir/modules/order" "$root/lib/modules/order"
	install -m 0755 "$initrd_src" "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp.$$"
	mv "$initrd.tmp.$$" "$initrd"
	rm -rf "$root"
fi

[ "$prepare" = 0 ] || exit 0

# The exchange directory: the host writes the command, the guest writes status and logs.
own_results=0
if [ -z "$results" ]; then
	results=$(mktemp -d /tmp/kakunin-vm.XXXXXX)
	own_results=1
fi
mkdir -p "$results"
rm -f "$results/rc"
{
	printf 'cd %q\n' "$PWD"
	printf 'export KAKUNIN_IN_VM=1 KAKUNIN_VM_RESULTS=/run/kakunin-vm\n'
	printf '%q ' "$@"
	printf '\n'
} >"$results/cmd"
cp "$top/scripts/vm-guest.sh" "$results/guest.sh"
echo "$kdir/lib/modules" >"$results/modules"

cleanup() { [ "$own_results" = 1 ] && rm -rf "$results"; return 0; }
trap cleanup EXIT

# Serial console to plain lines: drop CRs, terminal escapes and the power-off messages, unbuffered
# so test output streams live.
console_filter() {
	sed -u -E -e 's/\r$//' -e 's/\x1b(\[[0-9;?]*[A-Za-z]|c)//g' \
		-e 's/\[ *[0-9]+\.[0-9]+\] (sysrq: Power Off|reboot: Power down)//' -e '/^$/d'
}

# qboot starts the kernel about a second sooner than SeaBIOS and prints nothing.
bios=""
[ -f /usr/share/qemu/qboot.rom ] && bios="-bios qboot.rom"

# quiet + loglevel=1 keep kernel chatter off the console that carries the test output.
append="console=ttyS0 quiet loglevel=1 panic=-1 init=/init ${KAKUNIN_VM_APPEND:-}"
set +e
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 \
	-machine ${KAKUNIN_VM_MACHINE:-q35},accel=tcg -cpu max ${KAKUNIN_VM_QEMU_OPTS:-} -m "$mem" -smp "$smp" \
	-nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" -append "$append" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$results",mount_tag=results,security_model=none,multidevs=remap \
	$bios </dev/null | console_filter
qrc=${PIPESTATUS[0]}
set -e

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vmtest: guest killed after ${timeout_s}s timeout (hung test or kernel); raise with \
--timeout or KAKUNIN_VM_TIMEOUT" >&2
	exit 124
fi
if [ ! -f "$results/rc" ]; then
	echo "vmtest: guest stopped without reporting a status (qemu exit $qrc): the kernel \
panicked or the guest init failed; see the console output above" >&2
	exit 125
fi
exit "$(cat "$results/rc")"
