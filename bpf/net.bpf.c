// SPDX-License-Identifier: GPL-2.0-only
/*
 * net.bpf.c — network access of bound tasks.
 *
 * Hooks: lsm/socket_create, lsm/socket_connect, lsm/socket_sendmsg, lsm/socket_recvmsg,
 * lsm/unix_stream_connect, lsm/unix_may_send, lsm/sk_free_security.
 *
 * Decision model, on the kernel's copy of the destination:
 *   IPv4/IPv6  the address (IPv4-mapped IPv6 is IPv4: one 128-bit space) and port are looked up
 *              in the deny trie, then the allow trie: a deny match refuses, an allow match
 *              with the port allows, anything else is refused. AF_UNSPEC (disconnect) is
 *              allowed. connect() and sendmsg() with a destination (unconnected UDP sendto,
 *              TCP Fast Open) are decided alike; connects also spend a rate_limit token and
 *              count against max_concurrent_trades until the socket is freed, except DNS
 *              to the baseline's nameservers.
 *   unix       the path of the socket connected or sent to needs write access; abstract
 *              sockets (no path) are refused.
 *   create     raw, packet and netlink sockets are refused (glibc's getaddrinfo falls back
 *              when its netlink query fails).
 * A revoked or blocked identity may neither send nor receive on sockets it holds, and nothing
 * connects outside allowed_hours. Denials return EACCES.
 */
#include "path.bpf.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* Destination of a sockaddr in kernel memory; false for families we do not decide here. */
static __always_inline bool kk_sockaddr(struct sockaddr *sa, __u8 addr[16], __u16 *port,
					__u8 *family)
{
	__u16 fam = BPF_CORE_READ(sa, sa_family);

	*family = fam;
	if (fam == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		__u32 a = BPF_CORE_READ(in, sin_addr.s_addr);

		__builtin_memset(addr, 0, 10);
		addr[10] = 0xff;
		addr[11] = 0xff;
		__builtin_memcpy(addr + 12, &a, 4);
		*port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
		return true;
	}
	if (fam == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		bpf_probe_read_kernel(addr, 16, &in6->sin6_addr);
		*port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
		return true;
	}
	return false;
}

static __always_inline bool kk_port_in(const struct kk_net_val *v, __u16 port)
{
	int i;

	if (v->any_port)
		return true;
	for (i = 0; i < KK_NET_PORTS_MAX; i++) {
		if (i >= v->nports)
			break;
		if (v->ports[i] == port)
			return true;
	}
	return false;
}

/* Deny trie, then allow trie. *exempt: only the baseline's DNS allows it (no limits apply). */
static __always_inline __u32 kk_net_decide(struct kk_ctx *c, const __u8 addr[16], __u16 port,
					   bool *exempt)
{
	struct kk_net_key key = { .prefixlen = 32 + 128, .policy_id = c->b->policy };
	struct kk_net_val *v;

	__builtin_memcpy(key.addr, addr, 16);
	*exempt = false;
	v = bpf_map_lookup_elem(&kk_net_deny, &key);
	if (v && kk_port_in(v, port))
		return KK_REASON_HOST_DENIED;
	v = bpf_map_lookup_elem(&kk_net_allow, &key);
	if (!v || !kk_port_in(v, port))
		return KK_REASON_HOST_NOT_ALLOWED;
	*exempt = (v->flags & KK_NET_F_BASELINE) && port == 53;
	return 0;
}

/*
 * rate_limit and max_concurrent_trades for a new outbound socket sk. The token bucket holds
 * rate_count tokens and gains one every rate_period_s / rate_count.
 */
static __always_inline __u32 kk_limits(struct kk_ctx *c, struct sock *sk)
{
	const struct kk_policy_consts *k = &c->pol->consts;
	__u64 key = (__u64)sk, val = (__u64)c->slot << 32 | c->gen, now = bpf_ktime_get_ns();
	struct kk_runtime *rt;
	__u32 reason = 0;

	if (!k->rate_count && !k->max_concurrent)
		return 0;
	if (bpf_map_lookup_elem(&kk_conns, &key))
		return 0; /* this socket was counted when it first connected */
	rt = bpf_map_lookup_elem(&kk_runtime, &c->slot);
	if (!rt)
		return KK_REASON_BINDING_INVALID;
	bpf_spin_lock(&rt->lock);
	kk_rt_refresh(rt, c, now);
	if (k->rate_count) {
		__u64 interval = (__u64)k->rate_period_s * 1000000000ULL / k->rate_count;
		__u64 add = interval ? (now - rt->refill_ns) / interval : k->rate_count;

		if (add) {
			rt->tokens =
				rt->tokens + add > k->rate_count ? k->rate_count : rt->tokens + add;
			rt->refill_ns = interval ? rt->refill_ns + add * interval : now;
		}
		if (!rt->tokens)
			reason = KK_REASON_RATE_LIMIT;
	}
	if (!reason && k->max_concurrent && rt->live_conns >= k->max_concurrent)
		reason = KK_REASON_CONCURRENCY;
	if (!reason) {
		if (k->rate_count)
			rt->tokens--;
		rt->live_conns++;
	}
	bpf_spin_unlock(&rt->lock);
	if (reason)
		return reason;
	if (bpf_map_update_elem(&kk_conns, &key, &val, BPF_ANY)) {
		/* Untracked, it would never be released: undo and refuse. */
		bpf_spin_lock(&rt->lock);
		if (rt->live_conns)
			rt->live_conns--;
		bpf_spin_unlock(&rt->lock);
		kk_count(KK_STAT_CONN_TABLE_FULL);
		return KK_REASON_CONN_TABLE_FULL;
	}
	return 0;
}

/* Decide an IPv4/IPv6 destination; limits only for new outbound connections. */
static __always_inline int kk_inet(struct kk_ctx *c, struct socket *sock, struct sockaddr *sa,
				   bool connecting)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	struct kk_event *ev = kk_event_start(c, KK_ACCESS_WRITE);
	__u8 addr[16], family;
	__u32 reason = c->state_reason;
	bool exempt = false;
	__u16 port = 0;

	if (!ev)
		return kk_finish(c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	if (!kk_sockaddr(sa, addr, &port, &family))
		return 0;
	__builtin_memcpy(ev->addr, addr, 16);
	ev->port = port;
	ev->family = family;
	ev->protocol = BPF_CORE_READ(sk, sk_protocol);
	if (!reason && kk_outside_hours(c))
		reason = KK_REASON_OUTSIDE_HOURS;
	if (!reason)
		reason = kk_net_decide(c, addr, port, &exempt);
	if (!reason && connecting && !exempt)
		reason = kk_limits(c, sk);
	return kk_finish(c, ev, reason, EACCES);
}

SEC("lsm/socket_connect")
int BPF_PROG(kk_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct kk_ctx c;
	__u16 family;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_CONNECT))
		return 0;
	family = BPF_CORE_READ(address, sa_family);
	if (family == AF_UNSPEC || family == AF_UNIX) /* disconnect; unix: decided on the peer */
		return c.state_reason ? kk_finish(&c, kk_event_start(&c, 0), c.state_reason, EACCES)
				      : 0;
	if (family != AF_INET && family != AF_INET6)
		return kk_finish(&c, kk_event_start(&c, KK_ACCESS_WRITE),
				 c.state_reason ?: KK_REASON_FAMILY_NOT_ALLOWED, EACCES);
	return kk_inet(&c, sock, address, true);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(kk_socket_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct sockaddr *name;
	struct kk_ctx c;
	__u16 family;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_SENDMSG))
		return 0;
	name = BPF_CORE_READ(msg, msg_name);
	family = name ? BPF_CORE_READ(name, sa_family) : AF_UNSPEC;
	if (family == AF_INET || family == AF_INET6)
		return kk_inet(&c, sock, name, BPF_CORE_READ(msg, msg_flags) & MSG_FASTOPEN);
	/* Connected socket (checked at connect), or unix (checked in unix_may_send). */
	if (c.state_reason)
		return kk_finish(&c, kk_event_start(&c, KK_ACCESS_WRITE), c.state_reason, EACCES);
	return 0;
}

SEC("lsm/socket_recvmsg")
int BPF_PROG(kk_socket_recvmsg, struct socket *sock, struct msghdr *msg, int size, int flags,
	     int ret)
{
	struct kk_ctx c;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_RECVMSG) || !c.state_reason)
		return 0;
	return kk_finish(&c, kk_event_start(&c, KK_ACCESS_READ), c.state_reason, EACCES);
}

/*
 * Netlink, packet and raw sockets reach past the address rules (the host's routing and
 * firewall, any frame or IP packet): refused unless network_rules.allowed_socket_types names
 * them. NETLINK_ROUTE comes with the baseline: glibc's getaddrinfo(AI_ADDRCONFIG) asks it
 * which address families the host has, and changing anything through it needs
 * CAP_NET_ADMIN, which a bound task never has.
 */
static __always_inline bool kk_socket_type_allowed(struct kk_ctx *c, int family, int type,
						   int protocol)
{
	__u32 flags = c->pol ? c->pol->consts.flags : 0;

	if (family == AF_NETLINK)
		return (flags & KK_POL_SOCK_NETLINK) ||
		       ((flags & KK_POL_NETLINK_ROUTE) && protocol == NETLINK_ROUTE);
	if (family == AF_PACKET)
		return flags & KK_POL_SOCK_PACKET;
	if ((type & SOCK_TYPE_MASK) == SOCK_RAW)
		return flags & KK_POL_SOCK_RAW;
	return true;
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
	reason = c.state_reason;
	if (!reason && !kk_socket_type_allowed(&c, family, type, protocol))
		reason = KK_REASON_SOCKET_TYPE;
	if (!reason)
		return kk_finish(&c, NULL, 0, 0);
	ev = kk_event_start(&c, 0);
	if (ev) {
		ev->family = family;
		ev->protocol = protocol;
	}
	return kk_finish(&c, ev, reason, EACCES);
}

/* The unix socket other is bound to a path: write access to it is required. */
static __always_inline int kk_unix_peer(__u32 hook, struct sock *other)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct dentry *dentry = BPF_CORE_READ(u, path.dentry);
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
		return kk_finish(&c, ev, reason, EACCES);
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
	return kk_finish(&c, ev, reason, EACCES);
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(kk_unix_stream_connect, struct sock *sock, struct sock *other, struct sock *newsk,
	     int ret)
{
	return ret ?: kk_unix_peer(KK_HOOK_UNIX_CONNECT, other);
}

SEC("lsm/unix_may_send")
int BPF_PROG(kk_unix_may_send, struct socket *sock, struct socket *other, int ret)
{
	return ret ?: kk_unix_peer(KK_HOOK_UNIX_SEND, BPF_CORE_READ(other, sk));
}

/* Release a tracked outbound socket: one lookup for every socket freed on the host. */
SEC("lsm/sk_free_security")
int BPF_PROG(kk_sk_free, struct sock *sk)
{
	__u64 key = (__u64)sk, *val = bpf_map_lookup_elem(&kk_conns, &key);
	struct kk_runtime *rt;
	__u32 slot;

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
