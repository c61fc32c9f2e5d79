// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_line — an event's JSON object written straight into the caller's buffer (see output.h):
 * the daemon's per-event path, without a cJSON tree, allocations or a second copy. The bytes
 * are those cJSON_PrintUnformatted made of the tree the daemon used to build (same members, in
 * the same order, same escaping and numbers): tests/unit/test_audit_line.c checks them against
 * lines that formatter made, so `audit verify` and the hash chain see no difference.
 *
 * What an event shows is data: the member under "action" comes from hook_acts[] (one row per
 * hook whose action is not a path or a destination), and an event type's name and decision from
 * events.c's table; a new event type or hook is a row there, not code here.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>

#include "events.h"
#include "output.h"

int kk_obuf_grow(struct kk_obuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

/* A line being written: the first error sticks and makes every later write a no-op. */
struct w {
	struct kk_obuf *b;
	int err;
};

static inline char *room(struct w *w, size_t n)
{
	if (w->err)
		return NULL;
	if (w->b->len + n > w->b->cap) {
		w->err = kk_obuf_grow(w->b, n);
		if (w->err)
			return NULL;
	}
	return w->b->buf + w->b->len;
}

static void put_raw(struct w *w, const char *s, size_t n)
{
	char *p = room(w, n);

	if (p) {
		memcpy(p, s, n);
		w->b->len += n;
	}
}

/* "key": — with the comma unless it opens its object. Keys here are plain literals. */
static inline __attribute__((always_inline)) void put_key_n(struct w *w, const char *key,
							     size_t n)
{
	char *p = room(w, n + 4), *q = p;

	if (!p)
		return;
	if (p[-1] != '{')
		*q++ = ',';
	*q++ = '"';
	memcpy(q, key, n);
	q += n;
	*q++ = '"';
	*q++ = ':';
	w->b->len += q - p;
}

/* The length of a literal key known at compile time: no strlen per member per event. */
#define put_key(w, key) put_key_n((w), (key), __builtin_strlen(key))

static inline __attribute__((always_inline)) void put_u64(struct w *w, const char *key,
							   uint64_t v)
{
	char d[24], *e = d + sizeof(d), *s = e, *p;

	do
		*--s = (char)('0' + v % 10);
	while (v /= 10);
	put_key(w, key);
	p = room(w, e - s);
	if (p) {
		memcpy(p, s, e - s);
		w->b->len += e - s;
	}
}

/* How cJSON prints a string's bytes: 0 as is, else its escape ('u': \u00XX). */
static const char esc[256] = {
	['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['"'] = '"',
	['\\'] = '\\', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
	[0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u',
	[0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u',
	[0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u',
	[0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u',
};

/*
 * s[0..len) up to its first NUL as a JSON string. repair: a byte that does not start a
 * well-formed UTF-8 sequence becomes U+FFFD (what kk_utf8_sanitize did before printing);
 * without it bytes pass as cJSON passes them, and the caller checks the result.
 */
static void put_esc(struct w *w, const char *s, size_t len, bool repair)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t end = strnlen(s, len), i = 0, n;
	char *p = room(w, end * 6 + 2), *o = p; /* \u00XX: 6 bytes for one at most */

	if (!p)
		return;
	*o++ = '"';
	while (i < end) {
		unsigned char c;

		/* Most bytes are printable ASCII: copied in a tight loop. */
		while (i < end && u[i] >= 0x20 && u[i] < 0x80 && !esc[u[i]])
			*o++ = (char)u[i++];
		if (i == end)
			break;
		c = u[i];

		if (c >= 0x80 && repair) {
			n = kk_utf8_seq_len(u + i, end - i);
			if (n) {
				memcpy(o, u + i, n);
				o += n;
				i += n;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			}
			continue;
		}
		i++;
		if (!esc[c]) {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		*o++ = esc[c];
		if (esc[c] == 'u') {
			memcpy(o, "00", 2);
			o[2] = hex[c >> 4];
			o[3] = hex[c & 15];
			o += 4;
		}
	}
	*o++ = '"';
	w->b->len += o - p;
}

/* A string made valid UTF-8 (bytes from the kernel, agents, the host name). */
static inline __attribute__((always_inline)) void put_text(struct w *w, const char *key,
							    const char *s, size_t len)
{
	put_key(w, key);
	put_esc(w, s, len, true);
}

/* A name of ours (hooks, reasons, types): ASCII already. */
static inline __attribute__((always_inline)) void put_str(struct w *w, const char *key,
							   const char *s)
{
	put_key(w, key);
	put_esc(w, s, SIZE_MAX, false); /* to its NUL: put_esc's strnlen is the one scan */
}

static inline __attribute__((always_inline)) void put_opt(struct w *w, const char *key,
							   const char *s)
{
	if (s) {
		put_text(w, key, s, SIZE_MAX);
		return;
	}
	put_key(w, key);
	put_raw(w, "null", 4);
}

/* A destination (connect, send): not a refused socket(), which only has a family. */
static bool is_inet(const struct kk_event *ev)
{
	return (ev->family == AF_INET || ev->family == AF_INET6) &&
	       ev->hook != KK_HOOK_SOCKET_CREATE;
}

static void put_dest(struct w *w, const struct kk_event *ev)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	char a[INET6_ADDRSTRLEN];
	uint8_t p = ev->protocol;

	/* IPv4-mapped addresses are IPv4. */
	if (!memcmp(ev->addr, mapped, 12))
		inet_ntop(AF_INET, ev->addr + 12, a, sizeof(a));
	else
		inet_ntop(AF_INET6, ev->addr, a, sizeof(a));
	put_str(w, "address", a);
	put_u64(w, "port", ev->port);
	put_str(w, "protocol", p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" :
				    p == 58 ? "icmpv6" : "other");
}

static void put_family(struct w *w, uint8_t f)
{
	static const char *const names[] = {
		[AF_UNIX] = "unix",	  [AF_INET] = "inet",	    [AF_INET6] = "inet6",
		[AF_NETLINK] = "netlink", [AF_PACKET] = "packet",
	};
	char d[4] = { (char)('0' + f / 100), (char)('0' + f / 10 % 10), (char)('0' + f % 10) };

	if (f < sizeof(names) / sizeof(names[0]) && names[f]) {
		put_str(w, "family", names[f]);
		return;
	}
	/* Another family: its number, as a string. */
	put_str(w, "family", d + (f < 10 ? 2 : f < 100 ? 1 : 0));
}

/* The path, source, access and family of a file or socket action, or its destination. */
static void put_path_action(struct w *w, const struct kk_event *ev)
{
	static const char *const access[8] = {
		"none", "read", "write", "read,write", "exec", "read,exec", "write,exec",
		"read,write,exec",
	};

	if (is_inet(ev)) {
		put_dest(w, ev);
		return;
	}
	if (ev->hook == KK_HOOK_BPRM_CHECK) {
		if (ev->path_len)
			put_text(w, "exec", ev->path, sizeof(ev->path));
		return;
	}
	if (ev->path_len)
		put_text(w, "path", ev->path, sizeof(ev->path));
	if (ev->path2_off && ev->path2_off < ev->path_len)
		put_text(w, "source", ev->path + ev->path2_off, ev->path_len - ev->path2_off);
	if (ev->access)
		put_str(w, "access", access[ev->access & (KK_ACCESS_READ | KK_ACCESS_WRITE |
							   KK_ACCESS_EXEC)]);
	if (ev->family)
		put_family(w, ev->family);
}

/* What a hook's action shows when it is not a path or a destination (hook_acts[]). */
enum act {
	ACT_PATH,	  /* path, source, access, family; or address, port, protocol; or exec */
	ACT_NONE,	  /* nothing (the hook's name says it all) */
	ACT_COUNT,	  /* key: ev->count */
	ACT_PID_SIGNAL,	  /* target_pid: count, signal: port */
	ACT_LEVEL_OPTNAME, /* level: port, optname: count (the refused socket option) */
	ACT_IOCTL,	  /* key: count, then the path when the ioctl is decided on one */
	ACT_MODULE,	  /* module: the name asked for */
	ACT_IPC,	  /* ipc: the kind (port), ipc_id: count */
	ACT_CLONE,	  /* key: count when not 0, else as ACT_PATH */
};

static const struct hook_act {
	uint8_t act;
	const char *key;
} hook_acts[KK_HOOK_MAX] = {
	[KK_HOOK_TASK_KILL] = { ACT_PID_SIGNAL },
	[KK_HOOK_FILE_FCNTL] = { ACT_PID_SIGNAL },
	[KK_HOOK_SOCKET_SETSOCKOPT] = { ACT_LEVEL_OPTNAME },
	[KK_HOOK_PTRACE] = { ACT_COUNT, "target_pid" },
	[KK_HOOK_PTRACE_TRACEME] = { ACT_COUNT, "target_pid" },
	[KK_HOOK_CAPABLE] = { ACT_COUNT, "capability" },
	[KK_HOOK_BPF] = { ACT_COUNT, "bpf_cmd" },
	[KK_HOOK_FILE_IOCTL] = { ACT_IOCTL, "ioctl_cmd" },
	[KK_HOOK_FILE_IOCTL_COMPAT] = { ACT_IOCTL, "ioctl_cmd" },
	[KK_HOOK_TASK_SETNICE] = { ACT_COUNT, "target_pid" },
	[KK_HOOK_TASK_SETIOPRIO] = { ACT_COUNT, "target_pid" },
	[KK_HOOK_TASK_SETSCHEDULER] = { ACT_COUNT, "target_pid" },
	[KK_HOOK_TASK_SETRLIMIT] = { ACT_COUNT, "target_pid" },
	[KK_HOOK_TASK_MOVEMEMORY] = { ACT_COUNT, "target_pid" },
	[KK_HOOK_SYSLOG] = { ACT_COUNT, "syslog_type" },
	[KK_HOOK_KERNEL_MODULE_REQUEST] = { ACT_MODULE },
	[KK_HOOK_IPC_PERMISSION ... KK_HOOK_KEY_PERMISSION] = { ACT_IPC },
	[KK_HOOK_LOCKED_DOWN] = { ACT_COUNT, "lockdown_reason" },
	[KK_HOOK_TASK_ALLOC] = { ACT_CLONE, "clone_namespace_flags" },
};

static enum act act_of(uint32_t hook, const char **key)
{
	const struct hook_act *a = hook < KK_HOOK_MAX ? &hook_acts[hook] : NULL;

	*key = a ? a->key : NULL;
	if (a && a->act != ACT_PATH)
		return a->act;
	/* The self-protection hooks without a row show no more than their name. */
	return hook >= KK_HOOK_BPF && hook <= KK_HOOK_USERNS_CREATE ? ACT_NONE : ACT_PATH;
}

static void put_action(struct w *w, const struct kk_event *ev)
{
	static const char *const ipc_kinds[] = { NULL, "msg", "shm", "sem", "key" };
	const char *key;

	switch (act_of(ev->hook, &key)) {
	case ACT_NONE:
		return;
	case ACT_COUNT:
		put_u64(w, key, ev->count);
		return;
	case ACT_PID_SIGNAL:
		put_u64(w, "target_pid", ev->count);
		put_u64(w, "signal", ev->port);
		return;
	case ACT_LEVEL_OPTNAME:
		put_u64(w, "level", ev->port);
		put_u64(w, "optname", ev->count);
		return;
	case ACT_IOCTL:
		put_u64(w, key, ev->count);
		if (!ev->path_len)
			return;
		break;
	case ACT_MODULE:
		if (ev->path_len)
			put_text(w, "module", ev->path, sizeof(ev->path));
		return;
	case ACT_IPC:
		if (ev->port && ev->port < sizeof(ipc_kinds) / sizeof(ipc_kinds[0]))
			put_str(w, "ipc", ipc_kinds[ev->port]);
		put_u64(w, "ipc_id", ev->count);
		return;
	case ACT_CLONE:
		if (ev->count) {
			put_u64(w, key, ev->count);
			return;
		}
		break;
	case ACT_PATH:
		break;
	}
	put_path_action(w, ev);
}

/*
 * action.signed / action.refused / action.connected: the signer's and the egress's details
 * travel as compact JSON in the reason string (signer.c, egress.c). What was to be signed or
 * relayed goes into "action" ({type, payload_sha256, fields} or {upstream, listen}), the
 * decision's members (reason, why, risk, ..., bytes_up, bytes_down, end, duration_ms) after it
 * at the top, in their order; details that are not a JSON
 * object are the "reason" text. Rare events: cJSON parses the details and prints each value.
 * The details are printed as cJSON prints them, invalid UTF-8 too (kk_event_line_utf8).
 */
static void put_signer(struct w *w, const char *details)
{
	static const char *const in_action[] = { "type", "payload_sha256", "fields", "upstream",
						 "listen" };
	const size_t n_in = sizeof(in_action) / sizeof(in_action[0]);
	cJSON *d = cJSON_Parse(details), *m;
	int pass;
	size_t i;

	if (!d || !cJSON_IsObject(d)) {
		cJSON_Delete(d);
		put_raw(w, "}", 1); /* the action: empty */
		put_text(w, "reason", details, strlen(details));
		return;
	}
	/* Pass 0: the action's members, then its '}'; pass 1: the others. */
	for (pass = 0; pass < 2; pass++) {
		cJSON_ArrayForEach (m, d) {
			char *v;

			for (i = 0; i < n_in && strcmp(m->string, in_action[i]); i++)
				;
			if ((i < n_in) != (pass == 0))
				continue;
			v = cJSON_PrintUnformatted(m);
			if (!v) {
				w->err = w->err ?: -ENOMEM;
				break;
			}
			if (room(w, 1) && w->b->buf[w->b->len - 1] != '{')
				put_raw(w, ",", 1);
			put_esc(w, m->string, strlen(m->string), false);
			put_raw(w, ":", 1);
			put_raw(w, v, strlen(v));
			cJSON_free(v);
		}
		if (!pass)
			put_raw(w, "}", 1);
	}
	cJSON_Delete(d);
}

/*
 * The identity of an agent.* event made by the loader comes with the event; such an event has
 * no action, and its reason is the text the loader gave (revoke --reason).
 */
static bool agent_event(const struct kk_event *ev, struct kk_who *own, const char **reason)
{
	const char *f[4];

	if (!kk_event_agent_fields(ev, f))
		return false;
	own->agent_id = *f[0] ? f[0] : NULL;
	own->serial = *f[1] ? f[1] : NULL;
	own->policy_version = *f[2] ? f[2] : NULL;
	*reason = f[3];
	return true;
}

static void put_head(struct w *w, const struct kk_event *ev, uint64_t seq,
		     const struct kk_clock *c, const struct kk_who *who)
{
	char *p;

	put_raw(w, "{", 1);
	put_u64(w, "seq", seq);
	put_key(w, "timestamp");
	p = room(w, 40);
	if (p) {
		*p = '"';
		kk_format_rfc3339((int64_t)ev->ktime_ns + c->boot_to_real_ns, p + 1, 38);
		w->b->len += strlen(p) + 1;
		w->b->buf[w->b->len - 1] = '"';
	}
	put_str(w, "event_type", kk_event_type_name(ev->type));
	put_opt(w, "agent_id", who ? who->agent_id : NULL);
	put_opt(w, "agent_cert_serial", who ? who->serial : NULL);
	put_opt(w, "policy_version", who ? who->policy_version : NULL);
	put_u64(w, "binding", ev->binding);
	put_u64(w, "pid", ev->pid);
	put_u64(w, "tid", ev->tid);
	put_u64(w, "uid", ev->uid);
	put_text(w, "comm", ev->comm, sizeof(ev->comm));
	put_str(w, "hook", kk_hook_name(ev->hook));
	put_key(w, "action");
	put_raw(w, "{", 1);
}

int kk_event_line(struct kk_obuf *b, const struct kk_event *ev, uint64_t seq,
		  const struct kk_clock *c, const struct kk_who *who)
{
	const char *decision = kk_event_decision(ev->type), *agent_reason = NULL;
	bool lost = ev->type == KK_EV_EVENTS_LOST, agent_ev, signer;
	struct w w = { b, 0 };
	size_t start = b->len;
	struct kk_who own;

	agent_ev = agent_event(ev, &own, &agent_reason);
	signer = agent_ev && kk_event_has_details(ev->type);
	put_head(&w, ev, seq, c, agent_ev ? &own : who);
	if (signer) {
		put_signer(&w, agent_reason); /* closes the action */
	} else {
		if (!agent_ev && !lost)
			put_action(&w, ev);
		put_raw(&w, "}", 1);
	}
	/* events.lost: how many, and why (the daemon's records carry it in path[]). */
	if (lost) {
		put_u64(&w, "count", ev->count);
		if (ev->path_len)
			put_text(&w, "reason", ev->path, ev->path_len);
	} else if (agent_ev && !signer && *agent_reason) {
		put_text(&w, "reason", agent_reason, strlen(agent_reason));
	} else if (!agent_ev && !decision && ev->reason) {
		put_str(&w, "reason", kk_reason_text(ev->reason));
	}
	if (decision) {
		put_str(&w, "decision", decision);
		put_str(&w, "reason", kk_reason_text(ev->reason));
		if (ev->err)
			put_str(&w, "errno", strerrorname_np(ev->err) ?: "unknown");
		else
			put_opt(&w, "errno", NULL);
	}
	put_opt(&w, "exe", kk_event_exe(ev));
	put_opt(&w, "host", c->host[0] ? c->host : NULL);
	if (w.err)
		b->len = start;
	return w.err;
}

bool kk_event_line_utf8(const struct kk_event *ev, const char *line, size_t len)
{
	/* Every other string was made valid UTF-8 as it was printed. */
	if (!kk_event_has_details(ev->type))
		return true;
	return kk_utf8_valid(line, len);
}

char *kk_event_json(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c,
		    const struct kk_who *who)
{
	struct kk_obuf b = { 0 };

	if (kk_event_line(&b, ev, seq, c, who) || kk_obuf_grow(&b, 2)) {
		free(b.buf);
		return NULL;
	}
	b.buf[b.len] = '}';
	b.buf[b.len + 1] = '\0';
	return b.buf;
}
