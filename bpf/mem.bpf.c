// SPDX-License-Identifier: GPL-2.0-only
/*
 * mem.bpf.c — what a bound task may map, and what it may map executable (W^X).
 *
 * Hooks: lsm/mmap_file, lsm/file_mprotect.
 *
 * Decision model, for a bound task whatever its policy's mode:
 *   code      only from a named file the agent cannot write (its rule does not grant write): a
 *             library it could have written itself, a memfd (or any file on an internal mount:
 *             two mappings of one memfd make writable memory executable), a deleted file, and
 *             anonymous memory are refused — a new anonymous mapping that is executable and
 *             writable, and an mprotect that makes anonymous memory executable (it may have
 *             been written before). "allow_jit": true lifts the memory part, for JITs;
 *   data      a new mapping of a file the agent did not open under this binding (a descriptor
 *             from before `bind`, inherited, installed from outside) is decided on its path as
 *             a read would be, or a write for a shared writable mapping;
 *   revoked   (or blocked): no new file mapping at all. Anonymous memory is still allocated,
 *             so the task can exit cleanly; mappings made before the revocation stay, which is
 *             why `revoke` stops the agent's tasks (see DESIGN.md).
 * Denials return EACCES.
 */
#include "file.bpf.h"

#define PROT_READ   0x1
#define PROT_WRITE  0x2
#define PROT_EXEC   0x4
#define MAP_PRIVATE 0x02
#define MAP_TYPE    0x0f

/* Is code in this file's memory something the agent wrote or could write, with no name? */
static __always_inline __u32 kk_exec_file_reason(struct kk_ctx *c, struct file *file)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);

	if (BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL)
		return c->pol->consts.flags & KK_POL_ALLOW_JIT ? 0 : KK_REASON_EXEC_MEMORY;
	if (BPF_CORE_READ(d, d_inode, __i_nlink) == 0 || !BPF_CORE_READ(d, d_hash.pprev))
		return KK_REASON_EXEC_ANONYMOUS;
	return 0;
}

/* Code mapped from file (path resolved into ev->path): never what the agent may write. */
static __always_inline __u32 kk_exec_map_reason(struct kk_ctx *c, struct kk_event *ev,
						struct file *file, long len)
{
	__u32 reason;

	if (c->state_reason)
		return c->state_reason;
	reason = kk_exec_file_reason(c, file);
	if (reason)
		return reason;
	if (len <= 0 || len > KK_PATH_MAX) {
		kk_count(KK_STAT_PATH_FAIL);
		return KK_REASON_PATH_UNRESOLVED;
	}
	return kk_path_perms(c, ev->path, len) & KK_ACCESS_WRITE ? KK_REASON_EXEC_WRITABLE : 0;
}

/* Executable anonymous memory: only with allow_jit (and never for a revoked identity). */
static __always_inline int kk_anon_exec(struct kk_ctx *c)
{
	__u32 reason = c->state_reason;

	if (!reason && !(c->pol->consts.flags & KK_POL_ALLOW_JIT))
		reason = KK_REASON_EXEC_MEMORY;
	return kk_finish(c, kk_event_start(c, KK_ACCESS_EXEC), reason, EACCES);
}

SEC("lsm/mmap_file")
int BPF_PROG(kk_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct kk_event *ev;
	struct kk_ctx c;
	__u32 access = 0;
	long len;

	if (ret)
		return ret;
	/*
	 * Anonymous memory that is not executable is only memory: out at once, for everyone.
	 * (Two tests: clang would merge one into an OR of the pointer, which the verifier refuses.)
	 */
	if (!(prot & PROT_EXEC)) {
		barrier_var(prot);
		if (!file)
			return 0;
	}
	if (!kk_resolve(&c, KK_HOOK_MMAP_FILE))
		return 0;
	if (!file) {
		if (!(prot & PROT_WRITE) && !c.state_reason)
			return 0; /* fresh zero pages, never written: nothing to run */
		return c.pol ? kk_anon_exec(&c) : kk_finish(&c, NULL, c.state_reason, EACCES);
	}
	if (!c.pol)
		return kk_finish(&c, NULL, c.state_reason, EACCES);
	if (prot & PROT_READ)
		access |= KK_ACCESS_READ;
	if ((prot & PROT_WRITE) && (flags & MAP_TYPE) != MAP_PRIVATE)
		access |= KK_ACCESS_WRITE;
	ev = kk_event_start(&c, prot & PROT_EXEC ? KK_ACCESS_EXEC : access);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	if (!(prot & PROT_EXEC)) {
		if (c.state_reason)
			return kk_finish(&c, ev, c.state_reason, EACCES);
		return access ? kk_file_finish(&c, ev, kk_file_use(&c, ev, file, access)) : 0;
	}
	c.sb = BPF_CORE_READ(file, f_path.dentry, d_sb);
	len = bpf_d_path(&file->f_path, ev->path, sizeof(ev->path));
	ev->path_len = len > 0 ? len : 0;
	return kk_finish(&c, ev, kk_exec_map_reason(&c, ev, file, len), EACCES);
}

SEC("lsm/file_mprotect")
int BPF_PROG(kk_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file = BPF_CORE_READ(vma, vm_file);
	struct kk_event *ev;
	struct kk_ctx c;
	long len;

	if (ret || !(prot & PROT_EXEC))
		return ret;
	if (!kk_resolve(&c, KK_HOOK_FILE_MPROTECT))
		return 0;
	if (!c.pol)
		return kk_finish(&c, NULL, c.state_reason, EACCES);
	if (!file)
		return kk_anon_exec(&c);
	ev = kk_event_start(&c, KK_ACCESS_EXEC);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	c.sb = BPF_CORE_READ(file, f_path.dentry, d_sb);
	len = kk_walk_path(c.s, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			   ev->path);
	ev->path_len = len > 0 ? len : 0;
	return kk_finish(&c, ev, kk_exec_map_reason(&c, ev, file, len), EACCES);
}
