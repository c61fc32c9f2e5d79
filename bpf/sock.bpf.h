/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sockets as objects: which kinds a bound task may hold, the binding a socket belongs to
 * (kk_socks), and the decision on using a socket that was not connected under this binding —
 * inherited, passed over SCM_RIGHTS, installed into an io_uring, accepted — on its current peer.
 *
 * kk_socks entries (struct kk_sock): KK_SOCK_OWN when a task of (binding, gen) created the socket
 * (socket_post_create; accepted sockets inherit their listener's entry, BPF_F_CLONE);
 * KK_SOCK_PEER_OK with peer_* when that peer was decided allowed under (binding, gen), so the
 * next use is one lookup; KK_SOCK_LISTEN_OK when listen() was allowed on it by
 * network_rules.listen (the stream sockets it accepts inherit it: their peers are inbound ones,
 * decided on their address alone). flags == 0 is an empty entry.
 */
#ifndef KAKUNIN_SOCK_BPF_H
#define KAKUNIN_SOCK_BPF_H

#include "inet.bpf.h"

/* Families a bound task can meet besides inet, inet6, unix, netlink and packet. */
#define AF_TIPC 30

/*
 * A kernel pointer as a number (the verifier refuses storing a pointer into a map): the unix
 * peer a socket was decided for. A socket holds a reference on its peer, and every new peer
 * passes unix_stream_connect or unix_may_send, so a recorded address cannot be reused unseen.
 */
static __always_inline __u64 kk_ptr_id(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/* Does the entry belong to (binding, gen) of c? */
static __always_inline bool kk_sock_mine(const struct kk_sock *e, const struct kk_ctx *c)
{
	return e && e->flags && e->binding == c->slot && e->gen == c->gen;
}

/* The entry's flags when it belongs to (binding, gen) of c, else 0. */
static __always_inline __u32 kk_sock_flags(const struct kk_sock *e, const struct kk_ctx *c)
{
	return e && e->binding == c->slot && e->gen == c->gen ? e->flags : 0;
}

/* Is (slot, gen) a binding still in use? */
static __always_inline bool kk_binding_live(__u32 slot, __u32 gen)
{
	struct kk_binding *b = bpf_map_lookup_elem(&kk_bindings, &slot);

	return b && b->in_use && b->gen == gen;
}

/*
 * The entry of sk this binding may write: its own, an empty one (created here), or one of a
 * binding that has ended (taken over, its flags dropped). NULL when another live binding owns
 * the socket — its entry says who made it, for attestation, and is not overwritten — or when no
 * entry can be allocated; the socket is then decided again at its next use.
 */
static __always_inline struct kk_sock *kk_sock_claim(struct kk_ctx *c, struct sock *sk)
{
	struct kk_sock *e = bpf_sk_storage_get(&kk_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);

	if (!e || kk_sock_mine(e, c))
		return e;
	if (e->flags && kk_binding_live(e->binding, e->gen))
		return NULL;
	e->binding = c->slot;
	e->gen = c->gen;
	e->flags = 0;
	return e;
}

/* Remember that peer (address and port, or for unix the peer socket) was allowed for sk. */
static __always_inline void kk_sock_peer_ok(struct kk_ctx *c, struct sock *sk, __u8 family,
					    const __u8 addr[16], __u16 port)
{
	struct kk_sock *e = kk_sock_claim(c, sk);

	if (!e)
		return;
	__builtin_memcpy(e->peer_addr, addr, 16);
	e->peer_port = port;
	e->peer_family = family;
	e->flags |= KK_SOCK_PEER_OK;
}

static __always_inline bool kk_sock_peer_is(const struct kk_sock *e, __u8 family,
					    const __u8 addr[16], __u16 port)
{
	return (e->flags & KK_SOCK_PEER_OK) && e->peer_family == family && e->peer_port == port &&
	       kk_addr_eq(e->peer_addr, addr);
}

/*
 * Which sockets a bound task may create or hold: unix, and inet/inet6 TCP and UDP; raw (with
 * ICMP "ping" sockets), packet, netlink and SCTP only as network_rules.allowed_socket_types lists
 * them — raw, packet and netlink reach past the address rules (the host's routing, any frame or
 * IP packet). NETLINK_ROUTE comes with the baseline: glibc's getaddrinfo(AI_ADDRCONFIG) asks it
 * which address families the host has, and changing anything through it needs CAP_NET_ADMIN,
 * which a bound task never has. Other inet protocols (MPTCP, UDP-Lite, DCCP, L2TP/IP, ...) and
 * other families (TIPC, vsock, ...) have their own ways to reach other hosts and processes.
 */
static __always_inline __u32 kk_sock_kind_reason(struct kk_ctx *c, int family, int type,
						 int protocol)
{
	__u32 flags = c->pol ? c->pol->consts.flags : 0;

	type &= SOCK_TYPE_MASK;
	if (family == AF_UNIX)
		return 0;
	if (family == AF_NETLINK)
		return (flags & KK_POL_SOCK_NETLINK) ||
				       ((flags & KK_POL_NETLINK_ROUTE) && protocol == NETLINK_ROUTE)
			       ? 0
			       : KK_REASON_SOCKET_TYPE;
	if (family == AF_PACKET)
		return flags & KK_POL_SOCK_PACKET ? 0 : KK_REASON_SOCKET_TYPE;
	if (family != AF_INET && family != AF_INET6)
		return KK_REASON_FAMILY_NOT_ALLOWED;
	if (type == SOCK_RAW)
		return flags & KK_POL_SOCK_RAW ? 0 : KK_REASON_SOCKET_TYPE;
	if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		return 0;
	if (type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		return 0;
	if (protocol == IPPROTO_SCTP && (type == SOCK_STREAM || type == SOCK_SEQPACKET))
		return flags & KK_POL_SOCK_SCTP ? 0 : KK_REASON_PROTOCOL;
	if (type == SOCK_DGRAM && (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
		return flags & KK_POL_SOCK_RAW ? 0 : KK_REASON_PROTOCOL;
	return KK_REASON_PROTOCOL;
}

/*
 * A netlink destination other than the kernel (another process's socket, a multicast group) is
 * a channel to other processes: only with allowed_socket_types "netlink", not with the
 * baseline's NETLINK_ROUTE.
 */
static __always_inline __u32 kk_netlink_dest(struct kk_ctx *c, struct sockaddr *sa)
{
	struct sockaddr_nl *nl = (struct sockaddr_nl *)sa;

	if (c->pol && (c->pol->consts.flags & KK_POL_SOCK_NETLINK))
		return 0;
	return BPF_CORE_READ(nl, nl_pid) || BPF_CORE_READ(nl, nl_groups) ? KK_REASON_SOCKET_TYPE
									 : 0;
}

/*
 * An inet socket's current peer. The entry's peer if it is the one decided; else a peer of a
 * socket this binding listens with (an accepted connection) is an inbound peer, any other an
 * outbound destination. No peer: only the binding's own sockets (an unconnected UDP socket
 * receives what socket_sock_rcv_skb let in).
 */
static __always_inline __u32 kk_sock_inet_use(struct kk_ctx *c, struct sock *sk, __u16 family,
					      const struct kk_sock *e, __u32 mine)
{
	struct kk_event *ev = c->s ? &c->s->ev : NULL;
	__u8 peer[16], addr[16];
	bool exempt;
	__u32 reason;
	__u16 port;

	if (!kk_sk_peer(sk, family, peer, &port))
		return mine & KK_SOCK_OWN ? 0 : KK_REASON_FOREIGN_SOCKET;
	if (e && (mine & KK_SOCK_PEER_OK) && kk_sock_peer_is(e, family, peer, port))
		return 0;
	__builtin_memcpy(addr, peer, 16);
	/* Accepted connections only: a stream socket's peer comes from connect() or accept(). */
	if ((mine & KK_SOCK_LISTEN_OK) && sk->sk_type == SOCK_STREAM) {
		reason = kk_net_inbound(c, addr);
	} else {
		kk_this_host(addr);
		reason = kk_net_decide(c, addr, port, &exempt);
	}
	kk_ev_inet(ev, addr, port, family, BPF_CORE_READ(sk, sk_protocol));
	if (!reason)
		kk_sock_peer_ok(c, sk, family, peer, port);
	return reason;
}

/*
 * A unix socket's current peer: the path it is bound to needs write access, an abstract name is
 * refused, an unnamed peer (socketpair, an unbound client) is allowed. No peer: as for inet.
 */
static __always_inline __u32 kk_sock_unix_use(struct kk_ctx *c, struct sock *sk,
					      const struct kk_sock *e, __u32 mine)
{
	struct unix_sock *u = (struct unix_sock *)sk, *pu;
	struct kk_event *ev = c->s ? &c->s->ev : NULL;
	struct dentry *dentry;
	__u8 id[16] = {};
	__u32 reason;
	long len;

	pu = (struct unix_sock *)BPF_CORE_READ(u, peer);
	if (!pu)
		return mine & KK_SOCK_OWN ? 0 : KK_REASON_FOREIGN_SOCKET;
	*(__u64 *)id = (__u64)pu;
	if (e && (mine & KK_SOCK_PEER_OK) && kk_sock_peer_is(e, AF_UNIX, id, 0))
		return 0;
	if (!ev)
		return KK_REASON_BINDING_INVALID;
	ev->family = AF_UNIX;
	dentry = BPF_CORE_READ(pu, path.dentry);
	if (!dentry) {
		reason = BPF_CORE_READ(pu, addr) ? KK_REASON_UNIX_ABSTRACT : 0;
	} else {
		len = kk_walk_path(c->s, dentry, BPF_CORE_READ(pu, path.mnt), ev->path);
		ev->path_len = len > 0 ? len : 0;
		if (len <= 0 || len > KK_PATH_MAX) {
			kk_count(KK_STAT_PATH_FAIL);
			reason = KK_REASON_PATH_UNRESOLVED;
		} else {
			reason = kk_path_decide(c, ev->path, len, KK_ACCESS_WRITE);
		}
	}
	if (!reason)
		kk_sock_peer_ok(c, sk, AF_UNIX, id, 0);
	return reason;
}

/*
 * May the current (bound) task send on or receive from sock (access: KK_ACCESS_READ or _WRITE)?
 * 0, or the KK_REASON_* that refuses it. For the callers of socket_sendmsg, socket_recvmsg,
 * file_permission (splice and sendfile to a socket pass no socket hook) and file_receive (a
 * socket passed in):
 *   - the identity must be active (c->state_reason first);
 *   - a socket this binding did not create must be of a kind it could create
 *     (kk_sock_kind_reason: a netlink socket of root's, a packet socket, a TIPC socket, ...);
 *   - its current peer must be allowed — unless kk_socks says it was, for this very peer, under
 *     this binding (one lookup: sockets connected here, the fast path) — and is then recorded;
 *   - a socket without a peer is the binding's own (an unconnected UDP socket, a listener) or
 *     refused (KK_REASON_FOREIGN_SOCKET).
 * Call kk_event_start(c, access) first: the peer (address, port, protocol; the unix path) is
 * written into that event (c->s->ev) when it was decided. Never sleeps, no d_path: usable in
 * every socket and file hook.
 */
static __always_inline __u32 kk_sock_use_reason(struct kk_ctx *c, struct socket *sock, __u32 access)
{
	struct sock *sk = sock->sk;
	struct kk_sock *e;
	__u32 reason, mine, had = 0;
	__u16 family;

	if (c->state_reason)
		return c->state_reason;
	if (!sk)
		return 0; /* released: nothing to send or receive */
	family = sk->__sk_common.skc_family;
	e = bpf_sk_storage_get(&kk_socks, sk, 0, 0);
	mine = kk_sock_flags(e, c);
	if (!(mine & KK_SOCK_OWN)) {
		/* Descriptors 0-2 at the bind are the operator's (the journal's stdout socket). */
		kk_stdio_had(c, sock->file, &had);
		if ((had & access) == access)
			return 0;
		reason = kk_sock_kind_reason(c, family, sk->sk_type, sk->sk_protocol);
		if (reason) {
			if (c->s) {
				c->s->ev.family = family;
				c->s->ev.protocol = sk->sk_protocol;
			}
			return reason;
		}
	}
	if (family == AF_INET || family == AF_INET6)
		return kk_sock_inet_use(c, sk, family, e, mine);
	if (family == AF_UNIX)
		return kk_sock_unix_use(c, sk, e, mine);
	return 0; /* netlink, packet: their kind was the decision */
}

/*
 * The binding (slot, gen) of a socket, as kk_resolve gives a task's — for hooks that run without
 * the socket's task (softirq: inbound packets, SCTP address changes from the peer). 0: the
 * binding has ended, nothing to decide. c->s stays NULL: the per-CPU scratch may be in use by
 * the program this softirq interrupted.
 */
static __always_inline int kk_resolve_sock(struct kk_ctx *c, const struct kk_sock *e, __u32 hook)
{
	struct kk_ident *id;

	c->task = NULL; /* softirq: not a task of the binding */
	c->hook = hook;
	c->slot = e->binding;
	c->gen = e->gen;
	c->pol = NULL;
	c->s = NULL;
	c->sb = NULL;
	c->state_reason = 0;
	c->b = bpf_map_lookup_elem(&kk_bindings, &c->slot);
	if (!c->b || !c->b->in_use || c->b->gen != c->gen)
		return 0;
	c->pol = bpf_map_lookup_elem(&kk_policies, &c->b->policy);
	id = bpf_map_lookup_elem(&kk_idents, &c->b->ident);
	if (!c->pol || !id || !c->pol->refs) {
		c->state_reason = KK_REASON_BINDING_INVALID;
		c->pol = NULL;
		kk_count(KK_STAT_BINDING_INVALID);
		return 1;
	}
	if (id->state == KK_STATE_REVOKED)
		c->state_reason = KK_REASON_REVOKED;
	else if (id->state == KK_STATE_EXPIRED)
		c->state_reason = KK_REASON_EXPIRED;
	else if (id->state != KK_STATE_ACTIVE)
		c->state_reason = KK_REASON_BLOCKED;
	return 1;
}

/*
 * kk_finish for a decision taken without the socket's task (softirq): the same counters; an event
 * built on the stack, not in the per-CPU scratch, with pid, tid and uid 0 and no comm (no task of
 * the binding asked); no tripwire, so that a peer's packets cannot revoke the agent. emit: false
 * when the caller's flood limit holds the event back (the counters still count the denial).
 */
static __always_inline int kk_finish_sock(struct kk_ctx *c, __u32 reason, __u32 access,
					  const __u8 addr[16], __u16 port, __u8 family,
					  __u8 protocol, bool emit)
{
	__u64 hdr[KK_EVENT_HDR_SIZE / 8] = {};
	struct kk_event *ev = (struct kk_event *)hdr;
	__u32 flags = c->pol ? c->pol->consts.flags : 0;
	bool audit = (flags & KK_POL_AUDIT_MODE) && reason < KK_REASON_SCOPE_MAX;

	kk_count_binding(c, reason != 0);
	if (!reason)
		return 0;
	kk_count(audit ? KK_STAT_AUDITED : KK_STAT_DENIED);
	if (emit) {
		ev->ktime_ns = bpf_ktime_get_boot_ns();
		ev->type = audit ? KK_EV_ACTION_AUDITED : KK_EV_ACTION_DENIED;
		ev->hook = c->hook;
		ev->binding = c->slot;
		ev->gen = c->gen;
		ev->access = access;
		ev->reason = reason;
		ev->err = EACCES;
		ev->port = port;
		ev->family = family;
		ev->protocol = protocol;
		__builtin_memcpy(ev->addr, addr, 16);
		if (bpf_ringbuf_output(&kk_events, hdr, KK_EVENT_HDR_SIZE, 0))
			kk_count(KK_STAT_EVENTS_LOST);
	}
	return audit ? 0 : -EACCES;
}

#endif /* KAKUNIN_SOCK_BPF_H */
