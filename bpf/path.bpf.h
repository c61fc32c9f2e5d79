/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths: resolving a dentry to a path where bpf_d_path is not allowed (every path_* hook on
 * 6.1), and finding the most specific rule for a path in the kk_paths LPM trie.
 */
#ifndef KAKUNIN_PATH_BPF_H
#define KAKUNIN_PATH_BPF_H

#include "kakunin.bpf.h"

/* Deepest path the walker follows; deeper is refused (fail closed), as is longer than 4095. */
#define KK_WALK_DEPTH 256
#define KK_WALK_MASK  (KK_PATH_MAX - 1)

struct kk_walk {
	__u64 dentry, vfsmnt;	     /* where the walk is (kernel pointers) */
	__u64 root_dentry, root_mnt; /* the task's root: paths are relative to it, as with d_path */
	__s32 pos;		     /* path so far is walk[pos .. KK_PATH_MAX) */
	__s32 err;
	__u32 done;
	__u32 detached; /* ended at a filesystem root that is not its mount's root */
};

/* The struct mount around a vfsmount (mount is private to fs/, so CO-RE relocates the offset). */
static __always_inline struct mount *kk_real_mount(__u64 vfsmnt)
{
	return (struct mount *)(vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/*
 * One step up: from a mount's root to where it is mounted, or one component up, prepending
 * "/name" to walk[]. Returns 1 to stop the loop (done or error).
 */
static long kk_walk_step(__u32 i, void *data)
{
	struct kk_walk *w = data;
	/* Locals, not w->...: inside BPF_CORE_READ a field of our own struct would become a CO-RE
	 * relocation against kernel BTF, which has no struct kk_walk. */
	__u64 dentry = w->dentry, vfsmnt = w->vfsmnt;
	struct dentry *d = (struct dentry *)dentry;
	struct vfsmount *vm = (struct vfsmount *)vfsmnt;
	struct dentry *parent;
	struct kk_scratch *s;
	struct qstr name;
	__u32 len;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	if (dentry == (__u64)BPF_CORE_READ(vm, mnt_root)) {
		struct mount *m = kk_real_mount(vfsmnt);
		struct mount *up = BPF_CORE_READ(m, mnt_parent);

		if (up == m) { /* the root of this mount namespace */
			w->done = 1;
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->vfsmnt = (__u64)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) { /* a filesystem root that is not a mount's: detached */
		w->done = 1;
		w->detached = 1;
		return 1;
	}
	name = BPF_CORE_READ(d, d_name);
	len = name.len;
	s = kk_scratch_get();
	if (!s || len == 0 || len > 255 || w->pos < (__s32)len + 2) {
		w->err = s ? -ENAMETOOLONG : -ENOMEM;
		return 1;
	}
	w->pos -= len;
	bpf_probe_read_kernel(s->walk + (w->pos & KK_WALK_MASK), len & 255, name.name);
	w->pos -= 1;
	s->walk[w->pos & KK_WALK_MASK] = '/';
	w->dentry = (__u64)parent;
	return 0;
}

/*
 * The path of dentry on vfsmnt, relative to the current task's root like d_path, into out[]
 * (KK_PATH_MAX bytes). Returns its length with the NUL, or -errno (fail closed). *detached
 * (when not NULL) says whether the walk ended at a filesystem root that is not the mount's:
 * dentry is not below vfsmnt's root.
 */
static __always_inline long kk_walk_path_on(struct kk_scratch *s, struct dentry *dentry,
					    struct vfsmount *vfsmnt, char *out, bool *detached)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kk_walk w = {
		.dentry = (__u64)dentry,
		.vfsmnt = (__u64)vfsmnt,
		.root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry),
		.root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt),
		.pos = KK_PATH_MAX - 1,
	};
	__u32 len;

	s->walk[KK_PATH_MAX - 1] = '\0';
	bpf_loop(KK_WALK_DEPTH, kk_walk_step, &w, 0);
	if (detached)
		*detached = w.detached;
	if (w.err)
		return w.err;
	if (!w.done)
		return -ELOOP;
	if (w.pos == KK_PATH_MAX - 1) { /* the root itself */
		out[0] = '/';
		out[1] = '\0';
		return 2;
	}
	len = KK_PATH_MAX - w.pos;
	if (w.pos < 0 || len > KK_PATH_MAX)
		return -ENAMETOOLONG;
	bpf_probe_read_kernel(out, len & (KK_PATH_MAX * 2 - 1), s->walk + (w.pos & KK_WALK_MASK));
	return len;
}

static __always_inline long kk_walk_path(struct kk_scratch *s, struct dentry *dentry,
					 struct vfsmount *vfsmnt, char *out)
{
	return kk_walk_path_on(s, dentry, vfsmnt, out, NULL);
}

#define PROC_SUPER_MAGIC    0x9fa0
#define KK_PID_NS_LEVEL_MAX 32 /* MAX_PID_NS_LEVEL, kernel/pid_namespace.c */

/* The number pid has in namespace ns, or 0 when pid is not visible there. */
static __always_inline __u32 kk_pid_nr_in(struct pid *pid, struct pid_namespace *ns)
{
	unsigned int level = BPF_CORE_READ(ns, level);
	struct upid up;

	if (!pid || level > KK_PID_NS_LEVEL_MAX || level > BPF_CORE_READ(pid, level))
		return 0;
	if (bpf_core_read(&up, sizeof(up), &pid->numbers[level]))
		return 0;
	return up.ns == ns ? (__u32)up.nr : 0;
}

/*
 * If path is /proc/<N>/... (or /proc/<N>) on a procfs whose pid namespace numbers the caller's
 * process or thread N, return how many bytes "/proc/<N>" takes, so that it can be looked up as
 * /proc/self: the baseline grants an agent its own /proc entry, never another process's. The
 * numbers are the ones of that procfs' namespace (a container's /proc counts from its own 1),
 * so a pid that only equals the caller's pid in another namespace is someone else.
 */
static __always_inline __u32 kk_proc_self_len(struct kk_ctx *c, const char *path, __u32 len)
{
	struct super_block *sb = c->sb; /* a local: CO-RE reads of our own struct's fields fail */
	struct task_struct *task;
	struct pid_namespace *ns;
	struct proc_fs_info *fsi;
	__u32 n = 0, i;

	if (len < 8 || path[0] != '/' || path[1] != 'p' || path[2] != 'r' || path[3] != 'o' ||
	    path[4] != 'c' || path[5] != '/')
		return 0;
	for (i = 6; i < 16; i++) {
		char ch = path[i];

		if (ch == '/' || ch == '\0')
			break;
		if (ch < '0' || ch > '9')
			return 0;
		n = n * 10 + (ch - '0');
	}
	if (i == 6 || i == 16 || n == 0 || !sb || BPF_CORE_READ(sb, s_magic) != PROC_SUPER_MAGIC)
		return 0;
	fsi = (struct proc_fs_info *)BPF_CORE_READ(sb, s_fs_info);
	ns = BPF_CORE_READ(fsi, pid_ns);
	if (!ns)
		return 0;
	/* Only now: most paths are not /proc/<N>, and this is a helper call. */
	task = bpf_get_current_task_btf();
	if (n != kk_pid_nr_in(BPF_CORE_READ(task, thread_pid), ns) &&
	    n != kk_pid_nr_in(BPF_CORE_READ(task, group_leader, thread_pid), ns))
		return 0;
	return i;
}

/*
 * The most specific rule of policy for path (len bytes with the NUL): an LPM lookup keyed by
 * the first KK_LPM_PATH_LEN bytes — with the NUL when it fits, so exact rules can match; a
 * longer path still finds the deepest directory rule, as no rule is longer than the key.
 */
static __always_inline struct kk_path_val *kk_path_rule(struct kk_ctx *c, const char *path,
							__u32 len)
{
	struct kk_path_key *key = &c->s->key;
	__u32 skip = kk_proc_self_len(c, path, len), n, off = 0;

	key->prefixlen = 0; /* nothing looked up yet (kk_key_self_mem reads it) */
	key->policy_id = c->b->policy;
	if (skip) {
		__builtin_memcpy(key->path, "/proc/self", 10);
		off = 10;
	}
	n = len - skip;
	if (n > KK_LPM_PATH_LEN - off)
		n = KK_LPM_PATH_LEN - off;
	if (n == 0 || n > KK_LPM_PATH_LEN || skip > 16)
		return NULL;
	bpf_probe_read_kernel(key->path + (off & 15), n, path + skip);
	key->prefixlen = 32 + 8 * (off + n);
	return bpf_map_lookup_elem(&kk_paths, key);
}

/* Is p (len bytes with the NUL) the directory dir (n bytes, no NUL) or below it? */
static __always_inline bool kk_path_under(const char *p, __u32 len, const char *dir, __u32 n)
{
	__u32 i;

	if (len < n + 1)
		return false;
#pragma unroll
	for (i = 0; i < n; i++)
		if (p[i] != dir[i])
			return false;
	return p[n] == '/' || p[n] == '\0';
}

#define KK_UNDER_KEY_DIR(dir) || kk_path_under(p, len, dir, sizeof(dir) - 1)

/* Key custody (KK_KEY_DIRS): the signer's keys are never the agent's, whatever the policy says. */
static __always_inline bool kk_key_custody(const char *p, __u32 len)
{
	return false KK_KEY_DIRS(KK_UNDER_KEY_DIR);
}

/*
 * Self-protection on paths, before any policy: no write under /sys (cgroupfs, bpffs,
 * securityfs...) or /proc/sys, no /proc/<pid>/mem of another process, and nothing at all under
 * the key-custody directories.
 */
static __always_inline bool kk_protected_path(struct kk_ctx *c, const char *p, __u32 len,
					      __u32 access)
{
	__u32 i;

	if (kk_key_custody(p, len))
		return true;

	if (len > 6 && p[0] == '/' && p[1] == 'p' && p[2] == 'r' && p[3] == 'o' && p[4] == 'c' &&
	    p[5] == '/' && p[6] >= '0' && p[6] <= '9' && !kk_proc_self_len(c, p, len)) {
		for (i = 7; i < 18 && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i < 18 && p[i] == '/' && p[i + 1] == 'm' && p[i + 2] == 'e' &&
		    p[i + 3] == 'm' && p[i + 4] == '\0')
			return true;
	}
	if (!(access & KK_ACCESS_WRITE) || len < 5 || p[0] != '/')
		return false;
	if (p[1] == 's' && p[2] == 'y' && p[3] == 's' && (p[4] == '/' || p[4] == '\0'))
		return true;
	return len >= 10 && p[1] == 'p' && p[2] == 'r' && p[3] == 'o' && p[4] == 'c' &&
	       p[5] == '/' && p[6] == 's' && p[7] == 'y' && p[8] == 's' &&
	       (p[9] == '/' || p[9] == '\0');
}

/*
 * Was the key just looked up the caller's own memory, /proc/self/mem or
 * /proc/self/task/<tid>/mem? Writing there patches its own code (the kernel forces the write
 * past page protections), so it is W^X's business whatever the policy grants.
 */
static __always_inline bool kk_key_self_mem(const struct kk_path_key *key)
{
	const __u8 *p = key->path;
	__u32 i;

	if (key->prefixlen < 32 + 8 * 15 || p[0] != '/' || p[1] != 'p' || p[5] != '/' ||
	    p[6] != 's' || p[7] != 'e' || p[8] != 'l' || p[9] != 'f' || p[10] != '/')
		return false;
	i = 11;
	if (p[11] == 't' && p[12] == 'a' && p[13] == 's' && p[14] == 'k' && p[15] == '/') {
		for (i = 16; i < 28 && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == 16 || i >= 28 || p[i] != '/')
			return false;
		i++;
	}
	return i < 40 && p[i] == 'm' && p[i + 1] == 'e' && p[i + 2] == 'm' && p[i + 3] == '\0';
}

/* The reason the rule v (of the key just looked up) refuses access, or 0 when it grants it. */
static __always_inline __u32 kk_rule_reason(struct kk_ctx *c, struct kk_path_val *v, __u32 access)
{
	if ((access & KK_ACCESS_WRITE) && kk_key_self_mem(&c->s->key) &&
	    !(c->pol->consts.flags & KK_POL_ALLOW_JIT))
		return KK_REASON_EXEC_MEMORY;
	if (!v)
		return KK_REASON_NOT_IN_SCOPE;
	if (!v->perms)
		return KK_REASON_EXPLICIT_DENY;
	if ((v->perms & access) != access)
		return KK_REASON_ACCESS_NOT_GRANTED;
	return 0;
}

/* The reason access (KK_ACCESS_*) to path is refused, or 0 when it is granted. */
static __always_inline __u32 kk_path_decide(struct kk_ctx *c, const char *path, __u32 len,
					    __u32 access)
{
	struct kk_path_val *v;

	if (kk_protected_path(c, path, len, access))
		return KK_REASON_PROTECTED;
	v = kk_path_rule(c, path, len);
	return kk_rule_reason(c, v, access);
}

/* Does p (at least 6 bytes) start with "/proc/"? Such paths need kk_path_rule's /proc/self. */
static __always_inline bool kk_path_is_proc(const __u8 *p)
{
	return p[0] == '/' && p[1] == 'p' && p[2] == 'r' && p[3] == 'o' && p[4] == 'c' &&
	       p[5] == '/';
}

/*
 * kk_path_decide for a path resolved straight into the LPM key's path[] (c->s->key, len bytes
 * with the NUL, len <= KK_LPM_PATH_LEN, not under /proc/): the same checks on the same bytes,
 * without copying the path into the key. The key then is exactly what kk_path_rule would have
 * built from it (no /proc/self rewrite applies, the NUL fits), so the rule found is the same.
 */
static __always_inline __u32 kk_path_decide_key(struct kk_ctx *c, __u32 len, __u32 access)
{
	struct kk_path_key *key = &c->s->key;
	struct kk_path_val *v;

	if (len == 0 || len > KK_LPM_PATH_LEN)
		return KK_REASON_PATH_UNRESOLVED;
	if (kk_protected_path(c, (const char *)key->path, len, access))
		return KK_REASON_PROTECTED;
	key->policy_id = c->b->policy;
	key->prefixlen = 32 + 8 * len;
	v = bpf_map_lookup_elem(&kk_paths, key);
	return kk_rule_reason(c, v, access);
}

/* Permissions the most specific rule grants path (0 when none or denied). */
static __always_inline __u32 kk_path_perms(struct kk_ctx *c, const char *path, __u32 len)
{
	struct kk_path_val *v = kk_path_rule(c, path, len);

	return v ? v->perms : 0;
}

#endif /* KAKUNIN_PATH_BPF_H */
