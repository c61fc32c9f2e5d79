#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# vm-kernel.sh — print the directory of the test VM's kernel (vmlinuz, config, the modules the
# guest needs and their load order), unpacked from Debian's linux-image-amd64 package (never
# installed). scripts/vmtest.sh boots it; scripts/kernel-btf.sh reads its BTF.
#
# usage: scripts/vm-kernel.sh [--refresh]
# Cache: $KAKUNIN_VM_CACHE (default ~/.cache/kakunin-bpf/vm). The newest cached kernel is used;
# only with an empty cache (or --refresh: the newest linux-image-amd64 of the configured apt
# sources) is the package downloaded. Needs no root.
set -euo pipefail

cache=${KAKUNIN_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kakunin-bpf/vm}
refresh=0
# What the guest needs to mount the host's / over virtio-9p under an overlay. The load order is
# derived from each module's "depends" (modinfo) when the kernel is unpacked, not hard-coded: it
# changes between kernel builds (6.1's virtio needs virtio_ring first).
modules="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay"

die() { echo "vmtest: $*" >&2; exit 1; }

case "${1:-}" in
--refresh) refresh=1 ;;
"") ;;
*) echo "vm-kernel: unknown argument '$1' (usage: vm-kernel.sh [--refresh])" >&2; exit 2 ;;
esac

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
		{ rm -rf "$tmp"; die "apt-get download $pkg failed \
(offline with an empty cache $cache?)"; }
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
	rm -rf "$dir"
	mv "$tmp/out" "$dir"
	rm -rf "$tmp"
	echo "$dir"
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
echo "$kdir"
