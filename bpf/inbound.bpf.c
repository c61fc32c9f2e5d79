// SPDX-License-Identifier: GPL-2.0-only
/*
 * inbound.bpf.c — what may reach a bound task over the network.
 *
 * Hooks: lsm/socket_post_create, lsm/socket_bind, lsm/socket_listen, lsm/socket_accept,
 * lsm/socket_sock_rcv_skb.
 *
 *   create   the socket records the binding that made it (kk_socks, KK_SOCK_OWN); accepted
 *            sockets inherit their listener's entry (the map is BPF_F_CLONE).
 *   bind     unix: not to an abstract name. An inet/inet6 port other than 0 only as
 *            network_rules.listen allows it, for that
 *            local address (port 0: the kernel picks an ephemeral port, decided at listen). A
 *            UDP server needs no more: what reaches its socket is filtered like any inbound.
 *   listen   the bound address and port must be in network_rules.listen (port 0 here is an
 *            automatic one: only a rule for every port allows it).
 *   accept   only on a listener this binding was allowed to open.
 *   packets  inbound packets to a socket of a binding (SYNs to its listeners, UDP datagrams,
 *            every later segment) come only from addresses in allowed_hosts (any port) and not
 *            in denied_hosts; others are dropped. Runs in softirq for every packet of the host:
 *            sockets of no binding cost one socket-storage lookup.
 * Denials return EACCES (a dropped packet is just dropped).
 */
#include "sock.bpf.h"

/*
 * Inbound drops are decided without a task of the binding and can come as fast as a peer sends
 * them: every drop is counted (kk_counts, KK_STAT_DENIED), but at most KK_RCV_EVENTS events a
 * second are sent per binding. Per-load state, not pinned.
 */
#define KK_RCV_EVENTS 20
struct kk_rcv_rate {
	__u64 window_ns;
	__u32 sent;
	__u32 gen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_BINDINGS);
	__type(key, __u32);
	__type(value, struct kk_rcv_rate);
} kk_rcv_rate SEC(".maps");

static __always_inline bool kk_rcv_event_ok(struct kk_ctx *c)
{
	struct kk_rcv_rate *r = bpf_map_lookup_elem(&kk_rcv_rate, &c->slot);
	__u64 now = bpf_ktime_get_ns();

	if (!r)
		return false;
	if (r->gen != c->gen || now - r->window_ns >= 1000000000ULL) {
		r->gen = c->gen;
		r->window_ns = now;
		r->sent = 0;
	}
	return __sync_fetch_and_add(&r->sent, 1) < KK_RCV_EVENTS;
}

SEC("lsm/socket_post_create")
int BPF_PROG(kk_socket_post_create, struct socket *sock, int family, int type, int protocol,
	     int kern, int ret)
{
	struct sock *sk = sock->sk;
	struct kk_sock *e;
	struct kk_ctx c;

	if (ret || kern)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_CREATE) || !sk)
		return 0;
	e = bpf_sk_storage_get(&kk_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!e)
		return 0; /* unmarked: decided as a foreign socket at each use (fail closed) */
	__builtin_memset(e, 0, sizeof(*e));
	e->binding = c.slot;
	e->gen = c.gen;
	e->flags = KK_SOCK_OWN;
	return 0;
}

/*
 * Mark sk as a listener of this binding: accept() on it is allowed, and the peers of the
 * connections it accepts (which inherit the mark) are inbound ones. Only on a socket listen()
 * can succeed on — unconnected or listening already — since the hook runs before the kernel's
 * own checks: a connected socket must not get its peer decided as an inbound one.
 */
static __always_inline void kk_listen_ok(struct kk_ctx *c, struct sock *sk)
{
	__u8 state = sk->__sk_common.skc_state;
	struct kk_sock *e;

	if (state != TCP_CLOSE && state != TCP_LISTEN)
		return;
	e = kk_sock_claim(c, sk);
	if (e)
		e->flags |= KK_SOCK_LISTEN_OK;
}

/*
 * A unix socket bound to a path: the socket file's creation decides (path_mknod). An abstract
 * name (or the automatic one, addrlen of the family alone) would let anyone connect in, and the
 * agent's own tasks cannot connect to it: refused, as connecting to one is.
 */
static __always_inline __u32 kk_unix_bind_reason(struct sockaddr *address, int addrlen,
						 struct kk_event *ev)
{
	char first = 0;

	if (addrlen > (int)sizeof(__u16))
		bpf_probe_read_kernel(&first, 1, (char *)address + sizeof(__u16));
	if (addrlen > (int)sizeof(__u16) && first)
		return 0;
	if (ev)
		ev->family = AF_UNIX;
	return KK_REASON_UNIX_ABSTRACT;
}

SEC("lsm/socket_bind")
int BPF_PROG(kk_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct sock *sk = sock->sk;
	__u16 family, name_family, port;
	struct kk_event *ev;
	struct kk_ctx c;
	__u8 addr[16];
	__u32 reason;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_BIND) || !sk)
		return 0;
	family = sk->__sk_common.skc_family;
	ev = kk_event_start(&c, KK_ACCESS_READ);
	if (family == AF_UNIX)
		return kk_finish(&c, ev,
				 c.state_reason ?: kk_unix_bind_reason(address, addrlen, ev),
				 EACCES);
	if (family != AF_INET && family != AF_INET6)
		return kk_finish(&c, ev, c.state_reason, EACCES);
	name_family = BPF_CORE_READ(address, sa_family);
	/* inet_bind takes AF_UNSPEC as AF_INET (for INADDR_ANY); SCTP on inet6 takes AF_INET. */
	if (name_family == AF_INET || (name_family == AF_UNSPEC && family == AF_INET))
		kk_sa_v4(address, addr, &port);
	else if (name_family == AF_INET6)
		kk_sa_v6(address, addr, &port);
	else
		return c.state_reason ? kk_finish(&c, ev, c.state_reason, EACCES) : 0; /* refused */
	kk_ev_inet(ev, addr, port, name_family == AF_INET6 ? AF_INET6 : AF_INET, sk->sk_protocol);
	reason = c.state_reason;
	/* Raw sockets bind an address only: their "port" is the protocol. */
	if (!reason && port && sk->sk_type != SOCK_RAW)
		reason = kk_listen_decide(&c, addr, port);
	return kk_finish(&c, ev, reason, EACCES);
}

SEC("lsm/socket_listen")
int BPF_PROG(kk_socket_listen, struct socket *sock, int backlog, int ret)
{
	struct sock *sk = sock->sk;
	struct kk_event *ev;
	struct kk_ctx c;
	__u8 addr[16];
	__u16 family, port;
	__u32 reason;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_LISTEN) || !sk)
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_READ);
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return kk_finish(&c, ev, c.state_reason, EACCES);
	kk_sk_local(sk, family, addr, &port);
	kk_ev_inet(ev, addr, port, family, sk->sk_protocol);
	reason = c.state_reason ?: kk_listen_decide(&c, addr, port);
	if (!reason)
		kk_listen_ok(&c, sk);
	return kk_finish(&c, ev, reason, EACCES);
}

SEC("lsm/socket_accept")
int BPF_PROG(kk_socket_accept, struct socket *sock, struct socket *newsock, int ret)
{
	struct sock *sk = sock->sk;
	struct kk_event *ev;
	struct kk_ctx c;
	__u8 addr[16];
	__u16 family, port;
	__u32 reason;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_ACCEPT) || !sk)
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_READ);
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return kk_finish(&c, ev, c.state_reason, EACCES);
	kk_sk_local(sk, family, addr, &port);
	kk_ev_inet(ev, addr, port, family, sk->sk_protocol);
	/*
	 * Only listeners opened under this binding: their SYNs were filtered (socket_sock_rcv_skb)
	 * from the first one on. A listener from elsewhere may hold connections of anyone.
	 */
	reason = c.state_reason;
	if (!reason &&
	    !(kk_sock_flags(bpf_sk_storage_get(&kk_socks, sk, 0, 0), &c) & KK_SOCK_LISTEN_OK))
		reason = KK_REASON_LISTEN_NOT_ALLOWED;
	return kk_finish(&c, ev, reason, EACCES);
}

/* The source of skb from its IP header (a v6 socket also receives IPv4); false if unreadable. */
static __always_inline bool kk_skb_source(struct sk_buff *skb, __u8 addr[16], __u16 *port,
					  __u8 *family, __u8 *protocol)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header), th = BPF_CORE_READ(skb, transport_header);
	__u8 first = 0;
	__be16 sport = 0;

	if (bpf_probe_read_kernel(&first, 1, head + nh))
		return false;
	if (first >> 4 == 4) {
		__u32 a;

		if (bpf_probe_read_kernel(&a, 4, head + nh + 12) ||
		    bpf_probe_read_kernel(protocol, 1, head + nh + 9))
			return false;
		kk_addr_v4(addr, a);
		*family = AF_INET;
	} else if (first >> 4 == 6) {
		if (bpf_probe_read_kernel(addr, 16, head + nh + 8) ||
		    bpf_probe_read_kernel(protocol, 1, head + nh + 6))
			return false;
		*family = AF_INET6;
	} else {
		return false;
	}
	/* TCP, UDP and SCTP start with the source port; set by the time the socket gets it. */
	if (*protocol == IPPROTO_TCP || *protocol == IPPROTO_UDP || *protocol == IPPROTO_SCTP)
		bpf_probe_read_kernel(&sport, 2, head + th);
	*port = bpf_ntohs(sport);
	return true;
}

/*
 * An inbound packet to a socket of binding e. The peer a connected socket was decided for (one
 * compare: the kernel delivers only its peer's packets to it); else the packet's source address.
 */
static __always_inline int kk_rcv_decide(struct sock *sk, struct sk_buff *skb, struct kk_sock *e,
					 __u16 family)
{
	__u8 peer[16], src[16], ipfam = family, proto = 0;
	__u16 pport, sport = 0;
	struct kk_ctx c;
	bool connected;
	__u32 reason;

	if (!kk_resolve_sock(&c, e, KK_HOOK_SOCK_RCV_SKB))
		return 0; /* the binding has ended */
	connected = kk_sk_peer(sk, family, peer, &pport);
	if (!c.state_reason && connected && kk_sock_peer_is(e, family, peer, pport))
		return 0;
	__builtin_memset(src, 0, sizeof(src));
	reason = c.state_reason;
	if (!kk_skb_source(skb, src, &sport, &ipfam, &proto))
		reason = reason ?: KK_REASON_HOST_NOT_ALLOWED; /* not IP: nothing to allow it by */
	if (!reason)
		reason = kk_net_inbound(&c, src);
	/* An accepted connection's peer, allowed: its next segments are one compare. */
	if (!reason && connected && (e->flags & KK_SOCK_LISTEN_OK) && sk->sk_type == SOCK_STREAM &&
	    kk_addr_eq(src, peer) && sport == pport) {
		__builtin_memcpy(e->peer_addr, peer, 16);
		e->peer_port = pport;
		e->peer_family = family;
		e->flags |= KK_SOCK_PEER_OK;
	}
	if (!reason)
		return 0;
	return kk_finish_sock(&c, reason, KK_ACCESS_READ, src, sport, ipfam, proto,
			      kk_rcv_event_ok(&c));
}

SEC("lsm/socket_sock_rcv_skb")
int BPF_PROG(kk_sock_rcv_skb, struct sock *sk, struct sk_buff *skb, int ret)
{
	__u16 family;
	struct kk_sock *e;

	if (ret)
		return ret;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	/* Every packet of every socket on the host: one load when no map stores anything on it. */
	if (bpf_core_field_exists(sk->sk_bpf_storage) && !sk->sk_bpf_storage)
		return 0;
	e = bpf_sk_storage_get(&kk_socks, sk, 0, 0);
	if (!e || !e->flags)
		return 0;
	return kk_rcv_decide(sk, skb, e, family);
}
