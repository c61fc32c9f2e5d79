// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_jcs — RFC 8785 canonicalization (user/jcs.c) against the RFC's own vectors: the number
 * table of its Appendix B (IEEE 754 bit patterns and the ECMAScript text), the 3.2.2 sample and
 * the 3.2.3 sort example; and the strict parser's refusals, each with its position.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "jcs.h"
#include "unit.h"

static double bits(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

/* RFC 8785 Appendix B */
static const struct {
	uint64_t bits;
	const char *text; /* NULL: refused */
} numbers[] = {
	{ 0x0000000000000000, "0" },
	{ 0x8000000000000000, "0" },
	{ 0x0000000000000001, "5e-324" },
	{ 0x8000000000000001, "-5e-324" },
	{ 0x7fefffffffffffff, "1.7976931348623157e+308" },
	{ 0xffefffffffffffff, "-1.7976931348623157e+308" },
	{ 0x4340000000000000, "9007199254740992" },
	{ 0xc340000000000000, "-9007199254740992" },
	{ 0x4430000000000000, "295147905179352830000" },
	{ 0x7fffffffffffffff, NULL },
	{ 0x7ff0000000000000, NULL },
	{ 0x44b52d02c7e14af5, "9.999999999999997e+22" },
	{ 0x44b52d02c7e14af6, "1e+23" },
	{ 0x44b52d02c7e14af7, "1.0000000000000001e+23" },
	{ 0x444b1ae4d6e2ef4e, "999999999999999700000" },
	{ 0x444b1ae4d6e2ef4f, "999999999999999900000" },
	{ 0x444b1ae4d6e2ef50, "1e+21" },
	{ 0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7" },
	{ 0x3eb0c6f7a0b5ed8d, "0.000001" },
	{ 0x41b3de4355555553, "333333333.3333332" },
	{ 0x41b3de4355555554, "333333333.33333325" },
	{ 0x41b3de4355555555, "333333333.3333333" },
	{ 0x41b3de4355555556, "333333333.3333334" },
	{ 0x41b3de4355555557, "333333333.33333343" },
	{ 0xbecbf647612f3696, "-0.0000033333333333333333" },
	{ 0x43143ff3c1cb0959, "1424953923781206.2" },
};

UNIT_TEST(rfc8785_number_table)
{
	char buf[40];
	size_t i;

	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		int err = kk_jcs_number(bits(numbers[i].bits), buf, sizeof(buf));

		if (!numbers[i].text) {
			CHECK_EQ_INT(err, -EINVAL);
			continue;
		}
		CHECK_EQ_INT(err, 0);
		CHECK_EQ_STR(buf, numbers[i].text);
	}
}

/* Text in, canonical text out (or the error code). */
static int canon(const char *in, char **out, struct kk_error *e)
{
	return kk_jcs_text(in, strlen(in), out, e);
}

UNIT_TEST(es_number_forms)
{
	static const char *const v[][2] = {
		{ "1e21", "1e+21" },
		{ "1e-7", "1e-7" },
		{ "0.000001", "0.000001" },
		{ "-0", "0" },
		{ "-0.0", "0" },
		{ "4.50", "4.5" },
		{ "2e-3", "0.002" },
		{ "1E30", "1e+30" },
		{ "100", "100" },
		{ "1e20", "100000000000000000000" },
		{ "123456789012345680000", "123456789012345680000" },
		{ "0.1", "0.1" },
		{ "-1.5e-10", "-1.5e-10" },
		{ "1.25e+2", "125" },
		{ "333333333.33333329", "333333333.3333333" },
	};
	struct kk_error e = { 0 };
	size_t i;
	char *out;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_EQ_INT(canon(v[i][0], &out, &e), 0);
		CHECK_EQ_STR(out, v[i][1]);
		free(out);
	}
}

/* RFC 8785 3.2.2: the sample input and its canonical form. */
UNIT_TEST(rfc8785_sample)
{
	const char *in =
		"{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
		"0.000000000000000000000000001],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
		"  \"literals\": [null, true, false]\n}";
	const char *want =
		"{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,"
		"4.5,0.002,1e-27],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
	struct kk_error e = { 0 };
	char *out = NULL;

	CHECK_EQ_INT(canon(in, &out, &e), 0);
	CHECK_EQ_STR(out, want);
	free(out);
}

/* RFC 8785 3.2.3: members sorted by UTF-16 code units (the emoji's surrogates sort below
 * U+FB33 although its code point is above). */
UNIT_TEST(rfc8785_sort_order)
{
	const char *in = "{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", "
			 "\"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\", "
			 "\"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\", "
			 "\"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}";
	const char *want =
		"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
		"\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		"\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		"\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
	struct kk_error e = { 0 };
	char *out = NULL;

	CHECK_EQ_INT(canon(in, &out, &e), 0);
	CHECK_EQ_STR(out, want);
	free(out);
}

UNIT_TEST(nested_and_empty)
{
	struct kk_error e = { 0 };
	char *out = NULL;

	CHECK_EQ_INT(
		canon(" { \"b\" : [ {} , [] , \"\" ], \"a\" : { \"z\":1, \"y\":2 } } ", &out, &e),
		0);
	CHECK_EQ_STR(out, "{\"a\":{\"y\":2,\"z\":1},\"b\":[{},[],\"\"]}");
	free(out);
}

/* Refused, with e naming the position. */
static void refused(const char *in, size_t len, int code, const char *why)
{
	struct kk_error e = { 0 };
	char *out = (char *)1;

	CHECK_EQ_INT(kk_jcs_text(in, len, &out, &e), code);
	CHECK(out == NULL);
	CHECK_EQ_STR(e.why, why);
}

UNIT_TEST(strict_refusals)
{
	static const struct {
		const char *in, *why;
	} v[] = {
		{ "{\"a\":1,\"a\":2}", "line 1 column 8: duplicate member name \"a\"" },
		{ "{\"x\":{\"b\":1,\n \"c\":2, \"b\":3}}",
		  "line 2 column 9: duplicate member name \"b\"" },
		{ "\"\\ud800\"", "line 1 column 2: lone surrogate \\ud800" },
		{ "\"\\udc00\\ud800\"", "line 1 column 2: lone surrogate \\udc00" },
		{ "\"\\ud83d\\u0041\"", "line 1 column 2: lone surrogate \\ud83d" },
		{ "\"a\xff\"", "line 1 column 3: invalid UTF-8" },
		{ "\"\xed\xa0\x80\"", "line 1 column 2: invalid UTF-8" }, /* encoded surrogate */
		{ "\"\xc0\xaf\"", "line 1 column 2: invalid UTF-8" },	  /* overlong */
		{ "[1,]", "line 1 column 4: unexpected character ']'" },
		{ "{\"a\":1,}", "line 1 column 8: expected a member name" },
		{ "01", "line 1 column 2: text after the value" },
		{ "+1", "line 1 column 1: unexpected character '+'" },
		{ "1.", "line 1 column 1: bad number: no digit after the point" },
		{ "1e999", "line 1 column 1: number out of the range of a double" },
		{ "NaN", "line 1 column 1: unexpected character 'N'" },
		{ "\"a\tb\"", "line 1 column 3: control character in a string" },
		{ "\"\\x\"", "line 1 column 2: bad escape in a string" },
		{ "\"abc", "line 1 column 1: unterminated string" },
		{ "", "line 1 column 1: unexpected end of the text" },
		{ "{} {}", "line 1 column 4: text after the value" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		refused(v[i].in, strlen(v[i].in), -EINVAL, v[i].why);
	/* a NUL byte inside the given length is not the end of the text */
	refused("{}\0", 3, -EINVAL, "line 1 column 3: text after the value");
}

UNIT_TEST(depth_limit)
{
	char in[200];
	struct kk_error e = { 0 };
	char *out;
	int i;

	for (i = 0; i < 64; i++) {
		in[i] = '[';
		in[64 + i] = ']';
	}
	CHECK_EQ_INT(kk_jcs_text(in, 128, &out, &e), 0);
	free(out);
	memmove(in + 1, in, 128);
	in[129] = ']';
	refused(in, 130, -EINVAL, "line 1 column 65: nested deeper than 64");
}

UNIT_TEST(oversize)
{
	size_t n = 65537;
	char *in = malloc(n);

	CHECK(in);
	memset(in, ' ', n);
	in[0] = '1';
	refused(in, n, -E2BIG, "65537 bytes, more than the 65536 allowed");
	free(in);
}

/* kk_jcs over a tree built with cJSON: duplicates and non-finite numbers refused there too. */
UNIT_TEST(tree_refusals)
{
	struct kk_error e = { 0 };
	cJSON *o = cJSON_CreateObject();
	char *out;

	cJSON_AddNumberToObject(o, "a", 1);
	cJSON_AddNumberToObject(o, "a", 2);
	CHECK(kk_jcs(o, &e) == NULL);
	CHECK_EQ_INT(e.code, -EINVAL);
	CHECK_EQ_STR(e.why, "duplicate member name \"a\"");
	cJSON_Delete(o);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "n", cJSON_CreateNumber(bits(0x7ff0000000000000)));
	CHECK(kk_jcs(o, &e) == NULL);
	CHECK_EQ_STR(e.why, "number is not finite");
	cJSON_Delete(o);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "s", "\xe2\x82");
	CHECK(kk_jcs(o, &e) == NULL);
	CHECK_EQ_STR(e.why, "string is not valid UTF-8");
	cJSON_Delete(o);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "s", "\x1f");
	out = kk_jcs(o, &e);
	CHECK_EQ_STR(out, "{\"s\":\"\\u001f\"}");
	free(out);
	cJSON_Delete(o);
}

int main(void)
{
	UNIT_RUN(rfc8785_number_table);
	UNIT_RUN(es_number_forms);
	UNIT_RUN(rfc8785_sample);
	UNIT_RUN(rfc8785_sort_order);
	UNIT_RUN(nested_and_empty);
	UNIT_RUN(strict_refusals);
	UNIT_RUN(depth_limit);
	UNIT_RUN(oversize);
	UNIT_RUN(tree_refusals);
	return unit_done();
}
