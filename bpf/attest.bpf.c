// SPDX-License-Identifier: GPL-2.0-only
/*
 * attest.bpf.c — TCP callers on this host attested like unix ones: the connecting task's binding
 * on the socket that a listener's accept() returns (kk_peers), for the egress and the signer
 * (user/maps_peer.c reads it by the accepted fd).
 *
 * Programs: fentry/tcp_connect (the client side) and lsm/inet_csk_clone (the server side).
 *
 * The connection is only known by its 4-tuple once the kernel has chosen the source port, in
 * tcp_v4_connect/tcp_v6_connect, and the task that asked for it is only `current` in that
 * call; the server side learns of the connection in softirq, from packets: loopback_xmit
 * orphans the skb, so nothing on the server side points back at the client socket or task.
 * Hence two steps joined by kk_tcp_pending:
 *   tcp_connect   entered under lock_sock by the connect() caller (connect(2), io_uring's
 *                 IORING_OP_CONNECT, sendmsg(MSG_FASTOPEN), the first write after
 *                 TCP_FASTOPEN_CONNECT), after the port is chosen and the ISN set, before the
 *                 SYN is built. If the current task is bound, active, and its binding decided
 *                 this very peer allowed on this socket (kk_socks KK_SOCK_PEER_OK, written by
 *                 socket_connect or socket_sendmsg only when allowed, never for audit mode's
 *                 would-be denials or kernel sockets), its (binding, gen, tgid) goes into
 *                 kk_tcp_pending under (netns, client, server, ports, client ISN) — only for a
 *                 destination on this host: loopback (127/8, ::1, IPv4-mapped) or the
 *                 client's own address (a connect to one of the host's addresses).
 *   inet_csk_clone  the child socket (the one accept() will return) is made from the request,
 *                 in softirq, before it is queued on the listener: so an accepted socket never
 *                 lacks an entry that is coming. The request's tuple and the ISN it received
 *                 find the entry, which is copied to kk_peers on the child and deleted.
 * Why not sockops (LSM socket_connect records the caller on the socket, a sockops program on
 * the cgroup-v2 root copies it at TCP_CONNECT_CB, PASSIVE_ESTABLISHED_CB): sockops on 6.1
 * have no task storage, so the binding would have to be carried from socket_connect to
 * tcp_connect on the socket, and a second task sharing the socket can connect in between
 * (its tcp_connect would carry the first task's binding, to a destination the first task's
 * policy never saw); TCP Fast Open's deferred connect runs tcp_connect in whoever writes
 * first. Here the binding is read in the same call that fixes the tuple, and a cgroup
 * attachment (root cgroup-v2 mount, other programs' flags) is not needed. On the server side,
 * PASSIVE_ESTABLISHED_CB runs after the child is on the accept queue (only the child's socket
 * lock, which inet_accept takes too, orders it before accept() returns); inet_csk_clone runs
 * before the child is queued at all.
 * The ISN in the key makes an entry belong to one connection attempt: an entry left behind (a
 * connect refused, no listener) never matches a later connection that reuses the 4-tuple,
 * whose ISN differs (secure_tcp_seq moves with time), bound or not. A missing entry means
 * unattested: kk_maps_peer answers ENOENT and the caller is refused as unbound.
 */
#include "sock.bpf.h"

/* sk: a program argument (a BTF pointer): direct loads, no helper call. */
static __always_inline __u64 kk_netns_cookie(struct sock *sk)
{
	return sk->__sk_common.skc_net.net->net_cookie;
}

/*
 * The key of a connecting socket, as the server's request will show it: IPv4 (also IPv4-mapped
 * on an IPv6 socket, which tcp_v6_connect hands to tcp_v4_connect: the v4 fields are set, its
 * v6 source address only after tcp_connect) IPv4-mapped, ports in host order.
 */
static __always_inline void kk_tcp_client_key(struct sock *sk, __u16 family, const __u8 peer[16],
					      struct kk_tcp_key *k)
{
	if (family == AF_INET || kk_addr_is_v4(peer)) {
		kk_addr_v4(k->client, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		kk_addr_v4(k->server, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else {
		bpf_core_read(k->client, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		__builtin_memcpy(k->server, peer, 16);
	}
	k->client_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	k->server_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	k->isn = BPF_CORE_READ((struct tcp_sock *)sk, write_seq);
	k->netns = kk_netns_cookie(sk);
}

SEC("fentry/tcp_connect")
int BPF_PROG(kk_tcp_connect, struct sock *sk)
{
	struct kk_tcp_key k = {};
	struct kk_peer v = {};
	struct kk_sock *e;
	struct kk_ctx c;
	__u8 peer[16];
	__u16 family, port;

	if (!kk_resolve(&c, KK_HOOK_SOCKET_CONNECT) || c.state_reason)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	/* The destination this binding decided allowed on this socket, and no other. */
	kk_sk_peer(sk, family, peer, &port);
	e = bpf_sk_storage_get(&kk_socks, sk, 0, 0);
	if (!(kk_sock_flags(e, &c) & KK_SOCK_PEER_OK) || !kk_sock_peer_is(e, family, peer, port))
		return 0;
	kk_tcp_client_key(sk, family, peer, &k);
	if (!kk_addr_loopback(k.server) && !kk_addr_eq(k.client, k.server))
		return 0;
	v.binding = c.slot;
	v.gen = c.gen;
	v.tgid = bpf_get_current_pid_tgid() >> 32;
	v.connected_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&kk_tcp_pending, &k, &v, BPF_ANY))
		kk_count(KK_STAT_PEER_FAIL);
	return 0;
}

/*
 * newsk: the child socket accept() will return, made from req (its tuple and the client's ISN,
 * for every way a child is made: the handshake's ACK, a SYN cookie, a Fast Open SYN). A TCP
 * child socket whose client is on this host costs one hash lookup, any other a few loads; DCCP
 * children share this hook and are left alone (their request is not a tcp_request_sock).
 */
SEC("lsm/inet_csk_clone")
int BPF_PROG(kk_inet_csk_clone, struct sock *newsk, const struct request_sock *req)
{
	const struct sock_common *rc = &req->__req_common;
	struct kk_tcp_key k = {};
	struct kk_peer v, *p;
	__u16 family;

	/* Direct loads from the hook's BTF pointers: no helper call for the common fields. */
	if (newsk->sk_protocol != IPPROTO_TCP)
		return 0;
	family = rc->skc_family;
	if (family == AF_INET) {
		kk_addr_v4(k.client, rc->skc_daddr);
		kk_addr_v4(k.server, rc->skc_rcv_saddr);
	} else if (family == AF_INET6) {
		__builtin_memcpy(k.client, &rc->skc_v6_daddr, 16);
		__builtin_memcpy(k.server, &rc->skc_v6_rcv_saddr, 16);
	} else {
		return 0;
	}
	/* tcp_connect enters only connections within this host: no lookup for the others. */
	if (!kk_addr_loopback(k.server) && !kk_addr_eq(k.client, k.server))
		return 0;
	k.client_port = bpf_ntohs(rc->skc_dport);
	k.server_port = rc->skc_num;
	/* Beyond struct request_sock, which is all the verifier knows req to be: read. */
	k.isn = BPF_CORE_READ((struct tcp_request_sock *)req, rcv_isn);
	k.netns = kk_netns_cookie(newsk);
	p = bpf_map_lookup_elem(&kk_tcp_pending, &k);
	if (!p)
		return 0;
	/* Copied before the delete: a second child raced for the same request gets it too. */
	v = *p;
	bpf_map_delete_elem(&kk_tcp_pending, &k);
	p = bpf_sk_storage_get(&kk_peers, newsk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!p) {
		kk_count(KK_STAT_PEER_FAIL);
		return 0;
	}
	*p = v;
	return 0;
}
