// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-floor — the least any BPF-LSM program costs on this kernel, next to Landlock, in one run:
 * the floor under kakunin-bpf's hot-path targets. Needs root and BPF-LSM (in the VM); loads
 * bench/floor.bpf.c alone (kakunin-bpf must not be loaded) and runs build/bench/kk-bench.
 *
 *   kk-floor [--reps N] [--ops N] [--trials N] [--hit-parts] DIR
 *
 * DIR (made if its parent exists; on tmpfs, the bench's file system) gets d0..d9 with files
 * f0..f9, and a file r.
 * Every repetition runs each configuration once, in a fresh random order, each in a new
 * kk-bench process (--ops operations, default 20000; connects: a tenth of that):
 *   open-none      open() + close() of the 100 files, no program attached
 *   open-noop      the same, a program with no body on file_open
 *   open-task      the same, a file_open program that finds the process's task storage (this
 *                  process has some: it is "bound"), the least a bound decision does
 *   open-landlock  no program; the process restricted by Landlock, 10 rules (kk-bench's
 *                  --landlock 10 DIR: the rule set of bench/run.sh's 10-rule case)
 *   open-inode     with --hit-parts: open-task, then the per-inode entry a cache hit finds
 *                  (bpf_inode_storage_get of 80 bytes, made at each file's first open)
 *   open-mark      with --hit-parts: open-task, then the file's mark (a kk_files-like slot
 *                  claimed by compare-and-swap, written, released)
 *   read-none      pread() of one byte of DIR/r, no program
 *   read-noop      the same, a program with no body on file_permission
 *   connect-none   kk-bench's loopback connect loop, no program
 *   connect-noop   the same, a program with no body on each of the 9 hooks and functions that
 *                  kakunin-bpf runs programs on for one connect
 * One JSON line per measurement: {"kind": "floor", "rep", "config", "ns_per_op"}; bench/floor.py
 * summarizes them (bench/floor.sh, and bench/run.sh's report).
 * First, with bpf_stats on, one connect-noop run counts how many program runs a connect makes
 * ({"runs_per_connect"}), which turns the per-run cost into a floor for connect(). Last, with
 * no program loaded, --trials (default 1000) trials of the revocation floor (revocation_floor
 * below): {"revocation_us": [...]}.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "floor.skel.h"
#include "lat.h"

enum { W_OPEN, W_READ, W_CONNECT };

struct config {
	const char *name;
	int workload;
	const char *progs; /* the programs attached, by name, space-separated */
	int task, landlock;
	int part; /* with --hit-parts only */
};

static const struct config configs[] = {
	{ "open-none", W_OPEN, "", 0, 0, 0 },
	{ "open-noop", W_OPEN, "floor_open", 0, 0, 0 },
	{ "open-task", W_OPEN, "floor_open_task", 1, 0, 0 },
	{ "open-landlock", W_OPEN, "", 0, 1, 0 },
	{ "open-inode", W_OPEN, "floor_open_inode", 1, 0, 1 },
	{ "open-mark", W_OPEN, "floor_open_mark", 1, 0, 1 },
	{ "read-none", W_READ, "", 0, 0, 0 },
	{ "read-noop", W_READ, "floor_read", 0, 0, 0 },
	{ "connect-none", W_CONNECT, "", 0, 0, 0 },
	{ "connect-noop", W_CONNECT,
	  "floor_socket_create floor_socket_post_create floor_socket_setsockopt "
	  "floor_socket_connect floor_tcp_connect floor_socket_accept floor_inet_csk_clone "
	  "floor_sock_rcv_skb floor_sk_destruct",
	  0, 0, 0 },
};
#define NCONFIG	 (sizeof(configs) / sizeof(configs[0]))
#define MAXLINKS 16

static char kb[PATH_MAX]; /* kk-bench, next to this program */
static int hit_parts;	  /* --hit-parts: the configurations with .part too */

/* Attach the programs of c, named in c->progs; 0 or -errno (nothing left attached). */
static int attach(struct floor_bpf *skel, const struct config *c, struct bpf_link **links, int *n)
{
	char names[512], *save, *name;
	struct bpf_program *p;

	*n = 0;
	snprintf(names, sizeof(names), "%s", c->progs);
	for (name = strtok_r(names, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		p = bpf_object__find_program_by_name(skel->obj, name);
		links[*n] = p ? bpf_program__attach(p) : NULL;
		if (!links[*n]) {
			fprintf(stderr, "kk-floor: cannot attach %s\n", name);
			while (*n > 0)
				bpf_link__destroy(links[--*n]);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

/* kk-bench's arguments for c into args (paths: room for 100 paths). */
static void bench_args(const struct config *c, const char *dir, char *opsbuf, char *portbuf,
		       char (*paths)[PATH_MAX], char **args)
{
	int a = 0, i;

	args[a++] = kb;
	if (c->landlock) {
		args[a++] = "--landlock", args[a++] = "10", args[a++] = (char *)dir;
	}
	if (c->workload == W_OPEN) {
		args[a++] = "open", args[a++] = opsbuf;
		for (i = 0; i < 100; i++) {
			snprintf(paths[i], PATH_MAX, "%s/d%d/f%d", dir, i / 10, i % 10);
			args[a++] = paths[i];
		}
	} else if (c->workload == W_READ) {
		snprintf(paths[0], PATH_MAX, "%s/r", dir);
		args[a++] = "read", args[a++] = opsbuf, args[a++] = paths[0];
	} else {
		args[a++] = "connect", args[a++] = opsbuf, args[a++] = "127.0.0.1";
		args[a++] = portbuf;
	}
	args[a] = NULL;
}

/* Give the task of pid ("bound") its task storage: 0 or -errno. */
static int make_bound(struct floor_bpf *skel, pid_t pid)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), err = 0;
	__u64 zero = 0;

	if (pidfd < 0 ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.floor_task), &pidfd, &zero, BPF_ANY))
		err = -errno;
	if (pidfd >= 0)
		close(pidfd);
	if (err)
		fprintf(stderr, "kk-floor: task storage for %d: %s\n", pid, strerror(-err));
	return err;
}

/*
 * Run kk-bench for c and return its ns_per_op (negative on failure). A "task" configuration
 * gets task storage before kk-bench starts: the child waits on a pipe until the parent made it.
 */
static double measure(struct floor_bpf *skel, const struct config *c, const char *dir, long ops,
		      int port)
{
	char opsbuf[32], portbuf[16], line[512], *args[128], (*paths)[PATH_MAX];
	int go[2] = { -1, -1 }, out[2] = { -1, -1 }, st, i;
	double ns = -1;
	ssize_t len = 0;
	pid_t pid = -1;
	char *p;

	paths = calloc(100, PATH_MAX);
	if (!paths || pipe(go) || pipe(out))
		goto out;
	snprintf(opsbuf, sizeof(opsbuf), "%ld", c->workload == W_CONNECT ? ops / 10 : ops);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	bench_args(c, dir, opsbuf, portbuf, paths, args);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(out[0]);
		if (read(go[0], line, 1) != 1 || dup2(out[1], 1) < 0)
			_exit(126);
		execv(kb, args);
		_exit(127);
	}
	close(go[0]);
	close(out[1]);
	go[0] = out[1] = -1;
	if (pid > 0 && (!c->task || !make_bound(skel, pid)) && write(go[1], "g", 1) == 1)
		len = read(out[0], line, sizeof(line) - 1);
	close(go[1]); /* a child still waiting for "g" exits */
	go[1] = -1;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st) &&
	    len > 0 && (line[len] = 0, p = strstr(line, "\"ns_per_op\": ")))
		ns = strtod(p + 13, NULL);
out:
	for (i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	free(paths);
	return ns;
}

/* Program runs per connect of connect-noop's programs (bpf_stats on for this one run). */
static double runs_per_connect(struct floor_bpf *skel, long ops)
{
	const struct config *c = &configs[NCONFIG - 1];
	struct bpf_link *links[MAXLINKS];
	struct bpf_prog_info info;
	__u64 before = 0, after = 0;
	long connects = ops / 10;
	struct bpf_program *p;
	int stats, n, pass;
	__u32 size;

	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0 || attach(skel, c, links, &n))
		return -1;
	for (pass = 0; pass < 2; pass++) {
		bpf_object__for_each_program (p, skel->obj) {
			memset(&info, 0, sizeof(info));
			size = sizeof(info);
			if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &size))
				*(pass ? &after : &before) += info.run_cnt;
		}
		if (!pass && measure(skel, c, "/", ops, 18699) < 0)
			break;
	}
	while (n > 0)
		bpf_link__destroy(links[--n]);
	close(stats);
	/* kk-bench warms up with connects/20 + 1 before the timed ones. */
	return after > before ? (double)(after - before) / (connects + connects / 20 + 1) : -1;
}

/* Write "x\n" to path (made or truncated): 0 or -errno. */
static int put(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "x\n", 2) != 2)
		err = -EIO;
	close(fd);
	return err;
}

/* DIR (not its parents), DIR/d0..d9, each with f0..f9, and DIR/r. 0 or -errno. */
static int fixtures(const char *dir)
{
	char path[PATH_MAX];
	int d, f, err;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	for (d = 0; d < 10; d++) {
		snprintf(path, sizeof(path), "%s/d%d", dir, d);
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		for (f = 0; f < 10; f++) {
			snprintf(path, sizeof(path), "%s/d%d/f%d", dir, d, f);
			err = put(path);
			if (err)
				return err;
		}
	}
	snprintf(path, sizeof(path), "%s/r", dir);
	return put(path);
}

static long count(const char *opt, const char *s)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;

	if (!s || *end || v < 1 || v > 10000000) {
		fprintf(stderr, "kk-floor: %s %s: not a count (a whole number from 1)\n", opt,
			s ? s : "");
		exit(2);
	}
	return v;
}

/*
 * The revocation floor: a child spinning on pread() of DIR/r looks at a word of shared memory
 * after every read; n times, after a 1 ms pause (as kk-revlat's trials), this process stores a
 * new value there and waits until the child has seen it. From just before the store to the
 * child's first look: what any revocation takes here at least, as the bound reader must finish
 * its read and see a write made on another CPU (kk-revlat's kernel trial adds the hook's read
 * of the map). One JSON line of the samples, µs. 0, or -1 when the child stopped or hung.
 */
struct revshm {
	_Atomic uint64_t gen;	  /* the trial stored last; UINT64_MAX: stop */
	_Atomic uint64_t seen;	  /* the last one the child saw */
	_Atomic uint64_t seen_ns; /* when, CLOCK_MONOTONIC */
	_Atomic uint32_t ready;	  /* the child has read once: it is spinning */
};

static void reader(struct revshm *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t g, last = 0;
	char c;

	while (fd >= 0 && pread(fd, &c, 1, 0) == 1) {
		atomic_store(&s->ready, 1);
		g = atomic_load(&s->gen);
		if (g == last)
			continue;
		if (g == UINT64_MAX)
			_exit(0);
		atomic_store(&s->seen_ns, now_ns());
		atomic_store(&s->seen, g);
		last = g;
	}
	_exit(1);
}

static int revocation_floor(const char *dir, long n)
{
	struct revshm *s =
		mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t t, seen, i;
	char path[PATH_MAX];
	int st, err = 0;
	pid_t pid;

	if (s == MAP_FAILED)
		return -1;
	snprintf(path, sizeof(path), "%s/r", dir);
	pid = fork();
	if (pid == 0)
		reader(s, path);
	for (t = now_ns(); pid > 0 && !atomic_load(&s->ready) && !err;)
		err = now_ns() - t > 5000000000ULL || waitpid(pid, &st, WNOHANG);
	printf("{\"kind\": \"floor\", \"revocation_us\": [");
	for (i = 1; pid > 0 && i <= (uint64_t)n && !err; i++) {
		usleep(1000);
		t = now_ns();
		atomic_store(&s->gen, i);
		while (atomic_load(&s->seen) != i && !err)
			err = now_ns() - t > 5000000000ULL || waitpid(pid, &st, WNOHANG);
		seen = atomic_load(&s->seen_ns);
		if (!err)
			printf("%s%.3f", i > 1 ? ", " : "", seen > t ? (seen - t) / 1000.0 : 0.0);
	}
	printf("]}\n");
	fflush(stdout);
	atomic_store(&s->gen, UINT64_MAX);
	if (pid > 0 && err)
		kill(pid, SIGKILL);
	if (pid > 0 && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)))
		err = 1;
	munmap(s, sizeof(*s));
	return pid > 0 && !err ? 0 : -1;
}

/* reps repetitions of every configuration, each in a fresh random order: 0, or 1 on a failure. */
static int repetitions(struct floor_bpf *skel, const char *dir, long reps, long ops)
{
	struct bpf_link *links[MAXLINKS];
	int order[NCONFIG], i, j, t, n, nc, err, port = 18700;
	double ns;
	long r;

	for (r = 1; r <= reps; r++) {
		for (i = 0, nc = 0; i < (int)NCONFIG; i++)
			if (!configs[i].part || hit_parts)
				order[nc++] = i;
		for (i = nc - 1; i > 0; i--) { /* Fisher-Yates */
			j = rand() % (i + 1);
			t = order[i], order[i] = order[j], order[j] = t;
		}
		for (i = 0; i < nc; i++) {
			const struct config *c = &configs[order[i]];

			err = attach(skel, c, links, &n);
			ns = err ? -1 : measure(skel, c, dir, ops, port++);
			while (n > 0)
				bpf_link__destroy(links[--n]);
			if (ns < 0) {
				fprintf(stderr, "kk-floor: %s: the kk-bench run failed\n", c->name);
				return 1;
			}
			printf("{\"kind\": \"floor\", \"rep\": %ld, \"config\": \"%s\", "
			       "\"ns_per_op\": %.1f}\n",
			       r, c->name, ns);
			fflush(stdout);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	long reps = 10, ops = 20000, trials = 1000;
	struct floor_bpf *skel;
	const char *dir = NULL;
	int i, err;
	double runs;
	ssize_t len;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps"))
			reps = count("--reps", argv[++i]);
		else if (!strcmp(argv[i], "--ops"))
			ops = count("--ops", argv[++i]);
		else if (!strcmp(argv[i], "--trials"))
			trials = count("--trials", argv[++i]);
		else if (!strcmp(argv[i], "--hit-parts"))
			hit_parts = 1;
		else if (argv[i][0] == '-' || dir)
			break;
		else
			dir = argv[i];
	}
	if (i < argc || !dir) {
		fprintf(stderr,
			"usage: kk-floor [--reps N] [--ops N] [--trials N] [--hit-parts] DIR\n");
		return 2;
	}
	err = fixtures(dir);
	if (err) {
		fprintf(stderr, "kk-floor: cannot make the fixtures in %s: %s\n", dir,
			strerror(-err));
		return 1;
	}
	len = readlink("/proc/self/exe", kb, sizeof(kb) - 16);
	if (len <= 0 || !(kb[len] = 0, strrchr(kb, '/')))
		return 1;
	strcpy(strrchr(kb, '/') + 1, "kk-bench");
	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "kk-floor: cannot load floor.bpf.o: %s\n", strerror(errno));
		return errno == EPERM ? 3 : 1;
	}
	srand(time(NULL) ^ getpid());
	runs = runs_per_connect(skel, ops);
	if (runs < 0) {
		fprintf(stderr, "kk-floor: cannot count the program runs of a connect\n");
		err = 1;
	} else {
		printf("{\"kind\": \"floor\", \"runs_per_connect\": %.2f}\n", runs);
		err = repetitions(skel, dir, reps, ops);
	}
	floor_bpf__destroy(skel);
	if (!err && revocation_floor(dir, trials)) {
		fprintf(stderr, "kk-floor: the revocation floor's reader stopped or hung\n");
		err = 1;
	}
	return err ? 1 : 0;
}
