// SPDX-License-Identifier: GPL-2.0-only
/* kk-escape: what its parts share (see main.c for the actions). */
#ifndef KK_ESCAPE_H
#define KK_ESCAPE_H
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
#include <sys/ioctl.h>
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

#include "../parse_sa.h"

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

int do_reopen(char **argv, bool unlink_first);
int gone_reopen(char **argv);
int fdlink(const char *path, const char *newpath, bool empty);
int handle(const char *path);
int open_handle(const char *dir, const char *text);
int deep(char **argv, bool make);
int scm_serve(int argc, char **argv);
int scm_recv(const char *path, int n);
int msgring_recv(bool send);
int msgring_send(int pid, int target_fd, const char *path);
int parse_ns(const char *s, unsigned long *flags);
int do_clone(const char *ns);
int clone3_cgroup(const char *dir);
int cgroup_self(void);
int cgroup_procs(const char *dir);
int memfd_exec(char **argv, bool via_proc);
int gone_fdexec(char **argv);
int pidfd_kill(int pid, int sig);
int sigio_kill(int pid, int sig);
int setown_other(const char *how, int pid);
int do_ptrace(int pid);
int vm_write(int pid, const char *addr);
int procmem(const char *pid);
int bpf_id(const char *kind, const char *id);
int bpf_obj_get(const char *path);
int bpf_inherit(const char *pin);
int hold_loop(char **argv);
int hold_map(const char *in, const char *rw);
int flood(int threads, long n, const char *path);
int do_connect(char **argv, int argc);
int unspec_reconnect(char **argv);
int do_sendto(char **argv, int how);
int do_sendmmsg(char **argv);
int sendto_connected(char **argv);
int do_socket(char **argv);
int do_unix(const char *path);
int do_uring(char **argv, int op);
int do_listen(int argc, char **argv);
int send_family(int argc, char **argv);
int serve(char **argv);
int knock(char **argv);
int pre_listen(char **argv);
int unix_bind(const char *path);
int sctp_addrs(int argc, char **argv, bool connectx);
int sctp_send(int argc, char **argv);
int tipc_listen(const char *spec);
int tipc_send(char **argv);
int route_sockopt(const char *how, const char *hop);
int route_cmsg(const char *how, char **argv);
int rtsniff_listen(const char *dev);
const char *rtsniff_kind(int fd, char *buf, size_t size);
int pre_sockets(int argc, char **argv);
int open_spec(const char *spec);
int reconnect(char **argv);
int race_open(const char *allowed, const char *denied, long n);
int race_connect(const char *addr, const char *pa, const char *pd, long n);
int errname(int err);
int report(long rc);
int setup_failed(void);
int parse_flags(const char *s, int *flags);
int sock_type(const char *proto);
void wait_gone(const char *path);
int more_actions(int argc, char **argv);

#endif
