// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/output_event.c: one event as a JSON line, with and without the agent it is
 * about, for file, link, exec, network, unix and socket events.
 */
#include <unistd.h>

#include "events.h"
#include "test_output_event.h"

/* ---- JSON ---- */

UNIT_TEST(json_denied_event_fields)
{
	cJSON *o;

	fill_event("/data/secret/x");
	o = event_json(42, NULL);
	CHECK(o != NULL);
	CHECK(cJSON_IsObject(o));
	CHECK_EQ_INT(num_item(o, "seq"), 42);
	CHECK_EQ_STR(str_item(o, "timestamp"), T_2026_STR);
	CHECK_EQ_STR(str_item(o, "event_type"), "action.denied");
	CHECK(null_item(o, "agent_id"));
	CHECK(null_item(o, "agent_cert_serial"));
	CHECK(null_item(o, "policy_version"));
	CHECK_EQ_INT(num_item(o, "binding"), 7);
	CHECK(item(o, "binding_id") == NULL);
	CHECK_EQ_INT(num_item(o, "pid"), 1234);
	CHECK_EQ_INT(num_item(o, "tid"), 1235);
	CHECK_EQ_INT(num_item(o, "uid"), 1000);
	CHECK_EQ_STR(str_item(o, "comm"), "cat");
	CHECK_EQ_STR(str_item(o, "hook"), "file_open");
	CHECK(action() != NULL);
	CHECK_EQ_STR(str_item(action(), "path"), "/data/secret/x");
	CHECK_EQ_STR(str_item(action(), "access"), "read");
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 2);
	CHECK_EQ_STR(str_item(o, "decision"), "deny");
	CHECK_EQ_STR(str_item(o, "reason"), "path not in scope");
	CHECK_EQ_STR(str_item(o, "errno"), "EACCES");
	CHECK(null_item(o, "exe"));  /* no executable recorded */
	CHECK(null_item(o, "host")); /* the clock was never synced: no host name */
	CHECK_EQ_INT(cJSON_GetArraySize(o), 18);
}

/* The consumer's host name, from its clock sync, on every event. */
UNIT_TEST(json_host_from_the_consumer)
{
	char host[65] = "";
	cJSON *o;

	CHECK_EQ_INT(gethostname(host, sizeof(host) - 1), 0);
	fill_event("/data/x");
	kk_clock_sync(&clk);
	o = event_json(1, &who7);
	clk.host[0] = '\0';
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "host"), host);
}

UNIT_TEST(json_with_who)
{
	cJSON *o;

	fill_event("/data/x");
	o = event_json(1, &who7);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "agent_id"), "agent-7");
	CHECK_EQ_STR(str_item(o, "agent_cert_serial"), "0a1b2c3d");
	CHECK_EQ_STR(str_item(o, "policy_version"), "2026.06.1");
	CHECK_EQ_INT(num_item(o, "binding"), 7);
	CHECK_EQ_INT(cJSON_GetArraySize(o), 18);
}

/* A who whose members are unknown (NULL): each prints null, the others their string. */
UNIT_TEST(json_who_with_null_members)
{
	const struct kk_who none = { 0 }, some = { .agent_id = "a1", .policy_version = "v2" };
	cJSON *o;

	fill_event("/data/x");
	o = event_json(1, &none);
	CHECK(o != NULL);
	CHECK(null_item(o, "agent_id"));
	CHECK(null_item(o, "agent_cert_serial"));
	CHECK(null_item(o, "policy_version"));
	o = event_json(1, &some);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "agent_id"), "a1");
	CHECK(null_item(o, "agent_cert_serial"));
	CHECK_EQ_STR(str_item(o, "policy_version"), "v2");
}

UNIT_TEST(json_invalid_utf8_path_becomes_fffd)
{
	fill_event("/x\xff"
		   "y");
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "path"), "/x" FFFD "y");
}

UNIT_TEST(json_invalid_utf8_comm_becomes_fffd)
{
	cJSON *o;

	fill_event("/x");
	memcpy(ev.comm,
	       "a\xc0\xaf"
	       "b",
	       5);
	o = event_json(1, NULL);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "comm"), "a" FFFD FFFD "b");
}

/* Quotes, backslashes and control characters are escaped: the line parses back unchanged. */
UNIT_TEST(json_escapes_path)
{
	fill_event("/a\"b\\c\nd\te\x01");
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "path"), "/a\"b\\c\nd\te\x01");
}

/* The longest path, every byte invalid: nothing is cut (each byte becomes 3). */
UNIT_TEST(json_long_invalid_path)
{
	const char *p;

	fill_event(NULL);
	memset(ev.path, 0xff, KK_PATH_MAX - 1);
	ev.path[0] = '/';
	ev.path_len = KK_PATH_MAX;
	CHECK(event_json(1, NULL) != NULL);
	p = str_item(action(), "path");
	CHECK(p != NULL);
	CHECK_EQ_INT(strlen(p), 1 + 3 * (KK_PATH_MAX - 2));
	CHECK(ends_with(p, FFFD FFFD));
}

UNIT_TEST(json_no_path_when_path_len_zero)
{
	fill_event(NULL);
	CHECK(event_json(1, NULL) != NULL);
	CHECK(action() != NULL);
	CHECK(item(action(), "path") == NULL);
	CHECK_EQ_STR(str_item(action(), "access"), "read");
}

UNIT_TEST(json_allowed_event_errno_null)
{
	cJSON *o;

	fill_event("/etc/hosts");
	ev.type = KK_EV_ACTION_ALLOWED;
	ev.access = KK_ACCESS_READ | KK_ACCESS_WRITE;
	ev.reason = KK_REASON_NONE;
	ev.err = 0;
	o = event_json(2, NULL);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "event_type"), "action.allowed");
	CHECK_EQ_STR(str_item(o, "decision"), "allow");
	CHECK_EQ_STR(str_item(o, "reason"), "");
	CHECK_EQ_STR(str_item(action(), "access"), "read,write");
	CHECK(null_item(o, "errno"));
}

UNIT_TEST(json_audited_event)
{
	cJSON *o;

	fill_event("/data/x");
	ev.type = KK_EV_ACTION_AUDITED;
	ev.err = 0;
	o = event_json(2, NULL);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "event_type"), "action.audited");
	CHECK_EQ_STR(str_item(o, "decision"), "audit");
	CHECK_EQ_STR(str_item(o, "reason"), "path not in scope");
	CHECK(null_item(o, "errno"));
}

UNIT_TEST(json_errno_name)
{
	fill_event("/x");
	ev.err = EPERM;
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "errno"), "EPERM");
}

UNIT_TEST(json_agent_event_has_no_decision)
{
	cJSON *o;

	fill_event(NULL);
	ev.type = KK_EV_AGENT_BOUND;
	ev.hook = KK_HOOK_TASK_ALLOC;
	ev.access = 0;
	ev.reason = KK_REASON_NONE;
	ev.err = 0;
	o = event_json(3, &who7);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "event_type"), "agent.bound");
	CHECK_EQ_STR(str_item(o, "hook"), "task_alloc");
	CHECK_EQ_STR(str_item(o, "agent_id"), "agent-7");
	CHECK(item(o, "decision") == NULL);
	CHECK(item(o, "reason") == NULL);
	CHECK(item(o, "errno") == NULL);
	CHECK(action() != NULL);
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 0);
	CHECK_EQ_INT(cJSON_GetArraySize(o), 15);
}

/* AF_INET: the IPv4-mapped address prints as IPv4; access is not part of a network action. */
UNIT_TEST(json_network_ipv4)
{
	cJSON *o;

	fill_inet(AF_INET, v4_lo, 443, IPPROTO_TCP);
	o = event_json(5, &who7);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "hook"), "socket_connect");
	CHECK(action() != NULL);
	CHECK_EQ_STR(str_item(action(), "address"), "127.0.0.1");
	CHECK_EQ_INT(num_item(action(), "port"), 443);
	CHECK_EQ_STR(str_item(action(), "protocol"), "tcp");
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 3);
	CHECK_EQ_STR(str_item(o, "reason"), "destination not in allowed_hosts");
	CHECK_EQ_STR(str_item(o, "errno"), "EACCES");
}

UNIT_TEST(json_network_ipv6)
{
	fill_inet(AF_INET6, v6_lo, 53, IPPROTO_UDP);
	ev.hook = KK_HOOK_SOCKET_SENDMSG;
	CHECK(event_json(6, NULL) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "hook"), "socket_sendmsg");
	CHECK_EQ_STR(str_item(action(), "address"), "::1");
	CHECK_EQ_INT(num_item(action(), "port"), 53);
	CHECK_EQ_STR(str_item(action(), "protocol"), "udp");
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 3);

	fill_inet(AF_INET6, v6_doc, 65535, IPPROTO_TCP);
	CHECK(event_json(7, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "address"), "2001:db8::1");
	CHECK_EQ_INT(num_item(action(), "port"), 65535);
	CHECK_EQ_STR(str_item(action(), "protocol"), "tcp");
}

/* An IPv6 socket connecting to ::ffff:10.0.0.1 reaches an IPv4 host: it prints as IPv4. */
UNIT_TEST(json_network_ipv6_mapped)
{
	fill_inet(AF_INET6, v4_10001, 8080, IPPROTO_TCP);
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "address"), "10.0.0.1");
	CHECK_EQ_INT(num_item(action(), "port"), 8080);
}

UNIT_TEST(json_network_protocol_names)
{
	fill_inet(AF_INET, v4_lo, 0, IPPROTO_ICMP);
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "protocol"), "icmp");
	fill_inet(AF_INET6, v6_lo, 0, IPPROTO_ICMPV6);
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "protocol"), "icmpv6");
	fill_inet(AF_INET, v4_lo, 9, IPPROTO_SCTP);
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "protocol"), "other");
}

/* A refused socket option (bpf/net.bpf.c: level in port, option name in count). */
UNIT_TEST(json_setsockopt_option)
{
	fill_event(NULL);
	ev.hook = KK_HOOK_SOCKET_SETSOCKOPT;
	ev.access = KK_ACCESS_WRITE;
	ev.reason = KK_REASON_SOURCE_ROUTE;
	ev.port = 41;  /* SOL_IPV6 */
	ev.count = 57; /* IPV6_RTHDR */
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "hook"), "socket_setsockopt");
	CHECK_EQ_INT(num_item(action(), "level"), 41);
	CHECK_EQ_INT(num_item(action(), "optname"), 57);
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 2);
	CHECK_EQ_STR(str_item(cur_json, "reason"), "routing header, IP options or IPsec policy");
}

UNIT_TEST(json_exec_event)
{
	fill_event("/bin/sh");
	ev.hook = KK_HOOK_BPRM_CHECK;
	ev.access = KK_ACCESS_EXEC;
	ev.reason = KK_REASON_EXEC_NOT_LISTED;
	CHECK(event_json(8, &who7) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "hook"), "bprm_check_security");
	CHECK(action() != NULL);
	CHECK_EQ_STR(str_item(action(), "exec"), "/bin/sh");
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 1);
	CHECK_EQ_STR(str_item(cur_json, "reason"), "executable not in the exec list");

	/* An anonymous executable (memfd) has no path to show. */
	fill_event(NULL);
	ev.hook = KK_HOOK_BPRM_CHECK;
	ev.access = KK_ACCESS_EXEC;
	ev.reason = KK_REASON_EXEC_ANONYMOUS;
	CHECK(event_json(9, NULL) != NULL);
	CHECK(action() != NULL);
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 0);
}

UNIT_TEST(json_link_source)
{
	fill_link(KK_HOOK_PATH_LINK, "/data/new", "/data/old");
	CHECK(event_json(9, NULL) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "hook"), "path_link");
	CHECK(action() != NULL);
	CHECK_EQ_STR(str_item(action(), "path"), "/data/new");
	CHECK_EQ_STR(str_item(action(), "source"), "/data/old");
	CHECK_EQ_STR(str_item(action(), "access"), "write");
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 3);
	CHECK_EQ_STR(str_item(cur_json, "reason"), "link or rename would widen the file's access");
}

UNIT_TEST(json_rename_source_invalid_utf8)
{
	fill_link(KK_HOOK_PATH_RENAME, "/n", "/o\xff");
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "hook"), "path_rename");
	CHECK_EQ_STR(str_item(action(), "path"), "/n");
	CHECK_EQ_STR(str_item(action(), "source"), "/o" FFFD);
}

/* No second path: path2_off 0, or past the used part of path[] (never read). */
UNIT_TEST(json_no_source_without_second_path)
{
	fill_event("/data/new");
	ev.hook = KK_HOOK_PATH_LINK;
	CHECK(event_json(1, NULL) != NULL);
	CHECK(item(action(), "source") == NULL);

	strcpy(ev.path + ev.path_len, "/stale");
	ev.path2_off = ev.path_len;
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "path"), "/data/new");
	CHECK(item(action(), "source") == NULL);
}

UNIT_TEST(json_unix_connect_family)
{
	fill_event("/run/app.sock");
	ev.hook = KK_HOOK_UNIX_CONNECT;
	ev.access = KK_ACCESS_WRITE;
	ev.family = AF_UNIX;
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "hook"), "unix_stream_connect");
	CHECK_EQ_STR(str_item(action(), "path"), "/run/app.sock");
	CHECK_EQ_STR(str_item(action(), "access"), "write");
	CHECK_EQ_STR(str_item(action(), "family"), "unix");
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 3);
}

UNIT_TEST(json_socket_create_family)
{
	fill_socket_create(AF_NETLINK, 0);
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(cur_json, "hook"), "socket_create");
	CHECK_EQ_STR(str_item(action(), "family"), "netlink");
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 1);
	CHECK_EQ_STR(str_item(cur_json, "reason"), "raw, packet or netlink socket");
	fill_socket_create(AF_PACKET, 0);
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "family"), "packet");
	fill_socket_create(40, 0); /* AF_VSOCK: no name, the number */
	CHECK(event_json(1, NULL) != NULL);
	CHECK_EQ_STR(str_item(action(), "family"), "40");
}

/*
 * socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) refused: bpf/net.bpf.c reports family AF_INET and
 * the protocol, but no destination (there is none). The action names the family; it is not
 * shown as a connection to an address and port.
 */
UNIT_TEST(json_socket_create_inet_raw_is_not_a_destination)
{
	fill_socket_create(AF_INET, IPPROTO_ICMP);
	CHECK(event_json(1, NULL) != NULL);
	CHECK(action() != NULL);
	CHECK(item(action(), "address") == NULL);
	CHECK(item(action(), "port") == NULL);
	CHECK(str_item(action(), "family") != NULL);
}

/* The daemon's events.lost: no action, the count, and why. */
UNIT_TEST(json_events_lost_reason)
{
	cJSON *o;

	CHECK_EQ_INT(kk_event_lost(&ev, 17, "write failed: File too large"), 0);
	clk.boot_to_real_ns = 0;
	o = event_json(9, NULL);
	CHECK(o != NULL);
	CHECK_EQ_STR(str_item(o, "event_type"), "events.lost");
	CHECK_EQ_INT((int)num_item(o, "count"), 17);
	CHECK_EQ_STR(str_item(o, "reason"), "write failed: File too large");
	CHECK_EQ_INT((int)num_item(o, "binding"), KK_MAX_BINDINGS);
	CHECK(cJSON_IsNull(item(o, "agent_id")));
	CHECK(item(o, "decision") == NULL);
	CHECK_EQ_INT(cJSON_GetArraySize(action()), 0);
	/* Without a reason (none given): only the count. */
	CHECK_EQ_INT(kk_event_lost(&ev, 3, NULL), 0);
	o = event_json(10, NULL);
	CHECK(o != NULL);
	CHECK_EQ_INT((int)num_item(o, "count"), 3);
	CHECK(item(o, "reason") == NULL);
	{
		char big[KK_PATH_MAX + 1];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		CHECK_EQ_INT(kk_event_lost(&ev, 1, big), -ENAMETOOLONG);
	}
}

int main(void)
{
	UNIT_RUN(json_denied_event_fields);
	UNIT_RUN(json_with_who);
	UNIT_RUN(json_host_from_the_consumer);
	UNIT_RUN(json_who_with_null_members);
	UNIT_RUN(json_invalid_utf8_path_becomes_fffd);
	UNIT_RUN(json_invalid_utf8_comm_becomes_fffd);
	UNIT_RUN(json_escapes_path);
	UNIT_RUN(json_long_invalid_path);
	UNIT_RUN(json_no_path_when_path_len_zero);
	UNIT_RUN(json_allowed_event_errno_null);
	UNIT_RUN(json_audited_event);
	UNIT_RUN(json_errno_name);
	UNIT_RUN(json_agent_event_has_no_decision);
	UNIT_RUN(json_network_ipv4);
	UNIT_RUN(json_network_ipv6);
	UNIT_RUN(json_network_ipv6_mapped);
	UNIT_RUN(json_network_protocol_names);
	UNIT_RUN(json_setsockopt_option);
	UNIT_RUN(json_exec_event);
	UNIT_RUN(json_link_source);
	UNIT_RUN(json_rename_source_invalid_utf8);
	UNIT_RUN(json_no_source_without_second_path);
	UNIT_RUN(json_unix_connect_family);
	UNIT_RUN(json_socket_create_family);
	UNIT_RUN(json_socket_create_inet_raw_is_not_a_destination);
	UNIT_RUN(json_events_lost_reason);
	cJSON_Delete(cur_json);
	free(cur_text);
	return unit_done();
}
