/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to verify*.c: the revocation and replay checks. */
#ifndef KK_VERIFY_INT_H
#define KK_VERIFY_INT_H

#include "identity.h"
#include "verify.h"

/*
 * Revocation of the leaf in cert_path (x5c written out as PEM, issuer after it or in the CA
 * bundle), whose fields are id. 0 when not revoked per req's source; -EKEYREVOKED when revoked;
 * other -errno when the status could not be had (fail closed). res->revocation_via filled.
 */
int kk_verify_revocation(const struct kk_verify_req *req, const char *cert_path,
			 const struct kk_identity *id, int64_t now, struct kk_verify_res *res,
			 struct kk_error *e);

/* The replay file, locked from kk_verify_replay_check to kk_verify_replay_close. */
struct kk_replay {
	int fd;
	char *path;
	char *keep; /* the unexpired lines, to write back */
	size_t keep_len;
};
/*
 * Open and lock path (created 0600), drop entries expired at now, and refuse jti when present
 * (-EALREADY). 0 with r open; on error r is closed.
 */
int kk_verify_replay_check(struct kk_replay *r, const char *path, const char *jti, int64_t now,
			   struct kk_error *e);
/*
 * With commit, write the kept entries and "jti expiry" to a new file renamed over path; then
 * unlock and close.
 */
int kk_verify_replay_close(struct kk_replay *r, const char *jti, int64_t expiry, bool commit,
			   struct kk_error *e);

#endif
