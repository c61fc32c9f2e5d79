// SPDX-License-Identifier: GPL-2.0-only
/* who — the agent of an event, from the maps or the retained record (see who.h). */
#include <stdio.h>
#include <string.h>

#include "maps.h"
#include "output.h"
#include "who.h"

const struct kk_who *kk_who_resolve(struct kk_maps *m, uint32_t slot, uint32_t gen,
				    struct kk_who_rec *rec, struct kk_who *who)
{
	struct kk_binding_rec r;

	if (slot >= KK_MAX_BINDINGS)
		return NULL;
	if (!kk_maps_binding_get(m, slot, &r) && r.binding.gen == gen && r.binding.in_use) {
		snprintf(rec->agent_id, sizeof(rec->agent_id), "%s", r.binding.agent_id);
		snprintf(rec->serial, sizeof(rec->serial), "%s", r.ident_ok ? r.ident.serial : "");
		snprintf(rec->policy_version, sizeof(rec->policy_version), "%s",
			 r.binding.policy_version);
	} else if (kk_who_load(slot, gen, rec)) {
		return NULL;
	}
	who->agent_id = rec->agent_id;
	who->serial = rec->serial[0] ? rec->serial : NULL;
	who->policy_version = rec->policy_version[0] ? rec->policy_version : NULL;
	return who;
}
