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

/*
 * Is file one the kernel opened for itself, inside an operation a hook of ours already decided
 * for the same task? Such files carry FMODE_NOACCOUNT: they are not counted in nr_files because
 * they are never installed in a file table (fs/file_table.c alloc_empty_file_noaccount(), "only
 * for kernel internal use"). On 6.1 (fs/open.c, fs/namei.c) the flag is set by exactly:
 *
 *   open_with_fake_path()  - overlayfs ovl_open_realfile() (fs/overlayfs/file.c): the layer's
 *     real file behind an overlay file, opened from ovl_open(), which do_dentry_open() calls
 *     only after security_file_open() allowed the overlay file — with the same f_flags (O_TRUNC
 *     still set then), hence the same access, and on 6.1 even the same f_path (the "fake" path
 *     is the overlay's): the very decision, made twice. Also reopened by ovl_real_fdget_meta()
 *     when another task copied the file up meanwhile: inside read/write/fallocate/splice/
 *     copy_file_range of the overlay file (their file_permission decided it first) or fsync,
 *     llseek, fadvise (no hook, no data read or written: the overlay file's open or first use
 *     decided it).
 *   - cachefiles cachefiles_open_file(): a cache file, opened by fscache's cookie worker (a
 *     kworker, never a bound task) with the cache's credentials.
 *   vfs_tmpfile_open()     - overlayfs ovl_do_tmpfile() during a copy-up, and cachefiles'
 *     tmpfile (the same worker). A copy-up runs inside an operation on the overlay path that its
 *     own hook decided first: open for write (file_open above), truncate/chmod/chown/link/
 *     rename/unlink (path_* hooks), utimes and xattrs (inode_* hooks). The copy-up's other
 *     opens (ovl_path_open() of the lower file and of the upper temp file) are ordinary opens
 *     without the flag and are still decided as before.
 *
 * Later kernels open these through alloc_empty_backing_file() (overlayfs, FUSE passthrough),
 * which sets FMODE_BACKING | FMODE_NOACCOUNT, and kernel_file_open()/kernel_tmpfile_open()
 * (cachefiles), which set FMODE_NOACCOUNT: FMODE_NOACCOUNT (bit 29 from 6.1 to today) covers
 * them all, while FMODE_BACKING moved from bit 25 to bit 24 — a macro CO-RE cannot relocate, so
 * testing it would need a guess per kernel version; a wrong guess would skip user opens.
 *
 * A bound task cannot make such an open on its own: open(2), openat2(2), O_TMPFILE and io_uring
 * opens allocate counted files; it cannot mount an overlay or a cache (sb_mount, move_mount and
 * userns_create are refused, fsopen needs CAP_SYS_ADMIN, which capable refuses), so every overlay
 * it reaches was set up by someone unbound, and the decision on the overlay path — the name the
 * agent used — is the policy's. The reads and writes the kernel makes on such a file pass
 * file_permission for the same reason: the overlay file's own file_permission came first.
 */
static __always_inline bool kk_kernel_file(struct file *file)
{
	return file->f_mode & FMODE_NOACCOUNT;
}

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

/* Remember that file was decided for access under the current binding (best effort). */
static __always_inline void kk_file_mark(struct kk_ctx *c, struct file *file, __u32 access)
{
	struct inode *inode = file->f_inode; /* direct loads: file is a hook's BTF pointer */

	kk_files_put((__u64)file, (__u64)inode, inode->i_ino, c->slot, c->gen, access);
}

/*
 * The reason a bound, active task may not use file for access (read, write), 0 when it may,
 * for a file its marks do not cover (kk_file_marked said no; had: what they cover). It is
 * decided on its path now (ev->path gets it) and remembered when allowed; a socket on its kind
 * and peer (kk_sock_use_reason). Pipes and anonymous files (eventfd, memfd, ...) live on
 * internal mounts with no path a policy could name: they are channels someone handed over, not
 * files in scope, and pass.
 */
static __always_inline __u32 kk_file_decide(struct kk_ctx *c, struct kk_event *ev,
					    struct file *file, __u32 access, __u32 had)
{
	struct dentry *dentry;
	__u32 reason;
	long len;

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
 * The reason a bound, active task may not use file for access, 0 when it may: a file decided
 * under this binding passes at the cost of one lookup, any other is decided (kk_file_decide).
 */
static __always_inline __u32 kk_file_use(struct kk_ctx *c, struct kk_event *ev, struct file *file,
					 __u32 access)
{
	__u32 had;

	if (kk_file_marked(c, file, access, &had))
		return 0;
	return kk_file_decide(c, ev, file, access, had);
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
