/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_audit.h — shared by test_audit.c (tampering the verifier must catch) and
 * test_audit_write.c (the writer, resume and rotation): the reference chain of five lines built
 * once per program, a private mkdtemp directory, and helpers to write and verify files in it.
 */
#ifndef KK_TEST_AUDIT_H
#define KK_TEST_AUDIT_H

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
static __attribute__((unused)) const char *tp(const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Write ls[0..n) one per line; the last without its newline unless final_nl. */
static __attribute__((unused)) int write_lines(const char *path, char *const *ls, int n,
					       bool final_nl)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", ls[i], i < n - 1 || final_nl ? "\n" : "");
	return fclose(f) ? -errno : 0;
}

static __attribute__((unused)) int verify1(const char *path, bool any_start, uint64_t *lines,
					   char *why, size_t wlen)
{
	const char *paths[] = { path };

	return kk_audit_verify(paths, 1, any_start, lines, why, wlen);
}

/* The value of a string member of a line, copied into a static buffer ("" if none). */
static __attribute__((unused)) const char *member(const char *l, const char *name)
{
	static char buf[512];
	cJSON *o = cJSON_Parse(l);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	snprintf(buf, sizeof(buf), "%s", cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(o);
	return buf;
}

/* The object text of a line without its two hash members, as a forger would re-chain it. */
static __attribute__((unused)) char *strip(const char *l)
{
	cJSON *o = cJSON_Parse(l);
	char *s;

	cJSON_DeleteItemFromObjectCaseSensitive(o, "hash");
	cJSON_DeleteItemFromObjectCaseSensitive(o, "prev_hash");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static __attribute__((unused)) void sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[2 * n] = '\0';
}

/* The reference chain: an event from kk_event_json first, then hand-written objects. */
static __attribute__((unused)) int make_chain(void)
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
static __attribute__((unused)) void remove_dir(void)
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

/* Set up the directory and the chain; false (after a TAP bail-out) when that fails. */
static inline bool audit_fixture_up(void)
{
	snprintf(dir, sizeof(dir), "%sXXXXXX", DIR_PREFIX);
	if (!mkdtemp(dir) || make_chain()) {
		printf("Bail out! cannot set up (%s)\n", strerror(errno));
		remove_dir();
		return false;
	}
	return true;
}

static inline void audit_fixture_down(void)
{
	int i;

	for (i = 0; i < 5; i++)
		free(line[i]);
	remove_dir();
}

#endif
