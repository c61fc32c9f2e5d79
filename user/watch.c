// SPDX-License-Identifier: GPL-2.0-only
/* watch — the daemon's periodic work (see watch.h). */
#include <stdlib.h>
#include <time.h>

#include "bind.h"
#include "daemon.h"
#include "maps.h"
#include "watch.h"

#define REAP_EVERY_S 5

struct kk_watch {
	const struct kk_daemon_cfg *cfg;
	time_t last_reap;
};

struct kk_watch *kk_watch_new(const struct kk_daemon_cfg *cfg)
{
	struct kk_watch *w = calloc(1, sizeof(*w));

	if (w)
		w->cfg = cfg;
	return w;
}

void kk_watch_tick(struct kk_watch *w, struct kk_maps *m)
{
	time_t now = time(NULL);

	if (!w || now - w->last_reap < REAP_EVERY_S)
		return;
	w->last_reap = now;
	if (kk_maps_lock(m))
		return;
	kk_maps_sync_clock(m); /* NTP may have set the TAI offset since load */
	kk_reap_bindings(m);   /* also records what the tripwire revoked */
	kk_maps_unlock(m);
}

void kk_watch_free(struct kk_watch *w)
{
	free(w);
}
