// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_event — one kernel event as a JSON line or a text line (see output.h). The "action"
 * member says what was attempted: {path, access[, source]} for files, {exec} for exec,
 * {address, port, protocol} for network, {family} for refused socket types.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "events.h"
#include "output.h"

/* A destination (connect, send): not a refused socket(), which only has a family. */
static bool is_inet(const struct kk_event *ev)
{
	return (ev->family == AF_INET || ev->family == AF_INET6) &&
	       ev->hook != KK_HOOK_SOCKET_CREATE;
}

/* "10.0.0.1" or "2001:db8::1"; IPv4-mapped addresses are IPv4. */
static void addr_str(const struct kk_event *ev, char *buf, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(ev->addr, mapped, 12))
		inet_ntop(AF_INET, ev->addr + 12, buf, len);
	else
		inet_ntop(AF_INET6, ev->addr, buf, len);
}

static const char *proto_str(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmpv6" : "other";
}

static const char *family_str(uint8_t f, char *buf, size_t len)
{
	switch (f) {
	case AF_UNIX:
		return "unix";
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	default:
		snprintf(buf, len, "%u", f);
		return buf;
	}
}

/*
 * Every key here is a string literal and many values are static names (hooks, reasons, event
 * types): added without copying them (cJSON's CS and reference items), two allocations and
 * copies fewer per member on the daemon's per-event path.
 */
static bool add_item(cJSON *obj, const char *key, cJSON *v)
{
	if (v && cJSON_AddItemToObjectCS(obj, key, v))
		return true;
	cJSON_Delete(v);
	return false;
}

static bool add_str(cJSON *obj, const char *key, const char *s)
{
	return add_item(obj, key, cJSON_CreateString(s));
}

static bool add_static(cJSON *obj, const char *key, const char *s)
{
	return add_item(obj, key, cJSON_CreateStringReference(s));
}

/* Add a string member made valid UTF-8; false on allocation failure. */
static bool add_text(cJSON *obj, const char *key, const char *s, size_t len)
{
	char *clean;
	bool ok;

	/* Most names are valid already: no copy for them (the daemon makes one per event). */
	if (kk_utf8_valid(s, strnlen(s, len)))
		return add_str(obj, key, s);
	clean = kk_utf8_sanitize(s, len);
	ok = clean && add_str(obj, key, clean);
	free(clean);
	return ok;
}

/*
 * An unsigned integer member, printed exactly (a uint64 sequence number past 2^53 too) and
 * without cJSON's double formatting and round-trip check, the most of its cost per event.
 */
static bool add_uint(cJSON *obj, const char *key, uint64_t v)
{
	char b[24], *p = b + sizeof(b) - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return add_item(obj, key, cJSON_CreateRaw(p));
}

/* System V IPC and keys: the kind (ev->port, 0 when the hook cannot tell) and the id. */
static bool ipc_fill(cJSON *a, const struct kk_event *ev)
{
	static const char *const kinds[] = { NULL, "msg", "shm", "sem", "key" };

	if (ev->port && ev->port < sizeof(kinds) / sizeof(kinds[0]) &&
	    !add_str(a, "ipc", kinds[ev->port]))
		return false;
	return add_uint(a, "ipc_id", ev->count);
}

/* Self-protection hooks name their target in ev->count (and the signal in ev->port). */
static bool protect_fill(cJSON *a, const struct kk_event *ev, bool *done)
{
	const char *key = NULL;

	*done = true;
	switch (ev->hook) {
	case KK_HOOK_TASK_KILL:
	case KK_HOOK_FILE_FCNTL:
		return add_uint(a, "target_pid", ev->count) && add_uint(a, "signal", ev->port);
	case KK_HOOK_SOCKET_SETSOCKOPT: /* the option refused: level in port, name in count */
		return add_uint(a, "level", ev->port) && add_uint(a, "optname", ev->count);
	case KK_HOOK_PTRACE:
	case KK_HOOK_PTRACE_TRACEME:
		key = "target_pid";
		break;
	case KK_HOOK_CAPABLE:
		key = "capability";
		break;
	case KK_HOOK_BPF:
		key = "bpf_cmd";
		break;
	case KK_HOOK_FILE_IOCTL:
	case KK_HOOK_FILE_IOCTL_COMPAT:
		/* An attribute ioctl is decided on the file's path: shown after the command. */
		*done = !ev->path_len;
		return add_uint(a, "ioctl_cmd", ev->count);
	case KK_HOOK_TASK_SETNICE:
	case KK_HOOK_TASK_SETIOPRIO:
	case KK_HOOK_TASK_SETSCHEDULER:
	case KK_HOOK_TASK_SETRLIMIT:
	case KK_HOOK_TASK_MOVEMEMORY:
		key = "target_pid";
		break;
	case KK_HOOK_SYSLOG:
		key = "syslog_type";
		break;
	case KK_HOOK_KERNEL_MODULE_REQUEST:
		return !ev->path_len || add_text(a, "module", ev->path, sizeof(ev->path));
	case KK_HOOK_IPC_PERMISSION ... KK_HOOK_KEY_PERMISSION:
		return ipc_fill(a, ev);
	case KK_HOOK_LOCKED_DOWN:
		key = "lockdown_reason";
		break;
	case KK_HOOK_TASK_ALLOC:
		key = ev->count ? "clone_namespace_flags" : NULL;
		break;
	default:
		break;
	}
	if (!key) {
		*done = ev->hook >= KK_HOOK_BPF && ev->hook <= KK_HOOK_USERNS_CREATE;
		return true;
	}
	return add_uint(a, key, ev->count);
}

static bool action_fill(cJSON *a, const struct kk_event *ev)
{
	char buf[64];
	bool done;

	if (!protect_fill(a, ev, &done))
		return false;
	if (done)
		return true;

	if (is_inet(ev)) {
		addr_str(ev, buf, sizeof(buf));
		return add_str(a, "address", buf) && add_uint(a, "port", ev->port) &&
		       add_str(a, "protocol", proto_str(ev->protocol));
	}
	if (ev->hook == KK_HOOK_BPRM_CHECK)
		return !ev->path_len || add_text(a, "exec", ev->path, sizeof(ev->path));
	if (ev->path_len && !add_text(a, "path", ev->path, sizeof(ev->path)))
		return false;
	if (ev->path2_off && ev->path2_off < ev->path_len &&
	    !add_text(a, "source", ev->path + ev->path2_off, ev->path_len - ev->path2_off))
		return false;
	if (ev->access && !add_str(a, "access", kk_access_str(ev->access, buf, sizeof(buf))))
		return false;
	if (ev->family && !add_str(a, "family", family_str(ev->family, buf, sizeof(buf))))
		return false;
	return true;
}

static bool add_opt(cJSON *o, const char *key, const char *val)
{
	return val ? add_text(o, key, val, strlen(val)) : cJSON_AddNullToObject(o, key) != NULL;
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

static bool signer_event(const struct kk_event *ev)
{
	return ev->type == KK_EV_ACTION_SIGNED || ev->type == KK_EV_ACTION_REFUSED ||
	       ev->type == KK_EV_ACTION_CONNECTED;
}

/*
 * action.signed / action.refused / action.connected: the signer's and the egress's details
 * travel as compact JSON in the reason string (signer.c, egress.c). What was to be signed or
 * relayed goes under "action" ({type, payload_sha256, fields} or {upstream, listen}); the
 * decision's members (reason, why, risk, ..., bytes_up, bytes_down, end, duration_ms) at the
 * top, as a decision event's reason is.
 */
static bool signer_fill(cJSON *o, cJSON *action, const char *details)
{
	static const char *const in_action[] = { "type", "payload_sha256", "fields", "upstream",
						 "listen" };
	const size_t n_in = sizeof(in_action) / sizeof(in_action[0]);
	cJSON *d = cJSON_Parse(details), *m, *next;
	size_t i;
	bool ok = true;

	if (!d || !cJSON_IsObject(d)) {
		cJSON_Delete(d);
		return add_text(o, "reason", details, strlen(details)); /* not ours: as text */
	}
	for (m = d->child; m && ok; m = next) {
		next = m->next;
		for (i = 0; i < n_in && strcmp(m->string, in_action[i]); i++)
			;
		m = cJSON_DetachItemViaPointer(d, m);
		ok = cJSON_AddItemToObject(i < n_in ? action : o, m->string, m);
		if (!ok)
			cJSON_Delete(m);
	}
	cJSON_Delete(d);
	return ok;
}

cJSON *kk_event_obj(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c,
		    const struct kk_who *who)
{
	const char *decision = kk_event_decision(ev->type), *agent_reason = NULL;
	bool agent_ev, lost = ev->type == KK_EV_EVENTS_LOST;
	cJSON *o = cJSON_CreateObject(), *action;
	struct kk_who own;
	char ts[40];
	bool ok;

	if (!o)
		return NULL;
	agent_ev = agent_event(ev, &own, &agent_reason);
	if (agent_ev)
		who = &own;
	kk_format_rfc3339((int64_t)ev->ktime_ns + c->boot_to_real_ns, ts, sizeof(ts));
	ok = add_uint(o, "seq", seq) && add_str(o, "timestamp", ts) &&
	     add_static(o, "event_type", kk_event_type_name(ev->type)) &&
	     add_opt(o, "agent_id", who ? who->agent_id : NULL) &&
	     add_opt(o, "agent_cert_serial", who ? who->serial : NULL) &&
	     add_opt(o, "policy_version", who ? who->policy_version : NULL) &&
	     add_uint(o, "binding", ev->binding) && add_uint(o, "pid", ev->pid) &&
	     add_uint(o, "tid", ev->tid) && add_uint(o, "uid", ev->uid) &&
	     add_text(o, "comm", ev->comm, sizeof(ev->comm)) &&
	     add_static(o, "hook", kk_hook_name(ev->hook)) &&
	     (action = cJSON_AddObjectToObject(o, "action")) &&
	     (agent_ev || lost || action_fill(action, ev));
	/* events.lost: how many, and why (the daemon's records carry it in path[]). */
	if (ok && lost)
		ok = add_uint(o, "count", ev->count) &&
		     (!ev->path_len || add_text(o, "reason", ev->path, ev->path_len));
	else if (ok && agent_ev && signer_event(ev))
		ok = signer_fill(o, action, agent_reason);
	else if (ok && agent_ev && *agent_reason)
		ok = add_text(o, "reason", agent_reason, strlen(agent_reason));
	else if (ok && !agent_ev && !decision && ev->reason)
		ok = add_static(o, "reason", kk_reason_text(ev->reason));
	if (ok && decision)
		ok = add_static(o, "decision", decision) &&
		     add_static(o, "reason", kk_reason_text(ev->reason)) &&
		     add_opt(o, "errno", ev->err ? strerrorname_np(ev->err) ?: "unknown" : NULL);
	if (ok)
		ok = add_opt(o, "exe", kk_event_exe(ev)) &&
		     add_opt(o, "host", c->host[0] ? c->host : NULL);
	if (!ok) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

char *kk_event_json(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c,
		    const struct kk_who *who)
{
	cJSON *o = kk_event_obj(ev, seq, c, who);
	char *out = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return out;
}

/*
 * For the text form: valid UTF-8 with control characters as \xNN, so a file or task name with a
 * newline cannot forge a second event line. Caller frees.
 */
static char *text_clean(const char *s, size_t len)
{
	char *u = kk_utf8_sanitize(s, len), *out;
	size_t i, o = 0;

	if (!u)
		return NULL;
	out = malloc(strlen(u) * 4 + 1);
	for (i = 0; out && u[i]; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += sprintf(out + o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (out)
		out[o] = '\0';
	free(u);
	return out;
}

/* What was attempted, as " key=value" pairs. */
static char *action_text(const struct kk_event *ev, const char *path, const char *source)
{
	char a[64], acc[32], *out = NULL;
	bool v6;

	if (is_inet(ev)) {
		addr_str(ev, a, sizeof(a));
		v6 = strchr(a, ':') != NULL;
		if (asprintf(&out, " dest=%s%s%s:%u/%s", v6 ? "[" : "", a, v6 ? "]" : "", ev->port,
			     proto_str(ev->protocol)) < 0)
			out = NULL;
		return out;
	}
	if (ev->hook == KK_HOOK_BPRM_CHECK)
		return asprintf(&out, "%s%s", *path ? " exec=" : "", path) < 0 ? NULL : out;
	if (asprintf(&out, "%s%s%s%s%s%s%s%s", *path ? " path=" : "", path, *source ? " from=" : "",
		     source, ev->access ? " access=" : "",
		     ev->access ? kk_access_str(ev->access, acc, sizeof(acc)) : "",
		     ev->family ? " family=" : "",
		     ev->family ? family_str(ev->family, a, sizeof(a)) : "") < 0)
		out = NULL;
	return out;
}

/*
 * A signer event's details as "type=trade reason=out_of_scope risk=0.12 ..." (its members in
 * order, strings unquoted; fields left to the JSON form). Caller frees; NULL: not JSON.
 */
static char *signer_text(const char *details)
{
	cJSON *d = cJSON_Parse(details), *m;
	char *out = NULL, *v, *next;

	if (!d || !cJSON_IsObject(d)) {
		cJSON_Delete(d);
		return NULL;
	}
	out = strdup("");
	cJSON_ArrayForEach(m, d) {
		if (!out || !strcmp(m->string, "fields"))
			continue;
		v = cJSON_IsString(m) ? strdup(m->valuestring) : cJSON_PrintUnformatted(m);
		if (!v || asprintf(&next, "%s%s%s=%s", out, *out ? " " : "", m->string, v) < 0)
			next = NULL;
		free(v);
		free(out);
		out = next;
	}
	cJSON_Delete(d);
	return out;
}

/* "agent.revoked agent=x serial=y policy=v reason=text" for a loader-made agent event. */
static char *agent_text(const struct kk_event *ev, const char *ts, uint64_t seq,
			const struct kk_who *who, const char *reason)
{
	char *st = signer_event(ev) ? signer_text(reason) : NULL;
	char *r = text_clean(st ? st : reason, strlen(st ? st : reason)), *out = NULL;

	if (st) {
		free(st);
		if (r && asprintf(&out, "%s #%llu %s pid=%u agent=%s serial=%s policy=%s %s", ts,
				  (unsigned long long)seq, kk_event_type_name(ev->type), ev->pid,
				  who->agent_id ?: "-", who->serial ?: "-",
				  who->policy_version ?: "-", r) < 0)
			out = NULL;
		free(r);
		return out;
	}

	if (r && asprintf(&out, "%s #%llu %s pid=%u agent=%s serial=%s policy=%s%s%s", ts,
			  (unsigned long long)seq, kk_event_type_name(ev->type), ev->pid,
			  who->agent_id ?: "-", who->serial ?: "-", who->policy_version ?: "-",
			  *r ? " reason=" : "", r) < 0)
		out = NULL;
	free(r);
	return out;
}

static char *kk_event_text_action(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c,
				  const struct kk_who *who)
{
	bool two = ev->path2_off && ev->path2_off < ev->path_len;
	char *comm = text_clean(ev->comm, sizeof(ev->comm));
	char *path = text_clean(ev->path, ev->path_len ? sizeof(ev->path) : 0);
	char *src = text_clean(two ? ev->path + ev->path2_off : "",
			       two ? ev->path_len - ev->path2_off : 0);
	const char *decision = kk_event_decision(ev->type);
	const char *err = ev->err ? strerrorname_np(ev->err) ?: "unknown" : "";
	char ts[40], *what = NULL;
	char *out = NULL;

	if (!comm || !path || !src)
		goto out;
	kk_format_rfc3339((int64_t)ev->ktime_ns + c->boot_to_real_ns, ts, sizeof(ts));
	what = action_text(ev, path, src);
	if (!what)
		goto out;
	if (asprintf(&out, "%s #%llu %s %s pid=%u comm=%s agent=%s%s%s%s%s%s%s%s", ts,
		     (unsigned long long)seq, kk_event_type_name(ev->type), kk_hook_name(ev->hook),
		     ev->pid, comm, who && who->agent_id ? who->agent_id : "-", what,
		     decision ? " -> " : "", decision ?: "", ev->err ? " " : "", err,
		     decision && ev->reason ? " (" : "",
		     decision && ev->reason ? kk_reason_text(ev->reason) : "") < 0)
		out = NULL;
	if (out && decision && ev->reason) {
		char *closed;

		if (asprintf(&closed, "%s)", out) >= 0) {
			free(out);
			out = closed;
		}
	}
out:
	free(what);
	free(comm);
	free(path);
	free(src);
	return out;
}

/* "events.lost count=N reason=text" */
static char *lost_text(const struct kk_event *ev, const char *ts, uint64_t seq)
{
	char *r = text_clean(ev->path, ev->path_len ? sizeof(ev->path) : 0), *out = NULL;

	if (r && asprintf(&out, "%s #%llu events.lost count=%u%s%s", ts, (unsigned long long)seq,
			  ev->count, *r ? " reason=" : "", r) < 0)
		out = NULL;
	free(r);
	return out;
}

char *kk_event_text(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c,
		    const struct kk_who *who)
{
	const char *agent_reason;
	struct kk_who own;
	char stamp[40];
	bool agent = agent_event(ev, &own, &agent_reason);

	kk_format_rfc3339((int64_t)ev->ktime_ns + c->boot_to_real_ns, stamp, sizeof(stamp));
	if (agent)
		return agent_text(ev, stamp, seq, &own, agent_reason);
	if (ev->type == KK_EV_EVENTS_LOST)
		return lost_text(ev, stamp, seq);
	return kk_event_text_action(ev, seq, c, who);
}
