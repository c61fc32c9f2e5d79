// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the revocation list's state file (user/revocation_list.c): what `load` reads
 * back after a reboot. Entries written are read back the same; malformed entries are told from
 * good ones; a file that is not a list is refused, one that is absent is no error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "identity.h"
#include "kakunin.h"
#include "revocation.h"
#include "unit.h"

static const uint8_t issuer[KK_ISSUER_KEY_LEN] = { 0xf1, 0xd4, 0xe8, 0xc7, 0xb2, 0xa9, 0xf3, 0xe6 };
static const uint8_t serial[] = { 0x10, 0x00, 0xab };

static cJSON *parse(const char *text)
{
	cJSON *o = cJSON_Parse(text);

	if (!o)
		printf("# bad fixture: %s\n", text);
	return o;
}

UNIT_TEST(entry_round_trip)
{
	struct kk_revocation r = { .revoked_at = 1764000000, .source = KK_REV_OCSP }, back;
	struct kk_ident_key k, kb;
	cJSON *o;
	char *text;

	kk_ident_key_set(&k, issuer, serial, sizeof(serial));
	snprintf(r.reason, sizeof(r.reason), "keyCompromise");
	o = kk_revlist_entry_json(&k, &r);
	CHECK(o != NULL);
	text = cJSON_PrintUnformatted(o);
	CHECK_EQ_STR(text, "{\"issuer\":\"f1d4e8c7b2a9f3e6\",\"serial\":\"1000ab\","
			   "\"revoked_at\":1764000000,\"source\":\"ocsp\",\"reason\":\"keyCompromise\"}");
	free(text);
	CHECK_EQ_INT(kk_revlist_entry_parse(o, &kb, &back), 0);
	cJSON_Delete(o);
	CHECK(!memcmp(&kb, &k, sizeof(k)));
	CHECK_EQ_INT(back.revoked_at, 1764000000);
	CHECK_EQ_INT(back.source, KK_REV_OCSP);
	CHECK_EQ_STR(back.reason, "keyCompromise");
}

/* Revoked by serial alone: no issuer, "*" in the file, a zero issuer key back. */
UNIT_TEST(entry_any_issuer)
{
	struct kk_revocation r = { .source = KK_REV_CLI }, back;
	struct kk_ident_key k, kb;
	cJSON *o;

	kk_ident_key_set(&k, NULL, serial, sizeof(serial));
	o = kk_revlist_entry_json(&k, &r);
	CHECK(o != NULL);
	CHECK_EQ_STR(cJSON_GetObjectItem(o, "issuer")->valuestring, "*");
	CHECK_EQ_INT(kk_revlist_entry_parse(o, &kb, &back), 0);
	cJSON_Delete(o);
	CHECK(!memcmp(&kb, &k, sizeof(k)));
	CHECK_EQ_STR(back.reason, "");
}

UNIT_TEST(entry_malformed)
{
	static const char *const bad[] = {
		"{}",
		"{\"issuer\":\"*\"}",						/* no serial */
		"{\"serial\":\"1000ab\"}",					/* no issuer */
		"{\"issuer\":\"*\",\"serial\":\"xyz\"}",			/* not hex */
		"{\"issuer\":\"*\",\"serial\":17}",				/* not a string */
		"{\"issuer\":\"f1d4\",\"serial\":\"1000ab\"}",			/* issuer too short */
		"{\"issuer\":\"f1d4e8c7b2a9f3e6aa\",\"serial\":\"1000ab\"}",	/* too long */
		"{\"issuer\":\"g1d4e8c7b2a9f3e6\",\"serial\":\"1000ab\"}",	/* bad digit */
		"[1,2]",
	};
	struct kk_revocation rev;
	struct kk_ident_key key;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *o = parse(bad[i]);
		int rc;

		CHECK(o != NULL);
		rc = kk_revlist_entry_parse(o, &key, &rev);
		cJSON_Delete(o);
		if (rc != -EINVAL)
			printf("# accepted: %s\n", bad[i]);
		CHECK_EQ_INT(rc, -EINVAL);
	}
}

/* Unknown sources and absurd times do not make an entry bad: the revocation still counts. */
UNIT_TEST(entry_lenient_fields)
{
	cJSON *o = parse("{\"issuer\":\"*\",\"serial\":\"01\",\"revoked_at\":-5,"
			 "\"source\":\"martian\",\"reason\":7}");
	struct kk_revocation rev;
	struct kk_ident_key key;

	CHECK(o != NULL);
	CHECK_EQ_INT(kk_revlist_entry_parse(o, &key, &rev), 0);
	cJSON_Delete(o);
	CHECK_EQ_INT(rev.revoked_at, 0);
	CHECK_EQ_INT(rev.source, KK_REV_CLI);
	CHECK_EQ_STR(rev.reason, "");
	CHECK_EQ_INT(key.serial_len, 1);
	CHECK_EQ_INT(key.serial[0], 1);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

UNIT_TEST(read_file)
{
	char dir[] = "/tmp/kk-revlist-XXXXXX", path[64];
	struct kk_error e = { 0 };
	cJSON *arr = (cJSON *)1;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/revocations.json", dir);
	/* None yet (a fresh host): nothing to restore, no error. */
	CHECK_EQ_INT(kk_revlist_read(path, &arr, &e), 0);
	CHECK(arr == NULL);
	write_file(path, "[{\"issuer\":\"*\",\"serial\":\"01\"},{\"serial\":\"zz\"}]");
	CHECK_EQ_INT(kk_revlist_read(path, &arr, &e), 0);
	CHECK_EQ_INT(cJSON_GetArraySize(arr), 2);
	cJSON_Delete(arr);
	write_file(path, "{\"issuer\":\"*\"}");
	CHECK_EQ_INT(kk_revlist_read(path, &arr, &e), -EINVAL);
	CHECK(arr == NULL);
	CHECK_EQ_STR(e.what, path);
	CHECK_EQ_STR(e.why, "not a revocation list (JSON array); revocations not restored");
	write_file(path, "[{\"issuer\":\"*\",\"ser"); /* torn by a crash mid-write */
	CHECK_EQ_INT(kk_revlist_read(path, &arr, &e), -EINVAL);
	unlink(path);
	CHECK_EQ_INT(mkdir(path, 0700), 0); /* unreadable as a file */
	CHECK(kk_revlist_read(path, &arr, &e) < 0);
	CHECK(arr == NULL);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	UNIT_RUN(entry_round_trip);
	UNIT_RUN(entry_any_issuer);
	UNIT_RUN(entry_malformed);
	UNIT_RUN(entry_lenient_fields);
	UNIT_RUN(read_file);
	return unit_done();
}
