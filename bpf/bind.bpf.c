// SPDX-License-Identifier: GPL-2.0-only
/*
 * bind.bpf.c — marking the tasks of a process (every thread) and, with --tree, of its
 * descendants, which userspace cannot reach: a pidfd names a process, not its other threads.
 *
 * Program: SEC("iter/task"), run by `bind` through a task iterator, never attached to a hook.
 * For every task of the request's process (or below it, with KK_BINDREQ_TREE, KK_TREE_DEPTH
 * generations at most) that carries no live mark, it sets the binding and counts it; `bind`
 * runs it until a pass marks nothing. Unbound processes deeper than that are counted apart.
 * With --tree each marked process is also put in kk_pending, so a fork racing the walk is
 * covered until `bind` is done.
 */
#include "kakunin.bpf.h"

/*
 * Generations walked up from a task to find a --tree root. Past KK_TREE_DEPTH a process is not
 * marked but counted (too_deep), so that `bind --tree` can refuse a tree it cannot bind whole.
 * A process deeper than this walk has an ancestor KK_TREE_DEPTH + 1 down that is counted: a
 * too-deep tree is always found, only its count can fall short.
 */
#define KK_TREE_WALK 1024

struct kk_up {
	__u64 task;  /* where the walk is (a task_struct pointer) */
	__u32 root;  /* the tgid looked for */
	__u32 gen;   /* generations walked up */
	__u32 found; /* root is gen generations up */
};

/* One generation up through real_parent; 1 stops the loop (found, init, or no parent). */
static long kk_up_step(__u32 i, void *data)
{
	struct kk_up *u = data;
	/* A local, not u->task: see kk_walk_step (path.bpf.h) on CO-RE and our own structs. */
	__u64 at = u->task;
	struct task_struct *p = BPF_CORE_READ((struct task_struct *)at, real_parent);

	if (!p)
		return 1;
	u->gen++;
	if (BPF_CORE_READ(p, tgid) == u->root) {
		u->found = 1;
		return 1;
	}
	if (BPF_CORE_READ(p, pid) <= 1)
		return 1;
	u->task = (__u64)p;
	return 0;
}

/* How far below the request's process task is: 0 in it, N generations down, -1 not below. */
static __always_inline int kk_tree_depth(struct task_struct *task, const struct kk_bindreq *req)
{
	struct kk_up u = { .task = (__u64)task, .root = req->tgid };

	if (BPF_CORE_READ(task, tgid) == req->tgid)
		return 0;
	if (!(req->flags & KK_BINDREQ_TREE))
		return -1;
	bpf_loop(KK_TREE_WALK, kk_up_step, &u, 0);
	return u.found ? (int)u.gen : -1;
}

SEC("iter/task")
int kk_bind_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct kk_bindreq *req;
	struct kk_binding *b;
	struct kk_task *t;
	struct kk_mark m;
	__u32 zero = 0, tgid;
	int depth;

	req = bpf_map_lookup_elem(&kk_bindreq, &zero);
	if (!task || !req)
		return 0;
	depth = kk_tree_depth(task, req);
	if (depth < 0)
		return 0;
	t = bpf_task_storage_get(&kk_task, task, 0, 0);
	if (t) {
		b = bpf_map_lookup_elem(&kk_bindings, &t->binding);
		if (b && b->in_use && b->gen == t->gen)
			return 0; /* already bound (this binding, or another one kept) */
	}
	if (depth > KK_TREE_DEPTH) {
		/* Left unbound, and counted once per process (by its leader): `bind` refuses. */
		if (BPF_CORE_READ(task, pid) == BPF_CORE_READ(task, tgid))
			__sync_fetch_and_add(&req->too_deep, 1);
		return 0;
	}
	m.binding = req->binding;
	m.gen = req->gen;
	kk_mark_stdio(task, &m);
	if (!kk_mark_task(task, &m))
		return 0;
	__sync_fetch_and_add(&req->marked, 1);
	tgid = BPF_CORE_READ(task, tgid);
	if (req->flags & KK_BINDREQ_TREE)
		bpf_map_update_elem(&kk_pending, &tgid, &m, BPF_ANY);
	return 0;
}
