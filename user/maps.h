/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps — the only module that loads programs and writes BPF maps. `load` goes through the
 * libbpf skeleton and pins programs, links and maps under KK_PIN_ROOT; every later command
 * reopens the pinned maps, so enforcement and state outlive the loader process.
 */
#ifndef KK_MAPS_H
#define KK_MAPS_H

#include <stdbool.h>
#include <linux/types.h>
#include "kakunin.h"

struct kk_maps {
	int task_fd;
	int bindings_fd;
	int events_fd;
	int stats_fd;
};

/*
 * Load, attach and pin everything. *already is set when a complete earlier load is still
 * pinned (then nothing changes). Maps that are already pinned are reused, so bindings survive
 * a reload. On failure nothing new stays pinned. Errors are reported here; returns -errno.
 */
int kk_maps_load(bool *already);

/* Remove every pin (detaching the programs). *was_loaded tells whether there was anything. */
int kk_maps_unload(bool *was_loaded);

/* Open the pinned maps; -ENOENT (reported) when kakunin-bpf is not loaded. */
int kk_maps_open(struct kk_maps *m);
void kk_maps_close(struct kk_maps *m);

/*
 * Bind the task behind pidfd to a new binding holding *b; its children inherit it in the
 * kernel. -EEXIST when already bound (*id_out = its binding), -ESRCH when it has exited,
 * -ENOSPC when the binding table is full.
 */
int kk_maps_bind(struct kk_maps *m, int pidfd, const struct kk_binding *b, __u32 *id_out);

/* Sum the per-CPU counters of kk_stats. */
int kk_maps_read_stats(struct kk_maps *m, __u64 out[KK_STAT_MAX]);

#endif
