/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Files a bound task holds: the decision made when it opened them (kk_files), and the decision
 * on its path for every file it holds but did not open under its binding — descriptors opened
 * before `bind`, inherited through `run`, installed into its io_uring from outside. Shared by
 * file.bpf.c (read, write) and mem.bpf.c (mmap).
 */
#ifndef KAKUNIN_FILE_BPF_H
#define KAKUNIN_FILE_BPF_H

#include "sock.bpf.h"

#define S_IFSOCK 0140000

/* What refuses access to the resolved path ev->path, checked in order; 0 = granted. */
static __always_inline __u32 kk_file_reason(struct kk_ctx *c, struct kk_event *ev, long len,
					    __u32 access)
{
	if (c->state_reason)
		return c->state_reason;
	if (len <= 0 || len > KK_PATH_MAX) {
		kk_count(KK_STAT_PATH_FAIL);
		return KK_REASON_PATH_UNRESOLVED;
	}
	if ((access & KK_ACCESS_WRITE) && kk_outside_hours(c))
		return KK_REASON_OUTSIDE_HOURS;
	return kk_path_decide(c, ev->path, len, access);
}

/* Remember that file was decided for access under the current binding (best effort: LRU). */
static __always_inline void kk_file_mark(struct kk_ctx *c, struct file *file, __u32 access)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct kk_file_mark m = {
		.binding = c->slot,
		.gen = c->gen,
		.access = access,
		.inode = (__u64)inode,
		.ino = BPF_CORE_READ(inode, i_ino),
	};
	__u64 key = (__u64)file;

	if (bpf_map_update_elem(&kk_files, &key, &m, BPF_ANY))
		kk_count(KK_STAT_FILE_TABLE_FULL);
}

/*
 * The reason a bound, active task may not use file for access (read, write), 0 when it may.
 * A file decided under this binding passes at the cost of one lookup. Any other file is decided
 * on its path now (ev->path gets it) and remembered when allowed; a socket on its kind and
 * peer (kk_sock_use_reason). Pipes and anonymous files (eventfd, memfd, ...) live on internal
 * mounts with no path a policy could name: they are channels someone handed over, not files in
 * scope, and pass.
 */
static __always_inline __u32 kk_file_use(struct kk_ctx *c, struct kk_event *ev, struct file *file,
					 __u32 access)
{
	struct dentry *dentry;
	__u32 had, reason;
	long len;

	if (kk_file_marked(c, file, access, &had))
		return 0;
	/* splice(2), sendfile(2) and read/write on a socket do not pass socket_sendmsg's decision. */
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) == S_IFSOCK) {
		struct socket *sock = bpf_sock_from_file(file);

		return sock ? kk_sock_use_reason(c, sock, access) : 0;
	}
	if (BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL)
		return 0;
	dentry = BPF_CORE_READ(file, f_path.dentry);
	/*
	 * A file whose inode is not its path's: overlayfs' own file on a layer, opened by the
	 * kernel under the overlay path; the agent's overlay file was decided, this is its
	 * backing store and never in a descriptor table.
	 */
	if (BPF_CORE_READ(file, f_inode) != BPF_CORE_READ(dentry, d_inode))
		return 0;
	c->sb = BPF_CORE_READ(dentry, d_sb);
	len = kk_walk_path(c->s, dentry, BPF_CORE_READ(file, f_path.mnt), ev->path);
	ev->path_len = len > 0 ? len : 0;
	reason = kk_file_reason(c, ev, len, access);
	if (!reason)
		kk_file_mark(c, file, access | had);
	return reason;
}

/*
 * The end of a kk_file_use decision: a file that was already decided, or a channel that has no
 * name (a pipe, a memfd), is no new decision, so it is not reported even with "audit": "all".
 */
static __always_inline int kk_file_finish(struct kk_ctx *c, struct kk_event *ev, __u32 reason)
{
	if (!reason && !ev->path_len && !ev->family)
		return 0;
	return kk_finish(c, ev, reason, EACCES);
}

#endif /* KAKUNIN_FILE_BPF_H */
