#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Stage 2 of the test VM, PID 1 inside the overlay root: mount the kernel filesystems the tests
# need (proc, sys, dev, securityfs, cgroup2, bpffs, tracefs), bring up loopback, run the command
# written by scripts/vmtest.sh as root, store its exit status in the results share and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
R=/run/kakunin-vm

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# devtmpfs has no /dev/fd links; bash process substitution and bats need them.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# /tmp stays the overlay's (already a writable tmpfs): the tree under test may live in /tmp.
mount -t tmpfs tmpfs /run/lock 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# The host's /etc/mtab may be a dangling link inside the overlay; tools only need it to exist.
ln -sf /proc/self/mounts /etc/mtab 2>/dev/null
busybox ip link set lo up
# Modules beyond the initramfs's (sctp, tipc, ...): the cache's /lib/modules/VERSION tree, named
# by scripts/vmtest.sh, linked where modprobe and the kernel's request_module look for it.
mods=$(cat $R/modules 2>/dev/null)/$(uname -r)
if [ -f "$mods/modules.dep" ] && [ ! -e "/lib/modules/$(uname -r)" ]; then
	mkdir -p /lib/modules && ln -s "$mods" "/lib/modules/$(uname -r)"
fi
hostname kakunin-vm

echo "vm: $(uname -r), lsm=$(cat /sys/kernel/security/lsm), $(nproc) cpus; running: $(tail -n 1 $R/cmd)"
bash "$R/cmd" </dev/null
rc=$?
echo "$rc" >"$R/rc.tmp" && mv "$R/rc.tmp" "$R/rc"
sync
echo o >/proc/sysrq-trigger
sleep 10 2>/dev/null
