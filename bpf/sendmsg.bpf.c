// SPDX-License-Identifier: GPL-2.0-only
/*
 * sendmsg.bpf.c — what a bound task sends and receives on a socket.
 *
 * Hooks: lsm/socket_sendmsg, lsm/socket_recvmsg.
 *
 * A send is decided on every destination the kernel will use:
 *   - the name (sendto, sendmsg, TCP Fast Open), by what the socket's protocol makes of it
 *     whatever its family field says: an IPv4 socket takes AF_UNSPEC as AF_INET, IPv6 raw takes
 *     family 0 as AF_INET6, IPv6 UDP sends an AF_INET name over IPv4 and takes AF_UNSPEC as no
 *     name at all; a name of any other family on an inet socket is refused. TCP ignores a name
 *     without MSG_FASTOPEN.
 *   - the control messages: IPv4 options (IP_RETOPTS: source routes) and IPv6 routing headers
 *     send to a first hop other than the destination and are refused; SCTP's SCTP_DSTADDRV4/V6
 *     add destinations, decided like the name. More than KK_CMSG_MAX, or a control part still
 *     in user memory, is refused rather than left undecided.
 *   - without a name (or on a TCP stream), the socket's current peer (kk_sock_use_reason):
 *     sockets not connected under this binding — inherited, passed in, installed into an
 *     io_uring — are decided on their peer, their kind too.
 * A receive is decided on the socket's peer the same way; what arrives on an unconnected socket
 * of the binding was filtered by socket_sock_rcv_skb. A revoked or blocked identity may neither
 * send nor receive.
 */
#include "sock.bpf.h"

#define MSG_CMSG_COMPAT 0x80000000
#define IP_RETOPTS	7
#define IP_PKTINFO	8
#define IPV6_2292RTHDR	5
#define IPV6_RTHDR	57
#define SCTP_DSTADDRV4	7
#define SCTP_DSTADDRV6	8
#define KK_CMSG_MAX	8 /* control messages looked at; a send with more is refused */

/*
 * sendmmsg(2) asks the LSM only for the first of its messages to one destination: the next ones
 * with the same name are sent undecided, control messages included. The syscall numbers:
 * x86-64, i386 (compat), x32 (with __X32_SYSCALL_BIT).
 */
#define KK_NR_SENDMMSG	    307
#define KK_NR_SENDMMSG_IA32 345
#define KK_NR_SENDMMSG_X32  538
#define KK_X32_SYSCALL_BIT  0x40000000

/* Is this send one message of a sendmmsg(2) call with more than one? */
static __always_inline bool kk_sendmmsg_batch(void)
{
#ifdef __TARGET_ARCH_x86
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	unsigned long nr;

	if (!regs)
		return true; /* unknown: as if it were */
	nr = BPF_CORE_READ(regs, orig_ax) & ~(unsigned long)KK_X32_SYSCALL_BIT;
	if (nr != KK_NR_SENDMMSG && nr != KK_NR_SENDMMSG_IA32 && nr != KK_NR_SENDMMSG_X32)
		return false;
	return (unsigned int)BPF_CORE_READ(regs, dx) > 1; /* vlen, the third argument */
#else
#error "kk_sendmmsg_batch: the syscall numbers of sendmmsg for this architecture"
#endif
}

/* What the control messages of a send ask for. */
struct kk_cmsgs {
	__u32 spec_dst; /* IP_PKTINFO's source address: where IPv4 sends 0.0.0.0 */
	__u16 port;	/* the name's port, for SCTP_DSTADDRV4/V6 */
	__u16 pad;
};

/* One control message at off: its length, or 0 to stop (done, malformed or refused: *reason). */
static __always_inline __u64 kk_cmsg_one(struct kk_ctx *c, struct sock *sk, unsigned long base,
					 __u64 off, __u64 len, struct kk_cmsgs *m, __u32 *reason)
{
	struct cmsghdr h;
	__u8 addr[16];
	bool exempt;

	if (bpf_probe_read_kernel(&h, sizeof(h), (void *)(base + off))) {
		*reason = KK_REASON_SOURCE_ROUTE;
		return 0;
	}
	/* The kernel refuses the whole send for a malformed one (CMSG_OK), before sending. */
	if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off)
		return 0;
	if ((h.cmsg_level == SOL_IP && h.cmsg_type == IP_RETOPTS) ||
	    (h.cmsg_level == SOL_IPV6 &&
	     (h.cmsg_type == IPV6_RTHDR || h.cmsg_type == IPV6_2292RTHDR))) {
		*reason = KK_REASON_SOURCE_ROUTE;
		return 0;
	}
	if (h.cmsg_level == SOL_IP && h.cmsg_type == IP_PKTINFO && h.cmsg_len >= sizeof(h) + 12)
		bpf_probe_read_kernel(&m->spec_dst, 4, (void *)(base + off + sizeof(h) + 4));
	if (h.cmsg_level == IPPROTO_SCTP &&
	    (h.cmsg_type == SCTP_DSTADDRV4 || h.cmsg_type == SCTP_DSTADDRV6)) {
		__u32 a = 0;

		if (h.cmsg_type == SCTP_DSTADDRV4) {
			bpf_probe_read_kernel(&a, 4, (void *)(base + off + sizeof(h)));
			kk_addr_v4(addr, a);
		} else {
			bpf_probe_read_kernel(addr, 16, (void *)(base + off + sizeof(h)));
		}
		*reason = kk_dest_reason(c, sk, addr, m->port, 0, &exempt);
		if (*reason) {
			kk_ev_inet(c->s ? &c->s->ev : NULL, addr, m->port,
				   h.cmsg_type == SCTP_DSTADDRV4 ? AF_INET : AF_INET6,
				   IPPROTO_SCTP);
			return 0;
		}
	}
	return (h.cmsg_len + 7) & ~7ULL;
}

/* A walk over the control messages, for the bpf_loop callback. */
struct kk_cmsg_walk {
	struct kk_ctx *c;
	struct sock *sk;
	struct kk_cmsgs *m;
	unsigned long base;
	__u64 off, len;
	__u32 reason;
	__u32 done; /* the walk ended: past the last message, or a decision was made */
};

/*
 * One control message. A callback, not an unrolled loop: verified once instead of KK_CMSG_MAX
 * times, which kept socket_sendmsg's verification (and so every `load`) several times longer.
 */
static long kk_cmsg_step(__u32 i, void *data)
{
	struct kk_cmsg_walk *w = data;
	__u64 step;

	if (w->off + sizeof(struct cmsghdr) > w->len) {
		w->done = 1;
		return 1;
	}
	step = kk_cmsg_one(w->c, w->sk, w->base, w->off, w->len, w->m, &w->reason);
	if (!step) {
		w->done = 1;
		return 1;
	}
	w->off += step;
	return 0;
}

/* The control part of msg (a kernel copy at this hook: ____sys_sendmsg copied it). */
static __always_inline __u32 kk_cmsg_reason(struct kk_ctx *c, struct sock *sk, struct msghdr *msg,
					    struct kk_cmsgs *m)
{
	struct kk_cmsg_walk w = { .c = c, .sk = sk, .m = m };

	w.len = BPF_CORE_READ(msg, msg_controllen);
	if (!w.len)
		return 0;
	/* Still the user's buffer (or the compat layout): not read, refused. */
	if (BPF_CORE_READ_BITFIELD_PROBED(msg, msg_control_is_user) ||
	    (BPF_CORE_READ(msg, msg_flags) & MSG_CMSG_COMPAT))
		return KK_REASON_SOURCE_ROUTE;
	w.base = (unsigned long)BPF_CORE_READ(msg, msg_control);
	bpf_loop(KK_CMSG_MAX, kk_cmsg_step, &w, 0);
	if (w.done)
		return w.reason;
	return w.off + sizeof(struct cmsghdr) > w.len ? 0 : KK_REASON_SOURCE_ROUTE;
}

/*
 * The name of an inet send as the socket's protocol reads it: AF_INET (sockaddr_in),
 * AF_INET6 (sockaddr_in6), 0 when it is not used, or the family to refuse (*refuse).
 */
static __always_inline __u16 kk_name_layout(__u16 sk_family, __u16 type, __u16 protocol,
					    __u16 name_family, bool fastopen, bool *refuse)
{
	*refuse = false;
	if (type == SOCK_STREAM && protocol == IPPROTO_TCP && !fastopen)
		return 0; /* TCP sends to its peer whatever the name says */
	if (name_family == AF_INET || name_family == AF_INET6)
		return name_family;
	if (name_family == AF_UNSPEC) {
		if (sk_family == AF_INET)
			return AF_INET; /* udp_sendmsg, raw_sendmsg, TCP Fast Open's connect */
		/* rawv6_sendmsg: family 0 is AF_INET6; udpv6: no name; TCP: a disconnect. */
		return type == SOCK_RAW ? AF_INET6 : 0;
	}
	*refuse = true;
	return name_family;
}

static __always_inline __u32 kk_inet_send(struct kk_ctx *c, struct socket *sock, struct sock *sk,
					  __u16 sk_family, struct msghdr *msg, struct kk_event *ev)
{
	struct sockaddr *name = BPF_CORE_READ(msg, msg_name);
	bool fastopen = BPF_CORE_READ(msg, msg_flags) & MSG_FASTOPEN, exempt = false, refuse;
	__u16 type = sk->sk_type, protocol = sk->sk_protocol, layout = 0, port = 0;
	struct kk_cmsgs m = {};
	__u8 addr[16];
	__u32 reason;

	if (name && BPF_CORE_READ(msg, msg_namelen) > 0) {
		layout = kk_name_layout(sk_family, type, protocol, BPF_CORE_READ(name, sa_family),
					fastopen, &refuse);
		if (refuse) {
			ev->family = layout;
			return KK_REASON_FAMILY_NOT_ALLOWED;
		}
	}
	if (layout == AF_INET)
		kk_sa_v4(name, addr, &port);
	else if (layout == AF_INET6)
		kk_sa_v6(name, addr, &port);
	if (layout)
		kk_ev_inet(ev, addr, port, layout, protocol);
	m.port = port;
	reason = kk_cmsg_reason(c, sk, msg, &m);
	if (reason || !layout)
		return reason ?: kk_sock_use_reason(c, sock, KK_ACCESS_WRITE);
	/* Not the binding's own socket: its kind is decided as the peer's would be. */
	if (!(kk_sock_flags(bpf_sk_storage_get(&kk_socks, sk, 0, 0), c) & KK_SOCK_OWN)) {
		reason = kk_sock_kind_reason(c, sk_family, type, protocol);
		if (reason)
			return reason;
	}
	if (fastopen && kk_outside_hours(c))
		return KK_REASON_OUTSIDE_HOURS;
	reason = kk_dest_reason(c, sk, addr, port, m.spec_dst, &exempt);
	kk_ev_inet(ev, addr, port, layout, protocol);
	if (!reason && type != SOCK_STREAM && kk_sendmmsg_batch())
		return KK_REASON_SOURCE_ROUTE;
	if (!reason && fastopen && type == SOCK_STREAM && !exempt)
		reason = kk_limits(c, sk);
	if (!reason && type == SOCK_STREAM && protocol == IPPROTO_TCP)
		kk_sock_peer_ok(c, sk, sk_family, addr, port);
	return reason;
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(kk_socket_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct sock *sk = sock->sk;
	struct kk_event *ev;
	struct sockaddr *name;
	struct kk_ctx c;
	__u32 reason;
	__u16 family;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_SENDMSG))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_WRITE);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	if (c.state_reason || !sk)
		return kk_finish(&c, ev, c.state_reason, EACCES);
	family = sk->__sk_common.skc_family;
	if (family == AF_INET || family == AF_INET6)
		return kk_finish(&c, ev, kk_inet_send(&c, sock, sk, family, msg, ev), EACCES);
	name = BPF_CORE_READ(msg, msg_name);
	/* A unix datagram's name is decided in unix_may_send. */
	if (family == AF_UNIX && name)
		return kk_finish(&c, ev, 0, 0);
	reason = kk_sock_use_reason(&c, sock, KK_ACCESS_WRITE);
	if (!reason && family == AF_NETLINK && name && BPF_CORE_READ(msg, msg_namelen) > 0)
		reason = kk_netlink_dest(&c, name);
	return kk_finish(&c, ev, reason, EACCES);
}

SEC("lsm/socket_recvmsg")
int BPF_PROG(kk_socket_recvmsg, struct socket *sock, struct msghdr *msg, int size, int flags,
	     int ret)
{
	struct kk_event *ev;
	struct kk_ctx c;
	__u32 reason;

	if (ret)
		return ret;
	if (!kk_resolve(&c, KK_HOOK_SOCKET_RECVMSG))
		return 0;
	ev = kk_event_start(&c, KK_ACCESS_READ);
	if (!ev)
		return kk_finish(&c, NULL, KK_REASON_BINDING_INVALID, EACCES);
	reason = kk_sock_use_reason(&c, sock, KK_ACCESS_READ);
	return kk_finish(&c, reason ? ev : NULL, reason, EACCES);
}
