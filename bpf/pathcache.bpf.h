/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The path decision cache of file_open (kk_pcache, one entry per inode). Deciding an open costs
 * bpf_d_path and an LPM lookup over the policy's rules; most opens of a bound agent are the same
 * files again, so the last allowed decision is kept on the inode with everything the path and
 * the rule depended on, and an open whose snapshot matches it is allowed without either.
 *
 * What bpf_d_path returns for file->f_path is a function of:
 *   the dentry and its ancestors' names — the dentry's own name and parent change only in
 *       d_move/d_exchange, which bump dentry->d_seq (kept, and re-read after the path was read:
 *       a path read while the dentry moved is not cached) and run under inode_rename, which
 *       deletes both inodes' entries (so no 2^31 renames can bring d_seq round). An ancestor
 *       directory's rename bumps kk_pcache_ctl[KK_PCACHE_DIR_EPOCH] from fexit/d_move and
 *       fexit/d_exchange, after the move: an entry made from a path read before it carries the
 *       older epoch (the epoch is read before the path).
 *   the mounts from the file's up to the task's root — every attach and detach of a mount in a
 *       namespace (mount, bind, move, umount, pivot_root, propagation, automount and its
 *       expiry) sets that namespace's `event` in the mount_lock write section that changes the
 *       tree (pivot_root: just after it), and bpf_d_path reads the tree under mount_lock: a
 *       path read before a change carries the older `event`;
 *       only a file on a mount of the task's own namespace is cached, keyed by the namespace's
 *       never-reused `seq` and its `event` (read before the membership is checked, at a miss:
 *       a hit with the same mount and `event` is still on a mount of that namespace).
 *   the task's root (chroot, pivot_root, setns): its dentry and mount are in the key.
 * The rule found for the path depends on the policy slot (in the key) and the slot's rules,
 * which the loader rewrites only with the slot's kk_pcache_ctl[KK_PCACHE_POLICY_EPOCH + slot]
 * bumped after.
 *
 * Only regular files with one link are cached (a second name is a second path; a link that
 * appears or goes changes i_nlink), on local filesystems whose dentries move only through
 * d_move (network filesystems splice renames seen on the server side in without it), and not
 * a dentry that is disconnected (opened by handle). Revocation, allowed_hours and "audit":
 * "all" are checked on every call before the cache is asked; a denial is never cached, so it is
 * always decided, reported and counted again.
 */
#ifndef KAKUNIN_PATHCACHE_BPF_H
#define KAKUNIN_PATHCACHE_BPF_H

#include "path.bpf.h" /* kk_real_mount */

/* include/linux/dcache.h, include/uapi/linux/magic.h: macros, not in vmlinux.h. */
#define DCACHE_DISCONNECTED   0x00000020
#define DCACHE_ENTRY_TYPE     0x00700000
#define DCACHE_REGULAR_TYPE   0x00400000
#define DCACHE_SPECIAL_TYPE   0x00500000
#define DCACHE_SYMLINK_TYPE   0x00600000
#define TMPFS_MAGIC	      0x01021994
#define EXT4_SUPER_MAGIC      0xEF53 /* also ext2, ext3 */
#define XFS_SUPER_MAGIC	      0x58465342
#define BTRFS_SUPER_MAGIC     0x9123683E
#define F2FS_SUPER_MAGIC      0xF2F52010
#define OVERLAYFS_SUPER_MAGIC 0x794c7630

enum kk_pc_state {
	KK_PC_NONE = 0, /* not cacheable, or the cache is off */
	KK_PC_MISS,	/* cacheable: decide, then fill */
	KK_PC_HIT,	/* a valid entry allows it (shadow mode: decide again and compare) */
};

static __always_inline __u64 kk_pcache_ctl_get(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&kk_pcache_ctl, &idx);

	return v ? *v : 0;
}

static __always_inline bool kk_pcache_local_fs(unsigned long magic)
{
	return magic == TMPFS_MAGIC || magic == EXT4_SUPER_MAGIC || magic == XFS_SUPER_MAGIC ||
	       magic == BTRFS_SUPER_MAGIC || magic == F2FS_SUPER_MAGIC ||
	       magic == OVERLAYFS_SUPER_MAGIC;
}

/*
 * What the decision on file's path depends on, into k (read before the path is), for the
 * bound task of c. false: not cacheable.
 */
static __always_inline bool kk_pcache_snapshot(struct kk_ctx *c, struct file *file,
					       struct kk_pcache *k)
{
	struct task_struct *task = c->task;
	struct dentry *d = file->f_path.dentry;
	struct inode *inode = file->f_inode;
	struct mnt_namespace *ns;
	__u32 policy;

	if (!c->pol || !c->b || (c->pol->consts.flags & KK_POL_AUDIT_ALL))
		return false;
	if ((inode->i_mode & S_IFMT) != S_IFREG || inode->i_nlink != 1 || d->d_inode != inode)
		return false;
	if (!kk_pcache_local_fs(inode->i_sb->s_magic) || (d->d_flags & DCACHE_DISCONNECTED))
		return false;
	k->d_seq = d->d_seq.seqcount.sequence;
	if (k->d_seq & 1) /* being moved right now */
		return false;
	ns = task->nsproxy->mnt_ns;
	if (!ns)
		return false;
	k->ns_seq = ns->seq;
	k->ns_event = ns->event;
	k->dentry = (__u64)d;
	k->mnt = (__u64)file->f_path.mnt;
	k->root_dentry = (__u64)task->fs->root.dentry;
	k->root_mnt = (__u64)task->fs->root.mnt;
	k->dir_epoch = kk_pcache_ctl_get(KK_PCACHE_DIR_EPOCH);
	policy = c->b->policy;
	if (policy >= KK_MAX_POLICIES)
		return false;
	k->policy = policy;
	k->policy_epoch = kk_pcache_ctl_get(KK_PCACHE_POLICY_EPOCH + k->policy);
	return true;
}

static __always_inline bool kk_pcache_same(const struct kk_pcache *v, const struct kk_pcache *k)
{
	return v->dentry == k->dentry && v->mnt == k->mnt && v->root_dentry == k->root_dentry &&
	       v->root_mnt == k->root_mnt && v->ns_seq == k->ns_seq && v->ns_event == k->ns_event &&
	       v->dir_epoch == k->dir_epoch && v->policy_epoch == k->policy_epoch &&
	       v->d_seq == k->d_seq && v->policy == k->policy;
}

/*
 * Does entry v allow access under snapshot k? Read without the lock (two helper calls and an
 * interrupt mask on every open): a fill makes seq odd before it rewrites the entry and even
 * again after, so an entry read between two equal, even values of seq was read whole
 * (kk_seq_begin and kk_seq_same keep the loads between them); a torn read is a miss, decided on
 * the path.
 */
static __always_inline bool kk_pcache_allows(struct kk_pcache *v, const struct kk_pcache *k,
					     __u32 access)
{
	__u32 seq = kk_seq_begin(&v->seq);
	bool hit;

	if (seq & 1)
		return false;
	hit = kk_pcache_same(v, k) && (v->allowed & access) == access;
	return hit && kk_seq_same(&v->seq, seq);
}

/*
 * Ask the cache whether the open of file for access is allowed; k receives the snapshot for
 * kk_pcache_fill. mode: kk_pcache_ctl[KK_PCACHE_MODE]. Only for a bound task whose identity is
 * active and, for a write, inside its allowed_hours: those are decided on every call, before
 * this.
 *
 * Only a file on a mount of the task's own namespace is cached. That is checked on a miss,
 * before the entry is made (a probe read): a hit matches the mount and the namespace's seq and
 * event of the entry, and the mount cannot leave the namespace without a new event.
 */
static __always_inline enum kk_pc_state
kk_pcache_lookup(struct kk_ctx *c, struct file *file, __u32 access, struct kk_pcache *k, __u64 mode)
{
	struct kk_pcache *v;
	struct mount *m;

	if (mode == KK_PCACHE_OFF || !kk_pcache_snapshot(c, file, k))
		return KK_PC_NONE;
	v = bpf_inode_storage_get(&kk_pcache, file->f_inode, 0, 0);
	if (v && kk_pcache_allows(v, k, access))
		return KK_PC_HIT;
	m = kk_real_mount(k->mnt);
	if (BPF_CORE_READ(m, mnt_ns) != c->task->nsproxy->mnt_ns)
		return KK_PC_NONE;
	return KK_PC_MISS;
}

/*
 * Keep "access is allowed" for file under snapshot k, decided just now on its path — unless the
 * dentry moved while the path was read (d_seq changed), when the path may have been the old one.
 */
static __always_inline void kk_pcache_fill(struct file *file, struct kk_pcache *k, __u32 access)
{
	struct dentry *d = file->f_path.dentry;
	struct kk_pcache *v;

	if (d->d_seq.seqcount.sequence != k->d_seq)
		return;
	v = bpf_inode_storage_get(&kk_pcache, file->f_inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return;
	/* Fills serialize on the lock; seq tells the lock-free readers (kk_pcache_lookup). */
	bpf_spin_lock(&v->lock);
	__sync_fetch_and_add(&v->seq, 1);
	if (kk_pcache_same(v, k)) {
		v->allowed |= access;
	} else {
		v->dentry = k->dentry;
		v->mnt = k->mnt;
		v->root_dentry = k->root_dentry;
		v->root_mnt = k->root_mnt;
		v->ns_seq = k->ns_seq;
		v->ns_event = k->ns_event;
		v->dir_epoch = k->dir_epoch;
		v->policy_epoch = k->policy_epoch;
		v->d_seq = k->d_seq;
		v->policy = k->policy;
		v->allowed = access;
	}
	__sync_fetch_and_add(&v->seq, 1);
	bpf_spin_unlock(&v->lock);
}

#endif /* KAKUNIN_PATHCACHE_BPF_H */
