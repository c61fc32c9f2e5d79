/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * audit_cases.h — a fixed set of events for the audit line's byte-for-byte tests
 * (test_audit_line.c): every event type and hook, the network, agent, signer and events.lost
 * shapes, strings that need JSON escaping (control characters, quotes, backslashes, DEL),
 * non-ASCII and invalid UTF-8 in every string member, and pseudo-random records decoded as the
 * daemon decodes them. tests/unit/golden/audit_lines.jsonl holds the lines the cJSON formatter
 * made of these events before the direct formatter replaced it: the cases must not change
 * without regenerating that file from that formatter.
 */
#ifndef KK_AUDIT_CASES_H
#define KK_AUDIT_CASES_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "events.h"
#include "output.h"

#define CASES_RANDOM 3000

struct audit_case {
	struct kk_event ev;
	struct kk_clock clk;
	struct kk_who who;
	bool has_who;
	uint64_t seq;
};

/* Strings that exercise escaping and UTF-8 repair (each NUL-terminated, under 64 bytes). */
static const char *const case_strings[] = {
	"/tmp/kkbench/denied/f",
	"",
	"a\"b\\c/d",
	"\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f",
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f",
	"/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80",
	"/bad\x80/lone",
	"/overlong\xc0\xaf/x",
	"/surrogate\xed\xa0\x80/x",
	"/past\xf4\x90\x80\x80/x",
	"/f5\xf5\x80\x80\x80",
	"/cut\xe2\x82",
	"/cut4\xf0\x9f\x98",
	"/ff\xff\xfe",
	"</script>&'%s%n\\u0000",
	"\xc2\xa0\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf",
};
#define CASE_STRINGS (sizeof(case_strings) / sizeof(case_strings[0]))

/* Signer details as the signer writes them, and some it does not. */
static const char *const case_details[] = {
	"{\"type\":\"trade\",\"payload_sha256\":\"ab12\",\"fields\":{\"qty\":10,\"px\":0.12},"
	"\"reason\":\"out_of_scope\",\"risk\":0.12,\"scope_check_passed\":false,"
	"\"signature_valid\":true,\"duration_ms\":3}",
	"{\"reason\":\"x\\u00e9\\n\\\"q\\\"\",\"risk\":1e20,\"n\":-0.0,\"big\":123456789012345678,"
	"\"arr\":[1,2.5,null,\"s\"],\"fields\":[]}",
	"{}",
	"[1,2]",
	"not json at all",
	"{\"reason\":\"bad \xff byte\"}",
	"{\"k\\u0001\":\"v\",\"type\":\"t\",\"type\":\"again\"}",
};
#define CASE_DETAILS (sizeof(case_details) / sizeof(case_details[0]))

static uint64_t case_rng = 0x9e3779b97f4a7c15ull;

static uint32_t case_rand(void)
{
	case_rng ^= case_rng << 13;
	case_rng ^= case_rng >> 7;
	case_rng ^= case_rng << 17;
	return (uint32_t)(case_rng >> 11);
}

static void case_base(struct audit_case *c, uint64_t seq)
{
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	c->clk.boot_to_real_ns = 1781000000123456789LL;
	snprintf(c->clk.host, sizeof(c->clk.host), "host-1");
	c->ev.ktime_ns = 1000000000ull * 3600 + seq * 7919;
	c->ev.type = KK_EV_ACTION_DENIED;
	c->ev.hook = KK_HOOK_FILE_OPEN;
	c->ev.pid = 4242;
	c->ev.tid = 4243;
	c->ev.uid = 1000;
	c->ev.binding = 3;
	c->ev.gen = 1;
	c->ev.access = KK_ACCESS_READ;
	c->ev.reason = KK_REASON_NOT_IN_SCOPE;
	c->ev.err = 13;
	snprintf(c->ev.comm, sizeof(c->ev.comm), "kk-bench");
	c->has_who = true;
	c->who.agent_id = "agent-1";
	c->who.serial = "4b0102030405060708";
	c->who.policy_version = "v10";
}

/* path[] = a, NUL, [b, NUL]; path2_off at b when given; exe after them when given. */
static void case_paths(struct kk_event *ev, const char *a, const char *b, const char *exe)
{
	size_t n = strlen(a) + 1;

	memcpy(ev->path, a, n);
	ev->path2_off = 0;
	if (b) {
		ev->path2_off = (uint16_t)n;
		memcpy(ev->path + n, b, strlen(b) + 1);
		n += strlen(b) + 1;
	}
	ev->path_len = (uint32_t)n;
	ev->exe_len = 0;
	if (exe) {
		memcpy(ev->path + n, exe, strlen(exe) + 1);
		ev->exe_len = (uint16_t)(strlen(exe) + 1);
		ev->path_len += ev->exe_len;
	}
}

/* The record as the kernel would send it, decoded as the daemon does; false: undecodable. */
static bool case_decode(struct audit_case *c)
{
	struct kk_event raw = c->ev;

	return !kk_event_decode(&raw, KK_EVENT_HDR_SIZE + raw.path_len, &c->ev);
}

/*
 * The types the golden file was made with (KK_EV_TYPE_MAX then: 14). Case types past them stay
 * unknown types, so a type added since (action.connected: test_signer_event) keeps the cases
 * and the golden lines the same.
 */
#define GOLDEN_EV_TYPES 14u
static uint32_t golden_type(uint32_t t)
{
	return t < GOLDEN_EV_TYPES ? t : t - GOLDEN_EV_TYPES + KK_EV_TYPE_MAX;
}

static void case_random(struct audit_case *c, uint64_t seq)
{
	size_t i, n;

	case_base(c, seq);
	c->ev.type = golden_type(case_rand() % (GOLDEN_EV_TYPES + 2));
	c->ev.hook = case_rand() % (KK_HOOK_MAX + 2);
	c->ev.pid = case_rand();
	c->ev.tid = case_rand() % 3 ? c->ev.pid : case_rand();
	c->ev.uid = case_rand() % 2 ? 0 : case_rand();
	c->ev.binding = case_rand() % 70;
	c->ev.access = case_rand() % 16;
	c->ev.reason = case_rand() % (KK_REASON_MAX + 2);
	c->ev.err = case_rand() % 4 ? (int32_t)(case_rand() % 140) : -(int32_t)(case_rand() % 5);
	c->ev.port = (uint16_t)case_rand();
	c->ev.family = (uint8_t)(case_rand() % 4 ? (uint8_t[]){ 0, AF_INET, AF_INET6, AF_UNIX,
							      AF_NETLINK, AF_PACKET, 99 }[case_rand() % 7]
					       : case_rand());
	c->ev.protocol = (uint8_t)(uint8_t[]){ 6, 17, 1, 58, 0, 132 }[case_rand() % 6];
	c->ev.count = case_rand() % 2 ? case_rand() % 100 : case_rand();
	for (i = 0; i < 16; i++)
		c->ev.addr[i] = (uint8_t)case_rand();
	if (case_rand() % 2)
		memcpy(c->ev.addr, (uint8_t[12]){ [10] = 0xff, [11] = 0xff }, 12);
	for (i = 0; i < sizeof(c->ev.comm); i++)
		c->ev.comm[i] = (char)(case_rand() % 3 ? 0x20 + case_rand() % 95 : case_rand());
	/* A path of random bytes (NULs too) with the record's own NUL ends, maybe a source. */
	n = 1 + case_rand() % 300;
	for (i = 0; i < n; i++)
		c->ev.path[i] = (char)(case_rand() % 4 ? 0x20 + case_rand() % 95 : case_rand());
	c->ev.path[n - 1] = '\0';
	c->ev.path_len = case_rand() % 8 ? (uint32_t)n : 0;
	c->ev.path2_off = case_rand() % 3 ? 0 : (uint16_t)(case_rand() % (n + 2));
	c->ev.exe_len = 0;
	if (c->ev.path_len > 2 && case_rand() % 3 == 0)
		c->ev.exe_len = (uint16_t)(1 + case_rand() % (c->ev.path_len - 1));
	c->has_who = case_rand() % 3 != 0;
	c->who.agent_id = case_strings[case_rand() % CASE_STRINGS];
	c->who.serial = case_rand() % 4 ? case_strings[case_rand() % CASE_STRINGS] : NULL;
	c->who.policy_version = case_rand() % 4 ? case_strings[case_rand() % CASE_STRINGS] : NULL;
	if (case_rand() % 5 == 0)
		snprintf(c->clk.host, sizeof(c->clk.host), "%s",
			 case_strings[case_rand() % CASE_STRINGS]);
	if (case_rand() % 7 == 0)
		c->seq = ((uint64_t)case_rand() << 32) | case_rand();
}

/* Fixed cases, case i (false past the last). */
static bool case_fixed(struct audit_case *c, size_t i)
{
	const size_t ns = CASE_STRINGS, nd = CASE_DETAILS, nh = KK_HOOK_MAX + 2;
	const size_t ntypes = GOLDEN_EV_TYPES + 2;
	size_t k;

	case_base(c, i + 1);
	/* Every hook, with every field that one may show. */
	if (i < nh) {
		c->ev.hook = (uint32_t)i;
		c->ev.count = 7 + (uint32_t)i;
		c->ev.port = 9;
		case_paths(&c->ev, "/etc/shadow", i % 2 ? "/tmp/src" : NULL, i % 3 ? "/usr/bin/x" : NULL);
		return case_decode(c) || true;
	}
	i -= nh;
	/* Every type, decision and not, with and without who. */
	if (i < ntypes * 2) {
		c->ev.type = golden_type((uint32_t)(i / 2));
		c->has_who = i % 2;
		c->ev.reason = (uint32_t)(i % KK_REASON_MAX);
		case_paths(&c->ev, "/data/x", NULL, NULL);
		return case_decode(c) || true;
	}
	i -= ntypes * 2;
	/* Every string in every string member. */
	if (i < ns * 6) {
		const char *s = case_strings[i % ns];

		switch (i / ns) {
		case 0:
			case_paths(&c->ev, s, NULL, NULL);
			break;
		case 1:
			case_paths(&c->ev, "/p", s, s);
			break;
		case 2:
			snprintf(c->ev.comm, sizeof(c->ev.comm), "%s", s);
			break;
		case 3:
			c->who.agent_id = s;
			c->who.serial = s;
			c->who.policy_version = s;
			snprintf(c->clk.host, sizeof(c->clk.host), "%s", s);
			break;
		case 4:
			kk_event_agent(&c->ev, KK_EV_AGENT_REVOKED, 2, 1, 77, s, s, s, s);
			c->ev.ktime_ns = 5;
			c->ev.uid = 0; /* not the uid the test runs as */
			break;
		default:
			kk_event_lost(&c->ev, (uint32_t)i, s);
			c->ev.ktime_ns = 5;
			break;
		}
		if (i / ns < 4)
			case_decode(c);
		return true;
	}
	i -= ns * 6;
	/* Signer events. */
	if (i < nd * 2) {
		kk_event_agent(&c->ev, i % 2 ? KK_EV_ACTION_REFUSED : KK_EV_ACTION_SIGNED, 1, 1, 9,
			       "agent-s", "0a0b", "v2", case_details[i / 2]);
		c->ev.ktime_ns = 99;
		c->ev.uid = 0;
		return true;
	}
	i -= nd * 2;
	/* Network, families, protocols, errnos, times, big numbers. */
	k = i;
	switch (k) {
	case 0 ... 5:
		c->ev.hook = KK_HOOK_SOCKET_CONNECT;
		c->ev.family = k % 2 ? AF_INET6 : AF_INET;
		c->ev.protocol = (uint8_t[]){ 6, 17, 1, 58, 0, 132 }[k];
		c->ev.port = 443;
		memcpy(c->ev.addr, k % 2 ? (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }
				 : (uint8_t[16]){ [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 },
		       16);
		return true;
	case 6 ... 12:
		c->ev.hook = KK_HOOK_SOCKET_CREATE;
		c->ev.access = 0;
		c->ev.family = (uint8_t[]){ AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, 99,
					    255 }[k - 6];
		return true;
	case 13 ... 20:
		c->ev.err = (int32_t[]){ 0, 1, 13, 4000, -5, 133, 95, 2 }[k - 13];
		c->ev.access = (uint32_t)(k - 13);
		return true;
	case 21:
		c->seq = UINT64_MAX;
		c->ev.pid = c->ev.tid = c->ev.uid = c->ev.binding = UINT32_MAX;
		return true;
	case 22:
		c->clk.boot_to_real_ns = -1781000000123456789LL; /* before the epoch */
		return true;
	case 23:
		c->clk.host[0] = '\0';
		c->has_who = false;
		return true;
	case 24:
		c->who.serial = NULL;
		c->who.policy_version = NULL;
		return true;
	case 25:
		kk_event_lost(&c->ev, 0, NULL);
		c->ev.ktime_ns = 5;
		return true;
	case 26:
		kk_event_agent(&c->ev, KK_EV_AGENT_BOUND, 1, 1, 9, "", "", "", "");
		c->ev.ktime_ns = 5;
		c->ev.uid = 0;
		return true;
	case 27:
		c->ev.type = KK_EV_AGENT_WARNING; /* an agent type without its strings */
		c->ev.path_len = 0;
		return true;
	case 28:
		c->ev.hook = KK_HOOK_FILE_IOCTL;
		c->ev.count = 0x5401;
		case_paths(&c->ev, "/dev/tty", NULL, NULL);
		return true;
	case 29:
		c->ev.hook = KK_HOOK_IPC_PERMISSION;
		c->ev.port = 5; /* a kind past the table */
		return true;
	default:
		return false;
	}
}

/* Case i of the whole set: fixed ones, then CASES_RANDOM random ones; false past the end. */
static bool audit_case(struct audit_case *c, size_t i)
{
	static size_t nfixed;

	if (!nfixed) {
		struct audit_case t;

		while (case_fixed(&t, nfixed))
			nfixed++;
		case_rng = 0x9e3779b97f4a7c15ull;
	}
	if (i < nfixed)
		return case_fixed(c, i);
	if (i - nfixed >= CASES_RANDOM)
		return false;
	case_random(c, i + 1);
	if (!case_decode(c))
		c->ev.type = 0xdead; /* undecodable: the test skips it (the daemon counts it) */
	return true;
}

#endif
