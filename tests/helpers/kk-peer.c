// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-peer — caller attestation from both ends of a unix socket, for tests/kernel/attest.bats.
 *
 *   serve [--seqpacket] [--abstract] PATH N [GOFILE...]
 *       listen on PATH (abstract: the name PATH in the abstract namespace), print "listening",
 *       accept N connections. Without GOFILE each is asked right after its accept; with
 *       GOFILEs, after all N are accepted, each GOFILE in turn is waited for (until it exists)
 *       and then every connection is asked again, in accept order. Each answer is one JSON line:
 *       {"result":"ok","binding":S,"gen":G,"tgid":T,"agent":"...","serial":"..."}, or
 *       {"result":"ENOENT"} / {"result":"ESTALE"} / another errno name, from kk_maps_peer and
 *       kk_maps_binding_get (user/maps.h) — what the signer does.
 *   connect [--seqpacket] [--abstract] [--hold [--again]] [--fork] PATH
 *       connect to PATH and print "ok" or the errno name (exit 0 or 1); --hold keeps the socket
 *       until the process is killed, or with --again until SIGUSR1, then connects once more
 *       and exits with that connect's errno (0: connected; 100: no second socket) — its exit status, as a revoked
 *       agent may no longer write its output. --fork: a child connects, prints, closes and exits; then
 *       this process prints the child's PID (and with --hold stays, keeping the binding alive).
 *   pass [--seqpacket] PATH
 *       an unbound caller hands its connection to a process the test binds: fork a child that
 *       prints its PID and stops itself (the test binds and continues it); the parent connects
 *       to PATH and sends the socket to the child over a socketpair (SCM_RIGHTS), then closes
 *       its own copy; the child receives it, writes one byte on it, prints "ok" or the errno
 *       name and exits. Exit status: the child's.
 *   hold
 *       wait until killed (a process to give a PID to).
 *   ptrace PID | vm-read PID ADDR
 *       PTRACE_ATTACH to PID (detached again when it worked), or process_vm_readv of 8 bytes at
 *       ADDR (hex) of PID: print "ok" or the errno name (exit 0 or 1). What a bound agent would
 *       try against the signer's memory.
 *
 * Exit 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "maps.h"

#define MAX_CONNS 64

struct opts {
	int type;
	bool abstract, hold, fork, again;
};

static volatile sig_atomic_t again_now;

static void on_usr1(int sig)
{
	again_now = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: kk-peer serve [--seqpacket] [--abstract] PATH N [GOFILE...]\n"
			"       kk-peer connect [--seqpacket] [--abstract] [--hold [--again]] [--fork] PATH\n"
			"       kk-peer pass [--seqpacket] PATH\n"
			"       kk-peer hold | kk-peer ptrace PID | kk-peer vm-read PID ADDR\n");
	return 2;
}

static const char *errname(int err)
{
	return strerrorname_np(err) ?: "unknown-errno";
}

static socklen_t make_addr(const char *path, bool abstract, struct sockaddr_un *sa)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n + 2 > sizeof(sa->sun_path))
		return 0;
	memcpy(sa->sun_path + abstract, path, n);
	return offsetof(struct sockaddr_un, sun_path) + abstract + n + !abstract;
}

/* One JSON line: what the signer would learn about the caller of accepted socket fd. */
static void ask(struct kk_maps *m, int fd)
{
	struct kk_binding_rec r;
	struct kk_peer p;
	int err;

	err = kk_maps_peer(m, fd, &p);
	if (!err) {
		err = kk_maps_binding_get(m, p.binding, &r);
		/* Ended between the two reads: as the signer must, call it stale. */
		if (err == -ENOENT || (!err && r.binding.gen != p.gen))
			err = -ESTALE;
	}
	if (err)
		printf("{\"result\":\"%s\"}\n", errname(-err));
	else
		printf("{\"result\":\"ok\",\"binding\":%u,\"gen\":%u,\"tgid\":%u,\"agent\":\"%s\","
		       "\"serial\":\"%s\"}\n",
		       p.binding, p.gen, p.tgid, r.binding.agent_id, r.ident.serial);
	fflush(stdout);
}

static void wait_file(const char *path)
{
	while (access(path, F_OK) != 0)
		usleep(10000);
}

static int serve(const struct opts *o, int argc, char **argv)
{
	int lfd, fds[MAX_CONNS], n, i, g, err;
	struct sockaddr_un sa;
	struct kk_error e = { 0 };
	struct kk_maps m;
	socklen_t len;

	if (argc < 2 || (n = atoi(argv[1])) <= 0 || n > MAX_CONNS)
		return usage();
	len = make_addr(argv[0], o->abstract, &sa);
	if (!len)
		return usage();
	err = kk_maps_open_e(&m, &e);
	if (err) {
		fprintf(stderr, "kk-peer: %s: %s\n", e.what, e.why);
		return 1;
	}
	lfd = socket(AF_UNIX, o->type | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, len) || listen(lfd, MAX_CONNS)) {
		printf("%s\n", errname(errno));
		return 1;
	}
	/* Anyone may connect: the attestation, not the file mode, tells who is calling. */
	if (!o->abstract)
		chmod(argv[0], 0666);
	printf("listening\n");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		fds[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fds[i] < 0) {
			printf("accept: %s\n", errname(errno));
			return 1;
		}
		if (argc == 2)
			ask(&m, fds[i]);
	}
	for (g = 2; g < argc; g++) {
		wait_file(argv[g]);
		for (i = 0; i < n; i++)
			ask(&m, fds[i]);
	}
	kk_maps_close(&m);
	return 0;
}

static int do_connect(const struct opts *o, const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = make_addr(path, o->abstract, &sa);
	int fd, fd2;

	if (!len)
		return usage();
	if (o->again)
		signal(SIGUSR1, on_usr1);
	fd = socket(AF_UNIX, o->type, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len)) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("ok\n");
	fflush(stdout);
	/* The second socket exists before: what is decided after SIGUSR1 is the connect alone. */
	fd2 = o->again ? socket(AF_UNIX, o->type, 0) : -1;
	while (o->hold && !again_now)
		pause();
	if (!again_now) {
		close(fd);
		return 0;
	}
	return fd2 < 0 ? 100 : connect(fd2, (struct sockaddr *)&sa, len) ? errno : 0;
}

/* connect --fork: the connecting process is gone, the binding (this process) lives on. */
static int fork_connect(const struct opts *o, const char *path)
{
	struct opts child = *o;
	int st;
	pid_t pid;

	child.hold = false;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		exit(do_connect(&child, path));
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	printf("%d\n", pid);
	fflush(stdout);
	while (o->hold)
		pause();
	return 0;
}

/* The child of pass: stopped until bound, then receives the connection and uses it. */
static int pass_child(int sp)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd;

	printf("%d\n", getpid());
	fflush(stdout);
	raise(SIGSTOP);
	if (recvmsg(sp, &mh, 0) != 1) {
		printf("recvmsg: %s\n", errname(errno));
		return 1;
	}
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		printf("no descriptor\n");
		return 1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	if (write(fd, "x", 1) != 1) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int pass(const struct opts *o, const char *path)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct sockaddr_un sa;
	socklen_t len = make_addr(path, false, &sa);
	struct cmsghdr *c;
	int sp[2], fd, st;
	pid_t pid;

	if (!len || socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		return 2;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(sp[0]);
		exit(pass_child(sp[1]));
	}
	close(sp[1]);
	fd = socket(AF_UNIX, o->type, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len)) {
		printf("connect: %s\n", errname(errno));
		kill(pid, SIGKILL);
		return 1;
	}
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	if (sendmsg(sp[0], &mh, 0) != 1) {
		printf("sendmsg: %s\n", errname(errno));
		kill(pid, SIGKILL);
		return 1;
	}
	close(fd);
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int report(long rc)
{
	printf("%s\n", rc < 0 ? errname(errno) : "ok");
	return rc < 0;
}

static int peek(const char *cmd, int argc, char **argv)
{
	pid_t pid = atoi(argv[0]);
	char buf[8];
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) }, remote;
	long rc;

	if (!strcmp(cmd, "ptrace") && argc == 1) {
		rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
		if (rc == 0) {
			waitpid(pid, NULL, __WALL);
			ptrace(PTRACE_DETACH, pid, NULL, NULL);
		}
		return report(rc);
	}
	if (!strcmp(cmd, "vm-read") && argc == 2) {
		remote.iov_base = (void *)strtoull(argv[1], NULL, 16);
		remote.iov_len = sizeof(buf);
		return report(process_vm_readv(pid, &local, 1, &remote, 1, 0));
	}
	return usage();
}

int main(int argc, char **argv)
{
	struct opts o = { .type = SOCK_STREAM };
	const char *cmd;
	int i;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	for (i = 2; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--seqpacket"))
			o.type = SOCK_SEQPACKET;
		else if (!strcmp(argv[i], "--abstract"))
			o.abstract = true;
		else if (!strcmp(argv[i], "--hold"))
			o.hold = true;
		else if (!strcmp(argv[i], "--fork"))
			o.fork = true;
		else if (!strcmp(argv[i], "--again"))
			o.again = o.hold = true;
		else
			return usage();
	}
	argc -= i;
	argv += i;
	if (!strcmp(cmd, "serve"))
		return serve(&o, argc, argv);
	if (!strcmp(cmd, "connect") && argc == 1 && o.fork)
		return fork_connect(&o, argv[0]);
	if (!strcmp(cmd, "connect") && argc == 1)
		return do_connect(&o, argv[0]);
	if (!strcmp(cmd, "pass") && argc == 1 && !o.abstract)
		return pass(&o, argv[0]);
	if (!strcmp(cmd, "hold") && argc == 0) {
		for (;;)
			pause();
	}
	if ((!strcmp(cmd, "ptrace") || !strcmp(cmd, "vm-read")) && argc >= 1)
		return peek(cmd, argc, argv);
	return usage();
}
