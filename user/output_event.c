// SPDX-License-Identifier: GPL-2.0-only
/*
 * output_event — one kernel event as a text line (see output.h; the JSON line is
 * output_line.c's). What was attempted: path=, from=, access= for files, exec= for exec,
 * dest= for network, family= for refused socket types.
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
	return kk_event_has_details(ev->type);
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
