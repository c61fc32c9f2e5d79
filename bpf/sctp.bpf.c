// SPDX-License-Identifier: GPL-2.0-only
/*
 * sctp.bpf.c — SCTP's own ways to name addresses, which pass no socket_bind or socket_connect:
 * sctp_bindx(3) and sctp_connectx(3) (setsockopt with many packed addresses), a sendmsg that
 * starts an association, primary address changes, and the peer's address changes (ASCONF).
 * Bound tasks have SCTP sockets only with allowed_socket_types "sctp" (socket_create).
 *
 * Hook: lsm/sctp_bind_connect. Every address of the call is decided — local ones (bindx, the
 * local address the peer is asked to prefer) as a bind against network_rules.listen, remote
 * ones like a connect; a connect-like call spends a rate_limit token once. More than
 * KK_SCTP_ADDRS addresses in one call are refused rather than left undecided.
 */
#include "sock.bpf.h"

#define SCTP_SET_PEER_PRIMARY_ADDR 5
#define SCTP_PRIMARY_ADDR	   6
#define SCTP_SOCKOPT_BINDX_ADD	   100
#define SCTP_SOCKOPT_CONNECTX	   110
#define SCTP_SENDMSG_CONNECT	   126
#define KK_SCTP_ADDRS		   8

/* The decision on one address; its size in *len (0: not an address SCTP takes). */
static __always_inline __u32 kk_sctp_addr(struct kk_ctx *c, struct sock *sk, int optname,
					  unsigned long p, __u8 addr[16], __u16 *port, __u32 *len)
{
	const struct sockaddr *sa = (const struct sockaddr *)p;
	__u16 family = BPF_CORE_READ(sa, sa_family);
	bool exempt;

	*len = 0;
	*port = 0;
	if (family == AF_INET || family == AF_UNSPEC) {
		kk_sa_v4(sa, addr, port);
		*len = sizeof(struct sockaddr_in);
	} else if (family == AF_INET6) {
		kk_sa_v6(sa, addr, port);
		*len = sizeof(struct sockaddr_in6);
	} else {
		return KK_REASON_FAMILY_NOT_ALLOWED;
	}
	if (optname == SCTP_SOCKOPT_BINDX_ADD || optname == SCTP_SET_PEER_PRIMARY_ADDR)
		return *port ? kk_listen_decide(c, addr, *port) : 0;
	return kk_dest_reason(c, sk, addr, *port, 0, &exempt);
}

/* A walk over the packed addresses, for the bpf_loop callback. */
struct kk_sctp_walk {
	struct kk_ctx *c;
	struct sock *sk;
	unsigned long base;
	__u8 addr[16]; /* 8-aligned: its words are written whole */
	__u32 off, addrlen;
	int optname;
	__u32 reason;
	__u16 port;
};

/* One address (a callback: verified once, not KK_SCTP_ADDRS times). */
static long kk_sctp_step(__u32 i, void *data)
{
	struct kk_sctp_walk *w = data;
	__u32 len = 0;

	if (w->off >= w->addrlen)
		return 1;
	w->reason =
		kk_sctp_addr(w->c, w->sk, w->optname, w->base + w->off, w->addr, &w->port, &len);
	if (w->reason || !len)
		return 1;
	w->off += len;
	return 0;
}

/* Every packed address; *addr and *port: the last one looked at, for the event. */
static __always_inline __u32 kk_sctp_addrs(struct kk_ctx *c, struct sock *sk, int optname,
					   struct sockaddr *address, int addrlen, __u8 addr[16],
					   __u16 *port)
{
	struct kk_sctp_walk w = { .c = c,
				  .sk = sk,
				  .base = (unsigned long)address,
				  .addrlen = (__u32)addrlen,
				  .optname = optname };

	bpf_loop(KK_SCTP_ADDRS, kk_sctp_step, &w, 0);
	__builtin_memcpy(addr, w.addr, 16);
	*port = w.port;
	if (w.reason)
		return w.reason;
	return w.off >= w.addrlen ? 0 : KK_REASON_HOST_NOT_ALLOWED;
}

/* The peer changes our addresses (ASCONF), in softirq: decided for the socket's binding. */
static __always_inline int kk_sctp_from_peer(struct sock *sk, int optname, struct sockaddr *address,
					     int addrlen)
{
	struct kk_sock *e = bpf_sk_storage_get(&kk_socks, sk, 0, 0);
	__u8 addr[16] = {};
	struct kk_ctx c;
	__u32 reason;
	__u16 port = 0;

	if (!e || !e->flags || !kk_resolve_sock(&c, e, KK_HOOK_SCTP_BIND_CONNECT))
		return 0;
	reason = c.state_reason ?: kk_sctp_addrs(&c, sk, optname, address, addrlen, addr, &port);
	return kk_finish_sock(&c, reason, KK_ACCESS_WRITE, addr, port,
			      kk_addr_is_v4(addr) ? AF_INET : AF_INET6, IPPROTO_SCTP, true);
}

SEC("lsm/sctp_bind_connect")
int BPF_PROG(kk_sctp_bind_connect, struct sock *sk, int optname, struct sockaddr *address,
	     int addrlen, int ret)
{
	struct kk_event *ev;
	__u8 addr[16] = {};
	bool connecting;
	struct kk_ctx c;
	__u32 reason;
	__u16 port = 0;

	if (ret)
		return ret;
	if (optname == SCTP_PARAM_ADD_IP || optname == SCTP_PARAM_SET_PRIMARY)
		return kk_sctp_from_peer(sk, optname, address, addrlen);
	if (!kk_resolve(&c, KK_HOOK_SCTP_BIND_CONNECT))
		return 0;
	connecting = optname == SCTP_SOCKOPT_CONNECTX || optname == SCTP_SENDMSG_CONNECT;
	ev = kk_event_start(&c, connecting ? KK_ACCESS_WRITE : KK_ACCESS_READ);
	reason = c.state_reason;
	if (!reason && connecting && kk_outside_hours(&c))
		reason = KK_REASON_OUTSIDE_HOURS;
	if (!reason)
		reason = kk_sctp_addrs(&c, sk, optname, address, addrlen, addr, &port);
	kk_ev_inet(ev, addr, port, kk_addr_is_v4(addr) ? AF_INET : AF_INET6, IPPROTO_SCTP);
	if (!reason && connecting)
		reason = kk_limits(&c, sk);
	return kk_finish(&c, ev, reason, EACCES);
}
