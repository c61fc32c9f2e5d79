// SPDX-License-Identifier: GPL-2.0-only
/*
 * exec.bpf.c — which files a bound task may execute.
 *
 * Hooks: lsm/bprm_check_security.
 * Decision model: the kernel calls the hook for the file being executed and again for each
 * interpreter it loads for it (#! scripts, binfmt_misc), so a script and its interpreter are
 * both decided. For each, resolved with bpf_d_path (python3 is decided as python3.11):
 *   1. never a file without a name: memfd, deleted or unlinked (fexecve, execveat(AT_EMPTY_PATH)
 *      on an anonymous file) — there is no path a policy could have granted;
 *   2. never a file the agent may write (W^X: it could have put the code there itself);
 *   3. with an exec list, only the listed files; without one, files whose rule grants exec.
 * Outside allowed_hours nothing may be executed. Denials return EACCES.
 */
#include "path.bpf.h"

/* A file no path leads to: unhashed or unlinked dentry, or on an internal (kernel) mount. */
static __always_inline bool kk_anonymous(struct file *file, const char *path, long len)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	int mnt_flags = BPF_CORE_READ(file, f_path.mnt, mnt_flags);
	const char suffix[] = " (deleted)";
	long i;

	if (BPF_CORE_READ(d, d_inode, __i_nlink) == 0 || !BPF_CORE_READ(d, d_hash.pprev) ||
	    (mnt_flags & MNT_INTERNAL) || path[0] != '/')
		return true;
	/* d_path's own marker for an unlinked file, in case the checks above raced an unlink. */
	if (len < (long)sizeof(suffix))
		return false;
	for (i = 0; i < (long)sizeof(suffix) - 1; i++)
		if (path[(len - (long)sizeof(suffix) + i) & (KK_PATH_MAX - 1)] != suffix[i])
			return false;
	return true;
}

static __always_inline bool kk_exec_listed(struct kk_ctx *c, const char *path, long len)
{
	struct kk_exec_key *k = &c->s->exec_key;

	if (len > (long)sizeof(k->path))
		return false;
	__builtin_memset(k->path, 0, sizeof(k->path));
	k->policy = c->b->policy;
	bpf_probe_read_kernel(k->path, len & 255, path);
	return bpf_map_lookup_elem(&kk_exec, k) != NULL;
}

static __always_inline __u32 kk_exec_reason(struct kk_ctx *c, struct file *file, const char *path,
					    long len)
{
	__u32 perms;

	if (c->state_reason)
		return c->state_reason;
	if (len <= 0 || len > KK_PATH_MAX) {
		kk_count(KK_STAT_PATH_FAIL);
		return KK_REASON_PATH_UNRESOLVED;
	}
	if (kk_outside_hours(c))
		return KK_REASON_OUTSIDE_HOURS;
	if (kk_anonymous(file, path, len))
		return KK_REASON_EXEC_ANONYMOUS;
	/* Before the exec list, which would otherwise be the only word on a listed file. */
	if (kk_key_custody(path, len))
		return KK_REASON_PROTECTED;
	perms = kk_path_perms(c, path, len);
	if (perms & KK_ACCESS_WRITE)
		return KK_REASON_EXEC_WRITABLE;
	if (c->pol->consts.flags & KK_POL_HAS_EXEC)
		return kk_exec_listed(c, path, len) ? 0 : KK_REASON_EXEC_NOT_LISTED;
	return kk_path_decide(c, path, len, KK_ACCESS_EXEC);
}

/*
 * Remember what the task now runs, for its later events (kk_exe). The last file decided wins:
 * for a script that is its interpreter, as /proc/PID/exe would say. Too long a path is not
 * kept (an event says nothing rather than a cut path).
 */
static __always_inline void kk_exe_record(const char *path, long len)
{
	struct kk_exe *x = bpf_task_storage_get(&kk_exe, bpf_get_current_task_btf(), 0,
						BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!x)
		return;
	x->path[0] = '\0';
	if (len > 1 && len <= KK_EXE_PATH_MAX)
		bpf_probe_read_kernel_str(x->path, sizeof(x->path), path);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(kk_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct file *file = bprm->file; /* a BTF pointer, as bpf_d_path needs */
	struct kk_event *ev;
	struct kk_ctx c;
	long len;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_BPRM_CHECK))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_EXEC);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	len = bpf_d_path(&file->f_path, ev->path, sizeof(ev->path));
	ev->path_len = len > 0 ? len : 0;
	ret = kk_finish(&c, ev, kk_exec_reason(&c, file, ev->path, len), EACCES);
	/* Allowed (or audited): the task runs it, unless the exec fails later on. */
	if (!ret)
		kk_exe_record(ev->path, len);
	return ret;
}
