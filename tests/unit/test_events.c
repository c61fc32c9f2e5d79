// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of user/events.c: ringbuf record decoding and the names of every enum. */
#include <errno.h>
#include <string.h>

#include "kakunin.h"
#include "events.h"
#include "unit.h"

/* A raw record as the BPF side sends it, with room past the used part; and a decode target. */
static union {
	struct kk_event ev;
	unsigned char bytes[sizeof(struct kk_event) + 64];
} raw;
static struct kk_event out;

/* Header of a denied read by "cat", path[] holding path_len bytes of path. */
static void fill_raw(const char *path, __u32 path_len)
{
	memset(&raw, 0, sizeof(raw));
	raw.ev.ktime_ns = 123456789ULL;
	raw.ev.type = KK_EV_ACTION_DENIED;
	raw.ev.hook = KK_HOOK_FILE_OPEN;
	raw.ev.pid = 1234;
	raw.ev.tid = 1235;
	raw.ev.uid = 1000;
	raw.ev.binding_id = 7;
	raw.ev.access = KK_ACCESS_READ;
	raw.ev.reason = KK_REASON_DENY_PREFIX;
	raw.ev.err = EACCES;
	raw.ev.path_len = path_len;
	strcpy(raw.ev.comm, "cat");
	memcpy(raw.ev.path, path, path_len);
	/* Garbage in out, so a field decode forgets to copy or terminate shows. */
	memset(&out, 'Z', sizeof(out));
}

UNIT_TEST(decode_short_record)
{
	fill_raw("", 0);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE - 1, &out), -EINVAL);
	CHECK_EQ_INT(kk_event_decode(&raw, 0, &out), -EINVAL);
	CHECK_EQ_INT(kk_event_decode(&raw, 8, &out), -EINVAL);
}

UNIT_TEST(decode_path_len_past_end)
{
	fill_raw("/a/b", 5);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 4, &out), -EINVAL);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE, &out), -EINVAL);
	raw.ev.path_len = 0xffffffffu;
	CHECK_EQ_INT(kk_event_decode(&raw, sizeof(struct kk_event), &out), -EINVAL);
	raw.ev.path_len = KK_PATH_MAX + 1;
	CHECK_EQ_INT(kk_event_decode(&raw, sizeof(struct kk_event), &out), -EINVAL);
}

UNIT_TEST(decode_record_larger_than_event)
{
	fill_raw("/a/b", 5);
	CHECK_EQ_INT(kk_event_decode(&raw, sizeof(struct kk_event) + 1, &out), -EINVAL);
}

UNIT_TEST(decode_valid_record)
{
	fill_raw("/a/b", 5);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 5, &out), 0);
	CHECK_EQ_INT(out.ktime_ns, 123456789);
	CHECK_EQ_INT(out.type, KK_EV_ACTION_DENIED);
	CHECK_EQ_INT(out.hook, KK_HOOK_FILE_OPEN);
	CHECK_EQ_INT(out.pid, 1234);
	CHECK_EQ_INT(out.tid, 1235);
	CHECK_EQ_INT(out.uid, 1000);
	CHECK_EQ_INT(out.binding_id, 7);
	CHECK_EQ_INT(out.access, KK_ACCESS_READ);
	CHECK_EQ_INT(out.reason, KK_REASON_DENY_PREFIX);
	CHECK_EQ_INT(out.err, EACCES);
	CHECK_EQ_INT(out.path_len, 5);
	CHECK_EQ_STR(out.comm, "cat");
	CHECK_EQ_STR(out.path, "/a/b");
}

UNIT_TEST(decode_empty_path)
{
	fill_raw("", 0);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE, &out), 0);
	CHECK_EQ_INT(out.path_len, 0);
	CHECK_EQ_STR(out.path, "");
	CHECK_EQ_STR(out.comm, "cat");
}

UNIT_TEST(decode_full_size_path)
{
	fill_raw("", 0);
	memset(raw.ev.path, 'p', KK_PATH_MAX);
	raw.ev.path[0] = '/';
	raw.ev.path_len = KK_PATH_MAX;
	CHECK_EQ_INT(kk_event_decode(&raw, sizeof(struct kk_event), &out), 0);
	CHECK_EQ_INT(strlen(out.path), KK_PATH_MAX - 1);
}

/* The kernel's NUL missing: the last byte of path_len is overwritten by the terminator. */
UNIT_TEST(decode_path_without_nul)
{
	fill_raw("/a/b", 4);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 4, &out), 0);
	CHECK_EQ_STR(out.path, "/a/");
}

UNIT_TEST(decode_comm_without_nul)
{
	fill_raw("/a/b", 5);
	memset(raw.ev.comm, 'c', KK_COMM_LEN);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 5, &out), 0);
	CHECK_EQ_INT(strlen(out.comm), KK_COMM_LEN - 1);
	CHECK_EQ_STR(out.comm, "ccccccccccccccc");
	CHECK_EQ_STR(out.path, "/a/b");
}

UNIT_TEST(event_type_names)
{
	CHECK_EQ_STR(kk_event_type_name(KK_EV_ACTION_ALLOWED), "action.allowed");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_ACTION_DENIED), "action.denied");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_ACTION_AUDITED), "action.audited");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_AGENT_BOUND), "agent.bound");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_AGENT_UNBOUND), "agent.unbound");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_AGENT_REVOKED), "agent.revoked");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_AGENT_BLOCKED), "agent.blocked");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_EVENTS_LOST), "events.lost");
}

UNIT_TEST(event_type_name_unknown)
{
	CHECK_EQ_STR(kk_event_type_name(0), "unknown");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_EVENTS_LOST + 1), "unknown");
	CHECK_EQ_STR(kk_event_type_name(0xffffffffu), "unknown");
}

UNIT_TEST(event_decisions)
{
	CHECK_EQ_STR(kk_event_decision(KK_EV_ACTION_ALLOWED), "allow");
	CHECK_EQ_STR(kk_event_decision(KK_EV_ACTION_DENIED), "deny");
	CHECK_EQ_STR(kk_event_decision(KK_EV_ACTION_AUDITED), "audit");
	CHECK_EQ_STR(kk_event_decision(KK_EV_AGENT_BOUND), NULL);
	CHECK_EQ_STR(kk_event_decision(KK_EV_AGENT_UNBOUND), NULL);
	CHECK_EQ_STR(kk_event_decision(KK_EV_AGENT_REVOKED), NULL);
	CHECK_EQ_STR(kk_event_decision(KK_EV_AGENT_BLOCKED), NULL);
	CHECK_EQ_STR(kk_event_decision(KK_EV_EVENTS_LOST), NULL);
	CHECK_EQ_STR(kk_event_decision(0), NULL);
	CHECK_EQ_STR(kk_event_decision(0xffffffffu), NULL);
}

UNIT_TEST(hook_names)
{
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_NONE), "none");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_FILE_OPEN), "file_open");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_TASK_ALLOC), "task_alloc");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_MAX), "unknown");
	CHECK_EQ_STR(kk_hook_name(0xffffffffu), "unknown");
}

UNIT_TEST(reason_texts)
{
	__u32 r;

	for (r = 1; r < KK_REASON_MAX; r++) {
		const char *t = kk_reason_text(r);

		CHECK(t != NULL);
		CHECK(t[0] != '\0');
		CHECK(strcmp(t, "unknown") != 0);
	}
	CHECK_EQ_STR(kk_reason_text(KK_REASON_NONE), "");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_DENY_PREFIX), "path under the binding's deny prefix");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_MAX), "unknown");
	CHECK_EQ_STR(kk_reason_text(0xffffffffu), "unknown");
}

/* kk_access_str into a buffer of the documented minimum size. */
static const char *access_str(__u32 access)
{
	static char buf[24];

	return kk_access_str(access, buf, sizeof(buf));
}

UNIT_TEST(access_strings)
{
	CHECK_EQ_STR(access_str(0), "none");
	CHECK_EQ_STR(access_str(KK_ACCESS_READ), "read");
	CHECK_EQ_STR(access_str(KK_ACCESS_WRITE), "write");
	CHECK_EQ_STR(access_str(KK_ACCESS_READ | KK_ACCESS_WRITE), "read,write");
	CHECK_EQ_STR(access_str(KK_ACCESS_EXEC), "exec");
	CHECK_EQ_STR(access_str(KK_ACCESS_WRITE | KK_ACCESS_EXEC), "write,exec");
	CHECK_EQ_STR(access_str(KK_ACCESS_READ | KK_ACCESS_WRITE | KK_ACCESS_EXEC),
		     "read,write,exec");
	/* Bits we do not name are not shown. */
	CHECK_EQ_STR(access_str(0x8), "none");
	CHECK_EQ_STR(access_str(KK_ACCESS_READ | 0x80000000u), "read");
}

UNIT_TEST(access_str_returns_buf_and_truncates)
{
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	CHECK(kk_access_str(KK_ACCESS_READ, buf, sizeof(buf)) == buf);
	memset(buf, 'Z', sizeof(buf));
	CHECK_EQ_STR(kk_access_str(KK_ACCESS_READ | KK_ACCESS_WRITE, buf, sizeof(buf)), "read,wr");
}

int main(void)
{
	UNIT_RUN(decode_short_record);
	UNIT_RUN(decode_path_len_past_end);
	UNIT_RUN(decode_record_larger_than_event);
	UNIT_RUN(decode_valid_record);
	UNIT_RUN(decode_empty_path);
	UNIT_RUN(decode_full_size_path);
	UNIT_RUN(decode_path_without_nul);
	UNIT_RUN(decode_comm_without_nul);
	UNIT_RUN(event_type_names);
	UNIT_RUN(event_type_name_unknown);
	UNIT_RUN(event_decisions);
	UNIT_RUN(hook_names);
	UNIT_RUN(reason_texts);
	UNIT_RUN(access_strings);
	UNIT_RUN(access_str_returns_buf_and_truncates);
	return unit_done();
}
