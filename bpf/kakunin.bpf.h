/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by every bpf/<hook>.bpf.c: the maps (defined once in maps.bpf.c, declared extern here so
 * the static linker of `bpftool gen object` joins them) and the small helpers every hook uses.
 */
#ifndef KAKUNIN_BPF_H
#define KAKUNIN_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "kakunin.h"

#define EPERM  1
#define ENOMEM 12
#define EACCES 13

/* From include/linux/fs.h: macros, so not in vmlinux.h. */
#define FMODE_READ  0x1
#define FMODE_WRITE 0x2

#ifdef KK_DEFINE_MAPS
#define KK_MAP
#else
#define KK_MAP extern
#endif

/*
 * kk_task — key: the task (userspace passes a pidfd); value: struct kk_task.
 * Presence means "bound". Copied to every child in task_alloc; storage is freed with the task.
 * No max_entries: when the kernel cannot allocate an entry for a child, the fork is refused.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kk_task);
} kk_task SEC(".maps");

/*
 * kk_bindings — key: binding id (__u32); value: struct kk_binding. Written by the loader only.
 * Full (1024 bindings): `bind` fails with a clear error; nothing in the kernel depends on room.
 * A bound task whose id has no entry is denied (fail closed).
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct kk_binding);
} kk_bindings SEC(".maps");

/*
 * kk_events — ringbuf of struct kk_event records (variable length). Full: the record is dropped
 * and KK_STAT_EVENTS_LOST counted; the decision itself never depends on the ring.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KK_RINGBUF_SIZE);
} kk_events SEC(".maps");

/* kk_stats — per-CPU counters indexed by enum kk_stat; fixed size, never full. */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KK_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kk_stats SEC(".maps");

/*
 * kk_scratch — one struct kk_event per CPU: the event under construction and the buffer
 * bpf_d_path writes into (too big for the 512-byte BPF stack). LSM programs are not re-entered
 * on one CPU while they run (migration disabled, no sleeping), so one slot per CPU suffices.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kk_event);
} kk_scratch SEC(".maps");

static __always_inline void kk_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&kk_stats, &stat);

	if (v)
		*v += 1;
}

/* The binding of the current task, or NULL: the only work an unbound task ever pays for. */
static __always_inline struct kk_task *kk_current_binding(void)
{
	return bpf_task_storage_get(&kk_task, bpf_get_current_task_btf(), 0, 0);
}

static __always_inline struct kk_event *kk_scratch_event(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kk_scratch, &zero);
}

/* Fill the identity part of an event for the current task. */
static __always_inline void kk_event_init(struct kk_event *ev, __u32 type, __u32 hook,
					  __u32 binding_id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	ev->ktime_ns = bpf_ktime_get_boot_ns();
	ev->type = type;
	ev->hook = hook;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->binding_id = binding_id;
	ev->access = 0;
	ev->reason = KK_REASON_NONE;
	ev->err = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/*
 * Send the header and the first path_len bytes of path. A full ring loses the record, never the
 * decision; the loss is counted for the consumer's events.lost.
 */
static __always_inline void kk_event_submit(struct kk_event *ev)
{
	__u64 len = ev->path_len;

	if (len > KK_PATH_MAX)
		len = KK_PATH_MAX;
	if (bpf_ringbuf_output(&kk_events, ev, KK_EVENT_HDR_SIZE + len, 0))
		kk_count(KK_STAT_EVENTS_LOST);
}

#endif /* KAKUNIN_BPF_H */
