// SPDX-License-Identifier: GPL-2.0-only
/*
 * file.bpf.c — file access of bound tasks.
 *
 * Hooks: lsm/file_open, lsm/file_permission, lsm/file_receive, lsm/path_notify, lsm/file_lock,
 * lsm/path_{link,rename,unlink,mkdir,rmdir,symlink,mknod,truncate,chmod,chown}.
 *
 * Decision model: an unbound task leaves after one load of task->bpf_storage (kk_resolve). A
 * file the kernel opens for itself inside an operation already decided (overlayfs' layer file:
 * kk_kernel_file) is not decided again, for anyone. For a bound task the path is resolved from
 * the kernel's own objects (bpf_d_path in file_open, our dentry walk in the path hooks where
 * bpf_d_path is refused), the most specific rule of its policy is found in the kk_paths LPM
 * trie, and the access asked for must be granted by it:
 *   file_open   read and/or write from f_mode, write also for O_TRUNC and a file just created;
 *               the decision is remembered for the file (kk_files);
 *   file_permission  every read and write: a file decided under this binding passes; any other
 *               file (opened before `bind`, inherited, installed into the agent's io_uring from
 *               outside) is decided on its path as at open; revoked or blocked identities read
 *               and write nothing, and writes stop outside allowed_hours;
 *   file_receive an fd passed in (SCM_RIGHTS) as if opened here; pipes, sockets and anonymous
 *               files pass (sockets are decided on their peer when used);
 *   path_*      write on every path they change (mknod also covers open(O_CREAT) of a new
 *               file, before the file exists);
 *   link/rename the new name may not grant more than the old one did, so a file cannot be
 *               moved or linked into more access (a secret linked into a writable directory);
 *   path_notify an inotify/fanotify watch needs read access to what it watches;
 *   file_lock   locks are a channel between processes: refused once the identity is not active.
 * A revoked or blocked identity, a write outside allowed_hours, or a path that cannot be
 * resolved is refused (fail closed). Denials return EACCES. file_open's allowed decisions are
 * cached on the inode (pathcache.bpf.h says on what they depend and who invalidates them).
 */
#include "file.bpf.h"
#include "pathcache.bpf.h"

#define RENAME_EXCHANGE 2

static __always_inline __u32 kk_open_access(struct file *file)
{
	/* Direct loads from the hook's BTF pointer: no helper call. */
	unsigned int mode = file->f_mode;
	unsigned int flags = file->f_flags;
	__u32 access = 0;

	if (mode & FMODE_READ)
		access |= KK_ACCESS_READ;
	if ((mode & FMODE_WRITE) || (flags & O_TRUNC) || (mode & FMODE_CREATED))
		access |= KK_ACCESS_WRITE;
	return access;
}

/*
 * The reason the open of file for access is refused, 0 when it is allowed; ev->path holds the
 * path when an event may be sent. The common case — a path that fits the LPM key and is not
 * under /proc/ — is resolved by bpf_d_path straight into the key and decided there, and copied
 * into the event only when one is sent (a refusal, or "audit": "all"). Longer paths and /proc/
 * (whose /proc/<N> kk_path_rule maps to /proc/self) are decided as every other hook does.
 */
static __always_inline __u32 kk_open_reason(struct kk_ctx *c, struct kk_event *ev,
					    struct file *file, __u32 access)
{
	struct kk_path_key *key = &c->s->key;
	__u32 reason;
	long len;

	len = bpf_d_path(&file->f_path, (char *)key->path, sizeof(key->path));
	if (len > 0 && len <= KK_LPM_PATH_LEN && !kk_path_is_proc(key->path)) {
		reason = c->state_reason;
		if (!reason && (access & KK_ACCESS_WRITE) && kk_outside_hours(c))
			reason = KK_REASON_OUTSIDE_HOURS;
		if (!reason)
			reason = kk_path_decide_key(c, len, access);
		if (reason || !c->pol || (c->pol->consts.flags & KK_POL_AUDIT_ALL)) {
			__builtin_memcpy(ev->path, key->path, sizeof(key->path));
			ev->path_len = len;
		}
		return reason;
	}
	if (len > 0 && len <= KK_LPM_PATH_LEN)
		__builtin_memcpy(ev->path, key->path, sizeof(key->path));
	else
		len = bpf_d_path(&file->f_path, ev->path, sizeof(ev->path));
	ev->path_len = len > 0 ? len : 0;
	return kk_file_reason(c, ev, len, access);
}

SEC("lsm/file_open")
int BPF_PROG(kk_file_open, struct file *file, int ret)
{
	enum kk_pc_state pc = KK_PC_NONE;
	struct kk_pcache pk;
	struct kk_event *ev;
	struct kk_ctx c;
	__u64 mode = KK_PCACHE_OFF;
	__u32 access, reason;

	if (ret)
		return ret;
	/* The kernel's own open under an outer one we decided (overlayfs' layer file). */
	if (kk_kernel_file(file))
		return 0;
	/* The scratch (a helper call on 6.1) only when the path is read: not on a cache hit. */
	if (!kk_resolve_as(&c, KK_HOOK_FILE_OPEN, false))
		return 0;
	access = kk_open_access(file);
	/* Revocation and allowed_hours first, on every call; then the path's cached decision. */
	if (!c.state_reason && !((access & KK_ACCESS_WRITE) && kk_outside_hours(&c))) {
		mode = kk_pcache_ctl_get(KK_PCACHE_MODE);
		pc = kk_pcache_lookup(&c, file, access, &pk, mode);
	}
	if (pc == KK_PC_HIT) {
		if (mode != KK_PCACHE_SHADOW) {
			kk_finish(&c, NULL, 0, 0);
			kk_file_mark(&c, file, access);
			return 0;
		}
		kk_count(KK_STAT_PCACHE_HIT);
	}
	ev = kk_event_start_lazy(&c, access);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	c.sb = file->f_path.dentry->d_sb;
	reason = kk_open_reason(&c, ev, file, access);
	if (pc == KK_PC_HIT && reason)
		kk_count(KK_STAT_PCACHE_MISMATCH);
	ret = kk_finish(&c, ev, reason, EACCES);
	/* Reads and writes through this file need no second look (audit mode: reported here). */
	if (!ret)
		kk_file_mark(&c, file, access);
	/* Allowed, not merely audited: the next open of this path may skip the path. */
	if (!reason && pc != KK_PC_NONE)
		kk_pcache_fill(file, &pk, access);
	return ret;
}

/*
 * Every read and write of a bound task: revocation, allowed_hours for writes, and the file's
 * decision under this binding — a file it did not open under this binding (opened before
 * `bind`, inherited, installed into its io_uring with IORING_MSG_SEND_FD from outside) is
 * decided on its path here, as if opened now.
 */
SEC("lsm/file_permission")
int BPF_PROG(kk_file_permission, struct file *file, int mask, int ret)
{
	struct kk_event *ev;
	struct kk_ctx c;
	__u32 reason, access, had = 0;

	if (ret)
		return ret;
	/* The kernel reading or writing its own file for an overlay file decided just before. */
	if (kk_kernel_file(file))
		return 0;
	if (!kk_resolve_as(&c, KK_HOOK_FILE_PERMISSION, false))
		return 0;
	access = mask & (MAY_WRITE | MAY_APPEND) ? KK_ACCESS_WRITE : KK_ACCESS_READ;
	/* The hot path of every read and write: nothing more unless something forbids it. */
	reason = c.state_reason;
	if (!reason && access == KK_ACCESS_WRITE && kk_outside_hours(&c))
		reason = KK_REASON_OUTSIDE_HOURS;
	if (!reason && kk_file_marked(&c, file, access, &had))
		return 0;
	ev = kk_event_start_lazy(&c, access);
	if (!ev)
		return kk_finish(&c, NULL, reason ?: KK_REASON_BINDING_INVALID, EACCES);
	if (!reason)
		return kk_file_finish(&c, ev, kk_file_decide(&c, ev, file, access, had));
	c.sb = BPF_CORE_READ(file, f_path.dentry, d_sb);
	ret = kk_walk_path(c.s, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			   ev->path);
	ev->path_len = ret > 0 ? ret : 0;
	return kk_finish(&c, ev, reason, EACCES);
}

/*
 * An fd received over SCM_RIGHTS: as if the agent opened the file itself; a socket as if it used
 * it (its kind, its peer). Pipes and anonymous files have no path a policy could name: they
 * pass.
 */
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
	reason = c.state_reason;
	if (!reason && (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) == S_IFSOCK) {
		struct socket *sock = bpf_sock_from_file(file);

		return kk_finish(&c, ev, sock ? kk_sock_use_reason(&c, sock, access) : 0, EACCES);
	}
	if (!reason && (BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL))
		return kk_finish(&c, ev, 0, 0);
	c.sb = BPF_CORE_READ(file, f_path.dentry, d_sb);
	len = bpf_d_path(&file->f_path, ev->path, sizeof(ev->path));
	ev->path_len = len > 0 ? len : 0;
	if (!reason)
		reason = kk_file_reason(&c, ev, len, access);
	ret = kk_finish(&c, ev, reason, EACCES);
	if (!ret)
		kk_file_mark(&c, file, access);
	return ret;
}

/* An inotify/fanotify watch learns what happens under path: read access to it is needed. */
SEC("lsm/path_notify")
int BPF_PROG(kk_path_notify, const struct path *path, __u64 mask, unsigned int obj_type, int ret)
{
	struct dentry *dentry = BPF_CORE_READ(path, dentry);
	struct kk_event *ev;
	struct kk_ctx c;
	long len;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_PATH_NOTIFY))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_READ);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	c.sb = BPF_CORE_READ(dentry, d_sb);
	len = kk_walk_path(c.s, dentry, BPF_CORE_READ(path, mnt), ev->path);
	ev->path_len = len > 0 ? len : 0;
	return kk_finish(&c, ev, kk_file_reason(&c, ev, len, KK_ACCESS_READ), EACCES);
}

/* A lock is visible to other processes (a channel): none once the identity is not active. */
SEC("lsm/file_lock")
int BPF_PROG(kk_file_lock, struct file *file, unsigned int cmd, int ret)
{
	struct kk_ctx c;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_FILE_LOCK) || !c.state_reason)
		return 0;
	return kk_finish(&c, kk_event_start(&c, 0), c.state_reason, EACCES);
}

/* A path hook that changes dentry on mnt: write access to its path is required. */
static __always_inline int kk_path_write(__u32 hook, struct dentry *dentry, struct vfsmount *mnt)
{
	struct kk_event *ev;
	struct kk_ctx c;
	long len;

	if (!kk_resolve(&c, hook))
		return 0;
	/* ftruncate, fchmod of its own memfd: an internal mount has no path a policy names. */
	if (!c.state_reason && (BPF_CORE_READ(mnt, mnt_flags) & MNT_INTERNAL))
		return kk_finish(&c, NULL, 0, 0);
	ev = kk_event_start(&c, KK_ACCESS_WRITE);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	c.sb = BPF_CORE_READ(dentry, d_sb);
	len = kk_walk_path(c.s, dentry, mnt, ev->path);
	ev->path_len = len > 0 ? len : 0;
	return kk_finish(&c, ev, kk_file_reason(&c, ev, len, KK_ACCESS_WRITE), EACCES);
}

SEC("lsm/path_unlink")
int BPF_PROG(kk_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret ?: kk_path_write(KK_HOOK_PATH_UNLINK, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_mkdir")
int BPF_PROG(kk_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	return ret ?: kk_path_write(KK_HOOK_PATH_MKDIR, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_rmdir")
int BPF_PROG(kk_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	return ret ?: kk_path_write(KK_HOOK_PATH_RMDIR, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_symlink")
int BPF_PROG(kk_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	return ret ?: kk_path_write(KK_HOOK_PATH_SYMLINK, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_mknod")
int BPF_PROG(kk_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	return ret ?: kk_path_write(KK_HOOK_PATH_MKNOD, dentry, BPF_CORE_READ(dir, mnt));
}

SEC("lsm/path_truncate")
int BPF_PROG(kk_path_truncate, const struct path *path, int ret)
{
	return ret
		       ?: kk_path_write(KK_HOOK_PATH_TRUNCATE, BPF_CORE_READ(path, dentry),
					BPF_CORE_READ(path, mnt));
}

SEC("lsm/path_chmod")
int BPF_PROG(kk_path_chmod, const struct path *path, umode_t mode, int ret)
{
	return ret
		       ?: kk_path_write(KK_HOOK_PATH_CHMOD, BPF_CORE_READ(path, dentry),
					BPF_CORE_READ(path, mnt));
}

/* uid/gid are kuid_t/kgid_t structs passed in registers; unused, so read as plain words. */
SEC("lsm/path_chown")
int BPF_PROG(kk_path_chown, const struct path *path, __u64 uid, __u64 gid, int ret)
{
	return ret
		       ?: kk_path_write(KK_HOOK_PATH_CHOWN, BPF_CORE_READ(path, dentry),
					BPF_CORE_READ(path, mnt));
}

/*
 * Link and rename: ev->path gets the new name and, after its NUL, the old one (path2_off).
 * Write is needed on both names (rename removes the old one; link only reads it), and the new
 * name may not grant anything the old one did not — with RENAME_EXCHANGE, in both directions.
 */
static __always_inline int kk_relink(__u32 hook, struct dentry *old_dentry,
				     struct vfsmount *old_mnt, struct dentry *new_dentry,
				     struct vfsmount *new_mnt, bool exchange)
{
	struct kk_event *ev;
	struct kk_ctx c;
	__u32 reason, old_perms, new_perms;
	long len, len2;

	if (!kk_resolve(&c, hook))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_WRITE);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	c.sb = BPF_CORE_READ(new_dentry, d_sb);
	len = kk_walk_path(c.s, new_dentry, new_mnt, ev->path);
	ev->path_len = len > 0 ? len : 0;
	len2 = kk_walk_path(c.s, old_dentry, old_mnt, c.s->path2);
	if (len > 0 && len2 > 0 && len + len2 <= KK_PATH_MAX) {
		ev->path2_off = len;
		bpf_probe_read_kernel(ev->path + (len & (KK_PATH_MAX - 1)),
				      len2 & (KK_PATH_MAX - 1), c.s->path2);
		ev->path_len = len + len2;
	}
	reason = kk_file_reason(&c, ev, len, KK_ACCESS_WRITE);
	if (!reason && (len2 <= 0 || len2 > KK_PATH_MAX)) {
		kk_count(KK_STAT_PATH_FAIL);
		reason = KK_REASON_PATH_UNRESOLVED;
	}
	if (!reason && hook == KK_HOOK_PATH_RENAME)
		reason = kk_path_decide(&c, c.s->path2, len2, KK_ACCESS_WRITE);
	/* A second name for a key file would be outside the key-custody directories. */
	if (!reason && kk_key_custody(c.s->path2, len2))
		reason = KK_REASON_PROTECTED;
	if (!reason) {
		old_perms = kk_path_perms(&c, c.s->path2, len2);
		new_perms = kk_path_perms(&c, ev->path, len);
		if ((new_perms & ~old_perms) || (exchange && (old_perms & ~new_perms)))
			reason = KK_REASON_LINK_WIDENS;
	}
	return kk_finish(&c, ev, reason, EACCES);
}

SEC("lsm/path_link")
int BPF_PROG(kk_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct vfsmount *mnt = BPF_CORE_READ(new_dir, mnt);

	return ret ?: kk_relink(KK_HOOK_PATH_LINK, old_dentry, mnt, new_dentry, mnt, false);
}

SEC("lsm/path_rename")
int BPF_PROG(kk_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	return ret
		       ?: kk_relink(KK_HOOK_PATH_RENAME, old_dentry, BPF_CORE_READ(old_dir, mnt),
				    new_dentry, BPF_CORE_READ(new_dir, mnt),
				    flags & RENAME_EXCHANGE);
}
