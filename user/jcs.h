/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jcs — RFC 8785 JSON Canonicalization Scheme over cJSON, and the strict (I-JSON, RFC 7493)
 * parser it needs: what the signer signs and what verify reads must mean one thing only, so
 * duplicate member names, lone surrogates, invalid UTF-8 and numbers outside IEEE 754 double are
 * refused instead of being resolved one way by us and another way by the receiver.
 * cJSON and libc only: no libbpf, no OpenSSL. Nothing here prints.
 */
#ifndef KK_JCS_H
#define KK_JCS_H

#include <stddef.h>

struct cJSON;
struct kk_error;

/* Nesting limit of the strict parser (objects and arrays). */
#define KK_JCS_DEPTH_MAX 64

/*
 * RFC 8785: canonical JSON text of v (malloc'd, NUL-terminated) or NULL with e set. Numbers per
 * ECMAScript Number.prototype.toString; strings escaped as RFC 8785 says; members sorted by
 * UTF-16 code units. Refused (-EINVAL): NaN or infinite numbers, duplicate member names,
 * strings that are not valid UTF-8, nesting deeper than KK_JCS_DEPTH_MAX.
 */
char *kk_jcs(const struct cJSON *v, struct kk_error *e);

/*
 * Parse JSON text strictly (RFC 8259 grammar; I-JSON: no duplicate member names, no lone
 * surrogates, valid UTF-8, finite numbers; depth <= KK_JCS_DEPTH_MAX; len <=
 * KK_SIGN_PAYLOAD_MAX) into *out (caller frees with cJSON_Delete). 0, or -EINVAL with e naming
 * the position ("line 1 column 7: duplicate member name \"a\""), -E2BIG when too long, -ENOMEM.
 */
int kk_jcs_parse(const char *text, size_t len, struct cJSON **out, struct kk_error *e);

/* kk_jcs_parse then kk_jcs: the canonical text into *out (malloc'd). 0 or -errno with e. */
int kk_jcs_text(const char *text, size_t len, char **out, struct kk_error *e);

/*
 * A finite double as ECMAScript's Number.prototype.toString writes it (shortest round-trip
 * digits; "1e+21", "1e-7", "0.000001"; -0 as "0") into buf (32 bytes are enough). -EINVAL for
 * NaN and infinities.
 */
int kk_jcs_number(double d, char *buf, size_t len);

#endif
