/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to the revocation module (revocation*.c): helpers shared by the CRL and OCSP code. */
#ifndef KK_REVOCATION_INT_H
#define KK_REVOCATION_INT_H

#include "identity_int.h"
#include "revocation.h"

/* The certificates of a CA bundle (NULL = KK_DEFAULT_CA); errors name it "CA bundle X". */
int kk_rev_read_bundle(const char *bundle, kk_x509s **out, char *why, size_t wlen);

#endif
