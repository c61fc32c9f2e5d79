// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_load — load (and attach and pin) the BPF-LSM programs, or remove them. load is harmless when
 * already loaded; after a reboot it refills the revocation list from the state directory. With
 * upgrade, a loaded build's programs are replaced by this build's on the same maps. unload
 * refuses while bindings are live, whose agents would run unconfined, unless forced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bind.h"
#include "lsm.h"
#include "maps.h"
#include "op.h"
#include "revoke.h"

int kk_load_req_init(struct kk_load_req *r, const char *ringbuf_size, struct kk_error *e)
{
	char what[sizeof(e->what)], *end;
	unsigned long v;

	memset(r, 0, sizeof(*r));
	r->pcache_mode = -1;
	if (!ringbuf_size)
		return 0;
	snprintf(what, sizeof(what), "--ringbuf-size '%s'", ringbuf_size);
	v = strtoul(ringbuf_size, &end, 10);
	if (*ringbuf_size < '0' || *ringbuf_size > '9' || *end || v < 4096 || v > (1ul << 30) ||
	    (v & (v - 1)))
		return kk_error_set(e, -EINVAL, what,
				    "a power of two from 4096 to 1073741824 bytes");
	r->ringbuf_size = (uint32_t)v;
	return 0;
}

int kk_load_req_pcache(struct kk_load_req *r, const char *opt, const char *env, struct kk_error *e)
{
	static const char *const modes[KK_PCACHE_MODE_MAX] = {
		[KK_PCACHE_ON] = "on", [KK_PCACHE_OFF] = "off", [KK_PCACHE_SHADOW] = "shadow"
	};
	const char *v = opt ? opt : env;
	int i;

	if (!v || (!opt && !*v))
		return 0;
	for (i = 0; i < KK_PCACHE_MODE_MAX; i++) {
		if (!strcmp(v, modes[i])) {
			r->pcache_mode = i;
			r->pcache_given = opt != NULL;
			return 0;
		}
	}
	return kk_error_set(e, -EINVAL, opt ? "--path-cache" : "KAKUNIN_PATH_CACHE",
			    "'%s' is not a mode: on, off or shadow", v);
}

/* The path cache's mode: a fresh load's default or what was asked; an earlier load's is kept. */
static int set_pcache(const struct kk_load_req *r, struct kk_maps *m, bool fresh)
{
	if (r->pcache_mode < 0 || (!fresh && !r->pcache_given))
		return 0;
	return kk_maps_pcache_mode(m, (uint32_t)r->pcache_mode);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * load --upgrade on a loaded kakunin-bpf. The maps are opened first: that refuses another
 * build's ABI stamp in one line. The bindings lock is held throughout, so no bind, unbind or
 * revoke interleaves with the switch.
 */
static int upgrade(const struct kk_load_req *r, struct kk_load_res *res, struct kk_error *e)
{
	struct kk_maps m;
	int err;

	err = kk_maps_open_e(&m, e);
	if (err)
		return err;
	err = kk_maps_lock_e(&m, e) ?: kk_maps_upgrade(r->ringbuf_size, &res->up, e);
	if (!err && (err = kk_maps_sync_clock(&m)))
		kk_error_set(e, err, NULL, "cannot set the clock offset for allowed_hours: %s",
			     strerror(-err));
	if (!err && (err = set_pcache(r, &m, false)))
		kk_error_set(e, err, "kk_pcache_ctl", "cannot set the path cache's mode: %s",
			     strerror(-err));
	res->upgraded = !err;
	kk_maps_close(&m);
	return err;
}

static int load(const struct kk_load_req *r, struct kk_load_res *res, struct kk_error *e)
{
	struct kk_error w;
	struct kk_maps m;
	int err;

	err = kk_maps_load(r->ringbuf_size, &res->already, e);
	err = err ?: kk_maps_open_e(&m, e);
	if (err)
		return err;
	err = kk_maps_sync_clock(&m);
	/*
	 * After a reboot the maps are new and empty: revocations come back from disk. Only a
	 * warning when they cannot: enforcement of what is bound does not depend on it.
	 */
	if (!err && !res->already && kk_revocations_restore(&m, &w))
		snprintf(res->warning, sizeof(res->warning), "%s%s%s", w.what, *w.what ? ": " : "",
			 w.why);
	if (err) {
		kk_maps_close(&m);
		return kk_error_set(e, err, NULL,
				    "cannot set the clock offset for allowed_hours: %s",
				    strerror(-err));
	}
	err = set_pcache(r, &m, !res->already);
	kk_maps_close(&m);
	if (err)
		return kk_error_set(e, err, "kk_pcache_ctl", "cannot set the path cache's mode: %s",
				    strerror(-err));
	return 0;
}

int kk_op_load(const struct kk_load_req *r, struct kk_load_res *res, struct kk_error *e)
{
	uint64_t t0 = now_us();
	char why[512];
	int err;

	memset(res, 0, sizeof(*res));
	if (geteuid() != 0)
		return kk_error_set(e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	err = kk_lsm_check(why, sizeof(why));
	if (err) {
		res->no_lsm = true;
		return kk_error_set(e, err, NULL, "BPF LSM unavailable: %s", why);
	}
	/* Nothing loaded (no pinned kk_config): an upgrade is a plain load. */
	if (r->upgrade && access(KK_PIN_ROOT "/maps/kk_config", F_OK) == 0)
		err = upgrade(r, res, e);
	else
		err = load(r, res, e);
	res->took_us = now_us() - t0;
	return err;
}

/*
 * Live bindings (after ending those whose processes are gone); 0 when not loaded. -EPROTO and e
 * when another build's maps are pinned: their bindings cannot be read, only removed.
 */
static int count_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	(void)m;
	(void)r;
	++*(int *)ctx;
	return 0;
}

static int live_bindings(struct kk_error *e)
{
	struct kk_error ignored;
	struct kk_maps m;
	char why[512];
	int n = 0;

	if (access(KK_PIN_ROOT "/maps/kk_bindings", F_OK) != 0)
		return 0;
	if (kk_maps_pinned_stamp(why, sizeof(why)) == -EPROTO)
		return kk_error_set(e, -EPROTO, NULL, "%s", why);
	if (kk_maps_open_e(&m, &ignored))
		return 0;
	if (!kk_maps_lock_e(&m, &ignored))
		kk_reap_bindings(&m);
	/* As when the maps cannot be opened, a slot that cannot be read does not count. */
	kk_maps_each_binding(&m, count_one, &n);
	kk_maps_close(&m);
	return n;
}

int kk_op_unload(const struct kk_unload_req *r, struct kk_unload_res *res, struct kk_error *e)
{
	struct kk_error stamp;
	int n;

	memset(res, 0, sizeof(*res));
	if (geteuid() != 0)
		return kk_error_set(e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	n = live_bindings(&stamp);
	if (n == -EPROTO && !r->force) {
		*e = stamp;
		return -EPROTO;
	}
	if (n > 0 && !r->force)
		return kk_error_set(e, -EBUSY, NULL, "%d binding%s live: their agents would run "
				    "unconfined; unbind them first or use --force", n,
				    n == 1 ? " is" : "s are");
	res->live = n > 0 ? n : 0;
	return kk_maps_unload(&res->was_loaded, e);
}
