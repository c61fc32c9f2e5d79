// SPDX-License-Identifier: GPL-2.0-only
/*
 * task.bpf.c — inheritance of a binding.
 *
 * Hooks: lsm/task_alloc.
 * Decision model: a child (process or thread) of a bound task gets a copy of the parent's
 * kk_task before it can run a single instruction, so no fork or clone escapes the binding.
 * When the copy cannot be stored, the fork itself fails with ENOMEM (fail closed) and the
 * failure is counted. Unbound parents cost one task-storage lookup.
 */
#include "kakunin.bpf.h"

SEC("lsm/task_alloc")
int BPF_PROG(kk_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct kk_task *parent, *child;

	if (ret)
		return ret;
	parent = kk_current_binding();
	if (!parent)
		return 0;
	child = bpf_task_storage_get(&kk_task, task, parent, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!child) {
		struct kk_event *ev = kk_scratch_event();

		kk_count(KK_STAT_INHERIT_FAIL);
		if (ev) {
			kk_event_init(ev, KK_EV_ACTION_DENIED, KK_HOOK_TASK_ALLOC,
				      parent->binding_id);
			ev->reason = KK_REASON_STORAGE_FULL;
			ev->err = ENOMEM;
			ev->path_len = 0;
			kk_event_submit(ev);
		}
		return -ENOMEM;
	}
	/* An existing entry (not expected for a new task) is overwritten, never trusted. */
	*child = *parent;
	return 0;
}
