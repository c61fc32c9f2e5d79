/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IPv4/IPv6 addresses and their decisions, shared by the network hooks: socket addresses read
 * the way the kernel will read them, "this host" (0.0.0.0/8, ::) decided as loopback, the
 * allowed/denied tries for outbound and inbound peers, the listen trie, and the rate_limit and
 * max_concurrent_trades of outbound connections.
 *
 * Addresses are 16 bytes, IPv4 stored IPv4-mapped (::ffff:a.b.c.d) as in the tries; ports are in
 * host byte order.
 */
#ifndef KAKUNIN_INET_BPF_H
#define KAKUNIN_INET_BPF_H

#include "path.bpf.h"

/* include/linux/socket.h, include/uapi/linux/in.h, in6.h: macros, so not in vmlinux.h. */
#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_SEQPACKET 5
#define IPPROTO_ICMP   1
#define IPPROTO_TCP    6
#define IPPROTO_UDP    17
#define IPPROTO_ICMPV6 58
#define IPPROTO_SCTP   132
#define SOL_IP	       0
#define SOL_IPV6       41

/* The v4-mapped prefix ::ffff:0:0/96 as the third 32-bit word of an address. */
#define KK_V4MAPPED_W2 bpf_htonl(0xffff)

static __always_inline void kk_addr_v4(__u8 addr[16], __u32 a)
{
	__u32 *w = (__u32 *)addr;

	w[0] = 0;
	w[1] = 0;
	w[2] = KK_V4MAPPED_W2;
	w[3] = a;
}

static __always_inline bool kk_addr_is_v4(const __u8 addr[16])
{
	const __u32 *w = (const __u32 *)addr;

	return !w[0] && !w[1] && w[2] == KK_V4MAPPED_W2;
}

static __always_inline bool kk_addr_eq(const __u8 a[16], const __u8 b[16])
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1];
}

/* 0.0.0.0 or ::, the address of a socket bound to every address. */
static __always_inline bool kk_addr_any(const __u8 addr[16])
{
	const __u32 *w = (const __u32 *)addr;

	return !w[0] && !w[1] && (!w[2] || w[2] == KK_V4MAPPED_W2) && !w[3];
}

static __always_inline bool kk_addr_loopback(const __u8 addr[16])
{
	const __u32 *w = (const __u32 *)addr;

	if (kk_addr_is_v4(addr))
		return addr[12] == 127;
	return !w[0] && !w[1] && !w[2] && w[3] == bpf_htonl(1);
}

/*
 * "This host": the kernel sends to 0.0.0.0 (IPv4 routes it to the socket's source address, or
 * to 127.0.0.1) and to :: (IPv6 makes it ::1). The whole 0.0.0.0/8, v4-mapped or not, is taken
 * as this host. Rewrites addr to loopback and says whether it did.
 */
static __always_inline bool kk_this_host(__u8 addr[16])
{
	const __u32 *w = (const __u32 *)addr;

	if (kk_addr_is_v4(addr) && addr[12] == 0) {
		kk_addr_v4(addr, bpf_htonl(0x7f000001));
		return true;
	}
	if (!w[0] && !w[1] && !w[2] && !w[3]) {
		addr[15] = 1;
		return true;
	}
	return false;
}

/* sockaddr_in at sa (kernel memory): its address and port. */
static __always_inline void kk_sa_v4(const struct sockaddr *sa, __u8 addr[16], __u16 *port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

	kk_addr_v4(addr, BPF_CORE_READ(in, sin_addr.s_addr));
	*port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
}

static __always_inline void kk_sa_v6(const struct sockaddr *sa, __u8 addr[16], __u16 *port)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

	bpf_probe_read_kernel(addr, 16, &in6->sin6_addr);
	*port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
}

/* The socket's peer (0 port and address when it has none); false when it has none. */
static __always_inline bool kk_sk_peer(struct sock *sk, __u16 family, __u8 addr[16], __u16 *port)
{
	*port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6)
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_daddr);
	else
		kk_addr_v4(addr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	return *port || !kk_addr_any(addr);
}

/* The socket's bound local address and port (skc_num: the port, also when chosen by the kernel). */
static __always_inline void kk_sk_local(struct sock *sk, __u16 family, __u8 addr[16], __u16 *port)
{
	*port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET6)
		bpf_core_read(addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	else
		kk_addr_v4(addr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
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

static __always_inline void kk_net_key(struct kk_net_key *key, struct kk_ctx *c,
				       const __u8 addr[16])
{
	key->prefixlen = 32 + 128;
	key->policy_id = c->b->policy;
	__builtin_memcpy(key->addr, addr, 16);
}

/*
 * An outbound destination: deny trie, then allow trie. *exempt: only the baseline's DNS allows
 * it (no limits apply).
 */
static __always_inline __u32 kk_net_decide(struct kk_ctx *c, const __u8 addr[16], __u16 port,
					   bool *exempt)
{
	struct kk_net_key key;
	struct kk_net_val *v;

	kk_net_key(&key, c, addr);
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
 * An inbound peer (its port is its own business, usually ephemeral): allowed when allowed_hosts
 * has its address with any port, unless denied_hosts has the address at all (deny wins).
 */
static __always_inline __u32 kk_net_inbound(struct kk_ctx *c, const __u8 addr[16])
{
	struct kk_net_key key;

	kk_net_key(&key, c, addr);
	if (bpf_map_lookup_elem(&kk_net_deny, &key))
		return KK_REASON_HOST_DENIED;
	if (!bpf_map_lookup_elem(&kk_net_allow, &key))
		return KK_REASON_HOST_NOT_ALLOWED;
	return 0;
}

/*
 * A local address and port to listen on (bind, listen, SCTP bindx): network_rules.listen. Port 0
 * (the kernel picks one) is allowed only by a rule for every port.
 */
static __always_inline __u32 kk_listen_decide(struct kk_ctx *c, const __u8 addr[16], __u16 port)
{
	struct kk_net_key key;
	struct kk_net_val *v;

	kk_net_key(&key, c, addr);
	v = bpf_map_lookup_elem(&kk_net_listen, &key);
	if (!v || !kk_port_in(v, port))
		return KK_REASON_LISTEN_NOT_ALLOWED;
	return 0;
}

/*
 * A destination the kernel will send to (connect, a sendmsg name, an SCTP address). This host is
 * decided as loopback; for IPv4 also as the source address the kernel would route 0.0.0.0 to:
 * the socket's bound address, or src (IP_PKTINFO's ipi_spec_dst) when not 0. addr is rewritten
 * to what was decided, for the event.
 */
static __always_inline __u32 kk_dest_reason(struct kk_ctx *c, struct sock *sk, __u8 addr[16],
					    __u16 port, __u32 src, bool *exempt)
{
	__u8 local[16];
	__u16 lport;
	__u32 reason;
	bool here = kk_this_host(addr);

	reason = kk_net_decide(c, addr, port, exempt);
	if (reason || !here || !kk_addr_is_v4(addr))
		return reason;
	if (src) {
		kk_addr_v4(local, src);
	} else {
		kk_sk_local(sk, BPF_CORE_READ(sk, __sk_common.skc_family), local, &lport);
		if (!kk_addr_is_v4(local))
			return 0;
	}
	if (kk_addr_any(local) || kk_addr_loopback(local))
		return 0;
	reason = kk_net_decide(c, local, port, exempt);
	if (reason)
		__builtin_memcpy(addr, local, 16);
	return reason;
}

/*
 * rate_limit and max_concurrent_trades for an outbound connection attempt of sk. Every attempt
 * spends a token (a socket reconnected after connect(AF_UNSPEC) makes new connections); a socket
 * counts once against max_concurrent_trades, until it is freed. The token bucket holds
 * rate_count tokens and gains one every rate_period_s / rate_count.
 */
static __always_inline __u32 kk_limits(struct kk_ctx *c, struct sock *sk)
{
	const struct kk_policy_consts *k = &c->pol->consts;
	__u64 key = (__u64)sk, val = (__u64)c->slot << 32 | c->gen, now = bpf_ktime_get_ns();
	bool counted = false;
	struct kk_runtime *rt;
	__u32 reason = 0;

	if (!k->rate_count && !k->max_concurrent)
		return 0;
	if (bpf_map_lookup_elem(&kk_conns, &key))
		counted = true; /* against max_concurrent_trades when it first connected */
	/* Storage first: sk_destruct releases only sockets that have it (see kk_conns). */
	else if (!bpf_sk_storage_get(&kk_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE)) {
		kk_count(KK_STAT_CONN_TABLE_FULL);
		return KK_REASON_CONN_TABLE_FULL;
	}
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
	if (!reason && !counted && k->max_concurrent && rt->live_conns >= k->max_concurrent)
		reason = KK_REASON_CONCURRENCY;
	if (!reason) {
		if (k->rate_count)
			rt->tokens--;
		if (!counted)
			rt->live_conns++;
	}
	bpf_spin_unlock(&rt->lock);
	if (reason || counted)
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

/* The address part of a network event. */
static __always_inline void kk_ev_inet(struct kk_event *ev, const __u8 addr[16], __u16 port,
				       __u8 family, __u8 protocol)
{
	if (!ev)
		return;
	__builtin_memcpy(ev->addr, addr, 16);
	ev->port = port;
	ev->family = family;
	ev->protocol = protocol;
}

#endif /* KAKUNIN_INET_BPF_H */
