// SPDX-License-Identifier: GPL-2.0-only
/* kk-escape network: connect, sendto, sockets, io_uring, the unbound listener, racing threads. */
#include "escape.h"

/* ---- network ---- */

int do_connect(char **argv, int argc)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(argv[2], argv[3], &ss);
	int fd;

	if (!len)
		return -1;
	if (argc > 4)
		len = atoi(argv[4]);
	fd = socket(ss.ss_family, sock_type(argv[1]) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return setup_failed();
	return report(connect(fd, (struct sockaddr *)&ss, len));
}

int unspec_reconnect(char **argv)
{
	struct sockaddr_storage a, b;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t la = parse_sa(argv[2], argv[3], &a), lb = parse_sa(argv[4], argv[5], &b);
	int fd;

	if (!la || !lb)
		return -1;
	fd = socket(a.ss_family, sock_type(argv[1]) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return setup_failed();
	report(connect(fd, (struct sockaddr *)&a, la));
	report(connect(fd, &unspec, sizeof(unspec)));
	return report(connect(fd, (struct sockaddr *)&b, lb));
}

static int udp_socket(const struct sockaddr_storage *ss)
{
	return socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int do_sendto(char **argv, int how)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(argv[1], argv[2], &ss);
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_name = &ss, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1
	};
	int fd;

	if (!len)
		return -1;
	fd = how == 2 ? socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0) : udp_socket(&ss);
	if (fd < 0)
		return setup_failed();
	if (how == 1)
		return report(sendmsg(fd, &msg, 0));
	return report(sendto(fd, "x", 1, how == 2 ? MSG_FASTOPEN : 0, (struct sockaddr *)&ss, len));
}

int do_sendmmsg(char **argv)
{
	struct sockaddr_storage ss[2];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct mmsghdr m[2];
	int fd, i, n;

	memset(m, 0, sizeof(m));
	for (i = 0; i < 2; i++) {
		m[i].msg_hdr.msg_namelen = parse_sa(argv[1 + 2 * i], argv[2 + 2 * i], &ss[i]);
		if (!m[i].msg_hdr.msg_namelen)
			return -1;
		m[i].msg_hdr.msg_name = &ss[i];
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	fd = udp_socket(&ss[0]);
	if (fd < 0)
		return setup_failed();
	n = sendmmsg(fd, m, 2, 0);
	if (n < 0)
		return report(n);
	printf("sent=%d\n", n);
	if (n < 2)
		return report(sendmmsg(fd, m + n, 2 - n, 0));
	return 0;
}

int sendto_connected(char **argv)
{
	struct sockaddr_storage a, b;
	socklen_t la = parse_sa(argv[1], argv[2], &a), lb = parse_sa(argv[3], argv[4], &b);
	int fd;

	if (!la || !lb)
		return -1;
	fd = udp_socket(&a);
	if (fd < 0)
		return setup_failed();
	report(connect(fd, (struct sockaddr *)&a, la));
	return report(sendto(fd, "x", 1, 0, (struct sockaddr *)&b, lb));
}

int do_socket(char **argv)
{
	/* Or a number: any other family (AF_TIPC 30, ...) or type (SOCK_DCCP 6, ...). */
	int family = !strcmp(argv[1], "inet")	   ? AF_INET
		     : !strcmp(argv[1], "inet6")   ? AF_INET6
		     : !strcmp(argv[1], "packet")  ? AF_PACKET
		     : !strcmp(argv[1], "netlink") ? AF_NETLINK
						   : atoi(argv[1]) ?: -1;
	int type = !strcmp(argv[2], "raw")	   ? SOCK_RAW
		   : !strcmp(argv[2], "dgram")	   ? SOCK_DGRAM
		   : !strcmp(argv[2], "stream")	   ? SOCK_STREAM
		   : !strcmp(argv[2], "seqpacket") ? SOCK_SEQPACKET
		   : !strcmp(argv[2], "rdm")	   ? SOCK_RDM
						   : atoi(argv[2]) ?: -1;

	if (family < 0 || type < 0)
		return -1;
	return report(socket(family, type | SOCK_CLOEXEC, atoi(argv[3])));
}

/* PATH, or @NAME for the abstract name NAME, into sun; its length. */
static socklen_t unix_sa(const char *path, struct sockaddr_un *sun)
{
	bool abstract = path[0] == '@';

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path + abstract, sizeof(sun->sun_path) - 1, "%s", path + abstract);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + !abstract;
}

int do_unix(const char *path)
{
	struct sockaddr_un sun;
	socklen_t len = unix_sa(path, &sun);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return setup_failed();
	return report(connect(fd, (struct sockaddr *)&sun, len));
}

/*
 * One io_uring operation (0 openat, 1 connect, 2 sendmsg) forced onto a worker thread, or (3)
 * openat by the SQPOLL thread; reports its completion.
 */
int do_uring(char **argv, int op)
{
	static struct sockaddr_storage ss;
	static struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	static struct msghdr msg;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	bool sqpoll = op == 3;
	socklen_t len = 0;
	int flags, fd = -1, rc;

	if (sqpoll)
		op = 0;
	if (op != 0 && !(len = parse_sa(argv[1], argv[2], &ss)))
		return -1;
	if (op == 0 && parse_flags(argv[2], &flags))
		return -1;
	if (op != 0) {
		fd = socket(ss.ss_family, (op == 1 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return setup_failed();
	}
	rc = io_uring_queue_init(4, &ring, sqpoll ? IORING_SETUP_SQPOLL : 0);
	if (rc < 0) {
		errno = -rc;
		return setup_failed();
	}
	sqe = io_uring_get_sqe(&ring);
	if (op == 0) {
		io_uring_prep_openat(sqe, AT_FDCWD, argv[1], flags, 0644);
	} else if (op == 1) {
		io_uring_prep_connect(sqe, fd, (struct sockaddr *)&ss, len);
	} else {
		msg.msg_name = &ss;
		msg.msg_namelen = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		io_uring_prep_sendmsg(sqe, fd, &msg, 0);
	}
	if (!sqpoll)
		sqe->flags |= IOSQE_ASYNC;
	io_uring_submit(&ring);
	rc = io_uring_wait_cqe(&ring, &cqe);
	if (rc < 0) {
		errno = -rc;
		return setup_failed();
	}
	rc = cqe->res;
	if (rc < 0)
		errno = -rc;
	return report(rc);
}

/* ---- the listener ---- */

#define KK_LISTEN_MAX 64

struct lsock {
	int fd;
	bool stream, accepted, sniff;
	unsigned long datagrams;
	char kind[8], name[128];
};

static FILE *listen_log;

static void log_line(const char *fmt, const char *kind, const char *name, long n)
{
	fprintf(listen_log, fmt, kind, name, n);
	fflush(listen_log);
}

static int listen_one(const char *spec, struct lsock *l)
{
	const char *rest = strchr(spec, ':'), *port;
	struct sockaddr_storage ss;
	struct sockaddr_un sun;
	char addr[64];
	socklen_t len;
	int one = 1;

	if (!rest)
		return -1;
	snprintf(l->kind, sizeof(l->kind), "%.*s", (int)(rest - spec), spec);
	snprintf(l->name, sizeof(l->name), "%s", rest + 1);
	l->sniff = !strcmp(l->kind, "rtsniff");
	l->stream = strcmp(l->kind, "udp") && strcmp(l->kind, "tipc") && !l->sniff;
	if (!strcmp(l->kind, "tipc") || l->sniff) {
		l->fd = l->sniff ? rtsniff_listen(rest + 1) : tipc_listen(rest + 1);
		return l->fd < 0 ? -1 : 0;
	}
	if (!strcmp(l->kind, "unix")) {
		len = unix_sa(rest + 1, &sun);
		if (rest[1] != '@')
			unlink(sun.sun_path);
		l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sun, len))
			return -1;
		return listen(l->fd, 64);
	}
	port = strrchr(rest + 1, ':');
	if (!port || (size_t)(port - rest - 1) >= sizeof(addr))
		return -1;
	snprintf(addr, sizeof(addr), "%.*s", (int)(port - rest - 1), rest + 1);
	len = parse_sa(addr, port + 1, &ss);
	if (!len)
		return -1;
	l->fd = socket(ss.ss_family, (l->stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC,
		       strcmp(l->kind, "sctp") ? 0 : IPPROTO_SCTP);
	if (l->fd < 0)
		return -1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&ss, len))
		return -1;
	return l->stream ? listen(l->fd, 4096) : 0;
}

int do_listen(int argc, char **argv)
{
	static struct lsock ls[KK_LISTEN_MAX];
	struct pollfd pfd[KK_LISTEN_MAX];
	int n = 0, i;
	char buf[65536];

	listen_log = fopen(argv[1], "ae");
	if (!listen_log)
		return setup_failed();
	for (i = 2; i < argc && n < KK_LISTEN_MAX / 2; i++, n++)
		if (listen_one(argv[i], &ls[n])) {
			fprintf(listen_log, "setup-%s %s\n", strerrorname_np(errno), argv[i]);
			return 1;
		}
	log_line("ready%s%s\n", "", "", 0);
	for (;;) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = ls[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, n, -1) < 0)
			continue;
		for (i = 0; i < n; i++) {
			ssize_t r;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (ls[i].stream && !ls[i].accepted) {
				int c = accept4(ls[i].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

				if (c < 0)
					continue;
				log_line("accept %s %s\n", ls[i].kind, ls[i].name, 0);
				if (n < KK_LISTEN_MAX) {
					ls[n] = ls[i];
					ls[n].fd = c;
					ls[n].accepted = true;
					n++;
				} else {
					close(c);
				}
				continue;
			}
			if (ls[i].sniff) {
				const char *k = rtsniff_kind(ls[i].fd, buf, sizeof(buf));

				if (k && ls[i].datagrams++ < 50)
					log_line("data %s %s %ld\n", ls[i].kind, k, 1);
				continue;
			}
			r = recv(ls[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 && !ls[i].stream && ls[i].datagrams++ < 50)
				log_line("data %s %s %ld\n", ls[i].kind, ls[i].name, r);
			if (r == 0 || (r < 0 && errno != EAGAIN && ls[i].accepted)) {
				close(ls[i].fd);
				ls[i--] = ls[--n];
			}
		}
	}
}

/* ---- races ---- */

struct flip {
	char *buf;
	const void *a, *b;
	size_t len;
	atomic_bool stop;
};

static void *flipper(void *arg)
{
	struct flip *f = arg;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		memcpy(f->buf, f->a, f->len);
		memcpy(f->buf, f->b, f->len);
	}
	return NULL;
}

int race_open(const char *allowed, const char *denied, long n)
{
	static char path[256];
	long i, ok = 0, reached = 0, eacces = 0, other = 0;
	struct flip f = { .buf = path, .a = allowed, .b = denied };
	struct stat d, st;
	pthread_t t;

	f.len = strlen(allowed) + 1;
	if (f.len != strlen(denied) + 1 || f.len > sizeof(path) || stat(denied, &d))
		return -1;
	memcpy(path, allowed, f.len);
	pthread_create(&t, NULL, flipper, &f);
	for (i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (!fstat(fd, &st) && st.st_ino == d.st_ino && st.st_dev == d.st_dev)
				reached++;
			else
				ok++;
			close(fd);
		} else if (errno == EACCES) {
			eacces++;
		} else {
			other++;
		}
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	printf("opens=%ld ok=%ld reached=%ld eacces=%ld other=%ld\n", n, ok, reached, eacces,
	       other);
	return 0;
}

int race_connect(const char *addr, const char *pa, const char *pd, long n)
{
	static struct sockaddr_storage sa;
	struct sockaddr_storage a, d, peer;
	long i, ok = 0, reached = 0, eacces = 0, refused = 0, other = 0;
	socklen_t len = parse_sa(addr, pa, &a);
	struct flip f = { .buf = (char *)&sa, .a = &a, .b = &d, .len = len };
	pthread_t t;

	if (!len || !parse_sa(addr, pd, &d))
		return -1;
	memcpy(&sa, &a, len);
	pthread_create(&t, NULL, flipper, &f);
	for (i = 0; i < n; i++) {
		int fd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		socklen_t plen = sizeof(peer);

		if (fd < 0) {
			other++;
			continue;
		}
		if (!connect(fd, (struct sockaddr *)&sa, len)) {
			if (!getpeername(fd, (struct sockaddr *)&peer, &plen) &&
			    ((struct sockaddr_in *)&peer)->sin_port ==
				    ((struct sockaddr_in *)&d)->sin_port)
				reached++;
			else
				ok++;
		} else if (errno == EACCES) {
			eacces++;
		} else if (errno == ECONNREFUSED) {
			refused++;
		} else {
			other++;
		}
		close(fd);
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	printf("connects=%ld ok=%ld reached=%ld eacces=%ld refused=%ld other=%ld\n", n, ok, reached,
	       eacces, refused, other);
	return 0;
}
