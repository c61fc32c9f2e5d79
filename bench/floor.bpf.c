// SPDX-License-Identifier: GPL-2.0-only
/*
 * floor.bpf.c — the least a BPF-LSM program costs on this kernel (bench/kk-floor.c loads it
 * alone; it is not part of kakunin-bpf): programs with no body, or one that only finds the
 * calling task's storage, on the hooks kakunin-bpf's hot paths run. What kk-floor measures with
 * them is a lower bound for any program there, kakunin-bpf's included.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* One value per task kk-floor marks "bound" (key: a pidfd); written by kk-floor only. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} floor_task SEC(".maps");

/* Entering and leaving a program on file_open: what every open() pays, bound or not. */
SEC("lsm/file_open")
int BPF_PROG(floor_open, struct file *file, int ret)
{
	return ret;
}

/*
 * A bound task's least decision: find its binding (one task-storage lookup, as kakunin-bpf's
 * kk_resolve does first) and read it. The value is never 1: nothing is refused.
 */
SEC("lsm/file_open")
int BPF_PROG(floor_open_task, struct file *file, int ret)
{
	__u64 *v = bpf_task_storage_get(&floor_task, bpf_get_current_task_btf(), 0, 0);

	if (ret || !v)
		return ret;
	return *v == 1 ? -13 : 0;
}

/*
 * Two parts of kakunin-bpf's file_open cache hit, each after the bound floor's lookup
 * (kk-floor --hit-parts): what they cost by the syscall's time, where bpf_stats cannot see
 * memory the way the loop does.
 */
struct floor_inode_val {
	__u64 word[10]; /* the size of kakunin-bpf's struct kk_pcache (80 bytes) */
};

/* One value per inode a bound task opened; made at its first open, found at every later one. */
struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct floor_inode_val);
} floor_inode SEC(".maps");

struct floor_mark {
	__u32 seq;
	__u32 access;
	__u64 file, inode, ino, binding;
};

/* 2^16 slots picked by the struct file's address, as kakunin-bpf's kk_files. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 16);
	__type(key, __u32);
	__type(value, struct floor_mark);
} floor_marks SEC(".maps");

/* The per-inode entry a cache hit reads (bpf_inode_storage_get, and one word of it). */
SEC("lsm/file_open")
int BPF_PROG(floor_open_inode, struct file *file, int ret)
{
	__u64 *v = bpf_task_storage_get(&floor_task, bpf_get_current_task_btf(), 0, 0);
	struct floor_inode_val *e;

	if (ret || !v)
		return ret;
	e = bpf_inode_storage_get(&floor_inode, file->f_inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return e && e->word[0] == 1 ? -13 : 0;
}

/* The file's mark: a slot claimed by compare-and-swap, written, released (kk_files_put). */
SEC("lsm/file_open")
int BPF_PROG(floor_open_mark, struct file *file, int ret)
{
	__u64 *v = bpf_task_storage_get(&floor_task, bpf_get_current_task_btf(), 0, 0);
	struct floor_mark *m;
	__u32 idx, lo, seq;

	if (ret || !v)
		return ret;
	asm volatile("%[lo] = %[in]" : [lo] "=w"(lo) : [in] "w"((__u32)(__u64)file));
	idx = (lo * 0x9E3779B1u) >> 16;
	m = bpf_map_lookup_elem(&floor_marks, &idx);
	if (!m)
		return 0;
	seq = m->seq;
	if ((seq & 1) || __sync_val_compare_and_swap(&m->seq, seq, seq + 1) != seq)
		return 0;
	m->file = (__u64)file;
	m->inode = (__u64)file->f_inode;
	m->ino = file->f_inode->i_ino;
	m->binding = *v;
	m->access = 1;
	asm volatile("" ::: "memory");
	m->seq = seq + 2;
	return 0;
}

/* Entering and leaving a program on file_permission: every read() and write(). */
SEC("lsm/file_permission")
int BPF_PROG(floor_read, struct file *file, int mask, int ret)
{
	return ret;
}

/*
 * The hooks and functions one unbound loopback connect() runs kakunin-bpf programs on
 * (bench/results/connect-hooks.md: 13.1 runs per connect, the acceptor's side included), each
 * with no body.
 */
SEC("lsm/socket_create")
int BPF_PROG(floor_socket_create, int family, int type, int protocol, int kern, int ret)
{
	return ret;
}

SEC("lsm/socket_post_create")
int BPF_PROG(floor_socket_post_create, struct socket *sock, int family, int type, int protocol,
	     int kern, int ret)
{
	return ret;
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(floor_socket_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	return ret;
}

SEC("lsm/socket_connect")
int BPF_PROG(floor_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen,
	     int ret)
{
	return ret;
}

SEC("fentry/tcp_connect")
int BPF_PROG(floor_tcp_connect, struct sock *sk)
{
	return 0;
}

SEC("lsm/socket_accept")
int BPF_PROG(floor_socket_accept, struct socket *sock, struct socket *newsock, int ret)
{
	return ret;
}

SEC("lsm/inet_csk_clone")
int BPF_PROG(floor_inet_csk_clone, struct sock *newsk, const struct request_sock *req)
{
	return 0;
}

SEC("lsm/socket_sock_rcv_skb")
int BPF_PROG(floor_sock_rcv_skb, struct sock *sk, struct sk_buff *skb, int ret)
{
	return ret;
}

SEC("fentry/sk_destruct")
int BPF_PROG(floor_sk_destruct, struct sock *sk)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
