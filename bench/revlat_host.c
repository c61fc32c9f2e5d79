// SPDX-License-Identifier: GPL-2.0-only
/*
 * revlat_host — `kk-revlat host N [IDENTS]`: the revocation's userspace on a host without BPF
 * LSM. Creating BPF maps needs no LSM: in a private mount namespace (so no other process sees
 * them) a bpffs on /sys/fs/bpf gets this build's maps, made from the skeleton with no program
 * loaded, stamped as `load` stamps them; IDENTS identities fill kk_idents (the last one is
 * revoked) and one binding uses it. What is measured is then the code `revoke` runs, on maps
 * the kernel made, against this CPU; only the hooks that would read the state are missing.
 *   flip_us     `kakunin-bpf revoke --serial S --no-stop`: from before its fork to its write of
 *               the identity's state, seen by this process reading the slot in a loop
 *   total_us    the same to the command's exit (lock, events, /proc walk, state file)
 *   floor_us    fork + exec + exit of /bin/true, beside it
 *   start_us    fork + exec + exit of `kakunin-bpf --version`: the start of this very binary
 *               (its shared libraries), which flip_us pays before main()
 *   lean_flip_us, lean_total_us  the same two of `kakunin-revoke --serial S --no-stop`, the
 *               lean binary of the same command (user/main_revoke.c), in the same round
 *   lean_start_us  fork + exec + exit of `kakunin-revoke --help`: its start
 *   inproc_us   kk_revoke_flip called here: the map writes alone
 *   socket_us   the daemon (run here, in the namespace) asked on its control socket, one
 *               connection for all requests: from the send to the write seen here
 *   daemon_us   the daemon's own flip_us: from the request's arrival to its writes returning
 * After each trial the identity is made active and the entry taken off the list again.
 *
 * With two CPUs or more, this process (the reader) keeps the first CPU it may use, and every
 * process it starts (the daemon, each command, each start) the others. A writer sharing the
 * reader's CPU keeps it for the rest of its work after the write (the command's second flip,
 * events and state file; the daemon's second flip under the lock), and the reader, which yields
 * on every round, sees the write only when the scheduler lets it run again: on this 2-CPU host
 * the socket trials' p90 was 2.2 ms that way, 0.1 ms apart. "cpus" in the output says which.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi.h"
#include "error.h"
#include "identity.h"
#include "kakunin.skel.h"
#include "maps.h"
#include "maps_int.h"
#include "revlat.h"
#include "revoke.h"

struct host {
	struct kk_maps m;
	bool apart;		 /* false: one CPU, nothing pinned */
	cpu_set_t reader, others; /* this process's CPU; those of what it starts (cpus_apart) */
	char dir[64], serial[KK_SERIAL_HEX_SIZE];
	struct kk_ident_key key;
	uint32_t slot;
	pid_t daemon;
};

static int die(const char *what)
{
	fprintf(stderr, "kk-revlat: host: %s: %s\n", what, strerror(errno));
	return -1;
}

/* This build's maps, pinned where `load` pins them, without a program. */
static int make_maps(void)
{
	bool existed[KK_MAPS_PINNED];
	struct kk_config cfg = { 0 };
	struct kk_abi_stamp st = kk_abi_this();
	struct bpf_program *p;
	struct kakunin *skel;
	__u32 zero = 0;
	int err;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		return die("a private bpffs on /sys/fs/bpf");
	if (mkdir(KK_PIN_ROOT, 0700) || mkdir(PIN_MAPS, 0700))
		return die(PIN_MAPS);
	skel = kakunin__open();
	if (!skel)
		return die("the skeleton");
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	err = kk_maps_set_pins(skel, existed) ?: kakunin__load(skel);
	if (!err) {
		cfg.format = st.format;
		cfg.layout = st.layout;
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.kk_config), &zero, &cfg, BPF_ANY);
	}
	kakunin__destroy(skel);
	return err ? die("creating the maps") : 0;
}

/* idents identities, the last one h->serial in h->slot, and a binding of it. */
static int fill(struct host *h, int idents)
{
	struct kk_binding b = { .pid = (uint32_t)getpid() };
	struct kk_live live;
	struct kk_error e;
	char text[32];
	uint32_t slot, gen;
	int i;

	if (kk_maps_open_e(&h->m, &e)) {
		fprintf(stderr, "kk-revlat: host: %s: %s\n", e.what, e.why);
		return -1;
	}
	for (i = 0; i < idents; i++) {
		snprintf(text, sizeof(text), "7e57%06x", i);
		if (kk_serial_key(text, &h->key, h->serial) ||
		    kk_maps_ident_get(&h->m, &h->key, h->serial, &h->slot))
			return die("an identity");
	}
	b.ident = h->slot;
	snprintf(b.agent_id, sizeof(b.agent_id), "revlat");
	if (kk_maps_binding_add(&h->m, &b, &slot, &gen))
		return die("the binding");
	/* One live task, as the kernel would count it: the daemon must not reap the binding. */
	live = (struct kk_live){ .gen = gen, .tasks = 1 };
	return bpf_map_update_elem(h->m.fd[KK_MAP_LIVE], &slot, &live, BPF_ANY) ? die("kk_live")
										 : 0;
}

static bool revoked(struct host *h)
{
	struct kk_ident id;

	return !bpf_map_lookup_elem(h->m.fd[KK_MAP_IDENTS], &h->slot, &id) &&
	       id.state == KK_STATE_REVOKED;
}

/*
 * Spin until the slot reads REVOKED (at most 5 s): the time it did, or 0. Yielding each round:
 * on a busy host the process that writes must not wait behind this one. (Sleeping 20 µs
 * between reads instead, to leave the writer a core of its own, measured worse on this 2-core
 * host beside a test VM: p50 flip_us 7.5 ms against 5.2 ms, 3 × 500 trials each, alternated.)
 */
static uint64_t seen_revoked(struct host *h)
{
	uint64_t end = now_ns() + 5000000000ull, t;

	while ((t = now_ns()) < end) {
		if (revoked(h))
			return t;
		sched_yield();
	}
	return 0;
}

static void reset(struct host *h)
{
	kk_maps_ident_set_state(&h->m, h->slot, KK_STATE_ACTIVE);
	bpf_map_delete_elem(h->m.fd[KK_MAP_REVOKED], &h->key);
}

/* This process on the reader's CPU, or (started) on the others; 0 or -1. */
static int pin(const struct host *h, bool started)
{
	if (!h->apart)
		return 0;
	return sched_setaffinity(0, sizeof(cpu_set_t), started ? &h->others : &h->reader);
}

static void print_set(const cpu_set_t *set)
{
	const char *sep = "";
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set)) {
			printf("%s%d", sep, cpu);
			sep = ", ";
		}
}

/* "  \"cpus\": {\"reader\": N, \"started\": [N, ...]}," or null with one CPU. */
static void print_cpus(const struct host *h)
{
	if (!h->apart) {
		printf("  \"cpus\": null,\n");
		return;
	}
	printf("  \"cpus\": {\"reader\": ");
	print_set(&h->reader);
	printf(", \"started\": [");
	print_set(&h->others);
	printf("]},\n");
}

static pid_t spawn(const struct host *h, char *const argv[], const char *log)
{
	pid_t p = fork();

	if (p == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || pin(h, true))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	return p;
}

/*
 * One `revoke` run, of kakunin-bpf or with lean of kakunin-revoke: its flip and its total in
 * us; -1 when it failed.
 */
static int cli_trial(struct host *h, bool lean, double *flip, double *total)
{
	char *big[] = { "kakunin-bpf", "revoke", "--serial", h->serial, "--no-stop", NULL };
	char *small[] = { "kakunin-revoke", "--serial", h->serial, "--no-stop", NULL };
	char **argv = lean ? small : big;
	char log[96];
	uint64_t t0 = now_ns(), t1;
	int st;
	pid_t p;

	snprintf(log, sizeof(log), "%s/revoke.log", h->dir);
	p = spawn(h, argv, log);
	t1 = p > 0 ? seen_revoked(h) : 0;
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) || !t1)
		return -1;
	*total = (double)(now_ns() - t0) / 1000.0;
	*flip = (double)(t1 - t0) / 1000.0;
	return 0;
}

/* A start of kakunin-bpf (--version) or, with lean, of kakunin-revoke (--help). */
static int start_trial(struct host *h, bool lean, double *us)
{
	char *big[] = { "kakunin-bpf", "--version", NULL };
	char *small[] = { "kakunin-revoke", "--help", NULL };
	char **argv = lean ? small : big;
	uint64_t t0 = now_ns();
	char log[96];
	int st;
	pid_t p;

	snprintf(log, sizeof(log), "%s/version.log", h->dir);
	p = spawn(h, argv, log);
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	*us = (double)(now_ns() - t0) / 1000.0;
	return 0;
}

static int inproc_trial(struct host *h, double *us)
{
	struct kk_revoke_req r = { .key = h->key, .source = KK_REV_CLI };
	bool flipped[KK_MAX_IDENTS] = { false };
	struct kk_error e;
	uint64_t t = now_ns();
	int n;

	if (kk_revoke_flip(&h->m, &r, NULL, flipped, &n, &e) || n != 1)
		return -1;
	*us = (double)(now_ns() - t) / 1000.0;
	return 0;
}

/* The daemon in this namespace, its sockets and state in h->dir: the control fd, or -1. */
static int start_daemon(struct host *h)
{
	char cfg[96], sock[96], log[96];
	char *argv[] = { "kakunin-bpf", "daemon", "--config", cfg, NULL };
	FILE *f;
	int i, st, fd = -1;

	snprintf(cfg, sizeof(cfg), "%s/daemon.json", h->dir);
	snprintf(sock, sizeof(sock), "%s/control.sock", h->dir);
	snprintf(log, sizeof(log), "%s/daemon.log", h->dir);
	f = fopen(cfg, "w");
	if (!f)
		return -1;
	fprintf(f, "{\"audit_file\": \"%s/audit.jsonl\", \"socket\": \"%s/ev.sock\"}\n", h->dir,
		h->dir);
	fclose(f);
	h->daemon = spawn(h, argv, log);
	for (i = 0; i < 500 && h->daemon > 0 && (fd = ctl_connect(sock)) < 0; i++) {
		if (waitpid(h->daemon, &st, WNOHANG) == h->daemon) {
			h->daemon = -1;
			fprintf(stderr,
				"kk-revlat: host: the daemon exited with %d before it made its "
				"control socket; is kakunin-bpf in PATH? (see %s)\n",
				WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), log);
			return -1;
		}
		usleep(10000);
	}
	if (fd < 0 && h->daemon > 0) {
		kill(h->daemon, SIGTERM);
		waitpid(h->daemon, NULL, 0);
		h->daemon = -1;
	}
	if (fd < 0)
		fprintf(stderr, "kk-revlat: host: no daemon control socket (see %s)\n", log);
	return fd;
}

static int socket_trial(struct host *h, int ctl, double *us, double *daemon_us)
{
	uint64_t t0 = now_ns(), t1;

	if (ctl_send(ctl, h->serial, "keep"))
		return -1;
	t1 = seen_revoked(h);
	if (ctl_answer(ctl, daemon_us) || !t1)
		return -1;
	*us = (double)(t1 - t0) / 1000.0;
	return 0;
}

/* The samples, then {"p50":, "p99":, "min":, "max":} of them under name_stats. */
static void report(const char *name, double *v, int n, bool last)
{
	double *c = malloc((n ?: 1) * sizeof(*c));

	print_samples(name, v, n, false);
	if (!c || !n) {
		printf("  \"%s_stats\": null%s\n", name, last ? "" : ",");
		free(c);
		return;
	}
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp);
	printf("  \"%s_stats\": {\"n\": %d, \"min\": %.1f, \"p50\": %.1f, \"p90\": %.1f, "
	       "\"p99\": %.1f, \"max\": %.1f}%s\n", name, n, c[0], c[n / 2], c[n * 9 / 10],
	       c[n * 99 / 100], c[n - 1], last ? "" : ",");
	free(c);
}

int host_sandbox(int idents, char **argv)
{
	struct host h = { .daemon = -1 };
	char cmd[96];
	int st;
	pid_t p;

	snprintf(h.dir, sizeof(h.dir), "/tmp/kk-revlat.XXXXXX");
	if (idents < 1 || idents > KK_MAX_IDENTS || !mkdtemp(h.dir))
		return 2;
	if (make_maps() || fill(&h, idents))
		return 1;
	kk_maps_close(&h.m);
	setenv("KAKUNIN_STATE_DIR", h.dir, 1);
	setenv("KK_SERIAL", h.serial, 1);
	p = fork();
	if (p == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		return 1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h.dir);
	if (system(cmd))
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* kakunin-revoke's round: its flip and total (v[7], v[8]) and its start (v[9]). */
static int lean_round(struct host *h, double **v, int *cnt)
{
	int rc = 0;

	if (!cli_trial(h, true, &v[7][cnt[7]], &v[8][cnt[8]]))
		cnt[7]++, cnt[8]++;
	else
		rc = 1;
	reset(h);
	cnt[9] += !start_trial(h, true, &v[9][cnt[9]]);
	return rc;
}

int host_measure(int n, int idents)
{
	double *v[10];
	int cnt[10] = { 0 }, i, j, ctl, rc = 0;
	struct host h = { .daemon = -1 };
	char cmd[96];

	snprintf(h.dir, sizeof(h.dir), "/tmp/kk-revlat.XXXXXX");
	if (idents < 1 || idents > KK_MAX_IDENTS || !mkdtemp(h.dir))
		return 2;
	setenv("KAKUNIN_STATE_DIR", h.dir, 1);
	for (j = 0; j < 10; j++)
		if (!(v[j] = calloc(n, sizeof(double))))
			return 1;
	h.apart = !cpus_apart(&h.reader, &h.others);
	if (make_maps() || fill(&h, idents))
		return 1;
	if (pin(&h, false))
		return die("sched_setaffinity"), 1;
	ctl = start_daemon(&h);
	if (ctl < 0)
		return 1; /* said why; its log stays in h.dir */
	for (i = 0; i < n && !rc; i++) {
		if (!cli_trial(&h, false, &v[0][cnt[0]], &v[1][cnt[1]]))
			cnt[0]++, cnt[1]++;
		else
			rc = 1;
		reset(&h);
		rc = lean_round(&h, v, cnt) ?: rc;
		v[2][cnt[2]] = floor_us();
		cnt[2] += v[2][cnt[2]] >= 0;
		cnt[6] += !start_trial(&h, false, &v[6][cnt[6]]);
		cnt[3] += !inproc_trial(&h, &v[3][cnt[3]]);
		reset(&h);
		if (!socket_trial(&h, ctl, &v[4][cnt[4]], &v[5][cnt[5]]))
			cnt[4]++, cnt[5]++;
		else
			rc = 1;
		reset(&h);
	}
	printf("{\n  \"idents\": %d,\n", idents);
	print_cpus(&h);
	report("flip_us", v[0], cnt[0], false);
	report("total_us", v[1], cnt[1], false);
	report("floor_us", v[2], cnt[2], false);
	report("start_us", v[6], cnt[6], false);
	report("lean_flip_us", v[7], cnt[7], false);
	report("lean_total_us", v[8], cnt[8], false);
	report("lean_start_us", v[9], cnt[9], false);
	report("inproc_us", v[3], cnt[3], false);
	report("socket_us", v[4], cnt[4], false);
	report("daemon_us", v[5], cnt[5], true);
	printf("}\n");
	if (h.daemon > 0) {
		kill(h.daemon, SIGTERM);
		waitpid(h.daemon, NULL, 0);
	}
	if (rc) {
		fprintf(stderr, "kk-revlat: host: a trial failed (see %s)\n", h.dir);
		return rc;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h.dir);
	return system(cmd) ? 1 : 0;
}
