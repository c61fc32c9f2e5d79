// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_get — the typed getters of policy validation (see policy_get_int.h): each reads one
 * JSON value, or reports "FILE:LINE:COL: field: reason" and returns false. They depend on
 * nothing else of the policy module but the error list, so the field parsers and the document
 * parser both use them and neither depends on the other's internals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "policy_get_int.h"

/* Report at node's value (or its key with at_key). */
void kk_pg_err_at(struct kk_pg_ctx *c, const cJSON *node, bool at_key, const char *field,
		  const char *fmt, ...)
{
	int line = 0, col = 0;
	char *msg;
	va_list ap;

	if (node)
		(at_key ? kk_jsonc_key_pos : kk_jsonc_pos)(c->j, node, &line, &col);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		c->oom = 1;
		va_end(ap);
		return;
	}
	va_end(ap);
	kk_errors_add(c->errs, line, col, field, "%s", msg);
	free(msg);
}

/* field path of a member: "prefix.key" or "key"; caller frees. */
char *kk_pg_member_path(struct kk_pg_ctx *c, const char *prefix, const char *key)
{
	char *s;

	if (asprintf(&s, "%s%s%s", prefix, *prefix ? "." : "", key) < 0) {
		c->oom = 1;
		return NULL;
	}
	return s;
}

char *kk_pg_index_path(struct kk_pg_ctx *c, const char *prefix, int i)
{
	char *s;

	if (asprintf(&s, "%s[%d]", prefix, i) < 0) {
		c->oom = 1;
		return NULL;
	}
	return s;
}

/*
 * Duplicate keys of obj and, with check_unknown, keys not in known (NULL-terminated; the message
 * lists them). Without check_unknown the keys are data and named prefix["key"].
 */
/*
 * Children of an array or object as a vector, with each one's key (objects) or string value
 * (arrays; NULL for non-strings) and the index of its first duplicate. Caller frees both.
 */
static int children(struct kk_pg_ctx *c, const cJSON *v, bool keys, const cJSON ***nodes,
		    long **first)
{
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
	const char **k = calloc(n + 1, sizeof(*k));
	const cJSON *m;

	*nodes = calloc(n + 1, sizeof(**nodes));
	*first = NULL;
	if (k && *nodes) {
		for (m = v->child; m; m = m->next, i++) {
			(*nodes)[i] = m;
			k[i] = keys ? m->string : cJSON_IsString(m) ? m->valuestring : NULL;
		}
		*first = kk_first_dups(k, n);
	}
	free(k);
	if (!*first) {
		free(*nodes);
		c->oom = 1;
		return -ENOMEM;
	}
	return (int)n;
}

static void unknown_key(struct kk_pg_ctx *c, const cJSON *m, const char *path,
			const char *const *known)
{
	char list[256] = "";
	size_t used = 0, k;

	for (k = 0; known[k]; k++)
		used += snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, "%s%s",
				 k ? ", " : "", known[k]);
	kk_pg_err_at(c, m, true, path, "unknown key (expected: %s)", list);
}

/*
 * Duplicate keys of obj and, with check_unknown, keys not in known (NULL-terminated; the message
 * lists them). Without check_unknown the keys are data and named prefix["key"].
 */
void kk_pg_check_keys(struct kk_pg_ctx *c, const cJSON *obj, const char *prefix,
		      const char *const *known, bool check_unknown)
{
	const cJSON **nodes;
	int i, n, line, col;
	long *first;

	n = children(c, obj, true, &nodes, &first);
	for (i = 0; i < n; i++) {
		const cJSON *m = nodes[i];
		char *path = NULL;
		size_t k;

		/* Keys that are data (data_access paths) are named the way errors quote them. */
		if (check_unknown)
			path = kk_pg_member_path(c, prefix, m->string);
		else if (asprintf(&path, "%s[\"%s\"]", prefix, m->string) < 0)
			path = NULL;
		if (!path) {
			c->oom = 1;
			break;
		}
		if (first[i] >= 0) {
			kk_jsonc_key_pos(c->j, nodes[first[i]], &line, &col);
			kk_pg_err_at(c, m, true, path, "duplicate key (first at %d:%d)", line, col);
		}
		for (k = 0; check_unknown && known[k] && strcmp(known[k], m->string); k++)
			;
		if (check_unknown && !known[k])
			unknown_key(c, m, path, known);
		free(path);
	}
	if (n >= 0) {
		free(nodes);
		free(first);
	}
}

const cJSON *kk_pg_member(const cJSON *obj, const char *key)
{
	const cJSON *m;

	for (m = obj ? obj->child : NULL; m; m = m->next)
		if (!strcmp(m->string, key))
			return m;
	return NULL;
}

bool kk_pg_want_type(struct kk_pg_ctx *c, const cJSON *v, int type, const char *field,
		     const char *what)
{
	if (v->type & type)
		return true;
	kk_pg_err_at(c, v, false, field, "must be %s", what);
	return false;
}

/* An integer in [min, max] (a JSON number without fraction). */
bool kk_pg_uint(struct kk_pg_ctx *c, const cJSON *v, const char *field, double min, double max,
		uint32_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < min ||
	    v->valuedouble > max) {
		kk_pg_err_at(c, v, false, field, "must be an integer from %.0f to %.0f", min, max);
		return false;
	}
	*out = (uint32_t)v->valuedouble;
	return true;
}

bool kk_pg_bool(struct kk_pg_ctx *c, const cJSON *v, const char *field, bool *out)
{
	if (!kk_pg_want_type(c, v, cJSON_True | cJSON_False, field, "true or false"))
		return false;
	*out = cJSON_IsTrue(v);
	return true;
}

char *kk_pg_dup_str(struct kk_pg_ctx *c, const char *s)
{
	char *d = strdup(s);

	if (!d)
		c->oom = 1;
	return d;
}

/* One of choices[] (NULL-terminated); index in *out. */
bool kk_pg_choice(struct kk_pg_ctx *c, const cJSON *v, const char *field,
		  const char *const *choices, int *out)
{
	int i;

	if (cJSON_IsString(v))
		for (i = 0; choices[i]; i++)
			if (!strcmp(v->valuestring, choices[i])) {
				*out = i;
				return true;
			}
	if (choices[2])
		kk_pg_err_at(c, v, false, field, "must be one of \"%s\", \"%s\", \"%s\"",
			     choices[0], choices[1], choices[2]);
	else
		kk_pg_err_at(c, v, false, field, "must be \"%s\" or \"%s\"", choices[0],
			     choices[1]);
	return false;
}

/* An array of non-empty strings, duplicates refused; the distinct ones are copied to *out. */
bool kk_pg_strings(struct kk_pg_ctx *c, const cJSON *v, const char *field, bool nonempty,
		   char ***out, size_t *n)
{
	const cJSON **nodes;
	long *first;
	int i, cnt;

	if (!kk_pg_want_type(c, v, cJSON_Array, field, "an array of strings"))
		return false;
	if (nonempty && !v->child) {
		kk_pg_err_at(c, v, false, field, "must not be empty");
		return false;
	}
	cnt = children(c, v, false, &nodes, &first);
	if (cnt < 0)
		return false;
	*out = calloc((size_t)cnt + 1, sizeof(char *));
	*n = 0;
	for (i = 0; *out && i < cnt; i++) {
		const cJSON *it = nodes[i];
		char *path = kk_pg_index_path(c, field, i);

		if (!path)
			break;
		if (!cJSON_IsString(it) || !it->valuestring[0])
			kk_pg_err_at(c, it, false, path, "must be a non-empty string");
		else if (first[i] >= 0)
			kk_pg_err_at(c, it, false, path, "duplicate of %s[%ld]", field, first[i]);
		else
			(*out)[(*n)++] = kk_pg_dup_str(c, it->valuestring);
		free(path);
	}
	if (!*out)
		c->oom = 1;
	free(nodes);
	free(first);
	return *out != NULL;
}

/*
 * A rate "N word/unit" (execution_constraints.rate_limit), or with bare_ok also "N/unit" (the
 * actions' rate_limit; *unit_word NULL then): N from 1 to 2^32-1, unit second|minute|hour|day.
 */
bool kk_pg_rate(struct kk_pg_ctx *c, const cJSON *v, const char *field, bool bare_ok,
		uint32_t *count, uint32_t *period_s, char **unit_word)
{
	static const struct {
		const char *name;
		uint32_t seconds;
	} units[] = { { "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 } };
	const char *want =
		bare_ok ? "must be \"N/<second|minute|hour|day>\" or \"N <word>/<unit>\", "
			  "e.g. \"100/hour\""
			: "must be \"N <word>/<second|minute|hour|day>\", e.g. \"100 "
			  "trades/hour\"";
	const char *s, *sp, *slash, *end;
	unsigned long long n = 0;
	size_t i, wlen = 0;

	if (!kk_pg_want_type(c, v, cJSON_String, field,
			     bare_ok ? "a string like \"100/hour\""
				     : "a string like \"100 trades/hour\""))
		return false;
	s = v->valuestring;
	sp = strchr(s, ' ');
	slash = sp ? strchr(sp, '/') : bare_ok ? strchr(s, '/') : NULL;
	end = sp ? sp : slash;
	if (sp && slash)
		wlen = (size_t)(slash - sp - 1);
	if (!end || end == s || strspn(s, "0123456789") != (size_t)(end - s) || !slash ||
	    (sp && (!wlen || wlen > KK_POLICY_TEXT_MAX ||
		    strspn(sp + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789_-") != wlen))) {
		kk_pg_err_at(c, v, false, field, "%s", want);
		return false;
	}
	for (i = 0; i < (size_t)(end - s) && n <= UINT32_MAX; i++)
		n = n * 10 + (unsigned)(s[i] - '0');
	if (n < 1 || n > UINT32_MAX) {
		kk_pg_err_at(c, v, false, field, "N must be from 1 to %u", UINT32_MAX);
		return false;
	}
	for (i = 0; i < 4 && strcmp(slash + 1, units[i].name); i++)
		;
	if (i == 4) {
		kk_pg_err_at(c, v, false, field,
			     "unit must be second, minute, hour or day, not \"%s\"", slash + 1);
		return false;
	}
	*unit_word = NULL;
	if (sp && !(*unit_word = strndup(sp + 1, wlen))) {
		c->oom = 1;
		return false;
	}
	*count = (uint32_t)n;
	*period_s = units[i].seconds;
	return true;
}
