// SPDX-License-Identifier: GPL-2.0-only
/*
 * net.bpf.c — outbound network access of bound tasks.
 *
 * Hooks: lsm/socket_create, lsm/socket_connect, lsm/socket_setsockopt, lsm/unix_stream_connect,
 * lsm/unix_may_send, fentry/sk_destruct. Sending and receiving are in sendmsg.bpf.c, inbound
 * (bind, listen, accept, packets) in inbound.bpf.c, SCTP's addresses in sctp.bpf.c.
 *
 * Decision model, on the kernel's copy of the destination:
 *   IPv4/IPv6  the address (IPv4-mapped IPv6 is IPv4: one 128-bit space) and port are looked up
 *              in the deny trie, then the allow trie: a deny match refuses, an allow match
 *              with the port allows, anything else is refused. "This host" (0.0.0.0/8, ::) is
 *              decided as loopback. AF_UNSPEC (disconnect) is allowed. Every allowed connect
 *              spends a rate_limit token and a socket counts against max_concurrent_trades until
 *              it is freed, except DNS to the baseline's nameservers. The peer decided is
 *              recorded on the socket (kk_socks) for its sends and receives.
 *   unix       the path of the socket connected or sent to needs write access; abstract
 *              sockets (no path) are refused. An allowed stream/seqpacket connect records
 *              the caller's binding on the socket the listener accepts (kk_peers), which the
 *              signer reads to attest its caller.
 *   create     see kk_sock_kind_reason (sock.bpf.h): unix, TCP and UDP; anything else only as
 *              allowed_socket_types lists it.
 *   options    IPv6 routing headers, IPv4 options and per-socket IPsec policies are refused:
 *              they send to a first hop that is not the destination decided.
 * A revoked or blocked identity may not connect, and nothing connects outside allowed_hours.
 * Denials return EACCES.
 */
#include "sock.bpf.h"

/* include/uapi/linux/in.h, in6.h */
#define IP_OPTIONS	    4
#define IP_IPSEC_POLICY	    16
#define IP_XFRM_POLICY	    17
#define IPV6_2292RTHDR	    5
#define IPV6_2292PKTOPTIONS 6
#define IPV6_IPSEC_POLICY   34
#define IPV6_XFRM_POLICY    35
#define IPV6_RTHDR	    57

/* connect() of an inet socket to an IPv4/IPv6 name: destination, limits, then the peer recorded. */
static __always_inline __u32 kk_inet_connect(struct kk_ctx *c, struct sock *sk, struct sockaddr *sa,
					     __u16 name_family, struct kk_event *ev)
{
	__u8 addr[16], decided[16];
	bool exempt = false;
	__u32 reason;
	__u16 port;

	if (name_family == AF_INET)
		kk_sa_v4(sa, addr, &port);
	else
		kk_sa_v6(sa, addr, &port);
	__builtin_memcpy(decided, addr, 16);
	reason = kk_outside_hours(c) ? KK_REASON_OUTSIDE_HOURS : 0;
	if (!reason)
		reason = kk_dest_reason(c, sk, decided, port, 0, &exempt);
	kk_ev_inet(ev, decided, port, name_family, BPF_CORE_READ(sk, sk_protocol));
	if (!reason && !exempt)
		reason = kk_limits(c, sk);
	if (!reason)
		kk_sock_peer_ok(c, sk, BPF_CORE_READ(sk, __sk_common.skc_family), addr, port);
	return reason;
}

SEC("lsm/socket_connect")
int BPF_PROG(kk_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct sock *sk = sock->sk;
	struct kk_event *ev;
	__u16 family, sk_family;
	struct kk_ctx c;
	__u32 reason;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_CONNECT))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_WRITE);
	if (!ev || !sk)
		return kk_finish(&c, ev, KK_REASON_BINDING_INVALID, EACCES);
	if (c.state_reason)
		return kk_finish(&c, ev, c.state_reason, EACCES);
	sk_family = sk->__sk_common.skc_family;
	ev->family = sk_family;
	/* A socket made elsewhere must be of a kind the agent could make itself. */
	if (!(kk_sock_flags(bpf_sk_storage_get(&kk_socks, sk, 0, 0), &c) & KK_SOCK_OWN)) {
		reason = kk_sock_kind_reason(&c, sk_family, sk->sk_type, sk->sk_protocol);
		if (reason)
			return kk_finish(&c, ev, reason, EACCES);
	}
	family = BPF_CORE_READ(address, sa_family);
	/* AF_UNSPEC disconnects (every inet protocol; SCTP refuses it); unix: on the peer. */
	if (family == AF_UNSPEC || family == AF_UNIX)
		return kk_finish(&c, NULL, 0, 0);
	if (family == AF_NETLINK && sk_family == AF_NETLINK)
		return kk_finish(&c, ev, kk_netlink_dest(&c, address), EACCES);
	if (family != AF_INET && family != AF_INET6) {
		ev->family = family;
		return kk_finish(&c, ev, KK_REASON_FAMILY_NOT_ALLOWED, EACCES);
	}
	return kk_finish(&c, ev, kk_inet_connect(&c, sk, address, family, ev), EACCES);
}

SEC("lsm/socket_create")
int BPF_PROG(kk_socket_create, int family, int type, int protocol, int kern, int ret)
{
	struct kk_event *ev;
	struct kk_ctx c;
	__u32 reason;

	if (ret || kern)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_CREATE))
		return 0;
	reason = c.state_reason ?: kk_sock_kind_reason(&c, family, type, protocol);
	if (!reason)
		return kk_finish(&c, NULL, 0, 0);
	ev = kk_event_start(&c, 0);
	if (ev) {
		ev->family = family;
		ev->protocol = protocol;
	}
	return kk_finish(&c, ev, reason, EACCES);
}

/*
 * Options that send to a first hop other than the destination decided (IPv6 routing headers,
 * IPv4 source routes among the IP options), or through IPsec tunnels a per-socket policy names
 * (those also need CAP_NET_ADMIN). Control messages carrying the same are refused in
 * socket_sendmsg.
 */
static __always_inline bool kk_sockopt_refused(int level, int optname)
{
	if (level == SOL_IP)
		return optname == IP_OPTIONS || optname == IP_IPSEC_POLICY ||
		       optname == IP_XFRM_POLICY;
	if (level == SOL_IPV6)
		return optname == IPV6_RTHDR || optname == IPV6_2292RTHDR ||
		       optname == IPV6_2292PKTOPTIONS || optname == IPV6_IPSEC_POLICY ||
		       optname == IPV6_XFRM_POLICY;
	return false;
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(kk_socket_setsockopt, struct socket *sock, int level, int optname, int ret)
{
	struct kk_event *ev;
	struct kk_ctx c;

	if (ret)
		return ret;
	if (!kk_sockopt_refused(level, optname) || !kk_resolve(&c, KK_HOOK_SOCKET_SETSOCKOPT))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_WRITE);
	if (ev) {
		ev->port = level;
		ev->count = optname;
	}
	return kk_finish(&c, ev, KK_REASON_SOURCE_ROUTE, EACCES);
}

/*
 * Attestation for the listener: the connecting task's binding, on newsk (the socket its
 * accept() will return), written before newsk is queued on the listener, so an accepted socket
 * never lacks an entry that is coming. Only on allowed connects of bound tasks; an allocation
 * failure leaves newsk unattested (the signer then refuses the caller as unbound) and is counted.
 */
static __always_inline void kk_peer_attest(struct kk_ctx *c, struct sock *newsk)
{
	struct kk_peer *p = bpf_sk_storage_get(&kk_peers, newsk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (!p) {
		kk_count(KK_STAT_PEER_FAIL);
		return;
	}
	p->binding = c->slot;
	p->gen = c->gen;
	p->tgid = bpf_get_current_pid_tgid() >> 32;
	p->pad = 0;
	p->connected_ns = bpf_ktime_get_ns();
}

/*
 * The unix socket other is bound to a path: write access to it is required. Allowed: the peer
 * (peer_id) is recorded on self, so that sends and receives on it are one lookup, and for a
 * stream or seqpacket connect the caller's binding on newsk (kk_peer_attest; NULL: datagrams).
 */
static __always_inline int kk_unix_peer(__u32 hook, struct sock *self, struct sock *other,
					struct sock *newsk, __u64 peer_id)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
	__u8 id[16] = {};
	struct kk_event *ev;
	struct kk_ctx c;
	__u32 reason;
	long len = 0;

	if (!kk_resolve(&c, hook))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_WRITE);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	ev->family = AF_UNIX;
	if (!dentry) {
		/* Abstract names have no path a policy could grant; unnamed peers (socketpair). */
		reason = c.state_reason ?: BPF_CORE_READ(u, addr) ? KK_REASON_UNIX_ABSTRACT : 0;
		goto out;
	}
	len = kk_walk_path(c.s, dentry, BPF_CORE_READ(u, path.mnt), ev->path);
	ev->path_len = len > 0 ? len : 0;
	reason = c.state_reason;
	if (!reason && (len <= 0 || len > KK_PATH_MAX)) {
		kk_count(KK_STAT_PATH_FAIL);
		reason = KK_REASON_PATH_UNRESOLVED;
	}
	if (!reason && kk_outside_hours(&c))
		reason = KK_REASON_OUTSIDE_HOURS;
	if (!reason)
		reason = kk_path_decide(&c, ev->path, len, KK_ACCESS_WRITE);
out:
	*(__u64 *)id = peer_id;
	if (!reason && self)
		kk_sock_peer_ok(&c, self, AF_UNIX, id, 0);
	if (!reason && newsk)
		kk_peer_attest(&c, newsk);
	return kk_finish(&c, ev, reason, EACCES);
}

/* sock connects to the listener other; newsk will be its peer. */
SEC("lsm/unix_stream_connect")
int BPF_PROG(kk_unix_stream_connect, struct sock *sock, struct sock *other, struct sock *newsk,
	     int ret)
{
	return ret ?: kk_unix_peer(KK_HOOK_UNIX_CONNECT, sock, other, newsk, kk_ptr_id(newsk));
}

/* Datagram connect, and every datagram send (to the name, or to the connected peer). */
SEC("lsm/unix_may_send")
int BPF_PROG(kk_unix_may_send, struct socket *sock, struct socket *other, int ret)
{
	struct sock *osk = other->sk;

	return ret ?: kk_unix_peer(KK_HOOK_UNIX_SEND, sock->sk, osk, NULL, kk_ptr_id(osk));
}

/*
 * Release a tracked outbound socket. Every socket freed passes sk_destruct (from __sk_free,
 * directly or by way of sock_diag's destroy broadcast), and its storage is still there: it goes
 * in __sk_destruct, which sk_destruct runs or leaves to RCU. lsm/sk_free_security runs after
 * that, so it had to look every socket on the host up in kk_conns; here a socket without
 * storage (every socket of an unbound task) holds no count (see kk_conns) and leaves after a
 * load and a read of kk_ctl's switch (an inlined array lookup), which is set only while an
 * older build's counts may remain. The key, the socket's address, cannot be reused before
 * __sk_destruct frees it.
 */
SEC("fentry/sk_destruct")
int BPF_PROG(kk_sk_destruct, struct sock *sk)
{
	__u32 ctl = KK_CTL_CONNS_UNMARKED, slot;
	struct kk_runtime *rt;
	__u64 key, *val;

	if (bpf_core_field_exists(sk->sk_bpf_storage) && !sk->sk_bpf_storage) {
		val = bpf_map_lookup_elem(&kk_ctl, &ctl);
		if (val && !*val)
			return 0;
	}
	key = (__u64)sk;
	val = bpf_map_lookup_elem(&kk_conns, &key);
	if (!val)
		return 0;
	slot = *val >> 32;
	rt = bpf_map_lookup_elem(&kk_runtime, &slot);
	if (rt) {
		bpf_spin_lock(&rt->lock);
		if (rt->gen == (__u32)*val && rt->live_conns)
			rt->live_conns--;
		bpf_spin_unlock(&rt->lock);
	}
	bpf_map_delete_elem(&kk_conns, &key);
	return 0;
}
