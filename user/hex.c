// SPDX-License-Identifier: GPL-2.0-only
/* hex — see hex.h. */
#include <errno.h>
#include <string.h>

#include "hex.h"

char *kk_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
	return out;
}

int kk_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kk_hex_decode(const char *text, uint8_t *out, size_t cap)
{
	size_t len = strlen(text), i;
	int hi, lo;

	if (len % 2 || len / 2 > cap)
		return -EINVAL;
	for (i = 0; i < len / 2; i++) {
		hi = kk_hex_digit(text[2 * i]);
		lo = kk_hex_digit(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(len / 2);
}
