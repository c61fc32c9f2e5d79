// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps_upgrade — `load --upgrade`: this build's programs replace the running ones while the
 * pinned maps (bindings, task marks, identities, revocations, the event ring) are kept.
 *
 * An LSM link is a BPF_LINK_TYPE_TRACING link, and in 6.1 bpf_tracing_link_lops has no
 * update_prog (kernel/bpf/syscall.c), so BPF_LINK_UPDATE cannot swap its program. Instead make
 * before break: every new program is attached before any old link is let go. For that brief
 * overlap both generations run on each hook; the BPF programs of an LSM hook are ANDed (the
 * trampoline stops at the first one that denies), so the overlap is stricter, never looser, and
 * there is no instant without enforcement. The fentry program of attest.bpf.c is a tracing link
 * too, switched the same way (both generations write the same kk_tcp_pending entry meanwhile,
 * and the first lsm/inet_csk_clone to find it moves it). Each link pin is switched by one
 * rename() over the old pin (bpffs has simple_rename); the old links stay held by an fd until
 * every pin is switched, so a failure on the way puts every old pin back.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "error.h"
#include "kakunin.skel.h"
#include "log.h"
#include "maps.h"
#include "maps_int.h"

struct old_link {
	char name[KK_PROG_NAME_SIZE];
	const char *dir; /* PIN_LINKS or PIN_TRACE_LINKS */
	int fd;		 /* holds the old link attached until the upgrade is over */
	bool kept;	 /* this build has a program of the same name */
};

struct upgrade {
	struct kakunin *skel;
	struct old_link old[KK_MAX_PROGRAMS];
	int n_old;
	struct bpf_link *link[KK_MAX_PROGRAMS]; /* the new links, by program order */
	const char *name[KK_MAX_PROGRAMS];	/* the new programs, attached ones first */
	int n_attached, n_new;
	bool existed[KK_MAPS_PINNED];
};

static void path_of(char *buf, const char *dir, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Check one pinned map against this build's definition of it (what libbpf's reuse checks). */
static int map_compatible(struct bpf_map *map, const char *name, int fd, bool ring_kept,
			  struct kk_error *e)
{
	struct bpf_map_info in = { 0 };
	__u32 len = sizeof(in);

	if (bpf_obj_get_info_by_fd(fd, &in, &len))
		return kk_error_set(e, -errno, name, "cannot read the pinned map: %s",
				    strerror(errno));
	if (ring_kept && bpf_map__set_max_entries(map, in.max_entries))
		return kk_error_set(e, -errno, name, "cannot keep the event ring: %s",
				    strerror(errno));
	if (in.type == BPF_MAP_TYPE_RINGBUF && in.max_entries != bpf_map__max_entries(map))
		return kk_error_set(e, -EINVAL, "--ringbuf-size", "the pinned event ring is %u "
				    "bytes and --upgrade keeps it: leave --ringbuf-size out",
				    in.max_entries);
	if (in.type == bpf_map__type(map) && in.key_size == bpf_map__key_size(map) &&
	    in.value_size == bpf_map__value_size(map) &&
	    in.max_entries == bpf_map__max_entries(map) && in.map_flags == bpf_map__map_flags(map))
		return 0;
	return kk_error_set(e, -EPROTO, name, "pinned with key %u, value %u, %u entries, this build "
			    "has %u, %u, %u: --upgrade keeps only maps of an unchanged layout; run "
			    "`kakunin-bpf unload --force` (bindings end), then `kakunin-bpf load`",
			    in.key_size, in.value_size, in.max_entries, bpf_map__key_size(map),
			    bpf_map__value_size(map), bpf_map__max_entries(map));
}

/*
 * Every pinned map must be reusable as it is: refused before anything is loaded otherwise. A
 * map this build adds is created (empty) by the load. The pinned event ring is kept at its
 * size; asking for another one is refused rather than silently ignored.
 */
static int maps_compatible(struct kakunin *skel, uint32_t ringbuf_size, struct kk_error *e)
{
	char path[PATH_MAX];
	int i, fd, err = 0;

	for (i = 0; i < KK_MAPS_PINNED && !err; i++) {
		const char *name = kk_maps_pinned_names[i];
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, name);

		path_of(path, PIN_MAPS, name);
		fd = bpf_obj_get(path);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || !map)
			return kk_error_set(e, fd < 0 ? -errno : -ENOENT, path, "cannot open: %s",
					    strerror(fd < 0 ? errno : ENOENT));
		err = map_compatible(map, name, fd, i == KK_MAP_EVENTS && !ringbuf_size, e);
		close(fd);
	}
	return err;
}

/* Hold every link pinned in dir by an fd: the way back on failure, and the set to replace. */
static int hold_old_links_in(struct upgrade *u, const char *dir, struct kk_error *e)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? kk_maps_mkdir(dir, e) :
					 kk_error_set(e, -errno, dir, "cannot read: %s",
						      strerror(errno));
	while (!err && (de = readdir(d))) {
		struct old_link *o = &u->old[u->n_old];

		if (de->d_name[0] == '.')
			continue;
		path_of(path, dir, de->d_name);
		if (u->n_old == KK_MAX_PROGRAMS || strlen(de->d_name) >= sizeof(o->name))
			err = kk_error_set(e, -E2BIG, path, "more or longer link pins than a build "
					   "has (%d)", KK_MAX_PROGRAMS);
		else if ((o->fd = bpf_obj_get(path)) < 0)
			err = kk_error_set(e, -errno, path, "cannot open the pinned link: %s",
					   strerror(errno));
		else
			snprintf(o->name, sizeof(o->name), "%s", de->d_name), o->dir = dir, u->n_old++;
	}
	closedir(d);
	return err;
}

/* The LSM links, then those of the other attached programs (an older build has none). */
static int hold_old_links(struct upgrade *u, struct kk_error *e)
{
	return hold_old_links_in(u, PIN_LINKS, e) ?: hold_old_links_in(u, PIN_TRACE_LINKS, e);
}

/* The link pin of the new program i, in its directory. */
static void new_link_path(struct upgrade *u, int i, char *path)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(u->skel->obj, u->name[i]);

	path_of(path, kk_maps_link_dir(prog), u->name[i]);
}

/* Attach every new program next to the old ones; their pins come later (stage_pins). */
static int attach_new(struct upgrade *u, struct kk_error *e)
{
	struct bpf_program *prog;
	int i;

	bpf_object__for_each_program(prog, u->skel->obj)
		if (bpf_program__autoload(prog) && kk_maps_attached(prog))
			u->name[u->n_attached++] = bpf_program__name(prog);
	u->n_new = u->n_attached;
	bpf_object__for_each_program(prog, u->skel->obj)
		if (bpf_program__autoload(prog) && !kk_maps_attached(prog))
			u->name[u->n_new++] = bpf_program__name(prog);
	for (i = 0; i < u->n_attached; i++) {
		prog = bpf_object__find_program_by_name(u->skel->obj, u->name[i]);
		u->link[i] = bpf_program__attach(prog); /* lsm/ or fentry/, by its section */
		if (!u->link[i])
			return kk_error_set(e, -errno, u->name[i], "attaching failed: %s (%s)",
					    strerror(errno), kk_log_libbpf_last());
	}
	return 0;
}

/* Unlink every pin in dir and dir itself (a stage dir, or one a killed upgrade left). */
static void clear_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			path_of(path, dir, de->d_name), unlink(path);
	closedir(d);
	rmdir(dir);
}

/* Pin each new link and program in the stage dirs, where they change nothing yet. */
static int stage_pins(struct upgrade *u, struct kk_error *e)
{
	char path[PATH_MAX];
	int i, fd, err;

	clear_dir(STAGE_LINKS);
	clear_dir(STAGE_PROGS);
	err = kk_maps_mkdir(STAGE_LINKS, e) ?: kk_maps_mkdir(STAGE_PROGS, e);
	for (i = 0; i < u->n_new && !err; i++) {
		struct bpf_program *prog =
			bpf_object__find_program_by_name(u->skel->obj, u->name[i]);

		path_of(path, STAGE_PROGS, u->name[i]);
		if (bpf_obj_pin(bpf_program__fd(prog), path))
			break;
		if (i >= u->n_attached)
			continue;
		path_of(path, STAGE_LINKS, u->name[i]);
		fd = bpf_link__fd(u->link[i]);
		if (bpf_obj_pin(fd, path))
			break;
	}
	if (!err && i < u->n_new)
		err = kk_error_set(e, -errno, path, "pinning failed: %s", strerror(errno));
	return err;
}

static struct old_link *old_named(struct upgrade *u, const char *name)
{
	int i;

	for (i = 0; i < u->n_old; i++)
		if (strcmp(u->old[i].name, name) == 0)
			return &u->old[i];
	return NULL;
}

/*
 * Put back the old pins of the first n switched links (an added program's pin goes). When one
 * cannot be put back, e says so: that old program is detached, the new one is not pinned.
 */
static void switch_back(struct upgrade *u, int n, struct kk_error *e)
{
	char stage[PATH_MAX], path[PATH_MAX];
	struct old_link *o;
	int i;

	for (i = 0; i < n; i++) {
		new_link_path(u, i, path);
		o = old_named(u, u->name[i]);
		if (!o) {
			unlink(path);
			continue;
		}
		path_of(stage, STAGE_LINKS, u->name[i]);
		unlink(stage);
		if (bpf_obj_pin(o->fd, stage) || rename(stage, path))
			kk_error_set(e, e->code, path, "the upgrade failed (%s), and the old link "
				     "could not be put back: %s; run `kakunin-bpf load`",
				     strerror(-e->code), strerror(errno));
	}
}

/* The switch: each new link pin renamed over the old one. All or none. */
static int switch_links(struct upgrade *u, struct kk_error *e)
{
	char stage[PATH_MAX], path[PATH_MAX];
	int i;

	for (i = 0; i < u->n_attached; i++) {
		path_of(stage, STAGE_LINKS, u->name[i]);
		new_link_path(u, i, path);
		if (rename(stage, path)) {
			kk_error_set(e, -errno, path, "cannot switch the link pin: %s",
				     strerror(errno));
			switch_back(u, i, e);
			return e->code;
		}
	}
	return 0;
}

/*
 * After the switch: the program pins follow (the on-demand programs kk_emit and kk_bind_iter
 * are run from them), and the old build's programs this one does not have are unpinned. An
 * error here leaves the new programs enforcing; it is reported, not undone.
 */
static int switch_rest(struct upgrade *u, struct kk_maps_upgrade *r, struct kk_error *e)
{
	char stage[PATH_MAX], path[PATH_MAX];
	struct old_link *o;
	int i, err = 0;

	for (i = 0; i < u->n_new; i++) {
		path_of(stage, STAGE_PROGS, u->name[i]);
		path_of(path, PIN_PROGS, u->name[i]);
		if (rename(stage, path) && !err)
			err = kk_error_set(e, -errno, path, "upgraded, but the program pin was not "
					   "switched: %s", strerror(errno));
		o = old_named(u, u->name[i]);
		if (o)
			o->kept = true;
		if (i >= u->n_attached)
			continue;
		snprintf(r->prog[r->n].name, sizeof(r->prog[0].name), "%s", u->name[i]);
		r->prog[r->n++].change = o ? KK_PROG_REPLACED : KK_PROG_ADDED;
	}
	for (i = 0; i < u->n_old; i++) {
		if (u->old[i].kept)
			continue;
		path_of(path, u->old[i].dir, u->old[i].name);
		if (unlink(path) && !err)
			err = kk_error_set(e, -errno, path, "upgraded, but this program of the old "
					   "build stays attached: %s", strerror(errno));
		path_of(path, PIN_PROGS, u->old[i].name);
		unlink(path);
		if (r->n == KK_MAX_PROGRAMS)
			continue; /* detached all the same; only the list is full */
		snprintf(r->prog[r->n].name, sizeof(r->prog[0].name), "%s", u->old[i].name);
		r->prog[r->n++].change = KK_PROG_REMOVED;
	}
	return err;
}

/*
 * kk_ctl[KK_CTL_CONNS_UNMARKED] (bpf/maps.bpf.h). A build without kk_ctl counted sockets without
 * giving them storage, and fentry/sk_destruct finds those only by looking every socket up: set
 * before this build's programs attach when kk_ctl is new (a build with kk_ctl keeps it true for
 * as long as such sockets may remain).
 */
static int conns_unmarked(struct upgrade *u, __u64 v, struct kk_error *e)
{
	__u32 k = KK_CTL_CONNS_UNMARKED;

	if (bpf_map__update_elem(u->skel->maps.kk_ctl, &k, sizeof(k), &v, sizeof(v), BPF_ANY))
		return kk_error_set(e, -errno, "kk_ctl", "cannot set a switch: %s", strerror(errno));
	return 0;
}

/*
 * With the old programs detached, an empty kk_conns holds no socket without storage, and only
 * sockets with storage are counted from now on. A failure leaves the switch set: every freed
 * socket is looked up, which is slower, never wrong.
 */
static void conns_check(struct upgrade *u)
{
	struct kk_error e = { 0 };
	__u64 key;

	if (bpf_map__get_next_key(u->skel->maps.kk_conns, NULL, &key, sizeof(key)) == -ENOENT)
		conns_unmarked(u, 0, &e);
}

/* Load this build's object on the pinned maps, after checking they fit it. */
static int load_on_pinned_maps(struct upgrade *u, uint32_t ringbuf_size, struct kk_error *e)
{
	int err;

	u->skel = kakunin__open();
	if (!u->skel)
		return kk_error_set(e, -errno, NULL, "cannot open the embedded BPF object: %s",
				    strerror(errno));
	if (ringbuf_size && bpf_map__set_max_entries(u->skel->maps.kk_events, ringbuf_size))
		return kk_error_set(e, -errno, NULL, "cannot size the event ring: %s",
				    strerror(errno));
	err = kk_maps_skip_absent_hooks(u->skel, e) ?: maps_compatible(u->skel, ringbuf_size, e);
	if (err)
		return err;
	if ((err = kk_maps_set_pins(u->skel, u->existed)))
		return kk_error_set(e, err, PIN_MAPS, "cannot set the pins: %s", strerror(-err));
	if (kakunin__load(u->skel))
		return kk_error_set(e, -errno, NULL, "loading the BPF programs failed: %s (%s)",
				    strerror(errno), kk_log_libbpf_last());
	return 0;
}

int kk_maps_upgrade(uint32_t ringbuf_size, struct kk_maps_upgrade *r, struct kk_error *e)
{
	uint64_t t0 = 0;
	struct upgrade *u;
	int i, err;

	memset(r, 0, sizeof(*r));
	u = calloc(1, sizeof(*u));
	if (!u)
		return kk_error_set(e, -ENOMEM, NULL, "out of memory");
	for (i = 0; i < KK_MAPS_PINNED; i++)
		u->existed[i] = true; /* until kk_maps_set_pins says which were not pinned */
	err = kk_maps_check_bpffs(e) ?: load_on_pinned_maps(u, ringbuf_size, e);
	err = err ?: hold_old_links(u, e);
	if (!err && !u->existed[KK_MAPS_PINNED_CTL])
		err = conns_unmarked(u, 1, e);
	if (!err) {
		t0 = now_us();
		err = attach_new(u, e) ?: stage_pins(u, e) ?: switch_links(u, e);
	}
	if (!err)
		err = switch_rest(u, r, e);
	else
		kk_maps_unpin_new(u->existed); /* maps only a failed upgrade created */
	clear_dir(STAGE_LINKS);
	clear_dir(STAGE_PROGS);
	/* The old links go now (or, on failure, the new ones): no pin holds them any more. */
	for (i = 0; i < u->n_old; i++)
		close(u->old[i].fd);
	if (!err)
		conns_check(u);
	for (i = 0; i < u->n_attached; i++)
		bpf_link__destroy(u->link[i]);
	if (t0)
		r->overlap_us = now_us() - t0;
	kakunin__destroy(u->skel);
	free(u);
	return err;
}
