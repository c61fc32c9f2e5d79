// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-peer — caller attestation from both ends of a unix or TCP socket, for
 * tests/kernel/attest.bats.
 *
 *   serve [--seqpacket] [--abstract] [--tcp] PATH N [GOFILE...]
 *       listen on PATH (abstract: the name PATH in the abstract namespace; --tcp: PATH is
 *       ADDR:PORT or [ADDR6]:PORT, and [::] listens on IPv4 too), print "listening",
 *       accept N connections. Without GOFILE each is asked right after its accept; with
 *       GOFILEs, after all N are accepted, each GOFILE in turn is waited for (until it exists)
 *       and then every connection is asked again, in accept order. Each answer is one JSON line:
 *       {"result":"ok","binding":S,"gen":G,"tgid":T,"agent":"...","serial":"..."}, or
 *       {"result":"ENOENT"} / {"result":"ESTALE"} / another errno name, from kk_maps_peer and
 *       kk_maps_binding_get (user/maps.h) — what the signer does.
 *   connect [--seqpacket] [--abstract] [--tcp [--from PORT] [--fastopen|--fastopen-connect]]
 *           [--hold [--again]] [--fork] PATH
 *       connect to PATH and print "ok" or the errno name (exit 0 or 1); --tcp: to ADDR:PORT or
 *       [ADDR6]:PORT ([::ffff:127.0.0.1]: an IPv6 socket to an IPv4-mapped address), from
 *       source port PORT with --from (SO_REUSEADDR), else an ephemeral one; TCP Fast Open:
 *       --fastopen sends one byte with sendto(MSG_FASTOPEN) instead of connect(),
 *       --fastopen-connect sets TCP_FASTOPEN_CONNECT, connects (deferred: no SYN yet) and
 *       writes one byte (the SYN goes then); --hold keeps the socket
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "maps.h"

#define MAX_CONNS 64

enum { FO_NONE, FO_SENDTO, FO_CONNECT };

struct opts {
	int type, from, fastopen;
	bool abstract, hold, fork, again, tcp;
};

/* A unix, IPv4 or IPv6 socket address. */
union kk_sa {
	struct sockaddr sa;
	struct sockaddr_un un;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

static volatile sig_atomic_t again_now;

static void on_usr1(int sig)
{
	again_now = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: kk-peer serve [--seqpacket] [--abstract] [--tcp] PATH N [GOFILE...]\n"
			"       kk-peer connect [--seqpacket] [--abstract] [--tcp [--from PORT] "
			"[--fastopen|--fastopen-connect]] [--hold [--again]] [--fork] PATH\n"
			"       kk-peer pass [--seqpacket] PATH\n"
			"       kk-peer hold | kk-peer ptrace PID | kk-peer vm-read PID ADDR\n");
	return 2;
}

static const char *errname(int err)
{
	return strerrorname_np(err) ?: "unknown-errno";
}

/* ADDR:PORT or [ADDR6]:PORT into sa; 0 when it is neither. */
static socklen_t make_inet_addr(const char *text, union kk_sa *sa)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : 0;
	int port = colon ? atoi(colon + 1) : 0;

	if (!colon || n >= sizeof(host) || port <= 0 || port > 65535)
		return 0;
	memcpy(host, text, n);
	host[n] = '\0';
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = '\0';
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons(port);
		return inet_pton(AF_INET6, host + 1, &sa->in6.sin6_addr) == 1 ? sizeof(sa->in6) : 0;
	}
	sa->in.sin_family = AF_INET;
	sa->in.sin_port = htons(port);
	return inet_pton(AF_INET, host, &sa->in.sin_addr) == 1 ? sizeof(sa->in) : 0;
}

static socklen_t make_addr(const struct opts *o, const char *path, union kk_sa *sa)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	if (o->tcp)
		return make_inet_addr(path, sa);
	sa->un.sun_family = AF_UNIX;
	if (n + 2 > sizeof(sa->un.sun_path))
		return 0;
	memcpy(sa->un.sun_path + o->abstract, path, n);
	return offsetof(struct sockaddr_un, sun_path) + o->abstract + n + !o->abstract;
}

/* A socket for sa: unix of the asked type, or TCP; --from binds TCP's source port first. */
static int make_socket(const struct opts *o, const union kk_sa *sa, int flags)
{
	union kk_sa src = { 0 };
	int fd, one = 1, zero = 0;

	if (!o->tcp)
		return socket(AF_UNIX, o->type | flags, 0);
	fd = socket(sa->sa.sa_family, SOCK_STREAM | flags, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A listener on [::] takes IPv4 connections too (they are accepted IPv4-mapped). */
	if (sa->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (!o->from)
		return fd;
	src.sa.sa_family = sa->sa.sa_family;
	src.in.sin_port = htons(o->from); /* sin_port and sin6_port are at the same offset */
	if (sa->sa.sa_family == AF_INET)
		src.in.sin_addr.s_addr = sa->in.sin_addr.s_addr;
	else
		src.in6.sin6_addr = sa->in6.sin6_addr;
	if (bind(fd, &src.sa, sa->sa.sa_family == AF_INET ? sizeof(src.in) : sizeof(src.in6))) {
		close(fd);
		return -1;
	}
	return fd;
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
	union kk_sa sa;
	struct kk_error e = { 0 };
	struct kk_maps m;
	socklen_t len;

	if (argc < 2 || (n = atoi(argv[1])) <= 0 || n > MAX_CONNS)
		return usage();
	len = make_addr(o, argv[0], &sa);
	if (!len)
		return usage();
	err = kk_maps_open_e(&m, &e);
	if (err) {
		fprintf(stderr, "kk-peer: %s: %s\n", e.what, e.why);
		return 1;
	}
	lfd = make_socket(o, &sa, SOCK_CLOEXEC);
	if (lfd < 0 || bind(lfd, &sa.sa, len) || listen(lfd, MAX_CONNS)) {
		printf("%s\n", errname(errno));
		return 1;
	}
	/* Anyone may connect: the attestation, not the file mode, tells who is calling. */
	if (!o->abstract && !o->tcp)
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

/* connect(), or a TCP Fast Open way to the same: 0, or -1 and errno. */
static int open_conn(const struct opts *o, int fd, const union kk_sa *sa, socklen_t len)
{
	int one = 1;

	if (o->fastopen == FO_SENDTO)
		return sendto(fd, "x", 1, MSG_FASTOPEN, &sa->sa, len) == 1 ? 0 : -1;
	if (o->fastopen == FO_CONNECT &&
	    setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)))
		return -1;
	if (connect(fd, &sa->sa, len))
		return -1;
	return o->fastopen == FO_CONNECT && write(fd, "x", 1) != 1 ? -1 : 0;
}

static int do_connect(const struct opts *o, const char *path)
{
	union kk_sa sa;
	socklen_t len = make_addr(o, path, &sa);
	int fd, fd2;

	if (!len)
		return usage();
	if (o->again)
		signal(SIGUSR1, on_usr1);
	fd = make_socket(o, &sa, 0);
	if (fd < 0 || open_conn(o, fd, &sa, len)) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("ok\n");
	fflush(stdout);
	/* The second socket exists before: what is decided after SIGUSR1 is the connect alone. */
	fd2 = o->again ? make_socket(o, &sa, 0) : -1;
	while (o->hold && !again_now)
		pause();
	if (!again_now) {
		close(fd);
		return 0;
	}
	return fd2 < 0 ? 100 : open_conn(o, fd2, &sa, len) ? errno : 0;
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
	union kk_sa sa;
	socklen_t len = make_addr(o, path, &sa);
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
	if (fd < 0 || connect(fd, &sa.sa, len)) {
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
		else if (!strcmp(argv[i], "--tcp"))
			o.tcp = true;
		else if (!strcmp(argv[i], "--fastopen"))
			o.fastopen = FO_SENDTO;
		else if (!strcmp(argv[i], "--fastopen-connect"))
			o.fastopen = FO_CONNECT;
		else if (!strcmp(argv[i], "--from") && i + 1 < argc && atoi(argv[i + 1]) > 0)
			o.from = atoi(argv[++i]);
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
	if ((o.from || o.fastopen) && !o.tcp)
		return usage();
	if (!strcmp(cmd, "pass") && argc == 1 && !o.abstract && !o.tcp)
		return pass(&o, argv[0]);
	if (!strcmp(cmd, "hold") && argc == 0) {
		for (;;)
			pause();
	}
	if ((!strcmp(cmd, "ptrace") || !strcmp(cmd, "vm-read")) && argc >= 1)
		return peek(cmd, argc, argv);
	return usage();
}
