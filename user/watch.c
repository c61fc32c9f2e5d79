// SPDX-License-Identifier: GPL-2.0-only
/* watch — the daemon's periodic work (see watch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "revoke.h"
#include "state.h"

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

/* Rotations whose grace period is over: revoke the old certificate now. */
static void rotation_timers(struct kk_maps *m, time_t now)
{
	struct kk_timer *t;
	size_t n, i;

	if (kk_timers_take_due(now, &t, &n))
		kk_err("daemon", "cannot update the rotation timers in %s", kk_state_dir());
	for (i = 0; i < n; i++) {
		struct kk_revoke_req req = { .key = t[i].key, .source = KK_REV_ROTATION,
					     .reason = "rotated: grace period over" };
		int bindings, killed;

		snprintf(req.serial, sizeof(req.serial), "%s", t[i].serial);
		if (!kk_revoke(m, &req, &bindings, &killed))
			kk_info("kakunin-bpf: daemon: grace over, revoked serial %s", t[i].serial);
	}
	free(t);
}

void kk_watch_tick(struct kk_watch *w, struct kk_maps *m)
{
	time_t now = time(NULL);

	if (!w || kk_maps_lock(m))
		return;
	rotation_timers(m, now);
	if (now - w->last_reap >= REAP_EVERY_S) {
		w->last_reap = now;
		kk_maps_sync_clock(m); /* NTP may have set the TAI offset since load */
		kk_reap_bindings(m);   /* also records what the tripwire revoked */
	}
	kk_maps_unlock(m);
}

void kk_watch_free(struct kk_watch *w)
{
	free(w);
}
