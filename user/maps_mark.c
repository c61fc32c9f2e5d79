// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps_mark — the task marks (see maps.h): marking a process (tree) bound without a window for
 * forks, finding a task's binding, the bound processes of /proc, live task counts. Split from
 * maps_bind.c, which keeps the tables; callers hold the maps lock.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "maps.h"

int kk_maps_task_binding(struct kk_maps *m, int pidfd, uint32_t *slot)
{
	struct kk_binding b;
	struct kk_task t;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_TASK], &pidfd, &t))
		return -errno;
	if (bpf_map_lookup_elem(m->fd[KK_MAP_BINDINGS], &t.binding, &b) || !b.in_use ||
	    b.gen != t.gen)
		return -ENOENT; /* a mark left by an ended binding */
	*slot = t.binding;
	return 0;
}

int kk_maps_for_each_bound(struct kk_maps *m, kk_bound_fn fn, void *ctx)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int rc = 0;

	if (!d)
		return -errno;
	while (!rc && (de = readdir(d))) {
		uint32_t slot;
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		fd = syscall(SYS_pidfd_open, atoi(de->d_name), 0);
		if (fd < 0)
			continue; /* gone already */
		if (!kk_maps_task_binding(m, fd, &slot))
			rc = fn(m, atoi(de->d_name), fd, slot, ctx);
		close(fd);
	}
	closedir(d);
	return rc;
}

static int config_update(struct kk_maps *m, int pending_delta)
{
	struct kk_config cfg = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_CONFIG], &zero, &cfg))
		return -errno;
	cfg.pending = (int)cfg.pending + pending_delta < 0 ? 0 : cfg.pending + pending_delta;
	return bpf_map_update_elem(m->fd[KK_MAP_CONFIG], &zero, &cfg, BPF_ANY) ? -errno : 0;
}

/* Delete the kk_pending entries of (slot, gen). */
static void pending_clear(struct kk_maps *m, uint32_t slot, uint32_t gen)
{
	__u32 key, next, *prev = NULL, dead[KK_MAX_PENDING];
	struct kk_mark mark;
	size_t n = 0, i;

	while (n < KK_MAX_PENDING &&
	       bpf_map_get_next_key(m->fd[KK_MAP_PENDING], prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(m->fd[KK_MAP_PENDING], &key, &mark) &&
		    mark.binding == slot && mark.gen == gen)
			dead[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(m->fd[KK_MAP_PENDING], &dead[i]);
}

/* One run of the kk_bind_iter task iterator over every task of the system. */
static int run_iter(struct kk_maps *m, const struct kk_bindreq *req, uint32_t *marked,
		    uint32_t *too_deep)
{
	struct kk_bindreq out;
	char path[256], buf[64];
	int prog = -1, link = -1, iter = -1, err = 0;
	__u32 zero = 0;
	ssize_t n;

	if (bpf_map_update_elem(m->fd[KK_MAP_BINDREQ], &zero, req, BPF_ANY))
		return -errno;
	snprintf(path, sizeof(path), "%s/progs/kk_bind_iter", KK_PIN_ROOT);
	prog = bpf_obj_get(path);
	link = prog < 0 ? -1 : bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	iter = link < 0 ? -1 : bpf_iter_create(link);
	if (iter < 0) {
		err = -errno;
		goto out;
	}
	while ((n = read(iter, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	if (!err && bpf_map_lookup_elem(m->fd[KK_MAP_BINDREQ], &zero, &out))
		err = -errno;
	if (!err) {
		*marked = out.marked;
		*too_deep = out.too_deep;
	}
out:
	if (iter >= 0)
		close(iter);
	if (link >= 0)
		close(link);
	if (prog >= 0)
		close(prog);
	return err;
}

int kk_maps_mark_process(struct kk_maps *m, uint32_t tgid, bool tree, uint32_t slot,
			 uint32_t gen, uint32_t *marked, uint32_t *too_deep)
{
	struct kk_bindreq req = { .tgid = tgid, .binding = slot, .gen = gen,
				  .flags = tree ? KK_BINDREQ_TREE : 0 };
	struct kk_mark mark = { .binding = slot, .gen = gen };
	struct kk_live live = { .gen = gen };
	__u32 root = tgid | KK_PENDING_TREE;
	uint32_t n = 0;
	int err, pass;

	*marked = 0;
	*too_deep = 0;
	if (bpf_map_update_elem(m->fd[KK_MAP_LIVE], &slot, &live, BPF_ANY) ||
	    bpf_map_update_elem(m->fd[KK_MAP_PENDING], &tgid, &mark, BPF_ANY) ||
	    (tree && bpf_map_update_elem(m->fd[KK_MAP_PENDING], &root, &mark, BPF_ANY))) {
		err = -errno;
		pending_clear(m, slot, gen);
		return err;
	}
	err = config_update(m, 1);
	/* Until a pass finds nothing new: threads or children born during the previous one. */
	for (pass = 0; !err && pass < 16; pass++) {
		err = run_iter(m, &req, &n, too_deep);
		*marked += n;
		if (!n)
			break;
	}
	pending_clear(m, slot, gen);
	config_update(m, -1);
	return err;
}

int kk_maps_live_tasks(struct kk_maps *m, uint32_t slot, uint32_t gen, int32_t *tasks)
{
	struct kk_live l;

	if (bpf_map_lookup_elem(m->fd[KK_MAP_LIVE], &slot, &l))
		return -errno;
	*tasks = l.gen == gen ? l.tasks : 0;
	return 0;
}
