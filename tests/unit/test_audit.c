// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/audit*.c: the hash-chained audit log. A chain of five lines is built once
 * (main), then written to files in a private mkdtemp directory as is and tampered with in every
 * way the verifier must catch, each at the exact line and with the right kind of message.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "audit.h"
#include "kakunin.h"
#include "output.h"
#include "unit.h"

#define ZEROS	   "0000000000000000000000000000000000000000000000000000000000000000"
#define FFFD	   "\xef\xbf\xbd"
#define DIR_PREFIX "/tmp/kk-audit-test."

/* CHECK_PREFIX(s, p): s starts with p (on failure both are printed). */
#define CHECK_PREFIX(s, p)                                \
	do {                                              \
		const char *cp_s_ = (s), *cp_p_ = (p);    \
		if (strncmp(cp_s_, cp_p_, strlen(cp_p_))) \
			CHECK_EQ_STR(cp_s_, cp_p_);       \
	} while (0)

static char dir[64];
/* The reference chain: line[0..5), as kk_audit_chain_line made them. */
static char *line[5];

/* dir/name in one of eight rotating buffers, so a test can hold a few at once. */
static const char *tp(const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Write ls[0..n) one per line; the last without its newline unless final_nl. */
static int write_lines(const char *path, char *const *ls, int n, bool final_nl)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", ls[i], i < n - 1 || final_nl ? "\n" : "");
	return fclose(f) ? -errno : 0;
}

static int verify1(const char *path, bool any_start, uint64_t *lines, char *why, size_t wlen)
{
	const char *paths[] = { path };

	return kk_audit_verify(paths, 1, any_start, lines, why, wlen);
}

/* The value of a string member of a line, copied into a static buffer ("" if none). */
static const char *member(const char *l, const char *name)
{
	static char buf[512];
	cJSON *o = cJSON_Parse(l);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	snprintf(buf, sizeof(buf), "%s", cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(o);
	return buf;
}

/* The object text of a line without its two hash members, as a forger would re-chain it. */
static char *strip(const char *l)
{
	cJSON *o = cJSON_Parse(l);
	char *s;

	cJSON_DeleteItemFromObjectCaseSensitive(o, "hash");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "prev_hash");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[2 * n] = '\0';
}

UNIT_TEST(chain_of_five_verifies)
{
	const char *p = tp("five.jsonl");
	uint64_t n = 99;
	char why[512] = "";

	CHECK_EQ_INT(write_lines(p, line, 5, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), 0);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(n, 5);
}

/* Each line: prev_hash is the previous hash (zeros first), "hash" last as the fixed suffix. */
UNIT_TEST(lines_are_chained_and_hash_is_last)
{
	char prev[65] = ZEROS, suffix[80];
	int i;

	for (i = 0; i < 5; i++) {
		size_t len = strlen(line[i]);

		CHECK_EQ_STR(member(line[i], "prev_hash"), prev);
		snprintf(suffix, sizeof(suffix), ",\"hash\":\"%s\"}", member(line[i], "hash"));
		CHECK(len > 75);
		CHECK_EQ_STR(line[i] + len - 75, suffix);
		CHECK(!strchr(line[i], '\n'));
		snprintf(prev, sizeof(prev), "%s", member(line[i], "hash"));
	}
}

/*
 * The two descriptions of the canonical text agree: the line's bytes with the hash member cut
 * off, and the parsed line without "hash" printed again by cJSON_PrintUnformatted. A line is
 * also a fixed point of cJSON's parse and print.
 */
UNIT_TEST(canonical_text_is_the_line_without_hash)
{
	char want[65], *canon, *again, *cut;
	cJSON *o;
	size_t len;
	int i;

	for (i = 0; i < 5; i++) {
		o = cJSON_Parse(line[i]);
		CHECK(o);
		again = cJSON_PrintUnformatted(o);
		cJSON_DeleteItemFromObjectCaseSensitive(o, "hash");
		canon = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		len = strlen(line[i]);
		cut = strndup(line[i], len - 75);
		cut = realloc(cut, len - 75 + 2);
		strcat(cut, "}");
		sha256_hex(canon, want);
		CHECK_EQ_STR(again, line[i]);
		CHECK_EQ_STR(cut, canon);
		CHECK_EQ_STR(want, member(line[i], "hash"));
		free(again);
		free(canon);
		free(cut);
	}
}

UNIT_TEST(edited_value_is_a_hash_mismatch)
{
	const char *p = tp("edit.jsonl");
	char *ls[5], *edited, *at, want[PATH_MAX + 64], why[512] = "";
	uint64_t n = 99;

	memcpy(ls, line, sizeof(ls));
	edited = malloc(strlen(line[2]) + 2);
	strcpy(edited, line[2]);
	at = strstr(edited, "\"decision\":\"deny\"");
	CHECK(at);
	memcpy(at, "\"decision\":\"DENY\"", 17); /* same length: only the bytes change */
	ls[2] = edited;
	CHECK_EQ_INT(write_lines(p, ls, 5, true), 0);
	free(edited);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: hash mismatch: the line was edited", p);
	CHECK_PREFIX(why, want);
	CHECK_EQ_INT(n, 2);
}

UNIT_TEST(deleted_line_is_a_prev_hash_mismatch)
{
	const char *p = tp("delete.jsonl");
	char *ls[] = { line[0], line[1], line[3], line[4] }, want[PATH_MAX + 128], why[512] = "";
	uint64_t n = 99;

	CHECK_EQ_INT(write_lines(p, ls, 4, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:3: prev_hash does not match line 2's hash: a line was "
		 "deleted, inserted or reordered before it",
		 p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 2);
}

/* A forged line chained onto line 2 passes itself; the old line 3, now 4, no longer links. */
UNIT_TEST(inserted_forged_line_is_caught_at_the_next_line)
{
	const char *p = tp("insert.jsonl");
	char want[PATH_MAX + 128], why[512] = "", *forged, *ls[6];
	struct kk_audit_chain c;
	uint64_t n = 99;

	kk_audit_chain_init(&c);
	snprintf(c.prev, sizeof(c.prev), "%s", member(line[1], "hash"));
	forged = kk_audit_chain_line(&c, "{\"seq\":2.5,\"decision\":\"allow\"}");
	CHECK(forged);
	CHECK_EQ_INT(kk_audit_line_check(forged, strlen(forged), NULL, NULL, why, sizeof(why)), 0);
	ls[0] = line[0], ls[1] = line[1], ls[2] = forged;
	memcpy(ls + 3, line + 2, 3 * sizeof(*ls));
	CHECK_EQ_INT(write_lines(p, ls, 6, true), 0);
	free(forged);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:4: prev_hash does not match line 3's hash: a line was "
		 "deleted, inserted or reordered before it",
		 p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 3);
}

/*
 * The documented limit: a forger who also re-chains every line after the forgery produces a log
 * that verifies. Only an anchor kept elsewhere (a hash shipped off-host) tells the two apart.
 */
UNIT_TEST(rechained_tail_verifies_the_documented_limit)
{
	const char *p = tp("rechain.jsonl");
	char why[512] = "", *ls[6], *text;
	struct kk_audit_chain c;
	uint64_t n = 99;
	int i;

	kk_audit_chain_init(&c);
	snprintf(c.prev, sizeof(c.prev), "%s", member(line[1], "hash"));
	ls[0] = line[0], ls[1] = line[1];
	ls[2] = kk_audit_chain_line(&c, "{\"seq\":2.5,\"decision\":\"allow\"}");
	for (i = 2; i < 5; i++) {
		text = strip(line[i]);
		ls[i + 1] = kk_audit_chain_line(&c, text);
		free(text);
	}
	CHECK_EQ_INT(write_lines(p, ls, 6, true), 0);
	for (i = 2; i < 6; i++)
		free(ls[i]);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 6);
	/* What the anchor catches: the last hash is no longer the one shipped away. */
	CHECK(strcmp(c.prev, member(line[4], "hash")));
}

UNIT_TEST(reordered_lines_are_a_prev_hash_mismatch)
{
	const char *p = tp("reorder.jsonl");
	char *ls[] = { line[0], line[2], line[1], line[3], line[4] };
	char want[PATH_MAX + 128], why[512] = "";
	uint64_t n = 99;

	CHECK_EQ_INT(write_lines(p, ls, 5, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: prev_hash does not match line 1's hash: a line was "
		 "deleted, inserted or reordered before it",
		 p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 1);
}

UNIT_TEST(missing_final_newline_is_a_truncated_write)
{
	const char *p = tp("trunc.jsonl");
	char want[PATH_MAX + 128], why[512] = "";
	struct stat sb;
	uint64_t n = 99;

	snprintf(want, sizeof(want),
		 "%s:5: no final newline: the last line is incomplete (a "
		 "truncated write)",
		 p);
	/* Only the newline lost: the line itself is still good. */
	CHECK_EQ_INT(write_lines(p, line, 5, false), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 4);
	/* Cut in the middle of the last line. */
	CHECK_EQ_INT(write_lines(p, line, 5, true), 0);
	CHECK_EQ_INT(stat(p, &sb), 0);
	CHECK_EQ_INT(truncate(p, sb.st_size - 30), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, want);
}

UNIT_TEST(empty_file_is_zero_lines)
{
	const char *p = tp("empty.jsonl");
	char why[512] = "";
	uint64_t n = 99;

	CHECK_EQ_INT(write_lines(p, NULL, 0, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(kk_audit_verify(NULL, 0, false, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 0);
}

UNIT_TEST(empty_line_is_refused)
{
	const char *p = tp("emptyline.jsonl");
	char *ls[] = { line[0], line[1], "", line[2] }, want[PATH_MAX + 64], why[512] = "";
	uint64_t n = 99;

	CHECK_EQ_INT(write_lines(p, ls, 4, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: empty line", p);
	CHECK_EQ_STR(why, want);
	/* A blank line at the end too. */
	CHECK_EQ_INT(write_lines(p, (char *[]){ line[0], "" }, 2, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: empty line", p);
	CHECK_EQ_STR(why, want);
}

/* A log that starts mid-chain: refused unless the caller says its start is unanchored. */
UNIT_TEST(first_line_with_nonzero_prev_hash)
{
	const char *p = tp("tail.jsonl");
	char want[PATH_MAX + 160], why[512] = "";
	uint64_t n = 99;

	CHECK_EQ_INT(write_lines(p, line + 1, 4, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:1: prev_hash of the first line is not 64 zeros: the "
		 "chain does not start here (an older file is missing or was rotated away)",
		 p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(verify1(p, true, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 4);
}

UNIT_TEST(line_that_is_not_json)
{
	const char *p = tp("notjson.jsonl");
	char want[PATH_MAX + 64], why[512] = "";
	uint64_t n = 99;

	CHECK_EQ_INT(write_lines(p, (char *[]){ line[0], "not json at all" }, 2, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not a JSON object", p);
	CHECK_PREFIX(why, want);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(write_lines(p, (char *[]){ line[0], "{\"seq\":" }, 2, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not JSON (invalid at byte", p);
	CHECK_PREFIX(why, want);
	/* Two objects on one line. */
	CHECK_EQ_INT(write_lines(p, (char *[]){ "{}{}" }, 1, true), 0);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: not one JSON object (text after byte 2)", p);
	CHECK_EQ_STR(why, want);
}

UNIT_TEST(line_without_hash_member)
{
	const char *p = tp("nohash.jsonl");
	char *cut = strdup(line[2]), *ls[5], want[PATH_MAX + 64], why[512] = "";
	uint64_t n = 99;

	/* Drop ,"hash":"<64>" and keep the closing brace. */
	strcpy(cut + strlen(cut) - 75, "}");
	memcpy(ls, line, sizeof(ls));
	ls[2] = cut;
	CHECK_EQ_INT(write_lines(p, ls, 5, true), 0);
	free(cut);
	CHECK_EQ_INT(verify1(p, false, &n, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: no \"hash\" member", p);
	CHECK_EQ_STR(why, want);
	CHECK_EQ_INT(n, 2);
}

/* Ill-formed lines, checked one by one. */
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

/* The reference chain: an event from kk_event_json first, then hand-written objects. */
static int make_chain(void)
{
	static const char *const rest[] = {
		"{\"seq\":2,\"event_type\":\"action.allowed\",\"decision\":\"allow\","
		"\"action\":{\"path\":\"/data/market-feeds/x\",\"access\":\"read\"}}",
		"{\"seq\":3,\"event_type\":\"action.denied\",\"decision\":\"deny\","
		"\"action\":{\"address\":\"10.0.0.1\",\"port\":443,\"protocol\":\"tcp\"},"
		"\"reason\":\"host not allowed\"}",
		"{\"seq\":4,\"event_type\":\"agent.bound\",\"agent_id\":\"trading_bot_v2\","
		"\"x\":{\"a\":[1,2.5,-3e-7,true,false,null,{}]}}",
		"{\"seq\":5,\"event_type\":\"events.lost\",\"count\":17}",
	};
	struct kk_event ev = { .ktime_ns = 5000000000ULL,
			       .type = KK_EV_ACTION_DENIED,
			       .hook = KK_HOOK_FILE_OPEN,
			       .pid = 1234,
			       .tid = 1234,
			       .uid = 1000,
			       .access = KK_ACCESS_READ,
			       .reason = KK_REASON_NOT_IN_SCOPE,
			       .err = EACCES,
			       .comm = "python3" };
	struct kk_who who = { "trading_bot_v2", "f1d4e8c7b2a9f3e6", "1.0.0" };
	struct kk_clock clk = { .boot_to_real_ns = 1781534020000000000LL };
	struct kk_audit_chain c;
	char *ej;
	int i;

	strcpy(ev.path, "/secrets/api-key.json");
	ev.path_len = strlen(ev.path) + 1;
	ej = kk_event_json(&ev, 1, &clk, &who);
	kk_audit_chain_init(&c);
	line[0] = ej ? kk_audit_chain_line(&c, ej) : NULL;
	free(ej);
	for (i = 0; i < 4; i++)
		line[i + 1] = kk_audit_chain_line(&c, rest[i]);
	for (i = 0; i < 5; i++)
		if (!line[i])
			return -1;
	return c.lines == 5 ? 0 : -1;
}

/* Remove the test directory: only if it is ours, and only the files written into it. */
static void remove_dir(void)
{
	struct dirent *de;
	DIR *d;

	if (strncmp(dir, DIR_PREFIX, strlen(DIR_PREFIX)) || strstr(dir, ".."))
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

int main(void)
{
	int ret, i;

	snprintf(dir, sizeof(dir), "%sXXXXXX", DIR_PREFIX);
	if (!mkdtemp(dir) || make_chain()) {
		printf("Bail out! cannot set up (%s)\n", strerror(errno));
		remove_dir();
		return 1;
	}
	UNIT_RUN(chain_of_five_verifies);
	UNIT_RUN(lines_are_chained_and_hash_is_last);
	UNIT_RUN(canonical_text_is_the_line_without_hash);
	UNIT_RUN(edited_value_is_a_hash_mismatch);
	UNIT_RUN(deleted_line_is_a_prev_hash_mismatch);
	UNIT_RUN(inserted_forged_line_is_caught_at_the_next_line);
	UNIT_RUN(rechained_tail_verifies_the_documented_limit);
	UNIT_RUN(reordered_lines_are_a_prev_hash_mismatch);
	UNIT_RUN(missing_final_newline_is_a_truncated_write);
	UNIT_RUN(empty_file_is_zero_lines);
	UNIT_RUN(empty_line_is_refused);
	UNIT_RUN(first_line_with_nonzero_prev_hash);
	UNIT_RUN(line_that_is_not_json);
	UNIT_RUN(line_without_hash_member);
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
	for (i = 0; i < 5; i++)
		free(line[i]);
	remove_dir();
	return ret;
}
