#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Stage 1 of the test VM (the initramfs's /init, built by scripts/vmtest.sh): load the virtio and
# 9p modules, mount the host's / read-only under a tmpfs overlay, attach the read-write results
# share and switch_root into the overlay, where stage 2 (scripts/vm-guest.sh, copied into the
# results share) runs the command. Any failure here powers off; the host sees no status file and
# reports it.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
	echo "vm-init: $*"
	echo o >/proc/sysrq-trigger
	sleep 5
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
	insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done </lib/modules/order

# msize 512 KiB: the default 8 KiB makes every file read over 9p several round trips under TCG.
opts=trans=virtio,version=9p2000.L,msize=524288,cache=loose
mount -t 9p -o "ro,$opts" host /mnt/lower || fail "mounting the host's / over 9p failed"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw || fail "tmpfs failed"
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work \
	/newroot || fail "overlay mount failed"
mkdir -p /newroot/run/kakunin-vm
mount -t 9p -o "rw,trans=virtio,version=9p2000.L,msize=524288" results /newroot/run/kakunin-vm ||
	fail "mounting the results share failed"
umount /proc /sys
umount /dev
exec switch_root /newroot /bin/bash /run/kakunin-vm/guest.sh
