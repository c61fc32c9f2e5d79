/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * maps_int — what the maps*.c files share and nothing else: the pin directories, the steps of a
 * load (maps.c, maps_upgrade.c), the identity-slot lock (maps_revoke.c, maps_bind.c). maps.h is
 * the interface for everyone else.
 */
#ifndef KK_MAPS_INT_H
#define KK_MAPS_INT_H

#include <stdbool.h>
#include <bpf/libbpf.h>

#include "maps.h"

#define PIN_MAPS  KK_PIN_ROOT "/maps"
#define PIN_PROGS KK_PIN_ROOT "/progs"
#define PIN_LINKS KK_PIN_LINKS
/*
 * Links of the programs that are not LSM hooks (fentry/tcp_connect, attest.bpf.c): apart, so
 * that links/ holds exactly the hooks the manifest classifies (hooks-check --attached, status).
 */
#define PIN_TRACE_LINKS KK_PIN_ROOT "/trace_links"
/* load --upgrade's new pins wait here until renamed over the old ones (maps_upgrade.c). */
#define STAGE_LINKS KK_PIN_ROOT "/upgrade_links"
#define STAGE_PROGS KK_PIN_ROOT "/upgrade_progs"

struct kakunin;
struct kk_error;

/* Pinned maps: the KK_MAP_COUNT that commands open (enum kk_map_id), then program-only state. */
#define KK_MAPS_PINNED (KK_MAP_COUNT + 6)
#define KK_MAPS_PINNED_CTL (KK_MAP_COUNT + 5) /* kk_ctl's index in kk_maps_pinned_names */
/* The names of the pinned maps, in enum kk_map_id order, then the program-only ones. */
extern const char *const kk_maps_pinned_names[KK_MAPS_PINNED];

/* /sys/fs/bpf is a mounted bpf filesystem: 0, or -ENOENT and e. */
int kk_maps_check_bpffs(struct kk_error *e);
/* mkdir dir (0700), fine when it exists: 0, or -errno and e. */
int kk_maps_mkdir(const char *dir, struct kk_error *e);
/* Is prog attached to a hook (true), or only pinned and run on demand (kk_emit, kk_bind_iter)? */
bool kk_maps_attached(const struct bpf_program *prog);
/* The directory of an attached program's link pin: PIN_LINKS (LSM hooks) or PIN_TRACE_LINKS. */
const char *kk_maps_link_dir(const struct bpf_program *prog);
/* Leave out the programs whose hook the running kernel does not have. 0, or -errno and e. */
int kk_maps_skip_absent_hooks(struct kakunin *skel, struct kk_error *e);
/* Point every map of skel at its pin (reused when pinned); existed[i]: map i was pinned. */
int kk_maps_set_pins(struct kakunin *skel, bool existed[KK_MAPS_PINNED]);
/* Remove the pins of the maps that a failed load created (existed[i] false). */
void kk_maps_unpin_new(const bool existed[KK_MAPS_PINNED]);

/*
 * The identity-slot lock (maps_revoke.c says why): an fd to pass to kk_maps_idents_unlock, or
 * -errno. Held for a few bpf() calls only, never while waiting for anything else.
 */
int kk_maps_idents_lock(void);
void kk_maps_idents_unlock(int fd);
/* Every slot of kk_idents (KK_MAX_IDENTS of them) into ids, in one batch lookup. 0 or -errno. */
int kk_maps_idents_read(struct kk_maps *m, struct kk_ident *ids);

#endif
