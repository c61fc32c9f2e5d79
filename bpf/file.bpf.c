// SPDX-License-Identifier: GPL-2.0-only
/*
 * file.bpf.c — file access of bound tasks.
 *
 * Hooks: lsm/file_open.
 * Decision model (walking skeleton): an unbound task leaves after one task-storage lookup. For
 * a bound task the opened file's path is resolved with bpf_d_path on the kernel's own struct
 * file (no TOCTOU on the syscall argument); a path equal to the binding's deny prefix or below
 * it is refused with EACCES. Anything the program cannot decide — the binding entry is gone, the
 * binding is not active, the path cannot be resolved — is refused too (fail closed), counted in
 * kk_stats and reported as an event.
 */
#include "kakunin.bpf.h"

/*
 * Is path (path_len bytes with the NUL) equal to prefix or below it? Compared on a component
 * boundary: prefix "/data/secret" covers "/data/secret" and "/data/secret/x", not
 * "/data/secrets". The loader normalizes the prefix (absolute, no trailing '/', except "/").
 */
static __always_inline bool kk_under_prefix(const char *path, __u32 path_len,
					    const struct kk_binding *b)
{
	__u32 n = b->prefix_len;
	__u32 i;

	if (n == 0 || n >= KK_PREFIX_MAX || path_len == 0 || n > path_len - 1)
		return false;
	for (i = 0; i < KK_PREFIX_MAX - 1; i++) {
		if (i >= n)
			break;
		if (path[i] != b->prefix[i])
			return false;
	}
	/* "/" covers everything; otherwise the match must end the path or a component. */
	if (n == 1)
		return true;
	if (n > KK_PATH_MAX - 1)
		return false;
	return path[n] == '\0' || path[n] == '/';
}

static __always_inline __u32 kk_file_access(const struct file *file)
{
	__u32 access = 0;
	unsigned int mode = BPF_CORE_READ(file, f_mode);

	if (mode & FMODE_READ)
		access |= KK_ACCESS_READ;
	if (mode & FMODE_WRITE)
		access |= KK_ACCESS_WRITE;
	return access;
}

/* Record the decision (path already in ev->path) and return the errno to hand back, negated. */
static __always_inline int kk_file_deny(struct kk_event *ev, __u32 reason, __u32 stat)
{
	ev->reason = reason;
	ev->err = EACCES;
	kk_count(stat);
	kk_event_submit(ev);
	return -EACCES;
}

SEC("lsm/file_open")
int BPF_PROG(kk_file_open, struct file *file, int ret)
{
	struct kk_task *t;
	struct kk_binding *b;
	struct kk_event *ev;
	long len;

	if (ret)
		return ret;
	t = kk_current_binding();
	if (!t)
		return 0;

	ev = kk_scratch_event();
	if (!ev) {
		/* Cannot happen for a 1-entry per-CPU array; still never allow on doubt. */
		kk_count(KK_STAT_PATH_FAIL);
		return -EACCES;
	}
	kk_event_init(ev, KK_EV_ACTION_DENIED, KK_HOOK_FILE_OPEN, t->binding_id);
	ev->access = kk_file_access(file);

	len = bpf_d_path(&file->f_path, ev->path, sizeof(ev->path));
	if (len <= 0 || len > KK_PATH_MAX) {
		ev->path_len = 0;
		return kk_file_deny(ev, KK_REASON_PATH_UNRESOLVED, KK_STAT_PATH_FAIL);
	}
	ev->path_len = len;

	b = bpf_map_lookup_elem(&kk_bindings, &t->binding_id);
	if (!b)
		return kk_file_deny(ev, KK_REASON_BINDING_MISSING, KK_STAT_BINDING_MISSING);
	if (b->state != KK_STATE_ACTIVE)
		return kk_file_deny(ev, KK_REASON_NOT_ACTIVE, KK_STAT_DENIED);
	if (kk_under_prefix(ev->path, len, b))
		return kk_file_deny(ev, KK_REASON_DENY_PREFIX, KK_STAT_DENIED);
	return 0;
}
