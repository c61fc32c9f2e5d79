/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * prom — the Prometheus text exposition format, version 0.0.4: a "# HELP" and a "# TYPE" line
 * per metric family, then its samples "name{label="value",...} value\n". Label values escape
 * backslash, double quote and newline (\\, \", \n); HELP text escapes backslash and newline.
 * Pure text into a growing buffer: no I/O, so the unit tests check the exact bytes.
 */
#ifndef KK_PROM_H
#define KK_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The Content-Type of this format, for an HTTP answer. */
#define KK_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct kk_prom {
	char *buf;
	size_t len, cap;
	bool oom; /* an allocation failed: buf holds what came before, the text is incomplete */
};

/* One label: name (a valid label name, never escaped) and value (escaped). */
struct kk_prom_label {
	const char *name, *value;
};

/* "# HELP name help\n# TYPE name type\n"; type is "counter" or "gauge". */
void kk_prom_family(struct kk_prom *p, const char *name, const char *type, const char *help);
/* One sample of n labels (n may be 0) with an integer value. */
void kk_prom_u64(struct kk_prom *p, const char *name, const struct kk_prom_label *l, size_t n,
		 uint64_t v);
/* The same with a floating-point value (Go's ParseFloat reads what %.17g prints). */
void kk_prom_f64(struct kk_prom *p, const char *name, const struct kk_prom_label *l, size_t n,
		 double v);
/* 0, or -ENOMEM when an allocation failed on the way. */
int kk_prom_error(const struct kk_prom *p);
void kk_prom_free(struct kk_prom *p);

#endif
