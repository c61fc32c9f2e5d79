// SPDX-License-Identifier: GPL-2.0-only
/*
 * pathcache.bpf.c — keeping file_open's path decision cache (pathcache.bpf.h) true for every
 * task, bound or not: nfsd, overlayfs and other kernel users rename without the path_* hooks,
 * so the invalidation sits where every rename passes.
 *
 * Programs: lsm/inode_rename (both inodes' entries go before the rename), fexit/d_move and
 * fexit/d_exchange (after a directory moved, every entry made before is void: the epoch).
 */
#include "pathcache.bpf.h"

/* Can a path run through dentry (a directory, or a type not known yet)? */
static __always_inline bool kk_may_have_children(struct dentry *d)
{
	unsigned int type = d->d_flags & DCACHE_ENTRY_TYPE;

	return type != DCACHE_REGULAR_TYPE && type != DCACHE_SPECIAL_TYPE &&
	       type != DCACHE_SYMLINK_TYPE;
}

static __always_inline void kk_pcache_dir_moved(void)
{
	__u32 idx = KK_PCACHE_DIR_EPOCH;
	__u64 *v = bpf_map_lookup_elem(&kk_pcache_ctl, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("lsm/inode_rename")
int BPF_PROG(kk_pcache_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	struct inode *inode;

	if (ret)
		return ret;
	inode = old_dentry->d_inode;
	if (inode)
		bpf_inode_storage_delete(&kk_pcache, inode);
	inode = new_dentry->d_inode;
	if (inode)
		bpf_inode_storage_delete(&kk_pcache, inode);
	return 0;
}

SEC("fexit/d_move")
int BPF_PROG(kk_pcache_d_move, struct dentry *dentry, struct dentry *target)
{
	if (kk_may_have_children(dentry))
		kk_pcache_dir_moved();
	return 0;
}

SEC("fexit/d_exchange")
int BPF_PROG(kk_pcache_d_exchange, struct dentry *dentry1, struct dentry *dentry2)
{
	if (kk_may_have_children(dentry1) || kk_may_have_children(dentry2))
		kk_pcache_dir_moved();
	return 0;
}
