// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the JSONC layer as kk_policy_parse reports it (user/jsonc.c): every syntax error
 * with its exact position and reason, comments (including comment markers inside strings),
 * positions across CRLF, tabs, comments and multi-byte characters, and the nesting limit.
 */
#include <errno.h>
#include <string.h>

#include "policy.h"
#include "test_policy.h"
#include "unit.h"

#define VALUE "expected a value (object, array, string, number, true, false or null)"
#define ID    "\"agent_id\": \"a\", \"version\": \"1\""

static const struct doc_case syntax_cases[] = {
	{ "empty document", "", 0, "1:1: unexpected end of the document", 1 },
	{ "whitespace only", "  \n ", 0, "2:2: unexpected end of the document", 1 },
	{ "comment only", "// nothing\n", 0, "2:1: unexpected end of the document", 1 },
	{ "object not closed", "{\"agent_id\": \"a\"", 0,
	  "1:17: expected ',' or '}' after a member", 1 },
	{ "missing ',' between members", "{\"agent_id\": \"a\" \"version\": \"1\"}", 0,
	  "1:18: expected ',' or '}' after a member", 1 },
	{ "missing ',' between items", "{\"exec\": [\"/a\" \"/b\"]}", 0,
	  "1:16: expected ',' or ']' after an item", 1 },
	{ "array closed by '}'", "{\"exec\": [\"/a\"}", 0,
	  "1:15: expected ',' or ']' after an item", 1 },
	{ "key not a string", "{1: 2}", 0, "1:2: expected a \"key\" or '}'", 1 },
	{ "key in single quotes", "{'agent_id': 'a'}", 0, "1:2: expected a \"key\" or '}'", 1 },
	{ "bare word key", "{\n  agent_id: \"a\"}", 0, "2:3: expected a \"key\" or '}'", 1 },
	{ "no key after ','", "{\"agent_id\": \"a\", 2}", 0, "1:19: expected a \"key\" after ','",
	  1 },
	{ "no ':' after the key", "{\"agent_id\" \"a\"}", 0, "1:13: expected ':' after the key",
	  1 },
	{ "'=' instead of ':'", "{\"agent_id\"= \"a\"}", 0, "1:12: expected ':' after the key", 1 },
	{ "trailing ',' in an object", "{" ID ",\n}", 0,
	  "2:1: trailing ',' before the closing bracket", 1 },
	{ "trailing ',' in an array", "{\"exec\": [\"/a\", ]}", 0,
	  "1:17: trailing ',' before the closing bracket", 1 },
	{ "unterminated string", "{\"agent_id\": \"a}", 0, "1:14: unterminated string", 1 },
	{ "UTF-8 byte order mark", "\xef\xbb\xbf{" ID "}", 0,
	  "1:1: starts with a UTF-8 byte order mark (BOM): save the file without it", 1 },
	{ "unterminated key", "{\n\"agent_id", 0, "2:1: unterminated string", 1 },
	{ "string ending in a backslash", "{\"agent_id\": \"a\\", 0, "1:14: unterminated string",
	  1 },
	{ "unterminated block comment", "{" ID " /* the end", 0, "1:34: unterminated /* comment",
	  1 },
	{ "unterminated block comment, lines", "{" ID "\n  /* a\n b\n", 0,
	  "2:3: unterminated /* comment", 1 },
	{ "'/*/' is not a closed comment", "{" ID "} /*/", 0, "1:35: unterminated /* comment", 1 },
	{ "invalid escape \\x", "{\"agent_id\": \"a\\x41\"}", 0, "1:16: invalid escape in string",
	  1 },
	{ "invalid escape \\'", "{\"agent_id\": \"\\'\"}", 0, "1:15: invalid escape in string", 1 },
	{ "\\u with two digits", "{\"agent_id\": \"\\u41\"}", 0, "1:15: \\u needs four hex digits",
	  1 },
	{ "\\u with a non-hex digit", "{\"agent_id\": \"\\u004g\"}", 0,
	  "1:15: \\u needs four hex digits", 1 },
	{ "\\u at the end", "{\"agent_id\": \"\\u", 0, "1:15: \\u needs four hex digits", 1 },
	{ "\\u0000", "{\"agent_id\": \"a\\u0000\"}", 0, "1:16: \\u0000 is not allowed in strings",
	  1 },
	{ "raw tab in a string", "{\"agent_id\": \"a\tb\"}", 0,
	  "1:16: control character in string (escape it)", 1 },
	{ "raw newline in a string", "{\"agent_id\": \"a\nb\"}", 0,
	  "1:16: control character in string (escape it)", 1 },
	{ "invalid UTF-8 byte", "{\"agent_id\": \"a\xff\"}", 0, "1:16: invalid UTF-8 in string",
	  1 },
	{ "overlong UTF-8", "{\"version\": \"\xc0\xaf\"}", 0, "1:14: invalid UTF-8 in string", 1 },
	{ "UTF-8 surrogate", "{\"version\": \"\xed\xa0\x80\"}", 0, "1:14: invalid UTF-8 in string",
	  1 },
	{ "UTF-8 above U+10FFFF", "{\"version\": \"\xf4\x90\x80\x80\"}", 0,
	  "1:14: invalid UTF-8 in string", 1 },
	{ "truncated UTF-8", "{\"version\": \"x\xe2\x82\"}", 0, "1:15: invalid UTF-8 in string",
	  1 },
	{ "minus alone", "{\"baseline\": -}", 0, "1:14: invalid number", 1 },
	{ "minus and a letter", "{\"baseline\": -x}", 0, "1:14: invalid number", 1 },
	{ "number ending in '.'", "{\"baseline\": 1.}", 0, "1:14: invalid number", 1 },
	{ "exponent without digits", "{\"baseline\": 1e+}", 0, "1:14: invalid number", 1 },
	{ "leading zero", "{\"baseline\": 01}", 0, "1:15: expected ',' or '}' after a member", 1 },
	{ "leading '.'", "{\"baseline\": .5}", 0, "1:14: " VALUE, 1 },
	{ "leading '+'", "{\"baseline\": +1}", 0, "1:14: " VALUE, 1 },
	{ "missing value", "{\"baseline\": }", 0, "1:14: " VALUE, 1 },
	{ "True", "{\"baseline\": True}", 0, "1:14: " VALUE, 1 },
	{ "truncated literal", "{\"baseline\": tru}", 0, "1:14: " VALUE, 1 },
	{ "NaN", "{\"baseline\": NaN}", 0, "1:14: " VALUE, 1 },
	{ "value missing in an array", "{\"exec\": [,]}", 0, "1:11: " VALUE, 1 },
	{ "lone '}'", "}", 0, "1:1: " VALUE, 1 },
	{ "second document", "{" ID "} {}", 0, "1:35: unexpected text after the document", 1 },
	{ "extra '}'", "{" ID "}}", 0, "1:34: unexpected text after the document", 1 },
	{ "NUL after the document", "{" ID "}\n\0", 35, "2:1: NUL byte in the document", 1 },
	{ "NUL inside the document", "{" ID ",\0}", 35, "1:34: expected a \"key\" after ','", 1 },
	{ "NUL in a string", "{\"agent_id\": \"a\0\"}", 18,
	  "1:16: control character in string (escape it)", 1 },
};

UNIT_TEST(syntax_errors)
{
	check_doc_cases(syntax_cases, ARRAY_SIZE(syntax_cases));
}

/* 32 containers below the root are accepted, 33 are not (the root is level 0). */
UNIT_TEST(nesting_limit)
{
	char doc[256], want[128];
	struct doc_case t = { "nesting", doc, 0, NULL, 0 };
	size_t off;
	int i;

	/* "x": [[...]]: the root object is level 0, the outermost '[' level 1. */
	off = (size_t)snprintf(doc, sizeof(doc), "{" ID ", \"x\": ");
	for (i = 0; i < 32; i++)
		doc[off + i] = '[';
	for (i = 0; i < 32; i++)
		doc[off + 32 + i] = ']';
	strcpy(doc + off + 64, "}");
	t.first = "1:35: x: unknown key (expected: agent_id, version, mode, baseline, "
		  "execution_constraints, data_access, exec, network_rules, revocation_check, "
		  "auto_revoke, audit, allow_jit, ipc, spiffe_id, actions, risk, egress)";
	t.n_errors = 1;
	check_doc_case(&t);

	for (i = 0; i < 33; i++)
		doc[off + i] = '[';
	for (i = 0; i < 33; i++)
		doc[off + 33 + i] = ']';
	strcpy(doc + off + 66, "}");
	snprintf(want, sizeof(want), "1:%zu: nesting deeper than 32 levels", off + 33);
	t.first = want;
	check_doc_case(&t);

	/* Arrays only: 33 levels counting the root pass the scanner, 34 do not. */
	memset(doc, '[', 33);
	memset(doc + 33, ']', 33);
	doc[66] = '\0';
	t.first = "1:1: a policy must be a JSON object";
	check_doc_case(&t);
	memset(doc, '[', 34);
	memset(doc + 34, ']', 34);
	doc[68] = '\0';
	t.first = "1:34: nesting deeper than 32 levels";
	check_doc_case(&t);
}

/* Semantic errors keep exact positions through comments, CRLF, tabs and UTF-8 (in bytes). */
static const struct doc_case position_cases[] = {
	{ "CRLF", "{\r\n  \"agent_id\": 5,\r\n  \"version\": \"1\"\r\n}\r\n", 0,
	  "2:15: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "CRLF, third line", "{\r\n\"agent_id\": \"a\",\r\n\"version\": \"1\", \"mode\": 0\r\n}",
	  0, "3:25: mode: must be \"enforce\" or \"audit\"", 1 },
	/* A lone CR does not end a line. */
	{ "CR only", "{\r\"agent_id\": 5, \"version\": \"1\"}", 0,
	  "1:15: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "tabs are one column", "{\t\"agent_id\":\t5, \"version\": \"1\"}", 0,
	  "1:15: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	/* Columns count bytes: "é" is two. */
	{ "UTF-8 before the error", "{\"version\": \"\xc3\xa9\", \"agent_id\": 5}", 0,
	  "1:31: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "after a block comment over lines", "/* a\n b */ {\"agent_id\": 5, \"version\": \"1\"}",
	  0, "2:20: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "required: at the root", "// c\n  {\"version\": \"1\"}", 0, "2:3: agent_id: required",
	  1 },
	{ "after a line comment", "{\"version\": \"1\", // \"mode\": 1,\n \"agent_id\": 5}", 0,
	  "2:14: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "'//' inside a string is not a comment",
	  "{\"agent_id\": \"a\", \"version\": \"//\", \"mode\": 1}", 0,
	  "1:44: mode: must be \"enforce\" or \"audit\"", 1 },
	{ "'/*' inside a string is not a comment",
	  "{\"agent_id\": \"a\", \"version\": \"/*\", \"mode\": 1} // */", 0,
	  "1:44: mode: must be \"enforce\" or \"audit\"", 1 },
	{ "escaped quote then '//' in a string",
	  "{\"agent_id\": \"a\", \"version\": \"\\\"//\", \"mode\": 1}", 0,
	  "1:46: mode: must be \"enforce\" or \"audit\"", 1 },
};

UNIT_TEST(positions)
{
	check_doc_cases(position_cases, ARRAY_SIZE(position_cases));
}

static const struct doc_case comment_cases[] = {
	{ "comments everywhere",
	  "// head\n/* block */ { // after '{'\n"
	  "  \"agent_id\" /* between key and ':' */ : /* before the value */ \"a\", // end\n"
	  "  \"version\"//x\n  :\"1\"/**/,/***/\"mode\"/* * / */:\"audit\"\n} // tail",
	  0, NULL, 0 },
	{ "a quote inside a line comment", "{ // it's \"quoted\n" ID "}", 0, NULL, 0 },
	{ "a quote inside a block comment", "{ /* \" */ " ID "}", 0, NULL, 0 },
	{ "comment without a final newline", "{" ID "} // end", 0, NULL, 0 },
	{ "SAN-like version", "{\"agent_id\": \"a\", \"version\": \"spiffe://x/y\"}", 0, NULL, 0 },
	{ "escapes", "{\"agent_id\": \"a\", \"version\": \"\\\"\\\\\\/\\u00e9\\u20AC\"}", 0, NULL,
	  0 },
	{ "surrogate pair", "{\"agent_id\": \"a\", \"version\": \"\\ud83d\\ude00\"}", 0, NULL, 0 },
	{ "four-byte UTF-8", "{\"agent_id\": \"a\", \"version\": \"\xf0\x9f\x98\x80\"}", 0, NULL,
	  0 },
	{ "CRLF with comments", "// c\r\n{\r\n\"agent_id\": \"a\", // c\r\n\"version\": \"1\"\r\n}",
	  0, NULL, 0 },
};

UNIT_TEST(comments)
{
	check_doc_cases(comment_cases, ARRAY_SIZE(comment_cases));
}

/*
 * A \u escape of a lone UTF-16 surrogate passes the scanner but not cJSON: it is a syntax error
 * of the document at the escape, not an allocation failure.
 */
UNIT_TEST(lone_surrogate_escape)
{
	static const char *const docs[] = {
		"{\"agent_id\": \"a\", \"version\": \"\\ud800\"}",
		"{\"agent_id\": \"a\", \"version\": \"\\udc00x\"}",
		"{\"agent_id\": \"a\", \"version\": \"\\ud83d\\u0041\"}",
	};
	struct kk_errors e;
	struct kk_policy p;
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(docs); i++) {
		rc = parse_doc(docs[i], &p, &e);
		kk_policy_free(&p);
		if (rc != -EINVAL || e.n != 1 || e.v[0].line != 1 || e.v[0].col != 31 ||
		    e.v[0].field[0] || !e.v[0].reason[0]) {
			unit_fail_begin(__FILE__, __LINE__);
			printf("%s: expected one error at 1:31, got rc %d, %zu errors\n", docs[i],
			       rc, e.n);
		}
		kk_errors_free(&e);
	}
}

int main(void)
{
	UNIT_RUN(syntax_errors);
	UNIT_RUN(nesting_limit);
	UNIT_RUN(positions);
	UNIT_RUN(comments);
	UNIT_RUN(lone_surrogate_escape);
	return unit_done();
}
