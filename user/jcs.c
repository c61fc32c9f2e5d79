// SPDX-License-Identifier: GPL-2.0-only
/*
 * jcs — RFC 8785 serialization (see jcs.h). The strict parser is in jcs_parse.c.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "jcs.h"
#include "jcs_int.h"

/* The shortest digits that read back as d (d > 0, finite): ES's k digits and exponent n. */
static int shortest(double d, char digits[20], int *n)
{
	char tmp[40], *q;
	int p, k = 0;

	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is "D[.DDD]e[+-]XX": the digit string and the decimal exponent. */
	for (q = tmp; *q != 'e'; q++)
		if (*q != '.')
			digits[k++] = *q;
	while (k > 1 && digits[k - 1] == '0') /* not at the shortest precision, but cheap */
		k--;
	digits[k] = '\0';
	*n = atoi(q + 1) + 1; /* ES 6.1.6.1.20: value = digits x 10^(n-k) */
	return k;
}

int kk_jcs_number(double d, char *buf, size_t len)
{
	char digits[20], out[48];
	size_t o = 0;
	int k, n, i;

	if (isnan(d) || isinf(d))
		return -EINVAL;
	if (d < 0) { /* -0 is not below 0: ES writes both zeros as "0" */
		out[o++] = '-';
		d = -d;
	}
	if (d == 0) {
		out[o++] = '0';
		goto done;
	}
	k = shortest(d, digits, &n);
	if (k <= n && n <= 21) { /* integer: the digits and n-k zeros */
		for (i = 0; i < n; i++)
			out[o++] = i < k ? digits[i] : '0';
	} else if (0 < n && n <= 21) { /* a point inside the digits */
		for (i = 0; i < k; i++) {
			if (i == n)
				out[o++] = '.';
			out[o++] = digits[i];
		}
	} else if (-6 < n && n <= 0) { /* 0.000ddd */
		out[o++] = '0';
		out[o++] = '.';
		for (i = 0; i < -n; i++)
			out[o++] = '0';
		for (i = 0; i < k; i++)
			out[o++] = digits[i];
	} else { /* d[.ddd]e+-x */
		out[o++] = digits[0];
		if (k > 1)
			out[o++] = '.';
		for (i = 1; i < k; i++)
			out[o++] = digits[i];
		o += snprintf(out + o, sizeof(out) - o, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
done:
	if (o >= len)
		return -ERANGE;
	memcpy(buf, out, o);
	buf[o] = '\0';
	return 0;
}

/* A growing output buffer; oom sticks so callers check once at the end. */
struct jbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct jbuf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct jbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* RFC 8785 3.2.2.2: the short escapes, other controls as \u00xx, everything else verbatim. */
static void put_string(struct jbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *c;
	char esc[7];

	put(b, "\"", 1);
	for (c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			puts_(b, "\\\"");
			break;
		case '\\':
			puts_(b, "\\\\");
			break;
		case '\b':
			puts_(b, "\\b");
			break;
		case '\f':
			puts_(b, "\\f");
			break;
		case '\n':
			puts_(b, "\\n");
			break;
		case '\r':
			puts_(b, "\\r");
			break;
		case '\t':
			puts_(b, "\\t");
			break;
		default:
			if (*c < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[*c >> 4];
				esc[5] = hex[*c & 15];
				put(b, esc, 6);
			} else {
				put(b, (const char *)c, 1);
			}
		}
	}
	put(b, "\"", 1);
}

/* A member and its key as UTF-16 code units, for the RFC 8785 3.2.3 sort. */
struct member {
	const cJSON *item;
	uint16_t *u;
	size_t n;
};

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t i, n = x->n < y->n ? x->n : y->n;

	for (i = 0; i < n; i++)
		if (x->u[i] != y->u[i])
			return x->u[i] < y->u[i] ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static int emit(struct jbuf *b, const cJSON *v, int depth, struct kk_error *e);

static void free_members(struct member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].u);
	free(m);
}

/* Members sorted by UTF-16 code units; equal neighbours are duplicate names. */
static int collect_members(const cJSON *v, struct member **out, size_t *count, struct kk_error *e)
{
	struct member *m = NULL;
	const cJSON *c;
	size_t n = 0, i;
	int err;

	for (c = v->child; c; c = c->next)
		n++;
	m = calloc(n ? n : 1, sizeof(*m));
	if (!m)
		return kk_error_set(e, -ENOMEM, "JSON", "out of memory");
	for (c = v->child, i = 0; c; c = c->next, i++) {
		m[i].item = c;
		err = kk_jcs_utf16(c->string ? c->string : "", &m[i].u, &m[i].n);
		if (err) {
			free_members(m, n);
			return kk_error_set(e, err, "JSON",
					    err == -ENOMEM ? "out of memory"
							   : "member name is not valid UTF-8");
		}
	}
	qsort(m, n, sizeof(*m), cmp_member);
	for (i = 1; i < n; i++) {
		if (!cmp_member(&m[i - 1], &m[i])) {
			kk_error_set(e, -EINVAL, "JSON", "duplicate member name \"%.64s\"",
				     m[i].item->string);
			free_members(m, n);
			return -EINVAL;
		}
	}
	*out = m;
	*count = n;
	return 0;
}

static int emit_object(struct jbuf *b, const cJSON *v, int depth, struct kk_error *e)
{
	struct member *m = NULL;
	size_t n = 0, i;
	int err;

	err = collect_members(v, &m, &n, e);
	if (err)
		return err;
	put(b, "{", 1);
	for (i = 0; i < n && !err; i++) {
		if (i)
			put(b, ",", 1);
		put_string(b, m[i].item->string ? m[i].item->string : "");
		put(b, ":", 1);
		err = emit(b, m[i].item, depth + 1, e);
	}
	put(b, "}", 1);
	free_members(m, n);
	return err;
}

static int emit(struct jbuf *b, const cJSON *v, int depth, struct kk_error *e)
{
	char num[40];
	const cJSON *c;
	int err = 0;

	if (depth > KK_JCS_DEPTH_MAX)
		return kk_error_set(e, -EINVAL, "JSON", "nested deeper than %d", KK_JCS_DEPTH_MAX);
	switch (v->type & 0xff) {
	case cJSON_NULL:
		puts_(b, "null");
		return 0;
	case cJSON_True:
		puts_(b, "true");
		return 0;
	case cJSON_False:
		puts_(b, "false");
		return 0;
	case cJSON_Number:
		if (kk_jcs_number(v->valuedouble, num, sizeof(num)))
			return kk_error_set(e, -EINVAL, "JSON", "number is not finite");
		puts_(b, num);
		return 0;
	case cJSON_String:
		if (!v->valuestring ||
		    !kk_jcs_utf8_valid(v->valuestring, strlen(v->valuestring), NULL))
			return kk_error_set(e, -EINVAL, "JSON", "string is not valid UTF-8");
		put_string(b, v->valuestring);
		return 0;
	case cJSON_Array:
		put(b, "[", 1);
		for (c = v->child; c && !err; c = c->next) {
			if (c != v->child)
				put(b, ",", 1);
			err = emit(b, c, depth + 1, e);
		}
		put(b, "]", 1);
		return err;
	case cJSON_Object:
		return emit_object(b, v, depth, e);
	default: /* cJSON_Raw, cJSON_Invalid: no canonical form */
		return kk_error_set(e, -EINVAL, "JSON", "value of a type JSON does not have");
	}
}

char *kk_jcs(const cJSON *v, struct kk_error *e)
{
	struct jbuf b = { 0 };
	int err;

	if (!v) {
		kk_error_set(e, -EINVAL, "JSON", "no value");
		return NULL;
	}
	err = emit(&b, v, 1, e);
	if (!err && b.oom)
		err = kk_error_set(e, -ENOMEM, "JSON", "out of memory");
	if (err) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int kk_jcs_text(const char *text, size_t len, char **out, struct kk_error *e)
{
	cJSON *v;
	int err;

	*out = NULL;
	err = kk_jcs_parse(text, len, &v, e);
	if (err)
		return err;
	*out = kk_jcs(v, e);
	cJSON_Delete(v);
	return *out ? 0 : e->code;
}
