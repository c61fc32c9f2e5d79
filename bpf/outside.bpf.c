// SPDX-License-Identifier: GPL-2.0-only
/*
 * outside.bpf.c — a bound task cannot act on processes outside its binding: signals, file
 * owners that receive signals, the terminal's input, scheduling, limits and memory placement.
 *
 * Hooks: lsm/task_kill, lsm/file_fcntl, lsm/file_ioctl, lsm/file_ioctl_compat,
 * lsm/task_setnice, lsm/task_setioprio, lsm/task_setscheduler, lsm/task_setrlimit,
 * lsm/task_movememory.
 *
 * Decision model (EPERM), for a bound task whatever its policy's mode:
 *   signals and the scheduling hooks only reach tasks carrying the same (slot, gen) mark — the
 *   audit daemon and the operator's shell are out of reach: no kill, no renice or SCHED_IDLE,
 *   no prlimit(RLIMIT_FSIZE=0) that would make its next write kill it, no migrate_pages;
 *   a file's owner (F_SETOWN, FIOSETOWN, SIOCSPGRP), whom the kernel signals on I/O, only itself;
 *   no ioctl that types into a terminal or takes it over (TIOCSTI, TIOCLINUX's paste, TIOCCONS,
 *   TIOCSETD, TIOCSCTTY, TIOCSPGRP, TIOCVHANGUP, the console's KD and VT families): the terminal
 *   may be the operator's, and what is typed there runs outside the binding;
 *   ioctls that change a file's attributes (FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR, fs-verity,
 *   encryption policy) need write access to the file (EACCES);
 *   once the identity is revoked, blocked or outside allowed_hours, no ioctl at all.
 */
#include "file.bpf.h"

/* Does p carry the current task's binding (and may the current task still act)? */
static __always_inline bool kk_same_binding(struct kk_ctx *c, struct task_struct *p)
{
	struct kk_task *t = bpf_task_storage_get(&kk_task, p, 0, 0);

	return t && t->binding == c->slot && t->gen == c->gen && !c->state_reason;
}

/* Refuse what names a target outside the binding; detail in ev->count, a signal in ev->port. */
static __always_inline int kk_outside(struct kk_ctx *c, __u32 detail, __u16 sig)
{
	struct kk_event *ev = kk_event_start(c, 0);

	if (ev) {
		ev->count = detail;
		ev->port = sig;
	}
	return kk_finish(c, ev, c->state_reason ?: KK_REASON_OUTSIDE_BINDING, EPERM);
}

/* Signals stay inside the binding: to tasks carrying the same (slot, gen) mark. */
SEC("lsm/task_kill")
int BPF_PROG(kk_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	struct kk_ctx c;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_TASK_KILL))
		return 0;
	if (kk_same_binding(&c, p))
		return 0;
	return kk_outside(&c, BPF_CORE_READ(p, tgid), sig);
}

/* Scheduling, limits, memory placement of p: only inside the binding. */
static __always_inline int kk_task_ctl(__u32 hook, struct task_struct *p)
{
	struct kk_ctx c;

	if (!kk_resolve(&c, hook))
		return 0;
	if (kk_same_binding(&c, p))
		return kk_finish(&c, NULL, 0, 0);
	return kk_outside(&c, BPF_CORE_READ(p, tgid), 0);
}

SEC("lsm/task_setnice")
int BPF_PROG(kk_task_setnice, struct task_struct *p, int nice, int ret)
{
	return ret ?: kk_task_ctl(KK_HOOK_TASK_SETNICE, p);
}

SEC("lsm/task_setioprio")
int BPF_PROG(kk_task_setioprio, struct task_struct *p, int ioprio, int ret)
{
	return ret ?: kk_task_ctl(KK_HOOK_TASK_SETIOPRIO, p);
}

SEC("lsm/task_setscheduler")
int BPF_PROG(kk_task_setscheduler, struct task_struct *p, int ret)
{
	return ret ?: kk_task_ctl(KK_HOOK_TASK_SETSCHEDULER, p);
}

SEC("lsm/task_setrlimit")
int BPF_PROG(kk_task_setrlimit, struct task_struct *p, unsigned int resource,
	     struct rlimit *new_rlim, int ret)
{
	return ret ?: kk_task_ctl(KK_HOOK_TASK_SETRLIMIT, p);
}

SEC("lsm/task_movememory")
int BPF_PROG(kk_task_movememory, struct task_struct *p, int ret)
{
	return ret ?: kk_task_ctl(KK_HOOK_TASK_MOVEMEMORY, p);
}

#define F_SETOWN    8
#define F_SETOWN_EX 15
#define SIGIO	    29

/* The agent's own process as its pid namespace numbers it: what F_SETOWN(getpid()) passes. */
static __always_inline int kk_own_vtgid(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = -1;

	if (level > KK_PID_NS_LEVEL_MAX)
		return -1;
	if (bpf_core_read(&nr, sizeof(nr), &pid->numbers[level].nr))
		return -1;
	return nr;
}

/*
 * The kernel sends SIGIO (or whatever F_SETSIG chose, SIGKILL included) to a file's owner on
 * I/O, and file_send_sigiotask cannot tell who chose that owner. So the choice is decided
 * where it is made: a bound task may name only itself (or nobody). F_SETOWN_EX and the ioctls
 * pass the pid through user memory, which another thread could rewrite after a check: refused.
 */
SEC("lsm/file_fcntl")
int BPF_PROG(kk_file_fcntl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	struct kk_ctx c;
	int who = (int)arg;

	if (ret || (cmd != F_SETOWN && cmd != F_SETOWN_EX))
		return ret;
	if (!kk_resolve(&c, KK_HOOK_FILE_FCNTL))
		return 0;
	if (!c.state_reason && cmd == F_SETOWN && (who == 0 || who == kk_own_vtgid()))
		return 0;
	return kk_outside(&c, cmd == F_SETOWN && who > 0 ? who : 0,
			  BPF_CORE_READ(file, f_owner.signum) ?: SIGIO);
}

#define FIOSETOWN		     0x8901
#define SIOCSPGRP		     0x8902
#define TIOCSCTTY		     0x540e
#define TIOCSPGRP		     0x5410
#define TIOCSTI			     0x5412
#define TIOCLINUX		     0x541c
#define TIOCCONS		     0x541d
#define TIOCSETD		     0x5423
#define TIOCVHANGUP		     0x5437
#define FS_IOC_SETFLAGS		     0x40086602
#define FS_IOC32_SETFLAGS	     0x40046602
#define FS_IOC_FSSETXATTR	     0x401c5820
#define FS_IOC_SETVERSION	     0x40087602
#define FS_IOC32_SETVERSION	     0x40047602
#define FS_IOC_ENABLE_VERITY	     0x40806685
#define FS_IOC_SET_ENCRYPTION_POLICY 0x800c6613

/* Terminal and console ioctls that inject input or take the terminal over. */
static __always_inline bool kk_tty_takeover(unsigned int cmd)
{
	switch (cmd) {
	case TIOCSTI:
	case TIOCLINUX:
	case TIOCCONS:
	case TIOCSETD:
	case TIOCSCTTY:
	case TIOCSPGRP:
	case TIOCVHANGUP:
		return true;
	}
	/* KD* (keyboard maps, function-key strings, raw mode) and VT_* (switching consoles). */
	return (cmd & 0xff00) == 0x4b00 || (cmd & 0xff00) == 0x5600;
}

static __always_inline bool kk_attr_ioctl(unsigned int cmd)
{
	return cmd == FS_IOC_SETFLAGS || cmd == FS_IOC32_SETFLAGS || cmd == FS_IOC_FSSETXATTR ||
	       cmd == FS_IOC_SETVERSION || cmd == FS_IOC32_SETVERSION ||
	       cmd == FS_IOC_ENABLE_VERITY || cmd == FS_IOC_SET_ENCRYPTION_POLICY;
}

static __always_inline int kk_ioctl(__u32 hook, struct file *file, unsigned int cmd)
{
	struct kk_event *ev;
	struct kk_ctx c;

	if (!kk_resolve(&c, hook))
		return 0;
	if (c.state_reason || kk_tty_takeover(cmd)) {
		ev = kk_event_start(&c, 0);
		if (ev)
			ev->count = cmd;
		return kk_finish(&c, ev, c.state_reason ?: KK_REASON_PROTECTED, EPERM);
	}
	if (cmd == FIOSETOWN || cmd == SIOCSPGRP)
		return kk_outside(&c, cmd, 0);
	if (!kk_attr_ioctl(cmd))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_WRITE);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	ev->count = cmd;
	return kk_file_finish(&c, ev, kk_file_use(&c, ev, file, KK_ACCESS_WRITE));
}

SEC("lsm/file_ioctl")
int BPF_PROG(kk_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ret ?: kk_ioctl(KK_HOOK_FILE_IOCTL, file, cmd);
}

/* 32-bit ioctl(2) on a 64-bit kernel: the same decisions (a 6.1 stable backport; newer too). */
SEC("lsm/file_ioctl_compat")
int BPF_PROG(kk_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ret ?: kk_ioctl(KK_HOOK_FILE_IOCTL_COMPAT, file, cmd);
}
