// SPDX-License-Identifier: GPL-2.0-only
/* policy_common — error list, path patterns and permission names shared by policy*.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "paths.h"
#include "policy_int.h"

void kk_errors_add(struct kk_errors *e, int line, int col, const char *field, const char *fmt,
		   ...)
{
	struct kk_policy_error *err;
	va_list ap;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		struct kk_policy_error *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return; /* out of memory: the caller still fails, with fewer messages */
		e->v = v;
		e->cap = cap;
	}
	err = &e->v[e->n];
	err->line = line;
	err->col = col;
	err->field = strdup(field ? field : "");
	va_start(ap, fmt);
	if (vasprintf(&err->reason, fmt, ap) < 0)
		err->reason = NULL;
	va_end(ap);
	if (!err->field || !err->reason) {
		free(err->field);
		free(err->reason);
		return;
	}
	e->n++;
}

static int cmp_err(const void *a, const void *b)
{
	const struct kk_policy_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return strcmp(x->field, y->field);
}

void kk_errors_sort(struct kk_errors *e)
{
	if (e->n > 1)
		qsort(e->v, e->n, sizeof(*e->v), cmp_err);
}

void kk_errors_free(struct kk_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].field);
		free(e->v[i].reason);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

void kk_errors_format(const char *file, const struct kk_policy_error *x, char *buf, size_t len)
{
	char pos[32] = "";

	if (x->line)
		snprintf(pos, sizeof(pos), ":%d:%d", x->line, x->col);
	snprintf(buf, len, "%s%s: %s%s%s", file, pos, x->field, x->field[0] ? ": " : "",
		 x->reason);
}

void kk_errors_print(FILE *f, const char *file, const struct kk_errors *e)
{
	char line[8192];
	size_t i;

	for (i = 0; i < e->n; i++) {
		kk_errors_format(file, &e->v[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
}

cJSON *kk_errors_json(const char *file, const struct kk_errors *e)
{
	cJSON *arr = cJSON_CreateArray(), *o;
	size_t i;

	for (i = 0; arr && i < e->n; i++) {
		const struct kk_policy_error *x = &e->v[i];

		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			break;
		}
		if (!cJSON_AddStringToObject(o, "file", file) ||
		    !cJSON_AddNumberToObject(o, "line", x->line) ||
		    !cJSON_AddNumberToObject(o, "col", x->col) ||
		    !cJSON_AddStringToObject(o, "field", x->field) ||
		    !cJSON_AddStringToObject(o, "why", x->reason))
			break;
	}
	if (arr && i < e->n) { /* out of memory: no list rather than part of one */
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

int kk_errors_record(const char *file, const struct kk_errors *errs, int code,
		     struct kk_error *e)
{
	const struct kk_policy_error *x = errs->n ? &errs->v[0] : NULL;

	if (!x)
		return kk_error_set(e, code, file, "%s", strerror(-code));
	if (x->line)
		kk_error_set(e, code, file, "%d:%d: %s%s%s", x->line, x->col, x->field,
			     *x->field ? ": " : "", x->reason);
	else
		kk_error_set(e, code, file, "%s%s%s", x->field, *x->field ? ": " : "", x->reason);
	if (errs->n > 1)
		snprintf(e->why + strlen(e->why), sizeof(e->why) - strlen(e->why),
			 " (and %zu more)", errs->n - 1);
	return code;
}

const char *kk_perms_str(uint8_t perms, char *buf, size_t len)
{
	static const char *const names[] = { "read", "write", "exec" };
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; i < 3; i++)
		if (perms & (1u << i))
			used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? "," : "", names[i]);
	if (!used)
		snprintf(buf, len, "deny");
	return buf;
}

/*
 * A pattern is an exact absolute path or a directory followed by a star component. Glob
 * characters anywhere else are refused rather than read literally: a user who wrote a star in a
 * file name ("*.csv") expects a glob we do not have.
 */
int kk_pattern_parse(const char *pattern, struct kk_path_rule *rule, char *why, size_t wlen)
{
	size_t len = strlen(pattern);
	const char *c;
	char *dir;
	int err;

	memset(rule, 0, sizeof(*rule));
	if (pattern[0] != '/') {
		snprintf(why, wlen, "must be an absolute path");
		return -EINVAL;
	}
	for (c = pattern; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			snprintf(why, wlen, "control characters are not allowed in paths");
			return -EINVAL;
		}
	}
	if (strstr(pattern, "**")) {
		snprintf(why, wlen, "'**' is not supported: \"dir/*\" already covers everything "
				    "below dir");
		return -EINVAL;
	}
	if (strpbrk(pattern, "?[")) {
		snprintf(why, wlen, "'%c' is not supported: only a final \"/*\" is a pattern",
			 *strpbrk(pattern, "?["));
		return -EINVAL;
	}
	rule->subtree = len >= 2 && !strcmp(pattern + len - 2, "/*");
	/* a doubled slash before the star component */
	if (rule->subtree && len > 2 && pattern[len - 3] == '/') {
		snprintf(why, wlen, "empty path component ('//')");
		return -EINVAL;
	}
	dir = strndup(pattern, rule->subtree ? (len == 2 ? 1 : len - 2) : len);
	if (!dir)
		return -ENOMEM;
	if (strchr(dir, '*')) {
		snprintf(why, wlen, "'*' only allowed as the last path component");
		free(dir);
		return -EINVAL;
	}
	err = kk_path_check(dir, KK_RULE_PATH_MAX + 1, why, wlen);
	if (err == -ENAMETOOLONG)
		snprintf(why, wlen, "path is %zu bytes; the kernel's key holds at most %d",
			 strlen(dir), KK_RULE_PATH_MAX);
	if (err) {
		free(dir);
		return err;
	}
	rule->pattern = strdup(pattern);
	if (!rule->pattern) {
		free(dir);
		return -ENOMEM;
	}
	rule->dir = dir;
	return 0;
}

struct dup_key {
	const char *key;
	size_t i;
};

static int cmp_dup_key(const void *a, const void *b)
{
	const struct dup_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

long *kk_first_dups(const char *const *keys, size_t n)
{
	struct dup_key *v = calloc(n + 1, sizeof(*v));
	long *first = malloc((n + 1) * sizeof(*first));
	size_t i, m = 0;

	if (!v || !first) {
		free(v);
		free(first);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		first[i] = -1;
		if (keys[i])
			v[m++] = (struct dup_key){ keys[i], i };
	}
	qsort(v, m, sizeof(*v), cmp_dup_key);
	for (i = 1; i < m; i++)
		if (!strcmp(v[i].key, v[i - 1].key))
			first[v[i].i] = first[v[i - 1].i] >= 0 ? first[v[i - 1].i] : (long)v[i - 1].i;
	free(v);
	return first;
}
