// SPDX-License-Identifier: GPL-2.0-only
/*
 * protect.bpf.c — a bound agent cannot escape or disarm its binding, root or not.
 *
 * Hooks: lsm/bpf, lsm/perf_event_open, lsm/kernel_read_file, lsm/kernel_load_data,
 * lsm/locked_down, lsm/ptrace_access_check, lsm/ptrace_traceme, lsm/task_kill, lsm/sb_mount,
 * lsm/sb_umount, lsm/move_mount, lsm/sb_pivotroot, lsm/path_chroot, lsm/userns_create,
 * lsm/capable, lsm/file_receive, lsm/mmap_file, lsm/file_mprotect, lsm/file_fcntl, lsm/file_ioctl.
 *
 * Decision model (EPERM unless stated): for a bound task, whatever its policy or audit mode —
 *   no bpf() at all (no program or map by id, no map writes, no link detach), no perf events,
 *   no module or kexec loading, nothing lockdown guards (raw memory, port I/O, ...);
 *   no ptrace of anyone, no PTRACE_TRACEME (which hands its own memory to its parent), so no
 *   process_vm_writev, /proc/PID/mem or pidfd_getfd either;
 *   signals only to tasks of its own binding (the daemon and every other process are out of
 *   reach), also those the kernel sends for it: a file's owner (F_SETOWN) only itself;
 *   no mount, umount, move_mount, pivot_root, chroot, no new user namespace, and none of the
 *   capabilities that would configure the host or the kernel (CAP_SYS_ADMIN, ...);
 *   an fd passed in (SCM_RIGHTS) only if the agent could have opened the file itself (EACCES);
 *   executable mappings only of files the agent cannot write (W^X for libraries, EACCES).
 * Unbound tasks leave every hook after one task-storage lookup.
 */
#include "path.bpf.h"

#define PROT_EXEC 0x4

/* Capabilities a bound task never uses: they configure the host, the kernel or other tasks. */
#define KK_DENIED_CAPS                                                                            \
	((1ULL << 2) /* DAC_READ_SEARCH: open_by_handle_at */ | (1ULL << 9) /* LINUX_IMMUTABLE */ | \
	 (1ULL << 12) /* NET_ADMIN */ | (1ULL << 13) /* NET_RAW */ | (1ULL << 16) /* SYS_MODULE */ | \
	 (1ULL << 17) /* SYS_RAWIO */ | (1ULL << 18) /* SYS_CHROOT */ |                            \
	 (1ULL << 19) /* SYS_PTRACE */ | (1ULL << 21) /* SYS_ADMIN */ | (1ULL << 22) /* SYS_BOOT */ | \
	 (1ULL << 25) /* SYS_TIME: allowed_hours */ | (1ULL << 27) /* MKNOD */ |                    \
	 (1ULL << 30) /* AUDIT_CONTROL */ | (1ULL << 31) /* SETFCAP */ |                             \
	 (1ULL << 32) /* MAC_OVERRIDE */ | (1ULL << 33) /* MAC_ADMIN */ | (1ULL << 34) /* SYSLOG */ | \
	 (1ULL << 38) /* PERFMON */ | (1ULL << 39) /* BPF */ | (1ULL << 40) /* CHECKPOINT_RESTORE */)

/*
 * Refuse for a bound task, reporting detail (a command, a capability, a pid) in ev->count,
 * unless its policy has one of the flags pol_flags (and its identity is in good standing).
 */
static __always_inline int kk_protect_unless(__u32 hook, __u32 detail, __u32 pol_flags)
{
	struct kk_event *ev;
	struct kk_ctx c;

	if (!kk_resolve(&c, hook))
		return 0;
	if (!c.state_reason && c.pol && (c.pol->consts.flags & pol_flags))
		return kk_finish(&c, NULL, 0, 0);
	ev = kk_event_start(&c, 0);
	if (ev)
		ev->count = detail;
	return kk_finish(&c, ev, KK_REASON_PROTECTED, EPERM);
}

static __always_inline int kk_protect(__u32 hook, __u32 detail)
{
	return kk_protect_unless(hook, detail, 0);
}

SEC("lsm/bpf")
int BPF_PROG(kk_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	return ret ?: kk_protect(KK_HOOK_BPF, cmd);
}

SEC("lsm/perf_event_open")
int BPF_PROG(kk_perf_event_open, struct perf_event_attr *attr, int type, int ret)
{
	return ret ?: kk_protect(KK_HOOK_PERF_EVENT_OPEN, type);
}

SEC("lsm/kernel_read_file")
int BPF_PROG(kk_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents,
	     int ret)
{
	return ret ?: kk_protect(KK_HOOK_KERNEL_READ_FILE, id);
}

SEC("lsm/kernel_load_data")
int BPF_PROG(kk_kernel_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	return ret ?: kk_protect(KK_HOOK_KERNEL_LOAD_DATA, id);
}

SEC("lsm/locked_down")
int BPF_PROG(kk_locked_down, enum lockdown_reason what, int ret)
{
	return ret ?: kk_protect(KK_HOOK_LOCKED_DOWN, what);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(kk_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
	return ret ?: kk_protect(KK_HOOK_PTRACE, BPF_CORE_READ(child, tgid));
}

SEC("lsm/ptrace_traceme")
int BPF_PROG(kk_ptrace_traceme, struct task_struct *parent, int ret)
{
	return ret ?: kk_protect(KK_HOOK_PTRACE_TRACEME, BPF_CORE_READ(parent, tgid));
}

/* Refuse a signal (or what names its target) aimed outside the binding; detail as kk_protect. */
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
	struct kk_task *target;
	struct kk_ctx c;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_TASK_KILL))
		return 0;
	target = bpf_task_storage_get(&kk_task, p, 0, 0);
	if (target && target->binding == c.slot && target->gen == c.gen && !c.state_reason)
		return 0;
	return kk_outside(&c, BPF_CORE_READ(p, tgid), sig);
}

#define F_SETOWN 8
#define F_SETOWN_EX 15
#define FIOSETOWN 0x8901
#define SIOCSPGRP 0x8902
#define SIGIO 29
#define MAX_PID_NS_LEVEL 32 /* kernel/pid_namespace.c */

/* The agent's own process as its pid namespace numbers it: what F_SETOWN(getpid()) passes. */
static __always_inline int kk_own_vtgid(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = -1;

	if (level > MAX_PID_NS_LEVEL)
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

SEC("lsm/file_ioctl")
int BPF_PROG(kk_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	struct kk_ctx c;

	if (ret || (cmd != FIOSETOWN && cmd != SIOCSPGRP))
		return ret;
	if (!kk_resolve(&c, KK_HOOK_FILE_IOCTL))
		return 0;
	return kk_outside(&c, cmd, 0);
}

SEC("lsm/sb_mount")
int BPF_PROG(kk_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	return ret ?: kk_protect(KK_HOOK_SB_MOUNT, 0);
}

SEC("lsm/sb_umount")
int BPF_PROG(kk_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	return ret ?: kk_protect(KK_HOOK_SB_UMOUNT, 0);
}

SEC("lsm/move_mount")
int BPF_PROG(kk_move_mount, const struct path *from, const struct path *to, int ret)
{
	return ret ?: kk_protect(KK_HOOK_MOVE_MOUNT, 0);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(kk_sb_pivotroot, const struct path *old, const struct path *new, int ret)
{
	return ret ?: kk_protect(KK_HOOK_SB_PIVOTROOT, 0);
}

SEC("lsm/path_chroot")
int BPF_PROG(kk_path_chroot, const struct path *path, int ret)
{
	return ret ?: kk_protect(KK_HOOK_PATH_CHROOT, 0);
}

SEC("lsm/userns_create")
int BPF_PROG(kk_userns_create, const struct cred *cred, int ret)
{
	return ret ?: kk_protect(KK_HOOK_USERNS_CREATE, 0);
}

#define CAP_NET_RAW 13
#define CAP_OPT_NOAUDIT 0x2 /* include/linux/security.h */

SEC("lsm/capable")
int BPF_PROG(kk_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kk_task *t;

	if (ret || cap < 0 || cap > 63 || !(KK_DENIED_CAPS & (1ULL << cap)))
		return ret;
	/*
	 * The kernel acting with other credentials than the task's own (overlayfs reading its
	 * trusted xattrs with the mounter's, for one) is not the agent asking: refusing that
	 * would corrupt what the agent sees, not confine it.
	 */
	if (cred != BPF_CORE_READ(task, real_cred))
		return 0;
	/*
	 * A probe the kernel does not audit either (e.g. every mmap asks whether root may use
	 * the admin memory reserve): refused the same, but not worth an event each.
	 */
	if (opts & CAP_OPT_NOAUDIT) {
		t = bpf_task_storage_get(&kk_task, task, 0, 0);
		return t ? -EPERM : 0;
	}
	/* What raw and packet sockets need: theirs when the policy allows those sockets. */
	if (cap == CAP_NET_RAW)
		return kk_protect_unless(KK_HOOK_CAPABLE, cap, KK_POL_SOCK_RAW | KK_POL_SOCK_PACKET);
	return kk_protect(KK_HOOK_CAPABLE, cap);
}

/* An fd received over SCM_RIGHTS: as if the agent opened the file itself. */
SEC("lsm/file_receive")
int BPF_PROG(kk_file_receive, struct file *file, int ret)
{
	unsigned int mode = BPF_CORE_READ(file, f_mode);
	struct kk_event *ev;
	struct kk_ctx c;
	__u32 access = (mode & FMODE_READ ? KK_ACCESS_READ : 0) |
		       (mode & FMODE_WRITE ? KK_ACCESS_WRITE : 0);
	__u32 reason;
	long len;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_FILE_RECEIVE))
		return 0;
	ev = kk_event_start(&c, access);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	len = bpf_d_path(&file->f_path, ev->path, sizeof(ev->path));
	ev->path_len = len > 0 ? len : 0;
	reason = c.state_reason;
	if (!reason && (len <= 0 || len > KK_PATH_MAX)) {
		/* Sockets, pipes: no path a policy could name; they are decided where used. */
		return kk_finish(&c, ev, 0, 0);
	}
	if (!reason)
		reason = kk_path_decide(&c, ev->path, len, access);
	return kk_finish(&c, ev, reason, EACCES);
}

/* Code mapped from path: never from a file the agent may write (or no file at all). */
static __always_inline __u32 kk_exec_map_reason(struct kk_ctx *c, const char *path, long len)
{
	if (c->state_reason)
		return c->state_reason;
	if (len <= 0 || len > KK_PATH_MAX) {
		kk_count(KK_STAT_PATH_FAIL);
		return KK_REASON_PATH_UNRESOLVED;
	}
	return kk_path_perms(c, path, len) & KK_ACCESS_WRITE ? KK_REASON_EXEC_WRITABLE : 0;
}

SEC("lsm/mmap_file")
int BPF_PROG(kk_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct kk_event *ev;
	struct kk_ctx c;
	long len;

	if (ret || !file || !(prot & PROT_EXEC))
		return ret;
	if (!kk_resolve(&c, KK_HOOK_MMAP_FILE))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_EXEC);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	len = bpf_d_path(&file->f_path, ev->path, sizeof(ev->path));
	ev->path_len = len > 0 ? len : 0;
	return kk_finish(&c, ev, kk_exec_map_reason(&c, ev->path, len), EACCES);
}

SEC("lsm/file_mprotect")
int BPF_PROG(kk_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file = BPF_CORE_READ(vma, vm_file);
	struct kk_event *ev;
	struct kk_ctx c;
	long len;

	if (ret || !file || !(prot & PROT_EXEC))
		return ret;
	if (!kk_resolve(&c, KK_HOOK_FILE_MPROTECT))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_EXEC);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	len = kk_walk_path(c.s, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			   ev->path);
	ev->path_len = len > 0 ? len : 0;
	return kk_finish(&c, ev, kk_exec_map_reason(&c, ev->path, len), EACCES);
}
