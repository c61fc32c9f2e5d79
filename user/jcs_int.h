/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to jcs*.c: UTF-8 checks shared by the parser and the serializer. */
#ifndef KK_JCS_INT_H
#define KK_JCS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Whether s[0..len) is well-formed UTF-8 (RFC 3629: shortest form, no surrogates, <= U+10FFFF).
 * When not and bad is not NULL, *bad is the offset of the first bad byte.
 */
bool kk_jcs_utf8_valid(const char *s, size_t len, size_t *bad);
/* Decode one code point of valid UTF-8 at *s, advancing *s. */
uint32_t kk_jcs_utf8_next(const unsigned char **s);
/* NUL-terminated UTF-8 s as UTF-16 code units (*u malloc'd, *n units); -EINVAL / -ENOMEM. */
int kk_jcs_utf16(const char *s, uint16_t **u, size_t *n);

#endif
