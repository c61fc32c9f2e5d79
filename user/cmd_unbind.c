// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_unbind — `kakunin-bpf unbind (--pid PID | --serial HEX)`: end bindings. Their tasks are
 * unbound at their next action (their mark names a generation that no longer exists); the
 * policy and identity slots are released when no binding uses them; agent.unbound is emitted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "cli.h"
#include "identity.h"
#include "log.h"
#include "maps.h"

static const char usage[] =
	"usage: kakunin-bpf unbind (--pid PID | --cgroup PATH | --serial HEX)\n\n"
	"End the binding of process PID, of the cgroup PATH, or every binding of the\n"
	"certificate with serial HEX (colons and a 0x prefix allowed). The tasks of a binding\n"
	"are free from their next action on; agent.unbound is emitted for each binding ended.\n";

static const struct option opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "serial", required_argument, NULL, 's' },
	{ "cgroup", required_argument, NULL, 'g' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int unbind_pid(struct kk_maps *m, int pid)
{
	uint32_t slot;
	int fd, err;

	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		kk_err("unbind", "PID %d: %s", pid, errno == ESRCH ? "no such process" :
		       strerror(errno));
		return -errno;
	}
	err = kk_maps_task_binding(m, fd, &slot);
	close(fd);
	if (err) {
		kk_err("unbind", "PID %d is not bound", pid);
		return -ENOENT;
	}
	err = kk_unbind_slot(m, slot, "unbind");
	if (err)
		kk_err("unbind", "binding %u: %s", slot, strerror(-err));
	else
		kk_info("kakunin-bpf: unbound binding %u (PID %d)", slot, pid);
	return err;
}

static int unbind_cgroup(struct kk_maps *m, const char *path)
{
	struct kk_binding b;
	uint32_t slot, level;
	uint64_t id;
	char why[300];
	int err;

	err = kk_cgroup_resolve(path, &id, &level, why, sizeof(why));
	if (err) {
		kk_err("unbind", "%s%s", why, err == -ENOENT ? " (the binding of a removed cgroup "
		       "ends by itself at the next status, bind or daemon check)" : "");
		return -EINVAL;
	}
	for (slot = 0; slot < KK_MAX_BINDINGS; slot++) {
		if (kk_maps_binding_read(m, slot, &b) || !b.in_use || !(b.flags & KK_BIND_CGROUP) ||
		    b.cgroup_id != id)
			continue;
		err = kk_maps_cgroup_del(m, id) ?: kk_unbind_slot(m, slot, "unbind");
		err = err ?: kk_maps_cgroup_levels(m);
		if (err)
			kk_err("unbind", "binding %u: %s", slot, strerror(-err));
		else
			kk_info("kakunin-bpf: unbound binding %u (cgroup %s)", slot, path);
		return err;
	}
	kk_err("unbind", "cgroup %s is not bound", path);
	return -ENOENT;
}

static int unbind_serial(struct kk_maps *m, const uint8_t *serial, size_t len, const char *canon)
{
	struct kk_binding b;
	struct kk_ident id;
	uint32_t slot;
	int n = 0, err = 0;

	for (slot = 0; slot < KK_MAX_BINDINGS; slot++) {
		if (kk_maps_binding_read(m, slot, &b) || !b.in_use ||
		    kk_maps_ident_read(m, b.ident, &id) || id.key.serial_len != len ||
		    memcmp(id.key.serial, serial, len))
			continue;
		err = kk_unbind_slot(m, slot, "unbind") ?: err;
		n++;
	}
	if (!n) {
		kk_err("unbind", "no binding of certificate serial %s", canon);
		return -ENOENT;
	}
	if (!err)
		kk_info("kakunin-bpf: unbound %d binding%s of serial %s", n, n == 1 ? "" : "s",
			canon);
	return err;
}

int cmd_unbind(int argc, char **argv)
{
	const char *pid_arg = NULL, *serial_arg = NULL, *cgroup_arg = NULL;
	uint8_t serial[KK_SERIAL_MAX];
	char canon[41];
	struct kk_maps m;
	size_t len = 0;
	int c, pid = 0, err;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'p')
			pid_arg = optarg;
		else if (c == 's')
			serial_arg = optarg;
		else if (c == 'g')
			cgroup_arg = optarg;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option("unbind", c, argv);
	}
	if (optind < argc)
		return kk_usage_error("unbind", "unexpected argument '%s'", argv[optind]);
	if (!!pid_arg + !!serial_arg + !!cgroup_arg != 1)
		return kk_usage_error("unbind", "give exactly one of --pid, --cgroup and --serial");
	if (pid_arg && kk_parse_pid(pid_arg, &pid))
		return kk_usage_error("unbind", "--pid '%s': not a process id", pid_arg);
	if (serial_arg && kk_serial_parse(serial_arg, serial, &len, canon))
		return kk_usage_error("unbind", "--serial '%s': not a hex serial number (up to 20 "
				      "bytes)", serial_arg);
	if (kk_require_root("unbind") || kk_maps_open(&m))
		return KK_EXIT_FAIL;
	err = kk_maps_lock(&m);
	if (!err)
		err = pid_arg ? unbind_pid(&m, pid) : cgroup_arg ? unbind_cgroup(&m, cgroup_arg) :
		      unbind_serial(&m, serial, len, canon);
	kk_maps_close(&m);
	return err ? KK_EXIT_FAIL : KK_EXIT_OK;
}
