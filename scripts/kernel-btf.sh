#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel-btf.sh — print the path of a cached raw BTF file (the .BTF section of vmlinux) of a
# Debian kernel, without installing or booting it, for scripts/hooks-check --btf.
#
# usage: scripts/kernel-btf.sh [--refresh] vm | VERSION
#   vm        the kernel the test VM boots (scripts/vm-kernel.sh: its cached vmlinuz, downloaded
#             once when the cache is empty)
#   VERSION   e.g. 6.12: the newest linux-image-VERSION.*-amd64-unsigned package of the apt
#             sources, downloaded (apt-get download) and unpacked in a temporary directory
#
# The kernel inside vmlinuz is found by its compressor's magic (CONFIG_KERNEL_XZ, _ZSTD or
# _GZIP of the package's config) and decompressed; objcopy keeps its .BTF section.
# Cache: $KAKUNIN_BTF_CACHE (default ~/.cache/kakunin-bpf/btf), one <release>.btf per kernel.
# A cached file of VERSION is used as is (offline too); --refresh asks apt for a newer one.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KAKUNIN_BTF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kakunin-bpf/btf}
refresh=()

die() { echo "kernel-btf: $*" >&2; exit 1; }

[ "${1:-}" = --refresh ] && { refresh=(--refresh); shift; }
[ $# -eq 1 ] || { echo "usage: kernel-btf.sh [--refresh] vm | VERSION (e.g. 6.12)" >&2; exit 2; }
want=$1
[[ "$want" = vm || "$want" =~ ^[0-9]+\.[0-9]+$ ]] ||
	{ echo "kernel-btf: '$want' is not 'vm' or a kernel version like 6.12" >&2; exit 2; }
for t in bpftool objcopy python3; do
	command -v "$t" >/dev/null || die "'$t' not found: run scripts/deps.sh"
done
mkdir -p "$cache"

# extract VMLINUZ CONFIG OUT: the raw BTF of a bzImage into OUT.
extract() {
	local tmp
	tmp=$(mktemp -d "$cache/.extract.XXXXXX")
	python3 - "$1" "$2" "$tmp/vmlinux" <<'PY' || { rm -rf "$tmp"; exit 1; }
import lzma, re, subprocess, sys, zlib
vmlinuz, config, out = sys.argv[1:]
comp = re.findall(r"^CONFIG_KERNEL_(\w+)=y$", open(config).read(), re.M)
magic = {"XZ": b"\xfd7zXZ\x00", "ZSTD": b"\x28\xb5\x2f\xfd", "GZIP": b"\x1f\x8b\x08"}
if not comp or comp[0] not in magic:
    sys.exit(f"kernel-btf: {vmlinuz}: kernel compression {comp or 'unknown'} is not handled "
             "(xz, zstd, gzip)")

def unpack(data):
    if comp[0] == "XZ":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    if comp[0] == "GZIP":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    # zstd reports the data after the frame as an error; the kernel is whole before it.
    return subprocess.run(["zstd", "-dcq"], input=data, capture_output=True).stdout

data = open(vmlinuz, "rb").read()
at = data.find(magic[comp[0]])
while at >= 0:
    try:
        kernel = unpack(data[at:])
    except (lzma.LZMAError, zlib.error):
        kernel = b""
    if kernel[:4] == b"\x7fELF":
        open(out, "wb").write(kernel)
        sys.exit(0)
    at = data.find(magic[comp[0]], at + 1)
sys.exit(f"kernel-btf: no {comp[0].lower()}-compressed ELF kernel found in {vmlinuz}")
PY
	objcopy -O binary --only-section=.BTF "$tmp/vmlinux" "$tmp/btf" 2>/dev/null ||
		{ rm -rf "$tmp"; die "objcopy cannot read the kernel unpacked from $1"; }
	# A raw BTF starts with its magic 0xeB9F (little-endian); empty when there is no .BTF.
	[ "$(head -c 2 "$tmp/btf" | od -An -tx1 | tr -d ' ')" = 9feb ] ||
		{ rm -rf "$tmp"; die "$1 has no BTF (CONFIG_DEBUG_INFO_BTF off?)"; }
	chmod 0644 "$tmp/btf"
	mv "$tmp/btf" "$3"
	rm -rf "$tmp"
}

if [ "$want" = vm ]; then
	kdir=$("$top/scripts/vm-kernel.sh" "${refresh[@]}") || exit 1
	release=${kdir##*/linux-}
	out="$cache/$release.btf"
	[ -s "$out" ] || extract "$kdir/vmlinuz" "$kdir/config" "$out"
	echo "$out"
	exit 0
fi

# Newest cached BTF of VERSION (6.1 must not match 6.12: the release continues with . or -).
cached() {
	local f
	for f in "$cache/$want".*.btf "$cache/$want"-*.btf; do
		if [ -s "$f" ]; then echo "$f"; fi
	done | sort -V | tail -n 1
}
if [ ${#refresh[@]} = 0 ]; then
	out=$(cached)
	[ -z "$out" ] || { echo "$out"; exit 0; }
fi

# The generic flavour only (not -cloud- or -rt-): its config is the one the VM kernel has.
pattern="^linux-image-${want//./\\.}[.-][0-9][^ ]*[0-9]-amd64-unsigned\$"
newest() { apt-cache search --names-only "$pattern" 2>/dev/null | awk '{ print $1 }' | sort -V |
	tail -n 1; }
pkg=$(newest)
# Package lists that know no kernel at all were never fetched (a fresh container): fetch once.
if [ -z "$pkg" ] && [ -z "$(apt-cache search --names-only '^linux-image-[0-9]' 2>/dev/null)" ]
then
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(newest)
fi
if [ -z "$pkg" ]; then
	out=$(cached)
	[ -n "$out" ] || die "no linux-image-$want.*-amd64-unsigned in the apt sources and none \
cached in $cache (offline?)"
	echo "$out"
	exit 0
fi
release=${pkg#linux-image-}
release=${release%-unsigned}
out="$cache/$release.btf"
if [ ! -s "$out" ]; then
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) ||
		die "apt-get download $pkg failed (offline? nothing of $want cached in $cache)"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" ./boot/ ||
		die "cannot unpack ./boot/ of $pkg"
	extract "$tmp/boot/vmlinuz-$release" "$tmp/boot/config-$release" "$out"
fi
echo "$out"
