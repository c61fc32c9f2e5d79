// SPDX-License-Identifier: GPL-2.0-only
/* op — what the operations share: opening the maps, the identity states bind refuses. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "maps.h"
#include "op.h"

int kk_ident_state_check(uint32_t state, const char *serial, const char *what, struct kk_error *e)
{
	if (state == KK_STATE_ACTIVE)
		return 0;
	/* Anything but active denies every action (DESIGN.md); an unknown state is blocked. */
	return kk_error_set(e, -EACCES, what, "certificate serial %s is %s", serial,
			    state == KK_STATE_REVOKED ? "revoked"
			    : state == KK_STATE_EXPIRED ? "expired"
							: "blocked (revocation status unknown)");
}

int kk_op_open_some(struct kk_maps *m, uint32_t mask, struct kk_error *e)
{
	if (geteuid() != 0)
		return kk_error_set(e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	return kk_maps_open_some(m, mask, e);
}

int kk_op_open(struct kk_maps *m, bool lock, struct kk_error *e)
{
	int err;

	err = kk_op_open_some(m, KK_MAPS_ALL, e);
	if (err || !lock)
		return err;
	err = kk_maps_lock_e(m, e);
	if (err)
		kk_maps_close(m);
	return err;
}

int kk_parse_pid(const char *s, int *pid)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}
