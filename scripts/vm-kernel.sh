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

# What the guest loads later with modprobe, the kernel's own request_module included: protocol
# families the tests create (unbound, so that refusing them to a bound task means something) and
# key types. They and their dependencies (soft ones too) form a /lib/modules/VERSION tree in the
# cache, which the guest links into its root; depmod runs on it here, once.
extra_modules="sctp tipc dns_resolver"

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
echo "$kdir"
