// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/audit*.c, the writer: one line checked and chained, the canonical text,
 * Unicode, resuming a chain from a file, rotation keeping the chain, unreadable files.
 */
#include "test_audit.h"

UNIT_TEST(line_check_refusals)
{
	static const char *const bad[][2] = {
		{ "{\"prev_hash\":\"" ZEROS "\",\"hash\":\"" ZEROS "X\"}",
		  "ill-formed \"hash\": not 64 lowercase hex digits" },
		{ "{\"prev_hash\":\"" ZEROS "\",\"hash\":7}",
		  "ill-formed \"hash\": not 64 lowercase hex digits" },
		{ "{\"hash\":\"" ZEROS "\",\"prev_hash\":\"" ZEROS "\"}",
		  "\"hash\" is not the last member written as ,\"hash\":\"<64 hex>\"}" },
		{ "{\"prev_hash\":\"" ZEROS "\", \"hash\":\"" ZEROS "\"}",
		  "\"hash\" is not the last member written as ,\"hash\":\"<64 hex>\"}" },
		{ "{\"a\":1,\"hash\":\"" ZEROS "\"}", "no \"prev_hash\" member" },
		{ "{\"prev_hash\":\"ABC\",\"hash\":\"" ZEROS "\"}",
		  "ill-formed \"prev_hash\": not 64 lowercase hex digits" },
		{ "{\"a\":{\"b\":1,\"b\":2},\"prev_hash\":\"" ZEROS "\",\"hash\":\"" ZEROS "\"}",
		  "member name \"b\" repeated in one object" },
		{ " {}", "not a JSON object (does not start with '{')" },
		{ "[1]", "not a JSON object (does not start with '{')" },
	};
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(kk_audit_line_check(bad[i][0], strlen(bad[i][0]), NULL, NULL, why,
						 sizeof(why)),
			     -EINVAL);
		CHECK_EQ_STR(why, bad[i][1]);
	}
	CHECK_EQ_INT(kk_audit_line_check("{\"a\":\"x\0y\"}", 11, NULL, NULL, why, sizeof(why)),
		     -EINVAL);
	CHECK_EQ_STR(why, "contains a NUL byte");
	/* why may be NULL. */
	CHECK_EQ_INT(kk_audit_line_check("", 0, NULL, NULL, NULL, 0), -EINVAL);
}

/* The hash of a good line is reported, and uppercase hex is not the same hash. */
UNIT_TEST(line_check_reports_hashes)
{
	char hash[65], prev[65], why[256] = "", *up = malloc(strlen(line[1]) + 16);
	size_t len = strlen(line[1]), i;

	strcpy(up, line[1]);
	CHECK_EQ_INT(kk_audit_line_check(line[1], strlen(line[1]), hash, prev, why, sizeof(why)),
		     0);
	CHECK_EQ_STR(hash, member(line[1], "hash"));
	CHECK_EQ_STR(prev, member(line[0], "hash"));
	/* len bytes, not up to a NUL: here the line is followed by more text. */
	strcpy(up + len - 1, "}garbage");
	CHECK_EQ_INT(kk_audit_line_check(up, len, NULL, NULL, why, sizeof(why)), 0);
	for (i = len - 66; i < len - 2; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] -= 'a' - 'A';
	CHECK_EQ_INT(kk_audit_line_check(up, len, NULL, NULL, why, sizeof(why)), -EINVAL);
	free(up);
	CHECK_EQ_STR(why, "ill-formed \"hash\": not 64 lowercase hex digits");
}

UNIT_TEST(chain_line_refusals)
{
	static const struct {
		const char *json;
		int err;
	} bad[] = {
		{ "[1,2]", EINVAL },
		{ "\"text\"", EINVAL },
		{ "42", EINVAL },
		{ "null", EINVAL },
		{ "not json", EINVAL },
		{ "", EINVAL },
		{ "{} {}", EINVAL },
		{ "{\"a\":1", EINVAL },
		{ "{\"a\":1,\"a\":2}", EINVAL },
		{ "{\"x\":[{\"k\":1,\"k\":1}]}", EINVAL },
		{ "{\"hash\":\"" ZEROS "\"}", EEXIST },
		{ "{\"a\":1,\"prev_hash\":\"" ZEROS "\"}", EEXIST },
		{ "{\"a\":\"\xff\"}", EILSEQ },
		{ "{\"\xc3\x28\":1}", EILSEQ },
	};
	struct kk_audit_chain c;
	size_t i;

	kk_audit_chain_init(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CHECK(kk_audit_chain_line(&c, bad[i].json) == NULL);
		CHECK_EQ_INT(errno, bad[i].err);
		/* A refusal leaves the chain where it was. */
		CHECK_EQ_STR(c.prev, ZEROS);
		CHECK_EQ_INT(c.lines, 0);
	}
	errno = 0;
	CHECK(kk_audit_chain_line(&c, NULL) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(kk_audit_chain_init(NULL), -EINVAL);
}

/* Whitespace in the input is not kept, "Hash" is an ordinary member: names are exact. */
UNIT_TEST(chain_line_reprints_compactly)
{
	struct kk_audit_chain c;
	char *l, want[256];

	kk_audit_chain_init(&c);
	l = kk_audit_chain_line(&c, " { \"Hash\" : 1 ,\n \"b\" : [ 1 , 2 ] }\n");
	CHECK(l);
	snprintf(want, sizeof(want),
		 "{\"Hash\":1,\"b\":[1,2],\"prev_hash\":\"%s\",\"hash\":\"%s\"}", ZEROS, c.prev);
	CHECK_EQ_STR(l, want);
	free(l);
	CHECK_EQ_INT(c.lines, 1);
	l = kk_audit_chain_line(&c, "{}");
	CHECK(l);
	CHECK_EQ_INT(kk_audit_line_check(l, strlen(l), NULL, NULL, NULL, 0), 0);
	free(l);
	CHECK_EQ_INT(c.lines, 2);
}

UNIT_TEST(unicode_round_trips)
{
	static const char *const in[] = {
		"{\"v\":\"caf\xc3\xa9\"}",
		"{\"v\":\"caf\\u00e9\"}",		       /* escaped in, raw UTF-8 out */
		"{\"v\":\"\xf0\x9f\x98\x80 \\ud83d\\ude00\"}", /* an emoji, raw and as a pair */
		"{\"v\":\"" FFFD "\",\"\xc3\xa9\":\"k\"}",
		"{\"v\":\"tab\\t nl\\n quote\\\" u2028\xe2\x80\xa8\"}",
	};
	static const char *const want[] = {
		"caf\xc3\xa9",
		"caf\xc3\xa9",
		"\xf0\x9f\x98\x80 \xf0\x9f\x98\x80",
		FFFD,
		"tab\t nl\n quote\" u2028\xe2\x80\xa8",
	};
	const char *p = tp("unicode.jsonl");
	char *ls[5], why[512] = "";
	struct kk_audit_chain c;
	uint64_t n = 99;
	int i;

	kk_audit_chain_init(&c);
	for (i = 0; i < 5; i++) {
		ls[i] = kk_audit_chain_line(&c, in[i]);
		CHECK(ls[i]);
		CHECK_EQ_STR(member(ls[i], "v"), want[i]);
	}
	CHECK_EQ_STR(member(ls[3], "\xc3\xa9"), "k");
	CHECK(strstr(ls[1], "caf\xc3\xa9"));
	CHECK_EQ_INT(write_lines(p, ls, 5, true), 0);
	for (i = 0; i < 5; i++)
		free(ls[i]);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 5);
}

/* Resume continues where a file ends; appending to it keeps one chain. */
UNIT_TEST(resume_continues_the_chain)
{
	const char *p = tp("resume.jsonl");
	char why[512] = "", *l;
	struct kk_audit_chain c;
	uint64_t n = 99;
	FILE *f;

	CHECK_EQ_INT(write_lines(p, line, 5, true), 0);
	c.lines = 42;
	CHECK_EQ_INT(kk_audit_chain_resume(&c, p, why, sizeof(why)), 0);
	CHECK_EQ_STR(c.prev, member(line[4], "hash"));
	CHECK_EQ_INT(c.lines, 0);
	l = kk_audit_chain_line(&c, "{\"seq\":6}");
	CHECK(l);
	f = fopen(p, "a");
	CHECK(f);
	fprintf(f, "%s\n", l);
	fclose(f);
	free(l);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 6);
}

/* Last lines longer than the first read window, and a file that is one line. */
UNIT_TEST(resume_long_last_line)
{
	const char *p = tp("long.jsonl");
	char *big = malloc(20000), *ls[2], why[512] = "";
	struct kk_audit_chain c, r;

	kk_audit_chain_init(&c);
	strcpy(big, "{\"v\":\"");
	memset(big + 6, 'x', 19000);
	strcpy(big + 19006, "\"}");
	ls[0] = kk_audit_chain_line(&c, big);
	ls[1] = kk_audit_chain_line(&c, big);
	free(big);
	CHECK(ls[0] && ls[1]);
	CHECK_EQ_INT(write_lines(p, ls, 1, true), 0);
	CHECK_EQ_INT(kk_audit_chain_resume(&r, p, why, sizeof(why)), 0);
	CHECK_EQ_STR(r.prev, member(ls[0], "hash"));
	CHECK_EQ_INT(write_lines(p, ls, 2, true), 0);
	CHECK_EQ_INT(kk_audit_chain_resume(&r, p, why, sizeof(why)), 0);
	CHECK_EQ_STR(r.prev, c.prev);
	free(ls[0]);
	free(ls[1]);
}

UNIT_TEST(resume_refusals)
{
	const char *p = tp("resume-bad.jsonl");
	char *ls[5], *edited, want[PATH_MAX + 128], why[512] = "";
	struct kk_audit_chain c;

	kk_audit_chain_init(&c);
	CHECK_EQ_INT(kk_audit_chain_resume(&c, tp("no-such-file"), why, sizeof(why)), -ENOENT);
	CHECK_EQ_INT(write_lines(p, NULL, 0, true), 0);
	CHECK_EQ_INT(kk_audit_chain_resume(&c, p, why, sizeof(why)), -ENODATA);
	snprintf(want, sizeof(want), "%s: empty file, no line to continue from", p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(write_lines(p, line, 5, false), 0);
	CHECK_EQ_INT(kk_audit_chain_resume(&c, p, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s: last line: no final newline", p);
	CHECK_PREFIX(why, want);
	memcpy(ls, line, sizeof(ls));
	edited = strdup(line[4]);
	edited[2] = 'X'; /* "seq" becomes "Xeq" */
	ls[4] = edited;
	CHECK_EQ_INT(write_lines(p, ls, 5, true), 0);
	free(edited);
	CHECK_EQ_INT(kk_audit_chain_resume(&c, p, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s: last line: hash mismatch", p);
	CHECK_PREFIX(why, want);
	CHECK_EQ_INT(kk_audit_chain_resume(&c, dir, why, sizeof(why)), -EINVAL);
	/* Every refusal left the chain alone. */
	CHECK_EQ_STR(c.prev, ZEROS);
}

/* 3 lines, rotate, resume from path.1 into a new path, 2 more: one chain over both files. */
UNIT_TEST(rotation_continues_the_chain)
{
	const char *p = tp("rot.jsonl"), *p1 = tp("rot.jsonl.1");
	const char *both[] = { p1, p };
	char want[PATH_MAX + 160], why[512] = "";
	struct kk_audit_chain c;
	struct stat sb;
	uint64_t n = 99;

	CHECK_EQ_INT(write_lines(p, line, 3, true), 0);
	CHECK_EQ_INT(kk_audit_rotate(p, 3), 0);
	CHECK_EQ_INT(stat(p, &sb), -1);
	CHECK_EQ_INT(kk_audit_chain_resume(&c, p, why, sizeof(why)), -ENOENT);
	CHECK_EQ_INT(kk_audit_chain_resume(&c, p1, why, sizeof(why)), 0);
	CHECK_EQ_STR(c.prev, member(line[2], "hash"));
	/* The chain's lines 4 and 5 are what the reference chain made after line 3. */
	CHECK_EQ_INT(write_lines(p, line + 3, 2, true), 0);
	CHECK_EQ_INT(kk_audit_verify(both, 2, false, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: prev_hash of the first line is not 64 zeros", p);
	CHECK_PREFIX(why, want);
	CHECK_EQ_INT(verify1(p, true, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 2);
	/* The files in the wrong order: the boundary names both files. */
	CHECK_EQ_INT(kk_audit_verify((const char *[]){ p, p1 }, 2, true, &n, why, sizeof(why)),
		     -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:1: prev_hash does not match the hash of %s:2, the last "
		 "line of the previous file: a line or file was deleted, inserted or reordered "
		 "before it",
		 p1, p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 2);
}

/* keep 2: three rotations delete the oldest file; what is left verifies from any start. */
UNIT_TEST(rotation_keeps_n_files)
{
	const char *p = tp("keep.jsonl"), *p1 = tp("keep.jsonl.1"), *p2 = tp("keep.jsonl.2");
	const char *all[] = { p2, p1, p };
	char why[512] = "";
	struct stat sb;
	uint64_t n = 99;
	int i;

	for (i = 0; i < 3; i++) {
		CHECK_EQ_INT(write_lines(p, line + i, 1, true), 0);
		CHECK_EQ_INT(kk_audit_rotate(p, 2), 0);
	}
	CHECK_EQ_INT(write_lines(p, line + 3, 2, true), 0);
	CHECK_EQ_INT(stat(tp("keep.jsonl.3"), &sb), -1);
	CHECK_EQ_INT(kk_audit_chain_resume(&(struct kk_audit_chain){ 0 }, p2, why, sizeof(why)), 0);
	/* keep.jsonl.2 is the second line: the first was deleted by the third rotation. */
	CHECK_EQ_INT(kk_audit_verify(all, 3, false, &n, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(kk_audit_verify(all, 3, true, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(kk_audit_rotate(tp("no-such-log"), 2), -ENOENT);
	CHECK_EQ_INT(kk_audit_rotate(p, 0), -EINVAL);
	CHECK_EQ_INT(kk_audit_rotate(NULL, 1), -EINVAL);
	/* keep 1: the old .1 is replaced. */
	CHECK_EQ_INT(kk_audit_rotate(p, 1), 0);
	CHECK_EQ_INT(verify1(p1, false, &n, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(verify1(p1, true, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 2);
}

UNIT_TEST(verify_unreadable_file)
{
	const char *p = tp("absent.jsonl");
	char want[PATH_MAX + 64], why[512] = "";
	uint64_t n = 99;

	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 0);
}

int main(void)
{
	int ret;

	if (!audit_fixture_up())
		return 1;
	UNIT_RUN(line_check_refusals);
	UNIT_RUN(line_check_reports_hashes);
	UNIT_RUN(chain_line_refusals);
	UNIT_RUN(chain_line_reprints_compactly);
	UNIT_RUN(unicode_round_trips);
	UNIT_RUN(resume_continues_the_chain);
	UNIT_RUN(resume_long_last_line);
	UNIT_RUN(resume_refusals);
	UNIT_RUN(rotation_continues_the_chain);
	UNIT_RUN(rotation_keeps_n_files);
	UNIT_RUN(verify_unreadable_file);
	ret = unit_done();
	audit_fixture_down();
	return ret;
}
