// SPDX-License-Identifier: GPL-2.0-only
/*
 * jcs_parse — the strict JSON parser of jcs.h. cJSON's own parser is lenient (it keeps the last
 * of duplicate names in lookups but the first in iteration, accepts some invalid UTF-8): a signed
 * payload must mean one thing to every reader, so this parser follows the RFC 8259 grammar and
 * I-JSON (RFC 7493) exactly, names the line and column of what it refuses, and builds the cJSON
 * tree itself.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "jcs.h"
#include "jcs_int.h"
#include "kakunin_limits.h"

struct parser {
	const char *s;
	size_t len, i;
	int depth;
	struct kk_error *e;
};

/* e = "line L column C: why" at byte offset off (columns count bytes, from 1). */
static int fail_at(struct parser *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(struct parser *p, size_t off, const char *fmt, ...)
{
	size_t line = 1, col = 1, i;
	char why[160];
	va_list ap;

	for (i = 0; i < off && i < p->len; i++) {
		col++;
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		}
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return kk_error_set(p->e, -EINVAL, "JSON", "line %zu column %zu: %s", line, col, why);
}

static int oom(struct parser *p)
{
	return kk_error_set(p->e, -ENOMEM, "JSON", "out of memory");
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->len && strchr(" \t\n\r", p->s[p->i]) && p->s[p->i])
		p->i++;
}

static int peek(const struct parser *p)
{
	return p->i < p->len ? (unsigned char)p->s[p->i] : -1;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | cp >> 12;
		o[1] = 0x80 | (cp >> 6 & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | cp >> 18;
	o[1] = 0x80 | (cp >> 12 & 0x3f);
	o[2] = 0x80 | (cp >> 6 & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* \uXXXX at p->i (after the backslash-u): one code point, a surrogate pair joined. */
static int unicode_escape(struct parser *p, size_t at, unsigned *cp)
{
	unsigned hi, lo;

	if (p->i + 4 > p->len || hex4(p->s + p->i, &hi))
		return fail_at(p, at, "bad \\u escape");
	p->i += 4;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail_at(p, at, "lone surrogate \\u%04x", hi);
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (p->i + 6 > p->len || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u' ||
		    hex4(p->s + p->i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return fail_at(p, at, "lone surrogate \\u%04x", hi);
		p->i += 6;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (!hi) /* cJSON strings end at NUL: it could not be represented faithfully */
		return fail_at(p, at, "\\u0000 in a string is not supported");
	*cp = hi;
	return 0;
}

static int one_escape(struct parser *p, char *o, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t at = p->i - 1;
	const char *f;
	unsigned cp = 0;
	int c = peek(p), err;

	if (c == 'u') {
		p->i++;
		err = unicode_escape(p, at, &cp);
		if (!err)
			*n += put_utf8(o + *n, cp);
		return err;
	}
	f = c > 0 ? strchr(from, c) : NULL;
	if (!f)
		return fail_at(p, at, "bad escape in a string");
	o[(*n)++] = to[f - from];
	p->i++;
	return 0;
}

/* A string at p->i (the opening quote) into *out (malloc'd). */
static int parse_string(struct parser *p, char **out)
{
	size_t start = p->i++, end = p->i, n = 0;
	char *o;
	int err;

	/* Its raw length bounds the decoded one. */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return fail_at(p, start, "unterminated string");
	o = malloc(end - p->i + 1);
	if (!o)
		return oom(p);
	while (p->s[p->i] != '"') {
		unsigned char c = p->s[p->i];

		if (c < 0x20) {
			free(o);
			return fail_at(p, p->i, "control character in a string");
		}
		if (c == '\\') {
			p->i++;
			err = one_escape(p, o, &n);
			if (err) {
				free(o);
				return err;
			}
			continue;
		}
		o[n++] = c;
		p->i++;
	}
	p->i++;
	o[n] = '\0';
	*out = o;
	return 0;
}

static size_t digits(const struct parser *p, size_t i)
{
	while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
		i++;
	return i;
}

/* RFC 8259 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, finite as a double. */
static int parse_number(struct parser *p, cJSON **out)
{
	size_t start = p->i, i = p->i, j;
	char *tmp;
	double d;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i < p->len && p->s[i] == '0')
		i++;
	else if ((j = digits(p, i)) > i)
		i = j;
	else
		return fail_at(p, start, "bad number");
	if (i < p->len && p->s[i] == '.') {
		if ((j = digits(p, i + 1)) == i + 1)
			return fail_at(p, start, "bad number: no digit after the point");
		i = j;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if ((j = digits(p, i)) == i)
			return fail_at(p, start, "bad number: no digit in the exponent");
		i = j;
	}
	tmp = strndup(p->s + start, i - start);
	if (!tmp)
		return oom(p);
	d = strtod(tmp, NULL);
	free(tmp);
	if (isinf(d))
		return fail_at(p, start, "number out of the range of a double");
	*out = cJSON_CreateNumber(d);
	if (!*out)
		return oom(p);
	p->i = i;
	return 0;
}

static int parse_value(struct parser *p, cJSON **out);

static int literal(struct parser *p, cJSON **out)
{
	static const struct {
		const char *w;
		int type;
	} lits[] = {
		{ "true", cJSON_True },
		{ "false", cJSON_False },
		{ "null", cJSON_NULL },
	};
	size_t k, n;

	for (k = 0; k < 3; k++) {
		n = strlen(lits[k].w);
		if (p->len - p->i >= n && !memcmp(p->s + p->i, lits[k].w, n)) {
			p->i += n;
			*out = lits[k].type == cJSON_NULL
				       ? cJSON_CreateNull()
				       : cJSON_CreateBool(lits[k].type == cJSON_True);
			return *out ? 0 : oom(p);
		}
	}
	if (p->i >= p->len)
		return fail_at(p, p->i, "unexpected end of the text");
	return fail_at(p, p->i, "unexpected character '%c'",
		       (unsigned char)p->s[p->i] >= 0x20 && (unsigned char)p->s[p->i] < 0x7f
			       ? p->s[p->i]
			       : '?');
}

static int parse_array(struct parser *p, cJSON **out)
{
	cJSON *a = cJSON_CreateArray(), *v;
	int err = 0;

	if (!a)
		return oom(p);
	p->i++;
	skip_ws(p);
	if (peek(p) == ']') {
		p->i++;
		*out = a;
		return 0;
	}
	for (;;) {
		err = parse_value(p, &v);
		if (err)
			break;
		cJSON_AddItemToArray(a, v);
		skip_ws(p);
		if (peek(p) == ']') {
			p->i++;
			*out = a;
			return 0;
		}
		if (peek(p) != ',') {
			err = fail_at(p, p->i, "expected ',' or ']' in an array");
			break;
		}
		p->i++;
	}
	cJSON_Delete(a);
	return err;
}

/* A member name and where it starts, for the duplicate check. */
struct name_at {
	const char *name;
	size_t off;
};

static int cmp_name(const void *a, const void *b)
{
	const struct name_at *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->off > y->off) - (x->off < y->off);
}

/*
 * I-JSON 2.3: member names unique. Equal UTF-8 is equal UTF-16, so bytes compare; the later
 * of two equal names is the one reported.
 */
static int check_unique(struct parser *p, const cJSON *o, const size_t *offs, size_t n)
{
	struct name_at *v;
	const cJSON *c;
	size_t i = 0;
	int err = 0;

	if (n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return oom(p);
	for (c = o->child; c; c = c->next, i++)
		v[i] = (struct name_at){ c->string, offs[i] };
	qsort(v, n, sizeof(*v), cmp_name);
	for (i = 1; i < n && !err; i++)
		if (!strcmp(v[i - 1].name, v[i].name))
			err = fail_at(p, v[i].off, "duplicate member name \"%.64s\"", v[i].name);
	free(v);
	return err;
}

/* One "name": value member into o; its name's offset appended to *offs. */
static int parse_member(struct parser *p, cJSON *o, size_t **offs, size_t *n, size_t *cap)
{
	size_t at, *no;
	char *name;
	cJSON *v;
	int err;

	skip_ws(p);
	at = p->i;
	if (peek(p) != '"')
		return fail_at(p, at, "expected a member name");
	err = parse_string(p, &name);
	if (err)
		return err;
	skip_ws(p);
	if (peek(p) != ':') {
		free(name);
		return fail_at(p, p->i, "expected ':' after a member name");
	}
	p->i++;
	err = parse_value(p, &v);
	if (!err && *n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		no = realloc(*offs, *cap * sizeof(**offs));
		if (!no) {
			cJSON_Delete(v);
			err = oom(p);
		}
		*offs = no ? no : *offs;
	}
	if (!err) {
		(*offs)[(*n)++] = at;
		cJSON_AddItemToObject(o, name, v);
	}
	free(name);
	return err;
}

static int parse_object(struct parser *p, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();
	size_t *offs = NULL, n = 0, cap = 0;
	int err = 0;

	if (!o)
		return oom(p);
	p->i++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->i++;
		*out = o;
		return 0;
	}
	for (;;) {
		err = parse_member(p, o, &offs, &n, &cap);
		if (err)
			break;
		skip_ws(p);
		if (peek(p) == '}') {
			p->i++;
			err = check_unique(p, o, offs, n);
			break;
		}
		if (peek(p) != ',') {
			err = fail_at(p, p->i, "expected ',' or '}' in an object");
			break;
		}
		p->i++;
	}
	free(offs);
	if (err)
		cJSON_Delete(o);
	else
		*out = o;
	return err;
}

static int parse_value(struct parser *p, cJSON **out)
{
	int c, err;

	skip_ws(p);
	c = peek(p);
	if (c == '{' || c == '[') {
		if (++p->depth > KK_JCS_DEPTH_MAX)
			return fail_at(p, p->i, "nested deeper than %d", KK_JCS_DEPTH_MAX);
		err = c == '{' ? parse_object(p, out) : parse_array(p, out);
		p->depth--;
		return err;
	}
	if (c == '"') {
		char *s;

		err = parse_string(p, &s);
		if (err)
			return err;
		*out = cJSON_CreateString(s);
		free(s);
		return *out ? 0 : oom(p);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(p, out);
	return literal(p, out);
}

int kk_jcs_parse(const char *text, size_t len, cJSON **out, struct kk_error *e)
{
	struct parser p = { .s = text, .len = len, .e = e };
	size_t bad;
	cJSON *v;
	int err;

	*out = NULL;
	if (len > KK_SIGN_PAYLOAD_MAX)
		return kk_error_set(e, -E2BIG, "JSON", "%zu bytes, more than the %d allowed", len,
				    KK_SIGN_PAYLOAD_MAX);
	if (!kk_jcs_utf8_valid(text, len, &bad))
		return fail_at(&p, bad, "invalid UTF-8");
	err = parse_value(&p, &v);
	if (err)
		return err;
	skip_ws(&p);
	if (p.i != len) {
		cJSON_Delete(v);
		return fail_at(&p, p.i, "text after the value");
	}
	*out = v;
	return 0;
}
