// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_bind — bind a process (and with --tree its descendants) or a cgroup, and bind the child of
 * `run` before it execs. The steps themselves are bind.c's (verify and compile, then one
 * locked, all-or-nothing write); this checks the request, resolves the cgroup and opens the
 * target process by pidfd, refusing what must never be bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "op.h"

int kk_bind_req_init(struct kk_bind_req *r, const struct kk_bind_opts *o, struct kk_error *e)
{
	char what[sizeof(e->what)];

	memset(r, 0, sizeof(*r));
	if (!o->run && !o->pid == !o->cgroup)
		return kk_error_set(e, -EINVAL, NULL, "%s", o->pid ?
				    "--pid and --cgroup exclude each other" :
				    "--pid or --cgroup is required");
	if (o->tree && !o->pid)
		return kk_error_set(e, -EINVAL, NULL, "--tree goes with --pid");
	if (o->tree && o->replace)
		return kk_error_set(e, -EINVAL, NULL, "--tree and --replace exclude each other "
				    "(--replace changes the policy of every process of the "
				    "binding)");
	snprintf(what, sizeof(what), "--pid '%s'", o->pid ? o->pid : "");
	if (o->pid && kk_parse_pid(o->pid, &r->pid))
		return kk_error_set(e, -EINVAL, what, "not a process id (1 to 2147483647)");
	/* --replace keeps the binding's identity: its certificate is in the state directory. */
	if (!o->cert && !o->replace)
		return kk_error_set(e, -EINVAL, NULL, "--cert is required");
	if (!o->policy)
		return kk_error_set(e, -EINVAL, NULL, "--policy is required");
	snprintf(what, sizeof(what), "--policy '%s'", o->policy);
	if (o->watch && kk_watch_path(o->policy, r->watch, sizeof(r->watch)))
		return kk_error_set(e, -EINVAL, what, "path too long to follow");
	r->tree = o->tree;
	r->cgroup = o->cgroup;
	r->cert = o->cert;
	r->policy = o->policy;
	r->ca = o->ca;
	r->region = o->region;
	r->offline = o->offline;
	r->replace = o->replace;
	return 0;
}

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

int kk_open_target(int pid, int *pidfd, struct kk_error *e)
{
	unsigned int flags = 0;
	char what[32];
	int fd, err;

	snprintf(what, sizeof(what), "PID %d", pid);
	if (pid == 1)
		return kk_error_set(e, -EPERM, NULL, "PID 1 cannot be bound: every process on the "
				    "host descends from it");
	if (pid == getpid() || pid == getppid())
		return kk_error_set(e, -EPERM, NULL, "PID %d is kakunin-bpf itself or its parent "
				    "and cannot be bound", pid);
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		err = -errno;
		return kk_error_set(e, err, what, "%s", err == -ESRCH ? "no such process" :
				    err == -EINVAL ? "not a process (thread IDs cannot be bound)" :
				    strerror(-err));
	}
	err = read_task_flags(pid, &flags);
	/* The pidfd pins the process: if it still exists, /proc/PID was about it, not a reuse. */
	if (!err && syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) != 0)
		err = -errno;
	if (err) {
		close(fd);
		return kk_error_set(e, err, what, "%s", err == -ESRCH || err == -ENOENT ?
				    "the process exited" : strerror(-err));
	}
	if (flags & PF_KTHREAD) {
		close(fd);
		return kk_error_set(e, -EPERM, NULL,
				    "PID %d is a kernel thread and cannot be bound", pid);
	}
	*pidfd = fd;
	return 0;
}

/* The cgroup v2 directory r->cgroup into r->cgid and r->cglevel, within the levels bindable. */
static int resolve_cgroup(struct kk_bind_req *r, struct kk_error *e)
{
	char why[512];
	int err;

	err = kk_cgroup_resolve(r->cgroup, &r->cgid, &r->cglevel, why, sizeof(why));
	if (err)
		return kk_error_split(e, err, why);
	if (r->cglevel >= KK_CGROUP_LEVELS)
		return kk_error_set(e, -E2BIG, NULL, "cgroup %s is %u levels deep; at most %d can "
				    "be bound", r->cgroup, r->cglevel, KK_CGROUP_LEVELS - 1);
	return 0;
}

int kk_op_bind_prepare(struct kk_bind_req *r, struct kk_error *e)
{
	if (geteuid() != 0)
		return kk_error_set(e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	return kk_bind_prepare(r, e);
}

int kk_op_bind(struct kk_bind_req *r, struct kk_error *e)
{
	int pidfd = -1, err;

	if (geteuid() != 0)
		return kk_error_set(e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	err = r->cgroup ? resolve_cgroup(r, e) : 0;
	err = err ?: kk_bind_prepare(r, e);
	if (!err && !r->cgroup)
		err = kk_open_target(r->pid, &pidfd, e);
	err = err ?: kk_bind_commit(r, pidfd, e);
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

int kk_op_bind_child(struct kk_bind_req *r, int pid, struct kk_error *e)
{
	char what[32];
	int pidfd, err;

	r->pid = pid;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		snprintf(what, sizeof(what), "PID %d", pid);
		return kk_error_set(e, -errno, what, "%s", strerror(errno));
	}
	err = kk_bind_commit(r, pidfd, e);
	close(pidfd);
	return err;
}
