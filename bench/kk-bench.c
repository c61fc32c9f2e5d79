// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-bench — the benchmark driver: one workload in a tight loop, timed with CLOCK_MONOTONIC,
 * printed as one JSON object {"workload", "iterations", "ns_per_op", "errors"}.
 *
 *   kk-bench [--landlock N DIR] [--threads T] [--rate R] SEGMENT [-- SEGMENT ...]
 *   SEGMENT: [--json 'MEMBERS'] WORKLOAD ITERATIONS ARG...
 *     open PATH...         open(O_RDONLY) + close of allowed files, cycling through the PATHs
 *     open-denied PATH...  open(O_RDONLY) that is refused (counts EACCES as expected)
 *     connect ADDR PORT    TCP connect() to a loopback listener this process runs, + close
 *     forkexec PATH        fork + exec PATH (e.g. /bin/true) + wait
 *     read PATH            pread() of one byte of PATH, opened once per thread (one open, then
 *                          every iteration is a read: file_permission's cost)
 *
 * Segments run one after the other in this one process (one restriction, one binding, one
 * process start for all of them), each with its own warm-up and its own JSON line; --json adds
 * MEMBERS (e.g. '"fs": "tmpfs"') to that line as they are.
 *
 * --landlock N DIR first restricts this process with Landlock (the kernel's own sandbox, raw
 * syscalls): read access beneath N directories DIR/d0 .. DIR/dN-1 (the workload's file is in
 * DIR/d0), read+execute beneath /usr and /lib*, nothing else — the rule set that matches the
 * N-rule kakunin-bpf policy of bench/run.sh. Landlock on 6.1 has no network rules.
 *
 * --threads T runs the loop in T threads at once (ITERATIONS each; the audit throughput bench
 * uses two producers), --rate R paces all threads together to R operations per second.
 * ns_per_op is wall time over all operations of all threads; the single-threaded warm-up
 * before them (ITERATIONS/20 + 1) is reported apart ("warmup", "warmup_eacces").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lat.h"

static int add_beneath(int rs, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int err;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return errno == ENOENT ? 0 : -errno; /* /lib64 may not exist */
	err = syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) ? -errno : 0;
	close(pb.parent_fd);
	return err;
}

static int landlock(int n, const char *dir)
{
	const uint64_t rd = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
				     LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
				     LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
				     LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
				     LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
				     LANDLOCK_ACCESS_FS_MAKE_SYM,
	};
	const char *sys[] = { "/usr", "/lib", "/lib64", "/etc" };
	char path[4096];
	int rs, i, err = 0;

	rs = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		return -errno;
	for (i = 0; !err && i < n; i++) {
		snprintf(path, sizeof(path), "%s/d%d", dir, i);
		err = add_beneath(rs, path, rd);
	}
	for (i = 0; !err && i < 4; i++)
		err = add_beneath(rs, sys[i], rd | LANDLOCK_ACCESS_FS_EXECUTE);
	if (!err && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		     syscall(SYS_landlock_restrict_self, rs, 0)))
		err = -errno;
	close(rs);
	return err;
}

static void *acceptor(void *arg)
{
	int fd = *(int *)arg;

	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
	return NULL;
}

/* Listen on ADDR:PORT in a thread of our own, accepting and closing forever. */
static int listener(const char *addr, int port)
{
	static int fd = -1;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	pthread_t t;
	int one = 1;

	if (fd >= 0) /* a second connect segment: the first one's listener serves it */
		return 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 4096))
		return -errno;
	return pthread_create(&t, NULL, acceptor, &fd) ? -1 : 0;
}

static double rate_per_thread; /* 0: as fast as possible */
static _Atomic long refused;   /* operations that failed with EACCES */

/* Sleep until operation i of this thread is due at the paced rate. */
static void pace(long i, uint64_t t0)
{
	uint64_t due = t0 + (uint64_t)(i / rate_per_thread * 1e9), t = now_ns();

	if (due > t + 50000) {
		struct timespec ts = { .tv_sec = (due - t) / 1000000000ULL,
				       .tv_nsec = (due - t) % 1000000000ULL };

		nanosleep(&ts, NULL);
	}
}

static long run(const char *w, long n, char **arg, int narg, long *errors)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	uint64_t t0 = now_ns();
	int rfd = -1;
	long i;

	if (!strcmp(w, "read") && (rfd = open(arg[0], O_RDONLY | O_CLOEXEC)) < 0) {
		*errors += n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		int fd, st;
		pid_t p;

		if (rate_per_thread > 0 && !(i % 16))
			pace(i, t0);

		if (!strcmp(w, "open") || !strcmp(w, "open-denied")) {
			fd = open(arg[i % narg], O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
			else if (errno == EACCES)
				refused++;
			/* Without enforcement (baseline) the "denied" file opens: not an error. */
			*errors += fd < 0 && (strcmp(w, "open-denied") || errno != EACCES);
		} else if (!strcmp(w, "connect")) {
			sin.sin_port = htons(atoi(arg[1]));
			inet_pton(AF_INET, arg[0], &sin.sin_addr);
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			/* Close with a reset: no TIME_WAIT, so the ephemeral ports never run out. */
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
			*errors += connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0;
			close(fd);
		} else if (!strcmp(w, "forkexec")) {
			p = fork();
			if (p == 0) {
				execl(arg[0], arg[0], (char *)NULL);
				_exit(127);
			}
			*errors += p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st) ||
				   WEXITSTATUS(st);
		} else if (rfd >= 0) {
			char c;

			*errors += pread(rfd, &c, 1, 0) != 1;
		} else {
			return -1;
		}
	}
	if (rfd >= 0)
		close(rfd);
	return 0;
}

struct worker {
	pthread_t tid;
	const char *w;
	char **arg;
	int narg;
	long n, errors;
};

static void *worker(void *arg)
{
	struct worker *wk = arg;

	run(wk->w, wk->n, wk->arg, wk->narg, &wk->errors);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: kk-bench [--landlock N DIR] [--threads T] [--rate R] [--json M] "
			"WORKLOAD ITERATIONS ARG... [-- [--json M] WORKLOAD ITERATIONS ARG...]...\n"
			"  open PATH... | open-denied PATH... | connect ADDR PORT | forkexec PATH | read PATH\n");
	return 2;
}

static int threads = 1;

/* One segment: WORKLOAD ITERATIONS ARG... (argc words), its JSON line; -1 on a usage error. */
static int segment(int argc, char **argv, const char *json)
{
	struct worker wk[16] = { 0 };
	long n = argc < 3 ? 0 : atol(argv[1]), errors = 0, warm_refused;
	const char *w = argv[0];
	uint64_t t0, t1;
	int i;

	if (n <= 0 || (strcmp(w, "open") && strcmp(w, "open-denied") && strcmp(w, "connect") &&
		       strcmp(w, "forkexec") && strcmp(w, "read")))
		return -1;
	if (!strcmp(w, "connect") && (argc < 4 || listener(argv[2], atoi(argv[3])))) {
		fprintf(stderr, "kk-bench: cannot listen on %s:%s\n", argv[2], argc > 3 ? argv[3] : "");
		return 1;
	}
	/* A short warm-up: page cache, dentry cache, the first TCP handshake. */
	run(w, n / 20 + 1, argv + 2, argc - 2, &errors);
	warm_refused = refused; /* denials the audit bench must count as produced too */
	refused = 0;
	t0 = now_ns();
	for (i = 0; i < threads; i++) {
		wk[i] = (struct worker){ .w = w, .arg = argv + 2, .narg = argc - 2, .n = n };
		if (pthread_create(&wk[i].tid, NULL, worker, &wk[i]))
			return 1;
	}
	for (i = 0, errors = 0; i < threads; i++) {
		pthread_join(wk[i].tid, NULL);
		errors += wk[i].errors;
	}
	t1 = now_ns();
	printf("{\"workload\": \"%s\", \"threads\": %d, \"iterations\": %ld, "
	       "\"ns_per_op\": %.1f, \"errors\": %ld, \"eacces\": %ld, \"warmup\": %ld, "
	       "\"warmup_eacces\": %ld%s%s}\n",
	       w, threads, n * threads, (double)(t1 - t0) / ((double)n * threads), errors,
	       (long)refused, n / 20 + 1, warm_refused, json ? ", " : "", json ? json : "");
	fflush(stdout);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	int err, i, end, rc = 0, r;
	const char *json;

	for (argv++, argc--;;) {
		if (argc > 2 && !strcmp(argv[0], "--landlock")) {
			err = landlock(atoi(argv[1]), argv[2]);
			if (err) {
				fprintf(stderr, "kk-bench: landlock: %s\n", strerror(-err));
				return 1;
			}
			argv += 3, argc -= 3;
		} else if (argc > 1 && !strcmp(argv[0], "--threads")) {
			threads = atoi(argv[1]);
			argv += 2, argc -= 2;
		} else if (argc > 1 && !strcmp(argv[0], "--rate")) {
			rate_per_thread = atof(argv[1]);
			argv += 2, argc -= 2;
		} else {
			break;
		}
	}
	if (threads < 1 || threads > 16 || rate_per_thread < 0 || argc < 1)
		return usage();
	rate_per_thread /= threads;
	while (argc > 0) {
		json = NULL;
		if (argc > 1 && !strcmp(argv[0], "--json")) {
			json = argv[1];
			argv += 2, argc -= 2;
		}
		for (end = 0; end < argc && strcmp(argv[end], "--"); end++)
			;
		r = segment(end, argv, json);
		if (r < 0)
			return usage();
		rc |= r;
		i = end < argc ? end + 1 : end;
		argv += i, argc -= i;
	}
	return rc;
}
