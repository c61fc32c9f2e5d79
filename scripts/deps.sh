#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deps.sh — install every Debian package that building kakunin-bpf, its tests and the test VM
# need. Idempotent: when everything is present it only asks dpkg and exits (well under a second).
set -euo pipefail

packages=(
	# build
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libssl-dev libcjson-dev
	libsystemd-dev
	pkg-config libclang-rt-14-dev
	# tests (host and VM share the host's root)
	bats openssl python3 python3-yaml python3-cryptography liburing-dev groff-base
	# tests/kernel/oci.bats: the OCI runtime the hook is tested with
	runc
	# test VM: qemu, the initramfs and the kernel package download
	qemu-system-x86 busybox-static cpio gzip kmod apt
	# scripts/kernel-btf.sh: a kernel's BTF out of its package (6.12 is zstd-compressed)
	zstd binutils
	# make format
	clang-format
	# make bench: the chart
	gnuplot-nox
	# key custody (user/keyref*.c): OpenSSL's pkcs11 engine, and SoftHSM2 as the tests' HSM
	# (tests/unit/make-hsm.sh; softhsm2-util --import takes the PKCS#8 key, no pkcs11-tool)
	libengine-pkcs11-openssl softhsm2
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null ||
		{ echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
