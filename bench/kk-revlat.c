// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-revlat — how fast a revocation bites: the time from the revocation to the first EACCES a
 * bound process spinning on pread() of an open file sees.
 *
 *   kk-revlat spin PATH SHM          the bound side: opens PATH once, then pread()s one byte
 *                                    of it in a loop (file_permission checks the binding's
 *                                    state on every read: a loop of a few µs, where open()
 *                                    took tens); records in the shared file SHM when each
 *                                    EACCES streak starts
 *   kk-revlat measure SHM SERIAL N [NC [SECONDS]]  the unbound side, N trials of kernel, then
 *                                    NC (default N) of e2e and floor; with SECONDS, no new
 *                                    trial after that long (the JSON says "cut_short" and the
 *                                    counts say how many ran):
 *     kernel  the identity's state is written straight into the pinned kk_idents map
 *             (what `revoke` does): from that bpf() call returning to the first EACCES;
 *     e2e     `kakunin-bpf revoke --serial` run as a command: from just before its fork to
 *             the first EACCES;
 *     floor   fork + exec of /bin/true + wait, the same way: what starting any command costs
 *             on this machine, the part of e2e no `revoke` can save.
 *   After each trial the identity is made active again (and, for e2e, taken off the list), so
 *   one binding serves every trial. Prints JSON with every sample in microseconds.
 *   --socket PATH (last) adds socket_us, in the NC command trials: the revocation asked of the
 *   daemon's control socket (one connection kept open, as its callers do): from the send to
 *   the first EACCES.
 *
 *   kk-revlat host N [IDENTS]        everything but the kernel, on any host that can create BPF
 *                                    maps (no BPF LSM needed): in a private mount namespace, a
 *                                    bpffs on /sys/fs/bpf holds this build's maps, created from
 *                                    the skeleton without loading a program, IDENTS identities
 *                                    (default 1024, a full table) and one binding. N trials of
 *     flip    `kakunin-bpf revoke --serial --no-stop` from just before its fork to its write of
 *             the identity's state, seen by this process polling the map;
 *     total   the same to the command's exit (list saved, /proc walked);
 *     floor   fork + exec + exit of /bin/true;
 *     lean_*  flip, total and start of kakunin-revoke, the lean binary of the same command.
 *   kk-revlat sandbox IDENTS CMD...  the same maps, then CMD in their namespace (for tests).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <bpf/bpf.h>

#include "kakunin.h"
#include "revlat.h"

struct shm {
	_Atomic uint64_t denied_at; /* CLOCK_MONOTONIC ns of the first EACCES of a streak */
	_Atomic uint32_t allowed;   /* the spinner has seen an allowed open since the reset */
	_Atomic uint32_t stop;
};

static struct shm *map_shm(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	void *p;

	if (fd < 0 || ftruncate(fd, 4096))
		return NULL;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Memory writes are no system calls: they still work once every syscall is refused. */
static int spin(const char *path, struct shm *s)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool in_streak = false;
	char c;

	if (fd < 0) {
		fprintf(stderr, "kk-revlat: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (!atomic_load(&s->stop)) {
		if (pread(fd, &c, 1, 0) >= 0) {
			in_streak = false;
			atomic_store(&s->allowed, 1);
		} else if (errno == EACCES && !in_streak) {
			in_streak = true;
			atomic_store(&s->denied_at, now_ns());
		}
	}
	return 0;
}

/* Serials compare as hex digits: case, colons, "0x" and leading zeros do not matter. */
static void norm_serial(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (!strncasecmp(in, "0x", 2))
		in += 2;
	for (; *in && o + 1 < len; in++)
		if (*in != ':' && (o || *in != '0'))
			out[o++] = (char)tolower((unsigned char)*in);
	out[o] = '\0';
}

static int ident_slot(const char *serial, int fd, uint32_t *slot, struct kk_ident *id)
{
	char want[64], have[64];

	norm_serial(serial, want, sizeof(want));
	for (*slot = 0; *slot < KK_MAX_IDENTS; (*slot)++) {
		if (bpf_map_lookup_elem(fd, slot, id) || !id->refs)
			continue;
		id->serial[sizeof(id->serial) - 1] = '\0';
		norm_serial(id->serial, have, sizeof(have));
		if (!strcmp(have, want))
			return 0;
	}
	return -ENOENT;
}

/* Take the certificate off the kernel's revocation list again (whatever issuer it was
 * revoked under), so that the next trial starts from an active binding. */
static void unrevoke(int fd, const struct kk_ident_key *key)
{
	struct kk_ident_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (next.serial_len == key->serial_len &&
		    !memcmp(next.serial, key->serial, key->serial_len)) {
			bpf_map_delete_elem(fd, &next);
			prev = NULL; /* deleting invalidates the walk: start over */
		}
	}
}

static int set_state(int fd, uint32_t slot, uint32_t state)
{
	struct kk_ident id;

	if (bpf_map_lookup_elem(fd, &slot, &id))
		return -errno;
	id.state = state;
	return bpf_map_update_elem(fd, &slot, &id, BPF_ANY) ? -errno : 0;
}

/* Wait until the spinner saw an allowed open again, and clear the last streak. */
static int rearm(struct shm *s)
{
	int i;

	atomic_store(&s->allowed, 0);
	atomic_store(&s->denied_at, 0);
	for (i = 0; i < 5000 && !atomic_load(&s->allowed); i++)
		usleep(1000);
	return atomic_load(&s->allowed) ? 0 : -ETIMEDOUT;
}

static int64_t wait_denied(struct shm *s, uint64_t since)
{
	int i;

	for (i = 0; i < 500000 && !atomic_load(&s->denied_at); i++)
		;
	for (i = 0; i < 5000 && !atomic_load(&s->denied_at); i++)
		usleep(1000);
	if (!atomic_load(&s->denied_at))
		return -1;
	/* The spinner, on another CPU, may see EACCES before this CPU read the clock after the
	 * update returned: that is a latency of zero, not a lost sample. */
	return atomic_load(&s->denied_at) > since ? (int64_t)(atomic_load(&s->denied_at) - since) : 0;
}

/* fork, exec and exit of /bin/true, in microseconds: what every command pays first. */
double floor_us(void)
{
	uint64_t t = now_ns();
	pid_t p = fork();
	int st;

	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return (double)(now_ns() - t) / 1000.0;
}

int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	return fd;
}

int ctl_send(int fd, const char *serial, const char *tasks)
{
	char req[256];
	int n = snprintf(req, sizeof(req),
			 "{\"revoke\": {\"serial\": \"%s\", \"tasks\": \"%s\"}}\n", serial, tasks);

	return send(fd, req, n, MSG_NOSIGNAL) == n ? 0 : -1;
}

int ctl_answer(int fd, double *flip_us)
{
	char buf[1024], *p;
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[n] = '\0';
	p = strstr(buf, "\"flip_us\":");
	if (!p) {
		fprintf(stderr, "kk-revlat: the daemon answered: %s", buf);
		return -1;
	}
	*flip_us = strtod(p + 10, NULL);
	return 0;
}

static int revoke_cmd(const char *serial)
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		/* Its "revoked ..." line would end up in our JSON. --no-stop: the spinning
		 * process must run on to meet its first EACCES. */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp("kakunin-bpf", "kakunin-bpf", "revoke", "--serial", serial, "--no-stop",
		       (char *)NULL);
		_exit(127);
	}
	return p > 0 && waitpid(p, &st, 0) > 0 && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

void print_samples(const char *name, const double *v, int n, bool last)
{
	int i;

	printf("  \"%s\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : "", v[i]);
	printf("]%s\n", last ? "" : ",");
}

/* One revocation asked of the daemon on ctl: from the send to the first EACCES, in us. */
static int64_t socket_trial(struct shm *s, int ctl, const char *serial)
{
	uint64_t t = now_ns();
	double flip;
	int64_t d;

	if (ctl_send(ctl, serial, "keep"))
		return -1;
	/* The answer comes after the /proc walk; the denial is what counts, not the answer. */
	d = wait_denied(s, t);
	return ctl_answer(ctl, &flip) ? -1 : d;
}

static int measure(struct shm *s, const char *serial, int n, int nc, double secs,
		   const char *sock)
{
	uint64_t deadline = secs > 0 ? now_ns() + (uint64_t)(secs * 1e9) : UINT64_MAX;
	bool cut = false;
	int idents = bpf_obj_get(KK_PIN_ROOT "/maps/kk_idents");
	int revoked = bpf_obj_get(KK_PIN_ROOT "/maps/kk_revoked");
	double *k = calloc(n, sizeof(double)), *e = calloc(n, sizeof(double));
	double *f = calloc(n, sizeof(double)), *c = calloc(n, sizeof(double));
	int ctl = sock ? ctl_connect(sock) : -1;
	int i, nk = 0, ne = 0, nf = 0, ns = 0;
	bool fail = false;
	struct kk_ident id;
	uint64_t t;
	int64_t d;
	uint32_t slot;

	if (idents < 0 || revoked < 0 || !k || !e || !f || !c ||
	    ident_slot(serial, idents, &slot, &id)) {
		fprintf(stderr, "kk-revlat: no bound identity with serial %s\n", serial);
		return 1;
	}
	if (sock && ctl < 0) {
		fprintf(stderr, "kk-revlat: cannot connect to %s: %s\n", sock, strerror(errno));
		return 1;
	}
	/*
	 * The kernel trials first, alone: one that follows a command trial (a revoke and a
	 * /bin/true just run) took 22-31 us at p50 instead of 6 (the VM: revlat-host.md).
	 */
	for (i = 0; i < n && !fail && !(cut = now_ns() > deadline); i++) {
		if ((fail = rearm(s)))
			break;
		set_state(idents, slot, KK_STATE_REVOKED);
		t = now_ns(); /* the map update has returned */
		d = wait_denied(s, t);
		set_state(idents, slot, KK_STATE_ACTIVE);
		if (d >= 0)
			k[nk++] = d / 1000.0;
	}
	for (i = 0; i < nc && !fail && !cut && !(cut = now_ns() > deadline); i++) {
		if ((fail = rearm(s)))
			break;
		t = now_ns();
		if ((fail = revoke_cmd(serial)))
			break;
		d = wait_denied(s, t);
		unrevoke(revoked, &id.key);
		set_state(idents, slot, KK_STATE_ACTIVE);
		if (d >= 0)
			e[ne++] = d / 1000.0;
		f[nf] = floor_us();
		if ((fail = f[nf] < 0))
			break;
		nf++;
		if (ctl < 0 || rearm(s))
			continue;
		d = socket_trial(s, ctl, serial);
		unrevoke(revoked, &id.key);
		set_state(idents, slot, KK_STATE_ACTIVE);
		if ((fail = d < 0))
			break;
		c[ns++] = d / 1000.0;
	}
	atomic_store(&s->stop, 1);
	printf("{\n");
	print_samples("kernel_us", k, nk, false);
	print_samples("e2e_us", e, ne, false);
	if (ctl >= 0)
		print_samples("socket_us", c, ns, false);
	print_samples("floor_us", f, nf, false);
	printf("  \"cut_short\": %s\n}\n", cut ? "true" : "false");
	if (ctl >= 0 && ns != nf)
		return 1;
	if (cut)
		return nk > 0 && ne == nf ? 0 : 1;
	return nk == n && ne == nc && nf == nc ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *sock = argc >= 7 && !strcmp(argv[argc - 2], "--socket") ? argv[argc - 1] : NULL;
	int margc = sock ? argc - 2 : argc;
	bool sp = argc == 4 && !strcmp(argv[1], "spin");
	bool me = margc >= 5 && margc <= 7 && !strcmp(argv[1], "measure") && atoi(argv[4]) > 0;
	/* the shared page only once the arguments are right: a typo creates no file */
	struct shm *s = sp || me ? map_shm(argv[sp ? 3 : 2]) : NULL;

	if (sp && s)
		return spin(argv[2], s);
	if (me && s) {
		int n = atoi(argv[4]), nc = margc >= 6 ? atoi(argv[5]) : n;

		return measure(s, argv[3], n, nc < 0 ? 0 : nc > n ? n : nc,
			       margc == 7 ? atof(argv[6]) : 0, sock);
	}
	if (argc > 3 && !strcmp(argv[1], "sandbox"))
		return host_sandbox(atoi(argv[2]), argv + 3);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "host") && atoi(argv[2]) > 0)
		return host_measure(atoi(argv[2]), argc == 4 ? atoi(argv[3]) : KK_MAX_IDENTS);
	fprintf(stderr, "usage: kk-revlat spin PATH SHM\n"
			"       kk-revlat measure SHM SERIAL N [NC [SECONDS]] [--socket CONTROL_SOCKET]\n"
			"       kk-revlat host N [IDENTS]\n"
			"       kk-revlat sandbox IDENTS CMD [ARGS...]\n");
	return 2;
}
