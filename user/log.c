// SPDX-License-Identifier: GPL-2.0-only
/* log — one-line diagnostics and the libbpf print hook (see log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"

static bool verbose;
static char libbpf_last[512];

void kk_log_set_verbose(bool on)
{
	verbose = on;
}

bool kk_log_verbose(void)
{
	return verbose;
}

void kk_err(const char *module, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kakunin-bpf: %s: ", module);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void kk_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/*
 * libbpf prints multi-line verifier logs and per-step warnings. Users get one line from us;
 * the raw text is there for developers with KAKUNIN_DEBUG=1.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(libbpf_last)];
	size_t n;

	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strcspn(line, "\n");
	line[n] = '\0';
	if (n > 0)
		memcpy(libbpf_last, line, n + 1);
	return 0;
}

void kk_log_capture_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

const char *kk_log_libbpf_last(void)
{
	static char out[sizeof(libbpf_last)];

	memcpy(out, libbpf_last, sizeof(out));
	libbpf_last[0] = '\0';
	return out;
}
