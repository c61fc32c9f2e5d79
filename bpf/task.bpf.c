// SPDX-License-Identifier: GPL-2.0-only
/*
 * task.bpf.c — a binding follows its tasks.
 *
 * Hooks: lsm/task_alloc, lsm/task_free.
 * Decision model: a child (process or thread, io_uring workers included) of a bound task gets a
 * copy of the parent's mark before it can run a single instruction, so no fork or clone escapes
 * the binding; a thread of a process being bound right now (kk_pending) passes that binding on
 * even before `bind` has marked the thread itself, and so does any process below the root of a
 * --tree bind in progress. When the copy cannot be stored the fork
 * fails with ENOMEM (fail closed), counted and reported. Each binding's live tasks are counted,
 * so the loader can tell when a process binding has no task left. Unbound parents cost one
 * task-storage lookup (and one config read while a bind is in progress).
 */
#include "kakunin.bpf.h"

/*
 * The binding of a --tree bind running now whose root is the current task or one of its
 * ancestors: a process the walk has not reached yet may fork, and its child could be reparented
 * (its parent exiting) before the next pass would find it below the root. Its fork is covered
 * here instead, at the cost of one lookup per generation, only while such a bind runs.
 */
static __always_inline struct kk_mark *kk_pending_tree_mark(void)
{
	struct task_struct *p = bpf_get_current_task_btf();
	struct kk_mark *m;
	__u32 key;
	int i;

#pragma unroll
	for (i = 0; i < KK_TREE_DEPTH; i++) {
		key = BPF_CORE_READ(p, tgid) | KK_PENDING_TREE;
		m = bpf_map_lookup_elem(&kk_pending, &key);
		if (m)
			return m;
		if (BPF_CORE_READ(p, pid) <= 1)
			return NULL;
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			return NULL;
	}
	return NULL;
}

/* The binding a child of the current (unbound) task gets while its process is being bound. */
static __always_inline struct kk_mark *kk_pending_mark(void)
{
	__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	struct kk_config *cfg = bpf_map_lookup_elem(&kk_config, &zero);
	struct kk_mark *m;

	if (!cfg || !cfg->pending)
		return NULL;
	m = bpf_map_lookup_elem(&kk_pending, &tgid);
	return m ?: kk_pending_tree_mark();
}

/*
 * Namespaces a bound task may not create, and CLONE_INTO_CGROUP (it could not leave its
 * binding that way, but it could escape the cgroup's limits the operator set).
 */
#define KK_CLONE_DENIED                                                                           \
	(0x00020000ULL /* NEWNS */ | 0x02000000ULL /* NEWCGROUP */ | 0x04000000ULL /* NEWUTS */ | \
	 0x08000000ULL /* NEWIPC */ | 0x10000000ULL /* NEWUSER */ | 0x20000000ULL /* NEWPID */ |  \
	 0x40000000ULL /* NEWNET */ | 0x200000000ULL /* INTO_CGROUP */)

/* A bound parent's executable is its child's too, until the child execs (kk_exe). */
static __always_inline void kk_exe_inherit(struct task_struct *child)
{
	struct kk_exe *p = bpf_task_storage_get(&kk_exe, bpf_get_current_task_btf(), 0, 0), *x;

	if (!p || !p->path[0])
		return;
	x = bpf_task_storage_get(&kk_exe, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (x)
		__builtin_memcpy(x->path, p->path, sizeof(x->path));
}

SEC("lsm/task_alloc")
int BPF_PROG(kk_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct kk_task *parent;
	struct kk_mark m, *pm;
	struct kk_ctx c;

	if (ret)
		return ret;
	parent = bpf_task_storage_get(&kk_task, bpf_get_current_task_btf(), 0, 0);
	if (parent && !kk_resolve(&c, KK_HOOK_TASK_ALLOC))
		parent = NULL; /* its binding ended: the child starts unbound too */
	if (parent && (clone_flags & KK_CLONE_DENIED)) {
		struct kk_event *ev = kk_event_start(&c, 0);

		if (ev)
			ev->count = (__u32)(clone_flags >> 17); /* the namespace bits, shifted */
		return kk_finish(&c, ev, KK_REASON_NAMESPACE, EPERM);
	}
	/* A revoked (or unusable) identity starts no new task: `revoke` can stop every one. */
	if (parent && c.state_reason)
		return kk_finish(&c, kk_event_start(&c, 0), c.state_reason, EPERM);
	if (parent) {
		m.binding = parent->binding;
		m.gen = parent->gen;
	} else {
		pm = kk_pending_mark();
		if (!pm)
			return 0;
		m = *pm;
	}
	if (kk_mark_task(task, &m)) {
		if (parent)
			kk_exe_inherit(task);
		return 0;
	}
	kk_count(KK_STAT_INHERIT_FAIL);
	if (kk_resolve(&c, KK_HOOK_TASK_ALLOC))
		return kk_finish(&c, kk_event_start(&c, 0), KK_REASON_STORAGE_FULL, ENOMEM);
	return -ENOMEM;
}

SEC("lsm/task_free")
int BPF_PROG(kk_task_free, struct task_struct *task)
{
	struct kk_task *t = bpf_task_storage_get(&kk_task, task, 0, 0);

	if (t)
		kk_live_add(t->binding, t->gen, -1);
	return 0;
}
