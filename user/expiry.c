// SPDX-License-Identifier: GPL-2.0-only
/* expiry — when a binding's certificate expires (see expiry.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "expiry.h"
#include "identity.h"
#include "state.h"

int kk_binding_not_after(uint32_t slot, uint32_t gen, const struct kk_ident_key *key,
			 int64_t *not_after, char *why, size_t wlen)
{
	struct kk_binding_meta meta;
	struct kk_identity id;
	struct kk_ident_key k;
	char err_why[512];
	int err;

	err = kk_meta_load(slot, &meta);
	if (!err && meta.gen != gen)
		err = -ESTALE;
	if (err) {
		snprintf(why, wlen, "binding %u: no record of this binding in %s (%s)", slot,
			 kk_state_dir(), strerror(-err));
		return err;
	}
	err = kk_identity_load(meta.cert, &id, err_why, sizeof(err_why));
	if (err) {
		snprintf(why, wlen, "binding %u: %s", slot, err_why);
		return err;
	}
	/* Keys are built whole, padding zeroed (identity.h): bytes compare. */
	kk_identity_key(&id, &k);
	if (memcmp(&k, key, sizeof(k))) {
		snprintf(why, wlen,
			 "binding %u: %.300s is certificate serial %s, not the one bound", slot,
			 meta.cert, id.serial);
		err = -ESTALE;
	} else {
		*not_after = id.not_after;
	}
	kk_identity_free(&id);
	return err;
}
