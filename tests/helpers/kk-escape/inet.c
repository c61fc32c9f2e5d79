// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-escape network, the escapes of tests/kernel/escape-net.bats: names of any family, serving
 * and knocking (inbound), SCTP's address calls, TIPC, source routes, sockets made before the
 * bind, reconnecting one socket.
 */
#include "escape.h"

#include <linux/if_ether.h>
#include <linux/sctp.h> /* after sys/socket.h and stdint.h, which it needs */
#include <linux/tipc.h>
#include <net/if.h>
#include <netpacket/packet.h>

#ifndef SOL_SCTP
#define SOL_SCTP 132
#endif
#ifndef SOL_TIPC
#define SOL_TIPC 271
#endif

/* ADDR PORT as a sockaddr with its family field set to FAMILY whatever the layout. */
static socklen_t family_sa(const char *family, const char *addr, const char *port,
			   struct sockaddr_storage *ss)
{
	socklen_t len = parse_sa(addr, port, ss);

	if (len)
		ss->ss_family = atoi(family);
	return len;
}

/* udp4 udp6 raw4 raw6 (raw: IPPROTO_UDP, the UDP header in the payload). */
static int kind_socket(const char *kind, bool *raw)
{
	int family = kind[strlen(kind) - 1] == '6' ? AF_INET6 : AF_INET, fd, off = 6;

	*raw = !strncmp(kind, "raw", 3);
	fd = socket(family, (*raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_CLOEXEC, *raw ? IPPROTO_UDP : 0);
	/* IPv6 UDP needs its checksum: the kernel fills it in at offset 6 of what we send. */
	if (fd >= 0 && *raw && family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
	return fd;
}

int send_family(int argc, char **argv)
{
	struct sockaddr_storage ss, cs;
	socklen_t len = family_sa(argv[2], argv[3], argv[4], &ss), clen = 0;
	unsigned char pkt[9] = { 0x27, 0x0f, 0, 0, 0, 9, 0, 0, 'x' }; /* UDP from port 9999 */
	bool raw;
	int fd;

	if (!len || (argc == 7 && !(clen = parse_sa(argv[5], argv[6], &cs))))
		return -1;
	fd = kind_socket(argv[1], &raw);
	if (fd < 0)
		return setup_failed();
	if (clen)
		report(connect(fd, (struct sockaddr *)&cs, clen));
	pkt[2] = atoi(argv[4]) >> 8;
	pkt[3] = atoi(argv[4]) & 0xff;
	if (raw) /* raw: the name's port is the protocol (0: the socket's) */
		((struct sockaddr_in *)&ss)->sin_port = 0;
	return report(sendto(fd, raw ? pkt : pkt + 8, raw ? sizeof(pkt) : 1, 0,
			     (struct sockaddr *)&ss, len));
}

/* ---- inbound ---- */

/* Wait up to secs for fd to be readable: 1 ready, 0 not. */
static int readable(int fd, int secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, secs * 1000) > 0;
}

static const char *peer_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
				? (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr
				: (const void *)&((struct sockaddr_in *)ss)->sin_addr;

	return inet_ntop(ss->ss_family, a, buf, len) ?: "?";
}

/*
 * serve PROTO ADDR PORT N SECS: bind (PORT "-": no bind), listen, "ready PORT"; then up to N
 * connections or datagrams within SECS: "accept PEER" and "recv <result>" of what the peer sent,
 * or "data PEER".
 */
int serve(char **argv)
{
	bool stream = strcmp(argv[1], "udp") != 0, bind_it = strcmp(argv[3], "-") != 0;
	struct sockaddr_storage ss, peer;
	socklen_t len = parse_sa(argv[2], bind_it ? argv[3] : "0", &ss), plen;
	int fd, n = atoi(argv[4]), secs = atoi(argv[5]), i, one = 1;
	char buf[64], name[INET6_ADDRSTRLEN];

	if (!len)
		return -1;
	fd = socket(ss.ss_family, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return setup_failed();
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* a later test's port */
	if (bind_it) {
		printf("bind ");
		if (report(bind(fd, (struct sockaddr *)&ss, len)))
			return 1;
	}
	if (stream) {
		printf("listen ");
		if (report(listen(fd, 16)))
			return 1;
	}
	plen = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &plen);
	printf("ready %d\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	fflush(stdout);
	for (i = 0; i < n && readable(fd, secs); i++) {
		int c;

		plen = sizeof(peer);
		if (!stream) {
			if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen) < 0)
				return report(-1);
			printf("data %s\n", peer_str(&peer, name, sizeof(name)));
			continue;
		}
		c = accept4(fd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
		if (c < 0)
			return report(-1);
		printf("accept %s\nrecv ", peer_str(&peer, name, sizeof(name)));
		report(readable(c, secs) ? recv(c, buf, sizeof(buf), 0) : -1);
		close(c);
	}
	fflush(stdout);
	return 0;
}

/*
 * knock PROTO SRC ADDR PORT SECS (unbound): from SRC, connect (TCP, "ok" or "timeout" after
 * SECS) and send "x", or send one datagram.
 */
int knock(char **argv)
{
	struct sockaddr_storage src, dst;
	socklen_t slen = parse_sa(argv[2], "0", &src), dlen = parse_sa(argv[3], argv[4], &dst);
	bool stream = strcmp(argv[1], "udp") != 0;
	struct pollfd p = { .events = POLLOUT };
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	if (!slen || !dlen)
		return -1;
	fd = socket(dst.ss_family, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, slen))
		return setup_failed();
	if (!stream)
		return report(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, dlen));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&dst, dlen) && errno != EINPROGRESS)
		return report(-1);
	p.fd = fd;
	if (poll(&p, 1, atoi(argv[5]) * 1000) <= 0) {
		puts("timeout");
		return 1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		errno = err;
		return report(-1);
	}
	send(fd, "x", 1, MSG_NOSIGNAL);
	usleep(500000); /* let the agent read it before the close */
	return report(0);
}

/*
 * pre-listen ADDR PORT: (unbound) a TCP listener, "stopped", SIGSTOP; once continued (bound):
 * accept whatever connected meanwhile.
 */
int pre_listen(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(argv[1], argv[2], &ss);
	int fd, one = 1;

	if (!len)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16))
		return setup_failed();
	puts("stopped");
	fflush(stdout);
	raise(SIGSTOP);
	readable(fd, 5);
	return report(accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK));
}

/* unix-bind PATH: bind a unix socket to PATH, @NAME (abstract) or "" (the automatic name). */
int unix_bind(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return setup_failed();
	if (*path) {
		snprintf(sun.sun_path + (path[0] == '@'), sizeof(sun.sun_path) - 1, "%s",
			 path + (path[0] == '@'));
		len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + (path[0] != '@');
	}
	return report(bind(fd, (struct sockaddr *)&sun, len));
}

/* ---- SCTP ---- */

/* ADDR PORT pairs packed one after the other, as sctp_bindx/sctp_connectx take them. */
static socklen_t pack_addrs(char **argv, int n, char *buf, size_t size)
{
	socklen_t off = 0;
	int i;

	for (i = 0; i + 1 < n; i += 2) {
		struct sockaddr_storage ss;
		socklen_t len = parse_sa(argv[i], argv[i + 1], &ss);

		if (!len || off + len > size)
			return 0;
		memcpy(buf + off, &ss, len);
		off += len;
	}
	return off;
}

/* sctp-connectx ADDR PORT... | sctp-bindx ADDR PORT...: one setsockopt with every address. */
int sctp_addrs(int argc, char **argv, bool connectx)
{
	char buf[512];
	socklen_t len = pack_addrs(argv + 1, argc - 1, buf, sizeof(buf));
	int fd;

	if (!len)
		return -1;
	fd = socket(((struct sockaddr *)buf)->sa_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0)
		return setup_failed();
	return report(setsockopt(
		fd, SOL_SCTP, connectx ? SCTP_SOCKOPT_CONNECTX : SCTP_SOCKOPT_BINDX_ADD, buf, len));
}

/*
 * sctp-sendmsg ADDR PORT [DSTADDR]: a one-to-many socket sends to ADDR:PORT, which starts an
 * association; DSTADDR: an SCTP_DSTADDRV4 control message adds that address to it.
 */
int sctp_send(int argc, char **argv)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_addr))];
		struct cmsghdr align;
	} u;
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(argv[1], argv[2], &ss);
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1
	};
	struct cmsghdr *cm;
	int fd;

	if (!len)
		return -1;
	fd = socket(ss.ss_family, SOCK_SEQPACKET | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0)
		return setup_failed();
	if (argc == 4) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = IPPROTO_SCTP;
		cm->cmsg_type = SCTP_DSTADDRV4;
		cm->cmsg_len = CMSG_LEN(sizeof(struct in_addr));
		if (inet_pton(AF_INET, argv[3], CMSG_DATA(cm)) != 1)
			return -1;
	}
	return report(sendmsg(fd, &msg, 0));
}

/* ---- TIPC ---- */

static void tipc_service(struct sockaddr_tipc *a, const char *type, const char *inst)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_TIPC;
	a->addrtype = TIPC_SERVICE_ADDR;
	a->addr.name.name.type = atoi(type);
	a->addr.name.name.instance = atoi(inst);
}

/* tipc:TYPE:INST for the listener: a reliable-datagram socket bound to that service. */
int tipc_listen(const char *spec)
{
	char type[16], inst[16];
	struct sockaddr_tipc a;
	int fd;

	if (sscanf(spec, "%15[0-9]:%15[0-9]", type, inst) != 2)
		return -1;
	tipc_service(&a, type, inst);
	a.scope = TIPC_NODE_SCOPE;
	fd = socket(AF_TIPC, SOCK_RDM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return fd;
}

/* tipc-send TYPE INST: one datagram to the service (the socket call's errno if it fails). */
int tipc_send(char **argv)
{
	struct sockaddr_tipc a;
	int fd = socket(AF_TIPC, SOCK_RDM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return report(-1);
	tipc_service(&a, argv[1], argv[2]);
	return report(sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)));
}

/* ---- source routes ---- */

/* An IPv6 type 2 routing header (the one the kernel takes from a user) whose hop is HOP. */
static int rthdr2(const char *hop, unsigned char rh[24])
{
	memset(rh, 0, 24);
	rh[1] = 2; /* hdrlen: 2 units of 8 bytes after the first 8 */
	rh[2] = 2; /* type 2 */
	rh[3] = 1; /* segments left */
	return inet_pton(AF_INET6, hop, rh + 8) == 1 ? 0 : -1;
}

/* IPv4 options: a loose source route through HOP, padded to 8 bytes. */
static int lsrr(const char *hop, unsigned char opt[8])
{
	opt[0] = 0x83; /* LSRR */
	opt[1] = 7;
	opt[2] = 4;
	opt[7] = 0; /* end of options */
	return inet_pton(AF_INET, hop, opt + 3) == 1 ? 0 : -1;
}

/* sockopt-rthdr HOP | sockopt-ipopt HOP: the routing header or IP option as a socket option. */
int route_sockopt(const char *how, const char *hop)
{
	bool v6 = !strcmp(how, "sockopt-rthdr");
	unsigned char buf[24];
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || (v6 ? rthdr2(hop, buf) : lsrr(hop, buf)))
		return setup_failed();
	return report(v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, buf, 24)
			 : setsockopt(fd, IPPROTO_IP, IP_OPTIONS, buf, 8));
}

/*
 * cmsg-rthdr ADDR PORT HOP | cmsg-retopts ADDR PORT HOP: one datagram to ADDR:PORT with the
 * routing header (IPV6_RTHDR) or source route (IP_RETOPTS) as a control message.
 * sendmmsg-retopts ADDR PORT HOP: two to ADDR:PORT in one sendmmsg, the second with it.
 */
int route_cmsg(const char *how, char **argv)
{
	union {
		char buf[CMSG_SPACE(24)];
		struct cmsghdr align;
	} u;
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(argv[1], argv[2], &ss);
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	bool v6 = !strcmp(how, "cmsg-rthdr");
	struct mmsghdr m[2];
	struct cmsghdr *cm;
	int fd, n;

	if (!len)
		return -1;
	memset(m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	for (n = 0; n < 2; n++) {
		m[n].msg_hdr.msg_name = &ss;
		m[n].msg_hdr.msg_namelen = len;
		m[n].msg_hdr.msg_iov = &iov;
		m[n].msg_hdr.msg_iovlen = 1;
	}
	m[1].msg_hdr.msg_control = u.buf;
	m[1].msg_hdr.msg_controllen = CMSG_SPACE(v6 ? 24 : 8);
	cm = CMSG_FIRSTHDR(&m[1].msg_hdr);
	cm->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
	cm->cmsg_type = v6 ? IPV6_RTHDR : IP_RETOPTS;
	cm->cmsg_len = CMSG_LEN(v6 ? 24 : 8);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (v6 ? rthdr2(argv[3], CMSG_DATA(cm)) : lsrr(argv[3], CMSG_DATA(cm))))
		return setup_failed();
	if (strcmp(how, "sendmmsg-retopts"))
		return report(sendmsg(fd, &m[1].msg_hdr, 0));
	n = sendmmsg(fd, m, 2, 0);
	if (n < 0)
		return report(n);
	printf("sent=%d\n", n);
	return 0;
}

/*
 * rtsniff:lo for the listener: a packet socket on lo that logs each outgoing IPv4 packet with
 * options ("data rtsniff v4") and IPv6 packet with a routing header ("data rtsniff v6").
 */
int rtsniff_listen(const char *dev)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));

	sll.sll_ifindex = if_nametoindex(dev);
	if (fd < 0 || !sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -1;
	return fd;
}

/* Which source route a packet read from the sniffer carries: "v4", "v6" or NULL. */
const char *rtsniff_kind(int fd, char *buf, size_t size)
{
	struct sockaddr_ll from;
	socklen_t flen = sizeof(from);
	ssize_t r = recvfrom(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);

	if (r < 20 || from.sll_pkttype != PACKET_OUTGOING)
		return NULL;
	if ((buf[0] >> 4) == 4 && (buf[0] & 0xf) > 5)
		return "v4";
	if ((buf[0] >> 4) == 6 && (unsigned char)buf[6] == IPPROTO_ROUTING)
		return "v6";
	return NULL;
}

/* ---- sockets from before the bind ---- */

/* udp:ADDR:PORT tcp:ADDR:PORT (connected), udp (unconnected), netlink:PROTO, unix:PATH. */
static int pre_socket(const char *spec)
{
	char addr[64], port[16];
	struct sockaddr_storage ss;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!strcmp(spec, "udp"))
		return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!strncmp(spec, "netlink:", 8))
		return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, atoi(spec + 8));
	if (!strncmp(spec, "unix:", 5)) {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		return fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -1 : fd;
	}
	if (sscanf(spec + 4, "%63[^:]:%15s", addr, port) != 2 || !(len = parse_sa(addr, port, &ss)))
		return -1;
	fd = socket(ss.ss_family, (spec[0] == 'u' ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	return fd < 0 || connect(fd, (struct sockaddr *)&ss, len) ? -1 : fd;
}

/* A socket for pre_socket's SPEC (udp:, tcp:, unix:, netlink:), else the file SPEC, read-only. */
int open_spec(const char *spec)
{
	if (!strncmp(spec, "udp:", 4) || !strncmp(spec, "tcp:", 4) || !strncmp(spec, "unix:", 5) ||
	    !strncmp(spec, "netlink:", 8))
		return pre_socket(spec);
	return open(spec, O_RDONLY | O_CLOEXEC);
}

/*
 * pre-sockets SPEC...: (unbound) the sockets, "stopped", SIGSTOP; once continued (bound), for
 * each: "send <result of send()>" and "recv <result of a non-blocking recv>". (send, not
 * write: a write also passes file_permission, which decides sockets the same way.)
 */
int pre_sockets(int argc, char **argv)
{
	int fd[16], i;
	char buf[64];

	if (argc - 1 > 16)
		return -1;
	for (i = 1; i < argc; i++) {
		fd[i - 1] = pre_socket(argv[i]);
		if (fd[i - 1] < 0)
			return setup_failed();
	}
	puts("stopped");
	fflush(stdout);
	raise(SIGSTOP);
	for (i = 0; i < argc - 1; i++) {
		printf("send ");
		report(send(fd[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT));
		printf("recv ");
		report(recv(fd[i], buf, sizeof(buf), MSG_DONTWAIT));
	}
	return 0;
}

/* reconnect PROTO ADDR PORT N: one socket connects N times, AF_UNSPEC in between; N lines. */
int reconnect(char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t len = parse_sa(argv[2], argv[3], &ss);
	int fd, i, n = atoi(argv[4]);

	if (!len)
		return -1;
	fd = socket(ss.ss_family, sock_type(argv[1]) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return setup_failed();
	for (i = 0; i < n; i++) {
		report(connect(fd, (struct sockaddr *)&ss, len));
		fflush(stdout);
		connect(fd, &unspec, sizeof(unspec));
	}
	return 0;
}
