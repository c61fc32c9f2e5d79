// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/output_event.c: one event as a text line (events --text), with and without
 * the agent it is about, for file, link, exec, network, unix and socket events.
 */
#include "events.h"
#include "test_output_event.h"

/* ---- text ---- */

UNIT_TEST(text_denied_event)
{
	const char *s;

	fill_event("/x");
	s = event_text(42, NULL);
	CHECK(s != NULL);
	CHECK(strstr(s, "action.denied") != NULL);
	CHECK(strstr(s, "path=/x") != NULL);
	CHECK(strstr(s, "EACCES") != NULL);
	CHECK_EQ_STR(s, T_2026_STR " #42 action.denied file_open pid=1234 comm=cat agent=- "
				   "path=/x access=read -> deny EACCES (path not in scope)");
}

UNIT_TEST(text_with_who)
{
	const struct kk_who unknown = { .serial = "0a" };

	fill_event("/x");
	CHECK_EQ_STR(event_text(42, &who7),
		     T_2026_STR " #42 action.denied file_open pid=1234 comm=cat agent=agent-7 "
				"path=/x access=read -> deny EACCES (path not in scope)");
	CHECK_EQ_STR(event_text(42, &unknown),
		     T_2026_STR " #42 action.denied file_open pid=1234 comm=cat agent=- "
				"path=/x access=read -> deny EACCES (path not in scope)");
}

UNIT_TEST(text_no_path_when_path_len_zero)
{
	fill_event(NULL);
	ev.type = KK_EV_AGENT_BOUND;
	ev.hook = KK_HOOK_TASK_ALLOC;
	ev.access = 0;
	ev.reason = KK_REASON_NONE;
	ev.err = 0;
	CHECK_EQ_STR(event_text(3, NULL),
		     T_2026_STR " #3 agent.bound task_alloc pid=1234 comm=cat agent=-");
	CHECK_EQ_STR(event_text(3, &who7),
		     T_2026_STR " #3 agent.bound task_alloc pid=1234 comm=cat agent=agent-7");
}

UNIT_TEST(text_allowed_and_audited)
{
	fill_event("/etc/hosts");
	ev.type = KK_EV_ACTION_ALLOWED;
	ev.reason = KK_REASON_NONE;
	ev.err = 0;
	CHECK_EQ_STR(event_text(4, NULL),
		     T_2026_STR " #4 action.allowed file_open pid=1234 comm=cat agent=- "
				"path=/etc/hosts access=read -> allow");
	ev.type = KK_EV_ACTION_AUDITED;
	ev.reason = KK_REASON_EXPLICIT_DENY;
	CHECK_EQ_STR(event_text(5, NULL),
		     T_2026_STR " #5 action.audited file_open pid=1234 comm=cat agent=- "
				"path=/etc/hosts access=read -> audit (path explicitly denied)");
}

UNIT_TEST(text_network_ipv4)
{
	fill_inet(AF_INET, v4_lo, 443, IPPROTO_TCP);
	CHECK_EQ_STR(event_text(5, &who7),
		     T_2026_STR " #5 action.denied socket_connect pid=1234 comm=cat agent=agent-7 "
				"dest=127.0.0.1:443/tcp -> deny EACCES "
				"(destination not in allowed_hosts)");
}

UNIT_TEST(text_network_ipv6)
{
	fill_inet(AF_INET6, v6_lo, 53, IPPROTO_UDP);
	CHECK_EQ_STR(event_text(6, NULL), T_2026_STR
		     " #6 action.denied socket_connect pid=1234 comm=cat agent=- "
		     "dest=[::1]:53/udp -> deny EACCES (destination not in allowed_hosts)");
	fill_inet(AF_INET6, v6_doc, 443, IPPROTO_TCP);
	CHECK(strstr(event_text(7, NULL), " dest=[2001:db8::1]:443/tcp -> ") != NULL);
}

/*
 * ::ffff:10.0.0.1 prints as the IPv4 address it is (as in the JSON "address"), so as host:port
 * without the brackets that only an IPv6 literal takes.
 */
UNIT_TEST(text_network_ipv6_mapped_is_ipv4)
{
	fill_inet(AF_INET6, v4_10001, 8080, IPPROTO_TCP);
	CHECK_EQ_STR(event_text(1, NULL),
		     T_2026_STR " #1 action.denied socket_connect pid=1234 comm=cat agent=- "
				"dest=10.0.0.1:8080/tcp -> deny EACCES "
				"(destination not in allowed_hosts)");
}

UNIT_TEST(text_exec_event)
{
	fill_event("/bin/sh");
	ev.hook = KK_HOOK_BPRM_CHECK;
	ev.access = KK_ACCESS_EXEC;
	ev.reason = KK_REASON_EXEC_NOT_LISTED;
	CHECK_EQ_STR(event_text(8, &who7),
		     T_2026_STR " #8 action.denied bprm_check_security pid=1234 comm=cat "
				"agent=agent-7 exec=/bin/sh -> deny EACCES "
				"(executable not in the exec list)");
}

UNIT_TEST(text_link_event)
{
	fill_link(KK_HOOK_PATH_LINK, "/data/new", "/data/old");
	CHECK_EQ_STR(event_text(9, NULL),
		     T_2026_STR " #9 action.denied path_link pid=1234 comm=cat agent=- "
				"path=/data/new from=/data/old access=write -> deny EACCES "
				"(link or rename would widen the file's access)");
}

UNIT_TEST(text_unix_connect)
{
	fill_event("/run/app.sock");
	ev.hook = KK_HOOK_UNIX_CONNECT;
	ev.access = KK_ACCESS_WRITE;
	ev.family = AF_UNIX;
	CHECK_EQ_STR(event_text(10, NULL),
		     T_2026_STR " #10 action.denied unix_stream_connect pid=1234 comm=cat agent=- "
				"path=/run/app.sock access=write family=unix -> deny EACCES "
				"(path not in scope)");
}

UNIT_TEST(text_socket_create)
{
	fill_socket_create(AF_NETLINK, 0);
	CHECK_EQ_STR(event_text(11, NULL),
		     T_2026_STR " #11 action.denied socket_create pid=1234 comm=cat agent=- "
				"family=netlink -> deny EACCES (raw, packet or netlink socket)");
}

/* As json_socket_create_inet_raw_is_not_a_destination: a family, not " dest=". */
UNIT_TEST(text_socket_create_inet_raw_is_not_a_destination)
{
	const char *s;

	fill_socket_create(AF_INET, IPPROTO_ICMP);
	s = event_text(12, NULL);
	CHECK(s != NULL);
	CHECK(strstr(s, " dest=") == NULL);
	CHECK(strstr(s, " family=") != NULL);
	CHECK(ends_with(s, " -> deny EACCES (raw, packet or netlink socket)"));
}

UNIT_TEST(text_invalid_utf8)
{
	fill_link(KK_HOOK_PATH_RENAME, "/n\xff", "/o\xc3");
	memcpy(ev.comm, "c\xff", 3);
	CHECK_EQ_STR(event_text(1, NULL),
		     T_2026_STR " #1 action.denied path_rename pid=1234 comm=c" FFFD " agent=- "
				"path=/n" FFFD " from=/o" FFFD " access=write -> deny EACCES "
				"(link or rename would widen the file's access)");
}

/* One event, one line: a newline in a file name must not start a second (forged) line. */
UNIT_TEST(text_newline_in_path_stays_one_line)
{
	const char *s;

	fill_event("/tmp/x\n" T_2026_STR " #43 action.allowed file_open pid=1 comm=cat");
	s = event_text(42, NULL);
	CHECK(s != NULL);
	CHECK(strchr(s, '\n') == NULL);
	CHECK(strchr(s, '\r') == NULL);
	CHECK(ends_with(s, " access=read -> deny EACCES (path not in scope)"));
}

/* The same through comm, which the task names itself (PR_SET_NAME). */
UNIT_TEST(text_newline_in_comm_stays_one_line)
{
	const char *s;

	fill_event("/x");
	memcpy(ev.comm, "a\nb\rc", 6);
	s = event_text(42, NULL);
	CHECK(s != NULL);
	CHECK(strchr(s, '\n') == NULL);
	CHECK(strchr(s, '\r') == NULL);
}

/* The longest path, every byte invalid (3 bytes each once sanitized): the line is not cut. */
UNIT_TEST(text_long_invalid_path_not_truncated)
{
	const char *head = T_2026_STR " #1 action.denied file_open pid=1234 comm=cat agent=- path=";
	const char *tail = " access=read -> deny EACCES (path not in scope)";
	const char *s;

	fill_event(NULL);
	memset(ev.path, 0xff, KK_PATH_MAX - 1);
	ev.path[0] = '/';
	ev.path_len = KK_PATH_MAX;
	s = event_text(1, NULL);
	CHECK(s != NULL);
	CHECK(!strncmp(s, head, strlen(head)));
	CHECK(ends_with(s, tail));
	CHECK_EQ_INT(strlen(s), strlen(head) + 1 + 3 * (KK_PATH_MAX - 2) + strlen(tail));
}

UNIT_TEST(text_events_lost)
{
	CHECK_EQ_INT(kk_event_lost(&ev, 17, "write failed: No space left on device"), 0);
	ev.ktime_ns = 5000000000ULL;
	clk.boot_to_real_ns = T_2026_NS - 5000000000LL;
	CHECK_EQ_STR(event_text(8, NULL), T_2026_STR
		     " #8 events.lost count=17 reason=write failed: No space left on device");
	CHECK_EQ_INT(kk_event_lost(&ev, 2, ""), 0);
	ev.ktime_ns = 5000000000ULL;
	CHECK_EQ_STR(event_text(9, NULL), T_2026_STR " #9 events.lost count=2");
}

int main(void)
{
	UNIT_RUN(text_denied_event);
	UNIT_RUN(text_with_who);
	UNIT_RUN(text_no_path_when_path_len_zero);
	UNIT_RUN(text_allowed_and_audited);
	UNIT_RUN(text_network_ipv4);
	UNIT_RUN(text_network_ipv6);
	UNIT_RUN(text_network_ipv6_mapped_is_ipv4);
	UNIT_RUN(text_exec_event);
	UNIT_RUN(text_link_event);
	UNIT_RUN(text_unix_connect);
	UNIT_RUN(text_socket_create);
	UNIT_RUN(text_socket_create_inet_raw_is_not_a_destination);
	UNIT_RUN(text_invalid_utf8);
	UNIT_RUN(text_newline_in_path_stays_one_line);
	UNIT_RUN(text_newline_in_comm_stays_one_line);
	UNIT_RUN(text_long_invalid_path_not_truncated);
	UNIT_RUN(text_events_lost);
	cJSON_Delete(cur_json);
	free(cur_text);
	return unit_done();
}
