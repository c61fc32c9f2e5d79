// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_bind — `kakunin-bpf bind --pid PID --cert CERT --policy FILE [--ca BUNDLE]`.
 *
 * The certificate is verified (chain, validity, agent_id, pinned policy hash), the policy
 * compiled, and only then is anything written: the policy's rules, the identity, the binding,
 * and last the mark on the task (through a pidfd, so a recycled PID is never bound by
 * mistake), after which every child it creates inherits the binding in the kernel. Any failure
 * undoes what was written: nothing is half-bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "cli.h"
#include "log.h"
#include "op.h"

static const char usage[] =
	"usage: kakunin-bpf bind (--pid PID [--tree] | --cgroup PATH) --cert CERT --policy FILE\n"
	"                        [--ca BUNDLE] [--region R] [--offline]\n\n"
	"Bind process PID (every thread of it) and every child it creates from now on — with\n"
	"--tree its existing descendants too — or every task of the cgroup v2 PATH, now and\n"
	"later, to the agent certificate CERT and the scope policy FILE. CERT must chain to a\n"
	"CA in BUNDLE (default /etc/kakunin/ca.pem), be valid now, name the policy's agent_id\n"
	"(CN or SAN URI) and, if it pins a policy hash, pin this policy's. --offline keeps\n"
	"hostnames unresolved. --tree binds 32 generations below PID: a deeper tree is\n"
	"refused and nothing is bound.\n";

static const struct option opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "tree", no_argument, NULL, 't' },
	{ "cgroup", required_argument, NULL, 'g' },
	{ "cert", required_argument, NULL, 'c' },
	{ "policy", required_argument, NULL, 'P' },
	{ "ca", required_argument, NULL, 'a' },
	{ "offline", no_argument, NULL, 'o' },
	{ "region", required_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

#define PF_KTHREAD 0x00200000u /* include/linux/sched.h */

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

int kk_open_target(int pid, int *pidfd)
{
	unsigned int flags = 0;
	int fd, err;

	if (pid == 1) {
		kk_err("bind", "PID 1 cannot be bound: every process on the host descends from it");
		return -EPERM;
	}
	if (pid == getpid() || pid == getppid()) {
		kk_err("bind", "PID %d is kakunin-bpf itself or its parent and cannot be bound", pid);
		return -EPERM;
	}
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		err = -errno;
		kk_err("bind", "PID %d: %s", pid,
		       err == -ESRCH ? "no such process" :
		       err == -EINVAL ? "not a process (thread IDs cannot be bound)" : strerror(-err));
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

int cmd_bind(int argc, char **argv)
{
	struct kk_bind_req req = { .ca = NULL };
	const char *pid_arg = NULL;
	int c, pidfd = -1, rc;
	char why[512];

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid_arg = optarg;
			break;
		case 'c':
			req.cert = optarg;
			break;
		case 't':
			req.tree = true;
			break;
		case 'g':
			req.cgroup = optarg;
			break;
		case 'P':
			req.policy = optarg;
			break;
		case 'a':
			req.ca = optarg;
			break;
		case 'o':
			req.offline = true;
			break;
		case 'r':
			req.region = optarg;
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
	if (!pid_arg == !req.cgroup)
		return kk_usage_error("bind", pid_arg ? "--pid and --cgroup exclude each other" :
				      "--pid or --cgroup is required");
	if (req.tree && !pid_arg)
		return kk_usage_error("bind", "--tree goes with --pid");
	if (pid_arg && kk_parse_pid(pid_arg, &req.pid))
		return kk_usage_error("bind", "--pid '%s': not a process id (1 to 2147483647)",
				      pid_arg);
	if (!req.cert)
		return kk_usage_error("bind", "--cert is required");
	if (!req.policy)
		return kk_usage_error("bind", "--policy is required");
	if (kk_require_root("bind"))
		return KK_EXIT_FAIL;
	if (req.cgroup && kk_cgroup_resolve(req.cgroup, &req.cgid, &req.cglevel, why,
					    sizeof(why))) {
		kk_err("bind", "%s", why);
		return KK_EXIT_FAIL;
	}
	if (req.cgroup && req.cglevel >= KK_CGROUP_LEVELS) {
		kk_err("bind", "cgroup %s is %u levels deep; at most %d can be bound", req.cgroup,
		       req.cglevel, KK_CGROUP_LEVELS - 1);
		return KK_EXIT_FAIL;
	}
	if (kk_bind_prepare(&req))
		return KK_EXIT_FAIL;
	rc = KK_EXIT_FAIL;
	if ((req.cgroup || kk_open_target(req.pid, &pidfd) == 0) &&
	    kk_bind_commit(&req, pidfd) == 0)
		rc = KK_EXIT_OK;
	if (pidfd >= 0)
		close(pidfd);
	kk_bind_release(&req);
	return rc;
}
