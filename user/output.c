// SPDX-License-Identifier: GPL-2.0-only
/* output — JSON and text forms of events (see output.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "events.h"
#include "output.h"

#define NSEC_PER_SEC 1000000000LL

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void kk_clock_sync(struct kk_clock *c)
{
	c->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
}

int kk_format_rfc3339(int64_t real_ns, char *buf, size_t len)
{
	/* Floor division: C truncates toward zero, which is wrong before the epoch. */
	int64_t us = real_ns / 1000 - (real_ns % 1000 < 0);
	time_t sec = us / 1000000 - (us % 1000000 < 0);
	long usec = (long)(us - (int64_t)sec * 1000000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&sec, &tm))
		return -EINVAL;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || (size_t)snprintf(buf + n, len - n, ".%06ldZ", usec) >= len - n)
		return -EINVAL;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s (at most avail bytes), 0 if ill-formed. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *kk_utf8_sanitize(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t end = strnlen(s, len), i = 0, o = 0;
	char *out = malloc(end * 3 + 1); /* worst case: every byte becomes U+FFFD */

	if (!out)
		return NULL;
	while (i < end) {
		size_t n = utf8_seq_len(u + i, end - i);

		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Add a string member made valid UTF-8; false on allocation failure. */
static bool add_text(cJSON *obj, const char *key, const char *s, size_t len)
{
	char *clean = kk_utf8_sanitize(s, len);
	bool ok = clean && cJSON_AddStringToObject(obj, key, clean);

	free(clean);
	return ok;
}

static cJSON *action_json(const struct kk_event *ev)
{
	cJSON *a = cJSON_CreateObject();
	char acc[32];

	if (!a)
		return NULL;
	if (ev->path_len && !add_text(a, "path", ev->path, sizeof(ev->path)))
		goto fail;
	if (ev->access &&
	    !cJSON_AddStringToObject(a, "access", kk_access_str(ev->access, acc, sizeof(acc))))
		goto fail;
	return a;
fail:
	cJSON_Delete(a);
	return NULL;
}

char *kk_event_json(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c)
{
	const char *decision = kk_event_decision(ev->type);
	cJSON *o = cJSON_CreateObject(), *action;
	char ts[40];
	char *out = NULL;
	bool ok;

	if (!o)
		return NULL;
	kk_format_rfc3339((int64_t)ev->ktime_ns + c->boot_to_real_ns, ts, sizeof(ts));
	ok = cJSON_AddNumberToObject(o, "seq", (double)seq) &&
	     cJSON_AddStringToObject(o, "timestamp", ts) &&
	     cJSON_AddStringToObject(o, "event_type", kk_event_type_name(ev->type)) &&
	     /* Identity fields arrive with certificate bindings; a bare binding has none. */
	     cJSON_AddNullToObject(o, "agent_id") &&
	     cJSON_AddNullToObject(o, "agent_cert_serial") &&
	     cJSON_AddNullToObject(o, "policy_version") &&
	     cJSON_AddNumberToObject(o, "binding_id", ev->binding_id) &&
	     cJSON_AddNumberToObject(o, "pid", ev->pid) &&
	     cJSON_AddNumberToObject(o, "tid", ev->tid) &&
	     cJSON_AddNumberToObject(o, "uid", ev->uid) &&
	     add_text(o, "comm", ev->comm, sizeof(ev->comm)) &&
	     cJSON_AddStringToObject(o, "hook", kk_hook_name(ev->hook));
	if (!ok)
		goto out;
	action = action_json(ev);
	if (!action)
		goto out;
	cJSON_AddItemToObject(o, "action", action);
	if (decision) {
		ok = cJSON_AddStringToObject(o, "decision", decision) &&
		     cJSON_AddStringToObject(o, "reason", kk_reason_text(ev->reason)) &&
		     (ev->err ? cJSON_AddStringToObject(
					o, "errno", strerrorname_np(ev->err) ?: "unknown") != NULL
			      : cJSON_AddNullToObject(o, "errno") != NULL);
		if (!ok)
			goto out;
	}
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}

char *kk_event_text(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c)
{
	char *comm = kk_utf8_sanitize(ev->comm, sizeof(ev->comm));
	char *path = kk_utf8_sanitize(ev->path, ev->path_len ? sizeof(ev->path) : 0);
	const char *decision = kk_event_decision(ev->type);
	char ts[40], acc[32];
	char *out = NULL;

	if (!comm || !path)
		goto out;
	kk_format_rfc3339((int64_t)ev->ktime_ns + c->boot_to_real_ns, ts, sizeof(ts));
	if (asprintf(&out, "%s #%llu %s %s pid=%u comm=%s binding=%u%s%s%s%s%s%s%s%s", ts,
		     (unsigned long long)seq, kk_event_type_name(ev->type), kk_hook_name(ev->hook),
		     ev->pid, comm, ev->binding_id, ev->path_len ? " path=" : "", path,
		     ev->access ? " access=" : "",
		     ev->access ? kk_access_str(ev->access, acc, sizeof(acc)) : "",
		     decision ? " -> " : "", decision ?: "", ev->err ? " " : "",
		     ev->err ? strerrorname_np(ev->err) ?: "" : "") < 0)
		out = NULL;
	if (out && decision && ev->reason) {
		char *longer;

		if (asprintf(&longer, "%s (%s)", out, kk_reason_text(ev->reason)) >= 0) {
			free(out);
			out = longer;
		}
	}
out:
	free(comm);
	free(path);
	return out;
}
