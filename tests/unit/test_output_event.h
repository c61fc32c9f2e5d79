/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_output_event.h — shared by test_output_event.c (JSON lines) and test_output_text.c (text
 * lines): events of every kind filled in, and the output of one read back.
 */
#ifndef KK_TEST_OUTPUT_EVENT_H
#define KK_TEST_OUTPUT_EVENT_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>

#include "kakunin.h"
#include "output.h"
#include "unit.h"

#define FFFD "\xef\xbf\xbd"

/* 1781534025 s is Mon Jun 15 14:33:45 UTC 2026 (date -u -d @1781534025). */
#define T_2026_NS  1781534025123456789LL
#define T_2026_STR "2026-06-15T14:33:45.123456Z"

static const struct kk_who who7 = {
	.agent_id = "agent-7",
	.serial = "0a1b2c3d",
	.policy_version = "2026.06.1",
};

/* 127.0.0.1 as the kernel sends AF_INET: IPv4-mapped. */
static const __u8 v4_lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1 };
static const __u8 v4_10001[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1 };
static const __u8 v6_lo[16] = { [15] = 1 };
static const __u8 v6_doc[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }; /* 2001:db8::1 */

static struct kk_event ev;
static struct kk_clock clk;

/* A denied read of path by cat, 5 s after boot; the clock puts that at T_2026_NS. */
static __attribute__((unused)) void fill_event(const char *path)
{
	memset(&ev, 0, sizeof(ev));
	ev.ktime_ns = 5000000000ULL;
	ev.type = KK_EV_ACTION_DENIED;
	ev.hook = KK_HOOK_FILE_OPEN;
	ev.pid = 1234;
	ev.tid = 1235;
	ev.uid = 1000;
	ev.binding = 7;
	ev.gen = 3;
	ev.access = KK_ACCESS_READ;
	ev.reason = KK_REASON_NOT_IN_SCOPE;
	ev.err = EACCES;
	strcpy(ev.comm, "cat");
	if (path) {
		strcpy(ev.path, path);
		ev.path_len = strlen(path) + 1;
	}
	clk.boot_to_real_ns = T_2026_NS - 5000000000LL;
}

/* Link or rename: the target, its NUL, then the source at path2_off, as the kernel sends. */
static __attribute__((unused)) void fill_link(__u32 hook, const char *target, const char *source)
{
	fill_event(target);
	ev.hook = hook;
	ev.access = KK_ACCESS_WRITE;
	ev.reason = KK_REASON_LINK_WIDENS;
	ev.path2_off = ev.path_len;
	strcpy(ev.path + ev.path2_off, source);
	ev.path_len += strlen(source) + 1;
}

/* A denied connect to addr:port, as bpf/net.bpf.c reports it (no path). */
static __attribute__((unused)) void fill_inet(__u8 family, const __u8 addr[16], __u16 port,
					      __u8 protocol)
{
	fill_event(NULL);
	ev.hook = KK_HOOK_SOCKET_CONNECT;
	ev.access = KK_ACCESS_WRITE;
	ev.reason = KK_REASON_HOST_NOT_ALLOWED;
	ev.family = family;
	ev.port = port;
	ev.protocol = protocol;
	memcpy(ev.addr, addr, 16);
}

/* A refused socket(family, ...): no path, no access. */
static __attribute__((unused)) void fill_socket_create(__u8 family, __u8 protocol)
{
	fill_event(NULL);
	ev.hook = KK_HOOK_SOCKET_CREATE;
	ev.access = 0;
	ev.reason = KK_REASON_SOCKET_TYPE;
	ev.family = family;
	ev.protocol = protocol;
}

/*
 * The last result is kept and freed by the next call (and at the end of main), so a failed
 * check, which returns from the test early, leaks nothing.
 */
static cJSON *cur_json;
static char *cur_text;

/* kk_event_json of ev, parsed back; NULL when it is not JSON. */
static __attribute__((unused)) cJSON *event_json(uint64_t seq, const struct kk_who *who)
{
	char *s = kk_event_json(&ev, seq, &clk, who);

	cJSON_Delete(cur_json);
	cur_json = s ? cJSON_Parse(s) : NULL;
	free(s);
	return cur_json;
}

static __attribute__((unused)) const char *event_text(uint64_t seq, const struct kk_who *who)
{
	free(cur_text);
	cur_text = kk_event_text(&ev, seq, &clk, who);
	return cur_text;
}

static __attribute__((unused)) const cJSON *item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static __attribute__((unused)) const char *str_item(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static __attribute__((unused)) double num_item(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);

	return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

static __attribute__((unused)) bool null_item(const cJSON *o, const char *key)
{
	return cJSON_IsNull(item(o, key));
}

/* The "action" member of the current JSON event; NULL when it is not an object. */
static __attribute__((unused)) const cJSON *action(void)
{
	const cJSON *a = item(cur_json, "action");

	return cJSON_IsObject(a) ? a : NULL;
}

static __attribute__((unused)) bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

#endif
