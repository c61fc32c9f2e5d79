/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * who — the agent a kernel event is about, for every consumer (daemon, `events --from-ring`):
 * from its binding while the slot still holds that generation, else from the state directory's
 * record of (slot, generation), kept after the binding ended (state.h). So an event names its
 * agent however late it is read.
 */
#ifndef KK_WHO_H
#define KK_WHO_H

#include <stdint.h>

#include "state.h"

struct kk_maps;
struct kk_who;

/* *who pointing into *rec, or NULL when (slot, gen) is unknown to both. */
const struct kk_who *kk_who_resolve(struct kk_maps *m, uint32_t slot, uint32_t gen,
				    struct kk_who_rec *rec, struct kk_who *who);

#endif
