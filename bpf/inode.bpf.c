// SPDX-License-Identifier: GPL-2.0-only
/*
 * inode.bpf.c — file changes and reads that reach an inode without passing a path hook.
 *
 * Hooks: lsm/inode_setattr, lsm/inode_setxattr, lsm/inode_removexattr, lsm/inode_getxattr,
 * lsm/inode_listxattr.
 *
 * Decision model: utimensat/futimens change a file's times, setxattr can change its mode (a
 * POSIX ACL) or store data beside it, getxattr reads that data — and none of them passes a
 * path_* hook, so the kernel gives these hooks a dentry without its mount. The path is found
 * the other way round: every mount of the dentry's filesystem in the caller's mount namespace
 * whose root is above the dentry gives one path (bind mounts give several), and each of them
 * must grant the access — write for attribute and xattr changes, read for xattr reads. No such
 * mount (the file is not reachable in the caller's namespace): refused (fail closed).
 * Attribute changes a path_* hook already decided (mode: path_chmod, owner: path_chown, size:
 * path_truncate) and the kernel clearing setuid bits on a decided write are not decided twice.
 * The kernel acting with its own credentials (overlayfs on its layers) is not the agent.
 * Denials return EACCES.
 */
#include "file.bpf.h"

#define ATTR_MODE      (1 << 0)
#define ATTR_UID       (1 << 1)
#define ATTR_GID       (1 << 2)
#define ATTR_SIZE      (1 << 3)
#define ATTR_CTIME     (1 << 6)
#define ATTR_FORCE     (1 << 9)
#define ATTR_KILL_SUID (1 << 11)
#define ATTR_KILL_SGID (1 << 12)
#define ATTR_FILE      (1 << 13)
#define ATTR_KILL_PRIV (1 << 14)
#define ATTR_OPEN      (1 << 15)

#define KK_SB_MOUNTS  4096 /* mounts of one filesystem looked at (all namespaces) */
#define KK_CANDIDATES 4	   /* mounts of it in the caller's namespace; more: refused */

struct kk_mounts {
	__u64 head; /* &sb->s_mounts */
	__u64 node; /* the list node being looked at */
	__u64 mnt_ns;
	__u64 found[KK_CANDIDATES]; /* struct vfsmount addresses */
	__u32 n;
	__u32 overflow;
};

/* One mount of the filesystem (sb->s_mounts, linked through mount.mnt_instance). */
static long kk_mount_step(__u32 i, void *data)
{
	struct kk_mounts *m = data;
	__u64 node = m->node;
	struct mount *mnt;

	if (!node || node == m->head)
		return 1;
	mnt = (struct mount *)(node - bpf_core_field_offset(struct mount, mnt_instance));
	if ((__u64)BPF_CORE_READ(mnt, mnt_ns) == m->mnt_ns) {
		if (m->n >= KK_CANDIDATES) {
			m->overflow = 1;
			return 1;
		}
		m->found[m->n & (KK_CANDIDATES - 1)] =
			(__u64)mnt + bpf_core_field_offset(struct mount, mnt);
		m->n++;
	}
	m->node = (__u64)BPF_CORE_READ((struct list_head *)node, next);
	return 0;
}

/* What deciding every candidate path needs, for the bpf_loop callback. */
struct kk_paths_of {
	struct kk_ctx *c;
	struct kk_event *ev;
	struct kk_mounts *m;
	struct dentry *dentry;
	__u32 access;
	__u32 reason;
	__u32 paths; /* candidates below whose root dentry is */
};

static long kk_candidate_step(__u32 i, void *data)
{
	struct kk_paths_of *x = data;
	struct kk_event *ev = x->ev;
	bool detached = false;
	long len;

	if (i >= x->m->n || i >= KK_CANDIDATES)
		return 1;
	len = kk_walk_path_on(x->c->s, x->dentry,
			      (struct vfsmount *)x->m->found[i & (KK_CANDIDATES - 1)], ev->path,
			      &detached);
	if (len > 0 && detached)
		return 0; /* a bind mount of another part of the filesystem */
	ev->path_len = len > 0 ? len : 0;
	x->reason = kk_file_reason(x->c, ev, len, x->access);
	x->paths++;
	return x->reason ? 1 : 0;
}

/*
 * Decide access on every path of dentry in the caller's mount namespace; ev->path gets the
 * path that decided (the refused one, or the last one allowed).
 */
static __always_inline __u32 kk_inode_reason(struct kk_ctx *c, struct kk_event *ev,
					     struct dentry *dentry, __u32 access)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct super_block *sb = BPF_CORE_READ(dentry, d_sb);
	struct kk_mounts m = {
		.mnt_ns = (__u64)BPF_CORE_READ(task, nsproxy, mnt_ns),
	};
	struct kk_paths_of x = { .c = c, .ev = ev, .m = &m, .dentry = dentry, .access = access };

	if (c->state_reason)
		return c->state_reason;
	m.head = (__u64)sb + bpf_core_field_offset(struct super_block, s_mounts);
	m.node = (__u64)BPF_CORE_READ(sb, s_mounts.next);
	bpf_loop(KK_SB_MOUNTS, kk_mount_step, &m, 0);
	if (m.overflow || (m.node && m.node != m.head)) {
		kk_count(KK_STAT_PATH_FAIL);
		return KK_REASON_PATH_UNRESOLVED;
	}
	c->sb = sb;
	bpf_loop(KK_CANDIDATES, kk_candidate_step, &x, 0);
	if (x.reason)
		return x.reason;
	if (!x.paths) {
		ev->path_len = 0;
		kk_count(KK_STAT_PATH_FAIL);
		return KK_REASON_PATH_UNRESOLVED;
	}
	return 0;
}

static __always_inline int kk_inode(__u32 hook, struct dentry *dentry, __u32 access)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kk_event *ev;
	struct kk_ctx c;

	if (!kk_resolve(&c, hook))
		return 0;
	if (kk_kernel_creds(task->cred))
		return 0;
	ev = kk_event_start(&c, access);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	return kk_finish(&c, ev, kk_inode_reason(&c, ev, dentry, access), EACCES);
}

SEC("lsm/inode_setattr")
int BPF_PROG(kk_inode_setattr, struct dentry *dentry, struct iattr *attr, int ret)
{
	unsigned int valid = BPF_CORE_READ(attr, ia_valid);

	if (ret)
		return ret;
	/* Decided by path_chmod, path_chown or path_truncate; or clearing setuid on a write. */
	if (valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_SIZE))
		return 0;
	if (!(valid & ~(ATTR_KILL_SUID | ATTR_KILL_SGID | ATTR_KILL_PRIV | ATTR_FORCE | ATTR_CTIME |
			ATTR_FILE | ATTR_OPEN)))
		return 0;
	return kk_inode(KK_HOOK_INODE_SETATTR, dentry, KK_ACCESS_WRITE);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(kk_inode_setxattr, struct user_namespace *mnt_userns, struct dentry *dentry,
	     const char *name, const void *value, size_t size, int flags, int ret)
{
	return ret ?: kk_inode(KK_HOOK_INODE_SETXATTR, dentry, KK_ACCESS_WRITE);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(kk_inode_removexattr, struct user_namespace *mnt_userns, struct dentry *dentry,
	     const char *name, int ret)
{
	return ret ?: kk_inode(KK_HOOK_INODE_REMOVEXATTR, dentry, KK_ACCESS_WRITE);
}

SEC("lsm/inode_getxattr")
int BPF_PROG(kk_inode_getxattr, struct dentry *dentry, const char *name, int ret)
{
	return ret ?: kk_inode(KK_HOOK_INODE_GETXATTR, dentry, KK_ACCESS_READ);
}

SEC("lsm/inode_listxattr")
int BPF_PROG(kk_inode_listxattr, struct dentry *dentry, int ret)
{
	return ret ?: kk_inode(KK_HOOK_INODE_LISTXATTR, dentry, KK_ACCESS_READ);
}
