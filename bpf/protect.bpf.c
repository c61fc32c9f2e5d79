// SPDX-License-Identifier: GPL-2.0-only
/*
 * protect.bpf.c — a bound agent cannot escape or disarm its binding, root or not.
 *
 * Hooks: lsm/bpf, lsm/perf_event_open, lsm/kernel_read_file, lsm/kernel_load_data,
 * lsm/kernel_module_request, lsm/locked_down, lsm/syslog, lsm/ptrace_access_check,
 * lsm/ptrace_traceme, lsm/sb_mount, lsm/sb_umount, lsm/move_mount, lsm/sb_pivotroot,
 * lsm/path_chroot, lsm/userns_create, lsm/capable, lsm/uring_cmd, lsm/binder_*, lsm/tun_dev_*,
 * lsm/watch_key, lsm/post_notification.
 *
 * Decision model (EPERM unless stated): for a bound task, whatever its policy or audit mode —
 *   no bpf() at all (no program or map by id, no map writes, no link detach), no perf events,
 *   no module or kexec loading, no module autoloading it triggers (a socket family, a key
 *   type: the kernel would run modprobe for it), nothing lockdown guards (raw memory, port
 *   I/O, ...), no kernel log (syslog(2));
 *   no ptrace of anyone, no PTRACE_TRACEME (which hands its own memory to its parent), so no
 *   process_vm_writev, /proc/PID/mem or pidfd_getfd either;
 *   no mount, umount, move_mount, pivot_root, chroot, no new user namespace, and none of the
 *   capabilities that would configure the host or the kernel (CAP_SYS_ADMIN, ...);
 *   no io_uring passthrough commands to drivers, no Android binder, no tun/tap device (raw
 *   packets past the address rules), no key or watch_queue notifications.
 * Signals, terminals and scheduling of other processes: outside.bpf.c; mappings: mem.bpf.c.
 * Unbound tasks leave every hook after one task-storage lookup.
 */
#include "path.bpf.h"

/* Capabilities a bound task never uses: they configure the host, the kernel or other tasks. */
#define KK_DENIED_CAPS                                                                     \
	((1ULL << 2) /* DAC_READ_SEARCH: open_by_handle_at */ |                            \
	 (1ULL << 9) /* LINUX_IMMUTABLE */ | (1ULL << 12) /* NET_ADMIN */ |                \
	 (1ULL << 13) /* NET_RAW */ | (1ULL << 16) /* SYS_MODULE */ |                      \
	 (1ULL << 17) /* SYS_RAWIO */ | (1ULL << 18) /* SYS_CHROOT */ |                    \
	 (1ULL << 19) /* SYS_PTRACE */ | (1ULL << 20) /* SYS_PACCT */ |                    \
	 (1ULL << 21) /* SYS_ADMIN */ | (1ULL << 22) /* SYS_BOOT */ |                      \
	 (1ULL << 23) /* SYS_NICE: real-time priority would starve the audit daemon */ |   \
	 (1ULL << 25) /* SYS_TIME: allowed_hours */ | (1ULL << 27) /* MKNOD */ |           \
	 (1ULL << 30) /* AUDIT_CONTROL */ | (1ULL << 31) /* SETFCAP */ |                   \
	 (1ULL << 32) /* MAC_OVERRIDE */ | (1ULL << 33) /* MAC_ADMIN */ |                  \
	 (1ULL << 34) /* SYSLOG */ | (1ULL << 38) /* PERFMON */ | (1ULL << 39) /* BPF */ | \
	 (1ULL << 40) /* CHECKPOINT_RESTORE */)

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

/* The module name the kernel asked modprobe for, in ev->path. */
SEC("lsm/kernel_module_request")
int BPF_PROG(kk_kernel_module_request, char *kmod_name, int ret)
{
	struct kk_event *ev;
	struct kk_ctx c;
	long len;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_KERNEL_MODULE_REQUEST))
		return 0;
	ev = kk_event_start(&c, 0);
	if (ev) {
		len = bpf_probe_read_kernel_str(ev->path, 256, kmod_name);
		ev->path_len = len > 0 ? len : 0;
	}
	return kk_finish(&c, ev, KK_REASON_PROTECTED, EPERM);
}

SEC("lsm/syslog")
int BPF_PROG(kk_syslog, int type, int ret)
{
	return ret ?: kk_protect(KK_HOOK_SYSLOG, type);
}

SEC("lsm/uring_cmd")
int BPF_PROG(kk_uring_cmd, struct io_uring_cmd *ioucmd, int ret)
{
	return ret ?: kk_protect(KK_HOOK_URING_CMD, 0);
}

SEC("lsm/binder_set_context_mgr")
int BPF_PROG(kk_binder_set_context_mgr, const struct cred *mgr, int ret)
{
	return ret ?: kk_protect(KK_HOOK_BINDER_SET_CONTEXT_MGR, 0);
}

SEC("lsm/binder_transaction")
int BPF_PROG(kk_binder_transaction, const struct cred *from, const struct cred *to, int ret)
{
	return ret ?: kk_protect(KK_HOOK_BINDER_TRANSACTION, 0);
}

SEC("lsm/binder_transfer_binder")
int BPF_PROG(kk_binder_transfer_binder, const struct cred *from, const struct cred *to, int ret)
{
	return ret ?: kk_protect(KK_HOOK_BINDER_TRANSFER_BINDER, 0);
}

SEC("lsm/binder_transfer_file")
int BPF_PROG(kk_binder_transfer_file, const struct cred *from, const struct cred *to,
	     struct file *file, int ret)
{
	return ret ?: kk_protect(KK_HOOK_BINDER_TRANSFER_FILE, 0);
}

/* A tun/tap device carries raw packets past every address rule. */
SEC("lsm/tun_dev_create")
int BPF_PROG(kk_tun_dev_create, int ret)
{
	return ret ?: kk_protect(KK_HOOK_TUN_DEV_CREATE, 0);
}

SEC("lsm/tun_dev_attach_queue")
int BPF_PROG(kk_tun_dev_attach_queue, void *security, int ret)
{
	return ret ?: kk_protect(KK_HOOK_TUN_DEV_ATTACH_QUEUE, 0);
}

SEC("lsm/tun_dev_attach")
int BPF_PROG(kk_tun_dev_attach, struct sock *sk, void *security, int ret)
{
	return ret ?: kk_protect(KK_HOOK_TUN_DEV_ATTACH, 0);
}

SEC("lsm/tun_dev_open")
int BPF_PROG(kk_tun_dev_open, void *security, int ret)
{
	return ret ?: kk_protect(KK_HOOK_TUN_DEV_OPEN, 0);
}

/*
 * Key and watch_queue notifications (CONFIG_WATCH_QUEUE; not built into Debian's 6.1, where the
 * loader leaves these two programs out).
 */
SEC("lsm/watch_key")
int BPF_PROG(kk_watch_key, struct key *key, int ret)
{
	return ret ?: kk_protect(KK_HOOK_WATCH_KEY, 0);
}

SEC("lsm/post_notification")
int BPF_PROG(kk_post_notification, const struct cred *w_cred, const struct cred *cred, void *n,
	     int ret)
{
	return ret ?: kk_protect(KK_HOOK_POST_NOTIFICATION, 0);
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

#define CAP_NET_RAW	13
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
	if (kk_kernel_creds(cred))
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
		return kk_protect_unless(KK_HOOK_CAPABLE, cap,
					 KK_POL_SOCK_RAW | KK_POL_SOCK_PACKET);
	return kk_protect(KK_HOOK_CAPABLE, cap);
}
