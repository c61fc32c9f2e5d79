/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jsonc — JSON with // and block comments, parsed by cJSON, with the source position of every
 * value and key kept, so that semantic errors found later can still say LINE:COL.
 *
 * cJSON keeps no positions, so the text is first checked by a small strict scanner of our own
 * (which also gives syntax errors a reason: "expected ',' or '}'", "unterminated string") that
 * records the offset of every value in document order; cJSON then parses the same text and the
 * two walks are paired node by node. Comments are replaced by spaces, newlines kept, so offsets
 * never shift.
 */
#ifndef KK_JSONC_H
#define KK_JSONC_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* Deepest nesting accepted; policies need four levels. */
#define KK_JSONC_MAX_DEPTH 32

struct kk_jsonc_pos;

struct kk_jsonc {
	char *text;			/* comment-free copy, NUL-terminated */
	size_t len;
	cJSON *root;
	struct kk_jsonc_pos *pos;	/* sorted by node */
	size_t n_pos;
	size_t *line_starts;		/* offset of each line's first byte */
	size_t n_lines;
};

/*
 * Parse len bytes of text. 0 on success; -EINVAL on a syntax error with *line, *col (1-based)
 * and why[] describing the first one; -ENOMEM.
 */
int kk_jsonc_parse(const char *text, size_t len, struct kk_jsonc *out, int *line, int *col,
		   char *why, size_t wlen);
void kk_jsonc_free(struct kk_jsonc *j);

/* Position of node's value, or of its key when it is an object member; false if unknown. */
bool kk_jsonc_pos(const struct kk_jsonc *j, const cJSON *node, int *line, int *col);
bool kk_jsonc_key_pos(const struct kk_jsonc *j, const cJSON *node, int *line, int *col);

#endif
