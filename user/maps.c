// SPDX-License-Identifier: GPL-2.0-only
/* maps — load/attach/pin, and every write to a BPF map (see maps.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "abi.h"
#include "error.h"
#include "hooks.h"
#include "kakunin.skel.h"
#include "log.h"
#include "maps.h"
#include "maps_int.h"

/*
 * Maps that carry state and are pinned: enum kk_map_id order, which commands open, then the
 * state only the programs use, pinned so that load --upgrade keeps it (kk_socks: a bound
 * agent's sockets, its listeners among them; kk_objs: the IPC objects it made; kk_files: files
 * already decided; kk_tcp_pending: TCP handshakes being attested; kk_stdio: descriptors 0-2
 * handed over at a bind; kk_ctl: switches the loader sets). kk_scratch is per-load
 * scratch.
 */
const char *const kk_maps_pinned_names[KK_MAPS_PINNED] = {
	[KK_MAP_TASK] = "kk_task",	     [KK_MAP_BINDINGS] = "kk_bindings",
	[KK_MAP_IDENTS] = "kk_idents",	     [KK_MAP_POLICIES] = "kk_policies",
	[KK_MAP_RUNTIME] = "kk_runtime",     [KK_MAP_PATHS] = "kk_paths",
	[KK_MAP_NET_ALLOW] = "kk_net_allow", [KK_MAP_NET_DENY] = "kk_net_deny",
	[KK_MAP_NET_LISTEN] = "kk_net_listen",
	[KK_MAP_EXEC] = "kk_exec",	     [KK_MAP_CONNS] = "kk_conns",
	[KK_MAP_CONFIG] = "kk_config",	     [KK_MAP_EVENTS] = "kk_events",
	[KK_MAP_STATS] = "kk_stats",	     [KK_MAP_COUNTS] = "kk_counts",
	[KK_MAP_PENDING] = "kk_pending",     [KK_MAP_CGROUPS] = "kk_cgroups",
	[KK_MAP_BINDREQ] = "kk_bindreq",     [KK_MAP_LIVE] = "kk_live",
	[KK_MAP_REVOKED] = "kk_revoked",     [KK_MAP_PEERS] = "kk_peers",
	[KK_MAP_PCACHE_CTL] = "kk_pcache_ctl",
	[KK_MAP_COUNT] = "kk_socks",	     "kk_objs", "kk_files", "kk_tcp_pending", "kk_stdio",
	[KK_MAPS_PINNED_CTL] = "kk_ctl",
};
#define N_PINNED_MAPS KK_MAP_COUNT
#define pinned_maps   kk_maps_pinned_names /* the short name used below */

static void pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int open_pin(const char *name)
{
	char path[PATH_MAX];

	pin_path(path, sizeof(path), PIN_MAPS, name);
	return bpf_obj_get(path);
}

int kk_maps_check_bpffs(struct kk_error *e)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) != 0 || st.f_type != BPF_FS_MAGIC)
		return kk_error_set(e, -ENOENT, "/sys/fs/bpf", "not a mounted bpf filesystem "
				    "(mount -t bpf bpf /sys/fs/bpf), so nothing can be pinned");
	return 0;
}

int kk_maps_mkdir(const char *dir, struct kk_error *e)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return kk_error_set(e, -errno, dir, "cannot create: %s", strerror(errno));
	return 0;
}

/*
 * Programs attached to a hook. The syscall program kk_emit and the task iterator kk_bind_iter
 * are only pinned, and run on demand.
 */
bool kk_maps_attached(const struct bpf_program *prog)
{
	return bpf_program__type(prog) != BPF_PROG_TYPE_SYSCALL &&
	       bpf_program__expected_attach_type(prog) != BPF_TRACE_ITER;
}

const char *kk_maps_link_dir(const struct bpf_program *prog)
{
	return bpf_program__type(prog) == BPF_PROG_TYPE_LSM ? PIN_LINKS : PIN_TRACE_LINKS;
}

/*
 * Not every kernel builds every hook (file_ioctl_compat is a 6.1 stable backport, watch_key
 * needs CONFIG_WATCH_QUEUE): a program whose bpf_lsm_<hook> is not in the running kernel's BTF
 * would fail the whole load, so it is not loaded. One object then loads on every kernel; the
 * hook does not exist there, so there is nothing to mediate.
 */
int kk_maps_skip_absent_hooks(struct kakunin *skel, struct kk_error *e)
{
	struct bpf_program *prog;
	struct btf *btf;
	int err = 0;

	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = -errno;
		return kk_error_set(e, err, "/sys/kernel/btf/vmlinux",
				    "cannot read the kernel's BTF: %s", strerror(-err));
	}
	bpf_object__for_each_program(prog, skel->obj) {
		const char *hook = kk_hooks_section_hook(bpf_program__section_name(prog));

		if (!hook || kk_hooks_btf_has(btf, hook))
			continue;
		if (bpf_program__set_autoload(prog, false)) {
			err = kk_error_set(e, -errno, bpf_program__name(prog),
					   "cannot leave it out: %s", strerror(errno));
			break;
		}
	}
	btf__free(btf);
	return err;
}

static bool all_links_pinned(struct kakunin *skel)
{
	struct bpf_program *prog;
	char path[PATH_MAX];

	bpf_object__for_each_program(prog, skel->obj) {
		if (!kk_maps_attached(prog) || !bpf_program__autoload(prog))
			continue;
		pin_path(path, sizeof(path), kk_maps_link_dir(prog), bpf_program__name(prog));
		if (access(path, F_OK) != 0)
			return false;
	}
	return true;
}

/* Pin obj at path, replacing an older pin: the old link stays attached until then. */
static int repin(const char *path, int fd)
{
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

/*
 * Attach every program and pin its link and itself. New links are attached before old pins are
 * replaced, so during a reload both generations enforce and there is never a gap.
 */
static int attach_and_pin(struct kakunin *skel, struct kk_error *e)
{
	struct bpf_program *prog;
	char path[PATH_MAX];
	int err = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue; /* its hook is not in this kernel (skip_absent_hooks) */
		if (!kk_maps_attached(prog)) {
			pin_path(path, sizeof(path), PIN_PROGS, name);
			err = repin(path, bpf_program__fd(prog));
			if (err)
				return kk_error_set(e, err, path, "pinning failed: %s",
						    strerror(-err));
			continue;
		}
		link = bpf_program__attach(prog); /* lsm/ or fentry/, by its section */
		if (!link) {
			err = -errno;
			return kk_error_set(e, err, name, "attaching failed: %s (%s)",
					    strerror(-err), kk_log_libbpf_last());
		}
		pin_path(path, sizeof(path), kk_maps_link_dir(prog), name);
		err = repin(path, bpf_link__fd(link));
		if (!err) {
			pin_path(path, sizeof(path), PIN_PROGS, name);
			err = repin(path, bpf_program__fd(prog));
		}
		bpf_link__destroy(link); /* the pin keeps it attached */
		if (err)
			return kk_error_set(e, err, path, "pinning failed: %s", strerror(-err));
	}
	return 0;
}

static void unpin_programs(struct kakunin *skel)
{
	struct bpf_program *prog;
	char path[PATH_MAX];

	bpf_object__for_each_program(prog, skel->obj) {
		pin_path(path, sizeof(path), kk_maps_link_dir(prog), bpf_program__name(prog));
		unlink(path);
		pin_path(path, sizeof(path), PIN_PROGS, bpf_program__name(prog));
		unlink(path);
	}
}

void kk_maps_unpin_new(const bool existed[KK_MAPS_PINNED])
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < KK_MAPS_PINNED; i++) {
		if (existed[i])
			continue;
		pin_path(path, sizeof(path), PIN_MAPS, pinned_maps[i]);
		unlink(path);
	}
}

/* The ABI stamp in the kk_config map fd (see abi.h); -errno when it cannot be read. */
static int read_stamp(int fd, struct kk_abi_stamp *s)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), zero = 0;
	unsigned char *val;
	int err = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	val = calloc(1, info.value_size ?: 1);
	if (!val)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &zero, val))
		err = -errno;
	else
		*s = kk_abi_of_config(val, info.value_size);
	free(val);
	return err;
}

int kk_maps_pinned_stamp(char *why, size_t wlen)
{
	struct kk_abi_stamp s;
	int fd, err;

	fd = open_pin(pinned_maps[KK_MAP_CONFIG]);
	if (fd < 0) {
		err = -errno;
		snprintf(why, wlen, "cannot open %s/%s: %s", PIN_MAPS, pinned_maps[KK_MAP_CONFIG],
			 strerror(-err));
		return err;
	}
	err = read_stamp(fd, &s);
	close(fd);
	if (err) {
		snprintf(why, wlen, "cannot read %s/%s: %s", PIN_MAPS, pinned_maps[KK_MAP_CONFIG],
			 strerror(-err));
		return err;
	}
	return kk_abi_check(&s, why, wlen);
}

/* Stamp the kk_config map a load has just created with this build's format and layout. */
static int write_stamp(int fd)
{
	struct kk_abi_stamp s = kk_abi_this();
	struct kk_config cfg = { 0 };
	__u32 zero = 0;

	bpf_map_lookup_elem(fd, &zero, &cfg);
	cfg.format = s.format;
	cfg.layout = s.layout;
	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int kk_maps_set_pins(struct kakunin *skel, bool existed[KK_MAPS_PINNED])
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < KK_MAPS_PINNED; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, pinned_maps[i]);

		if (!map)
			return -ENOENT;
		pin_path(path, sizeof(path), PIN_MAPS, pinned_maps[i]);
		existed[i] = access(path, F_OK) == 0;
		if (bpf_map__set_pin_path(map, path))
			return -errno;
	}
	return 0;
}

/* A load reuses pinned maps only when this build made them (the stamp), never another's. */
static int reuse_check(struct kk_error *e)
{
	char why[512];
	int err;

	err = kk_maps_pinned_stamp(why, sizeof(why));
	if (err)
		kk_error_set(e, err, NULL, "%s", why);
	return err;
}

int kk_maps_load(uint32_t ringbuf_size, bool *already, struct kk_error *e)
{
	bool existed[KK_MAPS_PINNED] = { 0 };
	struct kakunin *skel;
	int err;

	*already = false;
	err = kk_maps_check_bpffs(e);
	if (err)
		return err;
	skel = kakunin__open();
	if (!skel)
		return kk_error_set(e, -errno, NULL, "cannot open the embedded BPF object: %s",
				    strerror(errno));
	if (ringbuf_size && bpf_map__set_max_entries(skel->maps.kk_events, ringbuf_size)) {
		err = kk_error_set(e, -errno, NULL, "cannot size the event ring: %s",
				   strerror(errno));
		goto out;
	}
	err = kk_maps_skip_absent_hooks(skel, e);
	if (err)
		goto out;
	if (all_links_pinned(skel)) {
		*already = true;
		goto out;
	}
	err = kk_maps_mkdir(KK_PIN_ROOT, e);
	err = err ?: kk_maps_mkdir(PIN_MAPS, e);
	err = err ?: kk_maps_mkdir(PIN_PROGS, e);
	err = err ?: kk_maps_mkdir(PIN_LINKS, e);
	err = err ?: kk_maps_mkdir(PIN_TRACE_LINKS, e);
	if (!err && (err = kk_maps_set_pins(skel, existed)))
		kk_error_set(e, err, PIN_MAPS, "cannot set the pins: %s", strerror(-err));
	if (err)
		goto out;
	err = existed[KK_MAP_CONFIG] ? reuse_check(e) : 0;
	if (err)
		goto out;
	err = kakunin__load(skel);
	if (err) {
		err = kk_error_set(e, -errno, NULL, "loading the BPF programs failed: %s (%s)",
				   strerror(errno), kk_log_libbpf_last());
		goto out_unpin;
	}
	if (!existed[KK_MAP_CONFIG]) {
		err = write_stamp(bpf_map__fd(skel->maps.kk_config));
		if (err) {
			kk_error_set(e, err, "kk_config", "cannot stamp it: %s", strerror(-err));
			goto out_unpin;
		}
	}
	err = attach_and_pin(skel, e);
	if (!err)
		goto out;
	/* Links pinned by this run would keep a half-loaded set enforcing: remove them. */
	unpin_programs(skel);
out_unpin:
	kk_maps_unpin_new(existed);
out:
	kakunin__destroy(skel);
	return err;
}

/* Unlink every entry of dir, then dir itself. */
static int remove_pins(const char *dir, int *removed, struct kk_error *e)
{
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0) {
			err = kk_error_set(e, -errno, dir, "cannot remove %s: %s", de->d_name,
					   strerror(errno));
		} else {
			(*removed)++;
		}
	}
	closedir(d);
	if (!err && rmdir(dir) != 0 && errno != ENOENT)
		err = kk_error_set(e, -errno, dir, "cannot remove: %s", strerror(errno));
	return err;
}

int kk_maps_unload(bool *was_loaded, struct kk_error *e)
{
	int removed = 0, err;

	/* Links first: programs stop running before the maps they use disappear. */
	err = remove_pins(PIN_LINKS, &removed, e);
	err = remove_pins(PIN_TRACE_LINKS, &removed, e) ?: err;
	err = remove_pins(PIN_PROGS, &removed, e) ?: err;
	err = remove_pins(PIN_MAPS, &removed, e) ?: err;
	/* What an upgrade killed half-way left (maps_upgrade.c). */
	err = remove_pins(STAGE_LINKS, &removed, e) ?: err;
	err = remove_pins(STAGE_PROGS, &removed, e) ?: err;
	if (!err && rmdir(KK_PIN_ROOT) != 0 && errno != ENOENT)
		err = kk_error_set(e, -errno, KK_PIN_ROOT, "cannot remove: %s", strerror(errno));
	*was_loaded = removed > 0;
	return err;
}

/* Refuse maps pinned by a build of another ABI: reading them would misread every entry. */
static int kk_maps_check_stamp(struct kk_maps *m, struct kk_error *e)
{
	char what[sizeof(e->what)], why[sizeof(e->why)];
	struct kk_abi_stamp s;
	int err;

	snprintf(what, sizeof(what), "%s/%s", PIN_MAPS, pinned_maps[KK_MAP_CONFIG]);
	err = read_stamp(m->fd[KK_MAP_CONFIG], &s);
	if (err)
		return kk_error_set(e, err, what, "cannot read: %s", strerror(-err));
	err = kk_abi_check(&s, why, sizeof(why));
	if (err)
		return kk_error_set(e, err, "", "%s", why);
	return 0;
}

int kk_maps_open_e(struct kk_maps *m, struct kk_error *e)
{
	return kk_maps_open_some(m, KK_MAPS_ALL, e);
}

int kk_maps_open_some(struct kk_maps *m, uint32_t mask, struct kk_error *e)
{
	char what[sizeof(e->what)];
	size_t i;
	int err;

	m->lock_fd = -1;
	for (i = 0; i < N_PINNED_MAPS; i++)
		m->fd[i] = -1;
	/* The stamp is read before anything else: another build's maps are never touched. */
	mask |= KK_MAP_BIT(KK_MAP_CONFIG);
	for (i = 0; i < N_PINNED_MAPS; i++) {
		if (!(mask & KK_MAP_BIT(i)))
			continue;
		m->fd[i] = open_pin(pinned_maps[i]);
		if (m->fd[i] >= 0)
			continue;
		err = -errno;
		snprintf(what, sizeof(what), "%s/%s", PIN_MAPS, pinned_maps[i]);
		if (err == -ENOENT)
			kk_error_set(e, err, what, "kakunin-bpf is not loaded: run 'kakunin-bpf load' "
				     "first");
		else
			kk_error_set(e, err, what, "cannot open: %s", strerror(-err));
		kk_maps_close(m);
		return err;
	}
	err = kk_maps_check_stamp(m, e);
	if (err)
		kk_maps_close(m);
	return err;
}

void kk_maps_close(struct kk_maps *m)
{
	size_t i;

	for (i = 0; i < N_PINNED_MAPS; i++) {
		if (m->fd[i] >= 0)
			close(m->fd[i]);
		m->fd[i] = -1;
	}
	if (m->lock_fd >= 0)
		close(m->lock_fd); /* releases the flock */
	m->lock_fd = -1;
}

int kk_maps_lock_e(struct kk_maps *m, struct kk_error *e)
{
	if (m->lock_fd >= 0)
		return 0;
	m->lock_fd = open(KK_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->lock_fd < 0 || flock(m->lock_fd, LOCK_EX) != 0) {
		int err = -errno;

		kk_error_set(e, err, KK_PIN_ROOT, "cannot lock: %s", strerror(-err));
		if (m->lock_fd >= 0)
			close(m->lock_fd);
		m->lock_fd = -1;
		return err;
	}
	return 0;
}

void kk_maps_unlock(struct kk_maps *m)
{
	if (m->lock_fd >= 0)
		close(m->lock_fd);
	m->lock_fd = -1;
}

int kk_maps_sync_clock(struct kk_maps *m)
{
	struct kk_config cfg = { 0 };
	struct timespec tai, real;
	int64_t diff;
	__u32 zero = 0;

	bpf_map_lookup_elem(m->fd[KK_MAP_CONFIG], &zero, &cfg);
	clock_gettime(CLOCK_TAI, &tai);
	clock_gettime(CLOCK_REALTIME, &real);
	/* The TAI-UTC offset is whole seconds (37 s, or 0 where NTP never set it): round. */
	diff = (int64_t)(tai.tv_sec - real.tv_sec) * 1000000000LL + (tai.tv_nsec - real.tv_nsec);
	cfg.tai_offset_ns = (diff + (diff >= 0 ? 500000000LL : -500000000LL)) / 1000000000LL *
			    1000000000LL;
	if (bpf_map_update_elem(m->fd[KK_MAP_CONFIG], &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

int kk_maps_read_stats(struct kk_maps *m, __u64 out[KK_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 k;
	int i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (k = 0; k < KK_STAT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(m->fd[KK_MAP_STATS], &k, vals) != 0)
			continue;
		for (i = 0; i < ncpu; i++)
			out[k] += vals[i];
	}
	free(vals);
	return 0;
}

int kk_maps_program_count(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(PIN_LINKS);

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

int kk_maps_emit(const struct kk_event *ev)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ev, .ctx_size_in = sizeof(*ev));
	char path[PATH_MAX];
	int fd, err = 0;

	pin_path(path, sizeof(path), PIN_PROGS, "kk_emit");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_prog_test_run_opts(fd, &opts))
		err = -errno;
	else if (opts.retval)
		err = (int)opts.retval;
	close(fd);
	return err;
}
