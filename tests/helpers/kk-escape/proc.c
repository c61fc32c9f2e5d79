// SPDX-License-Identifier: GPL-2.0-only
/* kk-escape processes: namespaces, mounts, cgroups, exec, self-protection, revocation, flooding. */
#include "escape.h"

/* ---- namespaces, mounts, cgroups ---- */

int parse_ns(const char *s, unsigned long *flags)
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

int do_clone(const char *ns)
{
	unsigned long flags;

	if (parse_ns(ns, &flags))
		return -1;
	return reap(syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0));
}

int clone3_cgroup(const char *dir)
{
	struct kk_clone_args a = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return setup_failed();
	a.cgroup = fd;
	return reap(syscall(SYS_clone3, &a, sizeof(a)));
}

int cgroup_self(void)
{
	char line[512] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f || !fgets(line, sizeof(line), f))
		return setup_failed();
	fclose(f);
	fputs(line, stdout);
	return 0;
}

int cgroup_procs(const char *dir)
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

int memfd_exec(char **argv, bool via_proc)
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

int gone_fdexec(char **argv)
{
	int fd = open(argv[1], O_RDONLY);

	if (fd < 0)
		return setup_failed();
	puts("ready");
	fflush(stdout);
	wait_gone(argv[1]);
	return exec_fd(fd, argv + 1);
}

/* ---- self-protection ---- */

int pidfd_kill(int pid, int sig)
{
	int pfd = syscall(SYS_pidfd_open, pid, 0);

	if (pfd < 0)
		return setup_failed();
	return report(syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0));
}

int sigio_kill(int pid, int sig)
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

/* The other ways to name an owner: F_SETOWN_EX on a pipe, FIOSETOWN and SIOCSPGRP on a socket. */
int setown_other(const char *how, int pid)
{
	struct f_owner_ex ex = { .type = F_OWNER_PID, .pid = pid };
	int p[2], s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || pipe2(p, O_CLOEXEC))
		return setup_failed();
	if (!strcmp(how, "ex"))
		return report(fcntl(p[0], F_SETOWN_EX, &ex));
	if (!strcmp(how, "fiosetown"))
		return report(ioctl(s, FIOSETOWN, &pid));
	if (!strcmp(how, "siocspgrp"))
		return report(ioctl(s, SIOCSPGRP, &pid));
	return -1;
}

int do_ptrace(int pid)
{
	long rc = ptrace(PTRACE_ATTACH, pid, NULL, NULL);

	if (rc == 0) {
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	return report(rc);
}

int vm_write(int pid, const char *addr)
{
	char b = 0;
	struct iovec local = { .iov_base = &b, .iov_len = 1 };
	struct iovec remote = { .iov_base = (void *)strtoul(addr, NULL, 0), .iov_len = 1 };

	return report(process_vm_writev(pid, &local, 1, &remote, 1, 0));
}

int procmem(const char *pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%s/mem", pid);
	return report(open(path, O_RDWR | O_CLOEXEC));
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int bpf_id(const char *kind, const char *id)
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

int bpf_obj_get(const char *path)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)path;
	return report(sys_bpf(BPF_OBJ_GET, &attr));
}

int bpf_inherit(const char *pin)
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

int hold_loop(char **argv)
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

int hold_map(const char *in, const char *rw)
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

int flood(int threads, long n, const char *path)
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
