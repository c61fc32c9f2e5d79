/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by every bpf/<hook>.bpf.c: the maps (maps.bpf.h; defined once in maps.bpf.c, declared
 * extern elsewhere so the static linker of `bpftool gen object` joins them), binding resolution
 * and the one function that turns a decision into a return value, counters and an event.
 *
 * Ownership: the loader (user/maps*.c) is the only writer of the binding, identity, policy,
 * rule, revocation, cgroup and config maps; those the programs only read are created
 * BPF_F_RDONLY_PROG, so not even a bug in a program can change them. Programs write kk_task,
 * kk_idents (.state, by the tripwire), kk_runtime, kk_live, kk_conns, kk_pending (the bind
 * iterator), kk_bindreq (.marked), kk_counts, kk_stats, kk_scratch, the socket storages,
 * kk_tcp_pending and the ring.
 */
#ifndef KAKUNIN_BPF_H
#define KAKUNIN_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "kakunin.h"

#define EPERM	     1
#define ENOENT	     2
#define ENOMEM	     12
#define EACCES	     13
#define ENAMETOOLONG 36
#define ELOOP	     40
#define EFAULT	     14

/* From include/linux/fs.h and include/linux/socket.h: macros, so not in vmlinux.h. */
#define FMODE_READ	    0x1
#define FMODE_WRITE	    0x2
#define FMODE_CREATED	    0x100000
#define FMODE_NOACCOUNT	    0x20000000 /* 1 << 29 from 6.1 to today: see kk_kernel_file() */
#define O_TRUNC		    01000
#define MAY_WRITE	    0x2
#define MAY_APPEND	    0x8
#define S_IFMT		    00170000
#define S_IFREG		    0100000
#define PF_IO_WORKER	    0x00000010 /* include/linux/sched.h */
#define __NR_io_uring_enter 426	       /* the same on every architecture */
#define AF_UNSPEC	    0
#define AF_UNIX		    1
#define AF_INET		    2
#define AF_INET6	    10
#define AF_NETLINK	    16
#define AF_PACKET	    17
#define NETLINK_ROUTE	    0
#define SOCK_RAW	    3
#define SOCK_TYPE_MASK	    0xf
#define MSG_FASTOPEN	    0x20000000
#define MNT_INTERNAL	    0x4000
#define READ_IMPLIES_EXEC   0x0400000 /* include/uapi/linux/personality.h */

/* The maps, each with its key, value, when full and who writes it. */
#include "maps.bpf.h"

static __always_inline void kk_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&kk_stats, &stat);

	if (v)
		*v += 1;
}

static __always_inline struct kk_scratch *kk_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&kk_scratch, &zero);
}

/*
 * The read side of a sequence count (kk_files, kk_pcache): the count before the data, and again
 * after it. Each read must happen before the loads that follow it. x86 never reorders loads
 * with older loads, so a compiler barrier is all it takes there; BPF on 6.1 has no
 * load-acquire, so elsewhere an atomic read, a full barrier, stands in (slower: a locked
 * instruction per read).
 */
static __always_inline __u32 kk_seq_begin(__u32 *seq)
{
#ifdef __TARGET_ARCH_x86
	__u32 v = *(volatile __u32 *)seq;

	asm volatile("" ::: "memory");
	return v;
#else
	return __sync_fetch_and_add(seq, 0);
#endif
}

/* Did the count stay at begin while the data was read? */
static __always_inline bool kk_seq_same(__u32 *seq, __u32 begin)
{
#ifdef __TARGET_ARCH_x86
	asm volatile("" ::: "memory");
	return *(volatile __u32 *)seq == begin;
#else
	return __sync_fetch_and_add(seq, 0) == begin;
#endif
}

/*
 * The write side's end: the data written, the count made even again. x86 keeps stores in
 * order, so a plain store after a compiler barrier publishes them; elsewhere an atomic add.
 * Only the writer that made the count odd (by compare-and-swap or under a lock) calls this.
 */
static __always_inline void kk_seq_end(__u32 *seq, __u32 odd)
{
#ifdef __TARGET_ARCH_x86
	asm volatile("" ::: "memory");
	*(volatile __u32 *)seq = odd + 1;
#else
	__sync_fetch_and_add(seq, 1);
#endif
}

/* What a hook knows about the current task's binding. */
struct kk_ctx {
	struct task_struct *task; /* current, fetched once (a helper call on 6.1) */
	struct kk_binding *b;
	struct kk_policy_slot *pol;
	__u32 slot, gen;
	__u32 state_reason; /* != 0: the binding may do nothing in scope (revoked, ...) */
	__u32 hook;
	struct kk_scratch *s;
	/* Superblock of the object being decided, when known: /proc/<pid> paths are compared with
	 * the caller's pid in that procfs' pid namespace (kk_proc_self_len). NULL: unknown. */
	struct super_block *sb;
};

/* Files a bound task holds and was decided for: kk_files, kk_stdio. */
#include "filemark.bpf.h"

/* One more (or one fewer) live task under binding (slot, gen). */
static __always_inline void kk_live_add(__u32 slot, __u32 gen, int delta)
{
	struct kk_live *l = bpf_map_lookup_elem(&kk_live, &slot);

	if (l && l->gen == gen)
		__sync_fetch_and_add(&l->tasks, delta);
}

/* Give task the binding m (a fresh mark: counted as a live task). */
static __always_inline struct kk_task *kk_mark_task(struct task_struct *task,
						    const struct kk_mark *m)
{
	struct kk_task v = { .binding = m->binding, .gen = m->gen }, *t;

	t = bpf_task_storage_get(&kk_task, task, &v, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return NULL;
	t->binding = m->binding;
	t->gen = m->gen;
	kk_live_add(m->binding, m->gen, 1);
	return t;
}

/*
 * Whether cgroup binding m adopts its tasks only when they execute a file (KK_BIND_AT_EXEC, the
 * OCI hook's bindings): a container runtime's init process sits in the container's cgroup while
 * it still has to mount, pivot_root and drop privileges, which a bound task may not; its execve
 * of the container's command is the first thing that must be bound.
 */
static __always_inline bool kk_adopt_at_exec(const struct kk_mark *m)
{
	__u32 slot = m->binding;
	struct kk_binding *b = bpf_map_lookup_elem(&kk_bindings, &slot);

	return b && b->gen == m->gen && (b->flags & KK_BIND_AT_EXEC);
}

/*
 * A task without a mark inside a bound cgroup takes the cgroup's binding (at hook, or for an
 * at-exec binding only at bprm_check_security, which then decides that exec under it). Costs
 * unbound tasks one helper call and lookup per hierarchy level that has a bound cgroup —
 * nothing at all while no cgroup is bound.
 */
static __always_inline struct kk_task *kk_cgroup_adopt(struct task_struct *task, __u32 hook)
{
	__u32 zero = 0;
	struct kk_config *cfg = bpf_map_lookup_elem(&kk_config, &zero);
	struct kk_mark *m = NULL;
	int level;

	if (!cfg || !cfg->cgroup_levels)
		return NULL;
		/* Unrolled: 6.1's verifier refuses this loop's back-edge in LSM programs. */
#pragma unroll
	for (level = 0; level < KK_CGROUP_LEVELS; level++) {
		__u64 id;

		if (!(cfg->cgroup_levels & (1ULL << level)))
			continue;
		id = bpf_get_current_ancestor_cgroup_id(level);
		m = id ? bpf_map_lookup_elem(&kk_cgroups, &id) : NULL;
		if (m)
			break;
	}
	if (!m || (hook != KK_HOOK_BPRM_CHECK && kk_adopt_at_exec(m)))
		return NULL;
	kk_mark_stdio(task, m);
	return kk_mark_task(task, m);
}

/*
 * The current task's kk_task entry, or NULL. A task that no task-storage map holds anything for
 * has task->bpf_storage NULL (it is set when the first entry of any map is made for the task,
 * and kakunin makes entries only for bound tasks): then the lookup, a helper call, is skipped.
 * The field is read through BTF, never written; it exists wherever BPF-LSM does
 * (CONFIG_BPF_SYSCALL), and a kernel without it (CO-RE: field absent) just does the lookup.
 */
static __always_inline struct kk_task *kk_task_of(struct task_struct *task)
{
	if (bpf_core_field_exists(task->bpf_storage) && !task->bpf_storage)
		return NULL;
	return bpf_task_storage_get(&kk_task, task, 0, 0);
}

/*
 * Resolve the current task's binding. 0: unbound, the hook must return 0 at once — an unbound
 * task pays one load of task->bpf_storage (and the task-storage lookup only when some map holds
 * an entry for it), plus kk_cgroup_adopt while a cgroup is bound. 1: bound, c filled; a binding
 * whose entries cannot be read is still "bound", with state_reason BINDING_INVALID (fail
 * closed). scratch: fetch the per-CPU scratch now (c->s); without it c->s stays NULL until
 * kk_event_start_lazy fetches it, for hooks whose common case decides without one.
 */
static __always_inline int kk_resolve_as(struct kk_ctx *c, __u32 hook, bool scratch)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kk_task *t = kk_task_of(task);
	struct kk_ident *id;

	if (!t)
		t = kk_cgroup_adopt(task, hook);
	if (!t)
		return 0;
	c->task = task;
	c->hook = hook;
	c->slot = t->binding;
	c->gen = t->gen;
	c->pol = NULL;
	c->state_reason = 0;
	c->sb = NULL;
	c->s = scratch ? kk_scratch_get() : NULL;
	c->b = bpf_map_lookup_elem(&kk_bindings, &c->slot);
	if (c->b && c->b->gen != t->gen) {
		/* The binding ended (unbind): this task is free again. */
		bpf_task_storage_delete(&kk_task, task);
		return 0;
	}
	if (!c->b || !c->b->in_use || (scratch && !c->s))
		goto invalid;
	c->pol = bpf_map_lookup_elem(&kk_policies, &c->b->policy);
	id = bpf_map_lookup_elem(&kk_idents, &c->b->ident);
	if (!c->pol || !id || !c->pol->refs)
		goto invalid;
	if (id->state == KK_STATE_REVOKED)
		c->state_reason = KK_REASON_REVOKED;
	else if (id->state == KK_STATE_EXPIRED)
		c->state_reason = KK_REASON_EXPIRED;
	else if (id->state != KK_STATE_ACTIVE)
		c->state_reason = KK_REASON_BLOCKED;
	/*
	 * personality(READ_IMPLIES_EXEC) makes every new readable mapping executable, brk(2)'s
	 * heap included, and brk passes no hook: W^X cannot hold, so nothing else is allowed.
	 */
	else if ((task->personality & READ_IMPLIES_EXEC) &&
		 !(c->pol->consts.flags & KK_POL_ALLOW_JIT))
		c->state_reason = KK_REASON_EXEC_MEMORY;
	return 1;
invalid:
	c->state_reason = KK_REASON_BINDING_INVALID;
	c->pol = NULL;
	kk_count(KK_STAT_BINDING_INVALID);
	return 1;
}

static __always_inline int kk_resolve(struct kk_ctx *c, __u32 hook)
{
	return kk_resolve_as(c, hook, true);
}

/*
 * The event for this decision; the caller adds what the action was. Who did it (time, PID,
 * uid, comm) is filled in only when the event is sent (kk_event_task): most decisions are
 * allowed and send nothing, and those four helper calls are a good part of their cost.
 */
static __always_inline struct kk_event *kk_event_start(struct kk_ctx *c, __u32 access)
{
	struct kk_event *ev;

	if (!c->s)
		return NULL;
	ev = &c->s->ev;
	ev->hook = c->hook;
	ev->binding = c->slot;
	ev->gen = c->gen;
	ev->access = access;
	ev->path_len = 0;
	ev->path2_off = 0;
	ev->family = 0;
	ev->port = 0;
	ev->protocol = 0;
	/* Scratch is per CPU and reused: never let an earlier event's address show through. */
	__builtin_memset(ev->addr, 0, sizeof(ev->addr));
	return ev;
}

/* kk_event_start for a context resolved without its scratch (kk_resolve_as): fetched now. */
static __always_inline struct kk_event *kk_event_start_lazy(struct kk_ctx *c, __u32 access)
{
	if (!c->s)
		c->s = kk_scratch_get();
	return kk_event_start(c, access);
}

/* Who and when, for an event about to be sent. */
static __always_inline void kk_event_task(struct kk_event *ev)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	ev->ktime_ns = bpf_ktime_get_boot_ns();
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/*
 * Send the header and the used part of path[]. A full ring loses the record, never the
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

/*
 * Append the current task's executable (kk_exe) after the path, as kakunin.h describes, so the
 * event says what ran even when the task is gone before it is read. A path too long to leave
 * room for it gets none.
 */
static __always_inline void kk_event_exe(struct kk_event *ev)
{
	struct kk_exe *x = bpf_task_storage_get(&kk_exe, bpf_get_current_task_btf(), 0, 0);
	__u32 off = ev->path_len;
	long n;

	ev->exe_len = 0;
	if (!x || !x->path[0] || off > KK_PATH_MAX - KK_EXE_PATH_MAX)
		return;
	if (!off)
		ev->path[off++] = '\0';
	n = bpf_probe_read_kernel_str(&ev->path[off & (KK_PATH_MAX - 1)], KK_EXE_PATH_MAX, x->path);
	if (n <= 0) {
		ev->path_len = ev->path_len ? off : 0;
		return;
	}
	ev->exe_len = n;
	ev->path_len = off + n;
}

/* A hook's event: the task's executable, then the record. */
static __always_inline void kk_event_submit_task(struct kk_event *ev)
{
	kk_event_exe(ev);
	kk_event_submit(ev);
}

static __always_inline void kk_count_binding(struct kk_ctx *c, bool denied)
{
	__u32 idx = (c->slot * KK_HOOK_SLOTS + c->hook) * 2 + (denied ? 1 : 0);
	__u64 *v;

	if (c->slot >= KK_MAX_BINDINGS || c->hook >= KK_HOOK_SLOTS)
		return;
	v = bpf_map_lookup_elem(&kk_counts, &idx);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Start afresh when the runtime slot belongs to an earlier binding. Under rt->lock. */
static __always_inline void kk_rt_refresh(struct kk_runtime *rt, struct kk_ctx *c, __u64 now)
{
	if (rt->gen == c->gen)
		return;
	rt->gen = c->gen;
	rt->live_conns = 0;
	rt->tokens = c->pol->consts.rate_count;
	rt->refill_ns = now;
	rt->window_start_ns = now;
	rt->window_denials = 0;
}

/*
 * auto_revoke: the max_denials-th denial within window_seconds revokes the identity, here in
 * the kernel (no round trip to userspace), and says so with agent.revoked.
 */
static __always_inline void kk_tripwire(struct kk_ctx *c, struct kk_event *ev)
{
	const struct kk_policy_consts *k = &c->pol->consts;
	__u64 now = bpf_ktime_get_ns();
	struct kk_runtime *rt;
	struct kk_ident *id;
	bool fire = false;

	if (!k->auto_revoke_max)
		return;
	rt = bpf_map_lookup_elem(&kk_runtime, &c->slot);
	if (!rt)
		return;
	bpf_spin_lock(&rt->lock);
	kk_rt_refresh(rt, c, now);
	if (now - rt->window_start_ns > (__u64)k->auto_revoke_window_s * 1000000000ULL) {
		rt->window_start_ns = now;
		rt->window_denials = 0;
	}
	if (++rt->window_denials == k->auto_revoke_max)
		fire = true;
	bpf_spin_unlock(&rt->lock);
	if (!fire || !c->b)
		return;
	id = bpf_map_lookup_elem(&kk_idents, &c->b->ident);
	if (!id)
		return;
	id->state = KK_STATE_REVOKED;
	if (ev) {
		ev->type = KK_EV_AGENT_REVOKED;
		ev->reason = KK_REASON_AUTO_REVOKE;
		ev->err = 0;
		ev->path_len = 0;
		ev->family = 0;
		kk_event_submit_task(ev);
	}
}

/*
 * The end of every decision. reason 0 allows; otherwise err (positive) is returned negated —
 * unless the policy is in audit mode and the reason is a scope decision, which is allowed and
 * reported as action.audited. Identity and integrity denials hold in audit mode too.
 */
static __always_inline int kk_finish(struct kk_ctx *c, struct kk_event *ev, __u32 reason, int err)
{
	__u32 flags = c->pol ? c->pol->consts.flags : 0;
	bool audit = (flags & KK_POL_AUDIT_MODE) && reason < KK_REASON_SCOPE_MAX;

	/* Self-protection refuses an operation outright (EPERM), whatever the hook asked for. */
	if (reason == KK_REASON_PROTECTED || reason == KK_REASON_OUTSIDE_BINDING ||
	    reason == KK_REASON_NAMESPACE)
		err = EPERM;
	kk_count_binding(c, reason != 0);
	if (!reason) {
		if ((flags & KK_POL_AUDIT_ALL) && ev) {
			kk_event_task(ev);
			ev->type = KK_EV_ACTION_ALLOWED;
			ev->reason = 0;
			ev->err = 0;
			kk_event_submit_task(ev);
		}
		return 0;
	}
	kk_count(audit ? KK_STAT_AUDITED : KK_STAT_DENIED);
	if (ev) {
		kk_event_task(ev);
		ev->type = audit ? KK_EV_ACTION_AUDITED : KK_EV_ACTION_DENIED;
		ev->reason = reason;
		ev->err = err;
		kk_event_submit_task(ev);
	}
	/* Denials of a revoked identity no longer count: it cannot be revoked twice. */
	if (!audit && c->pol && reason < KK_REASON_SCOPE_MAX)
		kk_tripwire(c, ev);
	return audit ? 0 : -err;
}

/* Is the current task running io_uring requests (an io-wq or SQPOLL thread, io_uring_enter)? */
static __always_inline bool kk_in_io_uring(struct task_struct *task)
{
	struct pt_regs *regs;

	if (task->flags & PF_IO_WORKER)
		return true;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	return regs && BPF_CORE_READ(regs, orig_ax) == __NR_io_uring_enter;
}

/*
 * Is the kernel acting for itself with credentials other than the task's own (overlayfs
 * reading and copying its layers with the mounter's)? That is not the agent asking. Inside
 * io_uring it is: a request runs with the personality the agent registered, which may hold
 * credentials the agent has since given up.
 */
static __always_inline bool kk_kernel_creds(const struct cred *cred)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return cred != task->real_cred && !kk_in_io_uring(task);
}

/* Minutes after 00:00 UTC now, from the TAI clock the loader tells us how to read. */
static __always_inline __u32 kk_utc_minute(void)
{
	__u32 zero = 0;
	struct kk_config *cfg = bpf_map_lookup_elem(&kk_config, &zero);
	/* Unsigned: BPF has no signed division, and TAI is always ahead of 1970. */
	__u64 ns = bpf_ktime_get_tai_ns() - (__u64)(cfg ? cfg->tai_offset_ns : 0);

	return (__u32)((ns / 60000000000ULL) % 1440);
}

/* Is now outside the policy's allowed_hours? Overnight windows (start > end) wrap. */
static __always_inline bool kk_outside_hours(struct kk_ctx *c)
{
	const struct kk_policy_consts *k;
	__u32 m;

	if (!c->pol || !(c->pol->consts.flags & KK_POL_HAS_HOURS))
		return false;
	k = &c->pol->consts;
	m = kk_utc_minute();
	if (k->hours_start < k->hours_end)
		return m < k->hours_start || m >= k->hours_end;
	return m < k->hours_start && m >= k->hours_end;
}

#endif /* KAKUNIN_BPF_H */
