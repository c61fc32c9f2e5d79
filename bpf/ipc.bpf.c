// SPDX-License-Identifier: GPL-2.0-only
/*
 * ipc.bpf.c — System V IPC and keys: only what the binding made itself.
 *
 * Hooks: lsm/ipc_permission, lsm/{msg_queue,shm,sem}_alloc_security, lsm/{...}_associate,
 * lsm/msg_queue_msgctl, lsm/shm_shmctl, lsm/sem_semctl, lsm/msg_queue_msgsnd,
 * lsm/msg_queue_msgrcv, lsm/shm_shmat, lsm/sem_semop, lsm/{msg_queue,shm,sem}_free_security,
 * lsm/key_alloc, lsm/key_permission, lsm/key_free.
 *
 * Decision model: message queues, shared memory segments, semaphore sets and keys are channels
 * and stores no path names, so the policy's file rules cannot reach them. An object a bound
 * task creates is recorded with its binding (kk_objs); a bound task may use only objects of
 * its own binding — not those made by unbound processes or other agents (another user's
 * session keyring, a database's shared memory). "ipc": "none" refuses even its own. Nothing at
 * all once the identity is revoked, blocked or outside allowed_hours. SHM_EXEC is never
 * granted without "allow_jit" (W^X). Denials return EACCES; a full kk_objs refuses the
 * creation (ENOSPC, counted). Unbound tasks pay one task-storage lookup, and one hash delete
 * when an object is freed.
 */
#include "kakunin.bpf.h"

#define ENOSPC	 28
#define SHM_EXEC 0100000

/* Which kind of object, for the event ("ipc" in the action). */
enum kk_ipc_kind {
	KK_IPC_MSG = 1,
	KK_IPC_SHM = 2,
	KK_IPC_SEM = 3,
	KK_IPC_KEY = 4,
};

static __always_inline struct kk_event *kk_ipc_event(struct kk_ctx *c, __u32 kind, __u32 id)
{
	struct kk_event *ev = kk_event_start(c, 0);

	if (ev) {
		ev->count = id;
		ev->port = kind;
	}
	return ev;
}

/* The reason the current binding may not use obj (0: it created it). */
static __always_inline __u32 kk_obj_reason(struct kk_ctx *c, __u64 obj)
{
	struct kk_mark *m;

	if (c->state_reason)
		return c->state_reason;
	if (c->pol->consts.flags & KK_POL_IPC_NONE)
		return KK_REASON_IPC_NONE;
	m = bpf_map_lookup_elem(&kk_objs, &obj);
	if (!m || m->binding != c->slot || m->gen != c->gen)
		return KK_REASON_FOREIGN_OBJECT;
	return 0;
}

/* Use of an existing object. */
static __always_inline int kk_obj_use(__u32 hook, __u64 obj, __u32 kind, __u32 id)
{
	struct kk_ctx c;
	__u32 reason;

	if (!kk_resolve(&c, hook))
		return 0;
	reason = kk_obj_reason(&c, obj);
	return kk_finish(&c, reason ? kk_ipc_event(&c, kind, id) : NULL, reason, EACCES);
}

/* A bound task creates obj: record its binding, or refuse. */
static __always_inline int kk_obj_new(__u32 hook, __u64 obj, __u32 kind, __u32 id)
{
	struct kk_mark m;
	struct kk_ctx c;
	__u32 reason;

	if (!kk_resolve(&c, hook))
		return 0;
	reason = c.state_reason;
	if (!reason && (c.pol->consts.flags & KK_POL_IPC_NONE))
		reason = KK_REASON_IPC_NONE;
	if (reason)
		return kk_finish(&c, kk_ipc_event(&c, kind, id), reason, EACCES);
	m.binding = c.slot;
	m.gen = c.gen;
	if (bpf_map_update_elem(&kk_objs, &obj, &m, BPF_ANY)) {
		kk_count(KK_STAT_OBJ_TABLE_FULL);
		return -ENOSPC;
	}
	return kk_finish(&c, NULL, 0, 0);
}

static __always_inline void kk_obj_free(__u64 obj)
{
	bpf_map_delete_elem(&kk_objs, &obj);
}

#define IPC_ID(perm) BPF_CORE_READ(perm, id)

SEC("lsm/ipc_permission")
int BPF_PROG(kk_ipc_permission, struct kern_ipc_perm *ipcp, short flag, int ret)
{
	return ret ?: kk_obj_use(KK_HOOK_IPC_PERMISSION, (__u64)ipcp, 0, IPC_ID(ipcp));
}

SEC("lsm/msg_queue_alloc_security")
int BPF_PROG(kk_msg_queue_alloc, struct kern_ipc_perm *perm, int ret)
{
	return ret ?: kk_obj_new(KK_HOOK_MSG_QUEUE_ALLOC, (__u64)perm, KK_IPC_MSG, 0);
}

SEC("lsm/msg_queue_associate")
int BPF_PROG(kk_msg_queue_associate, struct kern_ipc_perm *perm, int msqflg, int ret)
{
	return ret
		       ?: kk_obj_use(KK_HOOK_MSG_QUEUE_ASSOCIATE, (__u64)perm, KK_IPC_MSG,
				     IPC_ID(perm));
}

/* IPC_INFO and MSG_INFO name no queue (perm NULL): counts for the whole host, metadata. */
SEC("lsm/msg_queue_msgctl")
int BPF_PROG(kk_msg_queue_msgctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret || !perm)
		return ret;
	return kk_obj_use(KK_HOOK_MSG_QUEUE_MSGCTL, (__u64)perm, KK_IPC_MSG, IPC_ID(perm));
}

SEC("lsm/msg_queue_msgsnd")
int BPF_PROG(kk_msg_queue_msgsnd, struct kern_ipc_perm *perm, struct msg_msg *msg, int msqflg,
	     int ret)
{
	return ret ?: kk_obj_use(KK_HOOK_MSG_QUEUE_MSGSND, (__u64)perm, KK_IPC_MSG, IPC_ID(perm));
}

SEC("lsm/msg_queue_msgrcv")
int BPF_PROG(kk_msg_queue_msgrcv, struct kern_ipc_perm *perm, struct msg_msg *msg,
	     struct task_struct *target, long type, int mode, int ret)
{
	return ret ?: kk_obj_use(KK_HOOK_MSG_QUEUE_MSGRCV, (__u64)perm, KK_IPC_MSG, IPC_ID(perm));
}

SEC("lsm/msg_queue_free_security")
int BPF_PROG(kk_msg_queue_free, struct kern_ipc_perm *perm)
{
	kk_obj_free((__u64)perm);
	return 0;
}

SEC("lsm/shm_alloc_security")
int BPF_PROG(kk_shm_alloc, struct kern_ipc_perm *perm, int ret)
{
	return ret ?: kk_obj_new(KK_HOOK_SHM_ALLOC, (__u64)perm, KK_IPC_SHM, 0);
}

SEC("lsm/shm_associate")
int BPF_PROG(kk_shm_associate, struct kern_ipc_perm *perm, int shmflg, int ret)
{
	return ret ?: kk_obj_use(KK_HOOK_SHM_ASSOCIATE, (__u64)perm, KK_IPC_SHM, IPC_ID(perm));
}

SEC("lsm/shm_shmctl")
int BPF_PROG(kk_shm_shmctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret || !perm)
		return ret;
	return kk_obj_use(KK_HOOK_SHM_SHMCTL, (__u64)perm, KK_IPC_SHM, IPC_ID(perm));
}

/* Attaching: its own segments only, and never executable without allow_jit (W^X). */
SEC("lsm/shm_shmat")
int BPF_PROG(kk_shm_shmat, struct kern_ipc_perm *perm, char *shmaddr, int shmflg, int ret)
{
	struct kk_ctx c;
	__u32 reason;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SHM_SHMAT))
		return 0;
	reason = kk_obj_reason(&c, (__u64)perm);
	if (!reason && (shmflg & SHM_EXEC) && !(c.pol->consts.flags & KK_POL_ALLOW_JIT))
		reason = KK_REASON_EXEC_MEMORY;
	return kk_finish(&c, reason ? kk_ipc_event(&c, KK_IPC_SHM, IPC_ID(perm)) : NULL, reason,
			 EACCES);
}

SEC("lsm/shm_free_security")
int BPF_PROG(kk_shm_free, struct kern_ipc_perm *perm)
{
	kk_obj_free((__u64)perm);
	return 0;
}

SEC("lsm/sem_alloc_security")
int BPF_PROG(kk_sem_alloc, struct kern_ipc_perm *perm, int ret)
{
	return ret ?: kk_obj_new(KK_HOOK_SEM_ALLOC, (__u64)perm, KK_IPC_SEM, 0);
}

SEC("lsm/sem_associate")
int BPF_PROG(kk_sem_associate, struct kern_ipc_perm *perm, int semflg, int ret)
{
	return ret ?: kk_obj_use(KK_HOOK_SEM_ASSOCIATE, (__u64)perm, KK_IPC_SEM, IPC_ID(perm));
}

SEC("lsm/sem_semctl")
int BPF_PROG(kk_sem_semctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	if (ret || !perm)
		return ret;
	return kk_obj_use(KK_HOOK_SEM_SEMCTL, (__u64)perm, KK_IPC_SEM, IPC_ID(perm));
}

SEC("lsm/sem_semop")
int BPF_PROG(kk_sem_semop, struct kern_ipc_perm *perm, struct sembuf *sops, unsigned nsops,
	     int alter, int ret)
{
	return ret ?: kk_obj_use(KK_HOOK_SEM_SEMOP, (__u64)perm, KK_IPC_SEM, IPC_ID(perm));
}

SEC("lsm/sem_free_security")
int BPF_PROG(kk_sem_free, struct kern_ipc_perm *perm)
{
	kk_obj_free((__u64)perm);
	return 0;
}

/*
 * Keys: key_alloc runs in the task the key is made for (add_key, request_key, a keyring the
 * kernel makes on demand), so keys of the binding are recorded there.
 */
SEC("lsm/key_alloc")
int BPF_PROG(kk_key_alloc, struct key *key, const struct cred *cred, unsigned long flags, int ret)
{
	return ret
		       ?: kk_obj_new(KK_HOOK_KEY_ALLOC, (__u64)key, KK_IPC_KEY,
				     BPF_CORE_READ(key, serial));
}

/*
 * key_ref_t is the key's address with bit 0 saying "possessed". Its BTF type is a pointer to a
 * struct that is only declared, and 6.1's verifier refuses a context read of such an argument,
 * so the value is copied out of the context with bpf_probe_read_kernel instead (the context
 * is the trampoline's array of arguments, arg 0 first). Arguments 1..3 read normally.
 */
SEC("lsm/key_permission")
int kk_key_permission(unsigned long long *ctx)
{
	int ret = (int)ctx[3];
	__u64 ref = 0;
	struct key *key;

	if (ret)
		return ret;
	if (bpf_probe_read_kernel(&ref, sizeof(ref), ctx))
		ref = 0;
	key = (struct key *)(ref & ~1ULL);
	return kk_obj_use(KK_HOOK_KEY_PERMISSION, (__u64)key, KK_IPC_KEY,
			  key ? BPF_CORE_READ(key, serial) : 0);
}

SEC("lsm/key_free")
int BPF_PROG(kk_key_free, struct key *key)
{
	kk_obj_free((__u64)key);
	return 0;
}
