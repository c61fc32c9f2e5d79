// SPDX-License-Identifier: GPL-2.0-only
/*
 * actions — a request's payload against the "actions" section (see actions.h): the closed-world
 * field check, the rate limit's token bucket and the risk limits. Parsing is the policy module's
 * (policy_actions.c), so a certificate's scope and a policy's are read by the same code.
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "actions_int.h"

static const char *const refusal_names[KK_REF_MAX] = {
	[KK_REF_NONE] = "none",
	[KK_REF_UNBOUND] = "unbound",
	[KK_REF_OTHER_CERT] = "other_certificate",
	[KK_REF_BINDING_ENDED] = "binding_ended",
	[KK_REF_REVOKED] = "revoked",
	[KK_REF_BLOCKED] = "blocked",
	[KK_REF_EXPIRED] = "expired",
	[KK_REF_OUTSIDE_HOURS] = "outside_hours",
	[KK_REF_REVOCATION_UNKNOWN] = "revocation_unknown",
	[KK_REF_UNKNOWN_ACTION] = "unknown_action",
	[KK_REF_SCOPE] = "out_of_scope",
	[KK_REF_CERT_SCOPE] = "out_of_certificate_scope",
	[KK_REF_RATE] = "rate_limited",
	[KK_REF_RISK] = "behavioral_anomaly",
	[KK_REF_BAD_REQUEST] = "bad_request",
	[KK_REF_NO_KEY] = "no_key",
	[KK_REF_INTERNAL] = "internal",
	[KK_REF_OTHER_AGENT] = "other_agent",
	[KK_REF_BUSY] = "too_many_connections",
	[KK_REF_UPSTREAM] = "upstream_failed",
};

const char *kk_refusal_name(enum kk_refusal r)
{
	return (unsigned int)r < KK_REF_MAX ? refusal_names[r] : "internal";
}

struct kk_action_type *kk_actions_find(const struct kk_actions *a, const char *name)
{
	size_t lo = 0, hi = a ? a->n : 0;

	while (name && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, a->types[mid].name);

		if (!c)
			return &a->types[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * s for a reason line: at most 40 bytes, anything but printable ASCII as '?', so a payload
 * cannot put control characters or megabytes into the reply and the audit event.
 */
static const char *clip(const char *s, char buf[48])
{
	size_t i;

	for (i = 0; s[i] && i < 40; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* A number as a person writes it: 50000, 0.25, 1e+300. */
static const char *num(double v, char buf[32])
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, 32, "%.0f", v);
	else
		snprintf(buf, 32, "%.15g", v);
	return buf;
}

/* r, with why[] set from fmt: `return refuse(KK_REF_SCOPE, why, wlen, "...", ...)`. */
__attribute__((format(printf, 4, 5))) static enum kk_refusal
refuse(enum kk_refusal r, char *why, size_t wlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, wlen, fmt, ap);
	va_end(ap);
	return r;
}

static bool in_list(const struct kk_action_field *f, const cJSON *v)
{
	size_t i;

	for (i = 0; i < f->n_in; i++)
		if (f->in[i].str ? cJSON_IsString(v) && !strcmp(f->in[i].str, v->valuestring)
				 : cJSON_IsNumber(v) && f->in[i].num == v->valuedouble)
			return true;
	return false;
}

/* One listed field's value; KK_REF_SCOPE with why when it is out of its bounds. */
static enum kk_refusal check_field(const struct kk_action_field *f, const cJSON *v, char *why,
				   size_t wlen)
{
	bool numeric =
		f->type == KK_AF_NUMBER || f->type == KK_AF_INTEGER || f->has_max || f->has_min;
	char b1[48], b2[32], b3[32];

	if (f->type == KK_AF_STRING && !cJSON_IsString(v))
		return refuse(KK_REF_SCOPE, why, wlen, "%s is not a string", f->name);
	if (numeric && !cJSON_IsNumber(v))
		return refuse(KK_REF_SCOPE, why, wlen, "%s is not a number", f->name);
	if (f->type == KK_AF_INTEGER && v->valuedouble != floor(v->valuedouble))
		return refuse(KK_REF_SCOPE, why, wlen, "%s %s is not an integer", f->name,
			      num(v->valuedouble, b2));
	if (f->in && !in_list(f, v)) {
		if (cJSON_IsString(v))
			snprintf(why, wlen, "%s \"%s\" not in its allowed values", f->name,
				 clip(v->valuestring, b1));
		else if (cJSON_IsNumber(v))
			snprintf(why, wlen, "%s %s not in its allowed values", f->name,
				 num(v->valuedouble, b2));
		else
			snprintf(why, wlen, "%s is neither a string nor a number", f->name);
		return KK_REF_SCOPE;
	}
	if (f->has_max && v->valuedouble > f->max)
		return refuse(KK_REF_SCOPE, why, wlen, "%s %s above max %s", f->name,
			      num(v->valuedouble, b2), num(f->max, b3));
	if (f->has_min && v->valuedouble < f->min)
		return refuse(KK_REF_SCOPE, why, wlen, "%s %s below min %s", f->name,
			      num(v->valuedouble, b2), num(f->min, b3));
	return KK_REF_NONE;
}

/* Another member of m's name after m? (cJSON's own parser keeps duplicate members.) */
static bool appears_again(const cJSON *m)
{
	const cJSON *n;

	for (n = m->next; n; n = n->next)
		if (!strcmp(n->string, m->string))
			return true;
	return false;
}

static int cmp_field_name(const void *key, const void *f)
{
	return strcmp(key, ((const struct kk_action_field *)f)->name);
}

/* Binary search: a payload of many members costs members * log(fields) comparisons. */
static const struct kk_action_field *find_field(const struct kk_action_type *t, const char *name)
{
	return t->n_fields
		       ? bsearch(name, t->fields, t->n_fields, sizeof(*t->fields), cmp_field_name)
		       : NULL;
}

enum kk_refusal kk_actions_check(const struct kk_actions *a, const char *type,
				 const struct cJSON *payload, char *why, size_t wlen)
{
	const struct kk_action_type *t;
	const cJSON *m;
	enum kk_refusal r;
	char b[48];
	size_t i;

	if (wlen)
		why[0] = '\0';
	if (!cJSON_IsObject(payload))
		return refuse(KK_REF_BAD_REQUEST, why, wlen, "the payload is not a JSON object");
	t = kk_actions_find(a, type);
	if (!t) {
		snprintf(why, wlen,
			 a ? "no action type \"%s\" in the scope"
			   : "the scope has no actions section (type \"%s\")",
			 type ? clip(type, b) : "");
		return KK_REF_UNKNOWN_ACTION;
	}
	for (i = 0; i < t->n_fields; i++) {
		m = cJSON_GetObjectItemCaseSensitive(payload, t->fields[i].name);
		if (!m)
			return refuse(KK_REF_SCOPE, why, wlen, "%s missing", t->fields[i].name);
		/* A second member of the name would be checked by no one: cJSON finds the first. */
		if (appears_again(m))
			return refuse(KK_REF_BAD_REQUEST, why, wlen, "%s appears twice",
				      t->fields[i].name);
		r = check_field(&t->fields[i], m, why, wlen);
		if (r != KK_REF_NONE)
			return r;
	}
	/* Closed world: what the section does not list is not signed, unless it says so. */
	for (m = payload->child; m && !t->other_allow; m = m->next)
		if (!find_field(t, m->string))
			return refuse(KK_REF_SCOPE, why, wlen, "field \"%s\" not allowed",
				      clip(m->string, b));
	return KK_REF_NONE;
}

enum kk_refusal kk_actions_take(struct kk_actions *a, const char *type, int64_t now_ms)
{
	struct kk_action_type *t = kk_actions_find(a, type);
	uint64_t period_ms, cap, elapsed;

	if (!t)
		return KK_REF_UNKNOWN_ACTION;
	if (!t->rate_count)
		return KK_REF_NONE;
	period_ms = (uint64_t)t->rate_period_s * 1000;
	cap = (uint64_t)t->rate_count * period_ms; /* <= 2^32 * 86400000 < 2^64 */
	if (!t->bucket_started) {
		t->bucket_started = true;
		t->credit = cap;
		t->last_ms = now_ms;
	} else if (now_ms > t->last_ms) {
		/* A full period refills it all: cap elapsed so the product cannot overflow. */
		elapsed = (uint64_t)(now_ms - t->last_ms);
		if (elapsed >= period_ms)
			t->credit = cap;
		else
			t->credit = t->credit + elapsed * t->rate_count > cap
					    ? cap
					    : t->credit + elapsed * t->rate_count;
		t->last_ms = now_ms;
	}
	/* (A clock that went back, which a monotonic one does not, refills nothing.) */
	if (t->credit < period_ms)
		return KK_REF_RATE;
	t->credit -= period_ms;
	return KK_REF_NONE;
}

/* The type's own risk limits, or the policy's default ones when it has none. */
static bool own_risk(const struct kk_actions *a, const struct kk_action_type *t)
{
	return t->has_risk || !a->has_risk;
}

double kk_actions_revoke_above(const struct kk_actions *a, const char *type)
{
	const struct kk_action_type *t = kk_actions_find(a, type);

	return !t ? 0 : own_risk(a, t) ? t->revoke_above : a->revoke_above;
}

double kk_actions_refuse_above(const struct kk_actions *a, const char *type)
{
	const struct kk_action_type *t = kk_actions_find(a, type);

	return !t ? 0 : own_risk(a, t) ? t->refuse_above : a->refuse_above;
}

unsigned int kk_actions_risk_window(const struct kk_actions *a, const char *type)
{
	const struct kk_action_type *t = kk_actions_find(a, type);

	return !t ? 0 : own_risk(a, t) ? t->window : a->window;
}

size_t kk_actions_count(const struct kk_actions *a)
{
	return a ? a->n : 0;
}

const char *kk_actions_type_name(const struct kk_actions *a, size_t i)
{
	return a && i < a->n ? a->types[i].name : NULL;
}

void kk_actions_free(struct kk_actions *a)
{
	size_t i, k, v;

	if (!a)
		return;
	for (i = 0; i < a->n; i++) {
		struct kk_action_type *t = &a->types[i];

		for (k = 0; k < t->n_fields; k++) {
			for (v = 0; v < t->fields[k].n_in; v++)
				free(t->fields[k].in[v].str);
			free(t->fields[k].in);
			free(t->fields[k].name);
		}
		free(t->fields);
		free(t->name);
		free(t->rate_unit);
	}
	free(a->types);
	free(a);
}
