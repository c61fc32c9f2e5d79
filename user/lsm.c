// SPDX-License-Identifier: GPL-2.0-only
/* lsm — detect a kernel that cannot run BPF-LSM programs (see lsm.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "lsm.h"

#define FIX_LSM_PARAM "add bpf to the kernel's lsm= boot parameter"

bool kk_lsm_list_has_bpf(const char *list)
{
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ",\n");

		if (n == 3 && strncmp(p, "bpf", 3) == 0)
			return true;
		p += n;
		p += strspn(p, ",\n");
	}
	return false;
}

/* Read the active LSM list; -errno when securityfs does not expose it. */
static int read_lsm_list(char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(KK_LSM_LIST_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		err = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return err;
}

/*
 * Load (never attach) the smallest LSM program, "return 0" on file_open. This is where a kernel
 * that forbids BPF-LSM says so: EPERM before the verifier runs (lockdown, a restricted
 * hypervisor kernel), or no bpf_lsm_* BTF (CONFIG_BPF_LSM off).
 */
static int probe_lsm_load(char *why, size_t len)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },			  /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC);
	int id, fd;

	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(why, len,
			 "the kernel has no BTF (/sys/kernel/btf/vmlinux: %s): a kernel "
			 "built with CONFIG_DEBUG_INFO_BTF=y is needed",
			 strerror(errno));
		return -ENOTSUP;
	}
	id = libbpf_find_vmlinux_btf_id("file_open", BPF_LSM_MAC);
	if (id < 0) {
		snprintf(why, len,
			 "the kernel has no BPF LSM hooks (bpf_lsm_file_open not in its "
			 "BTF): a kernel built with CONFIG_BPF_LSM=y is needed");
		return -ENOTSUP;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "kk_probe", "GPL", insns, 2, &opts);
	if (fd < 0) {
		int err = errno;

		snprintf(why, len,
			 "the kernel refuses to load BPF LSM programs (bpf(BPF_PROG_LOAD): "
			 "%s)%s",
			 strerror(err),
			 err == EPERM
				 /* Installed users have no test VM: what to look at on this host.
				  * Short: with its prefix it must fit an error record (256). */
				 ? ": check /sys/kernel/security/lockdown (not "
				   "confidentiality), bpf in " KK_LSM_LIST_FILE
				   " (boot with lsm=...,bpf), and run on the host"
				 : "");
		return -err;
	}
	close(fd);
	return 0;
}

int kk_lsm_check(char *why, size_t len)
{
	char list[512];
	int err, lerr;

	lerr = read_lsm_list(list, sizeof(list));
	if (lerr == 0) {
		list[strcspn(list, "\n")] = '\0';
		if (!kk_lsm_list_has_bpf(list)) {
			snprintf(why, len,
				 "bpf is not an active LSM (active: %s): " FIX_LSM_PARAM
				 ", e.g. lsm=%s,bpf, and reboot",
				 list, list);
			return -ENOTSUP;
		}
	}
	err = probe_lsm_load(why, len);
	if (err)
		return err;
	if (lerr) {
		/* Loadable, but we cannot tell whether the hooks will ever run: refuse. */
		snprintf(why, len,
			 "cannot tell whether BPF LSM is active: %s: %s (mount it: mount -t "
			 "securityfs securityfs /sys/kernel/security)",
			 KK_LSM_LIST_FILE, strerror(-lerr));
		return lerr;
	}
	return 0;
}
