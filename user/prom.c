// SPDX-License-Identifier: GPL-2.0-only
/* prom — the Prometheus text exposition format 0.0.4 (see prom.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

static void put(struct kk_prom *p, const char *s, size_t n)
{
	if (p->oom)
		return;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *b;

		while (cap < p->len + n + 1)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b) {
			p->oom = true;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void puts_(struct kk_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) putf(struct kk_prom *p, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(p, tmp, n < 0 ? 0 : (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* s escaped: backslash and newline always, the double quote in label values only. */
static void put_escaped(struct kk_prom *p, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (*s == '"' && quote)
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

void kk_prom_family(struct kk_prom *p, const char *name, const char *type, const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

static void series(struct kk_prom *p, const char *name, const struct kk_prom_label *l, size_t n)
{
	size_t i;

	puts_(p, name);
	for (i = 0; i < n; i++) {
		puts_(p, i ? "," : "{");
		puts_(p, l[i].name);
		puts_(p, "=\"");
		put_escaped(p, l[i].value ? l[i].value : "", true);
		puts_(p, "\"");
	}
	puts_(p, n ? "} " : " ");
}

void kk_prom_u64(struct kk_prom *p, const char *name, const struct kk_prom_label *l, size_t n,
		 uint64_t v)
{
	series(p, name, l, n);
	putf(p, "%llu\n", (unsigned long long)v);
}

void kk_prom_f64(struct kk_prom *p, const char *name, const struct kk_prom_label *l, size_t n,
		 double v)
{
	series(p, name, l, n);
	if (isnan(v))
		puts_(p, "NaN\n");
	else if (isinf(v))
		puts_(p, v > 0 ? "+Inf\n" : "-Inf\n");
	else
		putf(p, "%.17g\n", v);
}

int kk_prom_error(const struct kk_prom *p)
{
	return p->oom ? -ENOMEM : 0;
}

void kk_prom_free(struct kk_prom *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}
