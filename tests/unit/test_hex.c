// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the hex codec (user/hex.c). */
#include <errno.h>
#include <string.h>

#include "hex.h"
#include "unit.h"

UNIT_TEST(encode_lowercase_no_separators)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff };
	char out[2 * sizeof(in) + 1];

	CHECK(kk_hex_encode(in, sizeof(in), out) == out);
	CHECK_EQ_STR(out, "00017f80abcdefff");
}

UNIT_TEST(encode_empty)
{
	char out[1] = { 'x' };

	kk_hex_encode(NULL, 0, out);
	CHECK_EQ_STR(out, "");
}

UNIT_TEST(digit_values)
{
	CHECK_EQ_INT(kk_hex_digit('0'), 0);
	CHECK_EQ_INT(kk_hex_digit('9'), 9);
	CHECK_EQ_INT(kk_hex_digit('a'), 10);
	CHECK_EQ_INT(kk_hex_digit('F'), 15);
	CHECK_EQ_INT(kk_hex_digit('g'), -1);
	CHECK_EQ_INT(kk_hex_digit(':'), -1);
	CHECK_EQ_INT(kk_hex_digit('\0'), -1);
}

UNIT_TEST(decode_round_trip)
{
	static const uint8_t want[] = { 0xf1, 0xd4, 0xe8, 0xc7, 0xb2, 0xa9, 0xf3, 0xe6 };
	uint8_t out[8];
	char text[17];

	CHECK_EQ_INT(kk_hex_decode("f1D4e8C7b2a9F3e6", out, sizeof(out)), 8);
	CHECK(!memcmp(out, want, sizeof(want)));
	CHECK_EQ_STR(kk_hex_encode(out, sizeof(out), text), "f1d4e8c7b2a9f3e6");
}

UNIT_TEST(decode_lengths)
{
	uint8_t out[4] = { 0 };

	CHECK_EQ_INT(kk_hex_decode("", out, sizeof(out)), 0);
	CHECK_EQ_INT(kk_hex_decode("01", out, sizeof(out)), 1);
	CHECK_EQ_INT(out[0], 1);
	CHECK_EQ_INT(kk_hex_decode("0102030405", out, sizeof(out)), -EINVAL); /* over cap */
	CHECK_EQ_INT(kk_hex_decode("012", out, sizeof(out)), -EINVAL);	      /* odd */
}

UNIT_TEST(decode_bad_digits)
{
	uint8_t out[8];

	CHECK_EQ_INT(kk_hex_decode("0g", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(kk_hex_decode("0x12", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(kk_hex_decode("f1:d4", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(kk_hex_decode(" f1", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(kk_hex_decode("+f", out, sizeof(out)), -EINVAL);
}

int main(void)
{
	UNIT_RUN(encode_lowercase_no_separators);
	UNIT_RUN(encode_empty);
	UNIT_RUN(digit_values);
	UNIT_RUN(decode_round_trip);
	UNIT_RUN(decode_lengths);
	UNIT_RUN(decode_bad_digits);
	return unit_done();
}
