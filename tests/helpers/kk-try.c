// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-try — perform one system call the way an agent would and print the outcome as one word:
 * "ok" or the errno name (EACCES, EPERM, ...). Exit 0 when the call succeeded, 1 when it failed,
 * 2 on bad usage. Kernel tests use it to assert the exact errno of a decision.
 *
 *   open PATH [FLAG...]          FLAG: rdonly wronly rdwr creat trunc append excl directory
 *   reopen PATH [opath] FLAG...  open PATH (O_PATH with opath), then /proc/self/fd/N with FLAGs
 *   reopen-unlinked PATH FLAG... open PATH read-only, unlink it, reopen through /proc/self/fd
 *   connect tcp|udp ADDR PORT    sendto ADDR PORT (UDP, unconnected)   fastopen ADDR PORT
 *   unix PATH | unix-dgram PATH | unix-abstract NAME
 *   socket raw|packet|netlink|netlink-route|udp
 *   exec PATH [ARG...]           memfd-exec PATH (copy into a memfd, fexecve)
 *   link OLD NEW | rename OLD NEW | exchange A B | symlink TARGET PATH
 *   unlink PATH | mkdir PATH | rmdir PATH | truncate PATH | chmod PATH | mknod PATH
 *   uring-open PATH [FLAG...] | uring-connect ADDR PORT   (io_uring, liburing)
 *   hold-connect ADDR PORT SECS  connect, print the outcome, keep the socket SECS seconds
 *   fd N                         is descriptor N open (fcntl F_GETFD): ok or EBADF
 *
 * "--pid" first prints the PID on its own line, so a test can match this process's events.
 * "--stop" (after --pid) stops the process before the call, so a test can bind it after the
 * exec (tests/kernel/helpers.bash: bound_try_late) and then continue it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "parse_sa.h"

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static const struct {
	const char *name;
	int flag;
} open_flags[] = {
	{ "rdonly", O_RDONLY }, { "wronly", O_WRONLY }, { "rdwr", O_RDWR },
	{ "creat", O_CREAT },	{ "trunc", O_TRUNC },	{ "append", O_APPEND },
	{ "excl", O_EXCL },	{ "directory", O_DIRECTORY },
};

static int report(long rc)
{
	if (rc >= 0) {
		puts("ok");
		return 0;
	}
	puts(strerrorname_np(errno) ?: "unknown-errno");
	return 1;
}

static int parse_flags(int argc, char **argv, int *flags)
{
	size_t j, n = sizeof(open_flags) / sizeof(open_flags[0]);
	int i;

	*flags = O_RDONLY | O_CLOEXEC;
	for (i = 0; i < argc; i++) {
		for (j = 0; j < n && strcmp(argv[i], open_flags[j].name); j++)
			;
		if (j == n)
			return -1;
		*flags |= open_flags[j].flag;
	}
	return 0;
}

static int try_connect(const char *proto, const char *addr, const char *port, int hold)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(addr, port, &ss);
	int fd, rc;

	if (!len)
		return -1;
	fd = socket(ss.ss_family, !strcmp(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return report(fd);
	rc = report(connect(fd, (struct sockaddr *)&ss, len));
	fflush(stdout);
	if (hold > 0)
		sleep(hold);
	close(fd);
	return rc;
}

static int try_sendto(const char *addr, const char *port, bool fastopen)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(addr, port, &ss);
	int fd;

	if (!len)
		return -1;
	fd = socket(ss.ss_family, fastopen ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		return report(fd);
	return report(sendto(fd, "x", 1, fastopen ? MSG_FASTOPEN : 0, (struct sockaddr *)&ss, len));
}

static int try_unix(const char *path, int type, bool abstract)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + (abstract ? 1 : 0);
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0)
		return report(fd);
	strncpy(sun.sun_path + (abstract ? 1 : 0), path, sizeof(sun.sun_path) - 2);
	if (type == SOCK_DGRAM)
		return report(sendto(fd, "x", 1, 0, (struct sockaddr *)&sun, len));
	return report(connect(fd, (struct sockaddr *)&sun, len));
}

static int try_socket(const char *kind)
{
	if (!strcmp(kind, "raw"))
		return report(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	if (!strcmp(kind, "packet"))
		return report(socket(AF_PACKET, SOCK_RAW, 0));
	if (!strcmp(kind, "netlink")) /* sock_diag: every socket of the host */
		return report(socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG));
	if (!strcmp(kind, "netlink-route")) /* what getaddrinfo(AI_ADDRCONFIG) opens */
		return report(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	if (!strcmp(kind, "udp"))
		return report(socket(AF_INET, SOCK_DGRAM, 0));
	return -1;
}

static int try_reopen(int argc, char **argv, bool unlinked)
{
	bool opath = argc > 1 && !strcmp(argv[1], "opath");
	char proc[64];
	int fd, flags;

	if (argc < 1 || parse_flags(argc - 1 - opath, argv + 1 + opath, &flags))
		return -1;
	fd = open(argv[0], opath ? O_PATH : O_RDONLY);
	if (fd < 0) {
		printf("setup-");
		return report(fd);
	}
	if (unlinked && unlink(argv[0]) != 0) {
		printf("setup-");
		return report(-1);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return report(open(proc, flags));
}

static int try_memfd_exec(const char *path, char **argv)
{
	int src = open(path, O_RDONLY), mfd = memfd_create("kk", MFD_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (src < 0 || mfd < 0) {
		printf("setup-");
		return report(-1);
	}
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, n) != n)
			return report(-1);
	fexecve(mfd, argv, (char *[]){ NULL });
	return report(-1);
}

static int try_uring(int argc, char **argv, bool connecting)
{
	struct sockaddr_storage ss;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int flags = 0, fd = -1, rc;

	if (io_uring_queue_init(4, &ring, 0) < 0) {
		printf("setup-");
		return report(-1);
	}
	sqe = io_uring_get_sqe(&ring);
	if (connecting) {
		socklen_t len = argc >= 2 ? parse_sa(argv[0], argv[1], &ss) : 0;

		fd = len ? socket(ss.ss_family, SOCK_STREAM, 0) : -1;
		if (fd < 0)
			return -1;
		io_uring_prep_connect(sqe, fd, (struct sockaddr *)&ss, len);
	} else {
		if (argc < 1 || parse_flags(argc - 1, argv + 1, &flags))
			return -1;
		io_uring_prep_openat(sqe, AT_FDCWD, argv[0], flags, 0644);
	}
	/* Ask for a worker thread, the path an agent would use to get out from under checks. */
	sqe->flags |= IOSQE_ASYNC;
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe) < 0)
		return report(-1);
	rc = cqe->res;
	if (rc < 0)
		errno = -rc;
	return report(rc);
}

static int dispatch2(int argc, char **argv)
{
	const char *c = argv[0];

	if (!strcmp(c, "link") && argc == 3)
		return report(link(argv[1], argv[2]));
	if (!strcmp(c, "rename") && argc == 3)
		return report(rename(argv[1], argv[2]));
	if (!strcmp(c, "exchange") && argc == 3)
		return report(renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE));
	if (!strcmp(c, "symlink") && argc == 3)
		return report(symlink(argv[1], argv[2]));
	if (!strcmp(c, "unlink") && argc == 2)
		return report(unlink(argv[1]));
	if (!strcmp(c, "mkdir") && argc == 2)
		return report(mkdir(argv[1], 0755));
	if (!strcmp(c, "rmdir") && argc == 2)
		return report(rmdir(argv[1]));
	if (!strcmp(c, "truncate") && argc == 2)
		return report(truncate(argv[1], 0));
	if (!strcmp(c, "chmod") && argc == 2)
		return report(chmod(argv[1], 0600));
	if (!strcmp(c, "mknod") && argc == 2)
		return report(mknod(argv[1], S_IFIFO | 0644, 0));
	if (!strcmp(c, "fd") && argc == 2)
		return report(fcntl(atoi(argv[1]), F_GETFD));
	return -1;
}

static int dispatch(int argc, char **argv)
{
	const char *c = argv[0];
	int flags;

	if (!strcmp(c, "open") && argc >= 2)
		return parse_flags(argc - 2, argv + 2, &flags) ? -1 : report(open(argv[1], flags, 0644));
	if (!strcmp(c, "reopen"))
		return try_reopen(argc - 1, argv + 1, false);
	if (!strcmp(c, "reopen-unlinked"))
		return try_reopen(argc - 1, argv + 1, true);
	if (!strcmp(c, "connect") && argc == 4)
		return try_connect(argv[1], argv[2], argv[3], 0);
	if (!strcmp(c, "hold-connect") && argc == 4)
		return try_connect("tcp", argv[1], argv[2], atoi(argv[3]));
	if (!strcmp(c, "sendto") && argc == 3)
		return try_sendto(argv[1], argv[2], false);
	if (!strcmp(c, "fastopen") && argc == 3)
		return try_sendto(argv[1], argv[2], true);
	if (!strcmp(c, "unix") && argc == 2)
		return try_unix(argv[1], SOCK_STREAM, false);
	if (!strcmp(c, "unix-dgram") && argc == 2)
		return try_unix(argv[1], SOCK_DGRAM, false);
	if (!strcmp(c, "unix-abstract") && argc == 2)
		return try_unix(argv[1], SOCK_STREAM, true);
	if (!strcmp(c, "socket") && argc == 2)
		return try_socket(argv[1]);
	if (!strcmp(c, "exec") && argc >= 2) {
		fflush(stdout);
		execv(argv[1], argv + 1);
		return report(-1);
	}
	if (!strcmp(c, "memfd-exec") && argc >= 2)
		return try_memfd_exec(argv[1], argv + 1);
	if (!strcmp(c, "uring-open"))
		return try_uring(argc - 1, argv + 1, false);
	if (!strcmp(c, "uring-connect"))
		return try_uring(argc - 1, argv + 1, true);
	return dispatch2(argc, argv);
}

int main(int argc, char **argv)
{
	int rc = -1;

	argv++, argc--;
	if (argc > 0 && !strcmp(argv[0], "--pid")) {
		printf("%d\n", getpid());
		fflush(stdout);
		argv++, argc--;
	}
	if (argc > 0 && !strcmp(argv[0], "--stop")) {
		kill(getpid(), SIGSTOP);
		argv++, argc--;
	}
	if (argc > 0)
		rc = dispatch(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "kk-try: bad usage (see the comment at the top of kk-try.c)\n");
		return 2;
	}
	return rc;
}
