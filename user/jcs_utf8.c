// SPDX-License-Identifier: GPL-2.0-only
/* jcs_utf8 — UTF-8 validation and UTF-16 conversion for jcs*.c (jcs_int.h). */
#include <errno.h>
#include <stdlib.h>

#include "jcs_int.h"

/* Length of the UTF-8 sequence at s (at most n bytes left), or 0 when it is malformed. */
static size_t seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t k, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates (U+D800..DFFF), above U+10FFFF */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
		return 0;
	return k;
}

bool kk_jcs_utf8_valid(const char *s, size_t len, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		k = seq_len(u + i, len - i);
		if (!k) {
			if (bad)
				*bad = i;
			return false;
		}
		i += k;
	}
	return true;
}

uint32_t kk_jcs_utf8_next(const unsigned char **s)
{
	const unsigned char *c = *s;
	uint32_t cp;

	if (c[0] < 0x80) {
		cp = c[0];
		*s += 1;
	} else if (c[0] < 0xe0) {
		cp = (c[0] & 0x1f) << 6 | (c[1] & 0x3f);
		*s += 2;
	} else if (c[0] < 0xf0) {
		cp = (c[0] & 0x0f) << 12 | (c[1] & 0x3f) << 6 | (c[2] & 0x3f);
		*s += 3;
	} else {
		cp = (uint32_t)(c[0] & 0x07) << 18 | (c[1] & 0x3f) << 12 | (c[2] & 0x3f) << 6 |
		     (c[3] & 0x3f);
		*s += 4;
	}
	return cp;
}

int kk_jcs_utf16(const char *s, uint16_t **u, size_t *n)
{
	const unsigned char *c = (const unsigned char *)s;
	size_t len = 0, i = 0;
	uint32_t cp;
	uint16_t *o;

	while (c[len])
		len++;
	if (!kk_jcs_utf8_valid(s, len, NULL))
		return -EINVAL;
	o = malloc((len + 1) * sizeof(*o)); /* never more units than bytes */
	if (!o)
		return -ENOMEM;
	while (*c) {
		cp = kk_jcs_utf8_next(&c);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			o[i++] = 0xd800 | cp >> 10;
			o[i++] = 0xdc00 | (cp & 0x3ff);
		} else {
			o[i++] = cp;
		}
	}
	*u = o;
	*n = i;
	return 0;
}
