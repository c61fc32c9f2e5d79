// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of user/output.c: timestamps, UTF-8 sanitizing, the JSON and text event forms. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "kakunin.h"
#include "output.h"
#include "unit.h"

#define FFFD "\xef\xbf\xbd"

/* 1781534025 s is Mon Jun 15 14:33:45 UTC 2026 (date -u -d @1781534025). */
#define T_2026_NS  1781534025123456789LL
#define T_2026_STR "2026-06-15T14:33:45.123456Z"

/* Format ns into a static buffer; "<err N>" when kk_format_rfc3339 fails. */
static const char *rfc3339(int64_t ns)
{
	static char buf[64];
	int err = kk_format_rfc3339(ns, buf, sizeof(buf));

	if (err)
		snprintf(buf, sizeof(buf), "<err %d>", err);
	return buf;
}

UNIT_TEST(rfc3339_epoch)
{
	CHECK_EQ_STR(rfc3339(0), "1970-01-01T00:00:00.000000Z");
}

UNIT_TEST(rfc3339_2026_truncates_to_microseconds)
{
	CHECK_EQ_STR(rfc3339(T_2026_NS), T_2026_STR);
	/* .999999999 s must not round up into the next second. */
	CHECK_EQ_STR(rfc3339(1781534025999999999LL), "2026-06-15T14:33:45.999999Z");
	CHECK_EQ_STR(rfc3339(1781534025000000999LL), "2026-06-15T14:33:45.000000Z");
	CHECK_EQ_STR(rfc3339(1781534025000001000LL), "2026-06-15T14:33:45.000001Z");
}

UNIT_TEST(rfc3339_before_epoch_whole_microseconds)
{
	CHECK_EQ_STR(rfc3339(-1000), "1969-12-31T23:59:59.999999Z");
	CHECK_EQ_STR(rfc3339(-1000000000LL), "1969-12-31T23:59:59.000000Z");
}

/* Truncation is towards the past: a stamp before the epoch never shows a later time. */
UNIT_TEST(rfc3339_before_epoch_sub_microsecond)
{
	CHECK_EQ_STR(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
	CHECK_EQ_STR(rfc3339(-1500), "1969-12-31T23:59:59.999998Z");
	CHECK_EQ_STR(rfc3339(-1000000001LL), "1969-12-31T23:59:58.999999Z");
}

UNIT_TEST(rfc3339_buffer_too_small)
{
	char buf[64];

	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 27), -EINVAL);
	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 10), -EINVAL);
	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 0), -EINVAL);
	/* 27 characters and the NUL: exactly enough. */
	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 28), 0);
	CHECK_EQ_STR(buf, T_2026_STR);
}

/* kk_utf8_sanitize(s, len) as a static string, for CHECK_EQ_STR. */
static const char *sanitize(const char *s, size_t len)
{
	static char buf[256];
	char *out = kk_utf8_sanitize(s, len);

	if (!out)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", out);
	free(out);
	return buf;
}

#define SANITIZE(lit) sanitize(lit, sizeof(lit) - 1)

UNIT_TEST(utf8_ascii_unchanged)
{
	CHECK_EQ_STR(SANITIZE("/data/secret file.txt"), "/data/secret file.txt");
	CHECK_EQ_STR(SANITIZE(""), "");
	CHECK_EQ_STR(SANITIZE("\x01\x7f"), "\x01\x7f");
}

UNIT_TEST(utf8_valid_multibyte_unchanged)
{
	CHECK_EQ_STR(SANITIZE("\xc3\xa9"), "\xc3\xa9");			/* é, U+00E9 */
	CHECK_EQ_STR(SANITIZE("\xe2\x82\xac"), "\xe2\x82\xac");		/* €, U+20AC */
	CHECK_EQ_STR(SANITIZE("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80"); /* 😀, U+1F600 */
	CHECK_EQ_STR(SANITIZE("\xc2\x80"), "\xc2\x80");			/* U+0080 */
	CHECK_EQ_STR(SANITIZE("\xef\xbf\xbf"), "\xef\xbf\xbf");		/* U+FFFF */
	CHECK_EQ_STR(SANITIZE("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	CHECK_EQ_STR(SANITIZE("/caf\xc3\xa9/\xe2\x82\xac"), "/caf\xc3\xa9/\xe2\x82\xac");
}

UNIT_TEST(utf8_invalid_bytes_replaced)
{
	CHECK_EQ_STR(SANITIZE("\xff"), FFFD);
	CHECK_EQ_STR(SANITIZE("a\xff"
			      "b"),
		     "a" FFFD "b");
	CHECK_EQ_STR(SANITIZE("\x80"
			      "A"),
		     FFFD "A"); /* lone continuation */
	CHECK_EQ_STR(SANITIZE("\xc3"
			      "A"),
		     FFFD "A"); /* lead, no continuation */
	/* A lead byte past F4 and its continuations. */
	CHECK_EQ_STR(SANITIZE("\xf5\x80\x80\x80"), FFFD FFFD FFFD FFFD);
}

UNIT_TEST(utf8_overlong_replaced)
{
	CHECK_EQ_STR(SANITIZE("\xc0\xaf"), FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("\xc1\xbf"), FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("\xe0\x80\xaf"), FFFD FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("\xf0\x80\x80\xaf"), FFFD FFFD FFFD FFFD);
}

UNIT_TEST(utf8_surrogates_and_beyond_max_replaced)
{
	CHECK_EQ_STR(SANITIZE("\xed\xa0\x80"), FFFD FFFD FFFD);		 /* U+D800 */
	CHECK_EQ_STR(SANITIZE("\xed\xbf\xbf"), FFFD FFFD FFFD);		 /* U+DFFF */
	CHECK_EQ_STR(SANITIZE("\xed\x9f\xbf"), "\xed\x9f\xbf");		 /* U+D7FF is fine */
	CHECK_EQ_STR(SANITIZE("\xf4\x90\x80\x80"), FFFD FFFD FFFD FFFD); /* U+110000 */
}

UNIT_TEST(utf8_truncated_sequence_at_end)
{
	CHECK_EQ_STR(SANITIZE("a\xe2\x82"), "a" FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("a\xf0\x9f\x98"), "a" FFFD FFFD FFFD);
	/* len cuts a valid sequence short: the cut part is not read. */
	CHECK_EQ_STR(sanitize("\xe2\x82\xac", 2), FFFD FFFD);
	CHECK_EQ_STR(sanitize("abc", 2), "ab");
	CHECK_EQ_STR(sanitize("abc", 0), "");
}

UNIT_TEST(utf8_stops_at_first_nul)
{
	CHECK_EQ_STR(SANITIZE("ab\0cd"), "ab");
	CHECK_EQ_STR(SANITIZE("\0\xff"), "");
	/* A sequence split by the NUL is incomplete. */
	CHECK_EQ_STR(SANITIZE("x\xe2\x82\0\xac"), "x" FFFD FFFD);
}

/* A denied read of path by cat, 5 s after boot; the clock puts that at T_2026_NS. */
static void fill_event(struct kk_event *ev, struct kk_clock *c, const char *path)
{
	memset(ev, 0, sizeof(*ev));
	ev->ktime_ns = 5000000000ULL;
	ev->type = KK_EV_ACTION_DENIED;
	ev->hook = KK_HOOK_FILE_OPEN;
	ev->pid = 1234;
	ev->tid = 1235;
	ev->uid = 1000;
	ev->binding_id = 7;
	ev->access = KK_ACCESS_READ;
	ev->reason = KK_REASON_DENY_PREFIX;
	ev->err = EACCES;
	strcpy(ev->comm, "cat");
	if (path) {
		strcpy(ev->path, path);
		ev->path_len = strlen(path) + 1;
	}
	c->boot_to_real_ns = T_2026_NS - 5000000000LL;
}

static const char *str_item(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double num_item(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

static bool null_item(const cJSON *o, const char *key)
{
	return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* kk_event_json of ev, parsed back; NULL when it is not JSON. */
static cJSON *event_json(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c)
{
	char *s = kk_event_json(ev, seq, c);
	cJSON *o = s ? cJSON_Parse(s) : NULL;

	free(s);
	return o;
}

static struct kk_event ev;
static struct kk_clock clk;

UNIT_TEST(json_denied_event_fields)
{
	cJSON *o, *action;

	fill_event(&ev, &clk, "/data/secret/x");
	o = event_json(&ev, 42, &clk);
	CHECK(o != NULL);
	CHECK(cJSON_IsObject(o));
	CHECK_EQ_INT(num_item(o, "seq"), 42);
	CHECK_EQ_STR(str_item(o, "timestamp"), T_2026_STR);
	CHECK_EQ_STR(str_item(o, "event_type"), "action.denied");
	CHECK(null_item(o, "agent_id"));
	CHECK(null_item(o, "agent_cert_serial"));
	CHECK(null_item(o, "policy_version"));
	CHECK_EQ_INT(num_item(o, "binding_id"), 7);
	CHECK_EQ_INT(num_item(o, "pid"), 1234);
	CHECK_EQ_INT(num_item(o, "tid"), 1235);
	CHECK_EQ_INT(num_item(o, "uid"), 1000);
	CHECK_EQ_STR(str_item(o, "comm"), "cat");
	CHECK_EQ_STR(str_item(o, "hook"), "file_open");
	action = cJSON_GetObjectItemCaseSensitive(o, "action");
	CHECK(cJSON_IsObject(action));
	CHECK_EQ_STR(str_item(action, "path"), "/data/secret/x");
	CHECK_EQ_STR(str_item(action, "access"), "read");
	CHECK_EQ_INT(cJSON_GetArraySize(action), 2);
	CHECK_EQ_STR(str_item(o, "decision"), "deny");
	CHECK_EQ_STR(str_item(o, "reason"), "path under the binding's deny prefix");
	CHECK_EQ_STR(str_item(o, "errno"), "EACCES");
	CHECK_EQ_INT(cJSON_GetArraySize(o), 16);
	cJSON_Delete(o);
}

UNIT_TEST(json_invalid_utf8_path_becomes_fffd)
{
	cJSON *o;

	fill_event(&ev, &clk,
		   "/x\xff"
		   "y");
	o = event_json(&ev, 1, &clk);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(cJSON_GetObjectItemCaseSensitive(o, "action"), "path"),
		     "/x" FFFD "y");
	cJSON_Delete(o);
}

UNIT_TEST(json_invalid_utf8_comm_becomes_fffd)
{
	cJSON *o;

	fill_event(&ev, &clk, "/x");
	memcpy(ev.comm,
	       "a\xc0\xaf"
	       "b",
	       5);
	o = event_json(&ev, 1, &clk);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "comm"), "a" FFFD FFFD "b");
	cJSON_Delete(o);
}

UNIT_TEST(json_no_path_when_path_len_zero)
{
	cJSON *o, *action;

	fill_event(&ev, &clk, NULL);
	o = event_json(&ev, 1, &clk);
	CHECK(o != NULL);
	action = cJSON_GetObjectItemCaseSensitive(o, "action");
	CHECK(cJSON_IsObject(action));
	CHECK(cJSON_GetObjectItemCaseSensitive(action, "path") == NULL);
	CHECK_EQ_STR(str_item(action, "access"), "read");
	cJSON_Delete(o);
}

UNIT_TEST(json_allowed_event_errno_null)
{
	cJSON *o;

	fill_event(&ev, &clk, "/etc/hosts");
	ev.type = KK_EV_ACTION_ALLOWED;
	ev.access = KK_ACCESS_READ | KK_ACCESS_WRITE;
	ev.reason = KK_REASON_NONE;
	ev.err = 0;
	o = event_json(&ev, 2, &clk);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "event_type"), "action.allowed");
	CHECK_EQ_STR(str_item(o, "decision"), "allow");
	CHECK_EQ_STR(str_item(cJSON_GetObjectItemCaseSensitive(o, "action"), "access"),
		     "read,write");
	CHECK(null_item(o, "errno"));
	cJSON_Delete(o);
}

UNIT_TEST(json_agent_event_has_no_decision)
{
	cJSON *o;

	fill_event(&ev, &clk, NULL);
	ev.type = KK_EV_AGENT_BOUND;
	ev.hook = KK_HOOK_TASK_ALLOC;
	ev.access = 0;
	ev.err = 0;
	o = event_json(&ev, 3, &clk);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "event_type"), "agent.bound");
	CHECK_EQ_STR(str_item(o, "hook"), "task_alloc");
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "decision") == NULL);
	CHECK(cJSON_GetObjectItemCaseSensitive(o, "errno") == NULL);
	CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "action")), 0);
	cJSON_Delete(o);
}

UNIT_TEST(text_denied_event)
{
	char *s;

	fill_event(&ev, &clk, "/x");
	s = kk_event_text(&ev, 42, &clk);
	CHECK(s != NULL);
	CHECK(strstr(s, "action.denied") != NULL);
	CHECK(strstr(s, "path=/x") != NULL);
	CHECK(strstr(s, "EACCES") != NULL);
	CHECK_EQ_STR(s, T_2026_STR
		     " #42 action.denied file_open pid=1234 comm=cat binding=7 "
		     "path=/x access=read -> deny EACCES (path under the binding's deny prefix)");
	free(s);
}

UNIT_TEST(text_no_path_when_path_len_zero)
{
	char *s;

	fill_event(&ev, &clk, NULL);
	ev.type = KK_EV_AGENT_BOUND;
	ev.hook = KK_HOOK_TASK_ALLOC;
	ev.access = 0;
	ev.err = 0;
	s = kk_event_text(&ev, 3, &clk);
	CHECK(s != NULL);
	CHECK_EQ_STR(s, T_2026_STR " #3 agent.bound task_alloc pid=1234 comm=cat binding=7");
	free(s);
}

int main(void)
{
	UNIT_RUN(rfc3339_epoch);
	UNIT_RUN(rfc3339_2026_truncates_to_microseconds);
	UNIT_RUN(rfc3339_before_epoch_whole_microseconds);
	UNIT_RUN(rfc3339_before_epoch_sub_microsecond);
	UNIT_RUN(rfc3339_buffer_too_small);
	UNIT_RUN(utf8_ascii_unchanged);
	UNIT_RUN(utf8_valid_multibyte_unchanged);
	UNIT_RUN(utf8_invalid_bytes_replaced);
	UNIT_RUN(utf8_overlong_replaced);
	UNIT_RUN(utf8_surrogates_and_beyond_max_replaced);
	UNIT_RUN(utf8_truncated_sequence_at_end);
	UNIT_RUN(utf8_stops_at_first_nul);
	UNIT_RUN(json_denied_event_fields);
	UNIT_RUN(json_invalid_utf8_path_becomes_fffd);
	UNIT_RUN(json_invalid_utf8_comm_becomes_fffd);
	UNIT_RUN(json_no_path_when_path_len_zero);
	UNIT_RUN(json_allowed_event_errno_null);
	UNIT_RUN(json_agent_event_has_no_decision);
	UNIT_RUN(text_denied_event);
	UNIT_RUN(text_no_path_when_path_len_zero);
	return unit_done();
}
