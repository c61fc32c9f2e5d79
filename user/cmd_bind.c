// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_bind — `kakunin-bpf bind --pid PID --deny-prefix PATH`.
 *
 * Walking skeleton of a binding: the task is marked in the kernel's task storage (through a
 * pidfd, so a recycled PID can never be bound by mistake) and every child it creates from then
 * on inherits the mark in task_alloc. --deny-prefix is temporary: certificate-bound scope
 * policies replace it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "maps.h"
#include "paths.h"

#define PF_KTHREAD 0x00200000u /* include/linux/sched.h */

static const char usage[] =
	"usage: kakunin-bpf bind --pid PID --deny-prefix PATH\n\n"
	"Bind process PID and every child it creates from now on. Opening PATH or anything\n"
	"below it then fails with EACCES for them, and each denial is an event\n"
	"(kakunin-bpf events). --deny-prefix is the walking skeleton's only rule.\n";

static const struct option opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "deny-prefix", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Field 9 of /proc/PID/stat: the task flags. comm (field 2) may contain spaces and ')'. */
static int read_task_flags(int pid, unsigned int *flags)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* After ")" come state(3) ppid(4) pgrp session tty_nr tpgid flags(9): 7 spaces on. */
	for (i = 0; i < 7 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%u", flags) != 1)
		return -EIO;
	return 0;
}

/* Open a pidfd for pid and refuse what must never be bound. */
static int open_target(int pid, int *pidfd)
{
	unsigned int flags = 0;
	int fd, err;

	if (pid == 1) {
		kk_err("bind", "PID 1 cannot be bound: every process on the host descends from it");
		return -EPERM;
	}
	if (pid == getpid() || pid == getppid()) {
		kk_err("bind", "PID %d is kakunin-bpf itself or its parent and cannot be bound",
		       pid);
		return -EPERM;
	}
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		err = -errno;
		kk_err("bind", "PID %d: %s", pid,
		       err == -ESRCH	? "no such process"
		       : err == -EINVAL ? "not a process (thread IDs cannot be bound)"
					: strerror(-err));
		return err;
	}
	err = read_task_flags(pid, &flags);
	/* The pidfd pins the process: if it still exists, /proc/PID was about it, not a reuse. */
	if (!err && syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) != 0)
		err = -errno;
	if (err) {
		kk_err("bind", "PID %d: %s", pid,
		       err == -ESRCH || err == -ENOENT ? "the process exited" : strerror(-err));
		close(fd);
		return err;
	}
	if (flags & PF_KTHREAD) {
		kk_err("bind", "PID %d is a kernel thread and cannot be bound", pid);
		close(fd);
		return -EPERM;
	}
	*pidfd = fd;
	return 0;
}

static int do_bind(int pid, const char *prefix)
{
	struct kk_binding b = { .state = KK_STATE_ACTIVE };
	struct kk_maps m;
	int pidfd = -1, err;
	__u32 id = 0;

	b.prefix_len = strlen(prefix);
	memcpy(b.prefix, prefix, b.prefix_len);
	err = open_target(pid, &pidfd);
	if (err)
		return KK_EXIT_FAIL;
	err = kk_maps_open(&m);
	if (err)
		goto out;
	err = kk_maps_bind(&m, pidfd, &b, &id);
	kk_maps_close(&m);
	if (err == -EEXIST)
		kk_err("bind", "PID %d is already bound (binding %u)", pid, id);
	else if (err == -ENOSPC)
		kk_err("bind", "the binding table is full (%d bindings)", 1024);
	else if (err == -ESRCH || err == -ENOENT)
		kk_err("bind", "PID %d exited before it could be bound", pid);
	else if (err)
		kk_err("bind", "binding PID %d failed: %s", pid, strerror(-err));
	else
		kk_info("kakunin-bpf: bound PID %d as binding %u (deny prefix %s)", pid, id,
			prefix);
out:
	close(pidfd);
	return err ? KK_EXIT_FAIL : KK_EXIT_OK;
}

int cmd_bind(int argc, char **argv)
{
	const char *pid_arg = NULL, *prefix = NULL;
	char why[128];
	int c, pid;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid_arg = optarg;
			break;
		case 'd':
			prefix = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return KK_EXIT_OK;
		default:
			return kk_bad_option("bind", c, argv);
		}
	}
	if (optind < argc)
		return kk_usage_error("bind", "unexpected argument '%s'", argv[optind]);
	if (!pid_arg)
		return kk_usage_error("bind", "--pid is required");
	if (kk_parse_pid(pid_arg, &pid))
		return kk_usage_error("bind", "--pid '%s': not a process id (1 to 2147483647)",
				      pid_arg);
	if (!prefix)
		return kk_usage_error("bind", "--deny-prefix is required");
	if (kk_path_check(prefix, KK_PREFIX_MAX, why, sizeof(why)))
		return kk_usage_error("bind", "--deny-prefix '%s': %s", prefix, why);
	if (kk_require_root("bind"))
		return KK_EXIT_FAIL;
	return do_bind(pid, prefix);
}
