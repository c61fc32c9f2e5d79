// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-escape — the escape attempts of tests/kernel/escape.bats that kk-try has no subcommand for,
 * and the unbound stand-ins they need (listeners, an fd-passing server, file handles). Each
 * action performs its attempt the way compromised agent code would and prints one line: "ok"
 * or the errno name (EACCES, EPERM, ...); a failed preparation prints "setup-" and the errno.
 * Several actions run in one process when separated by "+", one line each, so that one bound
 * process makes every attempt of a test:
 *
 *   kk-escape ACTION [ARG...] [+ ACTION [ARG...]]...
 *
 * FLAGS is a comma-separated list of rdonly wronly rdwr creat trunc append excl directory path
 * (O_PATH). PROTO is tcp or udp, ADDR an IPv4 or IPv6 literal.
 *
 * Files
 *   open PATH FLAGS                       reopen PATH FLAGS REFLAGS (again via /proc/self/fd/N)
 *   unlink-reopen PATH FLAGS REFLAGS      open, unlink, reopen through /proc/self/fd
 *   gone-reopen PATH REFLAGS              open read-only, print "ready", wait until someone
 *                                         else removed PATH, reopen through /proc/self/fd
 *   link OLD NEW | rename OLD NEW | exchange A B | symlink TARGET PATH | unlink PATH
 *   truncate PATH
 *   fdlink PATH NEW                       O_PATH fd of PATH, linkat of /proc/self/fd/N to NEW
 *                                         (AT_SYMLINK_FOLLOW)
 *   fdlink-empty PATH NEW                 the same with linkat(fd, "", AT_EMPTY_PATH)
 *   handle PATH                           (unbound) name_to_handle_at: prints TYPE:HEX
 *   open-handle DIR TYPE:HEX              chdir DIR, open_by_handle_at(AT_FDCWD, ...)
 *   deep-mk BASE NAME COUNT FILE          (unbound) BASE/NAME/NAME/.../FILE, COUNT levels, made
 *                                         with relative paths so it may pass PATH_MAX
 *   deep-open BASE NAME COUNT FILE FLAGS  chdir down the same way, open FILE
 *   scm-serve SOCK [r|rw]:PATH...         (unbound) SOCK_SEQPACKET server: prints "listening",
 *                                         accepts one client, sends each file's fd (SCM_RIGHTS)
 *                                         in its own message
 *   scm-recv SOCK N                       connect, receive N messages: "ctrunc" (fd refused,
 *                                         MSG_CTRUNC), "nofd", or "fd read=R write=W"
 *   msgring-recv                          an io_uring with one free fixed-file slot: prints
 *                                         "ring PID FD", waits (10 s) for a file to be installed
 *                                         there ("install" and the result), reads it ("read" and
 *                                         the result)
 *   msgring-send PID FD PATH              (unbound) take ring FD of process PID (pidfd_getfd),
 *                                         install PATH into its slot 0 (IORING_OP_MSG_RING,
 *                                         IORING_MSG_SEND_FD)
 * Namespaces, mounts, cgroups
 *   unshare NS | clone NS                 NS: comma-separated user mount net pid ipc uts cgroup
 *   mount SRC DST [FSTYPE]                a bind mount, or FSTYPE (SRC is then the device)
 *   cgroup-self                           the first line of /proc/self/cgroup
 *   cgroup-procs CGDIR                    write the own PID into CGDIR/cgroup.procs
 *   clone3-cgroup CGDIR                   clone3(CLONE_INTO_CGROUP) into CGDIR
 * Exec (must be the last action)
 *   exec PATH [ARG...]                    memfd-execveat PATH [ARG...] (execveat AT_EMPTY_PATH)
 *   memfd-procexec PATH [ARG...]          a memfd copy executed as /proc/self/fd/N
 *   gone-fdexec PATH [ARG...]             open PATH, print "ready", wait until someone else
 *                                         removed it, execveat(fd, "", AT_EMPTY_PATH)
 * Network
 *   connect PROTO ADDR PORT [LEN]         LEN: pass a truncated sockaddr length
 *   unspec-reconnect PROTO A1 P1 A2 P2    connect, AF_UNSPEC disconnect, connect: three lines
 *   sendto ADDR PORT | sendmsg ADDR PORT  unconnected UDP
 *   sendmmsg A1 P1 A2 P2                  two UDP messages: "sent=N" or the errno; after a
 *                                         partial send, a second line for the rest
 *   sendto-connected A1 P1 A2 P2          UDP connected to A1, sendto A2: two lines
 *   fastopen ADDR PORT                    TCP Fast Open sendto(MSG_FASTOPEN)
 *   socket FAMILY TYPE PROTO              FAMILY inet inet6 packet netlink; TYPE raw dgram stream
 *   unix PATH                             stream connect; @NAME: the abstract socket NAME
 *   uring-open PATH FLAGS | uring-connect ADDR PORT | uring-sendmsg ADDR PORT
 *                                         io_uring on a worker thread (IOSQE_ASYNC)
 *   uring-sqpoll-open PATH FLAGS          io_uring openat run by the SQPOLL kernel thread
 *   listen LOG SPEC...                    (unbound) SPEC tcp:ADDR:PORT udp:ADDR:PORT unix:PATH
 *                                         (unix:@NAME: abstract);
 *                                         logs "ready", each "accept KIND ADDR:PORT" and the
 *                                         first datagrams as "data udp ADDR:PORT N"; runs until
 *                                         killed
 * Races (a second thread rewrites the argument while the first loops on the call)
 *   race-open ALLOWED DENIED N            prints "opens=N ok=A reached=R eacces=E other=O";
 *                                         reached counts opens that got DENIED's inode
 *   race-connect ADDR PORT-OK PORT-DENIED N
 *                                         prints "connects=N ok=A reached=R eacces=E
 *                                         refused=C other=O"; reached: connected to PORT-DENIED
 * Self-protection
 *   kill PID SIG | pidfd-kill PID SIG | ptrace PID | vm-write PID ADDR | procmem PID
 *   sigio-kill PID SIG                    F_SETSIG SIG and F_SETOWN PID on a pipe with O_ASYNC
 *                                         (PID 0: itself; the F_SETOWN's result is printed when
 *                                         it fails), then
 *                                         write to it: the kernel signals the owner
 *   bpf-id prog|map ID                    BPF_{PROG,MAP}_GET_FD_BY_ID
 *   bpf-obj-get PATH                      BPF_OBJ_GET of a pin
 *   bpf-inherit PIN                       (start unbound) BPF_OBJ_GET of the task-storage map
 *                                         PIN, print "stopped" and SIGSTOP; once continued
 *                                         (bound): delete, then update, its own entry (keyed by
 *                                         a pidfd), then open /etc/shadow: three lines
 * Revocation and flooding
 *   hold-loop IN OUT ADDR PORT            hold IN (read), OUT (write), a connected UDP and TCP
 *                                         socket; print "ready"; loop reading, writing, sending
 *                                         and receiving until each has failed 10 times with
 *                                         EACCES, then open IN again. Exit status bits: 1 read,
 *                                         2 write, 4 UDP send, 8 TCP send, 16 UDP receive, 32
 *                                         the new open failed with EACCES; 64 something
 *                                         succeeded after it had failed, or failed otherwise;
 *                                         128 timeout (30 s)
 *   hold-map IN RW                        map IN shared read-only and RW shared read-write, print
 *                                         "ready", watch IN's mapping (10 s) for new content,
 *                                         then write "LEAK" through RW's. Exit status 3: IN's
 *                                         mapping showed new content, else 0
 *   flood THREADS N PATH                  THREADS threads open PATH N times each: "ok=A
 *                                         eacces=E other=O"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

extern char **environ;

/* The clone3 argument, as include/uapi/linux/sched.h has it (version 2, with cgroup). */
struct kk_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

static int errname(int err)
{
	puts(strerrorname_np(err) ?: "unknown-errno");
	return 1;
}

static int report(long rc)
{
	if (rc >= 0) {
		puts("ok");
		return 0;
	}
	return errname(errno);
}

static int setup_failed(void)
{
	printf("setup-");
	return errname(errno);
}

static int parse_flags(const char *s, int *flags)
{
	static const struct {
		const char *name;
		int flag;
	} names[] = {
		{ "rdonly", O_RDONLY }, { "wronly", O_WRONLY },	      { "rdwr", O_RDWR },
		{ "creat", O_CREAT },	{ "trunc", O_TRUNC },	      { "append", O_APPEND },
		{ "excl", O_EXCL },	{ "directory", O_DIRECTORY }, { "path", O_PATH },
	};
	char buf[256], *tok, *save;
	size_t j;

	*flags = O_CLOEXEC;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (j = 0; j < sizeof(names) / sizeof(names[0]) && strcmp(tok, names[j].name); j++)
			;
		if (j == sizeof(names) / sizeof(names[0]))
			return -1;
		*flags |= names[j].flag;
	}
	return 0;
}

/* ADDR PORT into a sockaddr (IPv4 or IPv6 literal); its length, 0 when not an address. */
static socklen_t parse_sa(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(atoi(port));
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(atoi(port));
		return sizeof(*in6);
	}
	return 0;
}

static int sock_type(const char *proto)
{
	return !strcmp(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM;
}

/* Wait (at most 30 s) until PATH no longer exists: someone else removed it. */
static void wait_gone(const char *path)
{
	struct stat st;
	int i;

	for (i = 0; i < 3000 && stat(path, &st) == 0; i++)
		usleep(10000);
}

/* ---- files ---- */

static int reopen_fd(int fd, const char *reflags)
{
	char proc[64];
	int flags;

	if (parse_flags(reflags, &flags))
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return report(open(proc, flags));
}

static int do_reopen(char **argv, bool unlink_first)
{
	int flags, fd;

	if (parse_flags(argv[2], &flags))
		return -1;
	fd = open(argv[1], flags, 0644);
	if (fd < 0 || (unlink_first && unlink(argv[1])))
		return setup_failed();
	return reopen_fd(fd, argv[3]);
}

static int gone_reopen(char **argv)
{
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return setup_failed();
	puts("ready");
	fflush(stdout);
	wait_gone(argv[1]);
	return reopen_fd(fd, argv[2]);
}

static int fdlink(const char *path, const char *newpath, bool empty)
{
	char proc[64];
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return setup_failed();
	if (empty)
		return report(linkat(fd, "", AT_FDCWD, newpath, AT_EMPTY_PATH));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return report(linkat(AT_FDCWD, proc, AT_FDCWD, newpath, AT_SYMLINK_FOLLOW));
}

static int handle(const char *path)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
	unsigned int i;
	int mount_id;

	if (!fh)
		return setup_failed();
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0))
		return setup_failed();
	printf("%d:", fh->handle_type);
	for (i = 0; i < fh->handle_bytes; i++)
		printf("%02x", fh->f_handle[i]);
	putchar('\n');
	return 0;
}

static int open_handle(const char *dir, const char *text)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
	const char *hex = strchr(text, ':');
	unsigned int i, n;

	if (!fh || !hex || strlen(hex + 1) % 2 || strlen(hex + 1) / 2 > MAX_HANDLE_SZ)
		return -1;
	fh->handle_type = atoi(text);
	n = strlen(hex + 1) / 2;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(hex + 1 + 2 * i, "%2x", &b) != 1)
			return -1;
		fh->f_handle[i] = b;
	}
	fh->handle_bytes = n;
	if (chdir(dir))
		return setup_failed();
	return report(open_by_handle_at(AT_FDCWD, fh, O_RDONLY | O_CLOEXEC));
}

static int deep(char **argv, bool make)
{
	int count = atoi(argv[3]), i, flags, fd;

	if (chdir(argv[1]))
		return setup_failed();
	for (i = 0; i < count; i++) {
		if (make && mkdir(argv[2], 0755) && errno != EEXIST)
			return setup_failed();
		if (chdir(argv[2]))
			return setup_failed();
	}
	if (!make) {
		if (parse_flags(argv[5], &flags))
			return -1;
		return report(open(argv[4], flags, 0644));
	}
	fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "x\n", 2) != 2)
		return setup_failed();
	close(fd);
	return report(0);
}

static int scm_serve(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s, c, i;
	char b;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sun, sizeof(sun)) || listen(s, 4))
		return setup_failed();
	puts("listening");
	fflush(stdout);
	c = accept(s, NULL, NULL);
	if (c < 0)
		return setup_failed();
	for (i = 2; i < argc; i++) {
		char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { .iov_base = "x", .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = ctl,
				      .msg_controllen = sizeof(ctl) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		bool rw = !strncmp(argv[i], "rw:", 3);
		int fd = open(strchr(argv[i], ':') + 1, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);

		if (fd < 0)
			return setup_failed();
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(c, &msg, 0) != 1)
			return setup_failed();
		close(fd);
	}
	/* Until the client has read everything and closed. */
	while (recv(c, &b, 1, 0) > 0)
		;
	return report(0);
}

static int scm_recv(const char *path, int n)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), i;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)))
		return setup_failed();
	for (i = 0; i < n; i++) {
		char ctl[CMSG_SPACE(sizeof(int))] = { 0 }, b;
		struct iovec iov = { .iov_base = &b, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = ctl,
				      .msg_controllen = sizeof(ctl) };
		struct cmsghdr *cm;
		int fd = -1;

		if (recvmsg(s, &msg, MSG_CMSG_CLOEXEC) < 0) {
			errname(errno);
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		if (fd >= 0) {
			char c;
			ssize_t r = pread(fd, &c, 1, 0), w;
			const char *rn = r >= 0 ? "ok" : strerrorname_np(errno);

			w = write(fd, "", 0);
			printf("fd read=%s write=%s\n", rn, w >= 0 ? "ok" : strerrorname_np(errno));
			close(fd);
		} else {
			puts(msg.msg_flags & MSG_CTRUNC ? "ctrunc" : "nofd");
		}
	}
	return 0;
}

static int msgring_recv(void)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	char buf[64];
	int rc;

	rc = io_uring_queue_init(4, &ring, 0);
	if (!rc)
		rc = io_uring_register_files_sparse(&ring, 1);
	if (rc) {
		errno = -rc;
		return setup_failed();
	}
	printf("ring %d %d\n", getpid(), ring.ring_fd);
	fflush(stdout);
	rc = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
	if (!rc) {
		rc = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	printf("install ");
	if (rc < 0)
		errno = -rc;
	report(rc);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, 0, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_submit(&ring);
	rc = io_uring_wait_cqe(&ring, &cqe);
	if (!rc)
		rc = cqe->res;
	printf("read ");
	if (rc < 0)
		errno = -rc;
	return report(rc);
}

static int msgring_send(int pid, int target_fd, const char *path)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0), target = -1, fd, rc;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;

	if (pfd >= 0)
		target = syscall(SYS_pidfd_getfd, pfd, target_fd, 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0 || fd < 0)
		return setup_failed();
	rc = io_uring_queue_init(4, &ring, 0);
	if (!rc)
		rc = io_uring_register_files(&ring, &fd, 1);
	if (rc) {
		errno = -rc;
		return setup_failed();
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_rw(IORING_OP_MSG_RING, sqe, target, NULL, 0, 0);
	sqe->addr = IORING_MSG_SEND_FD;
	sqe->addr3 = 0;	     /* our fixed file 0 */
	sqe->file_index = 1; /* into its slot 0 */
	io_uring_submit(&ring);
	rc = io_uring_wait_cqe(&ring, &cqe);
	if (!rc)
		rc = cqe->res;
	if (rc < 0)
		errno = -rc;
	return report(rc);
}

/* ---- namespaces, mounts, cgroups ---- */

static int parse_ns(const char *s, unsigned long *flags)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} names[] = {
		{ "user", CLONE_NEWUSER },     { "mount", CLONE_NEWNS }, { "net", CLONE_NEWNET },
		{ "pid", CLONE_NEWPID },       { "ipc", CLONE_NEWIPC },	 { "uts", CLONE_NEWUTS },
		{ "cgroup", CLONE_NEWCGROUP },
	};
	char buf[128], *tok, *save;
	size_t j;

	*flags = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (j = 0; j < sizeof(names) / sizeof(names[0]) && strcmp(tok, names[j].name); j++)
			;
		if (j == sizeof(names) / sizeof(names[0]))
			return -1;
		*flags |= names[j].flag;
	}
	return 0;
}

/* A child made with raw flags: it exits at once; the parent reaps it. */
static int reap(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return report(pid);
}

static int do_clone(const char *ns)
{
	unsigned long flags;

	if (parse_ns(ns, &flags))
		return -1;
	return reap(syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0));
}

static int clone3_cgroup(const char *dir)
{
	struct kk_clone_args a = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return setup_failed();
	a.cgroup = fd;
	return reap(syscall(SYS_clone3, &a, sizeof(a)));
}

static int cgroup_self(void)
{
	char line[512] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f || !fgets(line, sizeof(line), f))
		return setup_failed();
	fclose(f);
	fputs(line, stdout);
	return 0;
}

static int cgroup_procs(const char *dir)
{
	char path[4096], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	n = snprintf(pid, sizeof(pid), "%d\n", getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return report(fd);
	return report(write(fd, pid, n));
}

/* ---- exec ---- */

static int memfd_copy(const char *path)
{
	int src = open(path, O_RDONLY | O_CLOEXEC), mfd = memfd_create("kk", 0);
	char buf[65536];
	ssize_t n;

	if (src < 0 || mfd < 0)
		return -1;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, n) != n)
			return -1;
	close(src);
	return n < 0 ? -1 : mfd;
}

static int exec_fd(int fd, char **argv)
{
	fflush(stdout);
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return report(-1);
}

static int memfd_exec(char **argv, bool via_proc)
{
	char proc[64];
	int mfd = memfd_copy(argv[1]);

	if (mfd < 0)
		return setup_failed();
	if (!via_proc)
		return exec_fd(mfd, argv + 1);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", mfd);
	fflush(stdout);
	execve(proc, argv + 1, environ);
	return report(-1);
}

static int gone_fdexec(char **argv)
{
	int fd = open(argv[1], O_RDONLY);

	if (fd < 0)
		return setup_failed();
	puts("ready");
	fflush(stdout);
	wait_gone(argv[1]);
	return exec_fd(fd, argv + 1);
}

/* ---- network ---- */

static int do_connect(char **argv, int argc)
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

static int unspec_reconnect(char **argv)
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

static int do_sendto(char **argv, int how)
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

static int do_sendmmsg(char **argv)
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

static int sendto_connected(char **argv)
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

static int do_socket(char **argv)
{
	int family = !strcmp(argv[1], "inet")	   ? AF_INET
		     : !strcmp(argv[1], "inet6")   ? AF_INET6
		     : !strcmp(argv[1], "packet")  ? AF_PACKET
		     : !strcmp(argv[1], "netlink") ? AF_NETLINK
						   : -1;
	int type = !strcmp(argv[2], "raw")	? SOCK_RAW
		   : !strcmp(argv[2], "dgram")	? SOCK_DGRAM
		   : !strcmp(argv[2], "stream") ? SOCK_STREAM
						: -1;

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

static int do_unix(const char *path)
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
static int do_uring(char **argv, int op)
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
	bool stream, accepted;
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
	l->stream = strcmp(l->kind, "udp") != 0;
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
	l->fd = socket(ss.ss_family, (l->stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&ss, len))
		return -1;
	return l->stream ? listen(l->fd, 4096) : 0;
}

static int do_listen(int argc, char **argv)
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

static int race_open(const char *allowed, const char *denied, long n)
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

static int race_connect(const char *addr, const char *pa, const char *pd, long n)
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

/* ---- self-protection ---- */

static int pidfd_kill(int pid, int sig)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0);

	if (pfd < 0)
		return setup_failed();
	return report(syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0));
}

static int sigio_kill(int pid, int sig)
{
	int p[2];

	if (!pid)
		pid = getpid();
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) || fcntl(p[0], F_SETSIG, sig) ||
	    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK))
		return setup_failed();
	if (fcntl(p[0], F_SETOWN, pid))
		return report(-1);
	return report(write(p[1], "x", 1));
}

static int do_ptrace(int pid)
{
	long rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);

	if (rc == 0) {
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	return report(rc);
}

static int vm_write(int pid, const char *addr)
{
	char b = 0;
	struct iovec local = { .iov_base = &b, .iov_len = 1 };
	struct iovec remote = { .iov_base = (void *)strtoul(addr, NULL, 0), .iov_len = 1 };

	return report(process_vm_writev(pid, &local, 1, &remote, 1, 0));
}

static int procmem(const char *pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	return report(open(path, O_RDWR | O_CLOEXEC));
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int bpf_id(const char *kind, const char *id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	if (!strcmp(kind, "prog")) {
		attr.prog_id = atoi(id);
		return report(sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr));
	}
	if (!strcmp(kind, "map")) {
		attr.map_id = atoi(id);
		return report(sys_bpf(BPF_MAP_GET_FD_BY_ID, &attr));
	}
	return -1;
}

static int bpf_obj_get(const char *path)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)path;
	return report(sys_bpf(BPF_OBJ_GET, &attr));
}

static int bpf_inherit(const char *pin)
{
	struct {
		uint32_t binding, gen;
	} val = { 0, 0 };
	union bpf_attr attr;
	int map, pidfd;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)pin;
	map = sys_bpf(BPF_OBJ_GET, &attr);
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (map < 0 || pidfd < 0)
		return setup_failed();
	puts("stopped");
	fflush(stdout);
	raise(SIGSTOP);
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uint64_t)(uintptr_t)&pidfd;
	report(sys_bpf(BPF_MAP_DELETE_ELEM, &attr));
	attr.value = (uint64_t)(uintptr_t)&val;
	attr.flags = BPF_ANY;
	report(sys_bpf(BPF_MAP_UPDATE_ELEM, &attr));
	return report(open("/etc/shadow", O_RDONLY | O_CLOEXEC));
}

/* ---- revocation and flooding ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int hold_loop(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_sa(argv[3], argv[4], &ss);
	int in = open(argv[1], O_RDONLY | O_CLOEXEC);
	int out = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	int udp = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int tcp = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned int failed[5] = { 0 }, bits = 0, op;
	double deadline = now_s() + 30;
	char c;

	if (!len || in < 0 || out < 0 || udp < 0 || tcp < 0 ||
	    connect(udp, (struct sockaddr *)&ss, len) || connect(tcp, (struct sockaddr *)&ss, len))
		return setup_failed();
	puts("ready");
	fflush(stdout);
	/* Every operation goes on until it has failed 10 times: a success after a failure is a
	 * leak in the revocation. (Few enough events for the test's small ring.) */
	for (;;) {
		bool all = true;

		for (op = 0; op < 5; op++) {
			long rc;

			if (failed[op] >= 10)
				continue;
			all = false;
			switch (op) {
			case 0:
				rc = pread(in, &c, 1, 0);
				break;
			case 1:
				rc = pwrite(out, "x", 1, 0);
				break;
			case 2:
				rc = send(udp, "x", 1, MSG_DONTWAIT);
				break;
			case 3:
				rc = send(tcp, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
				break;
			default:
				rc = recv(udp, &c, 1, MSG_DONTWAIT);
				break;
			}
			if (rc < 0 && errno == EACCES)
				failed[op]++;
			else if (rc < 0 && errno != EAGAIN)
				bits |= 64;
			else if (failed[op])
				bits |= 64;
		}
		if (all)
			break;
		if (now_s() > deadline) {
			bits |= 128;
			break;
		}
	}
	for (op = 0; op < 5; op++)
		if (failed[op])
			bits |= 1u << op;
	if (open(argv[1], O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES)
		bits |= 32;
	_exit(bits);
}

static int hold_map(const char *in, const char *rw)
{
	int fi = open(in, O_RDONLY | O_CLOEXEC), fw = open(rw, O_RDWR | O_CLOEXEC), i;
	char *mi = MAP_FAILED, *mw = MAP_FAILED, first[16];

	if (fi >= 0)
		mi = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fi, 0);
	if (fw >= 0)
		mw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0);
	if (mi == MAP_FAILED || mw == MAP_FAILED)
		return setup_failed();
	memcpy(first, mi, sizeof(first));
	puts("ready");
	fflush(stdout);
	for (i = 0; i < 1000 && !memcmp(first, mi, sizeof(first)); i++)
		usleep(10000);
	memcpy(mw, "LEAK", 4);
	msync(mw, 4096, MS_SYNC);
	_exit(memcmp(first, mi, sizeof(first)) ? 3 : 0);
}

struct flood {
	const char *path;
	long n;
	atomic_long ok, eacces, other;
};

static void *flood_thread(void *arg)
{
	struct flood *f = arg;
	long i;

	for (i = 0; i < f->n; i++) {
		int fd = open(f->path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			atomic_fetch_add(&f->ok, 1);
			close(fd);
		} else if (errno == EACCES) {
			atomic_fetch_add(&f->eacces, 1);
		} else {
			atomic_fetch_add(&f->other, 1);
		}
	}
	return NULL;
}

static int flood(int threads, long n, const char *path)
{
	struct flood f = { .path = path, .n = n };
	pthread_t t[256];
	int i;

	if (threads < 1 || threads > 256)
		return -1;
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, flood_thread, &f))
			return setup_failed();
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("ok=%ld eacces=%ld other=%ld\n", atomic_load(&f.ok), atomic_load(&f.eacces),
	       atomic_load(&f.other));
	return 0;
}

/* ---- dispatch ---- */

static int files(int argc, char **argv)
{
	const char *c = argv[0];
	int flags;

	if (!strcmp(c, "open") && argc == 3)
		return parse_flags(argv[2], &flags) ? -1 : report(open(argv[1], flags, 0644));
	if (!strcmp(c, "reopen") && argc == 4)
		return do_reopen(argv, false);
	if (!strcmp(c, "unlink-reopen") && argc == 4)
		return do_reopen(argv, true);
	if (!strcmp(c, "gone-reopen") && argc == 3)
		return gone_reopen(argv);
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
	if (!strcmp(c, "truncate") && argc == 2)
		return report(truncate(argv[1], 0));
	if (!strcmp(c, "fdlink") && argc == 3)
		return fdlink(argv[1], argv[2], false);
	if (!strcmp(c, "fdlink-empty") && argc == 3)
		return fdlink(argv[1], argv[2], true);
	if (!strcmp(c, "handle") && argc == 2)
		return handle(argv[1]);
	if (!strcmp(c, "open-handle") && argc == 3)
		return open_handle(argv[1], argv[2]);
	if (!strcmp(c, "deep-mk") && argc == 5)
		return deep(argv, true);
	if (!strcmp(c, "deep-open") && argc == 6)
		return deep(argv, false);
	if (!strcmp(c, "scm-serve") && argc >= 3)
		return scm_serve(argc, argv);
	if (!strcmp(c, "scm-recv") && argc == 3)
		return scm_recv(argv[1], atoi(argv[2]));
	if (!strcmp(c, "msgring-recv") && argc == 1)
		return msgring_recv();
	if (!strcmp(c, "msgring-send") && argc == 4)
		return msgring_send(atoi(argv[1]), atoi(argv[2]), argv[3]);
	return -2;
}

static int system_calls(int argc, char **argv)
{
	const char *c = argv[0];
	unsigned long ns;

	if (!strcmp(c, "unshare") && argc == 2)
		return parse_ns(argv[1], &ns) ? -1 : report(unshare(ns));
	if (!strcmp(c, "clone") && argc == 2)
		return do_clone(argv[1]);
	if (!strcmp(c, "mount") && (argc == 3 || argc == 4))
		return report(mount(argv[1], argv[2], argc == 4 ? argv[3] : NULL,
				    argc == 4 ? 0 : MS_BIND, NULL));
	if (!strcmp(c, "cgroup-self") && argc == 1)
		return cgroup_self();
	if (!strcmp(c, "cgroup-procs") && argc == 2)
		return cgroup_procs(argv[1]);
	if (!strcmp(c, "clone3-cgroup") && argc == 2)
		return clone3_cgroup(argv[1]);
	if (!strcmp(c, "exec") && argc >= 2) {
		fflush(stdout);
		execv(argv[1], argv + 1);
		return report(-1);
	}
	if (!strcmp(c, "memfd-execveat") && argc >= 2)
		return memfd_exec(argv, false);
	if (!strcmp(c, "memfd-procexec") && argc >= 2)
		return memfd_exec(argv, true);
	if (!strcmp(c, "gone-fdexec") && argc >= 2)
		return gone_fdexec(argv);
	if (!strcmp(c, "kill") && argc == 3)
		return report(kill(atoi(argv[1]), atoi(argv[2])));
	if (!strcmp(c, "pidfd-kill") && argc == 3)
		return pidfd_kill(atoi(argv[1]), atoi(argv[2]));
	if (!strcmp(c, "sigio-kill") && argc == 3)
		return sigio_kill(atoi(argv[1]), atoi(argv[2]));
	if (!strcmp(c, "ptrace") && argc == 2)
		return do_ptrace(atoi(argv[1]));
	if (!strcmp(c, "vm-write") && argc == 3)
		return vm_write(atoi(argv[1]), argv[2]);
	if (!strcmp(c, "procmem") && argc == 2)
		return procmem(argv[1]);
	if (!strcmp(c, "bpf-id") && argc == 3)
		return bpf_id(argv[1], argv[2]);
	if (!strcmp(c, "bpf-obj-get") && argc == 2)
		return bpf_obj_get(argv[1]);
	if (!strcmp(c, "bpf-inherit") && argc == 2)
		return bpf_inherit(argv[1]);
	if (!strcmp(c, "hold-loop") && argc == 5)
		return hold_loop(argv);
	if (!strcmp(c, "hold-map") && argc == 3)
		return hold_map(argv[1], argv[2]);
	if (!strcmp(c, "flood") && argc == 4)
		return flood(atoi(argv[1]), atol(argv[2]), argv[3]);
	return -2;
}

static int network(int argc, char **argv)
{
	const char *c = argv[0];

	if (!strcmp(c, "connect") && (argc == 4 || argc == 5))
		return do_connect(argv, argc);
	if (!strcmp(c, "unspec-reconnect") && argc == 6)
		return unspec_reconnect(argv);
	if (!strcmp(c, "sendto") && argc == 3)
		return do_sendto(argv, 0);
	if (!strcmp(c, "sendmsg") && argc == 3)
		return do_sendto(argv, 1);
	if (!strcmp(c, "fastopen") && argc == 3)
		return do_sendto(argv, 2);
	if (!strcmp(c, "sendmmsg") && argc == 5)
		return do_sendmmsg(argv);
	if (!strcmp(c, "sendto-connected") && argc == 5)
		return sendto_connected(argv);
	if (!strcmp(c, "socket") && argc == 4)
		return do_socket(argv);
	if (!strcmp(c, "unix") && argc == 2)
		return do_unix(argv[1]);
	if (!strcmp(c, "uring-open") && argc == 3)
		return do_uring(argv, 0);
	if (!strcmp(c, "uring-connect") && argc == 3)
		return do_uring(argv, 1);
	if (!strcmp(c, "uring-sendmsg") && argc == 3)
		return do_uring(argv, 2);
	if (!strcmp(c, "uring-sqpoll-open") && argc == 3)
		return do_uring(argv, 3);
	if (!strcmp(c, "listen") && argc >= 3)
		return do_listen(argc, argv);
	if (!strcmp(c, "race-open") && argc == 4)
		return race_open(argv[1], argv[2], atol(argv[3]));
	if (!strcmp(c, "race-connect") && argc == 5)
		return race_connect(argv[1], argv[2], argv[3], atol(argv[4]));
	return -2;
}

static int dispatch(int argc, char **argv)
{
	int rc = files(argc, argv);

	if (rc == -2)
		rc = system_calls(argc, argv);
	if (rc == -2)
		rc = network(argc, argv);
	return rc;
}

int main(int argc, char **argv)
{
	int start = 1, i, rc = 0;

	if (argc < 2)
		goto usage;
	/* Actions separated by "+": each gets its own NULL-terminated argv. */
	for (i = 1; i <= argc; i++) {
		int r;

		if (i < argc && strcmp(argv[i], "+"))
			continue;
		argv[i] = NULL;
		if (i == start)
			goto usage;
		r = dispatch(i - start, argv + start);
		fflush(stdout);
		if (r < 0)
			goto usage;
		rc |= r;
		start = i + 1;
	}
	return rc;
usage:
	fprintf(stderr, "kk-escape: bad usage (see the comment at the top of kk-escape.c)\n");
	return 2;
}
