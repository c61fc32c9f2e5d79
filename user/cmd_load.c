// SPDX-License-Identifier: GPL-2.0-only
/* cmd_load — `kakunin-bpf load` and `kakunin-bpf unload`. */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "revoke.h"

#include "cli.h"
#include "log.h"
#include "lsm.h"
#include "maps.h"

/* --ringbuf-size: a power of two from 4096 to 1 GiB. */
static int parse_ring_size(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end || v < 4096 || v > (1ul << 30) || (v & (v - 1)))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int cmd_load(int argc, char **argv)
{
	static const struct option o[] = {
		{ "ringbuf-size", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint32_t ring = 0;
	struct kk_maps m;
	char why[512];
	bool already;
	int c, err;

	while ((c = getopt_long(argc, argv, ":h", o, NULL)) != -1) {
		if (c == 'r') {
			if (parse_ring_size(optarg, &ring))
				return kk_usage_error("load", "--ringbuf-size '%s': a power of two "
						      "from 4096 to 1073741824 bytes", optarg);
		} else if (c == 'h') {
			fputs("usage: kakunin-bpf load [--ringbuf-size BYTES]\n\n"
			      "Load the BPF-LSM programs, attach them and pin programs, links and maps\n"
			      "under " KK_PIN_ROOT "/. Harmless when already loaded. Exits 3 when\n"
			      "this kernel cannot run BPF-LSM programs, saying why. --ringbuf-size\n"
			      "sets the event ring (default 4 MiB) of a fresh load.\n", stdout);
			return KK_EXIT_OK;
		} else {
			return kk_bad_option("load", c, argv);
		}
	}
	if (optind < argc)
		return kk_usage_error("load", "unexpected argument '%s'", argv[optind]);
	if (kk_require_root("load"))
		return KK_EXIT_FAIL;
	if (kk_lsm_check(why, sizeof(why))) {
		kk_err("load", "BPF LSM unavailable: %s", why);
		return KK_EXIT_NO_LSM;
	}
	if (kk_maps_load(ring, &already))
		return KK_EXIT_FAIL;
	if (kk_maps_open(&m))
		return KK_EXIT_FAIL;
	err = kk_maps_sync_clock(&m);
	/* After a reboot the maps are new and empty: revocations come back from disk. */
	if (!err && !already && kk_revocations_restore(&m))
		err = 0; /* reported; enforcement of what is bound does not depend on it */
	kk_maps_close(&m);
	if (err) {
		kk_err("load", "cannot set the clock offset for allowed_hours: %s", strerror(-err));
		return KK_EXIT_FAIL;
	}
	if (already)
		kk_info("kakunin-bpf: already loaded (" KK_PIN_ROOT ")");
	else
		kk_info("kakunin-bpf: loaded and pinned under " KK_PIN_ROOT);
	return KK_EXIT_OK;
}

/*
 * Live bindings (after ending those whose processes are gone); 0 when not loaded. -EPROTO with
 * why[] when another build's maps are pinned: their bindings cannot be read, only removed.
 */
static int count_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	(void)m;
	(void)r;
	++*(int *)ctx;
	return 0;
}

static int live_bindings(char *why, size_t wlen)
{
	struct kk_maps m;
	int n = 0;

	if (access(KK_PIN_ROOT "/maps/kk_bindings", F_OK) != 0)
		return 0;
	if (kk_maps_pinned_stamp(why, wlen) == -EPROTO)
		return -EPROTO;
	if (kk_maps_open(&m))
		return 0;
	if (!kk_maps_lock(&m))
		kk_reap_bindings(&m);
	/* As when the maps cannot be opened, a slot that cannot be read does not count. */
	kk_maps_each_binding(&m, count_one, &n);
	kk_maps_close(&m);
	return n;
}

int cmd_unload(int argc, char **argv)
{
	static const struct option o[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool was_loaded, force = false;
	char why[512];
	int c, n;

	while ((c = getopt_long(argc, argv, ":h", o, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'h') {
			fputs("usage: kakunin-bpf unload [--force]\n\n"
			      "Detach every kakunin-bpf program and remove " KK_PIN_ROOT "/.\n"
			      "Refused while bindings are live (their agents would run unconfined)\n"
			      "unless --force. Harmless when not loaded.\n", stdout);
			return KK_EXIT_OK;
		} else {
			return kk_bad_option("unload", c, argv);
		}
	}
	if (optind < argc)
		return kk_usage_error("unload", "unexpected argument '%s'", argv[optind]);
	if (kk_require_root("unload"))
		return KK_EXIT_FAIL;
	n = live_bindings(why, sizeof(why));
	if (n == -EPROTO && !force) {
		kk_err("unload", "%s", why);
		return KK_EXIT_FAIL;
	}
	if (n > 0 && !force) {
		kk_err("unload", "%d binding%s live: their agents would run unconfined; unbind them "
		       "first or use --force", n, n == 1 ? " is" : "s are");
		return KK_EXIT_FAIL;
	}
	if (kk_maps_unload(&was_loaded))
		return KK_EXIT_FAIL;
	kk_info(was_loaded ? "kakunin-bpf: unloaded" : "kakunin-bpf: not loaded, nothing to do");
	return KK_EXIT_OK;
}
