// SPDX-License-Identifier: GPL-2.0-only
/*
 * bind.bpf.c — marking the tasks of a process (every thread) and, with --tree, of its
 * descendants, which userspace cannot reach: a pidfd names a process, not its other threads.
 *
 * Program: SEC("iter/task"), run by `bind` through a task iterator, never attached to a hook.
 * For every task of the request's process (or below it, with KK_BINDREQ_TREE) that carries no
 * live mark, it sets the binding and counts it; `bind` runs it until a pass marks nothing.
 * With --tree each marked process is also put in kk_pending, so a fork racing the walk is
 * covered until `bind` is done.
 */
#include "kakunin.bpf.h"

/* Is task in the request: of its process, or with --tree below it (32 generations at most)? */
static __always_inline bool kk_requested(struct task_struct *task, const struct kk_bindreq *req)
{
	struct task_struct *p = task;
	int i;

	if (BPF_CORE_READ(task, tgid) == req->tgid)
		return true;
	if (!(req->flags & KK_BINDREQ_TREE))
		return false;
#pragma unroll
	for (i = 0; i < KK_TREE_DEPTH; i++) {
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			return false;
		if (BPF_CORE_READ(p, tgid) == req->tgid)
			return true;
		if (BPF_CORE_READ(p, pid) <= 1)
			return false;
	}
	return false;
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

	req = bpf_map_lookup_elem(&kk_bindreq, &zero);
	if (!task || !req || !kk_requested(task, req))
		return 0;
	t = bpf_task_storage_get(&kk_task, task, 0, 0);
	if (t) {
		b = bpf_map_lookup_elem(&kk_bindings, &t->binding);
		if (b && b->in_use && b->gen == t->gen)
			return 0; /* already bound (this binding, or another one kept) */
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
