// SPDX-License-Identifier: GPL-2.0-only
/* kk-escape files: reopen, links, handles, long paths, fd passing (SCM_RIGHTS, io_uring MSG_RING).
 */
#include "escape.h"

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

int do_reopen(char **argv, bool unlink_first)
{
	int flags, fd;

	if (parse_flags(argv[2], &flags))
		return -1;
	fd = open(argv[1], flags, 0644);
	if (fd < 0 || (unlink_first && unlink(argv[1])))
		return setup_failed();
	return reopen_fd(fd, argv[3]);
}

int gone_reopen(char **argv)
{
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return setup_failed();
	puts("ready");
	fflush(stdout);
	wait_gone(argv[1]);
	return reopen_fd(fd, argv[2]);
}

int fdlink(const char *path, const char *newpath, bool empty)
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

int handle(const char *path)
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

int open_handle(const char *dir, const char *text)
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

int deep(char **argv, bool make)
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

/* A TCP socket connected to "ADDR:PORT" (IPv4), for scm-serve's "tcp:" entries. */
static int tcp_to(const char *spec)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char addr[64];
	const char *colon = strrchr(spec, ':');
	int fd;

	if (!colon || (size_t)(colon - spec) >= sizeof(addr))
		return -1;
	memcpy(addr, spec, colon - spec);
	addr[colon - spec] = 0;
	sin.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

int scm_serve(int argc, char **argv)
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
		int fd = !strncmp(argv[i], "tcp:", 4) ? tcp_to(argv[i] + 4) :
							open(strchr(argv[i], ':') + 1,
							     (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);

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

static bool is_socket(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISSOCK(st.st_mode);
}

int scm_recv(const char *path, int n)
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
		if (fd >= 0 && is_socket(fd)) {
			/* A socket: send on it, then write(2) and sendfile(2) of /dev/null to it. */
			ssize_t snd = send(fd, "x", 1, MSG_NOSIGNAL), wr = write(fd, "y", 1);
			const char *sn = snd >= 0 ? "ok" : strerrorname_np(errno);

			printf("sock send=%s write=%s\n", sn, wr >= 0 ? "ok" : strerrorname_np(errno));
			close(fd);
		} else if (fd >= 0) {
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

int msgring_recv(bool send)
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
	if (send)
		io_uring_prep_send(sqe, 0, "x", 1, 0);
	else
		io_uring_prep_read(sqe, 0, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_submit(&ring);
	rc = io_uring_wait_cqe(&ring, &cqe);
	if (!rc)
		rc = cqe->res;
	printf(send ? "send " : "read ");
	if (rc < 0)
		errno = -rc;
	return report(rc);
}

int msgring_send(int pid, int target_fd, const char *path)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0), target = -1, fd, rc;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_uring ring;

	if (pfd >= 0)
		target = syscall(SYS_pidfd_getfd, pfd, target_fd, 0);
	fd = open_spec(path);
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
