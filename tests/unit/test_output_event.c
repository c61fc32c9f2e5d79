// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/output_event.c: one event as a JSON line and as a text line, with and
 * without the agent it is about, for file, link, exec, network, unix and socket events.
 */
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
static void fill_event(const char *path)
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
static void fill_link(__u32 hook, const char *target, const char *source)
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
static void fill_inet(__u8 family, const __u8 addr[16], __u16 port, __u8 protocol)
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
static void fill_socket_create(__u8 family, __u8 protocol)
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
static cJSON *event_json(uint64_t seq, const struct kk_who *who)
{
	char *s = kk_event_json(&ev, seq, &clk, who);

	cJSON_Delete(cur_json);
	cur_json = s ? cJSON_Parse(s) : NULL;
	free(s);
	return cur_json;
}

static const char *event_text(uint64_t seq, const struct kk_who *who)
{
	free(cur_text);
	cur_text = kk_event_text(&ev, seq, &clk, who);
	return cur_text;
}

static const cJSON *item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const char *str_item(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double num_item(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);

	return cJSON_IsNumber(it) ? it->valuedouble : -1;
}

static bool null_item(const cJSON *o, const char *key)
{
	return cJSON_IsNull(item(o, key));
}

/* The "action" member of the current JSON event; NULL when it is not an object. */
static const cJSON *action(void)
{
	const cJSON *a = item(cur_json, "action");

	return cJSON_IsObject(a) ? a : NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

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
	CHECK_EQ_INT(cJSON_GetArraySize(o), 16);
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
	CHECK_EQ_INT(cJSON_GetArraySize(o), 16);
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
	CHECK_EQ_INT(cJSON_GetArraySize(o), 13);
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

int main(void)
{
	UNIT_RUN(json_denied_event_fields);
	UNIT_RUN(json_with_who);
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
	UNIT_RUN(json_exec_event);
	UNIT_RUN(json_link_source);
	UNIT_RUN(json_rename_source_invalid_utf8);
	UNIT_RUN(json_no_source_without_second_path);
	UNIT_RUN(json_unix_connect_family);
	UNIT_RUN(json_socket_create_family);
	UNIT_RUN(json_socket_create_inet_raw_is_not_a_destination);
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
	cJSON_Delete(cur_json);
	free(cur_text);
	return unit_done();
}
