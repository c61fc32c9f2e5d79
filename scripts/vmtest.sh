#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vmtest.sh — run a command as root inside a real Linux kernel (Debian 12's, unpacked from its
# package, never installed) booted under QEMU with software emulation. The host's / is shared
# read-only over virtio-9p with a tmpfs overlay on top, so the guest sees the freshly built tree,
# bash, bats and openssl at the same paths as the host.
#
# usage: scripts/vmtest.sh [--refresh] [--timeout SECS] [--results DIR] [--] [CMD [ARG...]]
#   default CMD: bats --tap tests/kernel  (run from the repository root)
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
results=""
# What the guest needs to mount the host's / over virtio-9p under an overlay. The load order is
# derived from each module's "depends" (modinfo) when the kernel is unpacked, not hard-coded: it
# changes between kernel builds (6.1's virtio needs virtio_ring first).
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay"
# What the guest loads later with modprobe, the kernel's own request_module included: protocol
# families the tests create (unbound, so that refusing them to a bound task means something) and
# key types. They and their dependencies (soft ones too) form a /lib/modules/VERSION tree in the
# cache, which the guest links into its root; depmod runs on it here, once.
extra_modules="sctp tipc dns_resolver"

die() { echo "vmtest: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	--refresh) refresh=1; shift ;;
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

# Newest unpacked kernel in the cache, or nothing.
cached_kernel() {
	local d last=""
	for d in "$cache"/linux-*; do
		[ -f "$d/vmlinuz" ] && last=$(printf '%s\n%s\n' "$last" "$d" | sort -V | tail -n 1)
	done
	echo "$last"
}

fetch_kernel() {
	local pkg ver dir tmp
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }') || true
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }') || true
	fi
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 from the apt sources \
(offline with an empty cache $cache?)"
	ver=${pkg#linux-image-}
	dir="$cache/linux-$ver"
	[ -f "$dir/vmlinuz" ] && { echo "$dir"; return; }
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	echo "vmtest: downloading $pkg into $cache (once)" >&2
	(cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) ||
		{ rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	dpkg -x "$tmp"/*.deb "$tmp/x"
	mkdir -p "$tmp/out/modules"
	cp "$tmp/x/boot/vmlinuz-$ver" "$tmp/out/vmlinuz"
	cp "$tmp/x/boot/config-$ver" "$tmp/out/config"
	local m f
	for m in $modules; do
		f=$(find "$tmp/x/lib/modules/$ver" -name "$m.ko" -print -quit)
		[ -n "$f" ] || { rm -rf "$tmp"; die "module $m.ko missing from $pkg"; }
		cp "$f" "$tmp/out/modules/"
	done
	module_order "$tmp/out/modules" >"$tmp/out/modules/order" ||
		{ rm -rf "$tmp"; die "cannot order the modules of $pkg"; }
	extra_tree "$tmp/x" "$ver" "$tmp/out" || { rm -rf "$tmp"; die "cannot collect $extra_modules"; }
	rm -rf "$dir"
	mv "$tmp/out" "$dir"
	rm -rf "$tmp"
	echo "$dir"
}

# extra_tree ROOT VERSION OUT: the extra modules of the package unpacked at ROOT, with everything
# modprobe would load before them, as OUT/lib/modules/VERSION with its modules.dep.
extra_tree() {
	local root=$1 ver=$2 out=$3 src=$1/lib/modules/$2 f rel files
	depmod -b "$root" "$ver" || return 1
	files=$(modprobe -d "$root" -S "$ver" -a --show-depends $extra_modules |
		awk '$1 == "insmod" { print $2 }' | sort -u)
	[ -n "$files" ] || return 1
	mkdir -p "$out/lib/modules/$ver"
	cp "$src/modules.builtin" "$src/modules.builtin.modinfo" "$src/modules.order" \
		"$out/lib/modules/$ver/" || return 1
	for f in $files; do
		rel=${f#"$src"/}
		mkdir -p "$out/lib/modules/$ver/$(dirname "$rel")"
		cp "$f" "$out/lib/modules/$ver/$rel" || return 1
	done
	depmod -b "$out" "$ver"
}

# A cache made before extra_modules existed: fetch the same kernel's package again for them. Not
# fatal when offline: the guest boots, and only what needs those modules fails (saying why).
fetch_extra() {
	local kdir=$1 ver=${1##*/linux-} tmp
	[ -f "$kdir/lib/modules/$ver/modules.dep" ] && return 0
	tmp=$(mktemp -d "$cache/.extra.XXXXXX")
	echo "vmtest: downloading linux-image-$ver for its modules $extra_modules (once)" >&2
	if (cd "$tmp" && apt-get download "linux-image-$ver" >/dev/null 2>&1) &&
		dpkg -x "$tmp"/*.deb "$tmp/x" && extra_tree "$tmp/x" "$ver" "$tmp/out"; then
		# Another run may have finished first: its tree is as good as ours.
		[ -f "$kdir/lib/modules/$ver/modules.dep" ] || { rm -rf "$kdir/lib" &&
			mv -T "$tmp/out/lib" "$kdir/lib"; } || true
	else
		echo "vmtest: warning: no modules $extra_modules for $ver (apt-get download \
linux-image-$ver failed): sockets of those families cannot be made in the guest" >&2
	fi
	rm -rf "$tmp"
}

# Print the modules of DIR so that every module follows its dependencies; fail on a dependency
# that is not in the set (the guest would fail to insmod it).
module_order() {
	local dir=$1 done=" " progress m dep ok
	local todo all
	all=$(echo $modules)
	todo=$all
	while [ -n "$todo" ]; do
		progress=0
		local rest=""
		for m in $todo; do
			ok=1
			for dep in $(/sbin/modinfo -F depends "$dir/$m.ko" | tr ',' ' '); do
				case " $all " in *" $dep "*) ;; *)
					echo "vmtest: $m needs $dep, which is not in the module list" >&2
					return 1 ;;
				esac
				case "$done" in *" $dep "*) ;; *) ok=0 ;; esac
			done
			if [ "$ok" = 1 ]; then
				echo "$m"; done="$done$m "; progress=1
			else
				rest="$rest $m"
			fi
		done
		[ "$progress" = 1 ] || { echo "vmtest: dependency cycle in:$rest" >&2; return 1; }
		todo=$rest
	done
}

mkdir -p "$cache"
kdir=""
[ "$refresh" = 1 ] || kdir=$(cached_kernel)
[ -n "$kdir" ] || kdir=$(fetch_kernel)
fetch_extra "$kdir"

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
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$root"
fi

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
