/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * expiry — when a binding's certificate expires. The kernel does not know: it sees an identity
 * key and a state. The daemon (daemon_expiry.c) and `status` read not_after from the copy of the
 * certificate the binding's record keeps in the state directory (state.h), never from the
 * user's file, which may have been renewed in place since (rotate --watch). No libbpf here.
 */
#ifndef KK_EXPIRY_H
#define KK_EXPIRY_H

#include <stddef.h>
#include <stdint.h>

struct kk_ident_key;

/*
 * not_after (Unix seconds) of the certificate binding slot (generation gen) runs as, whose
 * identity key is key. The record must be of this generation and its copy of this identity:
 * -ESTALE when rotate moved the binding and the record did not follow; -ENOENT without a
 * record; other -errno when the copy does not load. why[] names the file and the reason.
 */
int kk_binding_not_after(uint32_t slot, uint32_t gen, const struct kk_ident_key *key,
			 int64_t *not_after, char *why, size_t wlen);

#endif
