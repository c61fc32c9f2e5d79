// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/audit*.c, the verifier: a chain of five lines is built once, then written to
 * files as is and tampered with in every way the verifier must catch, each at the exact line and
 * with the right kind of message.
 */
#include "test_audit.h"

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

int main(void)
{
	int ret;

	if (!audit_fixture_up())
		return 1;
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
	ret = unit_done();
	audit_fixture_down();
	return ret;
}
