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
