// SPDX-License-Identifier: GPL-2.0-only
/*
 * emit.bpf.c — events the loader writes (agent.bound, agent.unbound, agent.revoked, ...) go
 * into the same ring as the kernel's decisions, so one consumer sees one ordered stream.
 *
 * Program: SEC("syscall"), run by the loader with BPF_PROG_TEST_RUN on a struct kk_event it
 * filled (ctx); never attached to a hook, so it decides nothing.
 */
#include "kakunin.bpf.h"

SEC("syscall")
int kk_emit(void *ctx)
{
	struct kk_scratch *s = kk_scratch_get();

	if (!s)
		return -ENOMEM;
	/* ctx is the kernel's copy of the loader's buffer, sized by the loader. */
	if (bpf_probe_read_kernel(&s->ev, sizeof(s->ev), ctx))
		return -EFAULT;
	kk_event_submit(&s->ev);
	return 0;
}
