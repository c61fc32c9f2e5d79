// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of user/events.c: ringbuf record decoding and the names of every enum. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kakunin.h"
#include "events.h"
#include "hooks.h"
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
	raw.ev.binding = 7;
	raw.ev.gen = 3;
	raw.ev.access = KK_ACCESS_READ;
	raw.ev.reason = KK_REASON_NOT_IN_SCOPE;
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
	raw.ev.path_len = 1;
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

/* The executable after the path: path_len is the path's again, kk_event_exe finds it. */
UNIT_TEST(decode_executable_after_the_path)
{
	fill_raw("/a/b\0/usr/bin/cat", 18);
	raw.ev.exe_len = 13;
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 18, &out), 0);
	CHECK_EQ_INT(out.path_len, 5);
	CHECK_EQ_STR(out.path, "/a/b");
	CHECK_EQ_STR(kk_event_exe(&out), "/usr/bin/cat");
	CHECK_EQ_INT(kk_event_used(&out), 18);
	/* No path: one NUL stands for it, and path_len is 0. */
	fill_raw("\0/usr/bin/cat", 14);
	raw.ev.exe_len = 13;
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 14, &out), 0);
	CHECK_EQ_INT(out.path_len, 0);
	CHECK_EQ_STR(kk_event_exe(&out), "/usr/bin/cat");
	CHECK_EQ_INT(kk_event_used(&out), 14);
	/* Unterminated: cut at the record's end, never read past it. */
	fill_raw("/a/b\0/usr/bin/catX", 18);
	raw.ev.exe_len = 13;
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 18, &out), 0);
	CHECK_EQ_STR(kk_event_exe(&out), "/usr/bin/cat"); /* its 13th byte, X, made the NUL */
	/* exe_len past path_len, or leaving no byte of path: malformed. */
	raw.ev.exe_len = 19;
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 18, &out), -EINVAL);
	raw.ev.exe_len = 18;
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 18, &out), -EINVAL);
	/* None: NULL. */
	fill_raw("/a/b", 5);
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 5, &out), 0);
	CHECK(kk_event_exe(&out) == NULL);
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
	CHECK_EQ_INT(out.binding, 7);
	CHECK_EQ_INT(out.gen, 3);
	CHECK_EQ_INT(out.access, KK_ACCESS_READ);
	CHECK_EQ_INT(out.reason, KK_REASON_NOT_IN_SCOPE);
	CHECK_EQ_INT(out.err, EACCES);
	CHECK_EQ_INT(out.path_len, 5);
	CHECK_EQ_INT(out.path2_off, 0);
	CHECK_EQ_INT(out.port, 0);
	CHECK_EQ_INT(out.family, 0);
	CHECK_EQ_INT(out.protocol, 0);
	CHECK_EQ_STR(out.comm, "cat");
	CHECK_EQ_STR(out.path, "/a/b");
}

/* A connect to [::1]:8443/udp: every network field of the header is carried over. */
UNIT_TEST(decode_network_fields)
{
	static const __u8 lo6[16] = { [15] = 1 };

	fill_raw("", 0);
	raw.ev.hook = KK_HOOK_SOCKET_CONNECT;
	raw.ev.access = 0;
	raw.ev.reason = KK_REASON_HOST_NOT_ALLOWED;
	raw.ev.port = 8443;
	raw.ev.family = AF_INET6;
	raw.ev.protocol = 17;
	memcpy(raw.ev.addr, lo6, sizeof(lo6));
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE, &out), 0);
	CHECK_EQ_INT(out.hook, KK_HOOK_SOCKET_CONNECT);
	CHECK_EQ_INT(out.reason, KK_REASON_HOST_NOT_ALLOWED);
	CHECK_EQ_INT(out.port, 8443);
	CHECK_EQ_INT(out.family, AF_INET6);
	CHECK_EQ_INT(out.protocol, 17);
	CHECK(!memcmp(out.addr, lo6, sizeof(lo6)));
	CHECK_EQ_INT(out.path_len, 0);
	CHECK_EQ_STR(out.path, "");
}

/* A link: the target, its NUL, then the source at path2_off; both survive the decode. */
UNIT_TEST(decode_two_paths)
{
	fill_raw("/new\0/old", 10);
	raw.ev.hook = KK_HOOK_PATH_LINK;
	raw.ev.path2_off = 5;
	CHECK_EQ_INT(kk_event_decode(&raw, KK_EVENT_HDR_SIZE + 10, &out), 0);
	CHECK_EQ_INT(out.path_len, 10);
	CHECK_EQ_INT(out.path2_off, 5);
	CHECK_EQ_STR(out.path, "/new");
	CHECK_EQ_STR(out.path + out.path2_off, "/old");
}

/* The record in a heap block of exactly its size: valgrind sees any read past its end. */
UNIT_TEST(decode_reads_only_the_record)
{
	size_t size = KK_EVENT_HDR_SIZE + 5;
	unsigned char *rec = malloc(size);
	int rc;

	CHECK(rec != NULL);
	fill_raw("/a/b", 5);
	memcpy(rec, &raw, size);
	rc = kk_event_decode(rec, size, &out);
	free(rec);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_STR(out.path, "/a/b");
	CHECK_EQ_STR(out.comm, "cat");
	CHECK_EQ_INT(out.binding, 7);

	/* Header only, path_len 0. */
	rec = malloc(KK_EVENT_HDR_SIZE);
	CHECK(rec != NULL);
	fill_raw("", 0);
	memcpy(rec, &raw, KK_EVENT_HDR_SIZE);
	rc = kk_event_decode(rec, KK_EVENT_HDR_SIZE, &out);
	free(rec);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_STR(out.path, "");
	CHECK_EQ_INT(out.pid, 1234);
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
	CHECK_EQ_STR(kk_event_type_name(KK_EV_AGENT_WARNING), "agent.warning");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_AGENT_EXPIRED), "agent.expired");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_AGENT_EXPIRING), "agent.expiring");
}

/* The daemon's expiry events carry their agent in the event, as every loader-made agent.* does. */
UNIT_TEST(expiry_events_carry_their_agent)
{
	static const __u32 types[] = { KK_EV_AGENT_EXPIRED, KK_EV_AGENT_EXPIRING };
	struct kk_event ev;
	const char *f[4];
	size_t i;

	for (i = 0; i < 2; i++) {
		CHECK_EQ_INT(kk_event_agent(&ev, types[i], 3, 7, 42, "bot", "ab12", "1.0",
					    "certificate expired at 2026-12-03T15:00:00Z"), 0);
		CHECK(kk_event_agent_fields(&ev, f));
		CHECK_EQ_STR(f[0], "bot");
		CHECK_EQ_STR(f[1], "ab12");
		CHECK_EQ_STR(f[2], "1.0");
		CHECK_EQ_STR(f[3], "certificate expired at 2026-12-03T15:00:00Z");
	}
	ev.type = KK_EV_TYPE_MAX;
	CHECK(!kk_event_agent_fields(&ev, f));
}

UNIT_TEST(event_type_name_unknown)
{
	CHECK_EQ_STR(kk_event_type_name(0), "unknown");
	CHECK_EQ_STR(kk_event_type_name(KK_EV_TYPE_MAX), "unknown");
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
	static const char *const want[KK_HOOK_MAX] = {
		[KK_HOOK_NONE] = "none",
		[KK_HOOK_FILE_OPEN] = "file_open",
		[KK_HOOK_FILE_PERMISSION] = "file_permission",
		[KK_HOOK_PATH_LINK] = "path_link",
		[KK_HOOK_PATH_RENAME] = "path_rename",
		[KK_HOOK_PATH_UNLINK] = "path_unlink",
		[KK_HOOK_PATH_MKDIR] = "path_mkdir",
		[KK_HOOK_PATH_RMDIR] = "path_rmdir",
		[KK_HOOK_PATH_SYMLINK] = "path_symlink",
		[KK_HOOK_PATH_MKNOD] = "path_mknod",
		[KK_HOOK_PATH_TRUNCATE] = "path_truncate",
		[KK_HOOK_PATH_CHMOD] = "path_chmod",
		[KK_HOOK_PATH_CHOWN] = "path_chown",
		[KK_HOOK_BPRM_CHECK] = "bprm_check_security",
		[KK_HOOK_SOCKET_CONNECT] = "socket_connect",
		[KK_HOOK_SOCKET_SENDMSG] = "socket_sendmsg",
		[KK_HOOK_SOCKET_RECVMSG] = "socket_recvmsg",
		[KK_HOOK_SOCKET_CREATE] = "socket_create",
		[KK_HOOK_UNIX_CONNECT] = "unix_stream_connect",
		[KK_HOOK_UNIX_SEND] = "unix_may_send",
		[KK_HOOK_TASK_ALLOC] = "task_alloc",
		[KK_HOOK_BPF] = "bpf",
		[KK_HOOK_PERF_EVENT_OPEN] = "perf_event_open",
		[KK_HOOK_KERNEL_READ_FILE] = "kernel_read_file",
		[KK_HOOK_KERNEL_LOAD_DATA] = "kernel_load_data",
		[KK_HOOK_LOCKED_DOWN] = "locked_down",
		[KK_HOOK_PTRACE] = "ptrace_access_check",
		[KK_HOOK_PTRACE_TRACEME] = "ptrace_traceme",
		[KK_HOOK_TASK_KILL] = "task_kill",
		[KK_HOOK_SB_MOUNT] = "sb_mount",
		[KK_HOOK_SB_UMOUNT] = "sb_umount",
		[KK_HOOK_MOVE_MOUNT] = "move_mount",
		[KK_HOOK_SB_PIVOTROOT] = "sb_pivotroot",
		[KK_HOOK_PATH_CHROOT] = "path_chroot",
		[KK_HOOK_USERNS_CREATE] = "userns_create",
		[KK_HOOK_CAPABLE] = "capable",
		[KK_HOOK_FILE_RECEIVE] = "file_receive",
		[KK_HOOK_MMAP_FILE] = "mmap_file",
		[KK_HOOK_FILE_MPROTECT] = "file_mprotect",
		[KK_HOOK_FILE_FCNTL] = "file_fcntl",
		[KK_HOOK_FILE_IOCTL] = "file_ioctl",
	};
	__u32 h;

	/* The names of the first hooks never change: audit files and tools match on them. */
	for (h = 0; h <= KK_HOOK_FILE_IOCTL; h++) {
		CHECK(want[h] != NULL);
		CHECK_EQ_STR(kk_hook_name(h), want[h]);
	}
	/*
	 * Every hook has a name, which is the kernel's (bpf/hooks.manifest lists it, as decide,
	 * deny or revoked: an event comes from a program there), and no two share one.
	 */
	for (h = 1; h < KK_HOOK_MAX; h++) {
		__u32 g;
		int cls = kk_hooks_class(kk_hook_name(h));

		CHECK(strcmp(kk_hook_name(h), "unknown"));
		CHECK(cls == KK_HOOK_DECIDE || cls == KK_HOOK_DENY || cls == KK_HOOK_REVOKED);
		for (g = 1; g < h; g++)
			CHECK(strcmp(kk_hook_name(g), kk_hook_name(h)));
	}
	/* Spelled out too, so a failure names the hook. */
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_NONE), "none");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_FILE_OPEN), "file_open");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_FILE_PERMISSION), "file_permission");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_LINK), "path_link");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_RENAME), "path_rename");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_UNLINK), "path_unlink");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_MKDIR), "path_mkdir");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_RMDIR), "path_rmdir");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_SYMLINK), "path_symlink");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_MKNOD), "path_mknod");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_TRUNCATE), "path_truncate");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_CHMOD), "path_chmod");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_PATH_CHOWN), "path_chown");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_BPRM_CHECK), "bprm_check_security");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_SOCKET_CONNECT), "socket_connect");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_SOCKET_SENDMSG), "socket_sendmsg");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_SOCKET_RECVMSG), "socket_recvmsg");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_SOCKET_CREATE), "socket_create");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_UNIX_CONNECT), "unix_stream_connect");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_UNIX_SEND), "unix_may_send");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_TASK_ALLOC), "task_alloc");
}

UNIT_TEST(hook_name_unknown)
{
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_MAX), "unknown");
	CHECK_EQ_STR(kk_hook_name(KK_HOOK_SLOTS), "unknown");
	CHECK_EQ_STR(kk_hook_name(0xffffffffu), "unknown");
}

/* Defined reasons: 1 .. KK_REASON_SCOPE_MAX - 1 and KK_REASON_REVOKED .. KK_REASON_MAX - 1. */
static bool reason_defined(__u32 r)
{
	return (r > KK_REASON_NONE && r < KK_REASON_SCOPE_MAX) ||
	       (r >= KK_REASON_REVOKED && r < KK_REASON_MAX);
}

UNIT_TEST(reason_texts)
{
	__u32 r, q;

	for (r = 1; r < KK_REASON_MAX; r++) {
		const char *t = kk_reason_text(r);

		CHECK(t != NULL);
		if (!reason_defined(r)) {
			CHECK_EQ_STR(t, "unknown");
			continue;
		}
		CHECK(t[0] != '\0');
		CHECK(strcmp(t, "unknown") != 0);
		/* Two reasons with one text could not be told apart in the log. */
		for (q = 1; q < r; q++)
			CHECK(!reason_defined(q) || strcmp(kk_reason_text(q), t) != 0);
	}
	CHECK_EQ_STR(kk_reason_text(KK_REASON_NONE), "");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_NOT_IN_SCOPE), "path not in scope");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_EXPLICIT_DENY), "path explicitly denied");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_HOST_NOT_ALLOWED),
		     "destination not in allowed_hosts");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_CONCURRENCY), "too many concurrent connections");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_REVOKED), "certificate revoked");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_CONN_TABLE_FULL),
		     "connection table full (fail closed)");
}

UNIT_TEST(reason_text_unknown)
{
	CHECK_EQ_INT(KK_REASON_SCOPE_MAX < KK_REASON_REVOKED, 1);
	CHECK_EQ_STR(kk_reason_text(KK_REASON_SCOPE_MAX), "unknown");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_SCOPE_MAX + 1), "unknown");
	CHECK_EQ_STR(kk_reason_text(31), "unknown");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_MAX), "unknown");
	CHECK_EQ_STR(kk_reason_text(KK_REASON_MAX + 1), "unknown");
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
	UNIT_RUN(decode_executable_after_the_path);
	UNIT_RUN(decode_valid_record);
	UNIT_RUN(decode_network_fields);
	UNIT_RUN(decode_two_paths);
	UNIT_RUN(decode_reads_only_the_record);
	UNIT_RUN(decode_empty_path);
	UNIT_RUN(decode_full_size_path);
	UNIT_RUN(decode_path_without_nul);
	UNIT_RUN(decode_comm_without_nul);
	UNIT_RUN(event_type_names);
	UNIT_RUN(expiry_events_carry_their_agent);
	UNIT_RUN(event_type_name_unknown);
	UNIT_RUN(event_decisions);
	UNIT_RUN(hook_names);
	UNIT_RUN(hook_name_unknown);
	UNIT_RUN(reason_texts);
	UNIT_RUN(reason_text_unknown);
	UNIT_RUN(access_strings);
	UNIT_RUN(access_str_returns_buf_and_truncates);
	return unit_done();
}
