// SPDX-License-Identifier: GPL-2.0-only
/* jsonc — JSONC parsing with source positions (see jsonc.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "jsonc.h"

struct kk_jsonc_pos {
	const cJSON *node;
	size_t key_off;		/* SIZE_MAX when not an object member */
	size_t val_off;
};

/* Offsets found by the scanner, in document (pre-)order. */
struct scan {
	const char *s;
	size_t len, i;
	size_t *val_off, *key_off;
	size_t n, cap;
	size_t err_off;
	char *why;
	size_t wlen;
};

static int scan_fail(struct scan *sc, size_t off, const char *fmt, const char *arg)
{
	sc->err_off = off;
	snprintf(sc->why, sc->wlen, fmt, arg);
	return -EINVAL;
}

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->len && strchr(" \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
		sc->i++;
}

/* Replace comments by spaces (newlines kept) outside strings; -EINVAL on an unclosed one. */
static int strip_comments(char *t, size_t len, size_t *err_off)
{
	bool in_str = false;
	size_t i = 0;

	while (i < len) {
		if (in_str) {
			if (t[i] == '\\' && i + 1 < len)
				i++;
			else if (t[i] == '"')
				in_str = false;
			i++;
		} else if (t[i] == '"') {
			in_str = true;
			i++;
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
			while (i < len && t[i] != '\n')
				t[i++] = ' ';
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
			size_t start = i;

			t[i++] = ' ';
			t[i++] = ' ';
			while (i < len && !(t[i] == '*' && i + 1 < len && t[i + 1] == '/')) {
				if (t[i] != '\n')
					t[i] = ' ';
				i++;
			}
			if (i >= len) {
				*err_off = start;
				return -EINVAL;
			}
			t[i++] = ' ';
			t[i++] = ' ';
		} else {
			i++;
		}
	}
	return 0;
}

static int record(struct scan *sc, size_t key_off, size_t val_off)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 64;
		size_t *v = realloc(sc->val_off, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sc->val_off = v;
		v = realloc(sc->key_off, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		sc->key_off = v;
		sc->cap = cap;
	}
	sc->val_off[sc->n] = val_off;
	sc->key_off[sc->n] = key_off;
	sc->n++;
	return 0;
}

/* Length of a well-formed UTF-8 sequence at s[0..avail), 0 if ill-formed. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t n, k;
	uint32_t cp;

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
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Four hex digits at s[0..avail) as a code unit, or -1. */
static long hex4(const char *s, size_t avail)
{
	long v = 0;
	size_t k;

	if (avail < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		int d = kk_hex_digit(s[k]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * A \uXXXX escape at sc->i. UTF-16 surrogates must come as a high-low pair: cJSON refuses a
 * lone one, and we must name the error rather than mistake cJSON's refusal for lack of memory.
 */
static int scan_u_escape(struct scan *sc)
{
	long u = hex4(sc->s + sc->i + 2, sc->len - sc->i - 2), lo;

	if (u < 0)
		return scan_fail(sc, sc->i, "%s", "\\u needs four hex digits");
	if (u == 0)
		return scan_fail(sc, sc->i, "%s", "\\u0000 is not allowed in strings");
	if (u >= 0xdc00 && u <= 0xdfff)
		return scan_fail(sc, sc->i, "%s", "lone UTF-16 surrogate in \\u escape");
	if (u >= 0xd800 && u <= 0xdbff) {
		if (sc->len - sc->i < 12 || sc->s[sc->i + 6] != '\\' || sc->s[sc->i + 7] != 'u' ||
		    (lo = hex4(sc->s + sc->i + 8, sc->len - sc->i - 8)) < 0xdc00 || lo > 0xdfff)
			return scan_fail(sc, sc->i, "%s", "lone UTF-16 surrogate in \\u escape");
		sc->i += 6;
	}
	sc->i += 6;
	return 0;
}

static int scan_string(struct scan *sc)
{
	size_t start = sc->i++;

	while (sc->i < sc->len) {
		unsigned char c = (unsigned char)sc->s[sc->i];
		size_t n;

		if (c == '"') {
			sc->i++;
			return 0;
		}
		if (c < 0x20)
			return scan_fail(sc, sc->i, "%s", "control character in string (escape it)");
		if (c == '\\') {
			const char *e = sc->s + sc->i + 1;

			if (sc->i + 1 >= sc->len)
				break;
			if (*e == 'u') {
				int err = scan_u_escape(sc);

				if (err)
					return err;
				continue;
			}
			if (!*e || !strchr("\"\\/bfnrt", *e))
				return scan_fail(sc, sc->i, "%s", "invalid escape in string");
			sc->i += 2;
			continue;
		}
		n = utf8_len((const unsigned char *)sc->s + sc->i, sc->len - sc->i);
		if (!n)
			return scan_fail(sc, sc->i, "%s", "invalid UTF-8 in string");
		sc->i += n;
	}
	return scan_fail(sc, start, "%s", "unterminated string");
}

static int scan_number(struct scan *sc)
{
	const char *s = sc->s;
	size_t i = sc->i, start = sc->i;

	if (i < sc->len && s[i] == '-')
		i++;
	if (i < sc->len && s[i] == '0')
		i++;
	else if (i < sc->len && s[i] >= '1' && s[i] <= '9')
		while (i < sc->len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return scan_fail(sc, start, "%s", "invalid number");
	if (i < sc->len && s[i] == '.') {
		if (++i >= sc->len || s[i] < '0' || s[i] > '9')
			return scan_fail(sc, start, "%s", "invalid number");
		while (i < sc->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < sc->len && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < sc->len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= sc->len || s[i] < '0' || s[i] > '9')
			return scan_fail(sc, start, "%s", "invalid number");
		while (i < sc->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	sc->i = i;
	return 0;
}

static int scan_value(struct scan *sc, size_t key_off, int depth);

/* Members or items of an object/array; sc->i is just after the opening bracket. */
static int scan_container(struct scan *sc, bool object, int depth)
{
	char close = object ? '}' : ']';
	bool first = true;
	int err;

	for (;;) {
		size_t key_off = SIZE_MAX;

		skip_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == close && first) {
			sc->i++;
			return 0;
		}
		if (object) {
			if (sc->i >= sc->len || sc->s[sc->i] != '"')
				return scan_fail(sc, sc->i, "%s",
						 first ? "expected a \"key\" or '}'"
						       : "expected a \"key\" after ','");
			key_off = sc->i;
			err = scan_string(sc);
			if (err)
				return err;
			skip_ws(sc);
			if (sc->i >= sc->len || sc->s[sc->i] != ':')
				return scan_fail(sc, sc->i, "%s", "expected ':' after the key");
			sc->i++;
		}
		err = scan_value(sc, key_off, depth + 1);
		if (err)
			return err;
		skip_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == ',') {
			sc->i++;
			skip_ws(sc);
			if (sc->i < sc->len && sc->s[sc->i] == close)
				return scan_fail(sc, sc->i, "%s", "trailing ',' before the closing bracket");
			first = false;
			continue;
		}
		if (sc->i < sc->len && sc->s[sc->i] == close) {
			sc->i++;
			return 0;
		}
		return scan_fail(sc, sc->i, "%s",
				 object ? "expected ',' or '}' after a member"
					: "expected ',' or ']' after an item");
	}
}

static int scan_value(struct scan *sc, size_t key_off, int depth)
{
	static const char *const lits[] = { "true", "false", "null" };
	size_t k;
	int err;

	skip_ws(sc);
	if (sc->i >= sc->len)
		return scan_fail(sc, sc->i, "%s", "unexpected end of the document");
	if (depth > KK_JSONC_MAX_DEPTH)
		return scan_fail(sc, sc->i, "nesting deeper than %s levels", "32");
	err = record(sc, key_off, sc->i);
	if (err)
		return err;
	switch (sc->s[sc->i]) {
	case '{':
	case '[':
		sc->i++;
		return scan_container(sc, sc->s[sc->i - 1] == '{', depth);
	case '"':
		return scan_string(sc);
	default:
		break;
	}
	for (k = 0; k < 3; k++) {
		size_t n = strlen(lits[k]);

		if (sc->len - sc->i >= n && !strncmp(sc->s + sc->i, lits[k], n)) {
			sc->i += n;
			return 0;
		}
	}
	if (sc->s[sc->i] == '-' || (sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9'))
		return scan_number(sc);
	return scan_fail(sc, sc->i, "%s", "expected a value (object, array, string, number, "
					  "true, false or null)");
}

/* Pair cJSON's nodes, visited in pre-order, with the scanner's offsets. */
static int pair(struct kk_jsonc *j, const cJSON *node, struct scan *sc, size_t *idx)
{
	const cJSON *c;
	int err;

	if (*idx >= sc->n)
		return -EIO;
	j->pos[*idx].node = node;
	j->pos[*idx].val_off = sc->val_off[*idx];
	j->pos[*idx].key_off = sc->key_off[*idx];
	(*idx)++;
	for (c = node->child; c; c = c->next) {
		err = pair(j, c, sc, idx);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_pos(const void *a, const void *b)
{
	const struct kk_jsonc_pos *x = a, *y = b;

	return (uintptr_t)x->node < (uintptr_t)y->node ? -1 : (uintptr_t)x->node > (uintptr_t)y->node;
}

static int index_lines(struct kk_jsonc *j)
{
	size_t i, n = 1;

	for (i = 0; i < j->len; i++)
		n += j->text[i] == '\n';
	j->line_starts = malloc(n * sizeof(*j->line_starts));
	if (!j->line_starts)
		return -ENOMEM;
	j->line_starts[0] = 0;
	j->n_lines = 1;
	for (i = 0; i < j->len; i++)
		if (j->text[i] == '\n')
			j->line_starts[j->n_lines++] = i + 1;
	return 0;
}

static void off_to_linecol(const struct kk_jsonc *j, size_t off, int *line, int *col)
{
	size_t lo = 0, hi = j->n_lines;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (j->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	*line = (int)lo + 1;
	*col = (int)(off - j->line_starts[lo]) + 1;
}

static int scan_document(struct kk_jsonc *j, struct scan *sc)
{
	int err = scan_value(sc, SIZE_MAX, 0);

	if (err)
		return err;
	skip_ws(sc);
	if (sc->i < sc->len)
		return scan_fail(sc, sc->i, "%s",
				 sc->s[sc->i] ? "unexpected text after the document"
					      : "NUL byte in the document");
	return 0;
}

int kk_jsonc_parse(const char *text, size_t len, struct kk_jsonc *out, int *line, int *col,
		   char *why, size_t wlen)
{
	struct scan sc = { .len = len, .why = why, .wlen = wlen };
	size_t idx = 0;
	int err;

	memset(out, 0, sizeof(*out));
	/* Editors on Windows add one; JSON forbids it and "expected a value" would not say why. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		*line = *col = 1;
		snprintf(why, wlen, "starts with a UTF-8 byte order mark (BOM): save the file "
			 "without it");
		return -EINVAL;
	}
	out->text = malloc(len + 1);
	if (!out->text)
		return -ENOMEM;
	memcpy(out->text, text, len);
	out->text[len] = '\0';
	out->len = len;
	sc.s = out->text;
	err = index_lines(out);
	if (err)
		goto out;
	if (strip_comments(out->text, len, &sc.err_off)) {
		snprintf(why, wlen, "unterminated /* comment");
		err = -EINVAL;
	} else {
		err = scan_document(out, &sc);
	}
	if (err == -EINVAL) {
		off_to_linecol(out, sc.err_off, line, col);
		goto out;
	}
	if (err)
		goto out;
	out->root = cJSON_ParseWithLength(out->text, len);
	out->pos = calloc(sc.n, sizeof(*out->pos));
	if (!out->root || !out->pos) {
		err = -ENOMEM; /* the scanner accepted it, so cJSON failing means memory */
		goto out;
	}
	err = pair(out, out->root, &sc, &idx);
	if (!err && idx != sc.n)
		err = -EIO;
	if (err) {
		snprintf(why, wlen, "internal error: position table out of step with cJSON");
		*line = *col = 1;
		err = -EINVAL;
		goto out;
	}
	out->n_pos = sc.n;
	qsort(out->pos, out->n_pos, sizeof(*out->pos), cmp_pos);
out:
	free(sc.val_off);
	free(sc.key_off);
	if (err)
		kk_jsonc_free(out);
	return err;
}

static const struct kk_jsonc_pos *find(const struct kk_jsonc *j, const cJSON *node)
{
	struct kk_jsonc_pos key = { .node = node };

	if (!j->pos)
		return NULL;
	return bsearch(&key, j->pos, j->n_pos, sizeof(key), cmp_pos);
}

bool kk_jsonc_pos(const struct kk_jsonc *j, const cJSON *node, int *line, int *col)
{
	const struct kk_jsonc_pos *p = find(j, node);

	if (!p)
		return false;
	off_to_linecol(j, p->val_off, line, col);
	return true;
}

bool kk_jsonc_key_pos(const struct kk_jsonc *j, const cJSON *node, int *line, int *col)
{
	const struct kk_jsonc_pos *p = find(j, node);

	if (!p)
		return false;
	off_to_linecol(j, p->key_off == SIZE_MAX ? p->val_off : p->key_off, line, col);
	return true;
}

void kk_jsonc_free(struct kk_jsonc *j)
{
	cJSON_Delete(j->root);
	free(j->text);
	free(j->pos);
	free(j->line_starts);
	memset(j, 0, sizeof(*j));
}
