// SPDX-License-Identifier: GPL-2.0-only
/*
 * task.bpf.c — inheritance of a binding.
 *
 * Hooks: lsm/task_alloc.
 * Decision model: a child (process or thread, io_uring workers included) of a bound task gets a
 * copy of the parent's kk_task before it can run a single instruction, so no fork or clone
 * escapes the binding. When the copy cannot be stored, the fork itself fails with ENOMEM (fail
 * closed), counted and reported. Unbound parents cost one task-storage lookup.
 */
#include "kakunin.bpf.h"

SEC("lsm/task_alloc")
int BPF_PROG(kk_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct kk_task *parent, *child;
	struct kk_ctx c;

	if (ret)
		return ret;
	parent = bpf_task_storage_get(&kk_task, bpf_get_current_task_btf(), 0, 0);
	if (!parent)
		return 0;
	child = bpf_task_storage_get(&kk_task, task, parent, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (child) {
		/* An existing entry (not expected for a new task) is overwritten, never trusted. */
		*child = *parent;
		return 0;
	}
	kk_count(KK_STAT_INHERIT_FAIL);
	if (kk_resolve(&c, KK_HOOK_TASK_ALLOC))
		return kk_finish(&c, kk_event_start(&c, 0), KK_REASON_STORAGE_FULL, ENOMEM);
	return -ENOMEM;
}
