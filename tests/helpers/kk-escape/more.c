// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-escape more: descriptors from before the bind, attributes and xattrs, System V IPC and
 * keys, W^X, terminals, other processes' scheduling and limits, what a revoked agent still
 * tries (tests/kernel/escape-files.bats and escape-self.bats).
 */
#include "escape.h"

#include <linux/fs.h>
#include <linux/keyctl.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/klog.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/xattr.h>
#include <termios.h>

#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif

/* ---- descriptors opened before the bind (or inherited) ---- */

static int fd_action(const char *what, int fd)
{
	char b[64];
	void *p;

	if (!strcmp(what, "fd-read"))
		return report(pread(fd, b, 1, 0));
	if (!strcmp(what, "fd-write"))
		return report(pwrite(fd, "x", 1, 0));
	if (!strcmp(what, "fd-dents"))
		return report(syscall(SYS_getdents64, fd, b, sizeof(b)));
	if (!strcmp(what, "fd-futimens"))
		return report(futimens(fd, NULL));
	if (!strcmp(what, "fd-mmap")) {
		p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		return report(p == MAP_FAILED ? -1 : 0);
	}
	if (!strcmp(what, "fd-mmap-shared-rw")) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		return report(p == MAP_FAILED ? -1 : 0);
	}
	if (!strcmp(what, "fd-setflags")) {
		int flags = 0;

		if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
			flags = 0;
		flags |= FS_NOATIME_FL;
		return report(ioctl(fd, FS_IOC_SETFLAGS, &flags));
	}
	if (!strcmp(what, "fd-flock"))
		return report(flock(fd, LOCK_EX | LOCK_NB));
	return -2;
}

/* open-at N PATH FLAGS: open PATH as descriptor N (kept for the actions that follow). */
static int open_at(int n, const char *path, const char *flags_text)
{
	int flags, fd;

	if (parse_flags(flags_text, &flags))
		return -1;
	fd = open(path, flags & ~O_CLOEXEC, 0644);
	if (fd < 0)
		return report(-1);
	if (fd != n && (dup2(fd, n) < 0 || close(fd)))
		return setup_failed();
	return report(0);
}

/* wait-go FILE: print "ready", wait (at most 30 s) until FILE exists. */
static int wait_go(const char *path)
{
	struct stat st;
	int i;

	puts("ready");
	fflush(stdout);
	for (i = 0; i < 3000 && stat(path, &st); i++)
		usleep(10000);
	return i < 3000 ? 0 : setup_failed();
}

/* ---- attributes, xattrs, watches ---- */

/* A POSIX ACL (system.posix_acl_access) granting everyone read and write. */
static size_t acl_rw(char *buf)
{
	struct {
		uint16_t tag, perm;
		uint32_t id;
	} e[] = { { 0x01, 6, ~0u }, { 0x04, 6, ~0u }, { 0x20, 6, ~0u } }; /* user, group, other */
	uint32_t version = 2;

	memcpy(buf, &version, 4);
	memcpy(buf + 4, e, sizeof(e));
	return 4 + sizeof(e);
}

static int xattr_action(int argc, char **argv)
{
	const char *c = argv[0];
	char buf[256];
	size_t n;

	if (!strcmp(c, "utimens") && argc == 2)
		return report(utimensat(AT_FDCWD, argv[1], NULL, 0));
	if (!strcmp(c, "setxattr") && argc == 4) {
		n = strcmp(argv[3], "acl-rw") ? strlen(argv[3]) : acl_rw(buf);
		return report(setxattr(argv[1], argv[2], strcmp(argv[3], "acl-rw") ? argv[3] : buf,
				       n, 0));
	}
	if (!strcmp(c, "getxattr") && argc == 3) {
		ssize_t r = getxattr(argv[1], argv[2], buf, sizeof(buf));

		return report(r < 0 && errno == ENODATA ? 0 : r);
	}
	if (!strcmp(c, "listxattr") && argc == 2)
		return report(listxattr(argv[1], buf, sizeof(buf)));
	if (!strcmp(c, "removexattr") && argc == 3) {
		int r = removexattr(argv[1], argv[2]);

		return report(r < 0 && errno == ENODATA ? 0 : r);
	}
	if (!strcmp(c, "inotify") && argc == 2) {
		int in = inotify_init1(IN_CLOEXEC);

		return in < 0 ? setup_failed()
			      : report(inotify_add_watch(in, argv[1], IN_ALL_EVENTS));
	}
	return -2;
}

/* ---- System V IPC and keys ---- */

/* (unbound) ipc-make KEY TEXT: a segment holding TEXT, a queue with TEXT, a semaphore set. */
static int ipc_make(key_t key, const char *text)
{
	struct {
		long type;
		char text[64];
	} m = { .type = 1 };
	int shm = shmget(key, 4096, IPC_CREAT | 0600), q = msgget(key, IPC_CREAT | 0600);
	int sem = semget(key, 1, IPC_CREAT | 0600);
	char *p;

	if (shm < 0 || q < 0 || sem < 0)
		return setup_failed();
	p = shmat(shm, NULL, 0);
	if (p == (void *)-1)
		return setup_failed();
	snprintf(p, 4096, "%s", text);
	snprintf(m.text, sizeof(m.text), "%s", text);
	if (msgsnd(q, &m, strlen(m.text) + 1, 0))
		return setup_failed();
	printf("shm=%d msg=%d sem=%d\n", shm, q, sem);
	return 0;
}

static int ipc_rm(key_t key)
{
	int shm = shmget(key, 0, 0), q = msgget(key, 0), sem = semget(key, 0, 0);

	if (shm >= 0)
		shmctl(shm, IPC_RMID, NULL);
	if (q >= 0)
		msgctl(q, IPC_RMID, NULL);
	if (sem >= 0)
		semctl(sem, 0, IPC_RMID);
	return report(0);
}

/* Attach segment id and read it: "ok TEXT" or the errno. */
static int shm_read(int id)
{
	char *p = shmat(id, NULL, SHM_RDONLY);

	if (p == (void *)-1)
		return report(-1);
	printf("ok %.32s\n", p);
	shmdt(p);
	return 0;
}

static int msg_recv(int id)
{
	struct {
		long type;
		char text[64];
	} m;

	if (msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT) < 0)
		return report(-1);
	printf("ok %.32s\n", m.text);
	return 0;
}

static int sem_up(int id)
{
	struct sembuf op = { .sem_num = 0, .sem_op = 1, .sem_flg = IPC_NOWAIT };

	return report(semop(id, &op, 1));
}

/* The agent's own queue, kept between actions (msgq-make, then msgq-send after a revoke). */
static int own_queue = -1;

static int ipc_own(void)
{
	struct {
		long type;
		char text[8];
	} m = { .type = 1, .text = "own" };
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600), q, sem;
	char *p;

	if (shm < 0)
		return report(-1);
	p = shmat(shm, NULL, 0);
	if (p == (void *)-1)
		return report(-1);
	strcpy(p, "own");
	shmdt(p);
	shmctl(shm, IPC_RMID, NULL);
	q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (q < 0 || msgsnd(q, &m, 4, 0) || msgrcv(q, &m, 8, 0, IPC_NOWAIT) < 0)
		return report(-1);
	msgctl(q, IPC_RMID, NULL);
	sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	if (sem < 0 || sem_up(sem))
		return sem < 0 ? report(-1) : 1;
	semctl(sem, 0, IPC_RMID);
	return 0;
}

static int shmat_exec(void)
{
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0700);
	void *p;

	if (shm < 0)
		return setup_failed();
	p = shmat(shm, NULL, SHM_EXEC);
	shmctl(shm, IPC_RMID, NULL);
	return report(p == (void *)-1 ? -1 : 0);
}

static int key_action(int argc, char **argv)
{
	const char *c = argv[0];
	char buf[64];
	long serial;

	if (!strcmp(c, "key-make") && argc == 3) { /* unbound: a user key in the user keyring */
		serial = syscall(SYS_add_key, "user", argv[1], argv[2], strlen(argv[2]),
				 KEY_SPEC_USER_KEYRING);
		if (serial < 0)
			return setup_failed();
		printf("%ld\n", serial);
		return 0;
	}
	if (!strcmp(c, "key-read") && argc == 2) {
		serial = syscall(SYS_keyctl, KEYCTL_READ, atol(argv[1]), buf, sizeof(buf));
		if (serial < 0)
			return report(-1);
		printf("ok %.*s\n", (int)serial, buf);
		return 0;
	}
	if (!strcmp(c, "key-own") && argc == 1) { /* its own key in its own thread keyring */
		serial = syscall(SYS_add_key, "user", "kk-own", "own", 3, KEY_SPEC_THREAD_KEYRING);
		if (serial < 0)
			return report(-1);
		return report(syscall(SYS_keyctl, KEYCTL_READ, serial, buf, sizeof(buf)));
	}
	if (!strcmp(c, "key-type") && argc == 2) /* a key type the kernel must load a module for */
		return report(syscall(SYS_add_key, argv[1], "kk", "x", 1, KEY_SPEC_THREAD_KEYRING));
	return -2;
}

/* ---- W^X ---- */

static const unsigned char ret_insn[] = { 0xc3 }; /* x86 ret */

static int wx_action(const char *c)
{
	void *p;
	int fd;

	if (!strcmp(c, "anon-wx")) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return report(p == MAP_FAILED ? -1 : 0);
	}
	if (!strcmp(c, "anon-mprotect")) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return setup_failed();
		memcpy(p, ret_insn, 1);
		if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
			return report(-1);
		((void (*)(void))p)();
		return report(0);
	}
	if (!strcmp(c, "memfd-map-exec")) {
		fd = memfd_create("kk-jit", MFD_CLOEXEC);
		if (fd < 0 || write(fd, ret_insn, 1) != 1 || ftruncate(fd, 4096))
			return setup_failed();
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return report(-1);
		((void (*)(void))p)();
		return report(0);
	}
	if (!strcmp(c, "self-mem")) { /* patch its own code through /proc/self/mem */
		unsigned char b = ret_insn[0];

		fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return report(-1);
		return report(pwrite(fd, &b, 1, (off_t)(uintptr_t)&ret_insn));
	}
	/* Nothing may be written afterwards, stdout included: the exit status tells (42: EACCES). */
	if (!strcmp(c, "read-implies-exec")) {
		fflush(stdout);
		if (personality(READ_IMPLIES_EXEC) < 0)
			return setup_failed();
		_exit(open("/data/in/f", O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES ? 42 : 1);
	}
	if (!strcmp(c, "shmat-exec"))
		return shmat_exec();
	return -2;
}

/* ---- terminals, other processes, a revoked agent ---- */

static int tty_action(const char *c)
{
	pid_t pg = getpgrp();
	char ch = 'x';

	if (!strcmp(c, "tiocsti"))
		return report(ioctl(0, TIOCSTI, &ch));
	if (!strcmp(c, "tiocspgrp"))
		return report(ioctl(0, TIOCSPGRP, &pg));
	if (!strcmp(c, "tiocsctty"))
		return report(ioctl(0, TIOCSCTTY, 0));
	return -2;
}

static int task_action(const char *c, int pid)
{
	struct rlimit zero = { 0, 0 };
	cpu_set_t one;

	if (!strcmp(c, "renice"))
		return report(setpriority(PRIO_PROCESS, pid, 19));
	if (!strcmp(c, "sched-idle")) {
		struct sched_param sp = { 0 };

		return report(sched_setscheduler(pid, SCHED_IDLE, &sp));
	}
	if (!strcmp(c, "ioprio")) /* IOPRIO_WHO_PROCESS, class idle */
		return report(syscall(SYS_ioprio_set, 1, pid, 3 << 13));
	if (!strcmp(c, "affinity")) {
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		return report(sched_setaffinity(pid, sizeof(one), &one));
	}
	if (!strcmp(c, "prlimit-fsize"))
		return report(prlimit(pid, RLIMIT_FSIZE, &zero, NULL));
	if (!strcmp(c, "migrate-pages")) {
		unsigned long nodes = 1;

		return report(syscall(SYS_migrate_pages, pid, 64, &nodes, &nodes));
	}
	return -2;
}

/*
 * proc-pidns: inside a pid namespace with its own /proc: read the agent's host pid N from
 * stdin (handed over at the bind), then open /proc/N/cmdline (another process of this
 * namespace, if one has that number) and /proc/<its namespace pid>/status (its own):
 * "other=R self=R".
 */
static int proc_pidns(void)
{
	char path[64], buf[64] = "";
	int n = 0, fd;

	if (scanf("%d", &n) != 1 || n <= 0)
		return setup_failed();
	snprintf(path, sizeof(path), "/proc/%d/cmdline", n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	printf("other=%s", fd >= 0 ? "ok" : strerrorname_np(errno));
	if (fd >= 0)
		printf(":%s", buf);
	snprintf(path, sizeof(path), "/proc/%d/status", getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	printf(" self=%s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
	return 0;
}

/*
 * after-revoke FD: what a revoked agent still tries, with an fd it opened and a queue it made
 * before (msgq-make). Its stdout is refused too, so the exit status tells: bit 1 a new mmap of
 * FD got EACCES, 2 msgsnd EACCES, 4 flock EACCES, 8 fork EPERM, 16 TIOCSTI EPERM, 32 a read of
 * FD EACCES (63: everything refused as it should be).
 */
static int after_revoke(int fd)
{
	struct {
		long type;
		char text[4];
	} m = { .type = 1, .text = "hi" };
	int bits = 0;
	char ch = 'x';
	pid_t p;

	fflush(stdout);
	if (mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == EACCES)
		bits |= 1;
	if (msgsnd(own_queue, &m, 3, IPC_NOWAIT) && errno == EACCES)
		bits |= 2;
	if (flock(fd, LOCK_EX | LOCK_NB) && errno == EACCES)
		bits |= 4;
	p = fork();
	if (p == 0)
		_exit(0);
	if (p < 0 && errno == EPERM)
		bits |= 8;
	if (ioctl(0, TIOCSTI, &ch) && errno == EPERM)
		bits |= 16;
	if (pread(fd, &ch, 1, 0) < 0 && errno == EACCES)
		bits |= 32;
	_exit(bits);
}

/* vmsplice-loop FD: push "tick N" lines into the pipe FD with vmsplice(2) until it fails. */
static int vmsplice_loop(int fd)
{
	char line[32];
	struct iovec iov = { .iov_base = line };
	long i;

	for (i = 0;; i++) {
		iov.iov_len = (size_t)snprintf(line, sizeof(line), "tick %ld\n", i);
		if (vmsplice(fd, &iov, 1, 0) < 0)
			return report(-1);
		usleep(20000);
	}
}

int more_actions(int argc, char **argv)
{
	const char *c = argv[0];
	int r;

	if (argc == 2 && !strncmp(c, "fd-", 3) && (r = fd_action(c, atoi(argv[1]))) != -2)
		return r;
	if (!strcmp(c, "dup2") && argc == 3)
		return report(dup2(atoi(argv[1]), atoi(argv[2])));
	if (!strcmp(c, "open-at") && argc == 4)
		return open_at(atoi(argv[1]), argv[2], argv[3]);
	if (!strcmp(c, "wait-go") && argc == 2)
		return wait_go(argv[1]);
	if ((r = xattr_action(argc, argv)) != -2)
		return r;
	if (!strcmp(c, "ipc-make") && argc == 3)
		return ipc_make((key_t)strtol(argv[1], NULL, 0), argv[2]);
	if (!strcmp(c, "ipc-rm") && argc == 2)
		return ipc_rm((key_t)strtol(argv[1], NULL, 0));
	if (!strcmp(c, "shm-get") && argc == 2)
		return report(shmget((key_t)strtol(argv[1], NULL, 0), 0, 0));
	if (!strcmp(c, "msg-get") && argc == 2)
		return report(msgget((key_t)strtol(argv[1], NULL, 0), 0));
	if (!strcmp(c, "sem-get") && argc == 2)
		return report(semget((key_t)strtol(argv[1], NULL, 0), 0, 0));
	if (!strcmp(c, "shm-read") && argc == 2)
		return shm_read(atoi(argv[1]));
	if (!strcmp(c, "msg-recv") && argc == 2)
		return msg_recv(atoi(argv[1]));
	if (!strcmp(c, "sem-up") && argc == 2)
		return sem_up(atoi(argv[1]));
	if (!strcmp(c, "ipc-own") && argc == 1)
		return ipc_own();
	if (!strcmp(c, "msgq-make") && argc == 1)
		return report(own_queue = msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	if (!strcmp(c, "msgq-send") && argc == 1) {
		struct {
			long type;
			char text[4];
		} m = { .type = 1, .text = "hi" };

		return report(msgsnd(own_queue, &m, 3, IPC_NOWAIT));
	}
	if ((r = key_action(argc, argv)) != -2)
		return r;
	if (argc == 1 && (r = wx_action(c)) != -2)
		return r;
	if (argc == 1 && (r = tty_action(c)) != -2)
		return r;
	if (argc == 2 && (r = task_action(c, atoi(argv[1]))) != -2)
		return r;
	if (!strcmp(c, "fork") && argc == 1) {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		if (p > 0)
			waitpid(p, NULL, 0);
		return report(p);
	}
	if (!strcmp(c, "proc-pidns") && argc == 1)
		return proc_pidns();
	if (!strcmp(c, "pid") && argc == 1)
		return printf("%d\n", getpid()) < 0;
	if (!strcmp(c, "syslog") && argc == 1) {
		char b[256];

		return report(klogctl(3 /* SYSLOG_ACTION_READ_ALL */, b, sizeof(b)));
	}
	if (!strcmp(c, "after-revoke") && argc == 2)
		return after_revoke(atoi(argv[1]));
	if (!strcmp(c, "vmsplice-loop") && argc == 2)
		return vmsplice_loop(atoi(argv[1]));
	return -2;
}
