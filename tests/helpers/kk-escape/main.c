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
 *   msgring-recv [send]                   an io_uring with one free fixed-file slot: prints
 *                                         "ring PID FD", waits (10 s) for a file to be installed
 *                                         there ("install" and the result), reads it ("read" and
 *                                         the result) or, with "send", sends "x" on it ("send")
 *   msgring-send PID FD PATH              (unbound) take ring FD of process PID (pidfd_getfd),
 *                                         install PATH (or a socket: udp:ADDR:PORT,
 *                                         tcp:ADDR:PORT, connected) into its slot 0
 *                                         (IORING_OP_MSG_RING,
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
 *   socket FAMILY TYPE PROTO              FAMILY inet inet6 packet netlink or a number; TYPE raw
 *                                         dgram stream seqpacket rdm or a number
 *   unix PATH                             stream connect; @NAME: the abstract socket NAME
 *   uring-open PATH FLAGS | uring-connect ADDR PORT | uring-sendmsg ADDR PORT
 *                                         io_uring on a worker thread (IOSQE_ASYNC)
 *   uring-sqpoll-open PATH FLAGS          io_uring openat run by the SQPOLL kernel thread
 *   listen LOG SPEC...                    (unbound) SPEC tcp:ADDR:PORT udp:ADDR:PORT unix:PATH
 *                                         (unix:@NAME: abstract) sctp:ADDR:PORT tipc:TYPE:INST
 *                                         rtsniff:DEV (logs "data rtsniff v4|v6" per packet
 *                                         leaving with IPv4 options or an IPv6 routing header);
 *                                         logs "ready", each "accept KIND ADDR:PORT" and the
 *                                         first datagrams as "data udp ADDR:PORT N"; runs until
 *                                         killed
 * Network, the escapes of escape-net.bats (kk-escape/inet.c)
 *   send-family KIND FAMILY ADDR PORT [CADDR CPORT]
 *                                         KIND udp4 udp6 raw4 raw6 (raw: IPPROTO_UDP, a UDP
 *                                         header in the payload); sendto ADDR PORT with the
 *                                         name's family field FAMILY (a number); CADDR CPORT:
 *                                         connect there first (its own line)
 *   serve PROTO ADDR PORT N SECS          bind ("bind <result>"; PORT "-": none), listen (TCP),
 *                                         "ready PORT", then up to N within SECS: "accept PEER"
 *                                         and "recv <result>", or "data PEER"
 *   knock PROTO SRC ADDR PORT SECS        (unbound) from SRC: TCP connect ("ok", "timeout")
 *                                         and send "x", or one UDP datagram
 *   pre-listen ADDR PORT                  (unbound) a TCP listener, "stopped", SIGSTOP; once
 *                                         continued, accept
 *   unix-bind PATH                        bind a unix socket to PATH, @NAME (abstract) or ""
 *                                         (the automatic abstract name)
 *   sctp-connectx ADDR PORT...            one SCTP_SOCKOPT_CONNECTX with every address
 *   sctp-bindx ADDR PORT...               one SCTP_SOCKOPT_BINDX_ADD with every address
 *   sctp-sendmsg ADDR PORT [DSTADDR]      one-to-many SCTP sendmsg starting an association
 *                                         (DSTADDR: with an SCTP_DSTADDRV4 control message)
 *   tipc-send TYPE INST                   a TIPC datagram to the service TYPE:INST
 *   sockopt-rthdr HOP | sockopt-ipopt HOP IPV6_RTHDR (type 2) / IP_OPTIONS (LSRR) through HOP
 *   cmsg-rthdr ADDR PORT HOP | cmsg-retopts ADDR PORT HOP
 *                                         one UDP datagram with that as a control message
 *   sendmmsg-retopts ADDR PORT HOP        two datagrams in one sendmmsg, the second with
 *                                         IP_RETOPTS: "sent=N" or the errno
 *   pre-sockets SPEC...                   (unbound) SPEC udp:ADDR:PORT tcp:ADDR:PORT (connected)
 *                                         udp netlink:PROTO unix:PATH; "stopped", SIGSTOP; once
 *                                         continued, each: "send <send()>", "recv <recv()>"
 *   reconnect PROTO ADDR PORT N           one socket connects N times, AF_UNSPEC in between
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
 *                                         it fails), then write to it: the kernel signals the
 *                                         owner
 *   setown ex|fiosetown|siocspgrp PID     name PID the owner of a pipe (F_SETOWN_EX) or of a
 *                                         UDP socket (FIOSETOWN, SIOCSPGRP)
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
#include "escape.h"

int errname(int err)
{
	puts(strerrorname_np(err) ?: "unknown-errno");
	return 1;
}

int report(long rc)
{
	if (rc >= 0) {
		puts("ok");
		return 0;
	}
	return errname(errno);
}

int setup_failed(void)
{
	printf("setup-");
	return errname(errno);
}

int parse_flags(const char *s, int *flags)
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

int sock_type(const char *proto)
{
	return !strcmp(proto, "udp") ? SOCK_DGRAM : SOCK_STREAM;
}

/* Wait (at most 30 s) until PATH no longer exists: someone else removed it. */
void wait_gone(const char *path)
{
	struct stat st;
	int i;

	for (i = 0; i < 3000 && stat(path, &st) == 0; i++)
		usleep(10000);
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
		return msgring_recv(false);
	if (!strcmp(c, "msgring-recv") && argc == 2 && !strcmp(argv[1], "send"))
		return msgring_recv(true);
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
	if (!strcmp(c, "setown") && argc == 3)
		return setown_other(argv[1], atoi(argv[2]));
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
	if (!strcmp(c, "send-family") && (argc == 5 || argc == 7))
		return send_family(argc, argv);
	if (!strcmp(c, "serve") && argc == 6)
		return serve(argv);
	if (!strcmp(c, "knock") && argc == 6)
		return knock(argv);
	if (!strcmp(c, "pre-listen") && argc == 3)
		return pre_listen(argv);
	if (!strcmp(c, "unix-bind") && argc == 2)
		return unix_bind(argv[1]);
	if ((!strcmp(c, "sctp-connectx") || !strcmp(c, "sctp-bindx")) && argc >= 3 && argc % 2)
		return sctp_addrs(argc, argv, !strcmp(c, "sctp-connectx"));
	if (!strcmp(c, "sctp-sendmsg") && (argc == 3 || argc == 4))
		return sctp_send(argc, argv);
	if (!strcmp(c, "tipc-send") && argc == 3)
		return tipc_send(argv);
	if ((!strcmp(c, "sockopt-rthdr") || !strcmp(c, "sockopt-ipopt")) && argc == 2)
		return route_sockopt(c, argv[1]);
	if ((!strcmp(c, "cmsg-rthdr") || !strcmp(c, "cmsg-retopts") ||
	     !strcmp(c, "sendmmsg-retopts")) &&
	    argc == 4)
		return route_cmsg(c, argv);
	if (!strcmp(c, "pre-sockets") && argc >= 2)
		return pre_sockets(argc, argv);
	if (!strcmp(c, "reconnect") && argc == 5)
		return reconnect(argv);
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
	if (rc == -2)
		rc = more_actions(argc, argv);
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
	fprintf(stderr, "kk-escape: bad usage (see the comment at the top of kk-escape/main.c)\n");
	return 2;
}
